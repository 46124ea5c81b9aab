//! ExtendedTriggerMessage: TriggerMessage with security extension messages.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{ExtendedTriggerMessageStatus, MessageTriggerExtended};

/// `ExtendedTriggerMessage.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtendedTriggerMessageRequest {
    pub requested_message: MessageTriggerExtended,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<i32>,
}

/// `ExtendedTriggerMessage.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtendedTriggerMessageResponse {
    pub status: ExtendedTriggerMessageStatus,
}

impl_request!(ExtendedTriggerMessageRequest => ExtendedTriggerMessageResponse, ExtendedTriggerMessage);
