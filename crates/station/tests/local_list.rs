//! Local Authorization List Management on the bare state machine (sections 3.5.2, 3.5.3,
//! 5.10, 5.15): SendLocalList (TC_043, TC_043_1..3), GetLocalListVersion (TC_042_1,
//! TC_042_2), and authorization by the list (TC_008_1, offline starts, refused entries, the
//! list before the Authorization Cache, LocalListConflict).

mod harness;

use chrono::Duration;
use hal::{HardwareCommand, HardwareEvent};
use harness::*;
use ocpp::Call;
use serde_json::{json, Value};
use station::Input;

fn actions(calls: &[Call]) -> Vec<&str> {
    calls.iter().map(|c| c.action.as_str()).collect()
}

fn send_list(h: &mut Harness, update_type: &str, version: i32, list: Value) -> String {
    let answer = h.csms_call(
        "SendLocalList",
        json!({"listVersion": version, "updateType": update_type, "localAuthorizationList": list}),
    );
    result_payload(answer)["status"]
        .as_str()
        .expect("a status")
        .to_string()
}

fn list_version(h: &mut Harness) -> i64 {
    result_payload(h.csms_call("GetLocalListVersion", json!({})))["listVersion"]
        .as_i64()
        .expect("a version")
}

fn accepted(tag: &str) -> Value {
    json!({"idTag": tag, "idTagInfo": {"status": "Accepted"}})
}

fn with_status(tag: &str, status: &str) -> Value {
    json!({"idTag": tag, "idTagInfo": {"status": status}})
}

fn tags(prefix: &str, n: usize) -> Value {
    Value::Array((0..n).map(|i| accepted(&format!("{prefix}{i}"))).collect())
}

fn running_tag(h: &Harness, connector: u32) -> Option<String> {
    h.station.connectors()[connector as usize - 1]
        .id_tag
        .clone()
}

/// Plug in at connector 1 and present `tag`, offline: whatever the station decides, it
/// decides alone.
fn offline_start(h: &mut Harness, tag: &str) {
    h.input(Input::Disconnected);
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.card(1, tag);
    h.expect_no_call();
}

/// Whether the list authorizes `tag` offline, tried on a fresh connection afterwards.
fn authorizes_offline(h: &mut Harness, tag: &str) -> bool {
    h.hardware.clear();
    offline_start(h, tag);
    let started = running_tag(h, 1).is_some();
    if started {
        h.hw(HardwareEvent::StopButton { connector: 1 });
    }
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    h.input(Input::Connected);
    h.answer_all();
    started
}

// ----- GetLocalListVersion (TC_042) -----

#[test]
fn tc_042_2_get_local_list_version_empty_is_0() {
    let mut h = Harness::new();
    h.boot();
    assert_eq!(list_version(&mut h), 0);
}

#[test]
fn tc_042_1_get_local_list_version_disabled_is_minus_1() {
    let mut h = Harness::with_keys(&[("LocalAuthListEnabled", "false")]);
    h.boot();
    assert_eq!(list_version(&mut h), -1);
}

#[test]
fn get_local_list_version_after_updates() {
    let mut h = Harness::new();
    h.boot();
    assert_eq!(send_list(&mut h, "Full", 5, tags("T", 3)), "Accepted");
    assert_eq!(list_version(&mut h), 5);
    assert_eq!(
        send_list(&mut h, "Differential", 6, json!([accepted("NEW")])),
        "Accepted"
    );
    assert_eq!(list_version(&mut h), 6);
    // Disabled over OCPP: -1, and the list is back when enabled again.
    let change = |h: &mut Harness, v: &str| {
        result_payload(h.csms_call(
            "ChangeConfiguration",
            json!({"key": "LocalAuthListEnabled", "value": v}),
        ))["status"]
            .clone()
    };
    assert_eq!(change(&mut h, "false"), "Accepted");
    assert_eq!(list_version(&mut h), -1);
    assert_eq!(change(&mut h, "true"), "Accepted");
    assert_eq!(list_version(&mut h), 6);
    // An empty list reads as version 0 (section 5.10).
    assert_eq!(send_list(&mut h, "Full", 7, json!([])), "Accepted");
    assert_eq!(list_version(&mut h), 0);
}

#[test]
fn local_list_keys_are_reported() {
    let mut h = Harness::new();
    h.boot();
    let all = result_payload(h.csms_call(
        "GetConfiguration",
        json!({"key": ["LocalAuthListEnabled", "LocalAuthListMaxLength", "SendLocalListMaxLength"]}),
    ));
    let keys = all["configurationKey"].as_array().expect("keys");
    let value = |name: &str| {
        let k = keys.iter().find(|k| k["key"] == name).expect(name);
        (k["value"].clone(), k["readonly"].clone())
    };
    assert_eq!(value("LocalAuthListEnabled"), (json!("true"), json!(false)));
    assert_eq!(value("LocalAuthListMaxLength"), (json!("100"), json!(true)));
    assert_eq!(value("SendLocalListMaxLength"), (json!("10"), json!(true)));
}

// ----- SendLocalList (TC_043) -----

#[test]
fn tc_043_full_then_differential_add_update_remove() {
    let mut h = Harness::new();
    h.boot();
    let full = json!([
        accepted("KEEP"),
        accepted("DROP"),
        with_status("CHANGE", "Blocked")
    ]);
    assert_eq!(send_list(&mut h, "Full", 1, full), "Accepted");
    let diff = json!([
        accepted("ADDED"),
        accepted("change"),
        {"idTag": "drop"}
    ]);
    assert_eq!(send_list(&mut h, "Differential", 2, diff), "Accepted");
    assert_eq!(list_version(&mut h), 2);
    assert!(authorizes_offline(&mut h, "KEEP"));
    assert!(authorizes_offline(&mut h, "ADDED"));
    assert!(authorizes_offline(&mut h, "CHANGE"), "updated to Accepted");
    assert!(!authorizes_offline(&mut h, "DROP"), "removed");
    // A full update replaces the whole list.
    assert_eq!(
        send_list(&mut h, "Full", 3, json!([accepted("ONLY")])),
        "Accepted"
    );
    assert!(authorizes_offline(&mut h, "ONLY"));
    assert!(!authorizes_offline(&mut h, "KEEP"));
    // A differential update without entries changes nothing but the version.
    let answer = h.csms_call(
        "SendLocalList",
        json!({"listVersion": 4, "updateType": "Differential"}),
    );
    assert_eq!(result_payload(answer)["status"], "Accepted");
    assert_eq!(list_version(&mut h), 4);
    assert!(authorizes_offline(&mut h, "ONLY"));
}

#[test]
fn tc_043_1_send_local_list_disabled_is_not_supported() {
    let mut h = Harness::with_keys(&[("LocalAuthListEnabled", "false")]);
    h.boot();
    assert_eq!(send_list(&mut h, "Full", 1, tags("T", 2)), "NotSupported");
    assert_eq!(
        send_list(&mut h, "Differential", 2, tags("T", 2)),
        "NotSupported"
    );
}

#[test]
fn tc_043_2_differential_not_newer_is_version_mismatch() {
    let mut h = Harness::new();
    h.boot();
    assert_eq!(send_list(&mut h, "Full", 10, tags("T", 2)), "Accepted");
    for version in [10, 9, 0] {
        assert_eq!(
            send_list(&mut h, "Differential", version, json!([accepted("NEW")])),
            "VersionMismatch",
            "{version}"
        );
    }
    assert_eq!(list_version(&mut h), 10);
    assert!(!authorizes_offline(&mut h, "NEW"));
    assert_eq!(
        send_list(&mut h, "Differential", 11, json!([accepted("NEW")])),
        "Accepted"
    );
    // A full update may go back to any version.
    assert_eq!(send_list(&mut h, "Full", 3, tags("T", 1)), "Accepted");
    assert_eq!(list_version(&mut h), 3);
}

#[test]
fn tc_043_3_more_than_send_local_list_max_length_entries_is_failed() {
    let mut h = Harness::new();
    h.boot();
    assert_eq!(send_list(&mut h, "Full", 1, tags("T", 11)), "Failed");
    assert_eq!(list_version(&mut h), 0);
    assert!(!authorizes_offline(&mut h, "T0"));
    assert_eq!(send_list(&mut h, "Full", 1, tags("T", 10)), "Accepted");
    assert_eq!(
        send_list(&mut h, "Differential", 2, tags("U", 11)),
        "Failed"
    );
    assert_eq!(list_version(&mut h), 1);
}

#[test]
fn list_longer_than_local_auth_list_max_length_is_failed_and_nothing_applied() {
    let mut h = Harness::new();
    h.boot();
    // 100 entries, ten at a time: the most there may be.
    assert_eq!(send_list(&mut h, "Full", 1, tags("A", 10)), "Accepted");
    for (i, prefix) in ["B", "C", "D", "E", "F", "G", "H", "I", "J"]
        .into_iter()
        .enumerate()
    {
        let version = i as i32 + 2;
        assert_eq!(
            send_list(&mut h, "Differential", version, tags(prefix, 10)),
            "Accepted"
        );
    }
    assert_eq!(list_version(&mut h), 10);
    // One more: an update of an existing entry and a removal come along, and nothing of it
    // is applied.
    let diff = json!([
        accepted("NEW"),
        with_status("A0", "Blocked"),
        {"idTag": "B0"}
    ]);
    let more = {
        let mut d = diff.as_array().unwrap().clone();
        d.push(accepted("NEW2"));
        Value::Array(d)
    };
    assert_eq!(send_list(&mut h, "Differential", 11, more), "Failed");
    assert_eq!(list_version(&mut h), 10);
    assert!(authorizes_offline(&mut h, "A0"), "not Blocked");
    assert!(authorizes_offline(&mut h, "B0"), "not removed");
    assert!(!authorizes_offline(&mut h, "NEW"));
    // With one removed, one added fits.
    assert_eq!(send_list(&mut h, "Differential", 11, diff), "Accepted");
    assert!(authorizes_offline(&mut h, "NEW"));
    assert!(!authorizes_offline(&mut h, "A0"));
}

#[test]
fn malformed_updates_are_failed() {
    let mut h = Harness::new();
    h.boot();
    // Duplicate id tags (ignoring case).
    let dup = json!([accepted("TAG"), accepted("tag")]);
    assert_eq!(send_list(&mut h, "Full", 1, dup), "Failed");
    // A full list entry needs idTagInfo.
    let bare = json!([accepted("A"), {"idTag": "B"}]);
    assert_eq!(send_list(&mut h, "Full", 1, bare), "Failed");
    // 0 is the version of an empty list.
    assert_eq!(send_list(&mut h, "Full", 0, tags("T", 1)), "Failed");
    assert_eq!(list_version(&mut h), 0);
    assert!(!authorizes_offline(&mut h, "A"));
}

#[test]
fn the_list_survives_a_restart() {
    let mut h = Harness::new();
    h.boot();
    assert_eq!(send_list(&mut h, "Full", 42, tags("T", 2)), "Accepted");
    h.restart([1000.0, 5000.0]);
    h.boot();
    assert_eq!(list_version(&mut h), 42);
    assert!(authorizes_offline(&mut h, "T1"));
}

// ----- authorization by the list -----

#[test]
fn offline_start_authorized_by_the_list() {
    let mut h = Harness::new();
    h.boot();
    let entry =
        json!([{"idTag": "LISTED", "idTagInfo": {"status": "Accepted", "parentIdTag": "FLEET"}}]);
    assert_eq!(send_list(&mut h, "Full", 1, entry), "Accepted");
    offline_start(&mut h, "listed");
    assert_eq!(h.hardware, vec![HardwareCommand::Energize { connector: 1 }]);
    assert_eq!(running_tag(&h, 1).as_deref(), Some("listed"));
    h.advance(30);
    h.input(Input::Connected);
    let calls = h.answer_all();
    let start = calls
        .iter()
        .find(|c| c.action == "StartTransaction")
        .expect("StartTransaction after the reconnect");
    assert_eq!(start.payload["idTag"], "listed");
    assert!(!actions(&calls).contains(&"Authorize"));
}

#[test]
fn offline_list_entries_follow_local_authorize_offline() {
    let mut h = Harness::with_keys(&[("LocalAuthorizeOffline", "false")]);
    h.boot();
    assert_eq!(
        send_list(&mut h, "Full", 1, json!([accepted("LISTED")])),
        "Accepted"
    );
    assert!(!authorizes_offline(&mut h, "LISTED"));
}

#[test]
fn tc_008_1_online_local_pre_authorize_starts_without_authorize() {
    let mut h = Harness::with_keys(&[("LocalPreAuthorize", "true")]);
    h.boot();
    assert_eq!(
        send_list(&mut h, "Full", 1, json!([accepted("LISTED")])),
        "Accepted"
    );
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.card(1, "LISTED");
    let calls = h.answer_all();
    assert!(
        !actions(&calls).contains(&"Authorize"),
        "{:?}",
        actions(&calls)
    );
    assert!(actions(&calls).contains(&"StartTransaction"));
    assert_eq!(h.hardware, vec![HardwareCommand::Energize { connector: 1 }]);
}

#[test]
fn online_without_local_pre_authorize_a_listed_card_is_still_authorized() {
    let mut h = Harness::new();
    h.boot();
    assert_eq!(
        send_list(&mut h, "Full", 1, json!([accepted("LISTED")])),
        "Accepted"
    );
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.card(1, "LISTED");
    let calls = h.answer_all();
    let actions = actions(&calls);
    let authorize = actions.iter().position(|a| *a == "Authorize");
    let start = actions.iter().position(|a| *a == "StartTransaction");
    assert!(authorize.is_some() && authorize < start, "{actions:?}");
}

#[test]
fn blocked_invalid_and_expired_entries_are_refused_offline() {
    let mut h = Harness::with_keys(&[("AllowOfflineTxForUnknownId", "true")]);
    h.boot();
    let soon = ocpp::datetime::format(&(h.now + Duration::seconds(60)));
    let list = json!([
        with_status("BLOCKED", "Blocked"),
        with_status("INVALID", "Invalid"),
        with_status("EXPIRED", "Expired"),
        {"idTag": "LAPSING", "idTagInfo": {"status": "Accepted", "expiryDate": soon}}
    ]);
    assert_eq!(send_list(&mut h, "Full", 1, list), "Accepted");
    // Unknown ids would be accepted: the list refuses these.
    for tag in ["BLOCKED", "INVALID", "EXPIRED"] {
        assert!(!authorizes_offline(&mut h, tag), "{tag}");
    }
    assert!(authorizes_offline(&mut h, "LAPSING"), "not expired yet");
    h.advance(120);
    h.answer_all();
    assert!(
        !authorizes_offline(&mut h, "LAPSING"),
        "past its expiryDate"
    );
    assert!(authorizes_offline(&mut h, "STRANGER"));
}

#[test]
fn blocked_entry_with_local_pre_authorize_is_checked_online_and_refused() {
    let mut h = Harness::with_keys(&[("LocalPreAuthorize", "true")]);
    h.boot();
    assert_eq!(
        send_list(
            &mut h,
            "Full",
            1,
            json!([with_status("BLOCKED", "Blocked")])
        ),
        "Accepted"
    );
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.card(1, "BLOCKED");
    let calls = h.answer_all_with(|c| {
        (c.action == "Authorize").then(|| json!({"idTagInfo": {"status": "Blocked"}}))
    });
    assert!(actions(&calls).contains(&"Authorize"));
    assert!(!actions(&calls).contains(&"StartTransaction"));
    assert!(h.hardware.is_empty());
}

#[test]
fn the_list_comes_before_the_cache() {
    let mut h = Harness::new();
    h.boot();
    // The cache learns TAG as Accepted (the tag is not on the list yet).
    h.card(2, "TAG");
    let authorize = h.expect_call("Authorize");
    h.answer(&authorize, json!({"idTagInfo": {"status": "Accepted"}}));
    h.hw(HardwareEvent::StopButton { connector: 2 });
    h.answer_all();
    assert!(authorizes_offline(&mut h, "TAG"), "from the cache");
    // The list blocks it: the list wins.
    assert_eq!(
        send_list(&mut h, "Full", 1, json!([with_status("TAG", "Blocked")])),
        "Accepted"
    );
    assert!(!authorizes_offline(&mut h, "TAG"));
}

#[test]
fn cache_updates_do_not_overwrite_a_list_entry_and_conflicts_are_reported() {
    let mut h = Harness::new();
    h.boot();
    assert_eq!(
        send_list(&mut h, "Full", 1, json!([accepted("LISTED")])),
        "Accepted"
    );
    // The Central System says Blocked: the card is refused now (online, its word counts)...
    h.card(2, "LISTED");
    let authorize = h.expect_call("Authorize");
    h.answer(&authorize, json!({"idTagInfo": {"status": "Blocked"}}));
    let calls = h.answer_all();
    let conflicts: Vec<&Value> = calls
        .iter()
        .filter(|c| c.action == "StatusNotification" && c.payload["connectorId"] == 0)
        .map(|c| &c.payload)
        .collect();
    assert_eq!(conflicts.len(), 1, "{calls:?}");
    assert_eq!(conflicts[0]["errorCode"], "LocalListConflict");
    assert_eq!(conflicts[0]["status"], "Available");
    assert_eq!(h.station.connectors()[1].transaction_id, None);
    // ...but the list keeps its entry.
    assert!(authorizes_offline(&mut h, "LISTED"));
    // An agreeing answer is no conflict.
    h.card(2, "LISTED");
    let authorize = h.expect_call("Authorize");
    h.answer(&authorize, json!({"idTagInfo": {"status": "Accepted"}}));
    h.hw(HardwareEvent::StopButton { connector: 2 });
    let calls = h.answer_all();
    assert!(
        calls
            .iter()
            .all(|c| c.payload["errorCode"] != "LocalListConflict"),
        "{calls:?}"
    );
    // Nor was it cached: with the list switched off, the card is unknown offline.
    let answer = h.csms_call(
        "ChangeConfiguration",
        json!({"key": "LocalAuthListEnabled", "value": "false"}),
    );
    assert_eq!(result_payload(answer)["status"], "Accepted");
    assert!(!authorizes_offline(&mut h, "LISTED"));
}
