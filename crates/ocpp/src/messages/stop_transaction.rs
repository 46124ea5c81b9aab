//! StopTransaction: charge point reports a stopped transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{IdTagInfo, IdToken, MeterValue, Reason};

/// `StopTransaction.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StopTransactionRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_tag: Option<IdToken>,
    pub meter_stop: i32,
    #[serde(with = "crate::datetime")]
    pub timestamp: DateTime<Utc>,
    pub transaction_id: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_data: Option<Vec<MeterValue>>,
}

/// `StopTransaction.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StopTransactionResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_tag_info: Option<IdTagInfo>,
}

impl_request!(StopTransactionRequest => StopTransactionResponse, StopTransaction);
