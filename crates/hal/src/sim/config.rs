//! Settings of the simulated charger and of the EVs plugged into it, loaded from the station's
//! TOML file section `[simulator]` (and `[simulator.ev]`). Every field has a default, so an empty
//! section gives the reference product: a 2-connector 500 kW DC CCS charger.

use serde::{Deserialize, Serialize};

use crate::types::HalError;

/// The simulated charger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Number of connectors (numbered 1..=N). Default 2.
    pub connectors: u32,
    /// Vendor reported in BootNotification (OCPP: at most 20 characters). Default "Chargepoint".
    pub vendor: String,
    /// Model reported in BootNotification (at most 20 characters). Default "SIM-DC-500".
    pub model: String,
    /// Charge point serial number (at most 25 characters). Default "SIM000001".
    pub serial_number: String,
    /// Firmware version reported in BootNotification (at most 50 characters). Default "0.1.0".
    pub firmware_version: String,
    /// Meter type reported in BootNotification (at most 25 characters). Default "SIM-DC-METER".
    pub meter_type: String,
    /// Meter serial number (at most 25 characters). Default: empty, meaning "<serial_number>-M".
    pub meter_serial_number: String,
    /// Maximum output current of each connector, in A. Default 500.
    pub max_current_a: f64,
    /// Maximum output voltage of the power modules, in V: an EV whose pack is above it cannot
    /// charge. Default 1000.
    pub max_voltage_v: f64,
    /// Maximum output power of each connector, in W. Default 250 000.
    pub max_power_w: f64,
    /// Grid connection of the whole station, in W, shared fairly by the connectors that
    /// charge at the same time. Default 500 000.
    pub station_max_power_w: f64,
    /// Ambient temperature, in °C: the cable's temperature relaxes towards it. Default 25.
    pub ambient_temperature_c: f64,
    /// The connectors have a cable retention lock that UnlockConnector releases. Default
    /// false: a fixed cable without a lock, like the reference product (AQ-2), so the
    /// station answers UnlockConnector with NotSupported.
    pub cable_lock: bool,
    /// Install only firmware images of this simulator's format (first line
    /// `chargepoint-firmware <version>`); any other file is a failed installation
    /// (InstallationFailed, TC_044_3). Default false: any image that downloaded intact
    /// installs (see [`crate::sim::SimCharger`]'s `install_firmware`).
    pub firmware_images_only: bool,
    /// The EV created on every plug.
    pub ev: EvConfig,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            connectors: 2,
            vendor: "Chargepoint".into(),
            model: "SIM-DC-500".into(),
            serial_number: "SIM000001".into(),
            firmware_version: "0.1.0".into(),
            meter_type: "SIM-DC-METER".into(),
            meter_serial_number: String::new(),
            max_current_a: 500.0,
            max_voltage_v: 1000.0,
            max_power_w: 250_000.0,
            station_max_power_w: 500_000.0,
            ambient_temperature_c: 25.0,
            cable_lock: false,
            firmware_images_only: false,
            ev: EvConfig::default(),
        }
    }
}

/// A simulated EV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvConfig {
    /// Usable battery capacity, in Wh. Default 75 000.
    pub battery_capacity_wh: f64,
    /// State of charge when plugged in, in %. Default 20.
    pub initial_soc_percent: f64,
    /// The EV suspends itself on reaching this state of charge, in %. Default 100.
    pub target_soc_percent: f64,
    /// Nominal pack voltage, in V. The open-circuit voltage follows the state of charge from
    /// 0.9x nominal at 0 % to 1.05x at 100 %. Default 400.
    pub nominal_voltage_v: f64,
    /// Most current the EV accepts (constant-current phase), in A. Above 80 % state of charge
    /// the accepted current tapers linearly down to 5 % of it at 100 %. Default 350.
    pub max_current_a: f64,
    /// Most power the EV accepts, in W. Default 150 000.
    pub max_power_w: f64,
}

impl Default for EvConfig {
    fn default() -> Self {
        EvConfig {
            battery_capacity_wh: 75_000.0,
            initial_soc_percent: 20.0,
            target_soc_percent: 100.0,
            nominal_voltage_v: 400.0,
            max_current_a: 350.0,
            max_power_w: 150_000.0,
        }
    }
}

fn positive(name: &str, v: f64) -> Result<(), HalError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(HalError::Refused(format!(
            "{name} must be a positive number, got {v}"
        )))
    }
}

fn percent(name: &str, v: f64) -> Result<(), HalError> {
    if v.is_finite() && (0.0..=100.0).contains(&v) {
        Ok(())
    } else {
        Err(HalError::Refused(format!(
            "{name} must be between 0 and 100, got {v}"
        )))
    }
}

fn max_len(name: &str, v: &str, max: usize) -> Result<(), HalError> {
    if v.chars().count() <= max {
        Ok(())
    } else {
        Err(HalError::Refused(format!(
            "{name} {v:?} is longer than the {max} characters OCPP allows"
        )))
    }
}

impl SimConfig {
    /// Check the settings make a working charger; the message names the offending field.
    /// [`crate::sim::SimCharger::new`] does not require it (it never panics), but the physics of
    /// an invalid configuration is meaningless.
    pub fn validate(&self) -> Result<(), HalError> {
        if self.connectors == 0 || self.connectors > 64 {
            return Err(HalError::Refused(format!(
                "connectors must be between 1 and 64, got {}",
                self.connectors
            )));
        }
        if self.vendor.is_empty() || self.model.is_empty() {
            return Err(HalError::Refused(
                "vendor and model must not be empty".into(),
            ));
        }
        max_len("vendor", &self.vendor, 20)?;
        max_len("model", &self.model, 20)?;
        max_len("serial_number", &self.serial_number, 25)?;
        max_len("firmware_version", &self.firmware_version, 50)?;
        max_len("meter_type", &self.meter_type, 25)?;
        max_len("meter_serial_number", &self.meter_serial_number(), 25)?;
        positive("max_current_a", self.max_current_a)?;
        positive("max_voltage_v", self.max_voltage_v)?;
        positive("max_power_w", self.max_power_w)?;
        positive("station_max_power_w", self.station_max_power_w)?;
        if !self.ambient_temperature_c.is_finite() {
            return Err(HalError::Refused(
                "ambient_temperature_c must be a number".into(),
            ));
        }
        self.ev.validate()
    }

    /// The meter serial number, derived from the charger's when not set.
    pub fn meter_serial_number(&self) -> String {
        if self.meter_serial_number.is_empty() {
            format!("{}-M", self.serial_number)
        } else {
            self.meter_serial_number.clone()
        }
    }
}

impl EvConfig {
    /// Check the EV is physically meaningful; the message names the offending field.
    pub fn validate(&self) -> Result<(), HalError> {
        positive("ev.battery_capacity_wh", self.battery_capacity_wh)?;
        percent("ev.initial_soc_percent", self.initial_soc_percent)?;
        percent("ev.target_soc_percent", self.target_soc_percent)?;
        positive("ev.nominal_voltage_v", self.nominal_voltage_v)?;
        positive("ev.max_current_a", self.max_current_a)?;
        positive("ev.max_power_w", self.max_power_w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_match_the_reference() {
        let c = SimConfig::default();
        c.validate().expect("defaults valid");
        assert_eq!(c.connectors, 2);
        assert_eq!(c.meter_serial_number(), "SIM000001-M");
    }

    #[test]
    fn invalid_fields_are_named() {
        let c = SimConfig {
            max_power_w: -1.0,
            ..SimConfig::default()
        };
        let e = c.validate().expect_err("negative power").to_string();
        assert!(e.contains("max_power_w"), "{e}");

        let mut c = SimConfig::default();
        c.ev.target_soc_percent = 120.0;
        let e = c.validate().expect_err("soc > 100").to_string();
        assert!(e.contains("target_soc_percent"), "{e}");

        let c = SimConfig {
            vendor: "a vendor name that is far too long".into(),
            ..SimConfig::default()
        };
        assert!(c.validate().is_err());
    }
}
