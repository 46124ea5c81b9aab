//! StatusNotification (section 4.9). A connector's status is derived from its state; a
//! change is reported once it has held for MinimumStatusDuration (C-05: short-lived states
//! are never reported), while registered. After a reconnect, only what differs from what the
//! Central System acknowledged is sent.

use crate::context::Ctx;
use crate::outbox::Context;
use crate::station::BootStatus;
use crate::time::Monotonic;
use chrono::{DateTime, Duration, Utc};
use ocpp::{ChargePointErrorCode, ChargePointStatus, StatusNotificationRequest};

/// Availability (ChangeAvailability, section 5.2) and status notifications (section 4.9).
/// Each connector's status and availability sit on the connector in `Ctx`; this feature is
/// the one place that changes and reports them.
#[derive(Debug, Default)]
pub(crate) struct Availability;

impl Availability {
    /// Bring every connector's status in line with its state, and report what is due.
    pub(crate) fn refresh_statuses(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        let station_inoperative = ctx.connectors[0].inoperative;
        let mono = ctx.time.mono;
        for c in ctx.connectors.iter_mut() {
            let (status, error_code) = c.derived_status(station_inoperative);
            if (c.status, c.error_code) != (status, error_code) {
                tracing::info!(
                    "connector {}: {} -> {}",
                    c.id,
                    c.status.as_str(),
                    status.as_str()
                );
                c.status = status;
                c.error_code = error_code;
                c.changed_at = Some(now);
                c.changed_mono = Some(mono);
            }
        }
        self.notify_due(ctx, now);
    }

    fn minimum_status_duration(&self, ctx: &Ctx) -> Duration {
        Duration::seconds(ctx.config.current().minimum_status_duration.max(0))
    }

    /// Queue a StatusNotification for every connector whose status differs from the last one
    /// queued and has held long enough.
    fn notify_due(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        if !(ctx.online && ctx.boot == BootStatus::Accepted) {
            return;
        }
        let hold = self.minimum_status_duration(ctx);
        let mono = ctx.time.mono;
        for i in 0..ctx.connectors.len() {
            let c = &ctx.connectors[i];
            let current = (c.status, c.error_code);
            let stable = c.changed_mono.is_none_or(|t| mono >= t + hold);
            if c.notified != Some(current) && stable {
                let (id, at) = (c.id, c.changed_at.unwrap_or(now));
                ctx.connectors[i].notified = Some(current);
                self.queue_status(ctx, id, current.0, current.1, at);
            }
        }
    }

    /// When the next held-back status becomes due.
    pub(crate) fn status_deadline(&self, ctx: &Ctx) -> Option<Monotonic> {
        // Nothing is reported before the link is up and the registration Accepted (then
        // everything due goes at once): a deadline now would only wake the drivers in a
        // loop, since it stays in the past (found by the station fuzz target).
        if !(ctx.online && ctx.boot == BootStatus::Accepted) {
            return None;
        }
        let hold = self.minimum_status_duration(ctx);
        ctx.connectors
            .iter()
            .filter(|c| c.notified != Some((c.status, c.error_code)))
            .filter_map(|c| c.changed_mono.map(|t| t + hold))
            .min()
    }

    /// After a BootNotification was accepted: every connector, 0 included.
    pub(crate) fn report_all_statuses(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        for c in ctx.connectors.iter_mut() {
            c.notified = None;
            c.changed_at = None;
            c.changed_mono = None;
        }
        self.notify_due(ctx, now);
    }

    /// After a reconnect: only what the Central System does not know yet.
    pub(crate) fn report_changed_statuses(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        for c in ctx.connectors.iter_mut() {
            c.notified = c.reported;
        }
        self.notify_due(ctx, now);
    }

    fn queue_status(
        &mut self,
        ctx: &mut Ctx,
        connector: u32,
        status: ChargePointStatus,
        error_code: ChargePointErrorCode,
        at: DateTime<Utc>,
    ) {
        let req = StatusNotificationRequest {
            connector_id: connector as i32,
            error_code,
            info: None,
            status,
            timestamp: Some(at),
            vendor_id: None,
            vendor_error_code: None,
        };
        ctx.queue_call(
            &req,
            Context::Status {
                connector,
                status,
                error_code,
            },
        );
    }

    /// `delivered`: the Central System answered with a CALLRESULT.
    pub(crate) fn on_status_response(&mut self, ctx: &mut Ctx, context: Context, delivered: bool) {
        if let (
            Context::Status {
                connector,
                status,
                error_code,
            },
            true,
        ) = (context, delivered)
        {
            if let Some(c) = ctx.connectors.get_mut(connector as usize) {
                c.reported = Some((status, error_code));
            }
        }
    }
}
