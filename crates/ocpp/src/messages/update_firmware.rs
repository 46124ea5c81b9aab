//! UpdateFirmware: Central System asks for a firmware download and install.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::request::impl_request;

/// `UpdateFirmware.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateFirmwareRequest {
    /// URI to download from (format `uri`: an absolute RFC 3986 URI).
    #[serde(deserialize_with = "crate::validate::uri")]
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i32>,
    #[serde(with = "crate::datetime")]
    pub retrieve_date: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<i32>,
}

/// `UpdateFirmware.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateFirmwareResponse {}

impl_request!(UpdateFirmwareRequest => UpdateFirmwareResponse, UpdateFirmware);
