//! The station profile: the answers a test lab asks a vendor for before testing (hardware,
//! optional features, what the charger does on a power loss). It decides which cases apply.
//! The default is the reference product's (OCA certificate of the SEC1000/500U: two fixed
//! DC cables without a lock, every profile, reservation of the whole station).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Error;

/// An OCPP 1.6 feature profile (and the security extension) a case belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Profile {
    Core,
    FirmwareManagement,
    LocalAuthListManagement,
    Reservation,
    SmartCharging,
    RemoteTrigger,
    Security,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Core => "Core",
            Profile::FirmwareManagement => "FirmwareManagement",
            Profile::LocalAuthListManagement => "LocalAuthListManagement",
            Profile::Reservation => "Reservation",
            Profile::SmartCharging => "SmartCharging",
            Profile::RemoteTrigger => "RemoteTrigger",
            Profile::Security => "Security",
        }
    }
}

/// `--station-profile FILE` (TOML). Every field is optional; an unknown one is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "snake_case")]
pub struct StationProfile {
    /// Connectors, numbered 1..=N (HFS-8).
    pub connectors: u32,
    /// The cable is fixed to the station (HFS-2); otherwise the EV driver brings one.
    pub fixed_cable: bool,
    /// A cable retention lock that UnlockConnector releases (AQ-2).
    pub cable_lock: bool,
    /// The operator can make a connector's lock fail, so that the station reports a
    /// ConnectorLockFailure (TC_030; with a cable lock also TC_024). The reference product's
    /// fixed DC cables lock their connector into the EV while charging: a lab can jam that
    /// lock.
    pub lock_failure: bool,
    /// The feature profiles implemented (Core is always there).
    pub profiles: Vec<Profile>,
    /// The charger sends StopTransaction before it goes down on a power loss (AQ-7.1); if
    /// false, after it is back (AQ-7.2).
    pub stop_transaction_before_power_loss: bool,
    /// ReserveNow for connector 0 reserves the whole station.
    pub reserve_connector_zero: bool,
    /// Can download firmware while a transaction runs (AQ-4).
    pub download_during_transaction: bool,
    /// The card readers insist on a connector being chosen before a card (AQ-5).
    pub evse_selection_before_card: bool,
    /// Measurands MeterValuesSampledData may name (C-09.1).
    pub sampled_measurands: Vec<String>,
    /// Measurands MeterValuesAlignedData may name (C-09.2).
    pub aligned_measurands: Vec<String>,
    /// The firmware image TC_044_1 installs: a file the tool serves (path), or `None` for a
    /// small generated image.
    pub firmware_image: Option<std::path::PathBuf>,
    /// A firmware image the charger downloads but cannot install (TC_044_3), or `None` for
    /// a generated file that is not an image.
    pub uninstallable_firmware_image: Option<std::path::PathBuf>,
    /// The security profiles the charger supports besides 0 (SEC-1..SEC-3): 1 unsecured
    /// transport with Basic authentication, 2 TLS with Basic authentication, 3 TLS with
    /// client certificates.
    pub security_profiles: Vec<u8>,
}

impl Default for StationProfile {
    fn default() -> Self {
        let measurands = [
            "Energy.Active.Import.Register",
            "Current.Import",
            "Current.Offered",
            "Voltage",
            "Power.Active.Import",
            "SoC",
            "Temperature",
            "Power.Offered",
        ];
        StationProfile {
            connectors: 2,
            fixed_cable: true,
            cable_lock: false,
            lock_failure: true,
            profiles: vec![
                Profile::Core,
                Profile::FirmwareManagement,
                Profile::LocalAuthListManagement,
                Profile::Reservation,
                Profile::SmartCharging,
                Profile::RemoteTrigger,
                Profile::Security,
            ],
            stop_transaction_before_power_loss: false,
            reserve_connector_zero: true,
            download_during_transaction: false,
            evse_selection_before_card: true,
            sampled_measurands: measurands.iter().map(|m| m.to_string()).collect(),
            aligned_measurands: measurands.iter().map(|m| m.to_string()).collect(),
            firmware_image: None,
            uninstallable_firmware_image: None,
            security_profiles: vec![1, 2, 3],
        }
    }
}

impl StationProfile {
    /// Reads a profile file; a problem is one line naming the field.
    pub fn load(path: &Path) -> Result<StationProfile, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Profile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::parse(&text).map_err(|reason| Error::Profile {
            path: path.display().to_string(),
            reason,
        })
    }

    pub fn parse(text: &str) -> Result<StationProfile, String> {
        let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let de = toml::Deserializer::parse(text).map_err(|e| one_line(e.message()))?;
        let profile: StationProfile = serde_path_to_error::deserialize(de)
            .map_err(|e| format!("field `{}`: {}", e.path(), one_line(e.inner().message())))?;
        if profile.connectors == 0 {
            return Err("connectors: a station has at least one connector".into());
        }
        if let Some(bad) = profile
            .security_profiles
            .iter()
            .find(|p| !(1..=3).contains(*p))
        {
            return Err(format!(
                "security_profiles: {bad} is not a security profile (1, 2 or 3)"
            ));
        }
        Ok(profile)
    }

    pub fn has(&self, profile: Profile) -> bool {
        profile == Profile::Core || self.profiles.contains(&profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_the_reference_product() {
        let p = StationProfile::parse("").unwrap();
        assert_eq!(p, StationProfile::default());
        assert!(p.fixed_cable && !p.cable_lock && p.reserve_connector_zero);
        assert!(p.has(Profile::SmartCharging) && p.has(Profile::Security));
    }

    #[test]
    fn a_lab_answer_overrides_the_default() {
        let p = StationProfile::parse(
            "cable_lock = true\nfixed_cable = false\nprofiles = [\"Core\", \"Reservation\"]",
        )
        .unwrap();
        assert!(p.cable_lock && !p.fixed_cable);
        assert!(p.has(Profile::Reservation) && !p.has(Profile::SmartCharging));
    }

    #[test]
    fn a_bad_field_is_named() {
        let e = StationProfile::parse("cable_lok = true").unwrap_err();
        assert!(e.contains("cable_lok"), "{e}");
        let e = StationProfile::parse("connectors = \"two\"").unwrap_err();
        assert!(e.contains("connectors") || e.contains("integer"), "{e}");
        let e = StationProfile::parse("connectors = 0").unwrap_err();
        assert!(e.contains("connectors"), "{e}");
    }

    #[test]
    fn security_profiles_are_1_to_3() {
        let p = StationProfile::parse("security_profiles = [2, 3]").unwrap();
        assert_eq!(p.security_profiles, [2, 3]);
        let e = StationProfile::parse("security_profiles = [0, 4]").unwrap_err();
        assert!(e.contains("security_profiles"), "{e}");
    }
}
