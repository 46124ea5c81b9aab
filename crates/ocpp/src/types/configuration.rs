//! Configuration keys.

use serde::{Deserialize, Serialize};

use crate::wire_enum::wire_enum;
use crate::CiString;

/// One configuration key and its value (`KeyValue`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyValue {
    pub key: CiString<50>,
    pub readonly: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<CiString<500>>,
}

wire_enum! {
    /// Result of ChangeConfiguration (`ConfigurationStatus`).
    ConfigurationStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
        RebootRequired = "RebootRequired",
        NotSupported = "NotSupported",
    }
}
