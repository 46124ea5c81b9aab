//! UnlockConnector (section 5.18).

use crate::station::Station;
use chrono::{DateTime, Utc};
use ocpp::ErrorCode;

impl Station {
    pub(crate) fn on_unlock_connector(
        &mut self,
        unique_id: &str,
        _req: ocpp::UnlockConnectorRequest,
        _now: DateTime<Utc>,
    ) {
        self.reply_error(unique_id, ErrorCode::NotSupported, "not supported yet");
    }
}
