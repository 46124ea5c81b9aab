//! The listening socket: accept TCP, run the WebSocket handshake, start a session.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::session;
use crate::state::Shared;

/// A client that connects but never completes its handshake must not hold a task forever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) async fn run(listener: TcpListener, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    tracing::debug!(%peer, "TCP connection");
                    tokio::spawn(handle(tcp, shared.clone()));
                }
                Err(e) => {
                    // Typically EMFILE; back off a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = crate::state::stopped(&mut shutdown) => break,
        }
    }
}

async fn handle(tcp: TcpStream, shared: Arc<Shared>) {
    let peer = tcp.peer_addr().ok();
    let conn = match tokio::time::timeout(HANDSHAKE_TIMEOUT, net::accept(tcp, &[net::OCPP16])).await
    {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            tracing::warn!(?peer, error = %e, "WebSocket handshake failed");
            return;
        }
        Err(_) => {
            tracing::warn!(?peer, "WebSocket handshake timed out");
            return;
        }
    };
    let Some(station) = station_id(conn.path()) else {
        tracing::warn!(
            ?peer,
            path = conn.path(),
            "no station id in the request path"
        );
        conn.close().await;
        return;
    };
    session::run(shared, station, conn).await;
}

/// The station id is the last path segment: `/ocpp/CP001`, `/CP001` and `/a/b/CP001` all
/// name `CP001`. Percent-escapes are decoded (ids may contain characters a URL escapes).
pub(crate) fn station_id(path: &str) -> Option<String> {
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    let id = percent_decode(last)?;
    (!id.is_empty()).then_some(id)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::station_id;

    #[test]
    fn station_id_is_last_segment() {
        assert_eq!(station_id("/ocpp/CP001").as_deref(), Some("CP001"));
        assert_eq!(station_id("/CP001").as_deref(), Some("CP001"));
        assert_eq!(station_id("/a/b/CP001/").as_deref(), Some("CP001"));
        assert_eq!(station_id("/ocpp/CP%20001").as_deref(), Some("CP 001"));
        assert_eq!(station_id("/"), None);
        assert_eq!(station_id(""), None);
        assert_eq!(station_id("/ocpp/%zz"), None);
    }
}
