//! `chargepoint bench`: round trips of Central-System requests answered by a station over
//! loopback, the station process's memory, and how long remote starts and stops take to
//! become StartTransaction / StopTransaction requests. The station runs as its own process
//! (`chargepoint run`) so its memory is measured alone. Also a firmware-sized download
//! (100 MiB over http on loopback, through the station's transfer code) in this process:
//! its throughput and how much the process's peak memory grows while it runs.

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use csms::{CentralSystem, CsmsConfig, CsmsEvent, Direction, Events};
use ocpp::{
    ChargingProfile, ChargingProfileKindType, ChargingProfilePurposeType, ChargingProfileStatus,
    ChargingRateUnitType, ChargingSchedule, ChargingSchedulePeriod, ClearChargingProfileRequest,
    GetCompositeScheduleRequest, GetCompositeScheduleStatus, SetChargingProfileRequest,
};
use ocpp::{
    CiString, Frame, GetConfigurationRequest, IdToken, MessageTrigger, RemoteStartStopStatus,
    RemoteStartTransactionRequest, RemoteStopTransactionRequest, TriggerMessageRequest,
    TriggerMessageStatus,
};
use std::time::{Duration, Instant};

const STATION_ID: &str = "BENCH-CP";
/// Remote start and stop sessions timed.
const REMOTE_SESSIONS: usize = 20;
/// TriggerMessage requests timed, per requested message.
const TRIGGERS: usize = 50;
/// GetCompositeSchedule requests timed, over `COMPOSITE_PROFILES` profiles of
/// `COMPOSITE_PERIODS` periods each.
const COMPOSITE_CALLS: usize = 200;
const COMPOSITE_PROFILES: i32 = 10;
const COMPOSITE_PERIODS: i32 = 12;
/// How long one step of a remote session may take before the bench gives up.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// The size of the downloaded file.
const DOWNLOAD_BYTES: u64 = 100 * 1024 * 1024;

pub struct BenchReport {
    pub requests: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub peak_rss_kib: Option<u64>,
    /// RemoteStartTransaction.req sent to StartTransaction.req received (EV plugged in
    /// first, AuthorizeRemoteTxRequests true: an Authorize in between).
    pub remote_start: Latency,
    /// RemoteStopTransaction.req sent to StopTransaction.req received.
    pub remote_stop: Latency,
    /// TriggerMessage.req sent to the triggered StatusNotification.req received.
    pub trigger_status: Latency,
    /// TriggerMessage.req sent to the triggered MeterValues.req received.
    pub trigger_meter_values: Latency,
    /// GetCompositeSchedule round trip over 10 TxDefaultProfiles x 12 periods.
    pub composite: Latency,
    /// A 100 MiB firmware download over http on loopback.
    pub download: DownloadReport,
}

/// A download through `transfer::download` from a server in this process.
#[derive(Debug, Clone, Copy)]
pub struct DownloadReport {
    pub bytes: u64,
    pub elapsed: Duration,
    /// The process's resident memory before the download (VmRSS), KiB.
    pub rss_before_kib: Option<u64>,
    /// The process's peak resident memory during the download (VmHWM, reset before it
    /// started where the kernel allows), KiB.
    pub peak_kib: Option<u64>,
    /// Whether the peak was reset before the download (else it may predate it).
    pub peak_reset: bool,
}

impl DownloadReport {
    pub fn mib_per_s(&self) -> f64 {
        self.bytes as f64 / 1024.0 / 1024.0 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// How far the peak rose above the memory in use before, KiB.
    pub fn peak_growth_kib(&self) -> Option<u64> {
        Some(self.peak_kib?.saturating_sub(self.rss_before_kib?))
    }
}

/// A latency measured over `samples` repetitions.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    pub samples: usize,
    pub p50: Duration,
    pub max: Duration,
}

impl Latency {
    fn of(mut samples: Vec<Duration>) -> Latency {
        samples.sort();
        Latency {
            samples: samples.len(),
            p50: quantile(&samples, 0.5),
            max: quantile(&samples, 1.0),
        }
    }
}

/// The `q` quantile of sorted, non-empty `samples` (nearest rank).
fn quantile(samples: &[Duration], q: f64) -> Duration {
    let rank = (samples.len() as f64 * q).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

pub async fn run(requests: usize) -> anyhow::Result<()> {
    if requests == 0 {
        bail!("--requests must be at least 1");
    }
    let report = measure(requests).await?;
    println!(
        "Request round trip over loopback (GetConfiguration, {} requests)",
        report.requests
    );
    println!("  p50  {:>9.3} ms", ms(report.p50));
    println!("  p99  {:>9.3} ms", ms(report.p99));
    println!("  max  {:>9.3} ms", ms(report.max));
    match report.peak_rss_kib {
        Some(kib) => println!("Station process peak RSS  {:.1} MiB", kib as f64 / 1024.0),
        None => println!("Station process peak RSS  unavailable on this platform"),
    }
    println!(
        "RemoteStartTransaction.req to StartTransaction.req (EV plugged in first, {} sessions)",
        report.remote_start.samples
    );
    println!("  p50  {:>9.3} ms", ms(report.remote_start.p50));
    println!(
        "  max  {:>9.3} ms   (reference product: 7.16 s)",
        ms(report.remote_start.max)
    );
    println!(
        "RemoteStopTransaction.req to StopTransaction.req ({} sessions)",
        report.remote_stop.samples
    );
    println!("  p50  {:>9.3} ms", ms(report.remote_stop.p50));
    println!(
        "  max  {:>9.3} ms   (reference product: 11.21 s)",
        ms(report.remote_stop.max)
    );
    for (what, latency) in [
        ("StatusNotification", report.trigger_status),
        ("MeterValues", report.trigger_meter_values),
    ] {
        println!(
            "TriggerMessage.req to the triggered {what}.req ({} requests, connector 1)",
            latency.samples
        );
        println!("  p50  {:>9.3} ms", ms(latency.p50));
        println!(
            "  max  {:>9.3} ms   (reference product, triggered function: 0.85 s average, 1.42 s max)",
            ms(latency.max)
        );
    }
    println!(
        "GetCompositeSchedule round trip ({} requests, {COMPOSITE_PROFILES} profiles x \
         {COMPOSITE_PERIODS} periods, connector 1, 24 h in W)",
        report.composite.samples
    );
    println!("  p50  {:>9.0} us", us(report.composite.p50));
    println!("  max  {:>9.0} us", us(report.composite.max));
    let d = report.download;
    println!(
        "Firmware download over http on loopback ({} MiB, streamed to disk by transfer::download)",
        d.bytes / 1024 / 1024
    );
    println!(
        "  throughput  {:>9.1} MiB/s ({:.2} s)",
        d.mib_per_s(),
        d.elapsed.as_secs_f64()
    );
    match (d.peak_growth_kib(), d.rss_before_kib, d.peak_kib) {
        (Some(growth), Some(before), Some(peak)) => println!(
            "  peak RSS growth  {:.1} MiB (VmRSS before {:.1} MiB, VmHWM during {:.1} MiB{}; \
             the server runs in the same process)",
            growth as f64 / 1024.0,
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            if d.peak_reset {
                ""
            } else {
                ", peak not resettable: may predate the download"
            }
        ),
        _ => println!("  peak RSS growth  unavailable on this platform"),
    }
    Ok(())
}

/// Download `bytes` over http on loopback from a server in this process into a temporary
/// file, through the station's transfer code; time it and watch this process's memory.
pub async fn measure_download(bytes: u64) -> anyhow::Result<DownloadReport> {
    use axum::body::{Body, Bytes};
    use futures_util::StreamExt;
    const CHUNK: usize = 256 * 1024;
    static DATA: [u8; CHUNK] = [0x5a; CHUNK];
    let app = axum::Router::new().route(
        "/firmware.bin",
        axum::routing::get(move || async move {
            let chunks = bytes.div_ceil(CHUNK as u64);
            let body = futures_util::stream::iter(0..chunks).map(move |i| {
                let len = (bytes - i * CHUNK as u64).min(CHUNK as u64) as usize;
                Ok::<_, std::io::Error>(Bytes::from_static(&DATA[..len]))
            });
            axum::response::Response::builder()
                .header(axum::http::header::CONTENT_LENGTH, bytes)
                .body(Body::from_stream(body))
                .map_err(|e| e.to_string())
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/firmware.bin", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir()?;
    let dest = dir.path().join("firmware.bin");
    let cfg = transfer::TransferConfig {
        system_roots: false,
        ..transfer::TransferConfig::default()
    };
    // The peak (VmHWM) starts again from the present use: "5" to clear_refs (Linux).
    let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let rss_before_kib = own_status_kib("VmRSS:");
    let started = Instant::now();
    let result = transfer::download(&url, &dest, &cfg, &mut |_| {}).await;
    let elapsed = started.elapsed();
    let peak_kib = own_status_kib("VmHWM:");
    server.abort();
    let got = result.map_err(|e| anyhow::anyhow!("the download failed: {e}"))?;
    if got != bytes || std::fs::metadata(&dest)?.len() != bytes {
        bail!("downloaded {got} bytes, expected {bytes}");
    }
    Ok(DownloadReport {
        bytes,
        elapsed,
        rss_before_kib,
        peak_kib,
        peak_reset,
    })
}

/// A `Vm...:` line of this process's /proc status, KiB.
fn own_status_kib(field: &str) -> Option<u64> {
    crate::procfs::status_kib(None, field)
}

pub async fn measure(requests: usize) -> anyhow::Result<BenchReport> {
    // First, while the process is small and quiet.
    let download = measure_download(DOWNLOAD_BYTES).await?;
    let csms = CentralSystem::start(CsmsConfig::default()).await?;
    let data = tempfile::tempdir()?;
    let exe = std::env::current_exe().context("cannot find the chargepoint binary")?;
    let control = free_port().context("cannot find a free port for the control API")?;
    let mut child = tokio::process::Command::new(exe)
        .args(["run", "--id", STATION_ID, "--csms-url"])
        .arg(csms.base_url())
        .arg("--data-dir")
        .arg(data.path())
        .arg("--control")
        .arg(format!("127.0.0.1:{control}"))
        .args(["--log", "warn"])
        .kill_on_drop(true)
        .spawn()
        .context("cannot start the station process")?;
    let result = time_requests(&csms, requests).await;
    let remote = match &result {
        Ok(_) => time_remote_sessions(&csms, control, REMOTE_SESSIONS).await,
        Err(_) => Ok((Vec::new(), Vec::new())),
    };
    let triggers = match &remote {
        Ok(_) => time_triggers(&csms, TRIGGERS).await,
        Err(_) => Ok((Vec::new(), Vec::new())),
    };
    let composite = match &triggers {
        Ok(_) => time_composite_schedules(&csms, COMPOSITE_CALLS).await,
        Err(_) => Ok(Vec::new()),
    };
    let peak_rss_kib = child.id().and_then(peak_rss_kib);
    let _ = child.kill().await;
    csms.shutdown().await;
    let mut samples = result?;
    let (starts, stops) = remote?;
    let (trigger_status, trigger_meter_values) = triggers?;
    let composite = composite?;
    samples.sort();
    Ok(BenchReport {
        requests,
        p50: quantile(&samples, 0.50),
        p99: quantile(&samples, 0.99),
        max: quantile(&samples, 1.0),
        peak_rss_kib,
        remote_start: Latency::of(starts),
        remote_stop: Latency::of(stops),
        trigger_status: Latency::of(trigger_status),
        trigger_meter_values: Latency::of(trigger_meter_values),
        composite: Latency::of(composite),
        download,
    })
}

/// A loopback port nobody listens on right now.
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Plug an EV in at connector 1 through the control API, then `sessions` times: a remote
/// start (timed to its StartTransaction.req) and a remote stop (timed to its
/// StopTransaction.req), both measured at the Central System. The EV stays plugged in.
async fn time_remote_sessions(
    csms: &CentralSystem,
    control: u16,
    sessions: usize,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let http = reqwest::Client::new();
    let api = format!("http://127.0.0.1:{control}/api");
    let mut plugged = false;
    for _ in 0..50 {
        match http.post(format!("{api}/connectors/1/plug")).send().await {
            Ok(r) if r.status().is_success() => {
                plugged = true;
                break;
            }
            Ok(r) => bail!("the control API refused to plug in: {}", r.status()),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    if !plugged {
        bail!("the station's control API on port {control} did not answer");
    }
    let id_tag = IdToken::new("BENCH-REMOTE").map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut events = csms.subscribe();
    let (mut starts, mut stops) = (Vec::new(), Vec::new());
    for _ in 0..sessions {
        let sent = Utc::now();
        let req = RemoteStartTransactionRequest {
            connector_id: Some(1),
            id_tag: id_tag.clone(),
            charging_profile: None,
        };
        let answer = csms
            .call(STATION_ID, req)
            .await
            .map_err(|e| anyhow::anyhow!("RemoteStartTransaction failed: {e:?}"))?;
        if answer.status != RemoteStartStopStatus::Accepted {
            bail!("the station rejected RemoteStartTransaction");
        }
        let (start_id, at) = next_call(&mut events, "StartTransaction").await?;
        starts.push(elapsed(sent, at));
        let transaction_id = transaction_id_answered(&mut events, &start_id).await?;
        wait_transaction_known(&http, &api, transaction_id).await?;

        let sent = Utc::now();
        let answer = csms
            .call(STATION_ID, RemoteStopTransactionRequest { transaction_id })
            .await
            .map_err(|e| anyhow::anyhow!("RemoteStopTransaction failed: {e:?}"))?;
        if answer.status != RemoteStartStopStatus::Accepted {
            bail!("the station rejected RemoteStopTransaction of {transaction_id}");
        }
        let (_, at) = next_call(&mut events, "StopTransaction").await?;
        stops.push(elapsed(sent, at));
    }
    Ok((starts, stops))
}

/// `repetitions` TriggerMessage requests each for StatusNotification and MeterValues of
/// connector 1, each timed from the request sent to the triggered CALL arriving at the
/// Central System (the station answers first, then sends it).
async fn time_triggers(
    csms: &CentralSystem,
    repetitions: usize,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    // Let the last remote session's StatusNotifications go by first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut events = csms.subscribe();
    let (mut statuses, mut meter_values) = (Vec::new(), Vec::new());
    for _ in 0..repetitions {
        for (message, samples) in [
            (MessageTrigger::StatusNotification, &mut statuses),
            (MessageTrigger::MeterValues, &mut meter_values),
        ] {
            let sent = Utc::now();
            let req = TriggerMessageRequest {
                requested_message: message,
                connector_id: Some(1),
            };
            let answer = csms
                .call(STATION_ID, req)
                .await
                .map_err(|e| anyhow::anyhow!("TriggerMessage failed: {e:?}"))?;
            if answer.status != TriggerMessageStatus::Accepted {
                bail!(
                    "the station answered {} to TriggerMessage {}",
                    answer.status.as_str(),
                    message.as_str()
                );
            }
            let at = triggered_call(&mut events, message).await?;
            samples.push(elapsed(sent, at));
        }
    }
    Ok((statuses, meter_values))
}

/// When the CALL a TriggerMessage for connector 1 asked for arrived (a MeterValues with
/// context Trigger, not a periodic or clock-aligned one).
async fn triggered_call(
    events: &mut Events,
    message: MessageTrigger,
) -> anyhow::Result<DateTime<Utc>> {
    let action = message.as_str();
    events
        .find(STEP_TIMEOUT, |ev| match ev {
            CsmsEvent::Frame {
                station,
                direction: Direction::Received,
                frame: Some(Frame::Call(call)),
                at,
                ..
            } if station == STATION_ID
                && call.action == action
                && call.payload["connectorId"] == 1
                && (message != MessageTrigger::MeterValues
                    || call.payload["meterValue"][0]["sampledValue"][0]["context"]
                        == "Trigger") =>
            {
                Some(at)
            }
            _ => None,
        })
        .await
        .with_context(|| format!("no triggered {action} from the station within {STEP_TIMEOUT:?}"))
}

/// The next `action` CALL from the station: its unique id and when it arrived.
async fn next_call(events: &mut Events, action: &str) -> anyhow::Result<(String, DateTime<Utc>)> {
    events
        .find(STEP_TIMEOUT, |ev| match ev {
            CsmsEvent::Frame {
                station,
                direction: Direction::Received,
                frame: Some(Frame::Call(call)),
                at,
                ..
            } if station == STATION_ID && call.action == action => Some((call.unique_id, at)),
            _ => None,
        })
        .await
        .with_context(|| format!("no {action} from the station within {STEP_TIMEOUT:?}"))
}

/// The transactionId the Central System gave in its answer to StartTransaction `unique_id`.
async fn transaction_id_answered(events: &mut Events, unique_id: &str) -> anyhow::Result<i32> {
    events
        .find(STEP_TIMEOUT, |ev| match ev {
            CsmsEvent::Frame {
                station,
                direction: Direction::Sent,
                frame: Some(Frame::CallResult(result)),
                ..
            } if station == STATION_ID && result.unique_id == unique_id => result.payload
                ["transactionId"]
                .as_i64()
                .and_then(|id| i32::try_from(id).ok()),
            _ => None,
        })
        .await
        .context("no transactionId in the answer to StartTransaction")
}

/// Wait until the station shows transaction `id` on connector 1 (it has the answer).
async fn wait_transaction_known(http: &reqwest::Client, api: &str, id: i32) -> anyhow::Result<()> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    while Instant::now() < deadline {
        let state: serde_json::Value = http
            .get(format!("{api}/state"))
            .send()
            .await?
            .json()
            .await?;
        if state["connectors"][0]["transactionId"].as_i64() == Some(i64::from(id)) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    bail!("the station did not take transaction id {id}")
}

fn elapsed(from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
    (to - from).to_std().unwrap_or_default()
}

async fn time_requests(csms: &CentralSystem, requests: usize) -> anyhow::Result<Vec<Duration>> {
    csms.wait_connected(STATION_ID, Duration::from_secs(30))
        .await
        .map_err(|e| anyhow::anyhow!("the station did not connect: {e:?}"))?;
    let key = CiString::new("HeartbeatInterval").map_err(|e| anyhow::anyhow!("{e:?}"))?;
    // Warm up: the first requests pay for lazy initialisation on both sides.
    for _ in 0..10 {
        let req = GetConfigurationRequest {
            key: Some(vec![key.clone()]),
        };
        let _ = csms.call(STATION_ID, req).await;
    }
    let mut samples = Vec::with_capacity(requests);
    for _ in 0..requests {
        let req = GetConfigurationRequest {
            key: Some(vec![key.clone()]),
        };
        let start = Instant::now();
        csms.call(STATION_ID, req)
            .await
            .map_err(|e| anyhow::anyhow!("request failed: {e:?}"))?;
        samples.push(start.elapsed());
    }
    Ok(samples)
}

/// VmHWM (peak resident set) of a process.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    crate::procfs::status_kib(Some(pid), "VmHWM:")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000_000.0
}

/// Install `COMPOSITE_PROFILES` TxDefaultProfiles on connector 1 (stack levels 0.., each of
/// `COMPOSITE_PERIODS` periods of 10 minutes, the higher levels ending earlier) over OCPP,
/// then time `calls` GetCompositeSchedule requests for 24 h of connector 1 in W; the
/// profiles are cleared afterwards.
async fn time_composite_schedules(
    csms: &CentralSystem,
    calls: usize,
) -> anyhow::Result<Vec<Duration>> {
    let start = Utc::now();
    for level in 0..COMPOSITE_PROFILES {
        let periods = (0..COMPOSITE_PERIODS)
            .map(|i| ChargingSchedulePeriod {
                start_period: i * 600,
                limit: f64::from(200 - 10 * level - i),
                number_phases: None,
            })
            .collect();
        let req = SetChargingProfileRequest {
            connector_id: 1,
            cs_charging_profiles: ChargingProfile {
                charging_profile_id: 1000 + level,
                transaction_id: None,
                stack_level: level,
                charging_profile_purpose: ChargingProfilePurposeType::TxDefaultProfile,
                charging_profile_kind: ChargingProfileKindType::Absolute,
                recurrency_kind: None,
                valid_from: None,
                valid_to: None,
                charging_schedule: ChargingSchedule {
                    duration: Some(3600 * (COMPOSITE_PROFILES - level)),
                    start_schedule: Some(start),
                    charging_rate_unit: ChargingRateUnitType::A,
                    charging_schedule_period: periods,
                    min_charging_rate: None,
                },
            },
        };
        let answer = csms
            .call(STATION_ID, req)
            .await
            .map_err(|e| anyhow::anyhow!("SetChargingProfile failed: {e:?}"))?;
        if answer.status != ChargingProfileStatus::Accepted {
            bail!(
                "the station answered {} to SetChargingProfile",
                answer.status.as_str()
            );
        }
    }
    let request = || GetCompositeScheduleRequest {
        connector_id: 1,
        duration: 86_400,
        charging_rate_unit: Some(ChargingRateUnitType::W),
    };
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let sent = Instant::now();
        let answer = csms
            .call(STATION_ID, request())
            .await
            .map_err(|e| anyhow::anyhow!("GetCompositeSchedule failed: {e:?}"))?;
        samples.push(sent.elapsed());
        if answer.status != GetCompositeScheduleStatus::Accepted {
            bail!("the station answered Rejected to GetCompositeSchedule");
        }
    }
    let clear = ClearChargingProfileRequest {
        id: None,
        connector_id: Some(1),
        charging_profile_purpose: None,
        stack_level: None,
    };
    let _ = csms.call(STATION_ID, clear).await;
    Ok(samples)
}
