//! Malformed and invalid frames from the Central System (OCPP-J 1.6 section 4): each CALL
//! gets the CALLERROR the ocpp crate maps its defect to (crates/ocpp/src/frame.rs and
//! payload.rs), broken answers get nothing, and the station keeps working.

mod common;

use common::*;
use ocpp::{ErrorCode, Frame};
use serde_json::{json, Value};

/// What the station must send back.
enum Expect {
    /// A CALLERROR with this unique id and code.
    Error(&'static str, ErrorCode),
    /// A CALLRESULT for this unique id (valid frames among the invalid ones).
    Result(String),
    /// Nothing: the frame was recognisably a CALLRESULT or CALLERROR.
    Nothing,
}

fn cases() -> Vec<(&'static str, String, Expect)> {
    use ErrorCode::*;
    use Expect::*;
    let id36 = "i".repeat(36);
    let id37 = "x".repeat(37);
    let key51 = "K".repeat(51);
    let value501 = "v".repeat(501);
    vec![
        // --- frames ---
        ("not JSON", "this is not json".into(), Error("-1", FormationViolation)),
        ("truncated JSON", r#"[2, "c02", "GetConfiguration", {"#.into(), Error("-1", FormationViolation)),
        ("empty text", "".into(), Error("-1", FormationViolation)),
        ("JSON object, not an array", r#"{"messageTypeId": 2, "uniqueId": "c04"}"#.into(), Error("-1", ProtocolError)),
        ("JSON number", "42".into(), Error("-1", ProtocolError)),
        ("empty array", "[]".into(), Error("-1", ProtocolError)),
        ("CALL with 3 elements", r#"[2, "c07", "GetConfiguration"]"#.into(), Error("c07", ProtocolError)),
        ("CALL with 5 elements", r#"[2, "c08", "GetConfiguration", {}, {}]"#.into(), Error("c08", ProtocolError)),
        ("unknown message type 5", r#"[5, "c09", "GetConfiguration", {}]"#.into(), Error("c09", ProtocolError)),
        ("message type as a string", r#"["2", "c10", "GetConfiguration", {}]"#.into(), Error("c10", ProtocolError)),
        ("unique id of 37 characters", format!(r#"[2, "{id37}", "GetConfiguration", {{}}]"#), Error("-1", ProtocolError)),
        ("unique id of 36 characters is fine", format!(r#"[2, "{id36}", "GetConfiguration", {{"key": ["NumberOfConnectors"]}}]"#), Result(id36)),
        ("unique id a number", r#"[2, 12, "GetConfiguration", {}]"#.into(), Error("-1", ProtocolError)),
        ("unique id null", r#"[2, null, "GetConfiguration", {}]"#.into(), Error("-1", ProtocolError)),
        ("action not a string", r#"[2, "c15", 15, {}]"#.into(), Error("c15", ProtocolError)),
        ("payload an array", r#"[2, "c16", "GetConfiguration", []]"#.into(), Error("c16", FormationViolation)),
        ("payload a string", r#"[2, "c17", "GetConfiguration", "{}"]"#.into(), Error("c17", FormationViolation)),
        ("payload null", r#"[2, "c18", "GetConfiguration", null]"#.into(), Error("c18", FormationViolation)),
        // --- actions ---
        ("unknown action", r#"[2, "c19", "MakeCoffee", {}]"#.into(), Error("c19", NotImplemented)),
        ("action in the wrong case", r#"[2, "c20", "getconfiguration", {}]"#.into(), Error("c20", NotImplemented)),
        ("Heartbeat sent to a charge point", r#"[2, "c21", "Heartbeat", {}]"#.into(), Error("c21", NotSupported)),
        ("BootNotification sent to a charge point", r#"[2, "c22", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]"#.into(), Error("c22", NotSupported)),
        ("DataTransfer from the Central System is answered", r#"[2, "c23", "DataTransfer", {"vendorId": "com.example"}]"#.into(), Result("c23".into())),
        // --- payloads ---
        ("required field missing", r#"[2, "c24", "ChangeConfiguration", {"key": "HeartbeatInterval"}]"#.into(), Error("c24", OccurenceConstraintViolation)),
        ("every required field missing", r#"[2, "c25", "ChangeConfiguration", {}]"#.into(), Error("c25", OccurenceConstraintViolation)),
        ("number for a string", r#"[2, "c26", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": 10}]"#.into(), Error("c26", TypeConstraintViolation)),
        ("string for an array", r#"[2, "c27", "GetConfiguration", {"key": "HeartbeatInterval"}]"#.into(), Error("c27", TypeConstraintViolation)),
        ("null for a required string", r#"[2, "c28", "ChangeConfiguration", {"key": null, "value": "1"}]"#.into(), Error("c28", TypeConstraintViolation)),
        ("1.5 for an integer", r#"[2, "c29", "UnlockConnector", {"connectorId": 1.5}]"#.into(), Error("c29", TypeConstraintViolation)),
        ("bad date", r#"[2, "c30", "ReserveNow", {"connectorId": 1, "expiryDate": "yesterday", "idTag": "T", "reservationId": 1}]"#.into(), Error("c30", TypeConstraintViolation)),
        ("key longer than 50", format!(r#"[2, "c31", "ChangeConfiguration", {{"key": "{key51}", "value": "1"}}]"#), Error("c31", PropertyConstraintViolation)),
        ("value longer than 500", format!(r#"[2, "c32", "ChangeConfiguration", {{"key": "HeartbeatInterval", "value": "{value501}"}}]"#), Error("c32", PropertyConstraintViolation)),
        ("bad enum (Reset type Warm)", r#"[2, "c33", "Reset", {"type": "Warm"}]"#.into(), Error("c33", PropertyConstraintViolation)),
        ("integer beyond 32 bits", r#"[2, "c34", "UnlockConnector", {"connectorId": 99999999999}]"#.into(), Error("c34", PropertyConstraintViolation)),
        ("extra property", r#"[2, "c35", "GetConfiguration", {"color": "red"}]"#.into(), Error("c35", FormationViolation)),
        ("extra property next to valid ones", r#"[2, "c36", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "77", "force": true}]"#.into(), Error("c36", FormationViolation)),
        // --- null for an optional field: no 1.6 schema allows null (these were once taken as absent) ---
        ("null connectorId on RemoteStartTransaction", r#"[2, "c41", "RemoteStartTransaction", {"connectorId": null, "idTag": "X"}]"#.into(), Error("c41", TypeConstraintViolation)),
        ("null key list on GetConfiguration", r#"[2, "c42", "GetConfiguration", {"key": null}]"#.into(), Error("c42", TypeConstraintViolation)),
        ("null chargingRateUnit on GetCompositeSchedule", r#"[2, "c43", "GetCompositeSchedule", {"connectorId": 1, "duration": 60, "chargingRateUnit": null}]"#.into(), Error("c43", TypeConstraintViolation)),
        ("null startSchedule in a charging profile", r#"[2, "c44", "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": {"chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute", "chargingSchedule": {"chargingRateUnit": "A", "startSchedule": null, "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}}]"#.into(), Error("c44", TypeConstraintViolation)),
        ("null idTagInfo in a local list entry", r#"[2, "c45", "SendLocalList", {"listVersion": 1, "updateType": "Full", "localAuthorizationList": [{"idTag": "A", "idTagInfo": null}]}]"#.into(), Error("c45", TypeConstraintViolation)),
        ("null retries on GetDiagnostics", r#"[2, "c46", "GetDiagnostics", {"location": "ftp://127.0.0.1/", "retries": null}]"#.into(), Error("c46", TypeConstraintViolation)),
        ("location not a URI", r#"[2, "c47", "GetDiagnostics", {"location": "not a uri"}]"#.into(), Error("c47", TypeConstraintViolation)),
        // --- answers: never answered ---
        ("CALLRESULT for no CALL", r#"[3, "c37", {}]"#.into(), Nothing),
        ("CALLERROR for no CALL", r#"[4, "c38", "GenericError", "", {}]"#.into(), Nothing),
        ("CALLRESULT with an array payload", r#"[3, "c39", []]"#.into(), Nothing),
        ("CALLERROR with 4 elements", r#"[4, "c40", "GenericError", ""]"#.into(), Nothing),
    ]
}

/// The station's answer as JSON: [type, id, ...].
fn as_array(text: &str) -> Vec<Value> {
    match serde_json::from_str(text) {
        Ok(Value::Array(items)) => items,
        _ => panic!("the station answered with something that is no JSON array: {text}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_frames_get_the_right_call_error() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let cases = cases();
    assert!(cases.len() >= 20);

    let mut failures = Vec::new();
    for (n, (name, text, expect)) in cases.into_iter().enumerate() {
        h.csms.send_text(ID, text.clone()).await.expect("send");
        if let Expect::Nothing = expect {
            // A probe right behind it: its answer must be the next thing the station sends.
            let probe = format!("probe-{n}");
            let call = json!([2, probe, "GetConfiguration", {"key": ["NumberOfConnectors"]}]);
            h.csms.send_text(ID, call.to_string()).await.expect("send");
            loop {
                match h.next_text(T).await {
                    Some((_, Some(Frame::CallResult(r)))) if r.unique_id == probe => break,
                    Some((text, _)) => {
                        failures.push(format!("{name}: expected no answer, got {text}"))
                    }
                    None => {
                        failures.push(format!("{name}: no answer to the probe behind it"));
                        break;
                    }
                }
            }
            continue;
        }
        let Some((answer, frame)) = h.next_text(T).await else {
            failures.push(format!("{name}: no answer to {text}"));
            continue;
        };
        let items = as_array(&answer);
        let ok = match &expect {
            Expect::Error(id, code) => {
                let valid = matches!(&frame, Some(Frame::CallError(e))
                    if e.unique_id == *id && e.error_code == *code);
                valid && items.len() == 5 && items[3].is_string() && items[4].is_object()
            }
            Expect::Result(id) => {
                matches!(&frame, Some(Frame::CallResult(r)) if &r.unique_id == id)
            }
            Expect::Nothing => unreachable!(),
        };
        if !ok {
            let want = match &expect {
                Expect::Error(id, code) => format!("CALLERROR {id} {code}"),
                Expect::Result(id) => format!("CALLRESULT {id}"),
                Expect::Nothing => unreachable!(),
            };
            failures.push(format!("{name}: expected {want}, got {answer}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Nothing was changed by the rejected ChangeConfigurations, and the station still
    // works: a typed round trip through the Central System.
    let answer = h
        .csms
        .call(
            ID,
            ocpp::GetConfigurationRequest {
                key: Some(vec![ocpp::CiString::new("HeartbeatInterval").expect("key")]),
            },
        )
        .await
        .expect("GetConfiguration after the invalid frames");
    let keys = answer.configuration_key.unwrap_or_default();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        keys[0].value.as_ref().map(|v| v.as_str()),
        Some("300"),
        "{keys:?}"
    );
    assert_eq!(h.change_config("HeartbeatInterval", "42").await, "Accepted");
    h.expect_no_calls("after the invalid frames").await;
    h.shutdown().await;
}
