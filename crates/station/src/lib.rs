//! The charge point as a sans-IO state machine.
//!
//! The station takes [`Input`]s (a frame received, the link going up or down, a hardware
//! event, a meter reading, time passing) together with the time `now`, and produces
//! [`Output`]s (frames to send, hardware commands) and the next moment it wants to be woken
//! ([`Station::poll_timeout`]). It never sleeps, reads a clock or opens a socket; durable
//! state goes through the [`store::Store`] trait. Drivers around it carry the outputs out.
//!
//! Modules follow the OCPP feature profiles: `core` holds the Core profile (boot,
//! heartbeat, status notifications, transactions, metering, configuration); `local_auth`,
//! `reservation` and `remote_trigger` hold theirs; `security` the security extension's
//! events, keys and ExtendedTriggerMessage; `firmware` the Firmware Management profile
//! (UpdateFirmware, GetDiagnostics) with the security extension's SignedUpdateFirmware and
//! GetLog.

pub mod config;
mod connector;
mod context;
mod core;
mod firmware;
mod io;
mod local_auth;
mod outbox;
mod remote_trigger;
mod reservation;
pub mod security;
pub mod smart_charging;
mod station;
mod time;
mod timers;

pub use crate::core::data_transfer::{DataTransferHandler, DataTransferVendors};
pub use config::{Config, ConfigError};
pub use connector::ConnectorView;
pub use io::{Input, Output, UploadContent};
pub use security::SecurityEvent;
pub use station::{BootStatus, Station, StationConfig, StationError};
pub use time::{Deadline, Monotonic, Now};
