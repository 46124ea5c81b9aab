//! Security extension, certificate management and the rest of the station side, end to end
//! over a real WebSocket against the built-in Central System, named after the OCA security
//! test cases: InstallCertificate / GetInstalledCertificateIds / DeleteCertificate (TC_075,
//! TC_076, incl. the last-root rule AQ-1), an invalid CertificateSigned chain (TC_077),
//! ExtendedTriggerMessage for every requestedMessage, and a critical security event that
//! waits out an offline period and is delivered once after the BootNotification.
//!
//! The full SignCertificate / CertificateSigned round trip with a reconnect on the new
//! client certificate (TC_074) is in tests/security_profiles.rs.
//!
//! The station's clock starts at the real time: the test certificates are valid from (real)
//! now, and the station checks validity by its own clock. They are valid for 365 days, so
//! the station never asks for a renewal on its own.

mod common;

use certs::pki::{Authority, Period, TestPki, Validity};
use chrono::Utc;
use common::*;
use csms::{CsmsConfig, CsmsEvent, Direction};
use ocpp::{CertificateSignedStatus, Frame, RegistrationStatus};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

const MF_ROOT: &str = "ManufacturerRootCertificate";
const CS_ROOT: &str = "CentralSystemRootCertificate";

fn setup(csms: CsmsConfig) -> Setup {
    Setup {
        csms,
        clock_start: Utc::now(),
        ..Setup::default()
    }
}

fn root(cn: &str) -> Authority {
    Authority::new(cn, Validity::days(365)).expect("a test root CA")
}

/// InstallCertificate; the status answered.
async fn install(h: &Harness, use_: &str, pem: &str) -> String {
    let answer = h
        .call(
            "InstallCertificate",
            json!({"certificateType": use_, "certificate": pem}),
        )
        .await;
    answer["status"]
        .as_str()
        .unwrap_or_else(|| panic!("InstallCertificate answer without status: {answer}"))
        .to_string()
}

/// GetInstalledCertificateIds: the status and the hash data listed.
async fn installed(h: &Harness, use_: &str) -> (String, Vec<Value>) {
    let answer = h
        .call(
            "GetInstalledCertificateIds",
            json!({"certificateType": use_}),
        )
        .await;
    let status = answer["status"].as_str().expect("a status").to_string();
    let list = answer["certificateHashData"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    (status, list)
}

/// DeleteCertificate of the certificate with this hash data; the status answered.
async fn delete(h: &Harness, hash: &Value) -> String {
    let answer = h
        .call("DeleteCertificate", json!({"certificateHashData": hash}))
        .await;
    answer["status"]
        .as_str()
        .unwrap_or_else(|| panic!("DeleteCertificate answer without status: {answer}"))
        .to_string()
}

/// The CertificateHashData (as OCPP carries it) of a self-signed root.
fn hash_of(pem: &str) -> Value {
    let h = certs::hash_data(pem, None).expect("hash data of a test root");
    json!({
        "hashAlgorithm": h.hash_algorithm,
        "issuerNameHash": h.issuer_name_hash,
        "issuerKeyHash": h.issuer_key_hash,
        "serialNumber": h.serial_number,
    })
}

/// TC_075_1: install a ManufacturerRootCertificate; GetInstalledCertificateIds lists it with
/// the RFC 6960 hash data of the certificate. Installing it again changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_075_1_install_manufacturer_root_certificate() {
    let mut h = setup(CsmsConfig::default()).start().await;
    h.booted().await;
    let (status, list) = installed(&h, MF_ROOT).await;
    assert_eq!((status.as_str(), list.len()), ("NotFound", 0), "{list:?}");

    let mf = root("manufacturer root");
    assert_eq!(install(&h, MF_ROOT, &mf.root.cert_pem).await, "Accepted");
    let (status, list) = installed(&h, MF_ROOT).await;
    assert_eq!(status, "Accepted");
    assert_eq!(list, vec![hash_of(&mf.root.cert_pem)]);
    // A manufacturer root is no Central System root.
    let (status, list) = installed(&h, CS_ROOT).await;
    assert_eq!((status.as_str(), list.len()), ("NotFound", 0), "{list:?}");

    assert_eq!(install(&h, MF_ROOT, &mf.root.cert_pem).await, "Accepted");
    let (_, list) = installed(&h, MF_ROOT).await;
    assert_eq!(list.len(), 1, "installed twice: {list:?}");
    h.shutdown().await;
}

/// TC_075_2: install CentralSystemRootCertificates; GetInstalledCertificateIds lists each
/// with its hash data, in the order installed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_075_2_install_central_system_root_certificate() {
    let mut h = setup(CsmsConfig::default()).start().await;
    h.booted().await;
    let (first, second) = (root("central system root 1"), root("central system root 2"));
    assert_eq!(install(&h, CS_ROOT, &first.root.cert_pem).await, "Accepted");
    assert_eq!(
        install(&h, CS_ROOT, &second.root.cert_pem).await,
        "Accepted"
    );
    let (status, list) = installed(&h, CS_ROOT).await;
    assert_eq!(status, "Accepted");
    assert_eq!(
        list,
        vec![
            hash_of(&first.root.cert_pem),
            hash_of(&second.root.cert_pem)
        ]
    );
    let (status, _) = installed(&h, MF_ROOT).await;
    assert_eq!(status, "NotFound");
    h.shutdown().await;
}

/// TC_076: DeleteCertificate. Accepted and no longer listed; NotFound for a hash that names
/// nothing (also the one just deleted); Failed for the last CentralSystemRootCertificate
/// (AQ-1), which stays; the last ManufacturerRootCertificate may go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_076_delete_certificate() {
    let mut h = setup(CsmsConfig::default()).start().await;
    h.booted().await;
    let (cs1, cs2, mf) = (root("cs root 1"), root("cs root 2"), root("mf root"));
    for (use_, ca) in [(CS_ROOT, &cs1), (CS_ROOT, &cs2), (MF_ROOT, &mf)] {
        assert_eq!(install(&h, use_, &ca.root.cert_pem).await, "Accepted");
    }

    let gone = hash_of(&cs1.root.cert_pem);
    assert_eq!(delete(&h, &gone).await, "Accepted");
    let (_, list) = installed(&h, CS_ROOT).await;
    assert_eq!(list, vec![hash_of(&cs2.root.cert_pem)]);
    assert_eq!(delete(&h, &gone).await, "NotFound");

    // Hash data that names no installed certificate: another serial number, or a root that
    // was never installed.
    let mut unknown = hash_of(&cs2.root.cert_pem);
    unknown["serialNumber"] = json!("1234567890abcdef");
    assert_eq!(delete(&h, &unknown).await, "NotFound");
    let never = root("never installed");
    assert_eq!(delete(&h, &hash_of(&never.root.cert_pem)).await, "NotFound");

    // AQ-1: the last Central System root stays.
    let last = hash_of(&cs2.root.cert_pem);
    assert_eq!(delete(&h, &last).await, "Failed");
    let (status, list) = installed(&h, CS_ROOT).await;
    assert_eq!((status.as_str(), list), ("Accepted", vec![last]));

    // Hex digits in upper case and leading zeros of the serial number still match.
    let mut mf_hash = hash_of(&mf.root.cert_pem);
    for field in ["issuerNameHash", "issuerKeyHash"] {
        mf_hash[field] = json!(mf_hash[field].as_str().unwrap().to_ascii_uppercase());
    }
    mf_hash["serialNumber"] = json!(format!("00{}", mf_hash["serialNumber"].as_str().unwrap()));
    assert_eq!(delete(&h, &mf_hash).await, "Accepted");
    let (status, list) = installed(&h, MF_ROOT).await;
    assert_eq!((status.as_str(), list.len()), ("NotFound", 0), "{list:?}");
    h.shutdown().await;
}

/// InstallCertificate refuses what is no valid root: an expired certificate, one not valid
/// yet, a leaf (neither a CA nor self-signed), two certificates at once, and text that is
/// no certificate. Nothing of it is listed afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_certificate_rejects_expired_leaf_and_garbage() {
    let mut h = setup(CsmsConfig::default()).start().await;
    h.booted().await;
    let now = Utc::now();
    let expired = Authority::new(
        "expired root",
        Period::between(
            now - chrono::Duration::days(60),
            now - chrono::Duration::days(1),
        ),
    )
    .unwrap();
    let future = Authority::new(
        "future root",
        Period::between(
            now + chrono::Duration::days(1),
            now + chrono::Duration::days(60),
        ),
    )
    .unwrap();
    let ca = root("issuing root");
    let leaf = ca.client("a leaf", Validity::days(365)).unwrap();
    let (a, b) = (root("pair a"), root("pair b"));
    let pair = format!("{}{}", a.root.cert_pem, b.root.cert_pem);
    let garbage =
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    let cases = [
        ("expired", expired.root.cert_pem.as_str()),
        ("not valid yet", future.root.cert_pem.as_str()),
        ("a leaf", leaf.cert_pem.as_str()),
        ("two certificates", pair.as_str()),
        ("garbage PEM", garbage),
        ("no PEM at all", "hello"),
    ];
    for use_ in [CS_ROOT, MF_ROOT] {
        for (what, pem) in cases {
            assert_eq!(install(&h, use_, pem).await, "Rejected", "{use_}: {what}");
        }
        let (status, list) = installed(&h, use_).await;
        assert_eq!((status.as_str(), list.len()), ("NotFound", 0), "{list:?}");
    }
    h.shutdown().await;
}

/// TC_077 Invalid CertificateSigned chain: the station (CpoName set by ChangeConfiguration)
/// is asked for a new certificate; the Central System's signing CA is not one of the
/// station's CentralSystemRootCertificates, so the certificate it sends back does not verify:
/// Rejected, and SecurityEventNotification InvalidChargePointCertificate reaches the Central
/// System. The test then sends CertificateSigned.req itself: the CSR signed by yet another
/// unknown CA, and a chain that is no certificate, both Rejected with the event; the pending
/// key survives the rejections, so the certificate signed by the right CA is Accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_077_invalid_certificate_signed_chain() {
    let pki = TestPki::generate(ID, 365).unwrap();
    let rogue = root("rogue signing CA");
    let other = root("another unknown CA");
    let trusted = pki.ca.root.cert_pem.clone();
    let mut h = setup(CsmsConfig {
        signing_ca: Some((rogue.root.cert_pem.clone(), rogue.root.key_pem.clone())),
        ..CsmsConfig::default()
    })
    .station(move |o, _| o.ca_pem = vec![trusted])
    .start()
    .await;
    h.booted().await;
    h.wait_security_event("StartupOfTheDevice").await;
    assert_eq!(h.change_config("CpoName", "Acme CPO").await, "Accepted");

    let mut events = h.csms.subscribe();
    let answer = h
        .call(
            "ExtendedTriggerMessage",
            json!({"requestedMessage": "SignChargePointCertificate"}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    let sign = h.next_call("SignCertificate").await;
    let csr = sign.payload["csr"].as_str().expect("a CSR").to_string();

    // The Central System signed it with the rogue CA and sent it: Rejected.
    let status = events
        .find(T, |ev| match ev {
            CsmsEvent::CertificateSigned { station, status } if station == ID => Some(status),
            _ => None,
        })
        .await
        .expect("the outcome of the Central System's CertificateSigned.req");
    assert_eq!(status, Ok(CertificateSignedStatus::Rejected));
    let event = h.wait_security_event("InvalidChargePointCertificate").await;
    let info = event["techInfo"].as_str().unwrap_or_default();
    assert!(info.contains("does not verify"), "{event}");

    // CertificateSigned.req from the test: the right key, the wrong CA.
    let wrong_ca = certs::sign_csr(
        &csr,
        &other.root.cert_pem,
        &other.root.key_pem,
        Utc::now() - chrono::Duration::hours(1),
        365,
    )
    .unwrap();
    let chain = format!("{}{}", wrong_ca, other.root.cert_pem);
    let answer = h
        .call("CertificateSigned", json!({"certificateChain": chain}))
        .await;
    assert_eq!(answer, json!({"status": "Rejected"}));
    // Not a certificate at all.
    let answer = h
        .call(
            "CertificateSigned",
            json!({"certificateChain": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Rejected"}));
    let deadline = Instant::now() + T;
    while count_events(&h, "InvalidChargePointCertificate") < 3 {
        assert!(
            Instant::now() < deadline,
            "one InvalidChargePointCertificate per rejection: {}",
            describe_calls(&h.security_events)
        );
        h.next_frame_until(Instant::now() + Duration::from_millis(50))
            .await;
    }
    // Each says why.
    let infos: Vec<String> = h
        .security_events
        .iter()
        .filter(|c| c.payload["type"] == "InvalidChargePointCertificate")
        .map(|c| {
            c.payload["techInfo"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert!(infos[1].contains("does not verify"), "{infos:?}");
    assert!(infos[2].contains("not a PEM"), "{infos:?}");
    let log = h.security_log().await;
    assert_eq!(
        log.iter()
            .filter(|(k, _)| k == "InvalidChargePointCertificate")
            .count(),
        3,
        "{log:?}"
    );

    // The certificate of the station's own root is taken.
    let good = certs::sign_csr(
        &csr,
        &pki.ca.root.cert_pem,
        &pki.ca.root.key_pem,
        Utc::now() - chrono::Duration::hours(1),
        365,
    )
    .unwrap();
    let answer = h
        .call("CertificateSigned", json!({"certificateChain": good}))
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.expect_no_calls("after the accepted certificate").await;
    assert_eq!(count_events(&h, "InvalidChargePointCertificate"), 3);
    h.shutdown().await;
}

fn count_events(h: &Harness, kind: &str) -> usize {
    h.security_events
        .iter()
        .filter(|c| c.payload["type"] == kind)
        .count()
}

/// ExtendedTriggerMessage.req; the status answered.
async fn extended_trigger(h: &Harness, payload: Value) -> String {
    let answer = h.call("ExtendedTriggerMessage", payload.clone()).await;
    answer["status"]
        .as_str()
        .unwrap_or_else(|| panic!("ExtendedTriggerMessage {payload}: no status: {answer}"))
        .to_string()
}

/// ExtendedTriggerMessage for every requestedMessage of the security extension: Accepted,
/// then the message (SignedFirmwareStatusNotification for FirmwareStatusNotification,
/// SignCertificate for SignChargePointCertificate); MeterValues and StatusNotification for
/// the connector asked for or for all; Rejected for a connector the station does not have.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_trigger_message_for_each_requested_message() {
    let mut h = setup(CsmsConfig::default()).start().await;
    h.booted().await;
    h.wait_security_event("StartupOfTheDevice").await;

    let accepted = |what: &str, status: String| assert_eq!(status, "Accepted", "{what}");

    accepted(
        "LogStatusNotification",
        extended_trigger(&h, json!({"requestedMessage": "LogStatusNotification"})).await,
    );
    let log = h.triggered("LogStatusNotification").await;
    assert_eq!(log, json!({"status": "Idle"}));

    accepted(
        "FirmwareStatusNotification",
        extended_trigger(
            &h,
            json!({"requestedMessage": "FirmwareStatusNotification"}),
        )
        .await,
    );
    let fw = h.triggered("SignedFirmwareStatusNotification").await;
    assert_eq!(fw["status"], "Idle", "{fw}");

    accepted(
        "Heartbeat",
        extended_trigger(&h, json!({"requestedMessage": "Heartbeat"})).await,
    );
    assert_eq!(h.triggered("Heartbeat").await, json!({}));

    // MeterValues: of connector 2, then of every connector.
    accepted(
        "MeterValues 2",
        extended_trigger(
            &h,
            json!({"requestedMessage": "MeterValues", "connectorId": 2}),
        )
        .await,
    );
    let mv = h.triggered("MeterValues").await;
    assert_eq!(mv["connectorId"], 2, "{mv}");
    let values = mv["meterValue"][0]["sampledValue"]
        .as_array()
        .unwrap_or_else(|| panic!("no sampled values: {mv}"));
    assert!(
        !values.is_empty() && values.iter().all(|v| v["context"] == "Trigger"),
        "{mv}"
    );
    accepted(
        "MeterValues",
        extended_trigger(&h, json!({"requestedMessage": "MeterValues"})).await,
    );
    let first = h.triggered("MeterValues").await;
    let second = h.next_call("MeterValues").await.payload;
    assert_eq!(
        (first["connectorId"].clone(), second["connectorId"].clone()),
        (json!(1), json!(2))
    );

    // StatusNotification: of connector 1, then of the station and every connector.
    accepted(
        "StatusNotification 1",
        extended_trigger(
            &h,
            json!({"requestedMessage": "StatusNotification", "connectorId": 1}),
        )
        .await,
    );
    let s = h.triggered("StatusNotification").await;
    assert_eq!(
        (s["connectorId"].clone(), s["status"].clone()),
        (json!(1), json!("Available"))
    );
    accepted(
        "StatusNotification",
        extended_trigger(&h, json!({"requestedMessage": "StatusNotification"})).await,
    );
    let statuses = h.next_statuses(3).await;
    let ids: Vec<_> = statuses.iter().map(|s| s["connectorId"].clone()).collect();
    assert_eq!(ids, [json!(0), json!(1), json!(2)]);

    // A connector the station does not have.
    for message in ["StatusNotification", "MeterValues"] {
        let status =
            extended_trigger(&h, json!({"requestedMessage": message, "connectorId": 3})).await;
        assert_eq!(status, "Rejected", "{message} of connector 3");
    }
    h.expect_no_calls("after the rejected triggers").await;

    // SignChargePointCertificate: needs a CpoName (the CSR's organization); without one
    // (the default, the vendor, taken away here) it is Rejected.
    assert_eq!(h.change_config("CpoName", "").await, "Accepted");
    assert_eq!(
        extended_trigger(
            &h,
            json!({"requestedMessage": "SignChargePointCertificate"})
        )
        .await,
        "Rejected",
        "without a CpoName"
    );
    assert_eq!(h.change_config("CpoName", "Acme CPO").await, "Accepted");
    accepted(
        "SignChargePointCertificate",
        extended_trigger(
            &h,
            json!({"requestedMessage": "SignChargePointCertificate"}),
        )
        .await,
    );
    let sign = h.triggered("SignCertificate").await;
    let csr = sign["csr"].as_str().expect("a CSR");
    assert!(csr.contains("BEGIN CERTIFICATE REQUEST"), "{csr}");

    // BootNotification last: a registration round, after which the station reports its
    // connectors again.
    accepted(
        "BootNotification",
        extended_trigger(&h, json!({"requestedMessage": "BootNotification"})).await,
    );
    let boot = h.triggered("BootNotification").await;
    assert!(boot["chargePointVendor"].is_string(), "{boot}");
    assert_eq!(h.csms.registration(ID), Some(RegistrationStatus::Accepted));
    // Neither the triggered registration nor anything else repeats the startup event.
    let calls = h.calls_within(QUIET).await;
    assert!(
        calls.iter().all(|c| c.action == "StatusNotification"),
        "{}",
        describe_calls(&calls)
    );
    assert_eq!(count_events(&h, "StartupOfTheDevice"), 1);
    h.shutdown().await;
}

const KEY: &[u8] = b"0123456789abcdef0123";

/// Advance the station's clock a little over the longest reconnect delay (60 s) at a time,
/// at most `rounds` times, until the Central System sees the station connected.
async fn advance_until_connected_slowly(h: &Harness, rounds: usize) {
    for _ in 0..rounds {
        h.advance(61);
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline {
            if h.csms.is_connected(ID) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    panic!(
        "the station did not reconnect; security log: {:?}",
        h.security_log().await
    );
}

/// Security events after an offline period: a Reset after which the station cannot get
/// back in (the Central System refuses its password) for several minutes. The critical
/// ResetOrReboot of the run that started offline waits through the offline period and a
/// Pending registration (the station raises it when its BootNotification is accepted), and
/// reaches the Central System then: after the BootNotification, stamped with the time the
/// run started (within the offline period), exactly once (a later reconnect does not repeat
/// it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_event_delivered_once_after_an_offline_period() {
    let mut h = setup(CsmsConfig {
        passwords: Some(BTreeMap::from([(ID.to_owned(), KEY.to_vec())])),
        ..CsmsConfig::default()
    })
    .sqlite()
    .heartbeat_interval(60)
    .station(|o, _| {
        o.security_profile = 1;
        o.authorization_key = Some(KEY.to_vec());
    })
    .start()
    .await;
    h.booted().await;
    h.wait_security_event("StartupOfTheDevice").await;

    // From now on the Central System refuses the station's password; the live connection
    // stays until the Reset ends it.
    h.csms.set_password(ID, b"not the station's key");
    let mut events = h.csms.subscribe();
    let reset_at = h.now();
    let answer = h.call("Reset", json!({"type": "Hard"})).await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    assert!(events.disconnected(ID, T).await, "the Reset ends the link");

    // Offline for a few minutes of the station's clock: nothing gets through.
    for _ in 0..3 {
        h.advance(61);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!h.csms.is_connected(ID));
    h.wait_security_log("FailedToAuthenticateAtCentralSystem")
        .await;
    h.expect_no_calls("while refused").await;

    // The Central System lets it in again, but first registers it as Pending: still no
    // security event (only BootNotification may be sent).
    h.csms.set_boot_status(RegistrationStatus::Pending);
    let back_at = h.now();
    h.csms.set_password(ID, KEY);
    advance_until_connected_slowly(&h, 5).await;
    h.next_call("BootNotification").await;
    h.expect_no_calls("while Pending").await;
    assert_eq!(count_events(&h, "ResetOrReboot"), 0);

    h.csms.set_boot_status(RegistrationStatus::Accepted);
    let (boot, _) = h.advance_until_call("BootNotification", 10, 120).await;
    let event = h.wait_security_event("ResetOrReboot").await;
    assert_eq!(event["techInfo"], "HardReset", "{event}");
    // Stamped with the start of the new run, during the offline period (the wire carries
    // milliseconds).
    let stamped = time_of(&event["timestamp"]);
    assert!(
        reset_at - chrono::Duration::milliseconds(1) <= stamped && stamped < back_at,
        "{event}: reset at {reset_at}, let in again at {back_at}"
    );
    // After the accepted BootNotification.
    let boot_at = h
        .seen
        .iter()
        .position(|f| matches!(f, Frame::Call(c) if c.unique_id == boot.unique_id))
        .expect("seen");
    let event_at = h
        .seen
        .iter()
        .position(|f| {
            matches!(f, Frame::Call(c) if c.action == "SecurityEventNotification"
                && c.payload["type"] == "ResetOrReboot")
        })
        .expect("seen");
    assert!(boot_at < event_at, "{:?}", h.seen_actions());

    // Exactly once: not again on the same connection, nor after a reconnect.
    h.calls_within(QUIET).await;
    h.drop_connection().await;
    advance_until_connected_slowly(&h, 5).await;
    h.calls_within(QUIET).await;
    let kinds: Vec<_> = h
        .security_events
        .iter()
        .map(|c| c.payload["type"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(kinds, ["StartupOfTheDevice", "ResetOrReboot"]);
    // Each was answered by the Central System (delivered, not just sent).
    let answered = sent_results(&mut events, &h).await;
    assert_eq!(answered, 1, "answers to the ResetOrReboot notification");
    h.shutdown().await;
}

/// How many CALLRESULTs the Central System sent to SecurityEventNotifications of `h` that
/// `events` saw (drains what is there).
async fn sent_results(events: &mut csms::Events, h: &Harness) -> usize {
    let ids: Vec<String> = h
        .security_events
        .iter()
        .map(|c| c.unique_id.clone())
        .collect();
    let mut n = 0;
    while let Some(ev) = events.next(Duration::from_millis(50)).await {
        if let CsmsEvent::Frame {
            direction: Direction::Sent,
            frame: Some(Frame::CallResult(r)),
            ..
        } = ev
        {
            if ids.contains(&r.unique_id) {
                n += 1;
            }
        }
    }
    n
}
