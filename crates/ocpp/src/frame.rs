//! OCPP-J message frames (section 4 of OCPP-J 1.6):
//! `[2, id, action, payload]`, `[3, id, payload]`, `[4, id, code, description, details]`.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::payload::{decode, json_kind, PayloadError};
use crate::{ErrorCode, Request};

/// Maximum length of a message unique id (OCPP-J 4.1.4).
pub const MAX_UNIQUE_ID_LEN: usize = 36;

const CALL: u64 = 2;
const CALL_RESULT: u64 = 3;
const CALL_ERROR: u64 = 4;

/// A parsed OCPP-J message.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A request (message type 2).
    Call(Call),
    /// A successful response (message type 3).
    CallResult(CallResult),
    /// An error response (message type 4).
    CallError(CallError),
}

/// A request. `action` is any string: unknown actions are the receiver's
/// business (answer `NotImplemented`), not a framing error.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub unique_id: String,
    pub action: String,
    /// Always a JSON object when parsed.
    pub payload: Value,
}

/// A successful response.
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    pub unique_id: String,
    /// Always a JSON object when parsed.
    pub payload: Value,
}

/// An error response.
#[derive(Debug, Clone, PartialEq)]
pub struct CallError {
    pub unique_id: String,
    pub error_code: ErrorCode,
    pub error_description: String,
    /// Always a JSON object.
    pub error_details: Value,
}

/// A text frame that is not a valid OCPP-J message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct FrameError {
    /// The frame's unique id, when element 1 was a string.
    pub unique_id: Option<String>,
    /// The CALLERROR code to answer with.
    pub code: ErrorCode,
    pub description: String,
    /// True when the frame was a CALL or its type could not be determined.
    pub was_call: bool,
}

impl FrameError {
    /// The CALLERROR to answer with, or None when the bad frame was recognisably a
    /// CALLRESULT/CALLERROR (never answer those). The unique id is "-1" when unknown.
    /// A too-long but string id is echoed as is so the sender can correlate.
    pub fn to_call_error(&self) -> Option<CallError> {
        if !self.was_call {
            return None;
        }
        // An id that breaks the length limit cannot be echoed: the answer would be invalid too.
        let unique_id = self
            .unique_id
            .clone()
            .filter(|id| id.chars().count() <= MAX_UNIQUE_ID_LEN)
            .unwrap_or_else(|| "-1".to_owned());
        Some(CallError::new(
            unique_id,
            self.code,
            self.description.clone(),
        ))
    }
}

impl Frame {
    /// Parses a text frame. See the crate docs for which error code each defect gets.
    pub fn parse(text: &str) -> Result<Frame, FrameError> {
        let value: Value = serde_json::from_str(text).map_err(|e| FrameError {
            unique_id: None,
            code: ErrorCode::FormationViolation,
            description: format!("not valid JSON: {e}"),
            was_call: true,
        })?;
        let Value::Array(items) = value else {
            return Err(FrameError {
                unique_id: None,
                code: ErrorCode::ProtocolError,
                description: format!("frame must be a JSON array, got {}", json_kind(&value)),
                was_call: true,
            });
        };
        Parser::new(items).parse()
    }

    /// Serializes to the wire text.
    pub fn to_text(&self) -> String {
        let items = match self {
            Frame::Call(c) => vec![
                Value::from(CALL),
                Value::from(c.unique_id.as_str()),
                Value::from(c.action.as_str()),
                c.payload.clone(),
            ],
            Frame::CallResult(r) => vec![
                Value::from(CALL_RESULT),
                Value::from(r.unique_id.as_str()),
                r.payload.clone(),
            ],
            Frame::CallError(e) => vec![
                Value::from(CALL_ERROR),
                Value::from(e.unique_id.as_str()),
                Value::from(e.error_code.as_str()),
                Value::from(e.error_description.as_str()),
                e.error_details.clone(),
            ],
        };
        // Display of a Value is infallible, unlike serde_json::to_string.
        Value::Array(items).to_string()
    }

    /// The message's unique id.
    pub fn unique_id(&self) -> &str {
        match self {
            Frame::Call(c) => &c.unique_id,
            Frame::CallResult(r) => &r.unique_id,
            Frame::CallError(e) => &e.unique_id,
        }
    }
}

/// State for checking one array frame element by element.
struct Parser {
    items: Vec<Value>,
    unique_id: Option<String>,
    was_call: bool,
}

impl Parser {
    fn new(items: Vec<Value>) -> Parser {
        // Remember the id early so even a malformed frame can be answered.
        let unique_id = items.get(1).and_then(Value::as_str).map(str::to_owned);
        Parser {
            items,
            unique_id,
            was_call: true,
        }
    }

    fn fail(&self, code: ErrorCode, description: impl Into<String>) -> FrameError {
        FrameError {
            unique_id: self.unique_id.clone(),
            code,
            description: description.into(),
            was_call: self.was_call,
        }
    }

    fn parse(mut self) -> Result<Frame, FrameError> {
        let message_type = match self.items.first() {
            Some(Value::Number(n)) => n.as_u64(),
            _ => None,
        };
        let expected_len = match message_type {
            Some(CALL) => 4,
            Some(CALL_RESULT) => 3,
            Some(CALL_ERROR) => 5,
            _ => {
                let found = self
                    .items
                    .first()
                    .map_or("nothing".to_owned(), Value::to_string);
                return Err(self.fail(
                    ErrorCode::ProtocolError,
                    format!("unknown message type {found}"),
                ));
            }
        };
        self.was_call = message_type == Some(CALL);
        if self.items.len() != expected_len {
            return Err(self.fail(
                ErrorCode::ProtocolError,
                format!(
                    "message type {} needs {expected_len} elements, got {}",
                    message_type.unwrap_or_default(),
                    self.items.len()
                ),
            ));
        }
        let unique_id = self.unique_id()?;
        // Take the elements by value: no clone of a possibly large payload.
        let mut rest = std::mem::take(&mut self.items).into_iter().skip(2);
        let mut next = || rest.next().unwrap_or(Value::Null);
        match message_type {
            Some(CALL) => {
                let Value::String(action) = next() else {
                    return Err(self.fail(ErrorCode::ProtocolError, "action must be a string"));
                };
                let payload = self.object(next(), "payload")?;
                Ok(Frame::Call(Call {
                    unique_id,
                    action,
                    payload,
                }))
            }
            Some(CALL_RESULT) => {
                let payload = self.object(next(), "payload")?;
                Ok(Frame::CallResult(CallResult { unique_id, payload }))
            }
            _ => {
                let Value::String(code) = next() else {
                    return Err(self.fail(ErrorCode::ProtocolError, "errorCode must be a string"));
                };
                let Value::String(error_description) = next() else {
                    return Err(self.fail(
                        ErrorCode::FormationViolation,
                        "errorDescription must be a string",
                    ));
                };
                let error_details = self.object(next(), "errorDetails")?;
                Ok(Frame::CallError(CallError {
                    unique_id,
                    error_code: ErrorCode::from_wire(&code),
                    error_description,
                    error_details,
                }))
            }
        }
    }

    fn unique_id(&self) -> Result<String, FrameError> {
        let Some(id) = &self.unique_id else {
            return Err(self.fail(ErrorCode::ProtocolError, "unique id must be a string"));
        };
        let len = id.chars().count();
        if len > MAX_UNIQUE_ID_LEN {
            return Err(self.fail(
                ErrorCode::ProtocolError,
                format!("unique id has {len} characters, maximum is {MAX_UNIQUE_ID_LEN}"),
            ));
        }
        Ok(id.clone())
    }

    fn object(&self, value: Value, what: &str) -> Result<Value, FrameError> {
        if value.is_object() {
            Ok(value)
        } else {
            Err(self.fail(
                ErrorCode::FormationViolation,
                format!("{what} must be a JSON object, got {}", json_kind(&value)),
            ))
        }
    }
}

impl Call {
    /// Builds a CALL for a typed request.
    pub fn new<R: Request>(unique_id: impl Into<String>, req: &R) -> Call {
        Call {
            unique_id: unique_id.into(),
            action: R::ACTION.as_str().to_owned(),
            payload: to_payload(req),
        }
    }

    /// Decodes the payload as `R`. The action is not compared: callers dispatch
    /// on `action` (via [`crate::Action::from_name`]) before decoding.
    pub fn decode<R: Request>(&self) -> Result<R, PayloadError> {
        decode(&self.payload)
    }
}

impl CallResult {
    /// Builds a CALLRESULT for a typed response.
    pub fn new<T: Serialize>(unique_id: impl Into<String>, resp: &T) -> CallResult {
        CallResult {
            unique_id: unique_id.into(),
            payload: to_payload(resp),
        }
    }

    /// Decodes the payload as `T`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, PayloadError> {
        decode(&self.payload)
    }
}

impl CallError {
    /// Builds a CALLERROR with empty details (`{}`).
    pub fn new(
        unique_id: impl Into<String>,
        code: ErrorCode,
        description: impl Into<String>,
    ) -> CallError {
        CallError {
            unique_id: unique_id.into(),
            error_code: code,
            error_description: description.into(),
            error_details: Value::Object(Map::new()),
        }
    }
}

impl From<Call> for Frame {
    fn from(c: Call) -> Frame {
        Frame::Call(c)
    }
}

impl From<CallResult> for Frame {
    fn from(r: CallResult) -> Frame {
        Frame::CallResult(r)
    }
}

impl From<CallError> for Frame {
    fn from(e: CallError) -> Frame {
        Frame::CallError(e)
    }
}

/// Serializes a message payload.
///
/// # Panics
/// Only if `T`'s `Serialize` fails, which this crate's message types never do
/// (plain structs, string keys); a custom type that does is a programming error.
pub fn to_payload<T: Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).expect("OCPP payload types always serialize to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        BootNotificationRequest, BootNotificationResponse, HeartbeatRequest, RegistrationStatus,
    };
    use serde_json::json;

    fn round_trip(text: &str) -> Frame {
        let frame = Frame::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(Frame::parse(&frame.to_text()).as_ref(), Ok(&frame));
        frame
    }

    #[test]
    fn call_round_trips() {
        let frame = round_trip(
            r#"[2, "19223201", "BootNotification", {"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger"}]"#,
        );
        let Frame::Call(call) = &frame else {
            panic!("not a call: {frame:?}");
        };
        assert_eq!(frame.unique_id(), "19223201");
        assert_eq!(call.action, "BootNotification");
        let req: BootNotificationRequest = call.decode().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.charge_point_vendor, "VendorX");
        assert_eq!(req.charge_point_serial_number, None);
    }

    #[test]
    fn typed_call_serializes_exactly() {
        let call = Call::new("1", &HeartbeatRequest {});
        assert_eq!(Frame::from(call).to_text(), r#"[2,"1","Heartbeat",{}]"#);
    }

    #[test]
    fn call_result_round_trips() {
        let resp = BootNotificationResponse {
            status: RegistrationStatus::Accepted,
            current_time: chrono::DateTime::UNIX_EPOCH,
            interval: 300,
        };
        let frame = Frame::from(CallResult::new("abc", &resp));
        // Compared as JSON: key order depends on serde_json's preserve_order feature.
        let text: Value = serde_json::from_str(&frame.to_text()).unwrap_or_default();
        assert_eq!(
            text,
            json!([3, "abc", {"currentTime": "1970-01-01T00:00:00.000Z", "interval": 300, "status": "Accepted"}])
        );
        let Frame::CallResult(result) = round_trip(&frame.to_text()) else {
            panic!("not a call result");
        };
        assert_eq!(result.decode::<BootNotificationResponse>(), Ok(resp));
    }

    #[test]
    fn call_error_round_trips_and_keeps_unknown_codes_lenient() {
        let frame = round_trip(r#"[4, "7", "NotImplemented", "no such action", {"hint": 1}]"#);
        let Frame::CallError(err) = frame else {
            panic!("not a call error");
        };
        assert_eq!(err.error_code, ErrorCode::NotImplemented);
        assert_eq!(err.error_details, json!({"hint": 1}));

        let frame = round_trip(r#"[4, "8", "SomethingNew", "", {}]"#);
        let Frame::CallError(err) = frame else {
            panic!("not a call error");
        };
        assert_eq!(err.error_code, ErrorCode::GenericError);
    }

    #[test]
    fn call_error_new_has_empty_details() {
        let err = CallError::new("9", ErrorCode::InternalError, "boom");
        assert_eq!(
            Frame::from(err).to_text(),
            r#"[4,"9","InternalError","boom",{}]"#
        );
    }

    #[test]
    fn a_too_long_id_is_answered_as_unreadable() {
        let id = "x".repeat(MAX_UNIQUE_ID_LEN + 1);
        let err = Frame::parse(&format!(r#"[2, "{id}", "Heartbeat", {{}}]"#)).unwrap_err();
        let answer = err.to_call_error().unwrap();
        assert_eq!(answer.unique_id, "-1");
        assert_eq!(answer.error_code, ErrorCode::ProtocolError);
    }

    #[test]
    fn accepts_max_length_id_and_any_action() {
        let id = "x".repeat(MAX_UNIQUE_ID_LEN);
        let frame = round_trip(&format!(r#"[2, "{id}", "NoSuchAction", {{}}]"#));
        assert_eq!(frame.unique_id(), id);
    }

    #[test]
    fn frame_errors_answer_only_calls() {
        let call_err = Frame::parse(r#"[2, "42", "Heartbeat"]"#).err();
        let answer = call_err.and_then(|e| e.to_call_error());
        assert_eq!(
            answer.map(|a| (a.unique_id, a.error_code)),
            Some(("42".to_owned(), ErrorCode::ProtocolError))
        );

        let not_json = Frame::parse("{").err().and_then(|e| e.to_call_error());
        assert_eq!(
            not_json.map(|a| (a.unique_id, a.error_code)),
            Some(("-1".to_owned(), ErrorCode::FormationViolation))
        );

        let bad_result = Frame::parse(r#"[3, "42", []]"#).err();
        assert_eq!(bad_result.as_ref().map(|e| e.was_call), Some(false));
        assert_eq!(bad_result.and_then(|e| e.to_call_error()), None);
    }
}
