//! The async shell around the sans-IO station: it owns the WebSocket, the hardware and the
//! clock, feeds the station its inputs and carries out its outputs.
//!
//! The event loop ([`event_loop`]) is generic over [`hal::Charger`]; what only the simulator
//! has (operator actions, restored meter registers, ...) is a `Simulation` beside it, the
//! simulator's in `simulator.rs`, none for a maker's charger
//! ([`StationHandle::start_charger`]).

mod answer_times;
mod connection;
mod connection_policy;
mod core;
mod event_loop;
mod file_jobs;
mod frames;
mod handle;
mod histogram;
mod log_capture;
mod meter_file;
mod operation;
mod options;
mod outputs;
mod simulation;
mod simulator;
mod state;
mod station_setup;
#[cfg(test)]
mod test_charger;
mod upload_file;

pub use answer_times::{table as answer_table, ActionFigures, AnswerTimes};
pub use frames::{FrameDirection, FrameFeed, FrameRecord};
pub use handle::{Commander, StartError, StationHandle};
pub use histogram::Histogram;
pub use log_capture::LogCapture;
pub use operation::Operation;
pub use options::{MeterRegisters, RunOptions};
pub use state::{ConnectorState, StationState};

use handle::Command;
