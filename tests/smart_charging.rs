//! Smart Charging over a real WebSocket with the simulated charger (sections 3.13, 5.5, 5.7,
//! 5.16): TC_056 (TxDefaultProfile before a transaction), TC_057 (TxProfile during one),
//! TC_059 (remote start with a profile), TC_066 (GetCompositeSchedule), TC_067 (clear),
//! TC_072 (stacking), a ChargePointMaxProfile, a profile that expires, and the EV's measured
//! current following the limit (MeterValues: Current.Import <= the limit, Current.Offered ==
//! the limit).

mod common;

use chargepoint::runner::Operation;
use common::*;
use serde_json::{json, Value};

const TAG: &str = "TAG-SC-1";

fn absolute(h: &Harness, id: i32, level: i32, purpose: &str, unit: &str, limit: f64) -> Value {
    json!({
        "chargingProfileId": id,
        "stackLevel": level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "startSchedule": ocpp::datetime::format(&h.now()),
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
        }
    })
}

async fn set(h: &Harness, connector: i32, profile: Value) -> String {
    let answer = h
        .call(
            "SetChargingProfile",
            json!({"connectorId": connector, "csChargingProfiles": profile}),
        )
        .await;
    answer["status"].as_str().expect("a status").to_string()
}

async fn transaction_id(h: &Harness) -> i64 {
    let state = h
        .wait_state("transaction id known", |s| {
            connector(s, 1).transaction_id.is_some()
        })
        .await;
    i64::from(connector(&state, 1).transaction_id.expect("transaction id"))
}

/// The value of `measurand` in a MeterValues payload's first meterValue.
fn sample(mv: &Value, measurand: &str) -> f64 {
    let values = mv["meterValue"][0]["sampledValue"]
        .as_array()
        .unwrap_or_else(|| panic!("no sampledValue in {mv}"));
    let found = values
        .iter()
        .find(|v| v["measurand"] == measurand)
        .unwrap_or_else(|| panic!("no {measurand} in {mv}"));
    number(&found["value"])
}

/// The periodic MeterValues (the clock advanced 10 s at a time) until one shows the EV
/// following `limit_a`: Current.Offered == the limit, Current.Import <= it. A sample taken
/// in the same instant as a period boundary still shows the old limit, so the limit must
/// show within three samples.
async fn expect_following(h: &mut Harness, limit_a: f64) -> Value {
    let mut last = Value::Null;
    for _ in 0..3 {
        let (mv, _) = h.advance_until_call("MeterValues", 10, 120).await;
        let offered = sample(&mv.payload, "Current.Offered");
        if (offered - limit_a).abs() >= 0.05 {
            last = mv.payload;
            continue;
        }
        let import = sample(&mv.payload, "Current.Import");
        assert!(
            import <= limit_a + 0.05,
            "Current.Import {import} above limit {limit_a}: {}",
            mv.payload
        );
        assert!(import > 0.0, "the EV charges: {}", mv.payload);
        return mv.payload;
    }
    panic!("Current.Offered never became {limit_a}: last {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_056_tx_default_profile_before_a_transaction_limits_it() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let (value, readonly) = h.get_config("SupportedFeatureProfiles").await.unwrap();
    assert!(value.contains("SmartCharging"), "{value}");
    assert!(readonly);
    assert_eq!(
        h.get_config("ChargeProfileMaxStackLevel").await,
        Some(("10".into(), true))
    );
    assert_eq!(
        h.get_config("ChargingScheduleMaxPeriods").await,
        Some(("12".into(), true))
    );
    let p = absolute(&h, 1, 0, "TxDefaultProfile", "A", 32.0);
    assert_eq!(set(&h, 0, p).await, "Accepted");
    h.start_session(TAG).await;
    expect_following(&mut h, 32.0).await;
    let state = h
        .wait_state("current within the limit", |s| {
            connector(s, 1).current_a <= 32.05
        })
        .await;
    assert!(connector(&state, 1).current_a > 0.0, "{state:?}");
    h.shutdown().await;
}

/// TC_057 and TC_072: a TxProfile during the transaction stacks above the TxDefaultProfile
/// while it lasts (duration 120 s: then it has expired), and a ChargePointMaxProfile caps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_057_tx_profile_during_a_transaction_stacking_expiry_and_max_profile() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let p = absolute(&h, 1, 0, "TxDefaultProfile", "A", 40.0);
    assert_eq!(set(&h, 0, p).await, "Accepted");
    let tx = h.start_session(TAG).await;
    expect_following(&mut h, 40.0).await;

    let mut p = absolute(&h, 2, 1, "TxProfile", "A", 20.0);
    p["transactionId"] = json!(tx);
    p["chargingSchedule"]["duration"] = json!(150);
    assert_eq!(set(&h, 1, p.clone()).await, "Accepted");
    // A TxProfile for another transaction is refused (TC_058_2).
    p["transactionId"] = json!(tx + 1000);
    p["chargingProfileId"] = json!(3);
    assert_eq!(set(&h, 1, p).await, "Rejected");
    expect_following(&mut h, 20.0).await;
    // 150 s later the TxProfile's schedule is over: the TxDefaultProfile again.
    h.advance(150);
    expect_following(&mut h, 40.0).await;

    // A station-wide cap below it.
    let cap = absolute(&h, 4, 0, "ChargePointMaxProfile", "W", 10_000.0);
    assert_eq!(set(&h, 0, cap).await, "Accepted");
    let mv = h.advance_until_call("MeterValues", 10, 120).await.0.payload;
    let import = sample(&mv, "Power.Active.Import");
    assert!(import <= 10_000.0 + 50.0, "{mv}");
    let offered = sample(&mv, "Power.Offered");
    assert!(offered <= 10_000.0 + 50.0, "{mv}");

    // TC_067: cleared, the TxDefaultProfile's limit is back.
    let answer = h.call("ClearChargingProfile", json!({"id": 4})).await;
    assert_eq!(answer["status"], "Accepted");
    let answer = h.call("ClearChargingProfile", json!({"id": 4})).await;
    assert_eq!(answer["status"], "Unknown");
    expect_following(&mut h, 40.0).await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_066_get_composite_schedule_in_a_and_w() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let answer = h
        .call(
            "GetCompositeSchedule",
            json!({"connectorId": 1, "duration": 600}),
        )
        .await;
    // Nothing installed: the connector's hardware maximum, over the whole duration.
    assert_eq!(answer["status"], "Accepted", "nothing installed: {answer}");
    assert_eq!(
        answer["chargingSchedule"]["chargingSchedulePeriod"],
        json!([{"startPeriod": 0, "limit": 500.0}]),
        "{answer}"
    );
    assert_eq!(answer["chargingSchedule"]["duration"], 600, "{answer}");
    let p = absolute(&h, 1, 0, "TxDefaultProfile", "A", 32.0);
    assert_eq!(set(&h, 0, p).await, "Accepted");
    let mut stacked = absolute(&h, 2, 1, "TxDefaultProfile", "A", 16.0);
    stacked["chargingSchedule"]["duration"] = json!(300);
    assert_eq!(set(&h, 1, stacked).await, "Accepted");

    let answer = h
        .call(
            "GetCompositeSchedule",
            json!({"connectorId": 1, "duration": 600, "chargingRateUnit": "A"}),
        )
        .await;
    assert_eq!(answer["status"], "Accepted", "{answer}");
    assert_eq!(answer["connectorId"], 1);
    assert_eq!(time_of(&answer["scheduleStart"]), h.now());
    assert_eq!(
        answer["chargingSchedule"]["chargingSchedulePeriod"],
        json!([{"startPeriod": 0, "limit": 16.0}, {"startPeriod": 300, "limit": 32.0}]),
        "{answer}"
    );
    // In W, at the EV's nominal voltage (no EV energized).
    let answer = h
        .call(
            "GetCompositeSchedule",
            json!({"connectorId": 1, "duration": 600, "chargingRateUnit": "W"}),
        )
        .await;
    assert_eq!(answer["chargingSchedule"]["chargingRateUnit"], "W");
    assert_eq!(
        answer["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"],
        json!(6400.0),
        "{answer}"
    );
    let answer = h
        .call(
            "GetCompositeSchedule",
            json!({"connectorId": 7, "duration": 600}),
        )
        .await;
    assert_eq!(answer["status"], "Rejected");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_059_remote_start_with_a_charging_profile() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    h.operate(1, Operation::Plug).await;
    h.expect_status(1, "Preparing").await;
    let profile = json!({
        "chargingProfileId": 9,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {"chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 24.0}]}
    });
    let answer = h
        .call(
            "RemoteStartTransaction",
            json!({"connectorId": 1, "idTag": TAG, "chargingProfile": profile}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.next_call("Authorize").await;
    h.next_call("StartTransaction").await;
    h.expect_status(1, "Charging").await;
    let tx = transaction_id(&h).await;
    expect_following(&mut h, 24.0).await;
    // A limit of 0 suspends the transaction: SuspendedEVSE.
    let mut zero = profile_with_limit(9, 0.0);
    zero["transactionId"] = json!(tx);
    assert_eq!(set(&h, 1, zero).await, "Accepted");
    h.expect_status(1, "SuspendedEVSE").await;
    let answer = h
        .call(
            "ClearChargingProfile",
            json!({"chargingProfilePurpose": "TxProfile"}),
        )
        .await;
    assert_eq!(answer["status"], "Accepted");
    h.expect_status(1, "Charging").await;
    h.shutdown().await;
}

fn profile_with_limit(id: i32, limit: f64) -> Value {
    json!({
        "chargingProfileId": id,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {"chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}
    })
}
