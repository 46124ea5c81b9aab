//! The fleet's live status line: on a terminal one line rewritten in place, elsewhere a
//! line every ten seconds.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use super::FleetView;

pub struct Printer {
    tty: bool,
}

/// What the stations are doing now.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub stations: usize,
    pub connected: usize,
    pub charging: usize,
    pub faulted: usize,
}

impl Counts {
    pub fn of(view: &FleetView) -> Counts {
        let mut c = Counts {
            stations: view.len(),
            ..Counts::default()
        };
        for (_, commander) in view.stations() {
            let state = commander.state();
            c.connected += usize::from(state.connected);
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

    pub fn line(&self) -> String {
        format!(
            "stations {} | connected {} | charging {} | faulted {}",
            self.stations, self.connected, self.charging, self.faulted
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

    fn show(&self, counts: &Counts) {
        if self.tty {
            print!("\r{}   ", counts.line());
            let _ = std::io::stdout().flush();
        } else {
            println!("{}", counts.line());
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
    let mut n = 0u64;
    loop {
        tick.tick().await;
        if n.is_multiple_of(quiet_ticks) {
            printer.show(&Counts::of(&view));
        }
        n += 1;
    }
}
