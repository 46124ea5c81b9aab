//! GetDiagnostics (OCA TC_045) and GetLog (security extension, TC_079) end to end: the
//! station builds the file, uploads it to a real server on loopback (HTTP(S) or FTP(S),
//! started here) and reports Uploading, then Uploaded or the failure.
//!
//! This test process captures its log lines like the binary does (a global `tracing`
//! subscriber with a [`LogCapture`]), so the uploaded logs hold real lines. The station's
//! clock is manual: retries move only when a test advances it.

mod common;

use chargepoint::runner::LogCapture;
use common::*;
use ocpp::Call;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::OnceLock;
use std::time::Duration;
use testservers::{ftp, http, Pki, PASSWORD_IN_URL, USER};

/// The AuthorizationKey the station holds (hex of 16 bytes): it must never be uploaded.
const SECRET: [u8; 16] = *b"s3cret-auth-key!";

fn secret_hex() -> String {
    SECRET.iter().map(|b| format!("{b:02x}")).collect()
}

/// The capture every station of this process logs into (installed once).
fn capture() -> LogCapture {
    static CAPTURE: OnceLock<LogCapture> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            use tracing_subscriber::layer::SubscriberExt;
            use tracing_subscriber::util::SubscriberInitExt;
            use tracing_subscriber::Layer;
            let capture = LogCapture::default();
            let _ = tracing_subscriber::registry()
                .with(
                    capture
                        .clone()
                        .with_filter(tracing_subscriber::filter::LevelFilter::INFO),
                )
                .try_init();
            capture
        })
        .clone()
}

/// A station with an AuthorizationKey and the log capture, trusting the PKI's CA.
fn setup(pki: &Pki) -> Setup {
    let ca = pki.ca_pem.clone();
    let capture = capture();
    Setup {
        // The test PKI's certificates are valid from the real now.
        clock_start: chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0)
            .expect("a valid time"),
        ..Setup::default()
    }
    .station(move |opts, _| {
        opts.ca_pem = vec![ca];
        opts.transfer_system_roots = false;
        opts.authorization_key = Some(SECRET.to_vec());
        opts.log_capture = Some(capture);
    })
}

/// The (status, requestId) of the `action` notifications among `calls`.
fn statuses(calls: &[Call], action: &str) -> Vec<(String, Option<i64>)> {
    calls
        .iter()
        .filter(|c| c.action == action)
        .map(|c| {
            (
                c.payload["status"].as_str().unwrap_or_default().to_string(),
                c.payload["requestId"].as_i64(),
            )
        })
        .collect()
}

fn is_status(call: &Call, action: &str, status: &str) -> bool {
    call.action == action && call.payload["status"] == status
}

/// Every entry of a .tar.gz: name -> text.
fn unpack(path: &std::path::Path) -> BTreeMap<String, String> {
    let file = std::fs::File::open(path).expect("the uploaded archive");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = BTreeMap::new();
    for entry in archive.entries().expect("a tar archive") {
        let mut entry = entry.expect("an entry");
        let name = entry.path().expect("a path").display().to_string();
        let mut text = String::new();
        entry.read_to_string(&mut text).expect("a text entry");
        out.insert(name, text);
    }
    out
}

/// The upload directory of the work directory holds nothing any more.
fn assert_nothing_left(h: &Harness) {
    let left = testservers::listing(&h.work_dir().join("uploads"));
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// GetDiagnostics to `location`; the fileName answered.
async fn get_diagnostics(h: &Harness, location: &str, retries: i32) -> String {
    let answer = h
        .call(
            "GetDiagnostics",
            json!({"location": location, "retries": retries, "retryInterval": 20}),
        )
        .await;
    answer["fileName"]
        .as_str()
        .unwrap_or_else(|| panic!("GetDiagnostics answered no fileName: {answer}"))
        .to_string()
}

/// TC_045_1 over HTTP and FTP: Uploading, Uploaded; the archive arrives whole and holds the
/// manifest, the station's log, the security log and the configuration, without the
/// AuthorizationKey's value.
async fn tc_045_1_over(protocol: &str) {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "diag");
    let mut h = setup(&pki).start().await;
    h.booted().await;
    h.wait_security_log("StartupOfTheDevice").await;

    let http_server = http::start(None).await;
    let ftp_server = ftp::start(None).await;
    let location = if protocol == "http" {
        http_server.url("/upload")
    } else {
        std::fs::create_dir_all(ftp_server.path("diagnostics")).unwrap();
        format!(
            "{}/diagnostics/",
            ftp_server.base(false, Some((USER, PASSWORD_IN_URL)))
        )
    };
    let file_name = get_diagnostics(&h, &location, 1).await;
    assert!(
        file_name.starts_with("diagnostics-") && file_name.ends_with(".tar.gz"),
        "{file_name}"
    );
    let calls = h
        .calls_until(T, |c| {
            is_status(c, "DiagnosticsStatusNotification", "Uploaded")
        })
        .await;
    assert_eq!(
        statuses(&calls, "DiagnosticsStatusNotification"),
        [("Uploading".into(), None), ("Uploaded".into(), None)]
    );
    let arrived = if protocol == "http" {
        http_server.uploads.path().join(&file_name)
    } else {
        ftp_server.path(&format!("diagnostics/{file_name}"))
    };
    let entries = unpack(&arrived);
    assert_eq!(
        entries.keys().collect::<Vec<_>>(),
        [
            "configuration.json",
            "manifest.json",
            "security.log",
            "station.log"
        ]
    );
    let manifest: Value = serde_json::from_str(&entries["manifest.json"]).unwrap();
    assert_eq!(manifest["chargePointId"], ID);
    assert_eq!(manifest["firmwareVersion"], "0.1.0");
    assert_eq!(manifest["logCaptured"], true);
    assert!(
        entries["security.log"].contains("StartupOfTheDevice"),
        "{}",
        entries["security.log"]
    );
    assert!(
        entries["station.log"].contains("connected to ws://"),
        "the station's own lines: {}",
        entries["station.log"]
    );
    // GetConfiguration's view: the write-only key is listed, its value is not anywhere.
    let config: Value = serde_json::from_str(&entries["configuration.json"]).unwrap();
    let keys = config["configurationKey"].as_array().unwrap();
    let auth = keys
        .iter()
        .find(|k| k["key"] == "AuthorizationKey")
        .expect("AuthorizationKey listed");
    assert_eq!(auth.get("value"), None, "{auth}");
    assert!(keys
        .iter()
        .any(|k| k["key"] == "HeartbeatInterval" && k["value"].is_string()));
    for (name, text) in &entries {
        assert!(
            !text.to_lowercase().contains(&secret_hex()),
            "{name} holds the AuthorizationKey"
        );
    }
    assert_nothing_left(&h);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_045_1_diagnostics_upload_over_http() {
    tc_045_1_over("http").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_045_1_diagnostics_upload_over_ftp() {
    tc_045_1_over("ftp").await;
}

/// TC_045_2: the server refuses the upload (no such place: 404): one try, one retry
/// retryInterval later by the station's clock, then UploadFailed; nothing is left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_045_2_diagnostics_upload_failed() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "diag");
    let server = http::start(None).await;
    let mut h = setup(&pki).start().await;
    h.booted().await;

    get_diagnostics(&h, &server.url("/nowhere"), 1).await;
    let uploading = h.next_call("DiagnosticsStatusNotification").await;
    assert_eq!(uploading.payload["status"], "Uploading");
    let mut tries = 0;
    let failed = loop {
        let calls = h.calls_within(Duration::from_millis(200)).await;
        if let Some(c) = calls
            .iter()
            .find(|c| c.action == "DiagnosticsStatusNotification")
        {
            break c.clone();
        }
        tries += 1;
        assert!(
            tries < 100,
            "no UploadFailed; {} requests",
            server.hits("/nowhere")
        );
        h.advance(5);
    };
    assert_eq!(failed.payload["status"], "UploadFailed");
    assert_eq!(server.hits("/nowhere"), 2, "one try and one retry");
    assert_nothing_left(&h);
    h.shutdown().await;
}

/// GetLog; the answer.
async fn get_log(h: &Harness, log_type: &str, request_id: i32, location: &str) -> Value {
    h.call(
        "GetLog",
        json!({"logType": log_type, "requestId": request_id, "log": {"remoteLocation": location}}),
    )
    .await
}

/// TC_079 SecurityLog over FTPS: Uploading and Uploaded with the requestId; one line per
/// security event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_079_get_security_log() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "diag");
    let server = ftp::start(Some((pki.cert_file.as_path(), pki.key_file.as_path()))).await;
    let mut h = setup(&pki).start().await;
    h.booted().await;
    h.wait_security_log("StartupOfTheDevice").await;

    let location = format!("{}/", server.base(true, Some((USER, PASSWORD_IN_URL))));
    let answer = get_log(&h, "SecurityLog", 5, &location).await;
    assert_eq!(
        answer,
        json!({"status": "Accepted", "filename": "securitylog-5.log"})
    );
    let calls = h
        .calls_until(T, |c| is_status(c, "LogStatusNotification", "Uploaded"))
        .await;
    assert_eq!(
        statuses(&calls, "LogStatusNotification"),
        [("Uploading".into(), Some(5)), ("Uploaded".into(), Some(5))]
    );
    let text = std::fs::read_to_string(server.path("securitylog-5.log")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), h.security_log().await.len(), "{text}");
    let startup = lines
        .iter()
        .find(|l| l.contains("StartupOfTheDevice"))
        .expect("the startup event");
    let time = startup.split(' ').next().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(time).is_ok(),
        "TIME TYPE TECHINFO: {startup}"
    );
    assert_nothing_left(&h);
    h.shutdown().await;
}

/// TC_079 DiagnosticsLog over HTTPS: the station's own log lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_079_get_diagnostics_log() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "diag");
    let server = http::start(Some((pki.cert_pem.as_str(), pki.key_pem.as_str()))).await;
    let mut h = setup(&pki).start().await;
    h.booted().await;

    let answer = get_log(&h, "DiagnosticsLog", 6, &server.url("/upload")).await;
    assert_eq!(
        answer,
        json!({"status": "Accepted", "filename": "diagnosticslog-6.log"})
    );
    let calls = h
        .calls_until(T, |c| is_status(c, "LogStatusNotification", "Uploaded"))
        .await;
    assert_eq!(
        statuses(&calls, "LogStatusNotification"),
        [("Uploading".into(), Some(6)), ("Uploaded".into(), Some(6))]
    );
    let text = std::fs::read_to_string(server.uploads.path().join("diagnosticslog-6.log")).unwrap();
    assert!(text.contains("connected to ws://"), "{text}");
    assert!(
        text.contains("diagnosticslog-6.log"),
        "the request itself is logged: {text}"
    );
    assert!(!text.to_lowercase().contains(&secret_hex()));
    assert_nothing_left(&h);
    h.shutdown().await;
}

/// Without a log capture in the process the DiagnosticsLog says so in its first line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_079_diagnostics_log_without_a_capture_says_so() {
    let server = http::start(None).await;
    let mut h = Setup::default().start().await;
    h.booted().await;

    let answer = get_log(&h, "DiagnosticsLog", 7, &server.url("/upload")).await;
    assert_eq!(answer["status"], "Accepted");
    h.calls_until(T, |c| is_status(c, "LogStatusNotification", "Uploaded"))
        .await;
    let text = std::fs::read_to_string(server.uploads.path().join("diagnosticslog-7.log")).unwrap();
    assert!(
        text.lines()
            .next()
            .unwrap_or_default()
            .contains("not capture"),
        "{text}"
    );
    h.shutdown().await;
}
