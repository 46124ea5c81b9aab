//! The listening socket: accept TCP, run the WebSocket handshake, start a session.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::session;
use crate::state::Shared;
use crate::CsmsConfig;
use crate::LinkSecurity;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

/// The transport security of one listening socket: TLS (or none) and client certificates;
/// HTTP Basic passwords are shared by every listener (`Shared`).
pub(crate) struct Security {
    /// The TLS configuration it started with (client certificates as below), from which
    /// [`Security::set_certificate`] builds a replacement.
    tls_config: Option<net::TlsServerConfig>,
    /// The acceptor for new connections; replaced by [`Security::set_certificate`].
    tls: RwLock<Option<net::TlsAcceptor>>,
    /// Client certificates are asked for (a client CA is configured): one that is presented
    /// must name the station (CN = id) and then stands in for the password.
    client_certs: bool,
    /// Plain connections are taken on the TLS listener too (`CsmsConfig::sniff_tls`).
    sniff: bool,
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
            tls: RwLock::new(tls.as_ref().map(net::TlsAcceptor::new).transpose()?),
            client_certs: tls.as_ref().is_some_and(|t| t.client_ca_pem.is_some()),
            tls_config: tls,
            sniff: cfg.sniff_tls,
        })
    }

    /// Present `cert` (certificate PEM, key PEM) to the connections from now on instead of
    /// the configured server certificate; `None`: the configured one again. The rest of
    /// the TLS configuration (client certificates, versions, ciphers) stays.
    pub(crate) fn set_certificate(&self, cert: Option<(&str, &str)>) -> Result<(), net::NetError> {
        let Some(mut cfg) = self.tls_config.clone() else {
            return Err(net::NetError::Tls {
                kind: net::TlsErrorKind::Config,
                detail: "this listener has no TLS configuration".into(),
            });
        };
        if let Some((cert_pem, key_pem)) = cert {
            cfg.cert_pem = cert_pem.to_owned();
            cfg.key_pem = key_pem.to_owned();
        }
        let acceptor = net::TlsAcceptor::new(&cfg)?;
        *self.tls.write().unwrap_or_else(|e| e.into_inner()) = Some(acceptor);
        Ok(())
    }

    /// The acceptor for a new connection (none: plain).
    fn acceptor(&self) -> Option<net::TlsAcceptor> {
        self.tls.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A plain `ws://` listener.
    pub(crate) fn plain() -> Self {
        Self {
            tls_config: None,
            tls: RwLock::new(None),
            client_certs: false,
            sniff: false,
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

/// Whether the client's first byte opens a TLS handshake record (a ClientHello); plain
/// HTTP starts with a letter. Waits for that byte without taking it off the socket.
async fn starts_tls_handshake(tcp: &TcpStream) -> Result<bool, net::NetError> {
    const TLS_HANDSHAKE_RECORD: u8 = 0x16;
    let mut first = [0u8; 1];
    let n = tcp
        .peek(&mut first)
        .await
        .map_err(|e| net::NetError::from(tokio_tungstenite::tungstenite::Error::Io(e)))?;
    Ok(n == 1 && first[0] == TLS_HANDSHAKE_RECORD)
}

/// A client that connects but never completes its handshake must not hold a task forever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) async fn run(listener: TcpListener, shared: Arc<Shared>, security: Arc<Security>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) if !shared.accepting() => {
                    tracing::info!(%peer, "connection refused: not accepting connections now");
                    drop(tcp);
                }
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
    let acceptor = match security.acceptor() {
        Some(_) if security.sniff && !starts_tls_handshake(&tcp).await? => None,
        other => other,
    };
    let is_tls = acceptor.is_some();
    let (stream, peer): (net::ServerStream, _) = match acceptor {
        Some(acceptor) => {
            let tls = acceptor.accept(tcp).await.inspect_err(|_| {
                shared.count_tls_failure();
            })?;
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
        tls: is_tls,
        certificate_cn: cn,
        certificate_pem,
        basic_auth: password_checked.load(Ordering::Relaxed),
    };
    Ok((conn, link))
}

async fn handle(tcp: TcpStream, shared: Arc<Shared>, security: Arc<Security>) {
    let peer = tcp.peer_addr().ok();
    let ours = tcp.local_addr().ok();
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
    session::run(shared, station, conn, link, ours).await;
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
