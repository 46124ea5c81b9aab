//! What goes into the station core and what comes out of it.

use chrono::{DateTime, Utc};
use hal::{ConnectorId, HardwareCommand, HardwareEvent, MeterReading};

/// Something the drivers tell the station about the world.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The WebSocket to the Central System is open.
    Connected,
    /// The WebSocket closed or failed.
    Disconnected,
    /// A text frame from the Central System.
    Received(String),
    /// Something happened at the hardware.
    Hardware(HardwareEvent),
    /// The latest reading of a connector's meter; drivers feed it before `Tick`
    /// so that every sample the station takes is current.
    Meter {
        connector: ConnectorId,
        reading: MeterReading,
    },
    /// Time passed; the station checks its deadlines.
    Tick,
}

/// Something the station wants the drivers to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send this text frame to the Central System.
    Send(String),
    /// Carry out a hardware command.
    Hardware(HardwareCommand),
    /// The Central System told us the time; drivers may adjust their clock.
    ClockSync(DateTime<Utc>),
    /// A configuration key the drivers care about changed (e.g. WebSocketPingInterval).
    ConfigChanged { key: String, value: String },
}
