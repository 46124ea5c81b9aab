//! The panel's JSON API: what the page reads (state, frames, the requests and their
//! schemas) and the one thing it does, send a request to a station and give its answer.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use csms::{CentralSystem, CsmsError};
use serde::Deserialize;
use serde_json::{json, Value};

use super::check::{self, RequestCheck};
use super::model::Model;

#[derive(Clone)]
pub struct PanelState {
    pub csms: CentralSystem,
    pub model: Arc<Model>,
    pub check: Arc<RequestCheck>,
}

pub struct ApiError(StatusCode, Value);

impl ApiError {
    fn new(code: StatusCode, error: impl Into<String>) -> ApiError {
        ApiError(code, json!({ "error": error.into() }))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

pub async fn state(State(s): State<PanelState>) -> Json<super::views::Snapshot> {
    Json(s.model.snapshot())
}

/// The requests the page offers, grouped as the specifications are, and how they are
/// checked (`schemas: false`: the page shows a JSON editor instead of a form).
pub async fn actions(State(s): State<PanelState>) -> Json<Value> {
    let names = |actions: &[ocpp::Action]| actions.iter().map(|a| a.as_str()).collect::<Vec<_>>();
    Json(json!({
        "schemas": matches!(*s.check, RequestCheck::Schemas(_)),
        "source": s.check.source(),
        "groups": [
            { "name": "OCPP 1.6", "actions": names(&check::CORE_ACTIONS) },
            { "name": "Security extension", "actions": names(&check::SECURITY_ACTIONS) },
        ],
    }))
}

/// The official request schema of an action, `$ref`s inlined.
pub async fn schema(
    State(s): State<PanelState>,
    Path(action): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let Some(action) = check::sendable(&action) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{action:?} is not a request the Central System sends"),
        ));
    };
    match s.check.schema(action) {
        Some(schema) => Ok(Json(schema.clone())),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, s.check.source())),
    }
}

pub async fn frames(
    State(s): State<PanelState>,
    Path(station): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match s.model.frames(&station) {
        Some(frames) => Ok(Json(json!({ "frames": frames }))),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no station {station:?} seen"),
        )),
    }
}

#[derive(Deserialize)]
pub struct CallBody {
    action: String,
    payload: Value,
}

/// POST /api/stations/{id}/call `{"action": "Reset", "payload": {"type": "Soft"}}`: checked
/// first (400 naming the field, nothing sent), then sent; the answer as
/// `{"kind": "CALLRESULT", "payload": ...}` or `{"kind": "CALLERROR", "errorCode": ...}`.
pub async fn call(
    State(s): State<PanelState>,
    Path(station): Path<String>,
    body: Result<Json<CallBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("bad request body: {}", e.body_text()),
        )
    })?;
    let Some(action) = check::sendable(&body.action) else {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            json!({
                "field": "action",
                "error": format!("action: {:?} is not a request the Central System sends", body.action),
            }),
        ));
    };
    if let Err(refusal) = s.check.check(action, &body.payload) {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            serde_json::to_value(refusal).unwrap_or_default(),
        ));
    }
    match s
        .csms
        .call_raw(&station, action.as_str(), body.payload)
        .await
    {
        Ok(payload) => Ok(Json(json!({ "kind": "CALLRESULT", "payload": payload }))),
        Err(CsmsError::CallError(e)) => Ok(Json(json!({
            "kind": "CALLERROR",
            "uniqueId": e.unique_id,
            "errorCode": e.error_code.as_str(),
            "errorDescription": e.error_description,
            "errorDetails": e.error_details,
        }))),
        Err(e @ CsmsError::NotConnected(_)) => {
            Err(ApiError::new(StatusCode::CONFLICT, e.to_string()))
        }
        Err(e @ CsmsError::Timeout) => {
            Err(ApiError::new(StatusCode::GATEWAY_TIMEOUT, e.to_string()))
        }
        Err(e) => Err(ApiError::new(StatusCode::BAD_GATEWAY, e.to_string())),
    }
}
