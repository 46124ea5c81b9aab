//! Mutations: of a valid payload at one place its schema describes (missing, null, wrong
//! type, out of range, too long, bad enum, ...), and of the frame around it (not an array,
//! wrong length, unknown action, not JSON, not UTF-8, binary, oversize, orphan answers).

use ocpp::Action;
use rand::rngs::StdRng;
use rand::Rng;
use serde::Serialize;
use serde_json::{json, Value};

/// What was done to a frame; the report counts outcomes per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Class {
    /// An unmutated, schema-valid call from the generator.
    Valid,
    /// A valid call that puts the station into a state (transaction, firmware, reserved)
    /// or back to idle.
    State,
    /// A valid call after a frame that needs no answer: is the station still answering?
    Probe,
    MissingField,
    Null,
    WrongType,
    OutOfRange,
    /// A negative integer where the OCPP text (not the schema) wants >= 0.
    Negative,
    TooLong,
    BadEnum,
    BadFormat,
    NotMultipleOf,
    EmptyArray,
    ExtraProperty,
    WrongNesting,
    UnknownAction,
    MisspeltAction,
    /// A charge-point-initiated action (e.g. Heartbeat) sent to the charge point.
    WrongDirection,
    NotArray,
    WrongLength,
    WrongMessageType,
    BadUniqueId,
    NotJson,
    NotUtf8,
    Binary,
    Oversize,
    OrphanResult,
    OrphanError,
}

impl Class {
    /// Mutations of a payload's content.
    pub const PAYLOAD: [Class; 12] = [
        Class::MissingField,
        Class::Null,
        Class::WrongType,
        Class::OutOfRange,
        Class::Negative,
        Class::TooLong,
        Class::BadEnum,
        Class::BadFormat,
        Class::NotMultipleOf,
        Class::EmptyArray,
        Class::ExtraProperty,
        Class::WrongNesting,
    ];
    /// Mutations of the frame or action name.
    pub const FRAME: [Class; 13] = [
        Class::UnknownAction,
        Class::MisspeltAction,
        Class::WrongDirection,
        Class::NotArray,
        Class::WrongLength,
        Class::WrongMessageType,
        Class::BadUniqueId,
        Class::NotJson,
        Class::NotUtf8,
        Class::Binary,
        Class::Oversize,
        Class::OrphanResult,
        Class::OrphanError,
    ];

    /// Whether frames of this class are CALLs that must be answered.
    pub fn is_call(self) -> bool {
        !matches!(
            self,
            Class::NotArray
                | Class::WrongLength
                | Class::WrongMessageType
                | Class::BadUniqueId
                | Class::NotJson
                | Class::NotUtf8
                | Class::Binary
                | Class::Oversize
                | Class::OrphanResult
                | Class::OrphanError
        )
    }
}

/// One step of a path into a payload.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// A place in the payload the schema describes.
struct Site<'s> {
    path: Vec<Seg>,
    schema: &'s Value,
    present: bool,
    required: bool,
}

fn path_text(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                s.push('/');
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("/{i}")),
        }
    }
    if s.is_empty() {
        "/".into()
    } else {
        s
    }
}

fn sites<'s>(schema: &'s Value, value: &Value, path: Vec<Seg>, out: &mut Vec<Site<'s>>) {
    if let (Some(props), Some(map)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (key, sub) in props {
            let mut p = path.clone();
            p.push(Seg::Key(key.clone()));
            let present = map.get(key);
            out.push(Site {
                path: p.clone(),
                schema: sub,
                present: present.is_some(),
                required: required.contains(&key.as_str()),
            });
            if let Some(v) = present {
                sites(sub, v, p, out);
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            let mut p = path.clone();
            p.push(Seg::Index(i));
            out.push(Site {
                path: p.clone(),
                schema: items,
                present: true,
                required: true,
            });
            sites(items, v, p, out);
        }
    }
}

fn get_mut<'v>(root: &'v mut Value, path: &[Seg]) -> Option<&'v mut Value> {
    let mut cur = root;
    for seg in path {
        cur = match seg {
            Seg::Key(k) => cur.as_object_mut()?.get_mut(k)?,
            Seg::Index(i) => cur.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(cur)
}

/// Sets (inserting a missing key) or, with `None`, removes the value at `path`.
fn put(root: &mut Value, path: &[Seg], new: Option<Value>) -> bool {
    let Some((last, parent)) = path.split_last() else {
        if let Some(v) = new {
            *root = v;
            return true;
        }
        return false;
    };
    let Some(parent) = get_mut(root, parent) else {
        return false;
    };
    match (last, parent) {
        (Seg::Key(k), Value::Object(map)) => {
            match new {
                Some(v) => {
                    map.insert(k.clone(), v);
                }
                None => {
                    map.remove(k);
                }
            }
            true
        }
        (Seg::Index(i), Value::Array(arr)) if *i < arr.len() => match new {
            Some(v) => {
                arr[*i] = v;
                true
            }
            None => {
                arr.remove(*i);
                true
            }
        },
        _ => false,
    }
}

fn ty(schema: &Value) -> &str {
    schema.get("type").and_then(Value::as_str).unwrap_or("")
}

/// A payload mutation: the mutated payload and what was done.
#[derive(Debug, Clone)]
pub struct Mutated {
    pub payload: Value,
    pub note: String,
}

/// Applies `class` (one of [`Class::PAYLOAD`]) at a random applicable place of `valid`;
/// `None` when the schema has no such place (e.g. no enum).
pub fn mutate_payload(
    class: Class,
    schema: &Value,
    valid: &Value,
    rng: &mut StdRng,
) -> Option<Mutated> {
    let mut all = Vec::new();
    // The root object itself is a site for extra properties and wrong nesting.
    all.push(Site {
        path: Vec::new(),
        schema,
        present: true,
        required: true,
    });
    sites(schema, valid, Vec::new(), &mut all);
    let applicable: Vec<&Site> = all.iter().filter(|s| applies(class, s)).collect();
    if applicable.is_empty() {
        return None;
    }
    let site = applicable[rng.random_range(0..applicable.len())];
    let mut payload = valid.clone();
    let at = path_text(&site.path);
    let (new, note): (Option<Value>, String) = match class {
        Class::MissingField => (None, format!("{at} removed")),
        Class::Null => (Some(Value::Null), format!("{at} = null")),
        Class::WrongType => {
            let v = wrong_type(ty(site.schema), rng);
            let note = format!("{at} = {v} (schema: {})", ty(site.schema));
            (Some(v), note)
        }
        Class::OutOfRange => {
            let v = [
                json!(2_147_483_648_i64),
                json!(-2_147_483_649_i64),
                json!(u64::MAX),
            ][rng.random_range(0..3)]
            .clone();
            (Some(v.clone()), format!("{at} = {v} (beyond i32)"))
        }
        Class::Negative => (Some(json!(-1)), format!("{at} = -1")),
        Class::TooLong => {
            let max = site
                .schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            (
                Some(json!("x".repeat(max as usize + 1))),
                format!("{at}: {} characters (maxLength {max})", max + 1),
            )
        }
        Class::BadEnum => {
            let first = site
                .schema
                .get("enum")
                .and_then(Value::as_array)
                .and_then(|e| e.first())
                .and_then(Value::as_str)
                .unwrap_or("");
            let bad = match rng.random_range(0..3) {
                0 => "FuzzBogus".to_owned(),
                1 => first.to_lowercase(),
                _ => format!("{first} "),
            };
            let bad = if bad == first {
                "FuzzBogus".to_owned()
            } else {
                bad
            };
            (Some(json!(bad)), format!("{at} = {bad:?} (not in enum)"))
        }
        Class::BadFormat => {
            let bad = match site.schema.get("format").and_then(Value::as_str) {
                Some("date-time") => {
                    ["yesterday", "2024-13-45T99:61:00Z", "1700000000", ""][rng.random_range(0..4)]
                }
                _ => ["not a uri", "://", "http://[::1"][rng.random_range(0..3)],
            };
            (Some(json!(bad)), format!("{at} = {bad:?} (bad format)"))
        }
        Class::NotMultipleOf => (Some(json!(0.05)), format!("{at} = 0.05 (multipleOf 0.1)")),
        Class::EmptyArray => (Some(json!([])), format!("{at} = [] (minItems)")),
        Class::ExtraProperty => {
            let mut extended = get_mut(&mut payload, &site.path)?.clone();
            extended
                .as_object_mut()?
                .insert("fuzzExtra".into(), json!(1));
            (Some(extended), format!("{at}: extra property fuzzExtra"))
        }
        Class::WrongNesting => {
            let current = get_mut(&mut payload, &site.path)?.clone();
            match ty(site.schema) {
                "array" => {
                    let first = current
                        .as_array()
                        .and_then(|a| a.first())
                        .cloned()
                        .unwrap_or(json!({}));
                    (
                        Some(first),
                        format!("{at}: array item where array expected"),
                    )
                }
                _ => (
                    Some(Value::Array(vec![current])),
                    format!("{at}: [object] where object expected"),
                ),
            }
        }
        _ => return None,
    };
    if site.path.is_empty() {
        // Only ExtraProperty and WrongNesting apply to the root.
        payload = new?;
    } else if !put(&mut payload, &site.path, new) {
        return None;
    }
    Some(Mutated { payload, note })
}

fn applies(class: Class, site: &Site) -> bool {
    let t = ty(site.schema);
    let root = site.path.is_empty();
    let in_array = matches!(site.path.last(), Some(Seg::Index(_)));
    match class {
        Class::MissingField => !root && site.present && site.required && !in_array,
        Class::Null | Class::WrongType => !root,
        Class::OutOfRange | Class::Negative => !root && t == "integer",
        Class::TooLong => !root && site.schema.get("maxLength").is_some(),
        Class::BadEnum => !root && site.schema.get("enum").is_some(),
        Class::BadFormat => !root && site.schema.get("format").is_some(),
        Class::NotMultipleOf => !root && site.schema.get("multipleOf").is_some(),
        Class::EmptyArray => !root && site.schema.get("minItems").is_some(),
        Class::ExtraProperty => t == "object" && site.present,
        Class::WrongNesting => site.present && (t == "object" || t == "array"),
        _ => false,
    }
}

fn wrong_type(t: &str, rng: &mut StdRng) -> Value {
    let pick = rng.random_range(0..3);
    match t {
        "string" => [json!(42), json!(true), json!({"s": 1})][pick].clone(),
        "integer" => [json!("1"), json!(1.5), json!(true)][pick].clone(),
        "number" => [json!("1.0"), json!(false), json!([1])][pick].clone(),
        "boolean" => [json!("true"), json!(1), json!({})][pick].clone(),
        "object" => [json!("object"), json!(7), json!(true)][pick].clone(),
        "array" => [json!("array"), json!(7), json!(false)][pick].clone(),
        _ => json!(12345),
    }
}

/// A misspelling of `action` that is no action name.
pub fn misspell(action: Action, rng: &mut StdRng) -> String {
    let name = action.as_str();
    for _ in 0..8 {
        let candidate = match rng.random_range(0..5) {
            0 => name.to_lowercase(),
            1 => {
                let i = rng.random_range(0..name.len());
                format!("{}{}", &name[..i], &name[i + 1..])
            }
            2 => format!("{name}Request"),
            3 => format!(" {name}"),
            _ => {
                let mut c: Vec<char> = name.chars().collect();
                let i = rng.random_range(0..c.len() - 1);
                c.swap(i, i + 1);
                c.into_iter().collect()
            }
        };
        if Action::from_name(&candidate).is_none() {
            return candidate;
        }
    }
    format!("{name}X")
}

/// An action name no version of OCPP has.
pub fn unknown_action(rng: &mut StdRng) -> String {
    [
        "MakeCoffee",
        "",
        "RemoteStart",
        "GetVariables",
        "💥",
        "Reset\u{0}",
    ][rng.random_range(0..6)]
    .to_owned()
}

/// Bytes that are not UTF-8, looking like the start of a frame.
pub fn not_utf8(rng: &mut StdRng) -> Vec<u8> {
    let mut b = b"[2,\"u\",\"Heartbeat\",{\"k\":\"".to_vec();
    b.extend([[0xff, 0xfe].as_slice(), &[0xc3, 0x28], &[0xed, 0xa0, 0x80]][rng.random_range(0..3)]);
    b.extend(b"\"}]");
    b
}

/// Text frames that are no OCPP-J message: (class, text). `id` is a fresh unique id.
pub fn broken_frame(class: Class, id: &str, action: Action, rng: &mut StdRng) -> String {
    let a = action.as_str();
    match class {
        Class::NotArray => [
            format!(r#"{{"messageTypeId":2,"uniqueId":"{id}","action":"{a}"}}"#),
            "42".into(),
            format!("\"{id}\""),
            "null".into(),
            "true".into(),
        ][rng.random_range(0..5)]
        .clone(),
        Class::WrongLength => [
            "[]".into(),
            "[2]".into(),
            format!(r#"[2,"{id}"]"#),
            format!(r#"[2,"{id}","{a}"]"#),
            format!(r#"[2,"{id}","{a}",{{}},{{}}]"#),
            format!(r#"[3,"{id}"]"#),
            format!(r#"[4,"{id}","GenericError"]"#),
        ][rng.random_range(0..7)]
        .clone(),
        Class::WrongMessageType => {
            let t = [
                "5",
                "0",
                "-1",
                "\"2\"",
                "2.5",
                "null",
                "99999999999999999999",
            ][rng.random_range(0..7)];
            format!(r#"[{t},"{id}","{a}",{{}}]"#)
        }
        Class::BadUniqueId => {
            let uid = [
                json!("x".repeat(37)),
                json!(12),
                Value::Null,
                json!({"id": id}),
            ][rng.random_range(0..4)]
            .clone();
            format!(r#"[2,{uid},"{a}",{{}}]"#)
        }
        Class::NotJson => [
            "this is not json".into(),
            String::new(),
            format!(r#"[2,"{id}","{a}",{{"#),
            "[2,'x','Reset',{}]".into(),
            "\u{feff}[]".into(),
            "[".repeat(1000),
        ][rng.random_range(0..6)]
        .clone(),
        Class::Oversize => {
            let big = "A".repeat(1 << 20);
            if rng.random_bool(0.5) {
                format!(r#"[2,"{id}","DataTransfer",{{"vendorId":"fuzz","data":"{big}"}}]"#)
            } else {
                big
            }
        }
        Class::OrphanResult => format!(r#"[3,"{id}",{{}}]"#),
        Class::OrphanError => format!(r#"[4,"{id}","GenericError","never called",{{}}]"#),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn misspellings_are_no_action() {
        let mut rng = StdRng::seed_from_u64(1);
        for a in Action::ALL {
            for _ in 0..20 {
                assert!(Action::from_name(&misspell(a, &mut rng)).is_none());
            }
        }
    }

    #[test]
    fn payload_mutations_change_what_they_say() {
        let schema = json!({
            "type": "object",
            "properties": {
                "key": {"type": "string", "maxLength": 50},
                "kind": {"type": "string", "enum": ["Hard", "Soft"]},
                "n": {"type": "integer"},
                "list": {"type": "array", "minItems": 1, "items": {"type": "string"}}
            },
            "additionalProperties": false,
            "required": ["key", "kind"]
        });
        let valid = json!({"key": "k", "kind": "Hard", "n": 1, "list": ["a"]});
        let mut rng = StdRng::seed_from_u64(3);
        let m = mutate_payload(Class::TooLong, &schema, &valid, &mut rng).unwrap();
        assert_eq!(m.payload["key"].as_str().unwrap().len(), 51);
        let m = mutate_payload(Class::BadEnum, &schema, &valid, &mut rng).unwrap();
        assert_ne!(m.payload["kind"], json!("Hard"));
        assert_ne!(m.payload["kind"], json!("Soft"));
        let m = mutate_payload(Class::MissingField, &schema, &valid, &mut rng).unwrap();
        assert!(m.payload.get("key").is_none() || m.payload.get("kind").is_none());
        let m = mutate_payload(Class::EmptyArray, &schema, &valid, &mut rng).unwrap();
        assert_eq!(m.payload["list"], json!([]));
        let m = mutate_payload(Class::OutOfRange, &schema, &valid, &mut rng).unwrap();
        assert!(m.payload["n"]
            .as_i64()
            .is_none_or(|n| i32::try_from(n).is_err()));
        assert!(mutate_payload(Class::BadFormat, &schema, &valid, &mut rng).is_none());
        for _ in 0..20 {
            let m = mutate_payload(Class::Null, &schema, &valid, &mut rng).unwrap();
            let nulls: Vec<&str> = ["key", "kind", "n", "list"]
                .into_iter()
                .filter(|k| m.payload.get(*k) == Some(&Value::Null))
                .collect();
            assert!(
                !nulls.is_empty() || m.payload["list"][0].is_null(),
                "{}",
                m.payload
            );
        }
    }
}
