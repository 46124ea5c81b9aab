//! `chargepoint demo`: the built-in Central System and a simulated station on loopback, one
//! real charging session driven through the control API, every OCPP frame printed.

use crate::clock::{Clock, ScaledClock};
use crate::frame_log;
use crate::runner::{RunOptions, StationHandle, StationState};
use anyhow::{anyhow, bail, Context};
use chrono::{DateTime, Duration, Utc};
use csms::{CentralSystem, CsmsConfig, CsmsEvent, Direction};
use hal::sim::{SimCharger, SimConfig};
use serde_json::{json, Value};
use std::sync::Arc;

const STATION_ID: &str = "DEMO-CP-01";
const CONNECTOR: u32 = 1;
/// Real-time limit for each step of the session.
const STEP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

pub struct DemoOptions {
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Simulated minutes of charging.
    pub minutes: f64,
    pub id_tag: String,
}

#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub energy_wh: i64,
    pub duration: Duration,
    pub messages: usize,
    pub transaction_id: i32,
}

pub async fn run(opts: DemoOptions) -> anyhow::Result<DemoSummary> {
    let csms = CentralSystem::start(CsmsConfig::default())
        .await
        .context("cannot start the Central System on loopback")?;
    let clock = ScaledClock::with_speed(opts.speed);
    let printer = tokio::spawn(print_frames(csms.subscribe(), clock.clone()));
    println!(
        "Central System on {}; simulated clock at {}x real time",
        csms.base_url(),
        opts.speed
    );
    // Its panel, to watch the frames and send the station a request while the demo runs.
    let check = crate::csms_panel::RequestCheck::find(None);
    let panel = crate::csms_panel::start(([127, 0, 0, 1], 0).into(), csms.clone(), check)
        .await
        .context("cannot serve the Central System panel on loopback")?;
    println!("Central System panel at http://{panel}/ (live while the demo runs)");

    let data = tempfile::tempdir().context("cannot create a data directory")?;
    let store = store::SqliteStore::open(&data.path().join("station.db"))?;
    let mut run = RunOptions::new(STATION_ID, csms.base_url());
    run.initial_keys = vec![
        ("MeterValueSampleInterval".into(), "120".into()),
        ("ClockAlignedDataInterval".into(), "0".into()),
    ];
    run.keep_frames = true;
    let sim = SimCharger::new(SimConfig::default(), clock.now());
    let station = StationHandle::start(run, sim, Box::new(store), clock.clone())?;
    let control = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let api = format!("http://{}", control.local_addr()?);
    let server = tokio::spawn(crate::control::serve(control, station.commander()));
    println!("Station panel at {api}/ (live while the demo runs)");

    let result = session(&opts, &csms, &station, clock.as_ref(), &api).await;

    station.shutdown().await;
    server.abort();
    // Let the printer show the last frames before the summary.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    printer.abort();
    csms.shutdown().await;
    let summary = result?;
    println!();
    println!("Session summary");
    println!("  transaction id     {}", summary.transaction_id);
    println!(
        "  energy delivered   {:.2} kWh",
        summary.energy_wh as f64 / 1000.0
    );
    println!(
        "  duration           {} min {} s (simulated)",
        summary.duration.num_minutes(),
        summary.duration.num_seconds() % 60
    );
    println!("  OCPP messages      {}", summary.messages);
    Ok(summary)
}

async fn session(
    opts: &DemoOptions,
    csms: &CentralSystem,
    station: &StationHandle,
    clock: &dyn Clock,
    api: &str,
) -> anyhow::Result<DemoSummary> {
    let http = reqwest::Client::new();
    station
        .wait_for(STEP_TIMEOUT, |s| {
            s.connected && s.connectors.iter().all(|c| c.status == "Available")
        })
        .await
        .map_err(|s| anyhow!("the station did not come up: {}", describe(&s)))?;
    step("the EV plugs in at connector 1");
    post(&http, api, "plug", json!({})).await?;
    step(&format!("card {} presented at connector 1", opts.id_tag));
    post(&http, api, "authorize", json!({ "idTag": opts.id_tag })).await?;
    let charging = station
        .wait_for(STEP_TIMEOUT, |s| {
            status(s) == "Charging" && tx_id(s).is_some()
        })
        .await
        .map_err(|s| anyhow!("charging did not start: {}", describe(&s)))?;
    let started = clock.now();
    let transaction_id = tx_id(&charging).unwrap_or_default();
    step(&format!("charging for {} simulated minutes", opts.minutes));
    let end = started + Duration::milliseconds((opts.minutes * 60_000.0) as i64);
    let mut next_report = started;
    while clock.now() < end {
        if clock.now() >= next_report {
            report(&station.state(), clock.now() - started);
            next_report += Duration::minutes(5);
        }
        clock.sleep_until_wall(end.min(next_report)).await;
    }
    step("stop button pressed");
    post(&http, api, "stop", json!({})).await?;
    station
        .wait_for(STEP_TIMEOUT, |s| status(s) == "Finishing")
        .await
        .map_err(|s| anyhow!("the transaction did not stop: {}", describe(&s)))?;
    step("the EV unplugs");
    post(&http, api, "unplug", json!({})).await?;
    station
        .wait_for(STEP_TIMEOUT, |s| status(s) == "Available")
        .await
        .map_err(|s| anyhow!("the connector did not become available: {}", describe(&s)))?;
    let tx = wait_stopped(csms, transaction_id).await?;
    Ok(DemoSummary {
        energy_wh: tx.1,
        duration: tx.0,
        messages: csms.frame_count(STATION_ID),
        transaction_id,
    })
}

/// Wait until the Central System has the StopTransaction; its duration and energy.
async fn wait_stopped(csms: &CentralSystem, id: i32) -> anyhow::Result<(Duration, i64)> {
    let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
    loop {
        let found = csms
            .transactions()
            .into_iter()
            .find(|t| t.transaction_id == id);
        if let Some(t) = found {
            if let (Some(stop), Some(at)) = (t.meter_stop, t.stop_time) {
                return Ok((
                    at - t.start_time,
                    i64::from(stop) - i64::from(t.meter_start),
                ));
            }
        }
        if tokio::time::Instant::now() > deadline {
            bail!("the Central System never received StopTransaction for transaction {id}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn post(http: &reqwest::Client, api: &str, verb: &str, body: Value) -> anyhow::Result<()> {
    let url = format!("{api}/api/connectors/{CONNECTOR}/{verb}");
    let resp = http
        .post(&url)
        .json(&body)
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    if !resp.status().is_success() {
        let code = resp.status();
        let text = resp.text().await.unwrap_or_default();
        bail!("POST {url}: {code} {text}");
    }
    Ok(())
}

fn status(s: &StationState) -> &str {
    s.connectors
        .iter()
        .find(|c| c.id == CONNECTOR)
        .map(|c| c.status.as_str())
        .unwrap_or("")
}

fn tx_id(s: &StationState) -> Option<i32> {
    s.connectors
        .iter()
        .find(|c| c.id == CONNECTOR)
        .and_then(|c| c.transaction_id)
}

fn describe(s: &StationState) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn step(what: &str) {
    println!("--- {what}");
}

fn report(s: &StationState, elapsed: Duration) {
    if let Some(c) = s.connectors.iter().find(|c| c.id == CONNECTOR) {
        println!(
            "    {:>3} min: {:.1} kW at {:.0} V / {:.0} A, SoC {}, meter {:.2} kWh",
            elapsed.num_minutes(),
            c.power_w / 1000.0,
            c.voltage_v,
            c.current_a,
            c.soc.map(|v| format!("{v:.0}%")).unwrap_or("-".into()),
            c.energy_wh / 1000.0
        );
    }
}

async fn print_frames(mut events: csms::Events, clock: Arc<ScaledClock>) {
    while let Some(event) = events.next(std::time::Duration::from_secs(3600)).await {
        if let CsmsEvent::Frame {
            station,
            direction,
            text,
            ..
        } = event
        {
            let arrow = match direction {
                Direction::Received => "->",
                Direction::Sent => "<-",
            };
            println!(
                "{} {station} {arrow} CSMS  {}",
                time_of_day(clock.now()),
                frame_log::summarize(&text, 110)
            );
        }
    }
}

fn time_of_day(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}
