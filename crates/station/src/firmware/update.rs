//! UpdateFirmware (section 5.19) and SignedUpdateFirmware (security extension): one
//! firmware update job at a time, persisted at every step (see the module documentation of
//! `firmware`).

use super::{redact_url, retry_policy, JOB_KEY};
use crate::context::Ctx;
use crate::core::reset::PendingReset;
use crate::firmware::Firmware;
use crate::io::Output;
use crate::security::SecurityEvent;
use chrono::{DateTime, Duration, Utc};
use ocpp::{
    FirmwareStatus, FirmwareStatusNotificationRequest, Refusal, SignedFirmwareStatus,
    SignedFirmwareStatusNotificationRequest, SignedUpdateFirmwareRequest,
    SignedUpdateFirmwareResponse, UpdateFirmwareRequest, UpdateFirmwareResponse,
    UpdateFirmwareStatus,
};
use serde::{Deserialize, Serialize};

/// Where connector 0's availability is persisted (`core/availability.rs`): what the station
/// returns to when an update that made it Unavailable ends.
const STATION_AVAILABILITY_KEY: &str = "availability.0";

/// The certificate use of the roots that firmware signing certificates chain to.
const MANUFACTURER_ROOT: &str = "ManufacturerRootCertificate";

/// A firmware update in progress, as persisted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FirmwareJob {
    pub id: u64,
    /// Present for a SignedUpdateFirmware.
    pub signed: Option<Signed>,
    pub location: String,
    /// Do not download before then: retrieveDate, then the time of the next retry.
    pub not_before: DateTime<Utc>,
    pub retries_left: u32,
    pub retry_interval_s: i64,
    pub phase: Phase,
    /// The status last reported, in the security extension's vocabulary (a superset of the
    /// core one): a status is reported when it changes.
    pub reported: Option<SignedFirmwareStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Signed {
    pub request_id: i32,
    pub signing_certificate: String,
    pub signature: String,
    pub install_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Phase {
    /// Waiting for `not_before` and for no transaction to run.
    Scheduled,
    /// `Output::DownloadFirmware` given.
    Downloading,
    /// `Output::VerifyFirmware` given (signed).
    Verifying,
    /// Verified, waiting for installDateTime (signed).
    InstallScheduled,
    /// The station is Unavailable; waiting for the running transactions to end.
    InstallWaiting,
    /// `Output::InstallFirmware` given.
    Installing,
    /// Installed: the station restarts; the next run reports Installed.
    Rebooting,
}

/// The core status a TriggerMessage reports for a status of the signed vocabulary.
fn core_status(status: SignedFirmwareStatus) -> FirmwareStatus {
    use SignedFirmwareStatus as S;
    match status {
        S::Downloaded | S::SignatureVerified | S::InstallScheduled => FirmwareStatus::Downloaded,
        S::DownloadFailed => FirmwareStatus::DownloadFailed,
        S::Downloading => FirmwareStatus::Downloading,
        S::InstallationFailed | S::InstallVerificationFailed | S::InvalidSignature => {
            FirmwareStatus::InstallationFailed
        }
        S::Installing | S::InstallRebooting => FirmwareStatus::Installing,
        S::Installed => FirmwareStatus::Installed,
        S::DownloadScheduled | S::DownloadPaused | S::Idle => FirmwareStatus::Idle,
    }
}

/// The statuses an (unsigned) UpdateFirmware reports; the others exist only for signed
/// updates.
fn reported_unsigned(status: SignedFirmwareStatus) -> bool {
    use SignedFirmwareStatus as S;
    matches!(
        status,
        S::Downloaded
            | S::DownloadFailed
            | S::Downloading
            | S::InstallationFailed
            | S::Installing
            | S::Installed
    )
}

impl Firmware {
    pub(crate) fn on_update_firmware(
        &mut self,
        ctx: &mut Ctx,
        req: UpdateFirmwareRequest,
        now: DateTime<Utc>,
    ) -> Result<UpdateFirmwareResponse, Refusal> {
        self.schedule_update(ctx, req, now);
        Ok(UpdateFirmwareResponse {})
    }

    fn schedule_update(&mut self, ctx: &mut Ctx, req: UpdateFirmwareRequest, now: DateTime<Utc>) {
        if self.installing_firmware() {
            tracing::warn!("UpdateFirmware ignored: a firmware installation is under way");
            return;
        }
        self.cancel_update(ctx, "replaced by an UpdateFirmware");
        if !self.supported_location(ctx, &req.location) {
            tracing::warn!(
                "UpdateFirmware from {:?}: unsupported location, DownloadFailed",
                redact_url(&req.location)
            );
            let req = FirmwareStatusNotificationRequest {
                status: FirmwareStatus::DownloadFailed,
            };
            ctx.queue_durable(&req, None);
            return;
        }
        let (retries, interval) = retry_policy(req.retries, req.retry_interval);
        tracing::info!(
            "UpdateFirmware from {} after {}, {retries} retries every {interval} s",
            redact_url(&req.location),
            req.retrieve_date
        );
        let job = FirmwareJob {
            id: self.new_job_id(ctx),
            signed: None,
            location: req.location,
            not_before: req.retrieve_date,
            retries_left: retries,
            retry_interval_s: interval,
            phase: Phase::Scheduled,
            reported: None,
        };
        self.update = Some(job);
        self.save_update(ctx);
        self.update_step(ctx, now);
    }

    pub(crate) fn on_signed_update_firmware(
        &mut self,
        ctx: &mut Ctx,
        req: SignedUpdateFirmwareRequest,
        now: DateTime<Utc>,
    ) -> Result<SignedUpdateFirmwareResponse, Refusal> {
        let status = self.accept_signed_update(ctx, &req, now);
        tracing::info!(
            "SignedUpdateFirmware {} from {}: {}",
            req.request_id,
            redact_url(req.firmware.location.as_str()),
            status.as_str()
        );
        self.schedule_signed_update(ctx, req, status, now);
        Ok(SignedUpdateFirmwareResponse { status })
    }

    fn schedule_signed_update(
        &mut self,
        ctx: &mut Ctx,
        req: SignedUpdateFirmwareRequest,
        status: UpdateFirmwareStatus,
        now: DateTime<Utc>,
    ) {
        if !matches!(
            status,
            UpdateFirmwareStatus::Accepted | UpdateFirmwareStatus::AcceptedCanceled
        ) {
            return;
        }
        self.cancel_update(ctx, "replaced by a SignedUpdateFirmware");
        let (retries, interval) = retry_policy(req.retries, req.retry_interval);
        let fw = req.firmware;
        let job = FirmwareJob {
            id: self.new_job_id(ctx),
            signed: Some(Signed {
                request_id: req.request_id,
                signing_certificate: fw.signing_certificate.as_str().to_string(),
                signature: fw.signature.as_str().to_string(),
                install_at: fw.install_date_time,
            }),
            location: fw.location.as_str().to_string(),
            not_before: fw.retrieve_date_time,
            retries_left: retries,
            retry_interval_s: interval,
            phase: Phase::Scheduled,
            reported: None,
        };
        self.update = Some(job);
        self.save_update(ctx);
        if now < fw.retrieve_date_time {
            self.report_update(ctx, SignedFirmwareStatus::DownloadScheduled);
        }
        self.update_step(ctx, now);
    }

    /// The answer to a SignedUpdateFirmware.req; raises InvalidFirmwareSigningCertificate
    /// when the signing certificate does not chain to a manufacturer root.
    fn accept_signed_update(
        &mut self,
        ctx: &mut Ctx,
        req: &SignedUpdateFirmwareRequest,
        now: DateTime<Utc>,
    ) -> UpdateFirmwareStatus {
        if self.installing_firmware() {
            tracing::warn!("SignedUpdateFirmware refused: a firmware installation is under way");
            return UpdateFirmwareStatus::Rejected;
        }
        if !self.supported_location(ctx, req.firmware.location.as_str()) {
            return UpdateFirmwareStatus::Rejected;
        }
        let roots: Vec<String> = match ctx.store.certificates_all() {
            Ok(all) => all
                .into_iter()
                .filter(|c| c.use_ == MANUFACTURER_ROOT)
                .map(|c| c.pem)
                .collect(),
            Err(e) => {
                tracing::error!("cannot read the installed certificates: {e}");
                Vec::new()
            }
        };
        let verdict = if roots.is_empty() {
            Err("no ManufacturerRootCertificate is installed".to_string())
        } else {
            certs::verify_chain(req.firmware.signing_certificate.as_str(), &roots, now)
                .map_err(|e| e.to_string())
        };
        if let Err(why) = verdict {
            tracing::warn!("firmware signing certificate refused: {why}");
            let info = format!("signing certificate of request {}: {why}", req.request_id);
            ctx.raise_and_notify_security_event(
                SecurityEvent::InvalidFirmwareSigningCertificate,
                &info,
                now,
            );
            return UpdateFirmwareStatus::InvalidCertificate;
        }
        if self.update.is_some() {
            UpdateFirmwareStatus::AcceptedCanceled
        } else {
            UpdateFirmwareStatus::Accepted
        }
    }

    /// The firmware is being installed, or the station restarts for it: too late to cancel.
    fn installing_firmware(&self) -> bool {
        self.update
            .as_ref()
            .is_some_and(|j| matches!(j.phase, Phase::Installing | Phase::Rebooting))
    }

    /// End the running update without reporting anything more; the drivers stop what they
    /// do for it and drop its image (`Output::CancelJob`).
    fn cancel_update(&mut self, ctx: &mut Ctx, why: &str) {
        if let Some(job) = self.update.take() {
            tracing::info!("firmware update job {} cancelled: {why}", job.id);
            self.save_update(ctx);
            self.restore_station_availability(ctx);
            if matches!(
                job.phase,
                Phase::Downloading
                    | Phase::Verifying
                    | Phase::InstallScheduled
                    | Phase::InstallWaiting
            ) {
                ctx.outputs.push_back(Output::CancelJob { job: job.id });
            }
        }
    }

    /// Report `status` (if it changed) and end the job.
    fn end_update(&mut self, ctx: &mut Ctx, status: SignedFirmwareStatus) {
        self.report_update(ctx, status);
        self.update = None;
        self.save_update(ctx);
        self.restore_station_availability(ctx);
    }

    fn save_update(&mut self, ctx: &mut Ctx) {
        let job = self.update.clone();
        self.save_job(ctx, JOB_KEY, job.as_ref());
    }

    /// Queue the (signed) FirmwareStatusNotification for `status`, unless it is the status
    /// last reported.
    fn report_update(&mut self, ctx: &mut Ctx, status: SignedFirmwareStatus) {
        let Some(job) = self.update.as_mut() else {
            return;
        };
        if job.reported == Some(status) {
            return;
        }
        job.reported = Some(status);
        let signed = job.signed.as_ref().map(|s| s.request_id);
        tracing::info!("firmware update job {}: {}", job.id, status.as_str());
        self.save_update(ctx);
        match signed {
            Some(request_id) => {
                let req = SignedFirmwareStatusNotificationRequest {
                    status,
                    request_id: Some(request_id),
                };
                ctx.queue_durable(&req, None);
            }
            None if reported_unsigned(status) => {
                let req = FirmwareStatusNotificationRequest {
                    status: core_status(status),
                };
                ctx.queue_durable(&req, None);
            }
            None => {}
        }
    }

    /// The running update at `phase` with job id `job`, if that is the current one.
    fn current_update(&self, job: u64, phase: Phase, what: &str) -> bool {
        match &self.update {
            Some(j) if j.id == job && j.phase == phase => true,
            current => {
                tracing::debug!(
                    "ignoring {what} of job {job}: the current update is {:?}",
                    current.as_ref().map(|j| (j.id, j.phase))
                );
                false
            }
        }
    }

    fn set_phase(&mut self, ctx: &mut Ctx, phase: Phase) {
        if let Some(job) = self.update.as_mut() {
            job.phase = phase;
        }
        self.save_update(ctx);
    }

    pub(crate) fn on_firmware_downloaded(
        &mut self,
        ctx: &mut Ctx,
        job: u64,
        result: Result<(), String>,
        now: DateTime<Utc>,
    ) {
        if !self.current_update(job, Phase::Downloading, "FirmwareDownloaded") {
            return;
        }
        match result {
            Ok(()) => {
                self.report_update(ctx, SignedFirmwareStatus::Downloaded);
                let verify = self.update.as_ref().and_then(|j| {
                    j.signed
                        .as_ref()
                        .map(|s| (s.signing_certificate.clone(), s.signature.clone()))
                });
                match verify {
                    Some((signing_certificate, signature)) => {
                        self.set_phase(ctx, Phase::Verifying);
                        ctx.outputs.push_back(Output::VerifyFirmware {
                            job,
                            signing_certificate,
                            signature,
                        });
                    }
                    None => self.ready_to_install(ctx, now),
                }
            }
            Err(why) => {
                let Some(j) = self.update.as_mut() else {
                    return;
                };
                if j.retries_left > 0 {
                    j.retries_left -= 1;
                    j.not_before = now + Duration::seconds(j.retry_interval_s);
                    j.phase = Phase::Scheduled;
                    tracing::warn!(
                        "firmware download failed ({why}): trying again at {}, {} retries left",
                        j.not_before,
                        j.retries_left
                    );
                    self.save_update(ctx);
                } else {
                    tracing::warn!("firmware download failed ({why}): no retries left");
                    self.end_update(ctx, SignedFirmwareStatus::DownloadFailed);
                }
            }
        }
    }

    pub(crate) fn on_firmware_verified(
        &mut self,
        ctx: &mut Ctx,
        job: u64,
        valid: bool,
        now: DateTime<Utc>,
    ) {
        if !self.current_update(job, Phase::Verifying, "FirmwareVerified") {
            return;
        }
        if valid {
            self.report_update(ctx, SignedFirmwareStatus::SignatureVerified);
            self.ready_to_install(ctx, now);
            return;
        }
        let (request_id, location) = self
            .update
            .as_ref()
            .map(|j| {
                (
                    j.signed.as_ref().map(|s| s.request_id),
                    redact_url(&j.location),
                )
            })
            .unwrap_or_default();
        tracing::warn!("the signature of the firmware from {location} is not valid");
        self.end_update(ctx, SignedFirmwareStatus::InvalidSignature);
        let info = format!(
            "firmware of request {} from {location}",
            request_id.unwrap_or_default()
        );
        ctx.raise_and_notify_security_event(SecurityEvent::InvalidFirmwareSignature, &info, now);
    }

    pub(crate) fn on_firmware_installed(
        &mut self,
        ctx: &mut Ctx,
        job: u64,
        result: Result<(), String>,
        _now: DateTime<Utc>,
    ) {
        if !self.current_update(job, Phase::Installing, "FirmwareInstalled") {
            return;
        }
        match result {
            Ok(()) => {
                tracing::info!("firmware installed: restarting");
                self.report_update(ctx, SignedFirmwareStatus::InstallRebooting);
                self.set_phase(ctx, Phase::Rebooting);
                match ctx.reset.as_mut() {
                    Some(reset) => reset.hard = true,
                    None => {
                        ctx.reset = Some(PendingReset {
                            hard: true,
                            deadline: ctx.time.mono + ctx.cfg.call_timeout,
                            done: false,
                        })
                    }
                }
            }
            Err(why) => {
                tracing::warn!("firmware installation failed: {why}");
                self.end_update(ctx, SignedFirmwareStatus::InstallationFailed);
            }
        }
    }

    /// Downloaded (and verified): install now or at installDateTime.
    fn ready_to_install(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        let install_at = self
            .update
            .as_ref()
            .and_then(|j| j.signed.as_ref())
            .and_then(|s| s.install_at);
        if install_at.is_some_and(|at| now < at) {
            self.set_phase(ctx, Phase::InstallScheduled);
            self.report_update(ctx, SignedFirmwareStatus::InstallScheduled);
        } else {
            self.begin_install_wait(ctx);
        }
    }

    /// The station becomes Unavailable: the running transactions end, no new one starts.
    fn begin_install_wait(&mut self, ctx: &mut Ctx) {
        self.set_phase(ctx, Phase::InstallWaiting);
        if self.saved_station_inoperative.is_none() {
            self.saved_station_inoperative = Some(ctx.connectors[0].inoperative);
        }
        ctx.connectors[0].inoperative = true;
        for c in ctx.connectors.iter_mut().filter(|c| c.tx.is_none()) {
            c.authorization = None;
        }
    }

    /// The update no longer needs the station Unavailable: back to its persisted
    /// availability (a ChangeAvailability meanwhile counts), or what it was before.
    fn restore_station_availability(&mut self, ctx: &mut Ctx) {
        let Some(saved) = self.saved_station_inoperative.take() else {
            return;
        };
        let inoperative = match ctx.store.kv_get(STATION_AVAILABILITY_KEY) {
            Ok(Some(v)) => v == "Inoperative",
            Ok(None) => saved,
            Err(e) => {
                tracing::error!("cannot read the station's availability: {e}");
                saved
            }
        };
        ctx.connectors[0].inoperative = inoperative;
    }

    fn any_transaction(&self, ctx: &Ctx) -> bool {
        ctx.connectors.iter().any(|c| c.tx.is_some())
    }

    /// Move the update on: start the download, the installation, when their time came.
    pub(crate) fn update_step(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        let installing = self.update.as_ref().is_some_and(|j| {
            matches!(
                j.phase,
                Phase::InstallWaiting | Phase::Installing | Phase::Rebooting
            )
        });
        if installing && self.saved_station_inoperative.is_some() {
            // Unavailable until the update is over, whatever ChangeAvailability said
            // meanwhile (what it said applies afterwards).
            ctx.connectors[0].inoperative = true;
        }
        loop {
            let Some(job) = self.update.as_ref() else {
                return;
            };
            let (id, signed) = (job.id, job.signed.is_some());
            match job.phase {
                Phase::Scheduled => {
                    if now < job.not_before {
                        return;
                    }
                    if self.any_transaction(ctx) {
                        if signed {
                            self.report_update(ctx, SignedFirmwareStatus::DownloadPaused);
                        }
                        return;
                    }
                    let url = job.location.clone();
                    self.set_phase(ctx, Phase::Downloading);
                    self.report_update(ctx, SignedFirmwareStatus::Downloading);
                    ctx.outputs
                        .push_back(Output::DownloadFirmware { job: id, url });
                    return;
                }
                Phase::InstallScheduled => {
                    let at = job.signed.as_ref().and_then(|s| s.install_at);
                    if at.is_some_and(|at| now < at) {
                        return;
                    }
                    self.begin_install_wait(ctx);
                }
                Phase::InstallWaiting => {
                    if self.any_transaction(ctx) {
                        return;
                    }
                    self.set_phase(ctx, Phase::Installing);
                    self.report_update(ctx, SignedFirmwareStatus::Installing);
                    ctx.outputs.push_back(Output::InstallFirmware { job: id });
                    return;
                }
                Phase::Downloading | Phase::Verifying | Phase::Installing | Phase::Rebooting => {
                    return
                }
            }
        }
    }

    /// When the update wants to be woken: its download or installation time, unless it
    /// waits for a transaction to end (an input).
    pub(crate) fn update_deadline(&self, ctx: &Ctx) -> Option<DateTime<Utc>> {
        let job = self.update.as_ref()?;
        match job.phase {
            Phase::Scheduled if !self.any_transaction(ctx) => Some(job.not_before),
            Phase::InstallScheduled => job.signed.as_ref().and_then(|s| s.install_at),
            _ => None,
        }
    }

    /// At start: an update installed by the previous run is reported Installed (queued
    /// durably: it goes out once the BootNotification is accepted) and ends; one
    /// interrupted before starts its download again.
    pub(crate) fn resume_update(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        let Some(job) = self.update.as_ref() else {
            return;
        };
        match job.phase {
            Phase::Rebooting => {
                let version = ctx.cfg.info.firmware_version.clone();
                tracing::info!("firmware update job {} installed: {version}", job.id);
                self.end_update(ctx, SignedFirmwareStatus::Installed);
                let info = format!("firmware version {version}");
                ctx.raise_security_event(SecurityEvent::FirmwareUpdated, Some(&info), now);
            }
            Phase::Scheduled => {
                let id = self.new_job_id(ctx);
                if let Some(job) = self.update.as_mut() {
                    job.id = id;
                }
                self.save_update(ctx);
            }
            phase => {
                let id = self.new_job_id(ctx);
                tracing::warn!(
                    "firmware update interrupted while {phase:?}: downloading again as job {id}"
                );
                if let Some(job) = self.update.as_mut() {
                    job.id = id;
                    job.phase = Phase::Scheduled;
                }
                self.save_update(ctx);
            }
        }
    }

    /// For TriggerMessage FirmwareStatusNotification: the state of the update, Idle while
    /// none is being downloaded or installed (section 4.5).
    pub(crate) fn firmware_update_status(&self) -> FirmwareStatus {
        let Some(job) = self.update.as_ref() else {
            return FirmwareStatus::Idle;
        };
        match job.phase {
            // Not started (or waiting for a retry after a failed download).
            Phase::Scheduled if job.reported != Some(SignedFirmwareStatus::Downloading) => {
                FirmwareStatus::Idle
            }
            Phase::Scheduled | Phase::Downloading => FirmwareStatus::Downloading,
            Phase::Verifying | Phase::InstallScheduled | Phase::InstallWaiting => {
                FirmwareStatus::Downloaded
            }
            Phase::Installing | Phase::Rebooting => FirmwareStatus::Installing,
        }
    }

    /// For ExtendedTriggerMessage FirmwareStatusNotification (SignedFirmwareStatusNotification):
    /// the status last reported of the update and the requestId of a signed one; Idle and
    /// None while no update runs.
    pub(crate) fn signed_update_status(&self) -> (SignedFirmwareStatus, Option<i32>) {
        match self.update.as_ref() {
            Some(job) => (
                job.reported.unwrap_or(SignedFirmwareStatus::Idle),
                job.signed.as_ref().map(|s| s.request_id),
            ),
            None => (SignedFirmwareStatus::Idle, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signed_status_has_a_core_meaning() {
        for s in SignedFirmwareStatus::ALL {
            let core = core_status(*s);
            if reported_unsigned(*s) {
                assert_eq!(core.as_str(), s.as_str(), "same name in both vocabularies");
            }
        }
        assert_eq!(
            core_status(SignedFirmwareStatus::DownloadPaused),
            FirmwareStatus::Idle
        );
    }

    #[test]
    fn a_job_survives_json() {
        let job = FirmwareJob {
            id: 7,
            signed: Some(Signed {
                request_id: 3,
                signing_certificate: "PEM".into(),
                signature: "c2ln".into(),
                install_at: None,
            }),
            location: "https://example.com/fw.bin".into(),
            not_before: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            retries_left: 2,
            retry_interval_s: 60,
            phase: Phase::InstallWaiting,
            reported: Some(SignedFirmwareStatus::SignatureVerified),
        };
        let text = serde_json::to_string(&job).unwrap();
        assert_eq!(serde_json::from_str::<FirmwareJob>(&text).unwrap(), job);
    }
}
