"""The Central System panel (`chargepoint csms --http ADDR`) in a real Chromium: a station
connects and shows with its connectors' status; a RemoteStartTransaction and a
GetConfiguration sent from the form built from the official schemas get their answers; an
invalid request is refused in the page before anything is sent; the frames arrive live and
open as JSON; without schemas the page falls back to a JSON editor checked by the server;
phone and dark layouts."""

import json
import os
import re
from pathlib import Path

import ocpp

from harness import Stack, expect, http_json, open_browser, run_tests, screenshot

STATION = "CP-PANEL-01"
TAG = "TAG-PANEL-1"
# The official schemas, from the Python `ocpp` package this test runs with (the repository
# does not ship them).
SCHEMAS = os.environ.get("OCPP_SCHEMA_DIR") or str(Path(ocpp.__file__).parent / "v16" / "schemas")


def frames_of(csms, station, action):
    """The frames of `action` the Central System exchanged with `station`, as its API says."""
    frames = http_json(f"{csms.url}api/stations/{station}/frames")["frames"]
    return [f for f in frames if f.get("action") == action]


def log_entries(page, action):
    log = page.get_by_role("region", name="OCPP log")
    return log.locator("li").filter(has=page.locator("strong", has_text=re.compile(f"^{action}$")))


def choose(page, action):
    page.get_by_label("Action", exact=True).select_option(action)


def test_requests_from_the_form_reach_the_station_and_show_their_answers():
    with Stack() as stack, open_browser() as browser:
        csms = stack.csms(http=True, args=["--schemas", SCHEMAS])
        station = stack.station(csms, STATION)
        page = browser.new_page()
        page.goto(csms.url)
        stations = page.get_by_role("table", name="Stations")
        expect(stations).to_contain_text(STATION)
        expect(stations).to_contain_text("Connected")
        expect(stations).to_contain_text("Connector 1: Available")
        expect(page.get_by_label("Station", exact=True)).to_have_value(STATION)
        page.evaluate("window.notReloaded = true")

        # Refused in the page: no idTag, a connectorId that is no integer.
        choose(page, "RemoteStartTransaction")
        page.get_by_label("connectorId", exact=True).fill("abc")
        page.get_by_role("button", name="Send").click()
        errors = page.get_by_role("alert")
        expect(errors).to_contain_text("idTag")
        expect(errors).to_contain_text("connectorId")
        expect(page.get_by_label("connectorId", exact=True)).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("connectorId", exact=True)).to_be_focused()
        answer = page.get_by_role("region", name="Answer")
        expect(answer).to_contain_text("Not sent")
        assert frames_of(csms, STATION, "RemoteStartTransaction") == [], "an invalid request went out"

        # Fixed, it goes out and the station accepts it.
        page.get_by_label("idTag", exact=True).fill(TAG)
        page.get_by_label("connectorId", exact=True).fill("1")
        page.get_by_role("button", name="Send").click()
        expect(answer).to_contain_text("CALLRESULT")
        expect(answer).to_contain_text('"status": "Accepted"')
        # The errors are gone with the request that fixed them.
        expect(page.get_by_role("alert")).to_have_count(0)
        expect(log_entries(page, "RemoteStartTransaction")).to_have_count(2)

        # The EV arrives: the transaction and the new status show without a reload.
        http_json(station.api + "connectors/1/plug", {})
        expect(stations).to_contain_text("Connector 1: Charging", timeout=30_000)
        transactions = page.get_by_role("table", name="Transactions")
        expect(transactions).to_contain_text(TAG)
        expect(stations).to_contain_text(TAG)

        # GetConfiguration with one key, sent from the keyboard.
        choose(page, "GetConfiguration")
        page.get_by_role("button", name="Add key item").click()
        expect(page.get_by_label("key[0]", exact=True)).to_be_focused()
        page.keyboard.type("HeartbeatInterval")
        page.keyboard.press("Enter")
        expect(answer).to_contain_text("CALLRESULT")
        expect(answer).to_contain_text('"key": "HeartbeatInterval"')
        expect(answer).to_contain_text('"configurationKey"')

        # A frame opens as JSON.
        call = log_entries(page, "GetConfiguration").first
        call.locator("summary").click()
        expect(call.locator("pre")).to_contain_text('"HeartbeatInterval"')
        assert page.evaluate("window.notReloaded") is True, "the page was reloaded"
        screenshot(page, "csms-panel", docs_name="csms-panel")

        # The Central System's own log: each frame one line of JSON, no Rust debug structs.
        text = csms.log_path.read_text()
        assert "Request {" not in text and "\x1b[" not in text, text[-2000:]
        frames = [json.loads(line.split(" ocpp: ", 1)[1]) for line in text.splitlines() if " ocpp: " in line]
        assert all(f["station"] == STATION and f["dir"] in ("<-", "->") for f in frames), frames
        calls = [f["frame"][2] for f in frames if f["dir"] == "->" and f["frame"][0] == 2]
        assert calls == ["RemoteStartTransaction", "GetConfiguration"], calls


def test_a_nested_request_is_checked_field_by_field():
    with Stack() as stack, open_browser() as browser:
        csms = stack.csms(http=True, args=["--schemas", SCHEMAS])
        stack.station(csms, STATION)
        page = browser.new_page()
        page.goto(csms.url)
        expect(page.get_by_label("Station", exact=True)).to_have_value(STATION)
        choose(page, "SetChargingProfile")
        page.get_by_label("connectorId", exact=True).fill("1")
        page.get_by_label("chargingProfileId", exact=True).fill("7")
        page.get_by_label("stackLevel", exact=True).fill("0")
        page.get_by_label("chargingProfilePurpose", exact=True).select_option("TxDefaultProfile")
        page.get_by_label("chargingProfileKind", exact=True).select_option("Relative")
        page.get_by_label("chargingRateUnit", exact=True).select_option("W")
        page.get_by_role("button", name="Add chargingSchedulePeriod item").click()
        page.get_by_label("startPeriod", exact=True).fill("0")
        # Not a multiple of 0.1, as the schema wants.
        page.get_by_label("limit", exact=True).fill("11000.25")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit"
        )
        assert frames_of(csms, STATION, "SetChargingProfile") == []
        page.get_by_label("limit", exact=True).fill("11000")
        page.get_by_role("button", name="Send").click()
        answer = page.get_by_role("region", name="Answer")
        expect(answer).to_contain_text("CALLRESULT")
        expect(answer).to_contain_text('"status": "Accepted"')
        sent = frames_of(csms, STATION, "SetChargingProfile")[0]["frame"][3]
        assert sent["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 11000}
        ], sent


def test_every_central_system_request_has_its_form():
    with Stack() as stack, open_browser() as browser:
        csms = stack.csms(http=True, args=["--schemas", SCHEMAS])
        page = browser.new_page()
        page.goto(csms.url)
        actions = [a for g in http_json(csms.url + "api/actions")["groups"] for a in g["actions"]]
        assert len(actions) == 26, actions
        for action in actions:
            choose(page, action)
            schema = http_json(f"{csms.url}api/schemas/{action}")
            fields = page.locator("#fields")
            for name in schema.get("required", []):
                kind = schema["properties"][name].get("type")
                if kind in ("object", "array"):
                    expect(fields.locator("legend", has_text=re.compile(f"^{name}"))).to_be_visible()
                else:
                    expect(fields.get_by_label(name, exact=True)).to_be_visible()
            # An empty form of a request with required fields is refused in the page.
            page.get_by_role("button", name="Send").click()
            if schema.get("required"):
                expect(page.get_by_role("alert")).to_contain_text(schema["required"][0])
            else:
                # Nothing required, but no station chosen either.
                expect(page.get_by_role("alert")).to_contain_text("station")


def test_without_schemas_a_json_editor_is_checked_by_the_server():
    with Stack() as stack, open_browser() as browser:
        csms = stack.csms(http=True, args=["--schemas", "/nonexistent/schemas"])
        stack.station(csms, STATION)
        page = browser.new_page()
        page.goto(csms.url)
        expect(page.get_by_text("No official JSON schemas were found")).to_be_visible()
        expect(page.get_by_label("Station", exact=True)).to_have_value(STATION)
        choose(page, "RemoteStartTransaction")
        editor = page.get_by_label("Payload (JSON)")
        editor.fill("{not json")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("alert")).to_contain_text("is not JSON")
        editor.fill('{"connectorId": 1}')
        page.get_by_role("button", name="Send").click()
        answer = page.get_by_role("region", name="Answer")
        expect(answer).to_contain_text("refused")
        expect(answer).to_contain_text("idTag")
        assert frames_of(csms, STATION, "RemoteStartTransaction") == []
        # The 400 is the answer this step expects; Chromium reports it on the console.
        browser.errors[:] = [e for e in browser.errors if "400 (Bad Request)" not in e]
        editor.fill(f'{{"connectorId": 1, "idTag": "{TAG}"}}')
        page.get_by_role("button", name="Send").click()
        expect(answer).to_contain_text('"status": "Accepted"')


def test_the_panel_fits_a_phone_and_a_dark_theme():
    with Stack() as stack, open_browser() as browser:
        csms = stack.csms(http=True, args=["--schemas", SCHEMAS])
        stack.station(csms, STATION)
        page = browser.new_page(viewport=(390, 844), color_scheme="dark")
        page.goto(csms.url)
        expect(page.get_by_role("table", name="Stations")).to_contain_text(STATION)
        expect(page.get_by_role("region", name="OCPP log")).to_contain_text("BootNotification")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow} px wider than a phone"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(15, 18, 22)", f"not the dark theme: {background}"
        screenshot(page, "csms-panel-phone-dark")


if __name__ == "__main__":
    run_tests(globals())
