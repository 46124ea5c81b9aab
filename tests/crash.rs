//! TC_032_2 under stress: the station process is killed with SIGKILL at random points of
//! charging sessions on a random connector (sometimes stopped, sometimes unplugged, sometimes
//! with the Central System gone), 50 times in a row (fixed seed), and restarted on the same
//! data directory. Against the Central System's record: every transaction that started is
//! stopped exactly once, meter values are monotonic, and nothing is left undelivered.
//!
//! The long soak is the same test with more kills (and another seed if you like):
//! `CHARGEPOINT_CRASH_RUNS=1000 CHARGEPOINT_CRASH_SEED=7 cargo test --release --test crash -- --nocapture`.

use csms::{CentralSystem, CsmsConfig, CsmsEvent, Direction};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const RUNS: usize = 50;
const SEED: u64 = 0x5eed_2026_0325;

/// `name` from the environment as a number, else `default` (the soak sets them).
fn setting(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {v:?}")),
        Err(_) => default,
    }
}
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

/// The station's state once its control API answers (and, with `online`, once it is
/// connected to the Central System).
async fn state(http: &reqwest::Client, control: &str, online: bool) -> Option<Value> {
    let state: Value = http
        .get(format!("{control}/api/state"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    if online && state["connected"] != true {
        return None;
    }
    Some(state)
}

async fn wait_up(http: &reqwest::Client, control: &str, online: bool) -> Value {
    for _ in 0..400 {
        if let Some(state) = state(http, control, online).await {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the station did not come up at {control}");
}

async fn post(http: &reqwest::Client, control: &str, connector: u64, verb: &str, body: Value) {
    // The answer does not matter: a refused action (e.g. plug when plugged) is fine here.
    let _ = http
        .post(format!("{control}/api/connectors/{connector}/{verb}"))
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
        "[ocpp]\nMeterValueSampleInterval = 1\nClockAlignedDataInterval = 0\n\
         AllowOfflineTxForUnknownId = true\n",
    )
    .unwrap();
    let url = csms.base_url();
    // Where no Central System listens: a run with it gone charges offline.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        format!("ws://{}/ocpp", l.local_addr().expect("its address"))
    };
    let http = reqwest::Client::new();
    let runs = setting("CHARGEPOINT_CRASH_RUNS", RUNS as u64);
    let mut rng = Rng(setting("CHARGEPOINT_CRASH_SEED", SEED));

    for run in 0..runs {
        let online = rng.below(5) != 0;
        let mut station = StationProcess::spawn(if online { &url } else { &gone }, &data, &config);
        let state = wait_up(&http, &station.control, online).await;
        let control = station.control.clone();
        let connector = 1 + rng.below(2);
        if state["connectors"][connector as usize - 1]["transactionId"].is_null() {
            post(&http, &control, connector, "plug", Value::Null).await;
            let tag = format!("TAG-{run}");
            let body = serde_json::json!({ "idTag": tag });
            post(&http, &control, connector, "authorize", body).await;
        }
        match rng.below(4) {
            0 => post(&http, &control, connector, "stop", Value::Null).await,
            1 => post(&http, &control, connector, "unplug", Value::Null).await,
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(rng.below(900))).await;
        station.kill();
        if runs > RUNS as u64 && (run + 1) % 50 == 0 {
            println!("{} kills", run + 1);
        }
    }

    // Back for good: stop what runs and let everything be delivered.
    let station = StationProcess::spawn(&url, &data, &config);
    wait_up(&http, &station.control, true).await;
    for connector in [1, 2] {
        post(&http, &station.control, connector, "stop", Value::Null).await;
    }
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
    // The meter keeps its register through the kills: each session on a connector starts
    // where the last one's meter stopped, or later.
    let mut by_id = transactions.clone();
    by_id.sort_by_key(|t| (t.connector_id, t.transaction_id));
    for pair in by_id
        .windows(2)
        .filter(|pair| pair[0].connector_id == pair[1].connector_id)
    {
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
        "{runs} kills: {} transactions, {power_losses} stopped by power loss, {} StartTransaction frames for {} starts",
        transactions.len(),
        starts.len(),
        distinct_starts.len()
    );
}
