//! The async shell around the sans-IO station: it owns the WebSocket, the hardware and the
//! clock, feeds the station its inputs and carries out its outputs.

mod event_loop;
mod file_jobs;
mod log_capture;
mod meter_file;
mod operation;
mod state;
mod upload_file;

pub use log_capture::LogCapture;
pub use operation::{Operate, Operation};
pub use state::{ConnectorState, StationState};

use crate::clock::Clock;
use event_loop::EventLoop;
use hal::sim::SimCharger;
use hal::ConnectorId;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

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
    pub meter_file: Option<std::path::PathBuf>,
    /// The initial SecurityProfile key, 0..=3: 1 and 2 send HTTP Basic credentials, 2 and 3
    /// use TLS, 3 presents the ChargePointCertificate.
    pub security_profile: u8,
    /// The initial AuthorizationKey: the HTTP Basic password bytes, profiles 1 and 2.
    pub authorization_key: Option<Vec<u8>>,
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
            meter_file: None,
            security_profile: 0,
            authorization_key: None,
            ca_pem: Vec::new(),
            client_cert: None,
            client_key: None,
            work_dir: None,
            log_capture: None,
            transfer_system_roots: true,
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
fn strip_scheme<'a>(url: &'a str, scheme: &str) -> Option<&'a str> {
    url.get(..scheme.len())
        .filter(|s| s.eq_ignore_ascii_case(scheme))
        .map(|_| &url[scheme.len()..])
}

/// The transport settings of one connection attempt, from the station's security state at
/// that moment: the URL for its SecurityProfile, HTTP Basic credentials (profiles 1 and 2:
/// user = id, password = AuthorizationKey), the trusted roots for `wss://` and, with
/// profile 3, the ChargePointCertificate to present.
pub(crate) fn connection_config(
    opts: &RunOptions,
    station: &station::Station,
    now: chrono::DateTime<chrono::Utc>,
) -> net::ClientConfig {
    let profile = station.security_profile();
    let url = opts.station_url_for_profile(profile);
    let basic_auth = match profile {
        1 | 2 => station
            .authorization_key()
            .map(|key| (opts.id.clone(), key)),
        _ => None,
    };
    let tls = strip_scheme(&url, "wss://").map(|_| {
        let identity = (profile == 3).then(|| station.tls_identity(now)).flatten();
        if profile == 3 && identity.is_none() {
            tracing::warn!("security profile 3 without a valid ChargePointCertificate");
        }
        let (cert, key) = identity.unzip();
        net::TlsClientConfig {
            roots_pem: station.tls_roots(),
            client_cert_pem: cert,
            client_key_pem: key,
            ..net::TlsClientConfig::default()
        }
    });
    net::ClientConfig {
        url,
        subprotocol: net::OCPP16.to_string(),
        basic_auth,
        tls,
        ..net::ClientConfig::default()
    }
}

pub(crate) enum Command {
    Operate {
        connector: ConnectorId,
        op: Operation,
        reply: oneshot::Sender<Result<ConnectorState, String>>,
    },
    /// The station's security log, oldest first.
    SecurityLog(oneshot::Sender<Vec<store::SecurityLogEntry>>),
    Shutdown(oneshot::Sender<()>),
}

/// A station running on its own task.
pub struct StationHandle {
    commander: Commander,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Station(#[from] station::StationError),
    #[error("cannot use the work directory: {0}")]
    WorkDir(std::io::Error),
}

impl StationHandle {
    /// Start a station on the simulated charger.
    pub fn start(
        opts: RunOptions,
        sim: SimCharger,
        store: Box<dyn store::Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<StationHandle, StartError> {
        let (commands, rx) = mpsc::channel(64);
        let (event_loop, state) = EventLoop::new(opts, sim, store, clock, rx)?;
        let task = tokio::spawn(event_loop.run());
        Ok(StationHandle {
            commander: Commander { commands, state },
            task,
        })
    }

    pub fn state(&self) -> StationState {
        self.commander.state()
    }

    /// Wait until the state satisfies `pred`, at most `timeout` of real time.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&StationState) -> bool,
    ) -> Result<StationState, StationState> {
        let mut rx = self.commander.state.clone();
        let found = match tokio::time::timeout(timeout, rx.wait_for(|s| pred(s))).await {
            Ok(Ok(s)) => Some(s.clone()),
            _ => None,
        };
        found.ok_or_else(|| self.state())
    }

    /// Carry out an operator action at a connector; answers with the connector's new state.
    pub async fn operate(
        &self,
        connector: ConnectorId,
        op: Operation,
    ) -> Result<ConnectorState, String> {
        self.commander.operate(connector, op).await
    }

    /// The station's security log (the SecurityLog of GetLog), oldest first: every
    /// security event it raised, including the transport failures the runner reports.
    pub async fn security_log(&self) -> Vec<store::SecurityLogEntry> {
        self.commander.security_log().await
    }

    pub fn commander(&self) -> Commander {
        self.commander.clone()
    }

    /// Stop the station and wait for its task to end.
    pub async fn shutdown(self) {
        let (tx, rx) = oneshot::channel();
        if self
            .commander
            .commands
            .send(Command::Shutdown(tx))
            .await
            .is_ok()
        {
            let _ = rx.await;
        }
        let _ = self.task.await;
    }
}

/// A cheap, cloneable way to operate a station and read its state (the control API holds one).
#[derive(Clone)]
pub struct Commander {
    commands: mpsc::Sender<Command>,
    state: watch::Receiver<StationState>,
}

impl Commander {
    pub fn state(&self) -> StationState {
        self.state.borrow().clone()
    }

    pub async fn operate(
        &self,
        connector: ConnectorId,
        op: Operation,
    ) -> Result<ConnectorState, String> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Operate {
                connector,
                op,
                reply,
            })
            .await
            .map_err(|_| "the station has stopped".to_string())?;
        rx.await
            .unwrap_or_else(|_| Err("the station has stopped".to_string()))
    }

    /// The station's security log, oldest first (empty once the station has stopped).
    pub async fn security_log(&self) -> Vec<store::SecurityLogEntry> {
        let (reply, rx) = oneshot::channel();
        if self
            .commands
            .send(Command::SecurityLog(reply))
            .await
            .is_err()
        {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }
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
