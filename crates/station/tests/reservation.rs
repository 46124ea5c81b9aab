//! The Reservation profile on the bare state machine: TC_046_1 / TC_046_2 (reserve, then a
//! local or remote start), TC_047 (expiry), TC_048_1..4 (Faulted, Occupied, Unavailable,
//! Rejected), TC_049 (connector 0), TC_050_1..3 (connector 0 refused), TC_051 / TC_052
//! (cancel), TC_053_1 / TC_053_2 (parentIdTag), and what the spec adds: the same
//! reservationId replaces, other cards are refused, reservations survive a restart.

mod harness;

use chrono::Duration;
use hal::HardwareEvent;
use harness::*;
use ocpp::ChargePointStatus;
use serde_json::{json, Value};

fn expiry(h: &Harness, seconds: i64) -> String {
    ocpp::datetime::format(&(h.now + Duration::seconds(seconds)))
}

fn reserve(h: &mut Harness, connector: i32, id_tag: &str, reservation_id: i32) -> String {
    let expiry_date = expiry(h, 3600);
    reserve_with(
        h,
        json!({"connectorId": connector, "expiryDate": expiry_date, "idTag": id_tag,
               "reservationId": reservation_id}),
    )
}

fn reserve_with(h: &mut Harness, payload: Value) -> String {
    let answer = result_payload(h.csms_call("ReserveNow", payload));
    answer["status"].as_str().unwrap().to_string()
}

fn cancel(h: &mut Harness, reservation_id: i32) -> String {
    let answer = result_payload(h.csms_call(
        "CancelReservation",
        json!({ "reservationId": reservation_id }),
    ));
    answer["status"].as_str().unwrap().to_string()
}

fn status(h: &Harness, connector: u32) -> ChargePointStatus {
    h.station.connectors()[connector as usize - 1].status
}

/// The StatusNotifications among `calls`, as (connector, status).
fn statuses(calls: &[ocpp::Call]) -> Vec<(i64, String)> {
    calls
        .iter()
        .filter(|c| c.action == "StatusNotification")
        .map(|c| {
            (
                c.payload["connectorId"].as_i64().unwrap(),
                c.payload["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn start_call(calls: &[ocpp::Call]) -> Option<&ocpp::Call> {
    calls.iter().find(|c| c.action == "StartTransaction")
}

fn plug(h: &mut Harness, connector: u32) -> Vec<ocpp::Call> {
    h.hw(HardwareEvent::CablePlugged { connector });
    h.answer_all()
}

fn card(h: &mut Harness, connector: u32, id_tag: &str) -> Vec<ocpp::Call> {
    h.card(connector, id_tag);
    h.answer_all()
}

fn booted() -> Harness {
    let mut h = Harness::new();
    h.boot();
    h
}

#[test]
fn tc_046_1_reserve_a_connector_then_start_locally_with_the_reserved_card() {
    let mut h = booted();
    assert_eq!(reserve(&mut h, 1, "TAG1", 1), "Accepted");
    assert_eq!(statuses(&h.answer_all()), vec![(1, "Reserved".to_string())]);
    // Plugging in keeps it Reserved until the reserved card comes (G2).
    assert!(statuses(&plug(&mut h, 1)).is_empty());
    assert_eq!(status(&h, 1), ChargePointStatus::Reserved);
    let calls = card(&mut h, 1, "TAG1");
    let start = start_call(&calls).expect("a StartTransaction");
    assert_eq!(start.payload["reservationId"], 1);
    assert_eq!(start.payload["idTag"], "TAG1");
    assert_eq!(status(&h, 1), ChargePointStatus::Charging);
    // The reservation ended with the start.
    assert_eq!(cancel(&mut h, 1), "Rejected");
}

#[test]
fn tc_046_1_card_first_goes_reserved_to_preparing() {
    let mut h = booted();
    assert_eq!(reserve(&mut h, 2, "TAG1", 4), "Accepted");
    h.answer_all();
    let calls = card(&mut h, 2, "tag1");
    assert_eq!(statuses(&calls), vec![(2, "Preparing".to_string())]);
    let calls = plug(&mut h, 2);
    assert_eq!(start_call(&calls).unwrap().payload["reservationId"], 4);
}

#[test]
fn tc_046_2_reserve_a_connector_then_remote_start() {
    let mut h = booted();
    assert_eq!(reserve(&mut h, 1, "TAG1", 2), "Accepted");
    h.answer_all();
    // Another idTag is refused on the reserved connector.
    let answer = result_payload(h.csms_call(
        "RemoteStartTransaction",
        json!({"connectorId": 1, "idTag": "OTHER"}),
    ));
    assert_eq!(answer, json!({"status": "Rejected"}));
    let answer = result_payload(h.csms_call(
        "RemoteStartTransaction",
        json!({"connectorId": 1, "idTag": "TAG1"}),
    ));
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.answer_all();
    let calls = plug(&mut h, 1);
    assert_eq!(start_call(&calls).unwrap().payload["reservationId"], 2);
}

#[test]
fn another_card_is_refused_on_a_reserved_connector() {
    let mut h = booted();
    assert_eq!(reserve(&mut h, 1, "TAG1", 1), "Accepted");
    h.answer_all();
    plug(&mut h, 1);
    // The reservation has no parentIdTag: no need to ask the Central System.
    h.card(1, "OTHER");
    h.expect_no_call();
    assert_eq!(status(&h, 1), ChargePointStatus::Reserved);
    // The other connector is free for it.
    plug(&mut h, 2);
    let calls = card(&mut h, 2, "OTHER");
    let start = start_call(&calls).expect("starts on connector 2");
    assert_eq!(start.payload.get("reservationId"), None);
    assert_eq!(status(&h, 1), ChargePointStatus::Reserved);
}

#[test]
fn tc_053_1_a_card_of_the_reservations_parent_id_tag_uses_it() {
    let mut h = booted();
    let expiry_date = expiry(&h, 3600);
    let payload = json!({"connectorId": 1, "expiryDate": expiry_date, "idTag": "TAG1",
                         "parentIdTag": "GROUP", "reservationId": 5});
    assert_eq!(reserve_with(&mut h, payload), "Accepted");
    h.answer_all();
    plug(&mut h, 1);
    // A card of another group: the Authorize.conf tells, and it is refused.
    h.card(1, "STRANGER");
    let auth = h.expect_call("Authorize");
    h.answer(
        &auth,
        json!({"idTagInfo": {"status": "Accepted", "parentIdTag": "ELSE"}}),
    );
    h.expect_no_call();
    assert_eq!(status(&h, 1), ChargePointStatus::Reserved);
    // A card of the group.
    h.card(1, "CHILD");
    let auth = h.expect_call("Authorize");
    h.answer(
        &auth,
        json!({"idTagInfo": {"status": "Accepted", "parentIdTag": "group"}}),
    );
    let calls = h.answer_all();
    let start = start_call(&calls).expect("a StartTransaction");
    assert_eq!(start.payload["idTag"], "CHILD");
    assert_eq!(start.payload["reservationId"], 5);
}

#[test]
fn tc_053_1_parent_id_tag_known_from_the_cache_skips_authorize_when_refused() {
    let mut h = booted();
    // STRANGER's parentIdTag gets into the cache.
    h.card(2, "STRANGER");
    let auth = h.expect_call("Authorize");
    h.answer(
        &auth,
        json!({"idTagInfo": {"status": "Accepted", "parentIdTag": "ELSE"}}),
    );
    h.answer_all();
    h.advance(120); // ConnectionTimeOut: the authorization on connector 2 lapses.
    h.answer_all();
    let expiry_date = expiry(&h, 3600);
    let payload = json!({"connectorId": 1, "expiryDate": expiry_date, "idTag": "TAG1",
                         "parentIdTag": "GROUP", "reservationId": 5});
    assert_eq!(reserve_with(&mut h, payload), "Accepted");
    h.answer_all();
    h.card(1, "STRANGER");
    h.expect_no_call();
}

#[test]
fn tc_053_2_remote_start_for_a_card_of_the_reservations_parent_id_tag() {
    let mut h = Harness::with_keys(&[("AuthorizeRemoteTxRequests", "false")]);
    h.boot();
    let expiry_date = expiry(&h, 3600);
    let payload = json!({"connectorId": 1, "expiryDate": expiry_date, "idTag": "TAG1",
                         "parentIdTag": "GROUP", "reservationId": 6});
    assert_eq!(reserve_with(&mut h, payload), "Accepted");
    h.answer_all();
    plug(&mut h, 1);
    let answer = result_payload(h.csms_call(
        "RemoteStartTransaction",
        json!({"connectorId": 1, "idTag": "CHILD"}),
    ));
    assert_eq!(answer, json!({"status": "Accepted"}));
    // Its parentIdTag is unknown: Authorize first, even with AuthorizeRemoteTxRequests false.
    let auth = h.expect_call("Authorize");
    h.answer(
        &auth,
        json!({"idTagInfo": {"status": "Accepted", "parentIdTag": "GROUP"}}),
    );
    let calls = h.answer_all();
    assert_eq!(start_call(&calls).unwrap().payload["reservationId"], 6);
}

#[test]
fn tc_047_the_reservation_expires() {
    let mut h = booted();
    let expiry_date = expiry(&h, 300);
    let payload = json!({"connectorId": 1, "expiryDate": expiry_date, "idTag": "TAG1",
                         "reservationId": 9});
    assert_eq!(reserve_with(&mut h, payload), "Accepted");
    h.answer_all();
    assert_eq!(status(&h, 1), ChargePointStatus::Reserved);
    assert!(h.wake_at().unwrap() <= h.now + Duration::seconds(300));
    h.advance(299);
    assert_eq!(status(&h, 1), ChargePointStatus::Reserved);
    h.answer_all();
    h.now += Duration::seconds(1);
    assert_eq!(h.wake_at(), Some(h.now));
    h.input(station::Input::Tick);
    assert_eq!(
        statuses(&h.answer_all()),
        vec![(1, "Available".to_string())]
    );
    assert_eq!(cancel(&mut h, 9), "Rejected");
    // Anyone may use the connector again.
    let calls = h.start_transaction(1, "OTHER");
    assert_eq!(
        start_call(&calls).unwrap().payload.get("reservationId"),
        None
    );
}

#[test]
fn tc_048_1_faulted_connector_is_not_reserved_and_a_fault_ends_a_reservation() {
    let mut h = booted();
    h.hw(HardwareEvent::Fault {
        connector: 1,
        error_code: "HighTemperature".into(),
        active: true,
    });
    h.answer_all();
    assert_eq!(reserve(&mut h, 1, "TAG1", 1), "Faulted");
    // A fault on a reserved connector ends its reservation (section 5.13).
    assert_eq!(reserve(&mut h, 2, "TAG1", 2), "Accepted");
    h.answer_all();
    h.hw(HardwareEvent::Fault {
        connector: 2,
        error_code: "HighTemperature".into(),
        active: true,
    });
    h.hw(HardwareEvent::Fault {
        connector: 2,
        error_code: "HighTemperature".into(),
        active: false,
    });
    assert_eq!(status(&h, 2), ChargePointStatus::Available);
    assert_eq!(cancel(&mut h, 2), "Rejected");
}

#[test]
fn tc_048_2_occupied_connector() {
    let mut h = booted();
    h.start_transaction(1, "TAG9");
    assert_eq!(reserve(&mut h, 1, "TAG1", 1), "Occupied");
    // An EV plugged in (Preparing) occupies it too.
    plug(&mut h, 2);
    assert_eq!(reserve(&mut h, 2, "TAG1", 2), "Occupied");
    h.hw(HardwareEvent::CableUnplugged { connector: 2 });
    // As does another reservation.
    assert_eq!(reserve(&mut h, 2, "TAG1", 3), "Accepted");
    assert_eq!(reserve(&mut h, 2, "TAG2", 4), "Occupied");
}

#[test]
fn tc_048_3_unavailable_connector_and_inoperative_ends_a_reservation() {
    let mut h = booted();
    let answer = result_payload(h.csms_call(
        "ChangeAvailability",
        json!({"connectorId": 1, "type": "Inoperative"}),
    ));
    assert_eq!(answer["status"], "Accepted");
    assert_eq!(reserve(&mut h, 1, "TAG1", 1), "Unavailable");
    assert_eq!(reserve(&mut h, 2, "TAG1", 2), "Accepted");
    h.answer_all();
    let answer = result_payload(h.csms_call(
        "ChangeAvailability",
        json!({"connectorId": 2, "type": "Inoperative"}),
    ));
    assert_eq!(answer["status"], "Accepted");
    assert_eq!(
        statuses(&h.answer_all()),
        vec![(2, "Unavailable".to_string())]
    );
    result_payload(h.csms_call(
        "ChangeAvailability",
        json!({"connectorId": 2, "type": "Operative"}),
    ));
    assert_eq!(status(&h, 2), ChargePointStatus::Available);
    assert_eq!(cancel(&mut h, 2), "Rejected");
}

#[test]
fn tc_048_4_rejected_reservations() {
    let mut h = booted();
    // No such connector.
    assert_eq!(reserve(&mut h, 3, "TAG1", 1), "Rejected");
    // Already expired.
    let expiry_date = expiry(&h, -1);
    let payload = json!({"connectorId": 1, "expiryDate": expiry_date, "idTag": "TAG1",
                         "reservationId": 1});
    assert_eq!(reserve_with(&mut h, payload), "Rejected");
    assert_eq!(status(&h, 1), ChargePointStatus::Available);
    // Not before the registration was accepted.
    let mut pending = Harness::new();
    pending.input(station::Input::Connected);
    assert_eq!(reserve(&mut pending, 1, "TAG1", 1), "Rejected");
}

#[test]
fn the_same_reservation_id_replaces_the_earlier_reservation() {
    let mut h = booted();
    assert_eq!(reserve(&mut h, 1, "TAG1", 7), "Accepted");
    h.answer_all();
    assert_eq!(reserve(&mut h, 1, "TAG2", 7), "Accepted");
    assert!(h.answer_all().is_empty());
    assert_eq!(reserve(&mut h, 2, "TAG2", 7), "Accepted");
    let mut got = statuses(&h.answer_all());
    got.sort();
    assert_eq!(
        got,
        vec![(1, "Available".to_string()), (2, "Reserved".to_string())]
    );
    // Now for TAG2 on connector 2.
    h.card(2, "TAG1");
    h.expect_no_call();
    let calls = h.start_transaction(2, "TAG2");
    assert_eq!(start_call(&calls).unwrap().payload["reservationId"], 7);
}

#[test]
fn tc_049_reserve_the_station_then_start() {
    let mut h = booted();
    assert_eq!(reserve(&mut h, 0, "TAG1", 10), "Accepted");
    // Two connectors are free: the station stays usable for others.
    assert!(h.answer_all().is_empty());
    assert_eq!(status(&h, 1), ChargePointStatus::Available);
    let calls = h.start_transaction(1, "OTHER");
    assert_eq!(
        start_call(&calls).unwrap().payload.get("reservationId"),
        None
    );
    // Connector 2 is the last one left for TAG1: it is Reserved and refuses others.
    assert_eq!(status(&h, 2), ChargePointStatus::Reserved);
    plug(&mut h, 2);
    h.card(2, "OTHER2");
    h.expect_no_call();
    let calls = card(&mut h, 2, "TAG1");
    let start = start_call(&calls).unwrap();
    assert_eq!(start.payload["connectorId"], 2);
    assert_eq!(start.payload["reservationId"], 10);
    assert_eq!(cancel(&mut h, 10), "Rejected");
}

#[test]
fn tc_049_the_reserved_card_may_use_any_connector() {
    let mut h = booted();
    assert_eq!(reserve(&mut h, 0, "TAG1", 11), "Accepted");
    let calls = h.start_transaction(2, "TAG1");
    assert_eq!(start_call(&calls).unwrap().payload["reservationId"], 11);
    // Ended: connector 1 is not Reserved for anyone.
    assert_eq!(status(&h, 1), ChargePointStatus::Available);
    assert_eq!(cancel(&mut h, 11), "Rejected");
}

#[test]
fn tc_049_a_card_for_someone_else_cannot_take_the_last_connector() {
    let mut h = booted();
    h.start_transaction(1, "OTHER");
    assert_eq!(reserve(&mut h, 0, "TAG1", 12), "Accepted");
    assert_eq!(statuses(&h.answer_all()), vec![(2, "Reserved".to_string())]);
    h.card(2, "OTHER2");
    h.expect_no_call();
    // Once connector 1 is free again, connector 2 is no longer the last one.
    h.card(1, "OTHER");
    h.answer_all();
    h.hw(HardwareEvent::CableUnplugged { connector: 1 });
    h.answer_all();
    assert_eq!(status(&h, 1), ChargePointStatus::Available);
    assert_eq!(status(&h, 2), ChargePointStatus::Available);
}

#[test]
fn tc_050_1_station_reservation_faulted() {
    let mut h = booted();
    for connector in [1, 2] {
        h.hw(HardwareEvent::Fault {
            connector,
            error_code: "GroundFailure".into(),
            active: true,
        });
    }
    assert_eq!(reserve(&mut h, 0, "TAG1", 1), "Faulted");
}

#[test]
fn tc_050_2_station_reservation_occupied() {
    let mut h = booted();
    h.start_transaction(1, "A");
    plug(&mut h, 2);
    assert_eq!(reserve(&mut h, 0, "TAG1", 1), "Occupied");
    h.hw(HardwareEvent::CableUnplugged { connector: 2 });
    assert_eq!(reserve(&mut h, 0, "TAG1", 1), "Accepted");
    // The station holds one connector-0 reservation at a time.
    assert_eq!(reserve(&mut h, 0, "TAG2", 2), "Occupied");
}

#[test]
fn tc_050_3_station_reservation_unavailable() {
    let mut h = booted();
    result_payload(h.csms_call(
        "ChangeAvailability",
        json!({"connectorId": 0, "type": "Inoperative"}),
    ));
    assert_eq!(reserve(&mut h, 0, "TAG1", 1), "Unavailable");
    assert_eq!(reserve(&mut h, 1, "TAG1", 1), "Unavailable");
}

/// The key ReserveConnectorZeroSupported as GetConfiguration reports it: (value, readonly).
fn reserve_zero_key(h: &mut Harness) -> (String, bool) {
    let answer = result_payload(h.csms_call(
        "GetConfiguration",
        json!({"key": ["ReserveConnectorZeroSupported"]}),
    ));
    let key = &answer["configurationKey"][0];
    (
        key["value"].as_str().unwrap().to_string(),
        key["readonly"].as_bool().unwrap(),
    )
}

/// TC_050_4: a station that does not support reserving connector 0 (a station setting the
/// read-only key reports) answers Rejected there, and still reserves its connectors.
#[test]
fn tc_050_4_station_reservation_rejected_when_connector_0_is_not_supported() {
    let mut cfg = station::StationConfig::new(info(), 2);
    cfg.reserve_connector_zero = false;
    // Neither a configured value nor ChangeConfiguration changes a fact of the station.
    cfg.initial_keys = vec![("ReserveConnectorZeroSupported".into(), "true".into())];
    let mut h = Harness::with_config(
        cfg,
        Box::new(store::MemoryStore::new()),
        t0(),
        [1000.0, 5000.0],
    );
    h.boot();
    assert_eq!(reserve_zero_key(&mut h), ("false".to_string(), true));
    let answer = result_payload(h.csms_call(
        "ChangeConfiguration",
        json!({"key": "ReserveConnectorZeroSupported", "value": "true"}),
    ));
    assert_eq!(answer["status"], "Rejected");
    assert_eq!(reserve(&mut h, 0, "TAG1", 20), "Rejected");
    assert!(h.answer_all().is_empty(), "nothing changes");
    assert_eq!(reserve(&mut h, 1, "TAG1", 21), "Accepted");
    assert_eq!(statuses(&h.answer_all()), vec![(1, "Reserved".to_string())]);
}

/// The other branch: supported by default (the reference product), connector 0 is reserved.
#[test]
fn tc_049_connector_0_reservations_are_supported_by_default() {
    let mut h = booted();
    assert_eq!(reserve_zero_key(&mut h), ("true".to_string(), true));
    assert_eq!(reserve(&mut h, 0, "TAG1", 22), "Accepted");
}

#[test]
fn tc_051_cancel_a_reservation() {
    let mut h = booted();
    assert_eq!(reserve(&mut h, 1, "TAG1", 3), "Accepted");
    h.answer_all();
    assert_eq!(cancel(&mut h, 3), "Accepted");
    assert_eq!(
        statuses(&h.answer_all()),
        vec![(1, "Available".to_string())]
    );
    let calls = h.start_transaction(1, "OTHER");
    assert!(start_call(&calls).is_some());
}

#[test]
fn tc_052_cancel_an_unknown_reservation() {
    let mut h = booted();
    assert_eq!(reserve(&mut h, 1, "TAG1", 3), "Accepted");
    assert_eq!(cancel(&mut h, 4), "Rejected");
    assert_eq!(status(&h, 1), ChargePointStatus::Reserved);
}

#[test]
fn reservations_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("station.db");
    let store = store::SqliteStore::open(&db).unwrap();
    let mut h = Harness::with_store(Box::new(store), t0());
    h.boot();
    assert_eq!(reserve(&mut h, 1, "TAG1", 21), "Accepted");
    assert_eq!(reserve(&mut h, 0, "TAG2", 22), "Accepted");
    h.answer_all();
    h.restart([1000.0, 5000.0]);
    let calls = h.boot();
    let got = statuses(&calls);
    // Connector 2 is the only one left for the station's reservation.
    assert!(got.contains(&(1, "Reserved".to_string())), "{got:?}");
    assert!(got.contains(&(2, "Reserved".to_string())), "{got:?}");
    let calls = h.start_transaction(1, "TAG1");
    assert_eq!(start_call(&calls).unwrap().payload["reservationId"], 21);
    let calls = h.start_transaction(2, "TAG2");
    assert_eq!(start_call(&calls).unwrap().payload["reservationId"], 22);
}

#[test]
fn a_used_reservation_does_not_come_back_after_a_restart() {
    let mut h = booted();
    assert_eq!(reserve(&mut h, 1, "TAG1", 30), "Accepted");
    h.start_transaction(1, "TAG1");
    // A power loss: the restarted station does not bring the used reservation back.
    h.restart([1000.0, 5000.0]);
    h.boot();
    assert_eq!(status(&h, 1), ChargePointStatus::Available);
}
