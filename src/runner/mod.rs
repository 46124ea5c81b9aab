//! The async shell around the sans-IO station: it owns the WebSocket, the hardware and the
//! clock, feeds the station its inputs and carries out its outputs.

mod event_loop;
mod meter_file;
mod operation;
mod state;

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
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub id: String,
    /// The Central System's URL; the station connects to `{csms_url}/{id}`.
    pub csms_url: String,
    /// Values for configuration keys at first start; keys changed over OCPP since win.
    pub initial_keys: Vec<(String, String)>,
    pub call_timeout: chrono::Duration,
    pub reconnect_min: chrono::Duration,
    pub reconnect_max: chrono::Duration,
    /// A maker's DataTransfer extensions (none by default: every vendorId is unknown).
    pub data_transfer: station::DataTransferVendors,
    /// Where the simulated meters keep their registers across restarts (none: in memory).
    pub meter_file: Option<std::path::PathBuf>,
    /// OCPP security profile 0..=3: 1 and 2 send HTTP Basic credentials, 2 and 3 use TLS,
    /// 3 presents `client_cert`.
    pub security_profile: u8,
    /// The HTTP Basic password (the `AuthorizationKey` bytes), profiles 1 and 2.
    pub authorization_key: Option<Vec<u8>>,
    /// Trusted roots for `wss://` (PEM texts).
    pub ca_pem: Vec<String>,
    /// The charge point certificate (PEM) and its key, profile 3.
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
}

impl RunOptions {
    pub fn new(id: impl Into<String>, csms_url: impl Into<String>) -> RunOptions {
        RunOptions {
            id: id.into(),
            csms_url: csms_url.into(),
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
        }
    }

    /// HTTP Basic credentials for the handshake: id and AuthorizationKey, profiles 1 and 2.
    pub fn basic_auth(&self) -> Option<(String, Vec<u8>)> {
        match self.security_profile {
            1 | 2 => self
                .authorization_key
                .clone()
                .map(|key| (self.id.clone(), key)),
            _ => None,
        }
    }

    /// TLS settings for a `wss://` URL: the trusted roots, and the client certificate with
    /// profile 3. `None` for `ws://` (a wss URL without them fails; it never falls back).
    pub fn tls(&self) -> Option<net::TlsClientConfig> {
        if !self.csms_url.to_ascii_lowercase().starts_with("wss://") {
            return None;
        }
        let profile3 = self.security_profile == 3;
        Some(net::TlsClientConfig {
            roots_pem: self.ca_pem.clone(),
            client_cert_pem: self.client_cert.clone().filter(|_| profile3),
            client_key_pem: self.client_key.clone().filter(|_| profile3),
            ..net::TlsClientConfig::default()
        })
    }

    /// `{csms_url}/{id}` with exactly one slash between.
    pub fn station_url(&self) -> String {
        format!("{}/{}", self.csms_url.trim_end_matches('/'), self.id)
    }
}

pub(crate) enum Command {
    Operate {
        connector: ConnectorId,
        op: Operation,
        reply: oneshot::Sender<Result<ConnectorState, String>>,
    },
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
}
