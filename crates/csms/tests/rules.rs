//! The Central System judges the stations that talk to it: OCPP-J rule breaks become
//! warnings and `CsmsEvent::Violation`s while the station still gets its answers. Also the
//! listener's ways of taking connections: wss and ws on one address, and refusing for a
//! while (a station put offline).

use std::time::Duration;

use csms::{CentralSystem, CsmsConfig, CsmsEvent, Rule};
use futures_util::{SinkExt, StreamExt};
use net::{ClientConfig, Connection, TlsClientConfig, TlsServerConfig};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

const T: Duration = Duration::from_secs(5);

async fn connect(url: String) -> Connection {
    net::connect(&ClientConfig::new(url))
        .await
        .expect("connects")
}

fn boot() -> String {
    r#"[2,"b1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#.into()
}

fn start(id: &str, meter: i32) -> String {
    format!(
        r#"[2,"{id}","StartTransaction",{{"connectorId":1,"idTag":"TAG","meterStart":{meter},"timestamp":"2026-01-01T00:00:00Z"}}]"#
    )
}

fn stop(id: &str, tx: i32) -> String {
    format!(
        r#"[2,"{id}","StopTransaction",{{"transactionId":{tx},"meterStop":10,"timestamp":"2026-01-01T01:00:00Z"}}]"#
    )
}

/// The next violation the Central System reports, if any within `T`.
async fn violation(events: &mut csms::Events) -> Option<(Rule, String)> {
    events
        .find(T, |ev| match ev {
            CsmsEvent::Violation { rule, frame, .. } => Some((rule, frame)),
            _ => None,
        })
        .await
}

async fn answered(conn: &mut Connection) -> String {
    tokio::time::timeout(T, conn.recv())
        .await
        .expect("an answer in time")
        .expect("a frame")
        .expect("open")
}

#[tokio::test]
async fn a_second_stop_transaction_on_the_same_connection_is_a_violation() {
    let cs = CentralSystem::start(CsmsConfig::default()).await.unwrap();
    let mut events = cs.subscribe();
    let mut conn = connect(format!("{}/CP1", cs.base_url())).await;
    conn.send(boot()).await.unwrap();
    answered(&mut conn).await;
    conn.send(start("s1", 0)).await.unwrap();
    let tx = answered(&mut conn).await;
    assert!(tx.contains(r#""transactionId":1"#), "{tx}");
    conn.send(stop("p1", 1)).await.unwrap();
    answered(&mut conn).await;
    conn.send(stop("p2", 1)).await.unwrap();
    let second = answered(&mut conn).await;
    assert!(second.starts_with(r#"[3,"p2""#), "still answered: {second}");
    let (rule, frame) = violation(&mut events).await.expect("a violation");
    assert_eq!(rule, Rule::RepeatedStop);
    assert!(frame.contains(r#""p2""#), "{frame}");
}

#[tokio::test]
async fn a_stop_repeated_after_a_reconnect_is_a_retransmission_and_an_unknown_id_a_violation() {
    let cs = CentralSystem::start(CsmsConfig::default()).await.unwrap();
    let mut events = cs.subscribe();
    let mut conn = connect(format!("{}/CP1", cs.base_url())).await;
    conn.send(boot()).await.unwrap();
    answered(&mut conn).await;
    conn.send(start("s1", 0)).await.unwrap();
    answered(&mut conn).await;
    conn.send(stop("p1", 1)).await.unwrap();
    answered(&mut conn).await;
    conn.close().await;
    let mut conn = connect(format!("{}/CP1", cs.base_url())).await;
    conn.send(stop("p1", 1)).await.unwrap();
    answered(&mut conn).await;
    conn.send(stop("p2", 42)).await.unwrap();
    answered(&mut conn).await;
    let (rule, frame) = violation(&mut events).await.expect("a violation");
    assert_eq!(rule, Rule::UnknownTransaction, "{frame}");
    assert!(frame.contains("42"), "{frame}");
}

#[tokio::test]
async fn a_call_sent_before_the_previous_one_was_answered_is_a_violation() {
    let cs = CentralSystem::start(CsmsConfig::default()).await.unwrap();
    let mut events = cs.subscribe();
    let mut req = format!("{}/CP1", cs.base_url())
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", "ocpp1.6".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    // Both StartTransactions go out in one write, before any answer: the second one is
    // already at the Central System when it answers the first.
    ws.feed(Message::text(start("s1", 0))).await.unwrap();
    ws.feed(Message::text(start("s2", 5))).await.unwrap();
    ws.flush().await.unwrap();
    for _ in 0..2 {
        let answer = tokio::time::timeout(T, ws.next()).await.unwrap();
        assert!(matches!(answer, Some(Ok(Message::Text(_)))), "{answer:?}");
    }
    let (rule, frame) = violation(&mut events).await.expect("a violation");
    assert_eq!(rule, Rule::CallInFlight);
    assert!(frame.contains(r#""s2""#), "{frame}");
}

#[tokio::test]
async fn a_call_that_fails_its_schema_is_answered_and_reported() {
    let cs = CentralSystem::start(CsmsConfig::default()).await.unwrap();
    let mut events = cs.subscribe();
    let mut conn = connect(format!("{}/CP1", cs.base_url())).await;
    conn.send(r#"[2,"h1","Heartbeat",{"extra":1}]"#.into())
        .await
        .unwrap();
    let answer = answered(&mut conn).await;
    assert!(answer.starts_with(r#"[4,"h1""#), "{answer}");
    let (rule, _) = violation(&mut events).await.expect("a violation");
    assert_eq!(rule, Rule::InvalidCall);
}

#[tokio::test]
async fn a_well_behaved_station_breaks_no_rule() {
    let cs = CentralSystem::start(CsmsConfig::default()).await.unwrap();
    let mut events = cs.subscribe();
    let mut conn = connect(format!("{}/CP1", cs.base_url())).await;
    for frame in [boot(), start("s1", 0), stop("p1", 1)] {
        conn.send(frame).await.unwrap();
        answered(&mut conn).await;
    }
    let found = events
        .find(Duration::from_millis(300), |ev| match ev {
            CsmsEvent::Violation { rule, .. } => Some(rule),
            _ => None,
        })
        .await;
    assert_eq!(found, None);
}

#[tokio::test]
async fn one_address_serves_ws_and_wss() {
    let pki = certs::pki::TestPki::generate("CP1", 1).unwrap();
    let cfg = CsmsConfig {
        tls: Some(TlsServerConfig::new(
            pki.csms.cert_pem.clone(),
            pki.csms.key_pem.clone(),
        )),
        sniff_tls: true,
        ..CsmsConfig::default()
    };
    let cs = CentralSystem::start(cfg).await.unwrap();
    let addr = cs.local_addr();
    let mut plain = connect(format!("ws://{addr}/ocpp/CP1")).await;
    plain.send(boot()).await.unwrap();
    answered(&mut plain).await;
    assert_eq!(cs.link_security("CP1").map(|l| l.tls), Some(false));
    plain.close().await;

    let tls = ClientConfig {
        tls: Some(TlsClientConfig {
            roots_pem: vec![pki.ca.root.cert_pem.clone()],
            ..TlsClientConfig::default()
        }),
        ..ClientConfig::new(format!("wss://localhost:{}/ocpp/CP2", addr.port()))
    };
    let mut secure = net::connect(&tls).await.expect("wss connects");
    secure.send(boot()).await.unwrap();
    answered(&mut secure).await;
    assert_eq!(cs.link_security("CP2").map(|l| l.tls), Some(true));
}

#[tokio::test]
async fn while_not_accepting_a_station_cannot_connect() {
    let cs = CentralSystem::start(CsmsConfig::default()).await.unwrap();
    cs.set_accepting(false);
    let url = format!("{}/CP1", cs.base_url());
    assert!(net::connect(&ClientConfig::new(url.clone())).await.is_err());
    cs.set_accepting(true);
    connect(url).await;
    assert!(cs.wait_connected("CP1", T).await.is_ok());
    assert_eq!(cs.reached_at("CP1"), Some(cs.local_addr()));
}
