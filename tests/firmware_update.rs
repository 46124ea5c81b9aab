//! Firmware Management end to end (OCA TC_044, and the security extension's TC_080/TC_081):
//! the built-in Central System asks for an update, the station downloads the image from a
//! real server on loopback (HTTP, HTTPS, FTP, FTPS, started here), checks its signature,
//! installs it on the simulator, restarts, and reports the new firmwareVersion in its
//! BootNotification before Installed.
//!
//! The station's clock is manual: retries, retrieveDate and installation waits move only
//! when a test advances it. Transfers take real (loopback) time; tests wait for their
//! results with a real-time limit and never assert on wall-clock durations.

mod common;

use base64::Engine;
use chargepoint::runner::Operation;
use chrono::{DateTime, SecondsFormat, Utc};
use common::*;
use ocpp::Call;
use serde_json::json;
use std::time::Duration;
use testservers::{ftp, http, Pki, PASSWORD_IN_URL, USER};

/// The simulator's version at start.
const OLD: &str = "0.1.0";
const NEW: &str = "2.0.0";
/// How long a whole update (download, install, restart, boot) may take in real time.
const UPDATE: Duration = Duration::from_secs(20);

/// A firmware image the simulator installs as `version`: its magic first line and a body.
fn image(version: &str) -> Vec<u8> {
    let mut data = format!("chargepoint-firmware {version}\n").into_bytes();
    data.extend(testservers::pattern(300_000));
    data
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The real time, whole seconds: the station's clock starts there so that the test PKI's
/// certificates (valid from the real now) are valid by the station's clock too.
fn real_now() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("a valid time")
}

/// Certificates valid for years around the real now.
fn validity() -> certs::pki::Validity {
    let ten_years = 10 * 365 * 86_400;
    certs::pki::Validity {
        from_secs: -ten_years,
        until_secs: ten_years,
    }
}

/// A station trusting the test PKI's CA (a provisioned CentralSystemRootCertificate) for
/// https and ftps, and not the system's roots. Its wait for answers outlasts the longest
/// clock jump of these tests (an hour), so a message in flight during a jump is not late.
fn setup(pki: &Pki) -> Setup {
    let ca = pki.ca_pem.clone();
    Setup {
        clock_start: real_now(),
        call_timeout: chrono::Duration::hours(2),
        ..Setup::default()
    }
    .station(move |opts, _| {
        opts.ca_pem = vec![ca];
        opts.transfer_system_roots = false;
    })
}

/// A running file server with `files` on it; keeps it (and its directory) alive.
enum Server {
    Http(http::HttpServer),
    Ftp(ftp::FtpServer),
}

impl Server {
    /// An HTTP(S) server (TLS with the PKI's localhost certificate), or FTP(S).
    async fn start(protocol: &str, pki: &Pki) -> Server {
        let tls = protocol.ends_with('s');
        if protocol.starts_with("http") {
            let tls = tls.then_some((pki.cert_pem.as_str(), pki.key_pem.as_str()));
            Server::Http(http::start(tls).await)
        } else {
            let tls = tls.then_some((pki.cert_file.as_path(), pki.key_file.as_path()));
            Server::Ftp(ftp::start(tls).await)
        }
    }

    /// Put `data` on the server as `name`; its download URL.
    fn put(&self, name: &str, data: &[u8]) -> String {
        match self {
            Server::Http(s) => {
                std::fs::write(s.files.path().join(name), data).expect("write the image");
                s.url(&format!("/files/{name}"))
            }
            Server::Ftp(s) => {
                std::fs::create_dir_all(s.path("fw")).expect("a firmware directory");
                std::fs::write(s.path(&format!("fw/{name}")), data).expect("write the image");
                let creds = Some((USER, PASSWORD_IN_URL));
                format!("{}/fw/{name}", s.base(s.tls, creds))
            }
        }
    }

    fn http(&self) -> &http::HttpServer {
        match self {
            Server::Http(s) => s,
            Server::Ftp(_) => panic!("not an HTTP server"),
        }
    }
}

/// UpdateFirmware from `location`, to be retrieved at `retrieve`.
async fn update(h: &Harness, location: &str, retrieve: DateTime<Utc>, retries: Option<i32>) {
    let mut req = json!({ "location": location, "retrieveDate": time(retrieve) });
    if let Some(r) = retries {
        req["retries"] = json!(r);
        req["retryInterval"] = json!(30);
    }
    let answer = h.call("UpdateFirmware", req).await;
    assert_eq!(answer, json!({}), "UpdateFirmware.conf has no fields");
}

fn is_status(call: &Call, action: &str, status: &str) -> bool {
    call.action == action && call.payload["status"] == status
}

/// The statuses of the `action` notifications among `calls`, in order.
fn statuses(calls: &[Call], action: &str) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.action == action)
        .map(|c| c.payload["status"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn position(calls: &[Call], pred: impl Fn(&Call) -> bool) -> usize {
    calls
        .iter()
        .position(pred)
        .unwrap_or_else(|| panic!("not found in {}", describe_calls(calls)))
}

/// After Installing: the station restarts, boots with the new version and then reports
/// Installed (`action`: FirmwareStatusNotification or SignedFirmwareStatusNotification).
fn assert_installed_after_boot(calls: &[Call], action: &str, version: &str) {
    let installing = position(calls, |c| is_status(c, action, "Installing"));
    let boot = position(calls, |c| c.action == "BootNotification");
    let installed = position(calls, |c| is_status(c, action, "Installed"));
    assert!(
        installing < boot && boot < installed,
        "Installing, BootNotification, Installed in that order: {}",
        describe_calls(calls)
    );
    assert_eq!(calls[boot].payload["firmwareVersion"], version);
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.action == "BootNotification")
            .count(),
        1,
        "one restart"
    );
}

/// The firmware directory holds no image or partial file any more, and the installed
/// version is kept for the next start of the process.
fn assert_clean_and_kept(h: &Harness, version: Option<&str>) {
    let work = h.work_dir();
    let left = testservers::listing(&work.join("firmware"));
    assert!(left.is_empty(), "left in the firmware directory: {left:?}");
    let kept = std::fs::read_to_string(work.join("firmware-version")).ok();
    assert_eq!(kept.as_deref().map(str::trim), version);
}

/// TC_044_1 over one protocol: Downloading, Downloaded, Installing, the restart with the
/// new firmwareVersion, Installed.
async fn tc_044_1_over(protocol: &str) {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "fw");
    let server = Server::start(protocol, &pki).await;
    let url = server.put("fw.bin", &image(NEW));
    let mut h = setup(&pki).start().await;
    let boot = h.booted().await;
    assert_eq!(boot["firmwareVersion"], OLD);

    update(&h, &url, h.now(), None).await;
    let calls = h
        .calls_until(UPDATE, |c| {
            is_status(c, "FirmwareStatusNotification", "Installed")
        })
        .await;
    assert_eq!(
        statuses(&calls, "FirmwareStatusNotification"),
        ["Downloading", "Downloaded", "Installing", "Installed"],
        "{protocol}"
    );
    // The station is Unavailable while it installs: reported before the restart.
    let reboot = position(&calls, |c| c.action == "BootNotification");
    assert!(
        calls[..reboot]
            .iter()
            .any(|c| is_status(c, "StatusNotification", "Unavailable")),
        "{protocol}: no Unavailable before the restart"
    );
    assert_installed_after_boot(&calls, "FirmwareStatusNotification", NEW);
    assert_clean_and_kept(&h, Some(NEW));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_044_1_firmware_update_over_http() {
    tc_044_1_over("http").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_044_1_firmware_update_over_https() {
    tc_044_1_over("https").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_044_1_firmware_update_over_ftp() {
    tc_044_1_over("ftp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_044_1_firmware_update_over_ftps() {
    tc_044_1_over("ftps").await;
}

/// Advance the station's clock `step` seconds at a time until the server has seen `n`
/// requests for `path`.
async fn advance_until_hits(h: &Harness, server: &http::HttpServer, path: &str, n: usize) {
    for _ in 0..60 {
        for _ in 0..20 {
            if server.hits(path) >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        h.advance(10);
    }
    panic!("{path} requested {} times, not {n}", server.hits(path));
}

/// TC_044_2: the image is not there (404): one try and two retries, retryInterval apart by
/// the station's clock, then DownloadFailed; Downloading is reported once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_044_2_download_failed_after_the_retries() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "fw");
    let server = Server::start("http", &pki).await;
    let url = format!(
        "{}/files/missing.bin",
        server.http().base(server.http().tls)
    );
    let mut h = setup(&pki).start().await;
    h.booted().await;

    let start = h.now();
    update(&h, &url, start, Some(2)).await;
    let downloading = h.next_call("FirmwareStatusNotification").await;
    assert_eq!(downloading.payload["status"], "Downloading");
    let path = "/files/missing.bin";
    advance_until_hits(&h, server.http(), path, 1).await;
    let first = h.now();
    advance_until_hits(&h, server.http(), path, 2).await;
    assert!(
        h.now() - first >= chrono::Duration::seconds(30),
        "a retry waits"
    );
    let second = h.now();
    advance_until_hits(&h, server.http(), path, 3).await;
    assert!(
        h.now() - second >= chrono::Duration::seconds(30),
        "a retry waits"
    );
    let failed = h.next_call("FirmwareStatusNotification").await;
    assert_eq!(failed.payload["status"], "DownloadFailed");

    // No more tries.
    h.advance(300);
    tokio::time::sleep(QUIET).await;
    assert_eq!(server.http().hits(path), 3, "one try and two retries");
    assert_clean_and_kept(&h, None);
    h.shutdown().await;
}

/// TC_044_3: the simulator, set to install only its own images
/// (`[simulator] firmware_images_only`), refuses an ordinary file: InstallationFailed, the
/// station is available again, no restart, the running version stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_044_3_installation_failed() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "fw");
    let server = Server::start("http", &pki).await;
    let url = server.put(
        "junk-1.0.bin",
        b"this is not a firmware image for this charger\n",
    );
    let mut station = setup(&pki);
    station.sim.firmware_images_only = true;
    let mut h = station.start().await;
    h.booted().await;

    update(&h, &url, h.now(), None).await;
    let calls = h
        .calls_until(UPDATE, |c| {
            is_status(c, "FirmwareStatusNotification", "InstallationFailed")
        })
        .await;
    assert_eq!(
        statuses(&calls, "FirmwareStatusNotification"),
        [
            "Downloading",
            "Downloaded",
            "Installing",
            "InstallationFailed"
        ]
    );
    let available = h.next_statuses(3).await;
    assert!(
        available.iter().all(|s| s["status"] == "Available"),
        "{available:?}"
    );
    assert_eq!(h.seen_count("BootNotification"), 1, "no restart");
    let trigger = h
        .call(
            "TriggerMessage",
            json!({"requestedMessage": "BootNotification"}),
        )
        .await;
    assert_eq!(trigger["status"], "Accepted");
    let boot = h.next_call("BootNotification").await;
    assert_eq!(boot.payload["firmwareVersion"], OLD);
    assert_clean_and_kept(&h, None);
    h.shutdown().await;
}

/// TC_044_1 with an ordinary file (not an image of the simulator's format): by default the
/// simulator installs any image that downloaded intact, its version taken from the file
/// name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_044_1_an_ordinary_file_installs_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "fw");
    let server = Server::start("http", &pki).await;
    let mut data = b"a vendor's firmware, not the simulator's format\n".to_vec();
    data.extend(testservers::pattern(100_000));
    let url = server.put("fw-3.1.4.bin", &data);
    let mut h = setup(&pki).start().await;
    h.booted().await;

    update(&h, &url, h.now(), None).await;
    let calls = h
        .calls_until(UPDATE, |c| {
            is_status(c, "FirmwareStatusNotification", "Installed")
        })
        .await;
    assert_eq!(
        statuses(&calls, "FirmwareStatusNotification"),
        ["Downloading", "Downloaded", "Installing", "Installed"]
    );
    assert_installed_after_boot(&calls, "FirmwareStatusNotification", "fw-3.1.4");
    assert_clean_and_kept(&h, Some("fw-3.1.4"));
    h.shutdown().await;
}

/// A new UpdateFirmware for later replaces one whose download is under way (the server
/// stalls it): the station stops that download at once, its partial image goes, and the
/// old job reports nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_update_stops_its_download() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "fw");
    let server = Server::start("http", &pki).await;
    let stalled = server.http().url("/stall");
    let mut h = setup(&pki).start().await;
    h.booted().await;

    update(&h, &stalled, h.now(), None).await;
    let downloading = h.next_call("FirmwareStatusNotification").await;
    assert_eq!(downloading.payload["status"], "Downloading");
    advance_until_hits(&h, server.http(), "/stall", 1).await;
    let firmware = h.work_dir().join("firmware");
    let partial = |firmware: &std::path::Path| {
        std::fs::read_dir(firmware)
            .into_iter()
            .flatten()
            .flatten()
            .any(|job| std::fs::read_dir(job.path()).into_iter().flatten().count() > 0)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !partial(&firmware) {
        assert!(tokio::time::Instant::now() < deadline, "no partial image");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The replacement waits an hour: nothing may download meanwhile.
    let later = h.now() + chrono::Duration::hours(1);
    update(&h, &server.put("fw.bin", &image(NEW)), later, None).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = testservers::listing(&firmware);
        if left.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the cancelled download is still there: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    h.expect_no_calls("after the replaced download").await;
    assert_eq!(
        server.http().hits("/files/fw.bin"),
        0,
        "not before its time"
    );
    h.shutdown().await;
}

/// TC_044_3's setup, AQ-4: an update requested during a transaction waits until it ends;
/// nothing is downloaded before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_044_3_update_during_a_transaction_waits_until_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "fw");
    let server = Server::start("http", &pki).await;
    let url = server.put("fw.bin", &image(NEW));
    let mut h = setup(&pki).start().await;
    h.booted().await;

    h.operate(1, Operation::Plug).await;
    h.expect_status(1, "Preparing").await;
    h.operate(
        1,
        Operation::Authorize {
            id_tag: "TAG-FW-1".into(),
        },
    )
    .await;
    h.next_call("Authorize").await;
    h.next_call("StartTransaction").await;
    h.expect_status(1, "Charging").await;
    h.wait_state("transaction id known", |s| {
        connector(s, 1).transaction_id.is_some()
    })
    .await;

    update(&h, &url, h.now(), None).await;
    let calls = h.calls_within(QUIET * 2).await;
    assert!(
        statuses(&calls, "FirmwareStatusNotification").is_empty(),
        "nothing before the transaction ends: {}",
        describe_calls(&calls)
    );
    assert_eq!(server.http().hits("/files/fw.bin"), 0, "no download yet");

    h.operate(1, Operation::Stop).await;
    let calls = h
        .calls_until(UPDATE, |c| {
            is_status(c, "FirmwareStatusNotification", "Installed")
        })
        .await;
    let stop = position(&calls, |c| c.action == "StopTransaction");
    let downloading = position(&calls, |c| {
        is_status(c, "FirmwareStatusNotification", "Downloading")
    });
    assert!(stop < downloading, "{}", describe_calls(&calls));
    assert_eq!(
        statuses(&calls, "FirmwareStatusNotification"),
        ["Downloading", "Downloaded", "Installing", "Installed"]
    );
    assert_installed_after_boot(&calls, "FirmwareStatusNotification", NEW);
    assert_eq!(server.http().hits("/files/fw.bin"), 1);
    h.shutdown().await;
}

/// TC_044_1 with retrieveDate an hour ahead: nothing until the station's clock gets there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_044_1_retrieve_date_in_the_future() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "fw");
    let server = Server::start("http", &pki).await;
    let url = server.put("fw.bin", &image(NEW));
    let mut h = setup(&pki).start().await;
    h.booted().await;

    let retrieve = h.now() + chrono::Duration::hours(1);
    update(&h, &url, retrieve, None).await;
    h.advance(3599);
    let calls = h.calls_within(QUIET * 2).await;
    assert!(
        statuses(&calls, "FirmwareStatusNotification").is_empty(),
        "{}",
        describe_calls(&calls)
    );
    assert_eq!(server.http().hits("/files/fw.bin"), 0);

    h.advance(1);
    let calls = h
        .calls_until(UPDATE, |c| {
            is_status(c, "FirmwareStatusNotification", "Installed")
        })
        .await;
    assert_eq!(
        statuses(&calls, "FirmwareStatusNotification"),
        ["Downloading", "Downloaded", "Installing", "Installed"]
    );
    assert_installed_after_boot(&calls, "FirmwareStatusNotification", NEW);
    h.shutdown().await;
}

/// A power loss in the middle of the download (the server stalls it): the restarted
/// station, on the same store, downloads again and ends Installed; it never reports
/// Installed before installing, and Downloading only once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_loss_during_the_download_downloads_again() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "fw");
    let server = Server::start("http", &pki).await;
    server.put("fw.bin", &image(NEW));
    let url = format!(
        "{}/stall-once/fw.bin",
        server.http().base(server.http().tls)
    );
    let mut h = setup(&pki).sqlite().start().await;
    h.booted().await;

    update(&h, &url, h.now(), None).await;
    let downloading = h.next_call("FirmwareStatusNotification").await;
    assert_eq!(downloading.payload["status"], "Downloading");
    advance_until_hits(&h, server.http(), "/stall-once/fw.bin", 1).await;
    // A round trip after the answer to Downloading: the station has taken that answer too
    // (frames are handled in order), so the durable queue does not send it again.
    h.get_config("HeartbeatInterval").await;

    h.restart_station().await;
    let calls = h
        .calls_until(UPDATE, |c| {
            is_status(c, "FirmwareStatusNotification", "Installed")
        })
        .await;
    assert_eq!(
        statuses(&calls, "FirmwareStatusNotification"),
        ["Downloaded", "Installing", "Installed"],
        "Downloading was reported before the power loss"
    );
    let boots: Vec<&Call> = calls
        .iter()
        .filter(|c| c.action == "BootNotification")
        .collect();
    assert_eq!(
        boots.len(),
        2,
        "the power-up and the restart after installing"
    );
    assert_eq!(boots[0].payload["firmwareVersion"], OLD);
    assert_eq!(boots[1].payload["firmwareVersion"], NEW);
    let second_boot = calls
        .iter()
        .rposition(|c| c.action == "BootNotification")
        .unwrap();
    let installed = position(&calls, |c| {
        is_status(c, "FirmwareStatusNotification", "Installed")
    });
    assert!(second_boot < installed, "{}", describe_calls(&calls));
    assert_eq!(server.http().hits("/stall-once/fw.bin"), 2);
    assert_clean_and_kept(&h, Some(NEW));
    h.shutdown().await;
}

// ---- SignedUpdateFirmware (security extension) ----

/// The manufacturer's root and its firmware signing certificate.
struct Manufacturer {
    root: certs::pki::Authority,
    signer: certs::pki::Issued,
}

fn manufacturer() -> Manufacturer {
    let root = certs::pki::Authority::new("Manufacturer root", validity()).unwrap();
    let signer = root.client("Firmware signing", validity()).unwrap();
    Manufacturer { root, signer }
}

/// A booted station with the manufacturer's root installed over OCPP.
async fn signed_station(pki: &Pki, mf: &Manufacturer) -> Harness {
    let mut h = setup(pki).start().await;
    h.booted().await;
    let answer = h
        .call(
            "InstallCertificate",
            json!({
                "certificateType": "ManufacturerRootCertificate",
                "certificate": mf.root.root.cert_pem,
            }),
        )
        .await;
    assert_eq!(answer["status"], "Accepted");
    h
}

/// SignedUpdateFirmware; the status answered.
async fn signed_update(
    h: &Harness,
    request_id: i32,
    location: &str,
    certificate: &str,
    signature: &[u8],
) -> String {
    let req = json!({
        "requestId": request_id,
        "retries": 1,
        "retryInterval": 30,
        "firmware": {
            "location": location,
            "retrieveDateTime": time(h.now()),
            "signingCertificate": certificate,
            "signature": base64::engine::general_purpose::STANDARD.encode(signature),
        },
    });
    let answer = h.call("SignedUpdateFirmware", req).await;
    answer["status"].as_str().unwrap().to_string()
}

const SIGNED: &str = "SignedFirmwareStatusNotification";

/// The (status, requestId) of the signed notifications among `calls`.
fn signed(calls: &[Call]) -> Vec<(String, i64)> {
    calls
        .iter()
        .filter(|c| c.action == SIGNED)
        .map(|c| {
            (
                c.payload["status"].as_str().unwrap_or_default().to_string(),
                c.payload["requestId"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

/// The SignedFirmwareStatusNotifications of a signed update that succeeds.
const SIGNED_SUCCESS: &[&str] = &[
    "Downloading",
    "Downloaded",
    "SignatureVerified",
    "Installing",
    "InstallRebooting",
    "Installed",
];

fn with_id(statuses: &[&str], id: i64) -> Vec<(String, i64)> {
    statuses.iter().map(|s| (s.to_string(), id)).collect()
}

/// TC_080: a signed image (RSA-SHA256 by a certificate chaining to the installed
/// ManufacturerRootCertificate) is verified, installed and reported with the requestId.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_080_signed_update_with_a_valid_signature() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "fw");
    let mf = manufacturer();
    let server = Server::start("https", &pki).await;
    let data = image(NEW);
    let url = server.put("fw.bin", &data);
    let signature = testservers::sign_sha256(&mf.signer.key_pem, &data);
    let mut h = signed_station(&pki, &mf).await;

    let status = signed_update(&h, 7, &url, &mf.signer.cert_pem, &signature).await;
    assert_eq!(status, "Accepted");
    let calls = h
        .calls_until(UPDATE, |c| is_status(c, SIGNED, "Installed"))
        .await;
    assert_eq!(signed(&calls), with_id(SIGNED_SUCCESS, 7));
    assert_installed_after_boot(&calls, SIGNED, NEW);
    assert_clean_and_kept(&h, Some(NEW));
    h.shutdown().await;
}

/// TC_081: the signature does not match the image: InvalidSignature and the security event
/// InvalidFirmwareSignature; nothing is installed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_081_signed_update_with_an_invalid_signature() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "fw");
    let mf = manufacturer();
    let server = Server::start("http", &pki).await;
    let url = server.put("fw.bin", &image(NEW));
    // A valid signature, of another image.
    let signature = testservers::sign_sha256(&mf.signer.key_pem, &image("6.6.6"));
    let mut h = signed_station(&pki, &mf).await;

    let status = signed_update(&h, 8, &url, &mf.signer.cert_pem, &signature).await;
    assert_eq!(status, "Accepted");
    let calls = h
        .calls_until(UPDATE, |c| is_status(c, SIGNED, "InvalidSignature"))
        .await;
    assert_eq!(
        signed(&calls),
        with_id(&["Downloading", "Downloaded", "InvalidSignature"], 8)
    );
    let event = h.wait_security_event("InvalidFirmwareSignature").await;
    assert!(event["techInfo"].as_str().unwrap_or_default().contains('8'));
    let calls = h.calls_within(QUIET).await;
    assert!(signed(&calls).is_empty(), "{}", describe_calls(&calls));
    assert_eq!(h.seen_count("BootNotification"), 1, "no restart");
    assert_clean_and_kept(&h, None);
    h.shutdown().await;
}

/// A signing certificate that does not chain to the installed manufacturer root:
/// InvalidCertificate and the security event InvalidFirmwareSigningCertificate; nothing is
/// downloaded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_081_signing_certificate_not_chaining_is_invalid_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "fw");
    let mf = manufacturer();
    let server = Server::start("http", &pki).await;
    let data = image(NEW);
    let url = server.put("fw.bin", &data);
    let stranger = certs::pki::Authority::new("Someone else", validity()).unwrap();
    let forged = stranger.client("Firmware signing", validity()).unwrap();
    let signature = testservers::sign_sha256(&forged.key_pem, &data);
    let mut h = signed_station(&pki, &mf).await;

    let status = signed_update(&h, 9, &url, &forged.cert_pem, &signature).await;
    assert_eq!(status, "InvalidCertificate");
    h.wait_security_event("InvalidFirmwareSigningCertificate")
        .await;
    h.advance(60);
    let calls = h.calls_within(QUIET).await;
    assert!(signed(&calls).is_empty(), "{}", describe_calls(&calls));
    assert_eq!(server.http().hits("/files/fw.bin"), 0, "nothing downloaded");
    h.shutdown().await;
}

/// A second SignedUpdateFirmware while the first downloads (a stalled server): answered
/// AcceptedCanceled; the first ends without another status, the second is installed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_080_a_second_signed_update_cancels_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "fw");
    let mf = manufacturer();
    let server = Server::start("http", &pki).await;
    let first = image(NEW);
    server.put("first.bin", &first);
    let first_url = format!(
        "{}/stall-once/first.bin",
        server.http().base(server.http().tls)
    );
    let second = image("3.0.0");
    let second_url = server.put("second.bin", &second);
    let mut h = signed_station(&pki, &mf).await;

    let sig = testservers::sign_sha256(&mf.signer.key_pem, &first);
    let status = signed_update(&h, 1, &first_url, &mf.signer.cert_pem, &sig).await;
    assert_eq!(status, "Accepted");
    let downloading = h.next_call(SIGNED).await;
    assert_eq!(
        downloading.payload,
        json!({"status": "Downloading", "requestId": 1})
    );
    advance_until_hits(&h, server.http(), "/stall-once/first.bin", 1).await;

    let sig = testservers::sign_sha256(&mf.signer.key_pem, &second);
    let status = signed_update(&h, 2, &second_url, &mf.signer.cert_pem, &sig).await;
    assert_eq!(status, "AcceptedCanceled");
    let calls = h
        .calls_until(UPDATE, |c| is_status(c, SIGNED, "Installed"))
        .await;
    assert_eq!(signed(&calls), with_id(SIGNED_SUCCESS, 2));
    assert_installed_after_boot(&calls, SIGNED, "3.0.0");
    assert_eq!(server.http().hits("/stall-once/first.bin"), 1);
    assert_clean_and_kept(&h, Some("3.0.0"));
    h.shutdown().await;
}
