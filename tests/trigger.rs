//! Remote Trigger over a real WebSocket (section 5.17): the Central System asks for a
//! message with TriggerMessage, gets the answer first and then the message (TC_054_CS,
//! TC_055_CS), also while its registration is Pending (section 4.2).

mod common;

use chargepoint::runner::Operation;
use common::*;
use ocpp::RegistrationStatus;
use serde_json::{json, Value};

/// TriggerMessage.req; the status answered.
async fn trigger(h: &Harness, payload: Value) -> String {
    let answer = h.call("TriggerMessage", payload.clone()).await;
    answer["status"]
        .as_str()
        .unwrap_or_else(|| panic!("TriggerMessage {payload}: answer without status: {answer}"))
        .to_string()
}

/// TC_054_CS Trigger Message: every message type the station can be asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_054_trigger_message() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    h.operate(1, Operation::Plug).await;
    h.expect_status(1, "Preparing").await;

    // StatusNotification of one connector, though unchanged.
    let status = trigger(
        &h,
        json!({"requestedMessage": "StatusNotification", "connectorId": 1}),
    )
    .await;
    assert_eq!(status, "Accepted");
    let s = h.triggered("StatusNotification").await;
    assert_eq!(
        (s["connectorId"].clone(), s["status"].clone()),
        (json!(1), json!("Preparing"))
    );

    // StatusNotification of the station and every connector.
    assert_eq!(
        trigger(&h, json!({"requestedMessage": "StatusNotification"})).await,
        "Accepted"
    );
    let statuses = h.next_statuses(3).await;
    let ids: Vec<_> = statuses.iter().map(|s| s["connectorId"].clone()).collect();
    assert_eq!(ids, vec![json!(0), json!(1), json!(2)]);

    // MeterValues of connector 1: the latest reading, context Trigger.
    assert_eq!(
        trigger(
            &h,
            json!({"requestedMessage": "MeterValues", "connectorId": 1})
        )
        .await,
        "Accepted"
    );
    let mv = h.triggered("MeterValues").await;
    assert_eq!(mv["connectorId"], 1, "{mv}");
    let values = mv["meterValue"][0]["sampledValue"]
        .as_array()
        .expect("sampled values");
    assert!(!values.is_empty(), "{mv}");
    assert!(values.iter().all(|v| v["context"] == "Trigger"), "{mv}");
    assert!(
        values
            .iter()
            .any(|v| v["measurand"] == "Energy.Active.Import.Register"),
        "{mv}"
    );

    // MeterValues of every connector.
    assert_eq!(
        trigger(&h, json!({"requestedMessage": "MeterValues"})).await,
        "Accepted"
    );
    let first = h.next_call("MeterValues").await.payload;
    let second = h.next_call("MeterValues").await.payload;
    assert_eq!(
        (first["connectorId"].clone(), second["connectorId"].clone()),
        (json!(1), json!(2))
    );

    // Heartbeat, DiagnosticsStatusNotification and FirmwareStatusNotification.
    assert_eq!(
        trigger(&h, json!({"requestedMessage": "Heartbeat"})).await,
        "Accepted"
    );
    assert_eq!(h.triggered("Heartbeat").await, json!({}));
    for message in [
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
    ] {
        assert_eq!(
            trigger(&h, json!({ "requestedMessage": message })).await,
            "Accepted"
        );
        assert_eq!(h.triggered(message).await, json!({"status": "Idle"}));
    }

    // BootNotification: registered again, then every status.
    assert_eq!(
        trigger(&h, json!({"requestedMessage": "BootNotification"})).await,
        "Accepted"
    );
    let boot = h.triggered("BootNotification").await;
    assert_eq!(boot["chargePointVendor"], "Chargepoint", "{boot}");
    h.next_statuses(3).await;
    h.expect_no_calls("after the triggered messages").await;
    h.shutdown().await;
}

/// TC_055_CS Trigger Message - Rejected: a connector the station does not have.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_055_trigger_message_rejected() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    assert_eq!(
        trigger(
            &h,
            json!({"requestedMessage": "MeterValues", "connectorId": 3})
        )
        .await,
        "Rejected"
    );
    assert_eq!(
        trigger(
            &h,
            json!({"requestedMessage": "StatusNotification", "connectorId": 3})
        )
        .await,
        "Rejected"
    );
    h.expect_no_calls("after a rejected TriggerMessage").await;
    h.shutdown().await;
}

/// Section 4.2: while Pending the station sends a request only when a TriggerMessage asks
/// for it; a triggered BootNotification registers it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_message_while_pending() {
    let mut h = Setup::default()
        .boot_status(RegistrationStatus::Pending)
        .heartbeat_interval(300)
        .start()
        .await;
    h.next_call("BootNotification").await;
    h.expect_no_calls("right after Pending").await;

    assert_eq!(
        trigger(
            &h,
            json!({"requestedMessage": "StatusNotification", "connectorId": 2})
        )
        .await,
        "Accepted"
    );
    let s = h.triggered("StatusNotification").await;
    assert_eq!(s["connectorId"], 2, "{s}");
    h.expect_no_calls("still Pending").await;
    assert_eq!(h.csms.registration(ID), Some(RegistrationStatus::Pending));

    h.csms.set_boot_status(RegistrationStatus::Accepted);
    assert_eq!(
        trigger(&h, json!({"requestedMessage": "BootNotification"})).await,
        "Accepted"
    );
    h.triggered("BootNotification").await;
    h.next_statuses(3).await;
    assert_eq!(h.csms.registration(ID), Some(RegistrationStatus::Accepted));
    h.shutdown().await;
}
