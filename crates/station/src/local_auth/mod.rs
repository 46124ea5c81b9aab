//! The Local Authorization List Management profile: SendLocalList and GetLocalListVersion
//! (sections 3.5, 5.10, 5.15).

use crate::station::Station;
use chrono::{DateTime, Utc};
use ocpp::ErrorCode;

impl Station {
    pub(crate) fn on_send_local_list(
        &mut self,
        unique_id: &str,
        _req: ocpp::SendLocalListRequest,
        _now: DateTime<Utc>,
    ) {
        self.reply_error(unique_id, ErrorCode::NotSupported, "not supported yet");
    }

    pub(crate) fn on_get_local_list_version(
        &mut self,
        unique_id: &str,
        _req: ocpp::GetLocalListVersionRequest,
        _now: DateTime<Utc>,
    ) {
        self.reply_error(unique_id, ErrorCode::NotSupported, "not supported yet");
    }
}
