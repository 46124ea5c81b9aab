//! A fleet process killed with SIGKILL in the middle of a transaction, then started again on
//! its data dir: the transaction the Central System knows ends once, with reason PowerLoss
//! and its id, and no station starts it anew. The fleet's database commits late (one
//! writer, many stations), so this is the test that what a station let the world see was
//! on disk first.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use csms::{CentralSystem, CsmsConfig, CsmsEvent};
use ocpp::RegistrationStatus;

const T: Duration = Duration::from_secs(30);
const STATION: &str = "KILL-00002";

/// A fleet process, killed when dropped.
struct FleetProcess {
    child: Child,
    control: String,
}

impl FleetProcess {
    fn spawn(csms_url: &str, data_dir: &Path) -> FleetProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_chargepoint"))
            .args(["--log", "warn", "fleet", "--csms-url", csms_url])
            .args(["--count", "3", "--id-prefix", "KILL-", "--ramp", "1000"])
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--control")
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the fleet starts");
        FleetProcess {
            child,
            control: format!("http://127.0.0.1:{port}/api/stations/{STATION}"),
        }
    }
}

impl Drop for FleetProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn post(http: &reqwest::Client, url: String, body: serde_json::Value) {
    let deadline = tokio::time::Instant::now() + T;
    loop {
        match http.post(&url).json(&body).send().await {
            Ok(r) if r.status().is_success() => return,
            answer => assert!(
                tokio::time::Instant::now() < deadline,
                "POST {url}: {answer:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_032_2_a_killed_fleet_ends_the_open_transaction_once_with_power_loss() {
    let dir = tempfile::tempdir().unwrap();
    let cs = CentralSystem::start(CsmsConfig::default()).await.unwrap();
    let fleet = FleetProcess::spawn(&cs.base_url(), dir.path());
    cs.wait_connected(STATION, T).await.unwrap();
    let deadline = tokio::time::Instant::now() + T;
    while cs.registration(STATION) != Some(RegistrationStatus::Accepted) {
        assert!(tokio::time::Instant::now() < deadline, "not accepted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let http = reqwest::Client::new();
    let connector = format!("{}/connectors/1", fleet.control);
    post(&http, format!("{connector}/plug"), serde_json::json!({})).await;
    post(
        &http,
        format!("{connector}/authorize"),
        serde_json::json!({ "idTag": "KILL-TAG" }),
    )
    .await;
    let deadline = tokio::time::Instant::now() + T;
    let tx = loop {
        if let Some(t) = cs.transactions().into_iter().find(|t| t.station == STATION) {
            break t.transaction_id;
        }
        assert!(tokio::time::Instant::now() < deadline, "no transaction");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // An answer the station gives after the StartTransaction.conf: it leaves only once the
    // station's writes so far, the confirmed transaction id among them, are on disk.
    cs.call(STATION, ocpp::GetConfigurationRequest { key: None })
        .await
        .unwrap();
    drop(fleet);

    let mut events = cs.subscribe();
    let _fleet = FleetProcess::spawn(&cs.base_url(), dir.path());
    let stopped = events
        .find(T, |ev| match ev {
            CsmsEvent::Frame {
                station,
                frame: Some(ocpp::Frame::Call(call)),
                ..
            } if station == STATION && call.action == "StopTransaction" => Some(call.payload),
            CsmsEvent::Frame {
                station,
                frame: Some(ocpp::Frame::Call(call)),
                ..
            } if station == STATION && call.action == "StartTransaction" => {
                panic!("the transaction started again: {}", call.payload)
            }
            CsmsEvent::Violation { rule, frame, .. } => panic!("{rule}: {frame}"),
            _ => None,
        })
        .await
        .expect("the open transaction ends after the restart");
    assert_eq!(stopped["transactionId"], tx);
    assert_eq!(stopped["reason"], "PowerLoss");
    assert_eq!(cs.transactions().len(), 1, "no new transaction");
    cs.shutdown().await;
}
