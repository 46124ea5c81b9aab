//! One station's event loop: WebSocket, hardware, operator commands and the clock in; the
//! station's outputs out.

use super::file_jobs::{FileJobs, Slot};
use super::meter_file::MeterFile;
use super::operation::Operate;
use super::state::{ConnectorState, StationState};
use super::{connection_config, Command, RunOptions, StartError};
use crate::clock::Clock;
use crate::frame_log;
use chrono::{DateTime, Duration, Utc};
use hal::sim::SimCharger;
use hal::{Charger, HardwareCommand, HardwareEvent};
use net::{Backoff, Connection, NetError};
use station::{Input, Output, SecurityEvent, Station, StationConfig, UploadContent};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How often the simulated hardware is looked at while something happens there.
const PHYSICS_STEP: Duration = Duration::seconds(1);
const IDLE_STEP: Duration = Duration::seconds(10);
/// Connection attempts with a newly raised SecurityProfile before falling back to the
/// previous one (counted, not timed: the backoff runs between them as usual).
const PROFILE_ATTEMPTS: u32 = 3;

/// A SecurityProfile raised over OCPP that no connection has proven yet.
#[derive(Debug, Clone, Copy)]
struct ProfileTrial {
    profile: u8,
    /// The profile of the last successful connection: where a failed trial goes back to.
    previous: u8,
    /// Failed attempts with `profile` so far.
    failures: u32,
}

/// Why a connection attempt failed: the error text (no secrets in it) and the security
/// event it stands for, if any.
struct Failure {
    text: String,
    event: Option<SecurityEvent>,
}

pub(crate) struct EventLoop {
    opts: RunOptions,
    station: Station,
    charger: SimCharger,
    clock: Arc<dyn Clock>,
    commands: mpsc::Receiver<Command>,
    state: watch::Sender<StationState>,
    conn: Option<Connection>,
    connecting: Option<JoinHandle<Result<Connection, NetError>>>,
    /// The URL and SecurityProfile of the connection attempt under way (or of the
    /// connection it opened).
    attempt: (String, u8),
    /// The SecurityProfile of the last successful connection (none before the first).
    known_good: Option<u8>,
    /// A SecurityProfile raised over OCPP, being tried.
    trial: Option<ProfileTrial>,
    /// The SecurityProfile the station just changed to: reconnect with it once the outputs
    /// at hand (the ChangeConfiguration answer) are out.
    switch_profile: Option<u8>,
    /// The security event raised for the failure streak in progress: the same failure on
    /// every retry raises it only once; a successful connection ends the streak.
    failure_event: Option<SecurityEvent>,
    reconnect_at: Option<DateTime<Utc>>,
    backoff: Backoff,
    ping_interval: Option<std::time::Duration>,
    /// The station gave Output::Reset (`hard`): restart it before anything else.
    reset: Option<bool>,
    /// Restarts after a Reset so far.
    restarts: u64,
    meter_file: Option<MeterFile>,
    /// Firmware downloads, signature checks and uploads under way.
    jobs: FileJobs,
}

impl EventLoop {
    pub(crate) fn new(
        opts: RunOptions,
        mut charger: SimCharger,
        store: Box<dyn store::Store>,
        clock: Arc<dyn Clock>,
        commands: mpsc::Receiver<Command>,
    ) -> Result<(EventLoop, watch::Receiver<StationState>), StartError> {
        let now = clock.now();
        let mut meter_file = opts.meter_file.clone().map(MeterFile::new);
        if let Some(file) = meter_file.as_mut() {
            charger.restore_meter_registers(&file.load());
        }
        let jobs = FileJobs::new(opts.work_dir.clone()).map_err(StartError::WorkDir)?;
        // What an earlier run installed is what the charger runs now.
        if let Some(version) = jobs.saved_firmware_version() {
            charger.restore_firmware_version(&version);
        }
        if let Some(capture) = &opts.log_capture {
            capture.set_clock(clock.clone());
        }
        let station = build_station(&opts, &charger, store, now, 0)?;
        let ping = station.config().int("WebSocketPingInterval");
        let backoff = Backoff::new(
            opts.reconnect_min.to_std().unwrap_or_default(),
            opts.reconnect_max.to_std().unwrap_or_default(),
        );
        let (state, rx) = watch::channel(StationState {
            id: opts.id.clone(),
            connected: false,
            connectors: Vec::new(),
        });
        let mut event_loop = EventLoop {
            opts,
            station,
            charger,
            clock,
            commands,
            state,
            conn: None,
            connecting: None,
            attempt: (String::new(), 0),
            known_good: None,
            trial: None,
            switch_profile: None,
            failure_event: None,
            reconnect_at: Some(now),
            backoff,
            ping_interval: ping_interval(ping),
            reset: None,
            restarts: 0,
            meter_file,
            jobs,
        };
        event_loop.publish();
        Ok((event_loop, rx))
    }

    pub(crate) async fn run(mut self) {
        loop {
            if let Some(hard) = self.reset.take() {
                // Section 5.14: the station restarts in this process, from the same store.
                self.close().await;
                let now = self.clock.now();
                tracing::info!(
                    "{} reset: restarting the station",
                    if hard { "hard" } else { "soft" }
                );
                if hard {
                    self.charger.power_cycle(now);
                }
                // The new station resumes what it persisted, under new job ids.
                self.jobs.abort_all();
                self.restarts += 1;
                let store = self.station.into_store();
                match build_station(&self.opts, &self.charger, store, now, self.restarts) {
                    Ok(station) => self.station = station,
                    Err(e) => {
                        tracing::error!("cannot restart the station after a reset: {e}");
                        return;
                    }
                }
                let ping = self.station.config().int("WebSocketPingInterval");
                self.ping_interval = ping_interval(ping);
                self.backoff.reset();
                self.reconnect_at = Some(now);
                self.publish();
            }
            let now = self.clock.now();
            self.step(now, None).await;
            self.start_connecting(now);
            let wake = self.next_wake(now);
            let sleep = self.clock.sleep_until(wake);
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(Command::Operate { connector, op, reply }) => {
                        let now = self.clock.now();
                        let result = self
                            .charger
                            .operate(connector, &op, now)
                            .map_err(|e| e.to_string());
                        self.step(now, None).await;
                        let answer = result.and_then(|()| {
                            self.state
                                .borrow()
                                .connectors
                                .iter()
                                .find(|c| c.id == connector)
                                .cloned()
                                .ok_or_else(|| format!("unknown connector {connector}"))
                        });
                        let _ = reply.send(answer);
                    }
                    Some(Command::SecurityLog(reply)) => {
                        let _ = reply.send(self.station.security_log());
                    }
                    Some(Command::Shutdown(done)) => {
                        self.jobs.abort_all();
                        self.close().await;
                        let _ = done.send(());
                        return;
                    }
                    None => {
                        self.jobs.abort_all();
                        self.close().await;
                        return;
                    }
                },
                input = self.jobs.next() => {
                    let now = self.clock.now();
                    self.step(now, Some(input)).await;
                }
                received = recv(&mut self.conn) => {
                    let now = self.clock.now();
                    match received {
                        Ok(Some(text)) => {
                            frame_log::log_frame("<-", &text);
                            self.step(now, Some(Input::Received(text))).await;
                        }
                        Ok(None) => self.lost_connection(now, "closed by the Central System").await,
                        Err(e) => self.lost_connection(now, &e.to_string()).await,
                    }
                }
                connected = join(&mut self.connecting) => {
                    self.connecting = None;
                    let now = self.clock.now();
                    match connected {
                        Ok(conn) => {
                            self.connected(conn, now).await;
                        }
                        Err(failure) => self.connect_failed(failure, now).await,
                    }
                }
                _ = sleep => {}
            }
        }
    }

    /// Bring the hardware up to `now`, give the station its inputs and carry out its outputs.
    async fn step(&mut self, now: DateTime<Utc>, input: Option<Input>) {
        // The readings are brought up to date first, without running the station's timers,
        // so that a sample taken while handling the input is current. What arrived goes in
        // next: an answer read now must not lose against a response deadline the hardware
        // events below would check first.
        let events = self.charger.poll(now);
        // Saved before the station sees the readings: a sample it persists is never ahead of
        // the register a restart starts from.
        if let Some(file) = self.meter_file.as_mut() {
            file.save(self.charger.meter_registers());
        }
        for connector in 1..=self.charger.connector_count() {
            if let Some(reading) = self.charger.meter(connector) {
                self.station.set_meter(connector, reading);
            }
        }
        if let Some(input) = input {
            self.station.handle(input, now);
        }
        for event in events {
            self.station.handle(Input::Hardware(event), now);
        }
        self.station.handle(Input::Tick, now);
        self.drain(now).await;
        if let Some(profile) = self.switch_profile.take() {
            self.switch_profile(profile, now).await;
        }
        self.publish();
    }

    /// A connection attempt succeeded: its profile is the known-good one now.
    async fn connected(&mut self, conn: Connection, now: DateTime<Utc>) {
        let (url, profile) = self.attempt.clone();
        tracing::info!("connected to {url} (security profile {profile})");
        self.backoff.reset();
        self.known_good = Some(profile);
        self.failure_event = None;
        if self.trial.is_some_and(|t| t.profile == profile) {
            tracing::info!("security profile {profile} works");
            self.trial = None;
        }
        self.conn = Some(conn);
        self.step(now, Some(Input::Connected)).await;
    }

    /// A connection attempt failed: retry after the backoff; tell the station about a
    /// security problem once per streak; after the last attempt with a newly raised
    /// SecurityProfile, fall back to the previous one.
    async fn connect_failed(&mut self, failure: Failure, now: DateTime<Utc>) {
        let (url, profile) = self.attempt.clone();
        let delay = self.backoff.next_delay_random();
        tracing::warn!(
            "cannot connect to {url} (security profile {profile}): {}; retrying in {:.1} s",
            failure.text,
            delay.as_secs_f64()
        );
        self.reconnect_at = Some(now + chrono_duration(delay));
        if let Some(kind) = failure.event {
            if self.failure_event != Some(kind) {
                self.failure_event = Some(kind);
                let tech_info = Some(failure.text.clone());
                self.step(now, Some(Input::SecurityEvent { kind, tech_info }))
                    .await;
            }
        }
        let Some(trial) = self.trial.as_mut().filter(|t| t.profile == profile) else {
            return;
        };
        trial.failures += 1;
        if trial.failures < PROFILE_ATTEMPTS {
            return;
        }
        let previous = trial.previous;
        self.trial = None;
        tracing::warn!(
            "security profile {profile} failed {PROFILE_ATTEMPTS} times; \
             falling back to profile {previous}"
        );
        let fallback = Input::SecurityProfileFallback {
            profile: previous,
            reason: failure.text,
        };
        self.step(now, Some(fallback)).await;
        // The previous profile worked: no reason to wait.
        self.backoff.reset();
        self.reconnect_at = Some(now);
    }

    /// The station accepted a new SecurityProfile: close the connection (the answer is
    /// out) and connect with it at once; remember the profile that worked to fall back to.
    async fn switch_profile(&mut self, profile: u8, now: DateTime<Utc>) {
        let previous = self.known_good.unwrap_or(self.attempt.1);
        if profile == previous && self.trial.is_none() {
            return;
        }
        tracing::info!("SecurityProfile {profile} (was {previous}): reconnecting with it");
        self.trial = Some(ProfileTrial {
            profile,
            previous,
            failures: 0,
        });
        if let Some(task) = self.connecting.take() {
            task.abort();
        }
        if let Some(conn) = self.conn.take() {
            conn.close().await;
            self.station.handle(Input::Disconnected, now);
            self.drain(now).await;
        }
        self.backoff.reset();
        self.reconnect_at = Some(now);
    }

    async fn drain(&mut self, now: DateTime<Utc>) {
        while let Some(output) = self.station.poll_output() {
            match output {
                Output::Send(text) => {
                    frame_log::log_frame("->", &text);
                    let sent = match self.conn.as_mut() {
                        Some(conn) => conn.send(text).await,
                        None => Ok(()),
                    };
                    if let Err(e) = sent {
                        self.conn = None;
                        self.station.handle(Input::Disconnected, now);
                        self.schedule_reconnect(now, &e.to_string());
                    }
                }
                Output::Hardware(cmd) => {
                    let result = self.charger.command(cmd.clone(), now);
                    if let Err(e) = &result {
                        tracing::error!("hardware refused {cmd:?}: {e}");
                    }
                    if let HardwareCommand::Unlock { connector } = cmd {
                        let unlocked = result.is_ok();
                        self.station.handle(
                            Input::UnlockResult {
                                connector,
                                unlocked,
                            },
                            now,
                        );
                    }
                }
                Output::Reset { hard } => self.reset = Some(hard),
                Output::ClockSync(t) => self.clock.sync(t),
                Output::ConfigChanged { key, value } => match key.as_str() {
                    // Takes effect with the next connection.
                    "WebSocketPingInterval" => {
                        self.ping_interval = ping_interval(value.parse().unwrap_or(0));
                    }
                    "SecurityProfile" => match value.parse::<u8>() {
                        Ok(profile) => self.switch_profile = Some(profile),
                        Err(_) => tracing::error!("SecurityProfile {value:?} is no profile"),
                    },
                    // A new ChargePointCertificate is presented from the next connection
                    // on (each attempt asks the station for it).
                    _ => {}
                },
                Output::DownloadFirmware { job, url } => {
                    let cfg = self.transfer_config();
                    self.jobs.download(job, url, cfg);
                }
                Output::VerifyFirmware {
                    job,
                    signing_certificate,
                    signature,
                } => self.jobs.verify(job, signing_certificate, signature),
                Output::InstallFirmware { job } => {
                    let result = self.jobs.install(job, &mut self.charger);
                    self.station
                        .handle(Input::FirmwareInstalled { job, result }, now);
                }
                Output::Upload {
                    job,
                    url,
                    file_name,
                    content,
                } => {
                    let slot = match content {
                        UploadContent::Diagnostics { .. } => Slot::Diagnostics,
                        UploadContent::DiagnosticsLog { .. }
                        | UploadContent::SecurityLog { .. } => Slot::Log,
                    };
                    let file = super::upload_file::snapshot(
                        &content,
                        &self.station,
                        &self.opts.id,
                        &self.charger.info(),
                        self.opts.log_capture.as_ref(),
                        now,
                    );
                    let cfg = self.transfer_config();
                    self.jobs.upload(slot, job, url, file_name, file, cfg);
                }
            }
        }
    }

    /// How transfers connect: trusting the installed Central System and manufacturer roots
    /// (and the system's, unless switched off).
    fn transfer_config(&self) -> transfer::TransferConfig {
        let mut roots = self.station.tls_roots();
        roots.extend(self.station.manufacturer_roots());
        transfer::TransferConfig {
            roots_pem: roots,
            system_roots: self.opts.transfer_system_roots,
            ..transfer::TransferConfig::default()
        }
    }

    async fn lost_connection(&mut self, now: DateTime<Utc>, why: &str) {
        self.conn = None;
        self.schedule_reconnect(now, why);
        self.step(now, Some(Input::Disconnected)).await;
    }

    fn schedule_reconnect(&mut self, now: DateTime<Utc>, why: &str) {
        let delay = self.backoff.next_delay_random();
        tracing::warn!(
            "connection lost ({why}); reconnecting in {:.1} s",
            delay.as_secs_f64()
        );
        self.reconnect_at = Some(now + chrono_duration(delay));
    }

    fn start_connecting(&mut self, now: DateTime<Utc>) {
        if self.conn.is_some() || self.connecting.is_some() {
            return;
        }
        if self.reconnect_at.is_none_or(|t| t > now) {
            return;
        }
        self.reconnect_at = None;
        let cfg = net::ClientConfig {
            ping_interval: self.ping_interval,
            connect_timeout: std::time::Duration::from_secs(10),
            ..connection_config(&self.opts, &self.station, now)
        };
        self.attempt = (cfg.url.clone(), self.station.security_profile());
        self.connecting = Some(tokio::spawn(async move { net::connect(&cfg).await }));
    }

    fn next_wake(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let busy = (1..=self.charger.connector_count())
            .filter_map(|c| self.charger.snapshot(c))
            .any(|s| s.plugged || s.energized);
        let step = if busy { PHYSICS_STEP } else { IDLE_STEP };
        [
            Some(now + step),
            self.station.poll_timeout(),
            self.reconnect_at,
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now + step)
        .max(now)
    }

    fn publish(&mut self) {
        let connectors = self
            .station
            .connectors()
            .iter()
            .map(|view| ConnectorState::new(view, self.charger.snapshot(view.id).as_ref()))
            .collect();
        let state = StationState {
            id: self.opts.id.clone(),
            connected: self.station.is_online(),
            connectors,
        };
        self.state.send_if_modified(|old| {
            let changed = *old != state;
            *old = state;
            changed
        });
    }

    async fn close(&mut self) {
        if let Some(task) = self.connecting.take() {
            task.abort();
        }
        if let Some(conn) = self.conn.take() {
            conn.close().await;
        }
    }
}

/// A station for `charger` on `store`; `restarts` makes message ids differ across restarts.
/// It learns the hardware's present state (an EV plugged in, an active fault) at once, as
/// a real charger's inputs would show it at power-up.
fn build_station(
    opts: &RunOptions,
    charger: &SimCharger,
    store: Box<dyn store::Store>,
    now: DateTime<Utc>,
    restarts: u64,
) -> Result<Station, station::StationError> {
    let mut cfg = StationConfig::new(charger.info(), charger.connector_count());
    cfg.identity = opts.id.clone();
    cfg.call_timeout = opts.call_timeout;
    cfg.initial_keys = initial_keys(opts);
    // Provisioned at first start; what was installed over OCPP since stays.
    cfg.central_system_roots = opts.ca_pem.clone();
    cfg.charge_point_certificate = opts.client_cert.clone().zip(opts.client_key.clone());
    cfg.cable_lock = charger.has_cable_lock();
    cfg.data_transfer = opts.data_transfer.clone();
    // Smart Charging converts A <-> W with it while no EV voltage is measured.
    cfg.nominal_voltage_v = charger.config().ev.nominal_voltage_v;
    cfg.max_current_a = charger.config().max_current_a;
    cfg.max_power_w = charger.config().max_power_w;
    cfg.message_id_seed =
        (now.timestamp_millis() as u64 % 1_000_000) * 1000 + restarts.wrapping_mul(1_000_000_000);
    let mut station = Station::new(cfg, store, now)?;
    for connector in 1..=charger.connector_count() {
        let Some(hw) = charger.snapshot(connector) else {
            continue;
        };
        let mut events = Vec::new();
        if hw.plugged {
            events.push(HardwareEvent::CablePlugged { connector });
        }
        if hw.ev_suspended {
            events.push(HardwareEvent::EvSuspended {
                connector,
                suspended: true,
            });
        }
        if let Some(error_code) = hw.fault {
            events.push(HardwareEvent::Fault {
                connector,
                error_code,
                active: true,
            });
        }
        for event in events {
            station.handle(Input::Hardware(event), now);
        }
    }
    Ok(station)
}

/// The configured keys plus SecurityProfile and AuthorizationKey (hex) from the security
/// settings, unless the keys name them already. The station loads these first; values
/// changed over OCPP and stored win over both.
fn initial_keys(opts: &RunOptions) -> Vec<(String, String)> {
    let mut keys = opts.initial_keys.clone();
    let has = |keys: &[(String, String)], name: &str| {
        keys.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    if !has(&keys, "SecurityProfile") {
        keys.push(("SecurityProfile".into(), opts.security_profile.to_string()));
    }
    if let Some(key) = &opts.authorization_key {
        if !has(&keys, "AuthorizationKey") {
            keys.push(("AuthorizationKey".into(), hex(key)));
        }
    }
    keys
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn ping_interval(seconds: i64) -> Option<std::time::Duration> {
    (seconds > 0).then(|| std::time::Duration::from_secs(seconds as u64))
}

fn chrono_duration(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::seconds(60))
}

async fn recv(conn: &mut Option<Connection>) -> Result<Option<String>, NetError> {
    match conn {
        Some(conn) => conn.recv().await,
        None => std::future::pending().await,
    }
}

async fn join(
    task: &mut Option<JoinHandle<Result<Connection, NetError>>>,
) -> Result<Connection, Failure> {
    match task {
        Some(task) => match task.await {
            Ok(result) => result.map_err(|e| Failure {
                event: transport_event(&e),
                text: e.to_string(),
            }),
            Err(e) => Err(Failure {
                text: format!("connect task failed: {e}"),
                event: None,
            }),
        },
        None => std::future::pending().await,
    }
}

/// The security event a failed connection attempt stands for: the Central System's
/// certificate did not verify, no TLS version or cipher suite in common, or the Central
/// System refused our credentials (HTTP 401).
pub(crate) fn transport_event(e: &NetError) -> Option<SecurityEvent> {
    match e {
        NetError::Tls { kind, .. } if kind.is_certificate_problem() => {
            Some(SecurityEvent::InvalidCentralSystemCertificate)
        }
        NetError::Tls {
            kind: net::TlsErrorKind::Version,
            ..
        } => Some(SecurityEvent::InvalidTLSVersion),
        NetError::Tls {
            kind: net::TlsErrorKind::CipherSuite,
            ..
        } => Some(SecurityEvent::InvalidTLSCipherSuite),
        NetError::HttpStatus { status: 401 } => {
            Some(SecurityEvent::FailedToAuthenticateAtCentralSystem)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hal::sim::SimConfig;

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    fn root() -> String {
        let ca = certs::pki::Authority::new("root", certs::pki::Validity::days(30));
        ca.expect("a test CA").root.cert_pem
    }

    fn station(opts: &RunOptions) -> Station {
        let sim = SimCharger::new(SimConfig::default(), now());
        build_station(opts, &sim, Box::new(store::MemoryStore::new()), now(), 0).expect("a station")
    }

    #[test]
    fn the_security_settings_become_initial_keys_unless_given() {
        let mut opts = RunOptions::new("CP1", "ws://h:1/ocpp");
        opts.security_profile = 2;
        opts.authorization_key = Some(vec![0x00, 0xab, 0x10]);
        let keys = initial_keys(&opts);
        assert!(keys.contains(&("SecurityProfile".into(), "2".into())));
        assert!(keys.contains(&("AuthorizationKey".into(), "00ab10".into())));

        opts.initial_keys = vec![("securityprofile".into(), "1".into())];
        let keys = initial_keys(&opts);
        assert_eq!(
            keys.iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("SecurityProfile"))
                .count(),
            1
        );
        assert!(keys.contains(&("securityprofile".into(), "1".into())));
    }

    #[test]
    fn the_station_is_provisioned_with_the_settings() {
        let mut opts = RunOptions::new("CP1", "ws://h:1/ocpp");
        opts.security_profile = 1;
        opts.authorization_key = Some(b"0123456789abcdef".to_vec());
        opts.ca_pem = vec![root()];
        let st = station(&opts);
        assert_eq!(st.security_profile(), 1);
        assert_eq!(st.tls_roots(), opts.ca_pem);
    }

    #[test]
    fn each_attempt_takes_its_settings_from_the_station() {
        let mut opts = RunOptions::new("CP1", "ws://h:1/ocpp");
        opts.security_profile = 1;
        opts.authorization_key = Some(b"0123456789abcdef".to_vec());
        opts.ca_pem = vec![root()];
        let cfg = connection_config(&opts, &station(&opts), now());
        assert_eq!(cfg.url, "ws://h:1/ocpp/CP1");
        assert_eq!(
            cfg.basic_auth,
            Some(("CP1".to_string(), b"0123456789abcdef".to_vec()))
        );
        assert!(cfg.tls.is_none());

        // Profile 2 on a ws:// URL: the same host and port over wss://, with the roots.
        opts.security_profile = 2;
        let cfg = connection_config(&opts, &station(&opts), now());
        assert_eq!(cfg.url, "wss://h:1/ocpp/CP1");
        assert!(cfg.basic_auth.is_some());
        let tls = cfg.tls.expect("TLS");
        assert_eq!(tls.roots_pem, opts.ca_pem);
        assert!(tls.client_cert_pem.is_none());

        // Profile 0: nothing.
        opts.security_profile = 0;
        let cfg = connection_config(&opts, &station(&opts), now());
        assert_eq!(cfg.url, "ws://h:1/ocpp/CP1");
        assert!(cfg.basic_auth.is_none() && cfg.tls.is_none());
    }

    #[test]
    fn transport_failures_map_to_security_events() {
        let tls = |kind| NetError::Tls {
            kind,
            detail: String::new(),
        };
        use net::TlsErrorKind as K;
        for kind in [
            K::UnknownRoot,
            K::Expired,
            K::NotYetValid,
            K::HostName,
            K::BadCertificate,
        ] {
            assert_eq!(
                transport_event(&tls(kind)),
                Some(SecurityEvent::InvalidCentralSystemCertificate)
            );
        }
        assert_eq!(
            transport_event(&tls(K::Version)),
            Some(SecurityEvent::InvalidTLSVersion)
        );
        assert_eq!(
            transport_event(&tls(K::CipherSuite)),
            Some(SecurityEvent::InvalidTLSCipherSuite)
        );
        assert_eq!(transport_event(&tls(K::Handshake)), None);
        assert_eq!(transport_event(&tls(K::Config)), None);
        assert_eq!(
            transport_event(&NetError::HttpStatus { status: 401 }),
            Some(SecurityEvent::FailedToAuthenticateAtCentralSystem)
        );
        assert_eq!(transport_event(&NetError::HttpStatus { status: 404 }), None);
    }
}
