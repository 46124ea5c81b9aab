"""The fleet overview (`GET /` of `chargepoint fleet --control`) in a real Chromium: the
table of stations, its search, and each id's link to that station's own panel, which
works there as at `run --control` (live state, buttons, log)."""

from harness import Stack, expect, open_browser, run_tests, screenshot

COUNT = 3
PREFIX = "BT-"


def test_the_overview_lists_the_stations_and_links_to_each_panel():
    with Stack() as stack, open_browser() as browser:
        csms = stack.csms()
        fleet = stack.fleet(csms, COUNT, id_prefix=PREFIX)
        page = browser.new_page(viewport=(1100, 480))
        page.goto(fleet.url)
        table = page.get_by_role("table")
        for station in fleet.ids:
            expect(table.get_by_role("link", name=station)).to_be_visible()
        expect(table.get_by_role("row")).to_have_count(COUNT + 1)
        expect(table).to_contain_text("1: Available · 2: Available")
        screenshot(page, "fleet-overview")

        page.get_by_label("Search stations").fill("00002")
        expect(table.get_by_role("row")).to_have_count(2)
        expect(page.get_by_text(f"1 of {COUNT} stations match")).to_be_visible()

        table.get_by_role("link", name=f"{PREFIX}00002").click()
        expect(page).to_have_url(f"{fleet.url}api/stations/{PREFIX}00002/panel")
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"{PREFIX}00002")
        connector = page.get_by_role("region", name="Connector 1")
        expect(connector).to_contain_text("Available")
        # The station's buttons, log and configuration work under the fleet's prefix too.
        connector.get_by_role("button", name="Plug in").click()
        expect(connector.locator("[data-field=status]")).to_have_text("Preparing")
        connector.get_by_label("Id tag").fill("TAG-FLEET-1")
        connector.get_by_role("button", name="Present card").click()
        expect(connector.locator("[data-field=status]")).to_have_text("Charging")
        log = page.get_by_role("region", name="OCPP log")
        expect(log.locator("li", has_text="StatusNotification").first).to_be_visible()
        configuration = page.get_by_role("region", name="Configuration")
        expect(configuration).to_contain_text("HeartbeatInterval")
        screenshot(page, "fleet-station-panel")

        # Back to the overview, which shows the change.
        page.get_by_role("link", name="Fleet").click()
        expect(page).to_have_url(fleet.url)
        row = page.get_by_role("row", name=f"{PREFIX}00002")
        expect(row).to_contain_text("1: Charging")
        expect(row).to_contain_text("TAG-FLEET-1")
        screenshot(page, "fleet-overview-after", docs_name="fleet-overview")


if __name__ == "__main__":
    run_tests(globals())
