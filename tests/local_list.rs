//! Local Authorization List Management end to end (sections 3.5.2, 5.10, 5.15): the
//! built-in Central System sends SendLocalList and GetLocalListVersion over a real
//! WebSocket (TC_042_1, TC_042_2, TC_043, TC_043_1..3), and the list authorizes a card
//! offline and online without Authorize.req (TC_008_1); it survives a reset (SQLite).

mod common;

use chargepoint::runner::Operation;
use common::*;
use serde_json::{json, Value};

async fn send_list(h: &Harness, update_type: &str, version: i32, list: Value) -> String {
    let answer = h
        .call(
            "SendLocalList",
            json!({"listVersion": version, "updateType": update_type,
                   "localAuthorizationList": list}),
        )
        .await;
    answer["status"]
        .as_str()
        .unwrap_or_else(|| panic!("SendLocalList answer without status: {answer}"))
        .to_string()
}

async fn list_version(h: &Harness) -> i64 {
    let answer = h.call("GetLocalListVersion", json!({})).await;
    answer["listVersion"]
        .as_i64()
        .unwrap_or_else(|| panic!("GetLocalListVersion answer without listVersion: {answer}"))
}

fn accepted(tag: &str) -> Value {
    json!({"idTag": tag, "idTagInfo": {"status": "Accepted"}})
}

fn tags(prefix: &str, n: usize) -> Value {
    Value::Array((0..n).map(|i| accepted(&format!("{prefix}{i}"))).collect())
}

#[tokio::test]
async fn tc_042_2_and_tc_043_send_local_list_and_get_its_version() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    assert_eq!(list_version(&h).await, 0);
    assert_eq!(send_list(&h, "Full", 3, tags("CARD-", 5)).await, "Accepted");
    assert_eq!(list_version(&h).await, 3);
    let diff = json!([accepted("NEW"), {"idTag": "CARD-0"}]);
    assert_eq!(send_list(&h, "Differential", 4, diff).await, "Accepted");
    assert_eq!(list_version(&h).await, 4);
    // TC_043_2: a differential update must be newer than the list.
    assert_eq!(
        send_list(&h, "Differential", 4, json!([accepted("X")])).await,
        "VersionMismatch"
    );
    // TC_043_3: more than SendLocalListMaxLength (10) entries.
    assert_eq!(
        h.get_config("SendLocalListMaxLength").await,
        Some(("10".to_string(), true))
    );
    assert_eq!(send_list(&h, "Full", 5, tags("CARD-", 11)).await, "Failed");
    assert_eq!(list_version(&h).await, 4);
    h.shutdown().await;
}

#[tokio::test]
async fn tc_042_1_and_tc_043_1_list_disabled() {
    let mut h = Setup::default()
        .key("LocalAuthListEnabled", "false")
        .start()
        .await;
    h.booted().await;
    assert_eq!(list_version(&h).await, -1);
    assert_eq!(
        send_list(&h, "Full", 1, tags("CARD-", 2)).await,
        "NotSupported"
    );
    h.shutdown().await;
}

/// A card on the list starts a transaction while the Central System is unreachable; its
/// StartTransaction.req is delivered after the reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_start_authorized_by_the_local_list() {
    let mut h = Setup::default().sqlite().start().await;
    h.booted().await;
    assert_eq!(
        send_list(&h, "Full", 1, json!([accepted("LISTED")])).await,
        "Accepted"
    );
    h.drop_connection().await;
    h.operate(1, Operation::Plug).await;
    h.operate(
        1,
        Operation::Authorize {
            id_tag: "LISTED".into(),
        },
    )
    .await;
    let state = h
        .wait_state("charging offline", |s| {
            connector(s, 1).id_tag.as_deref() == Some("LISTED")
        })
        .await;
    assert_eq!(connector(&state, 1).status, "Charging", "{state:?}");
    assert!(!h.csms.is_connected(ID));

    h.advance_until_connected(10).await;
    let start = h.wait_call("StartTransaction").await.payload;
    assert_eq!(start["idTag"], "LISTED", "{start}");
    h.wait_state("transaction id known", |s| {
        connector(s, 1).transaction_id.is_some()
    })
    .await;
    assert_eq!(h.seen_count("Authorize"), 0, "{:?}", h.seen_actions());
    h.shutdown().await;
}

/// TC_008_1: with LocalPreAuthorize a listed card starts at once, without Authorize.req.
#[tokio::test]
async fn tc_008_1_listed_card_starts_without_authorize() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_test_writer()
        .try_init();
    let mut h = Setup::default()
        .key("LocalPreAuthorize", "true")
        .start()
        .await;
    h.booted().await;
    assert_eq!(
        send_list(&h, "Full", 1, json!([accepted("LISTED")])).await,
        "Accepted"
    );
    h.operate(1, Operation::Plug).await;
    h.expect_status(1, "Preparing").await;
    h.operate(
        1,
        Operation::Authorize {
            id_tag: "LISTED".into(),
        },
    )
    .await;
    let start = h.next_call("StartTransaction").await;
    assert_eq!(start.payload["idTag"], "LISTED");
    h.expect_status(1, "Charging").await;
    assert_eq!(h.seen_count("Authorize"), 0, "{:?}", h.seen_actions());
    h.shutdown().await;
}

/// The list is in SQLite: a reset (an in-process restart from the same store) keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_list_survives_a_reset() {
    let mut h = Setup::default().sqlite().start().await;
    h.booted().await;
    assert_eq!(send_list(&h, "Full", 9, tags("CARD-", 3)).await, "Accepted");
    let answer = h.call("Reset", json!({"type": "Soft"})).await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    assert!(
        h.events.disconnected(ID, T).await,
        "the station did not close its connection"
    );
    h.wait_call("BootNotification").await;
    h.next_statuses(3).await;
    assert_eq!(list_version(&h).await, 9);
    h.shutdown().await;
}

/// A list that would grow past LocalAuthListMaxLength (100) is Failed and changes nothing;
/// Blocked and expired entries refuse a card without asking the Central System.
#[tokio::test]
async fn list_too_large_and_blocked_or_expired_entries() {
    // Unknown cards may charge offline here: only the list's verdict can refuse.
    let mut h = Setup::default()
        .key("LocalPreAuthorize", "true")
        .key("AllowOfflineTxForUnknownId", "true")
        .start()
        .await;
    h.booted().await;
    for (i, version) in (1..=10).enumerate() {
        let update = if i == 0 { "Full" } else { "Differential" };
        let batch = tags(&format!("B{i}-"), 10);
        assert_eq!(send_list(&h, update, version, batch).await, "Accepted");
    }
    assert_eq!(
        send_list(&h, "Differential", 11, json!([accepted("ONE-TOO-MANY")])).await,
        "Failed"
    );
    assert_eq!(list_version(&h).await, 10);
    let past = ocpp::datetime::format(&(h.now() - chrono::Duration::days(1)));
    let entries = json!([
        {"idTag": "B0-0", "idTagInfo": {"status": "Blocked"}},
        {"idTag": "B0-1", "idTagInfo": {"status": "Accepted", "expiryDate": past}},
    ]);
    assert_eq!(send_list(&h, "Differential", 12, entries).await, "Accepted");
    h.drop_connection().await;
    for (connector, tag) in [(1, "B0-0"), (2, "B0-1")] {
        h.operate(connector, Operation::Plug).await;
        h.operate(connector, Operation::Authorize { id_tag: tag.into() })
            .await;
    }
    let state = h.station().state();
    assert!(
        state.connectors.iter().all(|c| c.status != "Charging"),
        "{state:?}"
    );
    h.operate(
        2,
        Operation::Authorize {
            id_tag: "NOT-LISTED".into(),
        },
    )
    .await;
    let state = h.station().state();
    assert_eq!(connector(&state, 2).status, "Charging", "{state:?}");
    h.shutdown().await;
}
