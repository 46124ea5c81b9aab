//! CancelReservation: Central System cancels a reservation.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::CancelReservationStatus;

/// `CancelReservation.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelReservationRequest {
    pub reservation_id: i32,
}

/// `CancelReservation.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelReservationResponse {
    pub status: CancelReservationStatus,
}

impl_request!(CancelReservationRequest => CancelReservationResponse, CancelReservation);
