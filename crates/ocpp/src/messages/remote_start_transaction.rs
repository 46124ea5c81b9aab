//! RemoteStartTransaction: Central System asks to start a transaction.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{ChargingProfile, IdToken, RemoteStartStopStatus};

/// `RemoteStartTransaction.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteStartTransactionRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<i32>,
    pub id_tag: IdToken,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charging_profile: Option<ChargingProfile>,
}

/// `RemoteStartTransaction.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteStartTransactionResponse {
    pub status: RemoteStartStopStatus,
}

impl_request!(RemoteStartTransactionRequest => RemoteStartTransactionResponse, RemoteStartTransaction);
