//! A station driven by hand: inputs in, frames out, time moved by the test.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use hal::{ChargerInfo, HardwareCommand, HardwareEvent, MeterReading};
use ocpp::{Call, Frame};
use serde_json::{json, Value};
use station::{Input, Monotonic, Now, Output, Station, StationConfig};
use store::Store;

pub const T0: i64 = 1_800_000_000;

pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(T0, 0).unwrap()
}

/// `wall` on both clocks: the monotonic reading is the time since 2020, so a test that only
/// moves the wall clock moves both. [`Harness::set_wall_clock`] moves the wall clock alone.
pub fn at(wall: DateTime<Utc>) -> Now {
    let origin = DateTime::from_timestamp(1_577_836_800, 0).unwrap();
    let elapsed = (wall - origin).to_std().expect("a test time after 2020");
    Now::new(Monotonic::from_start(elapsed), wall)
}

pub fn info() -> ChargerInfo {
    ChargerInfo {
        vendor: "Chargepoint".into(),
        model: "SIM-DC-500".into(),
        serial_number: "SIM000001".into(),
        firmware_version: "0.1.0".into(),
        meter_type: "SIM-DC-METER".into(),
        meter_serial_number: "SIM000001-M".into(),
    }
}

pub fn reading(energy_wh: f64) -> MeterReading {
    MeterReading {
        energy_wh,
        power_w: 50_000.0,
        current_a: 125.0,
        voltage_v: 400.0,
        current_offered_a: 500.0,
        power_offered_w: 250_000.0,
        soc_percent: Some(40.0),
        temperature_c: 30.0,
    }
}

pub struct Harness {
    pub station: Station,
    pub now: DateTime<Utc>,
    /// Frames the station sent that the test has not looked at yet.
    pub sent: Vec<Frame>,
    pub hardware: Vec<HardwareCommand>,
    /// Output::Reset given by the station: `hard` of each.
    pub resets: Vec<bool>,
    /// Firmware and upload outputs (download, verify, install, upload), in order.
    pub transfers: Vec<Output>,
    /// The jobs of Output::CancelJob, in order.
    pub cancelled: Vec<u64>,
    /// How far the wall clock was moved without the monotonic clock (by the Central System).
    pub wall_shift: Duration,
    /// What the station was built from (used again by `restart`).
    cfg: StationConfig,
    next_tx_id: i32,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_store(Box::new(store::MemoryStore::new()), t0())
    }

    pub fn with_store(store: Box<dyn Store>, now: DateTime<Utc>) -> Harness {
        Harness::with_store_and_meters(store, now, [1000.0, 5000.0])
    }

    /// A station whose meters read `energies` (Wh) from its first moment.
    pub fn with_store_and_meters(
        store: Box<dyn Store>,
        now: DateTime<Utc>,
        energies: [f64; 2],
    ) -> Harness {
        Harness::with_config(StationConfig::new(info(), 2), store, now, energies)
    }

    /// A station that starts with these configuration keys (MemoryStore, meters as `new`).
    pub fn with_keys(keys: &[(&str, &str)]) -> Harness {
        let mut cfg = StationConfig::new(info(), 2);
        cfg.initial_keys = keys
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Harness::with_config(
            cfg,
            Box::new(store::MemoryStore::new()),
            t0(),
            [1000.0, 5000.0],
        )
    }

    pub fn with_config(
        cfg: StationConfig,
        store: Box<dyn Store>,
        now: DateTime<Utc>,
        energies: [f64; 2],
    ) -> Harness {
        let station = Station::new(cfg.clone(), store, at(now)).unwrap();
        let mut h = Harness {
            station,
            now,
            sent: Vec::new(),
            hardware: Vec::new(),
            resets: Vec::new(),
            transfers: Vec::new(),
            cancelled: Vec::new(),
            wall_shift: Duration::zero(),
            cfg,
            next_tx_id: 100,
        };
        for (i, energy) in energies.into_iter().enumerate() {
            h.input(Input::Meter {
                connector: i as u32 + 1,
                reading: reading(energy),
            });
        }
        h
    }

    pub fn input(&mut self, input: Input) {
        self.station.handle(input, self.time());
        self.drain();
    }

    /// Now, on both clocks.
    pub fn time(&self) -> Now {
        Now::new(at(self.now - self.wall_shift).mono, self.now)
    }

    /// The wall clock is set `by` later (earlier if negative), as drivers do on
    /// Output::ClockSync; the monotonic clock does not move.
    pub fn set_wall_clock(&mut self, by: Duration) {
        self.now += by;
        self.wall_shift += by;
    }

    /// When the station wants to be woken (its poll_timeout), as a wall-clock time.
    pub fn wake_at(&self) -> Option<DateTime<Utc>> {
        let now = self.time();
        self.station
            .poll_timeout()
            .map(|t| self.now + (t - now.mono))
    }

    pub fn hw(&mut self, event: HardwareEvent) {
        self.input(Input::Hardware(event));
    }

    fn drain(&mut self) {
        while let Some(out) = self.station.poll_output() {
            match out {
                Output::Send(text) => self.sent.push(Frame::parse(&text).expect("valid frame")),
                Output::Hardware(cmd) => self.hardware.push(cmd),
                Output::Reset { hard } => self.resets.push(hard),
                o @ (Output::DownloadFirmware { .. }
                | Output::VerifyFirmware { .. }
                | Output::InstallFirmware { .. }
                | Output::Upload { .. }) => self.transfers.push(o),
                Output::CancelJob { job } => self.cancelled.push(job),
                _ => {}
            }
        }
    }

    /// What the drivers do on Output::Reset: a new station from the same store, the old
    /// one's unread frames and commands dropped, its meters fed `energies` again.
    pub fn restart(&mut self, energies: [f64; 2]) {
        let placeholder = Station::new(
            StationConfig::new(info(), 2),
            Box::new(store::MemoryStore::new()),
            self.time(),
        )
        .unwrap();
        let old = std::mem::replace(&mut self.station, placeholder);
        self.station = Station::new(self.cfg.clone(), old.into_store(), self.time()).unwrap();
        self.sent.clear();
        self.hardware.clear();
        for (i, energy) in energies.into_iter().enumerate() {
            self.meter(i as u32 + 1, energy);
        }
    }

    pub fn advance(&mut self, seconds: i64) {
        self.now += Duration::seconds(seconds);
        self.input(Input::Tick);
    }

    /// The CALLs sent and not yet looked at, taken out.
    pub fn take_calls(&mut self) -> Vec<Call> {
        let mut calls = Vec::new();
        self.sent.retain(|f| match f {
            Frame::Call(c) => {
                calls.push(c.clone());
                false
            }
            _ => true,
        });
        calls
    }

    /// The one CALL sent, which must be `action`.
    pub fn expect_call(&mut self, action: &str) -> Call {
        let calls = self.take_calls();
        assert_eq!(calls.len(), 1, "expected one {action}, got {calls:?}");
        assert_eq!(calls[0].action, action, "{calls:?}");
        calls[0].clone()
    }

    pub fn expect_no_call(&mut self) {
        let calls = self.take_calls();
        assert!(calls.is_empty(), "unexpected {calls:?}");
    }

    pub fn answer(&mut self, call: &Call, payload: Value) {
        let text = Frame::CallResult(ocpp::CallResult {
            unique_id: call.unique_id.clone(),
            payload,
        })
        .to_text();
        self.input(Input::Received(text));
    }

    /// What a plain Central System answers.
    pub fn default_answer(&mut self, call: &Call) -> Value {
        let now = ocpp::datetime::format(&self.now);
        match call.action.as_str() {
            "BootNotification" => {
                json!({"status": "Accepted", "currentTime": now, "interval": 300})
            }
            "Heartbeat" => json!({"currentTime": now}),
            "Authorize" => json!({"idTagInfo": {"status": "Accepted"}}),
            "StartTransaction" => {
                self.next_tx_id += 1;
                json!({"idTagInfo": {"status": "Accepted"}, "transactionId": self.next_tx_id})
            }
            "StopTransaction" => json!({}),
            _ => json!({}),
        }
    }

    /// Answer every CALL the station sends until it has nothing more to say; all of them.
    pub fn answer_all(&mut self) -> Vec<Call> {
        let mut all = Vec::new();
        loop {
            let calls = self.take_calls();
            if calls.is_empty() {
                return all;
            }
            assert_eq!(calls.len(), 1, "more than one CALL in flight: {calls:?}");
            let answer = self.default_answer(&calls[0]);
            self.answer(&calls[0], answer);
            all.extend(calls);
        }
    }

    /// Like `answer_all`, but `answer` may give the payload for a CALL (None: the default).
    pub fn answer_all_with(&mut self, answer: impl Fn(&Call) -> Option<Value>) -> Vec<Call> {
        let mut all = Vec::new();
        loop {
            let calls = self.take_calls();
            if calls.is_empty() {
                return all;
            }
            assert_eq!(calls.len(), 1, "more than one CALL in flight: {calls:?}");
            let payload = answer(&calls[0]).unwrap_or_else(|| self.default_answer(&calls[0]));
            self.answer(&calls[0], payload);
            all.extend(calls);
        }
    }

    /// A card presented at `connector`.
    pub fn card(&mut self, connector: u32, id_tag: &str) {
        self.hw(HardwareEvent::CardPresented {
            connector,
            id_tag: id_tag.into(),
        });
    }

    /// Answer everything up to (not including) the first `action`, which stays unanswered
    /// and is put back for the test to look at.
    pub fn answer_all_but(&mut self, action: &str) {
        loop {
            let calls = self.take_calls();
            let Some(call) = calls.first() else { return };
            if call.action == action {
                self.sent.insert(0, ocpp::Frame::Call(call.clone()));
                return;
            }
            let answer = self.default_answer(call);
            self.answer(call, answer);
        }
    }

    /// Connect and register; returns what was sent in the process.
    pub fn boot(&mut self) -> Vec<Call> {
        self.input(Input::Connected);
        self.answer_all()
    }

    /// A CALL from the Central System; returns the station's answer.
    pub fn csms_call(&mut self, action: &str, payload: Value) -> Option<Frame> {
        let text = Frame::Call(Call {
            unique_id: "cs-1".into(),
            action: action.into(),
            payload,
        })
        .to_text();
        self.csms_text(&text)
    }

    /// Raw text from the Central System; returns the station's non-CALL answer, if any.
    pub fn csms_text(&mut self, text: &str) -> Option<Frame> {
        self.input(Input::Received(text.to_string()));
        let pos = self
            .sent
            .iter()
            .position(|f| !matches!(f, Frame::Call(_)))?;
        Some(self.sent.remove(pos))
    }

    pub fn meter(&mut self, connector: u32, energy_wh: f64) {
        self.input(Input::Meter {
            connector,
            reading: reading(energy_wh),
        });
    }

    /// Plug in and present a card at `connector`, answering everything; the transaction runs.
    pub fn start_transaction(&mut self, connector: u32, id_tag: &str) -> Vec<Call> {
        self.hw(HardwareEvent::CablePlugged { connector });
        self.hw(HardwareEvent::CardPresented {
            connector,
            id_tag: id_tag.into(),
        });
        self.answer_all()
    }
}

pub fn result_payload(frame: Option<Frame>) -> Value {
    match frame {
        Some(Frame::CallResult(r)) => r.payload,
        other => panic!("expected a CALLRESULT, got {other:?}"),
    }
}

pub fn error_code(frame: Option<Frame>) -> ocpp::ErrorCode {
    match frame {
        Some(Frame::CallError(e)) => e.error_code,
        other => panic!("expected a CALLERROR, got {other:?}"),
    }
}
