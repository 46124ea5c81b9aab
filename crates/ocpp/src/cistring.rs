//! `CiString<N>`: OCPP's case-insensitive string of at most N characters.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::payload::constraint_error;
use crate::ErrorCode;

/// OCPP `CiStringNType`. Kept exactly as given (peers may care about case on
/// display); compare with [`CiString::eq_ignore_case`] where OCPP semantics
/// matter. Length is counted in characters, like JSON schema `maxLength`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct CiString<const N: usize>(String);

/// Identifier of an authorization token (`IdToken` = `CiString20Type`).
pub type IdToken = CiString<20>;

/// A string longer than the `CiString` maximum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("string of {len} characters exceeds the maximum of {max}")]
pub struct CiStringError {
    /// The maximum allowed (N).
    pub max: usize,
    /// The actual length in characters.
    pub len: usize,
}

impl<const N: usize> CiString<N> {
    /// The maximum length in characters.
    pub const MAX_LEN: usize = N;

    /// Fails when the string has more than N characters.
    pub fn new(s: impl Into<String>) -> Result<Self, CiStringError> {
        let s = s.into();
        let len = s.chars().count();
        if len > N {
            return Err(CiStringError { max: N, len });
        }
        Ok(CiString(s))
    }

    /// The string as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Unwraps into the owned string.
    pub fn into_string(self) -> String {
        self.0
    }

    /// OCPP comparison: ASCII case-insensitive.
    pub fn eq_ignore_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl<const N: usize> Deref for CiString<N> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<const N: usize> AsRef<str> for CiString<N> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<const N: usize> fmt::Display for CiString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const N: usize> TryFrom<String> for CiString<N> {
    type Error = CiStringError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        CiString::new(s)
    }
}

impl<const N: usize> TryFrom<&str> for CiString<N> {
    type Error = CiStringError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        CiString::new(s)
    }
}

impl<const N: usize> std::str::FromStr for CiString<N> {
    type Err = CiStringError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CiString::new(s)
    }
}

impl<const N: usize> From<CiString<N>> for String {
    fn from(s: CiString<N>) -> String {
        s.0
    }
}

impl<const N: usize> PartialEq<str> for CiString<N> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl<const N: usize> PartialEq<&str> for CiString<N> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<const N: usize> Serialize for CiString<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de, const N: usize> Deserialize<'de> for CiString<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        CiString::new(s).map_err(|e| {
            constraint_error::<D::Error>(
                ErrorCode::PropertyConstraintViolation,
                format_args!("{e}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_max_length_in_chars() {
        assert!(CiString::<3>::new("abc").is_ok());
        assert!(CiString::<3>::new("äöü").is_ok());
        assert_eq!(
            CiString::<3>::new("abcd"),
            Err(CiStringError { max: 3, len: 4 })
        );
    }

    #[test]
    fn compares_case_insensitively_on_request() {
        let tag = IdToken::new("AbC").unwrap_or_default();
        assert!(tag.eq_ignore_case("aBc"));
        assert_ne!(tag, "abc");
        assert_eq!(&*tag, "AbC");
    }

    #[test]
    fn serde_checks_length() {
        let ok: Result<CiString<3>, _> = serde_json::from_str("\"abc\"");
        assert!(ok.is_ok());
        let err: Result<CiString<3>, _> = serde_json::from_str("\"abcd\"");
        assert!(err.is_err());
    }
}
