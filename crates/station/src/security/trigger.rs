//! ExtendedTriggerMessage (security extension): TriggerMessage's machinery
//! (`remote_trigger`) for the message types both know, plus:
//! - LogStatusNotification: the state of the GetLog upload (`firmware`) with its requestId,
//!   Idle while none runs.
//! - FirmwareStatusNotification: here it means SignedFirmwareStatusNotification, the
//!   last status of the firmware update with its requestId, Idle while none runs.
//! - SignChargePointCertificate: the station makes a new key pair and CSR and sends
//!   SignCertificate.req (`certificates`) after the answer, as a triggered message (so also
//!   while the registration is Pending); Accepted, or Rejected when it cannot (CpoName
//!   empty, identity unknown, key generation or the store failed; the reason is logged).
//!   Other unknown types are NotImplemented.
//!
//! ExtendedTriggerMessage.conf and TriggerMessage.conf have the same payload
//! (`{"status": ...}` with the same three values), so the shared code answers both.

use super::Security;
use crate::context::Ctx;
use crate::firmware::Firmware;
use crate::outbox::Context;
use crate::remote_trigger::RemoteTrigger;
use chrono::{DateTime, Utc};
use ocpp::{
    ExtendedTriggerMessageRequest, ExtendedTriggerMessageResponse, LogStatusNotificationRequest,
    MessageTrigger, MessageTriggerExtended, Refusal, SignedFirmwareStatusNotificationRequest,
    TriggerMessageRequest, TriggerMessageStatus,
};

impl Security {
    /// `firmware`: whose statuses the triggered notifications report.
    pub(crate) fn on_extended_trigger_message(
        &mut self,
        ctx: &mut Ctx,
        firmware: &Firmware,
        req: ExtendedTriggerMessageRequest,
        now: DateTime<Utc>,
    ) -> Result<ExtendedTriggerMessageResponse, Refusal> {
        let core = match req.requested_message {
            MessageTriggerExtended::BootNotification => Some(MessageTrigger::BootNotification),
            MessageTriggerExtended::Heartbeat => Some(MessageTrigger::Heartbeat),
            MessageTriggerExtended::MeterValues => Some(MessageTrigger::MeterValues),
            MessageTriggerExtended::StatusNotification => Some(MessageTrigger::StatusNotification),
            _ => None,
        };
        if let Some(requested_message) = core {
            let req = TriggerMessageRequest {
                requested_message,
                connector_id: req.connector_id,
            };
            let status = RemoteTrigger
                .on_trigger_message(ctx, firmware, req, now)?
                .status;
            return Ok(ExtendedTriggerMessageResponse { status });
        }
        let status = match req.requested_message {
            MessageTriggerExtended::LogStatusNotification => {
                let (status, request_id) = firmware.log_status();
                let req = LogStatusNotificationRequest { status, request_id };
                ctx.queue_triggered(&req, Context::None);
                TriggerMessageStatus::Accepted
            }
            MessageTriggerExtended::FirmwareStatusNotification => {
                let (status, request_id) = firmware.signed_update_status();
                let req = SignedFirmwareStatusNotificationRequest { status, request_id };
                ctx.queue_triggered(&req, Context::None);
                TriggerMessageStatus::Accepted
            }
            MessageTriggerExtended::SignChargePointCertificate => {
                // The key pair and CSR are made before the answer, which says whether they
                // could be; the SignCertificate.req goes out after it.
                let status = match self.request_certificate(ctx, true, now) {
                    Ok(()) => TriggerMessageStatus::Accepted,
                    Err(why) => {
                        tracing::warn!("cannot start SignCertificate: {why}");
                        TriggerMessageStatus::Rejected
                    }
                };
                status
            }
            _ => TriggerMessageStatus::NotImplemented,
        };
        tracing::info!(
            "ExtendedTriggerMessage {} (connector {:?}): {}",
            req.requested_message.as_str(),
            req.connector_id,
            status.as_str()
        );
        Ok(ExtendedTriggerMessageResponse { status })
    }
}
