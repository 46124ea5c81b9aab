//! Boot notification.

use crate::wire_enum::wire_enum;

wire_enum! {
    /// Central System answer to BootNotification (`RegistrationStatus`).
    RegistrationStatus {
        Accepted = "Accepted",
        Pending = "Pending",
        Rejected = "Rejected",
    }
}
