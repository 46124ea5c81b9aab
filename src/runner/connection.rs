//! The WebSocket link to the Central System: an attempt under way on its own task, or the
//! connection it opened; the transport settings of each attempt, taken from the station;
//! and the security event a failed attempt stands for. When to attempt is
//! [`super::connection_policy`]'s business.

use super::frames::{FrameDirection, FrameFeed};
use super::options::{strip_scheme, RunOptions};
use chrono::{DateTime, Utc};
use net::{Connection, NetError};
use station::{SecurityEvent, Station};
use std::sync::Arc;
use tokio::task::JoinHandle;

/// Why a connection attempt failed: the error text (no secrets in it) and the security
/// event it stands for, if any.
pub(crate) struct Failure {
    pub(crate) text: String,
    pub(crate) event: Option<SecurityEvent>,
}

/// What happened on the link.
pub(crate) enum LinkEvent {
    Received(String),
    /// The connection that was up is gone, for this reason.
    Lost(String),
    /// The attempt under way succeeded: the link is up.
    Connected,
    Failed(Failure),
}

/// At most one of an attempt under way and a connection.
pub(crate) struct Link {
    conn: Option<Connection>,
    connecting: Option<JoinHandle<Result<Connection, NetError>>>,
    /// Every frame that goes over the wire, for the web panel.
    frames: Arc<FrameFeed>,
}

impl Link {
    pub(crate) fn new(frames: Arc<FrameFeed>) -> Link {
        Link {
            conn: None,
            connecting: None,
            frames,
        }
    }

    /// Neither up nor trying.
    pub(crate) fn is_idle(&self) -> bool {
        self.conn.is_none() && self.connecting.is_none()
    }

    /// Start an attempt on its own task, so the loop goes on meanwhile.
    pub(crate) fn connect(&mut self, cfg: net::ClientConfig) {
        self.connecting = Some(tokio::spawn(async move { net::connect(&cfg).await }));
    }

    /// The next event; pending forever while idle.
    pub(crate) async fn next(&mut self) -> LinkEvent {
        tokio::select! {
            received = recv(&mut self.conn) => match received {
                Ok(Some(text)) => {
                    self.frames.record(FrameDirection::Received, &text);
                    LinkEvent::Received(text)
                }
                Ok(None) => {
                    self.conn = None;
                    LinkEvent::Lost("closed by the Central System".into())
                }
                Err(e) => {
                    self.conn = None;
                    LinkEvent::Lost(e.to_string())
                }
            },
            attempt = join(&mut self.connecting) => {
                self.connecting = None;
                match attempt {
                    Ok(conn) => {
                        self.conn = Some(conn);
                        LinkEvent::Connected
                    }
                    Err(failure) => LinkEvent::Failed(failure),
                }
            }
        }
    }

    /// Send on the connection, if one is up; on an error it is gone.
    pub(crate) async fn send(&mut self, text: String) -> Result<(), NetError> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        self.frames.record(FrameDirection::Sent, &text);
        let sent = conn.send(text).await;
        if sent.is_err() {
            self.conn = None;
        }
        sent
    }

    /// Drop the connection without a close frame, as a power cut does (the peer sees the
    /// TCP connection end), and abandon the attempt under way.
    pub(crate) fn cut(&mut self) {
        if let Some(task) = self.connecting.take() {
            task.abort();
        }
        self.conn = None;
    }

    /// Abandon the attempt under way and close the connection; true if one was up.
    pub(crate) async fn close(&mut self) -> bool {
        if let Some(task) = self.connecting.take() {
            task.abort();
        }
        match self.conn.take() {
            Some(conn) => {
                conn.close().await;
                true
            }
            None => false,
        }
    }
}

async fn recv(conn: &mut Option<Connection>) -> Result<Option<String>, NetError> {
    match conn {
        Some(conn) => conn.recv().await,
        None => std::future::pending().await,
    }
}

async fn join(
    task: &mut Option<JoinHandle<Result<Connection, NetError>>>,
) -> Result<Connection, Failure> {
    match task {
        Some(task) => match task.await {
            Ok(result) => result.map_err(|e| Failure {
                event: transport_event(&e),
                text: e.to_string(),
            }),
            Err(e) => Err(Failure {
                text: format!("connect task failed: {e}"),
                event: None,
            }),
        },
        None => std::future::pending().await,
    }
}

/// The transport settings of one connection attempt, from the station's security state at
/// that moment: the URL for its SecurityProfile, HTTP Basic credentials (profiles 1 and 2:
/// user = id, password = AuthorizationKey), the trusted roots for `wss://` and, with
/// profile 3, the ChargePointCertificate to present.
pub(crate) fn connection_config(
    opts: &RunOptions,
    station: &Station,
    now: DateTime<Utc>,
) -> net::ClientConfig {
    let profile = station.security_profile();
    let url = opts.station_url_for_profile(profile);
    let basic_auth = match profile {
        1 | 2 => station
            .authorization_key()
            .map(|key| (opts.id.clone(), key)),
        _ => None,
    };
    let tls = strip_scheme(&url, "wss://").map(|_| {
        let identity = (profile == 3).then(|| station.tls_identity(now)).flatten();
        if profile == 3 && identity.is_none() {
            tracing::warn!("security profile 3 without a valid ChargePointCertificate");
        }
        let (cert, key) = identity.unzip();
        net::TlsClientConfig {
            roots_pem: station.tls_roots(),
            client_cert_pem: cert,
            client_key_pem: key,
            ..net::TlsClientConfig::default()
        }
    });
    net::ClientConfig {
        url,
        subprotocol: net::OCPP16.to_string(),
        basic_auth,
        tls,
        ..net::ClientConfig::default()
    }
}

/// The security event a failed connection attempt stands for: the Central System's
/// certificate did not verify, no TLS version or cipher suite in common, or the Central
/// System refused our credentials (HTTP 401).
pub(crate) fn transport_event(e: &NetError) -> Option<SecurityEvent> {
    match e {
        NetError::Tls { kind, .. } if kind.is_certificate_problem() => {
            Some(SecurityEvent::InvalidCentralSystemCertificate)
        }
        NetError::Tls {
            kind: net::TlsErrorKind::Version,
            ..
        } => Some(SecurityEvent::InvalidTLSVersion),
        NetError::Tls {
            kind: net::TlsErrorKind::CipherSuite,
            ..
        } => Some(SecurityEvent::InvalidTLSCipherSuite),
        NetError::HttpStatus { status: 401 } => {
            Some(SecurityEvent::FailedToAuthenticateAtCentralSystem)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::station_setup::{test_root, test_station};
    use super::*;

    #[test]
    fn each_attempt_takes_its_settings_from_the_station() {
        let now = Utc::now();
        let mut opts = RunOptions::new("CP1", "ws://h:1/ocpp");
        opts.security_profile = 1;
        opts.authorization_key = Some(b"0123456789abcdef".to_vec());
        opts.ca_pem = vec![test_root()];
        let cfg = connection_config(&opts, test_station(&opts).station(), now);
        assert_eq!(cfg.url, "ws://h:1/ocpp/CP1");
        assert_eq!(
            cfg.basic_auth,
            Some(("CP1".to_string(), b"0123456789abcdef".to_vec()))
        );
        assert!(cfg.tls.is_none());

        // Profile 2 on a ws:// URL: the same host and port over wss://, with the roots.
        opts.security_profile = 2;
        let cfg = connection_config(&opts, test_station(&opts).station(), now);
        assert_eq!(cfg.url, "wss://h:1/ocpp/CP1");
        assert!(cfg.basic_auth.is_some());
        let tls = cfg.tls.expect("TLS");
        assert_eq!(tls.roots_pem, opts.ca_pem);
        assert!(tls.client_cert_pem.is_none());

        // Profile 0: nothing.
        opts.security_profile = 0;
        let cfg = connection_config(&opts, test_station(&opts).station(), now);
        assert_eq!(cfg.url, "ws://h:1/ocpp/CP1");
        assert!(cfg.basic_auth.is_none() && cfg.tls.is_none());
    }

    #[test]
    fn transport_failures_map_to_security_events() {
        let tls = |kind| NetError::Tls {
            kind,
            detail: String::new(),
        };
        use net::TlsErrorKind as K;
        for kind in [
            K::UnknownRoot,
            K::Expired,
            K::NotYetValid,
            K::HostName,
            K::BadCertificate,
        ] {
            assert_eq!(
                transport_event(&tls(kind)),
                Some(SecurityEvent::InvalidCentralSystemCertificate)
            );
        }
        assert_eq!(
            transport_event(&tls(K::Version)),
            Some(SecurityEvent::InvalidTLSVersion)
        );
        assert_eq!(
            transport_event(&tls(K::CipherSuite)),
            Some(SecurityEvent::InvalidTLSCipherSuite)
        );
        assert_eq!(transport_event(&tls(K::Handshake)), None);
        assert_eq!(transport_event(&tls(K::Config)), None);
        assert_eq!(
            transport_event(&NetError::HttpStatus { status: 401 }),
            Some(SecurityEvent::FailedToAuthenticateAtCentralSystem)
        );
        assert_eq!(transport_event(&NetError::HttpStatus { status: 404 }), None);
    }
}
