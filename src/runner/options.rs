//! What a station runs with besides its store and hardware: identity, Central System URLs,
//! timeouts, the provisioned security settings and where files go.

use super::LogCapture;

/// Everything a running station needs besides its store and hardware.
///
/// The security settings are what the station is provisioned with at its first start: they
/// go into the station (keys SecurityProfile and AuthorizationKey, the
/// CentralSystemRootCertificates, the ChargePointCertificate) unless changes made over OCPP
/// are stored. From then on the station is the source of truth: each connection attempt
/// takes the profile, password, roots and client certificate from it.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub id: String,
    /// The Central System's URL; the station connects to `{csms_url}/{id}`.
    pub csms_url: String,
    /// The `wss://` URL for security profiles 2 and 3 when `csms_url` is `ws://` (see
    /// [`RunOptions::url_for_profile`]).
    pub tls_url: Option<String>,
    /// Values for configuration keys at first start; keys changed over OCPP since win.
    pub initial_keys: Vec<(String, String)>,
    pub call_timeout: chrono::Duration,
    pub reconnect_min: chrono::Duration,
    pub reconnect_max: chrono::Duration,
    /// A maker's DataTransfer extensions (none by default: every vendorId is unknown).
    pub data_transfer: station::DataTransferVendors,
    /// Where the simulated meters keep their registers across restarts (none: in memory).
    pub meters: Option<MeterRegisters>,
    /// The initial SecurityProfile key, 0..=3: 1 and 2 send HTTP Basic credentials, 2 and 3
    /// use TLS, 3 presents the ChargePointCertificate.
    pub security_profile: u8,
    /// The initial AuthorizationKey: the HTTP Basic password bytes, profiles 1 and 2.
    pub authorization_key: Option<Vec<u8>>,
    /// The initial CpoName key: the organization of the charge point certificate's CSRs
    /// (SignCertificate). None: the charger's vendor, so a fresh station can ask for a
    /// certificate. `CpoName` among `initial_keys`, or a value set over OCPP, wins.
    pub cpo_name: Option<String>,
    /// CentralSystemRootCertificates provisioned at first start (PEM texts): trusted for
    /// `wss://`.
    pub ca_pem: Vec<String>,
    /// The ChargePointCertificate (PEM, leaf first) and its key provisioned at first start:
    /// presented with profile 3.
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    /// Where firmware images and files being uploaded go, and the installed firmware
    /// version is kept across restarts of the process (`chargepoint run`: the data dir).
    /// None: a temporary directory of the runner, removed when it stops.
    pub work_dir: Option<std::path::PathBuf>,
    /// The process's captured log lines, uploaded by GetLog DiagnosticsLog and
    /// GetDiagnostics (none: those files say the log is not captured).
    pub log_capture: Option<LogCapture>,
    /// Trust the system's root certificates for https/ftps transfers besides the installed
    /// CentralSystemRootCertificates and ManufacturerRootCertificates (default true).
    pub transfer_system_roots: bool,
    /// ReserveNow may reserve connector 0, the whole station (the key
    /// ReserveConnectorZeroSupported reports it; default true).
    pub reserve_connector_zero: bool,
    /// Record the Central System's answer times here (a fleet's report).
    pub answer_times: Option<super::AnswerTimes>,
    /// Keep the last frames for the web panel from the start (`run --control`, `demo`);
    /// false: only from when a panel first opens, so a fleet's stations stay small.
    pub keep_frames: bool,
    /// The store commits its writes later (a fleet's shared database): the station's
    /// outputs wait until its writes are on disk.
    pub durability: Option<crate::journal::Durability>,
}

/// Where the simulated meters' registers are kept across restarts.
#[derive(Debug, Clone)]
pub enum MeterRegisters {
    /// A JSON file of the station's own (`chargepoint run`: the data dir).
    File(std::path::PathBuf),
    /// The fleet's database.
    Journal(crate::journal::MeterSlot),
}

impl RunOptions {
    pub fn new(id: impl Into<String>, csms_url: impl Into<String>) -> RunOptions {
        RunOptions {
            id: id.into(),
            csms_url: csms_url.into(),
            tls_url: None,
            initial_keys: Vec::new(),
            call_timeout: chrono::Duration::seconds(30),
            reconnect_min: chrono::Duration::seconds(1),
            reconnect_max: chrono::Duration::seconds(60),
            data_transfer: station::DataTransferVendors::default(),
            meters: None,
            security_profile: 0,
            authorization_key: None,
            cpo_name: None,
            ca_pem: Vec::new(),
            client_cert: None,
            client_key: None,
            work_dir: None,
            log_capture: None,
            transfer_system_roots: true,
            reserve_connector_zero: true,
            answer_times: None,
            keep_frames: false,
            durability: None,
        }
    }

    /// `{csms_url}/{id}` with exactly one slash between.
    pub fn station_url(&self) -> String {
        join_id(&self.csms_url, &self.id)
    }

    /// The Central System URL (without the id) for security profile `profile`: profiles 0
    /// and 1 use `csms_url`; 2 and 3 need `wss://`: `tls_url` if set, else `csms_url` if it
    /// is `wss://` already, else `csms_url` with `ws://` switched to `wss://` (same host and
    /// port).
    pub fn url_for_profile(&self, profile: u8) -> String {
        if profile < 2 {
            return self.csms_url.clone();
        }
        if let Some(url) = &self.tls_url {
            return url.clone();
        }
        match strip_scheme(&self.csms_url, "ws://") {
            Some(rest) => format!("wss://{rest}"),
            None => self.csms_url.clone(),
        }
    }

    /// `{url_for_profile(profile)}/{id}`: where the station connects with that profile.
    pub fn station_url_for_profile(&self, profile: u8) -> String {
        join_id(&self.url_for_profile(profile), &self.id)
    }
}

fn join_id(url: &str, id: &str) -> String {
    format!("{}/{}", url.trim_end_matches('/'), id)
}

/// `url` without `scheme` (compared case-insensitively), if it starts with it.
pub(crate) fn strip_scheme<'a>(url: &'a str, scheme: &str) -> Option<&'a str> {
    url.get(..scheme.len())
        .filter(|s| s.eq_ignore_ascii_case(scheme))
        .map(|_| &url[scheme.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_2_and_3_use_a_wss_url() {
        let mut opts = RunOptions::new("CP1", "ws://127.0.0.1:9000/ocpp/");
        assert_eq!(opts.station_url(), "ws://127.0.0.1:9000/ocpp/CP1");
        assert_eq!(opts.url_for_profile(0), "ws://127.0.0.1:9000/ocpp/");
        assert_eq!(opts.url_for_profile(1), "ws://127.0.0.1:9000/ocpp/");
        // Derived: same host and port.
        assert_eq!(
            opts.station_url_for_profile(2),
            "wss://127.0.0.1:9000/ocpp/CP1"
        );
        opts.csms_url = "WS://Host:1/x".into();
        assert_eq!(opts.url_for_profile(3), "wss://Host:1/x");
        // An explicit TLS URL wins.
        opts.tls_url = Some("wss://127.0.0.1:9443/ocpp".into());
        assert_eq!(
            opts.station_url_for_profile(3),
            "wss://127.0.0.1:9443/ocpp/CP1"
        );
        assert_eq!(opts.url_for_profile(1), "WS://Host:1/x");
        // A wss:// csms_url serves every TLS profile as it is.
        let opts = RunOptions::new("CP1", "wss://h:9443/ocpp");
        assert_eq!(opts.url_for_profile(2), "wss://h:9443/ocpp");
        assert_eq!(opts.url_for_profile(0), "wss://h:9443/ocpp");
    }
}
