//! When to connect and with which SecurityProfile, as a state machine with no socket, no
//! clock and no sleeping: the event loop tells it what happened (an attempt started,
//! succeeded or failed, the link dropped, the profile changed, the station restarted) and
//! asks it when the next attempt is due. Time and the jitter's random seed come in, so its
//! tests are exact.
//!
//! Between attempts it waits a jittered exponential backoff from `reconnect_min` to
//! `reconnect_max` (jitter, so that a fleet does not reconnect in lock-step after a Central
//! System restart). A SecurityProfile raised over OCPP is tried; after [`PROFILE_ATTEMPTS`]
//! failed attempts with it the station falls back to the profile of the last connection that
//! worked (OCPP 1.6 security whitepaper, section 2.2: the Central System may have raised it
//! before it could accept it).

use chrono::{DateTime, Duration, Utc};
use net::Backoff;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use station::SecurityEvent;

/// Connection attempts with a newly raised SecurityProfile before falling back to the
/// previous one (counted, not timed: the backoff runs between them as usual).
pub(crate) const PROFILE_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// No link; the next attempt is due at this moment.
    Waiting(DateTime<Utc>),
    /// An attempt with this profile is under way.
    Connecting(u8),
    /// The link is up with this profile.
    Connected(u8),
}

/// A SecurityProfile raised over OCPP that no connection has proven yet.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ProfileTrial {
    profile: u8,
    /// The profile of the last successful connection: where a failed trial goes back to.
    previous: u8,
    /// Failed attempts with `profile` so far.
    failures: u32,
}

/// What the event loop does after a failed attempt, in this order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AfterFailure {
    /// The wait before the next attempt (0 after a fallback: the previous profile worked).
    pub(crate) retry_in: std::time::Duration,
    /// A security event to give the station: the first failure of its kind in a streak.
    pub(crate) report: Option<SecurityEvent>,
    /// The raised profile failed for the last time: the station goes back to this one.
    pub(crate) fall_back_to: Option<u8>,
}

pub(crate) struct ConnectionPolicy {
    phase: Phase,
    backoff: Backoff,
    rng: StdRng,
    /// The profile of the last attempt (0 before the first).
    last_attempt: u8,
    /// The SecurityProfile of the last successful connection (none before the first).
    known_good: Option<u8>,
    trial: Option<ProfileTrial>,
    /// The security event raised for the failure streak in progress: the same failure on
    /// every retry raises it only once; a successful connection ends the streak.
    failure_event: Option<SecurityEvent>,
}

impl ConnectionPolicy {
    /// A policy whose first attempt is due at `now`.
    pub(crate) fn new(
        reconnect_min: Duration,
        reconnect_max: Duration,
        seed: u64,
        now: DateTime<Utc>,
    ) -> ConnectionPolicy {
        ConnectionPolicy {
            phase: Phase::Waiting(now),
            backoff: Backoff::new(
                reconnect_min.to_std().unwrap_or_default(),
                reconnect_max.to_std().unwrap_or_default(),
            ),
            rng: StdRng::seed_from_u64(seed),
            last_attempt: 0,
            known_good: None,
            trial: None,
            failure_event: None,
        }
    }

    /// When the next attempt is due; none while connecting or connected.
    pub(crate) fn next_attempt(&self) -> Option<DateTime<Utc>> {
        match self.phase {
            Phase::Waiting(at) => Some(at),
            _ => None,
        }
    }

    /// Whether an attempt is due at `now`; if so it counts as started, with `profile` (the
    /// station's SecurityProfile at this moment).
    pub(crate) fn start_attempt(&mut self, now: DateTime<Utc>, profile: u8) -> bool {
        match self.phase {
            Phase::Waiting(at) if at <= now => {
                self.phase = Phase::Connecting(profile);
                self.last_attempt = profile;
                true
            }
            _ => false,
        }
    }

    /// The profile of the attempt under way or of the link that is up.
    pub(crate) fn attempt_profile(&self) -> u8 {
        self.last_attempt
    }

    /// The attempt under way succeeded: its profile is the known-good one now. True when
    /// that ends the trial of a raised profile.
    pub(crate) fn connected(&mut self) -> bool {
        let profile = self.last_attempt;
        self.phase = Phase::Connected(profile);
        self.backoff.reset();
        self.known_good = Some(profile);
        self.failure_event = None;
        let proven = self.trial.is_some_and(|t| t.profile == profile);
        if proven {
            self.trial = None;
        }
        proven
    }

    /// The attempt under way failed, standing for security event `event` if any.
    pub(crate) fn failed(
        &mut self,
        now: DateTime<Utc>,
        event: Option<SecurityEvent>,
    ) -> AfterFailure {
        let profile = self.last_attempt;
        let mut retry_in = self.wait(now);
        let report = match event {
            Some(kind) if self.failure_event != Some(kind) => {
                self.failure_event = Some(kind);
                Some(kind)
            }
            _ => None,
        };
        let mut fall_back_to = None;
        if let Some(trial) = self.trial.as_mut().filter(|t| t.profile == profile) {
            trial.failures += 1;
            if trial.failures >= PROFILE_ATTEMPTS {
                fall_back_to = Some(trial.previous);
                self.trial = None;
                self.backoff.reset();
                self.phase = Phase::Waiting(now);
                retry_in = std::time::Duration::ZERO;
            }
        }
        AfterFailure {
            retry_in,
            report,
            fall_back_to,
        }
    }

    /// The link that was up dropped (or a send on it failed): the wait before the next
    /// attempt.
    pub(crate) fn lost(&mut self, now: DateTime<Utc>) -> std::time::Duration {
        self.wait(now)
    }

    /// The station accepted SecurityProfile `profile`. Some(the profile it is tried
    /// against): the event loop drops the link (or the attempt) it has and connects with
    /// the new profile at once; none: nothing changes.
    pub(crate) fn profile_changed(&mut self, now: DateTime<Utc>, profile: u8) -> Option<u8> {
        let previous = self.known_good.unwrap_or(self.last_attempt);
        if profile == previous && self.trial.is_none() {
            return None;
        }
        self.trial = Some(ProfileTrial {
            profile,
            previous,
            failures: 0,
        });
        self.backoff.reset();
        self.phase = Phase::Waiting(now);
        Some(previous)
    }

    /// The station restarted in the process (a Reset): connect again at once. A profile
    /// being tried stays on trial.
    pub(crate) fn restarted(&mut self, now: DateTime<Utc>) {
        self.reconnect_now(now);
    }

    /// The event loop drops the link (or the attempt) it has to connect with new
    /// credentials (a new AuthorizationKey): the next attempt is due at once, the profile
    /// and its trial unchanged.
    pub(crate) fn reconnect_now(&mut self, now: DateTime<Utc>) {
        self.backoff.reset();
        self.phase = Phase::Waiting(now);
    }

    /// The next backoff delay, with the next attempt due after it.
    fn wait(&mut self, now: DateTime<Utc>) -> std::time::Duration {
        let delay = self.backoff.next_delay(self.rng.random::<f64>());
        let after = Duration::from_std(delay).unwrap_or(Duration::seconds(60));
        self.phase = Phase::Waiting(now + after);
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration as StdDuration;

    fn t0() -> DateTime<Utc> {
        "2025-06-02T10:00:00Z".parse().expect("a time")
    }

    fn policy() -> ConnectionPolicy {
        ConnectionPolicy::new(Duration::seconds(1), Duration::seconds(60), 7, t0())
    }

    fn secs(d: StdDuration) -> f64 {
        d.as_secs_f64()
    }

    /// Start an attempt at the moment it is due; that moment.
    fn attempt(p: &mut ConnectionPolicy, profile: u8) -> DateTime<Utc> {
        let at = p.next_attempt().expect("an attempt is due");
        assert!(
            !p.start_attempt(at - Duration::milliseconds(1), profile),
            "not before it is due"
        );
        assert!(p.start_attempt(at, profile));
        assert_eq!(p.next_attempt(), None, "no second attempt meanwhile");
        at
    }

    #[test]
    fn the_first_attempt_is_at_once() {
        let mut p = policy();
        assert_eq!(p.next_attempt(), Some(t0()));
        assert!(p.start_attempt(t0(), 0));
        assert!(!p.start_attempt(t0(), 0));
    }

    #[test]
    fn failures_back_off_exponentially_with_jitter_up_to_the_cap() {
        let mut p = policy();
        let mut nominal = 1.0_f64;
        for n in 0..12 {
            let at = attempt(&mut p, 0);
            let after = p.failed(at, None);
            let wait = secs(after.retry_in);
            assert!(
                wait >= nominal / 2.0 && wait <= nominal,
                "attempt {n}: {wait} s, nominal {nominal} s"
            );
            let due = p.next_attempt().expect("a retry");
            assert_eq!(due, at + Duration::from_std(after.retry_in).unwrap());
            nominal = (nominal * 2.0).min(60.0);
        }
    }

    #[test]
    fn new_credentials_reconnect_at_once_with_the_same_profile() {
        let mut p = policy();
        let at = attempt(&mut p, 1);
        assert!(!p.connected());
        assert_eq!(p.next_attempt(), None, "connected");
        let later = at + Duration::seconds(30);
        p.reconnect_now(later);
        assert_eq!(p.next_attempt(), Some(later));
        assert!(p.start_attempt(later, 1));
        // After failures too: the backoff starts over.
        let after = p.failed(later, None);
        assert!(secs(after.retry_in) <= 1.0);
        p.reconnect_now(later);
        assert_eq!(p.next_attempt(), Some(later));
    }

    #[test]
    fn the_jitter_comes_from_the_seed() {
        let waits = |seed| {
            let mut p =
                ConnectionPolicy::new(Duration::seconds(1), Duration::seconds(60), seed, t0());
            (0..5)
                .map(|_| {
                    let at = attempt(&mut p, 0);
                    p.failed(at, None).retry_in
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(waits(1), waits(1));
        assert_ne!(waits(1), waits(2));
    }

    #[test]
    fn a_connection_resets_the_backoff_and_a_loss_waits_the_first_delay() {
        let mut p = policy();
        for _ in 0..4 {
            let at = attempt(&mut p, 0);
            p.failed(at, None);
        }
        let at = attempt(&mut p, 0);
        assert!(!p.connected(), "no trial to end");
        assert_eq!(p.next_attempt(), None);
        let wait = p.lost(at);
        assert!(secs(wait) >= 0.5 && secs(wait) <= 1.0, "{wait:?}");
        assert_eq!(
            p.next_attempt(),
            Some(at + Duration::from_std(wait).unwrap())
        );
    }

    #[test]
    fn a_security_event_is_reported_once_per_streak() {
        let mut p = policy();
        let bad = Some(SecurityEvent::InvalidCentralSystemCertificate);
        let at = attempt(&mut p, 2);
        assert_eq!(p.failed(at, bad).report, bad);
        let at = attempt(&mut p, 2);
        assert_eq!(p.failed(at, bad).report, None, "same failure again");
        let at = attempt(&mut p, 2);
        assert_eq!(p.failed(at, None).report, None);
        let other = Some(SecurityEvent::InvalidTLSVersion);
        let at = attempt(&mut p, 2);
        assert_eq!(p.failed(at, other).report, other, "a different failure");
        // A connection ends the streak.
        let at = attempt(&mut p, 2);
        p.connected();
        p.lost(at);
        let at = attempt(&mut p, 2);
        assert_eq!(p.failed(at, other).report, other);
    }

    #[test]
    fn a_raised_profile_is_tried_at_once_and_kept_when_it_works() {
        let mut p = policy();
        let at = attempt(&mut p, 1);
        p.connected();
        assert_eq!(p.profile_changed(at, 1), None, "the profile it has");
        assert_eq!(p.profile_changed(at, 2), Some(1), "tried against 1");
        assert_eq!(p.next_attempt(), Some(at), "at once");
        attempt(&mut p, 2);
        assert!(p.connected(), "profile 2 works");
        // No trial any more: a failure is an ordinary one.
        let at = t0() + Duration::seconds(5);
        p.lost(at);
        for _ in 0..PROFILE_ATTEMPTS + 1 {
            let at = attempt(&mut p, 2);
            assert_eq!(p.failed(at, None).fall_back_to, None);
        }
    }

    #[test]
    fn a_raised_profile_falls_back_after_three_failures() {
        let mut p = policy();
        attempt(&mut p, 1);
        p.connected();
        assert!(p.profile_changed(t0(), 2).is_some());
        for n in 1..PROFILE_ATTEMPTS {
            let at = attempt(&mut p, 2);
            let after = p.failed(at, None);
            assert_eq!(after.fall_back_to, None, "failure {n}");
            assert!(
                after.retry_in > StdDuration::ZERO,
                "the backoff runs between"
            );
        }
        let at = attempt(&mut p, 2);
        let after = p.failed(at, Some(SecurityEvent::InvalidTLSVersion));
        assert_eq!(
            after,
            AfterFailure {
                retry_in: StdDuration::ZERO,
                report: Some(SecurityEvent::InvalidTLSVersion),
                fall_back_to: Some(1),
            }
        );
        assert_eq!(
            p.next_attempt(),
            Some(at),
            "the previous profile worked: at once"
        );
        // The station went back to 1; its failures are ordinary ones, with a fresh backoff.
        let at = attempt(&mut p, 1);
        let after = p.failed(at, None);
        assert_eq!(after.fall_back_to, None);
        assert!(secs(after.retry_in) <= 1.0);
    }

    #[test]
    fn failures_with_another_profile_do_not_count_for_the_trial() {
        let mut p = policy();
        attempt(&mut p, 0);
        p.connected();
        assert!(p.profile_changed(t0(), 1).is_some());
        for _ in 0..PROFILE_ATTEMPTS {
            let at = attempt(&mut p, 0);
            assert_eq!(p.failed(at, None).fall_back_to, None);
        }
        let at = attempt(&mut p, 1);
        assert_eq!(
            p.failed(at, None).fall_back_to,
            None,
            "the first failure with 1"
        );
    }

    #[test]
    fn before_any_connection_the_fallback_is_the_profile_last_attempted() {
        let mut p = policy();
        let at = attempt(&mut p, 1);
        p.failed(at, None);
        assert!(p.profile_changed(at, 3).is_some());
        for _ in 1..PROFILE_ATTEMPTS {
            let at = attempt(&mut p, 3);
            p.failed(at, None);
        }
        let at = attempt(&mut p, 3);
        assert_eq!(p.failed(at, None).fall_back_to, Some(1));
    }

    #[test]
    fn changing_to_the_profile_on_trial_again_restarts_the_trial() {
        let mut p = policy();
        attempt(&mut p, 1);
        p.connected();
        assert!(p.profile_changed(t0(), 2).is_some());
        let at = attempt(&mut p, 2);
        p.failed(at, None);
        // Set back to the known-good profile while one is on trial: tried (and kept) too.
        assert!(p.profile_changed(at, 1).is_some());
        attempt(&mut p, 1);
        assert!(p.connected());
    }

    #[test]
    fn a_restart_connects_at_once_and_keeps_the_trial() {
        let mut p = policy();
        attempt(&mut p, 1);
        p.connected();
        assert!(p.profile_changed(t0(), 2).is_some());
        let at = attempt(&mut p, 2);
        p.failed(at, None);
        let later = at + Duration::seconds(3);
        p.restarted(later);
        assert_eq!(p.next_attempt(), Some(later));
        for _ in 1..PROFILE_ATTEMPTS - 1 {
            let at = attempt(&mut p, 2);
            assert_eq!(p.failed(at, None).fall_back_to, None);
        }
        let at = attempt(&mut p, 2);
        assert_eq!(p.failed(at, None).fall_back_to, Some(1));
    }
}
