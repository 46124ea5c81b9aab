//! ExtendedTriggerMessage (security extension): TriggerMessage's machinery
//! (`remote_trigger`) for the message types both know, plus:
//! - LogStatusNotification: the state of a log upload, Idle while none runs (GetLog comes
//!   later).
//! - FirmwareStatusNotification: here it means SignedFirmwareStatusNotification, the
//!   signed-firmware status, Idle while no signed update runs.
//! - SignChargePointCertificate: NotImplemented until certificate management exists (the
//!   station cannot make a key pair and CSR yet). The status enum allows Accepted, Rejected
//!   and NotImplemented; Rejected would say "not now" about something it can do, while
//!   NotImplemented tells the Central System exactly that it cannot.
//!
//! ExtendedTriggerMessage.conf and TriggerMessage.conf have the same payload
//! (`{"status": ...}` with the same three values), so the shared code answers both.

use crate::outbox::Context;
use crate::station::Station;
use chrono::{DateTime, Utc};
use ocpp::{
    ExtendedTriggerMessageRequest, ExtendedTriggerMessageResponse, LogStatusNotificationRequest,
    MessageTrigger, MessageTriggerExtended, SignedFirmwareStatus,
    SignedFirmwareStatusNotificationRequest, TriggerMessageRequest, TriggerMessageStatus,
    UploadLogStatus,
};

impl Station {
    pub(crate) fn on_extended_trigger_message(
        &mut self,
        unique_id: &str,
        req: ExtendedTriggerMessageRequest,
        now: DateTime<Utc>,
    ) {
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
            self.on_trigger_message(unique_id, req, now);
            return;
        }
        let status = match req.requested_message {
            MessageTriggerExtended::LogStatusNotification => {
                self.reply_extended_trigger(unique_id, TriggerMessageStatus::Accepted);
                let req = LogStatusNotificationRequest {
                    status: self.log_upload_status(),
                    request_id: None,
                };
                self.queue_triggered(&req, Context::None);
                TriggerMessageStatus::Accepted
            }
            MessageTriggerExtended::FirmwareStatusNotification => {
                self.reply_extended_trigger(unique_id, TriggerMessageStatus::Accepted);
                let req = SignedFirmwareStatusNotificationRequest {
                    status: self.signed_firmware_status(),
                    request_id: None,
                };
                self.queue_triggered(&req, Context::None);
                TriggerMessageStatus::Accepted
            }
            _ => {
                self.reply_extended_trigger(unique_id, TriggerMessageStatus::NotImplemented);
                TriggerMessageStatus::NotImplemented
            }
        };
        tracing::info!(
            "ExtendedTriggerMessage {} (connector {:?}): {}",
            req.requested_message.as_str(),
            req.connector_id,
            status.as_str()
        );
    }

    fn reply_extended_trigger(&mut self, unique_id: &str, status: TriggerMessageStatus) {
        self.reply(unique_id, &ExtendedTriggerMessageResponse { status });
    }

    /// Where GetLog will put the state of a log upload: Idle while none runs.
    pub(crate) fn log_upload_status(&self) -> UploadLogStatus {
        UploadLogStatus::Idle
    }

    /// Where SignedUpdateFirmware will put the state of a signed update: Idle while none runs.
    pub(crate) fn signed_firmware_status(&self) -> SignedFirmwareStatus {
        SignedFirmwareStatus::Idle
    }
}
