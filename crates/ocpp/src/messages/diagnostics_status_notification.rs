//! DiagnosticsStatusNotification: charge point reports diagnostics upload progress.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::DiagnosticsStatus;

/// `DiagnosticsStatusNotification.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiagnosticsStatusNotificationRequest {
    pub status: DiagnosticsStatus,
}

/// `DiagnosticsStatusNotification.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiagnosticsStatusNotificationResponse {}

impl_request!(DiagnosticsStatusNotificationRequest => DiagnosticsStatusNotificationResponse, DiagnosticsStatusNotification);
