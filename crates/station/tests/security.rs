//! The security extension's station-side bookkeeping on the bare state machine: security
//! events (log, durable notification of the critical ones), the security keys and
//! ExtendedTriggerMessage. Certificates and SignCertificate: tests/certificates.rs.

mod harness;

use harness::*;
use ocpp::Frame;
use serde_json::{json, Value};
use station::{Input, Output, SecurityEvent, Station, StationConfig};

const KEY: &str = "00112233445566778899aabbccddeeff";

fn booted() -> Harness {
    let mut h = Harness::new();
    h.boot();
    h
}

fn event(kind: SecurityEvent, info: &str) -> Input {
    Input::SecurityEvent {
        kind,
        tech_info: Some(info.to_string()),
    }
}

fn logged(h: &Harness) -> Vec<String> {
    h.station
        .security_log()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

fn change(h: &mut Harness, key: &str, value: &str) -> String {
    let answer = h.csms_call("ChangeConfiguration", json!({"key": key, "value": value}));
    result_payload(answer)["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn startup_of_the_device_is_sent_once_at_power_up_and_logged() {
    let mut h = Harness::new();
    let calls = h.boot();
    let events: Vec<&Value> = calls
        .iter()
        .filter(|c| c.action == "SecurityEventNotification")
        .map(|c| &c.payload)
        .collect();
    assert_eq!(events.len(), 1, "{calls:?}");
    assert_eq!(events[0]["type"], "StartupOfTheDevice");
    assert_eq!(
        events[0]["timestamp"],
        ocpp::datetime::format(&t0()),
        "the time the run started"
    );
    assert_eq!(logged(&h), ["StartupOfTheDevice"]);
    // A triggered BootNotification later is no new startup.
    h.csms_call(
        "TriggerMessage",
        json!({"requestedMessage": "BootNotification"}),
    );
    let again = h.answer_all();
    assert!(
        again
            .iter()
            .all(|c| c.action != "SecurityEventNotification"),
        "{again:?}"
    );
    // Nor is a reconnection.
    h.input(Input::Disconnected);
    h.input(Input::Connected);
    let calls = h.answer_all();
    assert!(calls
        .iter()
        .all(|c| c.action != "SecurityEventNotification"));
}

#[test]
fn reset_or_reboot_after_a_reset_instead_of_startup() {
    let mut h = booted();
    result_payload(h.csms_call("Reset", json!({"type": "Soft"})));
    assert_eq!(h.resets, vec![false]);
    h.restart([1000.0, 5000.0]);
    let calls = h.boot();
    let events: Vec<&Value> = calls
        .iter()
        .filter(|c| c.action == "SecurityEventNotification")
        .map(|c| &c.payload)
        .collect();
    assert_eq!(events.len(), 1, "{calls:?}");
    assert_eq!(events[0]["type"], "ResetOrReboot");
    assert_eq!(events[0]["techInfo"], "SoftReset");
    assert_eq!(logged(&h), ["StartupOfTheDevice", "ResetOrReboot"]);
}

#[test]
fn critical_event_while_offline_is_delivered_after_reconnect() {
    let mut h = booted();
    h.input(Input::Disconnected);
    h.advance(5);
    h.input(event(SecurityEvent::TamperDetectionActivated, "lid opened"));
    h.expect_no_call();
    h.advance(30);
    h.input(Input::Connected);
    let calls = h.answer_all();
    let sec: Vec<_> = calls
        .iter()
        .filter(|c| c.action == "SecurityEventNotification")
        .collect();
    assert_eq!(sec.len(), 1, "{calls:?}");
    assert_eq!(sec[0].payload["type"], "TamperDetectionActivated");
    assert_eq!(sec[0].payload["techInfo"], "lid opened");
    assert_eq!(
        sec[0].payload["timestamp"],
        ocpp::datetime::format(&(t0() + chrono::Duration::seconds(5))),
        "the time it happened, not the time it was sent"
    );
    // Delivered: not sent again.
    h.input(Input::Disconnected);
    h.input(Input::Connected);
    assert!(h
        .answer_all()
        .iter()
        .all(|c| c.action != "SecurityEventNotification"));
}

#[test]
fn critical_events_survive_a_power_loss_with_sqlite_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("station.db");
    let mut h = Harness::with_store(Box::new(store::SqliteStore::open(&path).unwrap()), t0());
    h.boot();
    h.input(Input::Disconnected);
    h.input(event(SecurityEvent::MemoryExhaustion, "first"));
    h.input(event(SecurityEvent::TamperDetectionActivated, "second"));
    h.input(event(SecurityEvent::InvalidTLSVersion, "not critical"));
    drop(h);

    // Power loss: a new process opens the same file.
    let later = t0() + chrono::Duration::seconds(600);
    let mut h = Harness::with_store(Box::new(store::SqliteStore::open(&path).unwrap()), later);
    let calls = h.boot();
    let sec: Vec<(String, String)> = calls
        .iter()
        .filter(|c| c.action == "SecurityEventNotification")
        .map(|c| {
            (
                c.payload["type"].as_str().unwrap().to_string(),
                c.payload["techInfo"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        sec,
        [
            ("MemoryExhaustion".to_string(), "first".to_string()),
            ("TamperDetectionActivated".to_string(), "second".to_string()),
            ("StartupOfTheDevice".to_string(), String::new()),
        ]
    );
    assert_eq!(
        logged(&h),
        [
            "StartupOfTheDevice",
            "MemoryExhaustion",
            "TamperDetectionActivated",
            "InvalidTLSVersion",
            "StartupOfTheDevice"
        ]
    );
}

#[test]
fn non_critical_events_are_only_logged() {
    let mut h = booted();
    let notified = SecurityEvent::InvalidCentralSystemCertificate;
    for kind in SecurityEvent::ALL
        .iter()
        .filter(|k| !k.is_critical() && **k != notified)
    {
        h.input(event(*kind, "x"));
        h.expect_no_call();
    }
    let log = h.station.security_log();
    assert_eq!(log.len(), 1 + 10);
    assert_eq!(log[1].kind, "FailedToAuthenticateAtCentralSystem");
    assert_eq!(log[1].tech_info.as_deref(), Some("x"));
    assert_eq!(log[1].timestamp, h.now);
}

/// TC_078: the drivers refused the Central System's TLS certificate while offline. The
/// event is not critical, but the test case expects it at the Central System: it is queued
/// durably and goes out once the station is connected and registered.
#[test]
fn tc_078_invalid_central_system_certificate_is_sent_once_connected() {
    let mut h = Harness::new();
    h.input(event(
        SecurityEvent::InvalidCentralSystemCertificate,
        "certificate verify failed",
    ));
    assert!(h.sent.is_empty(), "nothing goes out offline");
    assert_eq!(logged(&h), ["InvalidCentralSystemCertificate"]);
    let calls = h.boot();
    let sent: Vec<&Value> = calls
        .iter()
        .filter(|c| c.action == "SecurityEventNotification")
        .map(|c| &c.payload)
        .filter(|p| p["type"] == "InvalidCentralSystemCertificate")
        .collect();
    assert_eq!(sent.len(), 1, "{calls:?}");
    assert_eq!(sent[0]["techInfo"], "certificate verify failed");
    assert_eq!(sent[0]["timestamp"], ocpp::datetime::format(&t0()));
    // Delivered: not sent again.
    h.answer_all();
    h.expect_no_call();
}

#[test]
fn every_critical_event_is_sent() {
    let mut h = booted();
    for kind in SecurityEvent::ALL.iter().filter(|k| k.is_critical()) {
        h.input(Input::SecurityEvent {
            kind: *kind,
            tech_info: None,
        });
        let call = h.expect_call("SecurityEventNotification");
        assert_eq!(call.payload["type"], kind.as_str());
        assert!(call.payload.get("techInfo").is_none());
        h.answer(&call, json!({}));
    }
}

#[test]
fn the_security_log_keeps_the_newest_entries() {
    let mut h = booted();
    let capacity = store::SECURITY_LOG_CAPACITY;
    for i in 0..capacity {
        h.input(Input::SecurityEvent {
            kind: SecurityEvent::InvalidMessages,
            tech_info: Some(format!("{i}")),
        });
    }
    let log = h.station.security_log();
    assert_eq!(log.len(), capacity);
    // StartupOfTheDevice, the oldest, made room.
    assert_eq!(log[0].kind, "InvalidMessages");
    assert_eq!(log[0].tech_info.as_deref(), Some("0"));
    assert_eq!(
        log[capacity - 1].tech_info.as_deref(),
        Some(format!("{}", capacity - 1).as_str())
    );
}

/// A self-signed root to provision as CentralSystemRootCertificate (profile 2 needs one).
fn root_pem() -> String {
    certs::pki::Authority::new("CSMS root", certs::pki::Validity::days(36_500))
        .unwrap()
        .root
        .cert_pem
}

/// A station provisioned with a CentralSystemRootCertificate.
fn config_with_root() -> StationConfig {
    let mut cfg = StationConfig::new(info(), 2);
    cfg.central_system_roots = vec![root_pem()];
    cfg
}

#[test]
fn security_profile_is_only_raised_and_needs_an_authorization_key() {
    let mut h = Harness::with_config(
        config_with_root(),
        Box::new(store::MemoryStore::new()),
        t0(),
        [1000.0, 5000.0],
    );
    h.boot();
    assert_eq!(h.station.config().current().security_profile, 0);
    assert_eq!(
        change(&mut h, "SecurityProfile", "1"),
        "Rejected",
        "no key yet"
    );
    assert_eq!(change(&mut h, "SecurityProfile", "4"), "Rejected");
    assert_eq!(change(&mut h, "SecurityProfile", "one"), "Rejected");
    assert_eq!(change(&mut h, "AuthorizationKey", KEY), "Accepted");
    assert_eq!(
        change(&mut h, "SecurityProfile", "3"),
        "Rejected",
        "no certificate"
    );
    assert_eq!(
        change(&mut h, "SecurityProfile", "0"),
        "Accepted",
        "unchanged"
    );
    assert_eq!(change(&mut h, "SecurityProfile", "1"), "Accepted");
    assert_eq!(h.station.config().current().security_profile, 1);
    assert!(logged(&h).contains(&"ReconfigurationOfSecurityParameters".to_string()));
    // Not critical: no notification.
    h.expect_no_call();
    assert_eq!(change(&mut h, "SecurityProfile", "2"), "Accepted");
    assert_eq!(
        change(&mut h, "SecurityProfile", "1"),
        "Rejected",
        "lowering"
    );
    assert_eq!(
        change(&mut h, "SecurityProfile", "0"),
        "Rejected",
        "lowering"
    );
    assert_eq!(change(&mut h, "SecurityProfile", "3"), "Rejected");
    assert_eq!(h.station.config().current().security_profile, 2);

    // Profile 2 verifies the server: not without a CentralSystemRootCertificate.
    let mut h = booted();
    assert_eq!(change(&mut h, "AuthorizationKey", KEY), "Accepted");
    assert_eq!(
        change(&mut h, "SecurityProfile", "2"),
        "Rejected",
        "no root"
    );
    assert_eq!(change(&mut h, "SecurityProfile", "1"), "Accepted");
}

#[test]
fn an_accepted_raise_tells_the_drivers_to_reconnect_and_is_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("station.db");
    let cfg = config_with_root();
    let mut station = Station::new(
        cfg.clone(),
        Box::new(store::SqliteStore::open(&path).unwrap()),
        harness::at(t0()),
    )
    .unwrap();
    let call = |action: &str, payload: Value| {
        Input::Received(
            Frame::Call(ocpp::Call {
                unique_id: "cs-9".into(),
                action: action.into(),
                payload,
            })
            .to_text(),
        )
    };
    station.handle(
        call(
            "ChangeConfiguration",
            json!({"key": "AuthorizationKey", "value": KEY}),
        ),
        harness::at(t0()),
    );
    station.handle(
        call(
            "ChangeConfiguration",
            json!({"key": "SecurityProfile", "value": "2"}),
        ),
        harness::at(t0()),
    );
    let mut changed = Vec::new();
    while let Some(o) = station.poll_output() {
        if let Output::ConfigChanged { key, value } = o {
            changed.push((key, value));
        }
    }
    assert_eq!(
        changed,
        [
            ("AuthorizationKey".to_string(), String::new()),
            ("SecurityProfile".to_string(), "2".to_string())
        ]
    );
    drop(station);
    let station = Station::new(
        cfg,
        Box::new(store::SqliteStore::open(&path).unwrap()),
        harness::at(t0()),
    )
    .unwrap();
    assert_eq!(station.config().current().security_profile, 2);
    assert_eq!(station.security_profile(), 2);
    assert_eq!(station.config().get("AuthorizationKey").unwrap().1, KEY);
    assert_eq!(
        station.authorization_key().unwrap(),
        (0..16u8).map(|i| i * 0x11).collect::<Vec<_>>()
    );
}

/// TC_073: a new AuthorizationKey is announced to the drivers, who reconnect with it; the
/// announcement never carries the key. The same key again changes nothing.
#[test]
fn tc_073_a_new_authorization_key_tells_the_drivers_to_reconnect() {
    let mut h = booted();
    let changed = |h: &mut Harness| {
        let mut got = Vec::new();
        while let Some(o) = h.station.poll_output() {
            if let Output::ConfigChanged { key, value } = o {
                got.push((key, value));
            }
        }
        got
    };
    h.station.handle(
        Input::Received(
            Frame::Call(ocpp::Call {
                unique_id: "cs-1".into(),
                action: "ChangeConfiguration".into(),
                payload: json!({"key": "AuthorizationKey", "value": KEY}),
            })
            .to_text(),
        ),
        h.time(),
    );
    assert_eq!(
        changed(&mut h),
        [("AuthorizationKey".to_string(), String::new())]
    );
    h.station.handle(
        Input::Received(
            Frame::Call(ocpp::Call {
                unique_id: "cs-2".into(),
                action: "ChangeConfiguration".into(),
                payload: json!({"key": "AuthorizationKey", "value": KEY.to_uppercase()}),
            })
            .to_text(),
        ),
        h.time(),
    );
    assert_eq!(changed(&mut h), [], "the same key");
}

#[test]
fn authorization_key_is_write_only_and_validated() {
    let mut h = booted();
    for bad in [
        "",
        &KEY[..30],                         // 15 bytes
        &"ab".repeat(41),                   // 41 bytes
        &format!("{}0", KEY),               // odd number of digits
        "zz112233445566778899aabbccddeeff", // not hex
    ] {
        assert_eq!(change(&mut h, "AuthorizationKey", bad), "Rejected", "{bad}");
    }
    assert_eq!(
        change(&mut h, "AuthorizationKey", &"ab".repeat(40)),
        "Accepted"
    );
    assert_eq!(change(&mut h, "authorizationkey", KEY), "Accepted");
    assert_eq!(h.station.config().get("AuthorizationKey").unwrap().1, KEY);
    let log = h.station.security_log();
    let reconf: Vec<_> = log
        .iter()
        .filter(|e| e.kind == "ReconfigurationOfSecurityParameters")
        .collect();
    assert_eq!(reconf.len(), 2);
    assert!(log
        .iter()
        .all(|e| !e.tech_info.as_deref().unwrap_or("").contains(KEY)));

    // Listed without its value, asked for or not.
    let all = result_payload(h.csms_call("GetConfiguration", json!({})));
    let text = all.to_string();
    assert!(!text.contains(KEY), "{text}");
    let keys = all["configurationKey"].as_array().unwrap();
    let ak = keys
        .iter()
        .find(|k| k["key"] == "AuthorizationKey")
        .expect("listed");
    assert_eq!(ak["readonly"], false);
    assert!(ak.get("value").is_none(), "{ak}");
    let one = result_payload(h.csms_call(
        "GetConfiguration",
        json!({"key": ["AuthorizationKey", "SecurityProfile"]}),
    ));
    assert!(!one.to_string().contains(KEY));
    assert!(one["configurationKey"][0].get("value").is_none());
    assert_eq!(one["configurationKey"][1]["value"], "0");
    // Nor in the station's Debug output.
    assert!(!format!("{:?}", h.station.config()).contains(KEY));
}

#[test]
fn the_other_security_keys() {
    let mut h = booted();
    let all = result_payload(h.csms_call(
        "GetConfiguration",
        json!({"key": [
            "CpoName",
            "CertificateStoreMaxLength",
            "AdditionalRootCertificateCheck",
            "CertificateSignedMaxChainSize"
        ]}),
    ));
    let got: Vec<(String, bool, String)> = all["configurationKey"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["key"].as_str().unwrap().to_string(),
                k["readonly"].as_bool().unwrap(),
                k["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("CpoName".into(), false, "".into()),
            ("CertificateStoreMaxLength".into(), true, "10".into()),
            (
                "AdditionalRootCertificateCheck".into(),
                true,
                "false".into()
            ),
            ("CertificateSignedMaxChainSize".into(), true, "10000".into()),
        ]
    );
    assert_eq!(change(&mut h, "CpoName", "Example CPO"), "Accepted");
    assert_eq!(change(&mut h, "CertificateStoreMaxLength", "5"), "Rejected");
    let r = result_payload(h.csms_call("GetConfiguration", json!({"key": ["CpoName"]})));
    assert_eq!(r["configurationKey"][0]["value"], "Example CPO");
}

#[test]
fn redact_frame_hides_the_authorization_key_only() {
    let frame =
        format!(r#"[2,"1","ChangeConfiguration",{{"key":"AuthorizationKey","value":"{KEY}"}}]"#);
    let red = station::security::redact_frame(&frame);
    assert!(!red.contains(KEY), "{red}");
    assert!(red.contains("AuthorizationKey"));
    let other = r#"[2,"1","ChangeConfiguration",{"key":"CpoName","value":"x"}]"#;
    assert_eq!(station::security::redact_frame(other), other);
    let broken =
        format!(r#"[2,"1","ChangeConfiguration",{{"key":"AuthorizationKey","value":"{KEY}""#);
    assert!(!station::security::redact_frame(&broken).contains(KEY));
}

/// ExtendedTriggerMessage.req: the status answered first, then the CALLs that followed.
fn extended(h: &mut Harness, payload: Value) -> (String, Vec<ocpp::Call>) {
    h.input(Input::Received(
        Frame::Call(ocpp::Call {
            unique_id: "xt-1".into(),
            action: "ExtendedTriggerMessage".into(),
            payload,
        })
        .to_text(),
    ));
    let frames = std::mem::take(&mut h.sent);
    let status = match frames.first() {
        Some(Frame::CallResult(r)) if r.unique_id == "xt-1" => {
            r.payload["status"].as_str().unwrap().to_string()
        }
        other => panic!("the answer must come first, got {other:?} in {frames:?}"),
    };
    let calls = frames[1..]
        .iter()
        .map(|f| match f {
            Frame::Call(c) => c.clone(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    (status, calls)
}

#[test]
fn extended_trigger_message_for_each_type() {
    let mut h = booted();

    let (status, calls) = extended(&mut h, json!({"requestedMessage": "Heartbeat"}));
    assert_eq!(status, "Accepted");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].action, "Heartbeat");
    h.answer(
        &calls[0],
        json!({"currentTime": ocpp::datetime::format(&h.now)}),
    );

    let (status, calls) = extended(
        &mut h,
        json!({"requestedMessage": "StatusNotification", "connectorId": 2}),
    );
    assert_eq!(status, "Accepted");
    assert_eq!(calls[0].action, "StatusNotification");
    assert_eq!(calls[0].payload["connectorId"], 2);
    h.answer(&calls[0], json!({}));

    let (status, calls) = extended(
        &mut h,
        json!({"requestedMessage": "StatusNotification", "connectorId": 3}),
    );
    assert_eq!(status, "Rejected", "no connector 3");
    assert!(calls.is_empty());

    let (status, calls) = extended(
        &mut h,
        json!({"requestedMessage": "MeterValues", "connectorId": 1}),
    );
    assert_eq!(status, "Accepted");
    assert_eq!(calls[0].action, "MeterValues");
    assert_eq!(
        calls[0].payload["meterValue"][0]["sampledValue"][0]["context"],
        "Trigger"
    );
    h.answer(&calls[0], json!({}));

    let (status, calls) = extended(&mut h, json!({"requestedMessage": "LogStatusNotification"}));
    assert_eq!(status, "Accepted");
    assert_eq!(calls[0].action, "LogStatusNotification");
    assert_eq!(calls[0].payload, json!({"status": "Idle"}));
    h.answer(&calls[0], json!({}));

    let (status, calls) = extended(
        &mut h,
        json!({"requestedMessage": "FirmwareStatusNotification"}),
    );
    assert_eq!(status, "Accepted");
    assert_eq!(calls[0].action, "SignedFirmwareStatusNotification");
    assert_eq!(calls[0].payload, json!({"status": "Idle"}));
    h.answer(&calls[0], json!({}));

    let (status, calls) = extended(
        &mut h,
        json!({"requestedMessage": "SignChargePointCertificate"}),
    );
    assert_eq!(
        status, "Rejected",
        "CpoName is empty (tests/certificates.rs has the rest)"
    );
    assert!(calls.is_empty());

    let (status, calls) = extended(&mut h, json!({"requestedMessage": "Bogus"}));
    assert_eq!(status, "NotImplemented");
    assert!(calls.is_empty());

    let (status, calls) = extended(&mut h, json!({"requestedMessage": "BootNotification"}));
    assert_eq!(status, "Accepted");
    assert_eq!(calls[0].action, "BootNotification");
    let answer = h.default_answer(&calls[0]);
    h.answer(&calls[0], answer);
    h.answer_all();
    assert_eq!(h.station.boot_status(), station::BootStatus::Accepted);
}

#[test]
fn extended_trigger_message_goes_out_while_pending() {
    let mut h = Harness::new();
    h.input(Input::Connected);
    let boot = h.expect_call("BootNotification");
    h.answer(
        &boot,
        json!({"status": "Pending", "currentTime": "2027-01-15T08:00:00Z", "interval": 300}),
    );
    h.expect_no_call();
    let (status, calls) = extended(&mut h, json!({"requestedMessage": "LogStatusNotification"}));
    assert_eq!(status, "Accepted");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].action, "LogStatusNotification");
}
