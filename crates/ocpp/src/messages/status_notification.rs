//! StatusNotification: charge point reports a connector status change or error.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{ChargePointErrorCode, ChargePointStatus, CiString};

/// `StatusNotification.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusNotificationRequest {
    pub connector_id: i32,
    pub error_code: ChargePointErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<CiString<50>>,
    pub status: ChargePointStatus,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::datetime::option"
    )]
    pub timestamp: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<CiString<255>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_error_code: Option<CiString<50>>,
}

/// `StatusNotification.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusNotificationResponse {}

impl_request!(StatusNotificationRequest => StatusNotificationResponse, StatusNotification);
