//! OCTT module 04: Cache. A card the Central System accepted is kept in the Authorization
//! Cache; with LocalPreAuthorize the station starts on it without asking again, and
//! ClearCache makes it ask again.

use serde_json::json;
use tokio::time::Instant;

use super::sessions::{
    authorized, available_after_timeout, expect_all, remote_start, started, status, want,
    CONNECTOR, SHORT_CONNECTION_TIMEOUT,
};
use super::{always, case, Case};
use crate::operator::Step;
use crate::tester::{fail, Outcome, Tester, TAG};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_007_1",
            "Regular Start Charging Session - Cached Id",
            Core,
            always,
            tc_007_1
        ),
        case!(
            "TC_007_2",
            "Remote Start Charging Session - Cached Id",
            Core,
            always,
            tc_007_2
        ),
        case!(
            "TC_061_1",
            "Clear Authorization Data in Authorization Cache - Local",
            Core,
            always,
            tc_061_1
        ),
        case!(
            "TC_061_2",
            "Clear Authorization Data in Authorization Cache - Remote",
            Core,
            always,
            tc_061_2
        ),
    ]
}

/// The preparations of the module: the cache on, LocalPreAuthorize, a short
/// ConnectionTimeOut (an authorization with no EV lapses quickly), the cache emptied.
async fn prepare(t: &mut Tester<'_>) -> Outcome {
    t.configure("AuthorizationCacheEnabled", "true").await?;
    t.configure("LocalPreAuthorize", "true").await?;
    t.configure("ConnectionTimeOut", &SHORT_CONNECTION_TIMEOUT.to_string())
        .await?;
    clear_cache(t).await
}

/// ClearCache, Accepted.
async fn clear_cache(t: &mut Tester<'_>) -> Outcome {
    t.call_status("ClearCache", json!({}), "Accepted")
        .await
        .map(|_| ())
}

/// The memory state IdTagCached: `TAG` presented with no EV, authorized with the Central
/// System, and the authorization left to lapse (ConnectionTimeOut): the card is cached.
async fn cache_by_card(t: &mut Tester<'_>) -> Outcome {
    let since = Instant::now();
    authorized(t, CONNECTOR, TAG).await?;
    available_after_timeout(t, CONNECTOR, since, SHORT_CONNECTION_TIMEOUT).await
}

/// The same by a RemoteStartTransaction (AuthorizeRemoteTxRequests true): the station
/// authorizes `TAG`, waits ConnectionTimeOut for an EV in vain.
async fn cache_by_remote_start(t: &mut Tester<'_>) -> Outcome {
    remote_start(t, CONNECTOR, TAG).await?;
    let since = Instant::now();
    expect_all(
        t,
        vec![
            want("Authorize", format!("idTag {TAG}"), |p| p["idTag"] == TAG),
            status(CONNECTOR, "Preparing"),
        ],
    )
    .await?;
    available_after_timeout(t, CONNECTOR, since, SHORT_CONNECTION_TIMEOUT).await
}

/// Until the transaction of `TAG` starts on `CONNECTOR`: no Authorize.req (the card is
/// cached), the StartTransaction and Charging.
async fn started_from_cache(t: &mut Tester<'_>) -> Outcome {
    let patience = t.patience();
    let (action, payload) = t
        .expect_any_within(
            patience,
            "StartTransaction (no Authorize before it)",
            |a, _| a == "Authorize" || a == "StartTransaction",
        )
        .await?;
    if action == "Authorize" {
        return fail(format!(
            "the station sent Authorize.req for a card in its Authorization Cache: {payload}"
        ));
    }
    if payload["connectorId"] != CONNECTOR || payload["idTag"] != TAG {
        return fail(format!(
            "StartTransaction: expected connector {CONNECTOR} and idTag {TAG}, got {payload}"
        ));
    }
    t.expect_status(CONNECTOR, "Charging").await?;
    t.open_transaction(CONNECTOR).await.map(|_| ())
}

/// TC_007_1: a cached card presented, then the EV plugged in: Preparing, then the
/// transaction starts without an Authorize.req.
async fn tc_007_1(t: &mut Tester<'_>) -> Outcome {
    prepare(t).await?;
    cache_by_card(t).await?;
    t.act(Step::PresentCard(CONNECTOR, TAG.into())).await?;
    let patience = t.patience();
    let (action, payload) = t
        .expect_any_within(patience, "StatusNotification Preparing", |a, p| {
            a == "Authorize" || (a == "StatusNotification" && p["connectorId"] == CONNECTOR)
        })
        .await?;
    if action == "Authorize" {
        return fail(format!(
            "the station sent Authorize.req for a card in its Authorization Cache: {payload}"
        ));
    }
    if payload["status"] != "Preparing" {
        return fail(format!(
            "expected connector {CONNECTOR} Preparing after the card, got {payload}"
        ));
    }
    t.act(Step::Plug(CONNECTOR)).await?;
    started_from_cache(t).await
}

/// TC_007_2: the EV plugged in, a RemoteStartTransaction for a cached card
/// (AuthorizeRemoteTxRequests true): the transaction starts without an Authorize.req.
async fn tc_007_2(t: &mut Tester<'_>) -> Outcome {
    prepare(t).await?;
    t.configure("AuthorizeRemoteTxRequests", "true").await?;
    cache_by_card(t).await?;
    t.act(Step::Plug(CONNECTOR)).await?;
    t.expect_status(CONNECTOR, "Preparing").await?;
    remote_start(t, CONNECTOR, TAG).await?;
    started_from_cache(t).await
}

/// TC_061_1: a card cached, ClearCache: the same card presented again is authorized with
/// the Central System (Authorize.req).
async fn tc_061_1(t: &mut Tester<'_>) -> Outcome {
    prepare(t).await?;
    cache_by_card(t).await?;
    clear_cache(t).await?;
    let since = Instant::now();
    authorized(t, CONNECTOR, TAG).await?;
    // No EV comes: the connector is free again after ConnectionTimeOut.
    available_after_timeout(t, CONNECTOR, since, SHORT_CONNECTION_TIMEOUT).await
}

/// TC_061_2: a card cached by a remote start, ClearCache: a RemoteStartTransaction for it
/// again makes the station authorize it with the Central System (Authorize.req); the EV
/// plugged in, the transaction starts.
async fn tc_061_2(t: &mut Tester<'_>) -> Outcome {
    prepare(t).await?;
    t.configure("AuthorizeRemoteTxRequests", "true").await?;
    cache_by_remote_start(t).await?;
    clear_cache(t).await?;
    remote_start(t, CONNECTOR, TAG).await?;
    expect_all(
        t,
        vec![
            want(
                "Authorize",
                format!("idTag {TAG} (the cache was cleared)"),
                |p| p["idTag"] == TAG,
            ),
            status(CONNECTOR, "Preparing"),
        ],
    )
    .await?;
    t.act(Step::Plug(CONNECTOR)).await?;
    started(t, CONNECTOR, TAG).await?;
    Ok(())
}
