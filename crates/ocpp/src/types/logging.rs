//! Security extension: log upload (GetLog / LogStatusNotification).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::wire_enum::wire_enum;
use crate::CiString;

wire_enum! {
    /// Which log to upload (`LogEnumType`).
    LogType {
        DiagnosticsLog = "DiagnosticsLog",
        SecurityLog = "SecurityLog",
    }
}

/// Where to upload which part of a log (`LogParametersType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogParameters {
    pub remote_location: CiString<512>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::datetime::option"
    )]
    pub oldest_timestamp: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::datetime::option"
    )]
    pub latest_timestamp: Option<DateTime<Utc>>,
}

wire_enum! {
    /// Result of GetLog (`LogStatusEnumType`).
    LogStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
        AcceptedCanceled = "AcceptedCanceled",
    }
}

wire_enum! {
    /// Progress of a log upload (`UploadLogStatusEnumType`).
    UploadLogStatus {
        BadMessage = "BadMessage",
        Idle = "Idle",
        NotSupportedOperation = "NotSupportedOperation",
        PermissionDenied = "PermissionDenied",
        Uploaded = "Uploaded",
        UploadFailure = "UploadFailure",
        Uploading = "Uploading",
    }
}
