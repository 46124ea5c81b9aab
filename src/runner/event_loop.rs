//! One station's event loop: the link, the hardware, operator commands, file jobs and the
//! clock in; the station's outputs out (`outputs.rs`). When to connect is the connection
//! policy's decision, the link's IO is `connection.rs`'s.

use super::connection::{connection_config, Failure, Link, LinkEvent};
use super::connection_policy::ConnectionPolicy;
use super::core::Core;
use super::file_jobs::FileJobs;
use super::operation::Operation;
use super::simulation::Simulation;
use super::state::{ConnectorState, StationState};
use super::station_setup::build_station;
use super::{Command, RunOptions, StartError};
use crate::clock::Clock;
use crate::frame_log;
use chrono::{DateTime, Utc};
use hal::{Charger, ConnectorId};
use station::Input;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

pub(crate) struct EventLoop<C> {
    pub(super) opts: RunOptions,
    pub(super) core: Core,
    pub(super) charger: C,
    pub(super) sim: Box<dyn Simulation<C>>,
    pub(super) clock: Arc<dyn Clock>,
    commands: mpsc::Receiver<Command>,
    state: watch::Sender<StationState>,
    pub(super) link: Link,
    pub(super) policy: ConnectionPolicy,
    /// The SecurityProfile the station just changed to: reconnect with it once the outputs
    /// at hand (the ChangeConfiguration answer) are out.
    pub(super) switch_profile: Option<u8>,
    /// The station accepted a new AuthorizationKey: reconnect with it (profiles 1 and 2)
    /// once the outputs at hand (the ChangeConfiguration answer) are out (TC_073).
    pub(super) renew_password: bool,
    /// Our CALLs waiting for an answer, when answer times are recorded.
    pub(super) pending_answers: super::answer_times::Pending,
    /// The station installed a new ChargePointCertificate: reconnect presenting it (profile
    /// 3) once the outputs at hand (the CertificateSigned answer) are out (TC_074).
    pub(super) renew_certificate: bool,
    pub(super) ping_interval: Option<std::time::Duration>,
    /// The station gave Output::Reset (`hard`): restart it before anything else.
    pub(super) reset: Option<bool>,
    /// Restarts after a Reset so far.
    restarts: u64,
    /// False during a power cut (`POST /api/power`): the station does nothing until the
    /// power is back.
    powered: bool,
    /// Firmware downloads, signature checks and uploads under way.
    pub(super) jobs: FileJobs,
}

impl<C: Charger + 'static> EventLoop<C> {
    pub(crate) fn new(
        opts: RunOptions,
        mut charger: C,
        mut sim: Box<dyn Simulation<C>>,
        store: Box<dyn store::Store>,
        clock: Arc<dyn Clock>,
        commands: mpsc::Receiver<Command>,
        frames: Arc<super::frames::FrameFeed>,
    ) -> Result<(EventLoop<C>, watch::Receiver<StationState>), StartError> {
        let now = clock.now();
        let jobs = FileJobs::new(opts.work_dir.clone()).map_err(StartError::WorkDir)?;
        sim.restore(&mut charger, jobs.saved_firmware_version().as_deref());
        if let Some(capture) = &opts.log_capture {
            capture.set_clock(clock.clone());
        }
        let core = build_station(&opts, &charger, sim.as_ref(), store, clock.clone(), 0)?;
        // Jitter differs from station to station, so a fleet does not reconnect in step.
        let policy =
            ConnectionPolicy::new(opts.reconnect_min, opts.reconnect_max, rand::random(), now);
        let (state, rx) = watch::channel(StationState {
            id: opts.id.clone(),
            connected: false,
            booted: false,
            connectors: Vec::new(),
        });
        let mut event_loop = EventLoop {
            opts,
            ping_interval: core.ping_interval(),
            core,
            charger,
            sim,
            clock,
            commands,
            state,
            link: Link::new(frames),
            policy,
            switch_profile: None,
            renew_password: false,
            pending_answers: Default::default(),
            renew_certificate: false,
            reset: None,
            restarts: 0,
            powered: true,
            jobs,
        };
        event_loop.publish();
        Ok((event_loop, rx))
    }

    pub(crate) async fn run(mut self) {
        loop {
            if let Some(hard) = self.reset.take() {
                self = match self.restart(hard).await {
                    Ok(restarted) => restarted,
                    Err(e) => {
                        tracing::error!("cannot restart the station after a reset: {e}");
                        return;
                    }
                };
            }
            let now = self.clock.now();
            let wake = if self.powered {
                self.step(now, None).await;
                self.start_connecting(now);
                self.next_wake(now)
            } else {
                // Off: only the commands (the power back, a person at the charger) wake it.
                now + chrono::Duration::days(1)
            };
            let sleep = self.clock.sleep_until_wall(wake);
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(Command::Operate { connector, op, reply }) => {
                        let _ = reply.send(self.operate(connector, &op).await);
                    }
                    Some(Command::SecurityLog(reply)) => {
                        let _ = reply.send(self.core.station().security_log());
                    }
                    Some(Command::Configuration(reply)) => {
                        let _ = reply.send(super::state::configuration(self.core.station()));
                    }
                    Some(Command::Power { on: false, reply }) => {
                        self.power_off();
                        let _ = reply.send(self.state.borrow().clone());
                    }
                    Some(Command::Power { on: true, reply }) => {
                        if !self.powered {
                            tracing::info!("power back: the station boots");
                            self.powered = true;
                            // The power is back: the station boots from its store, as after a
                            // restart, with nothing of the run the cut ended.
                            self = match self.restart(false).await {
                                Ok(restarted) => restarted,
                                Err(e) => {
                                    tracing::error!("cannot boot the station after the power cut: {e}");
                                    return;
                                }
                            };
                        }
                        let _ = reply.send(self.state.borrow().clone());
                    }
                    Some(Command::Shutdown(done)) => {
                        self.stop().await;
                        let _ = done.send(());
                        return;
                    }
                    None => {
                        self.stop().await;
                        return;
                    }
                },
                input = self.jobs.next() => {
                    let now = self.clock.now();
                    self.step(now, Some(input)).await;
                }
                event = self.link.next() => {
                    let now = self.clock.now();
                    match event {
                        LinkEvent::Received(text) => {
                            frame_log::log_frame("<-", &text);
                            if let Some(times) = &self.opts.answer_times {
                                self.pending_answers.received(&text, times);
                            }
                            self.step(now, Some(Input::Received(text))).await;
                        }
                        LinkEvent::Lost(why) => {
                            self.pending_answers.clear();
                            self.lost_connection(now, &why).await
                        }
                        LinkEvent::Connected => self.connected(now).await,
                        LinkEvent::Failed(failure) => self.connect_failed(failure, now).await,
                    }
                }
                _ = sleep => {}
            }
        }
    }

    /// Section 5.14: the station restarts in this process, from the same store.
    async fn restart(mut self, hard: bool) -> Result<Self, station::StationError> {
        self.link.close().await;
        let now = self.clock.now();
        tracing::info!(
            "restarting the station{}",
            if hard { " (hard)" } else { "" }
        );
        if hard {
            self.charger.hard_reset(now);
        }
        // The new station resumes what it persisted, under new job ids.
        self.jobs.abort_all();
        self.restarts += 1;
        let store = self.core.into_store();
        self.core = build_station(
            &self.opts,
            &self.charger,
            self.sim.as_ref(),
            store,
            self.clock.clone(),
            self.restarts,
        )?;
        self.ping_interval = self.core.ping_interval();
        self.policy.restarted(now);
        self.publish();
        Ok(self)
    }

    /// The power is cut: the station stops at once (its in-memory state is dropped at the
    /// power's return, when it boots from the store), the WebSocket drops without a close
    /// frame, transfers stop, the contactors open.
    fn power_off(&mut self) {
        if !self.powered {
            return;
        }
        tracing::warn!("power cut");
        self.powered = false;
        self.link.cut();
        self.jobs.abort_all();
        self.charger.hard_reset(self.clock.now());
        self.state.send_modify(|s| s.connected = false);
    }

    /// An operator action; the connector's state after it.
    async fn operate(
        &mut self,
        connector: ConnectorId,
        op: &Operation,
    ) -> Result<ConnectorState, String> {
        let now = self.clock.now();
        let result = self
            .sim
            .operate(&mut self.charger, connector, op, now)
            .map_err(|e| e.to_string());
        if !self.powered {
            // The station is off: it sees the hardware as it is when the power is back.
            return result.and_then(|()| self.connector_state(connector));
        }
        self.step(now, None).await;
        result.and_then(|()| self.connector_state(connector))
    }

    fn connector_state(&self, connector: ConnectorId) -> Result<ConnectorState, String> {
        self.state
            .borrow()
            .connectors
            .iter()
            .find(|c| c.id == connector)
            .cloned()
            .ok_or_else(|| format!("unknown connector {connector}"))
    }

    /// Bring the hardware up to `now`, give the station its inputs and carry out its outputs.
    pub(super) async fn step(&mut self, now: DateTime<Utc>, input: Option<Input>) {
        // The readings are brought up to date first, without running the station's timers,
        // so that a sample taken while handling the input is current. What arrived goes in
        // next: an answer read now must not lose against a response deadline the hardware
        // events below would check first.
        let events = self.charger.poll(now);
        self.sim.polled(&self.charger);
        for connector in 1..=self.charger.connector_count() {
            if let Some(reading) = self.charger.meter(connector) {
                self.core.set_meter(connector, reading);
            }
        }
        if let Some(input) = input {
            self.core.handle(input, now);
        }
        for event in events {
            self.core.handle(Input::Hardware(event), now);
        }
        self.core.handle(Input::Tick, now);
        self.drain(now).await;
        if let Some(profile) = self.switch_profile.take() {
            self.switch_profile(profile, now).await;
        }
        if std::mem::take(&mut self.renew_password) {
            self.renew_password(now).await;
        }
        if std::mem::take(&mut self.renew_certificate) {
            self.renew_certificate(now).await;
        }
        self.publish();
    }

    fn start_connecting(&mut self, now: DateTime<Utc>) {
        if !self.link.is_idle() {
            return;
        }
        let profile = self.core.station().security_profile();
        if !self.policy.start_attempt(now, profile) {
            return;
        }
        let cfg = net::ClientConfig {
            ping_interval: self.ping_interval,
            connect_timeout: std::time::Duration::from_secs(10),
            ..connection_config(&self.opts, self.core.station(), now)
        };
        self.link.connect(cfg);
    }

    async fn connected(&mut self, now: DateTime<Utc>) {
        let profile = self.policy.attempt_profile();
        tracing::info!(
            "connected to {} (security profile {profile})",
            self.opts.station_url_for_profile(profile)
        );
        if self.policy.connected() {
            tracing::info!("security profile {profile} works");
        }
        self.step(now, Some(Input::Connected)).await;
    }

    /// Retry after the backoff; tell the station about a security problem once per streak;
    /// after the last attempt with a newly raised SecurityProfile, fall back to the
    /// previous one.
    async fn connect_failed(&mut self, failure: Failure, now: DateTime<Utc>) {
        let profile = self.policy.attempt_profile();
        let url = self.opts.station_url_for_profile(profile);
        let after = self.policy.failed(now, failure.event);
        tracing::warn!(
            "cannot connect to {url} (security profile {profile}): {}; retrying in {:.1} s",
            failure.text,
            after.retry_in.as_secs_f64()
        );
        if let Some(kind) = after.report {
            let tech_info = Some(failure.text.clone());
            self.step(now, Some(Input::SecurityEvent { kind, tech_info }))
                .await;
        }
        if let Some(previous) = after.fall_back_to {
            tracing::warn!(
                "security profile {profile} failed {} times; falling back to profile {previous}",
                super::connection_policy::PROFILE_ATTEMPTS
            );
            let fallback = Input::SecurityProfileFallback {
                profile: previous,
                reason: failure.text,
            };
            self.step(now, Some(fallback)).await;
        }
    }

    /// The station accepted a new SecurityProfile: close the connection (the answer is
    /// out) and connect with it at once.
    async fn switch_profile(&mut self, profile: u8, now: DateTime<Utc>) {
        let Some(previous) = self.policy.profile_changed(now, profile) else {
            return;
        };
        tracing::info!("SecurityProfile {profile} (was {previous}): reconnecting with it");
        if self.link.close().await {
            self.core.handle(Input::Disconnected, now);
            self.drain(now).await;
        }
    }

    /// The station accepted a new AuthorizationKey: with a profile that sends it (1, 2),
    /// close the connection (the answer is out) and connect with the new password at once,
    /// as the Central System expects it from now on (TC_073).
    async fn renew_password(&mut self, now: DateTime<Utc>) {
        let profile = self.core.station().security_profile();
        if !(1..=2).contains(&profile) {
            return;
        }
        tracing::info!("new AuthorizationKey: reconnecting with it");
        self.policy.reconnect_now(now);
        if self.link.close().await {
            self.core.handle(Input::Disconnected, now);
            self.drain(now).await;
        }
    }

    /// The station installed a new ChargePointCertificate: with profile 3, close the
    /// connection (the answer is out) and connect presenting it at once (TC_074: the Central
    /// System sees the new certificate in use).
    async fn renew_certificate(&mut self, now: DateTime<Utc>) {
        if self.core.station().security_profile() != 3 {
            return;
        }
        tracing::info!("new ChargePointCertificate: reconnecting with it");
        self.policy.reconnect_now(now);
        if self.link.close().await {
            self.core.handle(Input::Disconnected, now);
            self.drain(now).await;
        }
    }

    pub(super) async fn lost_connection(&mut self, now: DateTime<Utc>, why: &str) {
        self.schedule_reconnect(now, why);
        self.step(now, Some(Input::Disconnected)).await;
    }

    pub(super) fn schedule_reconnect(&mut self, now: DateTime<Utc>, why: &str) {
        let delay = self.policy.lost(now);
        tracing::warn!(
            "connection lost ({why}); reconnecting in {:.1} s",
            delay.as_secs_f64()
        );
    }

    fn next_wake(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let step = self.sim.poll_step(&self.charger);
        [
            Some(now + step),
            self.core.deadline(),
            self.policy.next_attempt(),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now + step)
        .max(now)
    }

    fn publish(&mut self) {
        let state = StationState::of(&self.opts.id, self.core.station(), &self.charger);
        self.state.send_if_modified(|old| {
            let changed = *old != state;
            *old = state;
            changed
        });
    }

    async fn stop(&mut self) {
        self.jobs.abort_all();
        self.link.close().await;
    }
}
