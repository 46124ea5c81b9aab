//! Is the station still there? Disconnects (and what caused them), waiting for the station
//! to come back, the final probe, and progress lines for long runs.

use tokio::time::Instant;

use crate::driver::Driver;
use crate::judge::{judge, Outcome};
use crate::mutate::Class;
use crate::plan::{Planned, Planner};
use crate::report::{clip, Disconnect, Violation};
use crate::session::Ctx;

impl Driver<'_> {
    /// The connection dropped after frame `index` (`p`) was sent.
    pub(crate) async fn lost(&mut self, index: u64, p: &Planned) {
        let pending = self
            .session
            .as_mut()
            .map(|s| std::mem::take(&mut s.pending))
            .unwrap_or_default();
        self.session = None;
        // The frame that most likely did it: the last one that needed no answer, else p.
        let (cause_index, class, sent) = match self.last_no_answer.take() {
            Some(c) if !pending.is_empty() => c,
            _ => (index, p.class, clip(&p.wire.describe())),
        };
        for pend in pending.iter().filter(|pend| pend.index != cause_index) {
            self.report.count(pend.class, Outcome::NoAnswer);
        }
        let expected = class == Class::NotUtf8;
        let outcome = if expected {
            Outcome::ClosedPerRfc6455
        } else {
            Outcome::Disconnected
        };
        self.report.count(class, outcome);
        if !expected {
            self.report.violation(Violation {
                frame: cause_index,
                class: Some(class),
                kind: "disconnected".into(),
                detail: "the station dropped the connection after this frame".into(),
                sent: Some(sent.clone()),
                answer: None,
                expected: None,
            });
        }
        self.need_probe = true;
        self.reconnect(Some((cause_index, class, sent)), expected)
            .await;
    }

    pub(crate) fn record_disconnect(
        &mut self,
        cause: Option<(u64, Class, String)>,
        expected: bool,
        back: Option<u64>,
    ) {
        let (frame, class, sent) = match cause {
            Some((i, c, s)) => (i, Some(c), Some(s)),
            None => (self.sent, None, None),
        };
        self.report.disconnects.push(Disconnect {
            frame,
            class,
            sent,
            expected,
            back_after_ms: back,
        });
    }

    /// Waits for the station to connect again; marks it dead when it does not.
    pub(crate) async fn reconnect(
        &mut self,
        cause: Option<(u64, Class, String)>,
        expected: bool,
    ) -> bool {
        let start = Instant::now();
        let next = tokio::time::timeout(self.cfg.reconnect_timeout, self.incoming.recv()).await;
        match next {
            Ok(Some(a)) => {
                let ms = start.elapsed().as_millis() as u64;
                self.record_disconnect(cause, expected, Some(ms));
                self.adopt(a);
                true
            }
            _ => {
                let after = cause
                    .as_ref()
                    .map(|(i, c, _)| format!(" after frame #{i} ({c:?})"))
                    .unwrap_or_default();
                self.record_disconnect(cause, expected, None);
                self.report.dead = Some(format!(
                    "the station disconnected{after} and did not come back within {} s",
                    self.cfg.reconnect_timeout.as_secs()
                ));
                false
            }
        }
    }

    /// The last word: a valid call that must be answered.
    pub(crate) async fn finish(&mut self) {
        let id = format!("fz{}-final", self.sent);
        let p = Planner::probe(self.schemas, &id);
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let crate::plan::Wire::Text(text) = p.wire.clone() else {
            return;
        };
        if !session.send_text(text).await {
            return;
        }
        let deadline = Instant::now() + self.cfg.answer_timeout;
        let mut ctx = Ctx {
            schemas: self.schemas,
            report: &mut self.report,
            view: &mut self.view,
            index: self.sent,
        };
        let (answer, _) = session
            .await_answer(p.id.as_deref(), deadline, &mut ctx)
            .await;
        for pend in std::mem::take(&mut session.pending) {
            self.report.count(pend.class, Outcome::NoAnswer);
        }
        let (outcome, _) = judge(self.schemas, &p.expect, &answer);
        self.report.station.alive = matches!(outcome, Outcome::Ok | Outcome::RefusedValid);
        if !self.report.station.alive {
            self.report.dead = Some(format!("no valid answer to the final probe: {outcome:?}"));
        }
    }

    /// A progress line every few seconds on long runs.
    pub(crate) fn progress(&mut self) {
        if !self.cfg.progress || self.last_progress.elapsed() < std::time::Duration::from_secs(5) {
            return;
        }
        self.last_progress = Instant::now();
        let secs = self.started.elapsed().as_secs_f64();
        println!(
            "fuzz: {}/{} frames, {:.0}/s, {} violations, {} disconnects",
            self.sent,
            self.cfg.frames,
            self.sent as f64 / secs.max(0.001),
            self.report.violation_count,
            self.report.disconnects.len()
        );
    }
}
