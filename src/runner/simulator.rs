//! The simulated DC charger in the runner: what it does beside [`hal::Charger`] (operator
//! actions, its state at power-up, physics stepped faster while something happens, meter
//! registers and firmware version kept across restarts), and starting a station on it.
//! The only file of the runner that knows the simulator.

use super::meter_file::MeterFile;
use super::operation::Operation;
use super::simulation::{Simulation, POLL_STEP};
use super::{RunOptions, StartError, StationHandle};
use crate::clock::Clock;
use chrono::{DateTime, Duration, Utc};
use hal::sim::SimCharger;
use hal::{Charger, ConnectorId, HalError, HardwareEvent};
use station::StationConfig;
use std::sync::Arc;

/// How often an idle simulator is looked at: nothing moves there until a person acts, and
/// an operator action steps it at once.
const IDLE_STEP: Duration = Duration::seconds(10);

impl StationHandle {
    /// Start a station on the simulated charger; its meter registers are kept in
    /// `opts.meters` if given.
    pub fn start(
        opts: RunOptions,
        sim: SimCharger,
        store: Box<dyn store::Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<StationHandle, StartError> {
        let side = Box::new(Simulator {
            meter_file: opts.meters.clone().map(MeterFile::new),
        });
        StationHandle::spawn(opts, sim, side, store, clock)
    }
}

struct Simulator {
    meter_file: Option<MeterFile>,
}

impl Simulation<SimCharger> for Simulator {
    fn operate(
        &mut self,
        sim: &mut SimCharger,
        connector: ConnectorId,
        op: &Operation,
        now: DateTime<Utc>,
    ) -> Result<(), HalError> {
        match op {
            Operation::Plug => sim.plug(connector, now),
            Operation::Unplug => sim.unplug(connector, now),
            Operation::Authorize { id_tag } => sim.present_card(connector, id_tag),
            Operation::Stop => sim.press_stop(connector),
            Operation::EvSuspend(suspended) => sim.set_ev_suspended(connector, *suspended, now),
            Operation::Fault { error_code, active } => {
                sim.set_fault(connector, error_code, *active)
            }
        }
    }

    /// A real meter keeps its register through a power loss, so a restarted simulator must
    /// not start again from 0 Wh; what an earlier run installed is what it runs now.
    fn restore(&mut self, sim: &mut SimCharger, firmware_version: Option<&str>) {
        if let Some(file) = self.meter_file.as_mut() {
            sim.restore_meter_registers(&file.load());
        }
        if let Some(version) = firmware_version {
            sim.restore_firmware_version(version);
        }
    }

    /// Smart Charging converts A <-> W with the EV's nominal voltage while no EV voltage is
    /// measured, and caps composite schedules at the charger's ratings.
    fn configure(&self, sim: &SimCharger, cfg: &mut StationConfig) {
        cfg.nominal_voltage_v = sim.config().ev.nominal_voltage_v;
        cfg.max_current_a = sim.config().max_current_a;
        cfg.max_power_w = sim.config().max_power_w;
    }

    fn present_state(&self, sim: &SimCharger) -> Vec<HardwareEvent> {
        let mut events = Vec::new();
        for connector in 1..=sim.connector_count() {
            let Some(hw) = sim.snapshot(connector) else {
                continue;
            };
            if hw.plugged {
                events.push(HardwareEvent::CablePlugged { connector });
            }
            if hw.ev_suspended {
                events.push(HardwareEvent::EvSuspended {
                    connector,
                    suspended: true,
                });
            }
            if let Some(error_code) = hw.fault {
                events.push(HardwareEvent::Fault {
                    connector,
                    error_code,
                    active: true,
                });
            }
        }
        events
    }

    /// Saved before the station sees the readings: a sample it persists is never ahead of
    /// the register a restart starts from.
    fn polled(&mut self, sim: &SimCharger) {
        if let Some(file) = self.meter_file.as_mut() {
            file.save(sim.meter_registers());
        }
    }

    fn poll_step(&self, sim: &SimCharger) -> Duration {
        let busy = (1..=sim.connector_count())
            .filter_map(|c| sim.snapshot(c))
            .any(|s| s.plugged || s.energized);
        if busy {
            POLL_STEP
        } else {
            IDLE_STEP
        }
    }
}
