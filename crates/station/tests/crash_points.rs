//! Crash points (TC_032_2 made exhaustive): every durable write of the SQLite store has a
//! point just before and just after its commit. Each session below (online, offline, with a
//! reset, with a firmware update) runs once to count the points it passes, then once per
//! point with the power cut right there: the station stops mid-step, boots again from the
//! same database, reconnects and is left to deliver what it owes. Then the Central System
//! must have seen every transaction started exactly once and stopped exactly once, with
//! meter values that never go backwards; the only repeat allowed is a message re-sent,
//! identical, because its answer was not stored yet. Nothing may stay queued.

mod harness;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;

use chrono::{DateTime, Duration, Utc};
use hal::HardwareEvent;
use harness::*;
use ocpp::{Action, Call};
use serde_json::{json, Value};
use station::{Input, Output, StationConfig};
use store::failpoint::{self, PowerCut};
use store::{SqliteStore, Store};

/// What the Central System saw and answered, across every boot of the station.
#[derive(Default)]
struct CentralSystem {
    /// Every CALL, in order.
    calls: Vec<(String, Value)>,
    /// transactionId given to each distinct StartTransaction payload: an identical re-send
    /// gets the same id back, as a real Central System recognises it (and ours does).
    ids: BTreeMap<String, i32>,
}

impl CentralSystem {
    fn answer(&mut self, call: &Call, now: DateTime<Utc>) -> Value {
        self.calls.push((call.action.clone(), call.payload.clone()));
        let now = ocpp::datetime::format(&now);
        match call.action.as_str() {
            "BootNotification" => {
                json!({"status": "Accepted", "currentTime": now, "interval": 300})
            }
            "Heartbeat" => json!({"currentTime": now}),
            "Authorize" => json!({"idTagInfo": {"status": "Accepted"}}),
            "StartTransaction" => {
                let next = 1000 + self.ids.len() as i32;
                let id = *self.ids.entry(call.payload.to_string()).or_insert(next);
                json!({"idTagInfo": {"status": "Accepted"}, "transactionId": id})
            }
            _ => json!({}),
        }
    }

    /// The checks of the module doc; every problem found, in words.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (action, payload) in &self.calls {
            let valid = Action::from_name(action)
                .ok_or_else(|| "unknown action".to_string())
                .and_then(|a| ocpp::validate_request(a, payload).map_err(|e| e.to_string()));
            if let Err(e) = valid {
                problems.push(format!("invalid {action} {payload}: {e}"));
            }
        }
        let started: BTreeSet<i32> = self.ids.values().copied().collect();
        let mut stops: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
        let mut energy: BTreeMap<i32, Vec<f64>> = BTreeMap::new();
        for (payload, id) in &self.ids {
            let start: Value = serde_json::from_str(payload).unwrap_or_default();
            energy
                .entry(*id)
                .or_default()
                .push(num(&start["meterStart"]));
        }
        for (action, payload) in &self.calls {
            let id = payload["transactionId"].as_i64().map(|i| i as i32);
            match (action.as_str(), id) {
                ("StopTransaction", Some(id)) => {
                    stops.entry(id).or_default().insert(payload.to_string());
                    let readings = energy.entry(id).or_default();
                    readings.push(num(&payload["meterStop"]));
                }
                ("MeterValues", Some(id)) => {
                    energy
                        .entry(id)
                        .or_default()
                        .extend(energy_readings(payload));
                }
                _ => continue,
            }
            if !started.contains(&id.unwrap_or(-1)) {
                problems.push(format!(
                    "{action} for a transaction never started: {payload}"
                ));
            }
        }
        for id in &started {
            match stops.get(id).map(BTreeSet::len) {
                Some(1) => {}
                None => problems.push(format!("transaction {id} was never stopped")),
                Some(n) => problems.push(format!(
                    "transaction {id} stopped {n} different ways: {:?}",
                    stops[id]
                )),
            }
        }
        for (id, readings) in energy {
            if readings.windows(2).any(|w| w[1] < w[0]) {
                problems.push(format!("transaction {id}: energy went back: {readings:?}"));
            }
        }
        problems
    }
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// The Energy.Active.Import.Register values of a MeterValues, in Wh.
fn energy_readings(payload: &Value) -> Vec<f64> {
    let mut out = Vec::new();
    for meter_value in payload["meterValue"].as_array().into_iter().flatten() {
        for sampled in meter_value["sampledValue"].as_array().into_iter().flatten() {
            let measurand = sampled["measurand"]
                .as_str()
                .unwrap_or("Energy.Active.Import.Register");
            if measurand != "Energy.Active.Import.Register" {
                continue;
            }
            let value: f64 = sampled["value"]
                .as_str()
                .unwrap_or("")
                .parse()
                .unwrap_or(f64::NAN);
            let scale = if sampled["unit"] == "kWh" {
                1000.0
            } else {
                1.0
            };
            out.push(value * scale);
        }
    }
    out
}

/// A station on a SQLite database in a temporary data dir, its hardware and its Central
/// System, driven by the test.
struct Rig {
    _dir: tempfile::TempDir,
    db: PathBuf,
    h: Option<Harness>,
    cs: CentralSystem,
    now: DateTime<Utc>,
    online: bool,
    plugged: [bool; 2],
    charging: [bool; 2],
    energy: [f64; 2],
    firmware: String,
}

fn config(firmware: &str) -> StationConfig {
    let mut info = info();
    info.firmware_version = firmware.into();
    let mut cfg = StationConfig::new(info, 2);
    cfg.initial_keys = [("AllowOfflineTxForUnknownId", "true")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    cfg
}

impl Rig {
    fn new() -> Rig {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("station.db");
        Rig {
            _dir: dir,
            db,
            h: None,
            cs: CentralSystem::default(),
            now: t0(),
            online: false,
            plugged: [false; 2],
            charging: [false; 2],
            energy: [1000.0, 5000.0],
            firmware: "1.0.0".into(),
        }
    }

    fn h(&mut self) -> &mut Harness {
        self.h.as_mut().expect("the station is powered")
    }

    /// Power on: a station from the database, told what its hardware sees, then connected.
    fn power_on(&mut self) {
        let store = open(&self.db);
        let h = Harness::with_config(config(&self.firmware), store, self.now, self.energy);
        self.h = Some(h);
        for connector in [1, 2] {
            if self.plugged[connector as usize - 1] {
                self.input(Input::Hardware(HardwareEvent::CablePlugged { connector }));
            }
        }
        self.connect();
    }

    /// The power goes: whatever the station had not committed is gone.
    fn power_cut(&mut self) {
        self.h = None;
        self.online = false;
        self.charging = [false; 2];
    }

    fn connect(&mut self) {
        self.online = true;
        self.input(Input::Connected);
    }

    fn disconnect(&mut self) {
        self.input(Input::Disconnected);
        self.online = false;
    }

    fn input(&mut self, input: Input) {
        self.h().input(input);
        self.settle();
    }

    /// Carry out what the station asks for until it has nothing more to say: answer its
    /// CALLs (while online), play the drivers for firmware jobs, reboot on a Reset.
    fn settle(&mut self) {
        loop {
            let h = self.h.as_mut().expect("the station is powered");
            let calls = h.take_calls();
            if !self.online {
                h.sent.clear();
            } else if let Some(call) = calls.first() {
                assert_eq!(calls.len(), 1, "more than one CALL in flight: {calls:?}");
                let answer = self.cs.answer(call, self.now);
                self.h().answer(call, answer);
                continue;
            }
            let h = self.h.as_mut().expect("the station is powered");
            if !h.resets.is_empty() {
                // What the drivers do on a Reset, soft or hard: a new run on the same database.
                self.h = None;
                self.online = false;
                self.charging = [false; 2];
                self.power_on();
                continue;
            }
            let Some(transfer) = (!h.transfers.is_empty()).then(|| h.transfers.remove(0)) else {
                return;
            };
            let done = match transfer {
                Output::DownloadFirmware { job, .. } => Input::FirmwareDownloaded {
                    job,
                    result: Ok(()),
                },
                Output::VerifyFirmware { job, .. } => Input::FirmwareVerified { job, valid: true },
                Output::InstallFirmware { job } => {
                    self.firmware = "2.0.0".into();
                    Input::FirmwareInstalled {
                        job,
                        result: Ok(()),
                    }
                }
                Output::Upload { job, .. } => Input::Uploaded {
                    job,
                    result: Ok(()),
                },
                _ => continue,
            };
            self.h().input(done);
        }
    }

    /// Time passes; charging connectors draw 50 kW meanwhile.
    fn advance(&mut self, seconds: i64) {
        self.now += Duration::seconds(seconds);
        for i in 0..2 {
            if self.charging[i] {
                self.energy[i] += 50_000.0 * seconds as f64 / 3600.0;
                let reading = reading(self.energy[i]);
                self.h().input(Input::Meter {
                    connector: i as u32 + 1,
                    reading,
                });
            }
        }
        self.h().now = self.now;
        self.input(Input::Tick);
    }

    fn plug(&mut self, connector: u32) {
        self.plugged[connector as usize - 1] = true;
        self.input(Input::Hardware(HardwareEvent::CablePlugged { connector }));
    }

    fn unplug(&mut self, connector: u32) {
        self.plugged[connector as usize - 1] = false;
        self.input(Input::Hardware(HardwareEvent::CableUnplugged { connector }));
    }

    fn card(&mut self, connector: u32, id_tag: &str) {
        let id_tag = id_tag.to_string();
        self.input(Input::Hardware(HardwareEvent::CardPresented {
            connector,
            id_tag,
        }));
    }

    /// Plug in, present a card and charge for `minutes`.
    fn charge(&mut self, connector: u32, id_tag: &str, minutes: i64) {
        self.plug(connector);
        self.card(connector, id_tag);
        self.charging[connector as usize - 1] = true;
        for _ in 0..minutes {
            self.advance(60);
        }
    }

    fn stop_and_unplug(&mut self, connector: u32, id_tag: &str) {
        self.card(connector, id_tag);
        self.charging[connector as usize - 1] = false;
        self.unplug(connector);
    }

    /// A CALL from the Central System.
    fn csms(&mut self, action: &str, payload: Value) {
        self.h().csms_call(action, payload);
        self.settle();
    }

    /// After the session (or the power's return): time enough for every retry, with the
    /// cables out.
    fn wind_down(&mut self) {
        if !self.online {
            self.connect();
        }
        self.charging = [false; 2];
        for connector in [1, 2] {
            if self.plugged[connector as usize - 1] {
                self.unplug(connector);
            }
        }
        for _ in 0..20 {
            self.advance(120);
        }
    }
}

fn open(db: &Path) -> Box<dyn Store> {
    Box::new(SqliteStore::open(db).expect("the database opens"))
}

type Session = fn(&mut Rig);

fn online(rig: &mut Rig) {
    rig.power_on();
    rig.charge(1, "TAG-1", 3);
    rig.stop_and_unplug(1, "TAG-1");
}

fn offline(rig: &mut Rig) {
    rig.power_on();
    rig.disconnect();
    rig.charge(2, "TAG-2", 3);
    rig.stop_and_unplug(2, "TAG-2");
    rig.advance(60);
    rig.connect();
}

fn with_reset(rig: &mut Rig) {
    rig.power_on();
    rig.charge(1, "TAG-1", 2);
    rig.csms("Reset", json!({"type": "Soft"}));
    rig.advance(60);
    rig.charge(1, "TAG-1", 1);
    rig.stop_and_unplug(1, "TAG-1");
}

fn with_firmware_update(rig: &mut Rig) {
    rig.power_on();
    rig.charge(1, "TAG-1", 2);
    let now = ocpp::datetime::format(&rig.now);
    let url = "https://firmware.example.com/cp/fw-2.0.0.bin";
    rig.csms(
        "UpdateFirmware",
        json!({"location": url, "retrieveDate": now}),
    );
    rig.advance(60);
    // The installation waits for the transaction (AQ-4).
    rig.stop_and_unplug(1, "TAG-1");
    rig.advance(60);
}

/// What one run of a session came to.
struct Trial {
    /// The crash point where the power was cut.
    cut: Option<String>,
    /// Every crash point passed, in order.
    points: Vec<String>,
    problems: Vec<String>,
}

/// One run of `session` and its wind-down, the power cut at crash point `at` (None: never);
/// after a cut, the power returns and the station winds down again.
fn trial(session: Session, at: Option<u64>) -> Trial {
    let mut rig = Rig::new();
    failpoint::arm(at);
    let run = catch_unwind(AssertUnwindSafe(|| {
        session(&mut rig);
        rig.wind_down();
    }));
    let cut = match run {
        Ok(()) => None,
        Err(payload) => match payload.downcast::<PowerCut>() {
            Ok(cut) => Some(cut.point),
            Err(other) => resume_unwind(other),
        },
    };
    if cut.is_some() {
        rig.power_cut();
        rig.power_on();
        rig.wind_down();
    }
    let points = failpoint::trace();
    failpoint::arm(None);
    let mut problems = rig.cs.problems();
    let store = rig.h.take().expect("powered").station.into_store();
    let queued = store.queue_len().expect("queue length");
    if queued > 0 {
        problems.push(format!("{queued} messages still queued"));
    }
    let open = store.tx_open().expect("open transactions");
    if !open.is_empty() {
        problems.push(format!("transactions left open: {open:?}"));
    }
    Trial {
        cut,
        points,
        problems,
    }
}

/// Runs `session` with the power cut at each of its crash points in turn.
fn every_crash_point(session: Session) {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        // A power cut is a panic that the test expects: no backtrace noise for it.
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<PowerCut>().is_none() {
                default(info);
            }
        }));
    });
    let dry = trial(session, None);
    assert!(
        dry.problems.is_empty(),
        "without a power cut: {:#?}",
        dry.problems
    );
    assert!(
        dry.points.len() > 10,
        "too few crash points: {:?}",
        dry.points
    );

    let mut failures = Vec::new();
    for (i, point) in dry.points.iter().enumerate() {
        let at = i as u64 + 1;
        let run = trial(session, Some(at));
        assert_eq!(
            run.cut.as_ref(),
            Some(point),
            "the session is not repeatable"
        );
        if !run.problems.is_empty() {
            failures.push(format!("power cut at #{at} {point}: {:#?}", run.problems));
        }
    }
    println!("{} crash points, each cut once", dry.points.len());
    assert!(
        failures.is_empty(),
        "{} of {} crash points lose or repeat something:\n{}",
        failures.len(),
        dry.points.len(),
        failures.join("\n")
    );
}

#[test]
fn tc_032_2_power_cut_at_every_write_of_an_online_session() {
    every_crash_point(online);
}

#[test]
fn tc_032_2_power_cut_at_every_write_of_an_offline_session() {
    every_crash_point(offline);
}

#[test]
fn tc_032_2_power_cut_at_every_write_of_a_session_with_a_reset() {
    every_crash_point(with_reset);
}

#[test]
fn tc_032_2_power_cut_at_every_write_of_a_session_with_a_firmware_update() {
    every_crash_point(with_firmware_update);
}
