//! A minimal fake station for driving the Central System over a real WebSocket.
#![allow(dead_code)] // each test file uses a different part of it

use std::time::Duration;

use csms::{CentralSystem, CsmsConfig};
use net::{connect, ClientConfig, Connection};
use ocpp::Frame;
use serde_json::{json, Value};

pub const T: Duration = Duration::from_secs(5);

pub async fn start(cfg: CsmsConfig) -> CentralSystem {
    CentralSystem::start(cfg).await.expect("start CSMS")
}

pub struct FakeStation {
    pub conn: Connection,
    next_id: u32,
}

impl FakeStation {
    pub async fn connect(url: &str) -> FakeStation {
        let conn = connect(&ClientConfig {
            ping_interval: None,
            ..ClientConfig::new(url)
        })
        .await
        .expect("connect fake station");
        FakeStation { conn, next_id: 1 }
    }

    /// A fake station on a connection opened elsewhere (e.g. with TLS or credentials).
    pub fn from_conn(conn: Connection) -> FakeStation {
        FakeStation { conn, next_id: 1 }
    }

    /// Connect to `{base_url}/{id}` and wait until the CSMS registered the session.
    pub async fn join(cs: &CentralSystem, id: &str) -> FakeStation {
        let st = Self::connect(&format!("{}/{id}", cs.base_url())).await;
        cs.wait_connected(id, T).await.expect("CSMS sees station");
        st
    }

    pub async fn send(&mut self, text: String) {
        self.conn.send(text).await.expect("send");
    }

    /// The next frame from the CSMS, or `None` if the socket closed.
    pub async fn recv(&mut self) -> Option<Frame> {
        let text = tokio::time::timeout(T, self.conn.recv())
            .await
            .expect("frame within timeout")
            .ok()??;
        Some(Frame::parse(&text).expect("CSMS sends valid frames"))
    }

    /// Send a CALL and return the CSMS's answer to it.
    pub async fn call(&mut self, action: &str, payload: Value) -> Frame {
        let id = format!("st{}", self.next_id);
        self.next_id += 1;
        self.send(json!([2, id, action, payload]).to_string()).await;
        let answer = self.recv().await.expect("answer before close");
        assert_eq!(answer.unique_id(), id);
        answer
    }

    /// The CALLRESULT payload of a CALL; panics on CALLERROR.
    pub async fn ok(&mut self, action: &str, payload: Value) -> Value {
        match self.call(action, payload).await {
            Frame::CallResult(r) => r.payload,
            other => panic!("{action}: expected CALLRESULT, got {other:?}"),
        }
    }

    pub async fn boot(&mut self) -> Value {
        self.ok(
            "BootNotification",
            json!({"chargePointVendor": "Acme", "chargePointModel": "DC50"}),
        )
        .await
    }

    pub async fn start_tx(&mut self, connector: i32, tag: &str, meter: i32) -> Value {
        self.ok(
            "StartTransaction",
            json!({"connectorId": connector, "idTag": tag, "meterStart": meter,
                   "timestamp": "2024-05-01T10:00:00Z"}),
        )
        .await
    }
}
