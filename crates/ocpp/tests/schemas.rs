//! Schema conformance: for every one of the 78 request/response types, values
//! generated with proptest serialize to JSON that the official OCPP 1.6 schema
//! accepts (formats, date-time included, are checked), decode back to the same
//! value, stop decoding with OccurenceConstraintViolation when any required
//! property is removed, and with TypeConstraintViolation when any property the schema
//! defines, at any depth, present or not, is set to `null`.

mod support;

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::{Path, PathBuf};

use ocpp::{decode, ErrorCode, Request};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use support::{enum_wire_sets, for_each_request, Gen, RequestVisitor};

const CASES_PER_TYPE: u32 = 64;

/// OCPP_SCHEMA_DIR, else the Python `ocpp` package in the workspace's .venv.
fn schema_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OCPP_SCHEMA_DIR") {
        return PathBuf::from(dir);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let lib = workspace.join(".venv/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
            .map(|e| e.path().join("site-packages/ocpp/v16/schemas"))
            .find(|p| p.is_dir())
    });
    found.unwrap_or_else(|| {
        panic!(
            "OCPP 1.6 JSON schemas not found: run ./scripts/test (it installs the Python \
             `ocpp` package into .venv) or set OCPP_SCHEMA_DIR to a directory holding \
             Authorize.json, AuthorizeResponse.json, ... (looked in {})",
            lib.display()
        )
    })
}

fn load_schema(dir: &Path, name: &str) -> Value {
    let path = dir.join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs the checks for one type against `<name>.json`.
fn check_type<T>(dir: &Path, name: &str)
where
    T: Gen + Serialize + DeserializeOwned + PartialEq + Debug,
{
    let schema = load_schema(dir, name);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{name}: schema does not compile: {e}"));
    let required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();

    let config = Config {
        cases: CASES_PER_TYPE,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&T::strategy(), |value| {
        let json = serde_json::to_value(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if !errors.is_empty() {
            return Err(TestCaseError::fail(format!(
                "{json} violates the schema: {errors:?}"
            )));
        }
        let back = decode::<T>(&json);
        if back.as_ref() != Ok(&value) {
            return Err(TestCaseError::fail(format!(
                "{json} decodes to {back:?}, not the original"
            )));
        }
        for (pointer, nulled) in with_one_null(&schema, &json) {
            let code = decode::<T>(&nulled).err().map(|e| e.code);
            if code != Some(ErrorCode::TypeConstraintViolation) {
                return Err(TestCaseError::fail(format!(
                    "null at {pointer}: {nulled} gives {code:?}, not TypeConstraintViolation"
                )));
            }
        }
        for field in &required {
            let mut incomplete = json.clone();
            if let Some(object) = incomplete.as_object_mut() {
                object.remove(field);
            }
            let code = decode::<T>(&incomplete).err().map(|e| e.code);
            if code != Some(ErrorCode::OccurenceConstraintViolation) {
                return Err(TestCaseError::fail(format!(
                    "without required {field:?}, {incomplete} gives {code:?}"
                )));
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// `value` with one property set to `null`, for every property the schema defines at every
/// object of `value` (present or not), each with its place. No 1.6 schema allows null.
fn with_one_null(schema: &Value, value: &Value) -> Vec<(String, Value)> {
    let mut places = Vec::new();
    object_properties(schema, schema, value, String::new(), &mut places);
    places
        .into_iter()
        .filter_map(|(object, name)| {
            let mut copy = value.clone();
            copy.pointer_mut(&object)?
                .as_object_mut()?
                .insert(name.clone(), Value::Null);
            Some((format!("{object}/{name}"), copy))
        })
        .collect()
}

/// Follows a local `$ref` ("#/definitions/X") of the security extension's schemas.
fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|p| root.pointer(p))
            .unwrap_or(node),
        None => node,
    }
}

/// (JSON pointer of an object in `value`, a property name its schema defines), for every
/// object of `value`, nested ones and those inside arrays included.
fn object_properties(
    root: &Value,
    node: &Value,
    value: &Value,
    at: String,
    out: &mut Vec<(String, String)>,
) {
    let node = resolve(root, node);
    match value {
        Value::Object(object) => {
            let Some(properties) = node.get("properties").and_then(Value::as_object) else {
                return;
            };
            for (name, property) in properties {
                out.push((at.clone(), name.clone()));
                if let Some(child) = object.get(name) {
                    // OCPP property names hold no '/' or '~' to escape.
                    object_properties(root, property, child, format!("{at}/{name}"), out);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = node.get("items") {
                for (i, item) in items.iter().enumerate() {
                    object_properties(root, item_schema, item, format!("{at}/{i}"), out);
                }
            }
        }
        _ => {}
    }
}

/// Checks each action's request and response, recording the schema names used.
struct Conformance {
    dir: PathBuf,
    covered: BTreeSet<String>,
}

impl RequestVisitor for Conformance {
    fn visit<R>(&mut self)
    where
        R: Request + Gen + PartialEq,
        R::Response: Gen + PartialEq,
    {
        let request = R::ACTION.as_str().to_owned();
        let response = format!("{request}Response");
        check_type::<R>(&self.dir, &request);
        check_type::<R::Response>(&self.dir, &response);
        assert!(self.covered.insert(request), "{} visited twice", R::ACTION);
        self.covered.insert(response);
    }
}

/// Names (without `.json`) of the schema files in `dir`.
fn schema_names(dir: &Path) -> BTreeSet<String> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".json").map(str::to_owned)
        })
        .collect()
}

#[test]
fn every_message_type_conforms_to_its_schema() {
    let dir = schema_dir();
    let mut conformance = Conformance {
        dir: dir.clone(),
        covered: BTreeSet::new(),
    };
    for_each_request(&mut conformance);
    assert_eq!(conformance.covered.len(), 78, "expected 78 message types");
    assert_eq!(
        conformance.covered,
        schema_names(&dir),
        "schema files and checked types differ"
    );
}

/// Every string enum list found anywhere in `schema`.
fn collect_enums(schema: &Value, out: &mut Vec<BTreeSet<String>>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.get("enum") {
                out.push(
                    values
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                );
            }
            map.values().for_each(|v| collect_enums(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_enums(v, out)),
        _ => {}
    }
}

#[test]
fn enums_match_the_schemas_exactly() {
    let dir = schema_dir();
    let mut schema_enums = Vec::new();
    for name in schema_names(&dir) {
        collect_enums(&load_schema(&dir, &name), &mut schema_enums);
    }
    let ours: Vec<(&str, BTreeSet<String>)> = enum_wire_sets()
        .into_iter()
        .map(|(name, set)| (name, set.into_iter().map(str::to_owned).collect()))
        .collect();
    for (name, set) in &ours {
        assert!(
            schema_enums.contains(set),
            "{name} {set:?} matches no schema enum"
        );
    }
    for set in &schema_enums {
        // StopTransaction's unit list is UnitOfMeasure without Hertz.
        let matches = ours.iter().any(|(name, ours)| {
            ours == set
                || (*name == "UnitOfMeasure"
                    && ours.len() == set.len() + 1
                    && ours.is_superset(set))
        });
        assert!(matches, "schema enum {set:?} has no Rust enum");
    }
}

/// Guards the test itself: the validator must reject what decode rejects,
/// otherwise "conforms" above would prove little.
#[test]
fn validator_checks_formats_lengths_and_multiples() {
    let dir = schema_dir();
    let validator = |name: &str| {
        jsonschema::options()
            .should_validate_formats(true)
            .build(&load_schema(&dir, name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let heartbeat = validator("HeartbeatResponse");
    assert!(heartbeat.is_valid(&serde_json::json!({"currentTime": "2026-11-25T10:00:00.000Z"})));
    assert!(!heartbeat.is_valid(&serde_json::json!({"currentTime": "yesterday"})));
    assert!(!heartbeat
        .is_valid(&serde_json::json!({"currentTime": "2026-11-25T10:00:00.000Z", "x": 1})));

    let authorize = validator("Authorize");
    assert!(!authorize.is_valid(&serde_json::json!({"idTag": "x".repeat(21)})));

    let profile = validator("SetChargingProfile");
    let with_limit = |limit: f64| {
        serde_json::json!({"connectorId": 1, "csChargingProfiles": {
            "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative", "chargingSchedule": {"chargingRateUnit": "W",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}}})
    };
    assert!(profile.is_valid(&with_limit(16.1)));
    assert!(!profile.is_valid(&with_limit(16.15)));

    let update = validator("UpdateFirmware");
    let with_location = |location: &str| serde_json::json!({"location": location, "retrieveDate": "2026-11-25T10:00:00Z"});
    assert!(update.is_valid(&with_location("ftp://example.com/fw.bin")));
    assert!(!update.is_valid(&with_location("not a uri")));
}
