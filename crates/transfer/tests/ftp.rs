//! Transfers over ftp and explicit ftps against a real libunftp server on loopback.

mod common;

use common::{ftp, listing, no_progress, pattern, trusting, Pki, Recorder, SIZE};
use common::{PASSWORD, PASSWORD_IN_URL, USER};
use transfer::{download, upload, TransferError};

async fn download_case(tls: bool, creds: bool) {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "CP1");
    let server = ftp::start(tls.then_some((pki.cert_file.as_path(), pki.key_file.as_path()))).await;
    let data = pattern(SIZE);
    std::fs::create_dir_all(server.path("firmware/v2")).unwrap();
    std::fs::write(server.path("firmware/v2/fw.bin"), &data).unwrap();

    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("firmware.bin");
    let rec = Recorder::default();
    let url = format!(
        "{}/firmware/v2/fw.bin",
        server.base(tls, creds.then_some((USER, PASSWORD_IN_URL)))
    );
    let n = download(&url, &dest, &trusting(&pki.ca_pem), &mut rec.callback())
        .await
        .unwrap();
    assert_eq!(n, SIZE as u64);
    assert!(std::fs::read(&dest).unwrap() == data, "content differs");
    assert_eq!(listing(out.path()), vec!["firmware.bin"]);
    rec.assert_complete(SIZE as u64, Some(SIZE as u64));
}

#[tokio::test]
async fn ftp_download_with_login_is_byte_exact_with_progress() {
    download_case(false, true).await;
}

#[tokio::test]
async fn ftp_anonymous_download() {
    download_case(false, false).await;
}

#[tokio::test]
async fn ftps_download_is_byte_exact_with_progress() {
    download_case(true, true).await;
}

async fn upload_case(tls: bool) {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "CP1");
    let server = ftp::start(tls.then_some((pki.cert_file.as_path(), pki.key_file.as_path()))).await;
    std::fs::create_dir_all(server.path("diagnostics")).unwrap();
    let data = pattern(SIZE);
    let src = dir.path().join("archive.tmp");
    std::fs::write(&src, &data).unwrap();

    let rec = Recorder::default();
    let location = format!(
        "{}/diagnostics/",
        server.base(tls, Some((USER, PASSWORD_IN_URL)))
    );
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
    let arrived = std::fs::read(server.path("diagnostics/diagnostics-CP1.tar.gz")).unwrap();
    assert!(arrived == data, "uploaded content differs");
    rec.assert_complete(SIZE as u64, Some(SIZE as u64));
}

#[tokio::test]
async fn ftp_upload_stores_file_in_location_directory() {
    upload_case(false).await;
}

#[tokio::test]
async fn ftps_upload_stores_file_in_location_directory() {
    upload_case(true).await;
}

#[tokio::test]
async fn ftp_wrong_password_is_auth_error_without_the_password() {
    let server = ftp::start(None).await;
    std::fs::write(server.path("fw.bin"), b"firmware").unwrap();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("fw.bin");
    let url = format!(
        "{}/fw.bin",
        server.base(false, Some((USER, "not-the-password-42")))
    );
    let cfg = transfer::TransferConfig::default();
    let err = download(&url, &dest, &cfg, &mut no_progress())
        .await
        .unwrap_err();
    assert!(matches!(err, TransferError::Auth(_)), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("not-the-password-42"), "{text}");
    assert!(listing(out.path()).is_empty());

    let err = upload(
        &server.base(false, Some((USER, "not-the-password-42"))),
        &url_src(&out),
        "f",
        &cfg,
        &mut no_progress(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, TransferError::Auth(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("not-the-password-42"));
}

fn url_src(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let p = dir.path().join("src.txt");
    std::fs::write(&p, b"x").unwrap();
    p
}

#[tokio::test]
async fn ftp_missing_file_is_not_found_and_leaves_no_file() {
    let server = ftp::start(None).await;
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("fw.bin");
    let cfg = transfer::TransferConfig::default();
    let base = server.base(false, Some((USER, PASSWORD_IN_URL)));
    for path in ["/missing.bin", "/no-such-dir/fw.bin"] {
        let err = download(&format!("{base}{path}"), &dest, &cfg, &mut no_progress())
            .await
            .unwrap_err();
        assert!(matches!(err, TransferError::NotFound(_)), "{path}: {err:?}");
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains(PASSWORD) && !text.contains(PASSWORD_IN_URL),
            "{text}"
        );
        assert!(listing(out.path()).is_empty(), "{:?}", listing(out.path()));
    }
}

#[tokio::test]
async fn ftps_with_untrusted_certificate_is_tls_error() {
    let dir = tempfile::tempdir().unwrap();
    let trusted = Pki::new(dir.path(), "CP1");
    let other = Pki::new(dir.path(), "OTHER");
    let server = ftp::start(Some((other.cert_file.as_path(), other.key_file.as_path()))).await;
    std::fs::write(server.path("fw.bin"), b"firmware").unwrap();
    let out = tempfile::tempdir().unwrap();
    let url = format!(
        "{}/fw.bin",
        server.base(true, Some((USER, PASSWORD_IN_URL)))
    );
    let err = download(
        &url,
        &out.path().join("fw.bin"),
        &trusting(&trusted.ca_pem),
        &mut no_progress(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, TransferError::Tls(_)), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(PASSWORD) && !text.contains(PASSWORD_IN_URL),
        "{text}"
    );
    assert!(listing(out.path()).is_empty());
}

#[tokio::test]
async fn ftps_against_a_plain_only_server_fails_instead_of_falling_back() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "CP1");
    let server = ftp::start(None).await;
    std::fs::write(server.path("fw.bin"), b"firmware").unwrap();
    let out = tempfile::tempdir().unwrap();
    let url = format!(
        "{}/fw.bin",
        server.base(true, Some((USER, PASSWORD_IN_URL)))
    );
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
