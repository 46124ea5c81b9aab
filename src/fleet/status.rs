//! The fleet's live status line: on a terminal one line rewritten in place, elsewhere a
//! line every ten seconds.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::FleetView;

pub struct Printer {
    tty: bool,
}

/// What the stations are doing now, and the Central System's answers so far.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub stations: usize,
    pub connected: usize,
    pub booted: usize,
    pub charging: usize,
    pub faulted: usize,
    /// The stations' CALLs the Central System answered, and how many with a CALLERROR.
    pub answers: u64,
    pub call_errors: u64,
    /// With `--data-dir`: the writes queued for the fleet's database so far, and the
    /// commits (fsyncs) that carried them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_writes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_commits: Option<u64>,
}

impl Summary {
    pub fn of(view: &FleetView) -> Summary {
        let (answers, call_errors) = view.answer_times.totals();
        let mut c = Summary {
            stations: view.len(),
            answers,
            call_errors,
            db_writes: view.db.as_ref().map(|db| db.writes()),
            db_commits: view.db.as_ref().map(|db| db.commits()),
            ..Summary::default()
        };
        for (_, commander) in view.stations() {
            let state = commander.state();
            c.connected += usize::from(state.connected);
            c.booted += usize::from(state.booted);
            c.charging += state
                .connectors
                .iter()
                .filter(|k| k.status == "Charging")
                .count();
            c.faulted += state
                .connectors
                .iter()
                .filter(|k| k.status == "Faulted")
                .count();
        }
        c
    }

    /// With the Central System's answers per second.
    pub fn line(&self, per_s: f64) -> String {
        format!(
            "stations {} | connected {} | booted {} | charging {} | faulted {} | {per_s:.0} answers/s | {} CALLERRORs",
            self.stations, self.connected, self.booted, self.charging, self.faulted, self.call_errors
        )
    }
}

impl Printer {
    pub fn new() -> Printer {
        Printer {
            tty: std::io::stdout().is_terminal(),
        }
    }

    /// While the fleet comes up.
    pub fn starting(&self, n: u32, count: u32) {
        if self.tty && (n.is_multiple_of(50) || n == count) {
            print!("\rfleet: started {n} of {count}");
            let _ = std::io::stdout().flush();
        } else if !self.tty && (n.is_multiple_of(1000) || n == count) {
            println!("fleet: started {n} of {count}");
        }
    }

    fn show(&self, line: &str) {
        if self.tty {
            print!("\r{line}   ");
            let _ = std::io::stdout().flush();
        } else {
            println!("{line}");
        }
    }
}

impl Default for Printer {
    fn default() -> Self {
        Printer::new()
    }
}

pub async fn print_every(view: FleetView, every: Duration, printer: Printer) {
    let mut tick = tokio::time::interval(every);
    let quiet_ticks = if printer.tty { 1 } else { 10 };
    // The first tick is at once: a rate needs a whole interval behind it.
    tick.tick().await;
    let (mut last_answers, mut last_at) = (Summary::of(&view).answers, tokio::time::Instant::now());
    let mut n = 0u64;
    loop {
        tick.tick().await;
        if n.is_multiple_of(quiet_ticks) {
            let summary = Summary::of(&view);
            let now = tokio::time::Instant::now();
            let per_s = (summary.answers - last_answers) as f64
                / now.duration_since(last_at).as_secs_f64().max(0.001);
            (last_answers, last_at) = (summary.answers, now);
            printer.show(&summary.line(per_s));
        }
        n += 1;
    }
}
