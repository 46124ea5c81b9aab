//! The client side: open a transport to the Central System, run the handshake, insist on
//! the subprotocol.

use std::time::Duration;

use http::Uri;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::{self, http::HeaderName, http::HeaderValue};

use crate::{Connection, NetError, TlsClientConfig, TlsErrorKind, WsConnection, OCPP16};

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
    /// Extra handshake headers.
    pub extra_headers: Vec<(String, String)>,
    /// HTTP Basic credentials (security profiles 1 and 2; allowed with 3): the user is the
    /// charge point id, the password the `AuthorizationKey` bytes.
    pub basic_auth: Option<(String, Vec<u8>)>,
    /// TLS settings; required by a `wss://` URL (which never falls back to `ws://`).
    pub tls: Option<TlsClientConfig>,
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
            basic_auth: None,
            tls: None,
        }
    }
}

/// Where to open the transport, from the URL.
struct Target {
    uri: Uri,
    host: String,
    port: u16,
    tls: bool,
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
    let (default_port, tls) = match scheme.to_ascii_lowercase().as_str() {
        "ws" => (80, false),
        "wss" => (443, true),
        other => return Err(NetError::UnsupportedScheme(other.to_owned())),
    };
    let host = uri.host().ok_or_else(|| invalid("missing host"))?;
    // `[::1]` comes back bracketed; TcpStream::connect wants it bare.
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(default_port);
    Ok(Target {
        uri,
        host,
        port,
        tls,
    })
}

/// Open the byte stream for `target`: plain TCP for `ws://`, TLS over TCP for `wss://`.
async fn open_transport(
    target: &Target,
    tls: Option<&openssl::ssl::SslConnector>,
) -> Result<ClientStream, NetError> {
    let addr = format!("{}:{}", target.host, target.port);
    let tcp = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|source| NetError::Connect { addr, source })?;
    // OCPP frames are small and latency matters more than throughput.
    let _ = tcp.set_nodelay(true);
    match (target.tls, tls) {
        (false, _) => Ok(Box::new(tcp)),
        (true, Some(connector)) => Ok(Box::new(
            crate::tls::connect(connector, &target.host, tcp).await?,
        )),
        (true, None) => Err(no_tls_config()),
    }
}

fn no_tls_config() -> NetError {
    NetError::Tls {
        kind: TlsErrorKind::Config,
        detail: "a wss:// URL needs a TLS configuration (trusted root certificates)".into(),
    }
}

/// The `Authorization` header value for HTTP Basic auth: `Basic base64(user:password)`.
pub fn basic_auth_header(user: &str, password: &[u8]) -> String {
    use base64::Engine;
    let mut raw = Vec::with_capacity(user.len() + 1 + password.len());
    raw.extend_from_slice(user.as_bytes());
    raw.push(b':');
    raw.extend_from_slice(password);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
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
    if let Some((user, password)) = &cfg.basic_auth {
        let val = HeaderValue::from_str(&basic_auth_header(user, password))
            .map_err(|e| bad("Authorization", e.to_string()))?;
        headers.insert("Authorization", val);
    }
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
    // Build the TLS context before connecting: a bad configuration is not a network error.
    let connector = match (target.tls, &cfg.tls) {
        (true, Some(tls)) => Some(crate::tls::connector(tls)?),
        (true, None) => return Err(no_tls_config()),
        (false, _) => None,
    };
    let handshake = async {
        let stream = open_transport(&target, connector.as_ref()).await?;
        tokio_tungstenite::client_async_with_config(
            request,
            stream,
            Some(crate::websocket_config()),
        )
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
        tungstenite::Error::Http(resp) => NetError::HttpStatus {
            status: resp.status().as_u16(),
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
    fn parses_wss_urls() {
        let t = parse_target("wss://example.com/CP1").unwrap();
        assert!(t.tls);
        assert_eq!(t.port, 443);
        assert!(!parse_target("ws://example.com/CP1").unwrap().tls);
    }

    #[tokio::test]
    async fn wss_without_tls_config_never_falls_back_to_ws() {
        let err = connect(&ClientConfig::new("wss://127.0.0.1:1/CP1"))
            .await
            .err()
            .expect("refused");
        assert!(
            matches!(
                err,
                NetError::Tls {
                    kind: TlsErrorKind::Config,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn basic_auth_header_is_base64_of_user_colon_password() {
        // RFC 7617's example.
        assert_eq!(
            basic_auth_header("Aladdin", b"open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        let cfg = ClientConfig {
            basic_auth: Some(("CP001".into(), vec![0x00, 0xff, 0x41])),
            ..ClientConfig::new("ws://127.0.0.1:1/CP001")
        };
        let t = parse_target(&cfg.url).unwrap();
        let req = build_request(&cfg, &t).unwrap();
        // "CP001:" + 00 ff 41
        assert_eq!(req.headers()["Authorization"], "Basic Q1AwMDE6AP9B");
    }

    #[test]
    fn rejects_other_schemes() {
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
