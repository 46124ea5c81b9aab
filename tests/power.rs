//! `POST /api/power` (DESIGN.md): a power cut stops the station at once, drops the WebSocket
//! without a close frame and keeps only what was durably stored; the power's return boots it
//! from its store in the same process. A transaction running at the cut ends with PowerLoss
//! (the reference product's AQ-7.2; TC_032-like, with the EV still plugged in).

mod common;

use chargepoint::runner::Operation;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

/// The StatusNotification of `connector` among those a boot sends (connector 0 first).
async fn status_of(h: &mut Harness, connector: i64) -> Value {
    for status in h.next_statuses(3).await {
        if status["connectorId"] == connector {
            return status;
        }
    }
    panic!("no StatusNotification for connector {connector}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_cut_ends_the_transaction_with_power_loss_when_the_power_is_back() {
    let mut h = Setup::default().sqlite().start().await;
    h.booted().await;
    let tx_id = h.start_session("TAG-POWER").await;

    let off = h.station().power(false).await.expect("power off");
    assert!(!off.connected, "{off:?}");
    assert!(
        h.events.disconnected(ID, Duration::from_secs(10)).await,
        "the Central System sees the station gone"
    );
    // Off, time passes and nothing is sent: no heartbeat, no reconnect, no meter values.
    h.advance(600);
    h.expect_silence("while the power is off").await;
    assert!(!h.csms.is_connected(ID));

    let on = h.station().power(true).await.expect("power on");
    assert_eq!(on.id, ID);
    let boot = h.next_call("BootNotification").await;
    assert_eq!(boot.payload["chargePointModel"], "SIM-DC-500", "{boot:?}");
    let stop = h.next_call("StopTransaction").await.payload;
    assert_eq!(stop["transactionId"], tx_id, "{stop}");
    assert_eq!(stop["reason"], "PowerLoss", "{stop}");
    // The EV is still plugged in: the connector reports Preparing, not Charging.
    let status = status_of(&mut h, 1).await;
    assert_eq!(
        (&status["status"], &status["errorCode"]),
        (&json!("Preparing"), &json!("NoError")),
        "{status}"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_requests_are_idempotent_and_a_person_can_unplug_meanwhile() {
    let mut h = Setup::default().sqlite().start().await;
    h.booted().await;
    h.operate(1, Operation::Plug).await;
    h.expect_status(1, "Preparing").await;
    assert!(h.station().power(false).await.is_ok());
    assert!(h.station().power(false).await.is_ok(), "a second cut");
    // The EV leaves while the station is off.
    h.station()
        .operate(1, Operation::Unplug)
        .await
        .expect("unplugging needs no power");
    h.station().power(true).await.expect("power on");
    h.next_call("BootNotification").await;
    assert_eq!(status_of(&mut h, 1).await["status"], "Available");
    assert!(h.station().power(true).await.is_ok(), "already on");
    h.shutdown().await;
}

/// The control API's route: `{"on": false}` then `{"on": true}`; a bad body is a 400 naming
/// the problem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_api_cuts_and_restores_the_power() {
    let mut h = Setup::default().sqlite().start().await;
    h.booted().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/power", listener.local_addr().unwrap());
    let server = tokio::spawn(chargepoint::control::serve(
        listener,
        h.station().commander(),
    ));
    let http = reqwest::Client::new();

    let off = http
        .post(&url)
        .json(&json!({"on": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), 200);
    let state: Value = off.json().await.unwrap();
    assert_eq!(state["connected"], false, "{state}");
    assert!(h.events.disconnected(ID, Duration::from_secs(10)).await);

    let bad = http
        .post(&url)
        .json(&json!({"on": "yes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let error: Value = bad.json().await.unwrap();
    assert!(error["error"].as_str().unwrap().contains("on"), "{error}");

    let on = http
        .post(&url)
        .json(&json!({"on": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(on.status(), 200);
    h.next_call("BootNotification").await;
    server.abort();
    h.shutdown().await;
}
