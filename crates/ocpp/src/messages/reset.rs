//! Reset: Central System asks for a soft or hard reset.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{ResetStatus, ResetType};

/// `Reset.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetRequest {
    pub r#type: ResetType,
}

/// `Reset.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetResponse {
    pub status: ResetStatus,
}

impl_request!(ResetRequest => ResetResponse, Reset);
