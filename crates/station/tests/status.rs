//! The connector state machine: ChangeAvailability (TC_... 17: Change availability operative /
//! inoperative, scheduled during a transaction, connector 0), MinimumStatusDuration (C-05),
//! faults, EV suspend/resume, EV-side disconnect (TC_005_1, TC_005_2, TC_005_3, C-06.1),
//! ConnectionTimeOut after plugging in (B6).

mod harness;

use hal::{HardwareCommand, HardwareEvent};
use harness::*;
use serde_json::json;

fn change_availability(h: &mut Harness, connector: i32, kind: &str) -> String {
    let answer = h.csms_call(
        "ChangeAvailability",
        json!({"connectorId": connector, "type": kind}),
    );
    result_payload(answer)["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn statuses(calls: &[ocpp::Call]) -> Vec<(i64, String)> {
    calls
        .iter()
        .filter(|c| c.action == "StatusNotification")
        .map(|c| {
            (
                c.payload["connectorId"].as_i64().unwrap(),
                c.payload["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn inoperative_connector_is_unavailable_and_takes_no_card() {
    let mut h = Harness::new();
    h.boot();
    assert_eq!(change_availability(&mut h, 1, "Inoperative"), "Accepted");
    assert_eq!(statuses(&h.answer_all()), vec![(1, "Unavailable".into())]);
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.hw(HardwareEvent::CardPresented {
        connector: 1,
        id_tag: "TAG1".into(),
    });
    assert!(h.answer_all().iter().all(|c| c.action != "Authorize"));
    assert_eq!(change_availability(&mut h, 1, "Operative"), "Accepted");
    assert_eq!(statuses(&h.answer_all()), vec![(1, "Preparing".into())]);
}

#[test]
fn inoperative_during_a_transaction_is_scheduled() {
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(1, "TAG1");
    assert_eq!(change_availability(&mut h, 1, "Inoperative"), "Scheduled");
    h.expect_no_call();
    h.hw(HardwareEvent::StopButton { connector: 1 });
    let calls = h.answer_all();
    assert!(calls.iter().any(|c| c.action == "StopTransaction"));
    assert_eq!(statuses(&calls), vec![(1, "Unavailable".into())]);
}

#[test]
fn connector_zero_takes_the_whole_station_out_of_service() {
    let mut h = Harness::new();
    h.boot();
    assert_eq!(change_availability(&mut h, 0, "Inoperative"), "Accepted");
    assert_eq!(
        statuses(&h.answer_all()),
        vec![
            (0, "Unavailable".into()),
            (1, "Unavailable".into()),
            (2, "Unavailable".into())
        ]
    );
    assert_eq!(change_availability(&mut h, 3, "Inoperative"), "Rejected");
    assert_eq!(change_availability(&mut h, 0, "Operative"), "Accepted");
    assert_eq!(statuses(&h.answer_all()).len(), 3);
}

#[test]
fn availability_survives_a_reboot() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("station.db");
    {
        let mut h = Harness::with_store(Box::new(store::SqliteStore::open(&db).unwrap()), t0());
        h.boot();
        assert_eq!(change_availability(&mut h, 2, "Inoperative"), "Accepted");
    }
    let mut h = Harness::with_store(Box::new(store::SqliteStore::open(&db).unwrap()), t0());
    let calls = h.boot();
    assert_eq!(
        statuses(&calls),
        vec![
            (0, "Available".into()),
            (1, "Available".into()),
            (2, "Unavailable".into())
        ]
    );
}

#[test]
fn minimum_status_duration_suppresses_short_lived_states() {
    let mut h = Harness::new();
    h.boot();
    let answer = h.csms_call(
        "ChangeConfiguration",
        json!({"key": "MinimumStatusDuration", "value": "5"}),
    );
    assert_eq!(result_payload(answer)["status"], "Accepted");
    // Plugged for 3 s: never reported.
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.advance(3);
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    h.advance(10);
    h.expect_no_call();
    // Plugged for good: reported once it held 5 s, stamped with the moment it changed.
    h.hw(HardwareEvent::CablePlugged { connector: 2 });
    let changed = h.now;
    h.advance(4);
    h.expect_no_call();
    h.advance(1);
    let status = h.expect_call("StatusNotification");
    assert_eq!(status.payload["connectorId"], 2);
    assert_eq!(status.payload["status"], "Preparing");
    assert_eq!(
        status.payload["timestamp"],
        ocpp::datetime::format(&changed).as_str()
    );
}

#[test]
fn a_fault_is_reported_with_its_error_code_and_cleared() {
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::Fault {
        connector: 2,
        error_code: "HighTemperature".into(),
        active: true,
    });
    let status = h.expect_call("StatusNotification");
    assert_eq!(status.payload["status"], "Faulted");
    assert_eq!(status.payload["errorCode"], "HighTemperature");
    h.answer(&status, json!({}));
    h.hw(HardwareEvent::CardPresented {
        connector: 2,
        id_tag: "TAG1".into(),
    });
    h.expect_no_call();
    h.hw(HardwareEvent::Fault {
        connector: 2,
        error_code: "HighTemperature".into(),
        active: false,
    });
    let status = h.expect_call("StatusNotification");
    assert_eq!(status.payload["status"], "Available");
    assert_eq!(status.payload["errorCode"], "NoError");
}

#[test]
fn ev_suspend_and_resume() {
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(1, "TAG1");
    h.hw(HardwareEvent::EvSuspended {
        connector: 1,
        suspended: true,
    });
    assert_eq!(statuses(&h.answer_all()), vec![(1, "SuspendedEV".into())]);
    h.hw(HardwareEvent::EvSuspended {
        connector: 1,
        suspended: false,
    });
    assert_eq!(statuses(&h.answer_all()), vec![(1, "Charging".into())]);
}

#[test]
fn tc_005_3_ev_side_disconnect_keeps_the_transaction_when_configured() {
    let mut h = Harness::new();
    h.boot();
    let answer = h.csms_call(
        "ChangeConfiguration",
        json!({"key": "StopTransactionOnEVSideDisconnect", "value": "false"}),
    );
    assert_eq!(result_payload(answer)["status"], "Accepted");
    h.start_transaction(1, "TAG1");
    h.hardware.clear();
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    let calls = h.answer_all();
    assert!(
        calls.iter().all(|c| c.action != "StopTransaction"),
        "{calls:?}"
    );
    assert_eq!(statuses(&calls), vec![(1, "SuspendedEV".into())]);
    // Authorization is kept (C-06.1): the EV comes back and charges without a new card.
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    assert_eq!(statuses(&h.answer_all()), vec![(1, "Charging".into())]);
    assert_eq!(h.hardware, vec![HardwareCommand::Energize { connector: 1 }]);
    assert!(h.station.connectors()[0].transaction_id.is_some());
}

#[test]
fn ev_communication_error_is_a_warning_that_suspends_the_evse() {
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(1, "TAG1");
    h.hw(HardwareEvent::Fault {
        connector: 1,
        error_code: "EVCommunicationError".into(),
        active: true,
    });
    let status = h.expect_call("StatusNotification");
    assert_eq!(status.payload["status"], "SuspendedEVSE");
    assert_eq!(status.payload["errorCode"], "EVCommunicationError");
    h.answer(&status, json!({}));
    // SuspendedEVSE has precedence over SuspendedEV.
    h.hw(HardwareEvent::EvSuspended {
        connector: 1,
        suspended: true,
    });
    h.expect_no_call();
}

#[test]
fn a_status_change_before_registration_sets_no_deadline_in_the_past() {
    // Found by the station fuzz target: the change could not be reported yet, but its
    // deadline stayed in the past, so the drivers' loop woke again at once, forever.
    let mut h = Harness::new();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.advance(10);
    assert!(
        h.wake_at().is_none_or(|t| t > h.now),
        "deadline {:?} is not after now {}",
        h.wake_at(),
        h.now
    );
    // Once registered, the change is reported.
    let calls = h.boot();
    assert!(
        calls
            .iter()
            .any(|c| c.action == "StatusNotification" && c.payload["status"] == "Preparing"),
        "{calls:?}"
    );
}

fn with_lock(keys: &[(&str, &str)]) -> Harness {
    let mut cfg = station::StationConfig::new(info(), 2);
    cfg.cable_lock = true;
    cfg.initial_keys = keys
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Harness::with_config(
        cfg,
        Box::new(store::MemoryStore::new()),
        t0(),
        [1000.0, 5000.0],
    )
}

/// The EV leaves during a transaction, StopTransactionOnEVSideDisconnect true and
/// UnlockConnectorOnEVSideDisconnect true: the transaction stops and the station unlocks
/// the cable at its side.
#[test]
fn tc_005_1_ev_side_disconnect_stops_and_unlocks_the_cable() {
    let mut h = with_lock(&[]);
    h.boot();
    h.start_transaction(1, "TAG1");
    h.hardware.clear();
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    let calls = h.answer_all();
    let stop = calls
        .iter()
        .find(|c| c.action == "StopTransaction")
        .expect("a StopTransaction");
    assert_eq!(stop.payload["reason"], "EVDisconnected");
    assert_eq!(statuses(&calls), vec![(1, "Available".into())]);
    assert_eq!(
        h.hardware,
        vec![
            HardwareCommand::DeEnergize { connector: 1 },
            HardwareCommand::Unlock { connector: 1 }
        ]
    );
    // The lock's answer is nobody's UnlockConnector.req: nothing is sent.
    h.input(station::Input::UnlockResult {
        connector: 1,
        unlocked: true,
    });
    assert!(h.sent.is_empty(), "{:?}", h.sent);
}

/// UnlockConnectorOnEVSideDisconnect false: the transaction stops, the cable stays locked.
#[test]
fn tc_005_2_ev_side_disconnect_stops_and_keeps_the_cable_locked() {
    let mut h = with_lock(&[]);
    h.boot();
    let answer = h.csms_call(
        "ChangeConfiguration",
        json!({"key": "UnlockConnectorOnEVSideDisconnect", "value": "false"}),
    );
    assert_eq!(result_payload(answer)["status"], "Accepted");
    h.start_transaction(1, "TAG1");
    h.hardware.clear();
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    let calls = h.answer_all();
    assert!(calls.iter().any(|c| c.action == "StopTransaction"));
    assert_eq!(
        h.hardware,
        vec![HardwareCommand::DeEnergize { connector: 1 }]
    );
}

/// StopTransactionOnEVSideDisconnect false has priority over
/// UnlockConnectorOnEVSideDisconnect true: the cable stays locked (section 4.10). Nor does
/// a cable unplugged with no transaction, or a station without a lock, unlock anything.
#[test]
fn ev_side_disconnect_unlocks_nothing_otherwise() {
    let mut h = with_lock(&[("StopTransactionOnEVSideDisconnect", "false")]);
    h.boot();
    h.start_transaction(1, "TAG1");
    h.hardware.clear();
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    assert_eq!(statuses(&h.answer_all()), vec![(1, "SuspendedEV".into())]);
    assert!(h.hardware.is_empty(), "{:?}", h.hardware);

    let mut h = with_lock(&[]);
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 2 });
    h.hw(HardwareEvent::CableUnplugged { connector: 2 });
    h.answer_all();
    assert!(h.hardware.is_empty(), "{:?}", h.hardware);

    // A fixed cable (the reference product): no lock to open.
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(1, "TAG1");
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    h.answer_all();
    assert!(!h
        .hardware
        .iter()
        .any(|c| matches!(c, HardwareCommand::Unlock { .. })));
}

/// B6 (section 4.9): an EV plugged in with no idTag presented within ConnectionTimeOut
/// times out, Preparing -> Finishing; removing the cable ends it (F1, Available), and
/// plugging in again waits anew.
#[test]
fn b6_plugged_in_without_authorization_times_out_to_finishing() {
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    assert_eq!(statuses(&h.answer_all()), vec![(1, "Preparing".into())]);
    assert_eq!(h.wake_at(), Some(t0() + chrono::Duration::seconds(60)));
    h.advance(59);
    h.expect_no_call();
    h.advance(1); // ConnectionTimeOut, 60 s by default
    assert_eq!(statuses(&h.answer_all()), vec![(1, "Finishing".into())]);
    h.advance(600);
    assert_eq!(statuses(&h.answer_all()), vec![]);
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    assert_eq!(statuses(&h.answer_all()), vec![(1, "Available".into())]);
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    assert_eq!(statuses(&h.answer_all()), vec![(1, "Preparing".into())]);
    h.advance(30);
    h.expect_no_call();
    h.advance(30);
    assert_eq!(statuses(&h.answer_all()), vec![(1, "Finishing".into())]);
}

/// F2: after the B6 timeout the driver presents a card with the cable still in: a new
/// transaction starts. A card in time starts one before the timeout, as ever.
#[test]
fn b6_a_card_after_the_timeout_still_starts_a_transaction() {
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.answer_all();
    h.advance(60);
    assert_eq!(statuses(&h.answer_all()), vec![(1, "Finishing".into())]);
    h.card(1, "TAG1");
    let calls = h.answer_all();
    assert!(calls.iter().any(|c| c.action == "StartTransaction"));
    assert_eq!(statuses(&calls), vec![(1, "Charging".into())]);
    // The transaction runs: no timeout applies any more.
    h.advance(3600);
    assert!(h.station.connectors()[0].transaction_id.is_some());
}

/// The wait is for an authorization: while an Authorize.req is out it is not counted, and a
/// refused card starts it again. A reserved connector (Reserved, not Preparing) and
/// ConnectionTimeOut 0 never time out.
#[test]
fn b6_the_wait_restarts_after_a_refused_card_and_does_not_apply_when_reserved_or_zero() {
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.answer_all();
    h.advance(50);
    h.card(1, "BAD");
    let authorize = h.expect_call("Authorize");
    h.advance(20); // past the first 60 s: the Authorize is still out
    h.expect_no_call();
    h.answer(&authorize, json!({"idTagInfo": {"status": "Invalid"}}));
    h.advance(59);
    h.expect_no_call();
    h.advance(1);
    assert_eq!(statuses(&h.answer_all()), vec![(1, "Finishing".into())]);

    let mut h = Harness::with_keys(&[("ConnectionTimeOut", "0")]);
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.answer_all();
    h.advance(3600);
    assert_eq!(statuses(&h.answer_all()), vec![]);

    let mut h = Harness::new();
    h.boot();
    let expiry = ocpp::datetime::format(&(t0() + chrono::Duration::hours(2)));
    let answer = h.csms_call(
        "ReserveNow",
        json!({"connectorId": 1, "expiryDate": expiry, "idTag": "TAG1", "reservationId": 1}),
    );
    assert_eq!(result_payload(answer)["status"], "Accepted");
    h.answer_all();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.advance(600);
    let calls = h.answer_all();
    assert!(
        !statuses(&calls).contains(&(1, "Finishing".into())),
        "{calls:?}"
    );
}
