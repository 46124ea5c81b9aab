//! Records kept by the store.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A message to the Central System that must survive power loss (transaction messages),
/// delivered in FIFO order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedMessage {
    /// The OCPP action, e.g. "StartTransaction".
    pub action: String,
    pub payload: serde_json::Value,
    /// The station-local transaction this belongs to (its transactionId is patched in at send
    /// time).
    pub local_tx: Option<i64>,
    /// How many times it was sent without a response.
    pub attempts: u32,
}

/// A charging session as the station knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionRecord {
    /// Assigned by the store on tx_begin.
    pub local_id: i64,
    pub connector: u32,
    pub id_tag: String,
    pub parent_id_tag: Option<String>,
    pub reservation_id: Option<i32>,
    /// From StartTransaction.conf; None until then.
    pub transaction_id: Option<i32>,
    pub meter_start_wh: i64,
    pub started_at: DateTime<Utc>,
    pub meter_stop_wh: Option<i64>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub stop_reason: Option<String>,
    pub stop_id_tag: Option<String>,
    /// The last meter sample taken during the transaction (Wh) and when: after a power loss
    /// it is the best meterStop there is.
    pub last_meter_wh: Option<i64>,
    pub last_meter_at: Option<DateTime<Utc>>,
}

impl TransactionRecord {
    /// A new, not yet stopped transaction (local_id 0 until the store assigns one).
    pub fn new(
        connector: u32,
        id_tag: &str,
        meter_start_wh: i64,
        started_at: DateTime<Utc>,
    ) -> Self {
        TransactionRecord {
            local_id: 0,
            connector,
            id_tag: id_tag.to_string(),
            parent_id_tag: None,
            reservation_id: None,
            transaction_id: None,
            meter_start_wh,
            started_at,
            meter_stop_wh: None,
            stopped_at: None,
            stop_reason: None,
            stop_id_tag: None,
            last_meter_wh: None,
            last_meter_at: None,
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped_at.is_some()
    }
}

impl QueuedMessage {
    /// A message not yet sent.
    pub fn new(action: &str, payload: serde_json::Value, local_tx: Option<i64>) -> Self {
        QueuedMessage {
            action: action.to_string(),
            payload,
            local_tx,
            attempts: 0,
        }
    }
}
