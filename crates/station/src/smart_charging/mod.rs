//! The Smart Charging profile: SetChargingProfile, ClearChargingProfile and
//! GetCompositeSchedule (sections 3.13, 5.5, 5.7, 5.16), and applying the limit in force to
//! the power module.

pub mod schedule;

use crate::station::Station;
use chrono::{DateTime, Utc};
use ocpp::ErrorCode;

impl Station {
    pub(crate) fn on_set_charging_profile(
        &mut self,
        unique_id: &str,
        _req: ocpp::SetChargingProfileRequest,
        _now: DateTime<Utc>,
    ) {
        self.reply_error(unique_id, ErrorCode::NotSupported, "not supported yet");
    }

    pub(crate) fn on_clear_charging_profile(
        &mut self,
        unique_id: &str,
        _req: ocpp::ClearChargingProfileRequest,
        _now: DateTime<Utc>,
    ) {
        self.reply_error(unique_id, ErrorCode::NotSupported, "not supported yet");
    }

    pub(crate) fn on_get_composite_schedule(
        &mut self,
        unique_id: &str,
        _req: ocpp::GetCompositeScheduleRequest,
        _now: DateTime<Utc>,
    ) {
        self.reply_error(unique_id, ErrorCode::NotSupported, "not supported yet");
    }
}
