//! The state of one simulated connector.

use crate::types::PowerLimit;

use super::ev::Ev;
use super::meter::Meter;

/// The electrical output of a connector during one integration step.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Output {
    pub(crate) current_a: f64,
    /// Voltage at the connector: 0 when no EV is plugged or the contactor is open (the EV keeps
    /// its own contactors open too, so the cable is dead); otherwise the pack voltage plus the
    /// IR rise under current.
    pub(crate) voltage_v: f64,
    pub(crate) power_w: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct SimConnector {
    pub(crate) plugged: bool,
    /// The contactor as commanded by the station (opened by the hardware on unplug).
    pub(crate) energized: bool,
    pub(crate) ev: Option<Ev>,
    /// Active faults, oldest first; any active fault stops delivery.
    pub(crate) faults: Vec<String>,
    pub(crate) limit: PowerLimit,
    pub(crate) meter: Meter,
    /// The output as of the last update, reported by the meter.
    pub(crate) output: Output,
}

impl SimConnector {
    pub(crate) fn new(ambient_c: f64) -> Self {
        SimConnector {
            plugged: false,
            energized: false,
            ev: None,
            faults: Vec::new(),
            limit: PowerLimit::NONE,
            meter: Meter::new(ambient_c),
            output: Output::default(),
        }
    }

    /// The contactor is closed onto an EV: the pack voltage is at the connector.
    pub(crate) fn live_ev(&self) -> Option<&Ev> {
        if self.plugged && self.energized {
            self.ev.as_ref()
        } else {
            None
        }
    }

    /// Everything is in place for the power module to push current into the EV.
    pub(crate) fn may_deliver(&self) -> bool {
        self.faults.is_empty() && self.live_ev().is_some_and(|ev| !ev.suspended)
    }

    pub(crate) fn ev_suspended(&self) -> bool {
        self.ev.as_ref().is_some_and(|ev| ev.suspended)
    }
}
