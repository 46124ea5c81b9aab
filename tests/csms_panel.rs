//! The Central System panel's HTTP API (`chargepoint csms --http`), against a real station
//! connected over loopback: a request sent over HTTP reaches the station and its answer
//! comes back; an invalid one is refused with a 400 naming the field, and nothing goes out;
//! the page, its live feed, the frames and the schemas are served.

mod common;

use chargepoint::csms_panel::{self, RequestCheck};
use common::*;
use serde_json::{json, Value};

/// The panel for the harness's Central System on a free loopback port; its base URL.
async fn panel(h: &Harness, check: RequestCheck) -> String {
    let addr = csms_panel::start(([127, 0, 0, 1], 0).into(), h.csms.clone(), check)
        .await
        .expect("serve the panel on loopback");
    format!("http://{addr}")
}

async fn post_call(base: &str, station: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/stations/{station}/call"))
        .json(&body)
        .send()
        .await
        .expect("POST call");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("a JSON answer"))
}

async fn get_json(url: &str) -> (u16, Value) {
    let resp = reqwest::get(url).await.expect("GET");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("a JSON answer"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_sent_over_http_reaches_the_station_and_its_answer_comes_back() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let base = panel(&h, RequestCheck::find(None)).await;

    let (status, answer) = post_call(
        &base,
        ID,
        json!({"action": "GetConfiguration", "payload": {"key": ["HeartbeatInterval"]}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["kind"], "CALLRESULT", "{answer}");
    assert_eq!(
        answer["payload"]["configurationKey"][0]["key"], "HeartbeatInterval",
        "{answer}"
    );

    let (status, answer) = post_call(
        &base,
        ID,
        json!({"action": "RemoteStartTransaction", "payload": {"connectorId": 1, "idTag": "TAG-HTTP-1"}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer,
        json!({"kind": "CALLRESULT", "payload": {"status": "Accepted"}})
    );

    // Both exchanges are in the station's frames, each answer named by its CALL's action.
    let (status, frames) = get_json(&format!("{base}/api/stations/{ID}/frames")).await;
    assert_eq!(status, 200);
    let seen: Vec<(String, String, String)> = frames["frames"]
        .as_array()
        .expect("frames")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (s("dir"), s("kind"), s("action"))
        })
        .collect();
    for want in [
        ("sent", "CALL", "GetConfiguration"),
        ("received", "CALLRESULT", "GetConfiguration"),
        ("sent", "CALL", "RemoteStartTransaction"),
        ("received", "CALLRESULT", "RemoteStartTransaction"),
    ] {
        let want = (want.0.to_owned(), want.1.to_owned(), want.2.to_owned());
        assert!(seen.contains(&want), "{want:?} not in {seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_request_is_refused_naming_the_field_and_nothing_is_sent() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    // Both checks: the official schemas (when found here) and the typed fallback.
    for check in [RequestCheck::find(None), RequestCheck::Typed] {
        let source = check.source();
        let base = panel(&h, check).await;
        let mut events = h.csms.subscribe();
        let refused = [
            (json!({"connectorId": 1}), "idTag"),
            (json!({"idTag": "A", "connectorId": "abc"}), "connectorId"),
            (json!({"idTag": "A", "colour": "red"}), "colour"),
        ];
        for (payload, field) in refused {
            let body = json!({"action": "RemoteStartTransaction", "payload": payload});
            let (status, answer) = post_call(&base, ID, body).await;
            assert_eq!(status, 400, "{source}: {payload} -> {answer}");
            assert_eq!(answer["field"], field, "{source}: {answer}");
            let error = answer["error"].as_str().unwrap_or_default();
            assert!(error.contains(field), "{source}: {answer}");
        }
        // A station's own request, or none at all, is no request to send.
        for action in ["BootNotification", "Nonsense"] {
            let body = json!({"action": action, "payload": {}});
            let (status, answer) = post_call(&base, ID, body).await;
            assert_eq!(status, 400, "{action}: {answer}");
            assert_eq!(answer["field"], "action", "{answer}");
        }
        let (status, _) = post_call(&base, ID, json!({"payload": {}})).await;
        assert_eq!(status, 400);
        assert!(
            events.next_sent(ID, QUIET).await.is_none(),
            "{source}: a refused request went out"
        );
        // A valid request to a station that is not connected is a conflict, not a 400.
        let body = json!({"action": "ClearCache", "payload": {}});
        let (status, answer) = post_call(&base, "NO-SUCH-STATION", body).await;
        assert_eq!(status, 409, "{answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_its_live_feed_and_the_schemas_are_served() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let check = RequestCheck::find(None);
    let with_schemas = matches!(check, RequestCheck::Schemas(_));
    let base = panel(&h, check).await;

    let page = reqwest::get(format!("{base}/")).await.expect("GET /");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("the page");
    for hook in [
        r#"aria-label="OCPP log""#,
        r#"aria-label="Answer""#,
        "<caption>Stations</caption>",
        ">Send</button>",
    ] {
        assert!(html.contains(hook), "{hook} missing from the page");
    }
    for asset in ["panel.js", "schema_form.js", "panel.css"] {
        let resp = reqwest::get(format!("{base}/assets/{asset}"))
            .await
            .expect("GET asset");
        assert_eq!(resp.status(), 200, "{asset}");
    }

    // The live feed opens with a snapshot that has the station and its connectors.
    let mut feed = reqwest::get(format!("{base}/api/events"))
        .await
        .expect("GET /api/events");
    assert_eq!(
        feed.headers()["content-type"].to_str().unwrap_or_default(),
        "text/event-stream"
    );
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(T, feed.chunk())
            .await
            .expect("the first event in time")
            .expect("the stream")
            .expect("a chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.starts_with("event: snapshot\n"), "{text}");
    let data = text
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("data");
    let snapshot: Value = serde_json::from_str(data).expect("JSON data");
    let station = &snapshot["stations"][0];
    assert_eq!(station["id"], ID, "{snapshot}");
    assert_eq!(station["connected"], true, "{snapshot}");

    // A change follows as its own event: a new status of connector 1.
    h.operate(1, chargepoint::runner::Operation::Plug).await;
    let deadline = tokio::time::Instant::now() + T;
    while !text.contains("event: station\n") {
        let chunk = tokio::time::timeout_at(deadline, feed.chunk())
            .await
            .expect("the new status in time")
            .expect("the stream")
            .expect("a chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains(r#""status":"Preparing""#), "{text}");
    assert!(text.contains("event: frame\n"), "{text}");
    let (_, state) = get_json(&format!("{base}/api/state")).await;
    // The panel came after the boot: connector 1 is the one status it has seen.
    assert_eq!(
        state["stations"][0]["connectors"],
        json!([{"connectorId": 1, "status": "Preparing", "errorCode": "NoError",
            "at": state["stations"][0]["connectors"][0]["at"]}]),
        "{state}"
    );

    let (status, actions) = get_json(&format!("{base}/api/actions")).await;
    assert_eq!(status, 200);
    assert_eq!(actions["schemas"], with_schemas);
    let count: usize = actions["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["actions"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(count, 26, "{actions}");
    let (status, schema) = get_json(&format!("{base}/api/schemas/RemoteStartTransaction")).await;
    if with_schemas {
        assert_eq!(status, 200);
        assert_eq!(schema["required"], json!(["idTag"]), "{schema}");
        // `$ref`s are inlined for the page.
        assert!(!schema.to_string().contains("$ref"), "{schema}");
    } else {
        assert_eq!(status, 404, "{schema}");
    }
    let (status, _) = get_json(&format!("{base}/api/schemas/BootNotification")).await;
    assert_eq!(status, 404);
}
