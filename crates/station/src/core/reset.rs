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

use crate::station::Station;
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

impl Station {
    pub(crate) fn on_reset(
        &mut self,
        req: ResetRequest,
        now: DateTime<Utc>,
    ) -> Result<ResetResponse, Refusal> {
        self.begin_reset(req.r#type == ResetType::Hard, now);
        Ok(ResetResponse {
            status: ResetStatus::Accepted,
        })
    }

    fn begin_reset(&mut self, hard: bool, now: DateTime<Utc>) {
        if self.ctx.reset.is_some() {
            // Already on its way; a hard reset asked for meanwhile makes it hard.
            if let Some(r) = self.ctx.reset.as_mut() {
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
        let running: Vec<u32> = self
            .ctx
            .connectors
            .iter()
            .filter(|c| c.tx.is_some())
            .map(|c| c.id)
            .collect();
        for connector in running {
            self.transactions
                .stop(&mut self.ctx, &mut self.smart, connector, reason, None, now);
        }
        for c in self.ctx.connectors.iter_mut() {
            c.authorization = None;
        }
        self.ctx.reset = Some(PendingReset {
            hard,
            deadline: self.ctx.time.mono + self.ctx.cfg.call_timeout,
            done: false,
        });
    }

    /// Output::Reset was given: the station takes no more inputs.
    pub(crate) fn reset_done(&self) -> bool {
        self.ctx.reset.as_ref().is_some_and(|r| r.done)
    }

    /// Restart once the durable queue is delivered, or at the deadline.
    pub(crate) fn reset_if_due(&mut self) {
        let Some(reset) = self.ctx.reset.as_ref().filter(|r| !r.done) else {
            return;
        };
        let hard = reset.hard;
        let durable_delivered = match self.ctx.store.queue_len() {
            Ok(n) => n == 0,
            Err(e) => {
                tracing::error!("cannot read the message queue: {e}");
                false
            }
        };
        // Online and registered, the other messages go first too (e.g. the Unavailable
        // status of a firmware installation), within the same deadline; offline they wait
        // for the next run like anything volatile.
        let sending = self.ctx.online && self.ctx.boot == crate::station::BootStatus::Accepted;
        let delivered = durable_delivered && (!sending || self.ctx.outbox.is_empty());
        if !delivered && self.ctx.time.mono < reset.deadline {
            return;
        }
        if !delivered {
            tracing::warn!(
                "resetting with transaction messages still queued: sent after the restart"
            );
        }
        let reason = if hard { "HardReset" } else { "SoftReset" };
        if let Err(e) = self.ctx.store.kv_set(BOOT_REASON_KEY, reason) {
            tracing::error!("cannot persist the reset: {e}");
        }
        if let Some(r) = self.ctx.reset.as_mut() {
            r.done = true;
        }
        self.ctx.outputs.push_back(Output::Reset { hard });
    }

    /// Read why this run started, and mark the next start as a plain power-up.
    pub(crate) fn load_boot_reason(&mut self) {
        let reason = match self.ctx.store.kv_get(BOOT_REASON_KEY) {
            Ok(Some(r)) if !r.is_empty() => r,
            Ok(_) => "PowerUp".to_string(),
            Err(e) => {
                tracing::error!("cannot read the boot reason: {e}");
                "PowerUp".to_string()
            }
        };
        if reason != "PowerUp" {
            tracing::info!("starting after a {reason}");
            if let Err(e) = self.ctx.store.kv_set(BOOT_REASON_KEY, "PowerUp") {
                tracing::error!("cannot persist the boot reason: {e}");
            }
        }
        self.boot_reason = reason;
    }
}
