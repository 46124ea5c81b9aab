//! Reconnect backoff: exponential growth, a cap, and jitter so that a fleet of stations
//! does not reconnect in lock-step after a Central System restart.

use std::time::Duration;

/// Exponential backoff with "equal jitter": attempt `n` waits between half and all of
/// `min(base * 2^n, max)`. Pure logic: the caller supplies the jitter (or uses
/// [`Backoff::next_delay_random`]) and does the sleeping.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        // A cap below the base would make the first delay exceed the cap; honour the cap.
        let base = base.min(max);
        Self {
            base,
            max,
            attempt: 0,
        }
    }

    /// The delay before the next attempt. `jitter` in `0.0..=1.0` (clamped) picks a point
    /// between half the nominal delay (0.0) and the full nominal delay (1.0).
    pub fn next_delay(&mut self, jitter: f64) -> Duration {
        let nominal = self.nominal();
        self.attempt = self.attempt.saturating_add(1);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            1.0
        };
        nominal.mul_f64(0.5 + 0.5 * jitter)
    }

    /// [`Backoff::next_delay`] with a random jitter.
    pub fn next_delay_random(&mut self) -> Duration {
        self.next_delay(rand::random::<f64>())
    }

    /// Back to the first delay, after a connection that worked.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Attempts made since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    fn nominal(&self) -> Duration {
        // Shifts past 31 overflow any realistic base anyway; saturate instead of wrapping.
        let factor = 1u32.checked_shl(self.attempt.min(31)).unwrap_or(u32::MAX);
        self.base
            .checked_mul(factor)
            .map_or(self.max, |d| d.min(self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b() -> Backoff {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(60))
    }

    #[test]
    fn grows_exponentially_at_full_jitter() {
        let mut b = b();
        let got: Vec<u64> = (0..6).map(|_| b.next_delay(1.0).as_secs()).collect();
        assert_eq!(got, vec![1, 2, 4, 8, 16, 32]);
    }

    #[test]
    fn caps_at_max() {
        let mut b = b();
        for _ in 0..10 {
            b.next_delay(1.0);
        }
        assert_eq!(b.next_delay(1.0), Duration::from_secs(60));
        // Far past any shift width: still the cap, no overflow panic.
        for _ in 0..100 {
            b.next_delay(1.0);
        }
        assert_eq!(b.next_delay(1.0), Duration::from_secs(60));
    }

    #[test]
    fn reset_starts_over() {
        let mut b = b();
        b.next_delay(1.0);
        b.next_delay(1.0);
        assert_eq!(b.attempts(), 2);
        b.reset();
        assert_eq!(b.attempts(), 0);
        assert_eq!(b.next_delay(1.0), Duration::from_secs(1));
    }

    #[test]
    fn jitter_bounds() {
        let mut lo = b();
        let mut hi = b();
        for _ in 0..4 {
            lo.next_delay(0.0);
            hi.next_delay(1.0);
        }
        assert_eq!(lo.next_delay(0.0), Duration::from_secs(8));
        assert_eq!(hi.next_delay(1.0), Duration::from_secs(16));
        // Out-of-range jitter is clamped, not trusted.
        assert_eq!(b().next_delay(-3.0), Duration::from_millis(500));
        assert_eq!(b().next_delay(7.0), Duration::from_secs(1));
        assert_eq!(b().next_delay(f64::NAN), Duration::from_secs(1));
    }

    #[test]
    fn random_jitter_stays_in_bounds() {
        let mut b = b();
        for n in 0..20u32 {
            let nominal = Duration::from_secs(1 << n.min(6)).min(Duration::from_secs(60));
            let d = b.next_delay_random();
            assert!(d >= nominal / 2 && d <= nominal, "attempt {n}: {d:?}");
        }
    }

    #[test]
    fn cap_below_base_is_honoured() {
        let mut b = Backoff::new(Duration::from_secs(10), Duration::from_secs(3));
        assert_eq!(b.next_delay(1.0), Duration::from_secs(3));
    }
}
