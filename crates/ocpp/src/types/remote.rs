//! Statuses of simple remote commands.

use crate::wire_enum::wire_enum;

wire_enum! {
    /// Kind of Reset (`ResetType`).
    ResetType {
        Hard = "Hard",
        Soft = "Soft",
    }
}

wire_enum! {
    /// Result of Reset (`ResetStatus`).
    ResetStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}

wire_enum! {
    /// Result of ClearCache (`ClearCacheStatus`).
    ClearCacheStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}

wire_enum! {
    /// Result of DataTransfer (`DataTransferStatus`).
    DataTransferStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
        UnknownMessageId = "UnknownMessageId",
        UnknownVendorId = "UnknownVendorId",
    }
}
