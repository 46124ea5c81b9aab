//! OCTT modules 07 (Unlocking, happy flow) and 13 (Unlocking, non-happy flow), and the lock
//! failure at the start of a session of module 11 (TC_024).

use serde_json::json;

use super::sessions::{charging, expect_all, status, stopped, want, CONNECTOR, QUIET};
use super::{case, Case};
use crate::operator::Step;
use crate::profile::StationProfile;
use crate::tester::{fail, Outcome, Tester, TAG};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_017_1",
            "Unlock connector - no session (Not fixed cable)",
            Core,
            lockable_cable,
            tc_017_1
        ),
        case!(
            "TC_017_2",
            "Unlock connector - no session (Fixed cable)",
            Core,
            fixed_cable,
            tc_017_2
        ),
        case!(
            "TC_018_1",
            "Unlock Connector - With Charging Session (Not fixed cable)",
            Core,
            lockable_cable,
            tc_018_1
        ),
        case!(
            "TC_018_2",
            "Unlock Connector - With Charging Session (Fixed cable)",
            Core,
            fixed_cable,
            tc_018_2
        ),
        case!(
            "TC_024",
            "Start Charging Session - Lock Failure",
            Core,
            lock_can_fail_at_start,
            tc_024
        ),
        case!(
            "TC_030",
            "Unlock Connector - Unlock Failure",
            Core,
            lock_can_fail,
            tc_030
        ),
        case!(
            "TC_031",
            "Unlock Connector - Unknown Connector",
            Core,
            super::always,
            tc_031
        ),
    ]
}

/// The ChargePointErrorCode of a lock that does not open or close.
const LOCK_FAILURE: &str = "ConnectorLockFailure";

/// A cable the driver brings, held at the station by a lock UnlockConnector opens (HFS-1,
/// AQ-2).
fn lockable_cable(p: &StationProfile) -> Result<(), String> {
    if p.fixed_cable {
        Err("the station has a fixed cable (the case is for a detachable one)".into())
    } else if !p.cable_lock {
        Err("the station has no cable lock".into())
    } else {
        Ok(())
    }
}

fn fixed_cable(p: &StationProfile) -> Result<(), String> {
    if p.fixed_cable {
        Ok(())
    } else {
        Err("the station has no fixed cable (the case is for a fixed one)".into())
    }
}

/// The lab can make a connector's lock fail (a ConnectorLockFailure).
fn lock_can_fail(p: &StationProfile) -> Result<(), String> {
    if p.lock_failure {
        Ok(())
    } else {
        Err("the operator cannot make a connector lock fail (station profile lock_failure)".into())
    }
}

/// The lock that holds the driver's cable at the station fails when the cable goes in.
fn lock_can_fail_at_start(p: &StationProfile) -> Result<(), String> {
    lockable_cable(p)?;
    lock_can_fail(p)
}

/// UnlockConnector for `connector`; the status it got.
async fn unlock(t: &mut Tester<'_>, connector: u32) -> Result<String, crate::tester::Failure> {
    let answer = t
        .call("UnlockConnector", json!({ "connectorId": connector }))
        .await?;
    Ok(answer["status"].as_str().unwrap_or_default().to_owned())
}

/// UnlockConnector for `connector` must be answered `expected`.
async fn unlock_answered(t: &mut Tester<'_>, connector: u32, expected: &str) -> Outcome {
    let got = unlock(t, connector).await?;
    if got != expected {
        return fail(format!(
            "UnlockConnector of connector {connector}: expected status {expected}, the station answered {got}"
        ));
    }
    Ok(())
}

/// TC_017_1: no session on the connector; UnlockConnector opens the lock: Unlocked.
async fn tc_017_1(t: &mut Tester<'_>) -> Outcome {
    unlock_answered(t, CONNECTOR, "Unlocked").await
}

/// TC_017_2: a fixed cable has no lock to open: NotSupported.
async fn tc_017_2(t: &mut Tester<'_>) -> Outcome {
    unlock_answered(t, CONNECTOR, "NotSupported").await
}

/// TC_018_1: Charging; UnlockConnector: Unlocked, the transaction stops first
/// (StopTransaction reason UnlockCommand) and the connector is Finishing; the driver takes
/// the cable: Available.
async fn tc_018_1(t: &mut Tester<'_>) -> Outcome {
    let tx = charging(t, CONNECTOR, TAG).await?;
    unlock_answered(t, CONNECTOR, "Unlocked").await?;
    stopped(t, CONNECTOR, tx, "UnlockCommand", None, &["Finishing"]).await?;
    t.act(Step::Unplug(CONNECTOR)).await?;
    t.expect_status(CONNECTOR, "Available").await?;
    Ok(())
}

/// TC_018_2: Charging on a fixed cable; UnlockConnector: NotSupported and the transaction
/// goes on; it ends by RemoteStopTransaction (reason Remote, Finishing), then the cable is
/// put back: Available.
async fn tc_018_2(t: &mut Tester<'_>) -> Outcome {
    let tx = charging(t, CONNECTOR, TAG).await?;
    unlock_answered(t, CONNECTOR, "NotSupported").await?;
    t.expect_none(
        QUIET,
        "StopTransaction",
        "after an UnlockConnector that is not supported",
        |p| p["transactionId"] == tx,
    )
    .await?;
    t.call_status(
        "RemoteStopTransaction",
        json!({ "transactionId": tx }),
        "Accepted",
    )
    .await?;
    stopped(t, CONNECTOR, tx, "Remote", None, &["Finishing"]).await?;
    t.act(Step::Unplug(CONNECTOR)).await?;
    t.expect_status(CONNECTOR, "Available").await?;
    Ok(())
}

/// TC_024 (reusable state Authorized): the card presented, Preparing; the lock fails as the
/// driver plugs in: Faulted with ConnectorLockFailure, and no transaction starts. Once the
/// lock works again and the cable is out: Available.
async fn tc_024(t: &mut Tester<'_>) -> Outcome {
    super::sessions::authorized(t, CONNECTOR, TAG).await?;
    let result = async {
        t.act(Step::Fault(CONNECTOR, LOCK_FAILURE.into(), true))
            .await?;
        t.act(Step::Plug(CONNECTOR)).await?;
        let faulted = t
            .expect(
                "StatusNotification",
                &format!("connector {CONNECTOR} Faulted with {LOCK_FAILURE}"),
                |p| p["connectorId"] == CONNECTOR && p["status"] == "Faulted",
            )
            .await?;
        if faulted["errorCode"] != LOCK_FAILURE {
            return fail(format!(
                "Faulted: expected errorCode {LOCK_FAILURE}, got {faulted}"
            ));
        }
        t.expect_none(
            QUIET,
            "StartTransaction",
            "on a connector whose lock failed",
            |p| p["connectorId"] == CONNECTOR,
        )
        .await
    }
    .await;
    clear_lock_failure(t, CONNECTOR).await?;
    result?;
    // The driver takes the cable back: the attempt is over.
    t.act(Step::Unplug(CONNECTOR)).await?;
    t.expect_status(CONNECTOR, "Available").await?;
    Ok(())
}

/// Make the lock of `connector` work again and see the connector leave Faulted.
async fn clear_lock_failure(t: &mut Tester<'_>, connector: u32) -> Outcome {
    t.act(Step::Fault(connector, LOCK_FAILURE.into(), false))
        .await?;
    expect_all(
        t,
        vec![want(
            "StatusNotification",
            format!("connector {connector} no longer Faulted"),
            move |p| p["connectorId"] == connector && p["status"] != "Faulted",
        )],
    )
    .await
    .map(|_| ())
}

/// TC_030: the lock of the connector fails (ConnectorLockFailure); UnlockConnector:
/// UnlockFailed.
async fn tc_030(t: &mut Tester<'_>) -> Outcome {
    t.act(Step::Fault(CONNECTOR, LOCK_FAILURE.into(), true))
        .await?;
    let result = async {
        let faulted = expect_all(t, vec![status(CONNECTOR, "Faulted")]).await?;
        if faulted[0]["errorCode"] != LOCK_FAILURE {
            return fail(format!(
                "Faulted: expected errorCode {LOCK_FAILURE}, got {}",
                faulted[0]
            ));
        }
        unlock_answered(t, CONNECTOR, "UnlockFailed").await
    }
    .await;
    clear_lock_failure(t, CONNECTOR).await?;
    result
}

/// TC_031: UnlockConnector for a connector the station does not have: NotSupported.
async fn tc_031(t: &mut Tester<'_>) -> Outcome {
    let unknown = t.profile().connectors + 1;
    unlock_answered(t, unknown, "NotSupported").await
}
