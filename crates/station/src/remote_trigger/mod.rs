//! The Remote Trigger profile: TriggerMessage (section 5.17).

use crate::station::Station;
use chrono::{DateTime, Utc};
use ocpp::ErrorCode;

impl Station {
    pub(crate) fn on_trigger_message(
        &mut self,
        unique_id: &str,
        _req: ocpp::TriggerMessageRequest,
        _now: DateTime<Utc>,
    ) {
        self.reply_error(unique_id, ErrorCode::NotSupported, "not supported yet");
    }
}
