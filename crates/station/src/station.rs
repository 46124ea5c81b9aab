//! The station: its state, the input/output loop and the machinery that sends CALLs and
//! routes their answers. The behaviour of each feature lives in `core/`.

use crate::config::Config;
use crate::connector::{Connector, ConnectorView};
use crate::context::Ctx;
use crate::core::authorize::Authorizer;
use crate::core::boot::Registration;
use crate::core::data_transfer::DataTransferVendors;
use crate::core::hardware::HardwareEvents;
use crate::core::metering::Metering;
use crate::core::reset::Restart;
use crate::core::status::Availability;
use crate::core::transaction::{Transactions, TxParts};
use crate::core::unlock::Unlocks;
use crate::firmware::Firmware;
use crate::io::{Input, Output};
use crate::local_auth::LocalAuthList;
use crate::outbox::{Context, InFlight, Item, Outbox};
use crate::reservation::Reservations;
use crate::security::Security;
use crate::smart_charging::SmartCharging;
use crate::time::{Monotonic, Now};
use chrono::{DateTime, Duration, Utc};
use hal::ChargerInfo;
use ocpp::{Action, CallError, CallResult, Frame};
use serde_json::Value;
use store::Store;

/// Facts about this station that do not change while it runs.
#[derive(Debug, Clone)]
pub struct StationConfig {
    pub info: ChargerInfo,
    pub connectors: u32,
    /// How long to wait for the answer to a CALL (the reference: 30 s).
    pub call_timeout: Duration,
    /// Wait before the next BootNotification when the Central System gave interval 0 or
    /// did not answer.
    pub boot_retry: Duration,
    /// First number of this run's message ids, so ids differ across restarts.
    pub message_id_seed: u64,
    /// Configuration values to start from (e.g. from a file); values changed over OCPP
    /// and persisted in the store take precedence.
    pub initial_keys: Vec<(String, String)>,
    /// The connectors have a cable lock ([`hal::Charger::has_cable_lock`]); without one,
    /// UnlockConnector is answered NotSupported.
    pub cable_lock: bool,
    /// ReserveNow may reserve connector 0, the whole station: what the read-only key
    /// ReserveConnectorZeroSupported reports. Default true (the reference product, R-1).
    pub reserve_connector_zero: bool,
    /// Vendor extensions answering DataTransfer.req (none by default).
    pub data_transfer: DataTransferVendors,
    /// Volts converting charging limits between A and W when no EV voltage is measured
    /// (Smart Charging; the simulator's EV nominal voltage). Default 400.
    pub nominal_voltage_v: f64,
    /// What one connector's hardware can deliver at most (A and W): composite schedules cap
    /// their limits at it, so no answer holds a limit the station could never apply (or one
    /// that overflows JSON). Default 500 A and 250 kW, the simulator's.
    pub max_current_a: f64,
    pub max_power_w: f64,
    /// CentralSystemRootCertificates provisioned at manufacture (PEM): installed in the
    /// store at the first start that finds none there.
    pub central_system_roots: Vec<String>,
    /// The ChargePointCertificate provisioned at manufacture: (chain PEM leaf first,
    /// private key PEM). Installed in the store at the first start that finds none there.
    pub charge_point_certificate: Option<(String, String)>,
    /// The charge point identity (the last part of the Central System URL, the Basic auth
    /// user): the common name of the CSRs of SignCertificate. Empty: the common name of the
    /// installed ChargePointCertificate is used.
    pub identity: String,
}

impl StationConfig {
    pub fn new(info: ChargerInfo, connectors: u32) -> StationConfig {
        StationConfig {
            info,
            connectors,
            call_timeout: Duration::seconds(30),
            boot_retry: Duration::seconds(60),
            message_id_seed: 1,
            initial_keys: Vec::new(),
            cable_lock: false,
            reserve_connector_zero: true,
            data_transfer: DataTransferVendors::default(),
            nominal_voltage_v: 400.0,
            max_current_a: 500.0,
            max_power_w: 250_000.0,
            central_system_roots: Vec::new(),
            charge_point_certificate: None,
            identity: String::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    #[error("a station needs at least one connector")]
    NoConnectors,
}

/// Where the station stands with the Central System (section 4.2 of the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootStatus {
    /// No BootNotification answered yet in this run.
    NotRegistered,
    /// Waiting for the answer to a BootNotification.
    Sent,
    /// Pending: answer the Central System, send nothing else until `retry_at`.
    Pending {
        retry_at: Monotonic,
    },
    /// Rejected: stay silent until `retry_at`.
    Rejected {
        retry_at: Monotonic,
    },
    Accepted,
}

/// The charge point: the shared services and one field per feature. Its methods are the
/// entry points (here), the dispatch of CALLs (`core/incoming.rs`) and the timer table
/// (`timers.rs`); everything else belongs to a feature.
pub struct Station {
    /// What every feature may use (see `context`).
    pub(crate) ctx: Ctx,
    /// Why this run started, as persisted by the previous one ("PowerUp" unless a Reset).
    pub(crate) boot_reason: String,
    pub(crate) registration: Registration,
    pub(crate) availability: Availability,
    pub(crate) metering: Metering,
    pub(crate) transactions: Transactions,
    pub(crate) unlocks: Unlocks,
    pub(crate) local_list: LocalAuthList,
    pub(crate) reservations: Reservations,
    pub(crate) smart: SmartCharging,
    pub(crate) security: Security,
    pub(crate) firmware: Firmware,
}

impl Station {
    pub fn new(
        cfg: StationConfig,
        store: Box<dyn Store>,
        time: Now,
    ) -> Result<Station, StationError> {
        let now = time.wall;
        if cfg.connectors == 0 {
            return Err(StationError::NoConnectors);
        }
        let mut config = Config::new(cfg.connectors);
        config.set_internal(
            "ReserveConnectorZeroSupported",
            cfg.reserve_connector_zero.to_string(),
        );
        let initial = cfg.initial_keys.iter();
        for rejected in config.load(initial.map(|(k, v)| (k.as_str(), v.as_str()))) {
            tracing::warn!("ignoring configured key: {rejected}");
        }
        let stored = store.config_all()?;
        for rejected in config.load(stored.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            tracing::warn!("ignoring stored configuration: {rejected}");
        }
        let mut outbox = Outbox::default();
        for _ in 0..store.queue_len()? {
            outbox.push(Item::Durable);
        }
        let interrupted = store.tx_open()?;
        let mut station = Station {
            smart: SmartCharging::new(cfg.connectors),
            ctx: Ctx::new(cfg, config, store, outbox, time),
            boot_reason: String::new(),
            registration: Registration::default(),
            availability: Availability,
            metering: Metering::default(),
            transactions: Transactions::default(),
            unlocks: Unlocks::default(),
            local_list: LocalAuthList,
            reservations: Reservations::default(),
            security: Security::new(now),
            firmware: Firmware::default(),
        };
        station.boot_reason = Restart.load_boot_reason(&mut station.ctx);
        station.metering.schedule_aligned(&station.ctx, now);
        station.availability.load_availability(&mut station.ctx);
        station.reservations.load(&mut station.ctx);
        Transactions::recover_interrupted(&mut station.ctx, interrupted);
        station.smart.load(&mut station.ctx);
        station.smart.apply_limits(&mut station.ctx, now);
        station.firmware.load(&mut station.ctx, now);
        station.security.load_certificates(&mut station.ctx, now);
        Ok(station)
    }

    /// Feed one input, which happened at `time`.
    pub fn handle(&mut self, input: Input, time: Now) {
        if Restart::reset_done(&self.ctx) {
            // Output::Reset was given: this run is over.
            return;
        }
        self.ctx.time = time;
        let now = time.wall;
        match input {
            Input::Connected => self.on_connected(now),
            Input::Disconnected => self.on_disconnected(now),
            Input::Received(text) => self.on_text(&text, now),
            Input::Hardware(event) => {
                let (ctx, mut parts) = self.tx_parts();
                HardwareEvents.on_event(ctx, &mut parts, event, now)
            }
            Input::Meter { connector, reading } => self.set_meter(connector, reading),
            Input::Tick => {}
            Input::UnlockResult {
                connector,
                unlocked,
            } => self
                .unlocks
                .on_unlock_result(&mut self.ctx, connector, unlocked),
            Input::SecurityEvent { kind, tech_info } => {
                self.ctx
                    .raise_driver_security_event(kind, tech_info.as_deref(), now)
            }
            Input::SecurityProfileFallback { profile, reason } => self
                .security
                .fall_back_security_profile(&mut self.ctx, profile, &reason, now),
            input @ (Input::FirmwareDownloaded { .. }
            | Input::FirmwareVerified { .. }
            | Input::FirmwareInstalled { .. }
            | Input::Uploaded { .. }) => self.firmware.on_transfer_input(&mut self.ctx, input, now),
        }
        self.on_time(now);
        self.availability.refresh_statuses(&mut self.ctx, now);
        self.smart.forget_lapsed_remote_profiles(&self.ctx);
        // A Reset whose messages are delivered goes before anything else is sent.
        Restart.reset_if_due(&mut self.ctx);
        if !Restart::reset_done(&self.ctx) {
            self.pump();
        }
    }

    /// Record the latest reading of a connector's meter and nothing else: unlike
    /// `Input::Meter` no timer runs. Drivers use it to bring the readings up to date before
    /// an input, so that a sample the input's timers take is current.
    pub fn set_meter(&mut self, connector: hal::ConnectorId, reading: hal::MeterReading) {
        // Connector 0: the station's main meter, if it has one (clock-aligned values only).
        if let Some(c) = self.ctx.connectors.get_mut(connector as usize) {
            c.meter = Some(reading);
        }
    }

    /// The next thing for the drivers to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.ctx.outputs.pop_front()
    }

    pub fn is_online(&self) -> bool {
        self.ctx.online
    }

    /// End this run and hand back its store, to build the next run from after a Reset
    /// (the drivers do so on [`Output::Reset`]).
    pub fn into_store(self) -> Box<dyn Store> {
        self.ctx.store
    }

    /// Why this run started: "PowerUp", or "SoftReset" / "HardReset" after a Reset.
    pub fn boot_reason(&self) -> &str {
        &self.boot_reason
    }

    pub fn boot_status(&self) -> BootStatus {
        self.ctx.boot
    }

    pub fn config(&self) -> &Config {
        &self.ctx.config
    }

    /// Connectors 1..N as the control API shows them.
    pub fn connectors(&self) -> Vec<ConnectorView> {
        self.ctx
            .connectors
            .iter()
            .skip(1)
            .map(Connector::view)
            .collect()
    }

    /// The security log, oldest first (empty if the store cannot be read).
    pub fn security_log(&self) -> Vec<store::SecurityLogEntry> {
        self.security.security_log(&self.ctx)
    }

    /// The SecurityProfile key (0..=3): what the drivers connect with.
    pub fn security_profile(&self) -> u8 {
        self.security.security_profile(&self.ctx)
    }

    /// The HTTP Basic password for profiles 1 and 2: the AuthorizationKey's bytes (the key
    /// holds them as hex). None while it is not set.
    pub fn authorization_key(&self) -> Option<Vec<u8>> {
        self.security.authorization_key(&self.ctx)
    }

    /// The CentralSystemRootCertificates (PEM) the drivers trust for `wss://`: those
    /// installed, in the order installed.
    pub fn tls_roots(&self) -> Vec<String> {
        self.security.tls_roots(&self.ctx)
    }

    /// The ManufacturerRootCertificates (PEM) installed, in the order installed: the drivers
    /// trust them (with the Central System roots) for firmware downloads over https/ftps.
    pub fn manufacturer_roots(&self) -> Vec<String> {
        self.security.manufacturer_roots(&self.ctx)
    }

    /// The ChargePointCertificate the drivers present with security profile 3 at `now`:
    /// (chain PEM leaf first, private key PEM). The most recently installed one valid at
    /// `now`; if none is, the most recently installed one.
    pub fn tls_identity(&self, now: DateTime<Utc>) -> Option<(String, String)> {
        self.security.tls_identity(&self.ctx, now)
    }

    pub fn connector_count(&self) -> u32 {
        self.ctx.cfg.connectors
    }

    /// When the outbox needs the station: a CALL in flight times out, or, while queued
    /// messages may go (Accepted; see `pump`), a durable message's retry wait ends. While
    /// Pending that wait would stay in the past until the next BootNotification (found by
    /// the station fuzz target).
    pub(crate) fn outbox_deadline(&self) -> Option<Monotonic> {
        if self.ctx.boot == BootStatus::Accepted {
            self.ctx.outbox.deadline()
        } else {
            self.ctx.outbox.in_flight_deadline()
        }
    }

    /// Send the next CALL if the link, the registration state and the one-in-flight rule allow.
    fn pump(&mut self) {
        if !self.ctx.online || !self.ctx.outbox.is_idle() {
            return;
        }
        if self.registration.boot_due(&self.ctx) {
            self.registration.send_boot_notification(&mut self.ctx);
            return;
        }
        // While Pending only what the Central System asked for with a TriggerMessage goes
        // out (section 4.2).
        let pending = matches!(self.ctx.boot, BootStatus::Pending { .. });
        if self.ctx.boot != BootStatus::Accepted && !pending {
            return;
        }
        while let Some(index) = if pending {
            self.ctx.outbox.next_triggered()
        } else {
            self.ctx.outbox.next_ready(self.ctx.time.mono)
        } {
            let deadline = self.ctx.time.mono + self.ctx.cfg.call_timeout;
            let (action, payload, seq) = match self.ctx.outbox.get(index) {
                Some(Item::Volatile {
                    action, payload, ..
                })
                | Some(Item::Triggered {
                    action, payload, ..
                }) => (*action, payload.clone(), None),
                Some(Item::Durable) => match self.durable_front() {
                    Some((seq, action, payload)) => (action, payload, Some(seq)),
                    None => {
                        self.ctx.outbox.discard(index);
                        continue;
                    }
                },
                None => return,
            };
            let id = self.ctx.new_message_id();
            self.ctx
                .outbox
                .start(index, id.clone(), action, deadline, seq);
            self.ctx.send_frame(Frame::Call(ocpp::Call {
                unique_id: id,
                action: action.as_str().to_string(),
                payload,
            }));
            return;
        }
    }

    /// The front of the store's queue, with the transaction id filled in now that it is known.
    fn durable_front(&mut self) -> Option<(u64, Action, Value)> {
        let (seq, msg) = match self.ctx.store.queue_front() {
            Ok(Some(front)) => front,
            Ok(None) => return None,
            Err(e) => {
                tracing::error!("cannot read the message queue: {e}");
                return None;
            }
        };
        let Some(action) = Action::from_name(&msg.action) else {
            tracing::error!("dropping queued message with unknown action {}", msg.action);
            let _ = self.ctx.store.queue_remove(seq);
            return self.durable_front();
        };
        let mut payload = msg.payload;
        if let (Some(local), Some(obj)) = (msg.local_tx, payload.as_object_mut()) {
            if obj.contains_key("transactionId") {
                let id = self.ctx.transaction_id_of(local).unwrap_or(-1);
                obj.insert("transactionId".into(), Value::from(id));
            }
        }
        Some((seq, action, payload))
    }

    fn on_text(&mut self, text: &str, now: DateTime<Utc>) {
        // While Rejected the station must not answer anything (section 4.2).
        let silent = matches!(self.ctx.boot, BootStatus::Rejected { .. });
        match Frame::parse(text) {
            Err(e) => {
                tracing::warn!("bad frame from the Central System: {}", e.description);
                if let (Some(err), false) = (e.to_call_error(), silent) {
                    self.ctx.send_frame(Frame::CallError(err));
                }
            }
            Ok(Frame::Call(call)) if !silent => self.on_call(call, now),
            Ok(Frame::Call(_)) => {}
            Ok(Frame::CallResult(result)) => self.on_call_result(result, now),
            Ok(Frame::CallError(error)) => self.on_call_error(error, now),
        }
    }

    fn on_call_result(&mut self, result: CallResult, now: DateTime<Utc>) {
        let Some(done) = self.ctx.outbox.finish(&result.unique_id) else {
            tracing::debug!("ignoring CALLRESULT {} nobody waits for", result.unique_id);
            return;
        };
        self.on_response(done, Ok(result.payload), now);
    }

    fn on_call_error(&mut self, error: CallError, now: DateTime<Utc>) {
        let Some(done) = self.ctx.outbox.finish(&error.unique_id) else {
            tracing::debug!("ignoring CALLERROR {} nobody waits for", error.unique_id);
            return;
        };
        tracing::warn!(
            "Central System answered {} with {}: {}",
            done.action.as_str(),
            error.error_code.as_str(),
            error.error_description
        );
        let refused = NoAnswer::Refused(error.error_code, error.error_description);
        self.on_response(done, Err(refused), now);
    }

    /// Route the answer (or failure) of a CALL to the feature that sent it.
    fn on_response(
        &mut self,
        done: InFlight,
        payload: Result<Value, NoAnswer>,
        now: DateTime<Utc>,
    ) {
        if let Some(seq) = done.seq {
            self.on_durable_response(done.action, seq, payload);
            return;
        }
        let context = match done.item {
            Item::Volatile { context, .. } | Item::Triggered { context, .. } => context,
            Item::Durable => Context::None,
        };
        let action = done.action;
        match action {
            Action::BootNotification => self.on_boot_response(typed(action, payload), now),
            Action::Heartbeat => self
                .registration
                .on_heartbeat_response(&mut self.ctx, typed(action, payload)),
            Action::Authorize => {
                let (ctx, mut parts) = self.tx_parts();
                Authorizer.on_authorize_response(
                    ctx,
                    &mut parts,
                    context,
                    typed(action, payload),
                    now,
                )
            }
            Action::StatusNotification => {
                self.availability
                    .on_status_response(&mut self.ctx, context, payload.is_ok())
            }
            Action::SignCertificate => self.security.on_sign_certificate_response(
                &mut self.ctx,
                typed(action, payload),
                now,
            ),
            _ => {}
        }
    }

    /// Answers to durable messages: removed from the store once delivered; retried with the
    /// TransactionMessageRetryInterval and dropped after TransactionMessageAttempts.
    fn on_durable_response(&mut self, action: Action, seq: u64, payload: Result<Value, NoAnswer>) {
        let msg = match self.ctx.store.queue_front() {
            Ok(Some((front, msg))) if front == seq => msg,
            _ => return,
        };
        match payload {
            Ok(payload) => {
                let delivered = self.transactions.on_message_delivered(
                    &mut self.ctx,
                    &mut self.smart,
                    action,
                    seq,
                    msg.local_tx,
                    payload,
                );
                if !delivered {
                    self.on_durable_response(action, seq, Err(NoAnswer::Invalid));
                }
            }
            Err(_) => {
                let attempts = msg.attempts + 1;
                // TransactionMessageAttempts 0 as 1: the message went once and is dropped.
                let max = self
                    .ctx
                    .config
                    .current()
                    .transaction_message_attempts
                    .max(1) as u32;
                if attempts >= max {
                    tracing::error!(
                        "{} failed {attempts} times: dropped as TransactionMessageAttempts says",
                        action.as_str()
                    );
                    Transactions::on_message_dropped(&mut self.ctx, action, seq, msg.local_tx);
                } else {
                    let _ = self.ctx.store.queue_set_attempts(seq, attempts);
                    let interval = self.ctx.config.current().transaction_message_retry_interval;
                    let delay = Outbox::retry_delay(interval, attempts);
                    let not_before = self.ctx.time.mono + delay;
                    self.ctx
                        .outbox
                        .retry_durable_later(Item::Durable, not_before);
                }
            }
        }
    }

    /// The shared context and the parts a transaction's start or stop touches, borrowed
    /// apart so that a feature can be handed both.
    pub(crate) fn tx_parts(&mut self) -> (&mut Ctx, TxParts<'_>) {
        let parts = TxParts {
            transactions: &mut self.transactions,
            reservations: &mut self.reservations,
            smart: &mut self.smart,
        };
        (&mut self.ctx, parts)
    }

    /// The link came up.
    fn on_connected(&mut self, now: DateTime<Utc>) {
        self.ctx.online = true;
        if self.ctx.boot == BootStatus::Accepted {
            // A new connection, not a reboot: no BootNotification, but tell what changed.
            self.registration.link_up(&self.ctx);
            self.availability
                .report_changed_statuses(&mut self.ctx, now);
        }
    }

    /// The link went down.
    fn on_disconnected(&mut self, now: DateTime<Utc>) {
        self.ctx.online = false;
        self.ctx.outbox.on_disconnect();
        if self.ctx.boot == BootStatus::Sent {
            self.ctx.boot = BootStatus::NotRegistered;
        }
        // An Authorize.req gone with the link: the offline rules decide.
        let (ctx, mut parts) = self.tx_parts();
        Authorizer.on_link_lost(ctx, &mut parts, now);
        // The UnlockConnector.req waiting for the lock came on the link that is gone: its
        // answer has nowhere to go (the lock still opens).
        self.unlocks.forget_waiting();
    }

    /// The BootNotification's answer: once Accepted every status is reported and the
    /// security extension hears of the registration.
    fn on_boot_response(
        &mut self,
        answer: Result<ocpp::BootNotificationResponse, NoAnswer>,
        now: DateTime<Utc>,
    ) {
        match self.registration.on_boot_response(&mut self.ctx, answer) {
            BootStatus::Accepted => {
                self.availability.report_all_statuses(&mut self.ctx, now);
                let reason = self.boot_reason.clone();
                self.security.on_registered_security(&mut self.ctx, &reason);
            }
            // While Rejected the station answers nothing (section 4.2), not even the
            // UnlockConnector.req that came before and still waits for the lock.
            BootStatus::Rejected { .. } => self.unlocks.forget_waiting(),
            _ => {}
        }
    }

    /// The CALL in flight got no answer within the call timeout.
    pub(crate) fn expire_call(&mut self, now: DateTime<Utc>) {
        if let Some(expired) = self.ctx.outbox.take_expired(self.ctx.time.mono) {
            tracing::warn!(
                "no answer to {} {} within the response timeout",
                expired.action.as_str(),
                expired.unique_id
            );
            self.on_response(expired, Err(NoAnswer::Timeout), now);
        }
    }
}

/// Why a CALL of ours got no usable answer. Handlers of answers take
/// `Result<the action's response, NoAnswer>`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NoAnswer {
    /// A CALLERROR: its code and description.
    Refused(ocpp::ErrorCode, String),
    /// No answer within the call timeout, or the link went down.
    Timeout,
    /// A CALLRESULT that fails the response's schema.
    Invalid,
}

/// The answer decoded once, as `action`'s response; an invalid one is logged.
fn typed<T: serde::de::DeserializeOwned>(
    action: Action,
    payload: Result<Value, NoAnswer>,
) -> Result<T, NoAnswer> {
    ocpp::decode::<T>(&payload?).map_err(|e| {
        tracing::warn!("invalid {}.conf: {}", action.as_str(), e.description);
        NoAnswer::Invalid
    })
}

/// A CiString from text the station made itself, cut to the wire limit rather than refused.
pub(crate) fn ci<const N: usize>(s: &str) -> ocpp::CiString<N> {
    let cut: String = s.chars().take(N).collect();
    ocpp::CiString::new(cut).unwrap_or_else(|_| {
        ocpp::CiString::new(String::new()).expect("the empty string fits every CiString")
    })
}
