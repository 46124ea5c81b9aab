//! The listening socket: accept TCP, run the WebSocket handshake, start a session.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::session;
use crate::state::Shared;
use crate::CsmsConfig;
use crate::LinkSecurity;
use std::sync::atomic::{AtomicBool, Ordering};

/// The transport security of one listening socket: TLS (or none) and client certificates;
/// HTTP Basic passwords are shared by every listener (`Shared`).
pub(crate) struct Security {
    tls: Option<net::TlsAcceptor>,
    /// Client certificates are asked for (a client CA is configured): one that is presented
    /// must name the station (CN = id) and then stands in for the password.
    client_certs: bool,
}

impl Security {
    /// The TLS listener of `cfg` (plain if it has no TLS configuration). With passwords
    /// configured, client certificates are optional: a station without one must pass Basic
    /// auth (profile 2), one with one is checked by it (profile 3).
    pub(crate) fn tls(cfg: &CsmsConfig) -> Result<Self, net::NetError> {
        let tls = cfg.tls.as_ref().map(|t| {
            let mut t = t.clone();
            if cfg.passwords.is_some() {
                t.client_cert_required = false;
            }
            t
        });
        Ok(Self {
            tls: tls.as_ref().map(net::TlsAcceptor::new).transpose()?,
            client_certs: tls.as_ref().is_some_and(|t| t.client_ca_pem.is_some()),
        })
    }

    /// A plain `ws://` listener.
    pub(crate) fn plain() -> Self {
        Self {
            tls: None,
            client_certs: false,
        }
    }

    /// Who may connect to `path`: with a client certificate (`cn`), it must name the station
    /// of the path; without one, HTTP Basic as configured: the user must be the station id
    /// of the path, the password its own.
    fn check(
        &self,
        shared: &Shared,
        cn: Option<&str>,
        path: &str,
        creds: Option<(&str, &[u8])>,
    ) -> bool {
        let id = station_id(path);
        if let Some(cn) = cn {
            return id.as_deref() == Some(cn);
        }
        if !shared.checks_passwords() {
            return true;
        }
        let (Some(id), Some((user, password))) = (id, creds) else {
            return false;
        };
        user == id && shared.password_matches(&id, password)
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

/// TLS (if configured), then the WebSocket handshake with the certificate / Basic auth
/// check (refused with HTTP 401).
async fn handshake(
    tcp: TcpStream,
    shared: &Shared,
    security: &Security,
) -> Result<(net::ServerConnection, LinkSecurity), net::NetError> {
    let _ = tcp.set_nodelay(true);
    let (stream, peer): (net::ServerStream, _) = match &security.tls {
        Some(acceptor) => {
            let tls = acceptor.accept(tcp).await?;
            let cn = security
                .client_certs
                .then(|| net::peer_common_name(&tls))
                .flatten();
            let pem = cn.as_ref().and_then(|_| net::peer_certificate_pem(&tls));
            (Box::new(tls), (cn, pem))
        }
        None => (Box::new(tcp), (None, None)),
    };
    // The client certificate's CN and PEM, if one was presented (and asked for).
    let (cn, certificate_pem) = peer;
    let password_checked = AtomicBool::new(false);
    let check = |path: &str, creds: Option<(&str, &[u8])>| {
        let ok = security.check(shared, cn.as_deref(), path, creds);
        if ok && cn.is_none() && shared.checks_passwords() {
            password_checked.store(true, Ordering::Relaxed);
        }
        if !ok && cn.is_some() {
            tracing::warn!(
                path,
                certificate_cn = cn.as_deref(),
                "client certificate does not name the station"
            );
        }
        ok
    };
    let conn = net::accept_stream(stream, &[net::OCPP16], Some(&check)).await?;
    let link = LinkSecurity {
        tls: security.tls.is_some(),
        certificate_cn: cn,
        certificate_pem,
        basic_auth: password_checked.load(Ordering::Relaxed),
    };
    Ok((conn, link))
}

async fn handle(tcp: TcpStream, shared: Arc<Shared>, security: Arc<Security>) {
    let peer = tcp.peer_addr().ok();
    let (conn, link) =
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(tcp, &shared, &security)).await {
            Ok(Ok(accepted)) => accepted,
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
    session::run(shared, station, conn, link).await;
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
