//! RemoteStopTransaction: Central System asks to stop a transaction.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::RemoteStartStopStatus;

/// `RemoteStopTransaction.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteStopTransactionRequest {
    pub transaction_id: i32,
}

/// `RemoteStopTransaction.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteStopTransactionResponse {
    pub status: RemoteStartStopStatus,
}

impl_request!(RemoteStopTransactionRequest => RemoteStopTransactionResponse, RemoteStopTransaction);
