//! One station's connection: reads frames, answers its CALLs, carries our CALLs out one
//! at a time and matches their answers.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::Utc;
use net::ServerConnection;
use ocpp::Frame;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::events::{CsmsEvent, Direction};
use crate::handlers::{self, FollowUp};
use crate::rules::{self, Rule};
use crate::state::{SessionHandle, Shared};
use crate::{CsmsError, LinkSecurity};
use futures_util::FutureExt;

pub(crate) type Reply = oneshot::Sender<Result<Value, CsmsError>>;

/// What the `CentralSystem` handle asks of a session.
pub(crate) enum Command {
    Call {
        action: String,
        payload: Value,
        reply: Reply,
    },
    SendText {
        text: String,
        done: oneshot::Sender<Result<(), CsmsError>>,
    },
    Disconnect {
        done: oneshot::Sender<()>,
    },
    /// Another connection took over this station id.
    Replaced,
}

struct QueuedCall {
    action: String,
    payload: Value,
    reply: Reply,
}

/// The CALL on the wire, waiting for its answer.
struct InFlight {
    unique_id: String,
    action: String,
    deadline: Instant,
    reply: Reply,
}

struct Session {
    shared: Arc<Shared>,
    station: String,
    conn: ServerConnection,
    /// OCPP-J allows one outstanding CALL per direction: the rest wait here in order.
    queue: VecDeque<QueuedCall>,
    in_flight: Option<InFlight>,
    conn_id: u64,
    /// What the connection gave when we looked for a frame sent before our answer went out.
    prefetched: Option<Result<Option<String>, net::NetError>>,
}

/// Why the loop ended, which decides how the socket is left.
enum End {
    PeerClosed,
    Failed,
    CloseRequested(Option<oneshot::Sender<()>>),
}

pub(crate) async fn run(
    shared: Arc<Shared>,
    station: String,
    conn: ServerConnection,
    link: LinkSecurity,
    reached_at: Option<std::net::SocketAddr>,
) {
    let conn_id = shared.next_id();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let profile = link.profile();
    shared.register(
        &station,
        SessionHandle {
            conn_id,
            commands: tx,
            link,
            reached_at,
        },
    );
    tracing::info!(
        station,
        path = conn.path(),
        security_profile = profile,
        "station connected"
    );
    shared.emit(CsmsEvent::Connected {
        station: station.clone(),
    });
    let mut shutdown = shared.shutdown.subscribe();
    let mut s = Session {
        shared: shared.clone(),
        station: station.clone(),
        conn,
        queue: VecDeque::new(),
        in_flight: None,
        conn_id,
        prefetched: None,
    };

    let end = loop {
        let deadline = s.in_flight.as_ref().map(|f| f.deadline);
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(Command::Call { action, payload, reply }) => {
                    s.queue.push_back(QueuedCall { action, payload, reply });
                    if let Err(end) = s.send_next().await { break end; }
                }
                Some(Command::SendText { text, done }) => {
                    let res = s.send_text(text).await;
                    let failed = res.is_err();
                    let _ = done.send(res);
                    if failed { break End::Failed; }
                }
                Some(Command::Disconnect { done }) => break End::CloseRequested(Some(done)),
                Some(Command::Replaced) | None => break End::CloseRequested(None),
            },
            msg = s.recv() => match msg {
                Ok(Some(text)) => if let Err(end) = s.on_text(text).await { break end; },
                Ok(None) => break End::PeerClosed,
                Err(e) => {
                    tracing::warn!(station, error = %e, "connection lost");
                    break End::Failed;
                }
            },
            _ = sleep_until(deadline) => {
                if let Some(f) = s.in_flight.take() {
                    tracing::warn!(station, action = f.action, unique_id = f.unique_id, "CALL timed out");
                    let _ = f.reply.send(Err(CsmsError::Timeout));
                }
                if let Err(end) = s.send_next().await { break end; }
            },
            _ = crate::state::stopped(&mut shutdown) => break End::CloseRequested(None),
        }
    };

    // Everyone still waiting learns the connection is gone instead of timing out.
    if let Some(f) = s.in_flight.take() {
        let _ = f.reply.send(Err(CsmsError::Closed));
    }
    for q in s.queue.drain(..) {
        let _ = q.reply.send(Err(CsmsError::Closed));
    }
    // Unregister before closing so that `is_connected` is false once `disconnect` returns.
    let current = shared.unregister(&station, conn_id);
    match end {
        End::CloseRequested(done) => {
            s.conn.close().await;
            if let Some(done) = done {
                let _ = done.send(());
            }
        }
        End::PeerClosed | End::Failed => {}
    }
    tracing::info!(station, "station disconnected");
    // A replaced session stays quiet: its successor is the station's connection now.
    if current {
        shared.emit(CsmsEvent::Disconnected { station });
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

impl Session {
    /// The next message: one already taken off the connection first.
    async fn recv(&mut self) -> Result<Option<String>, net::NetError> {
        match self.prefetched.take() {
            Some(msg) => msg,
            None => self.conn.recv().await,
        }
    }

    /// Before answering a CALL, look whether the station already sent another one: a CALL
    /// that arrives before its predecessor's answer went out was sent without waiting for
    /// it (OCPP-J 4.1.1).
    fn check_one_call_in_flight(&mut self) {
        if self.prefetched.is_some() {
            return;
        }
        let Some(msg) = self.conn.recv().now_or_never() else {
            return;
        };
        if let Ok(Some(text)) = &msg {
            if let Ok(Frame::Call(call)) = Frame::parse(text) {
                rules::report(
                    &self.shared,
                    &self.station,
                    Rule::CallInFlight,
                    format!("{} sent before the previous CALL was answered", call.action),
                    text,
                );
            }
        }
        self.prefetched = Some(msg);
    }

    /// Put the next queued CALL on the wire if none is outstanding.
    async fn send_next(&mut self) -> Result<(), End> {
        while self.in_flight.is_none() {
            let Some(q) = self.queue.pop_front() else {
                return Ok(());
            };
            if q.reply.is_closed() {
                // The caller gave up while queued; do not bother the station.
                continue;
            }
            let unique_id = format!("cs{}", self.shared.next_id());
            let frame = Frame::Call(ocpp::Call {
                unique_id: unique_id.clone(),
                action: q.action.clone(),
                payload: q.payload,
            });
            let timeout = self.shared.settings().call_timeout;
            if let Err(e) = self.send_frame(frame).await {
                let _ = q.reply.send(Err(e));
                return Err(End::Failed);
            }
            self.in_flight = Some(InFlight {
                unique_id,
                action: q.action,
                deadline: Instant::now() + timeout,
                reply: q.reply,
            });
        }
        Ok(())
    }

    async fn on_text(&mut self, text: String) -> Result<(), End> {
        let parsed = Frame::parse(&text);
        self.log_frame(
            Direction::Received,
            text.clone(),
            parsed.as_ref().ok().cloned(),
        );
        if let Err(e) = &parsed {
            rules::report(
                &self.shared,
                &self.station,
                Rule::InvalidFrame,
                e.to_string(),
                &text,
            );
        }
        match parsed {
            // An invalid answer cannot be answered; it cannot be matched either.
            Err(e) => {
                if let Some(answer) = e.to_call_error() {
                    self.send_frame(Frame::CallError(answer))
                        .await
                        .map_err(|_| End::Failed)?;
                }
            }
            Ok(Frame::Call(call)) => {
                let from = handlers::From {
                    station: &self.station,
                    conn_id: self.conn_id,
                };
                let (answer, then) = handlers::handle(&self.shared, from, &call);
                self.check_one_call_in_flight();
                self.send_frame(answer).await.map_err(|_| End::Failed)?;
                if let Some(then) = then {
                    self.follow_up(then);
                }
            }
            Ok(Frame::CallResult(r)) => {
                self.complete(&r.unique_id, Ok(r.payload.clone()));
            }
            Ok(Frame::CallError(e)) => {
                let id = e.unique_id.clone();
                self.complete(&id, Err(CsmsError::CallError(e)));
            }
        }
        self.send_next().await
    }

    /// Queue the CALL we send on our own after an answer; its outcome becomes an event.
    fn follow_up(&mut self, then: FollowUp) {
        match then {
            FollowUp::CertificateSigned { chain } => {
                let (reply, answer) = oneshot::channel();
                self.queue.push_back(QueuedCall {
                    action: ocpp::Action::CertificateSigned.as_str().to_owned(),
                    payload: serde_json::json!({ "certificateChain": chain }),
                    reply,
                });
                let shared = self.shared.clone();
                let station = self.station.clone();
                tokio::spawn(async move {
                    let status = match answer.await {
                        Ok(Ok(payload)) => {
                            ocpp::decode::<ocpp::CertificateSignedResponse>(&payload)
                                .map(|r| r.status)
                                .map_err(|e| format!("invalid answer: {}", e.description))
                        }
                        Ok(Err(e)) => Err(e.to_string()),
                        Err(_) => Err(CsmsError::Closed.to_string()),
                    };
                    let outcome = match &status {
                        Ok(s) => s.as_str().to_owned(),
                        Err(e) => e.clone(),
                    };
                    tracing::info!(station, %outcome, "CertificateSigned answered");
                    shared.emit(CsmsEvent::CertificateSigned { station, status });
                });
            }
        }
    }

    /// Hand an answer to the waiting caller, if it answers the CALL in flight.
    fn complete(&mut self, unique_id: &str, result: Result<Value, CsmsError>) {
        match self.in_flight.take() {
            Some(f) if f.unique_id == unique_id => {
                let _ = f.reply.send(result);
            }
            other => {
                self.in_flight = other;
                tracing::warn!(
                    station = self.station,
                    unique_id,
                    "answer to no outstanding CALL ignored"
                );
            }
        }
    }

    async fn send_frame(&mut self, frame: Frame) -> Result<(), CsmsError> {
        let text = frame.to_text();
        self.log_frame(Direction::Sent, text.clone(), Some(frame));
        self.conn.send(text).await.map_err(|e| {
            tracing::warn!(station = self.station, error = %e, "send failed");
            CsmsError::Closed
        })
    }

    /// Raw text, for tests that need invalid frames on the wire.
    async fn send_text(&mut self, text: String) -> Result<(), CsmsError> {
        let frame = Frame::parse(&text).ok();
        self.log_frame(Direction::Sent, text.clone(), frame);
        self.conn.send(text).await.map_err(|_| CsmsError::Closed)
    }

    fn log_frame(&self, direction: Direction, text: String, frame: Option<Frame>) {
        // Target `ocpp`, as the station's frame log: `--log ocpp=debug` shows both.
        tracing::debug!(
            target: "ocpp",
            "{}",
            crate::frame_log::frame_line(&self.station, direction, &text, frame.as_ref())
        );
        self.shared.count_frame(&self.station);
        self.shared.emit(CsmsEvent::Frame {
            station: self.station.clone(),
            direction,
            text,
            frame,
            at: Utc::now(),
        });
    }
}
