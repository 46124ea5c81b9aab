//! How long the Central System takes to answer each of the station's CALLs, as the station
//! sees it (the CALL written to the socket to its CALLRESULT or CALLERROR read back), by
//! action. Shared by every station of a fleet; a station measures only when given one.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use ocpp::Frame;
use serde::{Deserialize, Serialize};

use super::histogram::Histogram;
use tokio::time::Instant;

/// The record, shared: each station's [`Pending`] adds to it.
#[derive(Clone, Default)]
pub struct AnswerTimes(Arc<Mutex<BTreeMap<String, Samples>>>);

impl std::fmt::Debug for AnswerTimes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnswerTimes")
    }
}

#[derive(Default)]
struct Samples {
    micros: Histogram,
    errors: u64,
}

/// One action's figures, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionFigures {
    pub action: String,
    pub count: u64,
    /// Answered with a CALLERROR.
    pub errors: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The answer times as (smallest µs of a bucket, count): what reports of several
    /// processes merge by.
    pub histogram: Vec<[u64; 2]>,
}

impl ActionFigures {
    /// The figures of `action` from its answer times.
    pub fn of(action: &str, micros: &Histogram, errors: u64) -> ActionFigures {
        let ms = |us: u64| us as f64 / 1000.0;
        ActionFigures {
            action: action.to_owned(),
            count: micros.count(),
            errors,
            p50_ms: ms(micros.quantile(0.50)),
            p95_ms: ms(micros.quantile(0.95)),
            p99_ms: ms(micros.quantile(0.99)),
            max_ms: ms(u64::from(micros.max())),
            histogram: micros.buckets(),
        }
    }
}

/// Figures as a table for the terminal.
pub fn table(figures: &[ActionFigures]) -> String {
    let mut out = format!(
        "{:<34} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9}\n",
        "action", "count", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    for f in figures {
        out.push_str(&format!(
            "{:<34} {:>9} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.2}\n",
            f.action, f.count, f.errors, f.p50_ms, f.p95_ms, f.p99_ms, f.max_ms
        ));
    }
    out
}

impl AnswerTimes {
    fn record(&self, action: String, micros: u32, error: bool) {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let s = all.entry(action).or_default();
        s.micros.record(micros);
        s.errors += u64::from(error);
    }

    /// Per action, in name order.
    pub fn figures(&self) -> Vec<ActionFigures> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.iter()
            .map(|(action, s)| ActionFigures::of(action, &s.micros, s.errors))
            .collect()
    }

    /// Answered CALLs so far and how many of them with a CALLERROR, all actions.
    pub fn totals(&self) -> (u64, u64) {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.values()
            .fold((0, 0), |(n, e), s| (n + s.micros.count(), e + s.errors))
    }

    /// The figures as a table for the terminal.
    pub fn table(&self) -> String {
        table(&self.figures())
    }
}

/// One station's CALLs on the wire, waiting for their answers.
#[derive(Default)]
pub(crate) struct Pending {
    sent: HashMap<String, (String, Instant)>,
}

impl Pending {
    pub(crate) fn sent(&mut self, text: &str) {
        if let Ok(Frame::Call(call)) = Frame::parse(text) {
            self.sent
                .insert(call.unique_id, (call.action, Instant::now()));
        }
    }

    pub(crate) fn received(&mut self, text: &str, into: &AnswerTimes) {
        let (id, error) = match Frame::parse(text) {
            Ok(Frame::CallResult(r)) => (r.unique_id, false),
            Ok(Frame::CallError(e)) => (e.unique_id, true),
            _ => return,
        };
        if let Some((action, at)) = self.sent.remove(&id) {
            let micros = u32::try_from(at.elapsed().as_micros()).unwrap_or(u32::MAX);
            into.record(action, micros, error);
        }
    }

    /// The link is gone: what was waiting will never be answered on it.
    pub(crate) fn clear(&mut self) {
        self.sent.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_matched_to_their_calls_by_id_and_counted_per_action() {
        let times = AnswerTimes::default();
        let mut p = Pending::default();
        p.sent(r#"[2,"1","Heartbeat",{}]"#);
        p.sent(r#"[2,"2","Authorize",{"idTag":"A"}]"#);
        p.received(r#"[3,"2",{"idTagInfo":{"status":"Accepted"}}]"#, &times);
        p.received(r#"[4,"1","InternalError","",{}]"#, &times);
        p.received(r#"[3,"99",{}]"#, &times);
        let f = times.figures();
        assert_eq!(f.len(), 2);
        assert_eq!(
            (f[0].action.as_str(), f[0].count, f[0].errors),
            ("Authorize", 1, 0)
        );
        assert_eq!(
            (f[1].action.as_str(), f[1].count, f[1].errors),
            ("Heartbeat", 1, 1)
        );
        assert!(times.table().contains("Heartbeat"));
    }

    #[test]
    fn percentiles_are_nearest_rank_to_a_thirty_second() {
        let times = AnswerTimes::default();
        for ms in 1..=100u32 {
            times.record("Heartbeat".into(), ms * 1000, false);
        }
        let f = &times.figures()[0];
        for (got, want) in [(f.p50_ms, 50.0), (f.p95_ms, 95.0), (f.p99_ms, 99.0)] {
            assert!(
                got >= want && got <= want * (1.0 + 1.0 / 32.0),
                "{got} for {want}"
            );
        }
        assert_eq!(f.max_ms, 100.0);
        assert_eq!(times.totals(), (100, 0));
    }
}
