//! SignedFirmwareStatusNotification: charge point reports signed firmware update progress (security extension).

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::SignedFirmwareStatus;

/// `SignedFirmwareStatusNotification.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedFirmwareStatusNotificationRequest {
    pub status: SignedFirmwareStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i32>,
}

/// `SignedFirmwareStatusNotification.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedFirmwareStatusNotificationResponse {}

impl_request!(SignedFirmwareStatusNotificationRequest => SignedFirmwareStatusNotificationResponse, SignedFirmwareStatusNotification);
