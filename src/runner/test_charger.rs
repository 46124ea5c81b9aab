//! A charger for the runner's unit tests: no simulator, every command taken, firmware images
//! of the simulator's format installed.

use chrono::{DateTime, Utc};
use hal::{
    Charger, ChargerInfo, ConnectorId, HalError, HardwareCommand, HardwareEvent, MeterReading,
};
use std::path::Path;

pub(crate) struct TestCharger {
    pub connectors: u32,
    pub firmware_version: String,
}

impl TestCharger {
    pub(crate) fn new(connectors: u32) -> TestCharger {
        TestCharger {
            connectors,
            firmware_version: "1.0".into(),
        }
    }
}

impl Charger for TestCharger {
    fn info(&self) -> ChargerInfo {
        ChargerInfo {
            vendor: "Test".into(),
            model: "T1".into(),
            serial_number: "1".into(),
            firmware_version: self.firmware_version.clone(),
            meter_type: "M".into(),
            meter_serial_number: "2".into(),
        }
    }
    fn connector_count(&self) -> u32 {
        self.connectors
    }
    fn poll(&mut self, _now: DateTime<Utc>) -> Vec<HardwareEvent> {
        Vec::new()
    }
    fn meter(&self, _connector: ConnectorId) -> Option<MeterReading> {
        None
    }
    fn command(&mut self, _cmd: HardwareCommand, _now: DateTime<Utc>) -> Result<(), HalError> {
        Ok(())
    }
    fn install_firmware(&mut self, image: &Path) -> Result<String, HalError> {
        self.firmware_version = hal::sim::firmware_image_version(image)?;
        Ok(self.firmware_version.clone())
    }
}
