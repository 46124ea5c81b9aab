//! The Central System side of one station connection: accepting it (net's server does the
//! handshake), sending frames, waiting for the answer to one CALL while answering the
//! station's own CALLs properly and checking them against the request schemas.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::time::Duration;

use net::WsConnection;
use ocpp::{Action, CallError, CallResult, ErrorCode, Frame};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::expect::station_call_errors;
use crate::generate::now_text;
use crate::judge::Answer;
use crate::mutate::Class;
use crate::report::{clip, Report, Violation};
use crate::schemas::Schemas;
use crate::tap::{tap, Opcode, RawWriter, TapStream};
use crate::FuzzError;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A station's connection, as accepted.
pub struct Accepted {
    pub conn: WsConnection<TapStream>,
    pub raw: RawWriter,
    pub station_id: String,
}

/// Accepts stations on `addr` in the background; the newest connections come out of the
/// receiver.
pub async fn listen(addr: SocketAddr) -> Result<(SocketAddr, mpsc::Receiver<Accepted>), FuzzError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| FuzzError::Listen { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| FuzzError::Listen { addr, source })?;
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, peer)) = listener.accept().await else {
                continue;
            };
            if tx.is_closed() {
                return;
            }
            let tx = tx.clone();
            tokio::spawn(async move {
                let (stream, raw) = tap(tcp);
                let accepted = tokio::time::timeout(
                    HANDSHAKE_TIMEOUT,
                    net::accept_stream(stream, &[net::OCPP16], None),
                )
                .await;
                match accepted {
                    Ok(Ok(conn)) => {
                        let station_id = conn
                            .path()
                            .rsplit('/')
                            .next()
                            .unwrap_or_default()
                            .to_owned();
                        tracing::info!(%peer, path = conn.path(), "station connected");
                        let _ = tx
                            .send(Accepted {
                                conn,
                                raw,
                                station_id,
                            })
                            .await;
                    }
                    Ok(Err(e)) => tracing::warn!(%peer, error = %e, "handshake failed"),
                    Err(_) => tracing::warn!(%peer, "handshake timed out"),
                }
            });
        }
    });
    Ok((local, rx))
}

/// The newest unique ids (a million-frame run must not keep them all).
#[derive(Default)]
struct RecentIds {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl RecentIds {
    const KEEP: usize = 10_000;

    fn insert(&mut self, id: String) {
        if self.set.insert(id.clone()) {
            self.order.push_back(id);
            if self.order.len() > Self::KEEP {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }
}

/// What the fuzzer knows of the station from its own messages.
#[derive(Debug, Default)]
pub struct StationView {
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware_version: Option<String>,
    /// Connector id -> last status.
    pub statuses: BTreeMap<i64, String>,
    /// Transaction id -> connector.
    pub transactions: BTreeMap<i64, i64>,
    pub firmware_status: Option<String>,
    next_transaction: i64,
}

/// A frame that needs no answer, waiting to see whether one comes anyway.
pub struct Pending {
    pub index: u64,
    pub class: Class,
    pub id: Option<String>,
}

/// One connected station.
pub struct Session {
    conn: WsConnection<TapStream>,
    raw: RawWriter,
    pub station_id: String,
    /// Ids of our recent CALLs already answered (an answer must come exactly once).
    answered: RecentIds,
    /// Ids of our recent CALLs that timed out.
    timed_out: RecentIds,
    /// Frames that need no answer sent since the last answered CALL.
    pub pending: Vec<Pending>,
}

impl Session {
    pub fn new(a: Accepted) -> Session {
        Session {
            conn: a.conn,
            raw: a.raw,
            station_id: a.station_id,
            answered: RecentIds::default(),
            timed_out: RecentIds::default(),
            pending: Vec::new(),
        }
    }

    /// Sends a text frame; false when the connection is gone.
    pub async fn send_text(&mut self, text: String) -> bool {
        self.conn.send(text).await.is_ok()
    }

    /// Sends a raw frame (binary, or text that is not UTF-8).
    pub async fn send_raw(&mut self, opcode: Opcode, bytes: &[u8]) -> bool {
        self.raw.send(opcode, bytes).await.is_ok()
    }

    /// Waits for the answer to our CALL `id` (or, with `None`, just serves the station until
    /// `deadline`), answering the station's CALLs meanwhile. Returns the answer and its text.
    pub async fn await_answer(
        &mut self,
        id: Option<&str>,
        deadline: Instant,
        ctx: &mut Ctx<'_>,
    ) -> (Answer, Option<String>) {
        loop {
            let text = match tokio::time::timeout_at(deadline, self.conn.recv()).await {
                Err(_) => {
                    if let Some(id) = id {
                        self.timed_out.insert(id.to_owned());
                    }
                    return (Answer::Timeout, None);
                }
                Ok(Ok(Some(text))) => text,
                Ok(Ok(None)) | Ok(Err(_)) => return (Answer::Disconnected, None),
            };
            let frame = match Frame::parse(&text) {
                Ok(f) => f,
                Err(e) => {
                    ctx.report.violation(Violation {
                        frame: ctx.index,
                        class: None,
                        kind: "invalidStationFrame".into(),
                        detail: format!("the station sent a broken frame: {e}"),
                        sent: None,
                        answer: Some(clip(&text)),
                        expected: None,
                    });
                    continue;
                }
            };
            let (uid, answer) = match frame {
                Frame::Call(call) => {
                    let reply = self.station_call(call, &text, ctx);
                    if !self.send_text(reply.to_text()).await {
                        return (Answer::Disconnected, None);
                    }
                    continue;
                }
                Frame::CallResult(r) => (r.unique_id, Answer::Result(r.payload)),
                Frame::CallError(e) => (
                    e.unique_id,
                    Answer::Error {
                        code: text_code(&text).unwrap_or_else(|| e.error_code.to_string()),
                        description: e.error_description,
                    },
                ),
            };
            if Some(uid.as_str()) == id {
                self.answered.insert(uid);
                return (answer, Some(text));
            }
            self.stray(uid, &text, ctx);
        }
    }

    /// An answer that is not the one awaited.
    fn stray(&mut self, uid: String, text: &str, ctx: &mut Ctx<'_>) {
        ctx.report.station_calls.stray_answers += 1;
        let pending = self
            .pending
            .iter()
            .position(|p| p.id.as_deref() == Some(uid.as_str()))
            .or_else(|| (uid == "-1" && !self.pending.is_empty()).then_some(0));
        if let Some(i) = pending {
            let p = self.pending.remove(i);
            ctx.report
                .count(p.class, crate::judge::Outcome::AnsweredAnyway);
            return;
        }
        if self.timed_out.contains(&uid) {
            return; // late: the timeout is already reported
        }
        let kind = if self.answered.contains(&uid) {
            "duplicateAnswer"
        } else {
            "unknownIdAnswer"
        };
        ctx.report.violation(Violation {
            frame: ctx.index,
            class: None,
            kind: kind.into(),
            detail: format!("an answer with unique id {uid:?} that no pending CALL has"),
            sent: None,
            answer: Some(clip(text)),
            expected: None,
        });
    }

    /// Checks and answers one CALL of the station.
    fn station_call(&mut self, call: ocpp::Call, text: &str, ctx: &mut Ctx<'_>) -> Frame {
        let calls = &mut ctx.report.station_calls;
        calls.received += 1;
        *calls.by_action.entry(call.action.clone()).or_default() += 1;
        let action = match Action::from_name(&call.action) {
            Some(a) if a.initiated_by_charge_point() => a,
            _ => {
                calls.invalid += 1;
                ctx.report.violation(Violation {
                    frame: ctx.index,
                    class: None,
                    kind: "invalidStationCall".into(),
                    detail: format!("{:?} is no charge-point action", call.action),
                    sent: None,
                    answer: Some(clip(text)),
                    expected: None,
                });
                return CallError::new(&call.unique_id, ErrorCode::NotImplemented, "").into();
            }
        };
        let errors = station_call_errors(ctx.schemas, action, &call.payload);
        if !errors.is_empty() {
            calls.invalid += 1;
            ctx.report.violation(Violation {
                frame: ctx.index,
                class: None,
                kind: "invalidStationCall".into(),
                detail: format!("{action} fails its schema: {}", errors.join("; ")),
                sent: None,
                answer: Some(clip(text)),
                expected: None,
            });
            return CallError::new(&call.unique_id, ErrorCode::FormationViolation, "").into();
        }
        let payload = self.respond(action, &call.payload, ctx.view);
        CallResult::new(&call.unique_id, &payload).into()
    }

    fn respond(&mut self, action: Action, p: &Value, view: &mut StationView) -> Value {
        let accepted = json!({"status": "Accepted"});
        let s = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
        match action {
            Action::BootNotification => {
                view.vendor = s("chargePointVendor");
                view.model = s("chargePointModel");
                view.firmware_version = s("firmwareVersion");
                json!({"status": "Accepted", "currentTime": now_text(), "interval": 300})
            }
            Action::Heartbeat => json!({"currentTime": now_text()}),
            Action::Authorize => json!({"idTagInfo": accepted}),
            Action::StartTransaction => {
                view.next_transaction += 1;
                let tx = view.next_transaction;
                let connector = p.get("connectorId").and_then(Value::as_i64).unwrap_or(0);
                view.transactions.insert(tx, connector);
                json!({"transactionId": tx, "idTagInfo": accepted})
            }
            Action::StopTransaction => {
                if let Some(tx) = p.get("transactionId").and_then(Value::as_i64) {
                    view.transactions.remove(&tx);
                }
                json!({"idTagInfo": accepted})
            }
            Action::StatusNotification => {
                if let (Some(c), Some(st)) =
                    (p.get("connectorId").and_then(Value::as_i64), s("status"))
                {
                    view.statuses.insert(c, st);
                }
                json!({})
            }
            Action::FirmwareStatusNotification => {
                view.firmware_status = s("status");
                json!({})
            }
            Action::DataTransfer => json!({"status": "UnknownVendorId"}),
            Action::SignCertificate => json!({"status": "Rejected"}),
            _ => json!({}),
        }
    }
}

/// The wire spelling of a CALLERROR's code (ocpp maps unknown codes to GenericError).
fn text_code(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    v.get(2)?.as_str().map(str::to_owned)
}

/// What `await_answer` records into.
pub struct Ctx<'a> {
    pub schemas: &'a Schemas,
    pub report: &'a mut Report,
    pub view: &'a mut StationView,
    /// The index of the frame being judged, for violations found meanwhile.
    pub index: u64,
}
