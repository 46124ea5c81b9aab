//! The trait a station maker implements for real hardware.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::types::{
    ChargerInfo, ConnectorId, HalError, HardwareCommand, HardwareEvent, MeterReading, PowerLimit,
};

/// A charger with `connector_count()` connectors numbered `1..=N`.
///
/// The station core drives it: it polls for inputs, reads meters and sends commands. `now` is
/// always passed in because the core never reads a clock of its own.
pub trait Charger: Send {
    /// Identity reported in BootNotification.
    fn info(&self) -> ChargerInfo;
    /// Number of connectors; they are numbered `1..=connector_count()`.
    fn connector_count(&self) -> u32;
    /// Advance to `now` (physics for a simulator; read inputs for real hardware) and return what
    /// happened since the last call, in order.
    fn poll(&mut self, now: DateTime<Utc>) -> Vec<HardwareEvent>;
    /// The connector's meter as of the last `poll`/`command`; `None` for an unknown connector.
    fn meter(&self, connector: ConnectorId) -> Option<MeterReading>;
    /// Carry out a command; Err for an unknown connector or a hardware refusal.
    fn command(&mut self, cmd: HardwareCommand, now: DateTime<Utc>) -> Result<(), HalError>;
    /// Whether the connectors have a cable retention lock that [`HardwareCommand::Unlock`]
    /// releases. Without one (a fixed cable, like the reference product: AQ-2) the station
    /// answers UnlockConnector with `NotSupported` and never sends the command.
    fn has_cable_lock(&self) -> bool {
        false
    }
    /// Install the firmware image at `image` (downloaded, and for a signed update verified,
    /// by the drivers) and return the new firmware version, which [`Charger::info`] reports
    /// from then on. The drivers restart the station afterwards, so that its next
    /// BootNotification carries the new version. Err: the image was refused or the
    /// installation failed, and the running firmware stays. The default: not supported.
    fn install_firmware(&mut self, image: &Path) -> Result<String, HalError> {
        let _ = image;
        Err(HalError::NotSupported(
            "this charger cannot install firmware".into(),
        ))
    }

    /// A hard reset (OCPP Reset Hard): the drivers call it before they restart the station,
    /// which starts with every connector idle. The default opens every contactor and lifts
    /// every power limit through [`Charger::command`], refusals ignored; hardware that
    /// reboots itself does that instead. What is physical stays: a plugged cable, an active
    /// fault, the meter registers.
    fn hard_reset(&mut self, now: DateTime<Utc>) {
        for connector in 1..=self.connector_count() {
            let _ = self.command(HardwareCommand::DeEnergize { connector }, now);
            let limit = PowerLimit::NONE;
            let _ = self.command(HardwareCommand::SetLimit { connector, limit }, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two connectors that take every command and remember it.
    struct Recorder(Vec<HardwareCommand>);

    impl Charger for Recorder {
        fn info(&self) -> ChargerInfo {
            ChargerInfo {
                vendor: "V".into(),
                model: "M".into(),
                serial_number: String::new(),
                firmware_version: "1".into(),
                meter_type: String::new(),
                meter_serial_number: String::new(),
            }
        }
        fn connector_count(&self) -> u32 {
            2
        }
        fn poll(&mut self, _now: DateTime<Utc>) -> Vec<HardwareEvent> {
            Vec::new()
        }
        fn meter(&self, _connector: ConnectorId) -> Option<MeterReading> {
            None
        }
        fn command(&mut self, cmd: HardwareCommand, _now: DateTime<Utc>) -> Result<(), HalError> {
            self.0.push(cmd);
            Ok(())
        }
    }

    #[test]
    fn a_hard_reset_opens_every_contactor_and_lifts_every_limit_by_default() {
        let mut charger = Recorder(Vec::new());
        charger.hard_reset(Utc::now());
        let limit = PowerLimit::NONE;
        assert_eq!(
            charger.0,
            vec![
                HardwareCommand::DeEnergize { connector: 1 },
                HardwareCommand::SetLimit {
                    connector: 1,
                    limit
                },
                HardwareCommand::DeEnergize { connector: 2 },
                HardwareCommand::SetLimit {
                    connector: 2,
                    limit
                },
            ]
        );
    }
}
