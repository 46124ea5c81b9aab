//! GetDiagnostics: Central System asks for a diagnostics upload.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::CiString;

/// `GetDiagnostics.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetDiagnosticsRequest {
    /// URI to upload to (format `uri`: an absolute RFC 3986 URI).
    #[serde(deserialize_with = "crate::validate::uri")]
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<i32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::datetime::option"
    )]
    pub start_time: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::datetime::option"
    )]
    pub stop_time: Option<DateTime<Utc>>,
}

/// `GetDiagnostics.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetDiagnosticsResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<CiString<255>>,
}

impl_request!(GetDiagnosticsRequest => GetDiagnosticsResponse, GetDiagnostics);
