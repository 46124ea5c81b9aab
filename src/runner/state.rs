//! What the control API shows of a running station.

use hal::{Charger, MeterReading};
use serde::Serialize;
use station::{ConnectorView, Station};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationState {
    pub id: String,
    pub connected: bool,
    /// The Central System accepted its BootNotification (this connection or an earlier one
    /// of the same run).
    pub booted: bool,
    pub connectors: Vec<ConnectorState>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorState {
    pub id: u32,
    /// OCPP status, e.g. "Charging".
    pub status: String,
    pub error_code: String,
    pub transaction_id: Option<i32>,
    pub id_tag: Option<String>,
    /// The meter's register (Energy.Active.Import.Register), Wh.
    pub energy_wh: f64,
    pub power_w: f64,
    pub current_a: f64,
    pub voltage_v: f64,
    /// The EV's state of charge; null without an EV.
    pub soc: Option<f64>,
}

impl ConnectorState {
    /// The station's view of a connector with the hardware's meter `meter`.
    pub fn new(view: &ConnectorView, meter: Option<MeterReading>) -> ConnectorState {
        let meter = meter.unwrap_or(MeterReading {
            energy_wh: 0.0,
            power_w: 0.0,
            current_a: 0.0,
            voltage_v: 0.0,
            current_offered_a: 0.0,
            power_offered_w: 0.0,
            soc_percent: None,
            temperature_c: 0.0,
        });
        ConnectorState {
            id: view.id,
            status: view.status.as_str().to_string(),
            error_code: view.error_code.as_str().to_string(),
            transaction_id: view.transaction_id,
            id_tag: view.id_tag.clone(),
            energy_wh: round1(meter.energy_wh),
            power_w: round1(meter.power_w),
            current_a: round1(meter.current_a),
            voltage_v: round1(meter.voltage_v),
            soc: meter.soc_percent.map(round1),
        }
    }
}

impl StationState {
    /// What `station` and `charger` show now.
    pub(crate) fn of(id: &str, station: &Station, charger: &impl Charger) -> StationState {
        let connectors = station
            .connectors()
            .iter()
            .map(|view| ConnectorState::new(view, charger.meter(view.id)))
            .collect();
        StationState {
            id: id.to_string(),
            connected: station.is_online(),
            booted: station.boot_status() == station::BootStatus::Accepted,
            connectors,
        }
    }
}

/// Every configuration key of `station` as GetConfiguration reports it, in table order.
pub(crate) fn configuration(station: &Station) -> Vec<ocpp::KeyValue> {
    station
        .config()
        .all()
        .map(|(def, value)| def.reported(value))
        .collect()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
