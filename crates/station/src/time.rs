//! The two clocks of a station. Protocol durations (the call timeout, heartbeats, retries,
//! ConnectionTimeOut, MinimumStatusDuration, sampling, a reservation's remaining time) run on
//! a monotonic clock that nothing sets. The wall clock, which the Central System sets through
//! BootNotification and Heartbeat answers, only stamps messages and evaluates absolute dates
//! (charging schedules, clock-aligned readings, retrieveDate, certificate expiry). So a
//! Central System that moves the time by an hour neither fires a timeout early nor holds
//! one back.

use chrono::{DateTime, Duration, Utc};
use std::ops::{Add, Sub};

/// A reading of the drivers' monotonic clock: the time since an origin of their choosing
/// (e.g. when the process started). Only differences between readings mean anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Monotonic(Duration);

impl Monotonic {
    /// The reading `elapsed` after the drivers' origin.
    pub fn from_start(elapsed: std::time::Duration) -> Monotonic {
        Monotonic(Duration::from_std(elapsed).unwrap_or(Duration::MAX))
    }

    /// The time from the drivers' origin to this reading (zero for a reading before it).
    pub fn since_start(self) -> std::time::Duration {
        self.0.to_std().unwrap_or_default()
    }
}

impl Add<Duration> for Monotonic {
    type Output = Monotonic;
    fn add(self, d: Duration) -> Monotonic {
        Monotonic(self.0.checked_add(&d).unwrap_or(Duration::MAX))
    }
}

impl Sub for Monotonic {
    type Output = Duration;
    fn sub(self, earlier: Monotonic) -> Duration {
        self.0 - earlier.0
    }
}

/// When an input happens, on both clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub mono: Monotonic,
    pub wall: DateTime<Utc>,
}

impl Now {
    pub fn new(mono: Monotonic, wall: DateTime<Utc>) -> Now {
        Now { mono, wall }
    }

    /// `deadline` on the monotonic clock. A wall-clock date is taken as the time left until
    /// it by the wall clock now; the drivers ask again after the next input anyway.
    pub fn mono_of(&self, deadline: Deadline) -> Monotonic {
        match deadline {
            Deadline::Mono(at) => at,
            Deadline::Wall(at) => self.mono + (at - self.wall),
        }
    }
}

/// When a timer wants to run: after a protocol duration, or at an absolute date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    Mono(Monotonic),
    Wall(DateTime<Utc>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wall_date_becomes_the_time_left_on_the_monotonic_clock() {
        let wall = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let now = Now::new(
            Monotonic::from_start(std::time::Duration::from_secs(5)),
            wall,
        );
        let at = now.mono_of(Deadline::Wall(wall + Duration::seconds(10)));
        assert_eq!(at.since_start(), std::time::Duration::from_secs(15));
        let m = now.mono + Duration::seconds(3);
        assert_eq!(now.mono_of(Deadline::Mono(m)), m);
        assert_eq!(m - now.mono, Duration::seconds(3));
    }
}
