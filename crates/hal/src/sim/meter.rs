//! The connector's energy meter and cable temperature sensor.

/// Time constant of the liquid-cooled cable's temperature, in seconds.
const THERMAL_TAU_S: f64 = 600.0;
/// Steady-state temperature rise per A² (40 K at 500 A, a typical cooled-cable design point).
const RISE_K_PER_A2: f64 = 40.0 / (500.0 * 500.0);

#[derive(Debug, Clone)]
pub(crate) struct Meter {
    /// Energy.Active.Import.Register, Wh: only ever grows.
    pub(crate) energy_wh: f64,
    /// Cable temperature, °C.
    pub(crate) temperature_c: f64,
}

impl Meter {
    pub(crate) fn new(ambient_c: f64) -> Self {
        Meter {
            energy_wh: 0.0,
            temperature_c: ambient_c,
        }
    }

    /// Account `dt_s` seconds at constant `power_w` and `current_a`. The temperature follows the
    /// exact solution of first-order heating (I²R) and cooling towards ambient, so any step
    /// length is accurate and a long idle jump costs one step.
    pub(crate) fn integrate(&mut self, power_w: f64, current_a: f64, dt_s: f64, ambient_c: f64) {
        if dt_s <= 0.0 {
            return;
        }
        self.energy_wh += power_w.max(0.0) * dt_s / 3600.0;
        let steady = ambient_c + RISE_K_PER_A2 * current_a * current_a;
        self.temperature_c = steady + (self.temperature_c - steady) * (-dt_s / THERMAL_TAU_S).exp();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_integrates_power() {
        let mut m = Meter::new(25.0);
        m.integrate(36_000.0, 90.0, 100.0, 25.0);
        assert!((m.energy_wh - 1000.0).abs() < 1e-9);
    }

    #[test]
    fn temperature_heats_then_relaxes_to_ambient() {
        let mut m = Meter::new(25.0);
        m.integrate(0.0, 500.0, 10.0 * THERMAL_TAU_S, 25.0);
        assert!((m.temperature_c - 65.0).abs() < 0.01, "{}", m.temperature_c);
        m.integrate(0.0, 0.0, 10.0 * THERMAL_TAU_S, 25.0);
        assert!((m.temperature_c - 25.0).abs() < 0.01);
    }
}
