//! The clocks that drive a station: the wall clock, a faster simulated clock for demos, and
//! a manual clock that tests move by hand so nothing ever waits for real time.

use chrono::{DateTime, Duration, Utc};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    /// Resolves once `now() >= at`.
    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep;
    /// The Central System told the time (BootNotification / Heartbeat answers).
    fn sync(&self, _central_time: DateTime<Utc>) {}
}

/// Real time, optionally running `speed` times faster from the moment it was made.
pub struct ScaledClock {
    origin_real: tokio::time::Instant,
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
        let real = self.origin_real.elapsed().as_secs_f64() * self.speed;
        self.origin() + Duration::microseconds((real * 1e6) as i64)
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep {
        let wait = (at - self.now())
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
    now: Arc<watch::Sender<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Arc::new(watch::channel(start).0),
        }
    }

    pub fn advance(&self, by: Duration) {
        self.now.send_modify(|t| *t += by);
    }

    pub fn set(&self, to: DateTime<Utc>) {
        self.now.send_replace(to);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep {
        let mut rx = self.now.subscribe();
        Box::pin(async move {
            // If the sender is gone time can never reach `at`: wait forever like a real sleep would.
            if rx.wait_for(|now| *now >= at).await.is_err() {
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
        let sleeper = clock.sleep_until(start + Duration::seconds(300));
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
}
