//! Reservations.

use crate::wire_enum::wire_enum;

wire_enum! {
    /// Result of ReserveNow (`ReservationStatus`).
    ReservationStatus {
        Accepted = "Accepted",
        Faulted = "Faulted",
        Occupied = "Occupied",
        Rejected = "Rejected",
        Unavailable = "Unavailable",
    }
}

wire_enum! {
    /// Result of CancelReservation (`CancelReservationStatus`).
    CancelReservationStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}
