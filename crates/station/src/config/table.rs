//! The one table that describes every configuration key: it drives GetConfiguration,
//! ChangeConfiguration validation, persistence and reboot-required.
//! Defaults and limits are the reference product's (certificate SEC1000/500U, ORS-1..ORS-11).

use ocpp::Measurand;

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

impl KeyDef {
    /// The key with `value` as GetConfiguration reports it: write-only keys
    /// (AuthorizationKey) are listed, never their value.
    pub fn reported(&self, value: &str) -> ocpp::KeyValue {
        ocpp::KeyValue {
            key: crate::station::ci(self.name),
            readonly: self.access == Access::ReadOnly,
            value: (self.access != Access::WriteOnly).then(|| crate::station::ci(value)),
        }
    }
}

/// Declares every key once: its definition in [`KEYS`] and its typed field in [`Values`], so a
/// misspelt key does not compile and each value is parsed when it is set, not when it is read.
macro_rules! keys {
    ($([$profile:ident] $name:ident $field:ident: $ty:ty = ($access:expr, $kind:expr, $default:expr);)*) => {
        pub static KEYS: &[KeyDef] = &[$(KeyDef {
            name: stringify!($name),
            access: $access,
            kind: $kind,
            default: $default,
            reboot_required: false,
            profile: Profile::$profile,
        },)*];

        /// The current value of every key, parsed. Read through [`super::Config::current`].
        #[derive(Clone)]
        pub struct Values {
            $(pub $field: $ty,)*
        }

        impl Values {
            pub(super) fn defaults() -> Values {
                Values {
                    $($field: FromValue::from_value($default),)*
                }
            }

            /// Take a value of key `name` that passed validation.
            pub(super) fn assign(&mut self, name: &str, value: &str) {
                match name {
                    $(stringify!($name) => self.$field = FromValue::from_value(value),)*
                    _ => debug_assert!(false, "no key {name}"),
                }
            }
        }
    };
}

/// A comma-separated measurand list, parsed.
pub type Measurands = Vec<Measurand>;

/// How a validated text value becomes its field. Validation ran before, so parsing cannot
/// fail here; the fallbacks only guard against a table whose default does not validate,
/// which a unit test rules out.
trait FromValue {
    fn from_value(value: &str) -> Self;
}

impl FromValue for bool {
    fn from_value(value: &str) -> bool {
        value.eq_ignore_ascii_case("true")
    }
}

impl FromValue for i64 {
    fn from_value(value: &str) -> i64 {
        value.trim().parse().unwrap_or_default()
    }
}

impl FromValue for String {
    fn from_value(value: &str) -> String {
        value.to_string()
    }
}

impl FromValue for Measurands {
    fn from_value(value: &str) -> Measurands {
        super::parse_measurands(value).unwrap_or_default()
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
const HEX_SECRET: Kind = Kind::HexSecret {
    min_bytes: 16,
    max_bytes: 40,
};

/// The measurands the reference product samples (C-09.1).
pub const ALL_SAMPLED_MEASURANDS: &str = "Energy.Active.Import.Register,Current.Import,Current.Offered,Voltage,Power.Active.Import,Power.Offered,SoC,Temperature";

keys! {
    [Security] AdditionalRootCertificateCheck additional_root_certificate_check: bool = (R, BOOL, "false");
    [Core] AllowOfflineTxForUnknownId allow_offline_tx_for_unknown_id: bool = (RW, BOOL, "false");
    [Core] AuthorizationCacheEnabled authorization_cache_enabled: bool = (RW, BOOL, "true");
    // The Basic auth password of security profiles 1 and 2: 16..40 bytes, as hex.
    [Security] AuthorizationKey authorization_key: String = (W, HEX_SECRET, "");
    [Core] AuthorizeRemoteTxRequests authorize_remote_tx_requests: bool = (RW, BOOL, "true");
    [Security] CertificateSignedMaxChainSize certificate_signed_max_chain_size: i64 = (R, COUNT, "10000");
    [Security] CertificateStoreMaxLength certificate_store_max_length: i64 = (R, COUNT, "10");
    // SC-1: at most stack level 10, 12 periods per schedule, limits in A or W.
    [SmartCharging] ChargeProfileMaxStackLevel charge_profile_max_stack_level: i64 = (R, COUNT, "10");
    [SmartCharging] ChargingScheduleAllowedChargingRateUnit charging_schedule_allowed_charging_rate_unit: String = (R, Kind::Text, "Current,Power");
    [SmartCharging] ChargingScheduleMaxPeriods charging_schedule_max_periods: i64 = (R, COUNT, "12");
    [Core] ClockAlignedDataInterval clock_aligned_data_interval: i64 = (RW, SECONDS, "900");
    [Core] ConnectionTimeOut connection_time_out: i64 = (RW, SECONDS, "60");
    [Core] ConnectorPhaseRotation connector_phase_rotation: String = (RW, Kind::Text, "0.NotApplicable,1.NotApplicable,2.NotApplicable");
    [Core] ConnectorPhaseRotationMaxLength connector_phase_rotation_max_length: i64 = (R, COUNT, "3");
    [SmartCharging] ConnectorSwitch3to1PhaseSupported connector_switch_3to1_phase_supported: bool = (R, BOOL, "false");
    [Security] CpoName cpo_name: String = (RW, Kind::Text, "");
    [Core] GetConfigurationMaxKeys get_configuration_max_keys: i64 = (R, COUNT, "20");
    [Core] HeartbeatInterval heartbeat_interval: i64 = (RW, Kind::Int { min: 1, max: 1800 }, "300");
    [LocalAuthListManagement] LocalAuthListEnabled local_auth_list_enabled: bool = (RW, BOOL, "true");
    // ORS-12, ORS-13.
    [LocalAuthListManagement] LocalAuthListMaxLength local_auth_list_max_length: i64 = (R, COUNT, "100");
    [Core] LocalAuthorizeOffline local_authorize_offline: bool = (RW, BOOL, "true");
    [Core] LocalPreAuthorize local_pre_authorize: bool = (RW, BOOL, "false");
    [SmartCharging] MaxChargingProfilesInstalled max_charging_profiles_installed: i64 = (R, COUNT, "20");
    [Core] MaxEnergyOnInvalidId max_energy_on_invalid_id: i64 = (RW, COUNT, "0");
    [Core] MeterValueSampleInterval meter_value_sample_interval: i64 = (RW, Kind::Int { min: 0, max: 1800 }, "60");
    [Core] MeterValuesAlignedData meter_values_aligned_data: Measurands = (RW, MEASURANDS, "Energy.Active.Import.Register");
    [Core] MeterValuesAlignedDataMaxLength meter_values_aligned_data_max_length: i64 = (R, COUNT, "9");
    [Core] MeterValuesSampledData meter_values_sampled_data: Measurands = (RW, MEASURANDS, ALL_SAMPLED_MEASURANDS);
    [Core] MeterValuesSampledDataMaxLength meter_values_sampled_data_max_length: i64 = (R, COUNT, "9");
    [Core] MinimumStatusDuration minimum_status_duration: i64 = (RW, SECONDS, "0");
    [Core] NumberOfConnectors number_of_connectors: i64 = (R, COUNT, "2");
    // the reference product reserves the entire station (connector 0). A fact of the
    // station: `StationConfig::reserve_connector_zero` sets it.
    [Reservation] ReserveConnectorZeroSupported reserve_connector_zero_supported: bool = (R, BOOL, "true");
    // Reported only: a Reset cannot fail here (`core/reset.rs`).
    [Core] ResetRetries reset_retries: i64 = (RW, COUNT, "1");
    // Only raised by ChangeConfiguration (`security/`).
    [Security] SecurityProfile security_profile: i64 = (RW, Kind::Int { min: 0, max: 3 }, "0");
    [LocalAuthListManagement] SendLocalListMaxLength send_local_list_max_length: i64 = (R, COUNT, "10");
    [Core] StopTransactionMaxMeterValues stop_transaction_max_meter_values: i64 = (R, COUNT, "2");
    [Core] StopTransactionOnEVSideDisconnect stop_transaction_on_ev_side_disconnect: bool = (RW, BOOL, "true");
    [Core] StopTransactionOnInvalidId stop_transaction_on_invalid_id: bool = (RW, BOOL, "true");
    [Core] StopTxnAlignedData stop_txn_aligned_data: Measurands = (RW, MEASURANDS, "Energy.Active.Import.Register");
    [Core] StopTxnAlignedDataMaxLength stop_txn_aligned_data_max_length: i64 = (R, COUNT, "9");
    [Core] StopTxnSampledData stop_txn_sampled_data: Measurands = (RW, MEASURANDS, "Energy.Active.Import.Register");
    [Core] StopTxnSampledDataMaxLength stop_txn_sampled_data_max_length: i64 = (R, COUNT, "9");
    [Core] SupportedFeatureProfiles supported_feature_profiles: String = (
        R,
        Kind::Text,
        "Core,FirmwareManagement,LocalAuthListManagement,Reservation,RemoteTrigger,SmartCharging"
    );
    [Core] SupportedFeatureProfilesMaxLength supported_feature_profiles_max_length: i64 = (R, COUNT, "6");
    // ORS-16: the schemes UpdateFirmware, GetDiagnostics and the security extension's
    // SignedUpdateFirmware and GetLog accept (`firmware/`).
    [Core] SupportedFileTransferProtocols supported_file_transfer_protocols: String = (R, Kind::Text, "HTTP,HTTPS,FTP,FTPS");
    // 0 like 1: sent once, dropped at the first failure (section 3.7.1).
    [Core] TransactionMessageAttempts transaction_message_attempts: i64 = (RW, Kind::Int { min: 0, max: 100 }, "3");
    [Core] TransactionMessageRetryInterval transaction_message_retry_interval: i64 = (RW, SECONDS, "60");
    [Core] UnlockConnectorOnEVSideDisconnect unlock_connector_on_ev_side_disconnect: bool = (RW, BOOL, "true");
    [Core] WebSocketPingInterval web_socket_ping_interval: i64 = (RW, Kind::Int { min: 0, max: 3600 }, "120");
}

/// The key's definition, found case-insensitively as OCPP keys are CiStrings.
pub fn find(name: &str) -> Option<&'static KeyDef> {
    KEYS.iter().find(|k| k.name.eq_ignore_ascii_case(name))
}
