//! Decoding CALL / CALLRESULT payloads into typed messages, mapping every
//! failure onto the OCPP error code to answer with.
//!
//! serde only reports errors as text, so the mapping classifies the message:
//! serde's own wording ("missing field", "invalid type", ...) and a tag
//! (`"<ErrorCode>: "`) that this crate's deserializers put in front of their
//! custom errors (see [`constraint_error`]).

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::strict::Strict;
use crate::ErrorCode;

/// Why a payload could not be decoded, with the code for the CALLERROR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct PayloadError {
    /// The CALLERROR code to answer with.
    pub code: ErrorCode,
    /// Human readable, names the offending field when known.
    pub description: String,
}

impl PayloadError {
    /// Builds an error.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> PayloadError {
        PayloadError {
            code,
            description: description.into(),
        }
    }
}

/// A CALLERROR not yet addressed to a CALL: what a receiver answers instead of the
/// action's response. The unique id is added when the answer is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct Refusal {
    pub code: ErrorCode,
    pub description: String,
}

impl Refusal {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Refusal {
        Refusal {
            code,
            description: description.into(),
        }
    }
}

impl From<PayloadError> for Refusal {
    fn from(e: PayloadError) -> Refusal {
        Refusal::new(e.code, e.description)
    }
}

/// Decodes a payload. See the crate docs for the error mapping.
pub fn decode<T: DeserializeOwned>(payload: &Value) -> Result<T, PayloadError> {
    // serde's derived structs also accept arrays; OCPP payloads are always objects.
    if !payload.is_object() {
        return Err(PayloadError::new(
            ErrorCode::FormationViolation,
            format!("payload must be a JSON object, got {}", json_kind(payload)),
        ));
    }
    serde_path_to_error::deserialize(Strict(payload)).map_err(|err| {
        let path = err.path().to_string();
        let (code, message) = classify(&err.inner().to_string());
        let description = if path == "." || path.is_empty() {
            message
        } else {
            format!("{path}: {message}")
        };
        PayloadError { code, description }
    })
}

/// Builds a custom serde error carrying `code`, for this crate's deserializers.
pub(crate) fn constraint_error<E: serde::de::Error>(code: ErrorCode, msg: fmt::Arguments) -> E {
    E::custom(format_args!("{code}: {msg}"))
}

/// Maps a serde error message onto an error code and a description.
fn classify(message: &str) -> (ErrorCode, String) {
    for code in ErrorCode::ALL {
        if let Some(rest) = message
            .strip_prefix(code.as_str())
            .and_then(|rest| rest.strip_prefix(": "))
        {
            return (code, rest.to_owned());
        }
    }
    let code = if message.starts_with("missing field") || message.starts_with("invalid length") {
        ErrorCode::OccurenceConstraintViolation
    } else if message.starts_with("invalid type") {
        ErrorCode::TypeConstraintViolation
    } else if message.starts_with("unknown variant") || message.starts_with("invalid value") {
        // "invalid value" is e.g. an integer that does not fit the field's range.
        ErrorCode::PropertyConstraintViolation
    } else {
        // "unknown field" (additionalProperties: false) and anything unforeseen.
        ErrorCode::FormationViolation
    };
    (code, message.to_owned())
}

/// The JSON type name, for error descriptions.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_serde_messages() {
        let cases = [
            (
                "missing field `idTag`",
                ErrorCode::OccurenceConstraintViolation,
            ),
            (
                "invalid type: string \"x\", expected i32",
                ErrorCode::TypeConstraintViolation,
            ),
            (
                "unknown variant `Foo`, expected one of",
                ErrorCode::PropertyConstraintViolation,
            ),
            (
                "unknown field `foo`, expected",
                ErrorCode::FormationViolation,
            ),
            (
                "PropertyConstraintViolation: too long",
                ErrorCode::PropertyConstraintViolation,
            ),
            (
                "TypeConstraintViolation: bad date",
                ErrorCode::TypeConstraintViolation,
            ),
        ];
        for (message, code) in cases {
            assert_eq!(classify(message).0, code, "{message}");
        }
        assert_eq!(classify("TypeConstraintViolation: bad date").1, "bad date");
    }
}
