//! What a person does at the station: the control API's verbs, carried out on the simulator.

use chrono::{DateTime, Utc};
use hal::sim::SimCharger;
use hal::{ConnectorId, HalError};

#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    Plug,
    Unplug,
    /// A card presented after selecting the connector.
    Authorize {
        id_tag: String,
    },
    /// The local stop button.
    Stop,
    /// The EV pauses (true) or resumes (false).
    EvSuspend(bool),
    Fault {
        error_code: String,
        active: bool,
    },
}

/// A charger a person can operate. The simulator can; a maker's hardware is operated in
/// person and need not implement this.
pub trait Operate {
    fn operate(
        &mut self,
        connector: ConnectorId,
        op: &Operation,
        now: DateTime<Utc>,
    ) -> Result<(), HalError>;
}

impl Operate for SimCharger {
    fn operate(
        &mut self,
        connector: ConnectorId,
        op: &Operation,
        now: DateTime<Utc>,
    ) -> Result<(), HalError> {
        match op {
            Operation::Plug => self.plug(connector, now),
            Operation::Unplug => self.unplug(connector, now),
            Operation::Authorize { id_tag } => self.present_card(connector, id_tag),
            Operation::Stop => self.press_stop(connector),
            Operation::EvSuspend(suspended) => self.set_ev_suspended(connector, *suspended, now),
            Operation::Fault { error_code, active } => {
                self.set_fault(connector, error_code, *active)
            }
        }
    }
}
