//! SendLocalList: Central System replaces or updates the local authorization list.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{AuthorizationData, UpdateStatus, UpdateType};

/// `SendLocalList.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendLocalListRequest {
    pub list_version: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_authorization_list: Option<Vec<AuthorizationData>>,
    pub update_type: UpdateType,
}

/// `SendLocalList.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendLocalListResponse {
    pub status: UpdateStatus,
}

impl_request!(SendLocalListRequest => SendLocalListResponse, SendLocalList);
