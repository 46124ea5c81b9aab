//! ClearCache (section 5.4).

use crate::station::Station;
use chrono::{DateTime, Utc};
use ocpp::ErrorCode;

impl Station {
    pub(crate) fn on_clear_cache(
        &mut self,
        unique_id: &str,
        _req: ocpp::ClearCacheRequest,
        _now: DateTime<Utc>,
    ) {
        self.reply_error(unique_id, ErrorCode::NotSupported, "not supported yet");
    }
}
