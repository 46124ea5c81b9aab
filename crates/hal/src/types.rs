//! Data exchanged between the station core and the hardware.

use serde::{Deserialize, Serialize};

/// A connector number, `1..=N` (OCPP's connector 0, the whole charge point, is not a connector).
pub type ConnectorId = u32;

/// Something that happened at the hardware, reported by [`crate::Charger::poll`] in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HardwareEvent {
    CablePlugged {
        connector: ConnectorId,
    },
    CableUnplugged {
        connector: ConnectorId,
    },
    /// A card presented at the reader after the driver selected this connector (the reference
    /// enforces EVSE selection first).
    CardPresented {
        connector: ConnectorId,
        id_tag: String,
    },
    StopButton {
        connector: ConnectorId,
    },
    /// The EV paused (true) or resumed (false) charging by itself, e.g. battery full or user action.
    EvSuspended {
        connector: ConnectorId,
        suspended: bool,
    },
    /// error_code is an OCPP ChargePointErrorCode name, e.g. "HighTemperature".
    Fault {
        connector: ConnectorId,
        error_code: String,
        active: bool,
    },
}

/// A cap on what a connector may deliver; `None` = no limit beyond the hardware.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PowerLimit {
    pub max_current_a: Option<f64>,
    pub max_power_w: Option<f64>,
}

impl PowerLimit {
    /// No limit beyond the hardware.
    pub const NONE: PowerLimit = PowerLimit {
        max_current_a: None,
        max_power_w: None,
    };
}

/// What the station core asks the hardware to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HardwareCommand {
    /// Close the contactor: the power module may deliver.
    Energize { connector: ConnectorId },
    /// Open the contactor.
    DeEnergize { connector: ConnectorId },
    SetLimit {
        connector: ConnectorId,
        limit: PowerLimit,
    },
    /// Release the cable retention lock. Only sent to hardware that has one
    /// ([`crate::Charger::has_cable_lock`]); an Err means the lock did not open.
    Unlock { connector: ConnectorId },
}

impl HardwareCommand {
    /// The connector the command addresses.
    pub fn connector(&self) -> ConnectorId {
        match self {
            HardwareCommand::Energize { connector }
            | HardwareCommand::DeEnergize { connector }
            | HardwareCommand::SetLimit { connector, .. }
            | HardwareCommand::Unlock { connector } => *connector,
        }
    }
}

/// One sample of a connector's meter, in the units of the OCPP measurands it feeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeterReading {
    /// Energy.Active.Import.Register: cumulative and monotonic over the meter's life.
    pub energy_wh: f64,
    /// Power.Active.Import.
    pub power_w: f64,
    /// Current.Import.
    pub current_a: f64,
    /// Voltage (DC).
    pub voltage_v: f64,
    /// Current.Offered: max current the charger offers now (hardware max capped by limit).
    pub current_offered_a: f64,
    /// Power.Offered.
    pub power_offered_w: f64,
    /// SoC, Some only while an EV is connected.
    pub soc_percent: Option<f64>,
    /// Temperature of the connector/cable.
    pub temperature_c: f64,
}

/// Identity of the charger, reported in BootNotification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChargerInfo {
    pub vendor: String,
    pub model: String,
    pub serial_number: String,
    pub firmware_version: String,
    pub meter_type: String,
    pub meter_serial_number: String,
}

/// The full state of a simulated connector, for the control API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorSnapshot {
    pub plugged: bool,
    pub energized: bool,
    pub ev_suspended: bool,
    /// The most recently raised fault still active, as an OCPP ChargePointErrorCode name.
    pub fault: Option<String>,
    pub meter: MeterReading,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HalError {
    #[error("unknown connector {0}")]
    UnknownConnector(ConnectorId),
    #[error("{0}")]
    Refused(String),
    /// The hardware cannot do this at all (e.g. install firmware).
    #[error("not supported: {0}")]
    NotSupported(String),
    /// A firmware image was refused or its installation failed; the running firmware stays.
    #[error("firmware installation failed: {0}")]
    InstallationFailed(String),
}
