//! Registration with the Central System (section 4.2): BootNotification after every start,
//! Pending and Rejected with their retry interval, nothing else sent before Accepted; and the
//! heartbeat (section 4.6).

use crate::context::Ctx;
use crate::outbox::{Context, Item};
use crate::station::NoAnswer;
use crate::station::{ci, BootStatus};
use crate::time::Monotonic;
use chrono::Duration;
use ocpp::{
    BootNotificationRequest, BootNotificationResponse, HeartbeatRequest, HeartbeatResponse,
    RegistrationStatus, Request,
};

/// Registration with the Central System and the heartbeat. The registration status
/// itself is in the shared `Ctx` (every feature asks whether the station is Accepted).
#[derive(Debug, Default)]
pub(crate) struct Registration {
    next_heartbeat: Option<Monotonic>,
}

impl Registration {
    /// When a Pending or Rejected registration retries its BootNotification, while it can
    /// go: over a link with no CALL in flight (that CALL's deadline or answer wakes the
    /// station). Otherwise the deadline would stay in the past and wake the drivers in a
    /// loop (found by the station fuzz target).
    pub(crate) fn boot_retry_deadline(&self, ctx: &Ctx) -> Option<Monotonic> {
        match ctx.boot {
            BootStatus::Pending { retry_at } | BootStatus::Rejected { retry_at }
                if ctx.online && ctx.outbox.is_idle() =>
            {
                Some(retry_at)
            }
            _ => None,
        }
    }

    /// Whether a BootNotification should go out now.
    pub(crate) fn boot_due(&self, ctx: &Ctx) -> bool {
        let now = ctx.time.mono;
        match ctx.boot {
            BootStatus::NotRegistered => true,
            BootStatus::Pending { retry_at } | BootStatus::Rejected { retry_at } => now >= retry_at,
            BootStatus::Sent | BootStatus::Accepted => false,
        }
    }

    pub(crate) fn send_boot_notification(&mut self, ctx: &mut Ctx) {
        let info = &ctx.cfg.info;
        let req = BootNotificationRequest {
            charge_point_vendor: ci(&info.vendor),
            charge_point_model: ci(&info.model),
            charge_point_serial_number: Some(ci(&info.serial_number)),
            charge_box_serial_number: Some(ci(&info.serial_number)),
            firmware_version: Some(ci(&info.firmware_version)),
            iccid: None,
            imsi: None,
            meter_type: Some(ci(&info.meter_type)),
            meter_serial_number: Some(ci(&info.meter_serial_number)),
        };
        let payload = match serde_json::to_value(&req) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("cannot encode BootNotification: {e}");
                return;
            }
        };
        let id = ctx.new_message_id();
        let item = Item::Volatile {
            action: BootNotificationRequest::ACTION,
            payload: payload.clone(),
            context: Context::None,
        };
        ctx.outbox
            .start_item(item, id.clone(), ctx.time.mono + ctx.cfg.call_timeout);
        ctx.send_frame(ocpp::Frame::Call(ocpp::Call {
            unique_id: id,
            action: BootNotificationRequest::ACTION.as_str().to_string(),
            payload,
        }));
        ctx.boot = BootStatus::Sent;
    }

    /// The registration status the answer set.
    pub(crate) fn on_boot_response(
        &mut self,
        ctx: &mut Ctx,
        answer: Result<BootNotificationResponse, NoAnswer>,
    ) -> BootStatus {
        let Ok(conf) = answer else {
            // No usable answer: try again later without flooding the Central System.
            ctx.boot = BootStatus::Pending {
                retry_at: ctx.time.mono + ctx.cfg.boot_retry,
            };
            return ctx.boot;
        };
        ctx.outputs
            .push_back(crate::Output::ClockSync(conf.current_time));
        let retry = if conf.interval > 0 {
            Duration::seconds(i64::from(conf.interval))
        } else {
            ctx.cfg.boot_retry
        };
        match conf.status {
            RegistrationStatus::Accepted => {
                if conf.interval > 0 {
                    let clamped = i64::from(conf.interval).clamp(1, 1800);
                    ctx.config
                        .set_internal("HeartbeatInterval", clamped.to_string());
                }
                tracing::info!("registered with the Central System");
                ctx.boot = BootStatus::Accepted;
                self.next_heartbeat = Some(ctx.time.mono + heartbeat_interval(ctx));
            }
            RegistrationStatus::Pending => {
                ctx.boot = BootStatus::Pending {
                    retry_at: ctx.time.mono + retry,
                }
            }
            RegistrationStatus::Rejected => {
                ctx.boot = BootStatus::Rejected {
                    retry_at: ctx.time.mono + retry,
                };
            }
        }
        ctx.boot
    }

    // The heartbeat (section 4.6): every HeartbeatInterval once accepted; its answer
    // carries the Central System's time.

    /// Heartbeats go only over a link, once registered.
    fn heartbeat_may_go(ctx: &Ctx) -> bool {
        ctx.boot == BootStatus::Accepted && ctx.online
    }

    /// When the next heartbeat is due, while one may go: otherwise the deadline would stay
    /// in the past and wake the drivers in a loop (found by the station fuzz target).
    pub(crate) fn heartbeat_deadline(&self, ctx: &Ctx) -> Option<Monotonic> {
        self.next_heartbeat.filter(|_| Self::heartbeat_may_go(ctx))
    }

    pub(crate) fn heartbeat_timer(&mut self, ctx: &mut Ctx) {
        if !Self::heartbeat_may_go(ctx) {
            return;
        }
        let now = ctx.time.mono;
        if self.next_heartbeat.is_some_and(|t| now >= t) {
            ctx.queue_call(&HeartbeatRequest {}, Context::None);
            self.next_heartbeat = Some(now + heartbeat_interval(ctx));
        }
    }

    /// HeartbeatInterval changed: the next heartbeat follows the new interval from now.
    pub(crate) fn reschedule_heartbeat(&mut self, ctx: &Ctx) {
        if ctx.boot == BootStatus::Accepted {
            self.next_heartbeat = Some(ctx.time.mono + heartbeat_interval(ctx));
        }
    }

    pub(crate) fn on_heartbeat_response(
        &mut self,
        ctx: &mut Ctx,
        answer: Result<HeartbeatResponse, NoAnswer>,
    ) {
        if let Ok(conf) = answer {
            ctx.outputs
                .push_back(crate::Output::ClockSync(conf.current_time));
        }
    }

    /// A new link while registered: the next heartbeat is a full interval away.
    pub(crate) fn link_up(&mut self, ctx: &Ctx) {
        if ctx.boot == BootStatus::Accepted {
            self.next_heartbeat = Some(ctx.time.mono + heartbeat_interval(ctx));
        }
    }

    /// A new registration round: the BootNotification goes out as soon as nothing else is in
    /// flight, ahead of everything queued, and its answer sets the registration status.
    pub(crate) fn trigger_boot_notification(ctx: &mut Ctx) {
        match ctx.boot {
            // One is on its way or about to go: it complies with the request (section 5.17).
            BootStatus::Sent | BootStatus::NotRegistered => {}
            // Keep answering only, but send the BootNotification now rather than at retry_at.
            BootStatus::Pending { .. } => {
                ctx.boot = BootStatus::Pending {
                    retry_at: ctx.time.mono,
                }
            }
            BootStatus::Accepted => ctx.boot = BootStatus::NotRegistered,
            // Silent while Rejected: no TriggerMessage reaches here.
            BootStatus::Rejected { .. } => {}
        }
    }
}

fn heartbeat_interval(ctx: &Ctx) -> Duration {
    Duration::seconds(ctx.config.current().heartbeat_interval.clamp(1, 1800))
}
