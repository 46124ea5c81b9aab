//! The trait a station maker implements for real hardware.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::types::{
    ChargerInfo, ConnectorId, HalError, HardwareCommand, HardwareEvent, MeterReading,
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
}
