//! What the page receives: stations, connectors, frames and transactions as JSON, and the
//! changes the live feed sends.

use chrono::{DateTime, Utc};
use csms::TransactionInfo;
use serde::Serialize;
use serde_json::Value;

/// One frame as the page shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameView {
    /// Increases by one per frame, across stations: the page merges by it.
    pub seq: u64,
    pub station: String,
    pub at: DateTime<Utc>,
    /// `received` from the station or `sent` to it.
    pub dir: &'static str,
    /// `CALL`, `CALLRESULT`, `CALLERROR` or `invalid`.
    pub kind: &'static str,
    /// The action; for an answer, that of the CALL it answers (when known).
    pub action: Option<String>,
    pub unique_id: Option<String>,
    /// The frame as JSON (the AuthorizationKey redacted); the text for an invalid one.
    pub frame: Value,
}

/// The last StatusNotification of one connector (0: the station as a whole).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorView {
    pub connector_id: i64,
    pub status: String,
    pub error_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_error_code: Option<String>,
    /// When it was received here.
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StationView {
    pub id: String,
    pub connected: bool,
    /// The status of the last BootNotification answer.
    pub registration: Option<String>,
    pub security_profile: Option<u8>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub connectors: Vec<ConnectorView>,
    pub last_seen: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView {
    pub transaction_id: i32,
    pub station: String,
    pub connector_id: i32,
    pub id_tag: String,
    pub meter_start: i32,
    pub start_time: DateTime<Utc>,
    pub meter_stop: Option<i32>,
    pub stop_time: Option<DateTime<Utc>>,
    pub stop_reason: Option<String>,
}

impl From<TransactionInfo> for TransactionView {
    fn from(t: TransactionInfo) -> TransactionView {
        TransactionView {
            transaction_id: t.transaction_id,
            station: t.station,
            connector_id: t.connector_id,
            id_tag: t.id_tag,
            meter_start: t.meter_start,
            start_time: t.start_time,
            meter_stop: t.meter_stop,
            stop_time: t.stop_time,
            stop_reason: t.stop_reason.map(|r| r.as_str().to_owned()),
        }
    }
}

/// A change, as a page receives it (the server-sent event's name is `type`).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Update {
    Station { station: StationView },
    Frame { frame: FrameView },
    Transactions { transactions: Vec<TransactionView> },
}

impl Update {
    pub fn name(&self) -> &'static str {
        match self {
            Update::Station { .. } => "station",
            Update::Frame { .. } => "frame",
            Update::Transactions { .. } => "transactions",
        }
    }
}

/// Everything at once, for a page that (re)connects. Frames are fetched per station.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub stations: Vec<StationView>,
    pub transactions: Vec<TransactionView>,
}
