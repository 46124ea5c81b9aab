//! `chargepoint fleet`: many simulated stations in one process, each a full station of ours
//! (same core, same runner, its own identity, connection, configuration and store), sharing
//! one tokio runtime. Connections open at a ramp so a Central System is not hit by all of
//! them in the same second; each station then reconnects on its own jittered backoff.

pub mod atg;
mod control;
mod limits;
pub mod report;
pub mod status;
pub mod template;

pub use control::router;
pub use limits::raise_open_files;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hal::sim::{SimCharger, SimConfig};
use template::Template;

use crate::clock::ScaledClock;
use crate::journal::SharedDb;
use crate::runner::{Commander, MeterRegisters, RunOptions, StationHandle};

/// Default ramp: 10,000 stations within a minute.
pub const DEFAULT_RAMP_PER_S: f64 = 200.0;

#[derive(Debug, Clone)]
pub struct FleetOptions {
    pub csms_url: String,
    pub count: u32,
    /// Ids are `{id_prefix}{n:05}`, n from 1.
    pub id_prefix: String,
    /// The stations' durable state in `DIR/fleet.db` (one database, one writer); `None`:
    /// in memory.
    pub data_dir: Option<PathBuf>,
    /// New connections per second while the fleet comes up.
    pub ramp_per_s: f64,
    /// Which kind of station each number is (`--template`).
    pub groups: template::Groups,
    /// Generate sessions on every connector (`--atg`).
    pub atg: Option<atg::AtgConfig>,
    /// Run only the K-th of S disjoint slices of the `count` ids (`--shard K/S`, K from 1).
    pub shard: Option<(u32, u32)>,
}

impl FleetOptions {
    pub fn new(csms_url: impl Into<String>, count: u32) -> FleetOptions {
        FleetOptions {
            csms_url: csms_url.into(),
            count,
            id_prefix: "CP".into(),
            data_dir: None,
            ramp_per_s: DEFAULT_RAMP_PER_S,
            groups: template::Groups::default(),
            atg: None,
            shard: None,
        }
    }

    /// The id of station `n` (from 1).
    pub fn id(&self, n: u32) -> String {
        format!("{}{n:05}", self.id_prefix)
    }

    /// The station numbers this process runs: all of 1..=count, or its shard's contiguous
    /// slice of them. Numbers (hence ids and ATG plans) are those of the whole fleet, so
    /// shards never overlap and together are the fleet of one process.
    pub fn numbers(&self) -> std::ops::RangeInclusive<u32> {
        match self.shard {
            None => 1..=self.count,
            Some((k, s)) => {
                let n = u64::from(self.count);
                let first = (u64::from(k) - 1) * n / u64::from(s) + 1;
                let last = u64::from(k) * n / u64::from(s);
                first as u32..=last as u32
            }
        }
    }
}

/// Station `id`'s charger: its template's, under a serial number of its own.
fn simulator(kind: &Template, id: &str) -> SimConfig {
    let mut sim = kind.simulator.clone();
    // The meter's serial number is derived as "<serial>-M", at most 25 characters.
    if id.len() <= 23 {
        sim.serial_number = id.to_owned();
    }
    sim
}

/// The stations of a running fleet, in id order.
pub struct Fleet {
    /// The Central System's answer times, as the stations saw them.
    pub answer_times: crate::runner::AnswerTimes,
    stations: Vec<StationHandle>,
    /// The ATG's people, one per connector.
    people: Vec<tokio::task::JoinHandle<()>>,
    /// The stations' durable state (`--data-dir`).
    db: Option<SharedDb>,
}

/// A fleet's stations as the control API and the status line see them.
#[derive(Clone)]
pub struct FleetView {
    stations: Arc<Vec<(String, Commander)>>,
    answer_times: crate::runner::AnswerTimes,
    db: Option<SharedDb>,
}

impl FleetView {
    pub fn stations(&self) -> impl Iterator<Item = &(String, Commander)> {
        self.stations.iter()
    }

    pub fn station(&self, id: &str) -> Option<&Commander> {
        self.stations
            .iter()
            .find(|(sid, _)| sid == id)
            .map(|(_, c)| c)
    }

    pub fn len(&self) -> usize {
        self.stations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stations.is_empty()
    }
}

impl Fleet {
    /// Start every station, `ramp_per_s` a second; `started` hears the count so far.
    pub async fn start(opts: &FleetOptions, mut started: impl FnMut(u32)) -> anyhow::Result<Fleet> {
        let clock = ScaledClock::system();
        let gap = Duration::from_secs_f64(1.0 / opts.ramp_per_s.max(0.001));
        let mut next = tokio::time::Instant::now();
        let mut stations = Vec::with_capacity(opts.numbers().count());
        let mut people = Vec::new();
        let answer_times = crate::runner::AnswerTimes::default();
        let db = match &opts.data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    anyhow::anyhow!("cannot create data dir {}: {e}", dir.display())
                })?;
                Some(SharedDb::open(&dir.join("fleet.db"))?)
            }
            None => None,
        };
        for n in opts.numbers() {
            let id = opts.id(n);
            let mut run = RunOptions::new(id.clone(), opts.csms_url.clone());
            run.answer_times = Some(answer_times.clone());
            let store: Box<dyn store::Store> = match &db {
                Some(db) => {
                    let part = db.station(&id)?;
                    run.durability = Some(part.durability);
                    run.meters = Some(MeterRegisters::Journal(part.meters));
                    Box::new(part.store)
                }
                None => Box::new(store::MemoryStore::new()),
            };
            let kind = opts.groups.of(n);
            run.initial_keys = kind.initial_keys.clone();
            let sim = SimCharger::new(simulator(kind, &id), chrono::Utc::now());
            let station = StationHandle::start(run, sim, store, clock.clone())?;
            if let Some(cfg) = &opts.atg {
                let cfg = kind.atg.apply(cfg);
                for connector in 1..=kind.simulator.connectors {
                    let plan = atg::Plan::new(&cfg, n, connector);
                    people.push(tokio::spawn(atg::drive(
                        station.commander(),
                        connector,
                        plan,
                    )));
                }
            }
            stations.push(station);
            started(n);
            next += gap;
            tokio::time::sleep_until(next).await;
        }
        Ok(Fleet {
            answer_times,
            stations,
            people,
            db,
        })
    }

    pub fn view(&self) -> FleetView {
        FleetView {
            stations: Arc::new(
                self.stations
                    .iter()
                    .map(|s| (s.state().id, s.commander()))
                    .collect(),
            ),
            answer_times: self.answer_times.clone(),
            db: self.db.clone(),
        }
    }

    pub async fn shutdown(self) {
        for person in &self.people {
            person.abort();
        }
        futures_util::future::join_all(self.stations.into_iter().map(StationHandle::shutdown))
            .await;
        if let Some(db) = self.db {
            if let Err(e) = db.flushed().await {
                tracing::error!("the fleet database lost writes at the end: {e}");
            }
        }
    }
}

/// `chargepoint fleet`: start the fleet, serve its control API, print the status line until
/// SIGINT or SIGTERM.
pub async fn run(
    opts: FleetOptions,
    control: Option<std::net::SocketAddr>,
    report: Option<PathBuf>,
) -> anyhow::Result<()> {
    crate::settings::check_url(&opts.csms_url).map_err(anyhow::Error::msg)?;
    if opts.id_prefix.is_empty() || opts.id(opts.count).len() > 48 {
        anyhow::bail!(
            "--id-prefix {:?}: ids must be 1 to 48 characters",
            opts.id_prefix
        );
    }
    let numbers = opts.numbers();
    let here = numbers.clone().count() as u64;
    // A socket per station (the shared database is a few files; a file transfer opens
    // one only while it runs).
    raise_open_files(here + 256)?;
    println!(
        "fleet: {here} stations ({}..{}) to {}, {} a second",
        opts.id(*numbers.start()),
        opts.id(*numbers.end()),
        opts.csms_url,
        opts.ramp_per_s
    );
    let printer = status::Printer::new();
    let last = *numbers.end();
    let fleet = Fleet::start(&opts, |n| printer.starting(n, last)).await?;
    let view = fleet.view();
    if let Some(addr) = control {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen for the control API on {addr}: {e}"))?;
        let at = listener.local_addr()?;
        println!("fleet: control API on http://{at}; web panel at http://{at}/");
        let app = router(view.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("fleet control API stopped: {e}");
            }
        });
    }
    let status = tokio::spawn(status::print_every(view, Duration::from_secs(1), printer));
    crate::commands::wait_for_signal().await;
    status.abort();
    println!();
    println!("fleet: stopping {here} stations");
    let times = fleet.answer_times.clone();
    fleet.shutdown().await;
    println!("The Central System's answer times, as the stations saw them:");
    print!("{}", times.table());
    if let Some(path) = report {
        let report = report::FleetReport {
            stations: here,
            first: opts.id(*numbers.start()),
            last: opts.id(*numbers.end()),
            actions: times.figures(),
        };
        report
            .write(&path)
            .map_err(|e| anyhow::anyhow!("--report: {e}"))?;
        println!("report: {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_the_ids_into_disjoint_slices_that_cover_them() {
        let mut opts = FleetOptions::new("ws://127.0.0.1:9000/ocpp", 10);
        assert_eq!(opts.numbers(), 1..=10);
        let mut seen = Vec::new();
        for k in 1..=3 {
            opts.shard = Some((k, 3));
            seen.extend(opts.numbers());
        }
        assert_eq!(seen, (1..=10).collect::<Vec<_>>());
        opts.shard = Some((2, 3));
        assert_eq!(opts.numbers(), 4..=6);
    }
}
