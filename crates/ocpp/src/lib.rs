//! OCPP 1.6-J messages and frames for a charge point (and its Central System).
//!
//! Pure data: no IO, no async. Everything here can be fed untrusted input.
//!
//! # Modules
//! - [`frame`]: the OCPP-J array frames (`Frame`, `Call`, `CallResult`,
//!   `CallError`), `Frame::parse` / `Frame::to_text`, and `FrameError`, which
//!   knows the CALLERROR to answer a broken frame with.
//! - [`decode()`] / [`PayloadError`]: typed decoding of a payload, with the
//!   OCPP error code for each failure.
//! - [`Action`]: the 39 action names; [`Request`]: ties a request type to its
//!   action and response type.
//! - [`validate_request`] / [`validate_response`]: decode-check a payload for
//!   an action known only at run time.
//! - `messages` (flattened into the root): `XRequest` / `XResponse` for every
//!   action, one file each.
//! - `types` (flattened into the root): shared enums and structs, by topic.
//! - [`CiString`] / [`IdToken`]: length-checked strings; [`datetime`]: the
//!   date-time wire format (RFC 3339, milliseconds, `Z`).
//!
//! # Error mapping
//! [`Frame::parse`]:
//! - not JSON: `FormationViolation`;
//! - not an array, message type not 2/3/4, wrong element count (4/3/5), unique
//!   id not a string or longer than [`MAX_UNIQUE_ID_LEN`], action or error code
//!   not a string: `ProtocolError`;
//! - payload, `errorDetails` not an object, `errorDescription` not a string:
//!   `FormationViolation`.
//!
//! An unknown action is not a frame error: `Action::from_name` returns `None`
//! and the receiver answers `NotImplemented`.
//!
//! [`decode`] (payloads):
//! - payload not an object, unknown property (`additionalProperties: false`):
//!   `FormationViolation`;
//! - required field missing, empty array where `minItems: 1`:
//!   `OccurenceConstraintViolation`;
//! - wrong JSON type (string for integer, `1.5` for an integer, an array
//!   where an object is expected, ...), and a
//!   date-time string that is not RFC 3339 (the schema types it as a
//!   `date-time` string): `TypeConstraintViolation`;
//! - string longer than its `CiString` maximum, value not in the enum, number
//!   not a multiple of 0.1 where required, integer out of `i32` range:
//!   `PropertyConstraintViolation`.
//!
//! `null` is a `TypeConstraintViolation` wherever it appears: no OCPP 1.6
//! schema allows it, and an optional field is left out, not set to `null`.
//!
//! A `uri` that is not an absolute RFC 3986 URI is a `TypeConstraintViolation`, like a
//! malformed date-time.
//!
//! # Example
//! ```
//! use ocpp::{Action, BootNotificationRequest, CallError, CallResult, ErrorCode, Frame};
//!
//! let text = r#"[2, "42", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]"#;
//! let reply = match Frame::parse(text) {
//!     Ok(Frame::Call(call)) => match Action::from_name(&call.action) {
//!         Some(Action::BootNotification) => match call.decode::<BootNotificationRequest>() {
//!             Ok(_req) => Frame::from(CallResult::new(&call.unique_id, &serde_json::json!({}))),
//!             Err(e) => Frame::from(CallError::new(&call.unique_id, e.code, e.description)),
//!         },
//!         _ => Frame::from(CallError::new(&call.unique_id, ErrorCode::NotImplemented, "")),
//!     },
//!     Ok(_) => return,
//!     Err(e) => match e.to_call_error() {
//!         Some(answer) => Frame::from(answer),
//!         None => return,
//!     },
//! };
//! assert!(reply.to_text().starts_with(r#"[3,"42","#));
//! ```
//!
//! # Security extension type names
//! From the schemas' definitions without the `EnumType`/`Type` suffix:
//! [`CertificateUse`], [`HashAlgorithm`], [`CertificateHashData`],
//! [`InstallCertificateStatus`] (alias [`CertificateStatus`]),
//! [`DeleteCertificateStatus`], [`GetInstalledCertificateStatus`],
//! [`CertificateSignedStatus`], [`GenericStatus`], [`LogType`],
//! [`LogParameters`], [`LogStatus`], [`UploadLogStatus`], [`Firmware`],
//! [`UpdateFirmwareStatus`], [`SignedFirmwareStatus`],
//! [`MessageTriggerExtended`] and [`ExtendedTriggerMessageStatus`] (alias of
//! [`TriggerMessageStatus`], same values).

mod action;
mod cistring;
pub mod datetime;
mod dispatch;
mod error_code;
pub mod frame;
mod messages;
mod payload;
mod request;
mod strict;
mod types;
pub mod validate;
mod wire_enum;

pub use action::{Action, UnknownAction};
pub use cistring::{CiString, CiStringError, IdToken};
pub use dispatch::{validate_request, validate_response, AnyRequest};
pub use error_code::{ErrorCode, UnknownErrorCode};
pub use frame::{Call, CallError, CallResult, Frame, FrameError, MAX_UNIQUE_ID_LEN};
pub use messages::*;
pub use payload::{decode, PayloadError, Refusal};
pub use request::Request;
pub use types::*;
pub use wire_enum::UnknownVariant;
