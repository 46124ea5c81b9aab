//! The simulator's control API (HTTP + JSON), exactly the paths of DESIGN.md: what tests and
//! tools use to act as the person at the station; and the web panel on top of it.

use crate::runner::{Commander, ConnectorState, Operation};
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpListener;

pub fn router(commander: Commander) -> Router {
    Router::new()
        .route("/api/state", get(state))
        .route("/api/connectors/{id}/plug", post(plug))
        .route("/api/connectors/{id}/unplug", post(unplug))
        .route("/api/connectors/{id}/stop", post(stop))
        .route("/api/connectors/{id}/authorize", post(authorize))
        .route("/api/connectors/{id}/ev", post(ev))
        .route("/api/connectors/{id}/fault", post(fault))
        .route("/api/power", post(power))
        .route("/api/configuration", get(configuration))
        .merge(crate::panel::station_routes())
        .with_state(commander)
}

/// Serve the control API until the task is dropped.
pub async fn serve(listener: TcpListener, commander: Commander) -> std::io::Result<()> {
    axum::serve(listener, router(commander)).await
}

struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> ApiError {
        ApiError(StatusCode::BAD_REQUEST, format!("bad connector id: {e}"))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> ApiError {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("bad request body: {}", e.body_text()),
        )
    }
}

type Answer = Result<Json<ConnectorState>, ApiError>;

async fn state(State(c): State<Commander>) -> Json<crate::runner::StationState> {
    Json(c.state())
}

/// Every configuration key with its value, read only: `[{"key", "readonly", "value"}]`
/// as GetConfiguration reports them (write-only keys with a null value).
async fn configuration(State(c): State<Commander>) -> Json<Vec<ocpp::KeyValue>> {
    Json(c.configuration().await)
}

async fn act(c: &Commander, id: u32, op: Operation) -> Answer {
    if id == 0 || id as usize > c.state().connectors.len() {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("unknown connector {id}"),
        ));
    }
    c.operate(id, op)
        .await
        .map(Json)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))
}

async fn plug(State(c): State<Commander>, id: Result<Path<u32>, PathRejection>) -> Answer {
    act(&c, id?.0, Operation::Plug).await
}

async fn unplug(State(c): State<Commander>, id: Result<Path<u32>, PathRejection>) -> Answer {
    act(&c, id?.0, Operation::Unplug).await
}

async fn stop(State(c): State<Commander>, id: Result<Path<u32>, PathRejection>) -> Answer {
    act(&c, id?.0, Operation::Stop).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuthorizeBody {
    id_tag: String,
}

async fn authorize(
    State(c): State<Commander>,
    id: Result<Path<u32>, PathRejection>,
    body: Result<Json<AuthorizeBody>, JsonRejection>,
) -> Answer {
    let id = id?.0;
    let id_tag = body?.0.id_tag;
    if id_tag.is_empty() || id_tag.len() > 20 {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "idTag must be 1 to 20 characters".into(),
        ));
    }
    act(&c, id, Operation::Authorize { id_tag }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvBody {
    suspend: bool,
}

async fn ev(
    State(c): State<Commander>,
    id: Result<Path<u32>, PathRejection>,
    body: Result<Json<EvBody>, JsonRejection>,
) -> Answer {
    let id = id?.0;
    act(&c, id, Operation::EvSuspend(body?.0.suspend)).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FaultBody {
    error_code: String,
    active: bool,
}

async fn fault(
    State(c): State<Commander>,
    id: Result<Path<u32>, PathRejection>,
    body: Result<Json<FaultBody>, JsonRejection>,
) -> Answer {
    let id = id?.0;
    let FaultBody { error_code, active } = body?.0;
    act(&c, id, Operation::Fault { error_code, active }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PowerBody {
    on: bool,
}

/// A power cut (`{"on": false}`) and its return (`{"on": true}`): see `Commander::power`.
async fn power(
    State(c): State<Commander>,
    body: Result<Json<PowerBody>, JsonRejection>,
) -> Result<Json<crate::runner::StationState>, ApiError> {
    let on = body?.0.on;
    c.power(on)
        .await
        .map(Json)
        .map_err(|e| ApiError(StatusCode::SERVICE_UNAVAILABLE, e))
}
