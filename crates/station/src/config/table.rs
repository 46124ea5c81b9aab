//! The one table that describes every configuration key: it drives GetConfiguration,
//! ChangeConfiguration validation, persistence and reboot-required.
//! Defaults and limits are the reference product's (certificate SEC1000/500U, ORS-1..ORS-11).

/// Who may read or write a key over OCPP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    ReadWrite,
    /// Written by ChangeConfiguration, never read back: GetConfiguration lists the key
    /// without its value (AuthorizationKey, security extension).
    WriteOnly,
}

/// The value type of a key and its bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    /// Comma-separated list of measurands, at most `max_items` entries.
    Measurands {
        max_items: usize,
    },
    /// Free text (CiString500 on the wire).
    Text,
    /// A secret of `min_bytes..=max_bytes` bytes written as hex digits (two per byte).
    /// Validation errors never quote the value.
    HexSecret {
        min_bytes: usize,
        max_bytes: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Core,
    LocalAuthListManagement,
    Reservation,
    SmartCharging,
    /// The security extension (not a feature profile of OCPP 1.6 proper).
    Security,
}

#[derive(Debug, Clone, Copy)]
pub struct KeyDef {
    pub name: &'static str,
    pub access: Access,
    pub kind: Kind,
    pub default: &'static str,
    pub reboot_required: bool,
    pub profile: Profile,
}

const fn key(name: &'static str, access: Access, kind: Kind, default: &'static str) -> KeyDef {
    KeyDef {
        name,
        access,
        kind,
        default,
        reboot_required: false,
        profile: Profile::Core,
    }
}

/// A key of the Reservation profile.
const fn reservation(def: KeyDef) -> KeyDef {
    KeyDef {
        profile: Profile::Reservation,
        ..def
    }
}

/// A key of the Smart Charging profile.
const fn smart_charging(def: KeyDef) -> KeyDef {
    KeyDef {
        profile: Profile::SmartCharging,
        ..def
    }
}

/// A key of the security extension.
const fn security(def: KeyDef) -> KeyDef {
    KeyDef {
        profile: Profile::Security,
        ..def
    }
}

/// A key of the Local Authorization List Management profile.
const fn local_auth(def: KeyDef) -> KeyDef {
    KeyDef {
        profile: Profile::LocalAuthListManagement,
        ..def
    }
}

use Access::{ReadOnly as R, ReadWrite as RW, WriteOnly as W};

const BOOL: Kind = Kind::Bool;
const SECONDS: Kind = Kind::Int {
    min: 0,
    max: i32::MAX as i64,
};
const COUNT: Kind = Kind::Int {
    min: 0,
    max: i32::MAX as i64,
};
const MEASURANDS: Kind = Kind::Measurands { max_items: 9 };

/// The measurands the reference product samples (C-09.1).
pub const ALL_SAMPLED_MEASURANDS: &str = "Energy.Active.Import.Register,Current.Import,Current.Offered,Voltage,Power.Active.Import,Power.Offered,SoC,Temperature";

pub static KEYS: &[KeyDef] = &[
    security(key("AdditionalRootCertificateCheck", R, BOOL, "false")),
    key("AllowOfflineTxForUnknownId", RW, BOOL, "false"),
    key("AuthorizationCacheEnabled", RW, BOOL, "true"),
    // The Basic auth password of security profiles 1 and 2: 16..40 bytes, as hex.
    security(key(
        "AuthorizationKey",
        W,
        Kind::HexSecret {
            min_bytes: 16,
            max_bytes: 40,
        },
        "",
    )),
    key("AuthorizeRemoteTxRequests", RW, BOOL, "true"),
    security(key("CertificateSignedMaxChainSize", R, COUNT, "10000")),
    security(key("CertificateStoreMaxLength", R, COUNT, "10")),
    // SC-1: at most stack level 10, 12 periods per schedule, limits in A or W.
    smart_charging(key("ChargeProfileMaxStackLevel", R, COUNT, "10")),
    smart_charging(key(
        "ChargingScheduleAllowedChargingRateUnit",
        R,
        Kind::Text,
        "Current,Power",
    )),
    smart_charging(key("ChargingScheduleMaxPeriods", R, COUNT, "12")),
    key("ClockAlignedDataInterval", RW, SECONDS, "900"),
    key("ConnectionTimeOut", RW, SECONDS, "60"),
    key(
        "ConnectorPhaseRotation",
        RW,
        Kind::Text,
        "0.NotApplicable,1.NotApplicable,2.NotApplicable",
    ),
    key("ConnectorPhaseRotationMaxLength", R, COUNT, "3"),
    smart_charging(key("ConnectorSwitch3to1PhaseSupported", R, BOOL, "false")),
    security(key("CpoName", RW, Kind::Text, "")),
    key("GetConfigurationMaxKeys", R, COUNT, "20"),
    key(
        "HeartbeatInterval",
        RW,
        Kind::Int { min: 1, max: 1800 },
        "300",
    ),
    local_auth(key("LocalAuthListEnabled", RW, BOOL, "true")),
    // ORS-12, ORS-13.
    local_auth(key("LocalAuthListMaxLength", R, COUNT, "100")),
    key("LocalAuthorizeOffline", RW, BOOL, "true"),
    key("LocalPreAuthorize", RW, BOOL, "false"),
    smart_charging(key("MaxChargingProfilesInstalled", R, COUNT, "20")),
    key("MaxEnergyOnInvalidId", RW, COUNT, "0"),
    key(
        "MeterValuesAlignedData",
        RW,
        MEASURANDS,
        "Energy.Active.Import.Register",
    ),
    key("MeterValuesAlignedDataMaxLength", R, COUNT, "9"),
    key(
        "MeterValuesSampledData",
        RW,
        MEASURANDS,
        ALL_SAMPLED_MEASURANDS,
    ),
    key("MeterValuesSampledDataMaxLength", R, COUNT, "9"),
    key(
        "MeterValueSampleInterval",
        RW,
        Kind::Int { min: 0, max: 1800 },
        "60",
    ),
    key("MinimumStatusDuration", RW, SECONDS, "0"),
    key("NumberOfConnectors", R, COUNT, "2"),
    // the reference product reserves the entire station (connector 0).
    reservation(key("ReserveConnectorZeroSupported", R, BOOL, "true")),
    key("ResetRetries", RW, COUNT, "1"),
    // Only raised by ChangeConfiguration (`security/`).
    security(key(
        "SecurityProfile",
        RW,
        Kind::Int { min: 0, max: 3 },
        "0",
    )),
    local_auth(key("SendLocalListMaxLength", R, COUNT, "10")),
    key("StopTransactionMaxMeterValues", R, COUNT, "2"),
    key("StopTransactionOnEVSideDisconnect", RW, BOOL, "true"),
    key("StopTransactionOnInvalidId", RW, BOOL, "true"),
    key(
        "StopTxnAlignedData",
        RW,
        MEASURANDS,
        "Energy.Active.Import.Register",
    ),
    key("StopTxnAlignedDataMaxLength", R, COUNT, "9"),
    key(
        "StopTxnSampledData",
        RW,
        MEASURANDS,
        "Energy.Active.Import.Register",
    ),
    key("StopTxnSampledDataMaxLength", R, COUNT, "9"),
    key(
        "SupportedFeatureProfiles",
        R,
        Kind::Text,
        "Core,FirmwareManagement,LocalAuthListManagement,Reservation,RemoteTrigger,SmartCharging",
    ),
    key("SupportedFeatureProfilesMaxLength", R, COUNT, "6"),
    // ORS-16: the schemes UpdateFirmware, GetDiagnostics and the security extension's
    // SignedUpdateFirmware and GetLog accept (`firmware/`).
    key(
        "SupportedFileTransferProtocols",
        R,
        Kind::Text,
        "HTTP,HTTPS,FTP,FTPS",
    ),
    key(
        "TransactionMessageAttempts",
        RW,
        Kind::Int { min: 1, max: 100 },
        "3",
    ),
    key("TransactionMessageRetryInterval", RW, SECONDS, "60"),
    key("UnlockConnectorOnEVSideDisconnect", RW, BOOL, "true"),
    key(
        "WebSocketPingInterval",
        RW,
        Kind::Int { min: 0, max: 3600 },
        "120",
    ),
];

/// The key's definition, found case-insensitively as OCPP keys are CiStrings.
pub fn find(name: &str) -> Option<&'static KeyDef> {
    KEYS.iter().find(|k| k.name.eq_ignore_ascii_case(name))
}
