//! The web panel (DESIGN.md "The web panel"): a station's page and a fleet's overview, plain
//! HTML, CSS and JavaScript embedded in the binary, so `cargo run` serves it with no build
//! step. Each page is one response (its style and script inlined), so it needs no asset
//! routes and works wherever its API is mounted; it reaches the API by relative URLs.

mod events;

use crate::runner::Commander;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;

const STYLE: &str = include_str!("assets/panel.css");
const STATION_HTML: &str = include_str!("assets/station.html");
const STATION_JS: &str = include_str!("assets/station.js");
const CHART_JS: &str = include_str!("assets/chart.js");
const LOG_JS: &str = include_str!("assets/log.js");
const FLEET_HTML: &str = include_str!("assets/fleet.html");
const FLEET_JS: &str = include_str!("assets/fleet.js");

/// The station's page and live feed, merged into its control API: `/` for `run --control`,
/// and `/api/panel` for where the API is mounted under a prefix (a fleet forwards
/// `/api/stations/{id}/panel` there, and the page's relative URLs then stay under it).
pub fn station_routes() -> Router<Commander> {
    Router::new()
        .route("/", get(|| async { station_page("api/") }))
        .route("/api/panel", get(|| async { station_page("") }))
        .route("/api/events", get(events::stream))
}

/// `GET /` of a fleet's control address: the table of its stations.
pub async fn fleet_page() -> impl IntoResponse {
    let page = FLEET_HTML
        .replace("{{STYLE}}", STYLE)
        .replace("{{SCRIPT}}", FLEET_JS);
    page_response(page)
}

/// The station page, its API at `api` relative to the page.
fn station_page(api: &str) -> impl IntoResponse {
    let script = [CHART_JS, LOG_JS, STATION_JS].join("\n");
    let page = STATION_HTML
        .replace("{{STYLE}}", STYLE)
        .replace("{{SCRIPT}}", &script)
        .replace("{{API}}", api)
        .replace("{{ERROR_CODES}}", &hal::CHARGE_POINT_ERROR_CODES.join(","));
    page_response(page)
}

/// A new binary may serve a new page: browsers check before reusing theirs.
fn page_response(page: String) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-cache")], Html(page))
}
