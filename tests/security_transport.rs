//! Security profiles 1-3 on the transport, end to end: a real station against the built-in
//! Central System over loopback, with certificates from `certs::pki` (what `chargepoint pki`
//! writes). Named after the OCPP 1.6 security test cases where one fits.

use certs::pki::{Authority, TestPki, Validity};
use chargepoint::clock::ManualClock;
use chargepoint::runner::{RunOptions, StationHandle};
use csms::{CentralSystem, CsmsConfig};
use hal::sim::{SimCharger, SimConfig};
use net::{NetError, TlsErrorKind, TlsServerConfig};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const ID: &str = "CP-SEC-01";
const KEY: &[u8] = b"0123456789abcdef0123";
const T: Duration = Duration::from_secs(10);

/// The station's clock starts at the real time: the test PKI's certificates are valid from
/// (real) now, and the station checks validity by its own clock.
fn t0() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn passwords(key: &[u8]) -> Option<BTreeMap<String, Vec<u8>>> {
    Some(BTreeMap::from([(ID.to_owned(), key.to_vec())]))
}

fn tls(pki: &TestPki) -> TlsServerConfig {
    TlsServerConfig::new(pki.csms.cert_pem.clone(), pki.csms.key_pem.clone())
}

struct Run {
    csms: CentralSystem,
    station: StationHandle,
    clock: ManualClock,
}

async fn start(cfg: CsmsConfig, setup: impl FnOnce(&mut RunOptions)) -> Run {
    let csms = CentralSystem::start(cfg).await.expect("start the CSMS");
    let start = t0();
    let clock = ManualClock::new(start);
    let mut opts = RunOptions::new(ID, csms.base_url());
    setup(&mut opts);
    let station = StationHandle::start(
        opts,
        SimCharger::new(SimConfig::default(), start),
        Box::new(store::MemoryStore::new()),
        Arc::new(clock.clone()),
    )
    .expect("start the station");
    Run {
        csms,
        station,
        clock,
    }
}

impl Run {
    async fn connected(&self) -> bool {
        self.station.wait_for(T, |s| s.connected).await.is_ok() && self.csms.is_connected(ID)
    }

    /// Let the station retry a few times (its reconnect delays run on the manual clock) and
    /// check it never gets through.
    async fn never_connects(&self) {
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(!self.station.state().connected);
            assert!(!self.csms.is_connected(ID));
            self.clock.advance(chrono::Duration::seconds(61));
        }
    }

    async fn stop(self) {
        self.station.shutdown().await;
        self.csms.shutdown().await;
    }
}

#[tokio::test]
async fn tc_085_profile_1_basic_auth_over_ws_connects() {
    let run = start(
        CsmsConfig {
            passwords: passwords(KEY),
            ..CsmsConfig::default()
        },
        |o| {
            o.security_profile = 1;
            o.authorization_key = Some(KEY.to_vec());
        },
    )
    .await;
    assert!(run.csms.base_url().starts_with("ws://"));
    assert!(run.connected().await);
    run.stop().await;
}

#[tokio::test]
async fn profile_1_wrong_password_gets_401_and_no_connection() {
    let run = start(
        CsmsConfig {
            passwords: passwords(KEY),
            ..CsmsConfig::default()
        },
        |o| {
            o.security_profile = 1;
            o.authorization_key = Some(b"not-the-right-key!".to_vec());
        },
    )
    .await;
    run.never_connects().await;
    // What the station gets on each try: HTTP 401.
    let err = net::connect(&net::ClientConfig {
        basic_auth: Some((ID.into(), b"not-the-right-key!".to_vec())),
        ..net::ClientConfig::new(format!("{}/{ID}", run.csms.base_url()))
    })
    .await
    .err()
    .expect("refused");
    assert!(matches!(err, NetError::HttpStatus { status: 401 }), "{err}");
    // No credentials at all: 401 as well.
    let err = net::connect(&net::ClientConfig::new(format!(
        "{}/{ID}",
        run.csms.base_url()
    )))
    .await
    .err()
    .expect("refused");
    assert!(matches!(err, NetError::HttpStatus { status: 401 }), "{err}");
    run.stop().await;
}

#[tokio::test]
async fn tc_086_profile_2_tls_with_basic_auth_connects() {
    let pki = TestPki::generate(ID, 30).unwrap();
    let run = start(
        CsmsConfig {
            tls: Some(tls(&pki)),
            passwords: passwords(KEY),
            ..CsmsConfig::default()
        },
        |o| {
            o.security_profile = 2;
            o.authorization_key = Some(KEY.to_vec());
            o.ca_pem = vec![pki.ca.root.cert_pem.clone()];
        },
    )
    .await;
    assert!(run.csms.base_url().starts_with("wss://"));
    assert!(run.connected().await);
    run.stop().await;
}

#[tokio::test]
async fn tc_087_profile_3_mutual_tls_connects() {
    let pki = TestPki::generate(ID, 30).unwrap();
    let mut server = tls(&pki);
    server.client_ca_pem = Some(pki.ca.root.cert_pem.clone());
    let run = start(
        CsmsConfig {
            tls: Some(server),
            ..CsmsConfig::default()
        },
        |o| {
            o.security_profile = 3;
            o.ca_pem = vec![pki.ca.root.cert_pem.clone()];
            o.client_cert = Some(pki.charge_point.cert_pem.clone());
            o.client_key = Some(pki.charge_point.key_pem.clone());
        },
    )
    .await;
    assert!(run.connected().await);
    run.stop().await;
}

#[tokio::test]
async fn profile_3_certificate_of_another_station_is_refused() {
    let pki = TestPki::generate("SOMEONE-ELSE", 30).unwrap();
    let mut server = tls(&pki);
    server.client_ca_pem = Some(pki.ca.root.cert_pem.clone());
    let run = start(
        CsmsConfig {
            tls: Some(server),
            ..CsmsConfig::default()
        },
        |o| {
            o.security_profile = 3;
            o.ca_pem = vec![pki.ca.root.cert_pem.clone()];
            o.client_cert = Some(pki.charge_point.cert_pem.clone());
            o.client_key = Some(pki.charge_point.key_pem.clone());
        },
    )
    .await;
    run.never_connects().await;
    run.stop().await;
}

/// The station's side of each refused TLS handshake, with the same configuration.
async fn station_tls_error(csms: &CentralSystem, roots: &str) -> TlsErrorKind {
    let err = net::connect(&net::ClientConfig {
        tls: Some(net::TlsClientConfig {
            roots_pem: vec![roots.to_owned()],
            ..net::TlsClientConfig::default()
        }),
        ..net::ClientConfig::new(format!("{}/{ID}", csms.base_url()))
    })
    .await
    .err()
    .expect("refused");
    match err {
        NetError::Tls { kind, .. } => kind,
        other => panic!("expected a TLS error, got {other}"),
    }
}

async fn refused_server_certificate(server: TlsServerConfig, roots: &str) -> TlsErrorKind {
    let run = start(
        CsmsConfig {
            tls: Some(server),
            ..CsmsConfig::default()
        },
        |o| {
            o.security_profile = 2;
            o.authorization_key = Some(KEY.to_vec());
            o.ca_pem = vec![roots.to_owned()];
        },
    )
    .await;
    run.never_connects().await;
    let kind = station_tls_error(&run.csms, roots).await;
    run.stop().await;
    kind
}

#[tokio::test]
async fn tc_078_server_certificate_from_unknown_root_is_refused() {
    let pki = TestPki::generate(ID, 30).unwrap();
    let other = Authority::new("not our root", Validity::days(30)).unwrap();
    let kind = refused_server_certificate(tls(&pki), &other.root.cert_pem).await;
    assert_eq!(kind, TlsErrorKind::UnknownRoot);
}

#[tokio::test]
async fn tc_078_expired_server_certificate_is_refused() {
    let pki = TestPki::generate(ID, 30).unwrap();
    let expired = pki
        .ca
        .server(
            &["127.0.0.1"],
            Validity {
                from_secs: -30 * 86_400,
                until_secs: -60,
            },
        )
        .unwrap();
    let server = TlsServerConfig::new(expired.cert_pem, expired.key_pem);
    let kind = refused_server_certificate(server, &pki.ca.root.cert_pem).await;
    assert_eq!(kind, TlsErrorKind::Expired);
}

#[tokio::test]
async fn tc_078_server_certificate_for_another_host_is_refused() {
    let pki = TestPki::generate(ID, 30).unwrap();
    let wrong = pki
        .ca
        .server(&["csms.example.com", "10.9.8.7"], Validity::days(30))
        .unwrap();
    let server = TlsServerConfig::new(wrong.cert_pem, wrong.key_pem);
    let kind = refused_server_certificate(server, &pki.ca.root.cert_pem).await;
    assert_eq!(kind, TlsErrorKind::HostName);
}

#[tokio::test]
async fn a_server_offering_only_a_disallowed_cipher_suite_is_refused() {
    let pki = TestPki::generate(ID, 30).unwrap();
    let mut server = tls(&pki);
    server.cipher_list = "ECDHE-RSA-CHACHA20-POLY1305".into();
    server.tls13 = false;
    let kind = refused_server_certificate(server, &pki.ca.root.cert_pem).await;
    assert_eq!(kind, TlsErrorKind::CipherSuite);
}
