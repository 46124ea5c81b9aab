//! The Firmware Management profile (UpdateFirmware, GetDiagnostics: sections 4.4, 4.5, 5.9,
//! 5.19) and the security extension's SignedUpdateFirmware and GetLog.
//!
//! The station only decides; the drivers move and check the files. It asks for a transfer,
//! a signature check or an installation with an [`Output`] naming a *job*, and the drivers
//! answer with the matching [`Input`]:
//!
//! | Output | Input |
//! |---|---|
//! | `DownloadFirmware { job, url }` | `FirmwareDownloaded { job, result }` |
//! | `VerifyFirmware { job, signing_certificate, signature }` | `FirmwareVerified { job, valid }` |
//! | `InstallFirmware { job }` | `FirmwareInstalled { job, result }` |
//! | `Upload { job, url, file_name, content }` | `Uploaded { job, result }` |
//! | `CancelJob { job }` | none |
//!
//! Job ids come from a counter persisted in the store, so they never repeat, not even across
//! restarts; an input for a job that is not the current one (cancelled, replaced, or from
//! before a restart) is ignored (logged at debug level).
//!
//! # Firmware update (`update`)
//! One update runs at a time, signed or not. UpdateFirmware is answered with its (empty)
//! conf; the job is persisted (store key [`JOB_KEY`], JSON) at every step, then:
//! 1. it waits until retrieveDate, and while any transaction runs (the reference product
//!    cannot download during a transaction, AQ-4);
//! 2. Downloading, `Output::DownloadFirmware`. A failed download is tried again after
//!    retryInterval, `retries` more times, then DownloadFailed ends the job. Downloading is
//!    reported once, not again for each retry;
//! 3. Downloaded; the station becomes Unavailable (connector 0 Inoperative, as
//!    ChangeAvailability models it, but not persisted: it lasts for this installation
//!    only); connectors still charging finish their transaction first (section 5.19
//!    recommends this), no new transaction starts;
//! 4. Installing, `Output::InstallFirmware`. Success: the job is persisted as "installed,
//!    report after the reboot" and the station restarts with the Reset machinery
//!    (`Output::Reset { hard: true }` once the queued status messages are delivered, or
//!    after the call timeout). The next run queues Installed (and the security event
//!    FirmwareUpdated) at its start: durable messages go out only once its BootNotification
//!    is accepted, so Installed follows the BootNotification that carries the new
//!    firmwareVersion. Failure: InstallationFailed, the station is available again.
//!
//! SignedUpdateFirmware first checks that the signing certificate chains to an installed
//! ManufacturerRootCertificate at `now` (`certs::verify_chain`): if not, InvalidCertificate
//! and the security event InvalidFirmwareSigningCertificate, no job. Otherwise Accepted, or
//! AcceptedCanceled when it replaces a running update, and SignedFirmwareStatusNotification
//! (with the requestId) reports DownloadScheduled (retrieveDateTime in the future),
//! DownloadPaused (waiting for a transaction to end), Downloading, Downloaded or
//! DownloadFailed, then after `Output::VerifyFirmware` SignatureVerified or InvalidSignature
//! (plus the security event InvalidFirmwareSignature; the job ends), InstallScheduled (until
//! installDateTime), Installing, InstallRebooting and, after the restart, Installed; or
//! InstallationFailed.
//!
//! The status notifications are queued durably (like transaction messages): they survive
//! a power loss and go out in order.
//!
//! Where the spec leaves the choice to the charge point:
//! - `retries` absent: [`DEFAULT_RETRIES`] more tries; `retryInterval` absent:
//!   [`DEFAULT_RETRY_INTERVAL_S`]. Retries are capped at [`MAX_RETRIES`], negative values
//!   count as 0. The same for uploads.
//! - A new update request replaces the running one, which ends without further statuses
//!   (for SignedUpdateFirmware: AcceptedCanceled) and, once its download started,
//!   `Output::CancelJob`: the drivers stop the download or signature check and remove the
//!   image at once, not when the new job's download begins. Except while the firmware is being
//!   installed or the station restarts for it: then SignedUpdateFirmware is Rejected and
//!   UpdateFirmware (whose conf has no status) is ignored with a warning.
//! - A location whose scheme is not in SupportedFileTransferProtocols: SignedUpdateFirmware
//!   and GetLog are Rejected; UpdateFirmware reports DownloadFailed at once (no retries: they
//!   could not succeed); GetDiagnostics answers without a fileName (section 5.9: nothing will
//!   be uploaded).
//! - A restart (power loss, Reset) before the installation completed starts the download
//!   again (a new job id; the file may be partial or gone), waiting for retrieveDate and
//!   transactions as before; it does not use up a retry. An update is never reported
//!   Installed unless the drivers reported the installation done.
//! - The signed statuses map onto the core ones for a TriggerMessage
//!   FirmwareStatusNotification: DownloadScheduled and DownloadPaused are Idle (nothing is
//!   being downloaded or installed yet), SignatureVerified and InstallScheduled Downloaded,
//!   InstallRebooting Installing.
//!
//! # Uploads (`upload`)
//! GetDiagnostics answers the fileName `diagnostics-YYYYMMDDTHHMMSSZ.tar.gz`, reports
//! Uploading and gives `Output::Upload` with `UploadContent::Diagnostics`; Uploaded, or
//! after the retries UploadFailed. GetLog answers Accepted (AcceptedCanceled when a GetLog
//! upload was running) with the filename `securitylog-<requestId>.log` or
//! `diagnosticslog-<requestId>.log`, and LogStatusNotification (with the requestId) reports
//! Uploading, then Uploaded or UploadFailure. A diagnostics upload and a log upload may run
//! at the same time; a second request of the same kind replaces the running one, which ends
//! without further statuses (GetDiagnostics has no status to say so: it is answered with
//! its new fileName). Uploads are persisted too ([`DIAGNOSTICS_KEY`], [`LOG_KEY`]): one
//! interrupted by a restart starts again (new job id) without a second Uploading.
//!
//! # Trigger messages
//! [`Station::firmware_update_status`] and [`Station::diagnostics_upload_status`] answer
//! TriggerMessage; [`Station::signed_update_status`] and [`Station::log_status`] (with the
//! requestId) answer ExtendedTriggerMessage. Idle only when nothing runs (sections 4.4,
//! 4.5).

mod update;
mod upload;

use crate::context::Ctx;
use crate::io::Input;
use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Serialize};

pub(crate) use update::FirmwareJob;
pub(crate) use upload::UploadJob;

/// Store key of the last job id given out.
pub(crate) const LAST_JOB_KEY: &str = "firmware.last_job_id";
/// Store key of the firmware update in progress (JSON; empty: none).
pub(crate) const JOB_KEY: &str = "firmware.job";
/// Store key of the GetDiagnostics upload in progress (JSON; empty: none).
pub(crate) const DIAGNOSTICS_KEY: &str = "firmware.diagnostics";
/// Store key of the GetLog upload in progress (JSON; empty: none).
pub(crate) const LOG_KEY: &str = "firmware.log";

/// Tries after the first when a request does not say (`retries` absent).
pub const DEFAULT_RETRIES: u32 = 2;
/// Seconds between tries when a request does not say (`retryInterval` absent).
pub const DEFAULT_RETRY_INTERVAL_S: i64 = 60;
/// At most this many retries, whatever a request asks for.
pub const MAX_RETRIES: u32 = 100;

/// The Firmware Management profile with the security extension's signed updates and logs:
/// the jobs of this run (persisted in the store as they change).
#[derive(Debug, Default)]
pub(crate) struct Firmware {
    /// The firmware update in progress (UpdateFirmware or SignedUpdateFirmware).
    update: Option<FirmwareJob>,
    /// The GetDiagnostics upload in progress.
    diagnostics: Option<UploadJob>,
    /// The GetLog upload in progress.
    log: Option<UploadJob>,
    /// Whether connector 0 was Inoperative before the update made the station Unavailable;
    /// Some while it is.
    saved_station_inoperative: Option<bool>,
    /// The last job id given out.
    last_job_id: u64,
}

/// `retries` and `retryInterval` of a request, with the defaults and bounds above.
pub(crate) fn retry_policy(retries: Option<i32>, interval: Option<i32>) -> (u32, i64) {
    let retries = retries.map_or(DEFAULT_RETRIES, |r| r.clamp(0, MAX_RETRIES as i32) as u32);
    let interval = interval.map_or(DEFAULT_RETRY_INTERVAL_S, |i| i64::from(i.max(0)));
    (retries, interval)
}

impl Firmware {
    /// Read the jobs the previous run left (called once, from `Station::new`).
    pub(crate) fn load(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        let last = match ctx.store.kv_get(LAST_JOB_KEY) {
            Ok(v) => v.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0),
            Err(e) => {
                tracing::error!("cannot read the last job id: {e}");
                0
            }
        };
        self.last_job_id = last;
        self.update = self.load_job(ctx, JOB_KEY);
        self.diagnostics = self.load_job(ctx, DIAGNOSTICS_KEY);
        self.log = self.load_job(ctx, LOG_KEY);
        // Ids of jobs persisted by a store that lost the counter still never repeat.
        let ids = [
            self.update.as_ref().map(|j| j.id),
            self.diagnostics.as_ref().map(|j| j.id),
            self.log.as_ref().map(|j| j.id),
        ];
        self.last_job_id = ids.into_iter().flatten().fold(last, u64::max);
        self.resume_update(ctx, now);
        self.resume_uploads(ctx, now);
    }

    /// A new job id, persisted before it is used.
    pub(crate) fn new_job_id(&mut self, ctx: &mut Ctx) -> u64 {
        self.last_job_id += 1;
        let id = self.last_job_id;
        if let Err(e) = ctx.store.kv_set(LAST_JOB_KEY, &id.to_string()) {
            tracing::error!("cannot persist the last job id: {e}");
        }
        id
    }

    /// The drivers' answer to a firmware or upload output.
    pub(crate) fn on_transfer_input(&mut self, ctx: &mut Ctx, input: Input, now: DateTime<Utc>) {
        match input {
            Input::FirmwareDownloaded { job, result } => {
                self.on_firmware_downloaded(ctx, job, result, now)
            }
            Input::FirmwareVerified { job, valid } => {
                self.on_firmware_verified(ctx, job, valid, now)
            }
            Input::FirmwareInstalled { job, result } => {
                self.on_firmware_installed(ctx, job, result, now)
            }
            Input::Uploaded { job, result } => self.on_uploaded(ctx, job, result, now),
            other => tracing::debug!("not a transfer input: {other:?}"),
        }
    }

    /// Move the jobs on as time passes (from `on_time`).
    pub(crate) fn on_time(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        self.update_step(ctx, now);
        self.upload_retries(ctx, now);
    }

    /// When a job wants to be woken.
    pub(crate) fn deadline(&self, ctx: &Ctx) -> Option<DateTime<Utc>> {
        [self.update_deadline(ctx), self.upload_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether `url`'s scheme is one of SupportedFileTransferProtocols.
    pub(crate) fn supported_location(&self, ctx: &Ctx, url: &str) -> bool {
        let Some((scheme, rest)) = url.split_once("://") else {
            return false;
        };
        if rest.is_empty() {
            return false;
        }
        let protocols = ctx
            .config
            .get("SupportedFileTransferProtocols")
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        protocols
            .split(',')
            .any(|p| p.trim().eq_ignore_ascii_case(scheme))
    }

    fn load_job<T: DeserializeOwned>(&self, ctx: &Ctx, key: &str) -> Option<T> {
        match ctx.store.kv_get(key) {
            Ok(Some(text)) if !text.is_empty() => match serde_json::from_str(&text) {
                Ok(job) => Some(job),
                Err(e) => {
                    tracing::error!("dropping unreadable {key}: {e}");
                    None
                }
            },
            Ok(_) => None,
            Err(e) => {
                tracing::error!("cannot read {key}: {e}");
                None
            }
        }
    }

    /// Persist a job under `key` (None: no job).
    pub(crate) fn save_job<T: Serialize>(&mut self, ctx: &mut Ctx, key: &str, job: Option<&T>) {
        let text = match job.map(serde_json::to_string) {
            None => String::new(),
            Some(Ok(text)) => text,
            Some(Err(e)) => {
                tracing::error!("cannot encode {key}: {e}");
                return;
            }
        };
        if let Err(e) = ctx.store.kv_set(key, &text) {
            tracing::error!("cannot persist {key}: {e}");
        }
    }
}

/// `url` for a log line or a security event: the password of a `user:password@` part
/// (FTP) replaced by `***`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{path}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_the_log() {
        assert_eq!(
            redact_url("ftp://cp:s3cret@host:21/dir/file?x=1"),
            "ftp://cp:***@host:21/dir/file?x=1"
        );
        assert_eq!(redact_url("ftps://cp@host/"), "ftps://cp:***@host/");
        assert_eq!(
            redact_url("https://host/a@b"),
            "https://host/a@b",
            "an @ in the path is no password"
        );
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn retry_policy_defaults_and_bounds() {
        assert_eq!(
            retry_policy(None, None),
            (DEFAULT_RETRIES, DEFAULT_RETRY_INTERVAL_S)
        );
        assert_eq!(retry_policy(Some(0), Some(0)), (0, 0));
        assert_eq!(retry_policy(Some(-3), Some(-5)), (0, 0));
        assert_eq!(retry_policy(Some(5), Some(30)), (5, 30));
        assert_eq!(retry_policy(Some(i32::MAX), None).0, MAX_RETRIES);
    }
}
