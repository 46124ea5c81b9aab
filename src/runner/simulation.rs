//! What only a simulated charger has, beside [`hal::Charger`]: a person operating it through
//! the control API, a picture of its connectors at power-up, physics that wants stepping
//! while something happens, and state the simulator keeps across restarts (the meter
//! registers, the installed firmware version). A maker's hardware has none of it
//! ([`NoSimulation`]): its inputs arrive through [`hal::Charger::poll`], its meters keep their
//! own registers, and its firmware version is what it reports.
//!
//! The methods take the charger, so that the event loop owns exactly one of it.

use super::operation::Operation;
use chrono::{DateTime, Duration, Utc};
use hal::{ConnectorId, HalError, HardwareEvent};
use station::StationConfig;

/// How often a charger is polled when nothing tells otherwise: a plug, a card or a fault
/// reaches the station within this time.
pub(crate) const POLL_STEP: Duration = Duration::seconds(1);

pub trait Simulation<C>: Send {
    /// Carry out an operator action (the control API's verbs).
    fn operate(
        &mut self,
        charger: &mut C,
        connector: ConnectorId,
        op: &Operation,
        now: DateTime<Utc>,
    ) -> Result<(), HalError> {
        let _ = (charger, connector, now);
        Err(HalError::NotSupported(format!(
            "{} is done in person at this charger; only the simulator takes it from the \
             control API",
            op.describe()
        )))
    }

    /// Give the charger what it kept from an earlier run, before the station starts:
    /// `firmware_version` is the version installed last (none: never installed).
    fn restore(&mut self, charger: &mut C, firmware_version: Option<&str>) {
        let _ = (charger, firmware_version);
    }

    /// The charger's ratings and features the station needs besides [`hal::Charger`]'s.
    fn configure(&self, charger: &C, cfg: &mut StationConfig) {
        let _ = (charger, cfg);
    }

    /// What the connectors show at power-up (an EV plugged in, an active fault), as events
    /// for a station that starts.
    fn present_state(&self, charger: &C) -> Vec<HardwareEvent> {
        let _ = charger;
        Vec::new()
    }

    /// The charger was polled: keep what must survive a restart.
    fn polled(&mut self, charger: &C) {
        let _ = charger;
    }

    /// How soon to poll the charger again.
    fn poll_step(&self, charger: &C) -> Duration {
        let _ = charger;
        POLL_STEP
    }
}

/// A maker's hardware: nothing simulated. Operator actions are refused with
/// [`HalError::NotSupported`].
pub struct NoSimulation;

impl<C> Simulation<C> for NoSimulation {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_actions_are_refused_with_a_clear_error() {
        let mut none = NoSimulation;
        let err = Simulation::<()>::operate(&mut none, &mut (), 1, &Operation::Plug, Utc::now())
            .expect_err("refused");
        assert!(matches!(err, HalError::NotSupported(_)));
        assert_eq!(
            err.to_string(),
            "not supported: plugging in is done in person at this charger; only the \
             simulator takes it from the control API"
        );
    }
}
