//! Fuzzer bytes to values. Every function reads from an [`Unstructured`], which yields
//! defaults (the first choice, the lower bound) once the bytes run out, so a short input
//! still decodes to something and nothing here fails on exhaustion.

use arbitrary::{Result, Unstructured};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

/// OCPP field names (and a few enum values): an arbitrary JSON tree with these keys gets
/// past "unknown field" and into the typed checks of a payload.
pub const FIELDS: &[&str] = &[
    "connectorId",
    "idTag",
    "parentIdTag",
    "idTagInfo",
    "status",
    "expiryDate",
    "transactionId",
    "meterStart",
    "meterStop",
    "timestamp",
    "reservationId",
    "reason",
    "transactionData",
    "meterValue",
    "sampledValue",
    "value",
    "context",
    "format",
    "measurand",
    "phase",
    "location",
    "unit",
    "chargingProfile",
    "csChargingProfiles",
    "chargingProfileId",
    "stackLevel",
    "chargingProfilePurpose",
    "chargingProfileKind",
    "recurrencyKind",
    "validFrom",
    "validTo",
    "chargingSchedule",
    "duration",
    "startSchedule",
    "chargingRateUnit",
    "chargingSchedulePeriod",
    "startPeriod",
    "limit",
    "numberPhases",
    "minChargingRate",
    "type",
    "key",
    "configurationKey",
    "unknownKey",
    "readonly",
    "requestedMessage",
    "retries",
    "retryInterval",
    "retrieveDate",
    "startTime",
    "stopTime",
    "listVersion",
    "localAuthorizationList",
    "updateType",
    "vendorId",
    "messageId",
    "data",
    "currentTime",
    "interval",
    "chargePointVendor",
    "chargePointModel",
    "firmwareVersion",
    "errorCode",
    "info",
    "vendorErrorCode",
    "requestId",
    "firmware",
    "retrieveDateTime",
    "installDateTime",
    "signingCertificate",
    "signature",
    "logType",
    "log",
    "remoteLocation",
    "oldestTimestamp",
    "latestTimestamp",
    "filename",
    "certificateType",
    "certificate",
    "certificateChain",
    "certificateHashData",
    "hashAlgorithm",
    "issuerNameHash",
    "issuerKeyHash",
    "serialNumber",
    "scheduleStart",
    "csr",
    "techInfo",
    "fileName",
    "id",
];

/// One of `items` (the first when the bytes are used up).
pub fn pick<T: Copy>(u: &mut Unstructured, items: &[T]) -> Result<T> {
    Ok(*u.choose(items)?)
}

/// True with probability about 1/`n`; false once the bytes are used up (the rare branch
/// should stay rare at the end of an input, where `int_in_range` gives its lower bound).
pub fn one_in(u: &mut Unstructured, n: u32) -> Result<bool> {
    let last = n.saturating_sub(1);
    Ok(last > 0 && u.int_in_range(0..=last)? == last)
}

/// A connector id: mostly a real one (1, 2), sometimes 0 (the station) or out of range.
pub fn connector(u: &mut Unstructured) -> Result<i64> {
    pick(u, &[1, 2, 1, 2, 0, 3, -1, 1_000_000])
}

/// An id tag from a small pool (so cards, reservations and lists meet), or any string.
pub fn id_tag(u: &mut Unstructured) -> Result<String> {
    if one_in(u, 8)? {
        return string(u);
    }
    Ok(pick(u, &["TAG1", "TAG2", "TAG3", "PARENT", ""])?.to_owned())
}

/// Any short string (arbitrary UTF-8).
pub fn string(u: &mut Unstructured) -> Result<String> {
    let len = u.int_in_range(0..=24)?;
    let mut s = String::new();
    for _ in 0..len {
        s.push(u.arbitrary::<char>()?);
    }
    Ok(s)
}

/// A date near `now` in the wire format, sometimes one that is not a date at all.
pub fn date(u: &mut Unstructured, now: DateTime<Utc>) -> Result<Value> {
    if one_in(u, 16)? {
        return Ok(Value::from(pick(
            u,
            &["2026-13-45T99:99:99Z", "yesterday", ""],
        )?));
    }
    let offset = pick(u, &[0, 30, 60, 300, 3600, 86_400, -60, -3600, -86_400])?;
    let jitter = i64::from(u.int_in_range(0..=59u8)?);
    Ok(Value::from(ocpp::datetime::format(
        &(now + Duration::seconds(offset + jitter)),
    )))
}

/// A small integer id (transactions, reservations, profiles, requests), so that what one
/// message creates another one finds.
pub fn small_id(u: &mut Unstructured) -> Result<i64> {
    Ok(pick(
        u,
        &[1, 2, 3, 4, 0, -1, i64::from(i32::MAX), 1i64 << 40],
    )?)
}

/// An arbitrary JSON tree, keys mostly from [`FIELDS`].
pub fn json(u: &mut Unstructured, depth: u32) -> Result<Value> {
    let kind = if depth == 0 {
        u.int_in_range(0..=5)?
    } else {
        u.int_in_range(0..=7)?
    };
    Ok(match kind {
        0 => Value::Null,
        1 => Value::from(u.arbitrary::<bool>()?),
        2 => Value::from(u.arbitrary::<i64>()?),
        3 => Value::from(pick(u, &[0.0, 0.1, 1.5, -1.0, 1e308, 12.34])?),
        4 => Value::from(string(u)?),
        5 => Value::from(pick(
            u,
            &["Accepted", "Rejected", "A", "W", "Hard", "TxProfile"],
        )?),
        6 => {
            let n = u.int_in_range(0..=3)?;
            Value::Array((0..n).map(|_| json(u, depth - 1)).collect::<Result<_>>()?)
        }
        _ => {
            let n = u.int_in_range(0..=4)?;
            let mut map = Map::new();
            for _ in 0..n {
                map.insert(key(u)?, json(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

fn key(u: &mut Unstructured) -> Result<String> {
    if one_in(u, 8)? {
        return string(u);
    }
    Ok(pick(u, FIELDS)?.to_owned())
}

/// Maybe breaks a (mostly valid) payload at one random place: replaces a node, removes or
/// adds a field. Most payloads stay intact so the station's behaviour gets exercised; the
/// broken ones exercise the error paths.
pub fn maybe_mutate(u: &mut Unstructured, value: &mut Value) -> Result<()> {
    if one_in(u, 4)? {
        mutate(u, value, 0)?;
    }
    Ok(())
}

fn mutate(u: &mut Unstructured, value: &mut Value, depth: u32) -> Result<()> {
    // Mostly below the root: a payload that is not an object at all is tested, but rarely.
    let descend = depth < 4 && (u.arbitrary::<bool>()? || (depth == 0 && !one_in(u, 8)?));
    match value {
        Value::Object(map) if descend && !map.is_empty() => {
            let i = u.int_in_range(0..=map.len() - 1)?;
            if let Some(child) = map.values_mut().nth(i) {
                return mutate(u, child, depth + 1);
            }
        }
        Value::Array(items) if descend && !items.is_empty() => {
            let i = u.int_in_range(0..=items.len() - 1)?;
            return mutate(u, &mut items[i], depth + 1);
        }
        _ => {}
    }
    match (u.int_in_range(0..=2)?, value) {
        (1, Value::Object(map)) if !map.is_empty() => {
            let i = u.int_in_range(0..=map.len() - 1)?;
            if let Some(k) = map.keys().nth(i).cloned() {
                map.remove(&k);
            }
        }
        (2, Value::Object(map)) => {
            map.insert(key(u)?, json(u, 2)?);
        }
        (_, node) => *node = json(u, 2)?,
    }
    Ok(())
}
