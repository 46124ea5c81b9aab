//! OCPP date-times: always UTC on our side.
//!
//! Serialized as RFC 3339 with milliseconds and `Z` ("2026-11-25T10:00:00.000Z").
//! Deserialization accepts any RFC 3339 string (offsets are converted to UTC);
//! anything else is a `TypeConstraintViolation` (the schemas type it as a
//! `date-time` string, so a malformed one is a type error, not a bad value).
//! Sub-millisecond precision is dropped when serializing.
//!
//! Use with `#[serde(with = "ocpp::datetime")]`, or `ocpp::datetime::option`
//! for `Option<DateTime<Utc>>` (together with `default`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

use crate::payload::constraint_error;
use crate::ErrorCode;

/// Formats as RFC 3339 with milliseconds and `Z`.
pub fn format(dt: &DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses any RFC 3339 date-time, converting offsets to UTC.
pub fn parse(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|dt| dt.with_timezone(&Utc))
}

/// serde `serialize_with` for `DateTime<Utc>`.
pub fn serialize<S: Serializer>(dt: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(dt))
}

/// serde `deserialize_with` for `DateTime<Utc>`.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let s = String::deserialize(deserializer)?;
    parse(&s).map_err(|e| {
        constraint_error::<D::Error>(
            ErrorCode::TypeConstraintViolation,
            // Bounded echo: the description goes back to the peer in a CALLERROR.
            format_args!(
                "{:?} is not an RFC 3339 date-time ({e})",
                s.chars().take(40).collect::<String>()
            ),
        )
    })
}

/// The same for `Option<DateTime<Utc>>`; pair with `#[serde(default)]`.
pub mod option {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// serde `serialize_with` for `Option<DateTime<Utc>>`.
    pub fn serialize<S: Serializer>(
        dt: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match dt {
            Some(dt) => super::serialize(dt, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// serde `deserialize_with` for `Option<DateTime<Utc>>`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        // A wrapper so `Option`'s own deserializer handles a present value (and refuses null).
        #[derive(Deserialize)]
        struct Wrapped(#[serde(deserialize_with = "super::deserialize")] DateTime<Utc>);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(dt)| dt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_with_millis_and_z() {
        let dt = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).single();
        assert_eq!(
            dt.map(|d| format(&d)).as_deref(),
            Some("2026-11-25T10:00:00.000Z")
        );
    }

    #[test]
    fn parses_offsets_into_utc() {
        let parsed = parse("2026-11-25T12:00:00+02:00").ok();
        assert_eq!(
            parsed,
            Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).single()
        );
        assert!(parse("2026-11-25 12:00").is_err());
    }
}
