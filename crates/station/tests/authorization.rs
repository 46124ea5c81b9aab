//! Authorization on the bare state machine (sections 3.5 and 4.1): the Authorization Cache
//! (C-04, TC_007_1, TC_061), offline authorization (C-01, C-02, TC_037_1), a refused idTag
//! after the start (TC_037_2 / C-03, TC_037_3), refused cards (TC_023_4) and the stop by a
//! card of the same group (TC_069); an Authorize.req that fails (timeout, CALLERROR, the
//! link lost) decided by the offline rules.

mod harness;

use chrono::Duration;
use hal::{HardwareCommand, HardwareEvent};
use harness::*;
use ocpp::{Call, ChargePointStatus};
use serde_json::{json, Value};
use station::Input;

fn actions(calls: &[Call]) -> Vec<&str> {
    calls.iter().map(|c| c.action.as_str()).collect()
}

fn find<'a>(calls: &'a [Call], action: &str) -> &'a Call {
    calls
        .iter()
        .find(|c| c.action == action)
        .unwrap_or_else(|| panic!("no {action} in {:?}", actions(calls)))
}

/// Present `tag` at connector 2 with no EV there, answer its Authorize.req with `info`, then
/// cancel with the stop button: all the station keeps is what its cache learned.
fn learn(h: &mut Harness, tag: &str, info: Value) {
    h.card(2, tag);
    let authorize = h.expect_call("Authorize");
    assert_eq!(authorize.payload["idTag"], tag);
    h.answer(&authorize, json!({ "idTagInfo": info }));
    h.hw(HardwareEvent::StopButton { connector: 2 });
    h.answer_all();
    assert_eq!(h.station.connectors()[1].transaction_id, None);
}

/// Plug in at connector 1 and present `tag`; answer everything, Authorize.req with `auth`.
fn plug_and_card(h: &mut Harness, tag: &str, auth: &str) -> Vec<Call> {
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.card(1, tag);
    let auth = auth.to_string();
    h.answer_all_with(move |c| {
        (c.action == "Authorize").then(|| json!({"idTagInfo": {"status": auth}}))
    })
}

fn status(h: &Harness, connector: u32) -> ChargePointStatus {
    h.station.connectors()[connector as usize - 1].status
}

fn running_tag(h: &Harness, connector: u32) -> Option<String> {
    h.station.connectors()[connector as usize - 1]
        .id_tag
        .clone()
}

// ----- the Authorization Cache (C-04) -----

#[test]
fn tc_007_1_cached_id_starts_without_authorize_with_local_pre_authorize() {
    let mut h = Harness::with_keys(&[("LocalPreAuthorize", "true")]);
    h.boot();
    learn(&mut h, "TAG1", json!({"status": "Accepted"}));
    // The same id tag in another case: OCPP IdTokens are case-insensitive.
    let calls = plug_and_card(&mut h, "tag1", "Invalid");
    assert!(
        !actions(&calls).contains(&"Authorize"),
        "{:?}",
        actions(&calls)
    );
    assert_eq!(find(&calls, "StartTransaction").payload["idTag"], "tag1");
    assert_eq!(h.hardware, vec![HardwareCommand::Energize { connector: 1 }]);
    assert_eq!(status(&h, 1), ChargePointStatus::Charging);
}

#[test]
fn cached_id_is_still_authorized_online_without_local_pre_authorize() {
    let mut h = Harness::new();
    h.boot();
    learn(&mut h, "TAG1", json!({"status": "Accepted"}));
    let calls = plug_and_card(&mut h, "TAG1", "Invalid");
    assert!(actions(&calls).contains(&"Authorize"));
    assert!(!actions(&calls).contains(&"StartTransaction"));
    assert!(h.hardware.is_empty());
}

#[test]
fn not_valid_cache_entry_is_checked_with_the_central_system() {
    let mut h = Harness::with_keys(&[("LocalPreAuthorize", "true")]);
    h.boot();
    learn(&mut h, "TAG1", json!({"status": "Blocked"}));
    let calls = plug_and_card(&mut h, "TAG1", "Accepted");
    assert_eq!(
        actions(&calls)
            .into_iter()
            .filter(|a| *a != "StatusNotification")
            .collect::<Vec<_>>(),
        vec!["Authorize", "StartTransaction"]
    );
}

#[test]
fn expired_cache_entry_is_not_used_online() {
    let mut h = Harness::with_keys(&[("LocalPreAuthorize", "true")]);
    h.boot();
    let expiry = ocpp::datetime::format(&(h.now + Duration::seconds(60)));
    learn(
        &mut h,
        "TAG1",
        json!({"status": "Accepted", "expiryDate": expiry}),
    );
    h.advance(120);
    h.answer_all();
    let calls = plug_and_card(&mut h, "TAG1", "Invalid");
    assert!(
        actions(&calls).contains(&"Authorize"),
        "{:?}",
        actions(&calls)
    );
    assert!(!actions(&calls).contains(&"StartTransaction"));
    assert!(h.hardware.is_empty());
}

#[test]
fn expired_cache_entry_is_refused_offline_even_for_unknown_ids_allowed() {
    let mut h = Harness::with_keys(&[("AllowOfflineTxForUnknownId", "true")]);
    h.boot();
    let expiry = ocpp::datetime::format(&(h.now + Duration::seconds(60)));
    learn(
        &mut h,
        "TAG1",
        json!({"status": "Accepted", "expiryDate": expiry}),
    );
    h.advance(120);
    h.answer_all();
    h.input(Input::Disconnected);
    plug_and_card(&mut h, "TAG1", "Accepted");
    assert!(h.hardware.is_empty());
    assert_eq!(running_tag(&h, 1), None);
}

#[test]
fn accepted_but_past_its_expiry_date_starts_nothing() {
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.answer_all();
    h.card(1, "TAG1");
    let authorize = h.expect_call("Authorize");
    let past = ocpp::datetime::format(&(h.now - Duration::seconds(1)));
    h.answer(
        &authorize,
        json!({"idTagInfo": {"status": "Accepted", "expiryDate": past}}),
    );
    assert!(!actions(&h.answer_all()).contains(&"StartTransaction"));
    assert!(h.hardware.is_empty());
}

#[test]
fn cache_is_updated_from_start_transaction_conf() {
    let mut h = Harness::with_keys(&[("LocalPreAuthorize", "true")]);
    h.boot();
    learn(&mut h, "TAG1", json!({"status": "Accepted"}));
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.card(1, "TAG1");
    let calls = h.answer_all_with(|c| {
        (c.action == "StartTransaction")
            .then(|| json!({"idTagInfo": {"status": "Blocked"}, "transactionId": 7}))
    });
    // StopTransactionOnInvalidId is true by default.
    assert_eq!(
        find(&calls, "StopTransaction").payload["reason"],
        "DeAuthorized"
    );
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    h.answer_all();
    // Blocked now: no more pre-authorization from the cache.
    let calls = plug_and_card(&mut h, "TAG1", "Invalid");
    assert!(
        actions(&calls).contains(&"Authorize"),
        "{:?}",
        actions(&calls)
    );
    assert!(!actions(&calls).contains(&"StartTransaction"));
}

#[test]
fn cache_is_updated_from_stop_transaction_conf() {
    let mut h = Harness::with_keys(&[
        ("LocalPreAuthorize", "true"),
        ("AllowOfflineTxForUnknownId", "true"),
    ]);
    h.boot();
    h.start_transaction(1, "TAG1");
    h.card(1, "TAG1");
    let calls = h.answer_all_with(|c| {
        (c.action == "StopTransaction").then(|| json!({"idTagInfo": {"status": "Blocked"}}))
    });
    assert_eq!(find(&calls, "StopTransaction").payload["idTag"], "TAG1");
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    h.answer_all();
    // Known as Blocked: refused offline although unknown ids would be accepted.
    h.input(Input::Disconnected);
    h.hardware.clear();
    plug_and_card(&mut h, "TAG1", "Accepted");
    assert!(h.hardware.is_empty());
    assert_eq!(running_tag(&h, 1), None);
}

// ----- ClearCache (TC_061) -----

#[test]
fn tc_061_clear_cache_empties_the_cache() {
    let mut h = Harness::with_keys(&[("LocalPreAuthorize", "true")]);
    h.boot();
    learn(&mut h, "TAG1", json!({"status": "Accepted"}));
    let answer = h.csms_call("ClearCache", json!({}));
    assert_eq!(result_payload(answer), json!({"status": "Accepted"}));
    let calls = plug_and_card(&mut h, "TAG1", "Invalid");
    assert!(
        actions(&calls).contains(&"Authorize"),
        "{:?}",
        actions(&calls)
    );
    assert!(h.hardware.is_empty());
}

#[test]
fn disabled_cache_learns_nothing_and_rejects_clear_cache() {
    let mut h = Harness::with_keys(&[
        ("LocalPreAuthorize", "true"),
        ("AuthorizationCacheEnabled", "false"),
    ]);
    h.boot();
    learn(&mut h, "TAG1", json!({"status": "Accepted"}));
    let calls = plug_and_card(&mut h, "TAG1", "Invalid");
    assert!(
        actions(&calls).contains(&"Authorize"),
        "{:?}",
        actions(&calls)
    );
    let answer = h.csms_call("ClearCache", json!({}));
    assert_eq!(result_payload(answer), json!({"status": "Rejected"}));
}

// ----- offline (C-01, C-02, TC_037) -----

#[test]
fn tc_037_1_offline_start_with_a_cached_id() {
    let mut h = Harness::new();
    h.boot();
    learn(
        &mut h,
        "TAG1",
        json!({"status": "Accepted", "parentIdTag": "GROUP"}),
    );
    h.input(Input::Disconnected);
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.card(1, "TAG1");
    h.expect_no_call();
    assert_eq!(h.hardware, vec![HardwareCommand::Energize { connector: 1 }]);
    assert_eq!(running_tag(&h, 1).as_deref(), Some("TAG1"));
    h.advance(60);
    h.input(Input::Connected);
    let calls = h.answer_all();
    let start = find(&calls, "StartTransaction");
    assert_eq!(start.payload["idTag"], "TAG1");
    assert_eq!(
        ocpp::datetime::parse(start.payload["timestamp"].as_str().unwrap()).unwrap(),
        h.now - Duration::seconds(60)
    );
    assert!(!actions(&calls).contains(&"StopTransaction"));
    assert_eq!(h.station.connectors()[0].transaction_id, Some(101));
}

#[test]
fn offline_cached_id_is_refused_with_local_authorize_offline_false() {
    let mut h = Harness::with_keys(&[("LocalAuthorizeOffline", "false")]);
    h.boot();
    learn(&mut h, "TAG1", json!({"status": "Accepted"}));
    h.input(Input::Disconnected);
    plug_and_card(&mut h, "TAG1", "Accepted");
    assert!(h.hardware.is_empty());
    assert_eq!(running_tag(&h, 1), None);
}

#[test]
fn c_02_offline_unknown_id_starts_with_allow_offline_tx_for_unknown_id() {
    let mut h = Harness::with_keys(&[("AllowOfflineTxForUnknownId", "true")]);
    h.boot();
    h.input(Input::Disconnected);
    plug_and_card(&mut h, "STRANGER", "Invalid");
    assert_eq!(h.hardware, vec![HardwareCommand::Energize { connector: 1 }]);
    assert_eq!(running_tag(&h, 1).as_deref(), Some("STRANGER"));
}

#[test]
fn c_02_offline_unknown_id_is_refused_without_allow_offline_tx_for_unknown_id() {
    let mut h = Harness::new();
    h.boot();
    h.input(Input::Disconnected);
    plug_and_card(&mut h, "STRANGER", "Accepted");
    assert!(h.hardware.is_empty());
    assert_eq!(running_tag(&h, 1), None);
    h.input(Input::Connected);
    assert!(!actions(&h.answer_all()).contains(&"StartTransaction"));
}

/// Starts a transaction for an unknown id tag offline, reconnects, and answers its
/// StartTransaction.req with Invalid; returns what the station sent after reconnecting.
fn offline_start_then_invalid(h: &mut Harness) -> Vec<Call> {
    h.boot();
    h.input(Input::Disconnected);
    plug_and_card(h, "STRANGER", "Accepted");
    assert_eq!(h.hardware, vec![HardwareCommand::Energize { connector: 1 }]);
    h.meter(1, 1200.0);
    h.input(Input::Connected);
    h.answer_all_with(|c| {
        (c.action == "StartTransaction")
            .then(|| json!({"idTagInfo": {"status": "Invalid"}, "transactionId": 5}))
    })
}

#[test]
fn tc_037_3_invalid_id_after_offline_start_stops_with_deauthorized() {
    let mut h = Harness::with_keys(&[("AllowOfflineTxForUnknownId", "true")]);
    let calls = offline_start_then_invalid(&mut h);
    let stop = find(&calls, "StopTransaction");
    assert_eq!(stop.payload["reason"], "DeAuthorized");
    assert_eq!(stop.payload["transactionId"], 5);
    assert_eq!(stop.payload["meterStop"], 1200);
    assert_eq!(
        h.hardware.last(),
        Some(&HardwareCommand::DeEnergize { connector: 1 })
    );
    assert_eq!(running_tag(&h, 1), None);
}

#[test]
fn tc_037_2_invalid_id_with_stop_false_charges_up_to_max_energy_on_invalid_id() {
    let mut h = Harness::with_keys(&[
        ("AllowOfflineTxForUnknownId", "true"),
        ("StopTransactionOnInvalidId", "false"),
        ("MaxEnergyOnInvalidId", "500"),
    ]);
    let calls = offline_start_then_invalid(&mut h);
    assert!(!actions(&calls).contains(&"StopTransaction"));
    // meterStart 1000: 200 Wh so far, the transaction goes on.
    assert_eq!(h.hardware, vec![HardwareCommand::Energize { connector: 1 }]);
    assert_eq!(status(&h, 1), ChargePointStatus::Charging);
    h.meter(1, 1499.0);
    assert_eq!(h.hardware.len(), 1);
    h.meter(1, 1500.0);
    assert_eq!(
        h.hardware.last(),
        Some(&HardwareCommand::DeEnergize { connector: 1 })
    );
    assert_eq!(h.hardware.len(), 2);
    assert_eq!(status(&h, 1), ChargePointStatus::SuspendedEVSE);
    let calls = h.answer_all();
    assert_eq!(
        find(&calls, "StatusNotification").payload["status"],
        "SuspendedEVSE"
    );
    // Capped once; the transaction still runs until its owner ends it.
    h.meter(1, 1600.0);
    assert_eq!(h.hardware.len(), 2);
    assert_eq!(h.station.connectors()[0].transaction_id, Some(5));
    h.card(1, "stranger");
    let calls = h.answer_all();
    assert!(!actions(&calls).contains(&"Authorize"));
    let stop = find(&calls, "StopTransaction");
    assert_eq!(stop.payload["reason"], "Local");
    assert_eq!(stop.payload["meterStop"], 1600);
}

#[test]
fn tc_037_2_max_energy_on_invalid_id_zero_stops_delivery_at_once() {
    let mut h = Harness::with_keys(&[("StopTransactionOnInvalidId", "false")]);
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.card(1, "TAG1");
    let calls = h.answer_all_with(|c| {
        (c.action == "StartTransaction")
            .then(|| json!({"idTagInfo": {"status": "Expired"}, "transactionId": 9}))
    });
    assert!(!actions(&calls).contains(&"StopTransaction"));
    assert_eq!(
        h.hardware,
        vec![
            HardwareCommand::Energize { connector: 1 },
            HardwareCommand::DeEnergize { connector: 1 }
        ]
    );
    assert_eq!(status(&h, 1), ChargePointStatus::SuspendedEVSE);
    assert_eq!(running_tag(&h, 1).as_deref(), Some("TAG1"));
}

// ----- refused cards (TC_023_4) -----

#[test]
fn tc_023_4_blocked_expired_or_concurrent_tx_card_starts_nothing() {
    for refused in ["Blocked", "Expired", "ConcurrentTx", "Invalid"] {
        let mut h = Harness::new();
        h.boot();
        let calls = plug_and_card(&mut h, "TAG1", refused);
        assert!(actions(&calls).contains(&"Authorize"), "{refused}");
        assert!(!actions(&calls).contains(&"StartTransaction"), "{refused}");
        assert!(h.hardware.is_empty(), "{refused}");
        assert_eq!(status(&h, 1), ChargePointStatus::Preparing, "{refused}");
        assert_eq!(running_tag(&h, 1), None, "{refused}");
    }
}

// ----- stop by a card of the same group (TC_069) -----

/// A transaction for TAG1 on connector 1, whose Authorize.conf (and StartTransaction.conf)
/// carry `parent`.
fn group_session(h: &mut Harness, auth_parent: Option<&str>, start_parent: Option<&str>) {
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.card(1, "TAG1");
    let (a, s) = (
        auth_parent.map(String::from),
        start_parent.map(String::from),
    );
    let info = |parent: &Option<String>| match parent {
        Some(p) => json!({"status": "Accepted", "parentIdTag": p}),
        None => json!({"status": "Accepted"}),
    };
    h.answer_all_with(move |c| match c.action.as_str() {
        "Authorize" => Some(json!({ "idTagInfo": info(&a) })),
        "StartTransaction" => Some(json!({ "idTagInfo": info(&s), "transactionId": 42 })),
        _ => None,
    });
    assert_eq!(running_tag(h, 1).as_deref(), Some("TAG1"));
}

/// Present `tag` at connector 1; its Authorize.req is answered Accepted with `parent`.
fn other_card(h: &mut Harness, tag: &str, parent: &str) -> Vec<Call> {
    h.card(1, tag);
    let parent = parent.to_string();
    h.answer_all_with(move |c| {
        (c.action == "Authorize")
            .then(|| json!({"idTagInfo": {"status": "Accepted", "parentIdTag": parent}}))
    })
}

#[test]
fn tc_069_card_with_the_same_parent_id_tag_stops_the_transaction() {
    let mut h = Harness::new();
    h.boot();
    group_session(&mut h, Some("GROUP"), None);
    let calls = other_card(&mut h, "TAG2", "group");
    assert_eq!(find(&calls, "Authorize").payload["idTag"], "TAG2");
    let stop = find(&calls, "StopTransaction");
    assert_eq!(stop.payload["reason"], "Local");
    assert_eq!(stop.payload["idTag"], "TAG2");
    assert_eq!(stop.payload["transactionId"], 42);
    assert_eq!(running_tag(&h, 1), None);
}

#[test]
fn tc_069_parent_id_tag_from_start_transaction_conf() {
    let mut h = Harness::new();
    h.boot();
    group_session(&mut h, None, Some("GROUP"));
    let calls = other_card(&mut h, "TAG2", "GROUP");
    assert_eq!(find(&calls, "StopTransaction").payload["reason"], "Local");
}

#[test]
fn tc_069_card_of_another_group_does_not_stop() {
    let mut h = Harness::new();
    h.boot();
    group_session(&mut h, Some("GROUP"), None);
    let calls = other_card(&mut h, "TAG2", "OTHER");
    assert!(actions(&calls).contains(&"Authorize"));
    assert!(!actions(&calls).contains(&"StopTransaction"));
    assert_eq!(running_tag(&h, 1).as_deref(), Some("TAG1"));
    // A card with no group at all cannot stop it either.
    h.card(1, "TAG3");
    let calls = h.answer_all();
    assert!(!actions(&calls).contains(&"StopTransaction"));
}

#[test]
fn tc_069_cached_card_of_the_same_group_stops_without_authorize() {
    let mut h = Harness::new();
    h.boot();
    learn(
        &mut h,
        "TAG2",
        json!({"status": "Accepted", "parentIdTag": "GROUP"}),
    );
    group_session(&mut h, Some("GROUP"), None);
    h.card(1, "tag2");
    let calls = h.answer_all();
    assert!(
        !actions(&calls).contains(&"Authorize"),
        "{:?}",
        actions(&calls)
    );
    assert_eq!(find(&calls, "StopTransaction").payload["reason"], "Local");
}

#[test]
fn tc_068_owner_card_in_another_case_stops_without_authorize() {
    let mut h = Harness::new();
    h.boot();
    group_session(&mut h, None, None);
    h.card(1, "tag1");
    let calls = h.answer_all();
    assert!(!actions(&calls).contains(&"Authorize"));
    let stop = find(&calls, "StopTransaction");
    assert_eq!(stop.payload["reason"], "Local");
    assert_eq!(stop.payload["idTag"], "tag1");
}

// ----- Authorize.req without an answer: the offline rules (section 3.5.4) -----

/// The Authorize.req for a card cached as Accepted gets no answer within the call timeout:
/// the offline rules start the transaction (LocalAuthorizeOffline true), as offline.
#[test]
fn tc_037_1_authorize_timeout_starts_a_cached_id_as_offline() {
    let mut h = Harness::new();
    h.boot();
    learn(&mut h, "TAG1", json!({"status": "Accepted"}));
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.answer_all();
    h.card(1, "TAG1");
    h.expect_call("Authorize");
    h.advance(29);
    assert!(h.hardware.is_empty());
    h.advance(1); // the call timeout, 30 s
    let calls = h.answer_all();
    let start = find(&calls, "StartTransaction");
    assert_eq!(start.payload["idTag"], "TAG1");
    assert_eq!(h.hardware, vec![HardwareCommand::Energize { connector: 1 }]);
    assert_eq!(running_tag(&h, 1).as_deref(), Some("TAG1"));
}

fn call_error(h: &mut Harness, call: &Call) {
    let error = ocpp::Frame::CallError(ocpp::CallError::new(
        call.unique_id.clone(),
        ocpp::ErrorCode::InternalError,
        "database down",
    ));
    h.input(Input::Received(error.to_text()));
}

/// A CALLERROR to the Authorize.req: an unknown id tag starts with
/// AllowOfflineTxForUnknownId true, not without; one known as not valid never does.
#[test]
fn c_02_authorize_call_error_applies_allow_offline_tx_for_unknown_id() {
    let mut h = Harness::with_keys(&[("AllowOfflineTxForUnknownId", "true")]);
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.answer_all();
    h.card(1, "STRANGER");
    let authorize = h.expect_call("Authorize");
    call_error(&mut h, &authorize);
    let calls = h.answer_all();
    assert_eq!(
        find(&calls, "StartTransaction").payload["idTag"],
        "STRANGER"
    );

    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.answer_all();
    h.card(1, "STRANGER");
    let authorize = h.expect_call("Authorize");
    call_error(&mut h, &authorize);
    assert!(!actions(&h.answer_all()).contains(&"StartTransaction"));
    assert!(h.hardware.is_empty());
    assert_eq!(status(&h, 1), ChargePointStatus::Preparing);

    let mut h = Harness::with_keys(&[("AllowOfflineTxForUnknownId", "true")]);
    h.boot();
    learn(&mut h, "BLOCKED", json!({"status": "Blocked"}));
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.answer_all();
    h.card(1, "BLOCKED");
    let authorize = h.expect_call("Authorize");
    call_error(&mut h, &authorize);
    assert!(!actions(&h.answer_all()).contains(&"StartTransaction"));
    assert!(h.hardware.is_empty());
}

/// LocalAuthorizeOffline false: a cached id tag is not enough when the Authorize.req fails.
#[test]
fn authorize_call_error_with_local_authorize_offline_false_refuses_a_cached_id() {
    let mut h = Harness::with_keys(&[("LocalAuthorizeOffline", "false")]);
    h.boot();
    learn(&mut h, "TAG1", json!({"status": "Accepted"}));
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.answer_all();
    h.card(1, "TAG1");
    let authorize = h.expect_call("Authorize");
    call_error(&mut h, &authorize);
    assert!(!actions(&h.answer_all()).contains(&"StartTransaction"));
    assert!(h.hardware.is_empty());
}

/// The link goes down while the Authorize.req waits for its answer: the offline rules
/// decide at once (the cached card starts; its StartTransaction goes after the reconnect),
/// and nothing waits for an answer that cannot come.
#[test]
fn tc_037_1_disconnect_while_authorizing_applies_the_offline_rules() {
    let mut h = Harness::new();
    h.boot();
    learn(&mut h, "TAG1", json!({"status": "Accepted"}));
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.answer_all();
    h.card(1, "TAG1");
    h.expect_call("Authorize");
    h.input(Input::Disconnected);
    assert_eq!(h.hardware, vec![HardwareCommand::Energize { connector: 1 }]);
    assert_eq!(running_tag(&h, 1).as_deref(), Some("TAG1"));
    h.input(Input::Connected);
    let calls = h.answer_all();
    assert_eq!(find(&calls, "StartTransaction").payload["idTag"], "TAG1");
    assert!(!actions(&calls).contains(&"Authorize"));

    // An unknown card, queued behind another CALL when the link goes: refused offline.
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 2 });
    h.card(2, "STRANGER");
    // The StatusNotification (Preparing) is in flight, the Authorize.req behind it.
    assert_eq!(actions(&h.take_calls()), vec!["StatusNotification"]);
    h.input(Input::Disconnected);
    h.input(Input::Connected);
    assert!(!actions(&h.answer_all()).contains(&"StartTransaction"));
    assert!(h.hardware.is_empty());
    assert_eq!(status(&h, 2), ChargePointStatus::Preparing);
}

/// A card that is not the owner's asks to stop: when its Authorize.req fails, nothing
/// known locally lets it, so the transaction goes on.
#[test]
fn tc_069_authorize_failure_for_a_stop_leaves_the_transaction_running() {
    let mut h = Harness::new();
    h.boot();
    h.hw(HardwareEvent::CablePlugged { connector: 1 });
    h.card(1, "TAG1");
    h.answer_all_with(|c| {
        (c.action == "StartTransaction").then(|| {
            json!({"idTagInfo": {"status": "Accepted", "parentIdTag": "GROUP"},
                   "transactionId": 9})
        })
    });
    h.card(1, "TAG2");
    let authorize = h.expect_call("Authorize");
    call_error(&mut h, &authorize);
    assert!(!actions(&h.answer_all()).contains(&"StopTransaction"));
    assert_eq!(running_tag(&h, 1).as_deref(), Some("TAG1"));
}
