//! TC_032_2 under stress: the station process is killed with SIGKILL at random points of
//! charging sessions, 50 times in a row (fixed seed), and restarted on the same data
//! directory. Against the Central System's record: every transaction that started is stopped
//! exactly once, meter values are monotonic, and nothing is left undelivered.

use csms::{CentralSystem, CsmsConfig, CsmsEvent, Direction};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const RUNS: usize = 50;
const SEED: u64 = 0x5eed_2026_0325;
const STATION: &str = "CRASH-CP";

/// xorshift64*: enough randomness for kill points, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// A station process, killed when dropped.
struct StationProcess {
    child: Child,
    control: String,
}

impl StationProcess {
    fn spawn(csms_url: &str, data_dir: &Path, config: &Path) -> StationProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_chargepoint"))
            .args([
                "run",
                "--id",
                STATION,
                "--csms-url",
                csms_url,
                "--log",
                "warn",
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--config")
            .arg(config)
            .arg("--control")
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the station starts");
        StationProcess {
            child,
            control: format!("http://127.0.0.1:{port}"),
        }
    }

    /// SIGKILL: no chance to flush or say goodbye.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for StationProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn connector1(http: &reqwest::Client, control: &str) -> Option<Value> {
    let state: Value = http
        .get(format!("{control}/api/state"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    if state["connected"] != true {
        return None;
    }
    Some(state["connectors"][0].clone())
}

async fn wait_connected(http: &reqwest::Client, control: &str) -> Value {
    for _ in 0..200 {
        if let Some(c) = connector1(http, control).await {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the station did not come up at {control}");
}

async fn post(http: &reqwest::Client, control: &str, verb: &str, body: Value) {
    // The answer does not matter: a refused action (e.g. plug when plugged) is fine here.
    let _ = http
        .post(format!("{control}/api/connectors/1/{verb}"))
        .json(&body)
        .send()
        .await;
}

/// Every frame the station sent to the Central System, as parsed CALLs.
fn calls(frames: &[String], action: &str) -> Vec<Value> {
    frames
        .iter()
        .filter_map(|text| match ocpp::Frame::parse(text) {
            Ok(ocpp::Frame::Call(c)) if c.action == action => Some(c.payload),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_032_2_power_loss_at_random_points_loses_nothing() {
    let csms = CentralSystem::start(CsmsConfig::default()).await.unwrap();
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut events = csms.subscribe();
    let sink = received.clone();
    let recorder = tokio::spawn(async move {
        while let Some(event) = events.next(Duration::from_secs(3600)).await {
            if let CsmsEvent::Frame {
                direction: Direction::Received,
                text,
                ..
            } = event
            {
                sink.lock().unwrap().push(text);
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("station.toml");
    std::fs::write(
        &config,
        "[ocpp]\nMeterValueSampleInterval = 1\nClockAlignedDataInterval = 0\n",
    )
    .unwrap();
    let url = csms.base_url();
    let http = reqwest::Client::new();
    let mut rng = Rng(SEED);

    for run in 0..RUNS {
        let mut station = StationProcess::spawn(&url, &data, &config);
        let c = wait_connected(&http, &station.control).await;
        let control = station.control.clone();
        if c["transactionId"].is_null() {
            post(&http, &control, "plug", Value::Null).await;
            let tag = format!("TAG-{run}");
            post(
                &http,
                &control,
                "authorize",
                serde_json::json!({ "idTag": tag }),
            )
            .await;
        }
        match rng.below(4) {
            0 => post(&http, &control, "stop", Value::Null).await,
            1 => post(&http, &control, "unplug", Value::Null).await,
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(rng.below(900))).await;
        station.kill();
    }

    // Back for good: stop what runs and let everything be delivered.
    let station = StationProcess::spawn(&url, &data, &config);
    wait_connected(&http, &station.control).await;
    post(&http, &station.control, "stop", Value::Null).await;
    let mut quiet_for = 0;
    let mut last = 0;
    // Bounded: a transaction the station never stops must fail the test, not hang it.
    let give_up = tokio::time::Instant::now() + Duration::from_secs(120);
    while quiet_for < 10 {
        let open: Vec<_> = csms
            .transactions()
            .into_iter()
            .filter(|t| !t.is_stopped())
            .collect();
        assert!(
            tokio::time::Instant::now() < give_up,
            "the station never settled; open transactions: {open:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        let n = received.lock().unwrap().len();
        let open = csms.transactions().iter().any(|t| !t.is_stopped());
        quiet_for = if n == last && !open { quiet_for + 1 } else { 0 };
        last = n;
    }
    drop(station);
    recorder.abort();

    let frames = received.lock().unwrap().clone();
    let starts = calls(&frames, "StartTransaction");
    let distinct_starts: BTreeSet<String> = starts.iter().map(|s| s.to_string()).collect();
    let transactions = csms.transactions();
    assert!(
        transactions.len() >= 10,
        "only {} sessions",
        transactions.len()
    );
    assert_eq!(
        transactions.len(),
        distinct_starts.len(),
        "one transaction per start event"
    );
    let stops = calls(&frames, "StopTransaction");
    let mut stop_events: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for stop in &stops {
        let id = stop["transactionId"].as_i64().unwrap();
        let event = format!("{}/{}", stop["timestamp"], stop["meterStop"]);
        stop_events.entry(id).or_default().insert(event);
    }
    for t in &transactions {
        assert!(
            t.is_stopped(),
            "transaction {} never stopped",
            t.transaction_id
        );
        let events = stop_events
            .get(&i64::from(t.transaction_id))
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            events.len(),
            1,
            "transaction {} stopped {events:?}",
            t.transaction_id
        );
        assert!(t.meter_stop.unwrap() >= t.meter_start, "{t:?}");
    }
    // The meter keeps its register through the kills: each session starts where the last
    // one's meter stopped, or later.
    let mut by_id = transactions.clone();
    by_id.sort_by_key(|t| t.transaction_id);
    for pair in by_id.windows(2) {
        assert!(
            pair[1].meter_start >= pair[0].meter_stop.unwrap(),
            "meter ran backwards between {:?} and {:?}",
            pair[0],
            pair[1]
        );
    }
    let power_losses = transactions
        .iter()
        .filter(|t| t.stop_reason == Some(ocpp::Reason::PowerLoss))
        .count();
    assert!(
        power_losses >= 5,
        "only {power_losses} power losses exercised"
    );

    // Meter values of each transaction never go backwards and stay within start and stop.
    let mut samples: BTreeMap<i64, Vec<(String, f64)>> = BTreeMap::new();
    for mv in calls(&frames, "MeterValues") {
        let Some(id) = mv["transactionId"].as_i64() else {
            continue;
        };
        for value in mv["meterValue"].as_array().unwrap() {
            for sv in value["sampledValue"].as_array().unwrap() {
                if sv["measurand"] == "Energy.Active.Import.Register" {
                    let wh: f64 = sv["value"].as_str().unwrap().parse().unwrap();
                    samples
                        .entry(id)
                        .or_default()
                        .push((value["timestamp"].as_str().unwrap().to_string(), wh));
                }
            }
        }
    }
    for (id, mut values) in samples {
        let t = transactions
            .iter()
            .find(|t| i64::from(t.transaction_id) == id)
            .unwrap_or_else(|| panic!("meter values for unknown transaction {id}"));
        values.sort_by(|a, b| a.0.cmp(&b.0));
        values.dedup();
        for pair in values.windows(2) {
            assert!(pair[0].1 <= pair[1].1, "transaction {id}: {values:?}");
        }
        let first = values.first().unwrap().1;
        let last = values.last().unwrap().1;
        assert!(
            first >= f64::from(t.meter_start),
            "transaction {id}: {first} < start"
        );
        assert!(
            last <= f64::from(t.meter_stop.unwrap()),
            "transaction {id}: {last} > stop"
        );
    }

    // Nothing is left in the station waiting to be sent.
    let store = store::SqliteStore::open(&data.join("station.db")).unwrap();
    use store::Store;
    assert_eq!(store.queue_len().unwrap(), 0);
    assert!(store.tx_open().unwrap().is_empty());
    println!(
        "{RUNS} kills: {} transactions, {power_losses} stopped by power loss, {} StartTransaction frames for {} starts",
        transactions.len(),
        starts.len(),
        distinct_starts.len()
    );
}
