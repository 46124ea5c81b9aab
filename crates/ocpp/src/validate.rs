//! serde helpers for schema rules beyond plain types (`multipleOf`, `minItems`),
//! so a violation is a decode error with the right OCPP code.

use serde::{Deserialize, Deserializer};

use crate::payload::constraint_error;
use crate::ErrorCode;

/// True when `v` is a multiple of 0.1 in its shortest decimal form, which is how
/// JSON schema validators read the number ("12.3" yes, "12.34" no).
pub fn is_multiple_of_tenth(v: f64) -> bool {
    // Rust's `Display` for f64 prints the shortest round-trip decimal, never
    // in exponent form, so the digits after '.' are the decimal places.
    v.is_finite()
        && v.to_string()
            .split_once('.')
            .is_none_or(|(_, fraction)| fraction.len() <= 1)
}

/// `deserialize_with` for an `f64` with `multipleOf: 0.1`.
pub fn tenths<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(deserializer)?;
    if is_multiple_of_tenth(v) {
        Ok(v)
    } else {
        Err(constraint_error::<D::Error>(
            ErrorCode::PropertyConstraintViolation,
            format_args!("{v} is not a multiple of 0.1"),
        ))
    }
}

/// `deserialize_with` for an `Option<f64>` with `multipleOf: 0.1` (with `default`).
pub fn option_tenths<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "tenths")] f64);
    Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(v)| v))
}

/// `deserialize_with` for a string with `format: uri`: an absolute RFC 3986 URI (scheme
/// first), as JSON schema validators read it. A malformed one is a TypeConstraintViolation,
/// like a malformed date-time.
pub fn uri<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let text = String::deserialize(deserializer)?;
    match fluent_uri::Uri::parse(text.as_str()) {
        Ok(_) => Ok(text),
        Err(e) => Err(constraint_error::<D::Error>(
            ErrorCode::TypeConstraintViolation,
            format_args!("{text:?} is not a URI: {e}"),
        )),
    }
}

/// `deserialize_with` for a `Vec` with `minItems: 1`.
pub fn non_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let items = Vec::<T>::deserialize(deserializer)?;
    if items.is_empty() {
        return Err(constraint_error::<D::Error>(
            ErrorCode::OccurenceConstraintViolation,
            format_args!("array must contain at least one element"),
        ));
    }
    Ok(items)
}

/// `deserialize_with` for an `Option<Vec>` with `minItems: 1` (with `default`).
pub fn option_non_empty<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(bound = "T: Deserialize<'de>")]
    struct Wrapped<T>(#[serde(deserialize_with = "non_empty")] Vec<T>);
    Ok(Option::<Wrapped<T>>::deserialize(deserializer)?.map(|Wrapped(v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenths_follow_the_decimal_form() {
        for ok in [0.0, 12.3, -4.5, 32.0, 1e15, 0.1] {
            assert!(is_multiple_of_tenth(ok), "{ok}");
        }
        for bad in [12.34, 0.05, 0.30000000000000004, f64::NAN] {
            assert!(!is_multiple_of_tenth(bad), "{bad}");
        }
    }
}
