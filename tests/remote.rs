//! Remote actions over a real WebSocket (sections 5.11, 5.12, 5.18, 5.6): the Central System
//! starts and stops transactions, asks to unlock connectors and sends vendor data.

mod common;

use chargepoint::runner::Operation;
use common::*;
use hal::sim::SimConfig;
use serde_json::json;

const TAG: &str = "TAG-REMOTE-1";

/// Wait until connector 1's transaction id is known; returns it.
async fn transaction_id(h: &Harness) -> i64 {
    let state = h
        .wait_state("transaction id known", |s| {
            connector(s, 1).transaction_id.is_some()
        })
        .await;
    i64::from(connector(&state, 1).transaction_id.expect("transaction id"))
}

/// TC_010_CS (cable plugged in first) then TC_012_CS (remote stop).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_010_remote_start_with_cable_first_and_tc_012_remote_stop() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    h.operate(1, Operation::Plug).await;
    h.expect_status(1, "Preparing").await;

    let answer = h
        .call(
            "RemoteStartTransaction",
            json!({"connectorId": 1, "idTag": TAG}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    // AuthorizeRemoteTxRequests is true by default.
    let auth = h.next_call("Authorize").await;
    assert_eq!(auth.payload, json!({ "idTag": TAG }));
    let start = h.next_call("StartTransaction").await.payload;
    assert_eq!(start["connectorId"], 1, "{start}");
    assert_eq!(start["idTag"], TAG, "{start}");
    h.expect_status(1, "Charging").await;
    let tx = transaction_id(&h).await;

    h.advance(60);
    let answer = h
        .call("RemoteStopTransaction", json!({ "transactionId": tx }))
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    let stop = h.wait_call("StopTransaction").await.payload;
    assert_eq!(stop["transactionId"], tx, "{stop}");
    assert_eq!(stop["reason"], "Remote", "{stop}");
    let state = h
        .wait_state("the contactor opens", |s| {
            connector(s, 1).transaction_id.is_none() && connector(s, 1).power_w == 0.0
        })
        .await;
    assert!(connector(&state, 1).energy_wh > 0.0, "{state:?}");
    h.shutdown().await;
}

/// TC_011_1_CS (remote start first) and, with AuthorizeRemoteTxRequests false, no Authorize.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_011_1_remote_start_first_without_authorize_when_not_required() {
    let mut h = Setup::default()
        .key("AuthorizeRemoteTxRequests", "false")
        .start()
        .await;
    h.booted().await;
    let answer = h
        .call(
            "RemoteStartTransaction",
            json!({"connectorId": 2, "idTag": TAG}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.expect_status(2, "Preparing").await;
    h.advance(20);
    h.operate(2, Operation::Plug).await;
    // next_call fails on any other CALL first: no Authorize.
    let start = h.next_call("StartTransaction").await.payload;
    assert_eq!(start["connectorId"], 2, "{start}");
    assert_eq!(start["idTag"], TAG, "{start}");
    h.expect_status(2, "Charging").await;
    assert_eq!(h.seen_count("Authorize"), 0);
    h.shutdown().await;
}

/// TC_011_2_CS: no cable within ConnectionTimeOut, no transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_011_2_remote_start_times_out() {
    let mut h = Setup::default()
        .key("ConnectionTimeOut", "30")
        .start()
        .await;
    h.booted().await;
    let answer = h
        .call(
            "RemoteStartTransaction",
            json!({"connectorId": 1, "idTag": TAG}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.next_call("Authorize").await;
    h.expect_status(1, "Preparing").await;
    h.advance(30);
    h.expect_status(1, "Available").await;
    h.operate(1, Operation::Plug).await;
    h.expect_status(1, "Preparing").await;
    h.expect_no_calls("plugged in after the timeout").await;
    h.shutdown().await;
}

/// TC_026_CS, TC_027_CS and TC_028_CS: what the station refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_026_027_028_remote_requests_rejected() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let rejected = json!({"status": "Rejected"});
    let zero = h
        .call(
            "RemoteStartTransaction",
            json!({"connectorId": 0, "idTag": TAG}),
        )
        .await;
    assert_eq!(zero, rejected, "TC_027");
    let unknown = h
        .call(
            "RemoteStartTransaction",
            json!({"connectorId": 3, "idTag": TAG}),
        )
        .await;
    assert_eq!(unknown, rejected);
    let stop = h
        .call("RemoteStopTransaction", json!({"transactionId": 4711}))
        .await;
    assert_eq!(stop, rejected, "TC_028");

    h.operate(
        1,
        Operation::Fault {
            error_code: "GroundFailure".into(),
            active: true,
        },
    )
    .await;
    h.next_call("StatusNotification").await;
    let faulted = h
        .call(
            "RemoteStartTransaction",
            json!({"connectorId": 1, "idTag": TAG}),
        )
        .await;
    assert_eq!(faulted, rejected, "TC_026");
    h.expect_no_calls("after the rejections").await;
    h.shutdown().await;
}

/// TC_017_2_CS / TC_018_2_CS: a fixed cable has no lock to open; TC_031_CS: unknown
/// connector. The transaction goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_018_2_unlock_fixed_cable_is_not_supported() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    h.operate(1, Operation::Plug).await;
    h.expect_status(1, "Preparing").await;
    h.call(
        "RemoteStartTransaction",
        json!({"connectorId": 1, "idTag": TAG}),
    )
    .await;
    h.next_call("Authorize").await;
    h.next_call("StartTransaction").await;
    h.expect_status(1, "Charging").await;
    let answer = h.call("UnlockConnector", json!({"connectorId": 1})).await;
    assert_eq!(answer, json!({"status": "NotSupported"}));
    let answer = h.call("UnlockConnector", json!({"connectorId": 7})).await;
    assert_eq!(answer, json!({"status": "NotSupported"}), "TC_031");
    h.expect_no_calls("after UnlockConnector").await;
    let state = h.station().state();
    assert!(connector(&state, 1).transaction_id.is_some(), "{state:?}");
    h.shutdown().await;
}

/// TC_018_1_CS on a charger with a cable lock: the session stops (UnlockCommand), the lock
/// opens; TC_030_CS: a stuck lock answers UnlockFailed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_018_1_unlock_with_a_cable_lock_stops_the_session() {
    let setup = Setup {
        sim: SimConfig {
            cable_lock: true,
            ..SimConfig::default()
        },
        ..Setup::default()
    };
    let mut h = setup.start().await;
    h.booted().await;
    h.operate(1, Operation::Plug).await;
    h.expect_status(1, "Preparing").await;
    h.call(
        "RemoteStartTransaction",
        json!({"connectorId": 1, "idTag": TAG}),
    )
    .await;
    h.next_call("Authorize").await;
    h.next_call("StartTransaction").await;
    h.expect_status(1, "Charging").await;
    let tx = transaction_id(&h).await;
    let answer = h.call("UnlockConnector", json!({"connectorId": 1})).await;
    assert_eq!(answer, json!({"status": "Unlocked"}));
    let stop = h.wait_call("StopTransaction").await.payload;
    assert_eq!(stop["transactionId"], tx, "{stop}");
    assert_eq!(stop["reason"], "UnlockCommand", "{stop}");

    h.operate(
        2,
        Operation::Fault {
            error_code: "ConnectorLockFailure".into(),
            active: true,
        },
    )
    .await;
    let answer = h.call("UnlockConnector", json!({"connectorId": 2})).await;
    assert_eq!(answer, json!({"status": "UnlockFailed"}), "TC_030");
    h.shutdown().await;
}

/// TC_030_CS on the reference product (fixed cables, no lock at the station): the control
/// API's ConnectorLockFailure fault is a failed connector lock: UnlockFailed; cleared,
/// NotSupported again (TC_017_2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_030_lock_failure_on_a_fixed_cable_answers_unlock_failed() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let fault = |active| Operation::Fault {
        error_code: "ConnectorLockFailure".into(),
        active,
    };
    h.operate(1, fault(true)).await;
    let faulted = h.next_call("StatusNotification").await.payload;
    assert_eq!(faulted["status"], "Faulted", "{faulted}");
    assert_eq!(faulted["errorCode"], "ConnectorLockFailure", "{faulted}");
    let answer = h.call("UnlockConnector", json!({"connectorId": 1})).await;
    assert_eq!(answer, json!({"status": "UnlockFailed"}));
    h.operate(1, fault(false)).await;
    h.expect_status(1, "Available").await;
    let answer = h.call("UnlockConnector", json!({"connectorId": 1})).await;
    assert_eq!(answer, json!({"status": "NotSupported"}));
    h.shutdown().await;
}

/// TC_062_CS: no vendor extensions in the simulator: UnknownVendorId.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_062_data_transfer_unknown_vendor() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let answer = h
        .call(
            "DataTransfer",
            json!({"vendorId": "com.example", "messageId": "Ping", "data": "1"}),
        )
        .await;
    assert_eq!(answer, json!({"status": "UnknownVendorId"}));
    h.shutdown().await;
}
