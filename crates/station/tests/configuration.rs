//! TC_019 Retrieve configuration, TC_021 Change/set configuration, TC_040 NotSupported and
//! invalid values; persistence of changed keys.

mod harness;

use harness::*;
use serde_json::json;

#[test]
fn tc_019_get_all_keys_and_unknown_keys() {
    let mut h = Harness::new();
    h.boot();
    let all = result_payload(h.csms_call("GetConfiguration", json!({})));
    let keys = all["configurationKey"].as_array().unwrap();
    assert!(keys.len() >= 30, "{}", keys.len());
    let n = keys
        .iter()
        .find(|k| k["key"] == "NumberOfConnectors")
        .unwrap();
    assert_eq!(n["readonly"], true);
    assert_eq!(n["value"], "2");
    let some = result_payload(h.csms_call(
        "GetConfiguration",
        json!({"key": ["HeartbeatInterval", "NoSuchKey"]}),
    ));
    assert_eq!(some["configurationKey"].as_array().unwrap().len(), 1);
    assert_eq!(some["unknownKey"], json!(["NoSuchKey"]));
}

#[test]
fn get_configuration_refuses_more_keys_than_get_configuration_max_keys() {
    let mut h = Harness::new();
    h.boot();
    let keys: Vec<String> = (0..21).map(|i| format!("Key{i}")).collect();
    let answer = h.csms_call("GetConfiguration", json!({ "key": keys }));
    assert_eq!(
        error_code(answer),
        ocpp::ErrorCode::OccurenceConstraintViolation
    );
}

#[test]
fn tc_021_and_tc_040_change_configuration_statuses() {
    let mut h = Harness::new();
    h.boot();
    let mut change = |key: &str, value: &str| {
        let answer = h.csms_call("ChangeConfiguration", json!({"key": key, "value": value}));
        result_payload(answer)["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(change("MeterValueSampleInterval", "30"), "Accepted");
    assert_eq!(change("MeterValueSampleInterval", "1801"), "Rejected");
    assert_eq!(change("MeterValueSampleInterval", "ten"), "Rejected");
    assert_eq!(change("NumberOfConnectors", "3"), "Rejected");
    assert_eq!(change("UnknownKey", "1"), "NotSupported");
    assert_eq!(
        change("MeterValuesSampledData", "Voltage,Bogus"),
        "Rejected"
    );
    assert_eq!(change("StopTransactionOnInvalidId", "false"), "Accepted");
}

#[test]
fn changed_keys_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("station.db");
    {
        let store = store::SqliteStore::open(&db).unwrap();
        let mut h = Harness::with_store(Box::new(store), t0());
        h.boot();
        let answer = h.csms_call(
            "ChangeConfiguration",
            json!({"key": "ConnectionTimeOut", "value": "45"}),
        );
        assert_eq!(result_payload(answer)["status"], "Accepted");
    }
    let store = store::SqliteStore::open(&db).unwrap();
    let h = Harness::with_store(Box::new(store), t0());
    assert_eq!(h.station.config().current().connection_time_out, 45);
}
