//! The `Request` trait ties a request type to its action and response type.

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Action;

/// A CALL payload type. Implemented by every `XRequest` of this crate.
pub trait Request: Serialize + DeserializeOwned + Clone + Debug + Send + Sync + 'static {
    /// The action carried in the CALL.
    const ACTION: Action;
    /// The CALLRESULT payload type.
    type Response: Serialize + DeserializeOwned + Clone + Debug + Send + Sync + 'static;
}

/// Implements [`Request`] for `$req` (in the caller's module).
macro_rules! impl_request {
    ($req:ident => $resp:ident, $action:ident) => {
        impl $crate::Request for $req {
            const ACTION: $crate::Action = $crate::Action::$action;
            type Response = $resp;
        }
    };
}

pub(crate) use impl_request;
