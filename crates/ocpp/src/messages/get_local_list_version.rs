//! GetLocalListVersion: Central System asks for the local authorization list version.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;

/// `GetLocalListVersion.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetLocalListVersionRequest {}

/// `GetLocalListVersion.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetLocalListVersionResponse {
    pub list_version: i32,
}

impl_request!(GetLocalListVersionRequest => GetLocalListVersionResponse, GetLocalListVersion);
