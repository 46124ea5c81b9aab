//! The model the `station` target checks the station against: which CALLs of the Central
//! System still need their answer, which CALL of the station is in flight, and what became
//! of every transaction message (StartTransaction / StopTransaction) the station sent.
//!
//! The model only looks at the frames on the wire and at the inputs it fed, never at the
//! station's internals, so a bug in the station cannot hide itself from it. Where OCPP lets
//! the station choose (give up on a transaction message after TransactionMessageAttempts
//! failures), the model reads the one number it needs from the station's public config.

use chrono::{DateTime, Utc};
use ocpp::{Action, Call, Frame};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The station's own CALL waiting for its answer.
#[derive(Debug, Clone)]
pub struct OwnCall {
    pub id: String,
    pub action: Action,
    /// Identity of a transaction message (see [`durable_key`]).
    durable: Option<String>,
    deadline: DateTime<Utc>,
}

/// What became of a transaction message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durable {
    /// Sent, not yet answered with a CALLRESULT; `failures` CALLERRORs and timeouts so far.
    Pending {
        failures: u32,
    },
    Delivered,
    /// Failed TransactionMessageAttempts times: the station may drop it (OCPP 1.6 4.10).
    GivenUp,
}

/// How the CALL in flight ended, as the input of a step shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Answered,
    Failed,
    /// The link went down (the station keeps a transaction message for later, no failure).
    LinkDown,
}

#[derive(Debug, Default)]
pub struct Checker {
    /// CALLs from the Central System this step must answer: id -> action (None: unknown).
    expected: Vec<(String, Option<Action>)>,
    /// UnlockConnector.req waiting for the hardware's UnlockResult: answered in a later step
    /// on the same link, unless the registration turns Rejected meanwhile.
    deferred: BTreeMap<String, Option<Action>>,
    pub in_flight: Option<OwnCall>,
    /// Every id the station used for a CALL of its own: never twice.
    own_ids: BTreeSet<String>,
    durable: BTreeMap<String, Durable>,
}

impl Checker {
    /// A CALL (or a broken frame that gets a CALLERROR) the station must answer now.
    pub fn expect_answer(&mut self, id: String, action: Option<Action>) {
        self.expected.push((id, action));
    }

    /// The CALL in flight ended; `max_attempts` is the station's TransactionMessageAttempts.
    pub fn own_call_ended(&mut self, outcome: Outcome, max_attempts: u32) {
        let Some(call) = self.in_flight.take() else {
            return;
        };
        let Some(key) = call.durable else {
            return;
        };
        let state = self
            .durable
            .entry(key)
            .or_insert(Durable::Pending { failures: 0 });
        match (outcome, *state) {
            (Outcome::Answered, _) => *state = Durable::Delivered,
            (Outcome::Failed, Durable::Pending { failures }) => {
                *state = if failures + 1 >= max_attempts {
                    Durable::GivenUp
                } else {
                    Durable::Pending {
                        failures: failures + 1,
                    }
                };
            }
            _ => {}
        }
    }

    /// The CALL in flight timed out if its deadline passed (the station's rule: `<= now`).
    pub fn expire(&mut self, now: DateTime<Utc>, max_attempts: u32) {
        if self.in_flight.as_ref().is_some_and(|c| c.deadline <= now) {
            self.own_call_ended(Outcome::Failed, max_attempts);
        }
    }

    /// The link went down or the station restarted.
    pub fn link_down(&mut self, max_attempts: u32) {
        self.own_call_ended(Outcome::LinkDown, max_attempts);
        // Their answers would go to no one: no longer owed, and no longer allowed.
        self.deferred.clear();
    }

    /// The registration is Rejected: the station answers nothing any more, not even what
    /// it owed from before.
    pub fn rejected(&mut self) {
        self.deferred.clear();
    }

    /// A frame the station sent in the step; `silent`: the station was Rejected.
    pub fn on_sent(&mut self, text: &str, now: DateTime<Utc>, timeout: chrono::Duration) {
        let frame = match Frame::parse(text) {
            Ok(f) => f,
            Err(e) => panic!("the station sent a frame that does not parse ({e}): {text}"),
        };
        match frame {
            Frame::Call(call) => self.on_own_call(call, now + timeout),
            Frame::CallResult(result) => {
                let action = self.take_expected(&result.unique_id, text);
                if let Some(action) = action {
                    if let Err(e) = ocpp::validate_response(action, &result.payload) {
                        panic!("invalid {action:?} CALLRESULT ({e}): {text}");
                    }
                }
            }
            Frame::CallError(error) => {
                self.take_expected(&error.unique_id, text);
            }
        }
    }

    fn on_own_call(&mut self, call: Call, deadline: DateTime<Utc>) {
        let Some(action) = Action::from_name(&call.action) else {
            panic!("the station called unknown action {}", call.action);
        };
        if let Err(e) = ocpp::validate_request(action, &call.payload) {
            panic!("invalid {action:?} request ({e}): {}", call.payload);
        }
        if let Some(previous) = &self.in_flight {
            panic!(
                "{action:?} {} sent while {:?} {} is still in flight",
                call.unique_id, previous.action, previous.id
            );
        }
        assert!(
            self.own_ids.insert(call.unique_id.clone()),
            "the station reused its message id {}",
            call.unique_id
        );
        let durable = durable_key(action, &call.payload);
        if let Some(key) = &durable {
            let state = self
                .durable
                .entry(key.clone())
                .or_insert(Durable::Pending { failures: 0 });
            if *state == Durable::GivenUp {
                // Sent again after all: it is pending once more (not a violation).
                *state = Durable::Pending { failures: 0 };
            }
        }
        self.in_flight = Some(OwnCall {
            id: call.unique_id,
            action,
            durable,
            deadline,
        });
    }

    /// The answer with `id`: it must be one the station owes, and only once.
    fn take_expected(&mut self, id: &str, text: &str) -> Option<Action> {
        if let Some(i) = self.expected.iter().position(|(e, _)| e == id) {
            return self.expected.remove(i).1;
        }
        if let Some(action) = self.deferred.remove(id) {
            return action;
        }
        panic!("the station answered no CALL it owed an answer (twice, or while silent): {text}");
    }

    /// End of a step: every CALL got its answer, except UnlockConnector, which waits for the
    /// hardware (`Input::UnlockResult`).
    pub fn end_step(&mut self) {
        for (id, action) in self.expected.drain(..) {
            if action == Some(Action::UnlockConnector) {
                self.deferred.insert(id, action);
            } else {
                panic!("the station did not answer {action:?} CALL {id}");
            }
        }
    }

    /// Transaction messages still pending and UnlockConnector.req still unanswered.
    pub fn unsettled(&self) -> bool {
        !self.deferred.is_empty()
            || self
                .durable
                .values()
                .any(|d| matches!(d, Durable::Pending { .. }))
    }

    /// After the settling phase: nothing owed is left.
    pub fn final_check(&self) {
        if let Some((key, state)) = self
            .durable
            .iter()
            .find(|(_, d)| matches!(d, Durable::Pending { .. }))
        {
            panic!("transaction message dropped or never retried ({state:?}): {key}");
        }
        if let Some(id) = self.deferred.keys().next() {
            panic!("UnlockConnector {id} never answered");
        }
    }
}

/// The identity of a transaction message across retries and restarts: its action and
/// payload without the transaction id (filled in when the StartTransaction is answered).
fn durable_key(action: Action, payload: &Value) -> Option<String> {
    if !matches!(action, Action::StartTransaction | Action::StopTransaction) {
        return None;
    }
    let mut payload = payload.clone();
    if let Some(obj) = payload.as_object_mut() {
        obj.remove("transactionId");
    }
    Some(format!("{} {payload}", action.as_str()))
}
