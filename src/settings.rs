//! The station's settings: the TOML file, then command-line flags over it. Every problem is
//! reported in one line that names the field.

use crate::runner::RunOptions;
use hal::sim::SimConfig;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The `--config FILE` contents. Every field is optional; flags override them.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileSettings {
    /// Charge point identity; the station connects to `{csms_url}/{id}`.
    pub id: Option<String>,
    /// Central System URL, `ws://HOST:PORT/PATH`.
    pub csms_url: Option<String>,
    /// Where the station keeps its SQLite database.
    pub data_dir: Option<PathBuf>,
    /// Address of the control API, e.g. "127.0.0.1:8180".
    pub control: Option<SocketAddr>,
    /// Seconds to wait for the answer to a request (default 30).
    pub call_timeout_s: Option<u32>,
    /// OCPP configuration keys at first start, e.g. `HeartbeatInterval = 60`.
    pub ocpp: BTreeMap<String, toml::Value>,
    /// The simulated charger and EV.
    pub simulator: SimConfig,
}

/// Flags of `chargepoint run` that override the file.
#[derive(Debug, Default, Clone)]
pub struct FlagSettings {
    pub id: Option<String>,
    pub csms_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub control: Option<SocketAddr>,
}

/// Everything `chargepoint run` needs, checked.
#[derive(Debug)]
pub struct Settings {
    pub run: RunOptions,
    pub data_dir: PathBuf,
    pub control: Option<SocketAddr>,
    pub simulator: SimConfig,
}

pub fn load_file(path: &Path) -> Result<FileSettings, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    parse_file(&text).map_err(|e| format!("config file {}: {e}", path.display()))
}

pub fn parse_file(text: &str) -> Result<FileSettings, String> {
    let de = toml::Deserializer::parse(text).map_err(|e| one_line(e.message()))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        format!("field `{path}`: {}", one_line(e.inner().message()))
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Settings {
    pub fn resolve(file: FileSettings, flags: FlagSettings) -> Result<Settings, String> {
        let id = flags
            .id
            .or(file.id)
            .ok_or("--id is required (or `id` in the config file)")?;
        check_id(&id)?;
        let csms_url = flags
            .csms_url
            .or(file.csms_url)
            .ok_or("--csms-url is required (or `csms_url` in the config file)")?;
        check_url(&csms_url)?;
        file.simulator
            .validate()
            .map_err(|e| format!("section [simulator]: {e}"))?;
        let initial_keys = ocpp_keys(&file.ocpp, file.simulator.connectors)?;
        let data_dir = flags
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("data").join(&id));
        let mut run = RunOptions::new(id, csms_url);
        run.initial_keys = initial_keys;
        if let Some(s) = file.call_timeout_s {
            if s == 0 {
                return Err("field `call_timeout_s`: must be at least 1".into());
            }
            run.call_timeout = chrono::Duration::seconds(i64::from(s));
        }
        Ok(Settings {
            run,
            data_dir,
            control: flags.control.or(file.control),
            simulator: file.simulator,
        })
    }
}

/// The identity ends the URL path: keep it to characters that need no escaping.
fn check_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 48
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--id {id:?}: use 1 to 48 letters, digits or - _ . :"
        ))
    }
}

fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| format!("--csms-url {url:?}: must start with ws://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("--csms-url {url:?}: no host"));
    }
    Ok(())
}

/// The `[ocpp]` table as key/value strings, each checked against the key table.
fn ocpp_keys(
    table: &BTreeMap<String, toml::Value>,
    connectors: u32,
) -> Result<Vec<(String, String)>, String> {
    let mut check = station::Config::new(connectors);
    table
        .iter()
        .map(|(key, value)| {
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(format!(
                        "field `ocpp.{key}`: expected a string, integer or boolean, got {}",
                        other.type_str()
                    ))
                }
            };
            check
                .set(key, &text)
                .map_err(|e| format!("field `ocpp.{key}`: {e}"))?;
            Ok((key.clone(), text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> FlagSettings {
        FlagSettings {
            id: Some("CP001".into()),
            csms_url: Some("ws://127.0.0.1:9000/ocpp".into()),
            ..FlagSettings::default()
        }
    }

    #[test]
    fn flags_override_the_file() {
        let file = parse_file("id = \"FROMFILE\"\ncsms_url = \"ws://h:1/x\"\n").unwrap();
        let s = Settings::resolve(file, flags()).unwrap();
        assert_eq!(s.run.id, "CP001");
        assert_eq!(s.run.station_url(), "ws://127.0.0.1:9000/ocpp/CP001");
        assert_eq!(s.data_dir, PathBuf::from("data/CP001"));
    }

    #[test]
    fn a_wrong_type_names_the_field() {
        let err = parse_file("[simulator]\nconnectors = \"two\"\n").unwrap_err();
        assert!(err.contains("simulator.connectors"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn an_unknown_field_is_refused() {
        let err = parse_file("idd = \"x\"\n").unwrap_err();
        assert!(err.contains("idd"), "{err}");
    }

    #[test]
    fn ocpp_keys_are_validated_against_the_table() {
        let file = parse_file("[ocpp]\nHeartbeatInterval = 5000\n").unwrap();
        let err = Settings::resolve(file, flags()).unwrap_err();
        assert!(err.contains("ocpp.HeartbeatInterval"), "{err}");
        let file =
            parse_file("[ocpp]\nHeartbeatInterval = 60\nLocalPreAuthorize = true\n").unwrap();
        let s = Settings::resolve(file, flags()).unwrap();
        assert!(s
            .run
            .initial_keys
            .contains(&("HeartbeatInterval".to_string(), "60".to_string())));
    }

    #[test]
    fn bad_urls_and_ids_are_named() {
        let mut f = flags();
        f.csms_url = Some("http://x".into());
        let err = Settings::resolve(FileSettings::default(), f).unwrap_err();
        assert!(err.starts_with("--csms-url"), "{err}");
        let mut f = flags();
        f.id = Some("bad id/".into());
        let err = Settings::resolve(FileSettings::default(), f).unwrap_err();
        assert!(err.starts_with("--id"), "{err}");
    }

    #[test]
    fn simulator_values_are_checked() {
        let file = parse_file("[simulator]\nconnectors = 0\n").unwrap();
        let err = Settings::resolve(file, flags()).unwrap_err();
        assert!(err.contains("connectors"), "{err}");
        let file = parse_file("[simulator.ev]\ninitial_soc_percent = 140.0\n").unwrap();
        let err = Settings::resolve(file, flags()).unwrap_err();
        assert!(err.contains("ev.initial_soc_percent"), "{err}");
    }

    #[test]
    fn missing_id_is_explained() {
        let mut f = flags();
        f.id = None;
        let err = Settings::resolve(FileSettings::default(), f).unwrap_err();
        assert!(err.contains("--id is required"));
    }
}

#[cfg(test)]
mod example_file {
    use super::*;

    /// The example the README points to must stay valid.
    #[test]
    fn the_example_station_toml_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/station.toml");
        let file = load_file(&path).unwrap();
        let s = Settings::resolve(file, FlagSettings::default()).unwrap();
        assert_eq!(s.run.station_url(), "ws://127.0.0.1:9000/ocpp/CP001");
        assert_eq!(s.simulator.connectors, 2);
        assert!(s.run.initial_keys.len() >= 4);
    }
}
