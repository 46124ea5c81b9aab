//! GetLog: Central System asks for a diagnostics or security log upload (security extension).

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{CiString, LogParameters, LogStatus, LogType};

/// `GetLog.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetLogRequest {
    pub log: LogParameters,
    pub log_type: LogType,
    pub request_id: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<i32>,
}

/// `GetLog.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetLogResponse {
    pub status: LogStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<CiString<255>>,
}

impl_request!(GetLogRequest => GetLogResponse, GetLog);
