//! `chargepoint conformance` against a deliberately partial station of our own making: it
//! boots, reports its connectors and reboots on Reset (Core enough for TC_001), but answers
//! every Smart Charging, Reservation and Local Authorization List request with CALLERROR
//! NotImplemented (and has none of their keys) although the default station profile says it
//! has those profiles. The report must fail those cases with readable reasons, pass TC_001,
//! and the exit status must be non-zero.

use std::process::Stdio;
use std::time::Duration;

use net::{ClientConfig, Connection};
use ocpp::{CallError, CallResult, ErrorCode, Frame};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const ID: &str = "PARTIAL-1";

/// What the partial station answers to a CALL of the Central System; `true` with it when
/// it then reboots.
fn answer(action: &str) -> (Result<Value, ErrorCode>, bool) {
    match action {
        "Reset" => (Ok(json!({ "status": "Accepted" })), true),
        "ChangeConfiguration" => (Ok(json!({ "status": "Accepted" })), false),
        "GetConfiguration" => (
            Ok(json!({ "configurationKey": [
                { "key": "HeartbeatInterval", "readonly": false, "value": "300" },
                { "key": "MeterValueSampleInterval", "readonly": false, "value": "60" },
            ] })),
            false,
        ),
        "TriggerMessage" => (Ok(json!({ "status": "Rejected" })), false),
        _ => (Err(ErrorCode::NotImplemented), false),
    }
}

async fn send(conn: &mut Connection, n: &mut u32, action: &str, payload: Value) {
    *n += 1;
    let call = Frame::Call(ocpp::Call {
        unique_id: format!("p{n}"),
        action: action.into(),
        payload,
    });
    conn.send(call.to_text()).await.expect("send");
}

/// Send a CALL and wait for its answer, as OCPP-J wants (one CALL in flight).
async fn call(conn: &mut Connection, n: &mut u32, action: &str, payload: Value) {
    send(conn, n, action, payload).await;
    let id = format!("p{n}");
    while let Ok(Some(text)) = conn.recv().await {
        match Frame::parse(&text) {
            Ok(Frame::CallResult(r)) if r.unique_id == id => return,
            Ok(Frame::CallError(e)) if e.unique_id == id => return,
            _ => {}
        }
    }
}

async fn boot(url: &str, n: &mut u32) -> Connection {
    let mut conn = net::connect(&ClientConfig::new(url.to_owned()))
        .await
        .expect("the tester takes the connection");
    call(
        &mut conn,
        n,
        "BootNotification",
        json!({ "chargePointVendor": "Partial", "chargePointModel": "P-1" }),
    )
    .await;
    for connector in 0..=2 {
        call(
            &mut conn,
            n,
            "StatusNotification",
            json!({ "connectorId": connector, "errorCode": "NoError", "status": "Available" }),
        )
        .await;
    }
    conn
}

/// Runs until the tester goes away.
async fn partial_station(url: String) {
    let mut n = 0;
    let mut conn = boot(&url, &mut n).await;
    let mut heartbeat = tokio::time::interval(Duration::from_secs(2));
    loop {
        let received = tokio::select! {
            r = conn.recv() => r,
            _ = heartbeat.tick() => {
                send(&mut conn, &mut n, "Heartbeat", json!({})).await;
                continue;
            }
        };
        let Ok(Some(text)) = received else {
            return;
        };
        let Ok(Frame::Call(call)) = Frame::parse(&text) else {
            continue;
        };
        let (result, reboot) = answer(&call.action);
        let reply = match result {
            Ok(payload) => Frame::CallResult(CallResult {
                unique_id: call.unique_id,
                payload,
            }),
            Err(code) => Frame::CallError(CallError::new(
                call.unique_id,
                code,
                format!("{} is not implemented here", call.action),
            )),
        };
        if conn.send(reply.to_text()).await.is_err() {
            return;
        }
        if reboot {
            conn.close().await;
            conn = boot(&url, &mut n).await;
        }
    }
}

#[tokio::test]
async fn a_station_without_its_claimed_profiles_fails_those_cases_readably() {
    let report = tempfile::tempdir().unwrap();
    let mut tester = Command::new(env!("CARGO_BIN_EXE_chargepoint"))
        .args([
            "conformance",
            "--listen",
            "127.0.0.1:0",
            "--connect-timeout",
            "30",
        ])
        .args(["--cases", "TC_001,TC_056,TC_046_1,TC_042_2"])
        .arg("--report")
        .arg(report.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(tester.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().expect("a first line");
    let addr = first
        .split("ws://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    tokio::spawn(partial_station(format!("ws://{addr}/ocpp/{ID}")));
    let mut printed = vec![first];
    while let Ok(Some(line)) = lines.next_line().await {
        printed.push(line);
    }
    let status = tokio::time::timeout(Duration::from_secs(120), tester.wait())
        .await
        .expect("the run ends")
        .unwrap();
    let printed = printed.join("\n");
    assert_eq!(status.code(), Some(1), "{printed}");
    let json: Value =
        serde_json::from_slice(&std::fs::read(report.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(json["station"]["id"], ID);
    assert_eq!(json["station"]["vendor"], "Partial");
    let verdict = |id: &str| {
        let case = json["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id} in the report: {json}"))
            .clone();
        (
            case["verdict"].as_str().unwrap().to_owned(),
            case["reason"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(verdict("TC_001").0, "passed", "{printed}");
    for (id, why) in [
        (
            "TC_056",
            "SetChargingProfile: station answered with CALLERROR NotImplemented",
        ),
        ("TC_046_1", "CALLERROR NotImplemented"),
        ("TC_042_2", "LocalAuthListEnabled"),
    ] {
        let (v, reason) = verdict(id);
        assert_eq!(v, "failed", "{id}: {printed}");
        assert!(reason.contains(why), "{id}: {reason}");
    }
    assert_eq!(json["summary"]["failed"], 3);
    assert!(report.path().join("cases/TC_056.log").is_file());
    assert!(printed.contains("4 cases: 1 passed, 3 failed"), "{printed}");
}
