//! ChangeAvailability: Central System makes a connector (0 = whole charge point) (in)operative.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{AvailabilityStatus, AvailabilityType};

/// `ChangeAvailability.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeAvailabilityRequest {
    /// 0 means the whole charge point.
    pub connector_id: i32,
    pub r#type: AvailabilityType,
}

/// `ChangeAvailability.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeAvailabilityResponse {
    pub status: AvailabilityStatus,
}

impl_request!(ChangeAvailabilityRequest => ChangeAvailabilityResponse, ChangeAvailability);
