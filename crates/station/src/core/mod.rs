//! The Core profile, one file per behaviour.

mod authorize;
mod availability;
mod boot;
mod clear_cache;
mod configuration;
mod data_transfer;
mod hardware;
mod heartbeat;
mod incoming;
pub(crate) mod metering;
mod remote;
mod reset;
mod status;
mod transaction;
mod unlock;
