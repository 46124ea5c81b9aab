//! SecurityEventNotification: charge point reports a security event (security extension).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::CiString;

/// `SecurityEventNotification.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecurityEventNotificationRequest {
    pub r#type: CiString<50>,
    #[serde(with = "crate::datetime")]
    pub timestamp: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tech_info: Option<CiString<255>>,
}

/// `SecurityEventNotification.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecurityEventNotificationResponse {}

impl_request!(SecurityEventNotificationRequest => SecurityEventNotificationResponse, SecurityEventNotification);
