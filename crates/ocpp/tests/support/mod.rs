//! proptest strategies for every message type (`Gen`), shared by the schema
//! conformance test and the fuzz test. Values generated here are meant to be
//! schema-valid: strings up to their maximum length, optional fields both
//! present and absent, millisecond dates, 0.1-multiples where required.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fmt::Debug;

use chrono::{DateTime, TimeZone, Utc};
use ocpp::*;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

/// A type with a strategy producing schema-valid values.
pub trait Gen: Sized + Debug + Clone + 'static {
    fn strategy() -> BoxedStrategy<Self>;
}

/// The strategy of `T`, with `T` inferred from the use site.
pub fn gen<T: Gen>() -> BoxedStrategy<T> {
    T::strategy()
}

impl Gen for i32 {
    fn strategy() -> BoxedStrategy<Self> {
        any::<i32>().boxed()
    }
}

impl Gen for bool {
    fn strategy() -> BoxedStrategy<Self> {
        any::<bool>().boxed()
    }
}

impl Gen for String {
    fn strategy() -> BoxedStrategy<Self> {
        string_up_to(64).boxed()
    }
}

/// Any characters, mostly short, sometimes exactly `max` long.
fn string_up_to(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![3 => 0..=max.min(24), 1 => Just(max)]
        .prop_flat_map(|len| vec(any::<char>(), len))
        .prop_map(String::from_iter)
}

impl<const N: usize> Gen for CiString<N> {
    fn strategy() -> BoxedStrategy<Self> {
        string_up_to(N)
            .prop_map(|s| CiString::new(s).expect("generated within the maximum"))
            .boxed()
    }
}

impl Gen for DateTime<Utc> {
    fn strategy() -> BoxedStrategy<Self> {
        // Whole milliseconds (the wire precision), years 1970..=9999.
        (0i64..=253_402_300_799_999)
            .prop_map(|ms| Utc.timestamp_millis_opt(ms).single().expect("in range"))
            .boxed()
    }
}

impl<T: Gen> Gen for Option<T> {
    fn strategy() -> BoxedStrategy<Self> {
        option::of(T::strategy()).boxed()
    }
}

impl<T: Gen> Gen for Vec<T> {
    fn strategy() -> BoxedStrategy<Self> {
        vec(T::strategy(), 0..4).boxed()
    }
}

/// A number that is a multiple of 0.1 (schema `multipleOf: 0.1`).
fn tenths() -> impl Strategy<Value = f64> {
    (-100_000i64..=100_000).prop_map(|n| n as f64 / 10.0)
}

/// A URI the `uri` format check accepts.
fn uri() -> impl Strategy<Value = String> {
    "(ftp|https?|sftp)://[a-z]{1,12}\\.[a-z]{2,4}(:[0-9]{2,4})?/[a-zA-Z0-9_./-]{0,30}"
}

/// StopTransaction's schema lists every unit except Hertz.
const STOP_TRANSACTION_UNITS: &[UnitOfMeasure] = &[
    UnitOfMeasure::Wh,
    UnitOfMeasure::KWh,
    UnitOfMeasure::Varh,
    UnitOfMeasure::Kvarh,
    UnitOfMeasure::W,
    UnitOfMeasure::KW,
    UnitOfMeasure::VA,
    UnitOfMeasure::KVA,
    UnitOfMeasure::Var,
    UnitOfMeasure::Kvar,
    UnitOfMeasure::A,
    UnitOfMeasure::V,
    UnitOfMeasure::K,
    UnitOfMeasure::Celcius,
    UnitOfMeasure::Celsius,
    UnitOfMeasure::Fahrenheit,
    UnitOfMeasure::Percent,
];

fn sampled_value(units: &'static [UnitOfMeasure]) -> impl Strategy<Value = SampledValue> {
    (
        gen(),
        gen(),
        gen(),
        gen(),
        gen(),
        gen(),
        option::of(select(units)),
    )
        .prop_map(
            |(value, context, format, measurand, phase, location, unit)| SampledValue {
                value,
                context,
                format,
                measurand,
                phase,
                location,
                unit,
            },
        )
}

/// A meter value with 1..3 samples (MeterValues requires at least one).
fn meter_value(units: &'static [UnitOfMeasure]) -> impl Strategy<Value = MeterValue> {
    (gen(), vec(sampled_value(units), 1..3)).prop_map(|(timestamp, sampled_value)| MeterValue {
        timestamp,
        sampled_value,
    })
}

impl Gen for SampledValue {
    fn strategy() -> BoxedStrategy<Self> {
        sampled_value(UnitOfMeasure::ALL).boxed()
    }
}

impl Gen for MeterValue {
    fn strategy() -> BoxedStrategy<Self> {
        meter_value(UnitOfMeasure::ALL).boxed()
    }
}

/// Implements `Gen` for enums (any variant) and lists their wire strings.
macro_rules! gen_enums {
    ($($ty:ident),+ $(,)?) => {
        $(
            impl Gen for $ty {
                fn strategy() -> BoxedStrategy<Self> {
                    select($ty::ALL).boxed()
                }
            }
        )+

        /// Every OCPP enum of the crate: name and set of wire strings.
        pub fn enum_wire_sets() -> Vec<(&'static str, BTreeSet<&'static str>)> {
            vec![$((stringify!($ty), $ty::ALL.iter().map(|v| v.as_str()).collect())),+]
        }
    };
}

gen_enums!(
    AuthorizationStatus,
    UpdateType,
    UpdateStatus,
    RegistrationStatus,
    ConfigurationStatus,
    ChargePointStatus,
    ChargePointErrorCode,
    AvailabilityType,
    AvailabilityStatus,
    UnlockStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    ResetType,
    ResetStatus,
    ClearCacheStatus,
    DataTransferStatus,
    ReservationStatus,
    CancelReservationStatus,
    Reason,
    RemoteStartStopStatus,
    MessageTrigger,
    TriggerMessageStatus,
    MessageTriggerExtended,
    ReadingContext,
    ValueFormat,
    Measurand,
    Phase,
    Location,
    UnitOfMeasure,
    ChargingProfilePurposeType,
    ChargingProfileKindType,
    RecurrencyKindType,
    ChargingRateUnitType,
    ChargingProfileStatus,
    ClearChargingProfileStatus,
    GetCompositeScheduleStatus,
    CertificateUse,
    HashAlgorithm,
    InstallCertificateStatus,
    DeleteCertificateStatus,
    GetInstalledCertificateStatus,
    CertificateSignedStatus,
    GenericStatus,
    LogType,
    LogStatus,
    UploadLogStatus,
    UpdateFirmwareStatus,
    SignedFirmwareStatus,
);

/// Implements `Gen` for a struct from one strategy per field.
macro_rules! gen_struct {
    ($ty:ident {}) => {
        impl Gen for $ty {
            fn strategy() -> BoxedStrategy<Self> {
                Just($ty {}).boxed()
            }
        }
    };
    ($ty:ident { $($field:ident : $strategy:expr),+ $(,)? }) => {
        impl Gen for $ty {
            fn strategy() -> BoxedStrategy<Self> {
                ($($strategy,)+)
                    .prop_map(|($($field,)+)| $ty { $($field),+ })
                    .boxed()
            }
        }
    };
}

// Shared structs.
gen_struct!(IdTagInfo {
    expiry_date: gen(),
    parent_id_tag: gen(),
    status: gen()
});
gen_struct!(AuthorizationData {
    id_tag: gen(),
    id_tag_info: gen()
});
gen_struct!(KeyValue {
    key: gen(),
    readonly: gen(),
    value: gen()
});
gen_struct!(ChargingSchedulePeriod {
    start_period: gen(),
    limit: tenths(),
    number_phases: gen()
});
gen_struct!(ChargingSchedule {
    duration: gen(),
    start_schedule: gen(),
    charging_rate_unit: gen(),
    charging_schedule_period: gen(),
    min_charging_rate: option::of(tenths()),
});
gen_struct!(ChargingProfile {
    charging_profile_id: gen(),
    transaction_id: gen(),
    stack_level: gen(),
    charging_profile_purpose: gen(),
    charging_profile_kind: gen(),
    recurrency_kind: gen(),
    valid_from: gen(),
    valid_to: gen(),
    charging_schedule: gen(),
});
gen_struct!(CertificateHashData {
    hash_algorithm: gen(),
    issuer_name_hash: gen(),
    issuer_key_hash: gen(),
    serial_number: gen(),
});
gen_struct!(LogParameters {
    remote_location: gen(),
    oldest_timestamp: gen(),
    latest_timestamp: gen()
});
gen_struct!(Firmware {
    location: gen(),
    retrieve_date_time: gen(),
    install_date_time: gen(),
    signing_certificate: gen(),
    signature: gen(),
});

// Messages.
gen_struct!(AuthorizeRequest { id_tag: gen() });
gen_struct!(AuthorizeResponse { id_tag_info: gen() });
gen_struct!(BootNotificationRequest {
    charge_point_vendor: gen(),
    charge_point_model: gen(),
    charge_point_serial_number: gen(),
    charge_box_serial_number: gen(),
    firmware_version: gen(),
    iccid: gen(),
    imsi: gen(),
    meter_type: gen(),
    meter_serial_number: gen()
});
gen_struct!(BootNotificationResponse {
    status: gen(),
    current_time: gen(),
    interval: gen()
});
gen_struct!(CancelReservationRequest {
    reservation_id: gen()
});
gen_struct!(CancelReservationResponse { status: gen() });
gen_struct!(ChangeAvailabilityRequest {
    connector_id: gen(),
    r#type: gen()
});
gen_struct!(ChangeAvailabilityResponse { status: gen() });
gen_struct!(ChangeConfigurationRequest {
    key: gen(),
    value: gen()
});
gen_struct!(ChangeConfigurationResponse { status: gen() });
gen_struct!(ClearCacheRequest {});
gen_struct!(ClearCacheResponse { status: gen() });
gen_struct!(ClearChargingProfileRequest {
    id: gen(),
    connector_id: gen(),
    charging_profile_purpose: gen(),
    stack_level: gen()
});
gen_struct!(ClearChargingProfileResponse { status: gen() });
gen_struct!(DataTransferRequest {
    vendor_id: gen(),
    message_id: gen(),
    data: gen()
});
gen_struct!(DataTransferResponse {
    status: gen(),
    data: gen()
});
gen_struct!(DiagnosticsStatusNotificationRequest { status: gen() });
gen_struct!(DiagnosticsStatusNotificationResponse {});
gen_struct!(FirmwareStatusNotificationRequest { status: gen() });
gen_struct!(FirmwareStatusNotificationResponse {});
gen_struct!(GetCompositeScheduleRequest {
    connector_id: gen(),
    duration: gen(),
    charging_rate_unit: gen()
});
gen_struct!(GetCompositeScheduleResponse {
    status: gen(),
    connector_id: gen(),
    schedule_start: gen(),
    charging_schedule: gen()
});
gen_struct!(GetConfigurationRequest { key: gen() });
gen_struct!(GetConfigurationResponse {
    configuration_key: gen(),
    unknown_key: gen()
});
gen_struct!(GetDiagnosticsRequest {
    location: uri(),
    retries: gen(),
    retry_interval: gen(),
    start_time: gen(),
    stop_time: gen()
});
gen_struct!(GetDiagnosticsResponse { file_name: gen() });
gen_struct!(GetLocalListVersionRequest {});
gen_struct!(GetLocalListVersionResponse {
    list_version: gen()
});
gen_struct!(HeartbeatRequest {});
gen_struct!(HeartbeatResponse {
    current_time: gen()
});
gen_struct!(MeterValuesRequest {
    connector_id: gen(),
    transaction_id: gen(),
    meter_value: vec(meter_value(UnitOfMeasure::ALL), 1..3)
});
gen_struct!(MeterValuesResponse {});
gen_struct!(RemoteStartTransactionRequest {
    connector_id: gen(),
    id_tag: gen(),
    charging_profile: gen()
});
gen_struct!(RemoteStartTransactionResponse { status: gen() });
gen_struct!(RemoteStopTransactionRequest {
    transaction_id: gen()
});
gen_struct!(RemoteStopTransactionResponse { status: gen() });
gen_struct!(ReserveNowRequest {
    connector_id: gen(),
    expiry_date: gen(),
    id_tag: gen(),
    parent_id_tag: gen(),
    reservation_id: gen()
});
gen_struct!(ReserveNowResponse { status: gen() });
gen_struct!(ResetRequest { r#type: gen() });
gen_struct!(ResetResponse { status: gen() });
gen_struct!(SendLocalListRequest {
    list_version: gen(),
    local_authorization_list: gen(),
    update_type: gen()
});
gen_struct!(SendLocalListResponse { status: gen() });
gen_struct!(SetChargingProfileRequest {
    connector_id: gen(),
    cs_charging_profiles: gen()
});
gen_struct!(SetChargingProfileResponse { status: gen() });
gen_struct!(StartTransactionRequest {
    connector_id: gen(),
    id_tag: gen(),
    meter_start: gen(),
    reservation_id: gen(),
    timestamp: gen()
});
gen_struct!(StartTransactionResponse {
    id_tag_info: gen(),
    transaction_id: gen()
});
gen_struct!(StatusNotificationRequest {
    connector_id: gen(),
    error_code: gen(),
    info: gen(),
    status: gen(),
    timestamp: gen(),
    vendor_id: gen(),
    vendor_error_code: gen()
});
gen_struct!(StatusNotificationResponse {});
gen_struct!(StopTransactionRequest {
    id_tag: gen(),
    meter_stop: gen(),
    timestamp: gen(),
    transaction_id: gen(),
    reason: gen(),
    transaction_data: option::of(vec(meter_value(STOP_TRANSACTION_UNITS), 0..3))
});
gen_struct!(StopTransactionResponse { id_tag_info: gen() });
gen_struct!(TriggerMessageRequest {
    requested_message: gen(),
    connector_id: gen()
});
gen_struct!(TriggerMessageResponse { status: gen() });
gen_struct!(UnlockConnectorRequest {
    connector_id: gen()
});
gen_struct!(UnlockConnectorResponse { status: gen() });
gen_struct!(UpdateFirmwareRequest {
    location: uri(),
    retries: gen(),
    retrieve_date: gen(),
    retry_interval: gen()
});
gen_struct!(UpdateFirmwareResponse {});
gen_struct!(SecurityEventNotificationRequest {
    r#type: gen(),
    timestamp: gen(),
    tech_info: gen()
});
gen_struct!(SecurityEventNotificationResponse {});
gen_struct!(SignCertificateRequest { csr: gen() });
gen_struct!(SignCertificateResponse { status: gen() });
gen_struct!(CertificateSignedRequest {
    certificate_chain: gen()
});
gen_struct!(CertificateSignedResponse { status: gen() });
gen_struct!(InstallCertificateRequest {
    certificate_type: gen(),
    certificate: gen()
});
gen_struct!(InstallCertificateResponse { status: gen() });
gen_struct!(DeleteCertificateRequest {
    certificate_hash_data: gen()
});
gen_struct!(DeleteCertificateResponse { status: gen() });
gen_struct!(GetInstalledCertificateIdsRequest {
    certificate_type: gen()
});
gen_struct!(GetInstalledCertificateIdsResponse {
    certificate_hash_data: option::of(vec(gen(), 1..3)),
    status: gen()
});
gen_struct!(ExtendedTriggerMessageRequest {
    requested_message: gen(),
    connector_id: gen()
});
gen_struct!(ExtendedTriggerMessageResponse { status: gen() });
gen_struct!(GetLogRequest {
    log: gen(),
    log_type: gen(),
    request_id: gen(),
    retries: gen(),
    retry_interval: gen()
});
gen_struct!(GetLogResponse {
    status: gen(),
    filename: gen()
});
gen_struct!(LogStatusNotificationRequest {
    status: gen(),
    request_id: gen()
});
gen_struct!(LogStatusNotificationResponse {});
gen_struct!(SignedUpdateFirmwareRequest {
    retries: gen(),
    retry_interval: gen(),
    request_id: gen(),
    firmware: gen()
});
gen_struct!(SignedUpdateFirmwareResponse { status: gen() });
gen_struct!(SignedFirmwareStatusNotificationRequest {
    status: gen(),
    request_id: gen()
});
gen_struct!(SignedFirmwareStatusNotificationResponse {});

/// Called once per action with its request type (and so its response type).
pub trait RequestVisitor {
    fn visit<R>(&mut self)
    where
        R: Request + Gen + PartialEq,
        R::Response: Gen + PartialEq;
}

/// Visits all 39 request types.
pub fn for_each_request(visitor: &mut impl RequestVisitor) {
    visitor.visit::<AuthorizeRequest>();
    visitor.visit::<BootNotificationRequest>();
    visitor.visit::<CancelReservationRequest>();
    visitor.visit::<ChangeAvailabilityRequest>();
    visitor.visit::<ChangeConfigurationRequest>();
    visitor.visit::<ClearCacheRequest>();
    visitor.visit::<ClearChargingProfileRequest>();
    visitor.visit::<DataTransferRequest>();
    visitor.visit::<DiagnosticsStatusNotificationRequest>();
    visitor.visit::<FirmwareStatusNotificationRequest>();
    visitor.visit::<GetCompositeScheduleRequest>();
    visitor.visit::<GetConfigurationRequest>();
    visitor.visit::<GetDiagnosticsRequest>();
    visitor.visit::<GetLocalListVersionRequest>();
    visitor.visit::<HeartbeatRequest>();
    visitor.visit::<MeterValuesRequest>();
    visitor.visit::<RemoteStartTransactionRequest>();
    visitor.visit::<RemoteStopTransactionRequest>();
    visitor.visit::<ReserveNowRequest>();
    visitor.visit::<ResetRequest>();
    visitor.visit::<SendLocalListRequest>();
    visitor.visit::<SetChargingProfileRequest>();
    visitor.visit::<StartTransactionRequest>();
    visitor.visit::<StatusNotificationRequest>();
    visitor.visit::<StopTransactionRequest>();
    visitor.visit::<TriggerMessageRequest>();
    visitor.visit::<UnlockConnectorRequest>();
    visitor.visit::<UpdateFirmwareRequest>();
    visitor.visit::<SecurityEventNotificationRequest>();
    visitor.visit::<SignCertificateRequest>();
    visitor.visit::<CertificateSignedRequest>();
    visitor.visit::<InstallCertificateRequest>();
    visitor.visit::<DeleteCertificateRequest>();
    visitor.visit::<GetInstalledCertificateIdsRequest>();
    visitor.visit::<ExtendedTriggerMessageRequest>();
    visitor.visit::<GetLogRequest>();
    visitor.visit::<LogStatusNotificationRequest>();
    visitor.visit::<SignedUpdateFirmwareRequest>();
    visitor.visit::<SignedFirmwareStatusNotificationRequest>();
}

/// Decodes `payload` as the request and as the response of `action` (when it
/// is a known action), as a receiver would; errors are returned, panics are bugs.
pub fn decode_any(action: &str, payload: &Value) -> Vec<Result<(), PayloadError>> {
    match Action::from_name(action) {
        Some(action) => vec![
            validate_request(action, payload),
            validate_response(action, payload),
        ],
        None => Vec::new(),
    }
}
