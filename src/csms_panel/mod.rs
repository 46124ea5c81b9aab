//! The Central System panel (`chargepoint csms --http ADDR`, and the demo): a page that
//! lists the connected stations with their last status per connector and their
//! transactions, shows their OCPP frames live, and sends any Central-System-initiated
//! request of OCPP 1.6 and its security extension to a station from a form built from the
//! request's official JSON schema, checked in the browser and again here before it goes
//! out.

mod api;
mod assets;
pub mod check;
mod live;
pub mod model;
pub mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use csms::CentralSystem;
use tokio::net::TcpListener;

pub use check::RequestCheck;

/// The panel's routes for `csms`, checking requests with `check`.
pub fn router(csms: CentralSystem, check: RequestCheck) -> Router {
    let state = api::PanelState {
        model: model::Model::follow(csms.clone()),
        csms,
        check: Arc::new(check),
    };
    Router::new()
        .route("/", get(assets::index))
        .route("/assets/panel.css", get(assets::css))
        .route("/assets/panel.js", get(assets::js))
        .route("/assets/schema_form.js", get(assets::form_js))
        .route("/api/state", get(api::state))
        .route("/api/events", get(live::events))
        .route("/api/actions", get(api::actions))
        .route("/api/schemas/{action}", get(api::schema))
        .route("/api/stations/{id}/frames", get(api::frames))
        .route("/api/stations/{id}/call", post(api::call))
        .with_state(state)
}

/// Listen on `addr` and serve the panel in the background; the address it got (port 0
/// picks a free one).
pub async fn start(
    addr: SocketAddr,
    csms: CentralSystem,
    check: RequestCheck,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = router(csms, check);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("Central System panel stopped: {e}");
        }
    });
    Ok(local)
}
