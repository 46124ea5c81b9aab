//! `chargepoint bench`: round trips of Central-System requests answered by a station over
//! loopback, and the station process's memory. The station runs as its own process
//! (`chargepoint run`) so its memory is measured alone.

use anyhow::{bail, Context};
use csms::{CentralSystem, CsmsConfig};
use ocpp::{CiString, GetConfigurationRequest};
use std::time::{Duration, Instant};

const STATION_ID: &str = "BENCH-CP";

pub struct BenchReport {
    pub requests: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub peak_rss_kib: Option<u64>,
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
    Ok(())
}

pub async fn measure(requests: usize) -> anyhow::Result<BenchReport> {
    let csms = CentralSystem::start(CsmsConfig::default()).await?;
    let data = tempfile::tempdir()?;
    let exe = std::env::current_exe().context("cannot find the chargepoint binary")?;
    let mut child = tokio::process::Command::new(exe)
        .args(["run", "--id", STATION_ID, "--csms-url"])
        .arg(csms.base_url())
        .arg("--data-dir")
        .arg(data.path())
        .args(["--log", "warn"])
        .kill_on_drop(true)
        .spawn()
        .context("cannot start the station process")?;
    let result = time_requests(&csms, requests).await;
    let peak_rss_kib = child.id().and_then(peak_rss_kib);
    let _ = child.kill().await;
    csms.shutdown().await;
    let mut samples = result?;
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1];
    Ok(BenchReport {
        requests,
        p50: at(0.50),
        p99: at(0.99),
        max: at(1.0),
        peak_rss_kib,
    })
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

/// VmHWM (peak resident set) of a process, from /proc.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
