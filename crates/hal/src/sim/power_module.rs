//! The charger side of the power path: how much current a connector may push into the EV given
//! the hardware, the station's smart-charging limit and the grid connection it shares.

use crate::types::PowerLimit;

use super::config::SimConfig;
use super::ev::Ev;

/// The current at which a battery with open-circuit voltage `v_oc` and internal resistance `r`
/// draws exactly `p` watts at its terminals: solves `(v_oc + I r) I = p`. Solving exactly
/// (rather than `p / v_oc`) keeps the delivered power at or below every power limit.
pub(crate) fn current_for_power(v_oc: f64, r: f64, p: f64) -> f64 {
    if p <= 0.0 {
        return 0.0;
    }
    if r <= 1e-12 {
        return if v_oc > 0.0 { p / v_oc } else { f64::INFINITY };
    }
    // The numerically stable form of (-v + sqrt(v² + 4rp)) / 2r, which cancels badly for small r.
    2.0 * p / (v_oc + (v_oc * v_oc + 4.0 * r * p).sqrt())
}

/// What the charger offers on a connector now: the hardware maximum capped by the limit, as
/// reported in Current.Offered and Power.Offered. `grid_available_w` is the station's grid
/// connection minus what the other connectors draw.
pub(crate) fn offered(cfg: &SimConfig, limit: &PowerLimit, grid_available_w: f64) -> (f64, f64) {
    let mut current = cfg.max_current_a.max(0.0);
    if let Some(l) = limit.max_current_a {
        current = current.min(l.max(0.0));
    }
    let mut power = cfg.max_power_w.max(0.0).min(grid_available_w.max(0.0));
    if let Some(l) = limit.max_power_w {
        power = power.min(l.max(0.0));
    }
    (current, power)
}

/// The most current the connector could deliver into `ev` if it had the grid to itself:
/// the least of what the EV accepts (SoC-dependent and power-capped), the charger's current and
/// power, the limit, and the voltage headroom of the power module.
pub(crate) fn current_cap(cfg: &SimConfig, limit: &PowerLimit, ev: &Ev) -> f64 {
    let v_oc = ev.open_circuit_voltage();
    let r = ev.internal_resistance_ohm();
    let (offered_current, offered_power) = offered(cfg, limit, f64::INFINITY);
    let voltage_headroom = if r > 1e-12 {
        ((cfg.max_voltage_v - v_oc) / r).max(0.0)
    } else if v_oc <= cfg.max_voltage_v {
        f64::INFINITY
    } else {
        0.0
    };
    let cap = ev
        .accepted_current_a()
        .min(current_for_power(v_oc, r, ev.max_power_w()))
        .min(offered_current)
        .min(current_for_power(v_oc, r, offered_power))
        .min(voltage_headroom);
    if cap.is_finite() {
        cap.max(0.0)
    } else {
        0.0
    }
}

/// Share the station's grid connection among the connectors' demands (W), max-min fair
/// ("water filling"): a connector that wants less than an equal share gets all it wants and the
/// rest is split among the others, so no power is left unused while someone wants more.
pub(crate) fn share_power(budget_w: f64, demands_w: &[f64]) -> Vec<f64> {
    let total: f64 = demands_w.iter().sum();
    if total <= budget_w {
        return demands_w.to_vec();
    }
    let mut alloc = vec![0.0; demands_w.len()];
    let mut open: Vec<usize> = (0..demands_w.len())
        .filter(|&i| demands_w[i] > 0.0)
        .collect();
    let mut remaining = budget_w.max(0.0);
    while !open.is_empty() {
        let share = remaining / open.len() as f64;
        let (satisfied, unsatisfied): (Vec<usize>, Vec<usize>) =
            open.iter().partition(|&&i| demands_w[i] <= share);
        if satisfied.is_empty() {
            for &i in &unsatisfied {
                alloc[i] = share;
            }
            break;
        }
        for &i in &satisfied {
            alloc[i] = demands_w[i];
            remaining -= demands_w[i];
        }
        open = unsatisfied;
    }
    alloc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::config::EvConfig;

    #[test]
    fn current_for_power_is_exact() {
        let i = current_for_power(400.0, 0.08, 100_000.0);
        assert!(((400.0 + i * 0.08) * i - 100_000.0).abs() < 1e-6);
        assert_eq!(current_for_power(400.0, 0.0, 40_000.0), 100.0);
        assert_eq!(current_for_power(400.0, 0.08, 0.0), 0.0);
    }

    #[test]
    fn sharing_is_fair_and_uses_the_budget() {
        assert_eq!(share_power(500.0, &[100.0, 200.0]), vec![100.0, 200.0]);
        assert_eq!(share_power(300.0, &[250.0, 250.0]), vec![150.0, 150.0]);
        assert_eq!(share_power(300.0, &[50.0, 400.0]), vec![50.0, 250.0]);
        assert_eq!(share_power(300.0, &[0.0, 400.0]), vec![0.0, 300.0]);
    }

    #[test]
    fn cap_respects_every_limit() {
        let cfg = SimConfig::default();
        let ev = Ev::new(EvConfig::default());
        // At 20 % the default EV takes its full 350 A (140 kW at 400 V, under its 150 kW).
        assert_eq!(current_cap(&cfg, &PowerLimit::NONE, &ev), 350.0);
        let high = Ev::new(EvConfig {
            initial_soc_percent: 70.0,
            ..EvConfig::default()
        });
        // At 70 % the pack is at 0.995 x 400 V: the 150 kW cap binds before 350 A.
        let i = current_cap(&cfg, &PowerLimit::NONE, &high);
        let p = (high.open_circuit_voltage() + i * high.internal_resistance_ohm()) * i;
        assert!(i < 350.0 && (p - 150_000.0).abs() < 1e-6, "{i} {p}");
        let limited = PowerLimit {
            max_current_a: Some(32.0),
            max_power_w: None,
        };
        assert_eq!(current_cap(&cfg, &limited, &ev), 32.0);
        let zero = PowerLimit {
            max_current_a: None,
            max_power_w: Some(0.0),
        };
        assert_eq!(current_cap(&cfg, &zero, &ev), 0.0);
        let low_voltage = SimConfig {
            max_voltage_v: 300.0,
            ..SimConfig::default()
        };
        assert_eq!(current_cap(&low_voltage, &PowerLimit::NONE, &ev), 0.0);
    }
}
