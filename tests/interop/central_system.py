#!/usr/bin/env python3
"""Interop test: an independent OCPP 1.6-J Central System (mobilityhouse `ocpp` 2.1.0 on
`websockets`) that accepts one charge point and tests it.

The `ocpp` library validates every frame in both directions against the official OCPP 1.6
JSON schemas. This script counts every failure of that validation (and every CALLERROR in
either direction), and additionally checks that every date-time field the station sends is
an RFC 3339 date-time (the library's validator does not check `format`).

Besides Core (configuration, one transaction, heartbeats), one exchange each of Local
Authorization List, Reservation, Remote Trigger and Smart Charging, it tests the security
extension (InstallCertificate, GetInstalledCertificateIds with the RFC 6960 hash data computed
here independently, DeleteCertificate, ExtendedTriggerMessage SignChargePointCertificate ->
SignCertificate, the CSR signed here with the `cryptography` package, CertificateSigned with
a chain from an unknown CA (Rejected, SecurityEventNotification InvalidChargePointCertificate)
and with the right one (Accepted)) and Firmware Management: GetDiagnostics uploading to, and
UpdateFirmware downloading from, an HTTP server this script runs in a thread. The firmware
update is the last step: the station installs the image, restarts and connects again with
the new firmwareVersion.

Usage:
    central_system.py [--port 0] [--heartbeat-interval 1] [--timeout 30]
                      [--control http://127.0.0.1:8180] [--id CP-INTEROP] [--verbose]
                      [--ca-cert ca.pem --ca-key ca-key.pem]

`--ca-cert` / `--ca-key`: the CA (PEM) that signs the station's CSR and is installed on the
station as its CentralSystemRootCertificate; without them the script makes its own.

Prints `PORT <n>` as its first stdout line once listening, then, when all checks are done or
the timeout expires, one line per check (`PASS ...` / `FAIL ...`) and finally
`<N> passed, <N> failed`. Exit status 0 only if nothing failed.

Run it with the virtualenv of scripts/python-env (.venv/bin/python).
"""

import argparse
import asyncio
import email.parser
import email.policy
import hashlib
import http.server as http_server
import io
import json
import logging
import pathlib
import re
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

try:
    import ocpp
    import websockets
    from ocpp.routing import after, on
    from ocpp.v16 import ChargePoint, call, call_result
    from ocpp.v16.enums import (
        Action,
        AuthorizationStatus,
        ChargePointStatus,
        ConfigurationStatus,
        DataTransferStatus,
        GenericStatus,
        RegistrationStatus,
    )
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
except ImportError as e:  # pragma: no cover - environment problem
    print(
        f"error: {e}; run scripts/python-env and use .venv/bin/python",
        file=sys.stderr,
    )
    sys.exit(2)

LOG = logging.getLogger("interop")

SCHEMA_DIR = pathlib.Path(ocpp.__file__).parent / "v16" / "schemas"

# RFC 3339 section 5.6 date-time (the 'T' and 'Z' may be lower case; a space is not allowed).
RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)

ID_TAG = "INTEROP-TAG-1"
CPO_NAME = "Interop CPO"
FIRMWARE_VERSION = "9.9.9"


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_rfc3339(value) -> str | None:
    """None if `value` is an RFC 3339 date-time, else the reason it is not."""
    if not isinstance(value, str):
        return f"not a string: {value!r}"
    if not RFC3339.match(value):
        return f"{value!r} is not an RFC 3339 date-time"
    text = value.upper()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # datetime.fromisoformat accepts at most 6 fractional digits before Python 3.11.
    m = re.match(r"^(.*?\.)(\d+)([+-].*)$", text)
    if m and len(m.group(2)) > 6:
        text = m.group(1) + m.group(2)[:6] + m.group(3)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as e:
        return f"{value!r}: {e}"
    if dt.tzinfo is None:
        return f"{value!r} has no UTC offset"
    return None


_schemas: dict[str, dict | None] = {}


def load_schema(name: str) -> dict | None:
    if name not in _schemas:
        try:
            _schemas[name] = json.loads((SCHEMA_DIR / f"{name}.json").read_text("utf-8-sig"))
        except (OSError, ValueError):
            _schemas[name] = None
    return _schemas[name]


def date_time_problems(schema: dict, root: dict, value, path: str, out: list):
    """Walk `value` along `schema` and append a problem for each bad `format: date-time`."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        date_time_problems(target, root, value, path, out)
        return
    if schema.get("format") == "date-time":
        problem = parse_rfc3339(value)
        if problem:
            out.append(f"{path}: {problem}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                date_time_problems(props[k], root, v, f"{path}.{k}", out)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for i, v in enumerate(value):
                date_time_problems(items, root, v, f"{path}[{i}]", out)


# -- a small PKI (the `cryptography` package) ----------------------------------------------


def new_root(cn: str, days: int = 365):
    """A self-signed root CA (RSA 2048, SHA-256): (certificate, private key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "interop test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def load_ca(cert_path: str, key_path: str):
    cert = x509.load_pem_x509_certificate(pathlib.Path(cert_path).read_bytes())
    key = serialization.load_pem_private_key(pathlib.Path(key_path).read_bytes(), password=None)
    return cert, key


def pem(cert) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def sign_csr(csr, ca_cert, ca_key, days: int = 365):
    """The CA signs the CSR: a TLS client certificate with the CSR's subject and key."""
    now = datetime.now(timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca_cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def hash_data(cert, issuer=None) -> dict:
    """RFC 6960 CertID of `cert` as OCPP's CertificateHashData (SHA256), snake_case as the
    library hands payloads over: the hash of the issuer's DER name, of the issuer's public key
    (the BIT STRING's contents: for RSA the PKCS#1 RSAPublicKey) and the serial number."""
    issuer = issuer or cert
    key_bits = issuer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    return {
        "hash_algorithm": "SHA256",
        "issuer_name_hash": hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
        "issuer_key_hash": hashlib.sha256(key_bits).hexdigest(),
        "serial_number": format(cert.serial_number, "x"),
    }


def same_hash(got: dict, want: dict) -> bool:
    def norm(h: dict):
        serial = str(h.get("serial_number", "")).lower().lstrip("0") or "0"
        return (
            str(h.get("hash_algorithm", "")).upper(),
            str(h.get("issuer_name_hash", "")).lower(),
            str(h.get("issuer_key_hash", "")).lower(),
            serial,
        )

    return isinstance(got, dict) and norm(got) == norm(want)


def subject_attr(name, oid) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return values[0].value if values else None


# -- the file server (firmware download, diagnostics upload) ------------------------------


def firmware_image(version: str) -> bytes:
    """A simulated firmware image: first line `chargepoint-firmware <version>`."""
    return f"chargepoint-firmware {version}\n".encode() + b"interop firmware image\n" * 4096


def read_chunked(rfile) -> bytes:
    out = bytearray()
    while True:
        size = int(rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return bytes(out)
        out += rfile.read(size)
        rfile.readline()  # the CRLF after the chunk


def multipart_parts(content_type: str, body: bytes) -> list[tuple[str | None, str | None, bytes]]:
    """The (field name, file name, bytes) of each part of a multipart/form-data body."""
    m = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not content_type.lower().startswith("multipart/form-data") or not m:
        raise ValueError(f"not multipart/form-data: {content_type!r}")
    delimiter = b"--" + m.group(1).encode("latin-1")
    parts = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("a part without a blank line after its headers")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers = head.decode("latin-1")
        name = re.search(r'\bname="([^"]*)"', headers)
        filename = re.search(r'\bfilename="([^"]*)"', headers)
        parts.append((name and name.group(1), filename and filename.group(1), data))
    return parts


class FileServer:
    """An HTTP server in a thread: GET /firmware/<name> serves the firmware image, a
    multipart/form-data POST to /upload is kept in `uploads` as (field, file name, bytes)."""

    FIRMWARE_PATH = f"/firmware/chargepoint-{FIRMWARE_VERSION}.bin"

    def __init__(self, image: bytes):
        self.image = image
        self.downloads = 0
        self.uploads: list[tuple[str | None, str | None, bytes]] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        files = self

        class Handler(http_server.BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                LOG.info("http: " + fmt, *args)

            def reply(self, code: int, body: bytes, ctype: str = "text/plain"):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != FileServer.FIRMWARE_PATH:
                    self.reply(404, b"not found\n")
                    return
                with files.lock:
                    files.downloads += 1
                self.reply(200, files.image, "application/octet-stream")

            def do_POST(self):
                if self.path != "/upload":
                    self.reply(404, b"not found\n")
                    return
                try:
                    if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                        body = read_chunked(self.rfile)
                    else:
                        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                    parts = multipart_parts(self.headers.get("Content-Type", ""), body)
                except (ValueError, OSError) as e:
                    with files.lock:
                        files.errors.append(f"upload: {e}")
                    self.reply(400, f"{e}\n".encode())
                    return
                with files.lock:
                    files.uploads.extend(parts)
                self.reply(200, b"stored\n")

        self.server = http_server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Results:
    def __init__(self):
        self.lines: list[tuple[bool, str]] = []

    def check(self, ok: bool, what: str, detail: str = ""):
        text = what if ok or not detail else f"{what}: {detail}"
        self.lines.append((bool(ok), text))
        LOG.info("%s %s", "PASS" if ok else "FAIL", text)
        return ok


class Observed:
    """Everything the station did, as seen by the Central System."""

    def __init__(self):
        self.connections: list[tuple[str, str | None]] = []  # (path, subprotocol)
        self.boots: list[dict] = []
        self.booted = asyncio.Event()
        self.heartbeats = 0
        self.status: list[dict] = []  # every StatusNotification payload (snake_case)
        self.authorizes: list[dict] = []
        self.starts: list[dict] = []
        self.stops: list[dict] = []
        self.meter_values: list[dict] = []
        self.other_calls: list[str] = []
        self.security_events: list[dict] = []  # SecurityEventNotification payloads
        self.sign_requests: list[dict] = []  # SignCertificate payloads
        self.firmware_status: list[str] = []
        self.diagnostics_status: list[str] = []
        # (action, detail) of boots and status notifications in arrival order.
        self.sequence: list[tuple[str, str]] = []
        # Problems: validation failures / CALLERRORs in either direction, bad date-times,
        # frames that are not OCPP-J at all.
        self.protocol_errors: list[str] = []
        self.date_time_errors: list[str] = []
        self.frames_in = 0
        self.frames_out = 0

    def status_for(self, connector: int) -> list[str]:
        return [s["status"] for s in self.status if s.get("connector_id") == connector]


class CentralSystemSide(ChargePoint):
    """ocpp.v16.ChargePoint (the Central System's view of one charge point) with handlers for
    what a station sends, and hooks that record every validation failure and CALLERROR."""

    def __init__(self, cp_id, connection, obs: Observed, heartbeat_interval: int):
        super().__init__(cp_id, connection, response_timeout=10)
        self.obs = obs
        self.heartbeat_interval = heartbeat_interval
        self._pending_actions: dict[str, str] = {}  # unique id of our CALLs -> action
        self._call_error_ids: set[str] = set()  # our CALLs the station answered with CALLERROR
        self._next_tx = 1

    # -- frame hooks ---------------------------------------------------------------------

    async def route_message(self, raw_msg):
        self.obs.frames_in += 1
        try:
            frame = json.loads(raw_msg)
            if not isinstance(frame, list) or len(frame) < 3 or frame[0] not in (2, 3, 4):
                raise ValueError("not an OCPP-J frame [2|3|4, id, ...]")
        except (ValueError, TypeError) as e:
            self.obs.protocol_errors.append(f"station sent an invalid frame ({e}): {raw_msg!r}")
            # The library only logs these; still let it see them.
            return await super().route_message(raw_msg)

        kind, unique_id = frame[0], frame[1]
        if kind == 2 and len(frame) == 4 and isinstance(frame[3], dict):
            schema = load_schema(str(frame[2]))
            if schema is not None:
                problems = []
                date_time_problems(schema, schema, frame[3], str(frame[2]), problems)
                self.obs.date_time_errors.extend(problems)
        elif kind == 3:
            action = self._pending_actions.get(unique_id)
            schema = load_schema(f"{action}Response") if action else None
            if schema is not None and len(frame) == 3:
                problems = []
                date_time_problems(schema, schema, frame[2], f"{action}.conf", problems)
                self.obs.date_time_errors.extend(problems)
        elif kind == 4:
            action = self._pending_actions.get(unique_id, "?")
            self._call_error_ids.add(unique_id)
            self.obs.protocol_errors.append(
                f"station answered our {action} with CALLERROR: {raw_msg}"
            )
        return await super().route_message(raw_msg)

    async def _send(self, message):
        self.obs.frames_out += 1
        try:
            frame = json.loads(message)
        except ValueError:
            frame = None
        if isinstance(frame, list) and frame:
            if frame[0] == 2 and len(frame) >= 3:
                self._pending_actions[frame[1]] = frame[2]
            elif frame[0] == 4:
                # The library answers a CALL with CALLERROR when the station's request fails
                # schema validation (or our own answer fails it, or a handler raised).
                self.obs.protocol_errors.append(
                    f"central system answered a station request with CALLERROR "
                    f"(library validation/handling failure): {message}"
                )
        await super()._send(message)

    async def request(self, payload, what: str):
        """Send a CALL; return the typed response, or None after recording why not."""
        unique_id = str(uuid.uuid4())
        try:
            return await self.call(payload, suppress=False, unique_id=unique_id)
        except asyncio.TimeoutError:
            self.obs.protocol_errors.append(f"{what}: no response from the station")
        except Exception as e:  # OCPPError from schema validation, or the CALLERROR answer
            if unique_id in self._call_error_ids:
                return None  # already recorded in route_message
            self.obs.protocol_errors.append(
                f"{what}: {type(e).__name__}: {getattr(e, 'description', '')} "
                f"{getattr(e, 'details', '') or e}"
            )
        return None

    # -- handlers for what the station sends ---------------------------------------------

    @on(Action.boot_notification)
    def on_boot_notification(self, **kwargs):
        self.obs.boots.append(kwargs)
        self.obs.sequence.append(("BootNotification", str(kwargs.get("firmware_version"))))
        return call_result.BootNotification(
            current_time=now_iso(),
            interval=self.heartbeat_interval,
            status=RegistrationStatus.accepted,
        )

    @after(Action.boot_notification)
    def after_boot_notification(self, **kwargs):
        self.obs.booted.set()

    @on(Action.heartbeat)
    def on_heartbeat(self, **kwargs):
        self.obs.heartbeats += 1
        return call_result.Heartbeat(current_time=now_iso())

    @on(Action.status_notification)
    def on_status_notification(self, **kwargs):
        self.obs.status.append(kwargs)
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, **kwargs):
        self.obs.authorizes.append(kwargs)
        return call_result.Authorize(id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action.start_transaction)
    def on_start_transaction(self, **kwargs):
        tx = self._next_tx
        self._next_tx += 1
        self.obs.starts.append(dict(kwargs, transaction_id=tx))
        return call_result.StartTransaction(
            transaction_id=tx, id_tag_info={"status": AuthorizationStatus.accepted}
        )

    @on(Action.stop_transaction)
    def on_stop_transaction(self, **kwargs):
        self.obs.stops.append(kwargs)
        return call_result.StopTransaction(id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action.meter_values)
    def on_meter_values(self, **kwargs):
        self.obs.meter_values.append(kwargs)
        return call_result.MeterValues()

    @on(Action.data_transfer)
    def on_data_transfer(self, **kwargs):
        self.obs.other_calls.append("DataTransfer")
        return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status_notification(self, **kwargs):
        self.obs.diagnostics_status.append(kwargs.get("status"))
        self.obs.sequence.append(("DiagnosticsStatusNotification", kwargs.get("status")))
        return call_result.DiagnosticsStatusNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, **kwargs):
        self.obs.firmware_status.append(kwargs.get("status"))
        self.obs.sequence.append(("FirmwareStatusNotification", kwargs.get("status")))
        return call_result.FirmwareStatusNotification()

    @on(Action.security_event_notification)
    def on_security_event_notification(self, **kwargs):
        self.obs.security_events.append(kwargs)
        self.obs.sequence.append(("SecurityEventNotification", kwargs.get("type")))
        return call_result.SecurityEventNotification()

    @on(Action.sign_certificate)
    def on_sign_certificate(self, **kwargs):
        self.obs.sign_requests.append(kwargs)
        return call_result.SignCertificate(status=GenericStatus.accepted)

    @on(Action.signed_firmware_status_notification)
    def on_signed_firmware_status_notification(self, **kwargs):
        self.obs.other_calls.append("SignedFirmwareStatusNotification")
        return call_result.SignedFirmwareStatusNotification()

    @on(Action.log_status_notification)
    def on_log_status_notification(self, **kwargs):
        self.obs.other_calls.append("LogStatusNotification")
        return call_result.LogStatusNotification()


# -- control API (the person at the station) --------------------------------------------


def http(method: str, url: str, body: dict | None = None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, text = resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode("utf-8", "replace")
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text


async def control(method: str, base: str, path: str, body: dict | None = None):
    # Blocking urllib in a thread: the event loop must keep answering the station meanwhile.
    return await asyncio.to_thread(http, method, base.rstrip("/") + path, body)


async def wait_until(predicate, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(step)


# -- the test -----------------------------------------------------------------------------


class Tester:
    def __init__(self, args, obs: Observed, res: Results, ca, files: FileServer):
        self.args = args
        self.obs = obs
        self.res = res
        self.ca = ca  # (certificate, private key): signs the station's CSR
        self.files = files
        self.cp: CentralSystemSide | None = None
        self.cp_ready = asyncio.Event()
        self.step = "waiting for the station to connect"
        # Connections the station is expected to make: one more for the firmware restart.
        self.expected_connections = 1

    async def on_connect(self, websocket):
        path = websocket.request.path if websocket.request else ""
        self.obs.connections.append((path, websocket.subprotocol))
        cp_id = path.rstrip("/").rsplit("/", 1)[-1]
        cp = CentralSystemSide(cp_id, websocket, self.obs, self.args.heartbeat_interval)
        self.cp = cp
        self.cp_ready.set()
        try:
            await cp.start()
        except websockets.exceptions.ConnectionClosed:
            LOG.info("station %s disconnected", cp_id)

    async def run(self):
        obs, res = self.obs, self.res
        await self.cp_ready.wait()
        path, subprotocol = obs.connections[0]
        expected_path = f"/ocpp/{self.args.id}" if self.args.id else None
        if expected_path:
            res.check(path == expected_path, f"station connected to {expected_path}", f"path {path!r}")
        else:
            res.check(bool(path.strip("/")), f"station connected to {path}")
        res.check(subprotocol == "ocpp1.6", "websocket subprotocol ocpp1.6", f"negotiated {subprotocol!r}")

        self.step = "waiting for BootNotification"
        await obs.booted.wait()
        boot = obs.boots[0]
        res.check(
            bool(boot.get("charge_point_vendor")) and bool(boot.get("charge_point_model")),
            f"boot accepted (vendor {boot.get('charge_point_vendor')!r}, model {boot.get('charge_point_model')!r})",
        )

        self.step = "waiting for StatusNotification of connectors 0, 1, 2"
        ok = await wait_until(lambda: all(obs.status_for(c) for c in (0, 1, 2)), 10)
        seen = sorted({s.get("connector_id") for s in obs.status})
        res.check(ok, "StatusNotification for connectors 0, 1, 2", f"saw connectors {seen}")
        if ok:
            first = {c: obs.status_for(c)[0] for c in (0, 1, 2)}
            res.check(
                all(v == ChargePointStatus.available for v in first.values()),
                f"connectors initially Available ({first})",
            )

        self.step = "waiting for SecurityEventNotification StartupOfTheDevice"
        ok = await wait_until(
            lambda: any(e.get("type") == "StartupOfTheDevice" for e in obs.security_events), 10
        )
        res.check(
            ok,
            "SecurityEventNotification StartupOfTheDevice (critical) after boot",
            f"got {obs.security_events!r}",
        )

        cp = self.cp
        await self.configuration_tests(cp)
        await self.profile_tests(cp)
        if self.args.control:
            await self.transaction_test(cp)

        self.step = "waiting for 2 Heartbeats"
        ok = await wait_until(lambda: obs.heartbeats >= 2, max(5, 3 * self.args.heartbeat_interval))
        res.check(ok, f"at least 2 Heartbeats ({obs.heartbeats} received)")

        await self.security_tests(cp)
        await self.diagnostics_test(cp)
        # Last: the station restarts to install the firmware.
        await self.firmware_test(cp)

    async def security_tests(self, cp: CentralSystemSide):
        """Security extension: certificates (install, list with the hash data computed here,
        delete, the last-root rule), SignCertificate / CertificateSigned with the CSR signed
        here, and the SecurityEventNotification of a rejected certificate."""
        obs, res = self.obs, self.res
        ca_cert, ca_key = self.ca
        cs_root, mf_root = "CentralSystemRootCertificate", "ManufacturerRootCertificate"

        self.step = "InstallCertificate CentralSystemRootCertificate"
        r = await cp.request(
            call.InstallCertificate(certificate_type=cs_root, certificate=pem(ca_cert)),
            "InstallCertificate(CentralSystemRootCertificate)",
        )
        res.check(r is not None and r.status == "Accepted",
                  "InstallCertificate CentralSystemRootCertificate -> Accepted",
                  f"got {getattr(r, 'status', None)}")

        self.step = "GetInstalledCertificateIds CentralSystemRootCertificate"
        r = await cp.request(
            call.GetInstalledCertificateIds(certificate_type=cs_root),
            "GetInstalledCertificateIds(CentralSystemRootCertificate)",
        )
        want = hash_data(ca_cert)
        listed = (r.certificate_hash_data or []) if r is not None else []
        res.check(
            r is not None and r.status == "Accepted" and any(same_hash(h, want) for h in listed),
            "GetInstalledCertificateIds CentralSystemRootCertificate lists the CA "
            "with its RFC 6960 hash data",
            f"got {r}, expected {want}",
        )

        self.step = "ManufacturerRootCertificate: install, list, delete"
        mf_cert, _ = new_root("interop manufacturer root")
        mf_hash = hash_data(mf_cert)
        r = await cp.request(
            call.InstallCertificate(certificate_type=mf_root, certificate=pem(mf_cert)),
            "InstallCertificate(ManufacturerRootCertificate)",
        )
        res.check(r is not None and r.status == "Accepted",
                  "InstallCertificate ManufacturerRootCertificate -> Accepted",
                  f"got {getattr(r, 'status', None)}")
        r = await cp.request(
            call.GetInstalledCertificateIds(certificate_type=mf_root),
            "GetInstalledCertificateIds(ManufacturerRootCertificate)",
        )
        listed = (r.certificate_hash_data or []) if r is not None else []
        res.check(
            r is not None and r.status == "Accepted" and len(listed) == 1
            and same_hash(listed[0], mf_hash),
            "GetInstalledCertificateIds ManufacturerRootCertificate lists it",
            f"got {r}, expected {mf_hash}",
        )
        r = await cp.request(
            call.DeleteCertificate(certificate_hash_data=mf_hash), "DeleteCertificate(MF root)"
        )
        res.check(r is not None and r.status == "Accepted",
                  "DeleteCertificate ManufacturerRootCertificate -> Accepted",
                  f"got {getattr(r, 'status', None)}")
        r = await cp.request(
            call.GetInstalledCertificateIds(certificate_type=mf_root),
            "GetInstalledCertificateIds(ManufacturerRootCertificate) after delete",
        )
        res.check(r is not None and r.status == "NotFound",
                  "GetInstalledCertificateIds ManufacturerRootCertificate -> NotFound after delete",
                  f"got {r}")
        r = await cp.request(
            call.DeleteCertificate(certificate_hash_data=want), "DeleteCertificate(last CS root)"
        )
        res.check(r is not None and r.status == "Failed",
                  "DeleteCertificate of the last CentralSystemRootCertificate -> Failed",
                  f"got {getattr(r, 'status', None)}")

        self.step = "ChangeConfiguration CpoName"
        r = await cp.request(
            call.ChangeConfiguration(key="CpoName", value=CPO_NAME), "ChangeConfiguration(CpoName)"
        )
        res.check(r is not None and r.status == ConfigurationStatus.accepted,
                  "ChangeConfiguration CpoName -> Accepted", f"got {getattr(r, 'status', None)}")

        self.step = "ExtendedTriggerMessage SignChargePointCertificate"
        before = len(obs.sign_requests)
        r = await cp.request(
            call.ExtendedTriggerMessage(requested_message="SignChargePointCertificate"),
            "ExtendedTriggerMessage(SignChargePointCertificate)",
        )
        res.check(r is not None and r.status == "Accepted",
                  "ExtendedTriggerMessage SignChargePointCertificate -> Accepted",
                  f"got {getattr(r, 'status', None)}")
        self.step = "waiting for SignCertificate"
        ok = await wait_until(lambda: len(obs.sign_requests) > before, 10)
        if not res.check(ok, "SignCertificate.req received (answered Accepted)"):
            return
        csr_pem = obs.sign_requests[-1].get("csr", "")
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode())
        except ValueError as e:
            res.check(False, "SignCertificate.req carries a PEM CSR", f"{e}: {csr_pem!r}")
            return
        cn = subject_attr(csr.subject, NameOID.COMMON_NAME)
        org = subject_attr(csr.subject, NameOID.ORGANIZATION_NAME)
        res.check(
            csr.is_signature_valid and cn == self.args.id and org == CPO_NAME,
            f"CSR signed by its key, CN={self.args.id}, O={CPO_NAME}",
            f"signature valid {csr.is_signature_valid}, CN {cn!r}, O {org!r}",
        )

        self.step = "CertificateSigned from an unknown CA"
        rogue_cert, rogue_key = new_root("interop rogue CA")
        chain = pem(sign_csr(csr, rogue_cert, rogue_key)) + pem(rogue_cert)
        r = await cp.request(
            call.CertificateSigned(certificate_chain=chain), "CertificateSigned(unknown CA)"
        )
        res.check(r is not None and r.status == "Rejected",
                  "CertificateSigned with a chain of an unknown CA -> Rejected",
                  f"got {getattr(r, 'status', None)}")
        ok = await wait_until(
            lambda: any(e.get("type") == "InvalidChargePointCertificate"
                        for e in obs.security_events), 5
        )
        res.check(ok, "SecurityEventNotification InvalidChargePointCertificate",
                  f"got {obs.security_events!r}")

        self.step = "CertificateSigned from the CA"
        r = await cp.request(
            call.CertificateSigned(certificate_chain=pem(sign_csr(csr, ca_cert, ca_key))),
            "CertificateSigned(CA)",
        )
        res.check(r is not None and r.status == "Accepted",
                  "CertificateSigned with the certificate of the installed root -> Accepted",
                  f"got {getattr(r, 'status', None)}")

    async def diagnostics_test(self, cp: CentralSystemSide):
        """GetDiagnostics: the station uploads its diagnostics archive to our HTTP server."""
        obs, res, files = self.obs, self.res, self.files

        self.step = "GetDiagnostics"
        r = await cp.request(
            call.GetDiagnostics(location=f"{files.base}/upload", retries=1, retry_interval=5),
            "GetDiagnostics",
        )
        file_name = getattr(r, "file_name", None)
        res.check(r is not None and bool(file_name), "GetDiagnostics -> fileName",
                  f"got {r}")
        self.step = "waiting for DiagnosticsStatusNotification Uploading"
        ok = await wait_until(lambda: "Uploading" in obs.diagnostics_status, 10)
        res.check(ok, "DiagnosticsStatusNotification Uploading",
                  f"got {obs.diagnostics_status}")
        self.step = "waiting for DiagnosticsStatusNotification Uploaded"
        ok = await wait_until(
            lambda: any(st in ("Uploaded", "UploadFailed") for st in obs.diagnostics_status), 20
        )
        res.check(ok and obs.diagnostics_status == ["Uploading", "Uploaded"],
                  "DiagnosticsStatusNotification Uploading -> Uploaded",
                  f"got {obs.diagnostics_status}; upload errors {files.errors}")
        with files.lock:
            uploads = list(files.uploads)
        got = [(field, name, len(data)) for field, name, data in uploads]
        upload = next((u for u in uploads if u[0] == "file" and u[1] == file_name), None)
        if not res.check(upload is not None and len(upload[2]) > 0,
                         f"the upload arrived: multipart part 'file' named {file_name!r}",
                         f"got parts {got}; errors {files.errors}"):
            return
        try:
            with tarfile.open(fileobj=io.BytesIO(upload[2]), mode="r:gz") as tar:
                names = tar.getnames()
        except (tarfile.TarError, OSError, EOFError) as e:
            res.check(False, "the diagnostics file is a gzip tar archive", str(e))
            return
        res.check(bool(names), "the diagnostics file is a gzip tar archive",
                  "the archive is empty")
        print(f"INFO diagnostics archive {file_name}: {', '.join(names)}", flush=True)

    async def firmware_test(self, cp: CentralSystemSide):
        """UpdateFirmware: the station downloads the image from our HTTP server, installs it,
        restarts and reports Installed after the BootNotification with the new version."""
        obs, res, files = self.obs, self.res, self.files
        boots_before = len(obs.boots)

        self.step = "UpdateFirmware"
        r = await cp.request(
            call.UpdateFirmware(
                location=files.base + FileServer.FIRMWARE_PATH,
                retrieve_date=now_iso(),
                retries=1,
                retry_interval=5,
            ),
            "UpdateFirmware",
        )
        res.check(r is not None, "UpdateFirmware -> (empty) conf", "no valid answer")
        self.step = "waiting for FirmwareStatusNotification Downloading"
        ok = await wait_until(lambda: "Downloading" in obs.firmware_status, 10)
        res.check(ok, "FirmwareStatusNotification Downloading", f"got {obs.firmware_status}")
        if "Downloaded" in obs.firmware_status or await wait_until(
            lambda: bool(set(obs.firmware_status) & {"Downloaded", "DownloadFailed"}), 10
        ):
            # The station restarts from here on: a second connection is fine.
            self.expected_connections = 2
        self.step = "waiting for FirmwareStatusNotification Installed"
        ok = await wait_until(
            lambda: bool(set(obs.firmware_status)
                         & {"Installed", "InstallationFailed", "DownloadFailed"}), 30
        )
        res.check(
            ok and obs.firmware_status == ["Downloading", "Downloaded", "Installing", "Installed"],
            "FirmwareStatusNotification Downloading -> Downloaded -> Installing -> Installed",
            f"got {obs.firmware_status}",
        )
        res.check(files.downloads >= 1, f"the image was downloaded ({files.downloads} GET)")
        new_boots = obs.boots[boots_before:]
        res.check(
            len(new_boots) == 1 and new_boots[0].get("firmware_version") == FIRMWARE_VERSION,
            f"BootNotification after the restart reports firmwareVersion {FIRMWARE_VERSION}",
            f"got {[b.get('firmware_version') for b in new_boots]}",
        )
        seq = obs.sequence
        boot_at = max((i for i, (a, _) in enumerate(seq) if a == "BootNotification"), default=-1)
        installed_at = next(
            (i for i, e in enumerate(seq) if e == ("FirmwareStatusNotification", "Installed")), -1
        )
        res.check(boots_before < len(obs.boots) and 0 <= boot_at < installed_at,
                  "Installed is reported after the new BootNotification",
                  f"sequence {seq[-8:]}")
        ok = await wait_until(
            lambda: any(e.get("type") == "FirmwareUpdated" for e in obs.security_events), 5
        )
        res.check(ok, "SecurityEventNotification FirmwareUpdated (critical) after the update",
                  f"got {[e.get('type') for e in obs.security_events]}")

    async def configuration_tests(self, cp: CentralSystemSide):
        obs, res = self.obs, self.res

        self.step = "GetConfiguration (all keys)"
        r = await cp.request(call.GetConfiguration(), "GetConfiguration(all)")
        keys = {}
        if r is not None:
            keys = {k["key"]: k for k in (r.configuration_key or [])}
            res.check(
                len(keys) > 0 and not r.unknown_key,
                f"GetConfiguration all keys ({len(keys)} keys)",
                f"unknownKey {r.unknown_key!r}",
            )
            for needed in ("HeartbeatInterval", "MeterValueSampleInterval", "NumberOfConnectors"):
                res.check(needed in keys, f"GetConfiguration lists {needed}")
            noc = keys.get("NumberOfConnectors", {})
            res.check(
                noc.get("value") == "2" and noc.get("readonly") is True,
                "NumberOfConnectors = 2, read-only",
                f"got {noc!r}",
            )
            hb = keys.get("HeartbeatInterval", {}).get("value")
            print(
                f"INFO HeartbeatInterval key after BootNotification.conf(interval="
                f"{self.args.heartbeat_interval}): {hb!r}",
                flush=True,
            )
        else:
            res.check(False, "GetConfiguration all keys", "no valid answer")

        self.step = "GetConfiguration (specific keys)"
        asked = ["HeartbeatInterval", "NumberOfConnectors", "NoSuchKeyInterop"]
        r = await cp.request(call.GetConfiguration(key=asked), "GetConfiguration(keys)")
        if r is not None:
            got = sorted(k["key"] for k in (r.configuration_key or []))
            res.check(
                got == ["HeartbeatInterval", "NumberOfConnectors"]
                and list(r.unknown_key or []) == ["NoSuchKeyInterop"],
                "GetConfiguration specific keys (2 known, 1 in unknownKey)",
                f"configurationKey {got}, unknownKey {r.unknown_key!r}",
            )
        else:
            res.check(False, "GetConfiguration specific keys", "no valid answer")

        for key, value, want in (
            ("MeterValueSampleInterval", "5", ConfigurationStatus.accepted),
            ("NoSuchKeyInterop", "1", ConfigurationStatus.not_supported),
            ("NumberOfConnectors", "3", ConfigurationStatus.rejected),
        ):
            self.step = f"ChangeConfiguration {key}={value}"
            r = await cp.request(
                call.ChangeConfiguration(key=key, value=value), f"ChangeConfiguration({key})"
            )
            got = r.status if r is not None else None
            res.check(got == want, f"ChangeConfiguration {key}={value} -> {want}", f"got {got}")

        self.step = "GetConfiguration MeterValueSampleInterval after change"
        r = await cp.request(
            call.GetConfiguration(key=["MeterValueSampleInterval"]), "GetConfiguration(MVSI)"
        )
        vals = [k.get("value") for k in (r.configuration_key or [])] if r is not None else None
        res.check(vals == ["5"], "MeterValueSampleInterval reads back 5", f"got {vals}")

    async def profile_tests(self, cp: CentralSystemSide):
        """One exchange each of Local Authorization List, Reservation, Remote Trigger and
        Smart Charging."""
        obs, res = self.obs, self.res

        self.step = "SendLocalList Full"
        entry = {"id_tag": "INTEROP-LIST", "id_tag_info": {"status": "Accepted"}}
        r = await cp.request(
            call.SendLocalList(
                list_version=1, update_type="Full", local_authorization_list=[entry]
            ),
            "SendLocalList",
        )
        res.check(r is not None and r.status == "Accepted", "SendLocalList Full -> Accepted",
                  f"got {getattr(r, 'status', None)}")
        r = await cp.request(call.GetLocalListVersion(), "GetLocalListVersion")
        res.check(r is not None and r.list_version == 1, "GetLocalListVersion -> 1",
                  f"got {getattr(r, 'list_version', None)}")

        self.step = "ReserveNow / CancelReservation"
        expiry = datetime.fromtimestamp(time.time() + 3600, tz=timezone.utc).isoformat()
        r = await cp.request(
            call.ReserveNow(connector_id=2, expiry_date=expiry, id_tag="INTEROP-RES",
                            reservation_id=7),
            "ReserveNow",
        )
        res.check(r is not None and r.status == "Accepted", "ReserveNow connector 2 -> Accepted",
                  f"got {getattr(r, 'status', None)}")
        ok = await wait_until(lambda: "Reserved" in obs.status_for(2), 5)
        res.check(ok, "connector 2 reported Reserved", f"statuses {obs.status_for(2)}")
        r = await cp.request(call.CancelReservation(reservation_id=7), "CancelReservation")
        res.check(r is not None and r.status == "Accepted", "CancelReservation -> Accepted",
                  f"got {getattr(r, 'status', None)}")
        ok = await wait_until(lambda: obs.status_for(2)[-1:] == ["Available"], 5)
        res.check(ok, "connector 2 Available again", f"statuses {obs.status_for(2)}")

        self.step = "TriggerMessage StatusNotification"
        before = len(obs.status_for(1))
        r = await cp.request(
            call.TriggerMessage(requested_message="StatusNotification", connector_id=1),
            "TriggerMessage",
        )
        res.check(r is not None and r.status == "Accepted", "TriggerMessage -> Accepted",
                  f"got {getattr(r, 'status', None)}")
        ok = await wait_until(lambda: len(obs.status_for(1)) > before, 5)
        res.check(ok, "triggered StatusNotification for connector 1 arrived")

        self.step = "ExtendedTriggerMessage StatusNotification"
        before = len(obs.status_for(2))
        r = await cp.request(
            call.ExtendedTriggerMessage(requested_message="StatusNotification", connector_id=2),
            "ExtendedTriggerMessage",
        )
        res.check(r is not None and r.status == "Accepted", "ExtendedTriggerMessage -> Accepted",
                  f"got {getattr(r, 'status', None)}")
        ok = await wait_until(lambda: len(obs.status_for(2)) > before, 5)
        res.check(ok, "extended-triggered StatusNotification for connector 2 arrived")

        self.step = "SetChargingProfile / GetCompositeSchedule / ClearChargingProfile"
        start = datetime.now(timezone.utc).isoformat()
        for profile_id, unit, limit in ((31, "A", 16.0), (32, "W", 8000.0)):
            profile = {
                "charging_profile_id": profile_id,
                "stack_level": profile_id - 31,
                "charging_profile_purpose": "TxDefaultProfile",
                "charging_profile_kind": "Absolute",
                "charging_schedule": {
                    "start_schedule": start,
                    "charging_rate_unit": unit,
                    "charging_schedule_period": [
                        {"start_period": 0, "limit": limit},
                        {"start_period": 600, "limit": limit / 2},
                    ],
                },
            }
            r = await cp.request(
                call.SetChargingProfile(connector_id=0, cs_charging_profiles=profile),
                f"SetChargingProfile TxDefaultProfile in {unit}",
            )
            res.check(r is not None and r.status == "Accepted",
                      f"SetChargingProfile TxDefaultProfile in {unit} -> Accepted",
                      f"got {getattr(r, 'status', None)}")
        r = await cp.request(
            call.GetCompositeSchedule(connector_id=1, duration=900, charging_rate_unit="A"),
            "GetCompositeSchedule",
        )
        res.check(r is not None and r.status == "Accepted"
                  and bool((r.charging_schedule or {}).get("charging_schedule_period")),
                  "GetCompositeSchedule -> Accepted with periods",
                  f"got {r}")
        r = await cp.request(
            call.ClearChargingProfile(charging_profile_purpose="TxDefaultProfile"),
            "ClearChargingProfile",
        )
        res.check(r is not None and r.status == "Accepted", "ClearChargingProfile -> Accepted",
                  f"got {getattr(r, 'status', None)}")

    async def transaction_test(self, cp: CentralSystemSide):
        obs, res, base = self.obs, self.res, self.args.control
        conn = 1

        self.step = "control API: GET /api/state"
        status, state = await control("GET", base, "/api/state")
        res.check(
            status == 200 and isinstance(state, dict) and state.get("connected") is True,
            "control API state: connected",
            f"HTTP {status} {state!r}",
        )

        self.step = "control API: plug"
        status, body = await control("POST", base, f"/api/connectors/{conn}/plug")
        res.check(200 <= status < 300, f"control API plug connector {conn}", f"HTTP {status} {body!r}")

        self.step = "control API: authorize"
        status, body = await control(
            "POST", base, f"/api/connectors/{conn}/authorize", {"idTag": ID_TAG}
        )
        res.check(200 <= status < 300, f"control API authorize {ID_TAG}", f"HTTP {status} {body!r}")

        self.step = "waiting for StartTransaction"
        ok = await wait_until(lambda: bool(obs.starts), 10)
        if not res.check(ok, "StartTransaction received"):
            return
        start = obs.starts[0]
        res.check(
            start.get("connector_id") == conn and start.get("id_tag") == ID_TAG,
            f"StartTransaction connector {conn}, idTag {ID_TAG}",
            f"got {start!r}",
        )
        res.check(
            any(a.get("id_tag") == ID_TAG for a in obs.authorizes),
            f"Authorize {ID_TAG} before the transaction",
            f"Authorize requests: {obs.authorizes!r}",
        )
        tx = start["transaction_id"]

        self.step = "waiting for Charging status"
        ok = await wait_until(lambda: ChargePointStatus.charging in obs.status_for(conn), 10)
        res.check(ok, f"connector {conn} Charging", f"statuses {obs.status_for(conn)}")

        self.step = "waiting for MeterValues of the transaction"
        ok = await wait_until(
            lambda: any(m.get("transaction_id") == tx for m in obs.meter_values), 12
        )
        res.check(
            ok,
            f"MeterValues with transactionId {tx}",
            f"got {len(obs.meter_values)} MeterValues: {obs.meter_values[:2]!r}",
        )
        if ok:
            mv = next(m for m in obs.meter_values if m.get("transaction_id") == tx)
            res.check(mv.get("connector_id") == conn, f"MeterValues on connector {conn}", f"got {mv!r}")

        status, state = await control("GET", base, "/api/state")
        c1 = next(
            (c for c in (state or {}).get("connectors", []) if c.get("id") == conn), None
        ) if isinstance(state, dict) else None
        res.check(
            c1 is not None and c1.get("transactionId") == tx and c1.get("idTag") == ID_TAG,
            f"control API state shows transaction {tx}",
            f"got {c1!r}",
        )

        self.step = "control API: stop"
        status, body = await control("POST", base, f"/api/connectors/{conn}/stop")
        res.check(200 <= status < 300, "control API stop", f"HTTP {status} {body!r}")

        self.step = "waiting for StopTransaction"
        ok = await wait_until(lambda: bool(obs.stops), 10)
        if res.check(ok, "StopTransaction received"):
            stop = obs.stops[0]
            res.check(
                stop.get("transaction_id") == tx
                and isinstance(stop.get("meter_stop"), int)
                and stop["meter_stop"] >= start.get("meter_start", 0),
                f"StopTransaction transactionId {tx}, meterStop >= meterStart",
                f"got {stop!r}, meterStart {start.get('meter_start')!r}",
            )
            res.check(
                stop.get("reason") in (None, "Local"),
                "StopTransaction reason Local (or absent)",
                f"got {stop.get('reason')!r}",
            )

        self.step = "control API: unplug"
        status, body = await control("POST", base, f"/api/connectors/{conn}/unplug")
        res.check(200 <= status < 300, "control API unplug", f"HTTP {status} {body!r}")
        self.step = "waiting for Available after unplug"
        ok = await wait_until(
            lambda: obs.status_for(conn)
            and obs.status_for(conn)[-1] == ChargePointStatus.available
            and len(obs.status_for(conn)) > 1,
            10,
        )
        res.check(ok, f"connector {conn} Available again", f"statuses {obs.status_for(conn)}")
        print(f"INFO connector {conn} statuses: {' -> '.join(obs.status_for(conn))}", flush=True)


async def main_async(args) -> int:
    obs, res = Observed(), Results()
    if args.ca_cert and args.ca_key:
        ca = load_ca(args.ca_cert, args.ca_key)
    else:
        ca = new_root("interop test CA")
    files = FileServer(firmware_image(FIRMWARE_VERSION))
    tester = Tester(args, obs, res, ca, files)
    server = await websockets.serve(
        tester.on_connect, "127.0.0.1", args.port, subprotocols=["ocpp1.6"]
    )
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)

    timed_out = False
    try:
        await asyncio.wait_for(tester.run(), args.timeout)
    except asyncio.TimeoutError:
        timed_out = True
    # Let in-flight frames settle before the summary.
    await asyncio.sleep(0.3)
    if timed_out:
        res.check(False, f"finished within {args.timeout:g} s", f"timed out while {tester.step}")

    want = tester.expected_connections
    res.check(
        len(obs.connections) == want,
        f"{want} WebSocket connection(s), the second after the firmware restart "
        f"({len(obs.connections)})",
    )
    res.check(
        all(c == obs.connections[0] for c in obs.connections),
        "every connection on the same path and subprotocol",
        f"{obs.connections}",
    )
    res.check(
        len(obs.boots) == len(obs.connections),
        f"exactly one BootNotification per connection ({len(obs.boots)})",
    )
    res.check(
        not obs.protocol_errors,
        "no schema validation errors or CALLERRORs in either direction "
        f"({obs.frames_in} frames in, {obs.frames_out} out)",
        "; ".join(obs.protocol_errors),
    )
    res.check(
        not obs.date_time_errors,
        "every date-time the station sent is RFC 3339",
        "; ".join(obs.date_time_errors),
    )

    server.close()
    try:
        await asyncio.wait_for(server.wait_closed(), 3)
    except asyncio.TimeoutError:
        pass
    files.close()

    passed = sum(1 for ok, _ in res.lines if ok)
    failed = len(res.lines) - passed
    for ok, text in res.lines:
        print(f"{'PASS' if ok else 'FAIL'} {text}")
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    p.add_argument("--heartbeat-interval", type=int, default=1, help="interval in BootNotification.conf, s")
    p.add_argument("--timeout", type=float, default=30, help="give up after this many seconds")
    p.add_argument("--control", help="the station's control API, e.g. http://127.0.0.1:8180")
    p.add_argument("--id", help="expected charge point id (the station connects to /ocpp/ID)")
    p.add_argument("--verbose", action="store_true", help="log every frame on stderr")
    p.add_argument("--ca-cert", help="CA certificate (PEM) that signs the station's CSR")
    p.add_argument("--ca-key", help="that CA's private key (PEM)")
    args = p.parse_args()
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if args.control and not args.control.startswith("http"):
        args.control = "http://" + args.control
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
