//! What goes into the station core and what comes out of it.

use chrono::{DateTime, Utc};
use hal::{ConnectorId, HardwareCommand, HardwareEvent, MeterReading};

/// Something the drivers tell the station about the world.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The WebSocket to the Central System is open.
    Connected,
    /// The WebSocket closed or failed.
    Disconnected,
    /// A text frame from the Central System.
    Received(String),
    /// Something happened at the hardware.
    Hardware(HardwareEvent),
    /// The latest reading of a connector's meter; drivers feed it before `Tick`
    /// so that every sample the station takes is current. Connector 0 is the station's main
    /// meter, for drivers that have one: its clock-aligned values are reported too.
    Meter {
        connector: ConnectorId,
        reading: MeterReading,
    },
    /// Time passed; the station checks its deadlines.
    Tick,
    /// The outcome of an [`Output::Hardware`] `HardwareCommand::Unlock`: whether the cable
    /// lock opened. Drivers report it for every Unlock they carry out; the station answers
    /// the UnlockConnector.req waiting for it.
    UnlockResult {
        connector: ConnectorId,
        unlocked: bool,
    },
    /// A security event the drivers saw (a TLS failure, HTTP 401, ...): logged and, if
    /// critical, sent (see [`crate::security`]). `tech_info` must not carry secrets.
    SecurityEvent {
        kind: crate::SecurityEvent,
        tech_info: Option<String>,
    },
    /// The drivers could not connect with the SecurityProfile the Central System just set
    /// and went back to `profile`, the one that worked (the whitepaper's fallback): the
    /// station sets the key back, persists it and raises a security event. `reason` is the
    /// last connection error (no secrets).
    SecurityProfileFallback { profile: u8, reason: String },
    /// The outcome of [`Output::DownloadFirmware`] of job `job` (Err: why it failed, no
    /// secrets). Inputs for a job that is not the current one are ignored.
    FirmwareDownloaded {
        job: u64,
        result: Result<(), String>,
    },
    /// The outcome of [`Output::VerifyFirmware`]: whether the signature is valid.
    FirmwareVerified { job: u64, valid: bool },
    /// The outcome of [`Output::InstallFirmware`] (Err: why the installation failed).
    FirmwareInstalled {
        job: u64,
        result: Result<(), String>,
    },
    /// The outcome of [`Output::Upload`] (Err: why the upload failed).
    Uploaded {
        job: u64,
        result: Result<(), String>,
    },
}

/// Something the station wants the drivers to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send this text frame to the Central System.
    Send(String),
    /// Carry out a hardware command.
    Hardware(HardwareCommand),
    /// The Central System told us the time; drivers may adjust their clock.
    ClockSync(DateTime<Utc>),
    /// A configuration key the drivers care about changed (e.g. WebSocketPingInterval;
    /// SecurityProfile after an accepted raise: reconnect with the new profile;
    /// AuthorizationKey, with an empty `value` (never the secret): reconnect with the new
    /// password when the profile uses one; ChargePointCertificate, value "installed":
    /// reconnect presenting it with profile 3).
    ConfigChanged { key: String, value: String },
    /// The Central System asked for a Reset, whose StopTransactions are now delivered (or,
    /// offline, durably queued for after the restart): restart the station. Drivers close
    /// the connection, build a new [`crate::Station`] from the same store
    /// ([`crate::Station::into_store`]) and connect again; the new station boots with a
    /// BootNotification. `hard`: also restart the hardware (open the contactors). The
    /// station emits this once and does nothing more.
    Reset { hard: bool },
    /// Download the firmware of job `job` from `url` into the drivers' firmware file
    /// (replacing any earlier one), then report [`Input::FirmwareDownloaded`].
    DownloadFirmware { job: u64, url: String },
    /// Check the downloaded firmware of `job`: `signature` (base64, as received) over the
    /// file by the key of `signing_certificate` (PEM), then report [`Input::FirmwareVerified`].
    VerifyFirmware {
        job: u64,
        signing_certificate: String,
        signature: String,
    },
    /// Job `job` was cancelled (a firmware update replaced by a new one): stop its download
    /// or signature check if it still runs and remove its image. No Input comes back for it.
    CancelJob { job: u64 },
    /// Install the downloaded firmware of `job` through the hardware
    /// ([`hal::Charger::install_firmware`]), then report [`Input::FirmwareInstalled`]. After
    /// a successful installation the station gives `Reset { hard: true }`.
    InstallFirmware { job: u64 },
    /// Build the file `file_name` with `content` and upload it to `url` (a directory URL:
    /// the drivers upload under `file_name`), then report [`Input::Uploaded`].
    Upload {
        job: u64,
        url: String,
        file_name: String,
        content: UploadContent,
    },
}

/// What an [`Output::Upload`] carries: the drivers build the file from it. A bound that is
/// `None` is open (everything available on that side).
#[derive(Debug, Clone, PartialEq)]
pub enum UploadContent {
    /// GetDiagnostics: the station's diagnostics (its logs) from `start` to `stop`, as an
    /// archive (the file name ends in `.tar.gz`).
    Diagnostics {
        start: Option<DateTime<Utc>>,
        stop: Option<DateTime<Utc>>,
    },
    /// GetLog DiagnosticsLog: the station's operational log from `oldest` to `latest`.
    DiagnosticsLog {
        oldest: Option<DateTime<Utc>>,
        latest: Option<DateTime<Utc>>,
    },
    /// GetLog SecurityLog: the security log ([`crate::Station::security_log`]) entries from
    /// `oldest` to `latest`.
    SecurityLog {
        oldest: Option<DateTime<Utc>>,
        latest: Option<DateTime<Utc>>,
    },
}
