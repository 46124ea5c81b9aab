//! Reset, soft and hard (section 5.14; TC_013 to TC_016).
//!
//! The station accepts, stops every running transaction with reason SoftReset or HardReset
//! (the StopTransactions are durable, like every transaction message), waits until the
//! durable queue is delivered, and then gives [`Output::Reset`]: the drivers restart it
//! from the same store, and the new run sends a BootNotification. Offline (or with a
//! Central System that does not answer) it waits at most the call timeout: the queued
//! messages survive the restart and go out once the new run is accepted. A hard reset
//! stops the transactions the same way (the spec does not require it, but it loses
//! nothing); the drivers also restart the hardware.
//!
//! The reason is persisted, so the next run knows it started after a Reset
//! ([`Station::boot_reason`]).
//!
//! ResetRetries ("number of times to retry an unsuccessful reset", 9.1.22) is kept and
//! reported, and used for nothing: there is no reset attempt that could fail and be tried
//! again. The station accepts every Reset, and its restart is [`Output::Reset`], which the
//! drivers carry out by building the station anew from its store (a hard reset first
//! resets the hardware through `hal::Charger::hard_reset`, which cannot fail). Building it
//! fails only when the store cannot be read, which trying again would not mend.

use super::transaction::TxParts;
use crate::context::Ctx;
use crate::Output;
use chrono::{DateTime, Utc};
use ocpp::{Reason, Refusal, ResetRequest, ResetResponse, ResetStatus, ResetType};

/// Key in the store's key-value table holding why the next run starts.
const BOOT_REASON_KEY: &str = "boot.reason";

/// A Reset accepted and not yet carried out.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PendingReset {
    pub hard: bool,
    /// Restart by then even if the StopTransactions are not delivered.
    pub deadline: crate::time::Monotonic,
    /// Output::Reset was given.
    pub done: bool,
}

/// Reset.req and the restart it leads to: running transactions stop, their messages go
/// first, then `Output::Reset`. The pending restart itself is in `Ctx` (a firmware
/// installation asks for one too).
pub(crate) struct Restart;

impl Restart {
    pub(crate) fn on_reset(
        &self,
        ctx: &mut Ctx,
        parts: &mut TxParts,
        req: ResetRequest,
        now: DateTime<Utc>,
    ) -> Result<ResetResponse, Refusal> {
        self.begin_reset(ctx, parts, req.r#type == ResetType::Hard, now);
        Ok(ResetResponse {
            status: ResetStatus::Accepted,
        })
    }

    fn begin_reset(&self, ctx: &mut Ctx, parts: &mut TxParts, hard: bool, now: DateTime<Utc>) {
        if ctx.reset.is_some() {
            // Already on its way; a hard reset asked for meanwhile makes it hard.
            if let Some(r) = ctx.reset.as_mut() {
                r.hard |= hard;
            }
            return;
        }
        tracing::info!("{} reset requested", if hard { "hard" } else { "soft" });
        let reason = if hard {
            Reason::HardReset
        } else {
            Reason::SoftReset
        };
        let running: Vec<u32> = ctx
            .connectors
            .iter()
            .filter(|c| c.tx.is_some())
            .map(|c| c.id)
            .collect();
        for connector in running {
            parts.stop(ctx, connector, reason, None, now);
        }
        for c in ctx.connectors.iter_mut() {
            c.authorization = None;
        }
        ctx.reset = Some(PendingReset {
            hard,
            deadline: ctx.time.mono + ctx.cfg.call_timeout,
            done: false,
        });
    }

    /// Output::Reset was given: the station takes no more inputs.
    pub(crate) fn reset_done(ctx: &Ctx) -> bool {
        ctx.reset.as_ref().is_some_and(|r| r.done)
    }

    /// Restart once the durable queue is delivered, or at the deadline.
    pub(crate) fn reset_if_due(&self, ctx: &mut Ctx) {
        let Some(reset) = ctx.reset.as_ref().filter(|r| !r.done) else {
            return;
        };
        let hard = reset.hard;
        let durable_delivered = match ctx.store.queue_len() {
            Ok(n) => n == 0,
            Err(e) => {
                tracing::error!("cannot read the message queue: {e}");
                false
            }
        };
        // Online and registered, the other messages go first too (e.g. the Unavailable
        // status of a firmware installation), within the same deadline; offline they wait
        // for the next run like anything volatile.
        let sending = ctx.online && ctx.boot == crate::station::BootStatus::Accepted;
        let delivered = durable_delivered && (!sending || ctx.outbox.is_empty());
        if !delivered && ctx.time.mono < reset.deadline {
            return;
        }
        if !delivered {
            tracing::warn!(
                "resetting with transaction messages still queued: sent after the restart"
            );
        }
        let reason = if hard { "HardReset" } else { "SoftReset" };
        if let Err(e) = ctx.store.kv_set(BOOT_REASON_KEY, reason) {
            tracing::error!("cannot persist the reset: {e}");
        }
        if let Some(r) = ctx.reset.as_mut() {
            r.done = true;
        }
        ctx.outputs.push_back(Output::Reset { hard });
    }

    /// Read why this run started, and mark the next start as a plain power-up.
    pub(crate) fn load_boot_reason(&self, ctx: &mut Ctx) -> String {
        let reason = match ctx.store.kv_get(BOOT_REASON_KEY) {
            Ok(Some(r)) if !r.is_empty() => r,
            Ok(_) => "PowerUp".to_string(),
            Err(e) => {
                tracing::error!("cannot read the boot reason: {e}");
                "PowerUp".to_string()
            }
        };
        if reason != "PowerUp" {
            tracing::info!("starting after a {reason}");
            if let Err(e) = ctx.store.kv_set(BOOT_REASON_KEY, "PowerUp") {
                tracing::error!("cannot persist the boot reason: {e}");
            }
        }
        reason
    }
}
