//! TriggerMessage: Central System asks the charge point to send a message now.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{MessageTrigger, TriggerMessageStatus};

/// `TriggerMessage.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TriggerMessageRequest {
    pub requested_message: MessageTrigger,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<i32>,
}

/// `TriggerMessage.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TriggerMessageResponse {
    pub status: TriggerMessageStatus,
}

impl_request!(TriggerMessageRequest => TriggerMessageResponse, TriggerMessage);
