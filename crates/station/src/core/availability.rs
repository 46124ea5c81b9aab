//! ChangeAvailability (section 5.2).

use crate::station::Station;
use chrono::{DateTime, Utc};
use ocpp::ErrorCode;

impl Station {
    pub(crate) fn on_change_availability(
        &mut self,
        unique_id: &str,
        _req: ocpp::ChangeAvailabilityRequest,
        _now: DateTime<Utc>,
    ) {
        self.reply_error(unique_id, ErrorCode::NotSupported, "not supported yet");
    }
}
