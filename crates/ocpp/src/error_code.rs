//! The error codes a CALLERROR may carry (OCPP-J 1.6, section 4.2.3).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A CALLERROR error code. The 1.6 spelling `OccurenceConstraintViolation` is kept on
/// purpose: it is what 1.6 peers send and expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Requested Action is not known by receiver.
    NotImplemented,
    /// Requested Action is recognized but not supported by the receiver.
    NotSupported,
    /// An internal error occurred and the receiver was not able to process the Action.
    InternalError,
    /// Payload for Action is incomplete.
    ProtocolError,
    /// During the processing of Action a security issue occurred.
    SecurityError,
    /// Payload is syntactically incorrect or does not conform to the PDU structure.
    FormationViolation,
    /// A field contains an invalid value.
    PropertyConstraintViolation,
    /// A field violates occurrence constraints (e.g. a required field is missing).
    OccurenceConstraintViolation,
    /// A field violates data type constraints.
    TypeConstraintViolation,
    /// Any other error.
    GenericError,
}

impl ErrorCode {
    /// Every error code, in spec order.
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::NotImplemented,
        ErrorCode::NotSupported,
        ErrorCode::InternalError,
        ErrorCode::ProtocolError,
        ErrorCode::SecurityError,
        ErrorCode::FormationViolation,
        ErrorCode::PropertyConstraintViolation,
        ErrorCode::OccurenceConstraintViolation,
        ErrorCode::TypeConstraintViolation,
        ErrorCode::GenericError,
    ];

    /// The wire spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::NotImplemented => "NotImplemented",
            ErrorCode::NotSupported => "NotSupported",
            ErrorCode::InternalError => "InternalError",
            ErrorCode::ProtocolError => "ProtocolError",
            ErrorCode::SecurityError => "SecurityError",
            ErrorCode::FormationViolation => "FormationViolation",
            ErrorCode::PropertyConstraintViolation => "PropertyConstraintViolation",
            ErrorCode::OccurenceConstraintViolation => "OccurenceConstraintViolation",
            ErrorCode::TypeConstraintViolation => "TypeConstraintViolation",
            ErrorCode::GenericError => "GenericError",
        }
    }

    /// Lenient parse for codes received from a peer: anything unknown becomes
    /// [`ErrorCode::GenericError`], so a CALLERROR is never dropped for its code.
    pub fn from_wire(s: &str) -> ErrorCode {
        s.parse().unwrap_or(ErrorCode::GenericError)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Returned by `ErrorCode::from_str` for a string that is not an error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown OCPP error code {0:?}")]
pub struct UnknownErrorCode(pub String);

impl FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    /// Strict parse; see [`ErrorCode::from_wire`] for the lenient one.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == s)
            .ok_or_else(|| UnknownErrorCode(s.to_owned()))
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    /// Lenient like [`ErrorCode::from_wire`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ok(ErrorCode::from_wire(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_code() {
        for code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
            assert_eq!(ErrorCode::from_wire(code.as_str()), code);
        }
    }

    #[test]
    fn unknown_code_is_generic_error() {
        assert_eq!(
            ErrorCode::from_wire("OccurrenceConstraintViolation"),
            ErrorCode::GenericError
        );
        assert!("nope".parse::<ErrorCode>().is_err());
    }
}
