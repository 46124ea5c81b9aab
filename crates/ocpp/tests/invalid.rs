//! Table test: malformed frames and invalid payloads map to the exact OCPP error code.

use ocpp::{
    decode, Action, AuthorizeRequest, ErrorCode, Frame, GetInstalledCertificateIdsResponse,
    MeterValuesRequest, PayloadError,
};
use serde_json::Value;

/// Parses a frame, then decodes a CALL payload by its action: the path a
/// receiver takes. Returns the error code the receiver would answer with.
fn receive(text: &str) -> Result<(), ErrorCode> {
    let frame = Frame::parse(text).map_err(|e| e.code)?;
    let Frame::Call(call) = frame else {
        return Ok(());
    };
    let Some(action) = Action::from_name(&call.action) else {
        return Err(ErrorCode::NotImplemented);
    };
    let result: Result<(), PayloadError> = ocpp::validate_request(action, &call.payload);
    result.map_err(|e| e.code)
}

const BOOT: &str = r#""chargePointVendor": "V", "chargePointModel": "M""#;

fn profile(limit: &str, extra: &str) -> String {
    format!(
        r#"[2, "1", "SetChargingProfile", {{"connectorId": 1, "csChargingProfiles": {{
            "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute", "chargingSchedule": {{"chargingRateUnit": "A",
            "chargingSchedulePeriod": [{{"startPeriod": 0, "limit": {limit}}}] {extra} }} }} }}]"#
    )
}

#[test]
fn malformed_frames_and_payloads_get_the_right_code() {
    use ErrorCode::*;
    let long_id = "x".repeat(37);
    let cases: Vec<(&str, String, Result<(), ErrorCode>)> = vec![
        // Frames.
        ("not JSON", "[2, \"1\", ".into(), Err(FormationViolation)),
        ("empty text", "".into(), Err(FormationViolation)),
        ("JSON object, not array", "{}".into(), Err(ProtocolError)),
        ("JSON string", "\"hi\"".into(), Err(ProtocolError)),
        ("empty array", "[]".into(), Err(ProtocolError)),
        ("unknown message type", r#"[5, "1", "Heartbeat", {}]"#.into(), Err(ProtocolError)),
        ("message type as string", r#"["2", "1", "Heartbeat", {}]"#.into(), Err(ProtocolError)),
        ("message type 2.0", r#"[2.0, "1", "Heartbeat", {}]"#.into(), Err(ProtocolError)),
        ("CALL with 3 elements", r#"[2, "1", "Heartbeat"]"#.into(), Err(ProtocolError)),
        ("CALL with 5 elements", r#"[2, "1", "Heartbeat", {}, {}]"#.into(), Err(ProtocolError)),
        ("CALLRESULT with 4 elements", r#"[3, "1", {}, {}]"#.into(), Err(ProtocolError)),
        ("CALLERROR with 4 elements", r#"[4, "1", "GenericError", ""]"#.into(), Err(ProtocolError)),
        ("id too long", format!(r#"[2, "{long_id}", "Heartbeat", {{}}]"#), Err(ProtocolError)),
        ("id not a string", r#"[2, 1, "Heartbeat", {}]"#.into(), Err(ProtocolError)),
        ("action not a string", r#"[2, "1", 7, {}]"#.into(), Err(ProtocolError)),
        ("payload not an object", r#"[2, "1", "Heartbeat", []]"#.into(), Err(FormationViolation)),
        ("payload null", r#"[2, "1", "Heartbeat", null]"#.into(), Err(FormationViolation)),
        ("CALLRESULT payload string", r#"[3, "1", "x"]"#.into(), Err(FormationViolation)),
        ("CALLERROR details array", r#"[4, "1", "GenericError", "", []]"#.into(), Err(FormationViolation)),
        ("CALLERROR description number", r#"[4, "1", "GenericError", 5, {}]"#.into(), Err(FormationViolation)),
        ("CALLERROR code number", r#"[4, "1", 5, "", {}]"#.into(), Err(ProtocolError)),
        // Unknown actions parse; the receiver answers NotImplemented.
        ("unknown action", r#"[2, "1", "MakeCoffee", {}]"#.into(), Err(NotImplemented)),
        ("valid boot", format!(r#"[2, "1", "BootNotification", {{{BOOT}}}]"#), Ok(())),
        // Payloads.
        ("missing field", r#"[2, "1", "BootNotification", {"chargePointVendor": "V"}]"#.into(), Err(OccurenceConstraintViolation)),
        ("missing nested field", r#"[2, "1", "RemoteStartTransaction", {"idTag": "T", "chargingProfile": {"chargingProfileId": 1}}]"#.into(), Err(OccurenceConstraintViolation)),
        ("empty meterValue", r#"[2, "1", "MeterValues", {"connectorId": 1, "meterValue": []}]"#.into(), Err(OccurenceConstraintViolation)),
        ("empty sampledValue", r#"[2, "1", "MeterValues", {"connectorId": 1, "meterValue": [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": []}]}]"#.into(), Err(OccurenceConstraintViolation)),
        ("string for integer", r#"[2, "1", "StartTransaction", {"connectorId": "1", "idTag": "T", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"}]"#.into(), Err(TypeConstraintViolation)),
        ("1.5 for an integer", r#"[2, "1", "StartTransaction", {"connectorId": 1.5, "idTag": "T", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"}]"#.into(), Err(TypeConstraintViolation)),
        ("number for string", r#"[2, "1", "Authorize", {"idTag": 42}]"#.into(), Err(TypeConstraintViolation)),
        ("null for required", r#"[2, "1", "Authorize", {"idTag": null}]"#.into(), Err(TypeConstraintViolation)),
        ("array for object", r#"[2, "1", "RemoteStartTransaction", {"idTag": "T", "chargingProfile": 3}]"#.into(), Err(TypeConstraintViolation)),
        ("array for nested object", r#"[2, "1", "RemoteStartTransaction", {"idTag": "T", "chargingProfile": [1, null, 0, "TxProfile", "Absolute", null, null, null, {"chargingRateUnit": "A", "chargingSchedulePeriod": []}]}]"#.into(), Err(TypeConstraintViolation)),
        ("array for array item object", r#"[2, "1", "MeterValues", {"connectorId": 1, "meterValue": [["2026-01-01T00:00:00Z", [{"value": "1"}]]]}]"#.into(), Err(TypeConstraintViolation)),
        ("number for enum", r#"[2, "1", "StatusNotification", {"connectorId": 1, "errorCode": 3, "status": "Available"}]"#.into(), Err(TypeConstraintViolation)),
        ("null for an optional field", r#"[2, "1", "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0, "reservationId": null, "timestamp": "2026-01-01T00:00:00Z"}]"#.into(), Err(TypeConstraintViolation)),
        ("location not a URI", r#"[2, "1", "GetDiagnostics", {"location": "not a uri"}]"#.into(), Err(TypeConstraintViolation)),
        ("location without a scheme", r#"[2, "1", "UpdateFirmware", {"location": "://", "retrieveDate": "2026-01-01T00:00:00Z"}]"#.into(), Err(TypeConstraintViolation)),
        ("location with user info is a URI", r#"[2, "1", "GetDiagnostics", {"location": "ftp://user:secret@127.0.0.1:2121/diag/"}]"#.into(), Ok(())),
        ("bad date", r#"[2, "1", "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "yesterday"}]"#.into(), Err(TypeConstraintViolation)),
        ("date without zone", r#"[2, "1", "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-01-01T00:00:00"}]"#.into(), Err(TypeConstraintViolation)),
        ("date with offset is fine", r#"[2, "1", "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-01-01T02:00:00+02:00"}]"#.into(), Ok(())),
        ("string too long", r#"[2, "1", "Authorize", {"idTag": "123456789012345678901"}]"#.into(), Err(PropertyConstraintViolation)),
        ("string at max", r#"[2, "1", "Authorize", {"idTag": "12345678901234567890"}]"#.into(), Ok(())),
        ("bad enum", r#"[2, "1", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"}]"#.into(), Err(PropertyConstraintViolation)),
        ("enum wrong case", r#"[2, "1", "StatusNotification", {"connectorId": 1, "errorCode": "noerror", "status": "Available"}]"#.into(), Err(PropertyConstraintViolation)),
        ("bad nested enum", r#"[2, "1", "StopTransaction", {"transactionId": 1, "meterStop": 5, "timestamp": "2026-01-01T00:00:00Z", "transactionData": [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{"value": "1", "unit": "kwh"}]}]}]"#.into(), Err(PropertyConstraintViolation)),
        ("integer out of i32 range", r#"[2, "1", "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 99999999999, "timestamp": "2026-01-01T00:00:00Z"}]"#.into(), Err(PropertyConstraintViolation)),
        ("limit not multiple of 0.1", profile("16.05", ""), Err(PropertyConstraintViolation)),
        ("limit multiple of 0.1", profile("16.1", ""), Ok(())),
        ("minChargingRate not multiple of 0.1", profile("16", r#", "minChargingRate": 0.25"#), Err(PropertyConstraintViolation)),
        ("extra field", format!(r#"[2, "1", "BootNotification", {{{BOOT}, "color": "red"}}]"#), Err(FormationViolation)),
        ("extra nested field", r#"[2, "1", "MeterValues", {"connectorId": 1, "meterValue": [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{"value": "1", "x": 1}]}]}]"#.into(), Err(FormationViolation)),
    ];
    assert!(cases.len() >= 20);
    let mut failures = Vec::new();
    for (name, text, expected) in &cases {
        let got = receive(text);
        if &got != expected {
            failures.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn payload_not_an_object_is_formation_violation() {
    for payload in [
        Value::Null,
        Value::from(1),
        Value::from("x"),
        Value::Array(vec![Value::from("T")]),
    ] {
        let err = decode::<AuthorizeRequest>(&payload).err().map(|e| e.code);
        assert_eq!(err, Some(ErrorCode::FormationViolation), "{payload}");
    }
}

#[test]
fn descriptions_name_the_field() {
    let payload: Value = serde_json::from_str(
        r#"{"connectorId": 1, "meterValue": [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{"value": "1", "unit": "Watts"}]}]}"#,
    )
    .unwrap_or_default();
    let err = decode::<MeterValuesRequest>(&payload).err();
    let description = err.map(|e| e.description).unwrap_or_default();
    assert!(
        description.starts_with("meterValue[0].sampledValue[0].unit"),
        "{description}"
    );

    let err = decode::<AuthorizeRequest>(&serde_json::json!({})).err();
    let description = err.map(|e| e.description).unwrap_or_default();
    assert!(description.contains("idTag"), "{description}");
}

#[test]
fn empty_certificate_list_violates_min_items() {
    let payload = serde_json::json!({"status": "Accepted", "certificateHashData": []});
    let err = decode::<GetInstalledCertificateIdsResponse>(&payload)
        .err()
        .map(|e| e.code);
    assert_eq!(err, Some(ErrorCode::OccurenceConstraintViolation));
    let payload = serde_json::json!({"status": "NotFound"});
    assert!(decode::<GetInstalledCertificateIdsResponse>(&payload).is_ok());
}
