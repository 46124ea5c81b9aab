//! The Central System's transport security and certificate services against a fake station
//! over real (TLS) WebSockets on 127.0.0.1: a plain and a TLS listener sharing one state,
//! optional client certificates next to Basic auth, changing a password, SignCertificate.

mod common;

use std::collections::BTreeMap;

use certs::pki::{Authority, TestPki, Validity};
use common::{start, FakeStation, T};
use csms::{CentralSystem, CsmsConfig, CsmsEvent};
use net::{connect, ClientConfig, NetError, TlsClientConfig, TlsServerConfig};
use ocpp::Frame;
use serde_json::json;

const KEY: &[u8] = b"0123456789abcdef";

fn passwords() -> Option<BTreeMap<String, Vec<u8>>> {
    Some(BTreeMap::from([("CP001".to_owned(), KEY.to_vec())]))
}

/// TLS with client certificates from the test CA, plus a plain listener.
fn both_listeners(pki: &TestPki) -> CsmsConfig {
    let mut tls = TlsServerConfig::new(pki.csms.cert_pem.clone(), pki.csms.key_pem.clone());
    tls.client_ca_pem = Some(pki.ca.root.cert_pem.clone());
    CsmsConfig {
        tls: Some(tls),
        plain_listen: Some("127.0.0.1:0".parse().unwrap()),
        passwords: passwords(),
        ..CsmsConfig::default()
    }
}

fn tls_client(cs: &CentralSystem, id: &str, pki: &TestPki) -> ClientConfig {
    ClientConfig {
        ping_interval: None,
        connect_timeout: T,
        tls: Some(TlsClientConfig {
            roots_pem: vec![pki.ca.root.cert_pem.clone()],
            ..TlsClientConfig::default()
        }),
        ..ClientConfig::new(format!("{}/{id}", cs.base_url()))
    }
}

fn with_cert(mut cfg: ClientConfig, cert: &certs::pki::Issued) -> ClientConfig {
    if let Some(tls) = cfg.tls.as_mut() {
        tls.client_cert_pem = Some(cert.cert_pem.clone());
        tls.client_key_pem = Some(cert.key_pem.clone());
    }
    cfg
}

async fn refused_401(cfg: &ClientConfig) {
    match connect(cfg).await {
        Err(NetError::HttpStatus { status: 401 }) => {}
        Err(other) => panic!("expected HTTP 401, got {other}"),
        Ok(_) => panic!("expected HTTP 401, connected"),
    }
}

#[tokio::test]
async fn one_central_system_serves_ws_and_wss_with_shared_state() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let cs = start(both_listeners(&pki)).await;
    assert!(cs.base_url().starts_with("wss://"), "{}", cs.base_url());
    let plain = cs.plain_base_url().expect("a plain listener");
    assert!(plain.starts_with("ws://"), "{plain}");
    assert_ne!(cs.plain_addr(), Some(cs.local_addr()));

    // Profile 1 on the plain listener.
    let conn = connect(&ClientConfig {
        ping_interval: None,
        basic_auth: Some(("CP001".into(), KEY.to_vec())),
        ..ClientConfig::new(format!("{plain}/CP001"))
    })
    .await
    .expect("profile 1 over ws://");
    let mut st = FakeStation::from_conn(conn);
    cs.wait_connected("CP001", T).await.unwrap();
    assert_eq!(cs.security_profile("CP001"), Some(1));
    assert_eq!(st.boot().await["status"], "Accepted");
    // Without the password: 401 on the plain listener too.
    refused_401(&ClientConfig::new(format!("{plain}/CP001"))).await;

    // Profile 2 on the TLS listener: the same station record, the old session replaced.
    let mut events = cs.subscribe();
    let conn = connect(&ClientConfig {
        basic_auth: Some(("CP001".into(), KEY.to_vec())),
        ..tls_client(&cs, "CP001", &pki)
    })
    .await
    .expect("profile 2 over wss://");
    events
        .find(T, |ev| {
            matches!(ev, CsmsEvent::Connected { .. }).then_some(())
        })
        .await
        .expect("the TLS connection is registered");
    assert_eq!(cs.connected_stations(), ["CP001"]);
    assert_eq!(cs.security_profile("CP001"), Some(2));
    assert_eq!(
        cs.registration("CP001"),
        Some(ocpp::RegistrationStatus::Accepted)
    );
    assert!(st.recv().await.is_none(), "the plain session was replaced");
    conn.close().await;
    cs.shutdown().await;
}

#[tokio::test]
async fn with_passwords_a_client_certificate_is_optional_and_replaces_the_password() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let cs = start(both_listeners(&pki)).await;

    // Profile 3: certificate, no password.
    let conn = connect(&with_cert(
        tls_client(&cs, "CP001", &pki),
        &pki.charge_point,
    ))
    .await
    .expect("profile 3 without a password");
    cs.wait_connected("CP001", T).await.unwrap();
    let link = cs.link_security("CP001").unwrap();
    assert_eq!(link.certificate_cn.as_deref(), Some("CP001"));
    assert!(link.tls && !link.basic_auth);
    assert_eq!(link.profile(), 3);
    conn.close().await;

    // No certificate, no password: 401. No certificate, the password: in (profile 2).
    refused_401(&tls_client(&cs, "CP001", &pki)).await;
    let conn = connect(&ClientConfig {
        basic_auth: Some(("CP001".into(), KEY.to_vec())),
        ..tls_client(&cs, "CP001", &pki)
    })
    .await
    .expect("profile 2");
    conn.close().await;

    // A certificate naming another station: 401, even with the right password.
    let other = pki.ca.client("CP002", Validity::days(30)).unwrap();
    refused_401(&ClientConfig {
        basic_auth: Some(("CP001".into(), KEY.to_vec())),
        ..with_cert(tls_client(&cs, "CP001", &pki), &other)
    })
    .await;

    // A certificate from a CA we do not know: the TLS handshake fails.
    let stranger = Authority::new("another root", Validity::days(30))
        .unwrap()
        .client("CP001", Validity::days(30))
        .unwrap();
    let cfg = with_cert(tls_client(&cs, "CP001", &pki), &stranger);
    if let Ok(mut conn) = connect(&cfg).await {
        // TLS 1.3: the refusal may only show when reading.
        let read = tokio::time::timeout(T, conn.recv()).await;
        assert!(!matches!(read, Ok(Ok(Some(_)))), "{read:?}");
    }
    cs.shutdown().await;
}

#[tokio::test]
async fn without_passwords_a_client_certificate_stays_required() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let cs = start(CsmsConfig {
        passwords: None,
        ..both_listeners(&pki)
    })
    .await;
    let cfg = tls_client(&cs, "CP001", &pki);
    if let Ok(mut conn) = connect(&cfg).await {
        let read = tokio::time::timeout(T, conn.recv()).await;
        assert!(!matches!(read, Ok(Ok(Some(_)))), "{read:?}");
    }
    assert!(!cs.is_connected("CP001"));
    let conn = connect(&with_cert(cfg, &pki.charge_point))
        .await
        .expect("mutual TLS");
    cs.wait_connected("CP001", T).await.unwrap();
    conn.close().await;
    cs.shutdown().await;
}

#[tokio::test]
async fn set_password_changes_the_password_for_the_next_connection() {
    let cs = start(CsmsConfig {
        passwords: passwords(),
        ..CsmsConfig::default()
    })
    .await;
    let url = format!("{}/CP001", cs.base_url());
    let with = |key: &[u8]| ClientConfig {
        ping_interval: None,
        basic_auth: Some(("CP001".into(), key.to_vec())),
        ..ClientConfig::new(url.clone())
    };
    connect(&with(KEY))
        .await
        .expect("old password")
        .close()
        .await;
    cs.set_password("CP001", b"a-new-password-0123");
    refused_401(&with(KEY)).await;
    connect(&with(b"a-new-password-0123"))
        .await
        .expect("new password")
        .close()
        .await;
    // A Central System without passwords starts checking with the first one set.
    let open = start(CsmsConfig::default()).await;
    let url = format!("{}/CP009", open.base_url());
    connect(&ClientConfig::new(url.clone()))
        .await
        .expect("no check")
        .close()
        .await;
    open.set_password("CP009", KEY);
    refused_401(&ClientConfig::new(url)).await;
    cs.shutdown().await;
    open.shutdown().await;
}

#[tokio::test]
async fn sign_certificate_without_a_signing_ca_is_rejected() {
    let cs = start(CsmsConfig::default()).await;
    let mut st = FakeStation::join(&cs, "CP001").await;
    let csr = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----";
    let sign = st.ok("SignCertificate", json!({ "csr": csr })).await;
    assert_eq!(sign["status"], "Rejected");
    cs.shutdown().await;
}

#[tokio::test]
async fn sign_certificate_with_a_bad_csr_is_rejected_and_reported() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let cs = start(CsmsConfig {
        signing_ca: Some((pki.ca.root.cert_pem.clone(), pki.ca.root.key_pem.clone())),
        ..CsmsConfig::default()
    })
    .await;
    let mut events = cs.subscribe();
    let mut st = FakeStation::join(&cs, "CP001").await;
    let sign = st
        .ok("SignCertificate", json!({ "csr": "not a CSR" }))
        .await;
    assert_eq!(sign["status"], "Rejected");
    let status = events
        .find(T, |ev| match ev {
            CsmsEvent::CertificateSigned { station, status } if station == "CP001" => Some(status),
            _ => None,
        })
        .await
        .expect("a CertificateSigned event");
    assert!(status.is_err(), "{status:?}");
    cs.shutdown().await;
}

#[tokio::test]
async fn sign_certificate_round_trip_with_the_signing_ca() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let cs = start(CsmsConfig {
        signing_ca: Some((pki.ca.root.cert_pem.clone(), pki.ca.root.key_pem.clone())),
        ..CsmsConfig::default()
    })
    .await;
    let mut events = cs.subscribe();
    let mut st = FakeStation::join(&cs, "CP001").await;
    let new = certs::generate_csr("CP001", "Acme CPO").expect("a CSR");
    let sign = st
        .ok("SignCertificate", json!({ "csr": new.csr_pem }))
        .await;
    assert_eq!(sign["status"], "Accepted");
    let call = match st.recv().await {
        Some(Frame::Call(c)) if c.action == "CertificateSigned" => c,
        other => panic!("expected CertificateSigned.req, got {other:?}"),
    };
    let chain = call.payload["certificateChain"]
        .as_str()
        .expect("a chain")
        .to_owned();
    // The leaf alone, for the new key, issued by our CA, and good for a TLS client.
    assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 1, "{chain}");
    assert!(certs::key_matches(&chain, &new.key_pem).unwrap());
    certs::verify_chain(
        &chain,
        std::slice::from_ref(&pki.ca.root.cert_pem),
        chrono::Utc::now(),
    )
    .expect("chains to the CA");
    let info = certs::inspect(&chain).unwrap();
    assert_eq!(info.subject_cn.as_deref(), Some("CP001"));
    st.send(json!([3, call.unique_id, {"status": "Accepted"}]).to_string())
        .await;
    let status = events
        .find(T, |ev| match ev {
            CsmsEvent::CertificateSigned { station, status } if station == "CP001" => Some(status),
            _ => None,
        })
        .await
        .expect("a CertificateSigned event");
    assert_eq!(status, Ok(ocpp::CertificateSignedStatus::Accepted));
    cs.shutdown().await;
}

#[tokio::test]
async fn the_config_debug_output_hides_secrets() {
    let cfg = CsmsConfig {
        passwords: passwords(),
        signing_ca: Some(("CERT".into(), "PRIVATE-KEY-TEXT".into())),
        ..CsmsConfig::default()
    };
    let shown = format!("{cfg:?}");
    assert!(!shown.contains("PRIVATE-KEY-TEXT"), "{shown}");
    assert!(!shown.contains("0123456789abcdef"), "{shown}");
    assert!(!shown.contains("48, 49, 50"), "{shown}");
    assert!(shown.contains("CP001"), "{shown}");
}

#[tokio::test]
async fn the_server_certificate_can_be_replaced_and_restored_while_running() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let cs = start(CsmsConfig {
        tls: Some(TlsServerConfig::new(
            pki.csms.cert_pem.clone(),
            pki.csms.key_pem.clone(),
        )),
        sniff_tls: true,
        ..CsmsConfig::default()
    })
    .await;
    let url = format!("{}/CP001", cs.base_url());
    let client = ClientConfig {
        ping_interval: None,
        connect_timeout: T,
        tls: Some(TlsClientConfig {
            roots_pem: vec![pki.ca.root.cert_pem.clone()],
            ..TlsClientConfig::default()
        }),
        ..ClientConfig::new(url)
    };
    connect(&client).await.expect("trusted").close().await;
    assert_eq!(cs.failed_tls_handshakes(), 0);

    // A certificate from a CA the station does not trust: the handshake fails, and counts.
    let rogue = Authority::new("rogue root", Validity::days(1))
        .unwrap()
        .server(&["localhost", "127.0.0.1"], Validity::days(1))
        .unwrap();
    cs.set_server_certificate(Some((&rogue.cert_pem, &rogue.key_pem)))
        .expect("a usable certificate");
    match connect(&client).await {
        Err(NetError::Tls { kind, .. }) => assert!(kind.is_certificate_problem(), "{kind}"),
        Err(other) => panic!("expected a certificate problem, got {other}"),
        Ok(_) => panic!("connected with an untrusted server certificate"),
    }
    let deadline = tokio::time::Instant::now() + T;
    while cs.failed_tls_handshakes() == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(cs.failed_tls_handshakes(), 1);

    // Plain ws:// on the same address is not affected; the configured certificate is back.
    connect(&ClientConfig::new(format!(
        "ws://{}/ocpp/CP002",
        cs.local_addr()
    )))
    .await
    .expect("plain")
    .close()
    .await;
    cs.set_server_certificate(None).unwrap();
    connect(&client).await.expect("trusted again").close().await;
    // A key that is not the certificate's is refused, and changes nothing.
    assert!(cs
        .set_server_certificate(Some((&rogue.cert_pem, &pki.csms.key_pem)))
        .is_err());
    connect(&client).await.expect("still trusted").close().await;
    cs.shutdown().await;

    // Without TLS there is nothing to replace.
    let plain = start(CsmsConfig::default()).await;
    assert!(plain.set_server_certificate(None).is_err());
    plain.shutdown().await;
}

#[tokio::test]
async fn the_signing_ca_can_be_replaced_while_running() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let cs = start(CsmsConfig {
        signing_ca: Some((pki.ca.root.cert_pem.clone(), pki.ca.root.key_pem.clone())),
        ..CsmsConfig::default()
    })
    .await;
    let other = Authority::new("another CA", Validity::days(1)).unwrap();
    cs.set_signing_ca(Some((
        other.root.cert_pem.clone(),
        other.root.key_pem.clone(),
    )));
    let mut st = FakeStation::join(&cs, "CP001").await;
    let new = certs::generate_csr("CP001", "Acme CPO").expect("a CSR");
    let sign = st
        .ok("SignCertificate", json!({ "csr": new.csr_pem }))
        .await;
    assert_eq!(sign["status"], "Accepted");
    let chain = match st.recv().await {
        Some(Frame::Call(c)) if c.action == "CertificateSigned" => {
            c.payload["certificateChain"].as_str().unwrap().to_owned()
        }
        other => panic!("expected CertificateSigned.req, got {other:?}"),
    };
    assert_eq!(
        certs::inspect(&chain).unwrap().issuer_cn.as_deref(),
        Some("another CA")
    );
    cs.set_signing_ca(None);
    let sign = st
        .ok("SignCertificate", json!({ "csr": new.csr_pem }))
        .await;
    assert_eq!(sign["status"], "Rejected");
    cs.shutdown().await;
}
