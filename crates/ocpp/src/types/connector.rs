//! Connector status, availability and unlocking.

use crate::wire_enum::wire_enum;

wire_enum! {
    /// Connector (or charge point) status (`ChargePointStatus`).
    ChargePointStatus {
        Available = "Available",
        Preparing = "Preparing",
        Charging = "Charging",
        SuspendedEVSE = "SuspendedEVSE",
        SuspendedEV = "SuspendedEV",
        Finishing = "Finishing",
        Reserved = "Reserved",
        Unavailable = "Unavailable",
        Faulted = "Faulted",
    }
}

wire_enum! {
    /// Error reported in StatusNotification (`ChargePointErrorCode`).
    ChargePointErrorCode {
        ConnectorLockFailure = "ConnectorLockFailure",
        EVCommunicationError = "EVCommunicationError",
        GroundFailure = "GroundFailure",
        HighTemperature = "HighTemperature",
        InternalError = "InternalError",
        LocalListConflict = "LocalListConflict",
        NoError = "NoError",
        OtherError = "OtherError",
        OverCurrentFailure = "OverCurrentFailure",
        PowerMeterFailure = "PowerMeterFailure",
        PowerSwitchFailure = "PowerSwitchFailure",
        ReaderFailure = "ReaderFailure",
        ResetFailure = "ResetFailure",
        UnderVoltage = "UnderVoltage",
        OverVoltage = "OverVoltage",
        WeakSignal = "WeakSignal",
    }
}

wire_enum! {
    /// Requested availability (`AvailabilityType`).
    AvailabilityType {
        Inoperative = "Inoperative",
        Operative = "Operative",
    }
}

wire_enum! {
    /// Result of ChangeAvailability (`AvailabilityStatus`).
    AvailabilityStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
        Scheduled = "Scheduled",
    }
}

wire_enum! {
    /// Result of UnlockConnector (`UnlockStatus`).
    UnlockStatus {
        Unlocked = "Unlocked",
        UnlockFailed = "UnlockFailed",
        NotSupported = "NotSupported",
    }
}
