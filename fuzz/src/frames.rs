//! Target `frames`: what a receiver does with one text frame (see `crates/ocpp/src/lib.rs`
//! and `crates/ocpp/tests/fuzz.rs`): parse it, answer a broken CALL, decode CALL and
//! CALLRESULT payloads. Checked: no panic; a parsed frame survives `to_text` + `parse`; a
//! frame error has an answer exactly when it was a CALL; a payload that decodes as some
//! message type re-serializes into one that decodes to the same value, under every action.

use crate::gen::{date, id_tag, json, maybe_mutate, one_in, pick, small_id};
use crate::grammar::{any_object, cs_answer, cs_request};
use arbitrary::{Result, Unstructured};
use chrono::{DateTime, Utc};
use ocpp::{Action, Frame};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Debug;

/// Entry point of the target: raw text a quarter of the time (the JSON parser and the frame
/// checks), otherwise a frame built from the grammar (deep into the payload types).
pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 4 == 0 {
        // A WebSocket text frame is UTF-8; other bytes never reach the parser.
        if let Ok(text) = std::str::from_utf8(rest) {
            receive(text);
        }
        return;
    }
    let mut u = Unstructured::new(rest);
    if let Ok(text) = structured(&mut u) {
        receive(&text);
    }
}

/// A frame of any type and action whose payload comes from the grammars, maybe broken.
fn structured(u: &mut Unstructured) -> Result<String> {
    let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
    let action = pick(u, &Action::ALL)?;
    let name = if one_in(u, 16)? {
        "NoSuchAction".to_owned()
    } else {
        action.as_str().to_owned()
    };
    let id = if one_in(u, 16)? {
        crate::gen::string(u)?
    } else {
        "id-1".to_owned()
    };
    let mut payload = match u.int_in_range(0..=3)? {
        0 => cs_request(u, action, now)?,
        1 => cs_answer(u, action, now)?,
        2 => cp_request(u, action, now)?,
        _ => any_object(u)?,
    };
    maybe_mutate(u, &mut payload)?;
    let frame = match u.int_in_range(0..=3)? {
        0 | 1 => json!([2, id, name, payload]),
        2 => json!([3, id, payload]),
        _ => json!([4, id, "GenericError", "", payload]),
    };
    let mut text = frame.to_string();
    if one_in(u, 8)? {
        // A textual cut: broken JSON with a recognisable frame start.
        let cut = u.int_in_range(0..=text.len())?;
        text = text
            .char_indices()
            .take_while(|(i, _)| *i < cut)
            .map(|(_, c)| c)
            .collect();
    }
    Ok(text)
}

/// Requests a charge point sends, for the richer payload types (meter values above all).
fn cp_request(u: &mut Unstructured, action: Action, now: DateTime<Utc>) -> Result<Value> {
    Ok(match action {
        Action::MeterValues => json!({
            "connectorId": crate::gen::connector(u)?, "meterValue": [meter_value(u, now)?],
        }),
        Action::StartTransaction => json!({
            "connectorId": 1, "idTag": id_tag(u)?, "meterStart": small_id(u)?,
            "timestamp": date(u, now)?,
        }),
        Action::StopTransaction => json!({
            "transactionId": small_id(u)?, "meterStop": small_id(u)?, "timestamp": date(u, now)?,
            "reason": pick(u, &["Local", "Remote", "EVDisconnected", "PowerLoss", "Other"])?,
            "transactionData": [meter_value(u, now)?],
        }),
        Action::StatusNotification => json!({
            "connectorId": 1, "errorCode": pick(u, &["NoError", "GroundFailure", "OtherError"])?,
            "status": pick(u, &["Available", "Preparing", "Charging", "SuspendedEV", "Faulted"])?,
        }),
        _ => json(u, 3)?,
    })
}

fn meter_value(u: &mut Unstructured, now: DateTime<Utc>) -> Result<Value> {
    let mut sample = json!({ "value": pick(u, &["1000", "12.5", "", "x"])? });
    let fields: [(&str, &[&str]); 6] = [
        (
            "context",
            &[
                "Sample.Periodic",
                "Transaction.Begin",
                "Sample.Clock",
                "Trigger",
            ],
        ),
        ("format", &["Raw", "SignedData"]),
        (
            "measurand",
            &[
                "Energy.Active.Import.Register",
                "Power.Active.Import",
                "SoC",
            ],
        ),
        ("phase", &["L1", "L1-N", "N"]),
        ("location", &["Outlet", "EV", "Body"]),
        ("unit", &["Wh", "kWh", "W", "Percent", "Celsius"]),
    ];
    for (field, values) in fields {
        if u.arbitrary()? {
            sample[field] = Value::from(pick(u, values)?);
        }
    }
    Ok(json!({ "timestamp": date(u, now)?, "sampledValue": [sample] }))
}

/// Parse `text` as a receiver does and check the invariants.
pub fn receive(text: &str) {
    match Frame::parse(text) {
        Ok(frame) => {
            let again = Frame::parse(&frame.to_text());
            assert_eq!(
                again.as_ref(),
                Ok(&frame),
                "re-serialization changed {text}"
            );
            match &frame {
                Frame::Call(call) => every_action(&call.payload, true),
                Frame::CallResult(result) => every_action(&result.payload, false),
                Frame::CallError(_) => {}
            }
        }
        Err(err) => {
            let answer = err.to_call_error();
            assert_eq!(
                answer.is_some(),
                err.was_call,
                "answer iff CALL: {err:?} for {text}"
            );
            if let Some(answer) = answer {
                let answer = Frame::from(answer).to_text();
                assert!(
                    Frame::parse(&answer).is_ok(),
                    "answer {answer} to {text} does not parse"
                );
            }
        }
    }
}

/// Decode the payload as the request (or response) of every action.
fn every_action(payload: &Value, request: bool) {
    for action in Action::ALL {
        let checked = if request {
            ocpp::validate_request(action, payload)
        } else {
            ocpp::validate_response(action, payload)
        };
        let decoded = round_trip(action, request, payload);
        assert_eq!(
            checked.is_ok(),
            decoded,
            "validate and decode disagree on {action:?} {payload}"
        );
    }
}

/// Whether `payload` decodes as `T`; if it does, the value re-serializes into a payload
/// that decodes to the same value (what we send is what we would accept).
fn check<T: DeserializeOwned + Serialize + PartialEq + Debug>(payload: &Value) -> bool {
    let Ok(value) = ocpp::decode::<T>(payload) else {
        return false;
    };
    let encoded = match serde_json::to_value(&value) {
        Ok(v) => v,
        Err(e) => panic!("decoded {value:?} from {payload} does not serialize: {e}"),
    };
    match ocpp::decode::<T>(&encoded) {
        Ok(again) => assert_eq!(again, value, "round trip changed {payload} into {encoded}"),
        Err(e) => panic!("{payload} decoded, its re-serialization {encoded} does not: {e}"),
    }
    true
}

macro_rules! round_trips {
    ($($name:ident: $req:ident, $resp:ident;)*) => {
        fn round_trip(action: Action, request: bool, payload: &Value) -> bool {
            match (action, request) {
                $((Action::$name, true) => check::<ocpp::$req>(payload),
                  (Action::$name, false) => check::<ocpp::$resp>(payload),)*
            }
        }
    };
}

ocpp::for_each_action!(round_trips);
