//! Enums and structs shared by the messages, split by topic.

mod authorization;
mod boot;
mod configuration;
mod connector;
mod firmware;
mod logging;
mod metering;
mod remote;
mod reservation;
mod security;
mod signed_firmware;
mod smart_charging;
mod transaction;
mod trigger;

pub use authorization::*;
pub use boot::*;
pub use configuration::*;
pub use connector::*;
pub use firmware::*;
pub use logging::*;
pub use metering::*;
pub use remote::*;
pub use reservation::*;
pub use security::*;
pub use signed_firmware::*;
pub use smart_charging::*;
pub use transaction::*;
pub use trigger::*;
