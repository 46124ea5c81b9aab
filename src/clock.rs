//! The clocks that drive a station: the wall clock, a faster simulated clock for demos, and
//! a manual clock that tests move by hand so nothing ever waits for real time.

use chrono::{DateTime, Duration, Utc};
use station::{Monotonic, Now};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The two clocks a station runs on (see `station::Now`): the wall clock, which the Central
/// System may set, and a monotonic clock that only runs.
pub trait Clock: Send + Sync {
    /// The wall clock.
    fn now(&self) -> DateTime<Utc>;
    /// The monotonic clock: protocol timers run on it.
    fn monotonic(&self) -> Monotonic;
    /// Both clocks, for a station input.
    fn station_time(&self) -> Now {
        Now::new(self.monotonic(), self.now())
    }
    /// Resolves once `monotonic() >= at`.
    fn sleep_until(&self, at: Monotonic) -> Sleep;
    /// Resolves once the wall clock reads `at`, as it reads now: a later clock setting does
    /// not move the wake-up.
    fn sleep_until_wall(&self, at: DateTime<Utc>) -> Sleep {
        self.sleep_until(self.monotonic() + (at - self.now()))
    }
    /// The Central System told the time (BootNotification / Heartbeat answers).
    fn sync(&self, _central_time: DateTime<Utc>) {}
}

/// Real time, optionally running `speed` times faster from the moment it was made.
pub struct ScaledClock {
    origin_real: tokio::time::Instant,
    /// The wall clock at the origin; the Central System's time moves it.
    origin: Mutex<DateTime<Utc>>,
    speed: f64,
}

impl ScaledClock {
    /// The wall clock: speed 1, starting now.
    pub fn system() -> Arc<ScaledClock> {
        ScaledClock::with_speed(1.0)
    }

    pub fn with_speed(speed: f64) -> Arc<ScaledClock> {
        Arc::new(ScaledClock {
            origin_real: tokio::time::Instant::now(),
            origin: Mutex::new(Utc::now()),
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
        })
    }

    fn origin(&self) -> DateTime<Utc> {
        *self.origin.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        self.origin() + (self.monotonic() - Monotonic::from_start(Default::default()))
    }

    fn monotonic(&self) -> Monotonic {
        let real = self.origin_real.elapsed().as_secs_f64() * self.speed;
        Monotonic::from_start(std::time::Duration::from_secs_f64(real))
    }

    fn sleep_until(&self, at: Monotonic) -> Sleep {
        let wait = (at - self.monotonic())
            .num_microseconds()
            .unwrap_or(i64::MAX)
            .max(0) as f64;
        let real = std::time::Duration::from_secs_f64((wait / 1e6 / self.speed).min(86_400.0));
        Box::pin(tokio::time::sleep(real))
    }

    /// Only the wall clock follows the Central System: a sped-up demo clock keeps its own
    /// time line so its schedule stays consistent.
    fn sync(&self, central_time: DateTime<Utc>) {
        if self.speed == 1.0 {
            let shift = central_time - self.now();
            if shift.num_seconds().abs() >= 1 {
                let mut origin = self.origin.lock().unwrap_or_else(|p| p.into_inner());
                *origin += shift;
            }
        }
    }
}

/// Time that moves only when a test says so.
#[derive(Clone)]
pub struct ManualClock {
    now: Arc<watch::Sender<(DateTime<Utc>, Monotonic)>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        let mono = Monotonic::from_start(Default::default());
        ManualClock {
            now: Arc::new(watch::channel((start, mono)).0),
        }
    }

    /// Both clocks move on by `by`.
    pub fn advance(&self, by: Duration) {
        self.now.send_modify(|(wall, mono)| {
            *wall += by;
            *mono = *mono + by;
        });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.now.borrow().0
    }

    fn monotonic(&self) -> Monotonic {
        self.now.borrow().1
    }

    fn sleep_until(&self, at: Monotonic) -> Sleep {
        let mut rx = self.now.subscribe();
        Box::pin(async move {
            // If the sender is gone time can never reach `at`: wait forever like a real sleep would.
            if rx.wait_for(|(_, mono)| *mono >= at).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_clock_wakes_sleepers_when_advanced() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let clock = ManualClock::new(start);
        let sleeper = clock.sleep_until_wall(start + Duration::seconds(300));
        let handle = tokio::spawn(sleeper);
        tokio::task::yield_now().await;
        assert!(!handle.is_finished());
        clock.advance(Duration::seconds(300));
        tokio::time::timeout(std::time::Duration::from_secs(5), handle)
            .await
            .expect("sleeper woke")
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn scaled_clock_runs_faster() {
        let clock = ScaledClock::with_speed(60.0);
        let t0 = clock.now();
        tokio::time::advance(std::time::Duration::from_secs(1)).await;
        let elapsed = clock.now() - t0;
        assert!(
            (elapsed.num_milliseconds() - 60_000).abs() < 50,
            "{elapsed}"
        );
    }

    /// The Central System sets the wall clock; the monotonic clock, which timers sleep on,
    /// does not move.
    #[tokio::test(start_paused = true)]
    async fn a_clock_sync_moves_the_wall_clock_only() {
        let clock = ScaledClock::system();
        let (wall, mono) = (clock.now(), clock.monotonic());
        clock.sync(wall + Duration::hours(1));
        assert!(
            (clock.now() - wall - Duration::hours(1))
                .num_milliseconds()
                .abs()
                < 50
        );
        assert!((clock.monotonic() - mono).num_milliseconds().abs() < 50);
    }
}
