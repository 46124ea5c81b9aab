//! What happens at the Central System, as a stream tests and the demo can follow.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;
use tokio::time::Instant;

/// Which way a frame went, seen from the Central System.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the station to us.
    Received,
    /// From us to the station.
    Sent,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Received => "<-",
            Direction::Sent => "->",
        })
    }
}

#[derive(Debug, Clone)]
pub enum CsmsEvent {
    Connected {
        station: String,
    },
    Disconnected {
        station: String,
    },
    Frame {
        station: String,
        direction: Direction,
        text: String,
        /// `None` when the text is not a valid OCPP-J frame.
        frame: Option<ocpp::Frame>,
        at: DateTime<Utc>,
    },
    /// How a SignCertificate.req of `station` ended: the status the station answered our
    /// CertificateSigned.req with, or why there was none (the CSR could not be signed, the
    /// CALL failed or timed out).
    CertificateSigned {
        station: String,
        status: Result<ocpp::CertificateSignedStatus, String>,
    },
    /// The station broke an OCPP-J rule ([`crate::Rule`]); `frame` is the offending frame.
    Violation {
        station: String,
        rule: crate::Rule,
        detail: String,
        frame: String,
    },
}

impl CsmsEvent {
    pub fn station(&self) -> &str {
        match self {
            CsmsEvent::Connected { station }
            | CsmsEvent::Disconnected { station }
            | CsmsEvent::Frame { station, .. }
            | CsmsEvent::CertificateSigned { station, .. }
            | CsmsEvent::Violation { station, .. } => station,
        }
    }
}

/// A subscription to [`CsmsEvent`]s: every event from the moment of subscribing.
pub struct Events(pub(crate) broadcast::Receiver<CsmsEvent>);

impl Events {
    /// The next event, or `None` after `timeout` (or if the Central System is gone).
    pub async fn next(&mut self, timeout: Duration) -> Option<CsmsEvent> {
        self.next_until(Instant::now() + timeout).await
    }

    /// The next event, however long it takes; `None` once the Central System is gone. For
    /// subscribers that follow everything for as long as it runs (the panel).
    pub async fn recv(&mut self) -> Option<CsmsEvent> {
        loop {
            match self.0.recv().await {
                Ok(ev) => return Some(ev),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "event subscriber lagged, events dropped");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    async fn next_until(&mut self, deadline: Instant) -> Option<CsmsEvent> {
        loop {
            match tokio::time::timeout_at(deadline, self.0.recv()).await {
                Err(_) => return None,
                Ok(Ok(ev)) => return Some(ev),
                Ok(Err(broadcast::error::RecvError::Lagged(n))) => {
                    // Better a gap than a stuck test; say so, it explains a missed event.
                    tracing::warn!(skipped = n, "event subscriber lagged, events dropped");
                }
                Ok(Err(broadcast::error::RecvError::Closed)) => return None,
            }
        }
    }

    /// The first event within `timeout` for which `pick` returns something.
    pub async fn find<T>(
        &mut self,
        timeout: Duration,
        mut pick: impl FnMut(CsmsEvent) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = pick(self.next_until(deadline).await?) {
                return Some(found);
            }
        }
    }

    /// The next CALL of `action` received from `station`, skipping everything else.
    pub async fn next_call(
        &mut self,
        station: &str,
        action: &str,
        timeout: Duration,
    ) -> Option<ocpp::Call> {
        self.find(timeout, |ev| match received(ev, station)? {
            ocpp::Frame::Call(call) if call.action == action => Some(call),
            _ => None,
        })
        .await
    }

    /// The next CALLERROR received from `station`.
    pub async fn next_call_error(
        &mut self,
        station: &str,
        timeout: Duration,
    ) -> Option<ocpp::CallError> {
        self.find(timeout, |ev| match received(ev, station)? {
            ocpp::Frame::CallError(e) => Some(e),
            _ => None,
        })
        .await
    }

    /// The next valid frame received from `station`.
    pub async fn next_received(&mut self, station: &str, timeout: Duration) -> Option<ocpp::Frame> {
        self.find(timeout, |ev| received(ev, station)).await
    }

    /// The next frame we sent to `station` (e.g. the answer to an invalid frame).
    pub async fn next_sent(&mut self, station: &str, timeout: Duration) -> Option<ocpp::Frame> {
        self.find(timeout, |ev| match ev {
            CsmsEvent::Frame {
                station: s,
                direction: Direction::Sent,
                frame,
                ..
            } if s == station => frame,
            _ => None,
        })
        .await
    }

    /// Wait for `station` to disconnect.
    pub async fn disconnected(&mut self, station: &str, timeout: Duration) -> bool {
        self.find(timeout, |ev| match ev {
            CsmsEvent::Disconnected { station: s } if s == station => Some(()),
            _ => None,
        })
        .await
        .is_some()
    }
}

fn received(ev: CsmsEvent, station: &str) -> Option<ocpp::Frame> {
    match ev {
        CsmsEvent::Frame {
            station: s,
            direction: Direction::Received,
            frame,
            ..
        } if s == station => frame,
        _ => None,
    }
}
