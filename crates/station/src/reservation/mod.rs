//! The Reservation profile: ReserveNow and CancelReservation (sections 3.12, 5.1, 5.13).

use crate::station::Station;
use chrono::{DateTime, Utc};
use ocpp::ErrorCode;

impl Station {
    pub(crate) fn on_reserve_now(
        &mut self,
        unique_id: &str,
        _req: ocpp::ReserveNowRequest,
        _now: DateTime<Utc>,
    ) {
        self.reply_error(unique_id, ErrorCode::NotSupported, "not supported yet");
    }

    pub(crate) fn on_cancel_reservation(
        &mut self,
        unique_id: &str,
        _req: ocpp::CancelReservationRequest,
        _now: DateTime<Utc>,
    ) {
        self.reply_error(unique_id, ErrorCode::NotSupported, "not supported yet");
    }
}
