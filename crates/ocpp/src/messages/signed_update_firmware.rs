//! SignedUpdateFirmware: Central System asks for a signed firmware update (security extension).

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{Firmware, UpdateFirmwareStatus};

/// `SignedUpdateFirmware.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedUpdateFirmwareRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<i32>,
    pub request_id: i32,
    pub firmware: Firmware,
}

/// `SignedUpdateFirmware.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedUpdateFirmwareResponse {
    pub status: UpdateFirmwareStatus,
}

impl_request!(SignedUpdateFirmwareRequest => SignedUpdateFirmwareResponse, SignedUpdateFirmware);
