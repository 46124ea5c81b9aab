//! The OCPP-J rules a station must keep, judged as its frames arrive. A break is logged as
//! a warning and published as [`CsmsEvent::Violation`]; the station still gets its answer,
//! so a lenient Central System stays usable while the problem is visible.

use std::fmt;

use serde::Serialize;

use crate::events::CsmsEvent;
use crate::state::Shared;

/// One rule of OCPP-J (or of the 1.6 message flow) a station can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Rule {
    /// A frame that is not an OCPP-J frame at all (4.1.3 of OCPP-J).
    InvalidFrame,
    /// A CALL whose payload fails the action's schema, or names an action a charge point
    /// does not send.
    InvalidCall,
    /// A CALLRESULT whose payload fails the response schema of the CALL it answers.
    InvalidAnswer,
    /// A CALL sent before the previous one was answered (OCPP-J 4.1.1: one CALL in flight).
    CallInFlight,
    /// A StopTransaction for a transaction already stopped on the same connection.
    RepeatedStop,
    /// A StopTransaction for a transaction id this Central System never gave.
    UnknownTransaction,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::InvalidFrame => "invalid OCPP-J frame",
            Rule::InvalidCall => "CALL fails its schema",
            Rule::InvalidAnswer => "CALLRESULT fails its schema",
            Rule::CallInFlight => "CALL sent before the previous one was answered",
            Rule::RepeatedStop => "second StopTransaction for the same transaction",
            Rule::UnknownTransaction => "StopTransaction for a transaction id never given",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Log and publish that `station` broke `rule` with `frame`.
pub(crate) fn report(shared: &Shared, station: &str, rule: Rule, detail: String, frame: &str) {
    tracing::warn!(station, rule = rule.as_str(), %detail, frame, "station broke an OCPP-J rule");
    shared.emit(CsmsEvent::Violation {
        station: station.to_owned(),
        rule,
        detail,
        frame: frame.to_owned(),
    });
}
