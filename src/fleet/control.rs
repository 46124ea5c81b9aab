//! The fleet's control API (DESIGN.md "Fleet"): `GET /api/stations` lists the stations, and
//! each station's own control API answers under `/api/stations/{id}/...`, same paths and
//! shapes as a single station's. `GET /api/fleet` sums them up (the status line). `GET /`
//! is the web panel's table of the stations; each station's page is its own API's
//! `/api/panel`, here `/api/stations/{id}/panel`.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::json;
use tower::ServiceExt;

use super::FleetView;

pub fn router(view: FleetView) -> Router {
    Router::new()
        .route("/", get(crate::panel::fleet_page))
        .route("/api/stations", get(list))
        .route("/api/fleet", get(summary))
        .route("/api/stations/{id}/{*rest}", any(station))
        .with_state(view)
}

async fn list(State(view): State<FleetView>) -> Json<Vec<crate::runner::StationState>> {
    Json(view.stations().map(|(_, c)| c.state()).collect())
}

/// What the status line shows, for tools: station counts, and the Central System's
/// answers and CALLERRORs so far.
async fn summary(State(view): State<FleetView>) -> Json<super::status::Summary> {
    Json(super::status::Summary::of(&view))
}

/// `/api/stations/{id}/api/...` is not how it reads: the single-station path after the id
/// drops its `/api` (`/api/stations/CP00001/connectors/1/plug` is CP00001's
/// `/api/connectors/1/plug`).
async fn station(
    State(view): State<FleetView>,
    Path((id, rest)): Path<(String, String)>,
    request: Request<Body>,
) -> Response {
    let Some(commander) = view.station(&id) else {
        let error = json!({ "error": format!("no station {id:?} in this fleet") });
        return (StatusCode::NOT_FOUND, Json(error)).into_response();
    };
    let (mut parts, body) = request.into_parts();
    // The station's own router matches its own path: none of this one's parameters.
    parts.extensions = Default::default();
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    parts.uri = match format!("/api/{rest}{query}").parse::<Uri>() {
        Ok(uri) => uri,
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    };
    let single = crate::control::router(commander.clone());
    match single.oneshot(Request::from_parts(parts, body)).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
