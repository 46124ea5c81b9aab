//! The expected answer to a frame, computed from the official schema: which CALLERROR codes
//! a schema-invalid CALL may get (the mapping of crates/ocpp/src/lib.rs), or that a valid
//! CALL must get a CALLRESULT.

use jsonschema::error::ValidationErrorKind;
use ocpp::{Action, ErrorCode};
use serde::Serialize;
use serde_json::Value;

use crate::schemas::Schemas;

/// What the station must answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Expectation {
    /// A schema-valid CALL: a CALLRESULT whose payload passes the response schema.
    #[serde(rename_all = "camelCase")]
    Result {
        action: Action,
        /// CALLERROR codes that are also correct for this call (a value the OCPP 1.6 text
        /// constrains beyond the schema, e.g. a negative connectorId).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        also: Vec<ErrorCode>,
    },
    /// A schema-invalid CALL: a CALLERROR with one of `codes` (several violations: any of
    /// their codes).
    #[serde(rename_all = "camelCase")]
    Error {
        codes: Vec<ErrorCode>,
        reasons: Vec<String>,
        /// A CALLRESULT with this `status` is right too, where the OCPP text overrides the
        /// schema: TriggerMessage with an unknown requestedMessage is answered
        /// NotImplemented (OCPP 1.6 section 5.17).
        #[serde(skip_serializing_if = "Option::is_none")]
        result_status: Option<String>,
    },
    /// Not a valid CALL (unparseable, not UTF-8, binary, an answer to a call never made):
    /// no answer needed, any answer is recorded, and the station must stay connected.
    NoAnswer,
}

/// The code class of one schema violation.
fn codes_for(kind: &ValidationErrorKind) -> Vec<ErrorCode> {
    use ErrorCode::*;
    use ValidationErrorKind as K;
    match kind {
        K::Type { .. } => vec![TypeConstraintViolation],
        K::Required { .. } | K::MinItems { .. } | K::MaxItems { .. } => {
            vec![OccurenceConstraintViolation]
        }
        K::AdditionalProperties { .. } => vec![FormationViolation],
        K::MaxLength { .. }
        | K::MinLength { .. }
        | K::Enum { .. }
        | K::Minimum { .. }
        | K::Maximum { .. }
        | K::ExclusiveMinimum { .. }
        | K::ExclusiveMaximum { .. }
        | K::MultipleOf { .. }
        | K::Pattern { .. } => vec![PropertyConstraintViolation],
        // This project types a bad date-time as TypeConstraintViolation; the issue calls
        // formats property constraints. Either is right.
        K::Format { .. } => vec![TypeConstraintViolation, PropertyConstraintViolation],
        _ => vec![
            FormationViolation,
            TypeConstraintViolation,
            PropertyConstraintViolation,
            OccurenceConstraintViolation,
        ],
    }
}

/// The expectation for a CALL `[2, id, action_name, payload]` sent to a charge point.
pub fn for_call(schemas: &Schemas, action_name: &str, payload: &Value) -> Expectation {
    let Some(action) = Action::from_name(action_name) else {
        return Expectation::Error {
            codes: vec![ErrorCode::NotImplemented],
            reasons: vec![format!("unknown action {action_name:?}")],
            result_status: None,
        };
    };
    if !payload.is_object() {
        return Expectation::Error {
            codes: vec![ErrorCode::FormationViolation],
            reasons: vec!["payload is not an object".into()],
            result_status: None,
        };
    }
    let side = &schemas.get(action).request;
    let mut codes: Vec<ErrorCode> = Vec::new();
    let mut reasons = Vec::new();
    let errors: Vec<_> = side.validator.iter_errors(payload).collect();
    // A value of the wrong type also fails its enum, length or format: those follow from
    // the type error and do not widen the expected codes.
    let mistyped: Vec<String> = errors
        .iter()
        .filter(|e| matches!(e.kind(), ValidationErrorKind::Type { .. }))
        .map(|e| e.instance_path().to_string())
        .collect();
    let trigger = matches!(
        action,
        Action::TriggerMessage | Action::ExtendedTriggerMessage
    );
    let only_unknown_trigger = trigger
        && !errors.is_empty()
        && errors.iter().all(|e| {
            matches!(e.kind(), ValidationErrorKind::Enum { .. })
                && e.instance_path().to_string() == "/requestedMessage"
        });
    for e in &errors {
        let consequence = !matches!(e.kind(), ValidationErrorKind::Type { .. })
            && mistyped.contains(&e.instance_path().to_string());
        if consequence {
            continue;
        }
        for c in codes_for(e.kind()) {
            if !codes.contains(&c) {
                codes.push(c);
            }
        }
        reasons.push(format!("{}: {e}", e.instance_path()));
    }
    let mut beyond = Vec::new();
    out_of_i32(&side.schema, payload, "", &mut beyond);
    let beyond_empty = beyond.is_empty();
    if !beyond.is_empty() {
        if !codes.contains(&ErrorCode::PropertyConstraintViolation) {
            codes.push(ErrorCode::PropertyConstraintViolation);
        }
        reasons.extend(
            beyond
                .into_iter()
                .map(|p| format!("{p}: integer beyond 32 bits")),
        );
    }
    let wrong_direction = action.initiated_by_charge_point() && action != Action::DataTransfer;
    if wrong_direction {
        // A charge point does not implement the Central System's side of the protocol.
        codes.extend([ErrorCode::NotSupported, ErrorCode::NotImplemented]);
        reasons.push(format!("{action} is sent by charge points, not to them"));
        return Expectation::Error {
            codes,
            reasons,
            result_status: None,
        };
    }
    if codes.is_empty() {
        let also = if negative_integer(payload) {
            vec![ErrorCode::PropertyConstraintViolation]
        } else {
            Vec::new()
        };
        Expectation::Result { action, also }
    } else {
        Expectation::Error {
            codes,
            reasons,
            result_status: (only_unknown_trigger && beyond_empty).then(|| "NotImplemented".into()),
        }
    }
}

/// OCPP 1.6 integers are 32-bit (the schemas leave this out): the paths of integers in
/// `value` outside i32 where `schema` says integer.
fn out_of_i32(schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
    match (schema.get("type").and_then(Value::as_str), value) {
        (Some("integer"), Value::Number(n)) => {
            let fits = n.as_i64().is_some_and(|i| i32::try_from(i).is_ok());
            let integral = n.is_i64() || n.is_u64();
            if integral && !fits {
                out.push(path.to_owned());
            }
        }
        (_, Value::Object(map)) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in map {
                    if let Some(sub) = props.get(k) {
                        out_of_i32(sub, v, &format!("{path}/{k}"), out);
                    }
                }
            }
        }
        (_, Value::Array(items)) => {
            if let Some(sub) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    out_of_i32(sub, v, &format!("{path}/{i}"), out);
                }
            }
        }
        _ => {}
    }
}

fn negative_integer(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_i64().is_some_and(|i| i < 0),
        Value::Object(m) => m.values().any(negative_integer),
        Value::Array(a) => a.iter().any(negative_integer),
        _ => false,
    }
}

/// Response-schema violations of a CALLRESULT payload (empty: valid).
pub fn response_errors(schemas: &Schemas, action: Action, payload: &Value) -> Vec<String> {
    schemas
        .get(action)
        .response
        .validator
        .iter_errors(payload)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Request-schema violations of a CALL the station sent (empty: valid).
pub fn station_call_errors(schemas: &Schemas, action: Action, payload: &Value) -> Vec<String> {
    let side = &schemas.get(action).request;
    let mut errors: Vec<String> = side
        .validator
        .iter_errors(payload)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    let mut beyond = Vec::new();
    out_of_i32(&side.schema, payload, "", &mut beyond);
    errors.extend(
        beyond
            .into_iter()
            .map(|p| format!("{p}: integer beyond 32 bits")),
    );
    errors
}

/// Our `ocpp` crate's opinion on a CALL the schema judged as `expect`: `Some(why)` when the
/// two disagree (a bug in crates/ocpp, or a leniency it documents), found without the
/// station. Unknown and charge-point-initiated actions are not compared.
pub fn second_opinion(action_name: &str, payload: &Value, expect: &Expectation) -> Option<String> {
    let action = Action::from_name(action_name)?;
    if action.initiated_by_charge_point() && action != Action::DataTransfer {
        return None;
    }
    let ours = ocpp::validate_request(action, payload);
    match (expect, ours) {
        (Expectation::Result { .. }, Err(e)) => Some(format!(
            "schema-valid, ocpp::validate_request says {}: {}",
            e.code, e.description
        )),
        (
            Expectation::Error {
                result_status: Some(_),
                ..
            },
            Ok(()),
        ) => None,
        (Expectation::Error { codes, .. }, Ok(())) => Some(format!(
            "schema expects {codes:?}, ocpp::validate_request accepts it"
        )),
        (Expectation::Error { codes, .. }, Err(e)) if !codes.contains(&e.code) => Some(format!(
            "schema expects {codes:?}, ocpp::validate_request says {}: {}",
            e.code, e.description
        )),
        _ => None,
    }
}
