//! FirmwareStatusNotification: charge point reports firmware update progress.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::FirmwareStatus;

/// `FirmwareStatusNotification.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FirmwareStatusNotificationRequest {
    pub status: FirmwareStatus,
}

/// `FirmwareStatusNotification.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FirmwareStatusNotificationResponse {}

impl_request!(FirmwareStatusNotificationRequest => FirmwareStatusNotificationResponse, FirmwareStatusNotification);
