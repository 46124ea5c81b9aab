//! Charging schedules as pure functions: which limit a set of installed profiles imposes at
//! a moment, when it next changes, and the composite schedule over a window (section 3.13 and
//! 5.7 of the spec). No station state and no clock: everything is passed in.

use chrono::{DateTime, Utc};
use ocpp::{ChargingProfile, ChargingRateUnitType, ChargingSchedule};

/// A profile as installed on a connector (0: the whole station).
#[derive(Debug, Clone, PartialEq)]
pub struct InstalledProfile {
    pub connector: u32,
    pub profile: ChargingProfile,
}

/// What the schedules are evaluated against.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleContext {
    /// The connector asked about; 0 for the station as a whole.
    pub connector: u32,
    /// The running transaction on that connector: its id and start (Relative profiles and
    /// TxProfiles need them).
    pub transaction: Option<(i32, DateTime<Utc>)>,
    /// Volts used to convert between A and W (DC: W = A x V).
    pub voltage_v: f64,
}

/// A limit in the unit of the profile that imposed it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub value: f64,
    pub unit: ChargingRateUnitType,
}

/// The limit in force at `at`, if any profile applies.
pub fn limit_at(
    profiles: &[InstalledProfile],
    ctx: &ScheduleContext,
    at: DateTime<Utc>,
) -> Option<Limit> {
    let _ = (profiles, ctx, at);
    unimplemented!("smart charging schedule evaluation is being written")
}

/// The first moment after `after` at which `limit_at` may change.
pub fn next_change(
    profiles: &[InstalledProfile],
    ctx: &ScheduleContext,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let _ = (profiles, ctx, after);
    unimplemented!("smart charging schedule evaluation is being written")
}

/// The composite schedule from `start` for `duration_s` seconds in `unit`, periods merged,
/// startSchedule = `start`.
pub fn composite(
    profiles: &[InstalledProfile],
    ctx: &ScheduleContext,
    start: DateTime<Utc>,
    duration_s: i32,
    unit: ChargingRateUnitType,
) -> ChargingSchedule {
    let _ = (profiles, ctx, start, duration_s, unit);
    unimplemented!("smart charging schedule evaluation is being written")
}
