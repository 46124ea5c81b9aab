//! The 39 OCPP 1.6-J actions: 28 of 1.6 edition 2 and 11 of the security extension.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An OCPP action name, as carried in a CALL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// `Authorize`
    Authorize,
    /// `BootNotification`
    BootNotification,
    /// `CancelReservation`
    CancelReservation,
    /// `ChangeAvailability`
    ChangeAvailability,
    /// `ChangeConfiguration`
    ChangeConfiguration,
    /// `ClearCache`
    ClearCache,
    /// `ClearChargingProfile`
    ClearChargingProfile,
    /// `DataTransfer`
    DataTransfer,
    /// `DiagnosticsStatusNotification`
    DiagnosticsStatusNotification,
    /// `FirmwareStatusNotification`
    FirmwareStatusNotification,
    /// `GetCompositeSchedule`
    GetCompositeSchedule,
    /// `GetConfiguration`
    GetConfiguration,
    /// `GetDiagnostics`
    GetDiagnostics,
    /// `GetLocalListVersion`
    GetLocalListVersion,
    /// `Heartbeat`
    Heartbeat,
    /// `MeterValues`
    MeterValues,
    /// `RemoteStartTransaction`
    RemoteStartTransaction,
    /// `RemoteStopTransaction`
    RemoteStopTransaction,
    /// `ReserveNow`
    ReserveNow,
    /// `Reset`
    Reset,
    /// `SendLocalList`
    SendLocalList,
    /// `SetChargingProfile`
    SetChargingProfile,
    /// `StartTransaction`
    StartTransaction,
    /// `StatusNotification`
    StatusNotification,
    /// `StopTransaction`
    StopTransaction,
    /// `TriggerMessage`
    TriggerMessage,
    /// `UnlockConnector`
    UnlockConnector,
    /// `UpdateFirmware`
    UpdateFirmware,
    /// `SecurityEventNotification`
    SecurityEventNotification,
    /// `SignCertificate`
    SignCertificate,
    /// `CertificateSigned`
    CertificateSigned,
    /// `InstallCertificate`
    InstallCertificate,
    /// `DeleteCertificate`
    DeleteCertificate,
    /// `GetInstalledCertificateIds`
    GetInstalledCertificateIds,
    /// `ExtendedTriggerMessage`
    ExtendedTriggerMessage,
    /// `GetLog`
    GetLog,
    /// `LogStatusNotification`
    LogStatusNotification,
    /// `SignedUpdateFirmware`
    SignedUpdateFirmware,
    /// `SignedFirmwareStatusNotification`
    SignedFirmwareStatusNotification,
}

impl Action {
    /// Every action: first the 28 of OCPP 1.6, then the 11 of the security extension.
    pub const ALL: [Action; 39] = [
        Action::Authorize,
        Action::BootNotification,
        Action::CancelReservation,
        Action::ChangeAvailability,
        Action::ChangeConfiguration,
        Action::ClearCache,
        Action::ClearChargingProfile,
        Action::DataTransfer,
        Action::DiagnosticsStatusNotification,
        Action::FirmwareStatusNotification,
        Action::GetCompositeSchedule,
        Action::GetConfiguration,
        Action::GetDiagnostics,
        Action::GetLocalListVersion,
        Action::Heartbeat,
        Action::MeterValues,
        Action::RemoteStartTransaction,
        Action::RemoteStopTransaction,
        Action::ReserveNow,
        Action::Reset,
        Action::SendLocalList,
        Action::SetChargingProfile,
        Action::StartTransaction,
        Action::StatusNotification,
        Action::StopTransaction,
        Action::TriggerMessage,
        Action::UnlockConnector,
        Action::UpdateFirmware,
        Action::SecurityEventNotification,
        Action::SignCertificate,
        Action::CertificateSigned,
        Action::InstallCertificate,
        Action::DeleteCertificate,
        Action::GetInstalledCertificateIds,
        Action::ExtendedTriggerMessage,
        Action::GetLog,
        Action::LogStatusNotification,
        Action::SignedUpdateFirmware,
        Action::SignedFirmwareStatusNotification,
    ];

    /// The wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Authorize => "Authorize",
            Action::BootNotification => "BootNotification",
            Action::CancelReservation => "CancelReservation",
            Action::ChangeAvailability => "ChangeAvailability",
            Action::ChangeConfiguration => "ChangeConfiguration",
            Action::ClearCache => "ClearCache",
            Action::ClearChargingProfile => "ClearChargingProfile",
            Action::DataTransfer => "DataTransfer",
            Action::DiagnosticsStatusNotification => "DiagnosticsStatusNotification",
            Action::FirmwareStatusNotification => "FirmwareStatusNotification",
            Action::GetCompositeSchedule => "GetCompositeSchedule",
            Action::GetConfiguration => "GetConfiguration",
            Action::GetDiagnostics => "GetDiagnostics",
            Action::GetLocalListVersion => "GetLocalListVersion",
            Action::Heartbeat => "Heartbeat",
            Action::MeterValues => "MeterValues",
            Action::RemoteStartTransaction => "RemoteStartTransaction",
            Action::RemoteStopTransaction => "RemoteStopTransaction",
            Action::ReserveNow => "ReserveNow",
            Action::Reset => "Reset",
            Action::SendLocalList => "SendLocalList",
            Action::SetChargingProfile => "SetChargingProfile",
            Action::StartTransaction => "StartTransaction",
            Action::StatusNotification => "StatusNotification",
            Action::StopTransaction => "StopTransaction",
            Action::TriggerMessage => "TriggerMessage",
            Action::UnlockConnector => "UnlockConnector",
            Action::UpdateFirmware => "UpdateFirmware",
            Action::SecurityEventNotification => "SecurityEventNotification",
            Action::SignCertificate => "SignCertificate",
            Action::CertificateSigned => "CertificateSigned",
            Action::InstallCertificate => "InstallCertificate",
            Action::DeleteCertificate => "DeleteCertificate",
            Action::GetInstalledCertificateIds => "GetInstalledCertificateIds",
            Action::ExtendedTriggerMessage => "ExtendedTriggerMessage",
            Action::GetLog => "GetLog",
            Action::LogStatusNotification => "LogStatusNotification",
            Action::SignedUpdateFirmware => "SignedUpdateFirmware",
            Action::SignedFirmwareStatusNotification => "SignedFirmwareStatusNotification",
        }
    }

    /// Exact (case-sensitive) lookup of a wire name; `None` for unknown actions,
    /// which the receiver answers with `NotImplemented`.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.as_str() == name)
    }

    /// Whether the charge point sends this CALL (else the Central System does).
    /// `DataTransfer` goes both ways; it answers `true` here, so callers that
    /// care must treat it specially.
    pub fn initiated_by_charge_point(&self) -> bool {
        matches!(
            self,
            Action::Authorize
                | Action::BootNotification
                | Action::DataTransfer
                | Action::DiagnosticsStatusNotification
                | Action::FirmwareStatusNotification
                | Action::Heartbeat
                | Action::MeterValues
                | Action::StartTransaction
                | Action::StatusNotification
                | Action::StopTransaction
                | Action::SecurityEventNotification
                | Action::SignCertificate
                | Action::LogStatusNotification
                | Action::SignedFirmwareStatusNotification
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Returned by `Action::from_str` for an unknown action name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown OCPP action {0:?}")]
pub struct UnknownAction(pub String);

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::from_name(s).ok_or_else(|| UnknownAction(s.to_owned()))
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Action::from_name(&s)
            .ok_or_else(|| serde::de::Error::custom(format_args!("unknown OCPP action {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names: Vec<&str> = Action::ALL.iter().map(Action::as_str).collect();
        for action in Action::ALL {
            assert_eq!(Action::from_name(action.as_str()), Some(action));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 39);
    }

    #[test]
    fn unknown_names_are_none() {
        assert_eq!(Action::from_name("heartbeat"), None);
        assert_eq!(Action::from_name("FooBar"), None);
    }

    #[test]
    fn direction() {
        assert!(Action::BootNotification.initiated_by_charge_point());
        assert!(Action::DataTransfer.initiated_by_charge_point());
        assert!(!Action::RemoteStartTransaction.initiated_by_charge_point());
        assert!(Action::SignCertificate.initiated_by_charge_point());
        assert!(!Action::CertificateSigned.initiated_by_charge_point());
    }
}
