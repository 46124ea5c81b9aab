//! Physical invariants of the simulator under random operator and station actions.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hal::sim::{EvConfig, SimCharger, SimConfig};
use hal::{Charger, HardwareCommand, PowerLimit};
use proptest::prelude::*;

const EPS: f64 = 1e-6;

#[derive(Debug, Clone)]
enum Op {
    Poll(i64),
    Plug(u32, EvConfig),
    Unplug(u32),
    Energize(u32),
    DeEnergize(u32),
    Limit(u32, PowerLimit),
    Suspend(u32, bool),
    Fault(u32, bool),
}

fn ev_strategy() -> impl Strategy<Value = EvConfig> {
    (
        1_000.0..150_000.0f64,
        0.0..100.0f64,
        0.0..100.0f64,
        200.0..900.0f64,
        10.0..600.0f64,
        5_000.0..400_000.0f64,
    )
        .prop_map(|(cap, initial, target, volt, current, power)| EvConfig {
            battery_capacity_wh: cap,
            initial_soc_percent: initial,
            target_soc_percent: target,
            nominal_voltage_v: volt,
            max_current_a: current,
            max_power_w: power,
        })
}

fn limit_strategy() -> impl Strategy<Value = PowerLimit> {
    (
        proptest::option::of(0.0..600.0f64),
        proptest::option::of(0.0..300_000.0f64),
    )
        .prop_map(|(a, w)| PowerLimit {
            max_current_a: a,
            max_power_w: w,
        })
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let c = 1..=2u32;
    prop_oneof![
        4 => (0..1_200_000i64).prop_map(Op::Poll),
        2 => (c.clone(), ev_strategy()).prop_map(|(c, ev)| Op::Plug(c, ev)),
        1 => c.clone().prop_map(Op::Unplug),
        2 => c.clone().prop_map(Op::Energize),
        1 => c.clone().prop_map(Op::DeEnergize),
        1 => (c.clone(), limit_strategy()).prop_map(|(c, l)| Op::Limit(c, l)),
        1 => (c.clone(), any::<bool>()).prop_map(|(c, s)| Op::Suspend(c, s)),
        1 => (c, any::<bool>()).prop_map(|(c, a)| Op::Fault(c, a)),
    ]
}

fn config_strategy() -> impl Strategy<Value = SimConfig> {
    (
        50.0..600.0f64,
        10_000.0..300_000.0f64,
        20_000.0..600_000.0f64,
    )
        .prop_map(|(current, power, station)| SimConfig {
            max_current_a: current,
            max_power_w: power,
            station_max_power_w: station,
            ..SimConfig::default()
        })
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0)
        .single()
        .expect("valid date")
}

fn lim(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::INFINITY)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn physics_stays_within_every_limit(cfg in config_strategy(), ops in prop::collection::vec(op_strategy(), 1..40)) {
        let mut sim = SimCharger::new(cfg.clone(), t0());
        let mut now = t0();
        let mut evs: [Option<EvConfig>; 2] = [None, None];
        let mut limits = [PowerLimit::NONE; 2];
        let mut energy = [0.0f64; 2];
        for op in ops {
            // Operator refusals (e.g. plugging twice) are fine; the invariants must hold anyway.
            match op {
                Op::Poll(ms) => {
                    now += Duration::milliseconds(ms);
                    sim.poll(now);
                }
                Op::Plug(c, ev) => {
                    if sim.plug_ev(c, ev.clone(), now).is_ok() {
                        evs[c as usize - 1] = Some(ev);
                    }
                }
                Op::Unplug(c) => {
                    if sim.unplug(c, now).is_ok() {
                        evs[c as usize - 1] = None;
                    }
                }
                Op::Energize(c) => sim.command(HardwareCommand::Energize { connector: c }, now).expect("energize"),
                Op::DeEnergize(c) => sim.command(HardwareCommand::DeEnergize { connector: c }, now).expect("de-energize"),
                Op::Limit(c, l) => {
                    sim.command(HardwareCommand::SetLimit { connector: c, limit: l }, now).expect("limit");
                    limits[c as usize - 1] = l;
                }
                Op::Suspend(c, s) => { let _ = sim.set_ev_suspended(c, s, now); }
                Op::Fault(c, a) => sim.set_fault(c, "OverVoltage", a).expect("fault"),
            }
            let mut total_power = 0.0;
            for c in 1..=2u32 {
                let i = c as usize - 1;
                let snap = sim.snapshot(c).expect("snapshot");
                let m = snap.meter;
                prop_assert!(m.energy_wh >= energy[i] - EPS, "energy went down: {} -> {}", energy[i], m.energy_wh);
                energy[i] = m.energy_wh;
                prop_assert!(m.current_a >= 0.0 && m.power_w >= 0.0);
                prop_assert!((m.power_w - m.voltage_v * m.current_a).abs() <= EPS * m.power_w.max(1.0));
                prop_assert!(m.current_a <= cfg.max_current_a + EPS);
                prop_assert!(m.current_a <= lim(limits[i].max_current_a) + EPS);
                prop_assert!(m.power_w <= cfg.max_power_w + EPS);
                prop_assert!(m.power_w <= lim(limits[i].max_power_w) + EPS);
                prop_assert!(m.current_a <= m.current_offered_a + EPS);
                if m.current_a > 0.0 {
                    prop_assert!(m.voltage_v <= cfg.max_voltage_v + EPS);
                }
                if !snap.plugged || !snap.energized || snap.fault.is_some() || snap.ev_suspended {
                    prop_assert_eq!(m.current_a, 0.0);
                }
                match (&evs[i], m.soc_percent) {
                    (Some(ev), Some(soc)) => {
                        prop_assert!(soc <= 100.0 + EPS);
                        prop_assert!(soc <= ev.target_soc_percent.max(ev.initial_soc_percent) + EPS, "soc {} target {}", soc, ev.target_soc_percent);
                        prop_assert!(m.current_a <= ev.max_current_a + EPS);
                        prop_assert!(m.power_w <= ev.max_power_w + EPS);
                    }
                    (None, None) => {}
                    (ev, soc) => prop_assert!(false, "ev {:?} but soc {:?}", ev, soc),
                }
                total_power += m.power_w;
            }
            prop_assert!(total_power <= cfg.station_max_power_w + EPS);
        }
    }

    #[test]
    fn one_jump_matches_many_steps(ev in ev_strategy(), minutes in 1i64..180, step_ms in 200i64..5_000) {
        let run = |step: i64| {
            let mut sim = SimCharger::new(SimConfig::default(), t0());
            sim.plug_ev(1, ev.clone(), t0()).expect("plug");
            sim.command(HardwareCommand::Energize { connector: 1 }, t0()).expect("energize");
            let end = t0() + Duration::minutes(minutes);
            let mut now = t0();
            while now < end {
                now = (now + Duration::milliseconds(step)).min(end);
                sim.poll(now);
            }
            sim.meter(1).expect("meter")
        };
        let jump = run(minutes * 60_000);
        let steps = run(step_ms);
        let tolerance = 1e-3 * steps.energy_wh.max(1.0);
        prop_assert!((jump.energy_wh - steps.energy_wh).abs() <= tolerance, "{:?} vs {:?}", jump, steps);
    }
}
