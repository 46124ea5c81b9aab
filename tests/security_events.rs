//! Security extension, station side, over a real WebSocket against the built-in Central
//! System: critical security events (StartupOfTheDevice, ResetOrReboot after a restart
//! during which the station was offline) are delivered once, ExtendedTriggerMessage, and
//! the write-only AuthorizationKey.

mod common;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_event_after_boot_and_reset_event_after_an_offline_restart() {
    let mut h = Setup::default().sqlite().start().await;
    h.booted().await;
    let startup = h.wait_security_event("StartupOfTheDevice").await;
    assert_eq!(time_of(&startup["timestamp"]), t0(), "{startup}");

    // A connection loss is no startup: nothing is sent again.
    h.drop_connection().await;
    h.advance_until_connected(60).await;
    h.expect_no_calls("after the reconnect").await;
    assert_eq!(
        h.security_events.len(),
        1,
        "{}",
        describe_calls(&h.security_events)
    );

    // A Reset: the station goes offline, restarts and registers again; the event queued
    // durably by the new run reaches the Central System after that.
    let answer = h.call("Reset", json!({"type": "Soft"})).await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.wait_call("BootNotification").await;
    let reset = h.wait_security_event("ResetOrReboot").await;
    assert_eq!(reset["techInfo"], "SoftReset", "{reset}");
    let kinds: Vec<_> = h
        .security_events
        .iter()
        .map(|c| c.payload["type"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(kinds, ["StartupOfTheDevice", "ResetOrReboot"]);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_trigger_message_over_the_websocket() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let answer = h
        .call(
            "ExtendedTriggerMessage",
            json!({"requestedMessage": "StatusNotification", "connectorId": 1}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.expect_status(1, "Available").await;

    let answer = h
        .call(
            "ExtendedTriggerMessage",
            json!({"requestedMessage": "LogStatusNotification"}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    let log = h.next_call("LogStatusNotification").await;
    assert_eq!(log.payload, json!({"status": "Idle"}));

    let answer = h
        .call(
            "ExtendedTriggerMessage",
            json!({"requestedMessage": "SignChargePointCertificate"}),
        )
        .await;
    // Out of the box: CpoName defaults to the charger's vendor, so the station makes a CSR
    // (the full round trip is in security_profiles.rs).
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.shutdown().await;
}

/// A fresh station (no CpoName configured anywhere) can ask for a charge point
/// certificate: CpoName defaults to the vendor (`[security] cpo_name` sets another), the
/// organization of its CSR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_charge_point_certificate_works_on_a_fresh_station() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let (cpo, _) = h.get_config("CpoName").await.expect("the key");
    assert_eq!(cpo, "Chargepoint", "the simulator's vendor");
    let answer = h
        .call(
            "ExtendedTriggerMessage",
            json!({"requestedMessage": "SignChargePointCertificate"}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    let sign = h.triggered("SignCertificate").await;
    let csr = sign["csr"].as_str().expect("a CSR");
    let ca = certs::pki::Authority::new("test CA", certs::pki::Validity::days(1)).unwrap();
    let signed =
        certs::sign_csr(csr, &ca.root.cert_pem, &ca.root.key_pem, h.now(), 1).expect("a valid CSR");
    let info = certs::inspect(&signed).unwrap();
    assert_eq!(info.subject_o.as_deref(), Some("Chargepoint"));
    assert_eq!(info.subject_cn.as_deref(), Some(ID));
    h.shutdown().await;
}

/// `[security] cpo_name` (RunOptions::cpo_name) names another organization.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cpo_name_setting_is_the_initial_cpo_name() {
    let mut h = Setup::default()
        .station(|o, _| o.cpo_name = Some("Acme CPO".into()))
        .start()
        .await;
    h.booted().await;
    let (cpo, _) = h.get_config("CpoName").await.expect("the key");
    assert_eq!(cpo, "Acme CPO");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_key_is_write_only_over_the_websocket() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let key = "00112233445566778899aabbccddeeff";
    assert_eq!(h.change_config("AuthorizationKey", key).await, "Accepted");
    assert_eq!(h.change_config("SecurityProfile", "0").await, "Accepted");
    let all = h.call("GetConfiguration", json!({})).await;
    assert!(!all.to_string().contains(key), "{all}");
    assert!(all["configurationKey"]
        .as_array()
        .expect("keys")
        .iter()
        .any(|k| k["key"] == "AuthorizationKey" && k.get("value").is_none()));
    h.shutdown().await;
}
