//! Transfers over http and https against a real axum server on loopback.

mod common;

use common::{http, listing, no_progress, pattern, trusting, Pki, Recorder, SIZE};
use std::time::Duration;
use transfer::{download, upload, TransferConfig, TransferError, SUPPORTED_PROTOCOLS};

async fn download_case(tls: bool) {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "CP1");
    let server = http::start(tls.then_some((pki.cert_pem.as_str(), pki.key_pem.as_str()))).await;
    let data = pattern(SIZE);
    std::fs::write(server.files.path().join("fw.bin"), &data).unwrap();

    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("firmware.bin");
    let rec = Recorder::default();
    let url = format!("{}/files/fw.bin", server.base(tls));
    let n = download(&url, &dest, &trusting(&pki.ca_pem), &mut rec.callback())
        .await
        .unwrap();
    assert_eq!(n, SIZE as u64);
    assert!(std::fs::read(&dest).unwrap() == data, "content differs");
    assert_eq!(listing(out.path()), vec!["firmware.bin"]);
    rec.assert_complete(SIZE as u64, Some(SIZE as u64));
}

#[tokio::test]
async fn http_download_is_byte_exact_with_progress() {
    download_case(false).await;
}

#[tokio::test]
async fn https_download_is_byte_exact_with_progress() {
    download_case(true).await;
}

async fn upload_case(tls: bool, path: &str, creds: bool) {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "CP1");
    let server = http::start(tls.then_some((pki.cert_pem.as_str(), pki.key_pem.as_str()))).await;
    let data = pattern(SIZE);
    let src = dir.path().join("local-name.tar.gz");
    std::fs::write(&src, &data).unwrap();

    let base = server.base(tls);
    let location = if creds {
        base.replacen(
            "://",
            &format!("://{}:{}@", common::USER, common::PASSWORD_IN_URL),
            1,
        ) + path
    } else {
        base + path
    };
    let rec = Recorder::default();
    let n = upload(
        &location,
        &src,
        "diagnostics-CP1.tar.gz",
        &trusting(&pki.ca_pem),
        &mut rec.callback(),
    )
    .await
    .unwrap();
    assert_eq!(n, SIZE as u64);
    let arrived = std::fs::read(server.uploads.path().join("diagnostics-CP1.tar.gz")).unwrap();
    assert!(arrived == data, "uploaded content differs");
    rec.assert_complete(SIZE as u64, Some(SIZE as u64));
}

#[tokio::test]
async fn http_upload_is_multipart_post_and_arrives_intact() {
    upload_case(false, "/upload", false).await;
}

#[tokio::test]
async fn https_upload_arrives_intact() {
    upload_case(true, "/upload", false).await;
}

#[tokio::test]
async fn http_upload_with_basic_auth_from_url() {
    upload_case(false, "/private/upload", true).await;
}

#[tokio::test]
async fn http_basic_auth_from_url_downloads_and_wrong_password_is_auth() {
    let server = http::start(None).await;
    std::fs::write(server.files.path().join("fw.bin"), b"private firmware").unwrap();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("fw.bin");
    let cfg = TransferConfig::default();
    let good = format!(
        "http://{}:{}@127.0.0.1:{}/private/fw.bin",
        common::USER,
        common::PASSWORD_IN_URL,
        server.addr.port()
    );
    let n = download(&good, &dest, &cfg, &mut no_progress())
        .await
        .unwrap();
    assert_eq!(n, 16);
    assert_eq!(std::fs::read(&dest).unwrap(), b"private firmware");

    let bad = format!(
        "http://{}:wrong-secret-123@127.0.0.1:{}/private/fw.bin",
        common::USER,
        server.addr.port()
    );
    let dest2 = out.path().join("other.bin");
    let err = download(&bad, &dest2, &cfg, &mut no_progress())
        .await
        .unwrap_err();
    assert!(matches!(err, TransferError::Auth(_)), "{err:?}");
    assert!(!err.to_string().contains("wrong-secret-123"), "{err}");
    assert_eq!(listing(out.path()), vec!["fw.bin"]);
}

#[tokio::test]
async fn http_404_is_not_found_and_leaves_no_file() {
    let server = http::start(None).await;
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("fw.bin");
    let url = format!(
        "http://{}:{}@127.0.0.1:{}/files/missing.bin",
        common::USER,
        common::PASSWORD_IN_URL,
        server.addr.port()
    );
    let err = download(&url, &dest, &TransferConfig::default(), &mut no_progress())
        .await
        .unwrap_err();
    assert!(matches!(err, TransferError::NotFound(_)), "{err:?}");
    assert!(err.to_string().contains("404"), "{err}");
    assert_no_password(&err);
    assert!(listing(out.path()).is_empty());
}

#[tokio::test]
async fn http_500_is_server_error() {
    let server = http::start(None).await;
    let out = tempfile::tempdir().unwrap();
    let url = format!("{}/error", server.base(false));
    let err = download(
        &url,
        &out.path().join("fw.bin"),
        &TransferConfig::default(),
        &mut no_progress(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err,
        TransferError::Server(format!("HTTP 500 from {url}")),
        "{err}"
    );
    assert!(listing(out.path()).is_empty());

    // An upload answered with an error status fails the same way.
    let src = out.path().join("log.txt");
    std::fs::write(&src, b"log").unwrap();
    let err = upload(
        &format!("{}/files/x", server.base(false)),
        &src,
        "log.txt",
        &TransferConfig::default(),
        &mut no_progress(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, TransferError::Server(ref m) if m.contains("405")),
        "{err:?}"
    );
}

#[tokio::test]
async fn https_with_untrusted_certificate_is_tls_error_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let trusted = Pki::new(dir.path(), "CP1");
    let other = Pki::new(dir.path(), "OTHER");
    let server = http::start(Some((&other.cert_pem, &other.key_pem))).await;
    std::fs::write(server.files.path().join("fw.bin"), b"firmware").unwrap();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("fw.bin");
    let url = format!(
        "https://{}:{}@localhost:{}/files/fw.bin",
        common::USER,
        common::PASSWORD_IN_URL,
        server.addr.port()
    );
    // Neither the configured root nor the system store trusts the server's CA.
    let cfg = TransferConfig {
        system_roots: true,
        ..trusting(&trusted.ca_pem)
    };
    let err = download(&url, &dest, &cfg, &mut no_progress())
        .await
        .unwrap_err();
    assert!(matches!(err, TransferError::Tls(_)), "{err:?}");
    assert_no_password(&err);
    assert!(listing(out.path()).is_empty());

    let src = dir.path().join("CP1-server.pem");
    let err = upload(
        &format!("https://localhost:{}/upload", server.addr.port()),
        &src,
        "x.pem",
        &cfg,
        &mut no_progress(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, TransferError::Tls(_)), "{err:?}");
    assert!(listing(server.uploads.path()).is_empty());
}

#[tokio::test]
async fn https_host_name_is_verified() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::for_names(dir.path(), "ELSEWHERE", &["files.example.com"]);
    let server = http::start(Some((&pki.cert_pem, &pki.key_pem))).await;
    std::fs::write(server.files.path().join("fw.bin"), b"firmware").unwrap();
    let out = tempfile::tempdir().unwrap();
    let url = format!("https://localhost:{}/files/fw.bin", server.addr.port());
    let err = download(
        &url,
        &out.path().join("fw.bin"),
        &trusting(&pki.ca_pem),
        &mut no_progress(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, TransferError::Tls(_)), "{err:?}");
    assert!(listing(out.path()).is_empty());
}

#[tokio::test]
async fn stalled_download_times_out_and_leaves_no_part_file() {
    let server = http::start(None).await;
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("fw.bin");
    let cfg = TransferConfig {
        idle_timeout: Duration::from_millis(300),
        ..TransferConfig::default()
    };
    let rec = Recorder::default();
    let url = format!("{}/stall", server.base(false));
    let err = download(&url, &dest, &cfg, &mut rec.callback())
        .await
        .unwrap_err();
    assert!(matches!(err, TransferError::Timeout(_)), "{err:?}");
    assert!(listing(out.path()).is_empty(), "{:?}", listing(out.path()));
    // The first 64 KiB did arrive before the stall.
    let seen = rec.0.lock().unwrap().clone();
    assert_eq!(seen.last().map(|p| p.bytes), Some(64 * 1024), "{seen:?}");
}

#[tokio::test]
async fn refused_connection_is_connect_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = tempfile::tempdir().unwrap();
    let err = download(
        &format!("http://127.0.0.1:{port}/fw.bin"),
        &out.path().join("fw.bin"),
        &TransferConfig::default(),
        &mut no_progress(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, TransferError::Connect(_)), "{err:?}");
    assert!(listing(out.path()).is_empty());
}

#[tokio::test]
async fn unsupported_scheme_and_bad_url_are_rejected_without_io() {
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("fw.bin");
    let cfg = TransferConfig::default();
    let err = download(
        "gopher://example.com/fw.bin",
        &dest,
        &cfg,
        &mut no_progress(),
    )
    .await
    .unwrap_err();
    assert_eq!(err, TransferError::UnsupportedScheme("gopher".into()));
    let err = upload("sftp://u:pw@h/dir", &dest, "f", &cfg, &mut no_progress())
        .await
        .unwrap_err();
    assert_eq!(err, TransferError::UnsupportedScheme("sftp".into()));

    for garbage in [
        "",
        "not a url",
        "http://",
        "ftp://u:topsecret@[::1/x",
        "://x",
    ] {
        let err = download(garbage, &dest, &cfg, &mut no_progress())
            .await
            .unwrap_err();
        assert!(
            matches!(err, TransferError::BadUrl(_)),
            "{garbage:?}: {err:?}"
        );
        assert!(!err.to_string().contains("topsecret"), "{err}");
    }
    assert!(listing(out.path()).is_empty());
}

#[test]
fn supported_protocols_key_value() {
    assert_eq!(SUPPORTED_PROTOCOLS, "HTTP,HTTPS,FTP,FTPS");
}

fn assert_no_password(err: &TransferError) {
    let text = format!("{err} {err:?}");
    assert!(!text.contains(common::PASSWORD), "{text}");
    assert!(!text.contains(common::PASSWORD_IN_URL), "{text}");
    assert!(text.contains(common::USER) || !text.contains('@'), "{text}");
}
