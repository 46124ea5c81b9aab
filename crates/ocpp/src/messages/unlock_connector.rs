//! UnlockConnector: Central System asks to unlock a connector.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::UnlockStatus;

/// `UnlockConnector.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnlockConnectorRequest {
    pub connector_id: i32,
}

/// `UnlockConnector.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnlockConnectorResponse {
    pub status: UnlockStatus,
}

impl_request!(UnlockConnectorRequest => UnlockConnectorResponse, UnlockConnector);
