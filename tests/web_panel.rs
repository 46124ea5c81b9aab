//! The web panel's routes (DESIGN.md "The web panel"): `GET /` of a control address is the
//! station page with the stable hooks, `GET /api/events` streams the station's state and its
//! frames, `GET /api/configuration` lists the keys; a fleet's `GET /` is its table and each
//! station's page answers under its prefix. (What a person sees and does in the page is
//! tests/browser/'s, in a real Chromium.)

mod common;

use chargepoint::fleet::{Fleet, FleetOptions};
use chargepoint::runner::{Commander, Operation};
use common::*;
use serde_json::Value;
use std::time::Duration;

/// Serve `commander`'s control API on loopback; its base URL.
async fn serve(commander: Commander) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(chargepoint::control::serve(listener, commander));
    base
}

async fn get_text(url: &str) -> (reqwest::StatusCode, String, String) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_string())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

/// Read the event stream until it has sent an event `name` whose data contains `needle`;
/// that event's data.
async fn read_event(response: &mut reqwest::Response, name: &str, needle: &str) -> String {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + T;
    loop {
        for block in text.split("\n\n") {
            let event = block.lines().find_map(|l| l.strip_prefix("event: "));
            let data = block.lines().find_map(|l| l.strip_prefix("data: "));
            if let (Some(event), Some(data)) = (event, data) {
                if event == name && data.contains(needle) {
                    return data.to_string();
                }
            }
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, response.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!("no {name} event with {needle:?} (stream: {other:?}); got:\n{text}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_station_page_has_the_hooks_and_reaches_its_api_by_relative_urls() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let base = serve(h.station().commander()).await;

    let (status, kind, page) = get_text(&format!("{base}/")).await;
    assert!(status.is_success(), "{status}");
    assert!(kind.starts_with("text/html"), "{kind}");
    for hook in [
        r#"aria-label="OCPP log""#,
        ">Plug in<",
        ">Unplug<",
        ">Present card<",
        ">Stop<",
        "Id tag <input",
        "Cut power",
        "new EventSource(API + \"events\")",
        // At `/` the API is under api/.
        r#"data-api="api/""#,
        "HighTemperature",
    ] {
        assert!(page.contains(hook), "no {hook:?} in the page");
    }
    assert!(!page.contains("{{"), "a placeholder was left in the page");

    // Under a prefix (a fleet's /api/stations/{id}/panel), the API is beside the page.
    let (status, _, page) = get_text(&format!("{base}/api/panel")).await;
    assert!(status.is_success(), "{status}");
    assert!(page.contains(r#"data-api="""#));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_sends_the_state_and_each_new_frame() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let base = serve(h.station().commander()).await;

    let mut events = reqwest::get(format!("{base}/api/events")).await.unwrap();
    assert!(events.status().is_success());
    let kind = events.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(kind, "text/event-stream");
    // Nothing was kept before the first subscriber (the station did not ask to keep its
    // frames): the history is empty, the state is there at once.
    let history = read_event(&mut events, "frames", "").await;
    assert_eq!(history, "[]");
    let state: Value = serde_json::from_str(&read_event(&mut events, "state", ID).await).unwrap();
    assert_eq!(state["connectors"][0]["status"], "Available", "{state}");

    h.operate(1, Operation::Plug).await;
    let frame = read_event(&mut events, "frame", "Preparing").await;
    let frame: Value = serde_json::from_str(&frame).unwrap();
    assert_eq!(frame["direction"], "sent", "{frame}");
    assert!(frame["seq"].as_u64().unwrap() >= 1, "{frame}");
    let call: Value = serde_json::from_str(frame["text"].as_str().unwrap()).unwrap();
    assert_eq!(call[2], "StatusNotification", "{call}");
    // The Central System's answer comes through as well.
    read_event(&mut events, "frame", r#""received""#).await;
    read_event(&mut events, "state", "Preparing").await;

    // A second page gets the frames kept since the first subscribed.
    let mut again = reqwest::get(format!("{base}/api/events")).await.unwrap();
    read_event(&mut again, "frames", "StatusNotification").await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_route_lists_every_key_and_hides_write_only_values() {
    let mut h = Setup::default()
        .key("MeterValueSampleInterval", "120")
        .start()
        .await;
    h.booted().await;
    let base = serve(h.station().commander()).await;
    let keys: Vec<Value> = reqwest::get(format!("{base}/api/configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = |name: &str| {
        keys.iter()
            .find(|k| k["key"] == name)
            .unwrap_or_else(|| panic!("no {name} in {keys:?}"))
            .clone()
    };
    assert_eq!(key("MeterValueSampleInterval")["value"], "120");
    assert_eq!(key("MeterValueSampleInterval")["readonly"], false);
    assert_eq!(key("NumberOfConnectors")["readonly"], true);
    assert_eq!(key("AuthorizationKey")["value"], Value::Null);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_serves_its_table_and_each_station_page_under_its_prefix() {
    let cs = csms::CentralSystem::start(csms::CsmsConfig::default())
        .await
        .unwrap();
    let mut opts = FleetOptions::new(cs.base_url(), 2);
    opts.id_prefix = "WEB-".into();
    opts.ramp_per_s = 1000.0;
    let fleet = Fleet::start(&opts, |_| {}).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = chargepoint::fleet::router(fleet.view());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (status, kind, page) = get_text(&format!("{base}/")).await;
    assert!(status.is_success(), "{status}");
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(page.contains("Search stations"), "no search box");
    assert!(
        page.contains("fetch(\"api/stations\")"),
        "the table is not read relatively"
    );
    assert!(
        page.contains("/panel`"),
        "the ids do not link to the panels"
    );

    let (status, _, page) = get_text(&format!("{base}/api/stations/WEB-00002/panel")).await;
    assert!(status.is_success(), "{status}");
    assert!(page.contains(r#"aria-label="OCPP log""#));
    assert!(page.contains(r#"data-api="""#));
    // Its relative URLs land on that station's API.
    let mut events = reqwest::get(format!("{base}/api/stations/WEB-00002/events"))
        .await
        .unwrap();
    read_event(&mut events, "state", "WEB-00002").await;
    let (status, _, _) = get_text(&format!("{base}/api/stations/WEB-00009/panel")).await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);

    tokio::time::timeout(Duration::from_secs(10), fleet.shutdown())
        .await
        .expect("the fleet stops");
    cs.shutdown().await;
}
