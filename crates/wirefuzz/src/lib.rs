//! A stateful OCPP 1.6-J wire fuzzer that plays the Central System for any charge point.
//!
//! The station connects to `ws://ADDR/<any path>/<ID>` (subprotocol `ocpp1.6`). The fuzzer
//! answers the station's own CALLs properly (checking each against its request schema),
//! moves it through real states (transaction, firmware update, reservation), and sends it
//! frames derived from the official OCPP 1.6 JSON schemas: valid calls and their mutations
//! (missing, `null`, wrong type, out of range, too long, bad enum, extra property, wrong
//! nesting), unknown and misspelt actions, broken frames, non-UTF-8 and binary frames,
//! oversize frames and answers to calls never made. Every answer is judged against what the
//! schema expects (see [`expect`]), and the [`Report`] counts outcomes by mutation class.
//!
//! - [`schemas`]: finding and loading the schemas; [`generate`]: valid payloads;
//!   [`mutate`]: mutations; [`expect`] and [`judge`]: the expected answer and the verdict;
//!   [`plan`]: the seeded frame mix; [`session`]: one connection; `driver`/`liveness`:
//!   the run; [`report`]: `report.json` and the summary.

mod driver;
mod error;
pub mod expect;
pub mod generate;
pub mod judge;
mod liveness;
pub mod mutate;
mod operator;
pub mod plan;
pub mod report;
pub mod schemas;
pub mod session;
mod tap;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;

pub use error::FuzzError;
pub use report::Report;

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct FuzzConfig {
    pub listen: SocketAddr,
    /// Frames to send.
    pub frames: u64,
    pub seed: u64,
    /// The schema directory; `None`: OCPP_SCHEMA_DIR, else the Python `ocpp` package.
    pub schemas: Option<PathBuf>,
    /// `control=http://HOST:PORT`: plug cables through our simulator's control API.
    pub operator: Option<String>,
    /// How long an answer may take.
    pub answer_timeout: Duration,
    /// How long a disconnected station may take to come back before it counts as dead.
    pub reconnect_timeout: Duration,
    /// How long to wait for the first connection.
    pub connect_timeout: Duration,
    /// Print a progress line every few seconds.
    pub progress: bool,
}

impl FuzzConfig {
    pub fn new(listen: SocketAddr, frames: u64) -> FuzzConfig {
        FuzzConfig {
            listen,
            frames,
            seed: 0,
            schemas: None,
            operator: None,
            answer_timeout: Duration::from_secs(30),
            reconnect_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(300),
            progress: false,
        }
    }
}

/// A fuzzer listening for its station.
pub struct Fuzzer {
    cfg: FuzzConfig,
    schemas: schemas::Schemas,
    addr: SocketAddr,
    incoming: mpsc::Receiver<session::Accepted>,
    operator: Option<operator::Operator>,
}

impl Fuzzer {
    /// Loads the schemas and starts listening.
    pub async fn bind(cfg: FuzzConfig) -> Result<Fuzzer, FuzzError> {
        let dir = schemas::locate(cfg.schemas.as_deref())?;
        let schemas = schemas::Schemas::load(&dir)?;
        let operator = cfg
            .operator
            .as_deref()
            .map(operator::Operator::parse)
            .transpose()?;
        let (addr, incoming) = session::listen(cfg.listen).await?;
        Ok(Fuzzer {
            cfg,
            schemas,
            addr,
            incoming,
            operator,
        })
    }

    /// The address stations connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits for a station and fuzzes it; the station's misbehaviour is in the report.
    pub async fn run(self) -> Result<Report, FuzzError> {
        let started = chrono::Utc::now();
        let mut d = driver::Driver::new(&self.cfg, &self.schemas, self.incoming, self.operator);
        if !d.connect().await {
            return Err(FuzzError::NoStation(self.cfg.connect_timeout.as_secs()));
        }
        d.started = tokio::time::Instant::now();
        d.run().await;
        let seconds = d.started.elapsed().as_secs_f64();
        let mut report = d.report;
        report.seed = self.cfg.seed;
        report.schemas = self.schemas.dir.display().to_string();
        report.started = started.to_rfc3339();
        report.finished = chrono::Utc::now().to_rfc3339();
        report.frames_requested = self.cfg.frames;
        report.frames_sent = d.sent;
        report.seconds = seconds;
        report.frames_per_second = d.sent as f64 / seconds.max(0.001);
        report.station.vendor = d.view.vendor.clone();
        report.station.model = d.view.model.clone();
        report.station.firmware_version = d.view.firmware_version.clone();
        report.passed =
            report.violation_count == 0 && report.dead.is_none() && report.station.alive;
        Ok(report)
    }
}
