//! Behaviour of the simulated charger as the station sees it.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date")
}

fn secs(s: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(s)
}

fn energize(sim: &mut SimCharger, connector: ConnectorId, now: DateTime<Utc>) {
    sim.command(HardwareCommand::Energize { connector }, now)
        .expect("energize");
}

fn meter(sim: &SimCharger, connector: ConnectorId) -> MeterReading {
    sim.meter(connector).expect("known connector")
}

/// An EV that never tapers or fills up during a test: constant power.
fn big_ev(max_power_w: f64) -> EvConfig {
    EvConfig {
        battery_capacity_wh: 10_000_000.0,
        initial_soc_percent: 20.0,
        max_power_w,
        ..EvConfig::default()
    }
}

#[test]
fn info_and_connector_count_come_from_config() {
    let sim = SimCharger::new(SimConfig::default(), t0());
    let info = sim.info();
    assert_eq!(info.vendor, "Chargepoint");
    assert_eq!(info.model, "SIM-DC-500");
    assert_eq!(info.meter_serial_number, "SIM000001-M");
    assert_eq!(sim.connector_count(), 2);
}

#[test]
fn usable_as_a_boxed_charger() {
    let mut charger: Box<dyn Charger> = Box::new(SimCharger::new(SimConfig::default(), t0()));
    assert!(charger.poll(secs(1)).is_empty());
    assert!(charger.meter(2).is_some());
}

#[test]
fn idle_connector_reads_zero_and_ambient() {
    let sim = SimCharger::new(SimConfig::default(), t0());
    let m = meter(&sim, 1);
    assert_eq!(
        (m.energy_wh, m.power_w, m.current_a, m.voltage_v),
        (0.0, 0.0, 0.0, 0.0)
    );
    assert_eq!(m.soc_percent, None);
    assert_eq!(m.temperature_c, 25.0);
    assert_eq!(m.current_offered_a, 500.0);
    assert_eq!(m.power_offered_w, 250_000.0);
}

#[test]
fn plugged_but_not_energized_delivers_nothing() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.plug(1, t0()).expect("plug");
    sim.poll(secs(60));
    let m = meter(&sim, 1);
    assert_eq!(
        (m.current_a, m.power_w, m.voltage_v, m.energy_wh),
        (0.0, 0.0, 0.0, 0.0)
    );
    assert_eq!(m.soc_percent, Some(20.0));
}

#[test]
fn default_ev_charges_at_its_current_then_power_limit() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.plug(1, t0()).expect("plug");
    energize(&mut sim, 1, t0());
    let m = meter(&sim, 1);
    // 20 % SoC: 0.93 x 400 V open circuit plus 350 A x 0.08 ohm = 400 V, 140 kW.
    assert!((m.current_a - 350.0).abs() < 1e-9, "{m:?}");
    assert!((m.voltage_v - 400.0).abs() < 1e-9, "{m:?}");
    assert!((m.power_w - m.voltage_v * m.current_a).abs() < 1e-6);
    // As the pack voltage rises (above ~61 %) the EV's 150 kW cap takes over.
    sim.poll(secs(15 * 60));
    let m = meter(&sim, 1);
    assert!((m.power_w - 150_000.0).abs() < 1e-6, "{m:?}");
    assert!(m.current_a < 350.0);
}

#[test]
fn one_hour_at_known_power_gives_expected_energy() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.plug_ev(1, big_ev(50_000.0), t0()).expect("plug");
    energize(&mut sim, 1, t0());
    sim.poll(secs(3600));
    let m = meter(&sim, 1);
    assert!((m.energy_wh - 50_000.0).abs() < 1.0, "{m:?}");
    // 50 kWh into a 10 MWh battery: +0.5 %.
    let soc = m.soc_percent.expect("plugged");
    assert!((soc - 20.5).abs() < 1e-6, "{soc}");
}

#[test]
fn full_charge_reaches_target_suspends_and_reports_it() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.plug(1, t0()).expect("plug");
    energize(&mut sim, 1, t0());
    sim.poll(t0());
    let events = sim.poll(secs(4 * 3600));
    assert_eq!(
        events,
        vec![HardwareEvent::EvSuspended {
            connector: 1,
            suspended: true
        }]
    );
    let m = meter(&sim, 1);
    assert_eq!(m.soc_percent, Some(100.0));
    assert_eq!((m.current_a, m.power_w), (0.0, 0.0));
    // 80 % of a 75 kWh battery went in (no losses modelled).
    assert!((m.energy_wh - 60_000.0).abs() < 1e-3, "{m:?}");
    // The pack voltage stays on the closed contactor.
    assert!((m.voltage_v - 420.0).abs() < 1e-6);
    assert!(sim.snapshot(1).expect("snapshot").ev_suspended);
    let err = sim
        .set_ev_suspended(1, false, secs(4 * 3600))
        .expect_err("full");
    assert!(matches!(err, HalError::Refused(_)));
}

#[test]
fn charge_tapers_above_80_percent() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.plug(1, t0()).expect("plug");
    energize(&mut sim, 1, t0());
    // 20 -> 80 % is 45 kWh at 150 kW: 18 minutes. After 25 minutes the taper must show.
    sim.poll(secs(25 * 60));
    let m = meter(&sim, 1);
    let soc = m.soc_percent.expect("plugged");
    assert!(soc > 80.0 && soc < 100.0, "{soc}");
    assert!(m.current_a < 350.0 * (100.0 - soc) / 20.0 + 1e-6, "{m:?}");
    assert!(m.power_w < 150_000.0);
}

#[test]
fn target_below_100_stops_there() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    let ev = EvConfig {
        target_soc_percent: 50.0,
        ..EvConfig::default()
    };
    sim.plug_ev(1, ev, t0()).expect("plug");
    energize(&mut sim, 1, t0());
    sim.poll(t0());
    let events = sim.poll(secs(3600));
    assert_eq!(events.len(), 1);
    let m = meter(&sim, 1);
    assert_eq!(m.soc_percent, Some(50.0));
    assert!((m.energy_wh - 22_500.0).abs() < 1e-3);
}

#[test]
fn one_long_poll_equals_many_small_polls() {
    let run = |step_ms: i64| {
        let mut sim = SimCharger::new(SimConfig::default(), t0());
        sim.plug(1, t0()).expect("plug");
        sim.plug_ev(
            2,
            EvConfig {
                initial_soc_percent: 60.0,
                ..EvConfig::default()
            },
            t0(),
        )
        .expect("plug");
        energize(&mut sim, 1, t0());
        energize(&mut sim, 2, t0());
        let end = t0() + Duration::minutes(40);
        let mut now = t0();
        while now < end {
            now = (now + Duration::milliseconds(step_ms)).min(end);
            sim.poll(now);
        }
        (meter(&sim, 1), meter(&sim, 2))
    };
    let (a1, a2) = run(40 * 60 * 1000);
    let (b1, b2) = run(700);
    for (a, b) in [(a1, b1), (a2, b2)] {
        let rel = (a.energy_wh - b.energy_wh).abs() / b.energy_wh;
        assert!(rel < 1e-3, "{a:?} vs {b:?}");
        let soc_diff = (a.soc_percent.unwrap_or(0.0) - b.soc_percent.unwrap_or(0.0)).abs();
        assert!(soc_diff < 0.1, "{a:?} vs {b:?}");
    }
}

#[test]
fn limits_cap_current_and_power_and_are_offered() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.plug(1, t0()).expect("plug");
    energize(&mut sim, 1, t0());
    let limit = PowerLimit {
        max_current_a: Some(100.0),
        max_power_w: None,
    };
    sim.command(
        HardwareCommand::SetLimit {
            connector: 1,
            limit,
        },
        secs(10),
    )
    .expect("limit");
    let m = meter(&sim, 1);
    assert!((m.current_a - 100.0).abs() < 1e-9, "{m:?}");
    assert_eq!(m.current_offered_a, 100.0);
    assert_eq!(sim.limit(1), Some(limit));

    let limit = PowerLimit {
        max_current_a: None,
        max_power_w: Some(11_000.0),
    };
    sim.command(
        HardwareCommand::SetLimit {
            connector: 1,
            limit,
        },
        secs(20),
    )
    .expect("limit");
    let m = meter(&sim, 1);
    assert!((m.power_w - 11_000.0).abs() < 1e-6, "{m:?}");
    assert_eq!(m.power_offered_w, 11_000.0);

    let limit = PowerLimit {
        max_current_a: Some(0.0),
        max_power_w: None,
    };
    sim.command(
        HardwareCommand::SetLimit {
            connector: 1,
            limit,
        },
        secs(30),
    )
    .expect("limit");
    let before = meter(&sim, 1).energy_wh;
    sim.poll(secs(3600));
    let m = meter(&sim, 1);
    assert_eq!((m.current_a, m.power_w), (0.0, 0.0));
    assert_eq!(m.energy_wh, before);

    let bad = PowerLimit {
        max_current_a: Some(-1.0),
        max_power_w: None,
    };
    assert!(matches!(
        sim.command(
            HardwareCommand::SetLimit {
                connector: 1,
                limit: bad
            },
            secs(40)
        ),
        Err(HalError::Refused(_))
    ));
    let nan = PowerLimit {
        max_current_a: None,
        max_power_w: Some(f64::NAN),
    };
    assert!(sim
        .command(
            HardwareCommand::SetLimit {
                connector: 1,
                limit: nan
            },
            secs(40)
        )
        .is_err());
}

#[test]
fn station_power_is_shared_between_connectors() {
    let cfg = SimConfig {
        station_max_power_w: 300_000.0,
        ..SimConfig::default()
    };
    let mut sim = SimCharger::new(cfg, t0());
    sim.plug_ev(1, big_ev(400_000.0), t0()).expect("plug");
    energize(&mut sim, 1, t0());
    // Alone, connector 1 gets its full 250 kW (current-limited EV: 350 A x ~390 V < 250 kW).
    let alone = meter(&sim, 1).power_w;
    assert!(alone > 100_000.0 && alone <= 250_000.0 + 1e-6, "{alone}");
    let high_current = EvConfig {
        max_current_a: 1000.0,
        nominal_voltage_v: 800.0,
        ..big_ev(400_000.0)
    };
    sim.unplug(1, secs(1)).expect("unplug");
    sim.plug_ev(1, high_current.clone(), secs(1)).expect("plug");
    energize(&mut sim, 1, secs(1));
    assert!((meter(&sim, 1).power_w - 250_000.0).abs() < 1e-6);
    sim.plug_ev(2, high_current, secs(2)).expect("plug");
    energize(&mut sim, 2, secs(2));
    let (m1, m2) = (meter(&sim, 1), meter(&sim, 2));
    assert!((m1.power_w - 150_000.0).abs() < 1e-6, "{m1:?}");
    assert!((m2.power_w - 150_000.0).abs() < 1e-6, "{m2:?}");
    assert!((m1.power_offered_w - 150_000.0).abs() < 1e-6, "{m1:?}");
}

#[test]
fn fault_stops_delivery_until_cleared() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.plug(1, t0()).expect("plug");
    energize(&mut sim, 1, t0());
    sim.poll(t0());
    sim.set_fault(1, "HighTemperature", true).expect("fault");
    let m = meter(&sim, 1);
    assert_eq!(
        (m.current_a, m.power_w, m.current_offered_a),
        (0.0, 0.0, 0.0)
    );
    assert_eq!(
        sim.snapshot(1).expect("snap").fault.as_deref(),
        Some("HighTemperature")
    );
    // Raising it again changes nothing.
    sim.set_fault(1, "HighTemperature", true).expect("fault");
    sim.set_fault(1, "HighTemperature", false).expect("clear");
    assert!(meter(&sim, 1).power_w > 0.0);
    assert_eq!(
        sim.poll(secs(1)),
        vec![
            HardwareEvent::Fault {
                connector: 1,
                error_code: "HighTemperature".into(),
                active: true
            },
            HardwareEvent::Fault {
                connector: 1,
                error_code: "HighTemperature".into(),
                active: false
            },
        ]
    );
    assert!(matches!(
        sim.set_fault(1, "NoError", true),
        Err(HalError::Refused(_))
    ));
    assert!(matches!(
        sim.set_fault(1, "Overheat", true),
        Err(HalError::Refused(_))
    ));
}

#[test]
fn events_are_returned_in_order_once() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.plug(2, t0()).expect("plug");
    sim.present_card(2, "TAG1").expect("card");
    sim.set_ev_suspended(2, true, secs(1)).expect("suspend");
    sim.set_ev_suspended(2, false, secs(2)).expect("resume");
    sim.press_stop(2).expect("stop");
    sim.unplug(2, secs(3)).expect("unplug");
    assert_eq!(
        sim.poll(secs(4)),
        vec![
            HardwareEvent::CablePlugged { connector: 2 },
            HardwareEvent::CardPresented {
                connector: 2,
                id_tag: "TAG1".into()
            },
            HardwareEvent::EvSuspended {
                connector: 2,
                suspended: true
            },
            HardwareEvent::EvSuspended {
                connector: 2,
                suspended: false
            },
            HardwareEvent::StopButton { connector: 2 },
            HardwareEvent::CableUnplugged { connector: 2 },
        ]
    );
    assert!(sim.poll(secs(5)).is_empty());
}

#[test]
fn unknown_connectors_are_errors() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    for c in [0, 3, u32::MAX] {
        assert!(matches!(sim.plug(c, t0()), Err(HalError::UnknownConnector(x)) if x == c));
        assert!(matches!(
            sim.unplug(c, t0()),
            Err(HalError::UnknownConnector(_))
        ));
        assert!(matches!(
            sim.present_card(c, "A"),
            Err(HalError::UnknownConnector(_))
        ));
        assert!(matches!(
            sim.press_stop(c),
            Err(HalError::UnknownConnector(_))
        ));
        assert!(matches!(
            sim.set_ev_suspended(c, true, t0()),
            Err(HalError::UnknownConnector(_))
        ));
        assert!(matches!(
            sim.set_fault(c, "OtherError", true),
            Err(HalError::UnknownConnector(_))
        ));
        assert!(matches!(
            sim.command(HardwareCommand::Energize { connector: c }, t0()),
            Err(HalError::UnknownConnector(_))
        ));
        assert!(sim.meter(c).is_none());
        assert!(sim.snapshot(c).is_none());
    }
    assert_eq!(
        HalError::UnknownConnector(3).to_string(),
        "unknown connector 3"
    );
}

#[test]
fn invalid_operator_input_is_refused() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    assert!(matches!(sim.unplug(1, t0()), Err(HalError::Refused(_))));
    assert!(matches!(
        sim.set_ev_suspended(1, true, t0()),
        Err(HalError::Refused(_))
    ));
    assert!(matches!(sim.present_card(1, ""), Err(HalError::Refused(_))));
    assert!(sim.present_card(1, "123456789012345678901").is_err());
    sim.plug(1, t0()).expect("plug");
    assert!(matches!(sim.plug(1, t0()), Err(HalError::Refused(_))));
    let bad_ev = EvConfig {
        battery_capacity_wh: 0.0,
        ..EvConfig::default()
    };
    assert!(sim.plug_ev(2, bad_ev, t0()).is_err());
    assert!(sim.poll(t0()) == vec![HardwareEvent::CablePlugged { connector: 1 }]);
}

#[test]
fn unplug_opens_the_contactor_and_clears_the_ev() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.plug(1, t0()).expect("plug");
    energize(&mut sim, 1, t0());
    sim.poll(secs(600));
    let charged = meter(&sim, 1).energy_wh;
    // Ten minutes at 140..150 kW.
    assert!(charged > 23_000.0 && charged < 25_000.0, "{charged}");
    sim.unplug(1, secs(600)).expect("unplug");
    let snap = sim.snapshot(1).expect("snap");
    assert!(!snap.plugged && !snap.energized && !snap.ev_suspended);
    assert_eq!(snap.meter.soc_percent, None);
    assert_eq!((snap.meter.voltage_v, snap.meter.current_a), (0.0, 0.0));
    // The register keeps its value for the next session.
    assert_eq!(snap.meter.energy_wh, charged);
    sim.plug(1, secs(700)).expect("plug again");
    energize(&mut sim, 1, secs(700));
    sim.poll(secs(760));
    assert!(meter(&sim, 1).energy_wh > charged);
}

#[test]
fn energize_before_plug_delivers_once_plugged() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    energize(&mut sim, 1, t0());
    assert_eq!(meter(&sim, 1).voltage_v, 0.0);
    sim.plug(1, secs(5)).expect("plug");
    assert!(meter(&sim, 1).power_w > 0.0);
    sim.command(HardwareCommand::DeEnergize { connector: 1 }, secs(10))
        .expect("de-energize");
    assert_eq!(meter(&sim, 1).power_w, 0.0);
    sim.command(HardwareCommand::Unlock { connector: 1 }, secs(10))
        .expect_err("no cable lock by default");
}

#[test]
fn cable_lock_opens_unless_stuck() {
    let cfg = SimConfig {
        cable_lock: true,
        ..SimConfig::default()
    };
    let mut sim = SimCharger::new(cfg, t0());
    assert!(sim.has_cable_lock());
    assert!(!SimCharger::new(SimConfig::default(), t0()).has_cable_lock());
    sim.command(HardwareCommand::Unlock { connector: 1 }, secs(1))
        .expect("the lock opens");
    sim.set_fault(1, "ConnectorLockFailure", true)
        .expect("fault");
    sim.command(HardwareCommand::Unlock { connector: 1 }, secs(2))
        .expect_err("a stuck lock does not open");
    sim.command(HardwareCommand::Unlock { connector: 3 }, secs(2))
        .expect_err("unknown connector");
}

#[test]
fn power_cycle_opens_contactors_and_keeps_the_ev() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.plug(1, t0()).expect("plug");
    energize(&mut sim, 1, t0());
    sim.poll(secs(60));
    let energy = meter(&sim, 1).energy_wh;
    assert!(meter(&sim, 1).power_w > 0.0);
    sim.power_cycle(secs(60));
    let snap = sim.snapshot(1).expect("connector 1");
    assert!(snap.plugged && !snap.energized, "{snap:?}");
    assert_eq!(snap.meter.power_w, 0.0);
    assert!(snap.meter.energy_wh >= energy);
}

#[test]
fn temperature_rises_under_load_and_relaxes() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.plug_ev(1, big_ev(150_000.0), t0()).expect("plug");
    energize(&mut sim, 1, t0());
    sim.poll(secs(1800));
    let hot = meter(&sim, 1).temperature_c;
    assert!(hot > 40.0 && hot < 65.0, "{hot}");
    sim.command(HardwareCommand::DeEnergize { connector: 1 }, secs(1800))
        .expect("de-energize");
    sim.poll(secs(1800 + 6 * 3600));
    let cool = meter(&sim, 1).temperature_c;
    assert!((cool - 25.0).abs() < 0.01, "{cool}");
}

#[test]
fn time_never_runs_backwards() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.plug(1, t0()).expect("plug");
    energize(&mut sim, 1, t0());
    sim.poll(secs(60));
    let e = meter(&sim, 1).energy_wh;
    sim.poll(secs(30));
    assert_eq!(meter(&sim, 1).energy_wh, e);
    assert_eq!(sim.last_update(), secs(60));
    sim.poll(secs(61));
    assert!(meter(&sim, 1).energy_wh > e);
}

#[test]
fn long_idle_jump_is_instant() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.plug(1, t0()).expect("plug");
    // Ten years without delivery: one step, not 300 million.
    sim.poll(t0() + Duration::days(3650));
    assert_eq!(meter(&sim, 1).energy_wh, 0.0);
}

#[test]
fn config_loads_from_toml_with_defaults_and_rejects_unknown_fields() {
    let cfg: SimConfig =
        toml::from_str("connectors = 1\nmax_power_w = 50000.0\n[ev]\ninitial_soc_percent = 50.0\n")
            .expect("parse");
    assert_eq!(cfg.connectors, 1);
    assert_eq!(cfg.max_power_w, 50_000.0);
    assert_eq!(cfg.ev.initial_soc_percent, 50.0);
    assert_eq!(cfg.ev.battery_capacity_wh, 75_000.0);
    assert_eq!(cfg.vendor, "Chargepoint");
    assert!(toml::from_str::<SimConfig>("conectors = 1\n").is_err());
    assert!(toml::from_str::<SimConfig>("[ev]\nsoc = 1\n").is_err());
    let empty: SimConfig = toml::from_str("").expect("empty");
    assert_eq!(empty, SimConfig::default());
}

#[test]
fn meter_registers_survive_a_restart_and_never_run_backwards() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.restore_meter_registers(&[1234.0, f64::NAN, 99.0]);
    assert_eq!(sim.meter_registers(), vec![1234.0, 0.0]);
    sim.restore_meter_registers(&[1000.0]);
    assert_eq!(sim.meter(1).unwrap().energy_wh, 1234.0);
}

fn image(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).expect("write image");
    path
}

#[test]
fn installing_a_firmware_image_changes_the_reported_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    assert_eq!(sim.info().firmware_version, "0.1.0");
    let mut content = b"chargepoint-firmware 2.0.0-rc1\r\n".to_vec();
    content.extend(std::iter::repeat_n(0xffu8, 10_000));
    let path = image(&dir, "fw.bin", &content);
    assert_eq!(sim.install_firmware(&path), Ok("2.0.0-rc1".to_string()));
    assert_eq!(sim.info().firmware_version, "2.0.0-rc1");
    // Without a final newline too.
    let path = image(&dir, "fw2.bin", b"chargepoint-firmware 3");
    assert_eq!(sim.install_firmware(&path), Ok("3".to_string()));
    assert_eq!(sim.info().firmware_version, "3");
}

#[test]
fn any_intact_image_installs_by_default_named_after_its_file_or_digest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    // A name that looks like a version gives it.
    let path = image(&dir, "fw-2.3.1.bin", b"some other firmware\n\x00\x01");
    assert_eq!(sim.install_firmware(&path), Ok("fw-2.3.1".to_string()));
    assert_eq!(sim.info().firmware_version, "fw-2.3.1");
    // Otherwise a digest of the content: the same content, the same version.
    let path = image(&dir, "firmware.bin", b"some other firmware\n");
    let version = sim.install_firmware(&path).expect("installed");
    assert!(
        version.starts_with("image-") && version.len() == 22,
        "{version}"
    );
    let again = image(&dir, "other name", b"some other firmware\n");
    assert_eq!(sim.install_firmware(&again), Ok(version.clone()));
    let different = image(&dir, "firmware2.bin", b"some other firmware!\n");
    assert_ne!(sim.install_firmware(&different), Ok(version));
    // The image's own line wins over its name.
    let path = image(&dir, "fw-9.9.9.bin", b"chargepoint-firmware 4.0\n");
    assert_eq!(sim.install_firmware(&path), Ok("4.0".to_string()));
}

#[test]
fn firmware_images_only_refuses_any_other_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = SimConfig {
        firmware_images_only: true,
        ..SimConfig::default()
    };
    let mut sim = SimCharger::new(cfg, t0());
    let path = image(&dir, "fw-2.3.1.bin", b"some other firmware 1.0\n");
    let result = sim.install_firmware(&path);
    assert!(
        matches!(result, Err(HalError::InstallationFailed(_))),
        "{result:?}"
    );
    assert_eq!(sim.info().firmware_version, "0.1.0");
    let path = image(&dir, "fw.bin", b"chargepoint-firmware 2.0\n");
    assert_eq!(sim.install_firmware(&path), Ok("2.0".to_string()));
}

#[test]
fn a_broken_or_empty_image_fails_and_keeps_the_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    let long = format!("chargepoint-firmware {}\n", "9".repeat(51));
    let bad: [&[u8]; 5] = [
        b"",
        b"chargepoint-firmware\n",
        b"chargepoint-firmware \n",
        b"chargepoint-firmware 1.0 beta\n",
        long.as_bytes(),
    ];
    for (i, content) in bad.iter().enumerate() {
        let path = image(&dir, &format!("bad{i}"), content);
        let result = sim.install_firmware(&path);
        assert!(
            matches!(result, Err(HalError::InstallationFailed(_))),
            "{content:?}: {result:?}"
        );
    }
    let missing = dir.path().join("missing");
    assert!(sim.install_firmware(&missing).is_err());
    assert_eq!(sim.info().firmware_version, "0.1.0");
}

#[test]
fn a_restored_firmware_version_is_reported() {
    let mut sim = SimCharger::new(SimConfig::default(), t0());
    sim.restore_firmware_version("1.2.3");
    assert_eq!(sim.info().firmware_version, "1.2.3");
    sim.restore_firmware_version("not valid");
    assert_eq!(sim.info().firmware_version, "1.2.3");
}

/// A charger that does not implement firmware installation.
struct Plain;

impl Charger for Plain {
    fn info(&self) -> ChargerInfo {
        SimCharger::new(SimConfig::default(), t0()).info()
    }
    fn connector_count(&self) -> u32 {
        1
    }
    fn poll(&mut self, _now: DateTime<Utc>) -> Vec<HardwareEvent> {
        Vec::new()
    }
    fn meter(&self, _connector: ConnectorId) -> Option<MeterReading> {
        None
    }
    fn command(&mut self, _cmd: HardwareCommand, _now: DateTime<Utc>) -> Result<(), HalError> {
        Ok(())
    }
}

#[test]
fn firmware_installation_is_not_supported_by_default() {
    let result = Plain.install_firmware(std::path::Path::new("/nonexistent"));
    assert!(
        matches!(result, Err(HalError::NotSupported(_))),
        "{result:?}"
    );
}
