//! Transactions: stop reasons and remote start/stop.

use crate::wire_enum::wire_enum;

wire_enum! {
    /// Why a transaction stopped (`Reason`).
    Reason {
        EmergencyStop = "EmergencyStop",
        EVDisconnected = "EVDisconnected",
        HardReset = "HardReset",
        Local = "Local",
        Other = "Other",
        PowerLoss = "PowerLoss",
        Reboot = "Reboot",
        Remote = "Remote",
        SoftReset = "SoftReset",
        UnlockCommand = "UnlockCommand",
        DeAuthorized = "DeAuthorized",
    }
}

wire_enum! {
    /// Result of RemoteStart/StopTransaction (`RemoteStartStopStatus`).
    RemoteStartStopStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}
