//! Authorization end to end (sections 3.5, 4.1): the Authorization Cache (TC_007_1,
//! TC_061), refused cards (TC_023_4), the stop by a card of the same group (TC_069) and
//! offline starts (TC_037_1, TC_037_3), against the built-in Central System.

mod common;

use chargepoint::runner::{ConnectorState, Operation};
use common::*;
use csms::{AuthorizePolicy, TagInfo};
use ocpp::AuthorizationStatus;
use serde_json::json;

const TAG: &str = "TAG-E2E-1";

async fn card(h: &Harness, connector: u32, id_tag: &str) -> ConnectorState {
    h.operate(
        connector,
        Operation::Authorize {
            id_tag: id_tag.into(),
        },
    )
    .await
}

async fn plug(h: &mut Harness, connector: u32) {
    h.operate(connector, Operation::Plug).await;
    h.expect_status(connector as i64, "Preparing").await;
}

/// A session for TAG on connector 1 through Authorize.req, stopped by the same card; the
/// EV leaves, so the connector is Available again.
async fn session_and_leave(h: &mut Harness) {
    plug(h, 1).await;
    card(h, 1, TAG).await;
    h.next_call("Authorize").await;
    h.next_call("StartTransaction").await;
    h.expect_status(1, "Charging").await;
    card(h, 1, TAG).await;
    let stop = h.next_call("StopTransaction").await;
    assert_eq!(stop.payload["reason"], "Local", "{}", stop.payload);
    h.expect_status(1, "Finishing").await;
    h.operate(1, Operation::Unplug).await;
    h.expect_status(1, "Available").await;
}

#[tokio::test]
async fn tc_007_1_cached_id_starts_without_authorize() {
    let mut h = Setup::default()
        .key("LocalPreAuthorize", "true")
        .start()
        .await;
    h.booted().await;
    session_and_leave(&mut h).await;
    plug(&mut h, 1).await;
    // Known from the cache (in another case): StartTransaction at once, no Authorize.req.
    card(&h, 1, &TAG.to_lowercase()).await;
    let start = h.next_call("StartTransaction").await;
    assert_eq!(start.payload["idTag"], TAG.to_lowercase());
    h.expect_status(1, "Charging").await;
    h.shutdown().await;
}

#[tokio::test]
async fn tc_061_clear_cache_makes_the_station_ask_again() {
    let mut h = Setup::default()
        .key("LocalPreAuthorize", "true")
        .start()
        .await;
    h.booted().await;
    session_and_leave(&mut h).await;
    assert_eq!(
        h.call("ClearCache", json!({})).await,
        json!({"status": "Accepted"})
    );
    plug(&mut h, 1).await;
    card(&h, 1, TAG).await;
    let authorize = h.next_call("Authorize").await;
    assert_eq!(authorize.payload["idTag"], TAG);
    h.next_call("StartTransaction").await;
    h.shutdown().await;
}

#[tokio::test]
async fn tc_023_4_blocked_card_starts_nothing() {
    let mut h = Setup::default().start().await;
    h.csms
        .set_authorize(AuthorizePolicy::Tags(vec![TagInfo::new(
            TAG,
            AuthorizationStatus::Blocked,
        )]));
    h.booted().await;
    plug(&mut h, 1).await;
    card(&h, 1, TAG).await;
    h.next_call("Authorize").await;
    h.expect_no_calls("after a Blocked Authorize.conf").await;
    let state = h.station().state();
    assert_eq!(connector(&state, 1).transaction_id, None, "{state:?}");
    assert_eq!(connector(&state, 1).status, "Preparing", "{state:?}");
    h.shutdown().await;
}

#[tokio::test]
async fn tc_069_card_of_the_same_group_stops_the_transaction() {
    let mut h = Setup::default().start().await;
    h.csms.set_authorize(AuthorizePolicy::Tags(vec![
        TagInfo::new("CARD-A", AuthorizationStatus::Accepted).parent("FLEET"),
        TagInfo::new("CARD-B", AuthorizationStatus::Accepted).parent("FLEET"),
        TagInfo::new("CARD-C", AuthorizationStatus::Accepted).parent("OTHER"),
    ]));
    h.booted().await;
    plug(&mut h, 1).await;
    card(&h, 1, "CARD-A").await;
    h.next_call("Authorize").await;
    h.next_call("StartTransaction").await;
    h.expect_status(1, "Charging").await;
    // Another group: asked about, but no stop.
    card(&h, 1, "CARD-C").await;
    h.next_call("Authorize").await;
    h.expect_no_calls("after a card of another group").await;
    card(&h, 1, "CARD-B").await;
    let authorize = h.next_call("Authorize").await;
    assert_eq!(authorize.payload["idTag"], "CARD-B");
    let stop = h.next_call("StopTransaction").await.payload;
    assert_eq!(stop["reason"], "Local", "{stop}");
    assert_eq!(stop["idTag"], "CARD-B", "{stop}");
    h.expect_status(1, "Finishing").await;
    assert!(h.csms.transactions()[0].is_stopped());
    h.shutdown().await;
}

#[tokio::test]
async fn tc_037_1_offline_start_with_a_cached_id() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    // Learn the card at connector 2, then cancel there.
    card(&h, 2, TAG).await;
    h.next_call("Authorize").await;
    h.expect_status(2, "Preparing").await;
    h.operate(2, Operation::Stop).await;
    h.expect_status(2, "Available").await;

    h.drop_connection().await;
    h.operate(1, Operation::Plug).await;
    card(&h, 1, TAG).await;
    let state = h
        .wait_state("charging offline", |s| {
            connector(s, 1).id_tag.as_deref() == Some(TAG)
        })
        .await;
    assert_eq!(connector(&state, 1).status, "Charging", "{state:?}");
    assert!(!h.csms.is_connected(ID));

    h.advance_until_connected(10).await;
    let start = h.wait_call("StartTransaction").await.payload;
    assert_eq!(start["idTag"], TAG, "{start}");
    h.wait_state("transaction id known", |s| {
        connector(s, 1).transaction_id.is_some()
    })
    .await;
    // Only the card's first presentation, online, was sent to the Central System.
    assert_eq!(h.seen_count("Authorize"), 1, "{:?}", h.seen_actions());
    h.shutdown().await;
}

#[tokio::test]
async fn tc_037_3_offline_unknown_id_refused_later_is_deauthorized() {
    let mut h = Setup::default()
        .key("AllowOfflineTxForUnknownId", "true")
        .start()
        .await;
    // The Central System knows no card at all.
    h.csms.set_authorize(AuthorizePolicy::List(Vec::new()));
    h.booted().await;
    h.drop_connection().await;
    h.operate(1, Operation::Plug).await;
    card(&h, 1, "STRANGER").await;
    h.wait_state("charging offline", |s| {
        connector(s, 1).id_tag.as_deref() == Some("STRANGER")
    })
    .await;
    h.advance_until_connected(10).await;
    let start = h.wait_call("StartTransaction").await.payload;
    assert_eq!(start["idTag"], "STRANGER", "{start}");
    let stop = h.wait_call("StopTransaction").await.payload;
    assert_eq!(stop["reason"], "DeAuthorized", "{stop}");
    h.wait_state("stopped", |s| connector(s, 1).transaction_id.is_none())
        .await;
    h.shutdown().await;
}
