//! The simulated EV: a battery whose voltage and accepted current depend on its state of charge.

use super::config::EvConfig;

/// Above this state of charge (%) the battery leaves the constant-current phase and the accepted
/// current tapers, as lithium-ion chargers do to limit cell voltage.
const TAPER_START_PERCENT: f64 = 80.0;
/// At 100 % the EV still accepts this fraction of its maximum current, so the last percent
/// takes minutes rather than forever.
const TAPER_FLOOR: f64 = 0.05;
/// Pack internal resistance per volt of nominal voltage: 0.08 Ω for a 400 V pack, which gives
/// the ~25 V rise under 300 A seen on real sessions.
const INTERNAL_RESISTANCE_PER_VOLT: f64 = 0.0002;

#[derive(Debug, Clone)]
pub(crate) struct Ev {
    cfg: EvConfig,
    /// Energy stored in the battery, in Wh; the state of charge derives from it so that energy
    /// and SoC can never drift apart.
    stored_wh: f64,
    /// The EV paused charging (user action or target reached).
    pub(crate) suspended: bool,
}

impl Ev {
    pub(crate) fn new(cfg: EvConfig) -> Self {
        let capacity = cfg.battery_capacity_wh.max(0.0);
        let soc = cfg.initial_soc_percent.clamp(0.0, 100.0);
        Ev {
            stored_wh: capacity * soc / 100.0,
            cfg,
            suspended: false,
        }
    }

    fn capacity_wh(&self) -> f64 {
        self.cfg.battery_capacity_wh.max(0.0)
    }

    pub(crate) fn soc_percent(&self) -> f64 {
        let cap = self.capacity_wh();
        if cap > 0.0 {
            (self.stored_wh / cap * 100.0).clamp(0.0, 100.0)
        } else {
            100.0
        }
    }

    fn target_wh(&self) -> f64 {
        self.capacity_wh() * self.cfg.target_soc_percent.clamp(0.0, 100.0) / 100.0
    }

    /// Energy still accepted before the target is reached, in Wh.
    pub(crate) fn wh_to_target(&self) -> f64 {
        (self.target_wh() - self.stored_wh).max(0.0)
    }

    /// True once the target state of charge is reached (within a micro-watt-hour, so a step that
    /// lands exactly on it counts despite rounding).
    pub(crate) fn at_target(&self) -> bool {
        self.wh_to_target() < 1e-6
    }

    /// Store energy delivered at the terminals (charging losses are not modelled: the meter
    /// reading and the battery agree). Never goes past the target.
    pub(crate) fn absorb(&mut self, wh: f64) {
        if wh > 0.0 {
            self.stored_wh = (self.stored_wh + wh).min(self.target_wh().max(self.stored_wh));
        }
    }

    /// Open-circuit pack voltage: 0.9x nominal when empty, 1.05x when full, linear in between.
    pub(crate) fn open_circuit_voltage(&self) -> f64 {
        self.cfg.nominal_voltage_v.max(0.0) * (0.9 + 0.15 * self.soc_percent() / 100.0)
    }

    pub(crate) fn internal_resistance_ohm(&self) -> f64 {
        self.cfg.nominal_voltage_v.max(0.0) * INTERNAL_RESISTANCE_PER_VOLT
    }

    /// The current the battery management system requests now: the full current up to 80 %,
    /// then tapering linearly to 5 % of it at 100 %.
    pub(crate) fn accepted_current_a(&self) -> f64 {
        let max = self.cfg.max_current_a.max(0.0);
        let soc = self.soc_percent();
        if soc <= TAPER_START_PERCENT {
            max
        } else {
            let frac = (100.0 - soc) / (100.0 - TAPER_START_PERCENT);
            max * frac.clamp(TAPER_FLOOR, 1.0)
        }
    }

    pub(crate) fn max_power_w(&self) -> f64 {
        self.cfg.max_power_w.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(soc: f64) -> Ev {
        Ev::new(EvConfig {
            initial_soc_percent: soc,
            ..EvConfig::default()
        })
    }

    #[test]
    fn voltage_rises_with_soc() {
        assert!((ev(0.0).open_circuit_voltage() - 360.0).abs() < 1e-9);
        assert!((ev(100.0).open_circuit_voltage() - 420.0).abs() < 1e-9);
        assert!(ev(50.0).open_circuit_voltage() > ev(20.0).open_circuit_voltage());
    }

    #[test]
    fn current_tapers_above_80_percent() {
        assert_eq!(ev(50.0).accepted_current_a(), 350.0);
        assert_eq!(ev(80.0).accepted_current_a(), 350.0);
        assert!((ev(90.0).accepted_current_a() - 175.0).abs() < 1e-9);
        assert!((ev(100.0).accepted_current_a() - 17.5).abs() < 1e-9);
    }

    #[test]
    fn absorb_stops_at_target() {
        let mut e = Ev::new(EvConfig {
            initial_soc_percent: 79.0,
            target_soc_percent: 80.0,
            ..EvConfig::default()
        });
        assert!((e.wh_to_target() - 750.0).abs() < 1e-6);
        e.absorb(10_000.0);
        assert!(e.at_target());
        assert!((e.soc_percent() - 80.0).abs() < 1e-9);
    }
}
