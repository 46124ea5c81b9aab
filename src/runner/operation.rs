//! What a person does at the station: the control API's verbs. The simulator carries them
//! out ([`super::simulation::Simulation::operate`]); at a maker's charger they happen in person.

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

impl Operation {
    /// The action in words, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Operation::Plug => "plugging in",
            Operation::Unplug => "unplugging",
            Operation::Authorize { .. } => "presenting a card",
            Operation::Stop => "pressing the stop button",
            Operation::EvSuspend(true) => "suspending the EV",
            Operation::EvSuspend(false) => "resuming the EV",
            Operation::Fault { .. } => "raising or clearing a fault",
        }
    }
}
