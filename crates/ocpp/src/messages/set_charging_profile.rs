//! SetChargingProfile: Central System installs a charging profile.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{ChargingProfile, ChargingProfileStatus};

/// `SetChargingProfile.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetChargingProfileRequest {
    pub connector_id: i32,
    pub cs_charging_profiles: ChargingProfile,
}

/// `SetChargingProfile.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetChargingProfileResponse {
    pub status: ChargingProfileStatus,
}

impl_request!(SetChargingProfileRequest => SetChargingProfileResponse, SetChargingProfile);
