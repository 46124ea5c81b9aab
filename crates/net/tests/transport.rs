//! End-to-end transport tests on 127.0.0.1 with ephemeral ports.
#![allow(clippy::result_large_err)] // tungstenite handshake callbacks return a large error type

use std::time::Duration;

use futures_util::StreamExt;
use net::{accept, connect, ClientConfig, NetError, ServerConnection, OCPP16};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", l.local_addr().unwrap());
    (l, url)
}

async fn accept_one(l: &TcpListener) -> Result<ServerConnection, NetError> {
    let (tcp, _) = l.accept().await.unwrap();
    accept(tcp, &[OCPP16]).await
}

fn cfg(url: String) -> ClientConfig {
    ClientConfig {
        ping_interval: None,
        ..ClientConfig::new(url)
    }
}

#[tokio::test]
async fn text_round_trip_and_path() {
    let (l, base) = listener().await;
    let server = tokio::spawn(async move {
        let mut conn = accept_one(&l).await.unwrap();
        assert_eq!(conn.path(), "/ocpp/CP001");
        assert_eq!(conn.subprotocol(), "ocpp1.6");
        while let Some(text) = conn.recv().await.unwrap() {
            conn.send(format!("echo:{text}")).await.unwrap();
        }
    });
    let mut client = connect(&cfg(format!("{base}/ocpp/CP001"))).await.unwrap();
    assert_eq!(client.path(), "/ocpp/CP001");
    assert_eq!(client.subprotocol(), "ocpp1.6");
    for i in 0..3 {
        client
            .send(format!("[2,\"{i}\",\"Heartbeat\",{{}}]"))
            .await
            .unwrap();
        let got = client.recv().await.unwrap().unwrap();
        assert_eq!(got, format!("echo:[2,\"{i}\",\"Heartbeat\",{{}}]"));
    }
    client.close().await;
    server.await.unwrap();
}

#[tokio::test]
async fn client_refuses_server_without_subprotocol() {
    let (l, base) = listener().await;
    tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        // A plain server that ignores the requested subprotocol.
        let _ws = tokio_tungstenite::accept_async(tcp).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
    let err = connect(&cfg(format!("{base}/CP001"))).await.err().unwrap();
    assert!(
        matches!(err, NetError::SubprotocolRefused { ref wanted, .. } if wanted == "ocpp1.6"),
        "{err}"
    );
}

#[tokio::test]
async fn server_refuses_client_without_ocpp16() {
    let (l, base) = listener().await;
    let server = tokio::spawn(async move { accept_one(&l).await });
    let mut req = format!("{base}/CP001").into_client_request().unwrap();
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", "ocpp2.0.1".parse().unwrap());
    let err = tokio_tungstenite::connect_async(req).await.err().unwrap();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status(), 400),
        other => panic!("expected HTTP 400, got {other}"),
    }
    let server_err = server.await.unwrap().err().unwrap();
    assert!(
        matches!(server_err, NetError::NoCommonSubprotocol { offered: Some(ref o) } if o == "ocpp2.0.1"),
        "{server_err}"
    );
}

#[tokio::test]
async fn server_picks_ocpp16_from_several_offers() {
    let (l, base) = listener().await;
    let server =
        tokio::spawn(async move { accept_one(&l).await.unwrap().subprotocol().to_owned() });
    let mut req = format!("{base}/CP001").into_client_request().unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "ocpp2.0.1, ocpp1.6".parse().unwrap(),
    );
    let (_ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(resp.headers()["Sec-WebSocket-Protocol"], "ocpp1.6");
    assert_eq!(server.await.unwrap(), "ocpp1.6");
}

#[tokio::test]
async fn clean_close_reads_as_none_both_ways() {
    let (l, base) = listener().await;
    let server = tokio::spawn(async move {
        let mut conn = accept_one(&l).await.unwrap();
        assert_eq!(conn.recv().await.unwrap(), None);
        // Dropping ends the TCP connection, which is what the closing client waits for.
        drop(conn);
        let mut conn = accept_one(&l).await.unwrap();
        conn.send("bye".into()).await.unwrap();
        conn.close().await;
    });
    let client = connect(&cfg(format!("{base}/A"))).await.unwrap();
    client.close().await;
    let mut client = connect(&cfg(format!("{base}/B"))).await.unwrap();
    assert_eq!(client.recv().await.unwrap().as_deref(), Some("bye"));
    assert_eq!(client.recv().await.unwrap(), None);
    server.await.unwrap();
}

#[tokio::test]
async fn pings_keep_an_idle_link_up() {
    let (l, base) = listener().await;
    let server = tokio::spawn(async move {
        let mut conn = accept_one(&l).await.unwrap();
        // Reading is what answers the client's pings; send after 6 ping intervals.
        let late = tokio::time::sleep(Duration::from_millis(600));
        tokio::pin!(late);
        loop {
            tokio::select! {
                msg = conn.recv() => if msg.unwrap().is_none() { break },
                _ = &mut late => {
                    conn.send("still here".into()).await.unwrap();
                    late.as_mut().reset(tokio::time::Instant::now() + Duration::from_secs(3600));
                }
            }
        }
    });
    let mut client = connect(&ClientConfig {
        ping_interval: Some(Duration::from_millis(100)),
        ..ClientConfig::new(format!("{base}/CP001"))
    })
    .await
    .unwrap();
    assert_eq!(client.recv().await.unwrap().as_deref(), Some("still here"));
    client.close().await;
    server.await.unwrap();
}

#[tokio::test]
async fn silent_peer_is_a_dead_link() {
    let (l, base) = listener().await;
    let (hold_tx, hold_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        // Handshake, then never read: our pings go unanswered.
        let _conn = accept_one(&l).await.unwrap();
        let _ = hold_rx.await;
    });
    let mut client = connect(&ClientConfig {
        ping_interval: Some(Duration::from_millis(100)),
        ..ClientConfig::new(format!("{base}/CP001"))
    })
    .await
    .unwrap();
    let res = tokio::time::timeout(Duration::from_secs(2), client.recv())
        .await
        .expect("recv should fail, not hang");
    assert!(matches!(res, Err(NetError::PingTimeout(_))), "{res:?}");
    drop(hold_tx);
}

#[tokio::test]
async fn recv_is_cancel_safe() {
    let (l, base) = listener().await;
    tokio::spawn(async move {
        let mut conn = accept_one(&l).await.unwrap();
        for i in 0..50 {
            conn.send(i.to_string()).await.unwrap();
            if i % 7 == 0 {
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        }
        let _ = conn.recv().await;
    });
    let mut client = connect(&cfg(format!("{base}/CP001"))).await.unwrap();
    let mut got = Vec::new();
    while got.len() < 50 {
        tokio::select! {
            msg = client.recv() => got.push(msg.unwrap().unwrap().parse::<i32>().unwrap()),
            _ = tokio::time::sleep(Duration::from_micros(200)) => {}
        }
    }
    assert_eq!(got, (0..50).collect::<Vec<_>>());
}

#[tokio::test]
async fn extra_headers_reach_the_server() {
    let (l, base) = listener().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let mut auth = None;
        let cb =
            |req: &tokio_tungstenite::tungstenite::handshake::server::Request,
             mut resp: tokio_tungstenite::tungstenite::handshake::server::Response| {
                auth = req
                    .headers()
                    .get("Authorization")
                    .map(|v| v.to_str().unwrap().to_owned());
                resp.headers_mut()
                    .insert("Sec-WebSocket-Protocol", "ocpp1.6".parse().unwrap());
                Ok(resp)
            };
        let mut ws = tokio_tungstenite::accept_hdr_async(tcp, cb).await.unwrap();
        let _ = ws.next().await;
        auth
    });
    let client = connect(&ClientConfig {
        extra_headers: vec![("Authorization".into(), "Basic dXNlcjpwdw==".into())],
        ..cfg(format!("{base}/CP001"))
    })
    .await
    .unwrap();
    client.close().await;
    assert_eq!(server.await.unwrap().as_deref(), Some("Basic dXNlcjpwdw=="));
}

#[tokio::test]
async fn connect_errors_are_specific() {
    let err = connect(&cfg("http://127.0.0.1:1/CP001".into()))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, NetError::UnsupportedScheme(_)), "{err}");
    // wss:// without a TLS configuration: an error, never a fallback to ws://.
    let err = connect(&cfg("wss://127.0.0.1:1/CP001".into()))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, NetError::Tls { .. }), "{err}");

    // Nobody listening on a freshly released port.
    let (l, base) = listener().await;
    drop(l);
    let err = connect(&cfg(format!("{base}/CP001"))).await.err().unwrap();
    assert!(matches!(err, NetError::Connect { .. }), "{err}");

    // A listener that accepts TCP but never answers the handshake.
    let (l, base) = listener().await;
    let err = connect(&ClientConfig {
        connect_timeout: Duration::from_millis(200),
        ..cfg(format!("{base}/CP001"))
    })
    .await
    .err()
    .unwrap();
    assert!(matches!(err, NetError::ConnectTimeout { .. }), "{err}");
    drop(l);
}
