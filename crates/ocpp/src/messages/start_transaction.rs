//! StartTransaction: charge point reports a started transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{IdTagInfo, IdToken};

/// `StartTransaction.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartTransactionRequest {
    pub connector_id: i32,
    pub id_tag: IdToken,
    pub meter_start: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<i32>,
    #[serde(with = "crate::datetime")]
    pub timestamp: DateTime<Utc>,
}

/// `StartTransaction.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartTransactionResponse {
    pub id_tag_info: IdTagInfo,
    pub transaction_id: i32,
}

impl_request!(StartTransactionRequest => StartTransactionResponse, StartTransaction);
