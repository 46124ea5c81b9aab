//! Heartbeat (section 4.6): every HeartbeatInterval once accepted; its answer carries the
//! Central System's time.

use crate::station::NoAnswer;
use crate::station::Station;
use crate::time::Monotonic;
use chrono::Duration;
use ocpp::{HeartbeatRequest, HeartbeatResponse};

use crate::outbox::Context;
use crate::station::BootStatus;

impl Station {
    pub(crate) fn heartbeat_interval(&self) -> Duration {
        Duration::seconds(self.ctx.config.current().heartbeat_interval.clamp(1, 1800))
    }

    /// Heartbeats go only over a link, once registered.
    fn heartbeat_may_go(&self) -> bool {
        self.ctx.boot == BootStatus::Accepted && self.ctx.online
    }

    /// When the next heartbeat is due, while one may go: otherwise the deadline would stay
    /// in the past and wake the drivers in a loop (found by the station fuzz target).
    pub(crate) fn heartbeat_deadline(&self) -> Option<Monotonic> {
        self.next_heartbeat.filter(|_| self.heartbeat_may_go())
    }

    pub(crate) fn heartbeat_timer(&mut self) {
        if !self.heartbeat_may_go() {
            return;
        }
        let now = self.ctx.time.mono;
        if self.next_heartbeat.is_some_and(|t| now >= t) {
            self.ctx.queue_call(&HeartbeatRequest {}, Context::None);
            self.next_heartbeat = Some(now + self.heartbeat_interval());
        }
    }

    /// HeartbeatInterval changed: the next heartbeat follows the new interval from now.
    pub(crate) fn reschedule_heartbeat(&mut self) {
        if self.ctx.boot == BootStatus::Accepted {
            self.next_heartbeat = Some(self.ctx.time.mono + self.heartbeat_interval());
        }
    }

    pub(crate) fn on_heartbeat_response(&mut self, answer: Result<HeartbeatResponse, NoAnswer>) {
        if let Ok(conf) = answer {
            self.ctx
                .outputs
                .push_back(crate::Output::ClockSync(conf.current_time));
        }
    }
}
