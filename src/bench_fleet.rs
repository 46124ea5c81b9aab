//! `chargepoint bench fleet --count N`: the fleet against the built-in Central System, each
//! its own process on loopback (heartbeat 60 s, the ATG on), measured from outside: how
//! long until every station is booted, then over a steady window each process's resident
//! memory and CPU, and at the end the Central System's answer times as the stations saw
//! them (the fleet's `--report`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::fleet::report::FleetReport;
use crate::fleet::status::Summary;
use crate::procfs::{cpu_seconds, status_kib};

#[derive(Debug, Clone)]
pub struct FleetBenchOptions {
    pub count: u32,
    /// New connections per second while the fleet comes up.
    pub ramp: f64,
    /// Seconds of steady state measured after the boot.
    pub seconds: u64,
    pub atg_mean_arrival_min: f64,
    /// Durable stores (`fleet --data-dir`); none: in memory.
    pub data_dir: Option<PathBuf>,
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct FleetBench {
    pub count: u32,
    /// From the fleet's start to every station booted.
    pub boot: Duration,
    pub fleet_rss_kib: u64,
    /// Share of one core over the steady window.
    pub fleet_cpu: f64,
    pub csms_rss_kib: u64,
    pub csms_cpu: f64,
    /// With a durable store: the writes and commits over the steady window, and its seconds.
    pub db: Option<(u64, u64, f64)>,
    pub report: FleetReport,
}

/// A child process, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn spawn(args: &[&str]) -> anyhow::Result<Process> {
    let exe = std::env::current_exe().context("cannot find this program")?;
    let child = Command::new(exe)
        .args(["--log", "warn"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Ok(Process(child))
}

async fn summary(http: &reqwest::Client, control: &str) -> Option<Summary> {
    http.get(format!("{control}/api/fleet"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

pub async fn measure(opts: &FleetBenchOptions) -> anyhow::Result<FleetBench> {
    let work = tempfile::tempdir()?;
    let report_path = work.path().join("report.json");
    let (csms_port, control_port) = (free_port()?, free_port()?);
    let csms_listen = format!("127.0.0.1:{csms_port}");
    let csms = spawn(&[
        "csms",
        "--listen",
        &csms_listen,
        "--heartbeat-interval",
        "60",
    ])?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(&csms_listen).await.is_err() {
        if Instant::now() > deadline {
            bail!("the Central System does not listen on {csms_listen}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = format!("ws://{csms_listen}/ocpp");
    let count = opts.count.to_string();
    let ramp = opts.ramp.to_string();
    let control = format!("127.0.0.1:{control_port}");
    let mean = opts.atg_mean_arrival_min.to_string();
    let report_arg = report_path.display().to_string();
    let mut args = vec![
        "fleet",
        "--csms-url",
        &url,
        "--count",
        &count,
        "--ramp",
        &ramp,
        "--control",
        &control,
        "--report",
        &report_arg,
        "--atg",
        "--seed",
        "1",
        "--atg-mean-arrival-min",
        &mean,
    ];
    let data_dir = opts.data_dir.as_ref().map(|d| d.display().to_string());
    if let Some(dir) = &data_dir {
        args.extend(["--data-dir", dir]);
    }
    let started = Instant::now();
    let fleet = spawn(&args)?;
    let control = format!("http://{control}");
    let http = reqwest::Client::new();
    let boot_deadline = started + Duration::from_secs(60 + u64::from(opts.count) / 50);
    let mut shown = Instant::now();
    let boot = loop {
        let booted = summary(&http, &control).await.map_or(0, |s| s.booted);
        if booted == opts.count as usize {
            break started.elapsed();
        }
        if Instant::now() > boot_deadline {
            bail!(
                "{booted} of {} stations booted in {:?}",
                opts.count,
                started.elapsed()
            );
        }
        if shown.elapsed() > Duration::from_secs(5) {
            eprintln!("bench fleet: {booted} of {} booted", opts.count);
            shown = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    eprintln!(
        "bench fleet: {} booted in {:.1} s; measuring {} s of steady state",
        opts.count,
        boot.as_secs_f64(),
        opts.seconds
    );
    let (fleet_pid, csms_pid) = (fleet.0.id(), csms.0.id());
    let cpu = |pid| cpu_seconds(pid).context("no CPU time in /proc");
    let db = |s: Option<Summary>| s.and_then(|s| Some((s.db_writes?, s.db_commits?)));
    let db0 = db(summary(&http, &control).await);
    let (fleet_cpu0, csms_cpu0, t0) = (cpu(fleet_pid)?, cpu(csms_pid)?, Instant::now());
    tokio::time::sleep(Duration::from_secs(opts.seconds)).await;
    let window = t0.elapsed().as_secs_f64();
    let db = match (db0, db(summary(&http, &control).await)) {
        (Some((w0, c0)), Some((w1, c1))) => Some((w1 - w0, c1 - c0, window)),
        _ => None,
    };
    let fleet_cpu = (cpu(fleet_pid)? - fleet_cpu0) / window;
    let csms_cpu = (cpu(csms_pid)? - csms_cpu0) / window;
    let rss = |pid| status_kib(Some(pid), "VmRSS:").context("no VmRSS in /proc");
    let (fleet_rss_kib, csms_rss_kib) = (rss(fleet_pid)?, rss(csms_pid)?);
    let report = stop_for_report(fleet, &report_path).await?;
    drop(csms);
    Ok(FleetBench {
        count: opts.count,
        boot,
        fleet_rss_kib,
        fleet_cpu,
        csms_rss_kib,
        csms_cpu,
        db,
        report,
    })
}

/// SIGINT, as a person's Ctrl-C: the fleet stops its stations and writes its report.
async fn stop_for_report(mut fleet: Process, report: &Path) -> anyhow::Result<FleetReport> {
    // SAFETY: a signal to our own child, which has not been reaped (we hold it).
    unsafe { libc::kill(fleet.0.id() as libc::pid_t, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(120);
    while fleet.0.try_wait()?.is_none() {
        if Instant::now() > deadline {
            bail!("the fleet did not stop within 2 minutes of SIGINT");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    FleetReport::read(report).map_err(anyhow::Error::msg)
}

impl FleetBench {
    /// The row of the README's table, and the answer times.
    pub fn text(&self) -> String {
        let n = f64::from(self.count);
        let mut out = format!(
            "stations {}: booted in {:.1} s | fleet {:.0} KiB per station ({:.0} MiB), {:.0} % of a core | \
             Central System {:.0} KiB per connection ({:.0} MiB), {:.0} % of a core\n",
            self.count,
            self.boot.as_secs_f64(),
            self.fleet_rss_kib as f64 / n,
            self.fleet_rss_kib as f64 / 1024.0,
            self.fleet_cpu * 100.0,
            self.csms_rss_kib as f64 / n,
            self.csms_rss_kib as f64 / 1024.0,
            self.csms_cpu * 100.0,
        );
        if let Some((writes, commits, seconds)) = self.db {
            out.push_str(&format!(
                "fleet database: {writes} writes in {commits} commits over {seconds:.0} s ({:.0} writes/s, {:.1} commits/s)\n",
                writes as f64 / seconds,
                commits as f64 / seconds
            ));
        }
        out.push_str("The Central System's answer times, as the stations saw them:\n");
        out.push_str(&crate::runner::answer_table(&self.report.actions));
        out
    }
}
