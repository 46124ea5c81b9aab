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
    /// Whether ReserveNow may reserve connector 0, the whole station (key
    /// ReserveConnectorZeroSupported; default true, as the reference product).
    pub reserve_connector_zero: Option<bool>,
    /// OCPP configuration keys at first start, e.g. `HeartbeatInterval = 60`.
    pub ocpp: BTreeMap<String, toml::Value>,
    /// The simulated charger and EV.
    pub simulator: SimConfig,
    /// Transport security (OCPP security profiles).
    pub security: SecuritySettings,
    /// File transfers (firmware downloads, log and diagnostics uploads).
    pub transfer: TransferSettings,
}

/// The `[transfer]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransferSettings {
    /// Trust the system's root certificates for https/ftps besides the installed
    /// CentralSystemRootCertificates and ManufacturerRootCertificates (default true).
    pub system_roots: Option<bool>,
}

/// The `[security]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecuritySettings {
    /// 0 (none), 1 (ws + Basic auth), 2 (wss + Basic auth), 3 (wss + client certificate).
    /// The profile at first start: a profile raised over OCPP since is stored and wins.
    pub profile: Option<u8>,
    /// The `wss://` URL for profiles 2 and 3 when `csms_url` is `ws://` (same as
    /// `--csms-tls-url`); without it the station switches `ws://` to `wss://`.
    pub tls_url: Option<String>,
    /// The HTTP Basic password as hex, 16 to 40 bytes (profiles 1 and 2).
    pub authorization_key: Option<String>,
    /// PEM file with the trusted root(s) for wss:// (same as `--ca-file`).
    pub ca_file: Option<PathBuf>,
    /// PEM files with the charge point certificate and its key (profile 3).
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// The CpoName key at first start: the organization of the certificate signing
    /// requests (at most 64 characters; empty: none, SignCertificate is refused until the
    /// Central System sets one). Default: the simulator's vendor.
    pub cpo_name: Option<String>,
}

/// Flags of `chargepoint run` that override the file.
#[derive(Debug, Default, Clone)]
pub struct FlagSettings {
    pub id: Option<String>,
    pub csms_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub control: Option<SocketAddr>,
    pub ca_file: Option<PathBuf>,
    /// `--csms-tls-url`: the wss:// URL for security profiles 2 and 3.
    pub tls_url: Option<String>,
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
    parse_toml(text)
}

/// A TOML text as `T`; an error is one line naming the field.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
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
        // Firmware images and uploads go next to the database; the installed firmware
        // version is kept there across restarts.
        run.work_dir = Some(data_dir.clone());
        if let Some(system_roots) = file.transfer.system_roots {
            run.transfer_system_roots = system_roots;
        }
        if let Some(zero) = file.reserve_connector_zero {
            run.reserve_connector_zero = zero;
        }
        security(&mut run, file.security, flags.ca_file, flags.tls_url)?;
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

fn read_pem(path: &Path, field: &str) -> Result<String, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("{field} {}: {e}", path.display()))?;
    if !text.contains("-----BEGIN ") {
        return Err(format!("{field} {}: not a PEM file", path.display()));
    }
    Ok(text)
}

/// The security profile and what it needs, checked against the URLs.
fn security(
    run: &mut RunOptions,
    sec: SecuritySettings,
    ca_flag: Option<PathBuf>,
    tls_url_flag: Option<String>,
) -> Result<(), String> {
    let profile = sec.profile.unwrap_or(0);
    if profile > 3 {
        return Err(format!(
            "field `security.profile`: {profile} is not 0, 1, 2 or 3"
        ));
    }
    let (tls_url_field, tls_url) = match (tls_url_flag, sec.tls_url) {
        (Some(u), _) => ("--csms-tls-url", Some(u)),
        (None, u) => ("field `security.tls_url`:", u),
    };
    if let Some(url) = &tls_url {
        if !url.starts_with("wss://") {
            return Err(format!("{tls_url_field} {url:?}: must start with wss://"));
        }
        check_url_named(tls_url_field, url)?;
    }
    let wss = run.csms_url.starts_with("wss://");
    if profile >= 2 && !wss && tls_url.is_none() {
        return Err(format!(
            "field `security.profile`: profile {profile} needs a wss:// --csms-url \
             or --csms-tls-url (`security.tls_url`)"
        ));
    }
    if profile == 1 && wss {
        return Err("field `security.profile`: profile 1 needs a ws:// --csms-url".into());
    }
    run.tls_url = tls_url;
    let (ca_field, ca_path) = match (ca_flag, sec.ca_file) {
        (Some(p), _) => ("--ca-file", Some(p)),
        (None, p) => ("field `security.ca_file`:", p),
    };
    if let Some(path) = ca_path {
        run.ca_pem.push(read_pem(&path, ca_field)?);
    }
    if (wss || profile >= 2) && run.ca_pem.is_empty() {
        return Err("--ca-file is required for a wss:// URL (or `security.ca_file`)".into());
    }
    if let Some(hex) = &sec.authorization_key {
        let key = decode_hex(hex)
            .ok_or("field `security.authorization_key`: expected hex digits (two per byte)")?;
        if !(16..=40).contains(&key.len()) {
            return Err(format!(
                "field `security.authorization_key`: {} bytes; must be 16 to 40",
                key.len()
            ));
        }
        run.authorization_key = Some(key);
    }
    if (1..=2).contains(&profile) && run.authorization_key.is_none() {
        return Err(format!(
            "field `security.authorization_key`: required by profile {profile}"
        ));
    }
    match (sec.client_cert, sec.client_key) {
        (Some(cert), Some(key)) => {
            run.client_cert = Some(read_pem(&cert, "field `security.client_cert`:")?);
            run.client_key = Some(read_pem(&key, "field `security.client_key`:")?);
        }
        (None, None) if profile == 3 => {
            return Err(
                "field `security.client_cert`: required by profile 3 (with `client_key`)".into(),
            )
        }
        (None, None) => {}
        (Some(_), None) => {
            return Err("field `security.client_key`: required with `client_cert`".into())
        }
        (None, Some(_)) => {
            return Err("field `security.client_cert`: required with `client_key`".into())
        }
    }
    if let Some(name) = sec.cpo_name {
        // It becomes the O= of the CSRs: X.509 allows 64 characters there.
        if name.chars().count() > 64 {
            return Err("field `security.cpo_name`: at most 64 characters".into());
        }
        run.cpo_name = Some(name);
    }
    run.security_profile = profile;
    Ok(())
}

/// Hex digits (two per byte) to bytes.
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// `--csms-url`: a `ws://` or `wss://` URL with a host.
pub fn check_url(url: &str) -> Result<(), String> {
    check_url_named("--csms-url", url)
}

/// A `ws://` or `wss://` URL with a host; errors start with `field`.
fn check_url_named(field: &str, url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("wss://"))
        .ok_or_else(|| format!("{field} {url:?}: must start with ws:// or wss://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("{field} {url:?}: no host"));
    }
    Ok(())
}

/// The `[ocpp]` table as key/value strings, each checked against the key table.
pub(crate) fn ocpp_keys(
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
        assert_eq!(s.run.work_dir, Some(PathBuf::from("data/CP001")));
        assert!(s.run.transfer_system_roots);
    }

    #[test]
    fn system_roots_for_transfers_can_be_switched_off() {
        let file = parse_file("[transfer]\nsystem_roots = false\n").unwrap();
        let s = Settings::resolve(file, flags()).unwrap();
        assert!(!s.run.transfer_system_roots);
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
    fn cpo_name_and_reserve_connector_zero_are_settings() {
        let s = Settings::resolve(FileSettings::default(), flags()).unwrap();
        assert_eq!(s.run.cpo_name, None, "the charger's vendor, at build time");
        assert!(
            s.run.reserve_connector_zero,
            "the reference product's default"
        );
        let file = parse_file(
            "reserve_connector_zero = false
[security]
cpo_name = \"Acme CPO\"
",
        )
        .unwrap();
        let s = Settings::resolve(file, flags()).unwrap();
        assert_eq!(s.run.cpo_name.as_deref(), Some("Acme CPO"));
        assert!(!s.run.reserve_connector_zero);
        let long = "x".repeat(65);
        let file = parse_file(&format!("[security]\ncpo_name = \"{long}\"\n")).unwrap();
        let err = Settings::resolve(file, flags()).unwrap_err();
        assert!(err.contains("security.cpo_name"), "{err}");
    }

    #[test]
    fn security_settings_are_checked_and_name_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(
            &ca,
            "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let key = "00112233445566778899aabbccddeeff";
        let wss = |f: &mut FlagSettings| f.csms_url = Some("wss://127.0.0.1:9000/ocpp".into());

        let file = parse_file(&format!(
            "[security]\nprofile = 1\nauthorization_key = \"{key}\"\n"
        ))
        .unwrap();
        let s = Settings::resolve(file, flags()).unwrap();
        assert_eq!(s.run.security_profile, 1);
        assert_eq!(s.run.authorization_key.as_ref().map(Vec::len), Some(16));
        assert_eq!(s.run.url_for_profile(1), "ws://127.0.0.1:9000/ocpp");

        let file = parse_file("[security]\nprofile = 2\nauthorization_key = \"00\"\n").unwrap();
        let err = Settings::resolve(file, flags()).unwrap_err();
        assert!(err.contains("wss://"), "{err}");

        let file = parse_file("[security]\nprofile = 2\nauthorization_key = \"00\"\n").unwrap();
        let mut f = flags();
        wss(&mut f);
        f.ca_file = Some(ca.clone());
        let err = Settings::resolve(file, f).unwrap_err();
        assert!(err.contains("security.authorization_key"), "{err}");
        assert!(err.contains("16 to 40"), "{err}");

        let file = parse_file("[security]\nprofile = 2\n").unwrap();
        let mut f = flags();
        wss(&mut f);
        f.ca_file = Some(ca.clone());
        let err = Settings::resolve(file, f).unwrap_err();
        assert!(err.contains("security.authorization_key"), "{err}");

        let file = parse_file(&format!(
            "[security]\nprofile = 2\nauthorization_key = \"{key}\"\n"
        ))
        .unwrap();
        let mut f = flags();
        wss(&mut f);
        let err = Settings::resolve(file, f).unwrap_err();
        assert!(err.contains("--ca-file"), "{err}");

        let file = parse_file("[security]\nprofile = 3\n").unwrap();
        let mut f = flags();
        wss(&mut f);
        f.ca_file = Some(ca.clone());
        let err = Settings::resolve(file, f).unwrap_err();
        assert!(err.contains("security.client_cert"), "{err}");

        let file = parse_file("[security]\nprofile = 4\n").unwrap();
        let err = Settings::resolve(file, flags()).unwrap_err();
        assert!(err.contains("security.profile"), "{err}");

        let file = parse_file("[security]\nauthorization_key = \"xyz\"\n").unwrap();
        let err = Settings::resolve(file, flags()).unwrap_err();
        assert!(err.contains("security.authorization_key"), "{err}");
        assert!(!err.contains('\n'));

        let mut f = flags();
        wss(&mut f);
        f.ca_file = Some(ca);
        let s = Settings::resolve(FileSettings::default(), f).unwrap();
        assert_eq!(s.run.ca_pem.len(), 1);
        assert_eq!(s.run.url_for_profile(0), "wss://127.0.0.1:9000/ocpp");
        assert_eq!(s.run.url_for_profile(2), "wss://127.0.0.1:9000/ocpp");
    }

    #[test]
    fn a_tls_url_serves_profiles_2_and_3_next_to_a_ws_url() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(
            &ca,
            "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let key = "00112233445566778899aabbccddeeff";
        let profile2 = format!("[security]\nprofile = 2\nauthorization_key = \"{key}\"\n");

        // From the file.
        let file = parse_file(&format!(
            "{profile2}tls_url = \"wss://127.0.0.1:9443/ocpp\"\nca_file = {:?}\n",
            ca.display().to_string()
        ))
        .unwrap();
        let s = Settings::resolve(file, flags()).unwrap();
        assert_eq!(s.run.security_profile, 2);
        assert_eq!(s.run.url_for_profile(1), "ws://127.0.0.1:9000/ocpp");
        assert_eq!(
            s.run.station_url_for_profile(2),
            "wss://127.0.0.1:9443/ocpp/CP001"
        );

        // The flag wins over the file.
        let file = parse_file(&format!(
            "{profile2}tls_url = \"wss://127.0.0.1:9443/ocpp\"\n"
        ))
        .unwrap();
        let mut f = flags();
        f.tls_url = Some("wss://localhost:9444/x".into());
        f.ca_file = Some(ca.clone());
        let s = Settings::resolve(file, f).unwrap();
        assert_eq!(s.run.url_for_profile(3), "wss://localhost:9444/x");

        // Not wss://: named.
        let mut f = flags();
        f.tls_url = Some("ws://127.0.0.1:9443/ocpp".into());
        let err = Settings::resolve(FileSettings::default(), f).unwrap_err();
        assert!(err.starts_with("--csms-tls-url"), "{err}");
        assert!(!err.contains('\n'));
        let file = parse_file("[security]\ntls_url = \"http://x\"\n").unwrap();
        let err = Settings::resolve(file, flags()).unwrap_err();
        assert!(err.contains("security.tls_url"), "{err}");

        // Profile 2 with a tls_url still needs a CA.
        let mut f = flags();
        f.tls_url = Some("wss://127.0.0.1:9443/ocpp".into());
        let err = Settings::resolve(parse_file(&profile2).unwrap(), f).unwrap_err();
        assert!(err.contains("--ca-file"), "{err}");

        // Without a tls_url, profile 1 may later be raised over OCPP: the wss:// URL is then
        // the ws:// one switched over.
        let file = parse_file(&format!(
            "[security]\nprofile = 1\nauthorization_key = \"{key}\"\n"
        ))
        .unwrap();
        let s = Settings::resolve(file, flags()).unwrap();
        assert_eq!(s.run.tls_url, None);
        assert_eq!(s.run.url_for_profile(2), "wss://127.0.0.1:9000/ocpp");
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
