//! One WebSocket connection, client or server side: text frames in and out, pings to
//! keep the link alive, a clean close. Generic over the byte stream so plain TCP, TLS
//! or a test pipe all share this code.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

use crate::NetError;

/// How long `close` waits for the peer to acknowledge our close frame before giving up.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// A WebSocket carrying OCPP-J text frames.
pub struct WsConnection<S> {
    ws: WebSocketStream<S>,
    path: String,
    subprotocol: String,
    keepalive: Option<Keepalive>,
}

/// Ping bookkeeping. Any frame from the peer proves the link is alive, not only a pong:
/// a peer busy sending data is not dead, and this keeps the rule simple.
struct Keepalive {
    interval: Duration,
    next_ping: Instant,
    last_seen: Instant,
}

impl Keepalive {
    fn new(interval: Duration) -> Self {
        let now = Instant::now();
        Self {
            interval,
            next_ping: now + interval,
            last_seen: now,
        }
    }

    fn dead_at(&self) -> Instant {
        self.last_seen + self.interval * 2
    }
}

impl<S> WsConnection<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    pub(crate) fn new(
        ws: WebSocketStream<S>,
        path: String,
        subprotocol: String,
        ping_interval: Option<Duration>,
    ) -> Self {
        let mut conn = Self {
            ws,
            path,
            subprotocol,
            keepalive: None,
        };
        conn.set_ping_interval(ping_interval);
        conn
    }

    /// The request path: on the server the path the client asked for (e.g.
    /// `/ocpp/CP001`), on the client the path of the URL it connected to.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The negotiated subprotocol (`ocpp1.6`).
    pub fn subprotocol(&self) -> &str {
        &self.subprotocol
    }

    /// Change the ping interval (OCPP `WebSocketPingInterval` may change at run time).
    /// `None` or zero turns pings off.
    pub fn set_ping_interval(&mut self, interval: Option<Duration>) {
        self.keepalive = interval.filter(|d| !d.is_zero()).map(Keepalive::new);
    }

    /// The next text message; `Ok(None)` once the peer closed the connection cleanly.
    ///
    /// Cancel-safe: if the future is dropped no received message is lost, so it can sit in
    /// a `select!` next to outgoing work. Pings from the peer are answered by tungstenite
    /// while we read; our own pings go out every ping interval while this is waiting, and a
    /// peer silent for two intervals is reported as [`NetError::PingTimeout`].
    pub async fn recv(&mut self) -> Result<Option<String>, NetError> {
        loop {
            let wake = self
                .keepalive
                .as_ref()
                .map(|k| k.next_ping.min(k.dead_at()));
            let next = match wake {
                Some(at) => tokio::select! {
                    // Frames already waiting count before the timer: a pong that arrived
                    // while nobody was reading must not look like a dead link.
                    biased;
                    msg = self.ws.next() => Some(msg),
                    _ = tokio::time::sleep_until(at) => None,
                },
                None => Some(self.ws.next().await),
            };
            let Some(msg) = next else {
                self.on_timer().await?;
                continue;
            };
            if let Some(k) = self.keepalive.as_mut() {
                k.last_seen = Instant::now();
            }
            match msg {
                None => return Ok(None),
                Some(Ok(Message::Text(text))) => return Ok(Some(text.as_str().to_owned())),
                Some(Ok(Message::Binary(data))) => {
                    // OCPP-J is text only; a binary frame is a peer bug, not a reason to drop
                    // the link.
                    tracing::warn!(len = data.len(), "ignoring binary WebSocket frame");
                }
                Some(Ok(Message::Close(frame))) => {
                    tracing::debug!(?frame, "peer closed the WebSocket");
                    // tungstenite already queued our close reply; flush it, then report.
                    let _ = self.ws.flush().await;
                    return Ok(None);
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Err(
                    tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed,
                )) => return Ok(None),
                Some(Err(e)) => return Err(e.into()),
            }
        }
    }

    async fn on_timer(&mut self) -> Result<(), NetError> {
        let Some(k) = self.keepalive.as_mut() else {
            return Ok(());
        };
        let now = Instant::now();
        if now >= k.dead_at() {
            return Err(NetError::PingTimeout(k.interval * 2));
        }
        if now >= k.next_ping {
            k.next_ping = now + k.interval;
            self.ws.send(Message::Ping(Default::default())).await?;
        }
        Ok(())
    }

    /// Send one text message.
    pub async fn send(&mut self, text: String) -> Result<(), NetError> {
        self.ws.send(Message::text(text)).await?;
        Ok(())
    }

    /// Close cleanly: send a close frame and wait briefly for the peer's answer.
    pub async fn close(mut self) {
        if let Err(e) = self.ws.close(None).await {
            tracing::debug!(error = %e, "error sending close frame");
            return;
        }
        // Drain until the peer acknowledges (stream ends) so the close handshake completes;
        // a peer that never answers must not hang us.
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
    }
}
