//! A simulated DC CCS charger with EVs: the product's demo and test hardware.
//!
//! Physics, integrated in steps of at most [`MAX_SUBSTEP_S`] of simulated time:
//! - while a connector is plugged, energized, the EV not suspended and no fault active, the
//!   current is the least of what the EV accepts (constant current, tapering above 80 % SoC),
//!   the EV's power limit, the charger's current and power, the station's limit, the voltage
//!   headroom and a fair share of the station's grid connection;
//! - the voltage is the pack's open-circuit voltage (from SoC) plus the IR rise; `P = U * I`;
//! - energy integrates power, the battery stores it, and SoC follows; on reaching its target the
//!   EV suspends itself and reports [`HardwareEvent::EvSuspended`];
//! - the cable heats with `I²` and relaxes towards ambient.
//!
//! Operator actions (`plug`, `present_card`, ...) queue events that the next `poll` returns in
//! the order they happened. Actions that take `now` first advance the physics to `now`, so the
//! energy before and after the change is accounted correctly; the others take effect at the
//! time the simulator was last advanced to.

mod config;
mod connector;
mod ev;
mod meter;
mod operator;
mod power_module;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::{DateTime, Utc};

pub use config::{EvConfig, SimConfig};

use crate::charger::Charger;
use crate::types::{
    ChargerInfo, ConnectorId, HalError, HardwareCommand, HardwareEvent, MeterReading, PowerLimit,
};
use connector::{Output, SimConnector};
use power_module::{current_cap, current_for_power, offered, share_power};

/// Longest step of simulated time integrated at once while current flows, in seconds: short
/// enough that the SoC-dependent current barely changes within a step, so a jump of hours in
/// one poll gives the same energy as many small polls.
pub const MAX_SUBSTEP_S: f64 = 1.0;
/// Remaining time below which a jump is complete (floating-point dust).
const TIME_EPSILON_S: f64 = 1e-9;

/// The simulated charger. See the module documentation for its physics.
#[derive(Debug, Clone)]
pub struct SimCharger {
    cfg: SimConfig,
    connectors: Vec<SimConnector>,
    events: VecDeque<HardwareEvent>,
    /// The simulated time the physics has been advanced to.
    last: DateTime<Utc>,
}

impl SimCharger {
    /// A charger with nothing plugged in, at simulated time `now`. Never panics, whatever the
    /// configuration; call [`SimConfig::validate`] first to reject meaningless settings.
    pub fn new(cfg: SimConfig, now: DateTime<Utc>) -> Self {
        let connectors = (0..cfg.connectors)
            .map(|_| SimConnector::new(cfg.ambient_temperature_c))
            .collect();
        let mut sim = SimCharger {
            cfg,
            connectors,
            events: VecDeque::new(),
            last: now,
        };
        sim.refresh();
        sim
    }

    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// The simulated time the physics was last advanced to.
    pub fn last_update(&self) -> DateTime<Utc> {
        self.last
    }

    /// A hard reset of the charger: every contactor opens and every power limit is lifted.
    /// What is physical stays: an EV plugged in stays plugged (with its charge), an active
    /// fault stays active, the meters keep their registers.
    pub fn power_cycle(&mut self, now: DateTime<Utc>) {
        self.advance(now);
        for c in &mut self.connectors {
            c.energized = false;
            c.limit = PowerLimit::NONE;
        }
        self.refresh();
    }

    /// The meters' registers in Wh, connector 1 first: what a real meter keeps through a power
    /// loss, for the drivers to save.
    pub fn meter_registers(&self) -> Vec<f64> {
        self.connectors.iter().map(|c| c.meter.energy_wh).collect()
    }

    /// Give the meters the registers saved before a restart. Registers never run backwards,
    /// so a smaller or invalid value is ignored; extra entries are ignored too.
    pub fn restore_meter_registers(&mut self, registers: &[f64]) {
        for (c, wh) in self.connectors.iter_mut().zip(registers) {
            if wh.is_finite() && *wh > c.meter.energy_wh {
                c.meter.energy_wh = *wh;
            }
        }
        self.refresh();
    }

    /// Report `version` as the firmware version from now on: the drivers give back what
    /// [`Charger::install_firmware`] installed before a restart of the process (like the
    /// meter registers). An invalid version (see [`firmware_image_version`]) is ignored.
    pub fn restore_firmware_version(&mut self, version: &str) {
        if valid_firmware_version(version) {
            self.cfg.firmware_version = version.to_string();
        }
    }

    /// The limit currently applied to a connector.
    pub fn limit(&self, connector: ConnectorId) -> Option<PowerLimit> {
        self.connector(connector).ok().map(|c| c.limit)
    }

    fn index(&self, connector: ConnectorId) -> Result<usize, HalError> {
        if connector >= 1 && (connector as usize) <= self.connectors.len() {
            Ok(connector as usize - 1)
        } else {
            Err(HalError::UnknownConnector(connector))
        }
    }

    fn connector(&self, connector: ConnectorId) -> Result<&SimConnector, HalError> {
        self.index(connector).map(|i| &self.connectors[i])
    }

    fn connector_mut(&mut self, connector: ConnectorId) -> Result<&mut SimConnector, HalError> {
        let i = self.index(connector)?;
        Ok(&mut self.connectors[i])
    }

    fn push(&mut self, event: HardwareEvent) {
        self.events.push_back(event);
    }

    /// Integrate the physics up to `now`. Time never runs backwards: an earlier `now` only
    /// refreshes the outputs.
    fn advance(&mut self, now: DateTime<Utc>) {
        let mut remaining = if now > self.last {
            seconds_between(self.last, now)
        } else {
            0.0
        };
        if now > self.last {
            self.last = now;
        }
        loop {
            let outputs = self.refresh();
            if remaining <= TIME_EPSILON_S {
                break;
            }
            let delivering = outputs.iter().any(|o| o.power_w > 0.0);
            // Nothing flows: the state is constant, so one exact step covers any idle jump.
            let mut dt = if delivering {
                remaining.min(MAX_SUBSTEP_S)
            } else {
                remaining
            };
            // End the step where an EV reaches its target, so it suspends at the exact moment
            // and the grid share it frees goes to the others from then on.
            for (c, o) in self.connectors.iter().zip(&outputs) {
                if let (Some(ev), true) = (&c.ev, o.power_w > 0.0) {
                    dt = dt.min(ev.wh_to_target() * 3600.0 / o.power_w);
                }
            }
            let ambient = self.cfg.ambient_temperature_c;
            for (c, o) in self.connectors.iter_mut().zip(&outputs) {
                c.meter.integrate(o.power_w, o.current_a, dt, ambient);
                if let Some(ev) = c.ev.as_mut() {
                    ev.absorb(o.power_w * dt / 3600.0);
                }
            }
            remaining -= dt;
        }
    }

    /// Suspend EVs that reached their target and recompute every connector's output for the
    /// present state. Called after every change so the meter always matches the state.
    fn refresh(&mut self) -> Vec<Output> {
        for (i, c) in self.connectors.iter_mut().enumerate() {
            if !c.may_deliver() {
                continue;
            }
            if let Some(ev) = c.ev.as_mut() {
                if ev.at_target() {
                    ev.suspended = true;
                    self.events.push_back(HardwareEvent::EvSuspended {
                        connector: i as ConnectorId + 1,
                        suspended: true,
                    });
                }
            }
        }
        let outputs = self.compute_outputs();
        for (c, o) in self.connectors.iter_mut().zip(&outputs) {
            c.output = *o;
        }
        outputs
    }

    fn compute_outputs(&self) -> Vec<Output> {
        let caps: Vec<f64> = self
            .connectors
            .iter()
            .map(|c| match (&c.ev, c.may_deliver()) {
                (Some(ev), true) => current_cap(&self.cfg, &c.limit, ev),
                _ => 0.0,
            })
            .collect();
        let demands: Vec<f64> = self
            .connectors
            .iter()
            .zip(&caps)
            .map(|(c, &i)| match &c.ev {
                Some(ev) => (ev.open_circuit_voltage() + i * ev.internal_resistance_ohm()) * i,
                None => 0.0,
            })
            .collect();
        let shares = share_power(self.cfg.station_max_power_w, &demands);
        self.connectors
            .iter()
            .zip(caps.iter().zip(&shares))
            .map(|(c, (&cap, &share))| match c.live_ev() {
                Some(ev) => {
                    let v_oc = ev.open_circuit_voltage();
                    let r = ev.internal_resistance_ohm();
                    let current = cap.min(current_for_power(v_oc, r, share)).max(0.0);
                    let voltage = v_oc + current * r;
                    Output {
                        current_a: current,
                        voltage_v: voltage,
                        power_w: voltage * current,
                    }
                }
                None => Output::default(),
            })
            .collect()
    }

    fn reading(&self, index: usize) -> MeterReading {
        let c = &self.connectors[index];
        let others: f64 = self
            .connectors
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != index)
            .map(|(_, c)| c.output.power_w)
            .sum();
        // A faulted connector offers nothing: its power module is shut down.
        let (current_offered_a, power_offered_w) = if c.faults.is_empty() {
            offered(&self.cfg, &c.limit, self.cfg.station_max_power_w - others)
        } else {
            (0.0, 0.0)
        };
        MeterReading {
            energy_wh: c.meter.energy_wh,
            power_w: c.output.power_w,
            current_a: c.output.current_a,
            voltage_v: c.output.voltage_v,
            current_offered_a,
            power_offered_w,
            soc_percent: if c.plugged {
                c.ev.as_ref().map(|ev| ev.soc_percent())
            } else {
                None
            },
            temperature_c: c.meter.temperature_c,
        }
    }
}

/// The first line of a simulated firmware image: `chargepoint-firmware <version>`.
pub const FIRMWARE_IMAGE_MAGIC: &str = "chargepoint-firmware";

/// Whether the file starts like an image of this simulator's format (whatever follows).
fn has_image_magic(image: &Path) -> bool {
    let Ok(file) = std::fs::File::open(image) else {
        return false;
    };
    let mut head = Vec::new();
    let read = file
        .take(FIRMWARE_IMAGE_MAGIC.len() as u64)
        .read_to_end(&mut head);
    read.is_ok() && head == FIRMWARE_IMAGE_MAGIC.as_bytes()
}

/// The version a simulated firmware image installs: its first line must be
/// `chargepoint-firmware <version>`, the version 1 to 50 printable ASCII characters without
/// spaces (it goes into BootNotification's firmwareVersion, a CiString50). Reads only the
/// first line (at most 256 bytes), never the whole image.
pub fn firmware_image_version(image: &Path) -> Result<String, HalError> {
    let failed = |why: String| HalError::InstallationFailed(why);
    let file = std::fs::File::open(image)
        .map_err(|e| failed(format!("cannot open {}: {e}", image.display())))?;
    let mut first = Vec::new();
    BufReader::new(file)
        .take(256)
        .read_until(b'\n', &mut first)
        .map_err(|e| failed(format!("cannot read {}: {e}", image.display())))?;
    let line = std::str::from_utf8(&first)
        .map_err(|_| failed("the image does not start with a text line".into()))?
        .trim_end_matches(['\r', '\n']);
    let version = line
        .strip_prefix(FIRMWARE_IMAGE_MAGIC)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or_else(|| {
            failed(format!(
                "not a firmware image for this charger (no \"{FIRMWARE_IMAGE_MAGIC} <version>\" line)"
            ))
        })?;
    if !valid_firmware_version(version) {
        return Err(failed(format!("invalid firmware version {version:?}")));
    }
    Ok(version.to_string())
}

/// The version any other image installs as on the simulator (unless
/// [`SimConfig::firmware_images_only`]): the file name without its extension when it looks
/// like a version (a valid version with a digit in it, e.g. `fw-2.3.1` of `fw-2.3.1.bin`),
/// else `image-` and a digest of the content (FNV-1a, 64 bits, in hex). An empty or unreadable
/// file is a failed installation.
pub fn plain_image_version(image: &Path) -> Result<String, HalError> {
    let failed = |why: String| HalError::InstallationFailed(why);
    let file = std::fs::File::open(image)
        .map_err(|e| failed(format!("cannot open {}: {e}", image.display())))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut len = 0u64;
    loop {
        let buf = reader
            .fill_buf()
            .map_err(|e| failed(format!("cannot read {}: {e}", image.display())))?;
        if buf.is_empty() {
            break;
        }
        for &b in buf {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let n = buf.len();
        len += n as u64;
        reader.consume(n);
    }
    if len == 0 {
        return Err(failed("the image is empty".into()));
    }
    let stem = image
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| valid_firmware_version(s) && s.bytes().any(|b| b.is_ascii_digit()));
    Ok(match stem {
        Some(stem) => stem.to_string(),
        None => format!("image-{hash:016x}"),
    })
}

fn valid_firmware_version(version: &str) -> bool {
    (1..=50).contains(&version.len()) && version.bytes().all(|b| b.is_ascii_graphic())
}

fn seconds_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    let d = to - from;
    match d.num_nanoseconds() {
        Some(ns) => ns as f64 / 1e9,
        // Beyond ~292 years nanoseconds overflow; milliseconds are plenty there.
        None => d.num_milliseconds() as f64 / 1e3,
    }
}

fn valid_limit(v: Option<f64>) -> bool {
    v.is_none_or(|v| v.is_finite() && v >= 0.0)
}

impl Charger for SimCharger {
    fn info(&self) -> ChargerInfo {
        ChargerInfo {
            vendor: self.cfg.vendor.clone(),
            model: self.cfg.model.clone(),
            serial_number: self.cfg.serial_number.clone(),
            firmware_version: self.cfg.firmware_version.clone(),
            meter_type: self.cfg.meter_type.clone(),
            meter_serial_number: self.cfg.meter_serial_number(),
        }
    }

    fn connector_count(&self) -> u32 {
        self.connectors.len() as u32
    }

    fn has_cable_lock(&self) -> bool {
        self.cfg.cable_lock
    }

    fn poll(&mut self, now: DateTime<Utc>) -> Vec<HardwareEvent> {
        self.advance(now);
        self.events.drain(..).collect()
    }

    fn meter(&self, connector: ConnectorId) -> Option<MeterReading> {
        self.index(connector).ok().map(|i| self.reading(i))
    }

    /// Installs an image by recording its version: `info()` reports it from now on, through
    /// the in-process restart that follows (the simulator lives on). An image of this
    /// simulator's format (first line `chargepoint-firmware <version>`,
    /// [`firmware_image_version`]) installs as its version; a broken one of that format (a
    /// bad version) fails. Any other file that downloaded intact installs as
    /// [`plain_image_version`], unless [`SimConfig::firmware_images_only`]: then it is a failed
    /// installation. A failed installation changes nothing.
    fn install_firmware(&mut self, image: &Path) -> Result<String, HalError> {
        let version = match firmware_image_version(image) {
            Ok(version) => version,
            Err(e) if self.cfg.firmware_images_only || has_image_magic(image) => return Err(e),
            Err(_) => plain_image_version(image)?,
        };
        self.cfg.firmware_version = version.clone();
        Ok(version)
    }

    fn hard_reset(&mut self, now: DateTime<Utc>) {
        self.power_cycle(now);
    }

    fn command(&mut self, cmd: HardwareCommand, now: DateTime<Utc>) -> Result<(), HalError> {
        let connector = cmd.connector();
        self.index(connector)?;
        if let HardwareCommand::SetLimit { limit, .. } = &cmd {
            if !valid_limit(limit.max_current_a) || !valid_limit(limit.max_power_w) {
                return Err(HalError::Refused(format!(
                    "limits must be non-negative numbers, got {limit:?}"
                )));
            }
        }
        if let HardwareCommand::Unlock { .. } = &cmd {
            if !self.cfg.cable_lock {
                return Err(HalError::Refused("this charger has no cable lock".into()));
            }
            // A lock fault means the lock is stuck: the retry fails as well (TC_030).
            if self
                .connector(connector)?
                .faults
                .iter()
                .any(|f| f == "ConnectorLockFailure")
            {
                return Err(HalError::Refused(format!(
                    "the cable lock of connector {connector} did not open"
                )));
            }
        }
        self.advance(now);
        let c = self.connector_mut(connector)?;
        match cmd {
            // Accepted on an empty connector too: the module is armed and delivers once an EV
            // is plugged (remote start before plug-in). A fault blocks delivery, not the command.
            HardwareCommand::Energize { .. } => c.energized = true,
            HardwareCommand::DeEnergize { .. } => c.energized = false,
            HardwareCommand::SetLimit { limit, .. } => c.limit = limit,
            // Checked above: the lock opened.
            HardwareCommand::Unlock { .. } => {}
        }
        self.refresh();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
