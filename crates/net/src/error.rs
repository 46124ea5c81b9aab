use std::time::Duration;

/// Everything that can go wrong on the transport. Messages say what to check.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },

    /// Only plain `ws://` is implemented so far; `wss://` comes with the TLS transport.
    #[error("unsupported URL scheme {0:?}: only ws:// is supported by this build")]
    UnsupportedScheme(String),

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
