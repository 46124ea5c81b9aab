//! `wss://` over real TLS on loopback, with certificates from the test PKI.

use std::sync::Arc;
use std::time::Duration;

use certs::pki::{Authority, TestPki, Validity};
use net::{
    accept_stream, connect, peer_common_name, BasicAuthCheck, ClientConfig, NetError, TlsAcceptor,
    TlsClientConfig, TlsErrorKind, TlsServerConfig, OCPP16,
};
use openssl::pkey::PKey;
use openssl::ssl::{SslAcceptor, SslAcceptorBuilder, SslMethod, SslVersion};
use openssl::x509::X509;
use tokio::net::TcpListener;

struct Server {
    url: String,
    /// What the server saw: Ok(peer CN) or the error.
    result: tokio::sync::oneshot::Receiver<Result<Option<String>, String>>,
}

async fn serve(tls: TlsServerConfig, auth: Option<Arc<BasicAuthCheck<'static>>>) -> Server {
    let acceptor = TlsAcceptor::new(&tls).expect("server TLS config");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let result = async {
            let stream = acceptor.accept(tcp).await.map_err(|e| e.to_string())?;
            let cn = peer_common_name(&stream);
            let mut conn = accept_stream(stream, &[OCPP16], auth.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            // Echo one frame.
            if let Ok(Some(text)) = conn.recv().await {
                let _ = conn.send(text).await;
            }
            Ok(cn)
        }
        .await;
        let _ = tx.send(result);
    });
    Server {
        url: format!("wss://127.0.0.1:{}/ocpp/CP001", addr.port()),
        result: rx,
    }
}

fn client(url: &str, roots: &str) -> ClientConfig {
    ClientConfig {
        tls: Some(TlsClientConfig {
            roots_pem: vec![roots.to_owned()],
            ..TlsClientConfig::default()
        }),
        connect_timeout: Duration::from_secs(5),
        ..ClientConfig::new(url)
    }
}

fn server_tls(pki: &TestPki) -> TlsServerConfig {
    TlsServerConfig::new(pki.csms.cert_pem.clone(), pki.csms.key_pem.clone())
}

async fn tls_error(cfg: &ClientConfig) -> (TlsErrorKind, String) {
    match connect(cfg).await {
        Err(NetError::Tls { kind, detail }) => (kind, detail),
        Err(other) => panic!("expected a TLS error, got {other}"),
        Ok(_) => panic!("expected a TLS error, connected"),
    }
}

#[tokio::test]
async fn tc_086_valid_server_certificate_connects_and_carries_frames() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let server = serve(server_tls(&pki), None).await;
    let mut conn = connect(&client(&server.url, &pki.ca.root.cert_pem))
        .await
        .expect("connects over TLS");
    conn.send("[2,\"1\",\"Heartbeat\",{}]".into())
        .await
        .unwrap();
    let echo = tokio::time::timeout(Duration::from_secs(5), conn.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(echo.as_deref(), Some("[2,\"1\",\"Heartbeat\",{}]"));
    conn.close().await;
    assert_eq!(server.result.await.unwrap(), Ok(None));
}

#[tokio::test]
async fn tc_087_client_certificate_is_required_and_seen_by_the_server() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let mut tls = server_tls(&pki);
    tls.client_ca_pem = Some(pki.ca.root.cert_pem.clone());

    // Without a client certificate: refused.
    let server = serve(tls.clone(), None).await;
    let cfg = client(&server.url, &pki.ca.root.cert_pem);
    let err = connect(&cfg)
        .await
        .err()
        .expect("refused without a client cert");
    assert!(
        matches!(
            err,
            NetError::Tls { .. } | NetError::Handshake(_) | NetError::Ws(_)
        ),
        "{err}"
    );
    assert!(server.result.await.unwrap().is_err());

    // With one: accepted, and the server sees CN = the charge point id.
    let server = serve(tls, None).await;
    let mut cfg = client(&server.url, &pki.ca.root.cert_pem);
    if let Some(t) = cfg.tls.as_mut() {
        t.client_cert_pem = Some(pki.charge_point.cert_pem.clone());
        t.client_key_pem = Some(pki.charge_point.key_pem.clone());
    }
    let conn = connect(&cfg).await.expect("mutual TLS connects");
    conn.close().await;
    assert_eq!(server.result.await.unwrap(), Ok(Some("CP001".to_owned())));
}

#[tokio::test]
async fn tc_078_server_certificate_from_an_unknown_root_is_refused() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let other = Authority::new("some other root", Validity::days(30)).unwrap();
    let server = serve(server_tls(&pki), None).await;
    let (kind, detail) = tls_error(&client(&server.url, &other.root.cert_pem)).await;
    assert_eq!(kind, TlsErrorKind::UnknownRoot, "{detail}");
    assert!(kind.is_certificate_problem());
}

#[tokio::test]
async fn tc_078_expired_server_certificate_is_refused() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let expired = pki
        .ca
        .server(
            &["127.0.0.1"],
            Validity {
                from_secs: -10 * 86_400,
                until_secs: -86_400,
            },
        )
        .unwrap();
    let server = serve(
        TlsServerConfig::new(expired.cert_pem, expired.key_pem),
        None,
    )
    .await;
    let (kind, detail) = tls_error(&client(&server.url, &pki.ca.root.cert_pem)).await;
    assert_eq!(kind, TlsErrorKind::Expired, "{detail}");
}

#[tokio::test]
async fn tc_078_host_name_mismatch_is_refused() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let wrong = pki
        .ca
        .server(&["csms.example.com"], Validity::days(30))
        .unwrap();
    let server = serve(TlsServerConfig::new(wrong.cert_pem, wrong.key_pem), None).await;
    let (kind, detail) = tls_error(&client(&server.url, &pki.ca.root.cert_pem)).await;
    assert_eq!(kind, TlsErrorKind::HostName, "{detail}");
}

#[tokio::test]
async fn a_server_with_only_a_disallowed_cipher_suite_is_refused() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let mut tls = server_tls(&pki);
    tls.cipher_list = "ECDHE-RSA-CHACHA20-POLY1305".into();
    tls.tls13 = false;
    let server = serve(tls, None).await;
    let (kind, detail) = tls_error(&client(&server.url, &pki.ca.root.cert_pem)).await;
    assert_eq!(kind, TlsErrorKind::CipherSuite, "{detail}");
    assert!(!kind.is_certificate_problem());
    // The server saw it the same way.
    let seen = server.result.await.unwrap().unwrap_err();
    assert!(seen.contains("no cipher suite in common"), "{seen}");
}

#[tokio::test]
async fn a_tls13_server_without_our_suites_is_a_cipher_suite_problem() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let server = raw_server(&pki, |b| {
        b.set_min_proto_version(Some(SslVersion::TLS1_3)).unwrap();
        b.set_ciphersuites("TLS_CHACHA20_POLY1305_SHA256").unwrap();
    })
    .await;
    let (kind, detail) = tls_error(&client(&server, &pki.ca.root.cert_pem)).await;
    assert_eq!(kind, TlsErrorKind::CipherSuite, "{detail}");
}

#[tokio::test]
async fn a_server_below_tls12_is_a_version_problem() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let server = raw_server(&pki, |b| {
        b.set_min_proto_version(Some(SslVersion::TLS1)).unwrap();
        b.set_max_proto_version(Some(SslVersion::TLS1_1)).unwrap();
    })
    .await;
    let (kind, detail) = tls_error(&client(&server, &pki.ca.root.cert_pem)).await;
    assert_eq!(kind, TlsErrorKind::Version, "{detail}");
    assert!(!kind.is_certificate_problem());
}

#[tokio::test]
async fn a_missing_client_certificate_is_no_cipher_suite_problem() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let mut tls = server_tls(&pki);
    tls.client_ca_pem = Some(pki.ca.root.cert_pem.clone());
    // TLS 1.2: the server's refusal comes in the handshake, after it chose a suite.
    tls.tls13 = false;
    let server = serve(tls, None).await;
    let (kind, detail) = tls_error(&client(&server.url, &pki.ca.root.cert_pem)).await;
    assert_eq!(kind, TlsErrorKind::Handshake, "{detail}");
}

/// A bare OpenSSL server (settings our `TlsServerConfig` refuses) that runs one handshake.
async fn raw_server(pki: &TestPki, f: impl FnOnce(&mut SslAcceptorBuilder)) -> String {
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
    b.set_certificate(&X509::from_pem(pki.csms.cert_pem.as_bytes()).unwrap())
        .unwrap();
    b.set_private_key(&PKey::private_key_from_pem(pki.csms.key_pem.as_bytes()).unwrap())
        .unwrap();
    f(&mut b);
    let acceptor = b.build();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let ssl = openssl::ssl::Ssl::new(acceptor.context()).unwrap();
        let mut stream = tokio_openssl::SslStream::new(ssl, tcp).unwrap();
        let _ = std::pin::Pin::new(&mut stream).accept().await;
    });
    format!("wss://127.0.0.1:{}/ocpp/CP001", addr.port())
}

#[tokio::test]
async fn optional_client_certificates_let_both_kinds_of_client_in() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let mut tls = server_tls(&pki);
    tls.client_ca_pem = Some(pki.ca.root.cert_pem.clone());
    tls.client_cert_required = false;

    // Without a certificate (profile 2: the server checks a password instead).
    let server = serve(tls.clone(), None).await;
    let conn = connect(&client(&server.url, &pki.ca.root.cert_pem))
        .await
        .expect("connects without a client certificate");
    conn.close().await;
    assert_eq!(server.result.await.unwrap(), Ok(None));

    // With one (profile 3): verified and seen.
    let server = serve(tls.clone(), None).await;
    let mut cfg = client(&server.url, &pki.ca.root.cert_pem);
    if let Some(t) = cfg.tls.as_mut() {
        t.client_cert_pem = Some(pki.charge_point.cert_pem.clone());
        t.client_key_pem = Some(pki.charge_point.key_pem.clone());
    }
    let conn = connect(&cfg)
        .await
        .expect("connects with a client certificate");
    conn.close().await;
    assert_eq!(server.result.await.unwrap(), Ok(Some("CP001".to_owned())));

    // A certificate from another CA is still refused.
    let other = Authority::new("another root", Validity::days(30)).unwrap();
    let stranger = other.client("CP001", Validity::days(30)).unwrap();
    let server = serve(tls, None).await;
    let mut cfg = client(&server.url, &pki.ca.root.cert_pem);
    if let Some(t) = cfg.tls.as_mut() {
        t.client_cert_pem = Some(stranger.cert_pem.clone());
        t.client_key_pem = Some(stranger.key_pem.clone());
    }
    // TLS 1.3: the client may only learn of the refusal when it reads.
    if let Ok(mut conn) = connect(&cfg).await {
        let read = tokio::time::timeout(Duration::from_secs(5), conn.recv()).await;
        assert!(!matches!(read, Ok(Ok(Some(_)))), "{read:?}");
    }
    assert!(server.result.await.unwrap().is_err());
}

#[tokio::test]
async fn tls12_with_an_allowed_rsa_suite_connects() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let mut tls = server_tls(&pki);
    tls.cipher_list = "AES128-GCM-SHA256".into();
    tls.tls13 = false;
    let server = serve(tls, None).await;
    let conn = connect(&client(&server.url, &pki.ca.root.cert_pem))
        .await
        .expect("TLS 1.2 with TLS_RSA_WITH_AES_128_GCM_SHA256");
    conn.close().await;
}

#[tokio::test]
async fn tc_085_basic_auth_over_tls_checks_the_password() {
    let pki = TestPki::generate("CP001", 30).unwrap();
    let check: Arc<BasicAuthCheck<'static>> =
        Arc::new(|path: &str, creds: Option<(&str, &[u8])>| {
            path == "/ocpp/CP001" && creds == Some(("CP001", b"0123456789abcdef".as_slice()))
        });

    let server = serve(server_tls(&pki), Some(check.clone())).await;
    let mut cfg = client(&server.url, &pki.ca.root.cert_pem);
    cfg.basic_auth = Some(("CP001".into(), b"0123456789abcdef".to_vec()));
    let conn = connect(&cfg).await.expect("right password");
    conn.close().await;

    let server = serve(server_tls(&pki), Some(check)).await;
    let mut cfg = client(&server.url, &pki.ca.root.cert_pem);
    cfg.basic_auth = Some(("CP001".into(), b"wrong-password!!".to_vec()));
    let err = connect(&cfg).await.err().expect("wrong password refused");
    assert!(matches!(err, NetError::HttpStatus { status: 401 }), "{err}");
    let seen = server.result.await.unwrap().unwrap_err();
    assert!(seen.contains("credentials"), "{seen}");
}
