//! The server side of the handshake, for the built-in Central System.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};

use crate::{NetError, Transport, WsConnection};

/// The byte stream under a server connection: plain TCP or TLS.
pub type ServerStream = Box<dyn Transport>;

/// A connection accepted by the server.
pub type ServerConnection = WsConnection<ServerStream>;

/// Checks HTTP Basic credentials: `(request path, Some((user, password)))`, or `None` for
/// the credentials when the request had no (readable) `Authorization: Basic` header.
pub type BasicAuthCheck<'a> = dyn Fn(&str, Option<(&str, &[u8])>) -> bool + Send + Sync + 'a;

/// What the handshake callback saw.
enum Seen {
    Accepted { path: String, proto: String },
    NoProtocol(Option<String>),
    Unauthorized(String),
}

/// `Authorization: Basic base64(user:password)` -> (user, password bytes).
fn basic_credentials(req: &Request) -> Option<(String, Vec<u8>)> {
    use base64::Engine;
    let value = req.headers().get("Authorization")?.to_str().ok()?;
    let (scheme, b64) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let colon = raw.iter().position(|&b| b == b':')?;
    let user = String::from_utf8(raw[..colon].to_vec()).ok()?;
    Some((user, raw[colon + 1..].to_vec()))
}

/// Complete the WebSocket handshake on an accepted TCP stream.
///
/// Selects the first of `subprotocols` (in our order of preference) that the client offers.
/// A client offering none of them, or no subprotocol at all, is refused with HTTP 400:
/// OCPP-J requires the subprotocol, and a Central System that silently accepted would let
/// a misconfigured station think it is talking OCPP.
///
/// The caller should bound this with a timeout: a client that never sends its request
/// would otherwise hold the task.
// tungstenite's callback signature fixes the large `ErrorResponse` error type.
#[allow(clippy::result_large_err)]
pub async fn accept(
    stream: TcpStream,
    subprotocols: &[&str],
) -> Result<ServerConnection, NetError> {
    let _ = stream.set_nodelay(true);
    accept_stream(Box::new(stream) as ServerStream, subprotocols, None).await
}

/// [`accept`] on any byte stream (e.g. TLS), optionally checking HTTP Basic credentials:
/// when `auth` refuses them the client gets HTTP 401 and this returns
/// [`NetError::Unauthorized`].
#[allow(clippy::result_large_err)]
pub async fn accept_stream<S>(
    stream: S,
    subprotocols: &[&str],
    auth: Option<&BasicAuthCheck<'_>>,
) -> Result<WsConnection<S>, NetError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut seen: Option<Seen> = None;
    let callback = |req: &Request, mut resp: Response| {
        if let Some(check) = auth {
            let creds = basic_credentials(req);
            let path = req.uri().path();
            if !check(
                path,
                creds.as_ref().map(|(u, p)| (u.as_str(), p.as_slice())),
            ) {
                seen = Some(Seen::Unauthorized(path.to_owned()));
                let mut e = ErrorResponse::new(Some("invalid or missing credentials".into()));
                *e.status_mut() = StatusCode::UNAUTHORIZED;
                e.headers_mut().insert(
                    "WWW-Authenticate",
                    HeaderValue::from_static("Basic realm=\"OCPP\""),
                );
                return Err(e);
            }
        }
        let offered = req
            .headers()
            .get_all("Sec-WebSocket-Protocol")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ");
        let chosen = subprotocols
            .iter()
            .find(|ours| offered.split(',').any(|p| p.trim() == **ours));
        let path = req.uri().path().to_owned();
        match chosen {
            Some(p) => {
                seen = Some(Seen::Accepted {
                    path,
                    proto: (*p).to_owned(),
                });
                // Subprotocol names are plain tokens; from_static-like parse cannot fail for
                // ours, but do not panic on a caller-supplied odd one.
                match HeaderValue::from_str(p) {
                    Ok(v) => {
                        resp.headers_mut().insert("Sec-WebSocket-Protocol", v);
                        Ok(resp)
                    }
                    Err(_) => Err(refusal("invalid server subprotocol")),
                }
            }
            None => {
                let offered = (!offered.is_empty()).then_some(offered);
                seen = Some(Seen::NoProtocol(offered));
                Err(refusal(
                    "no supported WebSocket subprotocol offered (expected ocpp1.6)",
                ))
            }
        }
    };
    let result = tokio_tungstenite::accept_hdr_async_with_config(
        stream,
        callback,
        Some(crate::websocket_config()),
    )
    .await;
    match (result, seen) {
        (Ok(ws), Some(Seen::Accepted { path, proto })) => {
            Ok(WsConnection::new(ws, path, proto, None))
        }
        (_, Some(Seen::NoProtocol(offered))) => Err(NetError::NoCommonSubprotocol { offered }),
        (_, Some(Seen::Unauthorized(path))) => Err(NetError::Unauthorized { path }),
        (Err(e), _) => Err(NetError::Handshake(e)),
        // tungstenite always runs the callback before succeeding; treat the impossible as a
        // refusal rather than panicking.
        (Ok(_), _) => Err(NetError::NoCommonSubprotocol { offered: None }),
    }
}

#[allow(clippy::result_large_err)]
fn refusal(reason: &str) -> ErrorResponse {
    let mut resp = ErrorResponse::new(Some(reason.to_owned()));
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    resp
}
