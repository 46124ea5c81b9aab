//! Registration (OCPP 1.6 section 4.2): cold boot accepted, pending, rejected.

mod common;

use common::*;
use csms::CsmsError;
use hal::sim::SimConfig;
use ocpp::RegistrationStatus;
use serde_json::json;
use std::time::Duration;

/// TC_001_CS Cold Boot Charge Point: BootNotification with the charger's identity,
/// Accepted, then a StatusNotification for connector 0 and each connector, then heartbeats
/// on the interval the Central System gave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_001_cold_boot() {
    let mut h = Setup::default().heartbeat_interval(60).start().await;

    // Nothing before the BootNotification.
    let boot = h.next_call("BootNotification").await;
    assert_eq!(
        h.seen.len(),
        1,
        "the BootNotification must be the first frame"
    );
    let sim = SimConfig::default();
    let p = &boot.payload;
    assert_eq!(p["chargePointVendor"], json!(sim.vendor), "{p}");
    assert_eq!(p["chargePointModel"], json!(sim.model), "{p}");
    assert_eq!(p["firmwareVersion"], json!(sim.firmware_version), "{p}");
    assert_eq!(
        p["chargePointSerialNumber"],
        json!(sim.serial_number),
        "{p}"
    );
    assert_eq!(p["meterType"], json!(sim.meter_type), "{p}");

    let statuses = h.next_statuses(3).await;
    assert_eq!(h.csms.registration(ID), Some(RegistrationStatus::Accepted));
    for (i, s) in statuses.iter().enumerate() {
        assert_eq!(s["connectorId"], json!(i), "{s}");
        assert_eq!(s["status"], "Available", "{s}");
        assert_eq!(s["errorCode"], "NoError", "{s}");
        // The station's clock has not moved: the status is as of the boot.
        assert_eq!(time_of(&s["timestamp"]), t0(), "{s}");
    }
    h.expect_no_calls("after the boot sequence").await;

    // The interval from BootNotification.conf is the heartbeat interval now.
    assert_eq!(
        h.get_config("HeartbeatInterval").await,
        Some(("60".to_string(), false))
    );
    h.advance(59);
    h.expect_no_calls("59 s after the boot").await;
    h.advance(1);
    let hb = h.next_call("Heartbeat").await;
    assert_eq!(hb.payload, json!({}));

    let state = h.station().state();
    assert!(state.connected);
    assert!(
        state.connectors.iter().all(|c| c.status == "Available"),
        "{state:?}"
    );
    h.shutdown().await;
}

/// TC_002_CS Cold Boot Charge Point - Pending: while Pending the station sends nothing but
/// BootNotification (not even the status of a connector that changed), still answers the
/// Central System, and boots again after the interval once accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_002_cold_boot_pending() {
    // A short HeartbeatInterval: a station that wrongly heartbeats while pending would do it
    // within the time this test advances.
    let mut h = Setup::default()
        .boot_status(RegistrationStatus::Pending)
        .heartbeat_interval(60)
        .key("HeartbeatInterval", "10")
        // The EV plugged in while not accepted waits past the 60 s of B6 (ConnectionTimeOut).
        .key("ConnectionTimeOut", "300")
        .start()
        .await;

    h.next_call("BootNotification").await;
    h.expect_no_calls("right after Pending").await;
    assert_eq!(h.csms.registration(ID), Some(RegistrationStatus::Pending));

    // The Central System may read and change the configuration while pending.
    let answer = h
        .call("GetConfiguration", json!({"key": ["HeartbeatInterval"]}))
        .await;
    assert_eq!(
        answer["configurationKey"][0]["value"], "10",
        "GetConfiguration while pending: {answer}"
    );
    assert_eq!(
        h.get_config("NumberOfConnectors").await,
        Some(("2".to_string(), true))
    );

    // A status change while pending is not reported.
    h.operate(1, chargepoint::runner::Operation::Plug).await;
    h.expect_no_calls("a cable plugged in while pending").await;

    // Heartbeat due by the configured 10 s, but not while pending; no BootNotification
    // before the 60 s interval either.
    h.advance(30);
    h.expect_no_calls("30 s into the pending interval").await;
    h.advance(29);
    h.expect_no_calls("59 s into the pending interval").await;
    assert_eq!(h.seen_count("BootNotification"), 1);

    h.csms.set_boot_status(RegistrationStatus::Accepted);
    h.advance(1);
    h.next_call("BootNotification").await;
    let statuses = h.next_statuses(3).await;
    assert_eq!(h.csms.registration(ID), Some(RegistrationStatus::Accepted));
    let expected = ["Available", "Preparing", "Available"];
    for (i, s) in statuses.iter().enumerate() {
        assert_eq!(s["connectorId"], json!(i), "{s}");
        assert_eq!(s["status"], expected[i], "{s}");
        assert_eq!(
            time_of(&s["timestamp"]),
            t0() + chrono::Duration::seconds(60)
        );
    }
    // Accepted with interval 60: that is the heartbeat interval now.
    h.advance(60);
    h.next_call("Heartbeat").await;
    h.shutdown().await;
}

/// Boot Rejected (section 4.2): the station sends nothing and answers nothing until the
/// interval has passed, then sends a new BootNotification.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boot_rejected_retries_after_interval() {
    let mut h = Setup::default()
        .boot_status(RegistrationStatus::Rejected)
        .heartbeat_interval(60)
        .key("HeartbeatInterval", "10")
        // The EV plugged in while not accepted waits past the 60 s of B6 (ConnectionTimeOut).
        .key("ConnectionTimeOut", "300")
        .start()
        .await;

    h.next_call("BootNotification").await;
    h.expect_silence("right after Rejected").await;
    assert_eq!(h.csms.registration(ID), Some(RegistrationStatus::Rejected));

    // While Rejected the station answers no CALL, valid or not.
    h.csms.set_call_timeout(Duration::from_millis(400));
    let answer = h
        .csms
        .call_raw(
            ID,
            "GetConfiguration",
            json!({"key": ["HeartbeatInterval"]}),
        )
        .await;
    assert!(
        matches!(answer, Err(CsmsError::Timeout)),
        "a rejected station must not answer GetConfiguration, got {answer:?}"
    );
    h.csms
        .send_text(ID, "this is not JSON".into())
        .await
        .expect("send");
    h.csms
        .send_text(ID, r#"[2, "rej-1", "NoSuchAction", {}]"#.into())
        .await
        .expect("send");
    h.expect_silence("CALLs sent while rejected").await;

    // No BootNotification (nor heartbeat, nor status) before the interval.
    h.operate(2, chargepoint::runner::Operation::Plug).await;
    h.advance(30);
    h.expect_silence("30 s into the rejected interval").await;
    h.advance(29);
    h.expect_silence("59 s into the rejected interval").await;
    assert_eq!(h.seen.len(), 1, "only the first BootNotification so far");

    // After the interval: a new BootNotification; this time the Central System accepts.
    h.csms.set_boot_status(RegistrationStatus::Accepted);
    h.advance(1);
    let boot = h.next_call("BootNotification").await;
    assert_eq!(
        boot.payload["chargePointVendor"],
        json!(SimConfig::default().vendor)
    );
    let statuses = h.next_statuses(3).await;
    let expected = ["Available", "Available", "Preparing"];
    for (i, s) in statuses.iter().enumerate() {
        assert_eq!(s["connectorId"], json!(i), "{s}");
        assert_eq!(s["status"], expected[i], "{s}");
    }
    // And it answers again.
    h.csms.set_call_timeout(Duration::from_secs(5));
    assert_eq!(
        h.get_config("HeartbeatInterval").await,
        Some(("60".to_string(), false))
    );
    h.shutdown().await;
}
