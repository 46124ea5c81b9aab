//! The Smart Charging profile on the bare state machine: TC_056 (TxDefaultProfile), TC_057
//! (TxProfile), TC_058_1 / TC_058_2 (TxProfile refused), TC_059 (remote start with a
//! profile), TC_066 (GetCompositeSchedule), TC_067 (ClearChargingProfile), TC_072 (stacking),
//! and what the spec and SC-1 add: the replacement and rejection rules, limits applied at
//! period boundaries on the injected clock, SuspendedEVSE at a limit of 0, profiles that
//! survive a restart.

mod harness;

use chrono::Duration;
use hal::{HardwareCommand, HardwareEvent};
use harness::*;
use ocpp::ChargePointStatus;
use serde_json::{json, Value};
use station::StationConfig;

fn booted() -> Harness {
    let mut h = Harness::new();
    h.boot();
    h
}

fn at(h: &Harness, seconds: i64) -> String {
    ocpp::datetime::format(&(h.now + Duration::seconds(seconds)))
}

/// An Absolute profile starting now with `periods` (startPeriod s, limit).
fn absolute(
    h: &Harness,
    id: i32,
    level: i32,
    purpose: &str,
    unit: &str,
    periods: &[(i64, f64)],
) -> Value {
    let periods: Vec<Value> = periods
        .iter()
        .map(|(s, l)| json!({"startPeriod": s, "limit": l}))
        .collect();
    json!({
        "chargingProfileId": id,
        "stackLevel": level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "startSchedule": at(h, 0),
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": periods,
        }
    })
}

/// A Relative profile (from the start of the transaction).
fn relative(id: i32, level: i32, purpose: &str, periods: &[(i64, f64)]) -> Value {
    let periods: Vec<Value> = periods
        .iter()
        .map(|(s, l)| json!({"startPeriod": s, "limit": l}))
        .collect();
    json!({
        "chargingProfileId": id,
        "stackLevel": level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Relative",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": periods}
    })
}

fn set(h: &mut Harness, connector: i32, profile: Value) -> String {
    let answer = result_payload(h.csms_call(
        "SetChargingProfile",
        json!({"connectorId": connector, "csChargingProfiles": profile}),
    ));
    answer["status"].as_str().unwrap().to_string()
}

fn clear(h: &mut Harness, filter: Value) -> String {
    let answer = result_payload(h.csms_call("ClearChargingProfile", filter));
    answer["status"].as_str().unwrap().to_string()
}

fn composite(h: &mut Harness, connector: i32, duration: i32, unit: Option<&str>) -> Value {
    let mut req = json!({"connectorId": connector, "duration": duration});
    if let Some(unit) = unit {
        req["chargingRateUnit"] = json!(unit);
    }
    result_payload(h.csms_call("GetCompositeSchedule", req))
}

/// The SetLimit commands given since the last look, as (connector, A, W), taken out.
fn limits(h: &mut Harness) -> Vec<(u32, Option<f64>, Option<f64>)> {
    let mut got = Vec::new();
    h.hardware.retain(|c| match c {
        HardwareCommand::SetLimit { connector, limit } => {
            got.push((*connector, limit.max_current_a, limit.max_power_w));
            false
        }
        _ => true,
    });
    got
}

fn status(h: &Harness, connector: u32) -> ChargePointStatus {
    h.station.connectors()[connector as usize - 1].status
}

fn transaction_id(h: &Harness, connector: u32) -> i32 {
    h.station.connectors()[connector as usize - 1]
        .transaction_id
        .expect("a transaction with an id")
}

#[test]
fn tc_056_tx_default_profile_on_connector_0_limits_every_connector() {
    let mut h = booted();
    let p = absolute(&h, 1, 0, "TxDefaultProfile", "A", &[(0, 16.0), (60, 8.0)]);
    assert_eq!(set(&mut h, 0, p), "Accepted");
    assert_eq!(
        limits(&mut h),
        vec![(1, Some(16.0), Some(6400.0)), (2, Some(16.0), Some(6400.0))]
    );
    // The transaction that starts runs under it: nothing new to tell the power module.
    h.start_transaction(1, "TAG1");
    assert_eq!(limits(&mut h), vec![]);
    assert_eq!(status(&h, 1), ChargePointStatus::Charging);
}

#[test]
fn period_boundaries_give_the_power_module_the_new_limit_on_the_injected_clock() {
    let mut h = booted();
    let p = absolute(
        &h,
        1,
        0,
        "TxDefaultProfile",
        "W",
        &[(0, 8000.0), (60, 4000.0)],
    );
    assert_eq!(set(&mut h, 1, p), "Accepted");
    assert_eq!(limits(&mut h), vec![(1, Some(20.0), Some(8000.0))]);
    assert_eq!(h.wake_at(), Some(h.now + Duration::seconds(60)));
    h.advance(59);
    assert_eq!(limits(&mut h), vec![]);
    h.advance(1);
    assert_eq!(limits(&mut h), vec![(1, Some(10.0), Some(4000.0))]);
}

#[test]
fn tc_057_tx_profile_during_a_transaction_limits_it_and_goes_with_it() {
    let mut h = booted();
    h.start_transaction(1, "TAG1");
    let id = transaction_id(&h, 1);
    let mut p = relative(5, 1, "TxProfile", &[(0, 32.0)]);
    p["transactionId"] = json!(id);
    assert_eq!(set(&mut h, 1, p), "Accepted");
    assert_eq!(limits(&mut h), vec![(1, Some(32.0), Some(12800.0))]);
    // The transaction ends: its TxProfile is removed and the limit lifted.
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    h.answer_all();
    assert_eq!(limits(&mut h), vec![(1, None, None)]);
    assert_eq!(clear(&mut h, json!({"id": 5})), "Unknown");
}

#[test]
fn tc_058_1_tx_profile_without_a_transaction_is_rejected() {
    let mut h = booted();
    let p = relative(5, 1, "TxProfile", &[(0, 32.0)]);
    assert_eq!(set(&mut h, 1, p.clone()), "Rejected");
    // Nor on connector 0, transaction or not.
    h.start_transaction(1, "TAG1");
    assert_eq!(set(&mut h, 0, p), "Rejected");
    assert_eq!(limits(&mut h), vec![]);
}

#[test]
fn tc_058_2_tx_profile_with_a_wrong_transaction_id_is_rejected() {
    let mut h = booted();
    h.start_transaction(1, "TAG1");
    let id = transaction_id(&h, 1);
    let mut p = relative(5, 1, "TxProfile", &[(0, 32.0)]);
    p["transactionId"] = json!(id + 1);
    assert_eq!(set(&mut h, 1, p.clone()), "Rejected");
    // Without a transactionId it is the running transaction's.
    p.as_object_mut().unwrap().remove("transactionId");
    assert_eq!(set(&mut h, 1, p), "Accepted");
}

#[test]
fn set_charging_profile_rejects_what_sc_1_does_not_support() {
    let mut h = booted();
    let ok = absolute(&h, 1, 0, "TxDefaultProfile", "A", &[(0, 16.0)]);
    // ChargePointMaxProfile only on connector 0; a connector the station does not have.
    let max = absolute(&h, 2, 0, "ChargePointMaxProfile", "A", &[(0, 100.0)]);
    assert_eq!(set(&mut h, 1, max.clone()), "Rejected");
    assert_eq!(set(&mut h, 0, max), "Accepted");
    assert_eq!(set(&mut h, 3, ok.clone()), "Rejected");
    // ChargeProfileMaxStackLevel 10.
    let mut deep = ok.clone();
    deep["stackLevel"] = json!(11);
    assert_eq!(set(&mut h, 1, deep.clone()), "Rejected");
    deep["stackLevel"] = json!(10);
    assert_eq!(set(&mut h, 1, deep), "Accepted");
    // ChargingScheduleMaxPeriods 12.
    let thirteen: Vec<(i64, f64)> = (0..13).map(|i| (i * 60, 10.0)).collect();
    let long = absolute(&h, 3, 1, "TxDefaultProfile", "A", &thirteen);
    assert_eq!(set(&mut h, 1, long), "Rejected");
    let twelve = absolute(&h, 3, 1, "TxDefaultProfile", "A", &thirteen[..12]);
    assert_eq!(set(&mut h, 1, twelve), "Accepted");
    // Recurring needs its recurrencyKind.
    let mut recurring = absolute(&h, 4, 2, "TxDefaultProfile", "A", &[(0, 16.0)]);
    recurring["chargingProfileKind"] = json!("Recurring");
    assert_eq!(set(&mut h, 1, recurring.clone()), "Rejected");
    recurring["recurrencyKind"] = json!("Daily");
    assert_eq!(set(&mut h, 1, recurring), "Accepted");
    // The first period starts at 0.
    let late = absolute(&h, 6, 3, "TxDefaultProfile", "A", &[(10, 16.0)]);
    assert_eq!(set(&mut h, 1, late), "Rejected");
}

#[test]
fn more_than_max_charging_profiles_installed_is_rejected_but_a_replacement_is_not() {
    let mut h = booted();
    let max = h.station.config().current().max_charging_profiles_installed;
    assert_eq!(max, 20);
    // Two connectors, stack levels 0..=10: distinct (connector, purpose, level) triples.
    for i in 0..20 {
        let p = absolute(&h, 100 + i, i % 10, "TxDefaultProfile", "A", &[(0, 16.0)]);
        assert_eq!(set(&mut h, 1 + i / 10, p), "Accepted", "profile {i}");
    }
    let extra = absolute(&h, 200, 10, "TxDefaultProfile", "A", &[(0, 16.0)]);
    assert_eq!(set(&mut h, 1, extra), "Rejected");
    let again = absolute(&h, 105, 5, "TxDefaultProfile", "A", &[(0, 12.0)]);
    assert_eq!(set(&mut h, 1, again), "Accepted");
}

#[test]
fn the_same_id_or_the_same_purpose_and_stack_level_on_a_connector_replaces() {
    let mut h = booted();
    let a = absolute(&h, 1, 2, "TxDefaultProfile", "A", &[(0, 16.0)]);
    assert_eq!(set(&mut h, 1, a), "Accepted");
    // Same purpose and stack level on the same connector: replaces profile 1.
    let b = absolute(&h, 2, 2, "TxDefaultProfile", "A", &[(0, 10.0)]);
    assert_eq!(set(&mut h, 1, b), "Accepted");
    assert_eq!(clear(&mut h, json!({"id": 1})), "Unknown");
    // The same id elsewhere replaces profile 2.
    let c = absolute(&h, 2, 4, "TxDefaultProfile", "A", &[(0, 8.0)]);
    assert_eq!(set(&mut h, 2, c), "Accepted");
    assert_eq!(clear(&mut h, json!({"connectorId": 1})), "Unknown");
    // Same level on another connector: both stay.
    let d = absolute(&h, 3, 4, "TxDefaultProfile", "A", &[(0, 8.0)]);
    assert_eq!(set(&mut h, 1, d), "Accepted");
    assert_eq!(clear(&mut h, json!({"stackLevel": 4})), "Accepted");
    assert_eq!(clear(&mut h, json!({})), "Unknown");
}

#[test]
fn tc_067_clear_charging_profile_by_each_filter() {
    let mut h = booted();
    let install = |h: &mut Harness| {
        let p = absolute(h, 1, 0, "ChargePointMaxProfile", "A", &[(0, 100.0)]);
        assert_eq!(set(h, 0, p), "Accepted");
        let p = absolute(h, 2, 1, "TxDefaultProfile", "A", &[(0, 32.0)]);
        assert_eq!(set(h, 0, p), "Accepted");
        let p = absolute(h, 3, 2, "TxDefaultProfile", "A", &[(0, 16.0)]);
        assert_eq!(set(h, 1, p), "Accepted");
    };
    install(&mut h);
    // By id.
    assert_eq!(clear(&mut h, json!({"id": 3})), "Accepted");
    assert_eq!(clear(&mut h, json!({"id": 3})), "Unknown");
    // By connector.
    assert_eq!(clear(&mut h, json!({"connectorId": 1})), "Unknown");
    assert_eq!(clear(&mut h, json!({"connectorId": 0})), "Accepted");
    assert_eq!(clear(&mut h, json!({})), "Unknown");
    // By purpose.
    install(&mut h);
    assert_eq!(
        clear(
            &mut h,
            json!({"chargingProfilePurpose": "ChargePointMaxProfile"})
        ),
        "Accepted"
    );
    assert_eq!(clear(&mut h, json!({"id": 1})), "Unknown");
    // By stack level, combined with the purpose.
    assert_eq!(
        clear(
            &mut h,
            json!({"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 2})
        ),
        "Accepted"
    );
    assert_eq!(clear(&mut h, json!({"id": 3})), "Unknown");
    // Everything.
    assert_eq!(clear(&mut h, json!({})), "Accepted");
    assert_eq!(clear(&mut h, json!({"id": 2})), "Unknown");
    // The limits went with them.
    assert_eq!(limits(&mut h).last(), Some(&(2, None, None)));
}

#[test]
fn tc_072_stacking_a_higher_stack_level_wins_while_it_lasts_and_the_max_profile_caps() {
    let mut h = booted();
    let base = absolute(&h, 1, 0, "TxDefaultProfile", "A", &[(0, 20.0)]);
    assert_eq!(set(&mut h, 1, base), "Accepted");
    let mut top = absolute(&h, 2, 1, "TxDefaultProfile", "A", &[(0, 10.0)]);
    top["chargingSchedule"]["duration"] = json!(120);
    assert_eq!(set(&mut h, 1, top), "Accepted");
    assert_eq!(limits(&mut h).last(), Some(&(1, Some(10.0), Some(4000.0))));
    h.advance(120);
    assert_eq!(limits(&mut h), vec![(1, Some(20.0), Some(8000.0))]);
    // The station-wide cap of 15 A is below the TxDefaultProfile's 20 A.
    let cap = absolute(&h, 3, 0, "ChargePointMaxProfile", "A", &[(0, 15.0)]);
    assert_eq!(set(&mut h, 0, cap), "Accepted");
    assert_eq!(
        limits(&mut h),
        vec![(1, Some(15.0), Some(6000.0)), (2, Some(15.0), Some(6000.0))]
    );
}

#[test]
fn a_limit_of_0_during_a_transaction_is_suspended_evse() {
    let mut h = booted();
    h.start_transaction(1, "TAG1");
    let p = relative(7, 0, "TxProfile", &[(0, 0.0), (300, 10.0)]);
    assert_eq!(set(&mut h, 1, p), "Accepted");
    h.answer_all();
    assert_eq!(status(&h, 1), ChargePointStatus::SuspendedEVSE);
    assert_eq!(limits(&mut h), vec![(1, Some(0.0), Some(0.0))]);
    h.advance(300);
    h.answer_all();
    assert_eq!(status(&h, 1), ChargePointStatus::Charging);
    assert_eq!(limits(&mut h), vec![(1, Some(10.0), Some(4000.0))]);
}

#[test]
fn tc_066_get_composite_schedule_in_a_and_w() {
    let mut cfg = StationConfig::new(info(), 2);
    cfg.nominal_voltage_v = 230.0;
    let mut h = Harness::with_config(
        cfg,
        Box::new(store::MemoryStore::new()),
        t0(),
        [1000.0, 5000.0],
    );
    h.boot();
    // Nothing installed: the hardware's maximum all along.
    let got = composite(&mut h, 1, 600, None);
    assert_eq!(got["status"], "Accepted");
    assert_eq!(
        got["chargingSchedule"]["chargingSchedulePeriod"],
        json!([{"startPeriod": 0, "limit": 500.0}])
    );
    assert_eq!(got["chargingSchedule"]["duration"], 600);
    let p = absolute(&h, 1, 0, "TxDefaultProfile", "A", &[(0, 16.0), (300, 8.0)]);
    assert_eq!(set(&mut h, 0, p), "Accepted");
    assert_eq!(composite(&mut h, 3, 600, None)["status"], "Rejected");
    // In A (the default unit).
    let got = composite(&mut h, 1, 600, None);
    assert_eq!(got["status"], "Accepted");
    assert_eq!(got["connectorId"], 1);
    assert_eq!(got["scheduleStart"], json!(at(&h, 0)));
    let schedule = &got["chargingSchedule"];
    assert_eq!(schedule["chargingRateUnit"], "A");
    assert_eq!(
        schedule["chargingSchedulePeriod"],
        json!([{"startPeriod": 0, "limit": 16.0}, {"startPeriod": 300, "limit": 8.0}])
    );
    // In W: no EV energized, so the nominal voltage converts.
    let got = composite(&mut h, 1, 600, Some("W"));
    assert_eq!(got["chargingSchedule"]["chargingRateUnit"], "W");
    assert_eq!(
        got["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"],
        json!(3680.0)
    );
    // During a transaction the EV's measured voltage (400 V) converts.
    h.start_transaction(1, "TAG1");
    let got = composite(&mut h, 1, 600, Some("W"));
    assert_eq!(
        got["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"],
        json!(6400.0)
    );
    // Connector 0: the station as a whole.
    assert_eq!(composite(&mut h, 0, 600, None)["status"], "Accepted");
}

/// The periods of a GetCompositeSchedule answer as (startPeriod, limit), and its duration.
fn periods_of(answer: &Value) -> (Vec<(i64, f64)>, i64) {
    assert_eq!(answer["status"], "Accepted", "{answer}");
    let schedule = &answer["chargingSchedule"];
    let periods = schedule["chargingSchedulePeriod"]
        .as_array()
        .expect("periods")
        .iter()
        .map(|p| {
            (
                p["startPeriod"].as_i64().unwrap(),
                p["limit"].as_f64().unwrap(),
            )
        })
        .collect();
    (periods, schedule["duration"].as_i64().expect("a duration"))
}

#[test]
fn tc_066_gaps_in_the_profiles_are_filled_with_the_hardware_maximum() {
    let mut h = booted();
    // A profile that ends after 300 s: the hardware's maximum (500 A) afterwards, for the
    // whole duration asked for.
    let mut p = absolute(&h, 1, 0, "TxDefaultProfile", "A", &[(0, 16.0)]);
    p["chargingSchedule"]["duration"] = json!(300);
    assert_eq!(set(&mut h, 1, p), "Accepted");
    assert_eq!(
        periods_of(&composite(&mut h, 1, 600, None)),
        (vec![(0, 16.0), (300, 500.0)], 600)
    );
    // A profile that starts in 120 s: the maximum until then.
    let mut later = absolute(&h, 2, 0, "TxDefaultProfile", "A", &[(0, 10.0)]);
    later["chargingSchedule"]["startSchedule"] = json!(at(&h, 120));
    assert_eq!(set(&mut h, 2, later), "Accepted");
    assert_eq!(
        periods_of(&composite(&mut h, 2, 600, None)),
        (vec![(0, 500.0), (120, 10.0)], 600)
    );
    // In W: the maximum power (250 kW).
    assert_eq!(
        periods_of(&composite(&mut h, 2, 600, Some("W"))),
        (vec![(0, 250_000.0), (120, 4000.0)], 600)
    );
}

#[test]
fn tc_066_connector_0_reports_what_the_whole_station_may_draw() {
    let mut h = booted();
    // Nothing installed: both connectors at their maximum.
    assert_eq!(
        periods_of(&composite(&mut h, 0, 600, None)),
        (vec![(0, 1000.0)], 600)
    );
    // Connector 1 at 16 A; connector 2 at 20 A for 300 s, then at its maximum.
    let one = absolute(&h, 1, 0, "TxDefaultProfile", "A", &[(0, 16.0)]);
    assert_eq!(set(&mut h, 1, one), "Accepted");
    let mut two = absolute(&h, 2, 0, "TxDefaultProfile", "A", &[(0, 20.0)]);
    two["chargingSchedule"]["duration"] = json!(300);
    assert_eq!(set(&mut h, 2, two), "Accepted");
    assert_eq!(
        periods_of(&composite(&mut h, 0, 600, None)),
        (vec![(0, 36.0), (300, 516.0)], 600)
    );
    // The ChargePointMaxProfile caps the total, not each connector's share of it.
    let max = absolute(&h, 3, 0, "ChargePointMaxProfile", "A", &[(0, 100.0)]);
    assert_eq!(set(&mut h, 0, max), "Accepted");
    assert_eq!(
        periods_of(&composite(&mut h, 0, 600, None)),
        (vec![(0, 36.0), (300, 100.0)], 600)
    );
    // A connector alone is still its own composite.
    assert_eq!(
        periods_of(&composite(&mut h, 1, 600, None)),
        (vec![(0, 16.0)], 600)
    );
}

#[test]
fn profiles_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("station.db");
    let store = store::SqliteStore::open(&db).unwrap();
    let mut h = Harness::with_store(Box::new(store), t0());
    h.boot();
    let p = absolute(&h, 1, 0, "TxDefaultProfile", "A", &[(0, 16.0)]);
    assert_eq!(set(&mut h, 0, p), "Accepted");
    h.start_transaction(1, "TAG1");
    let p = relative(2, 1, "TxProfile", &[(0, 6.0)]);
    assert_eq!(set(&mut h, 1, p), "Accepted");
    h.restart([1000.0, 5000.0]);
    // The restarted station applies the TxDefaultProfile at once; the TxProfile died with
    // its transaction (stopped by the power loss).
    assert_eq!(
        limits(&mut h),
        vec![(1, Some(16.0), Some(6400.0)), (2, Some(16.0), Some(6400.0))]
    );
    h.boot();
    assert_eq!(clear(&mut h, json!({"id": 2})), "Unknown");
    assert_eq!(clear(&mut h, json!({"id": 1})), "Accepted");
}

#[test]
fn tc_059_remote_start_profile_becomes_the_transactions_tx_profile() {
    let mut h = booted();
    let profile = relative(9, 2, "TxProfile", &[(0, 12.0)]);
    let answer = result_payload(h.csms_call(
        "RemoteStartTransaction",
        json!({"connectorId": 1, "idTag": "TAG1", "chargingProfile": profile}),
    ));
    assert_eq!(answer["status"], "Accepted");
    h.answer_all();
    assert_eq!(limits(&mut h), vec![]);
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.answer_all();
    assert_eq!(status(&h, 1), ChargePointStatus::Charging);
    assert_eq!(limits(&mut h), vec![(1, Some(12.0), Some(4800.0))]);
    // A SetChargingProfile for this transaction at the same stack level replaces it.
    let id = transaction_id(&h, 1);
    let mut p = relative(10, 2, "TxProfile", &[(0, 20.0)]);
    p["transactionId"] = json!(id);
    assert_eq!(set(&mut h, 1, p), "Accepted");
    assert_eq!(limits(&mut h), vec![(1, Some(20.0), Some(8000.0))]);
    assert_eq!(clear(&mut h, json!({"id": 9})), "Unknown");
    // And it goes with the transaction.
    let answer = result_payload(h.csms_call("RemoteStopTransaction", json!({"transactionId": id})));
    assert_eq!(answer["status"], "Accepted");
    h.answer_all();
    assert_eq!(limits(&mut h), vec![(1, None, None)]);
    assert_eq!(clear(&mut h, json!({"id": 10})), "Unknown");
}

#[test]
fn tc_059_the_remote_start_profile_gets_the_transaction_id() {
    let mut h = booted();
    let profile = relative(9, 2, "TxProfile", &[(0, 12.0)]);
    h.csms_call(
        "RemoteStartTransaction",
        json!({"connectorId": 1, "idTag": "TAG1", "chargingProfile": profile}),
    );
    h.answer_all();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.answer_all();
    let id = transaction_id(&h, 1);
    // Cleared by its purpose and stack level on its connector: it was installed there.
    assert_eq!(
        clear(
            &mut h,
            json!({"connectorId": 1, "chargingProfilePurpose": "TxProfile", "stackLevel": 2})
        ),
        "Accepted"
    );
    assert_eq!(
        limits(&mut h),
        vec![(1, Some(12.0), Some(4800.0)), (1, None, None)]
    );
    // A TxProfile naming the transaction is accepted: the id came with StartTransaction.conf.
    let mut p = relative(11, 2, "TxProfile", &[(0, 20.0)]);
    p["transactionId"] = json!(id);
    assert_eq!(set(&mut h, 1, p), "Accepted");
}

#[test]
fn composite_schedules_cap_limits_at_the_hardware_maximum_so_none_overflows() {
    // A fuzzer's 1e308 A was accepted (it is a valid number) and, converted to W, became
    // infinity, which JSON cannot carry: the answer had `"limit": null`.
    let mut h = booted();
    let p = absolute(&h, 1, 0, "TxDefaultProfile", "A", &[(0, 1e308), (60, 16.0)]);
    assert_eq!(set(&mut h, 0, p), "Accepted");
    let cfg = StationConfig::new(info(), 2);
    for (unit, max) in [("A", cfg.max_current_a), ("W", cfg.max_power_w)] {
        let got = composite(&mut h, 1, 600, Some(unit));
        let periods = &got["chargingSchedule"]["chargingSchedulePeriod"];
        assert_eq!(periods[0]["limit"], json!(max), "{unit}: {got}");
        assert!(
            periods[1]["limit"].as_f64().is_some_and(|l| l < max),
            "{got}"
        );
        ocpp::validate_response(ocpp::Action::GetCompositeSchedule, &got)
            .unwrap_or_else(|e| panic!("{unit}: {got} fails its schema: {e}"));
    }
}

#[test]
fn negative_limits_are_rejected_in_set_charging_profile_and_remote_start() {
    let mut h = booted();
    for limit in [-1.0, -2_147_483_649.0] {
        let p = absolute(&h, 1, 0, "TxDefaultProfile", "A", &[(0, limit)]);
        assert_eq!(set(&mut h, 0, p), "Rejected", "limit {limit}");
        let profile = relative(9, 2, "TxProfile", &[(0, limit)]);
        let answer = result_payload(h.csms_call(
            "RemoteStartTransaction",
            json!({"connectorId": 1, "idTag": "TAG1", "chargingProfile": profile}),
        ));
        assert_eq!(answer["status"], "Rejected", "limit {limit}");
    }
    // Nothing was installed: the hardware's maximum.
    assert_eq!(
        composite(&mut h, 1, 600, None)["chargingSchedule"]["chargingSchedulePeriod"],
        json!([{"startPeriod": 0, "limit": 500.0}])
    );
}
