//! Every frame the station sends, checked as it arrives: CALLs against the request schema
//! of their action, CALLRESULTs against the response schema of the CALL they answer, and
//! the OCPP-J rules of one connection (unique message ids). The official JSON schemas are
//! used when found (OCPP_SCHEMA_DIR or the Python `ocpp` package); otherwise our typed
//! decoding, which follows them field by field.

use std::collections::{HashMap, HashSet};

use ocpp::{Action, Frame};
use serde_json::Value;
use wirefuzz::schemas::Schemas;

use csms::Direction;

/// Where the schemas came from, for the report.
pub fn schema_source(schemas: &Option<Schemas>) -> String {
    match schemas {
        Some(s) => format!("official JSON schemas in {}", s.dir.display()),
        None => "typed decoding (official schemas not found)".into(),
    }
}

#[derive(Default)]
pub struct FrameCheck {
    schemas: Option<Schemas>,
    /// Our CALLs on the wire: unique id -> action, to judge the answers.
    ours: HashMap<String, Action>,
    /// The unique ids of the station's CALLs on this connection.
    theirs: HashSet<String>,
}

impl FrameCheck {
    pub fn new(schemas: Option<Schemas>) -> FrameCheck {
        FrameCheck {
            schemas,
            ..FrameCheck::default()
        }
    }

    /// A new connection: message ids start afresh.
    pub fn reconnected(&mut self) {
        self.theirs.clear();
        self.ours.clear();
    }

    /// What is wrong with this frame, if anything.
    pub fn frame(&mut self, direction: Direction, frame: Option<&Frame>) -> Option<String> {
        let Some(frame) = frame else {
            return (direction == Direction::Received).then(|| "not an OCPP-J frame".to_owned());
        };
        match (direction, frame) {
            (Direction::Sent, Frame::Call(call)) => {
                if let Some(action) = Action::from_name(&call.action) {
                    self.ours.insert(call.unique_id.clone(), action);
                }
                None
            }
            (Direction::Sent, _) => None,
            (Direction::Received, Frame::Call(call)) => {
                if !self.theirs.insert(call.unique_id.clone()) {
                    return Some(format!(
                        "message id {:?} used twice on one connection",
                        call.unique_id
                    ));
                }
                let Some(action) = Action::from_name(&call.action) else {
                    return Some(format!("unknown action {:?}", call.action));
                };
                if !action.initiated_by_charge_point() {
                    return Some(format!("{} is not sent by a charge point", call.action));
                }
                self.payload(action, true, &call.payload)
            }
            (Direction::Received, Frame::CallResult(result)) => {
                let action = self.ours.remove(&result.unique_id)?;
                self.payload(action, false, &result.payload)
            }
            (Direction::Received, Frame::CallError(error)) => {
                self.ours.remove(&error.unique_id);
                None
            }
        }
    }

    fn payload(&self, action: Action, request: bool, payload: &Value) -> Option<String> {
        let side = if request { "request" } else { "response" };
        let problem = match &self.schemas {
            Some(schemas) => {
                let s = schemas.get(action);
                let validator = if request {
                    &s.request.validator
                } else {
                    &s.response.validator
                };
                validator.validate(payload).err().map(|e| e.to_string())
            }
            None => {
                let checked = if request {
                    ocpp::validate_request(action, payload)
                } else {
                    ocpp::validate_response(action, payload)
                };
                checked.err().map(|e| e.description)
            }
        };
        problem.map(|p| format!("{} {side} fails its schema: {p}", action.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(check: &mut FrameCheck, text: &str) -> Option<String> {
        let frame = Frame::parse(text).ok();
        check.frame(Direction::Received, frame.as_ref())
    }

    fn sent(check: &mut FrameCheck, text: &str) {
        let frame = Frame::parse(text).ok();
        assert_eq!(check.frame(Direction::Sent, frame.as_ref()), None);
    }

    #[test]
    fn a_valid_exchange_passes() {
        let mut c = FrameCheck::new(None);
        assert_eq!(received(&mut c, r#"[2,"1","Heartbeat",{}]"#), None);
        sent(&mut c, r#"[2,"cs1","Reset",{"type":"Soft"}]"#);
        assert_eq!(received(&mut c, r#"[3,"cs1",{"status":"Accepted"}]"#), None);
    }

    #[test]
    fn an_invalid_answer_is_judged_by_the_call_it_answers() {
        let mut c = FrameCheck::new(None);
        sent(&mut c, r#"[2,"cs1","Reset",{"type":"Soft"}]"#);
        let problem = received(&mut c, r#"[3,"cs1",{"status":"Maybe"}]"#).unwrap();
        assert!(problem.contains("Reset response"), "{problem}");
    }

    #[test]
    fn a_reused_id_an_invalid_call_and_a_central_system_action_are_violations() {
        let mut c = FrameCheck::new(None);
        assert_eq!(received(&mut c, r#"[2,"7","Heartbeat",{}]"#), None);
        assert!(received(&mut c, r#"[2,"7","Heartbeat",{}]"#)
            .unwrap()
            .contains("twice"));
        let bad = received(&mut c, r#"[2,"8","StatusNotification",{"connectorId":1}]"#).unwrap();
        assert!(bad.contains("StatusNotification request"), "{bad}");
        assert!(received(&mut c, r#"[2,"9","Reset",{"type":"Soft"}]"#).is_some());
        assert!(received(&mut c, r#"[2,"10""#).is_some());
        c.reconnected();
        assert_eq!(received(&mut c, r#"[2,"7","Heartbeat",{}]"#), None);
    }
}
