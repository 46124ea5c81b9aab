//! The Core profile, one file per behaviour.

pub(crate) mod auth_cache;
pub(crate) mod authorize;
mod availability;
pub(crate) mod boot;
mod configuration;
pub(crate) mod data_transfer;
pub(crate) mod hardware;
mod incoming;
pub(crate) mod metering;
mod remote;
pub(crate) mod reset;
pub(crate) mod status;
pub(crate) mod transaction;
pub(crate) mod unlock;
