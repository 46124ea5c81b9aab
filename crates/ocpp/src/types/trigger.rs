//! TriggerMessage and the security extension's ExtendedTriggerMessage.

use crate::wire_enum::wire_enum;

wire_enum! {
    /// Message a TriggerMessage asks for (`MessageTrigger`).
    MessageTrigger {
        BootNotification = "BootNotification",
        DiagnosticsStatusNotification = "DiagnosticsStatusNotification",
        FirmwareStatusNotification = "FirmwareStatusNotification",
        Heartbeat = "Heartbeat",
        MeterValues = "MeterValues",
        StatusNotification = "StatusNotification",
    }
}

wire_enum! {
    /// Result of TriggerMessage and ExtendedTriggerMessage (`TriggerMessageStatus`).
    TriggerMessageStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
        NotImplemented = "NotImplemented",
    }
}

/// The security extension's `TriggerMessageStatusEnumType` has the same values.
pub type ExtendedTriggerMessageStatus = TriggerMessageStatus;

wire_enum! {
    /// Message an ExtendedTriggerMessage asks for (`MessageTriggerEnumType`).
    MessageTriggerExtended {
        BootNotification = "BootNotification",
        LogStatusNotification = "LogStatusNotification",
        FirmwareStatusNotification = "FirmwareStatusNotification",
        Heartbeat = "Heartbeat",
        MeterValues = "MeterValues",
        SignChargePointCertificate = "SignChargePointCertificate",
        StatusNotification = "StatusNotification",
    }
}
