//! OCTT module 22: Remote Trigger (TriggerMessage).

use std::time::Duration;

use csms::CsmsError;
use serde_json::{json, Value};

use super::{always, case, Case};
use crate::profile::Profile;
use crate::tester::{fail, Outcome, Tester};

pub fn cases() -> Vec<Case> {
    vec![
        case!("TC_054", "Trigger Message", RemoteTrigger, always, tc_054),
        case!(
            "TC_055",
            "Trigger Message - Rejected",
            RemoteTrigger,
            always,
            tc_055
        ),
    ]
}

/// TriggerMessage for `message` (on `connector`); the status answered.
async fn trigger(
    t: &mut Tester<'_>,
    message: &str,
    connector: Option<u32>,
) -> Result<String, crate::tester::Failure> {
    let mut req = json!({ "requestedMessage": message });
    if let Some(c) = connector {
        req["connectorId"] = json!(c);
    }
    let answer = t.call("TriggerMessage", req).await?;
    Ok(answer["status"].as_str().unwrap_or_default().to_owned())
}

/// TriggerMessage for `message` must be Accepted; the message it triggers.
async fn triggered(
    t: &mut Tester<'_>,
    message: &str,
    connector: Option<u32>,
    pick: impl FnMut(&Value) -> bool,
) -> Result<Value, crate::tester::Failure> {
    let status = trigger(t, message, connector).await?;
    if status != "Accepted" {
        return fail(format!(
            "TriggerMessage {message}: expected status Accepted, the station answered {status}"
        ));
    }
    t.expect(message, "the triggered one", pick).await
}

/// A status notification of the Firmware Management profile, triggered: Idle, nothing being
/// uploaded or installed. A station without the profile may answer NotImplemented (or
/// Rejected) and send nothing.
async fn triggered_idle(t: &mut Tester<'_>, message: &str) -> Outcome {
    let status = trigger(t, message, None).await?;
    let implemented = t.profile().has(Profile::FirmwareManagement);
    if status != "Accepted" {
        if !implemented && (status == "NotImplemented" || status == "Rejected") {
            t.note(format!("{message} not implemented: {status}"));
            return Ok(());
        }
        return fail(format!(
            "TriggerMessage {message}: expected status Accepted, the station answered {status}"
        ));
    }
    let payload = t.expect(message, "the triggered one", |_| true).await?;
    if payload["status"] != "Idle" {
        return fail(format!(
            "{message}: expected status Idle (nothing runs), got {}",
            payload["status"]
        ));
    }
    Ok(())
}

/// TC_054: the station sends each message the Central System triggers, after answering
/// Accepted: MeterValues of connector 1 (context Trigger), Heartbeat, StatusNotification of
/// connector 1 (Available: nothing runs), DiagnosticsStatusNotification and
/// FirmwareStatusNotification (Idle).
async fn tc_054(t: &mut Tester<'_>) -> Outcome {
    let meter = triggered(t, "MeterValues", Some(1), |p| p["connectorId"] == 1).await?;
    let samples: Vec<&Value> = meter["meterValue"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|mv| mv["sampledValue"].as_array().into_iter().flatten())
        .collect();
    if samples.is_empty() {
        return fail(format!(
            "the triggered MeterValues has no sampled value: {meter}"
        ));
    }
    if let Some(s) = samples.iter().find(|s| s["context"] != "Trigger") {
        return fail(format!(
            "the triggered MeterValues has a sampled value without context Trigger: {s}"
        ));
    }
    triggered(t, "Heartbeat", None, |_| true).await?;
    let status = triggered(t, "StatusNotification", Some(1), |p| p["connectorId"] == 1).await?;
    if status["status"] != "Available" {
        return fail(format!(
            "the triggered StatusNotification of connector 1: expected Available (nothing \
             runs), got {}",
            status["status"]
        ));
    }
    triggered_idle(t, "DiagnosticsStatusNotification").await?;
    triggered_idle(t, "FirmwareStatusNotification").await
}

/// Whether a MeterValues.req has a sampled value of context Trigger.
fn is_triggered(meter: &Value) -> bool {
    meter["meterValue"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|mv| mv["sampledValue"].as_array().into_iter().flatten())
        .any(|s| s["context"] == "Trigger")
}

/// TC_055: MeterValues for a connector the station does not have (NumberOfConnectors + 1):
/// Rejected (or a CALLERROR), and no MeterValues follows.
async fn tc_055(t: &mut Tester<'_>) -> Outcome {
    let connector = t.profile().connectors + 1;
    let req = json!({ "requestedMessage": "MeterValues", "connectorId": connector });
    match t.cs().call_raw(&t.bench.id, "TriggerMessage", req).await {
        Ok(answer) if answer["status"] == "Rejected" => {}
        Ok(answer) => {
            return fail(format!(
                "TriggerMessage MeterValues for connector {connector}: expected status \
                 Rejected, the station answered {answer}"
            ))
        }
        Err(CsmsError::CallError(e)) => {
            t.note(format!("answered with CALLERROR {}", e.error_code.as_str()));
        }
        Err(e) => return fail(format!("TriggerMessage: {e}")),
    }
    t.expect_none(
        Duration::from_secs(3),
        "MeterValues",
        "triggered after all",
        move |p| p["connectorId"] == connector || is_triggered(p),
    )
    .await
}
