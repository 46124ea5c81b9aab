//! Bad input from the Central System never panics the station nor stops it working.

mod harness;

use harness::*;
use proptest::prelude::*;
use serde_json::json;

fn working(h: &mut Harness) -> bool {
    let answer = h.csms_call("GetConfiguration", json!({"key": ["HeartbeatInterval"]}));
    matches!(answer, Some(ocpp::Frame::CallResult(_)))
}

#[test]
fn answers_to_calls_nobody_sent_are_ignored() {
    let mut h = Harness::new();
    h.boot();
    assert!(h.csms_text(r#"[3,"never-sent",{}]"#).is_none());
    assert!(h
        .csms_text(r#"[4,"never-sent","GenericError","",{}]"#)
        .is_none());
    assert!(working(&mut h));
}

#[test]
fn an_invalid_answer_to_boot_notification_is_retried_not_trusted() {
    let mut h = Harness::new();
    h.input(station::Input::Connected);
    let boot = h.expect_call("BootNotification");
    h.answer(&boot, json!({"status": "Maybe"}));
    assert_ne!(h.station.boot_status(), station::BootStatus::Accepted);
    h.advance(60);
    h.expect_call("BootNotification");
}

#[test]
fn offline_no_deadline_stays_in_the_past() {
    // Found by the station fuzz target: the heartbeat's (and a BootNotification retry's)
    // deadline stayed in the past while offline, so the drivers' loop woke again at once.
    let mut h = Harness::new();
    h.boot();
    h.input(station::Input::Disconnected);
    for minutes in [1, 10, 60] {
        h.advance(minutes * 60);
        assert!(
            h.wake_at().is_none_or(|t| t > h.now),
            "offline: deadline {:?} is not after now {}",
            h.wake_at(),
            h.now
        );
    }
    // Back online, the heartbeat is due again.
    h.input(station::Input::Connected);
    h.answer_all();
    h.advance(300);
    assert!(h.take_calls().iter().any(|c| c.action == "Heartbeat"));
}

#[test]
fn a_boot_notification_retry_waits_for_the_call_in_flight_without_spinning() {
    // Found by the station fuzz target: TriggerMessage(BootNotification) while Pending
    // moved the retry to now, but a CALL in flight held it back, and the deadline stayed
    // at now: the drivers' loop woke again at once until that CALL was answered.
    let mut h = Harness::new();
    h.input(station::Input::Connected);
    let boot = h.expect_call("BootNotification");
    let now = ocpp::datetime::format(&h.now);
    h.answer(
        &boot,
        json!({"status": "Pending", "currentTime": now, "interval": 60}),
    );
    let trigger = json!({"requestedMessage": "StatusNotification", "connectorId": 1});
    h.csms_call("TriggerMessage", trigger);
    let status = h.expect_call("StatusNotification");
    h.csms_call(
        "TriggerMessage",
        json!({"requestedMessage": "BootNotification"}),
    );
    h.input(station::Input::Tick);
    assert!(
        h.wake_at().is_none_or(|t| t > h.now),
        "deadline {:?} is not after now {}",
        h.wake_at(),
        h.now
    );
    // Once the CALL in flight is answered, the BootNotification goes.
    h.answer(&status, json!({}));
    h.expect_call("BootNotification");
}

#[test]
fn a_message_waiting_to_be_retried_sets_no_deadline_while_pending() {
    // Found by the station fuzz target: the retry wait of a durable message stayed the
    // deadline while the registration was Pending (when only triggered messages may go),
    // so once it passed the drivers' loop woke again at once until the next BootNotification.
    let mut h = Harness::new();
    h.boot();
    h.hw(hal::HardwareEvent::CablePlugged { connector: 1 });
    h.card(1, "TAG1");
    h.answer_all_but("StartTransaction");
    let start = h.expect_call("StartTransaction");
    let error = ocpp::CallError::new(&start.unique_id, ocpp::ErrorCode::InternalError, "busy");
    h.input(station::Input::Received(
        ocpp::Frame::CallError(error).to_text(),
    ));
    h.answer_all();
    h.csms_call(
        "TriggerMessage",
        json!({"requestedMessage": "BootNotification"}),
    );
    let boot = h.expect_call("BootNotification");
    let now = ocpp::datetime::format(&h.now);
    h.answer(
        &boot,
        json!({"status": "Pending", "currentTime": now, "interval": 600}),
    );
    h.advance(120);
    assert!(
        h.wake_at().is_none_or(|t| t > h.now),
        "deadline {:?} is not after now {}",
        h.wake_at(),
        h.now
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let mut h = Harness::new();
        h.boot();
        let _ = h.csms_text(&text);
        prop_assert!(working(&mut h));
    }

    #[test]
    fn mutated_valid_frames_never_panic(
        cut in 0usize..80,
        byte in any::<u8>(),
        pos in 0usize..80,
    ) {
        let valid = r#"[2,"abc","ChangeConfiguration",{"key":"HeartbeatInterval","value":"60"}]"#;
        let mut bytes = valid.as_bytes().to_vec();
        if pos < bytes.len() {
            bytes[pos] = byte;
        }
        bytes.truncate(cut.max(1));
        let text = String::from_utf8_lossy(&bytes).to_string();
        let mut h = Harness::new();
        h.boot();
        let _ = h.csms_text(&text);
        prop_assert!(working(&mut h));
    }
}
