//! OCTT module 14: Power Failure (non-happy flow).

use std::time::Duration;

use serde_json::{json, Value};

use super::sessions::{charging, expect_all, status, status_in, want, Want, CONNECTOR};
use super::{always, case, Case};
use crate::operator::Step;
use crate::profile::StationProfile;
use crate::tester::{fail, Failure, Outcome, Tester, TAG};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_032_1",
            "Power failure - stop transaction(s) before going down",
            Core,
            stops_before_going_down,
            tc_032_1
        ),
        case!(
            "TC_032_2",
            "Power failure - stop transaction(s) after going down",
            Core,
            stops_after_going_down,
            tc_032_2
        ),
        case!(
            "TC_034",
            "Power Failure with Unavailable Status",
            Core,
            always,
            tc_034
        ),
    ]
}

/// How long the power stays off.
const OFF: Duration = Duration::from_secs(2);

/// How long a station may take to boot after the power returns.
const BOOT: Duration = Duration::from_secs(60);

/// AQ-7.1: a back-up supply lets the station stop its transactions before it goes down.
fn stops_before_going_down(p: &StationProfile) -> Result<(), String> {
    if p.stop_transaction_before_power_loss {
        Ok(())
    } else {
        Err("the station reports StopTransaction after the power returns (AQ-7.1 No)".into())
    }
}

/// AQ-7.2: no back-up supply: the transactions are stopped once the station is back.
fn stops_after_going_down(p: &StationProfile) -> Result<(), String> {
    if p.stop_transaction_before_power_loss {
        Err("the station reports StopTransaction before it goes down (AQ-7.2 No)".into())
    } else {
        Ok(())
    }
}

/// A StatusNotification of every connector and of connector 0, each with one of
/// `statuses` (`busy`: the statuses allowed for the connector that had the transaction).
fn boot_statuses(
    connectors: u32,
    busy: Option<(u32, &'static [&'static str])>,
    statuses: &'static [&'static str],
) -> Vec<Want> {
    (0..=connectors)
        .map(|c| match busy {
            Some((b, allowed)) if b == c => status_in(c, allowed),
            _ => status_in(c, statuses),
        })
        .collect()
}

/// Cut the power, give it back, and wait for the BootNotification.
async fn power_cycle(t: &mut Tester<'_>) -> Outcome {
    t.act(Step::Power(false)).await?;
    t.wait(OFF).await;
    t.act(Step::Power(true)).await?;
    t.expect_within(BOOT, "BootNotification", "after the power returns", |_| {
        true
    })
    .await
    .map(|_| ())
}

/// The StopTransaction of `tx` with reason PowerLoss.
fn power_loss_stop(tx: i64) -> Want {
    want(
        "StopTransaction",
        format!("of transaction {tx}, reason PowerLoss"),
        move |p| p["transactionId"] == tx,
    )
}

fn check_power_loss(stop: &Value) -> Outcome {
    if stop["reason"] != "PowerLoss" {
        return fail(format!(
            "StopTransaction: expected reason PowerLoss, got {stop}"
        ));
    }
    Ok(())
}

/// TC_032_1 (AQ-7.1): Charging; the power goes: the station stops the transaction
/// (StopTransaction reason PowerLoss, Finishing) before it goes down; the power returns:
/// BootNotification and the status of every connector (Finishing or Preparing for the one
/// with the EV).
async fn tc_032_1(t: &mut Tester<'_>) -> Outcome {
    let tx = charging(t, CONNECTOR, TAG).await?;
    t.act(Step::Power(false)).await?;
    let found = expect_all(t, vec![power_loss_stop(tx), status(CONNECTOR, "Finishing")]).await?;
    check_power_loss(&found[0])?;
    t.wait(OFF).await;
    t.act(Step::Power(true)).await?;
    t.expect_within(BOOT, "BootNotification", "after the power returns", |_| {
        true
    })
    .await?;
    let connectors = t.profile().connectors;
    expect_all(
        t,
        boot_statuses(
            connectors,
            Some((CONNECTOR, &["Finishing", "Preparing"])),
            &["Available"],
        ),
    )
    .await?;
    Ok(())
}

/// TC_032_2 (AQ-7.2): Charging; the power goes and returns: BootNotification, the status
/// of connector 0 and every connector and the StopTransaction of the transaction with
/// reason PowerLoss, in any order. The connector with the EV (still plugged in) may be
/// Finishing or Preparing after the reboot, as OCTT allows in TC_032_1.
async fn tc_032_2(t: &mut Tester<'_>) -> Outcome {
    let tx = charging(t, CONNECTOR, TAG).await?;
    power_cycle(t).await?;
    let connectors = t.profile().connectors;
    let mut wants = vec![power_loss_stop(tx)];
    wants.extend(boot_statuses(
        connectors,
        Some((CONNECTOR, &["Finishing", "Preparing"])),
        &["Available"],
    ));
    let found = expect_all(t, wants).await?;
    check_power_loss(&found[0])?;
    if t.open_transaction(CONNECTOR).await.is_ok() {
        return fail("the transaction is still open after the PowerLoss stop");
    }
    t.act(Step::Unplug(CONNECTOR)).await?;
    t.expect_status(CONNECTOR, "Available").await?;
    Ok(())
}

/// ChangeAvailability of connector 0 (the whole station) to `kind`.
async fn station_availability(t: &mut Tester<'_>, kind: &str) -> Result<Value, Failure> {
    t.call_status(
        "ChangeAvailability",
        json!({ "connectorId": 0, "type": kind }),
        "Accepted",
    )
    .await
}

/// TC_034: the station made Inoperative (ChangeAvailability of connector 0): every
/// connector Unavailable; the power goes and returns: after the BootNotification every
/// connector is still Unavailable; made Operative: Available again.
async fn tc_034(t: &mut Tester<'_>) -> Outcome {
    let connectors = t.profile().connectors;
    station_availability(t, "Inoperative").await?;
    let result = async {
        expect_all(t, boot_statuses(connectors, None, &["Unavailable"])).await?;
        power_cycle(t).await?;
        expect_all(t, boot_statuses(connectors, None, &["Unavailable"])).await?;
        Ok::<_, Failure>(())
    }
    .await;
    // Operative again whatever happened, so that the next case finds the station usable.
    station_availability(t, "Operative").await?;
    result?;
    expect_all(t, boot_statuses(connectors, None, &["Available"])).await?;
    Ok(())
}
