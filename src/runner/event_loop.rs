//! One station's event loop: WebSocket, hardware, operator commands and the clock in; the
//! station's outputs out.

use super::meter_file::MeterFile;
use super::operation::Operate;
use super::state::{ConnectorState, StationState};
use super::{Command, RunOptions, StartError};
use crate::clock::Clock;
use crate::frame_log;
use chrono::{DateTime, Duration, Utc};
use hal::sim::SimCharger;
use hal::{Charger, HardwareCommand, HardwareEvent};
use net::{Backoff, ClientConfig, Connection, NetError};
use station::{Input, Output, Station, StationConfig};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How often the simulated hardware is looked at while something happens there.
const PHYSICS_STEP: Duration = Duration::seconds(1);
const IDLE_STEP: Duration = Duration::seconds(10);

pub(crate) struct EventLoop {
    opts: RunOptions,
    station: Station,
    charger: SimCharger,
    clock: Arc<dyn Clock>,
    commands: mpsc::Receiver<Command>,
    state: watch::Sender<StationState>,
    conn: Option<Connection>,
    connecting: Option<JoinHandle<Result<Connection, NetError>>>,
    reconnect_at: Option<DateTime<Utc>>,
    backoff: Backoff,
    ping_interval: Option<std::time::Duration>,
    /// The station gave Output::Reset (`hard`): restart it before anything else.
    reset: Option<bool>,
    /// Restarts after a Reset so far.
    restarts: u64,
    meter_file: Option<MeterFile>,
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
            reconnect_at: Some(now),
            backoff,
            ping_interval: ping_interval(ping),
            reset: None,
            restarts: 0,
            meter_file,
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
                    Some(Command::Shutdown(done)) => {
                        self.close().await;
                        let _ = done.send(());
                        return;
                    }
                    None => {
                        self.close().await;
                        return;
                    }
                },
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
                            tracing::info!("connected to {}", self.opts.station_url());
                            self.backoff.reset();
                            self.conn = Some(conn);
                            self.step(now, Some(Input::Connected)).await;
                        }
                        Err(e) => {
                            let delay = self.backoff.next_delay_random();
                            tracing::warn!(
                                "cannot connect to {}: {e}; retrying in {:.1} s",
                                self.opts.station_url(),
                                delay.as_secs_f64()
                            );
                            self.reconnect_at = Some(now + chrono_duration(delay));
                        }
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
        self.publish();
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
                Output::ConfigChanged { key, value } => {
                    if key == "WebSocketPingInterval" {
                        // Takes effect with the next connection.
                        self.ping_interval = ping_interval(value.parse().unwrap_or(0));
                    }
                }
            }
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
        let cfg = ClientConfig {
            url: self.opts.station_url(),
            subprotocol: "ocpp1.6".to_string(),
            ping_interval: self.ping_interval,
            connect_timeout: std::time::Duration::from_secs(10),
            extra_headers: Vec::new(),
            basic_auth: self.opts.basic_auth(),
            tls: self.opts.tls(),
        };
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
    cfg.call_timeout = opts.call_timeout;
    cfg.initial_keys = opts.initial_keys.clone();
    cfg.cable_lock = charger.has_cable_lock();
    cfg.data_transfer = opts.data_transfer.clone();
    // Smart Charging converts A <-> W with it while no EV voltage is measured.
    cfg.nominal_voltage_v = charger.config().ev.nominal_voltage_v;
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
) -> Result<Connection, String> {
    match task {
        Some(task) => match task.await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(e) => Err(format!("connect task failed: {e}")),
        },
        None => std::future::pending().await,
    }
}
