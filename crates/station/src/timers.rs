//! The one table of the station's timers. Each timer names when it is due next (on the
//! monotonic clock for protocol durations, on the wall clock for absolute dates; see
//! `time`) and what runs then. `poll_timeout` and the expiry after every input both walk
//! this table, so no timer can wake the drivers without running, or run without a wake-up.

use crate::core::authorize::Authorizer;
use crate::station::Station;
use crate::time::{Deadline, Monotonic};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The CALL in flight times out (call timeout), or a durable message's retry wait ends.
    Outbox,
    Heartbeat,
    /// ConnectionTimeOut of an authorization waiting for a cable, or of a cable waiting for
    /// an authorization.
    Authorization,
    /// A reservation's remaining time.
    Reservation,
    /// MeterValueSampleInterval of running transactions.
    Sample,
    /// ClockAlignedDataInterval, aligned to the wall clock's midnight.
    Aligned,
    /// The next period boundary of a charging schedule.
    ChargingLimit,
    /// Firmware update steps (retrieveDate, installDateTime) and upload retries.
    Firmware,
    /// The daily check of the ChargePointCertificate's expiry.
    Certificate,
    /// A Pending or Rejected registration retries its BootNotification; `pump` sends it.
    BootRetry,
    /// MinimumStatusDuration of a held-back status; reported after every input.
    Status,
    /// A Reset waits for its messages until this deadline; carried out after every input.
    Reset,
}

impl Timer {
    /// In the order they run.
    const ALL: [Timer; 12] = [
        Timer::Outbox,
        Timer::Heartbeat,
        Timer::Authorization,
        Timer::Reservation,
        Timer::Sample,
        Timer::Aligned,
        Timer::ChargingLimit,
        Timer::Firmware,
        Timer::Certificate,
        Timer::BootRetry,
        Timer::Status,
        Timer::Reset,
    ];
}

impl Station {
    fn deadline_of(&self, timer: Timer) -> Option<Deadline> {
        use Deadline::{Mono, Wall};
        let connectors = self.ctx.connectors.iter();
        match timer {
            Timer::Outbox => self.outbox_deadline().map(Mono),
            Timer::Heartbeat => self.registration.heartbeat_deadline(&self.ctx).map(Mono),
            Timer::Authorization => connectors
                .flat_map(|c| [c.authorization.as_ref().map(|a| a.expires), c.plug_timeout])
                .flatten()
                .min()
                .map(Mono),
            Timer::Reservation => self.reservations.deadline(&self.ctx).map(Mono),
            Timer::Sample => connectors
                .filter_map(|c| c.tx.as_ref().and_then(|t| t.next_sample))
                .min()
                .map(Mono),
            Timer::Aligned => self.metering.aligned_deadline().map(Wall),
            Timer::ChargingLimit => self.smart.deadline().map(Wall),
            Timer::Firmware => self.firmware.deadline(&self.ctx).map(Wall),
            Timer::Certificate => self.security.certificate_deadline(&self.ctx).map(Wall),
            Timer::BootRetry => self.registration.boot_retry_deadline(&self.ctx).map(Mono),
            Timer::Status => self.availability.status_deadline(&self.ctx).map(Mono),
            Timer::Reset => self.ctx.reset.as_ref().map(|r| Mono(r.deadline)),
        }
    }

    /// Each timer checks its own condition, so running one early does nothing.
    fn run_timer(&mut self, timer: Timer, now: DateTime<Utc>) {
        match timer {
            Timer::Outbox => self.expire_call(now),
            Timer::Heartbeat => self.registration.heartbeat_timer(&mut self.ctx),
            Timer::Authorization => Authorizer::authorization_timers(&mut self.ctx),
            Timer::Reservation => self.reservations.on_time(&mut self.ctx),
            Timer::Sample => self.metering.sample_timers(&mut self.ctx, now),
            Timer::Aligned => self.metering.aligned_timer(&mut self.ctx, now),
            Timer::ChargingLimit => self.smart.on_time(&mut self.ctx, now),
            Timer::Firmware => self.firmware.on_time(&mut self.ctx, now),
            Timer::Certificate => self.security.certificate_timers(&mut self.ctx, now),
            Timer::BootRetry | Timer::Status | Timer::Reset => {}
        }
    }

    /// When the station wants to be woken with `Input::Tick` at the latest, on the
    /// drivers' monotonic clock.
    pub fn poll_timeout(&self) -> Option<Monotonic> {
        Timer::ALL
            .into_iter()
            .filter_map(|t| self.deadline_of(t))
            .map(|d| self.ctx.time.mono_of(d))
            .min()
    }

    /// Run what is due after an input.
    pub(crate) fn on_time(&mut self, now: DateTime<Utc>) {
        // Not a timer: the energy delivered on an invalid idTag is checked after every input.
        self.transactions.invalid_id_energy_cap(&mut self.ctx);
        for timer in Timer::ALL {
            self.run_timer(timer, now);
        }
    }
}
