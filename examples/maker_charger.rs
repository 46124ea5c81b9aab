//! A station maker's starting point: `hal::Charger` implemented for your hardware, run by
//! the same runner as the simulator, against the built-in Central System on loopback.
//!
//! `cargo run --example maker_charger` boots the station, answers a RemoteStartTransaction
//! (the EV is plugged in from the start), charges for a moment, stops remotely and exits.
//! Every hardware command is logged and succeeds: replace the bodies of `MakerCharger`'s
//! methods with calls into your hardware (contactors, power module, meter, card reader),
//! and `main`'s Central System with yours (`RunOptions::new(id, "ws://your-csms/ocpp")`).

use chargepoint::clock::ScaledClock;
use chargepoint::runner::{RunOptions, StationHandle, StationState};
use chrono::{DateTime, Utc};
use hal::{
    ChargerInfo, ConnectorId, HalError, HardwareCommand, HardwareEvent, MeterReading, PowerLimit,
};
use serde_json::json;
use std::time::Duration;

/// The maker's charger: one connector, a 400 V DC output of at most 50 kW.
pub struct MakerCharger {
    energized: bool,
    limit: PowerLimit,
    energy_wh: f64,
    last: Option<DateTime<Utc>>,
    /// Inputs read from the hardware since the last poll (here: an EV at the connector).
    inputs: Vec<HardwareEvent>,
}

const VOLTAGE_V: f64 = 400.0;
const MAX_POWER_W: f64 = 50_000.0;

impl MakerCharger {
    pub fn new() -> MakerCharger {
        MakerCharger {
            energized: false,
            limit: PowerLimit::NONE,
            energy_wh: 0.0,
            last: None,
            inputs: vec![HardwareEvent::CablePlugged { connector: 1 }],
        }
    }

    fn power_w(&self) -> f64 {
        if !self.energized {
            return 0.0;
        }
        let by_current = self.limit.max_current_a.map(|a| a * VOLTAGE_V);
        [Some(MAX_POWER_W), self.limit.max_power_w, by_current]
            .into_iter()
            .flatten()
            .fold(f64::INFINITY, f64::min)
    }
}

impl Default for MakerCharger {
    fn default() -> Self {
        MakerCharger::new()
    }
}

impl hal::Charger for MakerCharger {
    fn info(&self) -> ChargerInfo {
        ChargerInfo {
            vendor: "Maker".into(),
            model: "DC50".into(),
            serial_number: "DC50-0001".into(),
            firmware_version: "1.0.0".into(),
            meter_type: "Maker DC meter".into(),
            meter_serial_number: "M-0001".into(),
        }
    }

    fn connector_count(&self) -> u32 {
        1
    }

    /// Read the inputs (cable, card reader, stop button, faults) and the meter.
    fn poll(&mut self, now: DateTime<Utc>) -> Vec<HardwareEvent> {
        if let Some(last) = self.last {
            let hours = (now - last).num_milliseconds().max(0) as f64 / 3_600_000.0;
            self.energy_wh += self.power_w() * hours;
        }
        self.last = Some(now);
        std::mem::take(&mut self.inputs)
    }

    fn meter(&self, connector: ConnectorId) -> Option<MeterReading> {
        let power_w = self.power_w();
        (connector == 1).then(|| MeterReading {
            energy_wh: self.energy_wh,
            power_w,
            current_a: power_w / VOLTAGE_V,
            voltage_v: if self.energized { VOLTAGE_V } else { 0.0 },
            current_offered_a: MAX_POWER_W / VOLTAGE_V,
            power_offered_w: MAX_POWER_W,
            soc_percent: None,
            temperature_c: 25.0,
        })
    }

    fn command(&mut self, cmd: HardwareCommand, now: DateTime<Utc>) -> Result<(), HalError> {
        tracing::info!("hardware command at {now}: {cmd:?}");
        if cmd.connector() != 1 {
            return Err(HalError::UnknownConnector(cmd.connector()));
        }
        match cmd {
            HardwareCommand::Energize { .. } => self.energized = true,
            HardwareCommand::DeEnergize { .. } => self.energized = false,
            HardwareCommand::SetLimit { limit, .. } => self.limit = limit,
            // Not sent: has_cable_lock() is false (a fixed cable).
            HardwareCommand::Unlock { .. } => {}
        }
        Ok(())
    }
}

/// What the run showed.
#[derive(Debug)]
pub struct Outcome {
    pub transaction_id: i32,
    pub energy_wh: f64,
}

/// Start the built-in Central System and the station on `MakerCharger`; one remote session.
pub async fn run() -> anyhow::Result<Outcome> {
    const ID: &str = "MAKER-CP-01";
    const STEP: Duration = Duration::from_secs(10);
    let csms = csms::CentralSystem::start(csms::CsmsConfig::default()).await?;
    let store = Box::new(store::MemoryStore::new());
    let opts = RunOptions::new(ID, csms.base_url());
    let station =
        StationHandle::start_charger(opts, MakerCharger::new(), store, ScaledClock::system())?;

    let result = async {
        let at = |status: &'static str| {
            move |s: &StationState| {
                s.connected && s.connectors.first().is_some_and(|c| c.status == status)
            }
        };
        let fail = |what: &str, s: StationState| anyhow::anyhow!("{what}: {s:?}");
        station
            .wait_for(STEP, at("Preparing"))
            .await
            .map_err(|s| fail("the station did not boot with the EV plugged in", s))?;
        // The station sees its link open a moment before the Central System has it, and the
        // connector shows Preparing from the first poll, before the BootNotification: wait
        // for the registration itself.
        csms.wait_connected(ID, STEP).await?;
        let deadline = tokio::time::Instant::now() + STEP;
        while csms.registration(ID) != Some(ocpp::RegistrationStatus::Accepted) {
            if tokio::time::Instant::now() > deadline {
                anyhow::bail!("not registered: {:?}", csms.registration(ID));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let answer = csms
            .call_raw(
                ID,
                "RemoteStartTransaction",
                json!({"connectorId": 1, "idTag": "MAKER-TAG"}),
            )
            .await?;
        tracing::info!("RemoteStartTransaction: {answer}");
        // Charging from the StartTransaction on; the id comes with its answer.
        let charging = station
            .wait_for(STEP, |s| {
                at("Charging")(s)
                    && s.connectors
                        .first()
                        .is_some_and(|c| c.transaction_id.is_some())
            })
            .await
            .map_err(|s| fail("charging did not start", s))?;
        let transaction_id = charging
            .connectors
            .first()
            .and_then(|c| c.transaction_id)
            .unwrap_or_default();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let answer = csms
            .call_raw(
                ID,
                "RemoteStopTransaction",
                json!({ "transactionId": transaction_id }),
            )
            .await?;
        tracing::info!("RemoteStopTransaction: {answer}");
        let stopped = station
            .wait_for(STEP, at("Finishing"))
            .await
            .map_err(|s| fail("the transaction did not stop", s))?;
        let energy_wh = stopped.connectors.first().map_or(0.0, |c| c.energy_wh);
        Ok(Outcome {
            transaction_id,
            energy_wh,
        })
    }
    .await;
    station.shutdown().await;
    csms.shutdown().await;
    result
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,ocpp=debug".into()),
        )
        .init();
    let outcome = run().await?;
    println!(
        "transaction {} done: {:.1} Wh delivered",
        outcome.transaction_id, outcome.energy_wh
    );
    Ok(())
}
