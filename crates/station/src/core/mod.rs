//! The Core profile, one file per behaviour.

mod authorize;
mod boot;
mod configuration;
mod hardware;
mod heartbeat;
mod incoming;
pub(crate) mod metering;
mod status;
mod transaction;
