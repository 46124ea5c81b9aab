//! ChangeAvailability and the connector states over a real WebSocket: TC_0?? "Change
//! availability" (operative/inoperative, scheduled during a transaction, connector 0),
//! MinimumStatusDuration (C-05), faults, EV suspend/resume.

mod common;

use chargepoint::runner::Operation;
use common::*;
use serde_json::json;

#[tokio::test]
async fn change_availability_inoperative_then_operative() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let answer = h
        .call(
            "ChangeAvailability",
            json!({"connectorId": 2, "type": "Inoperative"}),
        )
        .await;
    assert_eq!(answer["status"], "Accepted");
    h.expect_status(2, "Unavailable").await;
    let answer = h
        .call(
            "ChangeAvailability",
            json!({"connectorId": 2, "type": "Operative"}),
        )
        .await;
    assert_eq!(answer["status"], "Accepted");
    h.expect_status(2, "Available").await;
    h.shutdown().await;
}

#[tokio::test]
async fn change_availability_is_scheduled_during_a_transaction() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    h.operate(1, Operation::Plug).await;
    h.operate(
        1,
        Operation::Authorize {
            id_tag: "TAG1".into(),
        },
    )
    .await;
    h.wait_call("StartTransaction").await;
    h.expect_status(1, "Charging").await;
    let answer = h
        .call(
            "ChangeAvailability",
            json!({"connectorId": 0, "type": "Inoperative"}),
        )
        .await;
    assert_eq!(answer["status"], "Scheduled");
    h.operate(1, Operation::Stop).await;
    let stop = h.wait_call("StopTransaction").await;
    assert_eq!(stop.payload["reason"], "Local");
    // The whole station goes out of service once nothing runs any more.
    let statuses = h.next_statuses(3).await;
    let mut seen: Vec<_> = statuses
        .iter()
        .map(|s| {
            (
                s["connectorId"].as_i64().unwrap(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (0, "Unavailable".to_string()),
            (1, "Unavailable".to_string()),
            (2, "Unavailable".to_string())
        ]
    );
    h.shutdown().await;
}

#[tokio::test]
async fn minimum_status_duration_holds_back_short_states() {
    let mut h = Setup::default()
        .key("MinimumStatusDuration", "10")
        .start()
        .await;
    h.booted().await;
    h.operate(2, Operation::Plug).await;
    h.advance(4);
    h.operate(2, Operation::Unplug).await;
    h.advance(20);
    h.expect_no_calls("a 4 s Preparing is not reported").await;
    h.operate(2, Operation::Plug).await;
    let (status, waited) = h.advance_until_call("StatusNotification", 1, 30).await;
    assert_eq!(status.payload["status"], "Preparing");
    assert_eq!(waited, 10);
    h.shutdown().await;
}

#[tokio::test]
async fn faults_and_ev_suspension_are_reported() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    h.operate(
        2,
        Operation::Fault {
            error_code: "GroundFailure".into(),
            active: true,
        },
    )
    .await;
    let s = h.next_call("StatusNotification").await.payload;
    assert_eq!(
        (s["status"].as_str(), s["errorCode"].as_str()),
        (Some("Faulted"), Some("GroundFailure"))
    );
    h.operate(1, Operation::Plug).await;
    h.operate(
        1,
        Operation::Authorize {
            id_tag: "TAG1".into(),
        },
    )
    .await;
    h.wait_call("StartTransaction").await;
    h.expect_status(1, "Charging").await;
    h.operate(1, Operation::EvSuspend(true)).await;
    h.expect_status(1, "SuspendedEV").await;
    h.operate(1, Operation::EvSuspend(false)).await;
    h.expect_status(1, "Charging").await;
    h.shutdown().await;
}

#[tokio::test]
async fn ev_communication_error_suspends_the_evse() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    h.operate(1, Operation::Plug).await;
    h.operate(
        1,
        Operation::Authorize {
            id_tag: "TAG1".into(),
        },
    )
    .await;
    h.wait_call("StartTransaction").await;
    h.expect_status(1, "Charging").await;
    h.operate(
        1,
        Operation::Fault {
            error_code: "EVCommunicationError".into(),
            active: true,
        },
    )
    .await;
    let s = h.next_call("StatusNotification").await.payload;
    assert_eq!(
        (s["status"].as_str(), s["errorCode"].as_str()),
        (Some("SuspendedEVSE"), Some("EVCommunicationError"))
    );
    h.shutdown().await;
}
