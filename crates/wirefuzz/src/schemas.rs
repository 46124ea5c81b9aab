//! Finding and loading the official OCPP 1.6 JSON schemas (request and response of all 39
//! actions), with `$ref`s inlined for the generator and compiled validators for the judge.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use ocpp::Action;
use serde_json::Value;

use crate::FuzzError;

/// The schema directory: `explicit` (--schemas), else `OCPP_SCHEMA_DIR`, else the Python
/// `ocpp` package's `v16/schemas`.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, FuzzError> {
    let mut tried = Vec::new();
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = explicit {
        candidates.push(dir.to_path_buf());
    } else {
        if let Some(dir) = std::env::var_os("OCPP_SCHEMA_DIR").filter(|d| !d.is_empty()) {
            candidates.push(PathBuf::from(dir));
        }
        if let Some(dir) = python_ocpp_dir() {
            candidates.push(dir);
        }
    }
    for dir in candidates {
        if dir.join("RemoteStartTransaction.json").is_file() {
            return Ok(dir);
        }
        tried.push(dir.display().to_string());
    }
    let tried = if tried.is_empty() {
        "OCPP_SCHEMA_DIR unset and no Python `ocpp` package".to_owned()
    } else {
        format!("looked in {}", tried.join(", "))
    };
    Err(FuzzError::SchemasNotFound(tried))
}

fn python_ocpp_dir() -> Option<PathBuf> {
    let out = std::process::Command::new("python3")
        .args(["-c", "import ocpp,os;print(os.path.dirname(ocpp.__file__))"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = String::from_utf8(out.stdout).ok()?;
    Some(PathBuf::from(dir.trim()).join("v16").join("schemas"))
}

/// One side (request or response) of an action.
pub struct Side {
    /// The schema with every `#/definitions/...` reference replaced by its target.
    pub schema: Value,
    pub validator: Validator,
}

/// Request and response schema of one action.
pub struct ActionSchemas {
    pub request: Side,
    pub response: Side,
}

/// All 78 schemas.
pub struct Schemas {
    pub dir: PathBuf,
    actions: BTreeMap<Action, ActionSchemas>,
}

impl Schemas {
    /// Loads `<Action>.json` and `<Action>Response.json` for every action.
    pub fn load(dir: &Path) -> Result<Schemas, FuzzError> {
        let mut actions = BTreeMap::new();
        for action in Action::ALL {
            let request = load_side(&dir.join(format!("{}.json", action.as_str())))?;
            let response = load_side(&dir.join(format!("{}Response.json", action.as_str())))?;
            actions.insert(action, ActionSchemas { request, response });
        }
        Ok(Schemas {
            dir: dir.to_path_buf(),
            actions,
        })
    }

    pub fn get(&self, action: Action) -> &ActionSchemas {
        // Every Action was loaded in `load`.
        &self.actions[&action]
    }
}

fn load_side(path: &Path) -> Result<Side, FuzzError> {
    let text = std::fs::read_to_string(path).map_err(|source| FuzzError::SchemaRead {
        path: path.to_path_buf(),
        source,
    })?;
    let raw: Value = serde_json::from_str(&text).map_err(|source| FuzzError::SchemaJson {
        path: path.to_path_buf(),
        source,
    })?;
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&raw)
        .map_err(|e| FuzzError::SchemaCompile {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let schema = inline_refs(&raw, &raw, 0);
    Ok(Side { schema, validator })
}

/// Replaces local `{"$ref": "#/definitions/X"}` nodes by their targets.
fn inline_refs(node: &Value, root: &Value, depth: usize) -> Value {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                if let Some(name) = r.strip_prefix("#/definitions/") {
                    if let Some(target) = root.get("definitions").and_then(|d| d.get(name)) {
                        if depth < 16 {
                            return inline_refs(target, root, depth + 1);
                        }
                    }
                }
            }
            Value::Object(
                map.iter()
                    .filter(|(k, _)| k.as_str() != "definitions")
                    .map(|(k, v)| (k.clone(), inline_refs(v, root, depth)))
                    .collect(),
            )
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| inline_refs(v, root, depth)).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
pub(crate) mod testdir {
    /// The schemas for unit tests: OCPP_SCHEMA_DIR or the Python package (scripts/test sets
    /// OCPP_SCHEMA_DIR).
    pub fn schemas() -> Option<super::Schemas> {
        let dir = super::locate(None).unwrap_or_else(|e| panic!("{e}"));
        Some(super::Schemas::load(&dir).expect("the schemas load"))
    }
}
