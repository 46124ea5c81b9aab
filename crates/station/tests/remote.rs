//! Remote actions on the bare state machine: TC_010 (remote start, cable first), TC_011_1
//! (remote start first), TC_011_2 (time out), TC_012 (remote stop), TC_026 / TC_027 /
//! TC_028 (rejections), AuthorizeRemoteTxRequests true and false, UnlockConnector
//! (TC_017, TC_018, TC_030, TC_031) and DataTransfer (TC_062).

mod harness;

use hal::{HardwareCommand, HardwareEvent};
use harness::*;
use ocpp::{DataTransferResponse, DataTransferStatus};
use serde_json::{json, Value};
use station::{DataTransferVendors, Input, StationConfig};

fn actions(calls: &[ocpp::Call]) -> Vec<&str> {
    calls.iter().map(|c| c.action.as_str()).collect()
}

fn remote_start(h: &mut Harness, payload: Value) -> Value {
    result_payload(h.csms_call("RemoteStartTransaction", payload))
}

fn remote_stop(h: &mut Harness, transaction_id: i32) -> Value {
    result_payload(h.csms_call(
        "RemoteStopTransaction",
        json!({ "transactionId": transaction_id }),
    ))
}

fn accepted() -> Value {
    json!({"status": "Accepted"})
}

fn rejected() -> Value {
    json!({"status": "Rejected"})
}

fn plug(h: &mut Harness, connector: u32) {
    h.hw(HardwareEvent::CablePlugged { connector });
    h.answer_all();
}

fn tx_profile(purpose: &str) -> Value {
    json!({
        "chargingProfileId": 7,
        "stackLevel": 0,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 100.0}]
        }
    })
}

#[test]
fn tc_010_remote_start_with_the_cable_plugged_in_first() {
    let mut h = Harness::new();
    h.boot();
    plug(&mut h, 1);
    let answer = remote_start(&mut h, json!({"connectorId": 1, "idTag": "REMOTE1"}));
    assert_eq!(answer, accepted());
    let calls = h.answer_all();
    assert_eq!(
        actions(&calls),
        vec!["Authorize", "StartTransaction", "StatusNotification"]
    );
    assert_eq!(calls[0].payload, json!({"idTag": "REMOTE1"}));
    assert_eq!(calls[1].payload["connectorId"], 1);
    assert_eq!(calls[1].payload["idTag"], "REMOTE1");
    assert_eq!(calls[2].payload["status"], "Charging");
    assert_eq!(h.hardware, vec![HardwareCommand::Energize { connector: 1 }]);
    assert_eq!(h.station.connectors()[0].transaction_id, Some(101));
}

#[test]
fn tc_011_1_remote_start_first_then_the_cable() {
    let mut h = Harness::new();
    h.boot();
    assert_eq!(
        remote_start(&mut h, json!({"connectorId": 2, "idTag": "REMOTE2"})),
        accepted()
    );
    let calls = h.answer_all();
    assert_eq!(actions(&calls), vec!["Authorize", "StatusNotification"]);
    assert_eq!(calls[1].payload["connectorId"], 2);
    assert_eq!(calls[1].payload["status"], "Preparing");
    h.advance(30);
    h.hw(HardwareEvent::CablePlugged { connector: 2 });
    let calls = h.answer_all();
    assert_eq!(
        actions(&calls),
        vec!["StartTransaction", "StatusNotification"]
    );
    assert_eq!(calls[0].payload["idTag"], "REMOTE2");
    assert_eq!(calls[0].payload["meterStart"], 5000);
    assert_eq!(calls[1].payload["status"], "Charging");
}

#[test]
fn tc_011_2_remote_start_times_out_without_a_cable() {
    let mut h = Harness::new();
    h.boot();
    remote_start(&mut h, json!({"connectorId": 1, "idTag": "REMOTE1"}));
    h.answer_all();
    h.advance(59);
    h.expect_no_call();
    h.advance(1); // ConnectionTimeOut 60 s
    let calls = h.answer_all();
    assert_eq!(actions(&calls), vec!["StatusNotification"]);
    assert_eq!(calls[0].payload["status"], "Available");
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    let calls = h.answer_all();
    assert!(
        calls.iter().all(|c| c.action != "StartTransaction"),
        "{calls:?}"
    );
    assert!(h.hardware.is_empty());
}

#[test]
fn authorize_remote_tx_requests_true_asks_the_central_system_and_honours_its_answer() {
    let mut h = Harness::new();
    h.boot();
    plug(&mut h, 1);
    remote_start(&mut h, json!({"connectorId": 1, "idTag": "BLOCKED"}));
    let authorize = h.expect_call("Authorize");
    h.answer(&authorize, json!({"idTagInfo": {"status": "Blocked"}}));
    h.expect_no_call();
    assert!(h.hardware.is_empty());
    assert_eq!(h.station.connectors()[0].transaction_id, None);
}

#[test]
fn authorize_remote_tx_requests_false_starts_without_authorize() {
    let mut h = Harness::with_keys(&[("AuthorizeRemoteTxRequests", "false")]);
    h.boot();
    plug(&mut h, 1);
    assert_eq!(
        remote_start(&mut h, json!({"connectorId": 1, "idTag": "REMOTE1"})),
        accepted()
    );
    let calls = h.answer_all();
    assert_eq!(
        actions(&calls),
        vec!["StartTransaction", "StatusNotification"]
    );
    assert_eq!(calls[0].payload["idTag"], "REMOTE1");

    // Remote start first: Preparing, no Authorize; the cable starts it.
    assert_eq!(
        remote_start(&mut h, json!({"connectorId": 2, "idTag": "REMOTE2"})),
        accepted()
    );
    let calls = h.answer_all();
    assert_eq!(actions(&calls), vec!["StatusNotification"]);
    assert_eq!(calls[0].payload["status"], "Preparing");
    h.hw(HardwareEvent::CablePlugged { connector: 2 });
    let calls = h.answer_all();
    assert_eq!(
        actions(&calls),
        vec!["StartTransaction", "StatusNotification"]
    );
    assert_eq!(calls[0].payload["idTag"], "REMOTE2");
}

#[test]
fn authorize_remote_tx_requests_false_times_out_too() {
    let mut h = Harness::with_keys(&[("AuthorizeRemoteTxRequests", "false")]);
    h.boot();
    remote_start(&mut h, json!({"connectorId": 1, "idTag": "REMOTE1"}));
    h.answer_all();
    h.advance(60);
    let calls = h.answer_all();
    assert_eq!(calls[0].payload["status"], "Available");
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    assert!(h
        .answer_all()
        .iter()
        .all(|c| c.action != "StartTransaction"));
}

#[test]
fn tc_012_remote_stop_ends_the_transaction_with_reason_remote() {
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(1, "TAG1");
    h.meter(1, 1800.0);
    h.hardware.clear();
    assert_eq!(remote_stop(&mut h, 101), accepted());
    let calls = h.answer_all();
    assert_eq!(
        actions(&calls),
        vec!["StopTransaction", "StatusNotification"]
    );
    assert_eq!(calls[0].payload["transactionId"], 101);
    assert_eq!(calls[0].payload["reason"], "Remote");
    assert_eq!(calls[0].payload["meterStop"], 1800);
    assert_eq!(calls[1].payload["status"], "Finishing");
    assert_eq!(
        h.hardware,
        vec![HardwareCommand::DeEnergize { connector: 1 }]
    );
}

#[test]
fn tc_026_remote_start_on_a_busy_unavailable_faulted_or_unknown_connector_is_rejected() {
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(1, "TAG1");
    let busy = remote_start(&mut h, json!({"connectorId": 1, "idTag": "REMOTE1"}));
    assert_eq!(busy, rejected());
    let unknown = remote_start(&mut h, json!({"connectorId": 3, "idTag": "REMOTE1"}));
    assert_eq!(unknown, rejected());

    let answer = h.csms_call(
        "ChangeAvailability",
        json!({"connectorId": 2, "type": "Inoperative"}),
    );
    assert_eq!(result_payload(answer)["status"], "Accepted");
    h.answer_all();
    let unavailable = remote_start(&mut h, json!({"connectorId": 2, "idTag": "REMOTE1"}));
    assert_eq!(unavailable, rejected());
    let answer = h.csms_call(
        "ChangeAvailability",
        json!({"connectorId": 2, "type": "Operative"}),
    );
    assert_eq!(result_payload(answer)["status"], "Accepted");

    h.hw(HardwareEvent::Fault {
        connector: 2,
        error_code: "HighTemperature".into(),
        active: true,
    });
    h.answer_all();
    let faulted = remote_start(&mut h, json!({"connectorId": 2, "idTag": "REMOTE1"}));
    assert_eq!(faulted, rejected());
    // Every connector busy or faulted: no choice left without a connector id either.
    assert_eq!(
        remote_start(&mut h, json!({"idTag": "REMOTE1"})),
        rejected()
    );
    let calls = h.answer_all();
    assert!(calls.iter().all(|c| c.action != "Authorize"), "{calls:?}");
}

#[test]
fn tc_026_remote_start_on_a_connector_authorized_for_someone_else_is_rejected() {
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::CardPresented {
        connector: 1,
        id_tag: "CARD".into(),
    });
    h.answer_all();
    assert_eq!(
        remote_start(&mut h, json!({"connectorId": 1, "idTag": "REMOTE1"})),
        rejected()
    );
    h.expect_no_call();
}

#[test]
fn tc_027_remote_start_on_connector_0_is_rejected() {
    let mut h = Harness::new();
    h.boot();
    plug(&mut h, 1);
    let answer = remote_start(&mut h, json!({"connectorId": 0, "idTag": "REMOTE1"}));
    assert_eq!(answer, rejected());
    h.expect_no_call();
    assert!(h.hardware.is_empty());
}

#[test]
fn tc_028_remote_stop_of_an_unknown_transaction_is_rejected() {
    let mut h = Harness::new();
    h.boot();
    assert_eq!(remote_stop(&mut h, 101), rejected());
    h.start_transaction(1, "TAG1");
    assert_eq!(remote_stop(&mut h, 999), rejected());
    h.expect_no_call();
    assert_eq!(h.station.connectors()[0].transaction_id, Some(101));
}

#[test]
fn remote_start_without_connector_prefers_the_plugged_in_ev() {
    let mut h = Harness::new();
    h.boot();
    plug(&mut h, 2);
    assert_eq!(
        remote_start(&mut h, json!({"idTag": "REMOTE2"})),
        accepted()
    );
    let calls = h.answer_all();
    let start = calls
        .iter()
        .find(|c| c.action == "StartTransaction")
        .expect("a StartTransaction");
    assert_eq!(start.payload["connectorId"], 2);
    // Nothing plugged: the first free connector, which the cable then starts.
    assert_eq!(
        remote_start(&mut h, json!({"idTag": "REMOTE1"})),
        accepted()
    );
    let calls = h.answer_all();
    let preparing = calls
        .iter()
        .find(|c| c.action == "StatusNotification")
        .expect("a StatusNotification");
    assert_eq!(preparing.payload["connectorId"], 1);
    assert_eq!(preparing.payload["status"], "Preparing");
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    let calls = h.answer_all();
    assert_eq!(calls[0].action, "StartTransaction");
    assert_eq!(calls[0].payload["idTag"], "REMOTE1");
}

#[test]
fn remote_start_with_a_charging_profile_needs_a_tx_profile() {
    let mut h = Harness::new();
    h.boot();
    plug(&mut h, 1);
    let wrong = remote_start(
        &mut h,
        json!({"connectorId": 1, "idTag": "REMOTE1", "chargingProfile": tx_profile("TxDefaultProfile")}),
    );
    assert_eq!(wrong, rejected());
    h.expect_no_call();
    let right = remote_start(
        &mut h,
        json!({"connectorId": 1, "idTag": "REMOTE1", "chargingProfile": tx_profile("TxProfile")}),
    );
    assert_eq!(right, accepted());
    let calls = h.answer_all();
    assert!(
        calls.iter().any(|c| c.action == "StartTransaction"),
        "{calls:?}"
    );
}

#[test]
fn remote_start_and_stop_are_rejected_while_registration_is_pending() {
    let mut h = Harness::new();
    h.input(Input::Connected);
    let boot = h.expect_call("BootNotification");
    h.answer(
        &boot,
        json!({"status": "Pending", "currentTime": "2027-01-15T08:00:00Z", "interval": 60}),
    );
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    assert_eq!(
        remote_start(&mut h, json!({"connectorId": 1, "idTag": "REMOTE1"})),
        rejected()
    );
    assert_eq!(remote_stop(&mut h, 1), rejected());
    h.expect_no_call();
    assert!(h.hardware.is_empty());
}

// ----- UnlockConnector -----

fn unlock(h: &mut Harness, connector: i64) -> Option<ocpp::Frame> {
    h.csms_call("UnlockConnector", json!({ "connectorId": connector }))
}

fn with_lock() -> Harness {
    let mut cfg = StationConfig::new(info(), 2);
    cfg.cable_lock = true;
    Harness::with_config(
        cfg,
        Box::new(store::MemoryStore::new()),
        t0(),
        [1000.0, 5000.0],
    )
}

#[test]
fn tc_017_2_unlock_without_a_cable_lock_is_not_supported() {
    let mut h = Harness::new();
    h.boot();
    let answer = result_payload(unlock(&mut h, 1));
    assert_eq!(answer, json!({"status": "NotSupported"}));
    h.expect_no_call();
    assert!(h.hardware.is_empty());
}

#[test]
fn tc_018_2_unlock_without_a_cable_lock_leaves_the_transaction_running() {
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(1, "TAG1");
    h.hardware.clear();
    let answer = result_payload(unlock(&mut h, 1));
    assert_eq!(answer, json!({"status": "NotSupported"}));
    h.expect_no_call();
    assert!(h.hardware.is_empty());
    assert_eq!(h.station.connectors()[0].transaction_id, Some(101));
}

#[test]
fn tc_031_unlock_of_an_unknown_connector_is_not_supported() {
    for mut h in [Harness::new(), with_lock()] {
        h.boot();
        for connector in [0, 3, -1] {
            let answer = result_payload(unlock(&mut h, connector));
            assert_eq!(answer, json!({"status": "NotSupported"}), "{connector}");
        }
        assert!(h.hardware.is_empty());
    }
}

#[test]
fn tc_017_1_unlock_with_a_cable_lock_and_no_session() {
    let mut h = with_lock();
    h.boot();
    // The answer waits for the hardware.
    assert!(unlock(&mut h, 2).is_none());
    assert_eq!(h.hardware, vec![HardwareCommand::Unlock { connector: 2 }]);
    h.input(Input::UnlockResult {
        connector: 2,
        unlocked: true,
    });
    let answer = h.sent.remove(0);
    assert_eq!(result_payload(Some(answer)), json!({"status": "Unlocked"}));
    h.expect_no_call();
}

#[test]
fn tc_018_1_unlock_with_a_cable_lock_stops_the_session_first() {
    let mut h = with_lock();
    h.boot();
    h.start_transaction(1, "TAG1");
    h.hardware.clear();
    assert!(unlock(&mut h, 1).is_none());
    assert_eq!(
        h.hardware,
        vec![
            HardwareCommand::DeEnergize { connector: 1 },
            HardwareCommand::Unlock { connector: 1 }
        ]
    );
    h.input(Input::UnlockResult {
        connector: 1,
        unlocked: true,
    });
    let pos = h
        .sent
        .iter()
        .position(|f| matches!(f, ocpp::Frame::CallResult(_)))
        .expect("the UnlockConnector answer");
    let answer = h.sent.remove(pos);
    assert_eq!(result_payload(Some(answer)), json!({"status": "Unlocked"}));
    let calls = h.answer_all();
    assert_eq!(calls[0].action, "StopTransaction");
    assert_eq!(calls[0].payload["reason"], "UnlockCommand");
    assert_eq!(calls[0].payload["transactionId"], 101);
}

#[test]
fn tc_030_unlock_failure() {
    let mut h = with_lock();
    h.boot();
    assert!(unlock(&mut h, 1).is_none());
    h.input(Input::UnlockResult {
        connector: 1,
        unlocked: false,
    });
    let answer = h.sent.remove(0);
    assert_eq!(
        result_payload(Some(answer)),
        json!({"status": "UnlockFailed"})
    );
}

/// TC_024_CS: authorized by a card, then the cable lock fails as the cable goes in
/// (ConnectorLockFailure): Faulted, and no transaction starts.
#[test]
fn tc_024_lock_failure_at_plug_in_starts_no_transaction() {
    let mut h = with_lock();
    h.boot();
    h.card(1, "TAG1");
    let calls = h.answer_all();
    assert!(calls.iter().any(|c| c.action == "Authorize"), "{calls:?}");
    h.hw(HardwareEvent::Fault {
        connector: 1,
        error_code: "ConnectorLockFailure".into(),
        active: true,
    });
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    let calls = h.answer_all();
    assert!(
        calls.iter().all(|c| c.action != "StartTransaction"),
        "{calls:?}"
    );
    let faulted = calls
        .iter()
        .find(|c| c.action == "StatusNotification" && c.payload["status"] == "Faulted")
        .expect("Faulted");
    assert_eq!(faulted.payload["errorCode"], "ConnectorLockFailure");
    assert!(
        !h.hardware
            .contains(&HardwareCommand::Energize { connector: 1 }),
        "{:?}",
        h.hardware
    );
    // The authorization went with the fault: once the lock works and the cable is out,
    // the connector is Available, not waiting for an EV.
    h.hw(HardwareEvent::Fault {
        connector: 1,
        error_code: "ConnectorLockFailure".into(),
        active: false,
    });
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    let calls = h.answer_all();
    let last = calls
        .iter()
        .rev()
        .find(|c| c.action == "StatusNotification")
        .expect("a status");
    assert_eq!(last.payload["status"], "Available", "{calls:?}");
    assert!(h.station.connectors()[0].transaction_id.is_none());
}

/// TC_030_CS on a fixed cable (the reference product): its connector's lock failed
/// (ConnectorLockFailure): UnlockFailed, nothing sent to the hardware; once cleared,
/// NotSupported again (TC_017_2).
#[test]
fn tc_030_unlock_failure_on_a_fixed_cable() {
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::Fault {
        connector: 1,
        error_code: "ConnectorLockFailure".into(),
        active: true,
    });
    h.answer_all();
    h.hardware.clear();
    let answer = result_payload(unlock(&mut h, 1));
    assert_eq!(answer, json!({"status": "UnlockFailed"}));
    // The other connector's lock is fine.
    let answer = result_payload(unlock(&mut h, 2));
    assert_eq!(answer, json!({"status": "NotSupported"}));
    h.hw(HardwareEvent::Fault {
        connector: 1,
        error_code: "ConnectorLockFailure".into(),
        active: false,
    });
    h.answer_all();
    let answer = result_payload(unlock(&mut h, 1));
    assert_eq!(answer, json!({"status": "NotSupported"}));
    assert!(h.hardware.is_empty(), "{:?}", h.hardware);
}

// ----- DataTransfer -----

#[test]
fn tc_062_data_transfer_to_a_station_without_extensions_is_unknown_vendor() {
    let mut h = Harness::new();
    h.boot();
    let answer = h.csms_call(
        "DataTransfer",
        json!({"vendorId": "com.example", "messageId": "Hello", "data": "x"}),
    );
    assert_eq!(result_payload(answer), json!({"status": "UnknownVendorId"}));
}

#[test]
fn data_transfer_goes_to_the_registered_vendor_handler() {
    let mut vendors = DataTransferVendors::default();
    vendors
        .register("com.example", "Echo", |data| DataTransferResponse {
            status: DataTransferStatus::Accepted,
            data: data.map(|d| format!("echo {d}")),
        })
        .add_vendor("org.quiet");
    let mut cfg = StationConfig::new(info(), 2);
    cfg.data_transfer = vendors;
    let mut h = Harness::with_config(
        cfg,
        Box::new(store::MemoryStore::new()),
        t0(),
        [1000.0, 5000.0],
    );
    h.boot();
    let mut ask = |payload: Value| result_payload(h.csms_call("DataTransfer", payload));
    assert_eq!(
        ask(json!({"vendorId": "COM.EXAMPLE", "messageId": "echo", "data": "hi"})),
        json!({"status": "Accepted", "data": "echo hi"})
    );
    assert_eq!(
        ask(json!({"vendorId": "com.example", "messageId": "Other"})),
        json!({"status": "UnknownMessageId"})
    );
    assert_eq!(
        ask(json!({"vendorId": "com.example"})),
        json!({"status": "UnknownMessageId"})
    );
    assert_eq!(
        ask(json!({"vendorId": "org.quiet", "messageId": "Echo"})),
        json!({"status": "UnknownMessageId"})
    );
    assert_eq!(
        ask(json!({"vendorId": "net.other", "messageId": "Echo"})),
        json!({"status": "UnknownVendorId"})
    );
}

#[test]
fn an_unlock_answer_waiting_for_the_lock_is_dropped_with_the_link() {
    // Found by the station fuzz target: the answer went out on a link that was gone.
    let mut h = with_lock();
    h.boot();
    assert!(unlock(&mut h, 1).is_none());
    h.input(Input::Disconnected);
    h.input(Input::UnlockResult {
        connector: 1,
        unlocked: true,
    });
    assert!(h.sent.is_empty(), "sent {:?}", h.sent);
    // On the next link the station does not answer a CALL of the old one either.
    h.input(Input::Connected);
    let calls = h.answer_all();
    assert!(
        calls.iter().all(|c| c.action != "UnlockConnector"),
        "{calls:?}"
    );
    assert!(h.sent.is_empty(), "sent {:?}", h.sent);
}

#[test]
fn an_unlock_answer_waiting_for_the_lock_is_not_sent_once_rejected() {
    // Found by the station fuzz target: section 4.2 wants silence while Rejected, even for
    // a request that came before the rejection.
    let mut h = with_lock();
    h.input(Input::Connected);
    let boot = h.expect_call("BootNotification");
    assert!(unlock(&mut h, 1).is_none());
    let now = ocpp::datetime::format(&h.now);
    h.answer(
        &boot,
        json!({"status": "Rejected", "currentTime": now, "interval": 60}),
    );
    h.input(Input::UnlockResult {
        connector: 1,
        unlocked: true,
    });
    assert!(h.sent.is_empty(), "sent {:?}", h.sent);
}
