//! Shared wiring for the end-to-end tests: the built-in Central System on loopback, a real
//! station (simulated charger, a store in a temporary directory, a manual clock) connected
//! to it over a real WebSocket, and helpers to read what the station sends.
//!
//! Time in the station moves only when a test advances the [`ManualClock`]; the only real
//! time a test spends is waiting (with a timeout of a few seconds) for frames to arrive, or
//! a short quiet window to check that nothing arrives.
#![allow(dead_code)] // each test file uses a different part of it

use chargepoint::clock::ManualClock;
use chargepoint::runner::{
    ConnectorState, Operation, RunOptions, StartError, StationHandle, StationState,
};
use chrono::{DateTime, Utc};
use csms::{CentralSystem, CsmsConfig, CsmsEvent, Direction, Events};
use hal::sim::{SimCharger, SimConfig};
use ocpp::{Call, Frame, RegistrationStatus};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The station's id (each test has its own Central System, so one id is enough).
pub const ID: &str = "CP-E2E-01";
/// Real-time limit for anything the tests wait for.
pub const T: Duration = Duration::from_secs(5);
/// Real-time window in which "nothing arrives" is checked.
pub const QUIET: Duration = Duration::from_millis(300);

/// The station's clock at start.
pub fn t0() -> DateTime<Utc> {
    "2025-06-02T10:00:00Z".parse().expect("a valid start time")
}

/// Adjusts the station's options once the Central System runs (its URLs are known).
pub type StationOptions = Box<dyn FnOnce(&mut RunOptions, &CentralSystem) + Send>;

/// What to start; `Setup::default().start()` gives a station that is accepted at once.
pub struct Setup {
    pub csms: CsmsConfig,
    /// Configuration keys the station starts with.
    pub keys: Vec<(String, String)>,
    /// SqliteStore in a temporary directory instead of the MemoryStore.
    pub sqlite: bool,
    pub reconnect_min: chrono::Duration,
    pub reconnect_max: chrono::Duration,
    /// The station's wait for the answer to its CALLs. Long on purpose: a test that reads a
    /// CALL at the Central System and at once advances the clock by 30 s or more would
    /// otherwise race the answer on its way back to the station, which then (correctly, by
    /// its clock) counts it as late.
    pub call_timeout: chrono::Duration,
    /// The simulated charger.
    pub sim: SimConfig,
    /// Security settings and URLs of the station, e.g. a security profile.
    pub station: Option<StationOptions>,
    /// The station's clock at start ([`t0`] by default). Tests with certificates start it
    /// at the real time: the test PKI's certificates are valid from (real) now, and the
    /// station checks validity by its own clock.
    pub clock_start: DateTime<Utc>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            csms: CsmsConfig::default(),
            // Clock-aligned meter values would add frames whenever a test crosses a
            // quarter hour; the tests that want them switch them on.
            keys: vec![("ClockAlignedDataInterval".into(), "0".into())],
            sqlite: false,
            reconnect_min: chrono::Duration::seconds(1),
            reconnect_max: chrono::Duration::seconds(60),
            call_timeout: chrono::Duration::minutes(30),
            sim: SimConfig::default(),
            station: None,
            clock_start: t0(),
        }
    }
}

impl Setup {
    pub fn boot_status(mut self, status: RegistrationStatus) -> Self {
        self.csms.boot_status = status;
        self
    }

    /// The interval in the Central System's BootNotification answers.
    pub fn heartbeat_interval(mut self, secs: i32) -> Self {
        self.csms.heartbeat_interval = secs;
        self
    }

    pub fn key(mut self, key: &str, value: &str) -> Self {
        self.keys.retain(|(k, _)| k != key);
        self.keys.push((key.into(), value.into()));
        self
    }

    pub fn sqlite(mut self) -> Self {
        self.sqlite = true;
        self
    }

    /// Set the station's options (security profile, URLs, ...) once the Central System
    /// runs; the station connects to `csms_url`, by default the Central System's base URL.
    pub fn station(
        mut self,
        f: impl FnOnce(&mut RunOptions, &CentralSystem) + Send + 'static,
    ) -> Self {
        self.station = Some(Box::new(f));
        self
    }

    pub async fn start(self) -> Harness {
        let sim = self.sim.clone();
        let clock_start = self.clock_start;
        self.start_with(move |opts, store, clock| {
            StationHandle::start(opts, SimCharger::new(sim, clock_start), store, clock)
        })
        .await
    }

    /// Start the station on a maker's charger (no simulator: operator actions are refused).
    pub async fn start_charger<C: hal::Charger + 'static>(self, charger: C) -> Harness {
        self.start_with(move |opts, store, clock| {
            StationHandle::start_charger(opts, charger, store, clock)
        })
        .await
    }

    async fn start_with(
        self,
        station: impl FnOnce(
            RunOptions,
            Box<dyn store::Store>,
            Arc<ManualClock>,
        ) -> Result<StationHandle, StartError>,
    ) -> Harness {
        let csms = CentralSystem::start(self.csms)
            .await
            .expect("start the Central System on loopback");
        // Subscribe before the station exists so that not a frame is missed.
        let events = csms.subscribe();
        let clock = ManualClock::new(self.clock_start);
        let data = tempfile::tempdir().expect("a temporary data directory");
        let store: Box<dyn store::Store> = if self.sqlite {
            Box::new(
                store::SqliteStore::open(&data.path().join("station.db"))
                    .expect("open the SQLite store"),
            )
        } else {
            Box::new(store::MemoryStore::new())
        };
        let mut opts = RunOptions::new(ID, csms.base_url());
        // Beside the store, so a restarted station finds its files (firmware version).
        opts.work_dir = Some(data.path().join("work"));
        opts.initial_keys = self.keys;
        opts.reconnect_min = self.reconnect_min;
        opts.reconnect_max = self.reconnect_max;
        opts.call_timeout = self.call_timeout;
        if let Some(f) = self.station {
            f(&mut opts, &csms);
        }
        let station =
            station(opts.clone(), store, Arc::new(clock.clone())).expect("start the station");
        Harness {
            csms,
            station: Some(station),
            clock,
            events,
            id: ID.to_string(),
            seen: Vec::new(),
            security_events: Vec::new(),
            opts,
            sim: self.sim,
            sqlite: self.sqlite,
            _data: data,
        }
    }
}

/// A running Central System and station.
pub struct Harness {
    pub csms: CentralSystem,
    station: Option<StationHandle>,
    pub clock: ManualClock,
    /// Every Central System event since before the station started.
    pub events: Events,
    pub id: String,
    /// Every frame from the station the helpers have read so far, in order.
    pub seen: Vec<Frame>,
    /// SecurityEventNotifications from the station (the Central System answers them). The
    /// reading helpers pass over them, so that tests of other features need not expect
    /// StartupOfTheDevice after every boot; tests/security_events.rs looks here.
    pub security_events: Vec<Call>,
    /// What the station was started with, for [`Harness::restart_station`].
    opts: RunOptions,
    sim: SimConfig,
    sqlite: bool,
    _data: tempfile::TempDir,
}

impl Harness {
    pub fn station(&self) -> &StationHandle {
        self.station.as_ref().expect("the station is running")
    }

    /// The station's work directory (firmware images, files being uploaded).
    pub fn work_dir(&self) -> std::path::PathBuf {
        self.opts.work_dir.clone().expect("a work directory")
    }

    /// A power loss: the station stops (its transfers with it) and starts again, with a
    /// new simulated charger, on the same SQLite store and work directory, the same
    /// options and clock. Needs [`Setup::sqlite`].
    pub async fn restart_station(&mut self) {
        assert!(self.sqlite, "restart_station needs Setup::sqlite()");
        if let Some(station) = self.station.take() {
            station.shutdown().await;
        }
        let store = store::SqliteStore::open(&self._data.path().join("station.db"))
            .expect("open the SQLite store again");
        let sim = SimCharger::new(self.sim.clone(), self.now());
        let station = StationHandle::start(
            self.opts.clone(),
            sim,
            Box::new(store),
            Arc::new(self.clock.clone()),
        )
        .expect("restart the station");
        self.station = Some(station);
    }

    /// Move the station's clock forward.
    pub fn advance(&self, secs: i64) {
        self.clock.advance(chrono::Duration::seconds(secs));
    }

    pub fn now(&self) -> DateTime<Utc> {
        use chargepoint::clock::Clock;
        self.clock.now()
    }

    // ----- reading what the station sends -----

    /// The next frame received from the station before `deadline`. Panics on a frame that
    /// is not valid OCPP-J: the station must never send one.
    pub async fn next_frame_until(&mut self, deadline: Instant) -> Option<Frame> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // A zero timeout still returns an event that is already there.
            let event = self.events.next(left).await?;
            if let CsmsEvent::Frame {
                station,
                direction: Direction::Received,
                text,
                frame,
                ..
            } = event
            {
                if station != self.id {
                    continue;
                }
                let frame =
                    frame.unwrap_or_else(|| panic!("the station sent an invalid frame: {text}"));
                self.seen.push(frame.clone());
                if let Frame::Call(c) = &frame {
                    if c.action == "SecurityEventNotification" {
                        self.security_events.push(c.clone());
                        continue;
                    }
                }
                return Some(frame);
            }
        }
    }

    /// The next raw text received from the station, valid OCPP-J or not.
    /// SecurityEventNotifications are passed over (kept in `security_events`).
    pub async fn next_text(&mut self, timeout: Duration) -> Option<(String, Option<Frame>)> {
        let id = self.id.clone();
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let found = self
                .events
                .find(left, |ev| match ev {
                    CsmsEvent::Frame {
                        station,
                        direction: Direction::Received,
                        text,
                        frame,
                        ..
                    } if station == id => Some((text, frame)),
                    _ => None,
                })
                .await;
            if let Some((_, Some(frame))) = &found {
                self.seen.push(frame.clone());
                if let Frame::Call(c) = frame {
                    if c.action == "SecurityEventNotification" {
                        self.security_events.push(c.clone());
                        continue;
                    }
                }
            }
            return found;
        }
    }

    /// Every frame received from the station within `window` of real time.
    pub async fn frames_within(&mut self, window: Duration) -> Vec<Frame> {
        let deadline = Instant::now() + window;
        let mut frames = Vec::new();
        while let Some(frame) = self.next_frame_until(deadline).await {
            frames.push(frame);
        }
        frames
    }

    /// Every CALL the station initiated within `window` (answers to our CALLs left out).
    pub async fn calls_within(&mut self, window: Duration) -> Vec<Call> {
        self.frames_within(window)
            .await
            .into_iter()
            .filter_map(|f| match f {
                Frame::Call(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// Every CALL the station initiates until one satisfies `last` (included), within
    /// `within` of real time; panics if none does.
    pub async fn calls_until(
        &mut self,
        within: Duration,
        mut last: impl FnMut(&Call) -> bool,
    ) -> Vec<Call> {
        let deadline = Instant::now() + within;
        let mut calls = Vec::new();
        loop {
            match self.next_frame_until(deadline).await {
                Some(Frame::Call(call)) => {
                    let done = last(&call);
                    calls.push(call);
                    if done {
                        return calls;
                    }
                }
                Some(_) => continue,
                None => panic!(
                    "the awaited CALL did not come within {within:?}; got {}",
                    describe_calls(&calls)
                ),
            }
        }
    }

    /// Assert the station initiates no CALL within the quiet window.
    pub async fn expect_no_calls(&mut self, while_: &str) {
        let calls = self.calls_within(QUIET).await;
        assert!(
            calls.is_empty(),
            "{while_}: the station should send nothing, but sent {}",
            describe_calls(&calls)
        );
    }

    /// Assert the station sends no frame at all (not even an answer) within the quiet window.
    pub async fn expect_silence(&mut self, while_: &str) {
        let frames = self.frames_within(QUIET).await;
        assert!(
            frames.is_empty(),
            "{while_}: the station should be silent, but sent {:?}",
            frames.iter().map(Frame::to_text).collect::<Vec<_>>()
        );
    }

    /// The next CALL, which must be `action` and must come right after the station's
    /// Accepted answer to a (Extended)TriggerMessage; its payload.
    pub async fn triggered(&mut self, action: &str) -> Value {
        let call = self.next_call(action).await;
        let at = self
            .seen
            .iter()
            .position(|f| matches!(f, Frame::Call(c) if c.unique_id == call.unique_id))
            .expect("the CALL was seen");
        let before = at.checked_sub(1).map(|i| &self.seen[i]);
        assert!(
            matches!(before, Some(Frame::CallResult(r)) if r.payload == json!({"status": "Accepted"})),
            "the trigger's Accepted answer must arrive just before the triggered {action}, \
             got {before:?}"
        );
        call.payload
    }

    /// The next CALL the station initiates, which must be `action`. Answers to our CALLs
    /// in between are skipped; any other CALL fails the test.
    pub async fn next_call(&mut self, action: &str) -> Call {
        let deadline = Instant::now() + T;
        loop {
            match self.next_frame_until(deadline).await {
                Some(Frame::Call(call)) if call.action == action => return call,
                Some(Frame::Call(call)) => panic!(
                    "expected {action} as the station's next CALL, got {} {}",
                    call.action, call.payload
                ),
                Some(_) => continue,
                None => panic!(
                    "no {action} from the station within {T:?}; seen so far: {}",
                    self.seen_actions().join(", ")
                ),
            }
        }
    }

    /// The next CALL of `action`, skipping whatever comes before it.
    pub async fn wait_call(&mut self, action: &str) -> Call {
        let deadline = Instant::now() + T;
        loop {
            match self.next_frame_until(deadline).await {
                Some(Frame::Call(call)) if call.action == action => return call,
                Some(_) => continue,
                None => panic!(
                    "no {action} from the station within {T:?}; seen so far: {}",
                    self.seen_actions().join(", ")
                ),
            }
        }
    }

    /// Advance the clock `step_secs` at a time, at most `max_secs` in all, until the station
    /// sends `action`. Returns the CALL and the seconds advanced.
    pub async fn advance_until_call(
        &mut self,
        action: &str,
        step_secs: i64,
        max_secs: i64,
    ) -> (Call, i64) {
        let mut advanced = 0;
        while advanced < max_secs {
            self.advance(step_secs);
            advanced += step_secs;
            let deadline = Instant::now() + Duration::from_millis(200);
            while let Some(frame) = self.next_frame_until(deadline).await {
                if let Frame::Call(call) = frame {
                    if call.action == action {
                        return (call, advanced);
                    }
                }
            }
        }
        panic!(
            "no {action} after advancing the clock {advanced} s; seen so far: {}",
            self.seen_actions().join(", ")
        )
    }

    /// Advance the clock a second at a time until the station is connected (and has
    /// processed the connection); returns the seconds advanced.
    pub async fn advance_until_connected(&mut self, max_secs: i64) -> i64 {
        for advanced in 1..=max_secs {
            self.advance(1);
            let connected = self
                .station()
                .wait_for(Duration::from_secs(2), |s| s.connected)
                .await
                .is_ok();
            // The station may see its handshake done a moment before the Central System
            // has registered the session.
            if connected
                && self
                    .csms
                    .wait_connected(&self.id, Duration::from_secs(2))
                    .await
                    .is_ok()
            {
                return advanced;
            }
        }
        panic!("the station did not reconnect within {max_secs} s of its clock")
    }

    /// Read frames until a SecurityEventNotification of `kind` has arrived (within `T`
    /// of real time); its payload. Other frames read meanwhile are dropped.
    pub async fn wait_security_event(&mut self, kind: &str) -> Value {
        let deadline = Instant::now() + T;
        loop {
            if let Some(c) = self
                .security_events
                .iter()
                .find(|c| c.payload["type"] == kind)
            {
                return c.payload.clone();
            }
            if Instant::now() >= deadline {
                panic!(
                    "no SecurityEventNotification {kind} within {T:?}; got {}",
                    describe_calls(&self.security_events)
                );
            }
            // Short slices: the reader passes over SecurityEventNotifications (it collects
            // them) and would otherwise wait for the next other frame or the deadline.
            let slice = (Instant::now() + Duration::from_millis(50)).min(deadline);
            self.next_frame_until(slice).await;
        }
    }

    /// The actions of every CALL seen so far.
    pub fn seen_actions(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter_map(|f| match f {
                Frame::Call(c) => Some(c.action.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn seen_count(&self, action: &str) -> usize {
        self.seen_actions().iter().filter(|a| *a == action).count()
    }

    /// The StatusNotifications the station sends next, `n` of them (other CALLs fail).
    pub async fn next_statuses(&mut self, n: usize) -> Vec<Value> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(self.next_call("StatusNotification").await.payload);
        }
        out
    }

    /// The next StatusNotification, which must be `status` for `connector`.
    pub async fn expect_status(&mut self, connector: i64, status: &str) -> Value {
        let s = self.next_call("StatusNotification").await.payload;
        assert_eq!(
            (s["connectorId"].as_i64(), s["status"].as_str()),
            (Some(connector), Some(status)),
            "unexpected StatusNotification {s}"
        );
        assert_eq!(s["errorCode"], "NoError", "{s}");
        s
    }

    /// Cold boot with an accepting Central System: BootNotification, then a status for
    /// connector 0 and every connector. Returns the BootNotification's payload.
    pub async fn booted(&mut self) -> Value {
        let boot = self.next_call("BootNotification").await;
        let statuses = self.next_statuses(3).await;
        for (i, s) in statuses.iter().enumerate() {
            assert_eq!(s["connectorId"], json!(i), "{s}");
        }
        assert_eq!(
            self.csms.registration(&self.id),
            Some(RegistrationStatus::Accepted)
        );
        boot.payload
    }

    // ----- talking to the station -----

    /// A CALL from the Central System; the answer's payload.
    pub async fn call(&self, action: &str, payload: Value) -> Value {
        self.csms
            .call_raw(&self.id, action, payload.clone())
            .await
            .unwrap_or_else(|e| panic!("{action} {payload}: {e}"))
    }

    /// GetConfiguration of one key: its value and read-only flag, None if unknown.
    pub async fn get_config(&self, key: &str) -> Option<(String, bool)> {
        let answer = self.call("GetConfiguration", json!({ "key": [key] })).await;
        let found = answer["configurationKey"]
            .as_array()
            .and_then(|keys| keys.iter().find(|k| k["key"] == key))?;
        Some((
            found["value"].as_str().unwrap_or_default().to_string(),
            found["readonly"].as_bool().expect("readonly is a boolean"),
        ))
    }

    /// ChangeConfiguration; the status answered.
    pub async fn change_config(&self, key: &str, value: &str) -> String {
        let answer = self
            .call("ChangeConfiguration", json!({ "key": key, "value": value }))
            .await;
        answer["status"]
            .as_str()
            .unwrap_or_else(|| panic!("ChangeConfiguration answer without status: {answer}"))
            .to_string()
    }

    /// An operator action at a connector, which the simulator must accept.
    pub async fn operate(&self, connector: u32, op: Operation) -> ConnectorState {
        let what = format!("{op:?}");
        self.station()
            .operate(connector, op)
            .await
            .unwrap_or_else(|e| panic!("{what} at connector {connector}: {e}"))
    }

    /// Wait (real time) until the station's state satisfies `pred`.
    pub async fn wait_state(
        &self,
        what: &str,
        pred: impl FnMut(&StationState) -> bool,
    ) -> StationState {
        self.station()
            .wait_for(T, pred)
            .await
            .unwrap_or_else(|s| panic!("{what}: state is {s:?}"))
    }

    /// The station's security log: (event kind, techInfo), oldest first.
    pub async fn security_log(&self) -> Vec<(String, Option<String>)> {
        self.station()
            .security_log()
            .await
            .into_iter()
            .map(|e| (e.kind, e.tech_info))
            .collect()
    }

    /// Wait (real time, at most `T`) until the security log has an entry of `kind`; the
    /// whole log then.
    pub async fn wait_security_log(&self, kind: &str) -> Vec<(String, Option<String>)> {
        let deadline = Instant::now() + T;
        loop {
            let log = self.security_log().await;
            if log.iter().any(|(k, _)| k == kind) {
                return log;
            }
            if Instant::now() >= deadline {
                panic!("no {kind} in the security log within {T:?}: {log:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Close the station's connection from the Central System's side and wait until the
    /// station has noticed.
    /// Plug in at connector 1 and present `id_tag` there: Authorize, StartTransaction,
    /// Charging; returns the transaction id.
    pub async fn start_session(&mut self, id_tag: &str) -> i64 {
        self.operate(1, Operation::Plug).await;
        self.expect_status(1, "Preparing").await;
        let id_tag = id_tag.to_string();
        self.operate(1, Operation::Authorize { id_tag }).await;
        self.next_call("Authorize").await;
        self.next_call("StartTransaction").await;
        self.expect_status(1, "Charging").await;
        let state = self
            .wait_state("transaction id known", |s| {
                connector(s, 1).transaction_id.is_some()
            })
            .await;
        i64::from(connector(&state, 1).transaction_id.expect("transaction id"))
    }

    pub async fn drop_connection(&mut self) {
        self.csms.disconnect(&self.id).await;
        assert!(!self.csms.is_connected(&self.id));
        self.wait_state("the station sees the connection lost", |s| !s.connected)
            .await;
    }

    pub async fn shutdown(mut self) {
        if let Some(station) = self.station.take() {
            station.shutdown().await;
        }
        self.csms.shutdown().await;
    }
}

/// Connector `id` of a state.
pub fn connector(state: &StationState, id: u32) -> &ConnectorState {
    state
        .connectors
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no connector {id} in {state:?}"))
}

pub fn describe_calls(calls: &[Call]) -> String {
    calls
        .iter()
        .map(|c| format!("{} {}", c.action, c.payload))
        .collect::<Vec<_>>()
        .join("; ")
}

/// An OCPP dateTime field.
pub fn time_of(v: &Value) -> DateTime<Utc> {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("not a dateTime string: {v}"));
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// A sampled value's number.
pub fn number(v: &Value) -> f64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a numeric string: {v}"))
}
