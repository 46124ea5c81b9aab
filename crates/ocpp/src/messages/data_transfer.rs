//! DataTransfer: vendor-specific data, sent by either side.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{CiString, DataTransferStatus};

/// `DataTransfer.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataTransferRequest {
    pub vendor_id: CiString<255>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<CiString<50>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// `DataTransfer.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataTransferResponse {
    pub status: DataTransferStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

impl_request!(DataTransferRequest => DataTransferResponse, DataTransfer);
