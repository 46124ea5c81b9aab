//! GetDiagnostics (section 5.9) and GetLog (security extension): a file the drivers build
//! and upload, with retries; one diagnostics upload and one log upload at a time (see the
//! module documentation of `firmware`).

use super::{redact_url, retry_policy, DIAGNOSTICS_KEY, LOG_KEY};
use crate::context::Ctx;
use crate::firmware::Firmware;
use crate::io::{Output, UploadContent};
use crate::station::ci;
use chrono::{DateTime, Duration, Utc};
use ocpp::{
    DiagnosticsStatus, DiagnosticsStatusNotificationRequest, GetDiagnosticsRequest,
    GetDiagnosticsResponse, GetLogRequest, GetLogResponse, LogStatus, LogStatusNotificationRequest,
    LogType, Refusal, UploadLogStatus,
};
use serde::{Deserialize, Serialize};

/// What is uploaded (the persisted form of [`UploadContent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum What {
    Diagnostics,
    DiagnosticsLog,
    SecurityLog,
}

/// An upload in progress, as persisted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UploadJob {
    pub id: u64,
    /// GetLog's requestId; None for GetDiagnostics.
    pub request_id: Option<i32>,
    pub what: What,
    pub location: String,
    pub file_name: String,
    /// startTime / oldestTimestamp.
    pub from: Option<DateTime<Utc>>,
    /// stopTime / latestTimestamp.
    pub to: Option<DateTime<Utc>>,
    pub retries_left: u32,
    pub retry_interval_s: i64,
    /// Waiting until then to try again; None while the drivers upload.
    pub retry_at: Option<DateTime<Utc>>,
}

impl UploadJob {
    fn content(&self) -> UploadContent {
        let (from, to) = (self.from, self.to);
        match self.what {
            What::Diagnostics => UploadContent::Diagnostics {
                start: from,
                stop: to,
            },
            What::DiagnosticsLog => UploadContent::DiagnosticsLog {
                oldest: from,
                latest: to,
            },
            What::SecurityLog => UploadContent::SecurityLog {
                oldest: from,
                latest: to,
            },
        }
    }

    fn output(&self) -> Output {
        Output::Upload {
            job: self.id,
            url: self.location.clone(),
            file_name: self.file_name.clone(),
            content: self.content(),
        }
    }
}

/// Which upload: the GetDiagnostics one or the GetLog one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Diagnostics,
    Log,
}

const SLOTS: [Slot; 2] = [Slot::Diagnostics, Slot::Log];

/// How an upload ended, or that it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Uploading,
    Uploaded,
    Failed,
}

impl Slot {
    fn key(self) -> &'static str {
        match self {
            Slot::Diagnostics => DIAGNOSTICS_KEY,
            Slot::Log => LOG_KEY,
        }
    }
}

impl Firmware {
    pub(crate) fn on_get_diagnostics(
        &mut self,
        ctx: &mut Ctx,
        req: GetDiagnosticsRequest,
        now: DateTime<Utc>,
    ) -> Result<GetDiagnosticsResponse, Refusal> {
        if !self.supported_location(ctx, &req.location) {
            tracing::warn!(
                "GetDiagnostics to {:?}: unsupported location, nothing to upload",
                redact_url(&req.location)
            );
            return Ok(GetDiagnosticsResponse { file_name: None });
        }
        let file_name = format!("diagnostics-{}.tar.gz", now.format("%Y%m%dT%H%M%SZ"));
        let response = GetDiagnosticsResponse {
            file_name: Some(ci(&file_name)),
        };
        let (retries, interval) = retry_policy(req.retries, req.retry_interval);
        let job = UploadJob {
            id: self.new_job_id(ctx),
            request_id: None,
            what: What::Diagnostics,
            location: req.location,
            file_name,
            from: req.start_time,
            to: req.stop_time,
            retries_left: retries,
            retry_interval_s: interval,
            retry_at: None,
        };
        self.start_upload(ctx, Slot::Diagnostics, job);
        Ok(response)
    }

    pub(crate) fn on_get_log(
        &mut self,
        ctx: &mut Ctx,
        req: GetLogRequest,
        _now: DateTime<Utc>,
    ) -> Result<GetLogResponse, Refusal> {
        let location = req.log.remote_location.as_str().to_string();
        if !self.supported_location(ctx, &location) {
            tracing::warn!(
                "GetLog to {:?}: unsupported location, Rejected",
                redact_url(&location)
            );
            let conf = GetLogResponse {
                status: LogStatus::Rejected,
                filename: None,
            };
            return Ok(conf);
        }
        let (what, prefix) = match req.log_type {
            LogType::DiagnosticsLog => (What::DiagnosticsLog, "diagnosticslog"),
            LogType::SecurityLog => (What::SecurityLog, "securitylog"),
        };
        let file_name = format!("{prefix}-{}.log", req.request_id);
        let status = if self.log.is_some() {
            LogStatus::AcceptedCanceled
        } else {
            LogStatus::Accepted
        };
        let conf = GetLogResponse {
            status,
            filename: Some(ci(&file_name)),
        };
        let (retries, interval) = retry_policy(req.retries, req.retry_interval);
        let job = UploadJob {
            id: self.new_job_id(ctx),
            request_id: Some(req.request_id),
            what,
            location,
            file_name,
            from: req.log.oldest_timestamp,
            to: req.log.latest_timestamp,
            retries_left: retries,
            retry_interval_s: interval,
            retry_at: None,
        };
        self.start_upload(ctx, Slot::Log, job);
        Ok(conf)
    }

    fn slot(&self, slot: Slot) -> &Option<UploadJob> {
        match slot {
            Slot::Diagnostics => &self.diagnostics,
            Slot::Log => &self.log,
        }
    }

    fn slot_mut(&mut self, slot: Slot) -> &mut Option<UploadJob> {
        match slot {
            Slot::Diagnostics => &mut self.diagnostics,
            Slot::Log => &mut self.log,
        }
    }

    fn save_upload(&mut self, ctx: &mut Ctx, slot: Slot) {
        let job = self.slot(slot).clone();
        self.save_job(ctx, slot.key(), job.as_ref());
    }

    /// Replace the slot's upload (the old one ends silently), report Uploading, upload.
    fn start_upload(&mut self, ctx: &mut Ctx, slot: Slot, job: UploadJob) {
        if let Some(old) = self.slot(slot) {
            tracing::info!("upload job {} replaced by job {}", old.id, job.id);
        }
        tracing::info!(
            "upload job {}: {} to {}",
            job.id,
            job.file_name,
            redact_url(&job.location)
        );
        let output = job.output();
        self.report_upload(ctx, slot, &job, Progress::Uploading);
        *self.slot_mut(slot) = Some(job);
        self.save_upload(ctx, slot);
        ctx.outputs.push_back(output);
    }

    fn report_upload(&mut self, ctx: &mut Ctx, slot: Slot, job: &UploadJob, progress: Progress) {
        match slot {
            Slot::Diagnostics => {
                let status = match progress {
                    Progress::Uploading => DiagnosticsStatus::Uploading,
                    Progress::Uploaded => DiagnosticsStatus::Uploaded,
                    Progress::Failed => DiagnosticsStatus::UploadFailed,
                };
                ctx.queue_durable(&DiagnosticsStatusNotificationRequest { status }, None);
            }
            Slot::Log => {
                let status = match progress {
                    Progress::Uploading => UploadLogStatus::Uploading,
                    Progress::Uploaded => UploadLogStatus::Uploaded,
                    Progress::Failed => UploadLogStatus::UploadFailure,
                };
                let req = LogStatusNotificationRequest {
                    status,
                    request_id: job.request_id,
                };
                ctx.queue_durable(&req, None);
            }
        }
    }

    pub(crate) fn on_uploaded(
        &mut self,
        ctx: &mut Ctx,
        job: u64,
        result: Result<(), String>,
        now: DateTime<Utc>,
    ) {
        let Some(slot) = SLOTS.into_iter().find(|s| {
            self.slot(*s)
                .as_ref()
                .is_some_and(|j| j.id == job && j.retry_at.is_none())
        }) else {
            tracing::debug!("ignoring Uploaded of job {job}: not a current upload");
            return;
        };
        let Some(mut current) = self.slot_mut(slot).take() else {
            return;
        };
        match result {
            Ok(()) => {
                tracing::info!("upload job {job}: {} uploaded", current.file_name);
                self.report_upload(ctx, slot, &current, Progress::Uploaded);
            }
            Err(why) if current.retries_left > 0 => {
                current.retries_left -= 1;
                let at = now + Duration::seconds(current.retry_interval_s);
                tracing::warn!(
                    "upload job {job} failed ({why}): trying again at {at}, {} retries left",
                    current.retries_left
                );
                current.retry_at = Some(at);
                *self.slot_mut(slot) = Some(current);
            }
            Err(why) => {
                tracing::warn!("upload job {job} failed ({why}): no retries left");
                self.report_upload(ctx, slot, &current, Progress::Failed);
            }
        }
        self.save_upload(ctx, slot);
    }

    /// Start the uploads whose retry time came.
    pub(crate) fn upload_retries(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        for slot in SLOTS {
            let due = self
                .slot(slot)
                .as_ref()
                .is_some_and(|j| j.retry_at.is_some_and(|at| at <= now));
            if !due {
                continue;
            }
            let output = match self.slot_mut(slot).as_mut() {
                Some(job) => {
                    job.retry_at = None;
                    job.output()
                }
                None => continue,
            };
            self.save_upload(ctx, slot);
            ctx.outputs.push_back(output);
        }
    }

    pub(crate) fn upload_deadline(&self) -> Option<DateTime<Utc>> {
        SLOTS
            .into_iter()
            .filter_map(|s| self.slot(s).as_ref().and_then(|j| j.retry_at))
            .min()
    }

    /// At start: uploads interrupted by the restart start again (a new job id), without a
    /// second Uploading.
    pub(crate) fn resume_uploads(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        for slot in SLOTS {
            if self.slot(slot).is_none() {
                continue;
            }
            let id = self.new_job_id(ctx);
            if let Some(job) = self.slot_mut(slot).as_mut() {
                tracing::info!("upload job {} interrupted: again as job {id}", job.id);
                job.id = id;
                // Keep a later retry time; otherwise go at once.
                job.retry_at = Some(job.retry_at.map_or(now, |at| at.max(now)));
            }
            self.save_upload(ctx, slot);
        }
    }

    /// For TriggerMessage DiagnosticsStatusNotification: Uploading while a diagnostics
    /// upload runs (or waits to try again), otherwise Idle (section 4.4).
    pub(crate) fn diagnostics_upload_status(&self) -> DiagnosticsStatus {
        match self.diagnostics {
            Some(_) => DiagnosticsStatus::Uploading,
            None => DiagnosticsStatus::Idle,
        }
    }

    /// For ExtendedTriggerMessage LogStatusNotification: Uploading and the requestId while
    /// a GetLog upload runs (or waits to try again), otherwise Idle and None.
    pub(crate) fn log_status(&self) -> (UploadLogStatus, Option<i32>) {
        match &self.log {
            Some(job) => (UploadLogStatus::Uploading, job.request_id),
            None => (UploadLogStatus::Idle, None),
        }
    }
}
