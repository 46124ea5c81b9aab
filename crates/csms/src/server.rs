//! The listening socket: accept TCP, run the WebSocket handshake, start a session.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::session;
use crate::state::Shared;
use crate::CsmsConfig;

/// The transport security of the listening socket: TLS and HTTP Basic auth.
pub(crate) struct Security {
    tls: Option<net::TlsAcceptor>,
    /// With client certificates required (profile 3), the certificate's CN must be the id.
    client_certs: bool,
    passwords: Option<std::collections::BTreeMap<String, Vec<u8>>>,
}

impl Security {
    pub(crate) fn new(cfg: &CsmsConfig) -> Result<Self, net::NetError> {
        Ok(Self {
            tls: cfg.tls.as_ref().map(net::TlsAcceptor::new).transpose()?,
            client_certs: cfg.tls.as_ref().is_some_and(|t| t.client_ca_pem.is_some()),
            passwords: cfg.passwords.clone(),
        })
    }

    /// HTTP Basic: the user must be the station id of the path, the password its own.
    fn check(&self, path: &str, creds: Option<(&str, &[u8])>) -> bool {
        let Some(passwords) = &self.passwords else {
            return true;
        };
        let (Some(id), Some((user, password))) = (station_id(path), creds) else {
            return false;
        };
        user == id && passwords.get(&id).is_some_and(|p| p.as_slice() == password)
    }
}

/// A client that connects but never completes its handshake must not hold a task forever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) async fn run(listener: TcpListener, shared: Arc<Shared>, security: Arc<Security>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    tracing::debug!(%peer, "TCP connection");
                    tokio::spawn(handle(tcp, shared.clone(), security.clone()));
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

/// TLS (if configured), then the WebSocket handshake with the Basic auth check.
async fn handshake(
    tcp: TcpStream,
    security: &Security,
) -> Result<(net::ServerConnection, Option<String>), net::NetError> {
    let _ = tcp.set_nodelay(true);
    let check = |path: &str, creds: Option<(&str, &[u8])>| security.check(path, creds);
    let auth: Option<&net::BasicAuthCheck<'_>> = security.passwords.as_ref().map(|_| &check as _);
    let (stream, cn): (net::ServerStream, _) = match &security.tls {
        Some(acceptor) => {
            let tls = acceptor.accept(tcp).await?;
            let cn = net::peer_common_name(&tls);
            (Box::new(tls), cn)
        }
        None => (Box::new(tcp), None),
    };
    let conn = net::accept_stream(stream, &[net::OCPP16], auth).await?;
    Ok((conn, cn))
}

async fn handle(tcp: TcpStream, shared: Arc<Shared>, security: Arc<Security>) {
    let peer = tcp.peer_addr().ok();
    let conn = match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(tcp, &security)).await {
        Ok(Ok((conn, cn))) => {
            if security.client_certs {
                let id = station_id(conn.path());
                if cn.is_none() || cn != id {
                    tracing::warn!(
                        ?peer,
                        path = conn.path(),
                        certificate_cn = ?cn,
                        "client certificate does not name the station; closing"
                    );
                    conn.close().await;
                    return;
                }
            }
            conn
        }
        Ok(Err(e @ net::NetError::Unauthorized { .. })) => {
            tracing::warn!(?peer, error = %e, "refused with HTTP 401");
            return;
        }
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
