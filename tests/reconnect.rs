//! Connection loss: the station reconnects with backoff (on its own clock), without a new
//! BootNotification, and delivers the transaction messages it queued while offline.

mod common;

use chargepoint::runner::Operation;
use common::*;
use serde_json::json;

/// The Central System drops the socket; after the reconnect backoff the station is back,
/// still registered (no BootNotification: it did not reboot), heartbeats on its interval
/// counted from the new connection, and answers CALLs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_after_connection_loss_without_new_boot() {
    let mut h = Setup::default().heartbeat_interval(30).start().await;
    h.booted().await;
    h.advance(10);

    h.drop_connection().await;
    // The backoff runs on the station's clock: without advancing it, no reconnect.
    tokio::time::sleep(QUIET).await;
    assert!(
        !h.csms.is_connected(ID),
        "reconnected without the clock moving"
    );

    let backoff = h.advance_until_connected(10).await;
    assert!(
        backoff <= 2,
        "first reconnect took {backoff} s (reconnect_min is 1 s)"
    );
    // Nothing changed while offline: no BootNotification, no StatusNotification.
    h.expect_no_calls("right after the reconnect").await;

    h.advance(29);
    h.expect_no_calls("29 s after the reconnect").await;
    h.advance(1);
    h.next_call("Heartbeat").await;
    assert_eq!(
        h.get_config("HeartbeatInterval").await,
        Some(("30".to_string(), false))
    );
    assert_eq!(
        h.seen_count("BootNotification"),
        1,
        "{:?}",
        h.seen_actions()
    );

    // And again: a second loss, a second reconnect.
    h.drop_connection().await;
    h.advance_until_connected(10).await;
    let answer = h
        .call("GetConfiguration", json!({"key": ["NumberOfConnectors"]}))
        .await;
    assert_eq!(answer["configurationKey"][0]["value"], "2", "{answer}");
    h.expect_no_calls("after the second reconnect").await;
    assert_eq!(
        h.seen_count("BootNotification"),
        1,
        "{:?}",
        h.seen_actions()
    );
    h.shutdown().await;
}

/// TC_038_CS Offline Stop Transaction: a transaction started online is stopped while
/// offline; after the reconnect the StopTransaction arrives with the transactionId the
/// Central System assigned and the time and meter of the stop, followed by the status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_038_offline_stop_transaction() {
    let mut h = Setup::default().sqlite().start().await;
    h.booted().await;

    h.operate(1, Operation::Plug).await;
    h.expect_status(1, "Preparing").await;
    h.operate(
        1,
        Operation::Authorize {
            id_tag: "TAG-OFFLINE".into(),
        },
    )
    .await;
    assert_eq!(
        h.next_call("Authorize").await.payload["idTag"],
        "TAG-OFFLINE"
    );
    let start = h.next_call("StartTransaction").await.payload;
    h.expect_status(1, "Charging").await;
    let state = h
        .wait_state("transaction id known", |s| {
            connector(s, 1).transaction_id.is_some()
        })
        .await;
    let tx_id = connector(&state, 1).transaction_id.expect("transaction id");
    let txs = h.csms.transactions();
    assert_eq!(txs.len(), 1);
    assert_eq!(txs[0].transaction_id, tx_id);

    // Charge a while, then lose the connection and stop before it is back (advancing the
    // clock now would let the station reconnect).
    h.advance(20);
    h.drop_connection().await;
    let stopped_at = h.now();
    let after_stop = h.operate(1, Operation::Stop).await;
    assert_eq!(after_stop.status, "Finishing", "{after_stop:?}");
    let meter_at_stop = after_stop.energy_wh;
    assert!(
        meter_at_stop > 0.0,
        "the EV charged for 20 s: {after_stop:?}"
    );
    assert!(
        !h.csms.transactions()[0].is_stopped(),
        "the stop cannot have reached the Central System yet"
    );

    h.advance_until_connected(10).await;
    let stop = h.next_call("StopTransaction").await.payload;
    assert_eq!(stop["transactionId"], json!(tx_id), "{stop}");
    assert_eq!(stop["reason"], "Local", "{stop}");
    assert_eq!(time_of(&stop["timestamp"]), stopped_at, "{stop}");
    let meter_stop = stop["meterStop"].as_i64().expect("meterStop");
    let meter_start = start["meterStart"].as_i64().expect("meterStart");
    assert!(meter_stop > meter_start, "{start} / {stop}");
    assert!(
        (meter_stop as f64 - meter_at_stop).abs() <= 1.0,
        "meterStop {meter_stop} vs the meter at the stop {meter_at_stop}"
    );
    // The status that changed while offline follows.
    h.expect_status(1, "Finishing").await;
    assert_eq!(
        h.seen_count("BootNotification"),
        1,
        "{:?}",
        h.seen_actions()
    );

    let tx = &h.csms.transactions()[0];
    assert!(tx.is_stopped(), "{tx:?}");
    assert_eq!(tx.meter_stop, Some(meter_stop as i32));

    h.operate(1, Operation::Unplug).await;
    h.expect_status(1, "Available").await;
    // Delivered once: nothing is re-sent later.
    h.advance(120);
    h.expect_no_calls("2 min after the delivery").await;
    assert_eq!(h.seen_count("StopTransaction"), 1);
    h.shutdown().await;
}
