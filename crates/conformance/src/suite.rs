//! A run: the Central System (ws and wss on one address, the tool's own test PKI), the
//! station's arrival, each case with its log and frame checks, the tidy-up between cases,
//! and the report.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use csms::{CentralSystem, CsmsConfig, CsmsEvent, Direction};
use ocpp::Frame;
use serde_json::json;
use tokio::time::Instant;

use crate::cases::{self, Case};
use crate::check::{schema_source, FrameCheck};
use crate::log::CaseLog;
use crate::operator::{Operator, Step};
use crate::profile::StationProfile;
use crate::report::{CaseResult, Report, Station, Verdict};
use crate::tester::{default_tags, Bench, Tester};
use crate::Error;

/// The heartbeat interval the Central System gives outside the heartbeat cases.
pub const HEARTBEAT_INTERVAL: i32 = 300;

/// The tool's root certificate, in the report directory.
pub const ROOT_CA_FILE: &str = "conformance-root-ca.pem";

/// The longest a case may take, beyond which it fails.
const CASE_LIMIT: Duration = Duration::from_secs(300);

pub struct Config {
    pub listen: SocketAddr,
    /// `None`: every case.
    pub cases: Option<Vec<String>>,
    pub profile: StationProfile,
    pub operator: Operator,
    pub report_dir: PathBuf,
    /// How long to wait for the station to connect.
    pub connect_timeout: Duration,
}

/// What the frame watcher learns across cases.
#[derive(Default)]
struct Watch {
    check: Option<FrameCheck>,
    /// Violations since the last look.
    violations: Vec<String>,
    /// Last status per connector.
    status: std::collections::BTreeMap<u32, String>,
    station: Station,
}

type Shared = Arc<Mutex<Watch>>;

fn lock(w: &Shared) -> std::sync::MutexGuard<'_, Watch> {
    w.lock().unwrap_or_else(|e| e.into_inner())
}

/// The cases `cfg.cases` names, in suite order; an unknown id is an error.
pub fn select(wanted: &Option<Vec<String>>) -> Result<Vec<Case>, Error> {
    let all = cases::all();
    let Some(wanted) = wanted else {
        return Ok(all);
    };
    let norm = |id: &str| id.trim().trim_end_matches("_CS").to_ascii_uppercase();
    for w in wanted {
        if !all.iter().any(|c| c.id == norm(w)) {
            return Err(Error::UnknownCase(w.clone()));
        }
    }
    Ok(all
        .into_iter()
        .filter(|c| wanted.iter().any(|w| norm(w) == c.id))
        .collect())
}

/// Runs the selected cases against the first station that connects; `progress` hears of
/// each case as it ends.
pub async fn run(cfg: Config, progress: &mut dyn FnMut(&str)) -> Result<Report, Error> {
    let selected = select(&cfg.cases)?;
    let pki = certs::pki::TestPki::generate("conformance-station", 30)
        .map_err(|e| Error::Pki(e.to_string()))?;
    let cs = CentralSystem::start(CsmsConfig {
        listen: cfg.listen,
        heartbeat_interval: HEARTBEAT_INTERVAL,
        authorize: default_tags(),
        // Client certificates from the tool's CA are asked for and checked when sent
        // (profile 3); a station without one authenticates with its password (profile 2).
        tls: Some(net::TlsServerConfig {
            client_ca_pem: Some(pki.ca.root.cert_pem.clone()),
            client_cert_required: false,
            ..net::TlsServerConfig::new(pki.csms.cert_pem.clone(), pki.csms.key_pem.clone())
        }),
        sniff_tls: true,
        signing_ca: Some((pki.ca.root.cert_pem.clone(), pki.ca.root.key_pem.clone())),
        ..CsmsConfig::default()
    })
    .await
    .map_err(|e| Error::Listen {
        addr: cfg.listen.to_string(),
        reason: e.to_string(),
    })?;
    let addr = cs.local_addr();
    // A station that must trust the Central System before its first wss:// connection
    // can be given the tool's root ahead (the cases also install it over OCPP).
    let root = cfg.report_dir.join(ROOT_CA_FILE);
    std::fs::create_dir_all(&cfg.report_dir)
        .and_then(|()| std::fs::write(&root, &pki.ca.root.cert_pem))
        .map_err(|e| Error::Report(format!("{}: {e}", root.display())))?;
    let schemas = wirefuzz::schemas::locate(None)
        .ok()
        .and_then(|dir| wirefuzz::schemas::Schemas::load(&dir).ok());
    progress(&format!(
        "conformance: listening; point the station at ws://{addr}/ocpp/<ID> (or wss://, same port). Frames checked with {}.",
        schema_source(&schemas)
    ));
    let watch: Shared = Arc::new(Mutex::new(Watch {
        check: Some(FrameCheck::new(schemas)),
        ..Watch::default()
    }));
    let log = CaseLog::default();
    let mut events = cs.subscribe();
    let id = events
        .find(cfg.connect_timeout, |ev| match ev {
            CsmsEvent::Connected { station } => Some(station),
            _ => None,
        })
        .await
        .ok_or(Error::NoStation(cfg.connect_timeout))?;
    progress(&format!("conformance: station {id} connected"));
    tokio::spawn(watch_frames(events, id.clone(), watch.clone(), log.clone()));

    // File URLs name our address as the station reached it, which works whatever
    // --listen was (0.0.0.0 included).
    let reached = bench_host(&cs, &id, cfg.listen);
    let files = testservers::http::start_at(cfg.listen.ip(), Some(&reached), None).await;
    let bench = Bench {
        cs,
        id: id.clone(),
        operator: cfg.operator,
        profile: cfg.profile,
        log,
        files,
        pki,
    };
    let started = Utc::now();
    // The station's boot (if it just started) and its connectors' statuses.
    settle(&bench, &watch).await;
    let mut results = Vec::new();
    for case in &selected {
        let result = run_case(&bench, &watch, case).await;
        progress(&format!(
            "{:<9} {:<14} {:>6.1} s  {}{}",
            case.id,
            result.verdict.as_str(),
            result.seconds,
            case.title,
            if result.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", result.reason)
            }
        ));
        results.push(result);
    }
    let mut station = lock(&watch).station.clone();
    station.id = id;
    let report = Report::new(station, started, results);
    report.write(&cfg.report_dir)?;
    bench.cs.shutdown().await;
    Ok(report)
}

/// The host the station reached the Central System at, for the URLs it is given.
fn bench_host(cs: &CentralSystem, id: &str, listen: SocketAddr) -> String {
    let ip = cs
        .reached_at(id)
        .map(|a| a.ip())
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(listen.ip());
    match ip {
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        v4 => v4.to_string(),
    }
}

/// Give a station that just connected time to boot, then ask for its connectors' statuses.
async fn settle(bench: &Bench, watch: &Shared) {
    let mut t = Tester::new(bench);
    let _ = t
        .expect_within(
            Duration::from_secs(5),
            "BootNotification",
            "at start",
            |_| true,
        )
        .await;
    let _ = t
        .call(
            "TriggerMessage",
            json!({ "requestedMessage": "StatusNotification" }),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    bench.log.take();
    lock(watch).violations.clear();
}

async fn run_case(bench: &Bench, watch: &Shared, case: &Case) -> CaseResult {
    let log_path = format!("cases/{}.log", case.id);
    let begin = Instant::now();
    bench.log.note(format!("{} {}", case.id, case.title));
    let (verdict, reason) = match case.applicable(&bench.profile) {
        Err(reason) => (Verdict::NotApplicable, reason),
        Ok(()) => {
            let mut t = Tester::new(bench);
            let outcome = match tokio::time::timeout(CASE_LIMIT, (case.run)(&mut t)).await {
                Ok(outcome) => outcome.map_err(|f| f.0),
                Err(_) => Err(format!("the case did not end within {CASE_LIMIT:?}")),
            };
            let tidy = tidy_up(&mut t, watch).await;
            // Let the watcher judge the last frames.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let violations = std::mem::take(&mut lock(watch).violations);
            match (outcome, violations.first(), tidy) {
                (Err(reason), _, _) => (Verdict::Failed, reason),
                (Ok(()), Some(v), _) => (Verdict::Failed, v.clone()),
                (Ok(()), None, Err(reason)) => (
                    Verdict::Failed,
                    format!("the station was not left idle: {reason}"),
                ),
                (Ok(()), None, Ok(())) => (Verdict::Passed, String::new()),
            }
        }
    };
    bench
        .log
        .note(format!("verdict: {} {reason}", verdict.as_str()));
    CaseResult {
        id: case.id.to_owned(),
        title: case.title.to_owned(),
        profile: case.profile,
        verdict,
        reason,
        seconds: begin.elapsed().as_secs_f64(),
        log: log_path,
        lines: bench.log.take(),
    }
}

/// Leave the station as the next case expects it: connected and accepted, the default
/// answers, configuration restored, no transaction running, every connector free.
async fn tidy_up(t: &mut Tester<'_>, watch: &Shared) -> Result<(), String> {
    t.note("tidying up");
    let cs = t.cs().clone();
    cs.set_boot_status(ocpp::RegistrationStatus::Accepted);
    cs.set_heartbeat_interval(HEARTBEAT_INTERVAL);
    cs.set_authorize(default_tags());
    if !cs.is_connected(&t.bench.id) {
        t.online().await.map_err(|f| f.0)?;
    }
    cs.set_accepting(true);
    for (key, value) in std::mem::take(&mut t.changed) {
        let answer = t
            .call("ChangeConfiguration", json!({ "key": key, "value": value }))
            .await
            .map_err(|f| f.0)?;
        if answer["status"] != "Accepted" && answer["status"] != "RebootRequired" {
            return Err(format!(
                "{key} could not be set back to {value:?}: {answer}"
            ));
        }
    }
    for tx in cs.transactions() {
        if tx.station == t.bench.id && !tx.is_stopped() {
            let _ = t
                .call(
                    "RemoteStopTransaction",
                    json!({ "transactionId": tx.transaction_id }),
                )
                .await;
            t.expect_within(
                Duration::from_secs(30),
                "StopTransaction",
                "of a transaction left running",
                |p| p["transactionId"] == tx.transaction_id,
            )
            .await
            .map_err(|f| f.0)?;
        }
    }
    // The watcher sees the last frames a moment after the case did.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let plugged = [
        "Preparing",
        "Charging",
        "SuspendedEV",
        "SuspendedEVSE",
        "Finishing",
    ];
    let busy: Vec<u32> = lock(watch)
        .status
        .iter()
        .filter(|(c, s)| **c > 0 && plugged.contains(&s.as_str()))
        .map(|(c, _)| *c)
        .collect();
    for connector in busy {
        let _ = t.act(Step::Unplug(connector)).await;
        let _ = t
            .expect_within(
                Duration::from_secs(10),
                "StatusNotification",
                "connector free again",
                |p| p["connectorId"] == connector && p["status"] == "Available",
            )
            .await;
    }
    Ok(())
}

/// Every frame of the station: into the current case's log, through the checks, and into
/// what the suite knows of the station.
async fn watch_frames(mut events: csms::Events, id: String, watch: Shared, log: CaseLog) {
    while let Some(ev) = events.next(Duration::from_secs(24 * 3600)).await {
        if ev.station() != id {
            continue;
        }
        let mut w = lock(&watch);
        match ev {
            CsmsEvent::Connected { .. } => {
                log.note("station connected");
                if let Some(c) = w.check.as_mut() {
                    c.reconnected();
                }
            }
            CsmsEvent::Disconnected { .. } => log.note("station disconnected"),
            CsmsEvent::Violation {
                rule,
                detail,
                frame,
                ..
            } => {
                log.note(format!("VIOLATION {rule}: {detail}"));
                w.violations.push(format!("{rule} ({detail}): {frame}"));
            }
            CsmsEvent::CertificateSigned { status, .. } => {
                log.note(format!("CertificateSigned: {status:?}"));
            }
            CsmsEvent::Frame {
                direction,
                text,
                frame,
                at,
                ..
            } => {
                log.line(at, format!("{direction} {text}"));
                let problem = w
                    .check
                    .as_mut()
                    .and_then(|c| c.frame(direction, frame.as_ref()));
                if let Some(problem) = problem {
                    log.note(format!("VIOLATION {problem}"));
                    w.violations.push(format!("{problem}: {text}"));
                }
                if let (Direction::Received, Some(Frame::Call(call))) = (direction, &frame) {
                    learn(&mut w, call);
                }
            }
        }
    }
}

fn learn(w: &mut Watch, call: &ocpp::Call) {
    let p = &call.payload;
    let text = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
    match call.action.as_str() {
        "StatusNotification" => {
            if let (Some(c), Some(s)) = (p["connectorId"].as_u64(), p["status"].as_str()) {
                w.status.insert(c as u32, s.to_owned());
            }
        }
        // The first boot tells what was tested; a firmware case boots a test image later.
        "BootNotification" if w.station.vendor.is_empty() => {
            w.station.vendor = text("chargePointVendor");
            w.station.model = text("chargePointModel");
            w.station.firmware_version = text("firmwareVersion");
        }
        _ => {}
    }
}
