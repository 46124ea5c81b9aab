//! Configuration keys: their current values, validation of changes, and persistence.

mod table;

pub use table::{
    find, Access, KeyDef, Kind, Measurands, Profile, Values, ALL_SAMPLED_MEASURANDS, KEYS,
};

use ocpp::Measurand;
use std::collections::BTreeMap;
use std::str::FromStr;

/// Why a new value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("unknown configuration key {0}")]
    Unknown(String),
    #[error("configuration key {0} is read-only")]
    ReadOnly(&'static str),
    #[error("invalid value for {key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

/// The current value of every key in the table.
#[derive(Clone)]
pub struct Config {
    values: BTreeMap<&'static str, String>,
    typed: Values,
}

/// Write-only keys (secrets) show as `***`.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (def, value) in self.all() {
            if def.access == Access::WriteOnly {
                map.entry(&def.name, &"***");
            } else {
                map.entry(&def.name, &value);
            }
        }
        map.finish()
    }
}

impl Config {
    /// All keys at their defaults, with the facts of this station filled in.
    pub fn new(connectors: u32) -> Config {
        let mut values: BTreeMap<&'static str, String> = KEYS
            .iter()
            .map(|k| (k.name, k.default.to_string()))
            .collect();
        values.insert("NumberOfConnectors", connectors.to_string());
        let rotation = (0..=connectors)
            .map(|c| format!("{c}.NotApplicable"))
            .collect::<Vec<_>>()
            .join(",");
        values.insert("ConnectorPhaseRotation", rotation);
        values.insert(
            "ConnectorPhaseRotationMaxLength",
            (connectors + 1).to_string(),
        );
        let mut typed = Values::defaults();
        for (name, value) in &values {
            typed.assign(name, value);
        }
        Config { values, typed }
    }

    /// Take over values persisted earlier (or given in a file). Read-only keys keep
    /// what the station reports; a stored value that no longer validates is skipped
    /// and returned so the caller can log it.
    pub fn load<'a>(
        &mut self,
        stored: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Vec<ConfigError> {
        let mut rejected = Vec::new();
        for (key, value) in stored {
            if let Err(e) = self.set(key, value) {
                rejected.push(e);
            }
        }
        rejected
    }

    /// Validate and set a writable key. Returns the key's definition.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&'static KeyDef, ConfigError> {
        let def = find(key).ok_or_else(|| ConfigError::Unknown(key.to_string()))?;
        if def.access == Access::ReadOnly {
            return Err(ConfigError::ReadOnly(def.name));
        }
        let normalised = validate(def, value)?;
        self.typed.assign(def.name, &normalised);
        self.values.insert(def.name, normalised);
        Ok(def)
    }

    /// Set a key the station itself owns (read-only keys included), unchecked.
    pub fn set_internal(&mut self, key: &'static str, value: String) {
        self.typed.assign(key, &value);
        self.values.insert(key, value);
    }

    /// Every key's current value, typed: `config.current().heartbeat_interval`.
    pub fn current(&self) -> &Values {
        &self.typed
    }

    pub fn get(&self, key: &str) -> Option<(&'static KeyDef, &str)> {
        let def = find(key)?;
        self.values.get(def.name).map(|v| (def, v.as_str()))
    }

    /// Every key in table order.
    pub fn all(&self) -> impl Iterator<Item = (&'static KeyDef, &str)> {
        KEYS.iter()
            .filter_map(|k| self.values.get(k.name).map(|v| (k, v.as_str())))
    }
}

fn validate(def: &KeyDef, value: &str) -> Result<String, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        key: def.name,
        reason,
    };
    match def.kind {
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            v @ ("true" | "false") => Ok(v.to_string()),
            _ => Err(invalid(format!("{value:?} is not true or false"))),
        },
        Kind::Int { min, max } => {
            let n: i64 = value
                .trim()
                .parse()
                .map_err(|_| invalid(format!("{value:?} is not an integer")))?;
            if n < min || n > max {
                return Err(invalid(format!("{n} is outside {min}..={max}")));
            }
            Ok(n.to_string())
        }
        Kind::Measurands { max_items } => {
            let list = parse_measurands(value).map_err(invalid)?;
            // Section 3.16.4: a measurand the meter cannot give refuses the whole list.
            if let Some(m) = list.iter().find(|m| !supported_measurand(**m)) {
                return Err(invalid(format!(
                    "this station cannot measure {}; it measures {ALL_SAMPLED_MEASURANDS}",
                    m.as_str()
                )));
            }
            if list.len() > max_items {
                return Err(invalid(format!(
                    "{} measurands given, at most {max_items} allowed",
                    list.len()
                )));
            }
            Ok(list
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(","))
        }
        Kind::Text => Ok(value.to_string()),
        Kind::HexSecret {
            min_bytes,
            max_bytes,
        } => {
            let (min, max) = (min_bytes * 2, max_bytes * 2);
            if !value.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid("not hexadecimal".into()));
            }
            if !value.len().is_multiple_of(2) || value.len() < min || value.len() > max {
                return Err(invalid(format!(
                    "{} hex digits given; an even number in {min}..={max} is needed",
                    value.len()
                )));
            }
            Ok(value.to_string())
        }
    }
}

/// Whether the station's meter gives `measurand`: one of [`ALL_SAMPLED_MEASURANDS`], the
/// values of a `hal::MeterReading` (the reference product's C-09.1).
pub fn supported_measurand(measurand: Measurand) -> bool {
    ALL_SAMPLED_MEASURANDS
        .split(',')
        .any(|m| m == measurand.as_str())
}

/// Parse a comma-separated measurand list; an empty string is an empty list.
pub fn parse_measurands(value: &str) -> Result<Vec<Measurand>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Measurand::from_str(s).map_err(|_| format!("unknown measurand {s:?}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_reference_limits() {
        let c = Config::new(2);
        assert_eq!(c.current().get_configuration_max_keys, 20);
        assert_eq!(c.current().meter_values_sampled_data_max_length, 9);
        assert_eq!(c.current().stop_transaction_max_meter_values, 2);
        assert_eq!(c.current().web_socket_ping_interval, 120);
        assert_eq!(c.current().number_of_connectors, 2);
        assert_eq!(c.current().meter_values_sampled_data.clone().len(), 8);
    }

    /// The typed values come from the same strings GetConfiguration shows: every default of
    /// the table validates, and after a change both views agree.
    #[test]
    fn typed_values_follow_the_text_values() {
        let mut c = Config::new(2);
        // A secret is unset (empty) until the Central System writes one.
        let unset_secret =
            |d: &KeyDef| matches!(d.kind, Kind::HexSecret { .. }) && d.default.is_empty();
        for def in KEYS.iter().filter(|d| !unset_secret(d)) {
            assert!(
                validate(def, def.default).is_ok(),
                "default of {}",
                def.name
            );
        }
        assert!(c.current().authorization_cache_enabled);
        c.set("AuthorizationCacheEnabled", "FALSE").unwrap();
        assert!(!c.current().authorization_cache_enabled);
        c.set("MeterValuesAlignedData", "SoC,Voltage").unwrap();
        assert_eq!(
            c.current().meter_values_aligned_data,
            vec![Measurand::SoC, Measurand::Voltage]
        );
        c.set_internal("HeartbeatInterval", "42".into());
        assert_eq!(c.current().heartbeat_interval, 42);
        assert_eq!(c.get("HeartbeatInterval").unwrap().1, "42");
    }

    #[test]
    fn heartbeat_interval_bounds_are_1_to_1800() {
        let mut c = Config::new(2);
        assert!(c.set("HeartbeatInterval", "0").is_err());
        assert!(c.set("HeartbeatInterval", "1801").is_err());
        assert!(c.set("HeartbeatInterval", "abc").is_err());
        assert!(c.set("heartbeatinterval", "1800").is_ok());
        assert_eq!(c.current().heartbeat_interval, 1800);
    }

    #[test]
    fn read_only_and_unknown_keys_are_refused() {
        let mut c = Config::new(2);
        assert_eq!(
            c.set("NumberOfConnectors", "3").unwrap_err(),
            ConfigError::ReadOnly("NumberOfConnectors")
        );
        assert!(matches!(
            c.set("NoSuchKey", "1"),
            Err(ConfigError::Unknown(_))
        ));
    }

    #[test]
    fn measurand_lists_are_checked_and_normalised() {
        let mut c = Config::new(2);
        assert!(c.set("MeterValuesSampledData", "Voltage, SoC").is_ok());
        assert_eq!(c.get("MeterValuesSampledData").unwrap().1, "Voltage,SoC");
        assert!(c.set("MeterValuesSampledData", "Voltage,Bogus").is_err());
        let ten = ["Voltage"; 10].join(",");
        assert!(c.set("MeterValuesSampledData", &ten).is_err());
    }

    /// Section 3.16.4: a list with a measurand the meter cannot give is refused whole, on
    /// each of the four keys, and the value stays.
    #[test]
    fn measurands_the_meter_cannot_give_are_refused() {
        let mut c = Config::new(2);
        for key in [
            "MeterValuesSampledData",
            "MeterValuesAlignedData",
            "StopTxnSampledData",
            "StopTxnAlignedData",
        ] {
            let before = c.get(key).unwrap().1.to_string();
            let e = c.set(key, "Voltage,Frequency").unwrap_err();
            assert!(e.to_string().contains("Frequency"), "{e}");
            assert_eq!(c.get(key).unwrap().1, before, "{key} unchanged");
            assert!(c.set(key, ALL_SAMPLED_MEASURANDS).is_ok(), "{key}");
            assert!(c.set(key, "").is_ok(), "{key}: an empty list");
        }
        let supported: Vec<_> = Measurand::ALL
            .iter()
            .filter(|m| supported_measurand(**m))
            .collect();
        assert_eq!(supported.len(), 8);
    }

    #[test]
    fn authorization_key_is_hex_of_16_to_40_bytes_and_never_shown() {
        let mut c = Config::new(2);
        let secret = "0123456789abcdef0123456789ABCDEF";
        assert!(c.set("AuthorizationKey", &secret[..30]).is_err());
        assert!(c.set("AuthorizationKey", &"a".repeat(81)).is_err());
        assert!(c.set("AuthorizationKey", &"a".repeat(82)).is_err());
        assert!(c.set("AuthorizationKey", &"a".repeat(33)).is_err());
        let not_hex = format!("{}zz", &secret[..30]);
        let e = c.set("AuthorizationKey", &not_hex).unwrap_err();
        assert!(!e.to_string().contains(&not_hex), "{e}");
        assert!(c.set("AuthorizationKey", &"a".repeat(80)).is_ok());
        c.set("AuthorizationKey", secret).unwrap();
        assert_eq!(c.get("AuthorizationKey").unwrap().1, secret);
        assert!(!format!("{c:?}").contains(secret));
    }

    #[test]
    fn booleans_accept_any_case() {
        let mut c = Config::new(2);
        c.set("LocalPreAuthorize", "TRUE").unwrap();
        assert!(c.current().local_pre_authorize);
        assert!(c.set("LocalPreAuthorize", "yes").is_err());
    }

    #[test]
    fn load_skips_bad_stored_values() {
        let mut c = Config::new(2);
        let rejected = c.load([
            ("HeartbeatInterval", "77"),
            ("MeterValueSampleInterval", "9999"),
        ]);
        assert_eq!(c.current().heartbeat_interval, 77);
        assert_eq!(rejected.len(), 1);
        assert_eq!(c.current().meter_value_sample_interval, 60);
    }
}
