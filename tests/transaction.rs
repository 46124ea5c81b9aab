//! Charging sessions (sections 4.7, 4.8, 4.10): start, sampled meter values, stop.

mod common;

use chargepoint::runner::Operation;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const TAG: &str = "TAG-E2E-1";
const SAMPLE_INTERVAL: i64 = 30;
/// Measurand -> unit the station must report it in.
const MEASURANDS: [(&str, &str); 5] = [
    ("Energy.Active.Import.Register", "Wh"),
    ("Power.Active.Import", "W"),
    ("Current.Import", "A"),
    ("Voltage", "V"),
    ("SoC", "Percent"),
];

/// Plug, card, StartTransaction and Charging; returns (StartTransaction payload,
/// transactionId).
async fn start_session(h: &mut Harness, id_tag: &str) -> (Value, i64) {
    h.operate(1, Operation::Plug).await;
    h.expect_status(1, "Preparing").await;
    h.operate(
        1,
        Operation::Authorize {
            id_tag: id_tag.into(),
        },
    )
    .await;
    let auth = h.next_call("Authorize").await;
    assert_eq!(auth.payload, json!({ "idTag": id_tag }));
    let start = h.next_call("StartTransaction").await.payload;
    assert_eq!(start["connectorId"], 1, "{start}");
    assert_eq!(start["idTag"], id_tag, "{start}");
    assert!(start["meterStart"].is_i64(), "{start}");
    assert_eq!(time_of(&start["timestamp"]), h.now(), "{start}");
    h.expect_status(1, "Charging").await;
    let state = h
        .wait_state("transaction id known", |s| {
            connector(s, 1).transaction_id.is_some()
        })
        .await;
    let c = connector(&state, 1);
    assert_eq!(c.id_tag.as_deref(), Some(id_tag));
    let tx_id = i64::from(c.transaction_id.expect("transaction id"));
    let txs = h.csms.transactions();
    assert_eq!(txs.last().map(|t| i64::from(t.transaction_id)), Some(tx_id));
    (start, tx_id)
}

/// The measurand -> (value, unit, context) of a MeterValues' single meterValue.
fn samples(mv: &Value) -> BTreeMap<String, (f64, String, String)> {
    let values = mv["meterValue"]
        .as_array()
        .filter(|v| v.len() == 1)
        .unwrap_or_else(|| panic!("one meterValue expected: {mv}"));
    values[0]["sampledValue"]
        .as_array()
        .unwrap_or_else(|| panic!("no sampledValue: {mv}"))
        .iter()
        .map(|s| {
            (
                s["measurand"]
                    .as_str()
                    .unwrap_or("Energy.Active.Import.Register")
                    .to_string(),
                (
                    number(&s["value"]),
                    s["unit"].as_str().unwrap_or("Wh").to_string(),
                    s["context"]
                        .as_str()
                        .unwrap_or("Sample.Periodic")
                        .to_string(),
                ),
            )
        })
        .collect()
}

/// TC_003_CS Regular Charging Session - Plugin First, with TC_070_CS Sampled Meter Values:
/// plug, card, StartTransaction, Preparing then Charging, MeterValues every
/// MeterValueSampleInterval with the configured measurands, stop button, StopTransaction
/// (Local) with its transaction data, Finishing, unplug, Available.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_003_regular_charging_session_plugin_first() {
    let mut h = Setup::default().sqlite().start().await;
    h.booted().await;
    assert_eq!(
        h.change_config("MeterValueSampleInterval", &SAMPLE_INTERVAL.to_string())
            .await,
        "Accepted"
    );
    let measurands: Vec<&str> = MEASURANDS.iter().map(|(m, _)| *m).collect();
    assert_eq!(
        h.change_config("MeterValuesSampledData", &measurands.join(","))
            .await,
        "Accepted"
    );

    let (start, tx_id) = start_session(&mut h, TAG).await;
    let started = h.now();
    let meter_start = start["meterStart"].as_i64().expect("meterStart") as f64;

    // Sampled meter values: none before the interval, one at each interval.
    h.advance(SAMPLE_INTERVAL - 1);
    h.expect_no_calls("before the first sample").await;
    h.advance(1);
    let first = h.next_call("MeterValues").await.payload;
    h.advance(SAMPLE_INTERVAL);
    let second = h.next_call("MeterValues").await.payload;
    let mut energy = Vec::new();
    for (i, mv) in [&first, &second].into_iter().enumerate() {
        assert_eq!(mv["connectorId"], 1, "{mv}");
        assert_eq!(mv["transactionId"], json!(tx_id), "{mv}");
        let at = started + chrono::Duration::seconds(SAMPLE_INTERVAL * (i as i64 + 1));
        assert_eq!(time_of(&mv["meterValue"][0]["timestamp"]), at, "{mv}");
        let got = samples(mv);
        let names: Vec<&str> = got.keys().map(String::as_str).collect();
        let mut want = measurands.clone();
        want.sort();
        assert_eq!(names, want, "measurands of {mv}");
        for (measurand, unit) in MEASURANDS {
            let (value, u, context) = &got[measurand];
            assert_eq!(u, unit, "{measurand} in {mv}");
            assert_eq!(context, "Sample.Periodic", "{measurand} in {mv}");
            assert!(*value >= 0.0, "{measurand} in {mv}");
        }
        assert!(got["Power.Active.Import"].0 > 0.0, "the EV charges: {mv}");
        energy.push(got["Energy.Active.Import.Register"].0);
    }
    assert!(
        meter_start < energy[0] && energy[0] < energy[1],
        "the energy register must grow: start {meter_start}, samples {energy:?}"
    );

    // Stop button.
    h.advance(5);
    let stopped_at = h.now();
    h.operate(1, Operation::Stop).await;
    let stop = h.next_call("StopTransaction").await.payload;
    assert_eq!(stop["transactionId"], json!(tx_id), "{stop}");
    assert_eq!(stop["reason"], "Local", "{stop}");
    assert!(
        stop.get("idTag").is_none(),
        "no card at the stop button: {stop}"
    );
    assert_eq!(time_of(&stop["timestamp"]), stopped_at, "{stop}");
    let meter_stop = stop["meterStop"].as_i64().expect("meterStop") as f64;
    assert!(meter_stop >= meter_start, "{stop}");
    assert!(meter_stop >= energy[1], "{stop} after sample {}", energy[1]);
    // transactionData: the register at the start and at the end (StopTxnSampledData).
    let data = stop["transactionData"]
        .as_array()
        .unwrap_or_else(|| panic!("no transactionData: {stop}"));
    assert_eq!(data.len(), 2, "{stop}");
    let begin = &data[0]["sampledValue"][0];
    let end = &data[1]["sampledValue"][0];
    assert_eq!(begin["context"], "Transaction.Begin", "{stop}");
    assert_eq!(end["context"], "Transaction.End", "{stop}");
    assert_eq!(time_of(&data[0]["timestamp"]), started, "{stop}");
    assert_eq!(time_of(&data[1]["timestamp"]), stopped_at, "{stop}");
    assert!(
        (number(&begin["value"]) - meter_start).abs() <= 1.0,
        "{stop}"
    );
    assert!((number(&end["value"]) - meter_stop).abs() <= 1.0, "{stop}");
    h.expect_status(1, "Finishing").await;

    // No more samples once stopped.
    h.advance(SAMPLE_INTERVAL * 2);
    h.expect_no_calls("after the stop").await;

    h.operate(1, Operation::Unplug).await;
    h.expect_status(1, "Available").await;
    let state = h.station().state();
    let c = connector(&state, 1);
    assert_eq!((c.transaction_id, c.id_tag.as_deref()), (None, None));

    let tx = &h.csms.transactions()[0];
    assert_eq!(tx.stop_reason.map(|r| r.as_str()), Some("Local"));
    assert_eq!(tx.meter_stop, Some(meter_stop as i32));
    assert_eq!(tx.stop_id_tag, None);
    h.shutdown().await;
}

/// TC_068_CS Stop transaction - IdTag matches StartTransaction IdTag: another card does
/// not stop the transaction; the same card does (reason Local, idTag set).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_068_stop_transaction_with_same_id_tag() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let (_, tx_id) = start_session(&mut h, TAG).await;

    h.advance(10);
    h.operate(
        1,
        Operation::Authorize {
            id_tag: "SOMEONE-ELSE".into(),
        },
    )
    .await;
    let calls = h.calls_within(QUIET).await;
    assert!(
        calls.iter().all(|c| c.action != "StopTransaction"),
        "another card stopped the transaction: {}",
        describe_calls(&calls)
    );
    let state = h.station().state();
    assert_eq!(connector(&state, 1).status, "Charging", "{state:?}");

    h.advance(10);
    let stopped_at = h.now();
    // Card ids are case-insensitive.
    h.operate(
        1,
        Operation::Authorize {
            id_tag: TAG.to_lowercase(),
        },
    )
    .await;
    let stop = h.wait_call("StopTransaction").await.payload;
    assert_eq!(stop["transactionId"], json!(tx_id), "{stop}");
    assert_eq!(stop["reason"], "Local", "{stop}");
    assert!(
        stop["idTag"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(TAG)),
        "{stop}"
    );
    assert_eq!(time_of(&stop["timestamp"]), stopped_at, "{stop}");
    h.expect_status(1, "Finishing").await;

    h.operate(1, Operation::Unplug).await;
    h.expect_status(1, "Available").await;
    let tx = &h.csms.transactions()[0];
    assert_eq!(tx.stop_reason.map(|r| r.as_str()), Some("Local"));
    assert!(
        tx.stop_id_tag
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(TAG)),
        "{tx:?}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn tc_004_1_regular_charging_session_identification_first() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    h.operate(
        2,
        Operation::Authorize {
            id_tag: "CARD-FIRST".into(),
        },
    )
    .await;
    let authorize = h.wait_call("Authorize").await;
    assert_eq!(authorize.payload["idTag"], "CARD-FIRST");
    h.expect_status(2, "Preparing").await;
    h.advance(20);
    h.operate(2, Operation::Plug).await;
    let start = h.wait_call("StartTransaction").await;
    assert_eq!(start.payload["connectorId"], 2);
    assert_eq!(start.payload["idTag"], "CARD-FIRST");
    h.expect_status(2, "Charging").await;
    h.shutdown().await;
}
