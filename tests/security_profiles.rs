//! Security profiles switched over OCPP, end to end: a real station against the built-in
//! Central System over real TLS on loopback (certificates from `certs::pki`), named after the
//! OCA security test cases. The station is the source of truth for its profile, password,
//! roots and certificate; the runner reconnects when the profile is raised and falls back
//! when the new one does not work, and reports transport failures as security events.

mod common;

use certs::pki::{Authority, TestPki, Validity};
use common::*;
use csms::{CentralSystem, CsmsConfig};
use net::TlsServerConfig;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

const KEY: &[u8] = b"0123456789abcdef0123";
const NEW_KEY: &[u8] = b"a-new-key-for-CP-E2E-01!";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn passwords(key: &[u8]) -> Option<BTreeMap<String, Vec<u8>>> {
    Some(BTreeMap::from([(ID.to_owned(), key.to_vec())]))
}

fn server_tls(pki: &TestPki) -> TlsServerConfig {
    TlsServerConfig::new(pki.csms.cert_pem.clone(), pki.csms.key_pem.clone())
}

/// The station's clock starts at the real time: the test PKI's certificates are valid from
/// (real) now, and the station checks validity by its own clock.
fn setup(csms: CsmsConfig) -> Setup {
    Setup {
        csms,
        clock_start: chrono::Utc::now(),
        ..Setup::default()
    }
}

/// Wait (real time, at most `T`) until the Central System sees the station connected with
/// security `profile`.
async fn wait_profile(h: &Harness, profile: u8) {
    let deadline = Instant::now() + T;
    while h.csms.security_profile(ID) != Some(profile) {
        assert!(
            Instant::now() < deadline,
            "the station is not connected with profile {profile} within {T:?}: {:?}",
            h.csms.link_security(ID)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Advance the station's clock a little over the longest reconnect delay (60 s) at a time,
/// at most `rounds` times, until the Central System sees the station connected with
/// security `profile`.
async fn advance_until_profile(h: &Harness, profile: u8, rounds: usize) {
    for _ in 0..rounds {
        h.advance(61);
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline {
            if h.csms.security_profile(ID) == Some(profile) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    panic!(
        "the station did not connect with profile {profile}; security log: {:?}",
        h.security_log().await
    );
}

/// Let the station retry a few times (each round passes the longest reconnect delay).
async fn let_it_retry(h: &Harness, rounds: usize) {
    for _ in 0..rounds {
        h.advance(61);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn count(log: &[(String, Option<String>)], kind: &str) -> usize {
    log.iter().filter(|(k, _)| k == kind).count()
}

async fn expect_config(h: &Harness, key: &str, value: &str) {
    let (got, _) = h.get_config(key).await.expect("a known key");
    assert_eq!(got, value, "GetConfiguration {key}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_085_basic_authentication_valid_credentials_profile_1() {
    let mut h = setup(CsmsConfig {
        passwords: passwords(KEY),
        ..CsmsConfig::default()
    })
    .station(|o, _| {
        o.security_profile = 1;
        o.authorization_key = Some(KEY.to_vec());
    })
    .start()
    .await;
    h.booted().await;
    assert_eq!(h.csms.security_profile(ID), Some(1));
    expect_config(&h, "SecurityProfile", "1").await;
    h.shutdown().await;
}

/// A station on profile 2 (Basic auth over TLS) at a Central System with TLS and passwords.
async fn profile_2_station() -> Harness {
    let pki = TestPki::generate(ID, 365).unwrap();
    let root = pki.ca.root.cert_pem.clone();
    setup(CsmsConfig {
        tls: Some(server_tls(&pki)),
        passwords: passwords(KEY),
        ..CsmsConfig::default()
    })
    .station(move |o, _| {
        o.security_profile = 2;
        o.authorization_key = Some(KEY.to_vec());
        o.ca_pem = vec![root];
    })
    .start()
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_086_tls_server_certificate_valid_profile_2() {
    let mut h = profile_2_station().await;
    assert!(h.csms.base_url().starts_with("wss://"));
    h.booted().await;
    assert_eq!(h.csms.security_profile(ID), Some(2));
    expect_config(&h, "SecurityProfile", "2").await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_087_tls_client_certificate_valid_profile_3() {
    let pki = TestPki::generate(ID, 365).unwrap();
    let mut tls = server_tls(&pki);
    tls.client_ca_pem = Some(pki.ca.root.cert_pem.clone());
    let (root, cert, key) = (
        pki.ca.root.cert_pem.clone(),
        pki.charge_point.cert_pem.clone(),
        pki.charge_point.key_pem.clone(),
    );
    let mut h = setup(CsmsConfig {
        tls: Some(tls),
        ..CsmsConfig::default()
    })
    .station(move |o, _| {
        o.security_profile = 3;
        o.ca_pem = vec![root];
        o.client_cert = Some(cert);
        o.client_key = Some(key);
    })
    .start()
    .await;
    h.booted().await;
    let link = h.csms.link_security(ID).expect("connected");
    assert_eq!(link.certificate_cn.as_deref(), Some(ID));
    assert_eq!(link.profile(), 3);
    expect_config(&h, "SecurityProfile", "3").await;
    h.shutdown().await;
}

/// One Central System with a plain and a TLS listener (client certificates optional, since
/// it also checks passwords); the station starts on profile 1 with `roots` trusted for
/// wss:// and a ChargePointCertificate provisioned.
fn upgradable(pki: &TestPki, roots: String, tls: Option<TlsServerConfig>) -> Setup {
    let (cert, key) = (
        pki.charge_point.cert_pem.clone(),
        pki.charge_point.key_pem.clone(),
    );
    setup(CsmsConfig {
        tls,
        plain_listen: Some("127.0.0.1:0".parse().unwrap()),
        passwords: passwords(KEY),
        ..CsmsConfig::default()
    })
    .station(move |o, csms: &CentralSystem| {
        o.csms_url = csms.plain_base_url().expect("a plain listener");
        o.tls_url = Some(csms.base_url());
        o.security_profile = 1;
        o.authorization_key = Some(KEY.to_vec());
        o.ca_pem = vec![roots];
        o.client_cert = Some(cert);
        o.client_key = Some(key);
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_083_upgrade_security_profile_1_to_2_to_3() {
    let pki = TestPki::generate(ID, 365).unwrap();
    let mut tls = server_tls(&pki);
    tls.client_ca_pem = Some(pki.ca.root.cert_pem.clone());
    let mut h = upgradable(&pki, pki.ca.root.cert_pem.clone(), Some(tls))
        .start()
        .await;
    h.booted().await;
    assert_eq!(h.csms.security_profile(ID), Some(1));

    // 1 -> 2: the answer first, then the station reconnects at once on the wss:// URL with
    // its password (no time passes on its clock).
    assert_eq!(h.change_config("SecurityProfile", "2").await, "Accepted");
    wait_profile(&h, 2).await;
    expect_config(&h, "SecurityProfile", "2").await;

    // 2 -> 3: now with its client certificate.
    assert_eq!(h.change_config("SecurityProfile", "3").await, "Accepted");
    wait_profile(&h, 3).await;
    let link = h.csms.link_security(ID).expect("connected");
    assert_eq!(link.certificate_cn.as_deref(), Some(ID));
    expect_config(&h, "SecurityProfile", "3").await;

    // Each raise is in the security log; no transport failure is.
    let log = h.security_log().await;
    assert_eq!(
        count(&log, "ReconfigurationOfSecurityParameters"),
        2,
        "{log:?}"
    );
    assert_eq!(count(&log, "InvalidCentralSystemCertificate"), 0, "{log:?}");
    h.shutdown().await;
}

/// TC_083 with a failing new profile: the TLS listener's certificate does not verify for
/// the station. After three failed attempts it is back on profile 1, connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_083_fallback_when_the_tls_certificate_is_untrusted() {
    let pki = TestPki::generate(ID, 365).unwrap();
    let other = Authority::new("not the station's root", Validity::days(30)).unwrap();
    let mut h = upgradable(&pki, other.root.cert_pem.clone(), Some(server_tls(&pki)))
        .start()
        .await;
    h.booted().await;
    let mut events = h.csms.subscribe();
    assert_eq!(h.change_config("SecurityProfile", "2").await, "Accepted");
    assert!(
        events.disconnected(ID, T).await,
        "the station closes to switch"
    );
    let log = h.wait_security_log("InvalidCentralSystemCertificate").await;
    assert_eq!(h.csms.security_profile(ID), None, "{log:?}");

    advance_until_profile(&h, 1, 10).await;
    assert!(h.station().state().connected);
    expect_config(&h, "SecurityProfile", "1").await;
    let log = h.security_log().await;
    // The failure streak raised its event once, not on each of the three attempts; the
    // fallback left its own entry after it.
    assert_eq!(count(&log, "InvalidCentralSystemCertificate"), 1, "{log:?}");
    let failure = log
        .iter()
        .position(|(k, _)| k == "InvalidCentralSystemCertificate")
        .expect("logged");
    assert!(
        log[failure + 1..]
            .iter()
            .any(|(k, _)| k == "ReconfigurationOfSecurityParameters"),
        "no fallback entry: {log:?}"
    );
    let (_, info) = &log[failure];
    let info = info.as_deref().unwrap_or_default();
    assert!(info.contains("certificate"), "{info}");

    // Profile 1 stays: later reconnects do not try profile 2 again.
    h.drop_connection().await;
    advance_until_profile(&h, 1, 5).await;
    h.shutdown().await;
}

/// TC_083 with nothing listening on the wss:// URL: the same fallback, without a
/// certificate event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_083_fallback_when_no_tls_listener_answers() {
    let pki = TestPki::generate(ID, 365).unwrap();
    let root = pki.ca.root.cert_pem.clone();
    // A port that refuses connections: bound, its address taken, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tls_url = format!("wss://{}/ocpp", closed.local_addr().unwrap());
    drop(closed);
    let mut h = setup(CsmsConfig {
        passwords: passwords(KEY),
        ..CsmsConfig::default()
    })
    .station(move |o, _| {
        o.tls_url = Some(tls_url);
        o.security_profile = 1;
        o.authorization_key = Some(KEY.to_vec());
        o.ca_pem = vec![root];
    })
    .start()
    .await;
    h.booted().await;
    let mut events = h.csms.subscribe();
    assert_eq!(h.change_config("SecurityProfile", "2").await, "Accepted");
    assert!(
        events.disconnected(ID, T).await,
        "the station closes to switch"
    );
    advance_until_profile(&h, 1, 10).await;
    expect_config(&h, "SecurityProfile", "1").await;
    let log = h.security_log().await;
    assert_eq!(count(&log, "InvalidCentralSystemCertificate"), 0, "{log:?}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_084_downgrade_security_profile_rejected() {
    let mut h = profile_2_station().await;
    h.booted().await;
    let mut events = h.csms.subscribe();
    assert_eq!(h.change_config("SecurityProfile", "1").await, "Rejected");
    assert_eq!(h.change_config("SecurityProfile", "0").await, "Rejected");
    // Nothing changes: the same connection, the same profile.
    assert!(!events.disconnected(ID, QUIET).await);
    assert_eq!(h.csms.security_profile(ID), Some(2));
    expect_config(&h, "SecurityProfile", "2").await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_073_update_the_authorization_key() {
    let mut h = setup(CsmsConfig {
        passwords: passwords(KEY),
        ..CsmsConfig::default()
    })
    .station(|o, _| {
        o.security_profile = 1;
        o.authorization_key = Some(KEY.to_vec());
    })
    .start()
    .await;
    h.booted().await;
    let mut events = h.csms.subscribe();
    // The Central System takes the new password for the connections to come (the old one
    // is refused from now on); the connection that is up stays.
    h.csms.set_password(ID, NEW_KEY);
    assert_eq!(
        h.change_config("AuthorizationKey", &hex(NEW_KEY)).await,
        "Accepted"
    );
    // The station itself closes and connects again with the new key, at once: the clock
    // does not move.
    assert!(
        events.disconnected(ID, T).await,
        "the station closes to use the new key"
    );
    let reconnected = events
        .find(T, |ev| match ev {
            csms::CsmsEvent::Connected { station } if station == ID => Some(()),
            _ => None,
        })
        .await;
    assert!(
        reconnected.is_some(),
        "the station connects with the new key"
    );
    wait_profile(&h, 1).await;
    let log = h.security_log().await;
    assert_eq!(
        count(&log, "FailedToAuthenticateAtCentralSystem"),
        0,
        "{log:?}"
    );
    assert!(
        !format!("{log:?}").contains(&hex(NEW_KEY)),
        "the key must not reach the security log: {log:?}"
    );
    h.shutdown().await;
}

/// TC_078: the server certificate does not verify (signed by a root the station does not
/// trust): InvalidCentralSystemCertificate in the security log, once for the whole failure
/// streak. Then the right Central System comes up at the same address and the station
/// connects: the event reaches it as a SecurityEventNotification.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_078_invalid_central_system_certificate_security_event() {
    let pki = TestPki::generate(ID, 365).unwrap();
    let rogue = Authority::new("rogue root", Validity::days(30)).unwrap();
    let rogue_cert = rogue.server(&["127.0.0.1"], Validity::days(30)).unwrap();
    let root = pki.ca.root.cert_pem.clone();
    let mut h = setup(CsmsConfig {
        tls: Some(TlsServerConfig::new(
            rogue_cert.cert_pem,
            rogue_cert.key_pem,
        )),
        passwords: passwords(KEY),
        ..CsmsConfig::default()
    })
    .sqlite()
    .station(move |o, _| {
        o.security_profile = 2;
        o.authorization_key = Some(KEY.to_vec());
        o.ca_pem = vec![root];
    })
    .start()
    .await;
    h.wait_security_log("InvalidCentralSystemCertificate").await;
    let_it_retry(&h, 3).await;
    let log = h.security_log().await;
    assert_eq!(count(&log, "InvalidCentralSystemCertificate"), 1, "{log:?}");
    assert!(!h.station().state().connected);

    // The genuine Central System takes over the address.
    let addr = h.csms.local_addr();
    h.csms.shutdown().await;
    let genuine = CentralSystem::start(CsmsConfig {
        listen: addr,
        tls: Some(server_tls(&pki)),
        passwords: passwords(KEY),
        ..CsmsConfig::default()
    })
    .await
    .expect("the genuine Central System on the same address");
    h.events = genuine.subscribe();
    h.csms = genuine;
    advance_until_profile(&h, 2, 10).await;
    h.booted().await;
    let event = h
        .wait_security_event("InvalidCentralSystemCertificate")
        .await;
    assert!(
        event["techInfo"].as_str().is_some_and(|t| !t.is_empty()),
        "why the certificate was refused: {event}"
    );
    let log = h.security_log().await;
    assert_eq!(count(&log, "InvalidCentralSystemCertificate"), 1, "{log:?}");
    h.shutdown().await;
}

/// HTTP 401 (a wrong password) raises FailedToAuthenticateAtCentralSystem once per failure
/// streak; after a successful connection a new streak raises it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_401_raises_failed_to_authenticate_at_central_system() {
    let mut h = setup(CsmsConfig {
        passwords: passwords(KEY),
        ..CsmsConfig::default()
    })
    .station(|o, _| {
        o.security_profile = 1;
        o.authorization_key = Some(NEW_KEY.to_vec());
    })
    .start()
    .await;
    let log = h
        .wait_security_log("FailedToAuthenticateAtCentralSystem")
        .await;
    let (_, info) = log
        .iter()
        .find(|(k, _)| k == "FailedToAuthenticateAtCentralSystem")
        .expect("logged");
    let info = info.as_deref().unwrap_or_default();
    assert!(info.contains("401"), "{info}");
    assert!(
        !info.contains(&hex(NEW_KEY)) && !info.contains("a-new-key"),
        "{info}"
    );
    let_it_retry(&h, 3).await;
    let log = h.security_log().await;
    assert_eq!(
        count(&log, "FailedToAuthenticateAtCentralSystem"),
        1,
        "{log:?}"
    );

    // The Central System learns the station's password: it connects.
    h.csms.set_password(ID, NEW_KEY);
    advance_until_profile(&h, 1, 5).await;
    h.booted().await;

    // A new streak after that success: raised again.
    h.csms.set_password(ID, KEY);
    h.drop_connection().await;
    let deadline = Instant::now() + T;
    loop {
        h.advance(61);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let log = h.security_log().await;
        if count(&log, "FailedToAuthenticateAtCentralSystem") == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "no second event: {log:?}");
    }
    h.shutdown().await;
}

/// A Central System that offers only a cipher suite the whitepaper does not allow:
/// InvalidTLSCipherSuite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_common_cipher_suite_raises_invalid_tls_cipher_suite() {
    let pki = TestPki::generate(ID, 365).unwrap();
    let mut tls = server_tls(&pki);
    tls.cipher_list = "ECDHE-RSA-CHACHA20-POLY1305".into();
    tls.tls13 = false;
    let root = pki.ca.root.cert_pem.clone();
    let h = setup(CsmsConfig {
        tls: Some(tls),
        passwords: passwords(KEY),
        ..CsmsConfig::default()
    })
    .station(move |o, _| {
        o.security_profile = 2;
        o.authorization_key = Some(KEY.to_vec());
        o.ca_pem = vec![root];
    })
    .start()
    .await;
    let log = h.wait_security_log("InvalidTLSCipherSuite").await;
    assert_eq!(count(&log, "InvalidCentralSystemCertificate"), 0, "{log:?}");
    assert!(!h.station().state().connected);
    h.shutdown().await;
}

/// SignCertificate / CertificateSigned round trip with the built-in Central System's signing
/// CA (the test CA): the station on profile 3 is asked for a new certificate
/// (ExtendedTriggerMessage), sends a CSR, gets the signed certificate, and reconnects at
/// once presenting it (TC_074).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_074_sign_certificate_round_trip_then_reconnect_with_the_new_certificate() {
    // Valid for long enough that the station does not renew it on its own meanwhile.
    let pki = TestPki::generate(ID, 365).unwrap();
    let mut tls = server_tls(&pki);
    tls.client_ca_pem = Some(pki.ca.root.cert_pem.clone());
    let (root, cert, key) = (
        pki.ca.root.cert_pem.clone(),
        pki.charge_point.cert_pem.clone(),
        pki.charge_point.key_pem.clone(),
    );
    let mut h = setup(CsmsConfig {
        tls: Some(tls),
        signing_ca: Some((pki.ca.root.cert_pem.clone(), pki.ca.root.key_pem.clone())),
        ..CsmsConfig::default()
    })
    .key("CpoName", "Acme CPO")
    .station(move |o, _| {
        o.security_profile = 3;
        o.ca_pem = vec![root];
        o.client_cert = Some(cert);
        o.client_key = Some(key);
    })
    .start()
    .await;
    h.booted().await;
    let first = h.csms.link_security(ID).expect("connected");
    assert_eq!(
        first.certificate_pem.as_deref().map(str::trim),
        Some(pki.charge_point.cert_pem.trim())
    );

    let mut events = h.csms.subscribe();
    let answer = h
        .call(
            "ExtendedTriggerMessage",
            serde_json::json!({"requestedMessage": "SignChargePointCertificate"}),
        )
        .await;
    assert_eq!(answer["status"], "Accepted", "{answer}");
    let sign = h.wait_call("SignCertificate").await;
    let csr = sign.payload["csr"].as_str().expect("a CSR");
    assert!(csr.contains("CERTIFICATE REQUEST"), "{csr}");
    // The Central System answers Accepted and sends the certificate; the station takes it.
    let (chain, status) = {
        let mut chain = None;
        let status = events
            .find(T, |ev| match ev {
                csms::CsmsEvent::Frame {
                    direction: csms::Direction::Sent,
                    frame: Some(ocpp::Frame::Call(call)),
                    ..
                } if call.action == "CertificateSigned" => {
                    chain = call.payload["certificateChain"].as_str().map(str::to_owned);
                    None
                }
                csms::CsmsEvent::CertificateSigned { station, status } if station == ID => {
                    Some(status)
                }
                _ => None,
            })
            .await
            .expect("the CertificateSigned outcome");
        (chain.expect("CertificateSigned.req sent"), status)
    };
    assert_eq!(
        status,
        Ok(ocpp::CertificateSignedStatus::Accepted),
        "{:?}",
        h.security_log().await
    );
    assert_eq!(
        certs::inspect(&chain).unwrap().subject_cn.as_deref(),
        Some(ID)
    );

    // The station reconnects at once, presenting the new certificate (TC_074 step 7).
    events
        .find(T, |ev| match ev {
            csms::CsmsEvent::Connected { station } if station == ID => Some(()),
            _ => None,
        })
        .await
        .expect("a reconnection with the new certificate");
    let now = h.csms.link_security(ID).expect("connected");
    assert_ne!(now.certificate_pem, first.certificate_pem);
    assert_eq!(
        now.certificate_pem.as_deref().map(str::trim),
        Some(chain.trim())
    );
    h.shutdown().await;
}
