//! `chargepoint fuzz` against our own station: the station binary connects to the wire
//! fuzzer over loopback and gets a few thousand schema-derived, mutated frames (seeded);
//! the report must show every frame sent, no violation and the station alive at the end.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wirefuzz::{FuzzConfig, Fuzzer};

const FRAMES: u64 = 2000;

/// The station process, killed when dropped.
struct Station(Child);

impl Drop for Station {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_station_survives_the_wire_fuzzer() {
    let mut cfg = FuzzConfig::new("127.0.0.1:0".parse().expect("an address"), FRAMES);
    cfg.seed = 0x0cc9_f022;
    cfg.answer_timeout = Duration::from_secs(10);
    cfg.reconnect_timeout = Duration::from_secs(20);
    cfg.connect_timeout = Duration::from_secs(30);
    let control = free_port();
    cfg.operator = Some(format!("control=http://127.0.0.1:{control}"));
    let fuzzer = Fuzzer::bind(cfg)
        .await
        .expect("the OCPP 1.6 schemas (OCPP_SCHEMA_DIR; scripts/test sets it) and a port");
    let data = tempfile::tempdir().expect("a data dir");
    let _station = Station(
        Command::new(env!("CARGO_BIN_EXE_chargepoint"))
            .args(["run", "--id", "FUZZ-CP", "--log", "error"])
            .arg("--csms-url")
            .arg(format!("ws://{}/ocpp", fuzzer.local_addr()))
            .arg("--data-dir")
            .arg(data.path())
            .arg("--control")
            .arg(format!("127.0.0.1:{control}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the station"),
    );
    let report = fuzzer.run().await.expect("the station connects");
    println!("{}", report.summary());
    assert_eq!(report.frames_sent, FRAMES, "{}", report.summary());
    assert!(
        report.dead.is_none() && report.station.alive,
        "{}",
        report.summary()
    );
    assert_eq!(report.station.id.as_deref(), Some("FUZZ-CP"));
    assert_eq!(
        report.violation_count,
        0,
        "{}\n{:#?}",
        report.summary(),
        report.violations
    );
    let counts = &report.counts;
    for class in [
        "valid",
        "state",
        "probe",
        "null",
        "missingField",
        "extraProperty",
    ] {
        let seen = serde_json::to_value(counts)
            .ok()
            .and_then(|c| c.get(class).cloned())
            .is_some();
        assert!(seen, "no {class} frames in {counts:?}");
    }
}
