//! The client side: open a transport to the Central System, run the handshake, insist on
//! the subprotocol.

use std::time::Duration;

use http::Uri;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::{self, http::HeaderName, http::HeaderValue};

use crate::{Connection, NetError, WsConnection, OCPP16};

/// What a client connection runs over. Boxed so that a TLS stream (wss://) can be plugged
/// in next to plain TCP without changing [`Connection`].
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

/// The byte stream under a client [`Connection`].
pub type ClientStream = Box<dyn Transport>;

/// How to reach the Central System.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The full `ws://` URL including the station id, e.g. `ws://host:9000/ocpp/CP001`.
    pub url: String,
    /// The subprotocol to request and require, normally [`OCPP16`].
    pub subprotocol: String,
    /// OCPP `WebSocketPingInterval`; `None` or zero turns pings off.
    pub ping_interval: Option<Duration>,
    /// Limit for the TCP connect plus the WebSocket handshake.
    pub connect_timeout: Duration,
    /// Extra handshake headers (e.g. `Authorization` for HTTP Basic auth).
    pub extra_headers: Vec<(String, String)>,
}

impl ClientConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            subprotocol: OCPP16.to_owned(),
            ping_interval: Some(Duration::from_secs(120)),
            connect_timeout: Duration::from_secs(10),
            extra_headers: Vec::new(),
        }
    }
}

/// Where to open the transport, from the URL.
struct Target {
    uri: Uri,
    host: String,
    port: u16,
}

fn parse_target(url: &str) -> Result<Target, NetError> {
    let invalid = |reason: &str| NetError::InvalidUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let uri: Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| invalid(&e.to_string()))?;
    let scheme = uri
        .scheme_str()
        .ok_or_else(|| invalid("missing scheme (ws://)"))?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "ws" => 80,
        // wss:// needs the TLS transport, which is not in this build yet.
        other => return Err(NetError::UnsupportedScheme(other.to_owned())),
    };
    let host = uri.host().ok_or_else(|| invalid("missing host"))?;
    // `[::1]` comes back bracketed; TcpStream::connect wants it bare.
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(default_port);
    Ok(Target { uri, host, port })
}

/// Open the byte stream for `target`. The single place a TLS connector will hook in.
async fn open_transport(target: &Target) -> Result<ClientStream, NetError> {
    let addr = format!("{}:{}", target.host, target.port);
    let tcp = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|source| NetError::Connect { addr, source })?;
    // OCPP frames are small and latency matters more than throughput.
    let _ = tcp.set_nodelay(true);
    Ok(Box::new(tcp))
}

fn build_request(
    cfg: &ClientConfig,
    target: &Target,
) -> Result<tungstenite::handshake::client::Request, NetError> {
    let mut request =
        target
            .uri
            .clone()
            .into_client_request()
            .map_err(|e| NetError::InvalidUrl {
                url: cfg.url.clone(),
                reason: e.to_string(),
            })?;
    let headers = request.headers_mut();
    let bad = |name: &str, reason: String| NetError::InvalidHeader {
        name: name.to_owned(),
        reason,
    };
    let proto = HeaderValue::from_str(&cfg.subprotocol)
        .map_err(|e| bad("Sec-WebSocket-Protocol", e.to_string()))?;
    headers.insert("Sec-WebSocket-Protocol", proto);
    for (name, value) in &cfg.extra_headers {
        let key = HeaderName::try_from(name.as_str()).map_err(|e| bad(name, e.to_string()))?;
        let val = HeaderValue::from_str(value).map_err(|e| bad(name, e.to_string()))?;
        headers.append(key, val);
    }
    Ok(request)
}

/// Connect to the Central System at `cfg.url`.
///
/// Requests `cfg.subprotocol` and refuses ([`NetError::SubprotocolRefused`]) a server that
/// does not select it, as OCPP-J requires.
pub async fn connect(cfg: &ClientConfig) -> Result<Connection, NetError> {
    let target = parse_target(&cfg.url)?;
    let request = build_request(cfg, &target)?;
    let addr = format!("{}:{}", target.host, target.port);
    let handshake = async {
        let stream = open_transport(&target).await?;
        tokio_tungstenite::client_async(request, stream)
            .await
            .map_err(|e| refused_or(e, &cfg.subprotocol))
    };
    let (ws, response) = tokio::time::timeout(cfg.connect_timeout, handshake)
        .await
        .map_err(|_| NetError::ConnectTimeout {
            addr,
            after: cfg.connect_timeout,
        })??;
    // tungstenite checks this too; check again so the rule does not hinge on its version.
    let got = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if got.as_deref() != Some(cfg.subprotocol.as_str()) {
        return Err(NetError::SubprotocolRefused {
            wanted: cfg.subprotocol.clone(),
            got,
        });
    }
    tracing::debug!(url = %cfg.url, "WebSocket connected");
    Ok(WsConnection::new(
        ws,
        target.uri.path().to_owned(),
        cfg.subprotocol.clone(),
        cfg.ping_interval,
    ))
}

fn refused_or(e: tungstenite::Error, wanted: &str) -> NetError {
    match e {
        tungstenite::Error::Protocol(ProtocolError::SecWebSocketSubProtocolError(
            SubProtocolError::NoSubProtocol | SubProtocolError::InvalidSubProtocol,
        )) => NetError::SubprotocolRefused {
            wanted: wanted.to_owned(),
            got: None,
        },
        other => NetError::Handshake(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ws_urls() {
        let t = parse_target("ws://127.0.0.1:9000/ocpp/CP001").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 9000));
        assert_eq!(t.uri.path(), "/ocpp/CP001");
        let t = parse_target("ws://example.com/CP1").unwrap();
        assert_eq!(t.port, 80);
        let t = parse_target("ws://[::1]:8080/CP1").unwrap();
        assert_eq!(t.host, "::1");
    }

    #[test]
    fn rejects_other_schemes() {
        assert!(matches!(
            parse_target("wss://example.com/CP1"),
            Err(NetError::UnsupportedScheme(s)) if s == "wss"
        ));
        assert!(matches!(
            parse_target("http://example.com/CP1"),
            Err(NetError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            parse_target("not a url"),
            Err(NetError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn request_carries_subprotocol_and_extra_headers() {
        let cfg = ClientConfig {
            extra_headers: vec![("Authorization".into(), "Basic Q1AwMDE6c2VjcmV0".into())],
            ..ClientConfig::new("ws://127.0.0.1:1/CP001")
        };
        let t = parse_target(&cfg.url).unwrap();
        let req = build_request(&cfg, &t).unwrap();
        assert_eq!(req.headers()["Sec-WebSocket-Protocol"], "ocpp1.6");
        assert_eq!(req.headers()["Authorization"], "Basic Q1AwMDE6c2VjcmV0");
    }

    #[test]
    fn bad_header_is_an_error() {
        let cfg = ClientConfig {
            extra_headers: vec![("Bad Name".into(), "x".into())],
            ..ClientConfig::new("ws://127.0.0.1:1/CP001")
        };
        let t = parse_target(&cfg.url).unwrap();
        assert!(matches!(
            build_request(&cfg, &t),
            Err(NetError::InvalidHeader { .. })
        ));
    }
}
