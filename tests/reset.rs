//! Reset over a real WebSocket (section 5.14, TC_013 to TC_016): the station stops its
//! transactions, closes the connection, restarts inside the same process from the same
//! store and registers again with a BootNotification.

mod common;

use common::*;
use serde_json::json;

const TAG: &str = "TAG-RESET-1";

/// The station closes the connection and comes back with a BootNotification and a status
/// for every connector; returns those statuses.
async fn rebooted(h: &mut Harness) -> Vec<serde_json::Value> {
    assert!(
        h.events.disconnected(ID, T).await,
        "the station did not close its connection"
    );
    h.wait_call("BootNotification").await;
    let statuses = h.next_statuses(3).await;
    for (i, s) in statuses.iter().enumerate() {
        assert_eq!(s["connectorId"], json!(i), "{s}");
    }
    statuses
}

async fn reset(h: &Harness, kind: &str) {
    let answer = h.call("Reset", json!({ "type": kind })).await;
    assert_eq!(answer, json!({"status": "Accepted"}));
}

/// TC_013_CS and TC_014_CS; a configuration key changed before the reset is still set
/// after it (same store).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_013_014_reset_without_transaction_reboots_with_the_same_store() {
    let mut h = Setup::default().sqlite().start().await;
    h.booted().await;
    assert_eq!(
        h.change_config("MeterValueSampleInterval", "17").await,
        "Accepted"
    );
    for kind in ["Hard", "Soft"] {
        reset(&h, kind).await;
        let statuses = rebooted(&mut h).await;
        assert!(
            statuses.iter().all(|s| s["status"] == "Available"),
            "{kind}: {statuses:?}"
        );
        assert_eq!(
            h.get_config("MeterValueSampleInterval").await,
            Some(("17".to_string(), false)),
            "{kind}"
        );
    }
    assert_eq!(h.seen_count("BootNotification"), 3);
    h.shutdown().await;
}

/// TC_016_CS: StopTransaction with reason SoftReset before the restart; the EV is still
/// plugged in after it (Preparing) and nothing charges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_016_soft_reset_with_transaction() {
    let mut h = Setup::default().sqlite().start().await;
    h.booted().await;
    let tx = h.start_session(TAG).await;
    h.advance(120);
    reset(&h, "Soft").await;
    let stop = h.wait_call("StopTransaction").await.payload;
    assert_eq!(stop["transactionId"], tx, "{stop}");
    assert_eq!(stop["reason"], "SoftReset", "{stop}");
    assert!(stop["meterStop"].as_i64().unwrap_or_default() > 0, "{stop}");
    let statuses = rebooted(&mut h).await;
    assert_eq!(statuses[1]["status"], "Preparing", "{statuses:?}");
    assert_eq!(statuses[2]["status"], "Available", "{statuses:?}");
    let state = h.station().state();
    let c = connector(&state, 1);
    assert_eq!(c.transaction_id, None, "{state:?}");
    assert_eq!(c.power_w, 0.0, "{state:?}");
    assert_eq!(h.seen_count("StopTransaction"), 1);
    h.shutdown().await;
}

/// TC_015_CS: StopTransaction with reason HardReset; the hardware restarts (contactor open)
/// with the EV still plugged in; a new session can start after the reboot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_015_hard_reset_with_transaction() {
    let mut h = Setup::default().sqlite().start().await;
    h.booted().await;
    let tx = h.start_session(TAG).await;
    h.advance(60);
    reset(&h, "Hard").await;
    let stop = h.wait_call("StopTransaction").await.payload;
    assert_eq!(stop["transactionId"], tx, "{stop}");
    assert_eq!(stop["reason"], "HardReset", "{stop}");
    let statuses = rebooted(&mut h).await;
    assert_eq!(statuses[1]["status"], "Preparing", "{statuses:?}");
    h.advance(5);
    let state = h.station().state();
    assert_eq!(connector(&state, 1).power_w, 0.0, "{state:?}");

    // The station works as before: a remote start on the plugged-in EV charges it.
    let answer = h
        .call(
            "RemoteStartTransaction",
            json!({"connectorId": 1, "idTag": TAG}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.next_call("Authorize").await;
    let start = h.next_call("StartTransaction").await.payload;
    assert_eq!(start["connectorId"], 1, "{start}");
    h.expect_status(1, "Charging").await;
    h.shutdown().await;
}
