//! OCTT modules 05 (Remote Actions, happy flow) and 12 (Remote Actions, non-happy flow):
//! RemoteStartTransaction and RemoteStopTransaction.

use serde_json::json;
use tokio::time::Instant;

use super::sessions::{
    authorizes_remote_starts, available_after_timeout, charging, clear_cache, expect_all,
    remote_start, started, status, stopped, want, Want, CONNECTOR, QUIET, SHORT_CONNECTION_TIMEOUT,
};
use super::{always, case, Case};
use crate::operator::Step;
use crate::tester::{fail, Outcome, Tester, TAG};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_010",
            "Remote Start Charging Session - Cable Plugged in First",
            Core,
            always,
            tc_010
        ),
        case!(
            "TC_011_1",
            "Remote Start Charging Session - Remote Start First",
            Core,
            always,
            tc_011_1
        ),
        case!(
            "TC_011_2",
            "Remote Start Charging Session - Time Out",
            Core,
            always,
            tc_011_2
        ),
        case!(
            "TC_012",
            "Remote Stop Charging Session",
            Core,
            always,
            tc_012
        ),
        case!(
            "TC_026",
            "Remote Start Charging Session - Rejected",
            Core,
            always,
            tc_026
        ),
        case!(
            "TC_027",
            "Remote start transaction - connector id shall not be 0",
            Core,
            always,
            tc_027
        ),
        case!(
            "TC_028",
            "Remote Stop Transaction - Rejected",
            Core,
            always,
            tc_028
        ),
    ]
}

/// The Authorize.req for `TAG` a station with AuthorizeRemoteTxRequests true sends.
fn authorize_tag() -> Want {
    want("Authorize", format!("idTag {TAG}"), |p| p["idTag"] == TAG)
}

/// After a RemoteStartTransaction with the EV already there: an Authorize.req first when
/// the station authorizes remote starts (and none otherwise), then the transaction.
async fn remote_started(t: &mut Tester<'_>, authorizes: bool) -> Outcome {
    if authorizes {
        t.expect("Authorize", &format!("idTag {TAG}"), |p| p["idTag"] == TAG)
            .await?;
    } else {
        let patience = t.patience();
        let (action, payload) = t
            .expect_any_within(patience, "StartTransaction", |a, _| {
                a == "Authorize" || a == "StartTransaction"
            })
            .await?;
        if action == "Authorize" {
            return fail(format!(
                "Authorize.req although AuthorizeRemoteTxRequests is false: {payload}"
            ));
        }
        if payload["connectorId"] != CONNECTOR || payload["idTag"] != TAG {
            return fail(format!(
                "StartTransaction: expected connector {CONNECTOR} and idTag {TAG}, got {payload}"
            ));
        }
        t.expect_status(CONNECTOR, "Charging").await?;
        return t.open_transaction(CONNECTOR).await.map(|_| ());
    }
    started(t, CONNECTOR, TAG).await.map(|_| ())
}

/// TC_010: the EV plugged in (Preparing), then RemoteStartTransaction: Accepted, an
/// Authorize.req if AuthorizeRemoteTxRequests is true, StartTransaction and Charging.
async fn tc_010(t: &mut Tester<'_>) -> Outcome {
    let authorizes = authorizes_remote_starts(t).await?;
    // The card is authorized with the Central System, not from a cache.
    clear_cache(t).await?;
    t.act(Step::Plug(CONNECTOR)).await?;
    t.expect_status(CONNECTOR, "Preparing").await?;
    remote_start(t, CONNECTOR, TAG).await?;
    remote_started(t, authorizes).await
}

/// TC_011_1: RemoteStartTransaction first (Accepted, an Authorize.req if
/// AuthorizeRemoteTxRequests is true, Preparing), then the EV plugged in: StartTransaction
/// and Charging.
async fn tc_011_1(t: &mut Tester<'_>) -> Outcome {
    let authorizes = authorizes_remote_starts(t).await?;
    clear_cache(t).await?;
    remote_start(t, CONNECTOR, TAG).await?;
    let mut wants = vec![status(CONNECTOR, "Preparing")];
    if authorizes {
        wants.push(authorize_tag());
    }
    expect_all(t, wants).await?;
    t.act(Step::Plug(CONNECTOR)).await?;
    started(t, CONNECTOR, TAG).await?;
    Ok(())
}

/// TC_011_2: RemoteStartTransaction and no EV: Preparing, and Available again once
/// ConnectionTimeOut has passed.
async fn tc_011_2(t: &mut Tester<'_>) -> Outcome {
    let timeout = SHORT_CONNECTION_TIMEOUT;
    t.configure("ConnectionTimeOut", &timeout.to_string())
        .await?;
    let authorizes = authorizes_remote_starts(t).await?;
    clear_cache(t).await?;
    remote_start(t, CONNECTOR, TAG).await?;
    let since = Instant::now();
    let mut wants = vec![status(CONNECTOR, "Preparing")];
    if authorizes {
        wants.push(authorize_tag());
    }
    expect_all(t, wants).await?;
    available_after_timeout(t, CONNECTOR, since, timeout).await?;
    t.expect_none(QUIET, "StartTransaction", "with no EV plugged in", |_| true)
        .await
}

/// TC_012: during a transaction, RemoteStopTransaction: Accepted, StopTransaction (reason
/// Remote) and Finishing.
async fn tc_012(t: &mut Tester<'_>) -> Outcome {
    let tx = charging(t, CONNECTOR, TAG).await?;
    t.call_status(
        "RemoteStopTransaction",
        json!({ "transactionId": tx }),
        "Accepted",
    )
    .await?;
    stopped(t, CONNECTOR, tx, "Remote", None, &["Finishing"]).await?;
    Ok(())
}

/// TC_026: a transaction runs on the connector (LocalPreAuthorize false): a
/// RemoteStartTransaction for it is Rejected.
async fn tc_026(t: &mut Tester<'_>) -> Outcome {
    t.configure("LocalPreAuthorize", "false").await?;
    let tx = charging(t, CONNECTOR, TAG).await?;
    t.call_status(
        "RemoteStartTransaction",
        json!({ "connectorId": CONNECTOR, "idTag": TAG }),
        "Rejected",
    )
    .await?;
    t.expect_none(
        QUIET,
        "StopTransaction",
        "the running transaction goes on",
        |p| p["transactionId"] == tx,
    )
    .await
}

/// TC_027: RemoteStartTransaction for connector 0: Rejected (or a CALLERROR), and nothing
/// starts.
async fn tc_027(t: &mut Tester<'_>) -> Outcome {
    let answer = t
        .cs()
        .call_raw(
            &t.bench.id,
            "RemoteStartTransaction",
            json!({ "connectorId": 0, "idTag": TAG }),
        )
        .await;
    match answer {
        Ok(answer) if answer["status"] == "Rejected" => {}
        Ok(answer) => {
            return fail(format!(
                "RemoteStartTransaction for connector 0: expected Rejected, the station answered {answer}"
            ))
        }
        Err(csms::CsmsError::CallError(e)) => {
            t.note(format!(
                "RemoteStartTransaction for connector 0: CALLERROR {} (allowed)",
                e.error_code.as_str()
            ));
        }
        Err(e) => return fail(format!("RemoteStartTransaction: {e}")),
    }
    t.expect_none(
        QUIET,
        "StartTransaction",
        "after a refused remote start",
        |_| true,
    )
    .await
}

/// TC_028: during a transaction, RemoteStopTransaction for an unknown transaction:
/// Rejected, and the transaction goes on.
async fn tc_028(t: &mut Tester<'_>) -> Outcome {
    let tx = charging(t, CONNECTOR, TAG).await?;
    let unknown = t
        .cs()
        .transactions()
        .iter()
        .map(|t| i64::from(t.transaction_id))
        .max()
        .unwrap_or(0)
        + 100_000;
    t.call_status(
        "RemoteStopTransaction",
        json!({ "transactionId": unknown }),
        "Rejected",
    )
    .await?;
    t.expect_none(
        QUIET,
        "StopTransaction",
        "after a refused remote stop",
        |p| p["transactionId"] == tx,
    )
    .await
}
