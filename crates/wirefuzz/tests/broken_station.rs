//! The fuzzer against deliberately broken fake stations: one that answers CALLRESULT `{}`
//! to everything, one that hangs up on the first bad frame and never comes back. Both must
//! fail the run.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use wirefuzz::{FuzzConfig, Fuzzer, Report};

#[derive(Clone, Copy)]
enum Fake {
    /// `[3, id, {}]` to every CALL.
    YesToEverything,
    /// Answers valid calls properly enough, closes on the first frame that is no JSON array.
    HangsUpOnGarbage,
}

async fn fake_station(addr: std::net::SocketAddr, kind: Fake) {
    let mut req = format!("ws://{addr}/ocpp/FAKE-CP")
        .into_client_request()
        .expect("a request");
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("ocpp1.6"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("the fuzzer accepts the fake station");
    let boot = json!([2, "b1", "BootNotification", {"chargePointVendor": "Fake", "chargePointModel": "Broken"}]);
    ws.send(Message::text(boot.to_string()))
        .await
        .expect("send boot");
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(text) = msg else { continue };
        let frame: Option<Vec<Value>> = serde_json::from_str(text.as_str()).ok();
        let Some(frame) = frame else {
            if let Fake::HangsUpOnGarbage = kind {
                return; // drop the socket, never come back
            }
            continue;
        };
        if frame.first() != Some(&json!(2)) {
            continue;
        }
        let id = frame.get(1).cloned().unwrap_or(json!("-1"));
        let answer = match kind {
            Fake::YesToEverything => json!([3, id, {}]),
            Fake::HangsUpOnGarbage => json!([4, id, "NotSupported", "", {}]),
        };
        if ws.send(Message::text(answer.to_string())).await.is_err() {
            return;
        }
    }
}

async fn fuzz(kind: Fake, frames: u64) -> Report {
    let mut cfg = FuzzConfig::new("127.0.0.1:0".parse().expect("an address"), frames);
    cfg.seed = 42;
    cfg.answer_timeout = Duration::from_secs(2);
    cfg.reconnect_timeout = Duration::from_secs(2);
    cfg.connect_timeout = Duration::from_secs(10);
    let fuzzer = Fuzzer::bind(cfg)
        .await
        .expect("schemas (OCPP_SCHEMA_DIR) and a port");
    let addr = fuzzer.local_addr();
    let station = tokio::spawn(fake_station(addr, kind));
    let report = fuzzer.run().await.expect("the run completes");
    station.abort();
    report
}

#[tokio::test]
async fn a_station_that_accepts_everything_fails() {
    let report = fuzz(Fake::YesToEverything, 300).await;
    assert!(!report.passed, "{}", report.summary());
    // It also dies on the first text frame that is not UTF-8 (tungstenite fails the
    // connection, and this fake never reconnects), so not every frame may go out.
    assert!(report.frames_sent >= 50, "{}", report.summary());
    let kinds = &report.violations_by_kind;
    assert!(
        kinds.get("acceptedInvalid").copied().unwrap_or(0) > 10,
        "{kinds:?}"
    );
    assert!(
        kinds.get("invalidResponse").copied().unwrap_or(0) > 0,
        "{kinds:?}"
    );
    let v = report
        .violations
        .iter()
        .find(|v| v.kind == "acceptedInvalid")
        .expect("a violation in full");
    assert!(
        v.sent.as_deref().is_some_and(|s| s.starts_with("[2,")),
        "{v:?}"
    );
    assert!(
        v.answer.as_deref().is_some_and(|s| s.starts_with("[3,")),
        "{v:?}"
    );
    // The report serializes.
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = report.write(dir.path()).expect("report.json");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("read"))
        .expect("report.json is JSON");
    assert_eq!(json["passed"], json!(false));
    assert!(json["counts"]["valid"].is_object());
}

#[tokio::test]
async fn a_station_that_hangs_up_on_garbage_is_dead() {
    let report = fuzz(Fake::HangsUpOnGarbage, 5000).await;
    assert!(!report.passed, "{}", report.summary());
    assert!(report.dead.is_some(), "{}", report.summary());
    assert!(report.frames_sent < 5000);
    let d = report.disconnects.last().expect("a disconnect recorded");
    assert!(!d.expected && d.back_after_ms.is_none(), "{d:?}");
    assert!(report.violations.iter().any(|v| v.kind == "disconnected"));
}
