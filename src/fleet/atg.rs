//! The automatic transaction generator (`--atg`): per connector, sessions arrive at random
//! (exponential inter-arrival times with a configured mean). Each is a person: plug in,
//! present a card from the list (some unknown to the Central System, for the refused path),
//! charge as the simulated EV charges (it suspends by itself at its target SoC) for a
//! random time, press stop, unplug. A seed makes the plan repeatable: the plan of a
//! connector depends only on the seed, the station's number and the connector.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::runner::{Commander, Operation};

#[derive(Debug, Clone, PartialEq)]
pub struct AtgConfig {
    pub seed: u64,
    /// Mean time between two sessions' arrivals at one connector.
    pub mean_arrival: Duration,
    /// A session charges for a time drawn evenly from this range.
    pub session: (Duration, Duration),
    /// The cards people present; a fraction `unknown_share` of sessions present a card of
    /// none of them (`ATG-UNKNOWN-<n>`).
    pub id_tags: Vec<String>,
    pub unknown_share: f64,
    /// How long a person takes between steps (plug, card, look at the screen, unplug).
    pub step: Duration,
}

impl Default for AtgConfig {
    fn default() -> Self {
        AtgConfig {
            seed: 1,
            mean_arrival: Duration::from_secs(1800),
            session: (Duration::from_secs(600), Duration::from_secs(2400)),
            id_tags: (1..=9).map(|n| format!("ATG-TAG-{n}")).collect(),
            unknown_share: 0.05,
            step: Duration::from_secs(2),
        }
    }
}

/// One planned session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Time from the end of the previous session (or the start) to the plug.
    pub arrives_after: Duration,
    pub id_tag: String,
    pub charges_for: Duration,
}

/// The sessions of one connector, endless.
pub struct Plan {
    rng: StdRng,
    cfg: AtgConfig,
}

impl Plan {
    pub fn new(cfg: &AtgConfig, station: u32, connector: u32) -> Plan {
        // Distinct, repeatable streams per (seed, station, connector).
        let stream = cfg.seed ^ (u64::from(station) << 20) ^ u64::from(connector);
        Plan {
            rng: StdRng::seed_from_u64(stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            cfg: cfg.clone(),
        }
    }
}

impl Iterator for Plan {
    type Item = Session;

    fn next(&mut self) -> Option<Session> {
        // Exponential: -ln(U) * mean, U in (0, 1].
        let u: f64 = 1.0 - self.rng.random::<f64>();
        let arrives_after = self.cfg.mean_arrival.mul_f64(-u.ln());
        let id_tag = if self.rng.random::<f64>() < self.cfg.unknown_share {
            format!("ATG-UNKNOWN-{}", self.rng.random_range(1..=9999))
        } else if self.cfg.id_tags.is_empty() {
            "ATG-TAG-1".to_owned()
        } else {
            let i = self.rng.random_range(0..self.cfg.id_tags.len());
            self.cfg.id_tags[i].clone()
        };
        let (min, max) = self.cfg.session;
        let charges_for = if max > min {
            min + (max - min).mul_f64(self.rng.random::<f64>())
        } else {
            min
        };
        Some(Session {
            arrives_after,
            id_tag,
            charges_for,
        })
    }
}

/// Run the plan of `connector` on a station until the task is dropped.
pub async fn drive(commander: Commander, connector: u32, plan: Plan) {
    let step = plan.cfg.step;
    for session in plan {
        tokio::time::sleep(session.arrives_after).await;
        if commander
            .state()
            .connectors
            .get(connector as usize - 1)
            .map(|c| c.status.as_str())
            != Some("Available")
        {
            // Taken, faulted or unavailable: this person leaves.
            continue;
        }
        let act = |op| commander.operate(connector, op);
        if act(Operation::Plug).await.is_err() {
            continue;
        }
        tokio::time::sleep(step).await;
        let id_tag = session.id_tag.clone();
        let _ = act(Operation::Authorize { id_tag }).await;
        tokio::time::sleep(step * 2).await;
        let charging = commander
            .state()
            .connectors
            .get(connector as usize - 1)
            .is_some_and(|c| c.transaction_id.is_some());
        if charging {
            tokio::time::sleep(session.charges_for).await;
            let _ = act(Operation::Stop).await;
            tokio::time::sleep(step).await;
        }
        let _ = act(Operation::Unplug).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(cfg: &AtgConfig, station: u32, connector: u32) -> Vec<Session> {
        Plan::new(cfg, station, connector).take(20).collect()
    }

    #[test]
    fn a_seed_makes_the_plan_repeatable() {
        let cfg = AtgConfig::default();
        assert_eq!(first(&cfg, 7, 1), first(&cfg, 7, 1));
        assert_ne!(first(&cfg, 7, 1), first(&cfg, 7, 2));
        assert_ne!(first(&cfg, 7, 1), first(&cfg, 8, 1));
        let other = AtgConfig {
            seed: 2,
            ..cfg.clone()
        };
        assert_ne!(first(&cfg, 7, 1), first(&other, 7, 1));
    }

    #[test]
    fn arrivals_average_the_mean_and_sessions_stay_in_range() {
        let cfg = AtgConfig {
            unknown_share: 0.2,
            ..AtgConfig::default()
        };
        let sessions: Vec<Session> = Plan::new(&cfg, 1, 1).take(4000).collect();
        let mean = sessions
            .iter()
            .map(|s| s.arrives_after.as_secs_f64())
            .sum::<f64>()
            / sessions.len() as f64;
        let want = cfg.mean_arrival.as_secs_f64();
        assert!(
            (mean - want).abs() < want * 0.08,
            "mean {mean} s, want {want} s"
        );
        assert!(sessions
            .iter()
            .all(|s| s.charges_for >= cfg.session.0 && s.charges_for <= cfg.session.1));
        let unknown = sessions
            .iter()
            .filter(|s| s.id_tag.starts_with("ATG-UNKNOWN-"))
            .count() as f64
            / sessions.len() as f64;
        assert!((unknown - 0.2).abs() < 0.03, "unknown share {unknown}");
        assert!(sessions
            .iter()
            .filter(|s| !s.id_tag.starts_with("ATG-UNKNOWN-"))
            .all(|s| cfg.id_tags.contains(&s.id_tag)));
    }
}
