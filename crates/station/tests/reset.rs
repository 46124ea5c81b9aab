//! Reset on the bare state machine: TC_013 (hard, no transaction), TC_014 (soft, no
//! transaction), TC_015 (hard, with transaction), TC_016 (soft, with transaction); the
//! restart from the same store; a reset while the Central System does not answer.

mod harness;

use hal::{HardwareCommand, HardwareEvent};
use harness::*;
use serde_json::json;
use station::Input;

fn reset(h: &mut Harness, kind: &str) {
    let answer = h.csms_call("Reset", json!({ "type": kind }));
    assert_eq!(result_payload(answer), json!({"status": "Accepted"}));
}

/// Reset with no transaction: Accepted, restarted at once, and the next run boots again.
fn reset_without_transaction(kind: &str, hard: bool) {
    let mut h = Harness::new();
    h.boot();
    assert_eq!(h.station.boot_reason(), "PowerUp");
    reset(&mut h, kind);
    assert_eq!(h.resets, vec![hard]);
    h.expect_no_call();
    // The old run is over: it takes no more inputs.
    h.advance(600);
    h.expect_no_call();
    h.restart([1000.0, 5000.0]);
    assert_eq!(h.station.boot_reason(), format!("{kind}Reset"));
    let calls = h.boot();
    assert_eq!(calls[0].action, "BootNotification");
    // The new run reports the reset as a security event (critical: sent), after the statuses.
    let last = calls.last().expect("calls");
    assert_eq!(last.action, "SecurityEventNotification");
    assert_eq!(last.payload["type"], "ResetOrReboot");
    assert_eq!(last.payload["techInfo"], format!("{kind}Reset"));
    let statuses: Vec<_> = calls[1..calls.len() - 1]
        .iter()
        .map(|c| {
            (
                c.payload["connectorId"].clone(),
                c.payload["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            (json!(0), json!("Available")),
            (json!(1), json!("Available")),
            (json!(2), json!("Available"))
        ]
    );
    // A reset is remembered for one run only.
    h.restart([1000.0, 5000.0]);
    assert_eq!(h.station.boot_reason(), "PowerUp");
}

#[test]
fn tc_013_hard_reset_without_transaction() {
    reset_without_transaction("Hard", true);
}

#[test]
fn tc_014_soft_reset_without_transaction() {
    reset_without_transaction("Soft", false);
}

/// Reset during a transaction: StopTransaction with the reset's reason first, then the
/// restart; the next run does not send it again and the EV still plugged shows Preparing.
fn reset_with_transaction(kind: &str, hard: bool) {
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(1, "TAG1");
    h.meter(1, 2500.0);
    h.hardware.clear();
    reset(&mut h, kind);
    assert!(
        h.resets.is_empty(),
        "not before the StopTransaction is delivered"
    );
    assert_eq!(
        h.hardware,
        vec![HardwareCommand::DeEnergize { connector: 1 }]
    );
    let stop = h.expect_call("StopTransaction");
    assert_eq!(stop.payload["transactionId"], 101);
    assert_eq!(stop.payload["reason"], format!("{kind}Reset"));
    assert_eq!(stop.payload["meterStop"], 2500);
    assert!(h.resets.is_empty());
    h.answer(&stop, json!({}));
    // The status notifications of the stop go out before the restart too.
    let after: Vec<_> = h.answer_all().into_iter().map(|c| c.action).collect();
    assert!(after.iter().all(|a| a == "StatusNotification"), "{after:?}");
    assert_eq!(h.resets, vec![hard]);

    h.restart([2500.0, 5000.0]);
    // The drivers tell the new run what the hardware looks like: the EV is still there.
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    let calls = h.boot();
    let actions: Vec<_> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "BootNotification",
            "StatusNotification",
            "StatusNotification",
            "StatusNotification",
            "SecurityEventNotification"
        ]
    );
    assert_eq!(calls[2].payload["connectorId"], 1);
    assert_eq!(calls[2].payload["status"], "Preparing");
    assert_eq!(h.station.connectors()[0].transaction_id, None);
}

#[test]
fn tc_015_hard_reset_with_transaction() {
    reset_with_transaction("Hard", true);
}

#[test]
fn tc_016_soft_reset_with_transaction() {
    reset_with_transaction("Soft", false);
}

#[test]
fn reset_with_two_transactions_stops_both() {
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(1, "TAG1");
    h.start_transaction(2, "TAG2");
    reset(&mut h, "Soft");
    let stops: Vec<_> = h
        .answer_all()
        .into_iter()
        .filter(|c| c.action == "StopTransaction")
        .map(|c| {
            (
                c.payload["transactionId"].clone(),
                c.payload["reason"].clone(),
            )
        })
        .collect();
    assert_eq!(
        stops,
        vec![
            (json!(101), json!("SoftReset")),
            (json!(102), json!("SoftReset"))
        ]
    );
    assert_eq!(h.resets, vec![false]);
}

#[test]
fn unanswered_stop_transaction_is_sent_after_the_restart() {
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(2, "TAG2");
    reset(&mut h, "Hard");
    let stop = h.expect_call("StopTransaction");
    assert_eq!(stop.payload["reason"], "HardReset");
    // No answer: the station restarts after the call timeout anyway...
    h.advance(29);
    assert!(h.resets.is_empty());
    h.advance(1);
    assert_eq!(h.resets, vec![true]);
    // ...and the StopTransaction, durable, goes out once the next run is accepted.
    h.restart([1000.0, 5000.0]);
    h.input(Input::Connected);
    let boot = h.expect_call("BootNotification");
    let answer = h.default_answer(&boot);
    h.answer(&boot, answer);
    let calls = h.answer_all();
    let again = calls
        .iter()
        .find(|c| c.action == "StopTransaction")
        .expect("the StopTransaction again");
    assert_eq!(again.payload["transactionId"], 101);
    assert_eq!(again.payload["reason"], "HardReset");
}

#[test]
fn configuration_survives_a_reset() {
    let mut h = Harness::new();
    h.boot();
    let answer = h.csms_call(
        "ChangeConfiguration",
        json!({"key": "MeterValueSampleInterval", "value": "17"}),
    );
    assert_eq!(result_payload(answer)["status"], "Accepted");
    reset(&mut h, "Soft");
    h.restart([1000.0, 5000.0]);
    assert_eq!(h.station.config().current().meter_value_sample_interval, 17);
}

#[test]
fn remote_start_is_rejected_while_a_reset_is_on_its_way() {
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(1, "TAG1");
    reset(&mut h, "Soft");
    let answer = h.csms_call(
        "RemoteStartTransaction",
        json!({"connectorId": 2, "idTag": "REMOTE"}),
    );
    assert_eq!(result_payload(answer), json!({"status": "Rejected"}));
}
