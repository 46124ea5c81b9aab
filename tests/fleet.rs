//! `chargepoint fleet` as a library: a hundred full stations in one runtime against the
//! built-in Central System, each with its own identity and connection, and the fleet's
//! control API reaching each of them.

use std::time::Duration;

use chargepoint::fleet::{Fleet, FleetOptions};
use csms::{CentralSystem, CsmsConfig, CsmsEvent};
use ocpp::RegistrationStatus;
use serde_json::Value;

const COUNT: u32 = 100;
const T: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_stations_boot_and_each_answers_under_its_own_id() {
    let cs = CentralSystem::start(CsmsConfig::default()).await.unwrap();
    let mut events = cs.subscribe();
    let mut opts = FleetOptions::new(cs.base_url(), COUNT);
    opts.id_prefix = "FLEET-".into();
    opts.ramp_per_s = 1000.0;
    let mut started = 0;
    let fleet = Fleet::start(&opts, |n| started = n).await.unwrap();
    assert_eq!(started, COUNT);

    // Every station boots and is accepted under its own id.
    let deadline = tokio::time::Instant::now() + T;
    while cs.connected_stations().len() < COUNT as usize {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {COUNT} connected",
            cs.connected_stations().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for n in 1..=COUNT {
        let id = opts.id(n);
        let deadline = tokio::time::Instant::now() + T;
        while cs.registration(&id) != Some(RegistrationStatus::Accepted) {
            assert!(tokio::time::Instant::now() < deadline, "{id} not accepted");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(opts.id(7), "FLEET-00007");

    // The control API: the list, and one station's own API under its id.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = chargepoint::fleet::router(fleet.view());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let list: Value = http
        .get(format!("{base}/api/stations"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), COUNT as usize);
    assert_eq!(list[0]["id"], "FLEET-00001");
    assert_eq!(list[0]["connectors"].as_array().unwrap().len(), 2);

    let plugged = http
        .post(format!("{base}/api/stations/FLEET-00007/connectors/1/plug"))
        .send()
        .await
        .unwrap();
    assert!(plugged.status().is_success(), "{plugged:?}");
    let state: Value = plugged.json().await.unwrap();
    assert_eq!(state["status"], "Preparing", "{state}");
    let seen = events
        .find(T, |ev| match ev {
            CsmsEvent::Frame {
                station,
                frame: Some(ocpp::Frame::Call(call)),
                ..
            } if station == "FLEET-00007"
                && call.action == "StatusNotification"
                && call.payload["status"] == "Preparing" =>
            {
                Some(call.payload)
            }
            _ => None,
        })
        .await;
    assert!(
        seen.is_some(),
        "the Central System hears FLEET-00007 go Preparing"
    );
    let one: Value = http
        .get(format!("{base}/api/stations/FLEET-00007/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["id"], "FLEET-00007");
    assert_eq!(one["connectors"][0]["status"], "Preparing");
    assert_eq!(
        list[6]["connectors"][0]["status"], "Available",
        "the list was before"
    );

    let missing = http
        .get(format!("{base}/api/stations/NOPE/state"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let error: Value = missing.json().await.unwrap();
    assert!(error["error"].as_str().unwrap().contains("NOPE"));

    fleet.shutdown().await;
    cs.shutdown().await;
}

/// The ATG on a small fleet, fast: sessions start and stop with the Central System's ids,
/// and the Central System's judge sees no repeated or unknown StopTransaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_atg_runs_sessions_the_central_system_pairs_up() {
    let cs = CentralSystem::start(CsmsConfig::default()).await.unwrap();
    let mut events = cs.subscribe();
    let mut opts = FleetOptions::new(cs.base_url(), 5);
    opts.id_prefix = "ATG-".into();
    opts.ramp_per_s = 1000.0;
    opts.atg = Some(chargepoint::fleet::atg::AtgConfig {
        seed: 42,
        mean_arrival: Duration::from_millis(300),
        session: (Duration::from_millis(300), Duration::from_millis(600)),
        step: Duration::from_millis(100),
        unknown_share: 0.0,
        ..Default::default()
    });
    let fleet = Fleet::start(&opts, |_| {}).await.unwrap();
    // Long enough for several sessions per connector.
    let mut violations = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(6);
    while let Some(ev) = events
        .next(until.saturating_duration_since(tokio::time::Instant::now()))
        .await
    {
        if let CsmsEvent::Violation { rule, frame, .. } = ev {
            violations.push(format!("{rule}: {frame}"));
        }
    }
    let figures = fleet.answer_times.figures();
    fleet.shutdown().await;
    assert!(violations.is_empty(), "{violations:#?}");
    // The stations timed the Central System's answers, per action.
    let count = |action: &str| {
        figures
            .iter()
            .find(|f| f.action == action)
            .map_or(0, |f| f.count)
    };
    assert_eq!(count("BootNotification"), 5, "{figures:?}");
    assert!(count("StartTransaction") >= 10, "{figures:?}");
    assert!(count("StopTransaction") >= 10, "{figures:?}");
    assert!(figures
        .iter()
        .all(|f| f.errors == 0 && f.p50_ms <= f.p99_ms && f.p99_ms <= f.max_ms));
    let txs = cs.transactions();
    let stopped: Vec<_> = txs.iter().filter(|t| t.is_stopped()).collect();
    assert!(
        stopped.len() >= 10,
        "{} of {} stopped",
        stopped.len(),
        txs.len()
    );
    for t in &stopped {
        assert!(t.station.starts_with("ATG-"), "{t:?}");
        assert!(t.id_tag.starts_with("ATG-TAG-"), "{t:?}");
        assert_eq!(t.stop_reason, Some(ocpp::Reason::Local), "{t:?}");
        assert!(t.meter_stop.unwrap() >= t.meter_start, "{t:?}");
    }
    let stations: std::collections::BTreeSet<_> = stopped.iter().map(|t| &t.station).collect();
    assert_eq!(stations.len(), 5, "every station charged: {stations:?}");
    cs.shutdown().await;
}

/// A fleet restarted on the same data dir resumes as a single station does: the
/// transaction open when it stopped ends (StopTransaction for the Central System's id),
/// with no rule broken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_restarted_on_its_data_dir_ends_the_transaction_it_left_open() {
    let dir = tempfile::tempdir().unwrap();
    let cs = CentralSystem::start(CsmsConfig::default()).await.unwrap();
    let mut events = cs.subscribe();
    let mut opts = FleetOptions::new(cs.base_url(), 3);
    opts.id_prefix = "DUR-".into();
    opts.ramp_per_s = 1000.0;
    opts.data_dir = Some(dir.path().to_path_buf());
    let fleet = Fleet::start(&opts, |_| {}).await.unwrap();
    let view = fleet.view();
    let station = view.station("DUR-00002").unwrap().clone();
    cs.wait_connected("DUR-00002", T).await.unwrap();
    let deadline = tokio::time::Instant::now() + T;
    while cs.registration("DUR-00002") != Some(RegistrationStatus::Accepted) {
        assert!(tokio::time::Instant::now() < deadline, "not accepted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    use chargepoint::runner::Operation;
    station.operate(1, Operation::Plug).await.unwrap();
    station
        .operate(
            1,
            Operation::Authorize {
                id_tag: "DUR-TAG".into(),
            },
        )
        .await
        .unwrap();
    let started = events
        .next_call("DUR-00002", "StartTransaction", T)
        .await
        .expect("a StartTransaction");
    assert_eq!(started.payload["connectorId"], 1);
    let deadline = tokio::time::Instant::now() + T;
    let tx = loop {
        if let Some(t) = cs
            .transactions()
            .into_iter()
            .find(|t| t.station == "DUR-00002")
        {
            break t.transaction_id;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no transaction recorded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    fleet.shutdown().await;

    let fleet = Fleet::start(&opts, |_| {}).await.unwrap();
    let stopped = events
        .find(T, |ev| match ev {
            CsmsEvent::Frame {
                station,
                frame: Some(ocpp::Frame::Call(call)),
                ..
            } if station == "DUR-00002" && call.action == "StopTransaction" => Some(call.payload),
            CsmsEvent::Violation { rule, frame, .. } => panic!("{rule}: {frame}"),
            _ => None,
        })
        .await
        .expect("the open transaction ends after the restart");
    assert_eq!(stopped["transactionId"], tx);
    // The Central System records the stop as it answers, a moment after the frame.
    let deadline = tokio::time::Instant::now() + T;
    while !cs
        .transactions()
        .iter()
        .any(|t| t.transaction_id == tx && t.is_stopped())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            cs.transactions()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(cs.transactions().len(), 1, "no new transaction");
    fleet.shutdown().await;
    cs.shutdown().await;
}

/// The fleet's database commits late; a station's outputs wait for it. While another
/// program holds the database's write lock, a station that has written (the Authorize
/// answer cached, the transaction begun) says nothing that follows from it: no
/// StartTransaction reaches the Central System until its transaction is on disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_in_a_durable_fleet_says_nothing_its_disk_has_not_got() {
    let dir = tempfile::tempdir().unwrap();
    let cs = CentralSystem::start(CsmsConfig::default()).await.unwrap();
    let mut opts = FleetOptions::new(cs.base_url(), 2);
    opts.id_prefix = "HOLD-".into();
    opts.ramp_per_s = 1000.0;
    opts.data_dir = Some(dir.path().to_path_buf());
    // No clock-aligned readings: at a quarter hour they would be a write of their own,
    // holding the Authorize.req this test waits for.
    opts.groups =
        chargepoint::fleet::template::Groups::single(chargepoint::fleet::template::Template {
            initial_keys: vec![("ClockAlignedDataInterval".into(), "0".into())],
            ..Default::default()
        });
    let mut boot = cs.subscribe();
    let fleet = Fleet::start(&opts, |_| {}).await.unwrap();
    let station = fleet.view().station("HOLD-00001").unwrap().clone();
    // The boot's last message (its answer is a write: the message leaves the queue), then
    // an answer of the station's, which leaves only once that write is on disk.
    boot.next_call("HOLD-00001", "SecurityEventNotification", T)
        .await
        .expect("the boot's SecurityEventNotification");
    cs.call("HOLD-00001", ocpp::GetConfigurationRequest { key: None })
        .await
        .unwrap();

    let blocker = rusqlite::Connection::open(dir.path().join("fleet.db")).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut events = cs.subscribe();
    use chargepoint::runner::Operation;
    // A person's action returns once the station has acted on it, and acting may wait for
    // the disk: act from another task while this one holds the lock.
    let person = tokio::spawn(async move {
        station.operate(1, Operation::Plug).await?;
        let id_tag = "HOLD-TAG".to_owned();
        station.operate(1, Operation::Authorize { id_tag }).await
    });
    // Asked before anything is written; its answer is cached and the transaction begins.
    events
        .next_call("HOLD-00001", "Authorize", T)
        .await
        .expect("the Authorize.req");
    assert!(
        events
            .next_call("HOLD-00001", "StartTransaction", Duration::from_secs(1))
            .await
            .is_none(),
        "a StartTransaction went out before its transaction was on disk"
    );
    blocker.execute_batch("COMMIT").unwrap();
    events
        .next_call("HOLD-00001", "StartTransaction", T)
        .await
        .expect("the StartTransaction once the disk has it");
    person.await.unwrap().unwrap();
    fleet.shutdown().await;
    cs.shutdown().await;
}

/// Three hundred stations of two templates (a fleet file of groups) boot; the Central
/// System goes away and comes back on the same address; every station reconnects on its
/// own backoff and answers the new one as the kind of station its template made it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_stations_of_two_templates_survive_a_central_system_restart() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("two.toml", "[simulator]\nconnectors = 2\nmodel = \"TWO\"\n");
    write("one.toml", "[simulator]\nconnectors = 1\nmodel = \"ONE\"\n");
    write(
        "fleet.toml",
        "[[group]]\ncount = 100\ntemplate = \"two.toml\"\n[[group]]\ncount = 200\ntemplate = \"one.toml\"\n",
    );
    let groups = chargepoint::fleet::template::load(&dir.path().join("fleet.toml")).unwrap();
    let cs = CentralSystem::start(CsmsConfig::default()).await.unwrap();
    let listen = cs.local_addr();
    let mut opts = FleetOptions::new(cs.base_url(), groups.count().unwrap());
    opts.groups = groups;
    opts.id_prefix = "MIX-".into();
    opts.ramp_per_s = 1000.0;
    let fleet = Fleet::start(&opts, |_| {}).await.unwrap();
    let all_connected = |cs: &CentralSystem| cs.connected_stations().len() == 300;
    let deadline = tokio::time::Instant::now() + T;
    while !all_connected(&cs) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of 300",
            cs.connected_stations().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_templates(&cs).await;
    cs.shutdown().await;

    let cs = CentralSystem::start(CsmsConfig {
        listen,
        ..CsmsConfig::default()
    })
    .await
    .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while !all_connected(&cs) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of 300 back",
            cs.connected_stations().len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_templates(&cs).await;
    fleet.shutdown().await;
    cs.shutdown().await;
}

/// The last station of the first group has two connectors, the first of the second one.
async fn assert_templates(cs: &CentralSystem) {
    for (id, connectors) in [("MIX-00100", "2"), ("MIX-00101", "1")] {
        let answer = cs
            .call(
                id,
                ocpp::GetConfigurationRequest {
                    key: Some(vec!["NumberOfConnectors".parse().unwrap()]),
                },
            )
            .await
            .unwrap();
        let keys = answer.configuration_key.unwrap_or_default();
        let value = keys[0].value.as_ref().map(|v| v.to_string());
        assert_eq!(value.as_deref(), Some(connectors), "{id}");
    }
}
