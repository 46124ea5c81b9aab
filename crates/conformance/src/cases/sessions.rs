//! OCTT modules 02 (Start Charging Session) and 03 (Stop Charging Session), and the steps
//! the session cases of other modules share: the reusable states Charging and Authorized,
//! messages that may come in either order, a remote start.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use super::{always, case, Case};
use crate::operator::Step;
use crate::tester::{fail, Failure, Outcome, Tester, GROUP_TAG_1, GROUP_TAG_2, TAG, TAG_2};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_003",
            "Regular Charging Session - Plugin First",
            Core,
            always,
            tc_003
        ),
        case!(
            "TC_004_1",
            "Regular Charging Session - Identification First",
            Core,
            always,
            tc_004_1
        ),
        case!(
            "TC_004_2",
            "Regular Charging Session - Identification First - ConnectionTimeOut",
            Core,
            always,
            tc_004_2
        ),
        case!(
            "TC_005_1",
            "EV Side Disconnected - StopTransactionOnEVSideDisconnect = true (unlock true)",
            Core,
            always,
            tc_005_1
        ),
        case!(
            "TC_005_2",
            "EV Side Disconnected - StopTransactionOnEVSideDisconnect = true (unlock false)",
            Core,
            always,
            tc_005_2
        ),
        case!(
            "TC_005_3",
            "EV Side Disconnected - StopTransactionOnEVSideDisconnect = false",
            Core,
            always,
            tc_005_3
        ),
        case!(
            "TC_068",
            "Stop transaction - IdTag matches StartTransaction IdTag",
            Core,
            always,
            tc_068
        ),
        case!(
            "TC_069",
            "Stop transaction - ParentIdTag matches StartTransaction ParentIdTag",
            Core,
            always,
            tc_069
        ),
    ]
}

/// The connector the session cases use.
pub(super) const CONNECTOR: u32 = 1;

/// How long a station has to show it does not do something (no StopTransaction, no
/// Authorize): it reacts to a card or a request within a second or two when it does.
pub(super) const QUIET: Duration = Duration::from_secs(4);

/// The ConnectionTimeOut (seconds) the cases that wait for it set.
pub(super) const SHORT_CONNECTION_TIMEOUT: u64 = 5;

/// One message a step waits for.
pub(super) struct Want {
    action: &'static str,
    what: String,
    pick: Box<dyn Fn(&Value) -> bool + Send>,
}

pub(super) fn want(
    action: &'static str,
    what: impl Into<String>,
    pick: impl Fn(&Value) -> bool + Send + 'static,
) -> Want {
    Want {
        action,
        what: what.into(),
        pick: Box::new(pick),
    }
}

/// A StatusNotification of `connector` with `status`.
pub(super) fn status(connector: u32, status: &'static str) -> Want {
    want(
        "StatusNotification",
        format!("connector {connector} {status}"),
        move |p| p["connectorId"] == connector && p["status"] == status,
    )
}

/// A StatusNotification of `connector` with one of `statuses`.
pub(super) fn status_in(connector: u32, statuses: &'static [&'static str]) -> Want {
    want(
        "StatusNotification",
        format!("connector {connector} {}", statuses.join(" or ")),
        move |p| p["connectorId"] == connector && statuses.iter().any(|s| p["status"] == *s),
    )
}

/// Every one of `wants`, in any order (the steps the OCTT says "may be reversed"), within
/// the operator's patience; their payloads, in the order of `wants`.
pub(super) async fn expect_all(
    t: &mut Tester<'_>,
    wants: Vec<Want>,
) -> Result<Vec<Value>, Failure> {
    let patience = t.patience();
    expect_all_within(t, patience, wants).await
}

pub(super) async fn expect_all_within(
    t: &mut Tester<'_>,
    timeout: Duration,
    wants: Vec<Want>,
) -> Result<Vec<Value>, Failure> {
    let deadline = Instant::now() + timeout;
    let mut got: Vec<Option<Value>> = vec![None; wants.len()];
    while got.iter().any(Option::is_none) {
        let missing: Vec<String> = wants
            .iter()
            .zip(&got)
            .filter(|(_, g)| g.is_none())
            .map(|(w, _)| format!("{} ({})", w.action, w.what))
            .collect();
        let what = missing.join(", ");
        let left = deadline.saturating_duration_since(Instant::now());
        let (action, payload) = t
            .expect_any_within(left, &what, |action, p| {
                wants
                    .iter()
                    .zip(&got)
                    .any(|(w, g)| g.is_none() && w.action == action && (w.pick)(p))
            })
            .await?;
        if let Some(i) = wants
            .iter()
            .zip(&got)
            .position(|(w, g)| g.is_none() && w.action == action && (w.pick)(&payload))
        {
            got[i] = Some(payload);
        }
    }
    Ok(got.into_iter().flatten().collect())
}

/// Set configuration key `key` when the station has it (an optional key the case's
/// preparations name, e.g. MinimumStatusDuration); restored after the case.
pub(super) async fn configure_if_known(t: &mut Tester<'_>, key: &str, value: &str) -> Outcome {
    match t.read_key(key).await {
        Ok(current) if current.eq_ignore_ascii_case(value) => Ok(()),
        Ok(_) => t.configure(key, value).await,
        Err(_) => {
            t.note(format!("{key} is not implemented: left alone"));
            Ok(())
        }
    }
}

/// Empty the Authorization Cache, so that a card is authorized with the Central System.
pub(super) async fn clear_cache(t: &mut Tester<'_>) -> Outcome {
    let answer = t.call("ClearCache", json!({})).await?;
    t.note(format!("ClearCache: {answer}"));
    Ok(())
}

/// Whether the station authorizes the idTag of a RemoteStartTransaction first.
pub(super) async fn authorizes_remote_starts(t: &mut Tester<'_>) -> Result<bool, Failure> {
    Ok(t.read_key("AuthorizeRemoteTxRequests")
        .await?
        .eq_ignore_ascii_case("true"))
}

/// RemoteStartTransaction for `tag` on `connector`, Accepted.
pub(super) async fn remote_start(t: &mut Tester<'_>, connector: u32, tag: &str) -> Outcome {
    t.call_status(
        "RemoteStartTransaction",
        json!({ "connectorId": connector, "idTag": tag }),
        "Accepted",
    )
    .await
    .map(|_| ())
}

/// The StartTransaction of `tag` on `connector` and the Charging status, in either order;
/// the id the Central System gave.
pub(super) async fn started(t: &mut Tester<'_>, connector: u32, tag: &str) -> Result<i64, Failure> {
    let tag_owned = tag.to_owned();
    let found = expect_all(
        t,
        vec![
            want(
                "StartTransaction",
                format!("connector {connector}, idTag {tag}"),
                move |p| p["connectorId"] == connector,
            ),
            status(connector, "Charging"),
        ],
    )
    .await?;
    if !found[0]["idTag"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case(&tag_owned))
    {
        return fail(format!(
            "StartTransaction: expected idTag {tag_owned}, got {}",
            found[0]
        ));
    }
    t.open_transaction(connector).await
}

/// The reusable state Charging: the EV plugged in, `tag` presented, the transaction
/// started; its id.
pub(super) async fn charging(
    t: &mut Tester<'_>,
    connector: u32,
    tag: &str,
) -> Result<i64, Failure> {
    t.act(Step::Plug(connector)).await?;
    t.expect_status(connector, "Preparing").await?;
    t.act(Step::PresentCard(connector, tag.to_owned())).await?;
    started(t, connector, tag).await
}

/// The reusable state Authorized: `tag` presented with no EV, authorized with the Central
/// System (an Authorize.req for it) and the connector Preparing, in either order.
pub(super) async fn authorized(t: &mut Tester<'_>, connector: u32, tag: &str) -> Outcome {
    t.act(Step::PresentCard(connector, tag.to_owned())).await?;
    let tag_owned = tag.to_owned();
    expect_all(
        t,
        vec![
            want("Authorize", format!("idTag {tag}"), move |p| {
                p["idTag"]
                    .as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case(&tag_owned))
            }),
            status(connector, "Preparing"),
        ],
    )
    .await
    .map(|_| ())
}

/// The StopTransaction of transaction `tx` and a StatusNotification of `connector` with one
/// of `statuses`, in either order. `reason`: the reason required (`Local` may be left
/// out, section 6.49); `id_tag`: the idTag required. The StopTransaction and the status.
pub(super) async fn stopped(
    t: &mut Tester<'_>,
    connector: u32,
    tx: i64,
    reason: &str,
    id_tag: Option<&str>,
    statuses: &'static [&'static str],
) -> Result<(Value, String), Failure> {
    let found = expect_all(
        t,
        vec![
            want(
                "StopTransaction",
                format!("of transaction {tx}"),
                move |p| p["transactionId"] == tx,
            ),
            status_in(connector, statuses),
        ],
    )
    .await?;
    let stop = &found[0];
    let given = stop["reason"].as_str().unwrap_or("Local");
    if given != reason {
        return fail(format!(
            "StopTransaction: expected reason {reason}, got {given}: {stop}"
        ));
    }
    if let Some(tag) = id_tag {
        if !stop["idTag"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(tag))
        {
            return fail(format!(
                "StopTransaction: expected idTag {tag} (the card that stopped it), got {stop}"
            ));
        }
    }
    let status = found[1]["status"].as_str().unwrap_or_default().to_owned();
    Ok((found[0].clone(), status))
}

/// Wait `ConnectionTimeOut` (`timeout` seconds, counted from `since`) for `connector` to
/// become Available again; too early fails too.
pub(super) async fn available_after_timeout(
    t: &mut Tester<'_>,
    connector: u32,
    since: Instant,
    timeout: u64,
) -> Outcome {
    let limit = Duration::from_secs(timeout) + t.patience();
    t.expect_within(
        limit,
        "StatusNotification",
        &format!("connector {connector} Available after ConnectionTimeOut"),
        |p| p["connectorId"] == connector && p["status"] == "Available",
    )
    .await?;
    let took = since.elapsed();
    if took + Duration::from_secs(1) < Duration::from_secs(timeout) {
        return fail(format!(
            "connector {connector} was Available again after {took:?}, before ConnectionTimeOut ({timeout} s)"
        ));
    }
    t.note(format!("Available again after {took:?}"));
    Ok(())
}

/// TC_003: plug in, then present a card: Preparing, Authorize, StartTransaction and
/// Charging.
async fn tc_003(t: &mut Tester<'_>) -> Outcome {
    // The card is to be authorized with the Central System (step 3), not from a cache.
    clear_cache(t).await?;
    t.act(Step::Plug(CONNECTOR)).await?;
    t.expect_status(CONNECTOR, "Preparing").await?;
    t.act(Step::PresentCard(CONNECTOR, TAG.into())).await?;
    t.expect("Authorize", &format!("idTag {TAG}"), |p| p["idTag"] == TAG)
        .await?;
    started(t, CONNECTOR, TAG).await?;
    Ok(())
}

/// TC_004_1: present a card first (Authorize, Preparing), then plug in: StartTransaction
/// and Charging.
async fn tc_004_1(t: &mut Tester<'_>) -> Outcome {
    t.configure("MeterValueSampleInterval", "10").await?;
    clear_cache(t).await?;
    authorized(t, CONNECTOR, TAG).await?;
    t.act(Step::Plug(CONNECTOR)).await?;
    started(t, CONNECTOR, TAG).await?;
    Ok(())
}

/// TC_004_2: present a card and plug in nothing: Preparing, and Available again once
/// ConnectionTimeOut has passed.
async fn tc_004_2(t: &mut Tester<'_>) -> Outcome {
    let timeout = SHORT_CONNECTION_TIMEOUT;
    t.configure("ConnectionTimeOut", &timeout.to_string())
        .await?;
    clear_cache(t).await?;
    t.act(Step::PresentCard(CONNECTOR, TAG.into())).await?;
    let since = Instant::now();
    expect_all(
        t,
        vec![
            want("Authorize", format!("idTag {TAG}"), |p| p["idTag"] == TAG),
            status(CONNECTOR, "Preparing"),
        ],
    )
    .await?;
    available_after_timeout(t, CONNECTOR, since, timeout).await?;
    t.expect_none(QUIET, "StartTransaction", "with no EV plugged in", |_| true)
        .await
}

/// The preparations of TC_005_x: MinimumStatusDuration 0 and the two EV-side keys.
async fn ev_side_keys(t: &mut Tester<'_>, stop: bool, unlock: bool) -> Outcome {
    configure_if_known(t, "MinimumStatusDuration", "0").await?;
    t.configure("StopTransactionOnEVSideDisconnect", &stop.to_string())
        .await?;
    t.configure("UnlockConnectorOnEVSideDisconnect", &unlock.to_string())
        .await
}

/// After an EV-side disconnect stopped a transaction: a cable still in the station's
/// socket (Finishing) is taken out; the connector is Available.
async fn cable_removed(t: &mut Tester<'_>, status_after_stop: &str) -> Outcome {
    if status_after_stop == "Finishing" {
        t.act(Step::Unplug(CONNECTOR)).await?;
        t.expect_status(CONNECTOR, "Available").await?;
    }
    Ok(())
}

/// TC_005_1: StopTransactionOnEVSideDisconnect and UnlockConnectorOnEVSideDisconnect true:
/// the EV leaves, the transaction stops (EVDisconnected) and the cable is released (which
/// only a station-side lock shows; a fixed cable has nothing to release, the rest holds).
async fn tc_005_1(t: &mut Tester<'_>) -> Outcome {
    ev_side_keys(t, true, true).await?;
    let tx = charging(t, CONNECTOR, TAG).await?;
    t.act(Step::Unplug(CONNECTOR)).await?;
    let (_, after) = stopped(
        t,
        CONNECTOR,
        tx,
        "EVDisconnected",
        None,
        &["Finishing", "Available"],
    )
    .await?;
    cable_removed(t, &after).await
}

/// TC_005_2: StopTransactionOnEVSideDisconnect true, UnlockConnectorOnEVSideDisconnect
/// false: the transaction stops (EVDisconnected); the cable stays locked until the
/// Central System unlocks it.
async fn tc_005_2(t: &mut Tester<'_>) -> Outcome {
    ev_side_keys(t, true, false).await?;
    let tx = charging(t, CONNECTOR, TAG).await?;
    t.act(Step::Unplug(CONNECTOR)).await?;
    let (_, after) = stopped(
        t,
        CONNECTOR,
        tx,
        "EVDisconnected",
        None,
        &["Finishing", "Available"],
    )
    .await?;
    let answer = t
        .call("UnlockConnector", json!({ "connectorId": CONNECTOR }))
        .await?;
    let fixed = t.profile().fixed_cable;
    let ok = answer["status"] == "Unlocked" || (fixed && answer["status"] == "NotSupported");
    if !ok {
        return fail(format!(
            "UnlockConnector: expected Unlocked{}, the station answered {answer}",
            if fixed {
                " or NotSupported (fixed cable)"
            } else {
                ""
            }
        ));
    }
    if !fixed {
        cable_removed(t, &after).await?;
    }
    Ok(())
}

/// TC_005_3: StopTransactionOnEVSideDisconnect false: the EV leaves, the transaction goes
/// on (SuspendedEV) until the Central System stops it.
async fn tc_005_3(t: &mut Tester<'_>) -> Outcome {
    ev_side_keys(t, false, false).await?;
    let tx = charging(t, CONNECTOR, TAG).await?;
    t.act(Step::Unplug(CONNECTOR)).await?;
    t.expect_status(CONNECTOR, "SuspendedEV").await?;
    t.expect_none(QUIET, "StopTransaction", "the transaction goes on", |p| {
        p["transactionId"] == tx
    })
    .await?;
    t.call_status(
        "RemoteStopTransaction",
        json!({ "transactionId": tx }),
        "Accepted",
    )
    .await?;
    let (_, after) = stopped(
        t,
        CONNECTOR,
        tx,
        "Remote",
        None,
        &["Finishing", "Available"],
    )
    .await?;
    cable_removed(t, &after).await
}

/// TC_068: another card does not stop the transaction; the card that started it does
/// (StopTransaction with its idTag, Finishing).
async fn tc_068(t: &mut Tester<'_>) -> Outcome {
    let tx = charging(t, CONNECTOR, TAG).await?;
    t.act(Step::PresentCard(CONNECTOR, TAG_2.into())).await?;
    // An Authorize.req for it is allowed (one card reader for several connectors).
    t.expect_none(
        QUIET,
        "StopTransaction",
        &format!("after card {TAG_2}"),
        |_| true,
    )
    .await?;
    t.act(Step::PresentCard(CONNECTOR, TAG.into())).await?;
    stopped(t, CONNECTOR, tx, "Local", Some(TAG), &["Finishing"]).await?;
    Ok(())
}

/// TC_069: a card of the same group (parentIdTag) as the one that started the transaction
/// stops it: Authorize for it, StopTransaction with its idTag, Finishing.
async fn tc_069(t: &mut Tester<'_>) -> Outcome {
    // The second card is to be authorized with the Central System (step 1).
    clear_cache(t).await?;
    let tx = charging(t, CONNECTOR, GROUP_TAG_1).await?;
    t.act(Step::PresentCard(CONNECTOR, GROUP_TAG_2.into()))
        .await?;
    t.expect("Authorize", &format!("idTag {GROUP_TAG_2}"), |p| {
        p["idTag"] == GROUP_TAG_2
    })
    .await?;
    stopped(t, CONNECTOR, tx, "Local", Some(GROUP_TAG_2), &["Finishing"]).await?;
    Ok(())
}
