//! Remote Trigger (TC_054 Trigger Message, TC_055 Trigger Message - Rejected) on the bare
//! state machine: the TriggerMessage.conf goes out first, then the requested message.

mod harness;

use harness::*;
use ocpp::{Call, Frame};
use serde_json::{json, Value};
use station::{BootStatus, Input};

/// Send TriggerMessage.req; every frame the station sent in response, in order.
fn trigger_frames(h: &mut Harness, payload: Value) -> Vec<Frame> {
    let text = Frame::Call(Call {
        unique_id: "trigger-1".into(),
        action: "TriggerMessage".into(),
        payload,
    })
    .to_text();
    h.input(Input::Received(text));
    std::mem::take(&mut h.sent)
}

/// Send TriggerMessage.req: the status answered, which must be the first frame, and the
/// CALLs that followed it.
fn trigger(h: &mut Harness, payload: Value) -> (String, Vec<Call>) {
    let frames = trigger_frames(h, payload);
    let status = match frames.first() {
        Some(Frame::CallResult(r)) if r.unique_id == "trigger-1" => {
            r.payload["status"].as_str().unwrap().to_string()
        }
        other => panic!("the TriggerMessage.conf must come first, got {other:?} in {frames:?}"),
    };
    let calls = frames[1..]
        .iter()
        .map(|f| match f {
            Frame::Call(c) => c.clone(),
            other => panic!("unexpected frame {other:?}"),
        })
        .collect();
    (status, calls)
}

/// Answer each CALL and collect what follows, starting from `first` (the one in flight).
fn answer_chain(h: &mut Harness, first: Vec<Call>) -> Vec<Call> {
    h.sent.extend(first.into_iter().map(Frame::Call));
    h.answer_all()
}

fn booted() -> Harness {
    let mut h = Harness::new();
    h.boot();
    h
}

#[test]
fn tc_054_status_notification_for_one_connector_is_sent_after_the_answer_even_unchanged() {
    let mut h = booted();
    let (status, calls) = trigger(
        &mut h,
        json!({"requestedMessage": "StatusNotification", "connectorId": 1}),
    );
    assert_eq!(status, "Accepted");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "StatusNotification");
    assert_eq!(calls[0].payload["connectorId"], 1);
    assert_eq!(calls[0].payload["status"], "Available");
    assert_eq!(calls[0].payload["errorCode"], "NoError");
    assert_eq!(
        calls[0].payload["timestamp"],
        ocpp::datetime::format(&h.now)
    );
    let rest = answer_chain(&mut h, calls);
    assert_eq!(rest.len(), 1, "nothing else follows: {rest:?}");
}

#[test]
fn tc_054_status_notification_without_connector_reports_the_station_and_every_connector() {
    let mut h = booted();
    h.hw(hal::HardwareEvent::CablePlugged { connector: 2 });
    h.answer_all();
    let (status, calls) = trigger(&mut h, json!({"requestedMessage": "StatusNotification"}));
    assert_eq!(status, "Accepted");
    let all = answer_chain(&mut h, calls);
    let reported: Vec<_> = all
        .iter()
        .map(|c| {
            assert_eq!(c.action, "StatusNotification");
            (
                c.payload["connectorId"].clone(),
                c.payload["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        reported,
        vec![
            (json!(0), json!("Available")),
            (json!(1), json!("Available")),
            (json!(2), json!("Preparing")),
        ]
    );
}

#[test]
fn tc_054_triggered_status_counts_as_the_report_of_a_held_back_change() {
    let mut h = Harness::with_keys(&[("MinimumStatusDuration", "10")]);
    h.boot();
    h.hw(hal::HardwareEvent::CablePlugged { connector: 1 });
    h.expect_no_call();
    let (status, calls) = trigger(
        &mut h,
        json!({"requestedMessage": "StatusNotification", "connectorId": 1}),
    );
    assert_eq!(status, "Accepted");
    assert_eq!(calls[0].payload["status"], "Preparing");
    answer_chain(&mut h, calls);
    h.advance(10);
    h.expect_no_call();
}

#[test]
fn tc_054_meter_values_for_one_connector_carry_context_trigger_and_every_sampled_measurand() {
    let mut h = booted();
    let (status, calls) = trigger(
        &mut h,
        json!({"requestedMessage": "MeterValues", "connectorId": 1}),
    );
    assert_eq!(status, "Accepted");
    assert_eq!(calls.len(), 1, "{calls:?}");
    let mv = &calls[0].payload;
    assert_eq!(calls[0].action, "MeterValues");
    assert_eq!(mv["connectorId"], 1);
    assert!(mv.get("transactionId").is_none(), "no transaction: {mv}");
    let values = mv["meterValue"][0]["sampledValue"].as_array().unwrap();
    // MeterValuesSampledData: the 8 measurands of the reference product by default.
    assert_eq!(values.len(), 8, "{mv}");
    assert!(values.iter().all(|v| v["context"] == "Trigger"), "{mv}");
    let energy = values
        .iter()
        .find(|v| v["measurand"] == "Energy.Active.Import.Register")
        .unwrap();
    assert_eq!(energy["value"], "1000");
    assert_eq!(
        mv["meterValue"][0]["timestamp"],
        ocpp::datetime::format(&h.now)
    );
}

#[test]
fn tc_054_meter_values_follow_meter_values_sampled_data_and_the_latest_reading() {
    let mut h = Harness::with_keys(&[("MeterValuesSampledData", "Energy.Active.Import.Register")]);
    h.boot();
    h.meter(2, 5432.0);
    let (status, calls) = trigger(
        &mut h,
        json!({"requestedMessage": "MeterValues", "connectorId": 2}),
    );
    assert_eq!(status, "Accepted");
    let values = &calls[0].payload["meterValue"][0]["sampledValue"];
    assert_eq!(
        values,
        &json!([{"value": "5432", "context": "Trigger", "measurand": "Energy.Active.Import.Register",
                 "location": "Outlet", "unit": "Wh"}])
    );
}

#[test]
fn tc_054_meter_values_without_connector_cover_every_connector() {
    let mut h = booted();
    let (status, calls) = trigger(&mut h, json!({"requestedMessage": "MeterValues"}));
    assert_eq!(status, "Accepted");
    let all = answer_chain(&mut h, calls);
    let connectors: Vec<_> = all
        .iter()
        .map(|c| {
            assert_eq!(c.action, "MeterValues");
            c.payload["connectorId"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(connectors, vec![1, 2]);
}

#[test]
fn tc_054_meter_values_during_a_transaction_carry_its_id_and_are_not_queued_durably() {
    let mut h = Harness::with_keys(&[("MeterValueSampleInterval", "0")]);
    h.boot();
    h.start_transaction(1, "TAG1");
    let (status, calls) = trigger(
        &mut h,
        json!({"requestedMessage": "MeterValues", "connectorId": 1}),
    );
    assert_eq!(status, "Accepted");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].payload["transactionId"], 101);
    // Lost with the link, unlike a transaction message: not sent again after reconnecting.
    h.input(Input::Disconnected);
    h.input(Input::Connected);
    let after = h.answer_all();
    assert!(
        after.iter().all(|c| c.action != "MeterValues"),
        "a triggered MeterValues is volatile: {after:?}"
    );
}

#[test]
fn tc_054_heartbeat_is_sent_after_the_answer() {
    let mut h = booted();
    let (status, calls) = trigger(&mut h, json!({"requestedMessage": "Heartbeat"}));
    assert_eq!(status, "Accepted");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "Heartbeat");
    assert_eq!(calls[0].payload, json!({}));
}

#[test]
fn tc_054_diagnostics_and_firmware_status_notifications_report_idle() {
    let mut h = booted();
    let (status, calls) = trigger(
        &mut h,
        json!({"requestedMessage": "DiagnosticsStatusNotification"}),
    );
    assert_eq!(status, "Accepted");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "DiagnosticsStatusNotification");
    assert_eq!(calls[0].payload, json!({"status": "Idle"}));
    answer_chain(&mut h, calls);

    let (status, calls) = trigger(
        &mut h,
        json!({"requestedMessage": "FirmwareStatusNotification"}),
    );
    assert_eq!(status, "Accepted");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "FirmwareStatusNotification");
    assert_eq!(calls[0].payload, json!({"status": "Idle"}));
}

#[test]
fn tc_054_boot_notification_when_accepted_is_a_new_registration_round() {
    let mut h = booted();
    let (status, calls) = trigger(&mut h, json!({"requestedMessage": "BootNotification"}));
    assert_eq!(status, "Accepted");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "BootNotification");
    assert_eq!(calls[0].payload["chargePointModel"], "SIM-DC-500");
    let all = answer_chain(&mut h, calls);
    let actions: Vec<_> = all.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "BootNotification",
            "StatusNotification",
            "StatusNotification",
            "StatusNotification"
        ]
    );
    assert_eq!(h.station.boot_status(), BootStatus::Accepted);
}

#[test]
fn tc_054_the_triggered_message_waits_for_the_call_in_flight() {
    let mut h = booted();
    h.advance(300);
    let heartbeat = h.expect_call("Heartbeat");
    let (status, calls) = trigger(
        &mut h,
        json!({"requestedMessage": "StatusNotification", "connectorId": 2}),
    );
    assert_eq!(status, "Accepted");
    assert!(calls.is_empty(), "one CALL in flight at a time: {calls:?}");
    let answer = h.default_answer(&heartbeat);
    h.answer(&heartbeat, answer);
    let sn = h.expect_call("StatusNotification");
    assert_eq!(sn.payload["connectorId"], 2);
}

#[test]
fn tc_055_connector_out_of_range_is_rejected_and_nothing_sent() {
    let mut h = booted();
    for payload in [
        json!({"requestedMessage": "MeterValues", "connectorId": 3}),
        json!({"requestedMessage": "StatusNotification", "connectorId": 3}),
        json!({"requestedMessage": "StatusNotification", "connectorId": -1}),
        json!({"requestedMessage": "MeterValues", "connectorId": -1}),
    ] {
        let (status, calls) = trigger(&mut h, payload.clone());
        assert_eq!(status, "Rejected", "{payload}");
        assert!(calls.is_empty(), "{payload}: {calls:?}");
    }
    h.advance(1);
    h.expect_no_call();
}

#[test]
fn tc_055_a_connector_id_not_relevant_to_the_message_is_ignored() {
    let mut h = booted();
    let (status, calls) = trigger(
        &mut h,
        json!({"requestedMessage": "Heartbeat", "connectorId": 7}),
    );
    assert_eq!(status, "Accepted");
    assert_eq!(calls[0].action, "Heartbeat");
}

#[test]
fn meter_values_without_a_reading_are_rejected() {
    let mut h = Harness::with_keys(&[("MeterValuesSampledData", "SoC")]);
    h.boot();
    let mut no_ev = reading(1000.0);
    no_ev.soc_percent = None;
    h.input(Input::Meter {
        connector: 1,
        reading: no_ev,
    });
    let (status, calls) = trigger(
        &mut h,
        json!({"requestedMessage": "MeterValues", "connectorId": 1}),
    );
    assert_eq!(status, "Rejected");
    assert!(calls.is_empty(), "{calls:?}");
}

#[test]
fn an_unknown_requested_message_is_not_implemented() {
    let mut h = booted();
    let (status, calls) = trigger(&mut h, json!({"requestedMessage": "LogStatusNotification"}));
    assert_eq!(status, "NotImplemented");
    assert!(calls.is_empty(), "{calls:?}");
    // Other schema violations keep their CALLERROR.
    let frames = trigger_frames(
        &mut h,
        json!({"requestedMessage": "Heartbeat", "connectorId": "one"}),
    );
    assert!(
        matches!(&frames[..], [Frame::CallError(e)] if e.error_code == ocpp::ErrorCode::TypeConstraintViolation),
        "{frames:?}"
    );
}

/// Register with a Central System that answers Pending (interval 300 s).
fn pending() -> Harness {
    let mut h = Harness::new();
    h.input(Input::Connected);
    let boot = h.expect_call("BootNotification");
    h.answer(
        &boot,
        json!({"status": "Pending", "currentTime": "2027-01-15T08:00:00Z", "interval": 300}),
    );
    h.expect_no_call();
    h
}

#[test]
fn tc_054_boot_notification_triggered_while_pending_goes_at_once() {
    let mut h = pending();
    h.advance(10);
    let (status, calls) = trigger(&mut h, json!({"requestedMessage": "BootNotification"}));
    assert_eq!(status, "Accepted");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "BootNotification");
    let all = answer_chain(&mut h, calls);
    assert_eq!(
        all.len(),
        5,
        "BootNotification, three statuses, StartupOfTheDevice: {all:?}"
    );
    assert_eq!(h.station.boot_status(), BootStatus::Accepted);
}

#[test]
fn tc_054_other_messages_triggered_while_pending_are_sent_and_nothing_else() {
    let mut h = pending();
    // A plug-in while Pending is not reported on its own.
    h.hw(hal::HardwareEvent::CablePlugged { connector: 1 });
    h.expect_no_call();
    let (status, calls) = trigger(
        &mut h,
        json!({"requestedMessage": "StatusNotification", "connectorId": 1}),
    );
    assert_eq!(status, "Accepted");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].payload["status"], "Preparing");
    let all = answer_chain(&mut h, calls);
    assert_eq!(all.len(), 1, "{all:?}");

    let (status, calls) = trigger(&mut h, json!({"requestedMessage": "Heartbeat"}));
    assert_eq!(status, "Accepted");
    let (status2, more) = trigger(&mut h, json!({"requestedMessage": "MeterValues"}));
    assert_eq!(status2, "Accepted");
    assert!(more.is_empty(), "waits for the Heartbeat's answer");
    let all = answer_chain(&mut h, calls);
    let actions: Vec<_> = all.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, vec!["Heartbeat", "MeterValues", "MeterValues"]);
    assert!(matches!(
        h.station.boot_status(),
        BootStatus::Pending { .. }
    ));
    h.advance(60);
    h.expect_no_call();
}
