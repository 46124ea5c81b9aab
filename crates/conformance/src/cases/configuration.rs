//! OCTT modules 08 (Configuration, happy flow) and 16 (Configuration Keys, non-happy flow).

use serde_json::{json, Value};

use super::{always, case, Case};
use crate::profile::Profile;
use crate::tester::{fail, Failure, Outcome, Tester};

pub fn cases() -> Vec<Case> {
    vec![
        case!("TC_019", "Retrieve configuration", Core, always, tc_019),
        case!("TC_021", "Change/set Configuration", Core, always, tc_021),
        case!(
            "TC_040_1",
            "Configuration key - NotSupported",
            Core,
            always,
            tc_040_1
        ),
        case!(
            "TC_040_2",
            "Configuration key - Invalid value",
            Core,
            always,
            tc_040_2
        ),
    ]
}

/// Whether a key must be read-only (`Some(true)`), read-write (`Some(false)`) or may be
/// either (`None`), per chapter 9 of the spec.
type Access = Option<bool>;
const R: Access = Some(true);
const RW: Access = Some(false);
const EITHER: Access = None;

/// The required keys of the Core profile (chapter 9.1) and their accessibility.
const CORE_KEYS: &[(&str, Access)] = &[
    ("AuthorizeRemoteTxRequests", EITHER),
    ("ClockAlignedDataInterval", RW),
    ("ConnectionTimeOut", RW),
    ("ConnectorPhaseRotation", RW),
    ("GetConfigurationMaxKeys", R),
    ("HeartbeatInterval", RW),
    ("LocalAuthorizeOffline", RW),
    ("LocalPreAuthorize", RW),
    ("MeterValuesAlignedData", RW),
    ("MeterValuesSampledData", RW),
    ("MeterValueSampleInterval", RW),
    ("NumberOfConnectors", R),
    ("ResetRetries", RW),
    ("StopTransactionOnEVSideDisconnect", RW),
    ("StopTransactionOnInvalidId", RW),
    ("StopTxnAlignedData", RW),
    ("StopTxnSampledData", RW),
    ("SupportedFeatureProfiles", R),
    ("TransactionMessageAttempts", RW),
    ("TransactionMessageRetryInterval", RW),
    ("UnlockConnectorOnEVSideDisconnect", RW),
];

/// Local Auth List Management (9.2).
const LOCAL_LIST_KEYS: &[(&str, Access)] = &[
    ("LocalAuthListEnabled", RW),
    ("LocalAuthListMaxLength", R),
    ("SendLocalListMaxLength", R),
];

/// Smart Charging (9.4).
const SMART_CHARGING_KEYS: &[(&str, Access)] = &[
    ("ChargeProfileMaxStackLevel", R),
    ("ChargingScheduleAllowedChargingRateUnit", R),
    ("ChargingScheduleMaxPeriods", R),
    ("MaxChargingProfilesInstalled", R),
];

/// The feature profiles SupportedFeatureProfiles may name.
const PROFILES: &[&str] = &[
    "Core",
    "FirmwareManagement",
    "LocalAuthListManagement",
    "Reservation",
    "SmartCharging",
    "RemoteTrigger",
];

/// The configurationKey entries of a GetConfiguration.conf, by key (case-insensitive, as
/// keys are CiStrings).
fn entry<'a>(answer: &'a Value, key: &str) -> Option<&'a Value> {
    answer["configurationKey"].as_array().and_then(|keys| {
        keys.iter().find(|k| {
            k["key"]
                .as_str()
                .is_some_and(|k| k.eq_ignore_ascii_case(key))
        })
    })
}

fn unknown_keys(answer: &Value) -> Vec<String> {
    answer["unknownKey"]
        .as_array()
        .map(|keys| {
            keys.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A GetConfiguration.conf that must have `key` with the accessibility the spec gives.
fn check_key(answer: &Value, key: &str, access: Access) -> Result<(), Failure> {
    let Some(found) = entry(answer, key) else {
        return fail(format!(
            "GetConfiguration.conf lacks the required key {key}"
        ));
    };
    if let Some(readonly) = access {
        if found["readonly"] != readonly {
            return fail(format!(
                "{key}: expected readonly {readonly} (chapter 9 of the spec), got {found}"
            ));
        }
    }
    Ok(())
}

/// TC_019: SupportedFeatureProfiles (Core and known profiles only); every key the supported
/// profiles require, with the right accessibility; a selection of keys; an unknown key
/// reported as such.
async fn tc_019(t: &mut Tester<'_>) -> Outcome {
    let answer = t
        .call(
            "GetConfiguration",
            json!({ "key": ["SupportedFeatureProfiles"] }),
        )
        .await?;
    if !unknown_keys(&answer).is_empty() {
        return fail(format!(
            "SupportedFeatureProfiles reported unknown: {answer}"
        ));
    }
    let profiles: Vec<String> = entry(&answer, "SupportedFeatureProfiles")
        .and_then(|k| k["value"].as_str())
        .map(|v| v.split(',').map(|p| p.trim().to_owned()).collect())
        .ok_or_else(|| Failure(format!("no value for SupportedFeatureProfiles: {answer}")))?;
    if !profiles.iter().any(|p| p == "Core") {
        return fail(format!(
            "SupportedFeatureProfiles does not name Core: {profiles:?}"
        ));
    }
    if let Some(odd) = profiles.iter().find(|p| !PROFILES.contains(&p.as_str())) {
        return fail(format!(
            "SupportedFeatureProfiles names an unknown profile {odd:?}: {profiles:?}"
        ));
    }
    for (name, profile) in [
        ("LocalAuthListManagement", Profile::LocalAuthListManagement),
        ("SmartCharging", Profile::SmartCharging),
        ("Reservation", Profile::Reservation),
        ("RemoteTrigger", Profile::RemoteTrigger),
        ("FirmwareManagement", Profile::FirmwareManagement),
    ] {
        if t.profile().has(profile) != profiles.iter().any(|p| p == name) {
            t.note(format!(
                "note: the station profile and SupportedFeatureProfiles disagree on {name}"
            ));
        }
    }

    // Every key: GetConfiguration without a key list.
    let all = t.call("GetConfiguration", json!({})).await?;
    let mut required: Vec<(&str, Access)> = CORE_KEYS.to_vec();
    if profiles.iter().any(|p| p == "LocalAuthListManagement") {
        required.extend_from_slice(LOCAL_LIST_KEYS);
    }
    if profiles.iter().any(|p| p == "SmartCharging") {
        required.extend_from_slice(SMART_CHARGING_KEYS);
    }
    for (key, access) in &required {
        check_key(&all, key, *access)?;
    }
    let connectors = entry(&all, "NumberOfConnectors")
        .and_then(|k| k["value"].as_str())
        .unwrap_or_default()
        .to_owned();
    if connectors != t.profile().connectors.to_string() {
        return fail(format!(
            "NumberOfConnectors is {connectors:?}, the station profile says {}",
            t.profile().connectors
        ));
    }

    // A selection of keys, one of them unknown.
    let unknown = "ConformanceUnknownKey";
    let some = t
        .call(
            "GetConfiguration",
            json!({ "key": ["HeartbeatInterval", "MeterValueSampleInterval", unknown] }),
        )
        .await?;
    for key in ["HeartbeatInterval", "MeterValueSampleInterval"] {
        check_key(&some, key, RW)?;
    }
    let returned = some["configurationKey"].as_array().map_or(0, Vec::len);
    if returned != 2 {
        return fail(format!(
            "GetConfiguration of 2 known keys and an unknown one returned {returned} keys: {some}"
        ));
    }
    if !unknown_keys(&some).iter().any(|k| k == unknown) {
        return fail(format!(
            "the unknown key {unknown} is not in unknownKey: {some}"
        ));
    }
    Ok(())
}

/// TC_021: MeterValueSampleInterval set to a value it does not have: Accepted, and
/// GetConfiguration gives the new value.
async fn tc_021(t: &mut Tester<'_>) -> Outcome {
    let before: i64 = t
        .read_key("MeterValueSampleInterval")
        .await?
        .parse()
        .unwrap_or(0);
    let wanted = if before == 17 { 23 } else { 17 };
    t.configure("MeterValueSampleInterval", &wanted.to_string())
        .await?;
    let now = t.read_key("MeterValueSampleInterval").await?;
    if now != wanted.to_string() {
        return fail(format!(
            "MeterValueSampleInterval set to {wanted} (Accepted) reads {now:?}"
        ));
    }
    Ok(())
}

/// TC_040_1: ChangeConfiguration of a key the station does not have: NotSupported.
async fn tc_040_1(t: &mut Tester<'_>) -> Outcome {
    t.call_status(
        "ChangeConfiguration",
        json!({ "key": "ConformanceNotSupportedKey", "value": "true" }),
        "NotSupported",
    )
    .await
    .map(|_| ())
}

/// TC_040_2: ChangeConfiguration with a value the key cannot take (a negative interval):
/// Rejected, and the key keeps its value.
async fn tc_040_2(t: &mut Tester<'_>) -> Outcome {
    let before = t.read_key("MeterValueSampleInterval").await?;
    let answer = t
        .call(
            "ChangeConfiguration",
            json!({ "key": "MeterValueSampleInterval", "value": "-1" }),
        )
        .await?;
    if answer["status"] != "Rejected" {
        if answer["status"] == "Accepted" || answer["status"] == "RebootRequired" {
            // Put it back before failing.
            t.changed
                .push(("MeterValueSampleInterval".into(), before.clone()));
        }
        return fail(format!(
            "ChangeConfiguration MeterValueSampleInterval = -1: expected Rejected, got {answer}"
        ));
    }
    let after = t.read_key("MeterValueSampleInterval").await?;
    if after != before {
        return fail(format!(
            "MeterValueSampleInterval changed from {before:?} to {after:?} by a Rejected value"
        ));
    }
    Ok(())
}
