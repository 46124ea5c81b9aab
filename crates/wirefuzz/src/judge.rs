//! Judging the station's answer to one frame against the [`Expectation`].

use ocpp::ErrorCode;
use serde::Serialize;
use serde_json::Value;

use crate::expect::{response_errors, Expectation};
use crate::schemas::Schemas;

/// What came back for a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Result(Value),
    Error {
        code: String,
        description: String,
    },
    /// Nothing within the answer timeout.
    Timeout,
    /// The connection dropped before an answer.
    Disconnected,
}

/// The verdict on one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// As expected.
    Ok,
    /// A valid call refused with NotSupported / NotImplemented / InternalError.
    RefusedValid,
    /// A frame that needs no answer got none.
    NoAnswer,
    /// A frame that needs no answer got one (recorded, not a violation).
    AnsweredAnyway,
    /// A charge point closes the WebSocket on a text frame that is not UTF-8, as RFC 6455
    /// 8.1 requires; it must come back.
    ClosedPerRfc6455,
    // --- violations ---
    /// A schema-invalid call got a CALLRESULT.
    AcceptedInvalid,
    /// A schema-invalid call got a CALLERROR with a code of another class.
    WrongErrorCode,
    /// A schema-valid call got a CALLERROR other than NotSupported/NotImplemented/InternalError.
    ErrorToValidCall,
    /// A CALLRESULT whose payload fails the response schema.
    InvalidResponse,
    /// No answer within the timeout.
    Timeout,
    /// The station dropped the connection.
    Disconnected,
}

impl Outcome {
    pub fn is_violation(self) -> bool {
        matches!(
            self,
            Outcome::AcceptedInvalid
                | Outcome::WrongErrorCode
                | Outcome::ErrorToValidCall
                | Outcome::InvalidResponse
                | Outcome::Timeout
                | Outcome::Disconnected
        )
    }
}

/// The verdict and, for violations, why.
pub fn judge(schemas: &Schemas, expect: &Expectation, answer: &Answer) -> (Outcome, String) {
    match (expect, answer) {
        (Expectation::NoAnswer, Answer::Timeout) => (Outcome::NoAnswer, String::new()),
        (Expectation::NoAnswer, Answer::Disconnected) => (
            Outcome::Disconnected,
            "the station dropped the connection".into(),
        ),
        (Expectation::NoAnswer, _) => (Outcome::AnsweredAnyway, String::new()),
        (_, Answer::Timeout) => (Outcome::Timeout, "no answer within the timeout".into()),
        (_, Answer::Disconnected) => (
            Outcome::Disconnected,
            "the station dropped the connection instead of answering".into(),
        ),
        (Expectation::Result { action, .. }, Answer::Result(payload)) => {
            let errors = response_errors(schemas, *action, payload);
            if errors.is_empty() {
                (Outcome::Ok, String::new())
            } else {
                (
                    Outcome::InvalidResponse,
                    format!("{action} response fails its schema: {}", errors.join("; ")),
                )
            }
        }
        (Expectation::Result { also, .. }, Answer::Error { code, .. }) => {
            let refused = [
                ErrorCode::NotSupported,
                ErrorCode::NotImplemented,
                ErrorCode::InternalError,
            ];
            if refused.iter().any(|c| c.as_str() == code) {
                (Outcome::RefusedValid, String::new())
            } else if also.iter().any(|c| c.as_str() == code) {
                (Outcome::Ok, String::new())
            } else {
                (
                    Outcome::ErrorToValidCall,
                    format!("a schema-valid call got CALLERROR {code}"),
                )
            }
        }
        (
            Expectation::Error {
                result_status: Some(status),
                ..
            },
            Answer::Result(payload),
        ) if payload.get("status").and_then(Value::as_str) == Some(status.as_str()) => {
            (Outcome::Ok, String::new())
        }
        (Expectation::Error { codes, reasons, .. }, Answer::Result(_)) => (
            Outcome::AcceptedInvalid,
            format!(
                "expected CALLERROR {}; schema: {}",
                code_list(codes),
                reasons.join("; ")
            ),
        ),
        (Expectation::Error { codes, reasons, .. }, Answer::Error { code, .. }) => {
            if codes.iter().any(|c| c.as_str() == code) {
                (Outcome::Ok, String::new())
            } else {
                (
                    Outcome::WrongErrorCode,
                    format!(
                        "got {code}, expected {}; schema: {}",
                        code_list(codes),
                        reasons.join("; ")
                    ),
                )
            }
        }
    }
}

fn code_list(codes: &[ErrorCode]) -> String {
    codes
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expect::for_call;
    use crate::mutate::{mutate_payload, Class};
    use ocpp::Action;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use serde_json::json;

    fn codes(e: &Expectation) -> Vec<ErrorCode> {
        match e {
            Expectation::Error { codes, .. } => codes.clone(),
            other => panic!("expected an error expectation, got {other:?}"),
        }
    }

    #[test]
    fn expectations_follow_the_schema() {
        let Some(s) = crate::schemas::testdir::schemas() else {
            return;
        };
        use ErrorCode::*;
        let cc = |p: Value| for_call(&s, "ChangeConfiguration", &p);
        assert_eq!(
            codes(&cc(json!({"key": null, "value": "1"}))),
            [TypeConstraintViolation]
        );
        assert_eq!(
            codes(&cc(json!({"key": "K"}))),
            [OccurenceConstraintViolation]
        );
        assert_eq!(
            codes(&cc(json!({"key": "K".repeat(51), "value": "1"}))),
            [PropertyConstraintViolation]
        );
        assert_eq!(
            codes(&cc(json!({"key": "K", "value": "1", "x": 1}))),
            [FormationViolation]
        );
        assert_eq!(codes(&cc(json!([]))), [FormationViolation]);
        assert_eq!(
            codes(&for_call(&s, "Reset", &json!({"type": "Warm"}))),
            [PropertyConstraintViolation]
        );
        assert_eq!(
            codes(&for_call(
                &s,
                "UnlockConnector",
                &json!({"connectorId": 99999999999_i64})
            )),
            [PropertyConstraintViolation]
        );
        let bad_date =
            json!({"connectorId": 1, "expiryDate": "yesterday", "idTag": "T", "reservationId": 1});
        assert!(codes(&for_call(&s, "ReserveNow", &bad_date)).contains(&TypeConstraintViolation));
        assert_eq!(
            codes(&for_call(&s, "MakeCoffee", &json!({}))),
            [NotImplemented]
        );
        assert!(codes(&for_call(&s, "Heartbeat", &json!({}))).contains(&NotSupported));
        assert!(matches!(
            for_call(
                &s,
                "ChangeConfiguration",
                &json!({"key": "K", "value": "1"})
            ),
            Expectation::Result {
                action: Action::ChangeConfiguration,
                ..
            }
        ));
    }

    #[test]
    fn mutations_get_their_error_class() {
        let Some(s) = crate::schemas::testdir::schemas() else {
            return;
        };
        let mut rng = StdRng::seed_from_u64(11);
        let cases = [
            (Class::Null, ErrorCode::TypeConstraintViolation),
            (Class::WrongType, ErrorCode::TypeConstraintViolation),
            (Class::TooLong, ErrorCode::PropertyConstraintViolation),
            (Class::BadEnum, ErrorCode::PropertyConstraintViolation),
            (Class::OutOfRange, ErrorCode::PropertyConstraintViolation),
            (Class::MissingField, ErrorCode::OccurenceConstraintViolation),
            (Class::ExtraProperty, ErrorCode::FormationViolation),
        ];
        for action in crate::generate::central_system_actions() {
            let side = &s.get(action).request;
            for (class, code) in cases {
                for _ in 0..10 {
                    let valid = crate::generate::valid_payload(action, &side.schema, &mut rng);
                    let Some(m) = mutate_payload(class, &side.schema, &valid, &mut rng) else {
                        continue;
                    };
                    let e = for_call(&s, action.as_str(), &m.payload);
                    assert!(
                        codes(&e).contains(&code),
                        "{action} {class:?} {}: {e:?}",
                        m.note
                    );
                }
            }
        }
    }

    #[test]
    fn verdicts() {
        let Some(s) = crate::schemas::testdir::schemas() else {
            return;
        };
        let invalid = for_call(&s, "Reset", &json!({"type": null}));
        let err = |c: &str| Answer::Error {
            code: c.into(),
            description: String::new(),
        };
        assert_eq!(
            judge(&s, &invalid, &err("TypeConstraintViolation")).0,
            Outcome::Ok
        );
        assert_eq!(
            judge(&s, &invalid, &err("PropertyConstraintViolation")).0,
            Outcome::WrongErrorCode
        );
        assert_eq!(
            judge(&s, &invalid, &Answer::Result(json!({}))).0,
            Outcome::AcceptedInvalid
        );
        let valid = for_call(&s, "Reset", &json!({"type": "Soft"}));
        assert_eq!(
            judge(&s, &valid, &Answer::Result(json!({"status": "Accepted"}))).0,
            Outcome::Ok
        );
        assert_eq!(
            judge(&s, &valid, &Answer::Result(json!({}))).0,
            Outcome::InvalidResponse
        );
        assert_eq!(
            judge(&s, &valid, &err("NotSupported")).0,
            Outcome::RefusedValid
        );
        assert_eq!(
            judge(&s, &valid, &err("GenericError")).0,
            Outcome::ErrorToValidCall
        );
        assert_eq!(judge(&s, &valid, &Answer::Timeout).0, Outcome::Timeout);
        // OCPP 1.6 section 5.17 over the schema's enum: an unknown trigger is NotImplemented.
        let unknown = for_call(&s, "TriggerMessage", &json!({"requestedMessage": "Coffee"}));
        let ni = Answer::Result(json!({"status": "NotImplemented"}));
        assert_eq!(judge(&s, &unknown, &ni).0, Outcome::Ok);
        assert_eq!(
            judge(&s, &unknown, &err("PropertyConstraintViolation")).0,
            Outcome::Ok
        );
        let accepted = Answer::Result(json!({"status": "Accepted"}));
        assert_eq!(judge(&s, &unknown, &accepted).0, Outcome::AcceptedInvalid);
        assert_eq!(
            judge(&s, &Expectation::NoAnswer, &Answer::Timeout).0,
            Outcome::NoAnswer
        );
    }
}
