"""The station panel (`GET /` of `chargepoint run --control`) in a real Chromium: a whole
session driven by its buttons, seen live in its connector region and its OCPP log without a
reload; a fault; the log's filter and JSON; the configuration; phone and dark layouts."""

import re

from harness import Stack, expect, open_browser, run_tests, screenshot

STATION = "CP-BROWSER-01"
TAG = "TAG-BROWSER-1"


def log_entries(page, action):
    """The log's entries named `action` (a CALL and its answer each carry it)."""
    log = page.get_by_role("region", name="OCPP log")
    return log.locator("li").filter(has=page.locator(".action", has_text=re.compile(f"^{action}$")))


def test_a_session_from_the_panel_shows_live_in_the_connector_and_the_log():
    with Stack() as stack, open_browser() as browser:
        csms = stack.csms()
        station = stack.station(csms, STATION)
        page = browser.new_page()
        page.goto(station.url)
        expect(page.get_by_role("heading", level=1)).to_contain_text(STATION)
        connector = page.get_by_role("region", name="Connector 1")
        log = page.get_by_role("region", name="OCPP log")
        expect(connector).to_contain_text("Available")
        # The history from the start: the boot is in the log.
        expect(log).to_contain_text("BootNotification")
        # Anything that reloads the page would lose this.
        page.evaluate("window.notReloaded = true")

        # The keyboard works the buttons.
        connector.get_by_role("button", name="Plug in").focus()
        page.keyboard.press("Enter")
        expect(connector).to_contain_text("Preparing")

        connector.get_by_label("Id tag").fill(TAG)
        connector.get_by_role("button", name="Present card").click()
        expect(connector.locator("[data-field=status]")).to_have_text("Charging")
        expect(connector).to_contain_text(TAG)
        expect(log_entries(page, "StartTransaction").first).to_be_visible()
        # Power flows and the chart has something to draw.
        expect(connector.locator("[data-field=powerW]")).not_to_have_text(re.compile(r"^0\.0 kW$"))
        # A few seconds of the session on the chart, for the screenshot.
        page.wait_for_timeout(3000)
        screenshot(page, "station-panel-charging", docs_name="station-panel")

        connector.get_by_role("button", name="Stop").click()
        expect(log_entries(page, "StopTransaction").first).to_be_visible()
        expect(connector.locator("[data-field=status]")).to_have_text("Finishing")
        connector.get_by_role("button", name="Unplug").click()
        expect(connector.locator("[data-field=status]")).to_have_text("Available")
        assert page.evaluate("window.notReloaded") is True, "the page was reloaded"
        screenshot(page, "station-panel-stopped")


def test_a_fault_shows_with_its_error_code_and_clears():
    with Stack() as stack, open_browser() as browser:
        csms = stack.csms()
        station = stack.station(csms, STATION)
        page = browser.new_page()
        page.goto(station.url)
        connector = page.get_by_role("region", name="Connector 2")
        expect(connector).to_contain_text("Available")
        connector.get_by_label("Error code").select_option("HighTemperature")
        connector.get_by_role("button", name="Raise fault").click()
        expect(connector.locator("[data-field=status]")).to_have_text("Faulted")
        expect(connector.locator("[data-field=errorCode]")).to_have_text("HighTemperature")
        log = page.get_by_role("region", name="OCPP log")
        expect(log.locator("li", has_text="StatusNotification").last).to_be_visible()
        screenshot(page, "station-panel-fault")
        connector.get_by_role("button", name="Clear fault").click()
        expect(connector.locator("[data-field=status]")).to_have_text("Available")
        expect(connector.locator("[data-field=errorCode]")).to_have_text("NoError")


def test_the_log_filters_by_action_and_opens_a_frame_as_json():
    with Stack() as stack, open_browser() as browser:
        csms = stack.csms()
        station = stack.station(csms, STATION)
        page = browser.new_page()
        page.goto(station.url)
        log = page.get_by_role("region", name="OCPP log")
        expect(log).to_contain_text("StatusNotification")
        log.get_by_label("Action").select_option("BootNotification")
        visible = log.locator("li:visible")
        # The CALL and its answer.
        expect(visible).to_have_count(2)
        for text in visible.all_inner_texts():
            assert "BootNotification" in text, text
        visible.first.locator("summary").click()
        expect(visible.first.locator("pre")).to_contain_text('"chargePointVendor"')
        log.get_by_label("Action").select_option("")
        expect(log.locator("li:visible", has_text="StatusNotification").first).to_be_visible()


def test_the_configuration_keys_and_the_power_cut():
    with Stack() as stack, open_browser() as browser:
        csms = stack.csms()
        station = stack.station(csms, STATION)
        page = browser.new_page()
        page.goto(station.url)
        configuration = page.get_by_role("region", name="Configuration")
        row = configuration.get_by_role("row", name=re.compile("^HeartbeatInterval"))
        expect(row).to_contain_text("read-write")
        expect(configuration.get_by_role("row", name=re.compile("^AuthorizationKey"))).to_contain_text(
            "(write-only)"
        )
        csms_state = page.locator("#csms-state")
        expect(csms_state).to_have_text("connected")
        page.get_by_role("button", name="Cut power").click()
        expect(csms_state).to_have_text("not connected")
        page.get_by_role("button", name="Restore power").click()
        expect(csms_state).to_have_text("connected")


def test_the_panel_fits_a_phone_and_a_dark_theme():
    with Stack() as stack, open_browser() as browser:
        csms = stack.csms()
        station = stack.station(csms, STATION)
        page = browser.new_page(viewport=(390, 844), color_scheme="dark")
        page.goto(station.url)
        expect(page.get_by_role("region", name="Connector 1")).to_contain_text("Available")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow} px wider than a phone"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(15, 18, 22)", f"not the dark theme: {background}"
        screenshot(page, "station-panel-phone-dark")


if __name__ == "__main__":
    run_tests(globals())
