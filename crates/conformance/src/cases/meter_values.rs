//! OCTT module 09: Meter Values (sampled and clock-aligned), and the checks of a
//! MeterValues.req other modules share (TC_036 queues sampled ones through an outage).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::sessions::{charging, CONNECTOR};
use super::{always, case, Case};
use crate::tester::{fail, Failure, Outcome, Tester, TAG};

pub fn cases() -> Vec<Case> {
    vec![
        case!("TC_070", "Sampled Meter Values", Core, always, tc_070),
        case!("TC_071", "Clock-aligned Meter Values", Core, always, tc_071),
    ]
}

/// The MeterValueSampleInterval (seconds) TC_070 sets.
const SAMPLE_INTERVAL: i64 = 5;
/// The ClockAlignedDataInterval (seconds) TC_071 sets.
const ALIGNED_INTERVAL: i64 = 10;
/// How many MeterValues.req the cases look at ("three times the interval").
const COUNT: usize = 3;
/// Leeway for a station's timer against its own timestamps.
const LEEWAY_S: i64 = 1;

/// The measurand of a sampledValue (absent: Energy.Active.Import.Register).
fn measurand(v: &Value) -> &str {
    v["measurand"]
        .as_str()
        .unwrap_or("Energy.Active.Import.Register")
}

/// The units a measurand may be given in (section 7.31; absent unit: Wh).
fn unit_fits(measurand: &str, unit: &str) -> bool {
    let kind = measurand.split('.').next().unwrap_or_default();
    match kind {
        "Energy" => matches!(unit, "Wh" | "kWh" | "varh" | "kvarh"),
        "Power" if measurand == "Power.Factor" => true,
        "Power" => matches!(unit, "W" | "kW" | "var" | "kvar" | "VA" | "kVA"),
        "Current" => unit == "A",
        "Voltage" => unit == "V",
        "Frequency" => true,
        "SoC" => unit == "Percent",
        "Temperature" => matches!(unit, "Celsius" | "Fahrenheit" | "K"),
        "RPM" => true,
        _ => true,
    }
}

/// The measurands of a CSL configuration value (empty: Energy.Active.Import.Register).
pub(super) fn measurand_list(csl: &str) -> Vec<String> {
    let list: Vec<String> = csl
        .split(',')
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect();
    if list.is_empty() {
        vec!["Energy.Active.Import.Register".into()]
    } else {
        list
    }
}

/// The timestamp of a meterValue entry.
fn timestamp(mv: &Value) -> Result<DateTime<Utc>, Failure> {
    mv["timestamp"]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| Failure(format!("a meterValue without a valid timestamp: {mv}")))
}

/// The meterValue entries of a MeterValues.req with their timestamps.
pub(super) fn entries(req: &Value) -> Result<Vec<(DateTime<Utc>, Value)>, Failure> {
    let Some(list) = req["meterValue"].as_array().filter(|l| !l.is_empty()) else {
        return fail(format!("MeterValues.req without meterValue: {req}"));
    };
    list.iter()
        .map(|mv| Ok((timestamp(mv)?, mv.clone())))
        .collect()
}

/// A meterValue entry as OCTT checks it: every sampledValue has `context` (absent:
/// Sample.Periodic), format Raw (or absent), a unit that fits its measurand, location EV
/// only for SoC; and there is a sampledValue for every one of `measurands`.
pub(super) fn check_entry(mv: &Value, context: &str, measurands: &[String]) -> Outcome {
    let Some(values) = mv["sampledValue"].as_array().filter(|v| !v.is_empty()) else {
        return fail(format!("a meterValue without sampledValue: {mv}"));
    };
    for v in values {
        let m = measurand(v);
        let given = v["context"].as_str().unwrap_or("Sample.Periodic");
        if given != context {
            return fail(format!(
                "sampledValue {m}: expected context {context}, got {given}: {v}"
            ));
        }
        let format = v["format"].as_str().unwrap_or("Raw");
        if format != "Raw" {
            return fail(format!("sampledValue {m}: format {format}, not Raw: {v}"));
        }
        let unit = v["unit"].as_str().unwrap_or("Wh");
        if !unit_fits(m, unit) {
            return fail(format!("sampledValue {m} in unit {unit}: {v}"));
        }
        if v["location"] == "EV" && m != "SoC" {
            return fail(format!("sampledValue {m} with location EV: {v}"));
        }
        if v["value"].as_str().is_none_or(|s| s.trim().is_empty()) {
            return fail(format!("sampledValue {m} without a value: {v}"));
        }
    }
    for wanted in measurands {
        if !values.iter().any(|v| measurand(v) == wanted) {
            return fail(format!(
                "no sampledValue for the configured measurand {wanted}: {mv}"
            ));
        }
    }
    Ok(())
}

/// Consecutive timestamps `interval` seconds apart (give or take [`LEEWAY_S`]).
pub(super) fn check_spacing(stamps: &[DateTime<Utc>], interval: i64) -> Outcome {
    for pair in stamps.windows(2) {
        let gap = (pair[1] - pair[0]).num_milliseconds() as f64 / 1000.0;
        if (gap - interval as f64).abs() > LEEWAY_S as f64 {
            return fail(format!(
                "meter values {} and {} are {gap} s apart, the interval is {interval} s",
                pair[0], pair[1]
            ));
        }
    }
    Ok(())
}

/// The next MeterValues.req of `connector` whose readings have `context`, within a little
/// more than `interval`.
async fn next_meter_values(
    t: &mut Tester<'_>,
    connector: u32,
    context: &'static str,
    interval: i64,
) -> Result<Value, Failure> {
    let wait = Duration::from_secs(interval as u64) + t.patience();
    t.expect_within(
        wait,
        "MeterValues",
        &format!("connector {connector}, {context}"),
        |p| {
            p["connectorId"] == connector
                && p["meterValue"][0]["sampledValue"][0]["context"]
                    .as_str()
                    .unwrap_or("Sample.Periodic")
                    == context
        },
    )
    .await
}

/// The measurands configuration key `key` names.
async fn configured_measurands(t: &mut Tester<'_>, key: &str) -> Result<Vec<String>, Failure> {
    Ok(measurand_list(&t.read_key(key).await?))
}

/// TC_070: MeterValueSampleInterval set, no clock-aligned data; while charging, a
/// MeterValues.req every interval: the transaction's id, Sample.Periodic, every measurand of
/// MeterValuesSampledData, timestamps an interval apart.
async fn tc_070(t: &mut Tester<'_>) -> Outcome {
    t.configure("MeterValueSampleInterval", &SAMPLE_INTERVAL.to_string())
        .await?;
    t.configure("ClockAlignedDataInterval", "0").await?;
    let measurands = configured_measurands(t, "MeterValuesSampledData").await?;
    let tx = charging(t, CONNECTOR, TAG).await?;
    let mut stamps = Vec::new();
    for _ in 0..COUNT {
        let req = next_meter_values(t, CONNECTOR, "Sample.Periodic", SAMPLE_INTERVAL).await?;
        if req["transactionId"] != tx {
            return fail(format!(
                "sampled MeterValues.req without the transaction's id {tx}: {req}"
            ));
        }
        for (at, mv) in entries(&req)? {
            check_entry(&mv, "Sample.Periodic", &measurands)?;
            stamps.push(at);
        }
    }
    check_spacing(&stamps, SAMPLE_INTERVAL)
}

/// TC_071: no sampled data, ClockAlignedDataInterval set; while charging, a MeterValues.req
/// at every boundary of the interval: Sample.Clock, every measurand of
/// MeterValuesAlignedData, timestamps on the boundaries.
async fn tc_071(t: &mut Tester<'_>) -> Outcome {
    t.configure("MeterValueSampleInterval", "0").await?;
    t.configure("ClockAlignedDataInterval", &ALIGNED_INTERVAL.to_string())
        .await?;
    let measurands = configured_measurands(t, "MeterValuesAlignedData").await?;
    charging(t, CONNECTOR, TAG).await?;
    let mut stamps = Vec::new();
    while stamps.len() < COUNT {
        let wait = Duration::from_secs(ALIGNED_INTERVAL as u64) + t.patience();
        let req = t
            .expect_within(
                wait,
                "MeterValues",
                &format!("connector {CONNECTOR}, Sample.Clock"),
                |p| p["connectorId"] == CONNECTOR,
            )
            .await?;
        for (at, mv) in entries(&req)? {
            check_entry(&mv, "Sample.Clock", &measurands)?;
            if at.timestamp() % ALIGNED_INTERVAL != 0 {
                return fail(format!(
                    "clock-aligned reading stamped {at}, not on a boundary of {ALIGNED_INTERVAL} s"
                ));
            }
            stamps.push(at);
        }
    }
    check_spacing(&stamps, ALIGNED_INTERVAL)
}
