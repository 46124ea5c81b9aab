//! LogStatusNotification: charge point reports log upload progress (security extension).

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::UploadLogStatus;

/// `LogStatusNotification.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogStatusNotificationRequest {
    pub status: UploadLogStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i32>,
}

/// `LogStatusNotification.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogStatusNotificationResponse {}

impl_request!(LogStatusNotificationRequest => LogStatusNotificationResponse, LogStatusNotification);
