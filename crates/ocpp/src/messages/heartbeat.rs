//! Heartbeat: charge point keeps the connection alive and syncs its clock.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::request::impl_request;

/// `Heartbeat.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeartbeatRequest {}

/// `Heartbeat.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeartbeatResponse {
    #[serde(with = "crate::datetime")]
    pub current_time: DateTime<Utc>,
}

impl_request!(HeartbeatRequest => HeartbeatResponse, Heartbeat);
