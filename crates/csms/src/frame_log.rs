//! What the log (and the panel) shows of a frame: one line of JSON per frame, with the
//! write-only AuthorizationKey taken out.
//!
//! One JSON object per line, not a Rust debug struct, so that `grep` finds a station or an
//! action and `jq` reads the line as it is:
//! `{"station":"CP1","dir":"<-","frame":[2,"19","BootNotification",{...}]}`. `dir` is seen
//! from the Central System: `<-` received from the station, `->` sent to it.

use std::borrow::Cow;

use ocpp::Frame;
use serde_json::Value;

use crate::Direction;

/// The log line of one frame. A frame that is not valid OCPP-J is kept as a string under
/// `"invalid"` instead of `"frame"`, so the line is JSON whatever the station sent.
pub fn frame_line(
    station: &str,
    direction: Direction,
    text: &str,
    frame: Option<&Frame>,
) -> String {
    let text = redact(text, frame);
    let station = Value::from(station).to_string();
    match frame {
        Some(_) => format!(
            r#"{{"station":{station},"dir":"{direction}","frame":{}}}"#,
            one_line(&text)
        ),
        None => format!(
            r#"{{"station":{station},"dir":"{direction}","invalid":{}}}"#,
            Value::from(text.as_ref())
        ),
    }
}

/// The frame's JSON on one line: as it came when it already is (keeping its key order),
/// else compacted (a station may send pretty-printed JSON with line breaks).
fn one_line(text: &str) -> Cow<'_, str> {
    if !text.contains(['\n', '\r']) {
        return Cow::Borrowed(text);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Cow::Owned(v.to_string()),
        // Not reached for a parsed frame; stay one line anyway.
        Err(_) => Cow::Owned(text.replace(['\n', '\r'], " ")),
    }
}

/// The frame for a log or a page: the value of a ChangeConfiguration.req of the write-only
/// AuthorizationKey replaced by `"***"` (the station's password must not reach a log).
/// `frame` is `text` parsed (`None` when it is not a valid frame).
pub fn redact<'a>(text: &'a str, frame: Option<&Frame>) -> Cow<'a, str> {
    let call = match frame {
        Some(Frame::Call(call)) => call,
        Some(_) => return Cow::Borrowed(text),
        // Unparsable: it may still carry a key; keep it out of the log as a whole.
        None if text.to_ascii_lowercase().contains("authorizationkey") => {
            return Cow::Borrowed("<unparsable frame naming AuthorizationKey, redacted>")
        }
        None => return Cow::Borrowed(text),
    };
    let secret = call.action == ocpp::Action::ChangeConfiguration.as_str()
        && call
            .payload
            .get("key")
            .and_then(Value::as_str)
            .is_some_and(|k| k.eq_ignore_ascii_case("AuthorizationKey"));
    if !secret {
        return Cow::Borrowed(text);
    }
    let mut call = call.clone();
    if let Some(obj) = call.payload.as_object_mut() {
        obj.insert("value".into(), Value::from("***"));
    }
    Cow::Owned(Frame::Call(call).to_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(text: &str) -> String {
        redact(text, Frame::parse(text).ok().as_ref()).into_owned()
    }

    fn line(direction: Direction, text: &str) -> String {
        frame_line("CP-1", direction, text, Frame::parse(text).ok().as_ref())
    }

    #[test]
    fn the_authorization_key_never_reaches_the_log() {
        let key = "00112233445566778899aabbccddeeff";
        let text = format!(
            r#"[2,"cs1","ChangeConfiguration",{{"key":"AuthorizationKey","value":"{key}"}}]"#
        );
        let out = logged(&text);
        assert!(!out.contains(key), "{out}");
        assert!(out.contains("***"), "{out}");
        assert!(!line(Direction::Sent, &text).contains(key));
        let text = format!(
            r#"[2,"cs1","ChangeConfiguration",{{"key":"authorizationkey","value":"{key}"}}]"#
        );
        assert!(!logged(&text).contains(key));
        let broken =
            format!(r#"[2,"cs1","ChangeConfiguration",{{"key":"AuthorizationKey","value":"{key}""#);
        assert!(!logged(&broken).contains(key));
        assert!(!line(Direction::Sent, &broken).contains(key));
    }

    #[test]
    fn other_frames_are_logged_as_they_are() {
        let text = r#"[2,"cs1","ChangeConfiguration",{"key":"HeartbeatInterval","value":"60"}]"#;
        assert_eq!(logged(text), text);
        let text = r#"[3,"cs1",{"status":"Accepted"}]"#;
        assert_eq!(logged(text), text);
    }

    #[test]
    fn a_frame_is_one_line_of_json_naming_station_and_direction() {
        let text =
            r#"[2,"19","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#;
        let out = line(Direction::Received, text);
        assert_eq!(
            out,
            r#"{"station":"CP-1","dir":"<-","frame":[2,"19","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]}"#
        );
        let v: Value = serde_json::from_str(&out).expect("the line is JSON");
        assert_eq!(v["frame"][2], "BootNotification");
        assert_eq!(v["dir"], "<-");
        let answer = line(Direction::Sent, r#"[3,"19",{"status":"Accepted"}]"#);
        assert!(answer.contains(r#""dir":"->""#), "{answer}");
    }

    #[test]
    fn pretty_printed_and_invalid_frames_stay_on_one_line() {
        let text = "[2,\n \"7\",\n \"Heartbeat\",\n {}\n]";
        let out = line(Direction::Received, text);
        assert!(!out.contains('\n'), "{out}");
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap()["frame"],
            serde_json::json!([2, "7", "Heartbeat", {}])
        );
        let out = line(Direction::Received, "not json\nat all \"quoted\"");
        assert!(!out.contains('\n'), "{out}");
        let v: Value = serde_json::from_str(&out).expect("the line is JSON");
        assert_eq!(v["invalid"], "not json\nat all \"quoted\"");
        let odd = frame_line("CP \"1\"", Direction::Sent, "[3,\"1\",{}]", None);
        assert_eq!(
            serde_json::from_str::<Value>(&odd).unwrap()["station"],
            "CP \"1\""
        );
    }
}
