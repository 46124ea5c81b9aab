//! The run: accept the station, cycle it through states (idle, transaction, firmware
//! update, reserved), send the planned frames one CALL at a time, judge every answer, follow
//! disconnects, and stop when the station does not come back.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::expect::Expectation;
use crate::generate::{now_text, ID_TAG, UNREACHABLE};
use crate::judge::{judge, Answer, Outcome};
use crate::mutate::Class;
use crate::operator::Operator;
use crate::plan::{Planned, Planner, Wire};
use crate::report::{clip, Report, Violation};
use crate::schemas::Schemas;
use crate::session::{Accepted, Ctx, Pending, Session, StationView};
use crate::FuzzConfig;

/// Frames spent in each state before going back to idle.
const PHASE_FRAMES: u64 = 400;
/// The reservation the fuzzer makes and cancels.
const RESERVATION_ID: i64 = 4242;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Idle,
    Transaction,
    Firmware,
    Reserved,
}

const PHASES: [Phase; 6] = [
    Phase::Idle,
    Phase::Transaction,
    Phase::Idle,
    Phase::Firmware,
    Phase::Idle,
    Phase::Reserved,
];

pub(crate) struct Driver<'a> {
    pub cfg: &'a FuzzConfig,
    pub schemas: &'a Schemas,
    pub report: Report,
    pub view: StationView,
    pub planner: Planner,
    pub session: Option<Session>,
    pub incoming: mpsc::Receiver<Accepted>,
    pub operator: Option<Operator>,
    pub sent: u64,
    pub started: Instant,
    pub(crate) last_progress: Instant,
    pub(crate) need_probe: bool,
    /// Consecutive timeouts.
    silent: u32,
    /// The last frame that needed no answer since the last answered CALL: (index, class,
    /// text), the likely cause of a disconnect.
    pub(crate) last_no_answer: Option<(u64, Class, String)>,
}

impl<'a> Driver<'a> {
    pub fn new(
        cfg: &'a FuzzConfig,
        schemas: &'a Schemas,
        incoming: mpsc::Receiver<Accepted>,
        operator: Option<Operator>,
    ) -> Driver<'a> {
        let now = Instant::now();
        Driver {
            cfg,
            schemas,
            report: Report::default(),
            view: StationView::default(),
            planner: Planner::new(cfg.seed),
            session: None,
            incoming,
            operator,
            sent: 0,
            started: now,
            last_progress: now,
            need_probe: false,
            silent: 0,
            last_no_answer: None,
        }
    }

    pub(crate) fn dead(&self) -> bool {
        self.report.dead.is_some()
    }

    pub(crate) fn next_id(&self) -> String {
        format!("fz{}", self.sent)
    }

    /// Waits for the first station.
    pub async fn connect(&mut self) -> bool {
        match tokio::time::timeout(self.cfg.connect_timeout, self.incoming.recv()).await {
            Ok(Some(a)) => {
                self.adopt(a);
                true
            }
            _ => false,
        }
    }

    pub(crate) fn adopt(&mut self, a: Accepted) {
        self.report.station.connections += 1;
        self.report.station.id = Some(a.station_id.clone());
        self.session = Some(Session::new(a));
    }

    pub async fn run(&mut self) {
        // Let the station boot before the first frame.
        self.serve(Duration::from_millis(300)).await;
        let mut phase_no = 0usize;
        while self.sent < self.cfg.frames && !self.dead() {
            let phase = PHASES[phase_no % PHASES.len()];
            phase_no += 1;
            self.enter(phase).await;
            let until = self.sent + PHASE_FRAMES;
            while self.sent < until.min(self.cfg.frames) && !self.dead() {
                let id = self.next_id();
                let p = if self.need_probe {
                    Planner::probe(self.schemas, &id)
                } else {
                    self.planner.next(self.schemas, &id)
                };
                self.step(p).await;
                self.progress();
            }
        }
        if !self.dead() {
            self.finish().await;
        }
    }

    /// Serves the station (answers its calls) for a while.
    async fn serve(&mut self, d: Duration) {
        if let Some(s) = self.session.as_mut() {
            let mut ctx = Ctx {
                schemas: self.schemas,
                report: &mut self.report,
                view: &mut self.view,
                index: self.sent,
            };
            let _ = s.await_answer(None, Instant::now() + d, &mut ctx).await;
        }
    }

    /// Valid calls that put the station into `phase` (from idle) or back to idle.
    async fn enter(&mut self, phase: Phase) {
        let calls: Vec<(&str, Value)> = match phase {
            Phase::Idle => {
                if let Some(op) = &self.operator {
                    op.cable(1, false).await;
                }
                let mut c: Vec<(&str, Value)> = self
                    .view
                    .transactions
                    .keys()
                    .map(|tx| ("RemoteStopTransaction", json!({"transactionId": tx})))
                    .collect();
                c.push((
                    "CancelReservation",
                    json!({"reservationId": RESERVATION_ID}),
                ));
                c.push((
                    "ChangeAvailability",
                    json!({"connectorId": 0, "type": "Operative"}),
                ));
                c.push(("ClearChargingProfile", json!({})));
                c
            }
            Phase::Transaction => {
                vec![(
                    "RemoteStartTransaction",
                    json!({"connectorId": 1, "idTag": ID_TAG}),
                )]
            }
            Phase::Firmware => vec![(
                "UpdateFirmware",
                json!({"location": format!("{UNREACHABLE}firmware.bin"),
                       "retrieveDate": now_text(), "retries": 3, "retryInterval": 1}),
            )],
            Phase::Reserved => {
                let expiry = (Utc::now() + chrono::Duration::seconds(900))
                    .to_rfc3339_opts(SecondsFormat::Millis, true);
                vec![(
                    "ReserveNow",
                    json!({"connectorId": 2, "expiryDate": expiry, "idTag": ID_TAG,
                           "reservationId": RESERVATION_ID}),
                )]
            }
        };
        for (action, payload) in calls {
            if self.dead() || self.sent >= self.cfg.frames {
                return;
            }
            let id = self.next_id();
            let p = Planner::call(self.schemas, Class::State, &id, action, payload);
            self.step(p).await;
        }
        if phase == Phase::Transaction {
            if let Some(op) = &self.operator {
                op.cable(1, true).await;
            }
            self.serve(Duration::from_millis(200)).await;
        }
    }

    /// Sends one frame and judges what comes back.
    async fn step(&mut self, p: Planned) {
        // A station that reconnected on its own: the old connection is gone.
        if let Ok(a) = self.incoming.try_recv() {
            self.record_disconnect(None, false, Some(0));
            self.adopt(a);
        }
        if self.session.is_none() && !self.reconnect(None, true).await {
            return;
        }
        let index = self.sent;
        self.sent += 1;
        if p.class.is_call() {
            let so = &mut self.report.second_opinion;
            so.compared += 1;
            if let Some(why) = &p.second_opinion {
                so.disagreements += 1;
                if so.examples.len() < 50 {
                    so.examples.push((clip(&p.wire.describe()), why.clone()));
                }
            }
        }
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let ok = match &p.wire {
            Wire::Text(t) => session.send_text(t.clone()).await,
            Wire::Raw(op, bytes) => session.send_raw(*op, bytes).await,
        };
        if !ok {
            self.lost(index, &p).await;
            return;
        }
        if p.expect == Expectation::NoAnswer {
            session.pending.push(Pending {
                index,
                class: p.class,
                id: p.id.clone(),
            });
            self.last_no_answer = Some((index, p.class, clip(&p.wire.describe())));
            self.need_probe = true;
            return;
        }
        self.need_probe = false;
        let deadline = Instant::now() + self.cfg.answer_timeout;
        let mut ctx = Ctx {
            schemas: self.schemas,
            report: &mut self.report,
            view: &mut self.view,
            index,
        };
        let (answer, text) = session
            .await_answer(p.id.as_deref(), deadline, &mut ctx)
            .await;
        if answer == Answer::Disconnected {
            self.lost(index, &p).await;
            return;
        }
        // The frames that needed no answer and got none.
        for pend in std::mem::take(&mut session.pending) {
            self.report.count(pend.class, Outcome::NoAnswer);
        }
        self.last_no_answer = None;
        let (outcome, detail) = judge(self.schemas, &p.expect, &answer);
        self.report.count(p.class, outcome);
        if outcome == Outcome::Timeout {
            self.silent += 1;
            if self.silent >= 2 {
                self.report.dead = Some(format!(
                    "stopped answering: no answer to frame #{index} nor to the one before within {} s",
                    self.cfg.answer_timeout.as_secs()
                ));
            }
            self.need_probe = true;
        } else {
            self.silent = 0;
        }
        if outcome.is_violation() {
            let v = Violation {
                frame: index,
                class: Some(p.class),
                kind: serde_json::to_value(outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                detail: if p.note.is_empty() {
                    detail
                } else {
                    format!("{} -- {detail}", p.note)
                },
                sent: Some(clip(&p.wire.describe())),
                answer: text.as_deref().map(clip),
                expected: Some(p.expect.clone()),
            };
            self.report.violation(v);
        }
    }
}
