//! A maker's charger (`examples/maker_charger.rs`: no simulator, every command logged and
//! successful) under the same runner as the simulator: it boots, takes a remote start and
//! charges; the control API's operator actions are refused, since they happen in person.

mod common;

#[allow(dead_code)] // its `main` is the example's
#[path = "../examples/maker_charger.rs"]
mod example;

use chargepoint::runner::Operation;
use common::*;
use example::MakerCharger;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_makers_charger_boots_and_charges_on_a_remote_start() {
    let mut h = Setup::default().start_charger(MakerCharger::new()).await;
    let boot = h.next_call("BootNotification").await.payload;
    assert_eq!(boot["chargePointVendor"], "Maker", "{boot}");
    assert_eq!(boot["chargePointModel"], "DC50", "{boot}");
    h.wait_call("StatusNotification").await;
    assert_eq!(
        h.csms.registration(ID),
        Some(ocpp::RegistrationStatus::Accepted)
    );
    // The charger reported the EV's cable at its first poll, before the boot.
    let s = h.wait_call("StatusNotification").await.payload;
    assert_eq!(
        (&s["connectorId"], &s["status"]),
        (&json!(1), &json!("Preparing")),
        "{s}"
    );

    let answer = h
        .call(
            "RemoteStartTransaction",
            json!({"connectorId": 1, "idTag": "MAKER-TAG"}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.next_call("Authorize").await;
    let start = h.next_call("StartTransaction").await.payload;
    assert_eq!(start["connectorId"], 1, "{start}");
    h.expect_status(1, "Charging").await;
    h.advance(60);
    let state = h
        .wait_state("energy flows", |s| connector(s, 1).energy_wh > 0.0)
        .await;
    assert_eq!(connector(&state, 1).power_w, 50_000.0, "{state:?}");

    let err = h
        .station()
        .operate(1, Operation::Plug)
        .await
        .expect_err("no simulator to plug in");
    assert!(err.contains("not supported"), "{err}");
    h.shutdown().await;
}

/// The example itself, as `cargo run --example maker_charger` runs it (on the wall clock).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_runs_a_remote_session() {
    let outcome = example::run().await.expect("the example's session");
    assert!(outcome.transaction_id > 0, "{outcome:?}");
    assert!(outcome.energy_wh > 0.0, "{outcome:?}");
}
