//! Schema-valid payloads: a generic generator that walks a request schema, and a few
//! per-action choices that keep the station in sensible states (safe configuration keys,
//! unreachable download/upload URLs, existing connectors).

use chrono::{Duration, SecondsFormat, Utc};
use ocpp::Action;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Map, Value};

/// An address nothing listens on (the discard port): firmware downloads and diagnostics
/// uploads fail quickly and the station retries.
pub const UNREACHABLE: &str = "http://127.0.0.1:9/";

/// The id tag of every valid call.
pub const ID_TAG: &str = "FUZZTAG";

/// Configuration keys a valid ChangeConfiguration may set: harmless values, plus an unknown
/// key (answered NotSupported).
const SAFE_KEYS: &[(&str, &str)] = &[
    ("MeterValueSampleInterval", "60"),
    ("ClockAlignedDataInterval", "0"),
    ("ConnectionTimeOut", "120"),
    ("HeartbeatInterval", "300"),
    ("FuzzUnknownKey", "1"),
];

/// A valid payload for `action` from its (ref-inlined) request schema.
pub fn valid_payload(action: Action, schema: &Value, rng: &mut StdRng) -> Value {
    let mut v = value_for(schema, "", rng, 0);
    adjust(action, &mut v, rng);
    v
}

fn value_for(schema: &Value, name: &str, rng: &mut StdRng, depth: usize) -> Value {
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.is_empty() {
            return options[rng.random_range(0..options.len())].clone();
        }
    }
    match schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object")
    {
        "object" => {
            let mut map = Map::new();
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (key, sub) in props {
                    if required.contains(&key.as_str()) || (depth < 4 && rng.random_bool(0.5)) {
                        map.insert(key.clone(), value_for(sub, key, rng, depth + 1));
                    }
                }
            }
            Value::Object(map)
        }
        "array" => {
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
            let n = rng.random_range(min.max(1)..=min.max(2));
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            Value::Array(
                (0..n)
                    .map(|_| value_for(&items, name, rng, depth + 1))
                    .collect(),
            )
        }
        "string" => string_for(schema, name, rng),
        "integer" => json!(integer_for(name, rng)),
        "number" => json!(rng.random_range(0..=320) as f64),
        "boolean" => json!(rng.random_bool(0.5)),
        _ => Value::Null,
    }
}

fn integer_for(name: &str, rng: &mut StdRng) -> i64 {
    match name {
        "connectorId" => rng.random_range(0..=2),
        "numberPhases" => rng.random_range(1..=3),
        "retries" => rng.random_range(0..=2),
        "retryInterval" | "duration" => rng.random_range(1..=60),
        _ => rng.random_range(0..=1000),
    }
}

fn string_for(schema: &Value, name: &str, rng: &mut StdRng) -> Value {
    match schema.get("format").and_then(Value::as_str) {
        Some("date-time") => {
            let t = Utc::now() + Duration::seconds(rng.random_range(-3600..=3600));
            return json!(t.to_rfc3339_opts(SecondsFormat::Millis, true));
        }
        Some("uri") => return json!(format!("{UNREACHABLE}{name}")),
        _ => {}
    }
    let max = schema
        .get("maxLength")
        .and_then(Value::as_u64)
        .unwrap_or(20)
        .min(20) as usize;
    if name == "idTag" || name == "parentIdTag" {
        return json!(ID_TAG);
    }
    let len = rng.random_range(1..=max.max(1));
    let s: String = (0..len)
        .map(|_| {
            let c = rng.random_range(0..36u8);
            if c < 10 {
                (b'0' + c) as char
            } else {
                (b'A' + c - 10) as char
            }
        })
        .collect();
    json!(s)
}

/// Per-action choices that the schema leaves open but the station's state depends on.
fn adjust(action: Action, v: &mut Value, rng: &mut StdRng) {
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    match action {
        Action::ChangeConfiguration => {
            let (k, val) = SAFE_KEYS[rng.random_range(0..SAFE_KEYS.len())];
            obj.insert("key".into(), json!(k));
            obj.insert("value".into(), json!(val));
        }
        Action::UpdateFirmware | Action::GetDiagnostics => {
            obj.insert("location".into(), json!(format!("{UNREACHABLE}fuzz")));
            obj.insert("retries".into(), json!(1));
            obj.insert("retryInterval".into(), json!(1));
        }
        Action::GetLog => {
            if let Some(log) = obj.get_mut("log").and_then(Value::as_object_mut) {
                log.insert("remoteLocation".into(), json!(format!("{UNREACHABLE}log")));
            }
        }
        Action::SignedUpdateFirmware => {
            if let Some(fw) = obj.get_mut("firmware").and_then(Value::as_object_mut) {
                fw.insert("location".into(), json!(format!("{UNREACHABLE}signed")));
            }
        }
        Action::ReserveNow => {
            let t = Utc::now() + Duration::seconds(600);
            obj.insert(
                "expiryDate".into(),
                json!(t.to_rfc3339_opts(SecondsFormat::Millis, true)),
            );
        }
        _ => {}
    }
}

/// The actions a Central System sends, i.e. the ones a station must handle.
pub fn central_system_actions() -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| !a.initiated_by_charge_point() || *a == Action::DataTransfer)
        .collect()
}

/// Actions whose valid form disrupts the run too much to send at random (Reset restarts
/// the station); their invalid forms are still sent.
pub fn disruptive(action: Action) -> bool {
    action == Action::Reset
}

/// The current time in the OCPP wire format.
pub fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn generated_payloads_are_schema_valid() {
        let Some(schemas) = crate::schemas::testdir::schemas() else {
            return;
        };
        let mut rng = StdRng::seed_from_u64(7);
        for action in ocpp::Action::ALL {
            for _ in 0..50 {
                let side = &schemas.get(action).request;
                let v = valid_payload(action, &side.schema, &mut rng);
                let errors: Vec<String> = side
                    .validator
                    .iter_errors(&v)
                    .map(|e| e.to_string())
                    .collect();
                assert!(errors.is_empty(), "{action}: {v} -> {errors:?}");
            }
        }
    }
}
