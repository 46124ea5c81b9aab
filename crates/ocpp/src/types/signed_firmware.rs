//! Security extension: signed firmware update.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::wire_enum::wire_enum;
use crate::CiString;

/// The firmware to install (`FirmwareType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Firmware {
    pub location: CiString<512>,
    #[serde(with = "crate::datetime")]
    pub retrieve_date_time: DateTime<Utc>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::datetime::option"
    )]
    pub install_date_time: Option<DateTime<Utc>>,
    /// PEM.
    pub signing_certificate: CiString<5500>,
    /// Base64.
    pub signature: CiString<800>,
}

wire_enum! {
    /// Result of SignedUpdateFirmware (`UpdateFirmwareStatusEnumType`).
    UpdateFirmwareStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
        AcceptedCanceled = "AcceptedCanceled",
        InvalidCertificate = "InvalidCertificate",
        RevokedCertificate = "RevokedCertificate",
    }
}

wire_enum! {
    /// Progress of a signed firmware update (`FirmwareStatusEnumType` of the
    /// security extension; a superset of the core [`crate::FirmwareStatus`]).
    SignedFirmwareStatus {
        Downloaded = "Downloaded",
        DownloadFailed = "DownloadFailed",
        Downloading = "Downloading",
        DownloadScheduled = "DownloadScheduled",
        DownloadPaused = "DownloadPaused",
        Idle = "Idle",
        InstallationFailed = "InstallationFailed",
        Installing = "Installing",
        Installed = "Installed",
        InstallRebooting = "InstallRebooting",
        InstallScheduled = "InstallScheduled",
        InstallVerificationFailed = "InstallVerificationFailed",
        InvalidSignature = "InvalidSignature",
        SignatureVerified = "SignatureVerified",
    }
}
