//! Charging schedules as pure functions: which limit a set of installed profiles imposes at
//! a moment, when it next changes, and the composite schedule over a window (section 3.13 and
//! 5.7 of the spec). No station state and no clock: everything is passed in.
//!
//! # Semantics (OCPP 1.6 edition 2)
//!
//! **Which profiles are relevant** for `ctx.connector = c`:
//! - `ChargePointMaxProfile`: only those installed on connector 0 (3.13.1: "can only be set at
//!   ConnectorId 0"; one installed elsewhere is ignored). For a connector `c > 0` the station
//!   wide cap is also used as that connector's cap (this module does not share it between
//!   connectors).
//! - `TxDefaultProfile`: those installed on connector 0 and those installed on `c`, in one
//!   stack. At the *same* stack level the one installed on `c` wins ("the TxDefaultProfile
//!   SHALL be replaced only for that specific connector", 3.13.1, read together with the
//!   same-stackLevel replacement rule of 3.13.2); at different levels the higher level wins.
//! - `TxProfile`: only those installed on `c > 0`, only while `ctx.transaction` is set, and
//!   only if the profile's `transactionId` is absent or equals the transaction's id.
//! - For `c = 0` (the station as a whole) only `ChargePointMaxProfile` and `TxDefaultProfile`
//!   installed on connector 0 are used.
//!
//! **Validity**: `validFrom <= t < validTo` (absent bounds are unbounded).
//!
//! **Schedule start** (the anchor the periods are relative to):
//! - Absolute: `startSchedule`; if absent, the transaction start ("if absent the schedule
//!   will be relative to start of charging", 7.13); if there is no transaction either, the
//!   profile does not apply.
//! - Relative: the transaction start (`startSchedule` is ignored); without a transaction the
//!   profile does not apply (there is no situation-specific start point).
//! - Recurring: as Absolute for the anchor; it restarts every 24 h (Daily, also used when
//!   `recurrencyKind` is absent) or 7 days (Weekly) at the anchor's time of day / weekday.
//!   The recurrence is applied both after and before the anchor (the cycle in force at `t`
//!   is the one started at the latest `anchor + k * period <= t`, `k` any integer); use
//!   `validFrom` to keep it from applying earlier.
//!
//! **Coverage**: period `i` covers `[start + startPeriod_i, start + startPeriod_next)`, the
//! last one until `start + duration` (forever without duration; for Recurring until
//! `min(duration, recurrence period)` into the cycle). Nothing is covered before the first
//! period's `startPeriod`. Periods need not be sorted; with duplicate `startPeriod`s the last
//! one listed wins.
//!
//! **Stacking** (3.13.2): within a purpose, among the relevant profiles that are valid at `t`
//! *and* whose schedule covers `t`, the highest `stackLevel` wins (then the connector
//! specific one, then the lowest limit). A profile whose schedule has ended therefore lets the
//! next lower stack level through.
//!
//! **Combining** (3.13.3): the Tx limit is the prevailing `TxProfile` if one covers `t`, else
//! the prevailing `TxDefaultProfile`. The limit is the smaller of the Tx limit and the
//! `ChargePointMaxProfile` limit, compared in amperes with `W = A x ctx.voltage_v` (DC, one
//! "phase"; `numberPhases` is ignored). [`limit_at`] returns the winning limit in the unit of
//! the profile that imposed it (on a tie the Tx one). `ctx.voltage_v` must be > 0.
//!
//! **Composite** (5.7): see [`composite`] and [`composite_with_default`]; for the station
//! as a whole (connector 0), [`station_total`].

use chrono::{DateTime, Duration, Utc};
use ocpp::{
    ChargingProfile, ChargingProfileKindType, ChargingProfilePurposeType, ChargingRateUnitType,
    ChargingSchedule, ChargingSchedulePeriod, RecurrencyKindType,
};

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

impl Limit {
    /// The limit in amperes at `voltage_v`.
    pub fn amps(&self, voltage_v: f64) -> f64 {
        match self.unit {
            ChargingRateUnitType::A => self.value,
            ChargingRateUnitType::W => self.value / voltage_v,
        }
    }

    /// The limit expressed in `unit` at `voltage_v` (not rounded).
    pub fn in_unit(&self, unit: ChargingRateUnitType, voltage_v: f64) -> f64 {
        match (self.unit, unit) {
            (ChargingRateUnitType::A, ChargingRateUnitType::W) => self.value * voltage_v,
            (ChargingRateUnitType::W, ChargingRateUnitType::A) => self.value / voltage_v,
            _ => self.value,
        }
    }
}

/// Most periods a composite schedule holds; a longer one is cut (its duration shortened).
pub const MAX_COMPOSITE_PERIODS: usize = 1024;

const DAY_S: i64 = 86_400;
const WEEK_S: i64 = 7 * DAY_S;
/// Boundaries `next_change` walks through before giving up and reporting a (possibly
/// spurious) wake-up moment.
const MAX_WALK: usize = 100_000;

/// Whether the installed profile can matter for `ctx` at all (connector, purpose,
/// transaction), ignoring time.
fn relevant(ip: &InstalledProfile, ctx: &ScheduleContext) -> bool {
    match ip.profile.charging_profile_purpose {
        ChargingProfilePurposeType::ChargePointMaxProfile => ip.connector == 0,
        ChargingProfilePurposeType::TxDefaultProfile => {
            ip.connector == 0 || ip.connector == ctx.connector
        }
        ChargingProfilePurposeType::TxProfile => {
            ctx.connector != 0
                && ip.connector == ctx.connector
                && match ctx.transaction {
                    Some((id, _)) => ip.profile.transaction_id.is_none_or(|t| t == id),
                    None => false,
                }
        }
    }
}

/// The anchor the schedule's periods are relative to (for Recurring: of one cycle).
fn anchor(p: &ChargingProfile, ctx: &ScheduleContext) -> Option<DateTime<Utc>> {
    let tx_start = ctx.transaction.map(|(_, s)| s);
    match p.charging_profile_kind {
        ChargingProfileKindType::Relative => tx_start,
        ChargingProfileKindType::Absolute | ChargingProfileKindType::Recurring => {
            p.charging_schedule.start_schedule.or(tx_start)
        }
    }
}

/// The recurrence period in seconds, for Recurring profiles.
fn recurrence_s(p: &ChargingProfile) -> Option<i64> {
    match p.charging_profile_kind {
        ChargingProfileKindType::Recurring => Some(match p.recurrency_kind {
            Some(RecurrencyKindType::Weekly) => WEEK_S,
            Some(RecurrencyKindType::Daily) | None => DAY_S,
        }),
        _ => None,
    }
}

/// `floor(delta / period_s)` for a possibly negative, possibly fractional `delta`.
fn floor_cycles(delta: Duration, period_s: i64) -> i64 {
    let mut secs = delta.num_seconds();
    if delta < Duration::seconds(secs) {
        secs -= 1;
    }
    secs.div_euclid(period_s)
}

/// The start of the schedule (cycle) in force at `t` and how long it covers, in seconds
/// (`None`: forever).
fn schedule_window(
    p: &ChargingProfile,
    ctx: &ScheduleContext,
    t: DateTime<Utc>,
) -> Option<(DateTime<Utc>, Option<i64>)> {
    let base = anchor(p, ctx)?;
    let duration = p.charging_schedule.duration.map(i64::from);
    Some(match recurrence_s(p) {
        Some(period) => {
            let k = floor_cycles(t - base, period);
            let start = base + Duration::seconds(k * period);
            (start, Some(duration.map_or(period, |d| d.min(period))))
        }
        None => (base, duration),
    })
}

/// The limit (in the profile's unit) the schedule of `p` sets at `t`, if it covers `t`.
fn schedule_limit(p: &ChargingProfile, ctx: &ScheduleContext, t: DateTime<Utc>) -> Option<f64> {
    let (start, span) = schedule_window(p, ctx, t)?;
    let off = t - start;
    if off < Duration::zero() {
        return None;
    }
    if let Some(span) = span {
        if off >= Duration::seconds(span) {
            return None;
        }
    }
    let mut best: Option<(i32, f64)> = None;
    for per in &p.charging_schedule.charging_schedule_period {
        if Duration::seconds(i64::from(per.start_period)) <= off
            && best.is_none_or(|(s, _)| per.start_period >= s)
        {
            best = Some((per.start_period, per.limit));
        }
    }
    best.map(|(_, l)| l)
}

fn valid_at(p: &ChargingProfile, t: DateTime<Utc>) -> bool {
    p.valid_from.is_none_or(|f| f <= t) && p.valid_to.is_none_or(|to| t < to)
}

#[derive(Clone, Copy)]
struct Pick {
    stack: i32,
    specific: bool,
    amps: f64,
    limit: Limit,
}

impl Pick {
    /// Whether `self` takes precedence over `other` within one purpose.
    fn beats(&self, other: &Pick) -> bool {
        (self.stack, self.specific) > (other.stack, other.specific)
            || ((self.stack, self.specific) == (other.stack, other.specific)
                && self.amps < other.amps)
    }
}

fn offer(slot: &mut Option<Pick>, pick: Pick) {
    if slot.as_ref().is_none_or(|cur| pick.beats(cur)) {
        *slot = Some(pick);
    }
}

/// The limit in force at `at`, if any profile applies.
pub fn limit_at(
    profiles: &[InstalledProfile],
    ctx: &ScheduleContext,
    at: DateTime<Utc>,
) -> Option<Limit> {
    let mut cp_max: Option<Pick> = None;
    let mut tx_default: Option<Pick> = None;
    let mut tx: Option<Pick> = None;
    for ip in profiles {
        let p = &ip.profile;
        if !relevant(ip, ctx) || !valid_at(p, at) {
            continue;
        }
        let Some(value) = schedule_limit(p, ctx, at) else {
            continue;
        };
        let limit = Limit {
            value,
            unit: p.charging_schedule.charging_rate_unit,
        };
        let pick = Pick {
            stack: p.stack_level,
            specific: ip.connector != 0,
            amps: limit.amps(ctx.voltage_v),
            limit,
        };
        let slot = match p.charging_profile_purpose {
            ChargingProfilePurposeType::ChargePointMaxProfile => &mut cp_max,
            ChargingProfilePurposeType::TxDefaultProfile => &mut tx_default,
            ChargingProfilePurposeType::TxProfile => &mut tx,
        };
        offer(slot, pick);
    }
    match (tx.or(tx_default), cp_max) {
        (Some(t), Some(m)) => Some(if m.amps < t.amps { m.limit } else { t.limit }),
        (Some(t), None) => Some(t.limit),
        (None, Some(m)) => Some(m.limit),
        (None, None) => None,
    }
}

/// Every instant at which the state of `ip` may change, pushed through `f` (only those in
/// the cycle containing `after` and the next one for Recurring profiles).
fn boundaries(
    ip: &InstalledProfile,
    ctx: &ScheduleContext,
    after: DateTime<Utc>,
    f: &mut impl FnMut(DateTime<Utc>),
) {
    let p = &ip.profile;
    if let Some(v) = p.valid_from {
        f(v);
    }
    if let Some(v) = p.valid_to {
        f(v);
    }
    let Some((start, span)) = schedule_window(p, ctx, after) else {
        return;
    };
    let cycles: &[i64] = match recurrence_s(p) {
        Some(period) => &[0, period],
        None => &[0],
    };
    for &c in cycles {
        let s = start + Duration::seconds(c);
        f(s);
        if let Some(span) = span {
            f(s + Duration::seconds(span));
        }
        for per in &p.charging_schedule.charging_schedule_period {
            f(s + Duration::seconds(i64::from(per.start_period)));
        }
    }
}

/// The first instant `> after` at which any relevant profile's state may change (a raw
/// boundary: the limit need not actually change there).
pub fn next_boundary(
    profiles: &[InstalledProfile],
    ctx: &ScheduleContext,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut best: Option<DateTime<Utc>> = None;
    for ip in profiles.iter().filter(|ip| relevant(ip, ctx)) {
        boundaries(ip, ctx, after, &mut |b| {
            if b > after && best.is_none_or(|cur| b < cur) {
                best = Some(b);
            }
        });
    }
    best
}

/// The latest instant after which every relevant profile behaves periodically (with a period
/// dividing one week): validity bounds, non-recurring schedules' ends, anchors.
fn settle_time(profiles: &[InstalledProfile], ctx: &ScheduleContext) -> Option<DateTime<Utc>> {
    let mut latest: Option<DateTime<Utc>> = None;
    let mut see = |t: DateTime<Utc>| {
        if latest.is_none_or(|cur| t > cur) {
            latest = Some(t);
        }
    };
    for ip in profiles.iter().filter(|ip| relevant(ip, ctx)) {
        let p = &ip.profile;
        p.valid_from.into_iter().for_each(&mut see);
        p.valid_to.into_iter().for_each(&mut see);
        if let Some(base) = anchor(p, ctx) {
            see(base);
            if recurrence_s(p).is_none() {
                let last_period = p
                    .charging_schedule
                    .charging_schedule_period
                    .iter()
                    .map(|per| i64::from(per.start_period))
                    .max()
                    .unwrap_or(0);
                let end = last_period.max(p.charging_schedule.duration.map_or(0, i64::from));
                see(base + Duration::seconds(end));
            }
        }
    }
    latest
}

/// The first moment after `after` at which `limit_at` changes (always `> after`); `None` when
/// it never changes again. May, in pathological cases (more than 100 000 boundaries without
/// a change), return a moment at which nothing changes: waking then is harmless.
pub fn next_change(
    profiles: &[InstalledProfile],
    ctx: &ScheduleContext,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let current = limit_at(profiles, ctx, after);
    let settled = settle_time(profiles, ctx).map_or(after, |s| s.max(after));
    // Past `settled` everything repeats weekly: a week without change means never.
    let horizon = settled + Duration::seconds(WEEK_S + 1);
    let mut t = after;
    for _ in 0..MAX_WALK {
        let b = next_boundary(profiles, ctx, t)?;
        if b > horizon {
            return None;
        }
        if limit_at(profiles, ctx, b) != current {
            return Some(b);
        }
        t = b;
    }
    next_boundary(profiles, ctx, t)
}

fn round_tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Seconds from `start` to `t`, rounded up (so the value at each whole second is exact).
fn ceil_secs(d: Duration) -> i64 {
    let s = d.num_seconds();
    if d > Duration::seconds(s) {
        s + 1
    } else {
        s
    }
}

/// The composite schedule from `start` for `duration_s` seconds in `unit`, periods merged,
/// startSchedule = `start`.
///
/// Limits are converted to `unit` (see [`Limit::in_unit`]) and rounded to 0.1. Periods start
/// at whole seconds: a boundary at a fractional offset starts its period at the next whole
/// second, so the schedule is exact at every whole second from `start`.
///
/// This module does not know the hardware maximum, so a stretch where no profile applies
/// cannot be expressed: the schedule stops at the first such stretch and `duration` is
/// shortened to where it stops. When no profile applies at `start`, the period list is empty
/// (and `duration` is `Some(0)`). GetCompositeSchedule uses [`composite_with_default`] with the
/// connector's maximum instead.
pub fn composite(
    profiles: &[InstalledProfile],
    ctx: &ScheduleContext,
    start: DateTime<Utc>,
    duration_s: i32,
    unit: ChargingRateUnitType,
) -> ChargingSchedule {
    composite_with_default(profiles, ctx, start, duration_s, unit, None)
}

/// Lowers every limit of `schedule` to at most `max` (the hardware's maximum in the
/// schedule's unit), merging the periods that become equal.
pub fn cap_limits(schedule: &mut ChargingSchedule, max: f64) {
    let mut capped: Vec<ChargingSchedulePeriod> = Vec::new();
    for mut period in schedule.charging_schedule_period.drain(..) {
        period.limit = period.limit.min(round_tenth(max));
        if capped.last().is_some_and(|p| p.limit == period.limit) {
            continue;
        }
        capped.push(period);
    }
    schedule.charging_schedule_period = capped;
}

/// The limit of `schedule` at `offset` seconds from its start: the last period starting at
/// or before it; None before the first period or from `duration` on.
fn limit_at_offset(schedule: &ChargingSchedule, offset: i64) -> Option<f64> {
    if schedule.duration.is_some_and(|d| offset >= i64::from(d)) {
        return None;
    }
    schedule
        .charging_schedule_period
        .iter()
        .take_while(|p| i64::from(p.start_period) <= offset)
        .last()
        .map(|p| p.limit)
}

/// The periods of a composite schedule from its (offset, limit) samples in offset order, and
/// where it ends: at `total`, at the first sample without a limit, or where a period would
/// pass [`MAX_COMPOSITE_PERIODS`]. Equal neighbours merge into one period.
fn periods_from(
    samples: impl Iterator<Item = (i64, Option<f64>)>,
    total: i64,
) -> (Vec<ChargingSchedulePeriod>, i64) {
    let mut periods: Vec<ChargingSchedulePeriod> = Vec::new();
    for (off, value) in samples {
        if off >= total {
            break;
        }
        let Some(value) = value else {
            return (periods, off);
        };
        if periods.last().is_some_and(|p| p.limit == value) {
            continue;
        }
        if periods.len() == MAX_COMPOSITE_PERIODS {
            return (periods, off);
        }
        periods.push(ChargingSchedulePeriod {
            start_period: off as i32,
            limit: value,
            number_phases: None,
        });
    }
    (periods, total)
}

/// The station as a whole (GetCompositeSchedule for connector 0, 5.7: "the total expected
/// power or current the Charge Point expects to consume from the grid"): at every moment
/// the sum of the connectors' schedules, at most `cap` (the ChargePointMaxProfile, filled
/// with the station's maximum). All from the same start in the same unit, each covering
/// its whole duration (as [`composite_with_default`] with a default gives them); the result
/// ends where the first of them ends.
pub fn station_total(connectors: &[ChargingSchedule], cap: &ChargingSchedule) -> ChargingSchedule {
    let all = || connectors.iter().chain(std::iter::once(cap));
    let end = all()
        .map(|s| i64::from(s.duration.unwrap_or(i32::MAX)))
        .min()
        .unwrap_or(0);
    let mut starts: Vec<i64> = all()
        .flat_map(|s| s.charging_schedule_period.iter())
        .map(|p| i64::from(p.start_period))
        .filter(|&s| s < end)
        .collect();
    starts.sort_unstable();
    starts.dedup();
    // Nothing known from an offset on (a schedule without a first period at 0) ends it.
    let samples = starts.into_iter().map(|off| {
        let sum = connectors
            .iter()
            .map(|s| limit_at_offset(s, off))
            .sum::<Option<f64>>();
        let value = match (sum, limit_at_offset(cap, off)) {
            (Some(sum), Some(max)) => Some(round_tenth(sum.min(max))),
            _ => None,
        };
        (off, value)
    });
    let (periods, until) = periods_from(samples, end);
    ChargingSchedule {
        duration: Some(until as i32),
        start_schedule: cap.start_schedule,
        charging_rate_unit: cap.charging_rate_unit,
        charging_schedule_period: periods,
        min_charging_rate: None,
    }
}

/// Like [`composite`], but stretches where no profile applies get `default` (e.g. the
/// hardware maximum), so with `Some` the schedule always covers the whole `duration_s`
/// (unless cut at [`MAX_COMPOSITE_PERIODS`]).
pub fn composite_with_default(
    profiles: &[InstalledProfile],
    ctx: &ScheduleContext,
    start: DateTime<Utc>,
    duration_s: i32,
    unit: ChargingRateUnitType,
    default: Option<Limit>,
) -> ChargingSchedule {
    let mut total = i64::from(duration_s.max(0));
    // (offset, value) samples; the last sample at a given whole-second offset wins.
    let mut raw: Vec<(i64, Option<f64>)> = Vec::new();
    let mut t = start;
    loop {
        let off = ceil_secs(t - start);
        if off >= total {
            break;
        }
        let value = limit_at(profiles, ctx, t)
            .or(default)
            .map(|l| round_tenth(l.in_unit(unit, ctx.voltage_v)));
        match raw.last_mut() {
            Some(last) if last.0 == off => last.1 = value,
            // Without a default the schedule stops at the first whole second without a limit.
            Some(last) if last.1.is_none() => break,
            _ => raw.push((off, value)),
        }
        if raw.len() > 4 * MAX_COMPOSITE_PERIODS {
            // Too many boundaries: stop where the last sample starts.
            total = off;
            raw.pop();
            break;
        }
        match next_boundary(profiles, ctx, t) {
            Some(b) => t = b,
            None => break,
        }
    }
    let (periods, end) = periods_from(raw.into_iter(), total);
    ChargingSchedule {
        duration: Some(end as i32),
        start_schedule: Some(start),
        charging_rate_unit: unit,
        charging_schedule_period: periods,
        min_charging_rate: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_cycles_handles_negative_fractions() {
        assert_eq!(floor_cycles(Duration::milliseconds(-500), 10), -1);
        assert_eq!(floor_cycles(Duration::seconds(-10), 10), -1);
        assert_eq!(floor_cycles(Duration::seconds(-11), 10), -2);
        assert_eq!(floor_cycles(Duration::seconds(0), 10), 0);
        assert_eq!(floor_cycles(Duration::milliseconds(9_999), 10), 0);
        assert_eq!(floor_cycles(Duration::seconds(10), 10), 1);
    }

    fn steps(duration: i32, periods: &[(i32, f64)]) -> ChargingSchedule {
        ChargingSchedule {
            duration: Some(duration),
            start_schedule: None,
            charging_rate_unit: ChargingRateUnitType::A,
            charging_schedule_period: periods
                .iter()
                .map(|&(start_period, limit)| ChargingSchedulePeriod {
                    start_period,
                    limit,
                    number_phases: None,
                })
                .collect(),
            min_charging_rate: None,
        }
    }

    fn periods(s: &ChargingSchedule) -> Vec<(i32, f64)> {
        s.charging_schedule_period
            .iter()
            .map(|p| (p.start_period, p.limit))
            .collect()
    }

    #[test]
    fn the_station_total_sums_the_connectors_under_the_cap() {
        let one = steps(600, &[(0, 16.0), (300, 32.0)]);
        let two = steps(600, &[(0, 10.0), (100, 20.0)]);
        let cap = steps(600, &[(0, 40.0), (500, 100.0)]);
        let total = station_total(&[one.clone(), two.clone()], &cap);
        assert_eq!(
            periods(&total),
            vec![(0, 26.0), (100, 36.0), (300, 40.0), (500, 52.0)]
        );
        assert_eq!(total.duration, Some(600));
        // The shortest schedule ends the total; equal neighbours merge.
        let short = steps(200, &[(0, 40.0)]);
        let total = station_total(&[one, two], &short);
        assert_eq!(periods(&total), vec![(0, 26.0), (100, 36.0)]);
        assert_eq!(total.duration, Some(200));
        // Nothing asked for, nothing reported.
        let none = station_total(&[steps(0, &[])], &steps(0, &[]));
        assert!(none.charging_schedule_period.is_empty());
    }

    #[test]
    fn ceil_secs_rounds_up_fractions() {
        assert_eq!(ceil_secs(Duration::milliseconds(1)), 1);
        assert_eq!(ceil_secs(Duration::seconds(3)), 3);
        assert_eq!(ceil_secs(Duration::milliseconds(3_001)), 4);
    }
}
