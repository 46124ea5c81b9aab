//! Smart charging schedule evaluation: hand-worked cases and a property test against a
//! brute-force, second-by-second reference.

use chrono::{DateTime, Duration, TimeZone, Utc};
use ocpp::{
    ChargingProfile, ChargingProfileKindType as Kind, ChargingProfilePurposeType as Purpose,
    ChargingRateUnitType as Unit, ChargingSchedule, ChargingSchedulePeriod, RecurrencyKindType,
};
use proptest::prelude::*;
use station::smart_charging::schedule::{
    composite, composite_with_default, limit_at, next_boundary, next_change, InstalledProfile,
    Limit, ScheduleContext,
};

const V: f64 = 230.0;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
}

fn at(secs: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(secs)
}

fn hm(h: i64, m: i64) -> DateTime<Utc> {
    at(h * 3600 + m * 60)
}

fn profile(
    id: i32,
    purpose: Purpose,
    kind: Kind,
    stack: i32,
    unit: Unit,
    periods: &[(i32, f64)],
) -> ChargingProfile {
    ChargingProfile {
        charging_profile_id: id,
        transaction_id: None,
        stack_level: stack,
        charging_profile_purpose: purpose,
        charging_profile_kind: kind,
        recurrency_kind: None,
        valid_from: None,
        valid_to: None,
        charging_schedule: ChargingSchedule {
            duration: None,
            start_schedule: None,
            charging_rate_unit: unit,
            charging_schedule_period: periods
                .iter()
                .map(|&(start_period, limit)| ChargingSchedulePeriod {
                    start_period,
                    limit,
                    number_phases: None,
                })
                .collect(),
            min_charging_rate: None,
        },
    }
}

fn absolute(
    id: i32,
    purpose: Purpose,
    stack: i32,
    start: DateTime<Utc>,
    periods: &[(i32, f64)],
) -> ChargingProfile {
    let mut p = profile(id, purpose, Kind::Absolute, stack, Unit::A, periods);
    p.charging_schedule.start_schedule = Some(start);
    p
}

fn on(connector: u32, profile: ChargingProfile) -> InstalledProfile {
    InstalledProfile { connector, profile }
}

fn ctx(connector: u32, transaction: Option<(i32, DateTime<Utc>)>) -> ScheduleContext {
    ScheduleContext {
        connector,
        transaction,
        voltage_v: V,
    }
}

fn amps(v: f64) -> Option<Limit> {
    Some(Limit {
        value: v,
        unit: Unit::A,
    })
}

fn watts(v: f64) -> Option<Limit> {
    Some(Limit {
        value: v,
        unit: Unit::W,
    })
}

fn periods(s: &ChargingSchedule) -> Vec<(i32, f64)> {
    s.charging_schedule_period
        .iter()
        .map(|p| (p.start_period, p.limit))
        .collect()
}

#[test]
fn no_profiles_no_limit() {
    let c = ctx(1, None);
    assert_eq!(limit_at(&[], &c, t0()), None);
    assert_eq!(next_change(&[], &c, t0()), None);
    let s = composite(&[], &c, t0(), 3600, Unit::A);
    assert!(s.charging_schedule_period.is_empty());
    assert_eq!(s.start_schedule, Some(t0()));
}

#[test]
fn higher_stack_level_wins_and_falls_through_after_its_duration() {
    let low = absolute(1, Purpose::TxDefaultProfile, 0, t0(), &[(0, 16.0)]);
    let mut high = absolute(
        2,
        Purpose::TxDefaultProfile,
        1,
        at(600),
        &[(0, 8.0), (300, 10.0)],
    );
    high.charging_schedule.duration = Some(900);
    let ps = vec![on(0, low), on(0, high)];
    let c = ctx(1, None);
    assert_eq!(limit_at(&ps, &c, at(0)), amps(16.0));
    assert_eq!(limit_at(&ps, &c, at(599)), amps(16.0));
    assert_eq!(limit_at(&ps, &c, at(600)), amps(8.0));
    assert_eq!(limit_at(&ps, &c, at(899)), amps(8.0));
    assert_eq!(limit_at(&ps, &c, at(900)), amps(10.0));
    assert_eq!(limit_at(&ps, &c, at(1499)), amps(10.0));
    assert_eq!(limit_at(&ps, &c, at(1500)), amps(16.0)); // duration ended: falls through
    assert_eq!(next_change(&ps, &c, at(0)), Some(at(600)));
    assert_eq!(next_change(&ps, &c, at(600)), Some(at(900)));
    assert_eq!(next_change(&ps, &c, at(900)), Some(at(1500)));
    assert_eq!(next_change(&ps, &c, at(1500)), None);
    let s = composite(&ps, &c, t0(), 3600, Unit::A);
    assert_eq!(
        periods(&s),
        vec![(0, 16.0), (600, 8.0), (900, 10.0), (1500, 16.0)]
    );
    assert_eq!(s.duration, Some(3600));
}

#[test]
fn higher_stack_level_before_its_start_lets_lower_through() {
    // The higher level's schedule starts later: before that it has no period.
    let low = absolute(1, Purpose::TxDefaultProfile, 0, t0(), &[(0, 20.0)]);
    let high = absolute(2, Purpose::TxDefaultProfile, 3, t0(), &[(1200, 6.0)]);
    let ps = vec![on(1, high), on(1, low)];
    let c = ctx(1, None);
    assert_eq!(limit_at(&ps, &c, at(1199)), amps(20.0));
    assert_eq!(limit_at(&ps, &c, at(1200)), amps(6.0));
}

#[test]
fn duration_end_and_unlisted_periods_beyond_duration() {
    let mut p = absolute(
        1,
        Purpose::TxDefaultProfile,
        0,
        t0(),
        &[(0, 10.0), (200, 5.0)],
    );
    p.charging_schedule.duration = Some(100); // the second period is never executed
    let ps = vec![on(1, p)];
    let c = ctx(1, None);
    assert_eq!(limit_at(&ps, &c, at(99)), amps(10.0));
    assert_eq!(limit_at(&ps, &c, at(100)), None);
    assert_eq!(limit_at(&ps, &c, at(250)), None);
    assert_eq!(next_change(&ps, &c, at(0)), Some(at(100)));
    assert_eq!(next_change(&ps, &c, at(100)), None);
    // composite stops where the limits stop.
    let s = composite(&ps, &c, t0(), 600, Unit::A);
    assert_eq!(periods(&s), vec![(0, 10.0)]);
    assert_eq!(s.duration, Some(100));
    // with a default the whole window is covered.
    let s = composite_with_default(&ps, &c, t0(), 600, Unit::A, amps(32.0));
    assert_eq!(periods(&s), vec![(0, 10.0), (100, 32.0)]);
    assert_eq!(s.duration, Some(600));
}

#[test]
fn overlapping_profiles_of_different_purposes_take_the_minimum() {
    let max = absolute(
        1,
        Purpose::ChargePointMaxProfile,
        0,
        t0(),
        &[(0, 20.0), (600, 12.0)],
    );
    let def = absolute(2, Purpose::TxDefaultProfile, 0, t0(), &[(0, 16.0)]);
    let ps = vec![on(0, max), on(1, def)];
    let c = ctx(1, None);
    assert_eq!(limit_at(&ps, &c, at(0)), amps(16.0));
    assert_eq!(limit_at(&ps, &c, at(600)), amps(12.0));
    let s = composite(&ps, &c, t0(), 1200, Unit::A);
    assert_eq!(periods(&s), vec![(0, 16.0), (600, 12.0)]);
}

#[test]
fn charge_point_max_profile_caps_and_is_ignored_off_connector_zero() {
    let max = absolute(1, Purpose::ChargePointMaxProfile, 0, t0(), &[(0, 10.0)]);
    let def = absolute(2, Purpose::TxDefaultProfile, 0, t0(), &[(0, 16.0)]);
    let c = ctx(2, None);
    assert_eq!(
        limit_at(&[on(0, max.clone()), on(2, def.clone())], &c, at(5)),
        amps(10.0)
    );
    // Not on connector 0: not a ChargePointMaxProfile the station can have.
    assert_eq!(limit_at(&[on(2, max), on(2, def)], &c, at(5)), amps(16.0));
}

#[test]
fn amps_and_watts_are_compared_after_conversion() {
    let mut max = absolute(1, Purpose::ChargePointMaxProfile, 0, t0(), &[(0, 2300.0)]);
    max.charging_schedule.charging_rate_unit = Unit::W; // 10 A at 230 V
    let def = absolute(
        2,
        Purpose::TxDefaultProfile,
        0,
        t0(),
        &[(0, 16.0), (60, 8.0)],
    );
    let ps = vec![on(0, max), on(0, def)];
    let c = ctx(1, None);
    assert_eq!(limit_at(&ps, &c, at(0)), watts(2300.0));
    assert_eq!(limit_at(&ps, &c, at(60)), amps(8.0));
    let s = composite(&ps, &c, t0(), 120, Unit::A);
    assert_eq!(periods(&s), vec![(0, 10.0), (60, 8.0)]);
    let s = composite(&ps, &c, t0(), 120, Unit::W);
    assert_eq!(periods(&s), vec![(0, 2300.0), (60, 1840.0)]);
    assert_eq!(s.charging_rate_unit, Unit::W);
}

#[test]
fn composite_rounds_to_one_decimal() {
    let mut p = absolute(1, Purpose::TxDefaultProfile, 0, t0(), &[(0, 1000.0)]);
    p.charging_schedule.charging_rate_unit = Unit::W; // 4.3478... A
    let s = composite(&[on(0, p)], &ctx(1, None), t0(), 60, Unit::A);
    assert_eq!(periods(&s), vec![(0, 4.3)]);
}

#[test]
fn tx_profile_overrides_tx_default_while_it_applies() {
    let def = absolute(1, Purpose::TxDefaultProfile, 5, t0(), &[(0, 16.0)]);
    let mut tx = profile(
        2,
        Purpose::TxProfile,
        Kind::Relative,
        0,
        Unit::A,
        &[(0, 20.0), (300, 6.0)],
    );
    tx.transaction_id = Some(7);
    tx.charging_schedule.duration = Some(600);
    let ps = vec![on(0, def), on(1, tx)];
    let tx_start = at(1000);
    let c = ctx(1, Some((7, tx_start)));
    assert_eq!(limit_at(&ps, &c, at(999)), amps(16.0)); // Relative: not yet started
    assert_eq!(limit_at(&ps, &c, at(1000)), amps(20.0)); // higher than the default: still wins
    assert_eq!(limit_at(&ps, &c, at(1300)), amps(6.0));
    assert_eq!(limit_at(&ps, &c, at(1600)), amps(16.0)); // TxProfile ended
                                                         // Another transaction: the TxProfile does not apply.
    assert_eq!(
        limit_at(&ps, &ctx(1, Some((8, tx_start))), at(1000)),
        amps(16.0)
    );
    // No transaction: neither.
    assert_eq!(limit_at(&ps, &ctx(1, None), at(1000)), amps(16.0));
    // Other connector: neither.
    assert_eq!(
        limit_at(&ps, &ctx(2, Some((7, tx_start))), at(1000)),
        amps(16.0)
    );
    let s = composite(&ps, &c, at(900), 1000, Unit::A);
    assert_eq!(
        periods(&s),
        vec![(0, 16.0), (100, 20.0), (400, 6.0), (700, 16.0)]
    );
}

#[test]
fn relative_profile_is_relative_to_transaction_start() {
    let p = profile(
        1,
        Purpose::TxDefaultProfile,
        Kind::Relative,
        0,
        Unit::A,
        &[(0, 6.0), (1800, 16.0)],
    );
    let ps = vec![on(0, p)];
    let c = ctx(1, Some((1, hm(10, 0))));
    assert_eq!(limit_at(&ps, &c, hm(9, 59)), None);
    assert_eq!(limit_at(&ps, &c, hm(10, 0)), amps(6.0));
    assert_eq!(limit_at(&ps, &c, hm(10, 29)), amps(6.0));
    assert_eq!(limit_at(&ps, &c, hm(10, 30)), amps(16.0));
    assert_eq!(next_change(&ps, &c, hm(10, 0)), Some(hm(10, 30)));
    // Without a transaction a Relative profile has no start point.
    assert_eq!(limit_at(&ps, &ctx(1, None), hm(10, 0)), None);
}

#[test]
fn recurring_daily_crosses_midnight() {
    // 22:00 - 06:00 full power (32 A), 06:00 - 22:00 reduced (10 A), starting 2023-12-25 22:00.
    let mut p = profile(
        1,
        Purpose::TxDefaultProfile,
        Kind::Recurring,
        0,
        Unit::A,
        &[(0, 32.0), (8 * 3600, 10.0)],
    );
    p.recurrency_kind = Some(RecurrencyKindType::Daily);
    p.charging_schedule.start_schedule = Some(hm(22, 0) - Duration::days(7));
    let ps = vec![on(0, p)];
    let c = ctx(1, None);
    assert_eq!(limit_at(&ps, &c, hm(21, 59)), amps(10.0));
    assert_eq!(limit_at(&ps, &c, hm(22, 0)), amps(32.0));
    assert_eq!(limit_at(&ps, &c, hm(24 + 5, 59)), amps(32.0));
    assert_eq!(limit_at(&ps, &c, hm(24 + 6, 0)), amps(10.0));
    assert_eq!(next_change(&ps, &c, hm(12, 0)), Some(hm(22, 0)));
    assert_eq!(next_change(&ps, &c, hm(22, 0)), Some(hm(24 + 6, 0)));
    let s = composite(&ps, &c, hm(20, 0), 12 * 3600, Unit::A);
    assert_eq!(
        periods(&s),
        vec![(0, 10.0), (7200, 32.0), (10 * 3600, 10.0)]
    );
}

#[test]
fn recurring_daily_with_short_duration_falls_through_each_day() {
    // 08:00 - 20:00 at 6 A on top of a 16 A absolute default.
    let mut day = profile(
        2,
        Purpose::TxDefaultProfile,
        Kind::Recurring,
        1,
        Unit::A,
        &[(0, 6.0)],
    );
    day.recurrency_kind = Some(RecurrencyKindType::Daily);
    day.charging_schedule.start_schedule = Some(hm(8, 0) - Duration::days(30));
    day.charging_schedule.duration = Some(12 * 3600);
    let base = absolute(
        1,
        Purpose::TxDefaultProfile,
        0,
        at(-86_400 * 60),
        &[(0, 16.0)],
    );
    let ps = vec![on(0, day), on(0, base)];
    let c = ctx(1, None);
    assert_eq!(limit_at(&ps, &c, hm(7, 59)), amps(16.0));
    assert_eq!(limit_at(&ps, &c, hm(8, 0)), amps(6.0));
    assert_eq!(limit_at(&ps, &c, hm(20, 0)), amps(16.0));
    assert_eq!(limit_at(&ps, &c, hm(24 + 8, 0)), amps(6.0));
    assert_eq!(next_change(&ps, &c, hm(20, 0)), Some(hm(24 + 8, 0)));
}

#[test]
fn recurring_weekly() {
    // 2024-01-01 is a Monday. Weekly from Saturday 2023-12-30 00:00: 48 h at 32 A, else 10 A.
    let mut p = profile(
        1,
        Purpose::TxDefaultProfile,
        Kind::Recurring,
        0,
        Unit::A,
        &[(0, 32.0), (2 * 86_400, 10.0)],
    );
    p.recurrency_kind = Some(RecurrencyKindType::Weekly);
    p.charging_schedule.start_schedule = Some(at(-2 * 86_400));
    let ps = vec![on(0, p)];
    let c = ctx(1, None);
    assert_eq!(limit_at(&ps, &c, at(-1)), amps(32.0)); // Sunday
    assert_eq!(limit_at(&ps, &c, at(0)), amps(10.0)); // Monday
    assert_eq!(limit_at(&ps, &c, at(5 * 86_400 - 1)), amps(10.0)); // Friday
    assert_eq!(limit_at(&ps, &c, at(5 * 86_400)), amps(32.0)); // next Saturday
    assert_eq!(limit_at(&ps, &c, at(7 * 86_400)), amps(10.0)); // next Monday
    assert_eq!(next_change(&ps, &c, at(0)), Some(at(5 * 86_400)));
}

#[test]
fn valid_from_and_valid_to_cut() {
    let mut p = absolute(1, Purpose::TxDefaultProfile, 1, t0(), &[(0, 8.0)]);
    p.valid_from = Some(at(100));
    p.valid_to = Some(at(200));
    let base = absolute(2, Purpose::TxDefaultProfile, 0, t0(), &[(0, 16.0)]);
    let ps = vec![on(0, p), on(0, base)];
    let c = ctx(1, None);
    assert_eq!(limit_at(&ps, &c, at(99)), amps(16.0));
    assert_eq!(limit_at(&ps, &c, at(100)), amps(8.0));
    assert_eq!(limit_at(&ps, &c, at(199)), amps(8.0));
    assert_eq!(limit_at(&ps, &c, at(200)), amps(16.0));
    assert_eq!(next_change(&ps, &c, at(0)), Some(at(100)));
    assert_eq!(next_change(&ps, &c, at(100)), Some(at(200)));
    assert_eq!(next_change(&ps, &c, at(200)), None);
}

#[test]
fn connector_zero_profile_applies_to_every_connector_and_specific_one_wins_ties() {
    let all = absolute(1, Purpose::TxDefaultProfile, 0, t0(), &[(0, 16.0)]);
    let one = absolute(2, Purpose::TxDefaultProfile, 0, t0(), &[(0, 20.0)]);
    let ps = vec![on(0, all), on(1, one)];
    assert_eq!(limit_at(&ps, &ctx(1, None), at(0)), amps(20.0)); // replaced for connector 1
    assert_eq!(limit_at(&ps, &ctx(2, None), at(0)), amps(16.0));
    // The station as a whole: only what is installed on connector 0.
    assert_eq!(limit_at(&ps, &ctx(0, None), at(0)), amps(16.0));
    // A higher stack level on connector 0 still wins over a lower one on the connector.
    let all_high = absolute(3, Purpose::TxDefaultProfile, 2, t0(), &[(0, 6.0)]);
    let ps = vec![
        on(0, all_high),
        on(
            1,
            absolute(2, Purpose::TxDefaultProfile, 0, t0(), &[(0, 20.0)]),
        ),
    ];
    assert_eq!(limit_at(&ps, &ctx(1, None), at(0)), amps(6.0));
}

#[test]
fn connector_zero_context_ignores_tx_profiles_and_connector_profiles() {
    let max = absolute(1, Purpose::ChargePointMaxProfile, 0, t0(), &[(0, 40.0)]);
    let def = absolute(2, Purpose::TxDefaultProfile, 0, t0(), &[(0, 16.0)]);
    let tx = absolute(3, Purpose::TxProfile, 0, t0(), &[(0, 6.0)]);
    let ps = vec![on(0, max), on(1, def), on(1, tx)];
    assert_eq!(limit_at(&ps, &ctx(0, Some((1, t0()))), at(0)), amps(40.0));
}

#[test]
fn periods_are_merged_and_start_at_zero() {
    let p = absolute(
        1,
        Purpose::TxDefaultProfile,
        0,
        at(-100),
        &[(0, 10.0), (150, 10.0), (300, 12.0)],
    );
    let s = composite(&[on(0, p)], &ctx(1, None), t0(), 600, Unit::A);
    assert_eq!(periods(&s), vec![(0, 10.0), (200, 12.0)]);
}

#[test]
fn composite_with_leading_gap() {
    let p = absolute(1, Purpose::TxDefaultProfile, 0, at(300), &[(0, 10.0)]);
    let ps = vec![on(0, p)];
    let c = ctx(1, None);
    let s = composite(&ps, &c, t0(), 600, Unit::A);
    assert!(s.charging_schedule_period.is_empty());
    assert_eq!(s.duration, Some(0));
    let s = composite_with_default(&ps, &c, t0(), 600, Unit::W, amps(32.0));
    assert_eq!(periods(&s), vec![(0, 7360.0), (300, 2300.0)]);
}

#[test]
fn fractional_start_rounds_period_starts_up() {
    let p = absolute(
        1,
        Purpose::TxDefaultProfile,
        0,
        t0(),
        &[(0, 10.0), (100, 12.0)],
    );
    let start = t0() + Duration::milliseconds(500);
    let s = composite(&[on(0, p)], &ctx(1, None), start, 600, Unit::A);
    // The boundary is 99.5 s after start: at whole second 99 the old value, at 100 the new.
    assert_eq!(periods(&s), vec![(0, 10.0), (100, 12.0)]);
}

// ---------------------------------------------------------------------------------------
// Property test against a brute-force reference.

/// (stack level, installed on the connector itself, amperes, value, unit).
type Candidate = (i32, bool, f64, f64, Unit);

/// Simple, independent evaluation at whole second `s` (seconds from t0): returns the
/// winning limit converted to amperes and the limit itself.
fn reference(
    profiles: &[InstalledProfile],
    connector: u32,
    tx: Option<(i32, i64)>,
    s: i64,
) -> Option<(f64, f64, Unit)> {
    let secs = |d: DateTime<Utc>| (d - t0()).num_seconds();
    // best per purpose: (stack, specific, amps, value, unit)
    let mut best: [Option<Candidate>; 3] = [None, None, None];
    for ip in profiles {
        let p = &ip.profile;
        let slot = match p.charging_profile_purpose {
            Purpose::ChargePointMaxProfile => {
                if ip.connector != 0 {
                    continue;
                }
                0
            }
            Purpose::TxDefaultProfile => {
                if ip.connector != 0 && ip.connector != connector {
                    continue;
                }
                1
            }
            Purpose::TxProfile => {
                let Some((id, _)) = tx else { continue };
                if connector == 0 || ip.connector != connector {
                    continue;
                }
                if let Some(pid) = p.transaction_id {
                    if pid != id {
                        continue;
                    }
                }
                2
            }
        };
        if let Some(f) = p.valid_from {
            if s < secs(f) {
                continue;
            }
        }
        if let Some(t) = p.valid_to {
            if s >= secs(t) {
                continue;
            }
        }
        let sched = &p.charging_schedule;
        let anchor = match p.charging_profile_kind {
            Kind::Relative => tx.map(|x| x.1),
            _ => sched.start_schedule.map(secs).or(tx.map(|x| x.1)),
        };
        let Some(anchor) = anchor else { continue };
        let (off, span) = if p.charging_profile_kind == Kind::Recurring {
            let period = if p.recurrency_kind == Some(RecurrencyKindType::Weekly) {
                7 * 86_400
            } else {
                86_400
            };
            let cycle = anchor + (s - anchor).div_euclid(period) * period;
            let span = sched.duration.map_or(period, |d| (d as i64).min(period));
            (s - cycle, Some(span))
        } else {
            (s - anchor, sched.duration.map(|d| d as i64))
        };
        if off < 0 || span.is_some_and(|d| off >= d) {
            continue;
        }
        let mut ps: Vec<_> = sched.charging_schedule_period.iter().collect();
        ps.sort_by_key(|p| p.start_period);
        let Some(per) = ps.iter().rev().find(|p| p.start_period as i64 <= off) else {
            continue;
        };
        let value = per.limit;
        let unit = sched.charging_rate_unit;
        let a = if unit == Unit::A { value } else { value / V };
        let cand = (p.stack_level, ip.connector != 0, a, value, unit);
        let replace = match &best[slot] {
            None => true,
            Some(b) => {
                (cand.0, cand.1) > (b.0, b.1) || ((cand.0, cand.1) == (b.0, b.1) && cand.2 < b.2)
            }
        };
        if replace {
            best[slot] = Some(cand);
        }
    }
    let txl = best[2].or(best[1]);
    let win = match (txl, best[0]) {
        (Some(t), Some(m)) => Some(if m.2 < t.2 { m } else { t }),
        (t, m) => t.or(m),
    };
    win.map(|w| (w.2, w.3, w.4))
}

fn convert_round(value: f64, from: Unit, to: Unit) -> f64 {
    let x = match (from, to) {
        (Unit::A, Unit::W) => value * V,
        (Unit::W, Unit::A) => value / V,
        _ => value,
    };
    (x * 10.0).round() / 10.0
}

fn value_at(s: &ChargingSchedule, sec: i64) -> Option<f64> {
    if sec >= s.duration.unwrap() as i64 {
        return None;
    }
    s.charging_schedule_period
        .iter()
        .rev()
        .find(|p| p.start_period as i64 <= sec)
        .map(|p| p.limit)
}

const WINDOW: i64 = 7200;

fn arb_profile() -> impl Strategy<Value = InstalledProfile> {
    (
        (0u32..=2, 0usize..3, 0usize..3, 0usize..3, 0i32..=3),
        (
            prop::option::weighted(0.3, 1i32..=3),
            prop::option::weighted(0.3, -7200i64..9000),
            prop::option::weighted(0.3, -3600i64..10000),
            prop::option::weighted(0.8, (-8i64..=1, -7200i64..7200)),
            prop::option::weighted(0.5, 1i32..10_000),
            any::<bool>(),
        ),
        prop::collection::vec((1i32..3000, 0u32..=500, 0u32..=100_000), 1..=4),
        prop::option::weighted(0.1, 1i32..600),
    )
        .prop_map(
            |(
                (connector, purpose, kind, rec, stack),
                (txid, from, to, start, duration, watts),
                raw_periods,
                first_start,
            )| {
                let purpose = [
                    Purpose::ChargePointMaxProfile,
                    Purpose::TxDefaultProfile,
                    Purpose::TxProfile,
                ][purpose];
                let kind = [Kind::Absolute, Kind::Recurring, Kind::Relative][kind];
                let unit = if watts { Unit::W } else { Unit::A };
                let mut sp = first_start.unwrap_or(0);
                let mut periods = Vec::new();
                for (i, (step, a, w)) in raw_periods.into_iter().enumerate() {
                    if i > 0 {
                        sp += step;
                    }
                    let limit = if watts {
                        w as f64 / 10.0
                    } else {
                        a as f64 / 10.0
                    };
                    periods.push((sp, limit));
                }
                let mut p = profile(1, purpose, kind, stack, unit, &periods);
                p.transaction_id = txid;
                p.recurrency_kind = [
                    None,
                    Some(RecurrencyKindType::Daily),
                    Some(RecurrencyKindType::Weekly),
                ][rec];
                p.valid_from = from.map(at);
                p.valid_to = to.map(at);
                p.charging_schedule.start_schedule = start.map(|(d, o)| at(d * 86_400 + o));
                p.charging_schedule.duration = duration;
                on(connector, p)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn composite_matches_brute_force(
        profiles in prop::collection::vec(arb_profile(), 1..=6),
        connector in 0u32..=2,
        tx in prop::option::weighted(0.6, (1i32..=3, -7200i64..7200)),
        start_off in -3600i64..3600,
        unit_w in any::<bool>(),
    ) {
        let unit = if unit_w { Unit::W } else { Unit::A };
        let c = ctx(connector, tx.map(|(id, s)| (id, at(s))));
        let start = at(start_off);
        let s = composite(&profiles, &c, start, WINDOW as i32, unit);
        let default = Limit { value: 50.0, unit: Unit::A };
        let sd = composite_with_default(&profiles, &c, start, WINDOW as i32, unit, Some(default));
        prop_assert_eq!(sd.duration, Some(WINDOW as i32));
        for sch in [&s, &sd] {
            prop_assert_eq!(sch.start_schedule, Some(start));
            prop_assert_eq!(sch.charging_rate_unit, unit);
            let ps = &sch.charging_schedule_period;
            if let Some(first) = ps.first() {
                prop_assert_eq!(first.start_period, 0);
            }
            for w in ps.windows(2) {
                prop_assert!(w[0].start_period < w[1].start_period);
                prop_assert!(w[0].limit != w[1].limit, "unmerged periods {:?}", ps);
            }
            prop_assert!(ps.iter().all(|p| p.number_phases.is_none()));
        }
        let dur = s.duration.unwrap() as i64;
        prop_assert!((0..=WINDOW).contains(&dur));
        for sec in 0..WINDOW {
            let r = reference(&profiles, connector, tx, start_off + sec);
            let expected = r.map(|(_, v, u)| convert_round(v, u, unit));
            // limit_at agrees with the reference.
            let l = limit_at(&profiles, &c, at(start_off + sec));
            prop_assert_eq!(l.map(|l| (l.value, l.unit)), r.map(|(_, v, u)| (v, u)), "limit_at at {}", sec);
            // composite without default: exact up to its duration, then a gap.
            if sec < dur {
                prop_assert!(expected.is_some());
                prop_assert_eq!(value_at(&s, sec), expected, "composite at {}", sec);
            } else if sec == dur {
                prop_assert_eq!(expected, None, "composite stopped early at {}", sec);
            }
            let expected_d = expected.or(Some(convert_round(50.0, Unit::A, unit)));
            prop_assert_eq!(value_at(&sd, sec), expected_d, "composite_with_default at {}", sec);
        }

        // next_change: strictly later, the limit is constant until it, and changes at it.
        let mut cur = start;
        let end = at(start_off + WINDOW);
        let mut steps = 0;
        while cur < end {
            steps += 1;
            prop_assert!(steps < 10_000);
            let here = limit_at(&profiles, &c, cur);
            let next = next_change(&profiles, &c, cur);
            if let Some(n) = next {
                prop_assert!(n > cur);
                prop_assert!(limit_at(&profiles, &c, n) != here);
            }
            let stop = next.map_or(end, |n| n.min(end));
            let mut t = cur + Duration::seconds(1);
            while t < stop {
                prop_assert_eq!(limit_at(&profiles, &c, t), here, "changed before next_change");
                t += Duration::seconds(7);
            }
            match next {
                Some(n) => cur = n,
                None => break,
            }
        }
        // next_boundary never goes backwards either.
        if let Some(b) = next_boundary(&profiles, &c, start) {
            prop_assert!(b > start);
        }
    }
}
