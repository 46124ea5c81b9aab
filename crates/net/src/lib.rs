//! The WebSocket transport of the charge point and of the built-in Central System.
//!
//! This is the only crate that does network IO. It knows nothing about OCPP messages: it
//! moves text frames, negotiates the `ocpp1.6` subprotocol, keeps the link alive with pings
//! and computes reconnect delays. Everything above it deals in `String`s.
//!
//! - [`connect`] opens a client [`Connection`] from a [`ClientConfig`].
//! - [`accept`] completes the server side of the handshake on an accepted TCP stream.
//! - Both return the same [`WsConnection`] type, so `recv`/`send`/`close` behave identically.
//! - [`Backoff`] is the pure reconnect-delay logic (no clock, no sleeping).

mod backoff;
mod client;
mod connection;
mod error;
mod server;
mod tls;

pub use backoff::Backoff;
pub use client::{basic_auth_header, connect, ClientConfig, ClientStream, Transport};
pub use connection::WsConnection;
pub use error::NetError;
pub use server::{accept, accept_stream, BasicAuthCheck, ServerConnection, ServerStream};
pub use tls::{
    peer_certificate_pem, peer_common_name, TlsAcceptor, TlsClientConfig, TlsErrorKind,
    TlsServerConfig, OCPP_TLS12_CIPHERS, OCPP_TLS13_CIPHERSUITES,
};

/// The WebSocket subprotocol name OCPP 1.6-J requires on both sides of the handshake.
pub const OCPP16: &str = "ocpp1.6";

/// The WebSocket buffers of every connection, both sides. tungstenite's defaults (128 KiB
/// to read, 128 KiB before a write goes out) cost about 150 KiB per connection; OCPP frames
/// are small and each is sent on its own, so a 4 KiB read buffer (it grows for a larger
/// frame) and eager writes do. With thousands of stations in one process (a fleet) or on
/// one Central System this is most of the memory.
pub(crate) fn websocket_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
}

/// A client connection (the charge point side).
pub type Connection = WsConnection<ClientStream>;
