//! Hours of charging on the injected clock: the simulated EV fills up, suspends itself and
//! the meter values tell a consistent story, in a fraction of a second of wall time.

mod common;

use chargepoint::runner::Operation;
use common::*;

#[tokio::test]
async fn hours_of_charging_fill_the_battery() {
    let mut h = Setup::default()
        .key("MeterValueSampleInterval", "600")
        .key(
            "MeterValuesSampledData",
            "Energy.Active.Import.Register,SoC,Power.Active.Import",
        )
        .start()
        .await;
    h.booted().await;
    h.operate(1, Operation::Plug).await;
    h.operate(
        1,
        Operation::Authorize {
            id_tag: "TAG1".into(),
        },
    )
    .await;
    let start = h.wait_call("StartTransaction").await;
    let meter_start = start.payload["meterStart"].as_f64().unwrap();
    let mut last_energy = meter_start;
    let mut last_soc = 0.0;
    // 3 hours in 1-minute steps; the default EV (75 kWh, 20 % -> 100 %) is full long before.
    // Each step waits until the station has seen it (the meter moved), as real time would.
    for _ in 0..180 {
        if connector(&h.station().state(), 1).status == "SuspendedEV" {
            break;
        }
        let before = connector(&h.station().state(), 1).energy_wh;
        h.advance(60);
        h.wait_state("the minute is simulated", |s| {
            let c = connector(s, 1);
            c.energy_wh > before || c.status == "SuspendedEV"
        })
        .await;
    }
    let state = h
        .wait_state("the EV is full and suspended", |s| {
            connector(s, 1).status == "SuspendedEV"
        })
        .await;
    let soc = connector(&state, 1).soc.unwrap();
    assert!(soc >= 99.0, "SoC {soc}");
    let calls = h.calls_within(std::time::Duration::from_millis(500)).await;
    let samples = calls.iter().filter(|c| c.action == "MeterValues").count();
    let actions: Vec<_> = calls.iter().map(|c| c.action.clone()).collect();
    // One sample every 10 minutes until the EV was full, about 40 minutes in.
    assert!(samples >= 3, "{samples} MeterValues in {actions:?}");
    for call in calls {
        if call.action != "MeterValues" {
            continue;
        }
        for sv in call.payload["meterValue"][0]["sampledValue"]
            .as_array()
            .unwrap()
        {
            let v = number(&sv["value"]);
            match sv["measurand"].as_str() {
                Some("Energy.Active.Import.Register") => {
                    assert!(v >= last_energy, "energy went back: {v} < {last_energy}");
                    last_energy = v;
                }
                Some("SoC") => {
                    assert!(v >= last_soc, "SoC went back");
                    last_soc = v;
                }
                _ => {}
            }
        }
    }
    // 80 % of 75 kWh went in.
    let delivered = last_energy - meter_start;
    assert!((55_000.0..=62_000.0).contains(&delivered), "{delivered} Wh");
    h.shutdown().await;
}
