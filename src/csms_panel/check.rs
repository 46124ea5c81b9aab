//! Which requests the panel may send, and the check of a payload before it goes out: the
//! official JSON schema of the request when one was found (OCPP_SCHEMA_DIR, `--schemas` or
//! the Python `ocpp` package, as the fuzzer finds them), else our typed decoding. Either
//! way a refusal names the field, so the page can point at it.

use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use ocpp::Action;
use serde::Serialize;
use serde_json::Value;
use std::path::Path;
use wirefuzz::schemas::Schemas;

/// The Central-System-initiated requests of OCPP 1.6 (with DataTransfer, which goes both
/// ways), in the order of the specification's chapter.
pub const CORE_ACTIONS: [Action; 19] = [
    Action::CancelReservation,
    Action::ChangeAvailability,
    Action::ChangeConfiguration,
    Action::ClearCache,
    Action::ClearChargingProfile,
    Action::DataTransfer,
    Action::GetCompositeSchedule,
    Action::GetConfiguration,
    Action::GetDiagnostics,
    Action::GetLocalListVersion,
    Action::RemoteStartTransaction,
    Action::RemoteStopTransaction,
    Action::ReserveNow,
    Action::Reset,
    Action::SendLocalList,
    Action::SetChargingProfile,
    Action::TriggerMessage,
    Action::UnlockConnector,
    Action::UpdateFirmware,
];

/// The Central-System-initiated requests of the security extension.
pub const SECURITY_ACTIONS: [Action; 7] = [
    Action::CertificateSigned,
    Action::DeleteCertificate,
    Action::ExtendedTriggerMessage,
    Action::GetInstalledCertificateIds,
    Action::GetLog,
    Action::InstallCertificate,
    Action::SignedUpdateFirmware,
];

/// The action named `name` if the Central System may send it.
pub fn sendable(name: &str) -> Option<Action> {
    CORE_ACTIONS
        .iter()
        .chain(SECURITY_ACTIONS.iter())
        .copied()
        .find(|a| a.as_str() == name)
}

/// Why a payload is not sent: the field (a dotted path such as `chargingProfile.stackLevel`,
/// `payload` for the whole) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub field: String,
    pub error: String,
}

/// How payloads are checked.
pub enum RequestCheck {
    /// Against the official JSON schemas.
    Schemas(Box<Schemas>),
    /// By decoding into our typed request structs (no schema directory was found).
    Typed,
}

impl RequestCheck {
    /// The schemas from `explicit`, else where the fuzzer looks; our typed decoding (with a
    /// warning saying why) when there are none.
    pub fn find(explicit: Option<&Path>) -> RequestCheck {
        let found =
            wirefuzz::schemas::locate(explicit).and_then(|dir| Schemas::load(&dir).map(Box::new));
        match found {
            Ok(schemas) => RequestCheck::Schemas(schemas),
            Err(e) => {
                tracing::info!("Central System panel: typed checks instead of schemas: {e}");
                RequestCheck::Typed
            }
        }
    }

    /// Where the checks come from, for the page.
    pub fn source(&self) -> String {
        match self {
            RequestCheck::Schemas(s) => format!("official JSON schemas in {}", s.dir.display()),
            RequestCheck::Typed => "typed decoding (official schemas not found)".into(),
        }
    }

    /// The request schema of `action`, `$ref`s inlined, for the page to build its form.
    pub fn schema(&self, action: Action) -> Option<&Value> {
        match self {
            RequestCheck::Schemas(s) => Some(&s.get(action).request.schema),
            RequestCheck::Typed => None,
        }
    }

    /// Whether `payload` may be sent as `action`.
    pub fn check(&self, action: Action, payload: &Value) -> Result<(), Refusal> {
        match self {
            RequestCheck::Schemas(s) => {
                let validator = &s.get(action).request.validator;
                match validator.iter_errors(payload).next() {
                    None => Ok(()),
                    Some(e) => Err(schema_refusal(&e)),
                }
            }
            RequestCheck::Typed => {
                ocpp::validate_request(action, payload).map_err(|e| typed_refusal(&e.description))
            }
        }
    }
}

fn schema_refusal(e: &jsonschema::ValidationError<'_>) -> Refusal {
    let mut path: Vec<String> = e
        .instance_path()
        .iter()
        .map(|segment| match segment {
            LocationSegment::Property(p) => p.into_owned(),
            LocationSegment::Index(i) => i.to_string(),
        })
        .collect();
    // A missing or unexpected property is reported at its parent; name the property.
    match e.kind() {
        ValidationErrorKind::Required { property } => {
            path.push(property.as_str().unwrap_or_default().to_owned())
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            path.extend(unexpected.first().cloned())
        }
        _ => {}
    }
    let field = dotted(&path);
    Refusal {
        error: format!("{field}: {e}"),
        field,
    }
}

/// `a.b[0].c` from `["a", "b", "0", "c"]`; `payload` for the root.
fn dotted(path: &[String]) -> String {
    let mut out = String::new();
    for segment in path {
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    if out.is_empty() {
        "payload".into()
    } else {
        out
    }
}

/// Our decoder says `connectorId: invalid type: ...` (serde_path_to_error's path first) or,
/// for a missing or unknown field, ``missing field `idTag` `` at its parent.
fn typed_refusal(description: &str) -> Refusal {
    let missing = |s: &str| {
        ["missing field `", "unknown field `"]
            .iter()
            .find_map(|tag| {
                s.split_once(tag)
                    .and_then(|(_, rest)| rest.split_once('`'))
                    .map(|(name, _)| name.to_owned())
            })
    };
    let (path, message) = match description.split_once(": ") {
        Some((path, message)) if !path.contains(' ') && path != "." => {
            (path.to_owned(), message.to_owned())
        }
        _ => (String::new(), description.to_owned()),
    };
    let field = match missing(&message) {
        Some(name) if path.is_empty() => name,
        // serde_path_to_error already put an unknown field at the end of the path.
        Some(name) if path == name || path.ends_with(&format!(".{name}")) => path,
        Some(name) => format!("{path}.{name}"),
        None if path.is_empty() => "payload".into(),
        None => path,
    };
    Refusal {
        error: format!("{field}: {message}"),
        field,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_central_system_request_is_sendable_and_no_station_one() {
        assert_eq!(CORE_ACTIONS.len() + SECURITY_ACTIONS.len(), 26);
        for a in Action::ALL {
            let cs = !a.initiated_by_charge_point() || a == Action::DataTransfer;
            assert_eq!(sendable(a.as_str()).is_some(), cs, "{}", a.as_str());
        }
        assert_eq!(sendable("Nope"), None);
    }

    /// A RemoteStartTransaction without idTag, with a connectorId "abc", with a field of
    /// its own: each refusal names the field.
    fn assert_names_the_fields(check: &RequestCheck) {
        let action = Action::RemoteStartTransaction;
        assert_eq!(check.check(action, &json!({"idTag": "A"})), Ok(()));
        let e = check.check(action, &json!({"connectorId": 1})).unwrap_err();
        assert_eq!(e.field, "idTag", "{e:?}");
        let e = check
            .check(action, &json!({"idTag": "A", "connectorId": "abc"}))
            .unwrap_err();
        assert_eq!(e.field, "connectorId", "{e:?}");
        let e = check
            .check(action, &json!({"idTag": "A", "colour": "red"}))
            .unwrap_err();
        assert_eq!(e.field, "colour", "{e:?}");
    }

    #[test]
    fn the_typed_check_names_the_field() {
        let check = RequestCheck::Typed;
        assert_names_the_fields(&check);
        let action = Action::RemoteStartTransaction;
        let e = check.check(action, &json!([1])).unwrap_err();
        assert_eq!(e.field, "payload", "{e:?}");
    }

    #[test]
    fn a_schema_refusal_names_nested_and_missing_fields() {
        // The schemas are found as the fuzzer finds them (scripts/test sets OCPP_SCHEMA_DIR).
        let check = RequestCheck::find(None);
        if let RequestCheck::Typed = check {
            eprintln!("no official schemas here; the schema check is not tested");
            return;
        }
        assert_names_the_fields(&check);
        let action = Action::RemoteStartTransaction;
        let profile = json!({"idTag": "A", "chargingProfile": {
            "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative", "chargingSchedule": {
                "chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0}]}}});
        let e = check.check(action, &profile).unwrap_err();
        assert_eq!(
            e.field, "chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit",
            "{e:?}"
        );
        assert!(check.schema(action).is_some());
    }
}
