//! Transactions on the bare state machine: TC_003 (plug first), TC_004_1 (card first),
//! TC_004_2 (ConnectionTimeOut), TC_068 (stop by the same card), TC_070 (sampled meter
//! values), TC_071 (clock-aligned meter values) and StopTxnAlignedData, TC_040_2 (measurands
//! the meter cannot give), TC_032_2 (power loss, stopped after coming back), TC_038
//! (offline stop), TransactionMessageAttempts.

mod harness;

use hal::{HardwareCommand, HardwareEvent};
use harness::*;
use serde_json::json;
use station::Input;

#[test]
fn tc_003_plug_first_then_card_starts_a_transaction() {
    let mut h = Harness::new();
    h.boot();
    let calls = h.start_transaction(1, "TAG1");
    let actions: Vec<_> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "StatusNotification",
            "Authorize",
            "StartTransaction",
            "StatusNotification"
        ]
    );
    assert_eq!(calls[0].payload["status"], "Preparing");
    let start = &calls[2].payload;
    assert_eq!(start["connectorId"], 1);
    assert_eq!(start["idTag"], "TAG1");
    assert_eq!(start["meterStart"], 1000);
    assert_eq!(calls[3].payload["status"], "Charging");
    assert_eq!(h.hardware, vec![HardwareCommand::Energize { connector: 1 }]);
    let view = &h.station.connectors()[0];
    assert_eq!(view.transaction_id, Some(101));
    assert_eq!(view.id_tag.as_deref(), Some("TAG1"));
}

#[test]
fn tc_004_1_card_first_then_plug() {
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::CardPresented {
        connector: 2,
        id_tag: "TAG2".into(),
    });
    let calls = h.answer_all();
    assert_eq!(calls[0].action, "Authorize");
    assert_eq!(calls[1].action, "StatusNotification");
    assert_eq!(calls[1].payload["status"], "Preparing");
    h.advance(30);
    h.hw(HardwareEvent::CablePlugged { connector: 2 });
    let calls = h.answer_all();
    assert_eq!(calls[0].action, "StartTransaction");
    assert_eq!(calls[0].payload["meterStart"], 5000);
}

#[test]
fn tc_004_2_connection_timeout_drops_the_authorization() {
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::CardPresented {
        connector: 1,
        id_tag: "TAG1".into(),
    });
    h.answer_all();
    h.advance(60); // ConnectionTimeOut default
    let calls = h.answer_all();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].payload["status"], "Available");
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    let calls = h.answer_all();
    assert!(
        calls.iter().all(|c| c.action != "StartTransaction"),
        "{calls:?}"
    );
}

#[test]
fn tc_023_4_invalid_card_starts_nothing() {
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    let status = h.expect_call("StatusNotification");
    h.answer(&status, json!({}));
    h.hw(HardwareEvent::CardPresented {
        connector: 1,
        id_tag: "BAD".into(),
    });
    let authorize = h.expect_call("Authorize");
    h.answer(&authorize, json!({"idTagInfo": {"status": "Invalid"}}));
    h.expect_no_call();
    assert!(h.hardware.is_empty());
    assert_eq!(h.station.connectors()[0].transaction_id, None);
}

#[test]
fn tc_068_same_card_stops_with_reason_local_and_transaction_data() {
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(1, "TAG1");
    h.meter(1, 1500.0);
    h.hw(HardwareEvent::CardPresented {
        connector: 1,
        id_tag: "tag1".into(), // IdTokens are case-insensitive
    });
    let calls = h.answer_all();
    let stop = calls
        .iter()
        .find(|c| c.action == "StopTransaction")
        .unwrap();
    assert_eq!(stop.payload["transactionId"], 101);
    assert_eq!(stop.payload["meterStop"], 1500);
    assert_eq!(stop.payload["reason"], "Local");
    assert_eq!(stop.payload["idTag"], "tag1");
    let data = stop.payload["transactionData"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["sampledValue"][0]["context"], "Transaction.Begin");
    assert_eq!(data[1]["sampledValue"][0]["value"], "1500");
    let finishing = calls
        .iter()
        .find(|c| c.action == "StatusNotification")
        .unwrap();
    assert_eq!(finishing.payload["status"], "Finishing");
    assert!(h
        .hardware
        .contains(&HardwareCommand::DeEnergize { connector: 1 }));
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    let calls = h.answer_all();
    assert_eq!(calls[0].payload["status"], "Available");
}

#[test]
fn unplugging_stops_with_ev_disconnected() {
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(1, "TAG1");
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    let calls = h.answer_all();
    assert_eq!(calls[0].action, "StopTransaction");
    assert_eq!(calls[0].payload["reason"], "EVDisconnected");
    assert_eq!(calls[1].payload["status"], "Available");
}

#[test]
fn tc_070_sampled_meter_values_carry_the_transaction_id() {
    let mut h = Harness::new();
    h.boot();
    let answer = h.csms_call(
        "ChangeConfiguration",
        json!({"key": "MeterValueSampleInterval", "value": "10"}),
    );
    assert_eq!(result_payload(answer)["status"], "Accepted");
    h.start_transaction(1, "TAG1");
    h.meter(1, 1100.0);
    h.advance(10);
    let mv = h.expect_call("MeterValues");
    assert_eq!(mv.payload["connectorId"], 1);
    assert_eq!(mv.payload["transactionId"], 101);
    let values = mv.payload["meterValue"][0]["sampledValue"]
        .as_array()
        .unwrap();
    assert_eq!(values.len(), 8);
    assert!(values.iter().all(|v| v["context"] == "Sample.Periodic"));
    let soc = values.iter().find(|v| v["measurand"] == "SoC").unwrap();
    assert_eq!(soc["unit"], "Percent");
    h.answer(&mv, json!({}));
    h.advance(9);
    h.expect_no_call();
    h.advance(1);
    h.expect_call("MeterValues");
}

#[test]
fn tc_038_stop_while_offline_is_delivered_after_reconnect() {
    let mut h = Harness::new();
    h.boot();
    h.start_transaction(1, "TAG1");
    h.input(Input::Disconnected);
    h.hw(HardwareEvent::StopButton { connector: 1 });
    h.expect_no_call();
    h.advance(120);
    h.input(Input::Connected);
    let calls = h.answer_all();
    let stop = calls
        .iter()
        .find(|c| c.action == "StopTransaction")
        .unwrap();
    assert_eq!(stop.payload["transactionId"], 101);
    assert_eq!(stop.payload["reason"], "Local");
}

#[test]
fn start_before_the_transaction_id_is_known_patches_later_messages() {
    let mut h = Harness::new();
    h.boot();
    h.input(Input::Disconnected);
    // Offline the card is unknown: nothing starts.
    h.start_transaction(1, "TAG1");
    h.input(Input::Connected);
    h.answer_all();
    h.hw(HardwareEvent::CardPresented {
        connector: 1,
        id_tag: "TAG1".into(),
    });
    let authorize = h.expect_call("Authorize");
    h.answer(&authorize, json!({"idTagInfo": {"status": "Accepted"}}));
    let start = h.expect_call("StartTransaction");
    // The Central System is slow; the EV leaves before StartTransaction is answered.
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    h.answer(
        &start,
        json!({"idTagInfo": {"status": "Accepted"}, "transactionId": 77}),
    );
    let calls = h.answer_all();
    let stop = calls
        .iter()
        .find(|c| c.action == "StopTransaction")
        .unwrap();
    assert_eq!(stop.payload["transactionId"], 77);
}

#[test]
fn transaction_messages_are_retried_then_dropped_after_the_attempts() {
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.hw(HardwareEvent::CardPresented {
        connector: 1,
        id_tag: "TAG1".into(),
    });
    h.answer_all_but("StartTransaction");
    for attempt in 1..=3 {
        h.answer_all_but("StartTransaction");
        let start = h.expect_call("StartTransaction");
        let error = ocpp::Frame::CallError(ocpp::CallError::new(
            start.unique_id.clone(),
            ocpp::ErrorCode::InternalError,
            "database down",
        ));
        h.input(Input::Received(error.to_text()));
        // What queued behind it goes on while it waits.
        let others = h.answer_all();
        assert!(
            others.iter().all(|c| c.action != "StartTransaction"),
            "attempt {attempt}: {others:?}"
        );
        if attempt < 3 {
            // TransactionMessageRetryInterval (60 s) times the attempts so far.
            h.advance(60 * attempt - 1);
            h.expect_no_call();
            h.advance(1);
        }
    }
    // Dropped: only what is behind it (the Charging notification) follows.
    let rest = h.answer_all();
    assert!(
        rest.iter().all(|c| c.action != "StartTransaction"),
        "{rest:?}"
    );
}

#[test]
fn an_unusable_start_transaction_conf_is_retried_not_taken_as_delivered() {
    // Taking it as delivered would leave the transaction without an id, and its
    // StopTransaction would carry -1.
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.card(1, "TAG1");
    h.answer_all_but("StartTransaction");
    let start = h.expect_call("StartTransaction");
    h.answer(&start, json!({"transactionId": "seven"}));
    h.answer_all();
    h.advance(60);
    let again = h.expect_call("StartTransaction");
    assert_eq!(again.payload, start.payload, "re-sent as it was");
    h.answer(
        &again,
        json!({"transactionId": 7, "idTagInfo": {"status": "Accepted"}}),
    );
    h.card(1, "TAG1");
    let calls = h.answer_all();
    let stop = calls
        .iter()
        .find(|c| c.action == "StopTransaction")
        .expect("a StopTransaction");
    assert_eq!(stop.payload["transactionId"], 7);
}

#[test]
fn tc_032_2_power_loss_stops_the_transaction_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("station.db");
    {
        let store = store::SqliteStore::open(&db).unwrap();
        let mut h = Harness::with_store(Box::new(store), t0());
        h.boot();
        h.start_transaction(1, "TAG1");
        h.meter(1, 4321.0);
        h.advance(60);
        // The MeterValues sample is queued, then the power goes: no answer, no stop.
    }
    let store = store::SqliteStore::open(&db).unwrap();
    let later = t0() + chrono::Duration::minutes(10);
    let mut h = Harness::with_store_and_meters(Box::new(store), later, [4400.0, 5000.0]);
    let calls = h.boot();
    let actions: Vec<_> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions[0], "BootNotification");
    let mv = calls.iter().find(|c| c.action == "MeterValues").unwrap();
    assert_eq!(mv.payload["transactionId"], 101);
    let stop = calls
        .iter()
        .find(|c| c.action == "StopTransaction")
        .unwrap();
    assert_eq!(stop.payload["transactionId"], 101);
    assert_eq!(stop.payload["reason"], "PowerLoss");
    // The last persisted sample is the best reading there is, and its time the stop time.
    assert_eq!(stop.payload["meterStop"], 4321);
    let sampled_at = ocpp::datetime::format(&(t0() + chrono::Duration::seconds(60)));
    assert_eq!(stop.payload["timestamp"], sampled_at.as_str());
    // Delivered: nothing is left to send after another restart.
    drop(h);
    let store = store::SqliteStore::open(&db).unwrap();
    let mut h = Harness::with_store(Box::new(store), later);
    let calls = h.boot();
    assert!(
        calls.iter().all(|c| c.action != "StopTransaction"),
        "{calls:?}"
    );
}

fn change(h: &mut Harness, key: &str, value: &str) {
    let answer = h.csms_call("ChangeConfiguration", json!({"key": key, "value": value}));
    assert_eq!(
        result_payload(answer)["status"],
        "Accepted",
        "{key}={value}"
    );
}

fn at_seconds(s: i64) -> String {
    ocpp::datetime::format(&(t0() + chrono::Duration::seconds(s)))
}

/// TC_071 Clock-aligned Meter Values: with ClockAlignedDataInterval 15, at every boundary
/// of the wall clock a MeterValues.req per connector with the MeterValuesAlignedData
/// measurands, context Sample.Clock, stamped with the boundary (even when woken late); the
/// one of a connector with a transaction carries its transactionId. Connector 0 too, once
/// the drivers give a reading of a main meter.
#[test]
fn tc_071_clock_aligned_meter_values() {
    let mut h = Harness::new();
    h.boot();
    change(&mut h, "MeterValueSampleInterval", "0");
    change(
        &mut h,
        "MeterValuesAlignedData",
        "Energy.Active.Import.Register,Voltage",
    );
    h.advance(7);
    change(&mut h, "ClockAlignedDataInterval", "15");
    h.start_transaction(1, "TAG1");
    h.meter(1, 1100.0);
    assert_eq!(h.wake_at(), Some(t0() + chrono::Duration::seconds(15)));
    h.advance(7);
    h.expect_no_call();
    h.advance(1);
    let calls = h.answer_all();
    let mvs: Vec<_> = calls.iter().filter(|c| c.action == "MeterValues").collect();
    assert_eq!(mvs.len(), 2, "{calls:?}");
    for mv in &mvs {
        let value = &mv.payload["meterValue"][0];
        assert_eq!(value["timestamp"], at_seconds(15).as_str());
        let sampled = value["sampledValue"].as_array().unwrap();
        let measurands: Vec<_> = sampled.iter().map(|v| v["measurand"].clone()).collect();
        assert_eq!(
            measurands,
            vec![json!("Energy.Active.Import.Register"), json!("Voltage")]
        );
        assert!(sampled.iter().all(|v| v["context"] == "Sample.Clock"));
    }
    let one = mvs.iter().find(|c| c.payload["connectorId"] == 1).unwrap();
    assert_eq!(one.payload["transactionId"], 101);
    assert_eq!(
        one.payload["meterValue"][0]["sampledValue"][0]["value"],
        "1100"
    );
    let two = mvs.iter().find(|c| c.payload["connectorId"] == 2).unwrap();
    assert!(two.payload.get("transactionId").is_none());
    assert_eq!(
        two.payload["meterValue"][0]["sampledValue"][0]["value"],
        "5000"
    );

    // Woken 3 s late: still stamped with the boundary.
    h.input(Input::Meter {
        connector: 0,
        reading: reading(9000.0),
    });
    h.advance(18);
    let calls = h.answer_all();
    let mvs: Vec<_> = calls.iter().filter(|c| c.action == "MeterValues").collect();
    let connectors: Vec<_> = mvs
        .iter()
        .map(|c| c.payload["connectorId"].clone())
        .collect();
    assert_eq!(connectors, vec![json!(0), json!(1), json!(2)], "{calls:?}");
    assert!(mvs
        .iter()
        .all(|c| c.payload["meterValue"][0]["timestamp"] == at_seconds(30).as_str()));
    let main = &mvs[0].payload["meterValue"][0]["sampledValue"][0];
    assert_eq!(main["value"], "9000");
    assert_eq!(main["location"], "Inlet");

    // 0: no clock-aligned data.
    change(&mut h, "ClockAlignedDataInterval", "0");
    h.advance(60);
    assert!(h.answer_all().iter().all(|c| c.action != "MeterValues"));
}

/// Runs a transaction on connector 1 from t0 for 2800 s (ClockAlignedDataInterval 900:
/// boundaries at 900, 1800 and 2700 s with the meter at 1100, 1200 and 1300 Wh, 1350 Wh
/// at the stop) and returns its StopTransaction.req.
fn stop_after_three_boundaries(h: &mut Harness) -> ocpp::Call {
    change(h, "MeterValueSampleInterval", "0");
    h.start_transaction(1, "TAG1");
    for wh in [1100.0, 1200.0, 1300.0] {
        h.meter(1, wh);
        h.advance(900);
        h.answer_all();
    }
    h.advance(100);
    h.meter(1, 1350.0);
    h.hw(HardwareEvent::StopButton { connector: 1 });
    let calls = h.answer_all();
    calls
        .into_iter()
        .find(|c| c.action == "StopTransaction")
        .expect("a StopTransaction")
}

fn data_of(stop: &ocpp::Call) -> Vec<(String, String, String)> {
    stop.payload["transactionData"]
        .as_array()
        .map(|data| {
            data.iter()
                .map(|mv| {
                    let v = &mv["sampledValue"][0];
                    (
                        mv["timestamp"].as_str().unwrap().to_string(),
                        v["context"].as_str().unwrap().to_string(),
                        v["value"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// StopTxnAlignedData (section 3.16.2, 9.1.25): the clock-aligned readings taken during the
/// transaction go into its StopTransaction's transactionData, context Sample.Clock, within
/// StopTransactionMaxMeterValues (2): the first and the latest.
#[test]
fn stop_txn_aligned_data_goes_into_the_stop_transaction() {
    let mut h = Harness::new();
    h.boot();
    change(&mut h, "StopTxnSampledData", "");
    let stop = stop_after_three_boundaries(&mut h);
    let clock = |s: i64, wh: &str| (at_seconds(s), "Sample.Clock".to_string(), wh.to_string());
    assert_eq!(
        data_of(&stop),
        vec![clock(900, "1100"), clock(2700, "1300")]
    );

    // With StopTxnSampledData too, the Transaction.Begin and Transaction.End readings bound
    // the data, and the clock-aligned ones between are what the limit of 2 drops.
    let mut h = Harness::new();
    h.boot();
    let stop = stop_after_three_boundaries(&mut h);
    let contexts: Vec<_> = data_of(&stop).into_iter().map(|(_, c, _)| c).collect();
    assert_eq!(contexts, vec!["Transaction.Begin", "Transaction.End"]);

    // Within the limit, all of them, in time order.
    let mut h = Harness::new();
    h.boot();
    change(&mut h, "StopTxnSampledData", "");
    change(&mut h, "MeterValueSampleInterval", "0");
    h.start_transaction(1, "TAG1");
    h.meter(1, 1100.0);
    h.advance(900);
    h.answer_all();
    h.card(1, "TAG1");
    let calls = h.answer_all();
    let stop = calls
        .iter()
        .find(|c| c.action == "StopTransaction")
        .unwrap();
    assert_eq!(data_of(stop), vec![clock(900, "1100")]);
    let sampled = &stop.payload["transactionData"][0]["sampledValue"][0];
    assert_eq!(sampled["measurand"], "Energy.Active.Import.Register");

    // Both lists empty: no meter values in the StopTransaction (section 3.16.5).
    let mut h = Harness::new();
    h.boot();
    change(&mut h, "StopTxnSampledData", "");
    change(&mut h, "StopTxnAlignedData", "");
    let stop = stop_after_three_boundaries(&mut h);
    assert!(stop.payload.get("transactionData").is_none(), "{stop:?}");
}

/// Section 3.16.4: a ChangeConfiguration of a measurand list naming a measurand the meter
/// cannot give is Rejected and changes nothing (TC_040_2, an invalid value).
#[test]
fn tc_040_2_unsupported_measurands_are_rejected() {
    let mut h = Harness::new();
    h.boot();
    for key in [
        "MeterValuesSampledData",
        "MeterValuesAlignedData",
        "StopTxnSampledData",
        "StopTxnAlignedData",
    ] {
        let get = |h: &mut Harness| {
            let answer = h.csms_call("GetConfiguration", json!({"key": [key]}));
            result_payload(answer)["configurationKey"][0]["value"].clone()
        };
        let before = get(&mut h);
        let answer = h.csms_call(
            "ChangeConfiguration",
            json!({"key": key, "value": "Energy.Active.Import.Register,Power.Factor"}),
        );
        assert_eq!(result_payload(answer)["status"], "Rejected", "{key}");
        assert_eq!(get(&mut h), before, "{key}");
        change(&mut h, key, "Energy.Active.Import.Register,SoC");
    }
}

/// TransactionMessageAttempts 0 is accepted and acts as 1: the message is sent once and
/// dropped at its first failure (section 3.7.1).
#[test]
fn transaction_message_attempts_zero_sends_once() {
    let mut h = Harness::new();
    h.boot();
    change(&mut h, "TransactionMessageAttempts", "0");
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.card(1, "TAG1");
    h.answer_all_but("StartTransaction");
    let start = h.expect_call("StartTransaction");
    let error = ocpp::Frame::CallError(ocpp::CallError::new(
        start.unique_id.clone(),
        ocpp::ErrorCode::InternalError,
        "database down",
    ));
    h.input(Input::Received(error.to_text()));
    h.answer_all();
    h.advance(600);
    let later = h.answer_all();
    assert!(
        later.iter().all(|c| c.action != "StartTransaction"),
        "{later:?}"
    );
}
