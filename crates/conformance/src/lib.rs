//! `chargepoint conformance`: an open test system for OCPP 1.6-J charge points. It plays the
//! Central System for the station under test, runs the OCA charge-point test cases (named
//! after the OCTT 1.6 cases, `TC_001` ...) with the steps and expected messages of each, has
//! the physical steps done by an [`Operator`] (a simulator's control API or a person in a
//! lab), checks every frame the station sends, and writes a lab-style [`Report`].

pub mod cases;
mod check;
mod log;
pub mod operator;
pub mod profile;
pub mod report;
mod suite;
pub mod tester;

pub use operator::Operator;
pub use profile::{Profile, StationProfile};
pub use report::{Report, Verdict};
pub use suite::{run, Config, HEARTBEAT_INTERVAL};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("--operator {0:?}: expected control=http://HOST:PORT or prompt")]
    Operator(String),
    #[error("--station-profile {path}: {reason}")]
    Profile { path: String, reason: String },
    #[error("--cases: unknown case {0} (see `chargepoint conformance --list`)")]
    UnknownCase(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: String, reason: String },
    #[error("no station connected within {0:?}")]
    NoStation(std::time::Duration),
    #[error("cannot write the report: {0}")]
    Report(String),
    #[error("test PKI: {0}")]
    Pki(String),
}
