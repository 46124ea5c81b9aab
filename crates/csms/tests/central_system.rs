//! The Central System against a fake station over real WebSockets on 127.0.0.1.

mod common;

use std::time::Duration;

use common::{start, FakeStation, T};
use csms::{AuthorizePolicy, CsmsConfig, CsmsError, CsmsEvent};
use ocpp::{ErrorCode, Frame, RegistrationStatus};
use serde_json::json;

#[tokio::test]
async fn boot_is_accepted_with_the_configured_interval() {
    let cs = start(CsmsConfig {
        heartbeat_interval: 42,
        ..Default::default()
    })
    .await;
    let mut st = FakeStation::join(&cs, "CP001").await;
    let boot = st.boot().await;
    assert_eq!(boot["status"], "Accepted");
    assert_eq!(boot["interval"], 42);
    assert!(boot["currentTime"].is_string());
    assert_eq!(cs.registration("CP001"), Some(RegistrationStatus::Accepted));
    let hb = st.ok("Heartbeat", json!({})).await;
    assert!(hb["currentTime"].is_string());
    assert_eq!(cs.frame_count("CP001"), 4);
    cs.shutdown().await;
}

#[tokio::test]
async fn pending_boot_then_accepted_on_reboot() {
    let cs = start(CsmsConfig {
        boot_status: RegistrationStatus::Pending,
        ..Default::default()
    })
    .await;
    let mut st = FakeStation::join(&cs, "CP001").await;
    assert_eq!(st.boot().await["status"], "Pending");
    assert_eq!(cs.registration("CP001"), Some(RegistrationStatus::Pending));
    // Not allowed while pending, but answered (and logged) to keep the link usable.
    st.ok("Heartbeat", json!({})).await;
    cs.set_boot_status(RegistrationStatus::Accepted);
    cs.set_heartbeat_interval(7);
    let boot = st.boot().await;
    assert_eq!(
        (boot["status"].as_str(), boot["interval"].as_i64()),
        (Some("Accepted"), Some(7))
    );
}

/// Answers every CALL from the CSMS with `answer(action, payload)`.
fn answering(mut st: FakeStation, answer: fn(&str, &serde_json::Value) -> String) {
    tokio::spawn(async move {
        while let Some(frame) = st.recv().await {
            if let Frame::Call(c) = frame {
                let text = answer(&c.action, &c.payload).replace("$ID", &c.unique_id);
                st.send(text).await;
            }
        }
    });
}

#[tokio::test]
async fn call_round_trip_typed_and_raw() {
    let cs = start(CsmsConfig::default()).await;
    let st = FakeStation::join(&cs, "CP001").await;
    answering(st, |action, payload| match action {
        "ClearCache" => r#"[3,"$ID",{"status":"Accepted"}]"#.into(),
        "Reset" if payload["type"] == "Hard" => r#"[3,"$ID",{"status":"Rejected"}]"#.into(),
        _ => r#"[4,"$ID","NotSupported","",{}]"#.into(),
    });
    let res = cs.call("CP001", ocpp::ClearCacheRequest {}).await.unwrap();
    assert_eq!(res.status, ocpp::ClearCacheStatus::Accepted);
    let raw = cs
        .call_raw("CP001", "Reset", json!({"type": "Hard"}))
        .await
        .unwrap();
    assert_eq!(raw, json!({"status": "Rejected"}));

    let mut events = cs.subscribe();
    let err = cs.call_raw("CP001", "Foo", json!({})).await.unwrap_err();
    match err {
        CsmsError::CallError(e) => assert_eq!(e.error_code, ErrorCode::NotSupported),
        other => panic!("expected CallError, got {other:?}"),
    }
    let seen = events.next_call_error("CP001", T).await.unwrap();
    assert_eq!(seen.error_code, ErrorCode::NotSupported);
}

#[tokio::test]
async fn answer_that_does_not_decode_is_a_decode_error() {
    let cs = start(CsmsConfig::default()).await;
    let st = FakeStation::join(&cs, "CP001").await;
    answering(st, |_, _| r#"[3,"$ID",{"status":"Maybe"}]"#.into());
    let err = cs
        .call("CP001", ocpp::ClearCacheRequest {})
        .await
        .unwrap_err();
    assert!(matches!(err, CsmsError::Decode(_)), "{err:?}");
}

#[tokio::test]
async fn unanswered_call_times_out_and_the_queue_moves_on() {
    let cs = start(CsmsConfig {
        call_timeout: Duration::from_millis(200),
        ..Default::default()
    })
    .await;
    let mut st = FakeStation::join(&cs, "CP001").await;
    let (first, second, ()) = tokio::join!(
        cs.call_raw("CP001", "ClearCache", json!({})),
        async {
            // Queued behind the first: must not reach the station before the first ends.
            tokio::time::sleep(Duration::from_millis(20)).await;
            cs.call_raw("CP001", "Reset", json!({"type": "Soft"})).await
        },
        async {
            let Some(Frame::Call(c1)) = st.recv().await else {
                panic!("first call")
            };
            assert_eq!(c1.action, "ClearCache");
            // Ignore it; the second arrives only after the first timed out.
            let Some(Frame::Call(c2)) = st.recv().await else {
                panic!("second call")
            };
            assert_eq!(c2.action, "Reset");
            st.send(format!(r#"[3,"{}",{{"status":"Accepted"}}]"#, c2.unique_id))
                .await;
            // A late answer to the first is ignored, not mistaken for anything.
            st.send(format!(r#"[3,"{}",{{"status":"Accepted"}}]"#, c1.unique_id))
                .await;
        }
    );
    assert!(matches!(first, Err(CsmsError::Timeout)), "{first:?}");
    assert_eq!(second.unwrap(), json!({"status": "Accepted"}));
}

#[tokio::test]
async fn calls_go_out_one_at_a_time_in_order() {
    let cs = start(CsmsConfig::default()).await;
    let mut st = FakeStation::join(&cs, "CP001").await;
    let calls = async {
        let a = cs.call_raw("CP001", "DataTransfer", json!({"vendorId": "1"}));
        let b = cs.call_raw("CP001", "DataTransfer", json!({"vendorId": "2"}));
        let c = cs.call_raw("CP001", "DataTransfer", json!({"vendorId": "3"}));
        tokio::join!(a, b, c)
    };
    let station = async {
        let mut order = Vec::new();
        for _ in 0..3 {
            let Some(Frame::Call(c)) = st.recv().await else {
                panic!("call")
            };
            // Nothing else may arrive while this one is unanswered.
            let extra = tokio::time::timeout(Duration::from_millis(100), st.conn.recv()).await;
            assert!(
                extra.is_err(),
                "second CALL while one outstanding: {extra:?}"
            );
            order.push(c.payload["vendorId"].as_str().unwrap().to_owned());
            st.send(format!(r#"[3,"{}",{{"status":"Accepted"}}]"#, c.unique_id))
                .await;
        }
        order
    };
    let ((a, b, c), order) = tokio::join!(calls, station);
    assert!(a.is_ok() && b.is_ok() && c.is_ok());
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(sorted, ["1", "2", "3"]);
}

#[tokio::test]
async fn invalid_frames_get_the_matching_call_error() {
    let cs = start(CsmsConfig::default()).await;
    let mut st = FakeStation::join(&cs, "CP001").await;
    let mut events = cs.subscribe();

    // Missing required field.
    let ans = st
        .call("BootNotification", json!({"chargePointModel": "DC50"}))
        .await;
    let Frame::CallError(e) = ans else {
        panic!("{ans:?}")
    };
    assert_eq!(e.error_code, ErrorCode::OccurenceConstraintViolation);
    assert!(
        e.error_description.contains("chargePointVendor"),
        "{}",
        e.error_description
    );

    // Wrong type.
    let ans = st.call("Heartbeat", json!([])).await;
    assert!(matches!(ans, Frame::CallError(_)), "{ans:?}");

    // A CALL frame that is not even well formed (payload missing).
    st.send(r#"[2,"bad1","Heartbeat"]"#.into()).await;
    let Some(Frame::CallError(e)) = st.recv().await else {
        panic!("CALLERROR")
    };
    assert_eq!(e.unique_id, "bad1");

    // The CSMS's answers are in the event stream too.
    let sent = events.next_sent("CP001", T).await.unwrap();
    assert!(matches!(sent, Frame::CallError(_)));
}

#[tokio::test]
async fn unknown_and_wrong_direction_actions() {
    let cs = start(CsmsConfig::default()).await;
    let mut st = FakeStation::join(&cs, "CP001").await;
    let Frame::CallError(e) = st.call("MakeCoffee", json!({})).await else {
        panic!()
    };
    assert_eq!(e.error_code, ErrorCode::NotImplemented);
    // Reset is OCPP, but Central System -> charge point only.
    let Frame::CallError(e) = st.call("Reset", json!({"type": "Hard"})).await else {
        panic!()
    };
    assert_eq!(e.error_code, ErrorCode::NotSupported);
}

#[tokio::test]
async fn transaction_ids_increase_and_stops_are_recorded() {
    let cs = start(CsmsConfig::default()).await;
    let mut a = FakeStation::join(&cs, "CPA").await;
    let mut b = FakeStation::join(&cs, "CPB").await;
    let t1 = a.start_tx(1, "TAG1", 100).await;
    let t2 = b.start_tx(1, "TAG2", 200).await;
    let t3 = a.start_tx(2, "TAG3", 300).await;
    assert_eq!(t1["transactionId"], 1);
    assert_eq!(t2["transactionId"], 2);
    assert_eq!(t3["transactionId"], 3);
    assert_eq!(t1["idTagInfo"]["status"], "Accepted");

    let stop = a
        .ok(
            "StopTransaction",
            json!({"transactionId": 1, "meterStop": 1500, "timestamp": "2024-05-01T11:00:00Z",
                   "reason": "Local", "idTag": "TAG1"}),
        )
        .await;
    assert_eq!(stop["idTagInfo"]["status"], "Accepted");
    // Without idTag there is no idTagInfo to give.
    let stop = b
        .ok(
            "StopTransaction",
            json!({"transactionId": 2, "meterStop": 250, "timestamp": "2024-05-01T11:00:00Z"}),
        )
        .await;
    assert!(stop.get("idTagInfo").is_none(), "{stop}");

    let txs = cs.transactions();
    assert_eq!(txs.len(), 3);
    let t = &txs[0];
    assert_eq!(
        (t.transaction_id, t.station.as_str(), t.connector_id),
        (1, "CPA", 1)
    );
    assert_eq!(
        (t.id_tag.as_str(), t.meter_start, t.meter_stop),
        ("TAG1", 100, Some(1500))
    );
    assert_eq!(t.stop_reason, Some(ocpp::Reason::Local));
    assert!(txs[1].is_stopped() && !txs[2].is_stopped());
}

#[tokio::test]
async fn authorize_list_policy() {
    let cs = start(CsmsConfig {
        authorize: AuthorizePolicy::List(vec!["GOOD".into()]),
        ..Default::default()
    })
    .await;
    let mut st = FakeStation::join(&cs, "CP001").await;
    let auth = |tag: &str| json!({ "idTag": tag });
    assert_eq!(
        st.ok("Authorize", auth("GOOD")).await["idTagInfo"]["status"],
        "Accepted"
    );
    assert_eq!(
        st.ok("Authorize", auth("BAD")).await["idTagInfo"]["status"],
        "Invalid"
    );
    // A refused tag still gets a transaction id, so the station can stop it.
    let tx = st.start_tx(1, "BAD", 0).await;
    assert_eq!(tx["idTagInfo"]["status"], "Invalid");
    assert_eq!(tx["transactionId"], 1);

    cs.set_authorize(AuthorizePolicy::AcceptAll);
    assert_eq!(
        st.ok("Authorize", auth("BAD")).await["idTagInfo"]["status"],
        "Accepted"
    );
}

#[tokio::test]
async fn other_notifications_get_their_answers() {
    let cs = start(CsmsConfig::default()).await;
    let mut st = FakeStation::join(&cs, "CP001").await;
    let empty = json!({});
    let status = json!({"connectorId": 1, "errorCode": "NoError", "status": "Available"});
    assert_eq!(st.ok("StatusNotification", status).await, empty);
    let mv = json!({"connectorId": 1, "meterValue": [{"timestamp": "2024-05-01T10:00:00Z",
        "sampledValue": [{"value": "12.5"}]}]});
    assert_eq!(st.ok("MeterValues", mv).await, empty);
    let dt = st.ok("DataTransfer", json!({"vendorId": "com.acme"})).await;
    assert_eq!(dt["status"], "UnknownVendorId");
    assert_eq!(
        st.ok("DiagnosticsStatusNotification", json!({"status": "Idle"}))
            .await,
        empty
    );
    assert_eq!(
        st.ok("FirmwareStatusNotification", json!({"status": "Idle"}))
            .await,
        empty
    );
    let sign = st
        .ok("SignCertificate", json!({"csr": "-----BEGIN CSR-----"}))
        .await;
    assert_eq!(sign["status"], "Rejected");
}

#[tokio::test]
async fn disconnect_closes_the_socket() {
    let cs = start(CsmsConfig::default()).await;
    let mut st = FakeStation::join(&cs, "CP001").await;
    let mut events = cs.subscribe();
    // The station keeps reading, as a real one does, so the close handshake completes.
    let (_, closed) = tokio::join!(cs.disconnect("CP001"), st.recv());
    assert!(closed.is_none(), "socket closed");
    assert!(!cs.is_connected("CP001"));
    assert!(events.disconnected("CP001", T).await);
    let err = cs
        .call_raw("CP001", "ClearCache", json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CsmsError::NotConnected(ref id) if id == "CP001"),
        "{err:?}"
    );
}

#[tokio::test]
async fn station_dropping_the_link_is_seen() {
    let cs = start(CsmsConfig::default()).await;
    let st = FakeStation::join(&cs, "CP001").await;
    let mut events = cs.subscribe();
    st.conn.close().await;
    assert!(events.disconnected("CP001", T).await);
    assert!(!cs.is_connected("CP001"));
}

#[tokio::test]
async fn any_path_ending_in_the_id_is_accepted() {
    let cs = start(CsmsConfig::default()).await;
    let host = format!("ws://{}", cs.local_addr());
    let _a = FakeStation::connect(&format!("{host}/CP1")).await;
    let _b = FakeStation::connect(&format!("{host}/a/b/CP2")).await;
    let _c = FakeStation::connect(&format!("{}/CP3", cs.base_url())).await;
    for id in ["CP1", "CP2", "CP3"] {
        cs.wait_connected(id, T).await.unwrap();
    }
    let mut ids = cs.connected_stations();
    ids.sort();
    assert_eq!(ids, ["CP1", "CP2", "CP3"]);
}

#[tokio::test]
async fn a_new_connection_replaces_the_old_one() {
    let cs = start(CsmsConfig::default()).await;
    let mut old = FakeStation::join(&cs, "CP001").await;
    let mut events = cs.subscribe();
    let mut new = FakeStation::connect(&format!("{}/CP001", cs.base_url())).await;
    assert!(old.recv().await.is_none(), "old socket closed");
    assert!(cs.is_connected("CP001"));
    assert_eq!(new.boot().await["status"], "Accepted");
    // The replaced session leaves quietly: no Disconnected for a station still connected.
    let saw_disconnect = events
        .find(Duration::from_millis(200), |ev| {
            matches!(ev, CsmsEvent::Disconnected { .. }).then_some(())
        })
        .await;
    assert!(saw_disconnect.is_none());
}

#[tokio::test]
async fn events_follow_the_conversation() {
    let cs = start(CsmsConfig::default()).await;
    let mut events = cs.subscribe();
    let mut st = FakeStation::connect(&format!("{}/CP001", cs.base_url())).await;
    let ev = events.next(T).await.unwrap();
    assert!(
        matches!(ev, CsmsEvent::Connected { ref station } if station == "CP001"),
        "{ev:?}"
    );
    st.boot().await;
    st.ok("Heartbeat", json!({})).await;
    let call = events.next_call("CP001", "Heartbeat", T).await.unwrap();
    assert_eq!(call.action, "Heartbeat");
    // Nothing else pending from this station.
    assert!(events
        .next_received("CP001", Duration::from_millis(100))
        .await
        .is_none());

    // Raw text to the station, e.g. a frame a test wants it to reject.
    cs.send_text("CP001", r#"[2,"x1","UnknownThing",{}]"#.into())
        .await
        .unwrap();
    let Some(Frame::Call(c)) = st.recv().await else {
        panic!("raw call")
    };
    assert_eq!(
        (c.unique_id.as_str(), c.action.as_str()),
        ("x1", "UnknownThing")
    );
    st.send(r#"[4,"x1","NotImplemented","",{}]"#.into()).await;
    let e = events.next_call_error("CP001", T).await.unwrap();
    assert_eq!(e.error_code, ErrorCode::NotImplemented);
}

#[tokio::test]
async fn errors_for_unknown_stations_and_shutdown() {
    let cs = start(CsmsConfig::default()).await;
    assert!(matches!(
        cs.call_raw("nobody", "ClearCache", json!({})).await,
        Err(CsmsError::NotConnected(_))
    ));
    assert!(matches!(
        cs.wait_connected("nobody", Duration::from_millis(50)).await,
        Err(CsmsError::Timeout)
    ));
    let mut st = FakeStation::join(&cs, "CP001").await;
    cs.shutdown().await;
    assert!(st.recv().await.is_none());
    assert!(!cs.is_connected("CP001"));
    // No longer listening.
    let refused = net::connect(&net::ClientConfig {
        connect_timeout: Duration::from_millis(500),
        ..net::ClientConfig::new(format!("{}/CP002", cs.base_url()))
    })
    .await;
    assert!(refused.is_err());
}
