//! Diagnostics and (unsigned) firmware status.

use crate::wire_enum::wire_enum;

wire_enum! {
    /// Diagnostics upload status (`DiagnosticsStatus`).
    DiagnosticsStatus {
        Idle = "Idle",
        Uploaded = "Uploaded",
        UploadFailed = "UploadFailed",
        Uploading = "Uploading",
    }
}

wire_enum! {
    /// Firmware update status (`FirmwareStatus`).
    FirmwareStatus {
        Downloaded = "Downloaded",
        DownloadFailed = "DownloadFailed",
        Downloading = "Downloading",
        Idle = "Idle",
        InstallationFailed = "InstallationFailed",
        Installing = "Installing",
        Installed = "Installed",
    }
}
