"""The browser tests' harness: real `chargepoint` processes on loopback, a real headless
Chromium (Debian's /usr/bin/chromium) driven by Playwright, screenshots kept as artifacts.

A test file is plain Python: functions named ``test_*`` run in file order, each with its own
processes and browser, and the file ends with ``run_tests(globals())`` so that it also runs
alone. ``scripts/browser-test`` runs every ``tests/browser/test_*.py`` through ``main``.

    from harness import Stack, open_browser, expect, screenshot, run_tests

    def test_the_panel_shows_a_station():
        with Stack() as stack, open_browser() as browser:
            csms = stack.csms()                      # chargepoint csms --listen ...
            station = stack.station(csms, "CP-1")    # chargepoint run --control ...
            page = browser.new_page()
            page.goto(station.url)
            expect(page.get_by_role("region", name="Connector 1")).to_contain_text("Available")
            screenshot(page, "station")              # target/browser-artifacts/station.png

    if __name__ == "__main__":
        run_tests(globals())

Locate things by their accessible names (DESIGN.md "The web panel"): ``get_by_role("region",
name="Connector 1")``, ``get_by_role("button", name="Plug in")``, ``get_by_label("Id tag")``.

Settings (environment): CHARGEPOINT_BIN (default target/debug/chargepoint), CHROMIUM
(default /usr/bin/chromium), BROWSER_TEST_PORTS (default 19500-19599: ports tried for the
processes), BROWSER_TEST_HEADED=1 (show the browser), UPDATE_DOCS_SCREENSHOTS=1 (tests
that make the README's screenshots copy them to docs/). Each process's output is kept in
target/browser-artifacts/logs/.
"""

import contextlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("CHARGEPOINT_BIN", ROOT / "target" / "debug" / "chargepoint"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "target" / "browser-artifacts"
DOCS = ROOT / "docs"
# What headless Chromium needs in a container run as root, and what keeps it from calling
# home while a test runs.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
# Long enough for a station to boot and a session to start on a loaded CI machine.
TIMEOUT_S = 20
expect.set_options(timeout=TIMEOUT_S * 1000)

__all__ = [
    "Stack",
    "Service",
    "open_browser",
    "expect",
    "screenshot",
    "run_tests",
    "http_json",
    "wait_until",
    "free_port",
]


# ---- Ports and HTTP ----------------------------------------------------------------------

def _port_range():
    low, high = os.environ.get("BROWSER_TEST_PORTS", "19500-19599").split("-")
    return range(int(low), int(high) + 1)


_handed_out = set()


def free_port():
    """A port of BROWSER_TEST_PORTS that nothing listens on, preferring ports this run has
    not handed out yet (a stopped process's port may linger a moment)."""
    for pass_ in (1, 2):
        for port in _port_range():
            if pass_ == 1 and port in _handed_out:
                continue
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _handed_out.add(port)
            return port
        _handed_out.clear()
    raise RuntimeError(f"no free port in BROWSER_TEST_PORTS {_port_range()}")


def http_json(url, body=None, method=None):
    """GET (or POST `body` as JSON) and decode the JSON answer; HTTP errors raise."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"))
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def wait_until(what, check, timeout=TIMEOUT_S, service=None):
    """Call `check` until it returns something true (exceptions count as not yet)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if service is not None and service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited while waiting for {what}:\n{service.tail()}")
        try:
            result = check()
            if result:
                return result
        except (OSError, urllib.error.URLError, ValueError) as e:
            last = e
        time.sleep(0.1)
    detail = f"\n{service.tail()}" if service is not None else ""
    raise TimeoutError(f"{what} not within {timeout} s (last error: {last}){detail}")


# ---- Processes -----------------------------------------------------------------------------

class Service:
    """A `chargepoint` process; its output goes to target/browser-artifacts/logs/NAME.log."""

    def __init__(self, name, args):
        self.name = name
        logs = ARTIFACTS / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.log_path = logs / f"{name}.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [str(BINARY), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
        )

    def tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


class Stack(contextlib.ExitStack):
    """The processes of one test; all stopped (and their data dirs removed) at its end."""

    def start(self, name, args):
        service = Service(name, args)
        self.callback(service.stop)
        return service

    def csms(self, name="csms", http=False, args=()):
        """`chargepoint csms`: `.ws_url` is what stations connect to (plus /ID); with `http`
        it also serves its web panel (`--http`) at `.url`."""
        port = free_port()
        argv = ["csms", "--listen", f"127.0.0.1:{port}", *args]
        http_port = None
        if http:
            http_port = free_port()
            argv += ["--http", f"127.0.0.1:{http_port}"]
        service = self.start(name, argv)
        service.port = port
        service.ws_url = f"ws://127.0.0.1:{port}/ocpp"
        service.url = f"http://127.0.0.1:{http_port}/" if http else None
        wait_until(f"{name} listening", lambda: _accepts(port), service=service)
        if http:
            wait_until(f"{name}'s panel", lambda: _accepts(http_port), service=service)
        return service

    def station(self, csms, station_id, name=None, args=()):
        """`chargepoint run --control`, connected to `csms`: `.url` is its panel, `.api` its
        control API (`.api + "state"`)."""
        port = free_port()
        data_dir = self.enter_context(tempfile.TemporaryDirectory(prefix="browser-station-"))
        argv = [
            "run",
            "--csms-url", csms.ws_url,
            "--id", station_id,
            "--data-dir", data_dir,
            "--control", f"127.0.0.1:{port}",
            *args,
        ]
        service = self.start(name or station_id, argv)
        service.url = f"http://127.0.0.1:{port}/"
        service.api = f"{service.url}api/"
        wait_until(
            f"{station_id} connected",
            lambda: http_json(service.api + "state")["connected"],
            service=service,
        )
        return service

    def fleet(self, csms, count, id_prefix="BT-", name="fleet", args=()):
        """`chargepoint fleet --control`, every station connected: `.url` is its overview,
        `.ids` the station ids."""
        port = free_port()
        argv = [
            "fleet",
            "--csms-url", csms.ws_url,
            "--count", str(count),
            "--id-prefix", id_prefix,
            "--ramp", "1000",
            "--control", f"127.0.0.1:{port}",
            *args,
        ]
        service = self.start(name, argv)
        service.url = f"http://127.0.0.1:{port}/"
        service.ids = [f"{id_prefix}{n:05}" for n in range(1, count + 1)]

        def all_connected():
            stations = http_json(service.url + "api/stations")
            return len(stations) == count and all(s["connected"] for s in stations)

        wait_until(f"{count} stations connected", all_connected, service=service)
        return service


def _accepts(port):
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


# ---- Browser -------------------------------------------------------------------------------

class Browser:
    """A fresh Chromium profile; `new_page()` gives a page whose script errors fail the
    test at `close()`."""

    def __init__(self, context):
        self.context = context
        self.errors = []

    def new_page(self, viewport=(1280, 900), color_scheme="light"):
        page = self.context.new_page()
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        page.emulate_media(color_scheme=color_scheme)
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        page.on("console", lambda m: self._console(page, m))
        return page

    def _console(self, page, message):
        # A browser asks every site for /favicon.ico: no page's error.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.errors.append(f"{page.url}: console: {message.text}")


@contextlib.contextmanager
def open_browser():
    """Headless Chromium with a new user-data-dir, removed afterwards."""
    profile = tempfile.mkdtemp(prefix="browser-profile-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=os.environ.get("BROWSER_TEST_HEADED") != "1",
                args=CHROMIUM_ARGS,
            )
            browser = Browser(context)
            try:
                yield browser
            finally:
                context.close()
            if browser.errors:
                raise AssertionError("script errors in the page:\n" + "\n".join(browser.errors))
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(page, name, docs_name=None, full_page=True):
    """Save target/browser-artifacts/NAME.png; with UPDATE_DOCS_SCREENSHOTS=1 and a
    `docs_name`, also docs/DOCS_NAME.png (the README's)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if docs_name and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copyfile(path, DOCS / f"{docs_name}.png")
    return path


# ---- Running -------------------------------------------------------------------------------

def run_tests(namespace):
    """Run the `test_*` functions of a module's namespace in definition order; print one
    line each and a closing 'N passed, N failed'. Returns (passed, failed)."""
    tests = [(name, f) for name, f in namespace.items() if name.startswith("test_") and callable(f)]
    passed = failed = 0
    for name, test in tests:
        started = time.monotonic()
        try:
            test()
        except Exception:  # noqa: BLE001 - a test's failure is reported, not raised
            failed += 1
            print(f"FAIL {name} ({time.monotonic() - started:.1f} s)")
            traceback.print_exc()
        else:
            passed += 1
            print(f"ok   {name} ({time.monotonic() - started:.1f} s)")
        sys.stdout.flush()
    if namespace.get("__name__") == "__main__":
        print(f"{passed} passed, {failed} failed")
        sys.exit(1 if failed else 0)
    return passed, failed


def main(paths):
    """Run every test file given (default: tests/browser/test_*.py)."""
    files = [Path(p) for p in paths] or sorted(Path(__file__).parent.glob("test_*.py"))
    if not BINARY.exists():
        sys.exit(f"{BINARY} is missing: run `cargo build` first (or set CHARGEPOINT_BIN)")
    passed = failed = 0
    for path in files:
        print(f"== {path.name}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        p, f = run_tests(vars(module))
        passed, failed = passed + p, failed + f
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main(sys.argv[1:]))
