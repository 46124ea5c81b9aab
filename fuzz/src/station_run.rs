//! Target `station`: a 2-connector station on a MemoryStore driven by a fuzzed sequence of
//! inputs, as the drivers and a (misbehaving) Central System would give them. After every
//! step the outputs are drained and checked by [`crate::station_check::Checker`]; at the end
//! a well-behaved Central System settles the station, and everything it owed (transaction
//! messages, UnlockConnector answers) must have been delivered.

use crate::gen::{id_tag, maybe_mutate, one_in, pick, string};
use crate::grammar::{cs_answer, cs_request, good_answer, CS_ACTIONS};
use crate::station_check::{Checker, Outcome};
use arbitrary::{Result, Unstructured};
use chrono::{DateTime, Duration, Utc};
use hal::{ChargerInfo, HardwareCommand, HardwareEvent, MeterReading};
use ocpp::{Action, ErrorCode, Frame};
use serde_json::json;
use station::{BootStatus, Input, Monotonic, Now, Output, Station, StationConfig};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// `FUZZ_TRACE=1` prints every input and output: the way to read a crash's story.
fn trace() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some())
}

/// Steps per input: enough for a boot, a session and its retries; more only slows the
/// fuzzer down without reaching new states.
const MAX_STEPS: usize = 96;
/// Rounds of the settling Central System (answers and wake-ups) before the final check.
const SETTLE_ROUNDS: usize = 200;

const FAULTS: &[&str] = &[
    "NoError",
    "GroundFailure",
    "HighTemperature",
    "OverCurrentFailure",
    "PowerMeterFailure",
    "OtherError",
    "NotAnErrorCode",
];

pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut run = Run::new();
    for _ in 0..MAX_STEPS {
        if u.is_empty() || run.step(&mut u).is_err() {
            break;
        }
    }
    run.settle();
}

struct Run {
    station: Station,
    cfg: StationConfig,
    now: DateTime<Utc>,
    link_up: bool,
    /// Meter registers of connectors 1 and 2: they only grow, as a real meter's.
    energy: [f64; 2],
    next_cs_id: u64,
    restarts: u64,
    /// Highest firmware/upload job the station gave the drivers.
    last_job: u64,
    /// Connectors the station asked to unlock (their UnlockResult is owed by the drivers).
    unlocks: BTreeSet<u32>,
    next_tx_id: i64,
    check: Checker,
}

impl Run {
    fn new() -> Run {
        let info = ChargerInfo {
            vendor: "Chargepoint".into(),
            model: "SIM-DC-500".into(),
            serial_number: "SIM000001".into(),
            firmware_version: "0.1.0".into(),
            meter_type: "SIM-DC-METER".into(),
            meter_serial_number: "SIM000001-M".into(),
        };
        let mut cfg = StationConfig::new(info, 2);
        // With a cable lock UnlockConnector is answered after the hardware's UnlockResult:
        // the deferred-answer path is exercised too.
        cfg.cable_lock = true;
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let station = start(&cfg, Box::new(store::MemoryStore::new()), now);
        let mut run = Run {
            station,
            cfg,
            now,
            link_up: false,
            energy: [1000.0, 5000.0],
            next_cs_id: 0,
            restarts: 0,
            last_job: 0,
            unlocks: BTreeSet::new(),
            next_tx_id: 1000,
            check: Checker::default(),
        };
        run.feed_meters();
        run
    }

    /// One fuzzed input. Frames are only received while the link is up, as over a socket.
    fn step(&mut self, u: &mut Unstructured) -> Result<()> {
        match u.int_in_range(0..=15u8)? {
            // Nothing arrives over a closed link: a frame step connects instead.
            0..=8 if !self.link_up => self.input(Input::Connected),
            0 => self.input(Input::Disconnected),
            1..=5 => {
                let action = if one_in(u, 16)? {
                    pick(u, &Action::ALL)?
                } else {
                    pick(u, CS_ACTIONS)?
                };
                let mut payload = cs_request(u, action, self.now)?;
                maybe_mutate(u, &mut payload)?;
                self.next_cs_id += 1;
                let name = if one_in(u, 32)? {
                    "NoSuchAction"
                } else {
                    action.as_str()
                };
                let text = json!([2, format!("cs-{}", self.next_cs_id), name, payload]);
                self.receive(text.to_string());
            }
            6 => {
                let text = if u.arbitrary()? {
                    string(u)?
                } else {
                    garbage_frame(u)?
                };
                self.receive(text);
            }
            7 | 8 => {
                let text = self.answer_in_flight(u)?;
                self.receive(text);
            }
            9 | 10 => {
                let event = hardware(u)?;
                self.input(Input::Hardware(event));
            }
            11 => {
                let c = u.int_in_range(1..=2u32)?;
                let slot = &mut self.energy[c as usize - 1];
                *slot += f64::from(u.int_in_range(0..=5000u16)?);
                let reading = reading(*slot);
                self.input(Input::Meter {
                    connector: c,
                    reading,
                });
            }
            12 | 13 => {
                let secs = match u.int_in_range(0..=3u8)? {
                    0 => pick(u, &[0, 1, 29, 30, 31, 59, 60, 300, 900])?,
                    _ => i64::from(u.int_in_range(0..=3600u16)?),
                };
                self.now += Duration::seconds(secs);
                self.input(Input::Tick);
            }
            14 => {
                let input = self.driver_outcome(u)?;
                self.input(input);
            }
            _ => self.restart(),
        }
        Ok(())
    }

    /// A frame from the Central System: what the station owes in return follows from what
    /// the frame is, judged by the same parser (see `crates/ocpp/src/frame.rs`).
    fn receive(&mut self, text: String) {
        // While Rejected the station answers nothing (OCPP 1.6 4.2): nothing is expected.
        let silent = matches!(self.station.boot_status(), BootStatus::Rejected { .. });
        let mut outcome = None;
        match Frame::parse(&text) {
            Ok(Frame::Call(call)) if !silent => {
                let action = Action::from_name(&call.action);
                self.check.expect_answer(call.unique_id, action);
            }
            Ok(Frame::CallResult(r)) if self.in_flight_id() == Some(&r.unique_id) => {
                outcome = Some(Outcome::Answered);
            }
            Ok(Frame::CallError(e)) if self.in_flight_id() == Some(&e.unique_id) => {
                outcome = Some(Outcome::Failed);
            }
            Err(e) if !silent => {
                if let Some(answer) = e.to_call_error() {
                    self.check.expect_answer(answer.unique_id, None);
                }
            }
            _ => {}
        }
        if trace() {
            eprintln!("{} <- {text}", self.now.format("%H:%M:%S"));
        }
        self.station
            .handle(Input::Received(text), both_clocks(self.now));
        if let Some(outcome) = outcome {
            let max = self.max_attempts();
            self.check.own_call_ended(outcome, max);
        }
        self.after_input(0);
    }

    fn input(&mut self, input: Input) {
        let ticks = u32::from(matches!(input, Input::Tick));
        self.input_after_ticks(input, ticks);
    }

    /// `input`, the `ticks`-th Tick in a row at `now` when it is one.
    fn input_after_ticks(&mut self, input: Input, ticks: u32) {
        match input {
            Input::Connected => self.link_up = true,
            Input::Disconnected => {
                self.link_up = false;
                let max = self.max_attempts();
                self.check.link_down(max);
            }
            _ => {}
        }
        if trace() {
            eprintln!("{} in {input:?}", self.now.format("%H:%M:%S"));
        }
        self.station.handle(input, both_clocks(self.now));
        self.after_input(ticks);
    }

    /// Timeouts, then the outputs of the step (the order of `Station::handle`); `ticks`:
    /// how many Ticks in a row at `now` the input ended.
    fn after_input(&mut self, ticks: u32) {
        let max = self.max_attempts();
        self.check.expire(self.now, max);
        let rejected_before = matches!(self.station.boot_status(), BootStatus::Rejected { .. });
        let mut reset = false;
        while let Some(output) = self.station.poll_output() {
            if trace() {
                eprintln!("{} out {output:?}", self.now.format("%H:%M:%S"));
            }
            match output {
                Output::Send(text) => {
                    assert!(
                        self.link_up,
                        "the station sent while the link was down: {text}"
                    );
                    if rejected_before
                        && matches!(self.station.boot_status(), BootStatus::Rejected { .. })
                    {
                        panic!("the station sent while Rejected: {text}");
                    }
                    self.check.on_sent(&text, self.now, self.cfg.call_timeout);
                }
                Output::Hardware(HardwareCommand::Unlock { connector }) => {
                    self.unlocks.insert(connector);
                }
                Output::Reset { .. } => reset = true,
                Output::DownloadFirmware { job, .. }
                | Output::VerifyFirmware { job, .. }
                | Output::InstallFirmware { job }
                | Output::Upload { job, .. } => self.last_job = self.last_job.max(job),
                _ => {}
            }
        }
        self.check.end_step();
        if matches!(self.station.boot_status(), BootStatus::Rejected { .. }) {
            self.check.rejected();
        }
        let wake = wake_at(&self.station, self.now);
        if trace() {
            eprintln!("{} wake at {wake:?}", self.now.format("%H:%M:%S"));
        }
        if wake.is_some_and(|t| t <= self.now) && !reset {
            // A deadline not ahead asks for a Tick at once, as drivers give it. One or two
            // such wakes are fine (a timer that fires another); a deadline that stays put
            // tick after tick would make the drivers' event loop spin (found here: status,
            // heartbeat and boot retry deadlines; see regressions/station/).
            assert!(
                ticks < 3,
                "poll_timeout {wake:?} is not after now {} after {ticks} Ticks: drivers would spin",
                self.now
            );
            self.input_after_ticks(Input::Tick, ticks + 1);
            return;
        }
        if reset {
            // What the drivers do on Output::Reset: close the link, start again from the store.
            self.restart();
        }
    }

    /// A power cycle (or the restart after Output::Reset): a new station from the same
    /// store, with a fresh message id range as the drivers give it.
    fn restart(&mut self) {
        if trace() {
            eprintln!("{} restart", self.now.format("%H:%M:%S"));
        }
        self.restarts += 1;
        self.link_up = false;
        let max = self.max_attempts();
        self.check.link_down(max);
        self.unlocks.clear();
        let mut cfg = self.cfg.clone();
        cfg.message_id_seed = self.restarts * 1_000_000 + 1;
        let placeholder = start(&cfg, Box::new(store::MemoryStore::new()), self.now);
        let old = std::mem::replace(&mut self.station, placeholder);
        self.station = start(&cfg, old.into_store(), self.now);
        self.feed_meters();
    }

    fn feed_meters(&mut self) {
        for (i, energy) in self.energy.into_iter().enumerate() {
            self.station.set_meter(i as u32 + 1, reading(energy));
        }
    }

    fn in_flight_id(&self) -> Option<&String> {
        self.check.in_flight.as_ref().map(|c| &c.id)
    }

    fn max_attempts(&self) -> u32 {
        let n = self
            .station
            .config()
            .current()
            .transaction_message_attempts
            .max(1);
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// The Central System's answer to the station's CALL in flight (sometimes to a wrong
    /// id, sometimes a CALLERROR, sometimes an answer of the wrong shape).
    fn answer_in_flight(&mut self, u: &mut Unstructured) -> Result<String> {
        let (id, action) = match &self.check.in_flight {
            Some(c) => (c.id.clone(), c.action),
            None => ("no-such-call".to_owned(), Action::Heartbeat),
        };
        let id = if one_in(u, 8)? { format!("{id}x") } else { id };
        if one_in(u, 4)? {
            let code = pick(u, &[ErrorCode::InternalError, ErrorCode::NotImplemented])?;
            return Ok(json!([4, id, code.as_str(), "", {}]).to_string());
        }
        let mut payload = cs_answer(u, action, self.now)?;
        if action == Action::StartTransaction && u.arbitrary()? {
            self.next_tx_id += 1;
            payload["transactionId"] = json!(self.next_tx_id);
        }
        maybe_mutate(u, &mut payload)?;
        Ok(json!([3, id, payload]).to_string())
    }

    fn driver_outcome(&mut self, u: &mut Unstructured) -> Result<Input> {
        let job = self.last_job + pick(u, &[0, 0, 0, 1])?;
        let result = |u: &mut Unstructured| -> Result<std::result::Result<(), String>> {
            Ok(if one_in(u, 3)? {
                Err("failed".to_owned())
            } else {
                Ok(())
            })
        };
        Ok(match u.int_in_range(0..=6u8)? {
            0 => Input::UnlockResult {
                connector: pick(u, &[1, 2, 0, 3])?,
                unlocked: u.arbitrary()?,
            },
            1 => Input::FirmwareDownloaded {
                job,
                result: result(u)?,
            },
            2 => Input::FirmwareVerified {
                job,
                valid: u.arbitrary()?,
            },
            3 => Input::FirmwareInstalled {
                job,
                result: result(u)?,
            },
            4 => Input::Uploaded {
                job,
                result: result(u)?,
            },
            5 => Input::SecurityEvent {
                kind: pick(u, station::SecurityEvent::ALL)?,
                tech_info: if u.arbitrary()? {
                    Some(string(u)?)
                } else {
                    None
                },
            },
            _ => Input::SecurityProfileFallback {
                profile: u.int_in_range(0..=3)?,
                reason: "connection refused".to_owned(),
            },
        })
    }

    /// A well-behaved Central System and drivers: connect, answer every CALL, report every
    /// unlock, wake the station at its deadlines. Then nothing owed may be left.
    fn settle(&mut self) {
        if trace() {
            eprintln!("{} settling", self.now.format("%H:%M:%S"));
        }
        let mut stuck = Duration::seconds(10);
        for _ in 0..SETTLE_ROUNDS {
            if !self.link_up {
                self.input(Input::Connected);
            } else if let Some(connector) = self.unlocks.pop_first() {
                self.input(Input::UnlockResult {
                    connector,
                    unlocked: true,
                });
            } else if let Some(call) = self.check.in_flight.clone() {
                self.next_tx_id += 1;
                let payload = good_answer(call.action, self.now, self.next_tx_id);
                self.receive(json!([3, call.id, payload]).to_string());
            } else if !self.check.unsettled() {
                break;
            } else {
                let wake = wake_at(&self.station, self.now);
                if trace() {
                    eprintln!("{} wake at {wake:?}", self.now.format("%H:%M:%S"));
                }
                match wake {
                    Some(t) if t > self.now => {
                        self.now = t;
                        stuck = Duration::seconds(10);
                    }
                    // A deadline already past (see the report: a held-back status while
                    // not registered) would wake a driver at once; real time still passes,
                    // in growing steps so that a long Rejected interval is reached too.
                    Some(_) => {
                        self.now += stuck;
                        // At most a day: the longest wait the grammar gives (a Rejected
                        // interval); far larger jumps make catch-up timers run for long.
                        stuck = (stuck * 2).min(Duration::days(1));
                    }
                    None => break,
                }
                self.input(Input::Tick);
            }
        }
        self.check.final_check();
    }
}

/// `wall` on both clocks: nothing here moves the wall clock alone.
fn both_clocks(wall: DateTime<Utc>) -> Now {
    let since_epoch = (wall - DateTime::UNIX_EPOCH).to_std().unwrap_or_default();
    Now::new(Monotonic::from_start(since_epoch), wall)
}

/// The station's poll_timeout as a wall-clock time.
fn wake_at(station: &Station, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mono = both_clocks(now).mono;
    station.poll_timeout().map(|t| now + (t - mono))
}

fn start(cfg: &StationConfig, store: Box<dyn store::Store>, now: DateTime<Utc>) -> Station {
    match Station::new(cfg.clone(), store, both_clocks(now)) {
        Ok(s) => s,
        // The store is a MemoryStore the station filled itself: failing to start from it
        // is a bug, not a fuzzing artefact.
        Err(e) => panic!("the station cannot start from its own store: {e}"),
    }
}

fn reading(energy_wh: f64) -> MeterReading {
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

fn hardware(u: &mut Unstructured) -> Result<HardwareEvent> {
    let connector = pick(u, &[1, 2, 1, 2, 0, 3])?;
    Ok(match u.int_in_range(0..=5u8)? {
        0 => HardwareEvent::CablePlugged { connector },
        1 => HardwareEvent::CableUnplugged { connector },
        2 => HardwareEvent::CardPresented {
            connector,
            id_tag: id_tag(u)?,
        },
        3 => HardwareEvent::StopButton { connector },
        4 => HardwareEvent::EvSuspended {
            connector,
            suspended: u.arbitrary()?,
        },
        _ => HardwareEvent::Fault {
            connector,
            error_code: pick(u, FAULTS)?.to_owned(),
            active: u.arbitrary()?,
        },
    })
}

/// Text that looks like a frame but is not quite one.
fn garbage_frame(u: &mut Unstructured) -> Result<String> {
    Ok(pick(
        u,
        &[
            "[2,\"g1\",\"Reset\"]",
            "[2,1,\"Reset\",{}]",
            "[2,\"g2\",\"Reset\",[]]",
            "[3,\"g3\"]",
            "[4,\"g4\",\"NoSuchCode\",\"\",{}]",
            "[9,\"g5\",{}]",
            "{\"not\":\"an array\"}",
            "[2,\"0123456789012345678901234567890123456789\",\"Heartbeat\",{}]",
            "[2,\"g6\",\"Heartbeat\",{}",
        ],
    )?
    .to_owned())
}
