//! Choosing the next frame: a seeded mix of valid calls, payload mutations and frame
//! mutations, each with the answer the schema expects.

use ocpp::Action;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::expect::{for_call, second_opinion, Expectation};
use crate::generate::{central_system_actions, disruptive, valid_payload};
use crate::mutate::{broken_frame, misspell, mutate_payload, not_utf8, unknown_action, Class};
use crate::schemas::Schemas;
use crate::tap::Opcode;

/// How a frame goes on the wire.
#[derive(Debug, Clone)]
pub enum Wire {
    Text(String),
    Raw(Opcode, Vec<u8>),
}

impl Wire {
    /// The frame as text for the report (bytes that are not UTF-8 escaped).
    pub fn describe(&self) -> String {
        match self {
            Wire::Text(t) => t.clone(),
            Wire::Raw(Opcode::Binary, b) => {
                format!("(binary frame) {}", String::from_utf8_lossy(b))
            }
            Wire::Raw(Opcode::Text, b) => format!("(text frame, not UTF-8) {}", b.escape_ascii()),
        }
    }
}

/// One frame to send and what must come back.
#[derive(Debug, Clone)]
pub struct Planned {
    pub class: Class,
    pub wire: Wire,
    /// The unique id the answer must carry (CALLs only).
    pub id: Option<String>,
    pub expect: Expectation,
    pub note: String,
    /// Where `ocpp::validate_request` disagrees with the schema about this call.
    pub second_opinion: Option<String>,
}

pub struct Planner {
    rng: StdRng,
    actions: Vec<Action>,
}

/// One in this many frames is 1 MiB; one in this many is text that is not UTF-8 (a
/// station may close the connection on it, as RFC 6455 wants, which costs a reconnect).
const ONE_IN_OVERSIZE: u32 = 2000;
const ONE_IN_NOT_UTF8: u32 = 5000;

impl Planner {
    pub fn new(seed: u64) -> Planner {
        Planner {
            rng: StdRng::seed_from_u64(seed),
            actions: central_system_actions(),
        }
    }

    pub fn rng(&mut self) -> &mut StdRng {
        &mut self.rng
    }

    /// A valid CALL of `action` with `payload` (state changes and probes).
    pub fn call(
        schemas: &Schemas,
        class: Class,
        id: &str,
        action: &str,
        payload: Value,
    ) -> Planned {
        let expect = for_call(schemas, action, &payload);
        let second_opinion = second_opinion(action, &payload, &expect);
        let text = json!([2, id, action, payload]).to_string();
        Planned {
            class,
            wire: Wire::Text(text),
            id: Some(id.to_owned()),
            expect,
            note: String::new(),
            second_opinion,
        }
    }

    /// A cheap valid call: is the station answering?
    pub fn probe(schemas: &Schemas, id: &str) -> Planned {
        Planner::call(
            schemas,
            Class::Probe,
            id,
            "GetConfiguration",
            json!({"key": ["HeartbeatInterval"]}),
        )
    }

    /// The next random frame.
    pub fn next(&mut self, schemas: &Schemas, id: &str) -> Planned {
        loop {
            if let Some(p) = self.try_next(schemas, id) {
                let harmful =
                    matches!(&p.expect, Expectation::Result { action, .. } if disruptive(*action));
                if !harmful {
                    return p;
                }
            }
        }
    }

    fn try_next(&mut self, schemas: &Schemas, id: &str) -> Option<Planned> {
        let action = self.actions[self.rng.random_range(0..self.actions.len())];
        let side = &schemas.get(action).request;
        let valid = valid_payload(action, &side.schema, &mut self.rng);
        if self.rng.random_ratio(1, ONE_IN_OVERSIZE) {
            return Some(self.no_answer(Class::Oversize, id, action));
        }
        if self.rng.random_ratio(1, ONE_IN_NOT_UTF8) {
            return Some(Planned {
                class: Class::NotUtf8,
                wire: Wire::Raw(Opcode::Text, not_utf8(&mut self.rng)),
                id: None,
                expect: Expectation::NoAnswer,
                note: String::new(),
                second_opinion: None,
            });
        }
        let roll = self.rng.random_range(0..100);
        if roll < 15 {
            let mut p = Planner::call(schemas, Class::Valid, id, action.as_str(), valid);
            p.note = action.to_string();
            return Some(p);
        }
        if roll < 77 {
            let class = Class::PAYLOAD[self.rng.random_range(0..Class::PAYLOAD.len())];
            let m = mutate_payload(class, &side.schema, &valid, &mut self.rng)?;
            let mut p = Planner::call(schemas, class, id, action.as_str(), m.payload);
            p.note = format!("{action}: {}", m.note);
            return Some(p);
        }
        // Frame mutations, the two rare ones excluded.
        let frame_classes: Vec<Class> = Class::FRAME
            .into_iter()
            .filter(|c| !matches!(c, Class::Oversize | Class::NotUtf8))
            .collect();
        let class = frame_classes[self.rng.random_range(0..frame_classes.len())];
        Some(match class {
            Class::UnknownAction => {
                let name = unknown_action(&mut self.rng);
                let payload = if self.rng.random_bool(0.5) {
                    json!({})
                } else {
                    valid
                };
                Planner::call(schemas, class, id, &name, payload)
            }
            Class::MisspeltAction => {
                let name = misspell(action, &mut self.rng);
                Planner::call(schemas, class, id, &name, valid)
            }
            Class::WrongDirection => {
                let cp: Vec<Action> = Action::ALL
                    .into_iter()
                    .filter(|a| a.initiated_by_charge_point() && *a != Action::DataTransfer)
                    .collect();
                let a = cp[self.rng.random_range(0..cp.len())];
                let payload = valid_payload(a, &schemas.get(a).request.schema, &mut self.rng);
                Planner::call(schemas, class, id, a.as_str(), payload)
            }
            Class::Binary => {
                let text = json!([2, id, action.as_str(), valid]).to_string();
                Planned {
                    class,
                    wire: Wire::Raw(Opcode::Binary, text.into_bytes()),
                    id: None,
                    expect: Expectation::NoAnswer,
                    note: String::new(),
                    second_opinion: None,
                }
            }
            other => self.no_answer(other, id, action),
        })
    }

    fn no_answer(&mut self, class: Class, id: &str, action: Action) -> Planned {
        Planned {
            class,
            wire: Wire::Text(broken_frame(class, id, action, &mut self.rng)),
            // An answer may carry the frame's id (when it had one), or "-1".
            id: Some(id.to_owned()),
            expect: Expectation::NoAnswer,
            note: String::new(),
            second_opinion: None,
        }
    }
}
