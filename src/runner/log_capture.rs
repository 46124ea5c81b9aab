//! The station's own recent log lines, kept in memory for GetLog DiagnosticsLog and
//! GetDiagnostics: a `tracing` layer holding the last N formatted lines with their times.
//!
//! The binary installs it next to the stderr formatter (`main.rs`); a process without it
//! (a test, a library user) uploads a log file that says so in its first line. Lines are
//! stamped with the station's clock once a runner has one ([`LogCapture::set_clock`]; the
//! last station started in a process wins), else with the system time, so the times match
//! the OCPP timestamps a Central System asks for.

use crate::clock::Clock;
use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, RwLock};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// A bounded, shared buffer of log lines; cheap to clone (all clones share the buffer).
/// It is a [`Layer`]: add a clone to the subscriber, hand another to the runner
/// ([`super::RunOptions::log_capture`]).
#[derive(Clone)]
pub struct LogCapture {
    inner: Arc<Inner>,
}

struct Inner {
    capacity: usize,
    lines: Mutex<VecDeque<(DateTime<Utc>, String)>>,
    clock: RwLock<Option<Arc<dyn Clock>>>,
}

impl std::fmt::Debug for LogCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogCapture")
            .field("capacity", &self.inner.capacity)
            .field("lines", &self.len())
            .finish()
    }
}

impl Default for LogCapture {
    fn default() -> Self {
        LogCapture::new(LogCapture::DEFAULT_CAPACITY)
    }
}

impl LogCapture {
    /// Lines kept by default: the newest 10 000.
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// A capture keeping the newest `capacity` lines (at least 1).
    pub fn new(capacity: usize) -> LogCapture {
        LogCapture {
            inner: Arc::new(Inner {
                capacity: capacity.max(1),
                lines: Mutex::new(VecDeque::new()),
                clock: RwLock::new(None),
            }),
        }
    }

    /// Stamp lines with `clock` from now on (the runner gives its station's clock).
    pub fn set_clock(&self, clock: Arc<dyn Clock>) {
        *self.inner.clock.write().unwrap_or_else(|p| p.into_inner()) = Some(clock);
    }

    fn now(&self) -> DateTime<Utc> {
        let clock = self.inner.clock.read().unwrap_or_else(|p| p.into_inner());
        match clock.as_ref() {
            Some(clock) => clock.now(),
            None => Utc::now(),
        }
    }

    /// Keep `line` as logged at `at`, dropping the oldest line when full.
    pub fn push(&self, at: DateTime<Utc>, line: String) {
        let mut lines = self.inner.lines.lock().unwrap_or_else(|p| p.into_inner());
        if lines.len() >= self.inner.capacity {
            lines.pop_front();
        }
        lines.push_back((at, line));
    }

    /// Lines held now.
    pub fn len(&self) -> usize {
        self.inner.lines.lock().map(|l| l.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lines logged in `[from, to]` (an open bound: everything on that side), oldest
    /// first, each as `TIME LEVEL target: message fields`.
    pub fn lines_between(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Vec<String> {
        let lines = self.inner.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines
            .iter()
            .filter(|(at, _)| super::upload_file::in_window(*at, from, to))
            .map(|(at, line)| format!("{} {line}", at.to_rfc3339_opts(SecondsFormat::Millis, true)))
            .collect()
    }
}

impl<S: Subscriber> Layer<S> for LogCapture {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut line = format!("{:>5} {}: {}", meta.level(), meta.target(), fields.message);
        for (name, value) in fields.rest {
            let _ = write!(line, " {name}={value}");
        }
        // One line per event, whatever the message holds.
        let line = line.replace(['\r', '\n'], " ");
        self.push(self.now(), line);
    }
}

/// The message and the other fields of an event.
#[derive(Default)]
struct Fields {
    message: String,
    rest: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.rest.push((field.name(), value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.rest.push((field.name(), format!("{value:?}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use tracing_subscriber::layer::SubscriberExt;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn keeps_the_newest_lines_within_the_window() {
        let capture = LogCapture::new(3);
        for (i, t) in ["10:00:00", "10:00:01", "10:00:02", "10:00:03"]
            .iter()
            .enumerate()
        {
            capture.push(at(&format!("2025-06-02T{t}Z")), format!("line {i}"));
        }
        assert_eq!(capture.len(), 3, "the oldest line is dropped");
        let all = capture.lines_between(None, None);
        assert_eq!(all[0], "2025-06-02T10:00:01.000Z line 1");
        let some = capture.lines_between(
            Some(at("2025-06-02T10:00:02Z")),
            Some(at("2025-06-02T10:00:02Z")),
        );
        assert_eq!(some, ["2025-06-02T10:00:02.000Z line 2"]);
    }

    #[test]
    fn a_layer_formats_events_with_the_clock_given() {
        let capture = LogCapture::new(10);
        let clock = ManualClock::new(at("2025-06-02T10:00:00Z"));
        capture.set_clock(Arc::new(clock));
        let subscriber = tracing_subscriber::registry().with(capture.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(job = 7, "firmware\ndownloaded");
        });
        let lines = capture.lines_between(None, None);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].starts_with("2025-06-02T10:00:00.000Z  INFO "),
            "{lines:?}"
        );
        assert!(
            lines[0].ends_with(": firmware downloaded job=7"),
            "{lines:?}"
        );
    }
}
