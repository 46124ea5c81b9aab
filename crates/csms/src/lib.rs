//! The built-in Central System: a real OCPP 1.6-J server for the demo, the end-to-end
//! tests and `chargepoint csms --listen ADDR`.
//!
//! [`CentralSystem::start`] listens; stations connect to `{base_url}/{id}` (any path whose
//! last segment is the id). It answers station-initiated CALLs as the spec says, lets the
//! caller send CALLs ([`CentralSystem::call`]), and reports everything as [`CsmsEvent`]s.
//!
//! Security: TLS with optional or required client certificates and HTTP Basic passwords
//! ([`CsmsConfig`]); a plain listener next to the TLS one serves every security profile at
//! once ([`CentralSystem::plain_base_url`], [`CentralSystem::security_profile`] tells which
//! one a station uses); with a signing CA, SignCertificate.req is answered with a
//! CertificateSigned.req ([`CsmsEvent::CertificateSigned`]). The AuthorizationKey of a
//! ChangeConfiguration.req never reaches the log.

mod config;
mod error;
mod events;
mod frame_log;
mod handlers;
mod rules;
mod server;
mod session;
mod state;
mod transactions;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ocpp::RegistrationStatus;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{AuthorizePolicy, CsmsConfig, TagInfo};
pub use error::CsmsError;
pub use events::{CsmsEvent, Direction, Events};
pub use frame_log::{frame_line, redact};
pub use rules::Rule;
pub use transactions::TransactionInfo;

use session::Command;
use state::Shared;

/// How long `disconnect` and `shutdown` wait for sessions to close their sockets.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// How a station's live connection is secured: what tells its security profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSecurity {
    /// Over TLS (`wss://`).
    pub tls: bool,
    /// The common name of the client certificate the station presented (profile 3).
    pub certificate_cn: Option<String>,
    /// That certificate (PEM).
    pub certificate_pem: Option<String>,
    /// The station passed the HTTP Basic auth check (profiles 1 and 2).
    pub basic_auth: bool,
}

impl LinkSecurity {
    /// The OCPP security profile this connection corresponds to: 3 with a client
    /// certificate, 2 with TLS and Basic auth, 1 with Basic auth alone, else 0.
    pub fn profile(&self) -> u8 {
        match (self.tls, self.certificate_cn.is_some(), self.basic_auth) {
            (true, true, _) => 3,
            (true, false, true) => 2,
            (false, _, true) => 1,
            _ => 0,
        }
    }
}

/// A running Central System. Cheap to clone; all clones drive the same server.
#[derive(Clone)]
pub struct CentralSystem {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    tls: bool,
    /// The main listener's transport security (its server certificate can be replaced).
    security: Arc<server::Security>,
    plain_addr: Option<SocketAddr>,
    accept_tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl CentralSystem {
    /// Bind `cfg.listen` (and `cfg.plain_listen`, if set) and start accepting stations. An
    /// unusable TLS configuration is an `InvalidInput` error.
    pub async fn start(cfg: CsmsConfig) -> std::io::Result<CentralSystem> {
        let security =
            Arc::new(server::Security::tls(&cfg).map_err(|e| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string())
            })?);
        let tls = cfg.tls.is_some();
        let listener = TcpListener::bind(cfg.listen).await?;
        let local_addr = listener.local_addr()?;
        let plain = match cfg.plain_listen {
            Some(addr) => Some(TcpListener::bind(addr).await?),
            None => None,
        };
        let plain_addr = plain.as_ref().map(TcpListener::local_addr).transpose()?;
        let shared = Arc::new(Shared::new(&cfg));
        let mut accept_tasks = vec![tokio::spawn(server::run(
            listener,
            shared.clone(),
            security.clone(),
        ))];
        tracing::info!(%local_addr, tls, "Central System listening");
        if let (Some(listener), Some(addr)) = (plain, plain_addr) {
            let security = Arc::new(server::Security::plain());
            accept_tasks.push(tokio::spawn(server::run(
                listener,
                shared.clone(),
                security,
            )));
            tracing::info!(local_addr = %addr, "Central System listening for plain ws://");
        }
        Ok(CentralSystem {
            inner: Arc::new(Inner {
                shared,
                local_addr,
                tls,
                security,
                plain_addr,
                accept_tasks: std::sync::Mutex::new(accept_tasks),
            }),
        })
    }

    /// The address of the main listener (`CsmsConfig::listen`).
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// The address of the extra plain listener (`CsmsConfig::plain_listen`), if any.
    pub fn plain_addr(&self) -> Option<SocketAddr> {
        self.inner.plain_addr
    }

    /// `ws://HOST:PORT/ocpp` (`wss://` with TLS); a station connects to `{base_url}/{id}`.
    pub fn base_url(&self) -> String {
        let scheme = if self.inner.tls { "wss" } else { "ws" };
        format!("{scheme}://{}/ocpp", self.inner.local_addr)
    }

    /// `ws://HOST:PORT/ocpp` of the extra plain listener (`CsmsConfig::plain_listen`), if
    /// any: profiles 0 and 1 connect here while profiles 2 and 3 use [`Self::base_url`].
    pub fn plain_base_url(&self) -> Option<String> {
        self.inner.plain_addr.map(|a| format!("ws://{a}/ocpp"))
    }

    /// Set (or replace) station `id`'s HTTP Basic password, e.g. after sending it a new
    /// AuthorizationKey; used from the next connection on. The first password turns the
    /// check on for every station.
    pub fn set_password(&self, id: &str, password: &[u8]) {
        self.shared().set_password(id, password.to_vec());
    }

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    pub fn is_connected(&self, id: &str) -> bool {
        self.shared().is_connected(id)
    }

    /// How station `id`'s live connection is secured (`None` when it is not connected).
    pub fn link_security(&self, id: &str) -> Option<LinkSecurity> {
        self.shared().link(id)
    }

    /// Our address as station `id` reached it on its live connection: the one to give it
    /// for anything else it should reach here (a file server), whatever `listen` was.
    pub fn reached_at(&self, id: &str) -> Option<SocketAddr> {
        self.shared().reached_at(id)
    }

    /// The security profile of station `id`'s live connection ([`LinkSecurity::profile`]).
    pub fn security_profile(&self, id: &str) -> Option<u8> {
        self.link_security(id).map(|l| l.profile())
    }

    /// The ids of the stations connected now.
    pub fn connected_stations(&self) -> Vec<String> {
        self.shared().connected()
    }

    /// The status of the last BootNotification answer given to `id`, if any.
    pub fn registration(&self, id: &str) -> Option<RegistrationStatus> {
        self.shared().record(id).registration
    }

    /// Wait until station `id` is connected (returns at once if it already is).
    pub async fn wait_connected(&self, id: &str, timeout: Duration) -> Result<(), CsmsError> {
        // Subscribe before checking so a connection in between is not missed.
        let mut events = self.subscribe();
        if self.is_connected(id) {
            return Ok(());
        }
        events
            .find(timeout, |ev| match ev {
                CsmsEvent::Connected { station } if station == id => Some(()),
                _ => None,
            })
            .await
            .ok_or(CsmsError::Timeout)
    }

    /// Send a typed CALL to station `id` and decode its answer.
    pub async fn call<R: ocpp::Request>(&self, id: &str, req: R) -> Result<R::Response, CsmsError> {
        let payload = serde_json::to_value(&req)
            .map_err(|e| CsmsError::Decode(format!("encoding request: {e}")))?;
        let answer = self.call_raw(id, R::ACTION.as_str(), payload).await?;
        ocpp::decode::<R::Response>(&answer).map_err(|e| {
            let detail = format!(
                "{} {}: {}",
                e.code.as_str(),
                R::ACTION.as_str(),
                e.description
            );
            rules::report(
                self.shared(),
                id,
                Rule::InvalidAnswer,
                detail.clone(),
                &answer.to_string(),
            );
            CsmsError::Decode(detail)
        })
    }

    /// Send a CALL with any action and payload; the answer's payload, undecoded.
    ///
    /// CALLs to one station go out one at a time, in order; each waits up to the
    /// configured `call_timeout` once it is on the wire.
    pub async fn call_raw(
        &self,
        id: &str,
        action: &str,
        payload: Value,
    ) -> Result<Value, CsmsError> {
        let (reply, answer) = oneshot::channel();
        self.command(
            id,
            Command::Call {
                action: action.to_owned(),
                payload,
                reply,
            },
        )?;
        answer.await.map_err(|_| CsmsError::Closed)?
    }

    /// Send raw text to station `id`, e.g. an invalid frame; replies show up as events.
    pub async fn send_text(&self, id: &str, text: String) -> Result<(), CsmsError> {
        let (done, sent) = oneshot::channel();
        self.command(id, Command::SendText { text, done })?;
        sent.await.map_err(|_| CsmsError::Closed)?
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> Events {
        Events(self.shared().events.subscribe())
    }

    /// The registration status for BootNotifications from now on.
    pub fn set_boot_status(&self, status: RegistrationStatus) {
        self.shared().update_settings(|s| s.boot_status = status);
    }

    /// The heartbeat interval (seconds) for BootNotifications from now on.
    pub fn set_heartbeat_interval(&self, secs: i32) {
        self.shared()
            .update_settings(|s| s.heartbeat_interval = secs);
    }

    pub fn set_authorize(&self, policy: AuthorizePolicy) {
        self.shared().update_settings(|s| s.authorize = policy);
    }

    /// Whether new connections are taken (`true` at start). While `false`, a station that
    /// connects has its TCP connection closed at once, as an unreachable Central System
    /// would: with [`Self::disconnect`] this puts a station offline for as long as a test
    /// needs.
    pub fn set_accepting(&self, accepting: bool) {
        self.shared().set_accepting(accepting);
    }

    pub fn set_call_timeout(&self, timeout: Duration) {
        self.shared().update_settings(|s| s.call_timeout = timeout);
    }

    /// Close station `id`'s connection from our side (a clean WebSocket close). Returns
    /// once the session has ended; does nothing if the station is not connected.
    pub async fn disconnect(&self, id: &str) {
        let (done, closed) = oneshot::channel();
        if self.command(id, Command::Disconnect { done }).is_ok() {
            let _ = tokio::time::timeout(CLOSE_WAIT, closed).await;
        }
    }

    /// The transactions seen so far, in start order.
    pub fn transactions(&self) -> Vec<TransactionInfo> {
        self.shared().transactions.all()
    }

    /// Frames exchanged with station `id` in both directions, over all its connections.
    pub fn frame_count(&self, id: &str) -> usize {
        self.shared().record(id).frames
    }

    /// Replace the CA that signs the CSRs of SignCertificate.req from now on (`None`:
    /// SignCertificate is Rejected), e.g. with one the station does not trust, to see it
    /// reject the certificate that follows.
    pub fn set_signing_ca(&self, ca: Option<(String, String)>) {
        self.shared().set_signing_ca(ca);
    }

    /// Present this server certificate (certificate PEM, key PEM) on the main listener's
    /// TLS connections from now on, e.g. one the station must refuse; `None`: the configured
    /// one again. Connections already up keep theirs. An `InvalidInput` error when the
    /// listener has no TLS or the certificate and key do not make a TLS server.
    pub fn set_server_certificate(&self, cert: Option<(&str, &str)>) -> std::io::Result<()> {
        self.inner
            .security
            .set_certificate(cert)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))
    }

    /// How many TLS handshakes failed so far on the TLS listener, from any client (e.g. a
    /// station that refused the server certificate).
    pub fn failed_tls_handshakes(&self) -> u64 {
        self.shared().tls_failures()
    }

    /// Stop listening and close every station connection.
    pub async fn shutdown(&self) {
        // `send_replace`, not `send`: an accept task that has not subscribed yet (a shutdown
        // right after the start) must still find the flag set.
        self.shared().shutdown.send_replace(true);
        let tasks = std::mem::take(
            &mut *self
                .inner
                .accept_tasks
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for task in tasks {
            let _ = task.await;
        }
        // Sessions see the same signal; wait for them to let go of their sockets.
        let deadline = tokio::time::Instant::now() + CLOSE_WAIT;
        while !self.shared().connected().is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn command(&self, id: &str, cmd: Command) -> Result<(), CsmsError> {
        self.shared()
            .commands(id)
            .ok_or_else(|| CsmsError::NotConnected(id.to_owned()))?
            .send(cmd)
            .map_err(|_| CsmsError::NotConnected(id.to_owned()))
    }
}
