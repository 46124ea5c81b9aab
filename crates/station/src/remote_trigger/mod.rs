//! The Remote Trigger profile: TriggerMessage (section 5.17).
//!
//! The station answers first and sends the requested message after the answer (the CALL
//! goes through the outbox, which the pump empties only after the handler has replied).
//! What it sends is current information, never history:
//! - BootNotification: a registration round, as after a start (section 4.2 allows it only
//!   when triggered); its answer governs what the station may send from then on.
//! - DiagnosticsStatusNotification / FirmwareStatusNotification: the state of the upload or
//!   update (`Station::diagnostics_status`, `Station::firmware_status`, from `firmware/`);
//!   Idle while none runs.
//! - Heartbeat.
//! - MeterValues: the latest reading of every measurand in MeterValuesSampledData, context
//!   Trigger, for the connector asked for, or for each connector when connectorId is absent
//!   (or 0: the station has no main meter of its own). A triggered MeterValues is not a
//!   transaction-related message (section 3.7 names only StartTransaction, StopTransaction and
//!   periodic or clock-aligned MeterValues), so it is volatile, not queued durably; it carries
//!   the transactionId of the transaction running on the connector when that id is known
//!   (section 4.7: "if applicable").
//! - StatusNotification: the current status of the connector asked for, or of connector 0
//!   and every connector when connectorId is absent, sent even if unchanged.
//!
//! A connectorId out of range (negative or above the number of connectors) is Rejected for
//! the two messages it applies to; for the others it is not relevant and, as section 5.17
//! says, ignored. A requestedMessage that is not a MessageTrigger value gets NotImplemented.
//!
//! While the registration is Pending, triggered messages are the only requests the station
//! sends (they are `Item::Triggered` in the outbox, which the pump lets through).

use crate::context::Ctx;
use crate::core::boot::Registration;
use crate::firmware::Firmware;
use crate::outbox::Context;
use chrono::{DateTime, Utc};
use ocpp::{
    DiagnosticsStatusNotificationRequest, FirmwareStatusNotificationRequest, HeartbeatRequest,
    MessageTrigger, MeterValuesRequest, ReadingContext, Refusal, StatusNotificationRequest,
    TriggerMessageResponse, TriggerMessageStatus,
};
use serde_json::Value;

/// The connectors a triggered MeterValues or StatusNotification concerns.
enum Target {
    All,
    One(u32),
}

/// TriggerMessage: the requested message queued to go out even while Pending.
pub(crate) struct RemoteTrigger;

impl RemoteTrigger {
    /// `firmware`: whose statuses a triggered DiagnosticsStatusNotification or
    /// FirmwareStatusNotification reports.
    pub(crate) fn on_trigger_message(
        &self,
        ctx: &mut Ctx,
        firmware: &Firmware,
        req: ocpp::TriggerMessageRequest,
        now: DateTime<Utc>,
    ) -> Result<TriggerMessageResponse, Refusal> {
        let message = req.requested_message;
        let status = match message {
            MessageTrigger::MeterValues | MessageTrigger::StatusNotification => {
                match Self::trigger_target(ctx, req.connector_id, message) {
                    Some(target) => self.send_triggered(ctx, firmware, message, target, now),
                    None => TriggerMessageStatus::Rejected,
                }
            }
            _ => self.send_triggered(ctx, firmware, message, Target::All, now),
        };
        tracing::info!(
            "TriggerMessage {} (connector {:?}): {}",
            message.as_str(),
            req.connector_id,
            status.as_str()
        );
        Ok(TriggerMessageResponse { status })
    }

    /// Whether a TriggerMessage.req fails validation only because its requestedMessage is
    /// no MessageTrigger value: it is answered NotImplemented (section 5.17: "unknown or not
    /// implemented"). Anything else gets its CALLERROR. The same for
    /// ExtendedTriggerMessage.req (`action`), whose answer has the same shape.
    pub(crate) fn is_unknown_trigger(action: ocpp::Action, payload: &Value) -> bool {
        let Some(requested) = payload.get("requestedMessage").and_then(Value::as_str) else {
            return false;
        };
        let known_message = if action == ocpp::Action::ExtendedTriggerMessage {
            requested.parse::<ocpp::MessageTriggerExtended>().is_ok()
        } else {
            requested.parse::<MessageTrigger>().is_ok()
        };
        if known_message {
            return false;
        }
        let mut known = payload.clone();
        known["requestedMessage"] = Value::from(MessageTrigger::Heartbeat.as_str());
        if ocpp::validate_request(action, &known).is_err() {
            return false;
        }
        tracing::info!(
            "{} for unknown message {requested:?}: NotImplemented",
            action.as_str()
        );
        true
    }

    /// The connectors named by a connectorId that is relevant to the message; None when
    /// it names no connector of this station.
    fn trigger_target(
        ctx: &Ctx,
        connector_id: Option<i32>,
        message: MessageTrigger,
    ) -> Option<Target> {
        let Some(id) = connector_id else {
            return Some(Target::All);
        };
        let id = u32::try_from(id)
            .ok()
            .filter(|id| *id <= ctx.cfg.connectors)?;
        Some(match (message, id) {
            // Connector 0 is the station as a whole; its energy comes from the connectors'
            // meters, there being no main meter.
            (MessageTrigger::MeterValues, 0) => Target::All,
            _ => Target::One(id),
        })
    }

    /// Answer and queue the requested message(s); the status answered.
    fn send_triggered(
        &self,
        ctx: &mut Ctx,
        firmware: &Firmware,
        message: MessageTrigger,
        target: Target,
        now: DateTime<Utc>,
    ) -> TriggerMessageStatus {
        match message {
            MessageTrigger::BootNotification => {
                Registration::trigger_boot_notification(ctx);
            }
            MessageTrigger::DiagnosticsStatusNotification => {
                let req = DiagnosticsStatusNotificationRequest {
                    status: firmware.diagnostics_upload_status(),
                };
                ctx.queue_triggered(&req, Context::None);
            }
            MessageTrigger::FirmwareStatusNotification => {
                let req = FirmwareStatusNotificationRequest {
                    status: firmware.firmware_update_status(),
                };
                ctx.queue_triggered(&req, Context::None);
            }
            MessageTrigger::Heartbeat => {
                ctx.queue_triggered(&HeartbeatRequest {}, Context::None);
            }
            MessageTrigger::MeterValues => {
                let requests = Self::triggered_meter_values(ctx, target, now);
                if requests.is_empty() {
                    // No reading (or no configured measurand) to report: nothing would be sent.
                    return TriggerMessageStatus::Rejected;
                }
                for req in &requests {
                    ctx.queue_triggered(req, Context::None);
                }
            }
            MessageTrigger::StatusNotification => {
                let ids: Vec<u32> = match target {
                    Target::All => (0..=ctx.cfg.connectors).collect(),
                    Target::One(id) => vec![id],
                };
                for id in ids {
                    Self::trigger_status(ctx, id, now);
                }
            }
        }
        TriggerMessageStatus::Accepted
    }

    /// The current status of connector `id` (0: the station), sent even if unchanged.
    fn trigger_status(ctx: &mut Ctx, id: u32, now: DateTime<Utc>) {
        let Some(c) = ctx.connectors.get_mut(id as usize) else {
            return;
        };
        let (status, error_code) = (c.status, c.error_code);
        // Now the Central System hears it: no second report of the same status follows.
        c.notified = Some((status, error_code));
        let req = StatusNotificationRequest {
            connector_id: id as i32,
            error_code,
            info: None,
            status,
            timestamp: Some(now),
            vendor_id: None,
            vendor_error_code: None,
        };
        let context = Context::Status {
            connector: id,
            status,
            error_code,
        };
        ctx.queue_triggered(&req, context);
    }

    /// One MeterValues.req per connector with a reading to report.
    fn triggered_meter_values(
        ctx: &Ctx,
        target: Target,
        now: DateTime<Utc>,
    ) -> Vec<MeterValuesRequest> {
        let measurands = ctx.config.current().meter_values_sampled_data.clone();
        let ids: Vec<u32> = match target {
            Target::All => (1..=ctx.cfg.connectors).collect(),
            Target::One(id) => vec![id],
        };
        ids.into_iter()
            .filter_map(|id| {
                let c = ctx.connectors.get(id as usize)?;
                let reading = c.meter.as_ref()?;
                let mv = crate::core::metering::meter_value(
                    reading,
                    &measurands,
                    ReadingContext::Trigger,
                    now,
                )?;
                Some(MeterValuesRequest {
                    connector_id: id as i32,
                    transaction_id: c.tx.as_ref().and_then(|t| t.transaction_id),
                    meter_value: vec![mv],
                })
            })
            .collect()
    }
}
