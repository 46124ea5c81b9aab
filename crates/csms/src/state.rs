//! State shared by the accept loop, the station sessions and the `CentralSystem` handle.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ocpp::RegistrationStatus;
use tokio::sync::{broadcast, mpsc, watch};

use crate::config::{AuthorizePolicy, CsmsConfig};
use crate::events::CsmsEvent;
use crate::session::Command;
use crate::transactions::Transactions;
use crate::LinkSecurity;

/// Room for events not yet read by a slow subscriber before it starts losing them.
const EVENT_CAPACITY: usize = 8192;

/// The answer settings, changeable while running.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub heartbeat_interval: i32,
    pub boot_status: RegistrationStatus,
    pub authorize: AuthorizePolicy,
    pub call_timeout: Duration,
}

/// How to reach the live session of one station.
pub(crate) struct SessionHandle {
    /// Tells a replaced session apart from its successor under the same id.
    pub conn_id: u64,
    pub commands: mpsc::UnboundedSender<Command>,
    /// How the connection is secured.
    pub link: LinkSecurity,
    /// Our address as the station reached it (the local end of its socket).
    pub reached_at: Option<std::net::SocketAddr>,
}

/// What we remember about a station across its connections.
#[derive(Debug, Default, Clone)]
pub(crate) struct StationRecord {
    /// The status of the last BootNotification answer; `None` before any.
    pub registration: Option<RegistrationStatus>,
    pub frames: usize,
}

/// HTTP Basic passwords: station id -> password bytes; `None`: no check.
pub(crate) type Passwords = Option<BTreeMap<String, Vec<u8>>>;

pub(crate) struct Shared {
    settings: Mutex<Settings>,
    passwords: Mutex<Passwords>,
    /// Signs the CSRs of SignCertificate.req: (CA certificate PEM, CA key PEM).
    signing_ca: Mutex<Option<(String, String)>>,
    /// TLS handshakes that failed on a TLS listener (any client).
    tls_failures: AtomicU64,
    sessions: Mutex<HashMap<String, SessionHandle>>,
    records: Mutex<HashMap<String, StationRecord>>,
    pub events: broadcast::Sender<CsmsEvent>,
    pub transactions: Transactions,
    next_id: AtomicU64,
    pub shutdown: watch::Sender<bool>,
    refusing: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data stays consistent between statements; survive a panicked holder.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(cfg: &CsmsConfig) -> Self {
        Self {
            settings: Mutex::new(Settings {
                heartbeat_interval: cfg.heartbeat_interval,
                boot_status: cfg.boot_status,
                authorize: cfg.authorize.clone(),
                call_timeout: cfg.call_timeout,
            }),
            passwords: Mutex::new(cfg.passwords.clone()),
            signing_ca: Mutex::new(cfg.signing_ca.clone()),
            tls_failures: AtomicU64::new(0),
            sessions: Mutex::default(),
            records: Mutex::default(),
            events: broadcast::channel(EVENT_CAPACITY).0,
            transactions: Transactions::default(),
            next_id: AtomicU64::new(1),
            shutdown: watch::channel(false).0,
            refusing: AtomicBool::new(false),
        }
    }

    pub fn set_accepting(&self, accepting: bool) {
        self.refusing.store(!accepting, Ordering::Relaxed);
    }

    pub fn accepting(&self) -> bool {
        !self.refusing.load(Ordering::Relaxed)
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    pub fn update_settings(&self, f: impl FnOnce(&mut Settings)) {
        f(&mut lock(&self.settings));
    }

    /// Whether HTTP Basic auth is checked at all.
    pub fn checks_passwords(&self) -> bool {
        lock(&self.passwords).is_some()
    }

    /// Whether `password` is station `id`'s (false for an unknown id).
    pub fn password_matches(&self, id: &str, password: &[u8]) -> bool {
        lock(&self.passwords)
            .as_ref()
            .and_then(|p| p.get(id))
            .is_some_and(|p| p.as_slice() == password)
    }

    /// Set station `id`'s password (turns the check on if it was off).
    pub fn set_password(&self, id: &str, password: Vec<u8>) {
        lock(&self.passwords)
            .get_or_insert_with(BTreeMap::new)
            .insert(id.to_owned(), password);
    }

    /// The CA that signs SignCertificate.req CSRs now: (certificate PEM, key PEM).
    pub fn signing_ca(&self) -> Option<(String, String)> {
        lock(&self.signing_ca).clone()
    }

    pub fn set_signing_ca(&self, ca: Option<(String, String)>) {
        *lock(&self.signing_ca) = ca;
    }

    pub fn count_tls_failure(&self) {
        self.tls_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn tls_failures(&self) -> u64 {
        self.tls_failures.load(Ordering::Relaxed)
    }

    /// A number unique within this Central System (connection ids, CALL unique ids).
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn emit(&self, ev: CsmsEvent) {
        // No subscribers is normal.
        let _ = self.events.send(ev);
    }

    /// Make `handle` the live session for `station`; the previous one, if any, is told to
    /// close (a new connection for an id replaces the old one).
    pub fn register(&self, station: &str, handle: SessionHandle) {
        let old = lock(&self.sessions).insert(station.to_owned(), handle);
        if let Some(old) = old {
            tracing::info!(station, "new connection replaces the previous one");
            let _ = old.commands.send(Command::Replaced);
        }
    }

    /// Forget the session `conn_id` of `station`; `false` if it was already replaced.
    pub fn unregister(&self, station: &str, conn_id: u64) -> bool {
        let mut sessions = lock(&self.sessions);
        match sessions.get(station) {
            Some(h) if h.conn_id == conn_id => {
                sessions.remove(station);
                true
            }
            _ => false,
        }
    }

    pub fn commands(&self, station: &str) -> Option<mpsc::UnboundedSender<Command>> {
        lock(&self.sessions)
            .get(station)
            .map(|h| h.commands.clone())
    }

    pub fn reached_at(&self, station: &str) -> Option<std::net::SocketAddr> {
        lock(&self.sessions).get(station).and_then(|h| h.reached_at)
    }

    pub fn link(&self, station: &str) -> Option<LinkSecurity> {
        lock(&self.sessions).get(station).map(|h| h.link.clone())
    }

    pub fn connected(&self) -> Vec<String> {
        lock(&self.sessions).keys().cloned().collect()
    }

    pub fn is_connected(&self, station: &str) -> bool {
        lock(&self.sessions).contains_key(station)
    }

    pub fn count_frame(&self, station: &str) {
        lock(&self.records)
            .entry(station.to_owned())
            .or_default()
            .frames += 1;
    }

    pub fn record(&self, station: &str) -> StationRecord {
        lock(&self.records)
            .get(station)
            .cloned()
            .unwrap_or_default()
    }

    pub fn set_registration(&self, station: &str, status: RegistrationStatus) {
        lock(&self.records)
            .entry(station.to_owned())
            .or_default()
            .registration = Some(status);
    }
}

/// Resolves once shutdown is signalled (or the signal's owner is gone).
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    // Map the guard away at once: it is not `Send` and must not live across an await.
    let _ = rx.wait_for(|stop| *stop).await.map(|_| ());
}
