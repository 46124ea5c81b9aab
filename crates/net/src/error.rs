use std::time::Duration;

/// Everything that can go wrong on the transport. Messages say what to check.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },

    #[error("unsupported URL scheme {0:?}: use ws:// or wss://")]
    UnsupportedScheme(String),

    /// TLS failed (`wss://`): `kind` tells a certificate problem from other failures.
    #[error("TLS: {kind}: {detail}")]
    Tls {
        kind: crate::TlsErrorKind,
        detail: String,
    },

    /// The server answered the handshake with an HTTP error, e.g. 401 for wrong or missing
    /// HTTP Basic credentials.
    #[error("server refused the WebSocket handshake with HTTP {status}")]
    HttpStatus { status: u16 },

    /// Server side: the client's HTTP Basic credentials were missing or wrong (answered 401).
    #[error("client at {path:?} sent missing or wrong HTTP Basic credentials")]
    Unauthorized { path: String },

    #[error("could not connect to {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },

    #[error("connecting to {addr} timed out after {after:?}")]
    ConnectTimeout { addr: String, after: Duration },

    /// The server completed (or tried to complete) the handshake without selecting the
    /// subprotocol we asked for. OCPP-J forbids talking to such a server.
    #[error("server did not accept subprotocol {wanted:?} (it answered {got:?})")]
    SubprotocolRefused { wanted: String, got: Option<String> },

    /// Server side: the client offered none of the subprotocols we speak.
    #[error("client offered no supported subprotocol (offered {offered:?})")]
    NoCommonSubprotocol { offered: Option<String> },

    #[error("invalid request header {name:?}: {reason}")]
    InvalidHeader { name: String, reason: String },

    #[error("WebSocket handshake failed: {0}")]
    Handshake(#[source] tokio_tungstenite::tungstenite::Error),

    /// No pong (nor any other frame) from the peer within two ping intervals.
    #[error("peer did not answer pings for {0:?}: link considered dead")]
    PingTimeout(Duration),

    #[error("WebSocket error: {0}")]
    Ws(#[from] tokio_tungstenite::tungstenite::Error),
}
