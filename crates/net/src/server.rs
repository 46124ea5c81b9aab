//! The server side of the handshake, for the built-in Central System.

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};

use crate::{NetError, WsConnection};

/// A connection accepted by the server.
pub type ServerConnection = WsConnection<TcpStream>;

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
    let mut seen: Option<(String, Result<String, Option<String>>)> = None;
    let callback = |req: &Request, mut resp: Response| {
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
                seen = Some((path, Ok((*p).to_owned())));
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
                seen = Some((path, Err(offered)));
                Err(refusal(
                    "no supported WebSocket subprotocol offered (expected ocpp1.6)",
                ))
            }
        }
    };
    let result = tokio_tungstenite::accept_hdr_async(stream, callback).await;
    match (result, seen) {
        (Ok(ws), Some((path, Ok(proto)))) => Ok(WsConnection::new(ws, path, proto, None)),
        (_, Some((_, Err(offered)))) => Err(NetError::NoCommonSubprotocol { offered }),
        (Err(e), _) => Err(NetError::Handshake(e)),
        // tungstenite always runs the callback before succeeding; treat the impossible as a
        // refusal rather than panicking.
        (Ok(_), None) => Err(NetError::NoCommonSubprotocol { offered: None }),
    }
}

#[allow(clippy::result_large_err)]
fn refusal(reason: &str) -> ErrorResponse {
    let mut resp = ErrorResponse::new(Some(reason.to_owned()));
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    resp
}
