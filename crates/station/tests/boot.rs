//! Registration (TC_001 Cold Boot, TC_002 Cold Boot - Pending, Rejected) and heartbeats, on
//! the bare state machine: exact frames, exact times.

mod harness;

use harness::*;
use serde_json::json;
use station::{BootStatus, Input};

#[test]
fn tc_001_cold_boot_registers_then_reports_every_connector() {
    let mut h = Harness::new();
    h.input(Input::Connected);
    let boot = h.expect_call("BootNotification");
    assert_eq!(boot.payload["chargePointVendor"], "Chargepoint");
    assert_eq!(boot.payload["chargePointModel"], "SIM-DC-500");
    assert_eq!(boot.payload["firmwareVersion"], "0.1.0");
    let answer = h.default_answer(&boot);
    h.answer(&boot, answer);
    let mut calls = h.answer_all();
    // Then the security extension's StartupOfTheDevice (critical: sent).
    let event = calls.pop().expect("calls after the boot");
    assert_eq!(event.action, "SecurityEventNotification");
    assert_eq!(event.payload["type"], "StartupOfTheDevice");
    let statuses: Vec<_> = calls
        .iter()
        .map(|c| {
            assert_eq!(c.action, "StatusNotification");
            (
                c.payload["connectorId"].as_i64().unwrap(),
                c.payload["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            (0, json!("Available")),
            (1, json!("Available")),
            (2, json!("Available"))
        ]
    );
    assert_eq!(h.station.boot_status(), BootStatus::Accepted);
}

#[test]
fn tc_002_pending_sends_only_boot_notifications_at_the_interval() {
    let mut h = Harness::new();
    h.input(Input::Connected);
    let boot = h.expect_call("BootNotification");
    h.answer(
        &boot,
        json!({"status": "Pending", "currentTime": "2027-01-15T08:00:00Z", "interval": 60}),
    );
    // A plug while pending makes no requests (30 s before the next BootNotification, well
    // within ConnectionTimeOut: the EV still waits for a card once Accepted).
    h.advance(30);
    h.hw(hal::HardwareEvent::CablePlugged { connector: 1 });
    h.advance(29);
    h.expect_no_call();
    // The Central System may configure a pending station.
    let answer = h.csms_call("GetConfiguration", json!({"key": ["HeartbeatInterval"]}));
    assert_eq!(
        result_payload(answer)["configurationKey"][0]["value"],
        "300"
    );
    h.advance(1);
    let boot = h.expect_call("BootNotification");
    h.answer(
        &boot,
        json!({"status": "Accepted", "currentTime": "2027-01-15T08:01:00Z", "interval": 120}),
    );
    let calls = h.answer_all();
    // Two statuses, one of them Preparing, and StartupOfTheDevice.
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert_eq!(calls[3].action, "SecurityEventNotification");
    assert_eq!(calls[1].payload["status"], "Preparing");
    assert_eq!(h.station.config().current().heartbeat_interval, 120);
}

#[test]
fn rejected_station_is_silent_until_the_interval() {
    let mut h = Harness::new();
    h.input(Input::Connected);
    let boot = h.expect_call("BootNotification");
    h.answer(
        &boot,
        json!({"status": "Rejected", "currentTime": "2027-01-15T08:00:00Z", "interval": 30}),
    );
    assert!(h.csms_call("GetConfiguration", json!({})).is_none());
    assert!(h.csms_text("not json").is_none());
    h.advance(29);
    h.expect_no_call();
    h.advance(1);
    h.expect_call("BootNotification");
}

#[test]
fn unanswered_boot_notification_is_retried() {
    let mut h = Harness::new();
    h.input(Input::Connected);
    h.expect_call("BootNotification");
    h.advance(30); // response timeout
    h.expect_no_call();
    h.advance(60); // boot retry
    h.expect_call("BootNotification");
}

#[test]
fn heartbeat_follows_the_interval_and_its_changes() {
    let mut h = Harness::new();
    h.boot();
    h.advance(299);
    h.expect_no_call();
    h.advance(1);
    let hb = h.expect_call("Heartbeat");
    h.answer(&hb, json!({"currentTime": "2027-01-15T08:00:00Z"}));
    let answer = h.csms_call(
        "ChangeConfiguration",
        json!({"key": "HeartbeatInterval", "value": "10"}),
    );
    assert_eq!(result_payload(answer)["status"], "Accepted");
    h.advance(10);
    h.expect_call("Heartbeat");
}

#[test]
fn reconnect_resends_only_changed_statuses_and_no_boot() {
    let mut h = Harness::new();
    h.boot();
    h.input(Input::Disconnected);
    h.hw(hal::HardwareEvent::CablePlugged { connector: 2 });
    h.expect_no_call();
    h.input(Input::Connected);
    let calls = h.answer_all();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "StatusNotification");
    assert_eq!(calls[0].payload["connectorId"], 2);
    assert_eq!(calls[0].payload["status"], "Preparing");
}

#[test]
fn only_one_call_is_in_flight_and_a_silent_central_system_times_out() {
    let mut h = Harness::new();
    h.input(Input::Connected);
    let boot = h.expect_call("BootNotification");
    let answer = h.default_answer(&boot);
    h.answer(&boot, answer);
    let first = h.expect_call("StatusNotification");
    assert_eq!(first.payload["connectorId"], 0);
    h.advance(29);
    h.expect_no_call();
    h.advance(1);
    // Connector 0's notification went unanswered; the next one goes out.
    let next = h.expect_call("StatusNotification");
    assert_eq!(next.payload["connectorId"], 1);
}
