//! OCTT module 06: Resetting. A Reset reboots the station; Inoperative survives it; a
//! running transaction is stopped with reason HardReset or SoftReset.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use super::sessions::{charging, CONNECTOR};
use super::{always, case, Case};
use crate::tester::{fail, Failure, Outcome, Tester, TAG};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_013",
            "Hard Reset Without transaction",
            Core,
            always,
            tc_013
        ),
        case!(
            "TC_014",
            "Soft Reset Without Transaction",
            Core,
            always,
            tc_014
        ),
        case!(
            "TC_015",
            "Hard Reset With Transaction",
            Core,
            always,
            tc_015
        ),
        case!(
            "TC_016",
            "Soft Reset With Transaction",
            Core,
            always,
            tc_016
        ),
    ]
}

/// How long a station may take to reboot and send its BootNotification.
fn reboot_time(t: &Tester<'_>) -> Duration {
    t.patience().max(Duration::from_secs(60))
}

/// ChangeAvailability of `connector` to `kind`, Accepted.
async fn change_availability(t: &mut Tester<'_>, connector: u32, kind: &str) -> Outcome {
    t.call_status(
        "ChangeAvailability",
        json!({ "connectorId": connector, "type": kind }),
        "Accepted",
    )
    .await
    .map(|_| ())
}

/// After a BootNotification: a StatusNotification for connector 0 and every connector;
/// the status of each.
async fn boot_statuses(t: &mut Tester<'_>) -> Result<BTreeMap<u32, String>, Failure> {
    let connectors = t.profile().connectors;
    let mut seen = BTreeMap::new();
    while seen.len() <= connectors as usize {
        let missing: Vec<String> = (0..=connectors)
            .filter(|c| !seen.contains_key(c))
            .map(|c| c.to_string())
            .collect();
        let payload = t
            .expect(
                "StatusNotification",
                &format!("after boot, connector(s) {}", missing.join(", ")),
                |p| {
                    p["connectorId"].as_u64().is_some_and(|c| {
                        c <= u64::from(connectors) && !seen.contains_key(&(c as u32))
                    })
                },
            )
            .await?;
        let connector = payload["connectorId"].as_u64().unwrap_or_default() as u32;
        let status = payload["status"].as_str().unwrap_or_default().to_owned();
        seen.insert(connector, status);
    }
    t.note(format!("statuses after boot: {seen:?}"));
    Ok(seen)
}

/// Reset of type `kind`, Accepted.
async fn reset(t: &mut Tester<'_>, kind: &str) -> Outcome {
    t.call_status("Reset", json!({ "type": kind }), "Accepted")
        .await
        .map(|_| ())
}

/// TC_013 / TC_014: the connector made Inoperative, a Reset: the station boots with the
/// connector still Unavailable (and connector 0 Available), and makes it Available when
/// told to.
async fn reset_without_transaction(t: &mut Tester<'_>, kind: &str) -> Outcome {
    change_availability(t, CONNECTOR, "Inoperative").await?;
    let result = async {
        t.expect_status(CONNECTOR, "Unavailable").await?;
        reset(t, kind).await?;
        let reboot = reboot_time(t);
        t.expect_within(reboot, "BootNotification", "after the reset", |_| true)
            .await?;
        let statuses = boot_statuses(t).await?;
        if statuses.get(&CONNECTOR).map(String::as_str) != Some("Unavailable") {
            return fail(format!(
                "after the reset connector {CONNECTOR} is to stay Unavailable (Inoperative persists): {statuses:?}"
            ));
        }
        if statuses.get(&0).map(String::as_str) != Some("Available") {
            return fail(format!(
                "after the reset connector 0 is to be Available: {statuses:?}"
            ));
        }
        change_availability(t, CONNECTOR, "Operative").await?;
        t.expect_status(CONNECTOR, "Available").await?;
        Ok(())
    }
    .await;
    if result.is_err() {
        // Leave the connector Operative whatever happened.
        let id = t.bench.id.clone();
        let _ = t.cs().wait_connected(&id, reboot_time(t)).await;
        let _ = change_availability(t, CONNECTOR, "Operative").await;
    }
    result
}

/// TC_013: Hard Reset with no transaction.
async fn tc_013(t: &mut Tester<'_>) -> Outcome {
    reset_without_transaction(t, "Hard").await
}

/// TC_014: Soft Reset with no transaction.
async fn tc_014(t: &mut Tester<'_>) -> Outcome {
    reset_without_transaction(t, "Soft").await
}

/// After a reset with the EV left plugged in: connector `CONNECTOR` reports a status of a
/// plugged cable with no transaction.
fn plugged_after_boot(statuses: &BTreeMap<u32, String>) -> Outcome {
    match statuses.get(&CONNECTOR).map(String::as_str) {
        Some("Preparing" | "Finishing") => Ok(()),
        other => fail(format!(
            "after the reset, with the EV still plugged in and no transaction, connector {CONNECTOR} is to be Preparing or Finishing, not {other:?}"
        )),
    }
}

/// TC_015: Hard Reset during a transaction: Accepted, the transaction stopped with reason
/// HardReset (before the reboot or, as a hard reset need not be graceful, after it), the
/// BootNotification and the statuses of the boot.
async fn tc_015(t: &mut Tester<'_>) -> Outcome {
    let tx = charging(t, CONNECTOR, TAG).await?;
    reset(t, "Hard").await?;
    let reboot = reboot_time(t);
    let connectors = t.profile().connectors;
    let mut stop: Option<Value> = None;
    let mut booted = false;
    let mut statuses = BTreeMap::new();
    while stop.is_none() || !booted || statuses.len() <= connectors as usize {
        let (action, payload) = t
            .expect_any_within(
                reboot,
                "StopTransaction (HardReset), BootNotification and the statuses after it",
                |a, p| match a {
                    "BootNotification" => !booted,
                    "StopTransaction" => stop.is_none() && p["transactionId"] == tx,
                    "StatusNotification" => {
                        booted
                            && p["connectorId"].as_u64().is_some_and(|c| {
                                c <= u64::from(connectors) && !statuses.contains_key(&(c as u32))
                            })
                    }
                    _ => false,
                },
            )
            .await?;
        match action.as_str() {
            "BootNotification" => booted = true,
            "StopTransaction" => stop = Some(payload),
            _ => {
                let connector = payload["connectorId"].as_u64().unwrap_or_default() as u32;
                let status = payload["status"].as_str().unwrap_or_default().to_owned();
                statuses.insert(connector, status);
            }
        }
    }
    t.note(format!("statuses after boot: {statuses:?}"));
    let stop = stop.unwrap_or_default();
    if stop["reason"] != "HardReset" {
        return fail(format!(
            "StopTransaction: expected reason HardReset, got {stop}"
        ));
    }
    plugged_after_boot(&statuses)
}

/// TC_016: Soft Reset during a transaction: Accepted, the transaction stopped gracefully
/// (reason SoftReset) before the reboot, the BootNotification.
async fn tc_016(t: &mut Tester<'_>) -> Outcome {
    let tx = charging(t, CONNECTOR, TAG).await?;
    reset(t, "Soft").await?;
    let patience = t.patience();
    let (action, stop) = t
        .expect_any_within(patience, "StopTransaction (SoftReset)", |a, p| {
            a == "BootNotification" || (a == "StopTransaction" && p["transactionId"] == tx)
        })
        .await?;
    if action == "BootNotification" {
        return fail("the station rebooted without stopping the transaction first (a soft reset stops transactions gracefully)");
    }
    if stop["reason"] != "SoftReset" {
        return fail(format!(
            "StopTransaction: expected reason SoftReset, got {stop}"
        ));
    }
    let reboot = reboot_time(t);
    t.expect_within(reboot, "BootNotification", "after the reset", |_| true)
        .await?;
    let statuses = boot_statuses(t).await?;
    plugged_after_boot(&statuses)
}
