//! Hardware abstraction for a DC charge point: the traits a station maker implements for real
//! hardware, and a realistic simulator of a DC CCS charger and the EVs plugged into it.
//!
//! Nothing here reads a clock: time is always passed in, so tests can simulate hours of
//! charging in milliseconds and the station core stays deterministic. The only IO is
//! [`Charger::install_firmware`], which reads the firmware image the drivers downloaded.

mod charger;
mod error_code;
pub mod sim;
mod types;

pub use charger::Charger;
pub use error_code::{is_fault_error_code, CHARGE_POINT_ERROR_CODES};
pub use types::{
    ChargerInfo, ConnectorId, ConnectorSnapshot, HalError, HardwareCommand, HardwareEvent,
    MeterReading, PowerLimit,
};
