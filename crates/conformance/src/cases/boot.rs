//! OCTT module 01: Cold Boot.

use std::time::Duration;

use serde_json::json;

use super::{always, case, Case};
use crate::tester::{fail, Outcome, Tester};

pub fn cases() -> Vec<Case> {
    vec![
        case!("TC_001", "Cold Boot Charge Point", Core, always, tc_001),
        case!(
            "TC_002",
            "Cold Boot Charge Point - Pending",
            Core,
            always,
            tc_002
        ),
    ]
}

/// Reboot the station (a soft Reset: OCTT asks for a reboot) and follow its boot: a
/// BootNotification, then a StatusNotification for connector 0 and every connector.
async fn reboot_and_boot(t: &mut Tester<'_>) -> Outcome {
    t.call_status("Reset", json!({ "type": "Soft" }), "Accepted")
        .await?;
    t.expect("BootNotification", "after the reboot", |_| true)
        .await?;
    for connector in 0..=t.profile().connectors {
        t.expect(
            "StatusNotification",
            &format!("connector {connector} after boot"),
            |p| p["connectorId"] == connector,
        )
        .await?;
    }
    Ok(())
}

/// TC_001: the Central System accepts the BootNotification; the station reports the
/// status of every connector and keeps the heartbeat interval it was given.
async fn tc_001(t: &mut Tester<'_>) -> Outcome {
    t.cs().set_heartbeat_interval(5);
    let result = async {
        reboot_and_boot(t).await?;
        t.expect_within(
            Duration::from_secs(15),
            "Heartbeat",
            "within the interval",
            |_| true,
        )
        .await?;
        Ok(())
    }
    .await;
    t.cs()
        .set_heartbeat_interval(crate::suite::HEARTBEAT_INTERVAL);
    result
}

/// TC_002: the Central System answers Pending (and configures the station meanwhile);
/// the station sends nothing but BootNotification until it is Accepted, retrying after the
/// interval it was given; once Accepted it reports its connectors and heartbeats.
async fn tc_002(t: &mut Tester<'_>) -> Outcome {
    t.cs().set_boot_status(ocpp::RegistrationStatus::Pending);
    t.cs().set_heartbeat_interval(PENDING_INTERVAL);
    let result = async {
        t.call_status("Reset", json!({ "type": "Soft" }), "Accepted")
            .await?;
        t.expect("BootNotification", "after the reboot", |_| true)
            .await?;
        // While Pending, the Central System may read and change the configuration.
        let keys = t.call("GetConfiguration", json!({})).await?;
        if keys["configurationKey"]
            .as_array()
            .is_none_or(|k| k.is_empty())
        {
            return fail(format!(
                "GetConfiguration while Pending gave no keys: {keys}"
            ));
        }
        t.configure("MeterValueSampleInterval", "10").await?;
        t.cs().set_boot_status(ocpp::RegistrationStatus::Accepted);
        t.cs().set_heartbeat_interval(2);
        // The retry comes after the interval; nothing else may come before it.
        let wait = Duration::from_secs(PENDING_INTERVAL as u64 * 3);
        match t.next_call(wait, |_| true).await {
            Some(call) if call.action == "BootNotification" => {}
            Some(call) => return fail(format!("{} sent while Pending", call.action)),
            None => return fail(format!("no BootNotification retry within {wait:?}")),
        }
        t.expect_status(1, "Available").await?;
        t.expect_within(
            Duration::from_secs(10),
            "Heartbeat",
            "once Accepted",
            |_| true,
        )
        .await?;
        Ok(())
    }
    .await;
    t.cs().set_boot_status(ocpp::RegistrationStatus::Accepted);
    t.cs()
        .set_heartbeat_interval(crate::suite::HEARTBEAT_INTERVAL);
    result
}

/// The interval given with Pending: the station retries its BootNotification after it.
const PENDING_INTERVAL: i32 = 5;
