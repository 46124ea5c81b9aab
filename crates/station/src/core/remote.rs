//! RemoteStartTransaction and RemoteStopTransaction (sections 5.11, 5.12).

use crate::station::Station;
use chrono::{DateTime, Utc};
use ocpp::ErrorCode;

impl Station {
    pub(crate) fn on_remote_start(
        &mut self,
        unique_id: &str,
        _req: ocpp::RemoteStartTransactionRequest,
        _now: DateTime<Utc>,
    ) {
        self.reply_error(unique_id, ErrorCode::NotSupported, "not supported yet");
    }

    pub(crate) fn on_remote_stop(
        &mut self,
        unique_id: &str,
        _req: ocpp::RemoteStopTransactionRequest,
        _now: DateTime<Utc>,
    ) {
        self.reply_error(unique_id, ErrorCode::NotSupported, "not supported yet");
    }
}
