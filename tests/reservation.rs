//! Reservations over a real WebSocket (sections 5.1, 5.13): the Central System reserves a
//! connector or the whole station, the reserved card uses it, others are refused, and a
//! reservation expires or is cancelled.

mod common;

use chargepoint::runner::Operation;
use common::*;
use serde_json::json;

const TAG: &str = "TAG-RESERVED-1";

fn card(id_tag: &str) -> Operation {
    Operation::Authorize {
        id_tag: id_tag.into(),
    }
}

/// TC_046_1_CS: reserve connector 1, plug in (still Reserved), another card is refused, the
/// reserved card starts a transaction that carries the reservationId.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_046_1_reservation_of_a_connector_local_start() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let expiry = ocpp::datetime::format(&(h.now() + chrono::Duration::hours(1)));
    let answer = h
        .call(
            "ReserveNow",
            json!({"connectorId": 1, "expiryDate": expiry, "idTag": TAG, "reservationId": 41}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.expect_status(1, "Reserved").await;

    h.operate(1, Operation::Plug).await;
    h.operate(1, card("SOMEONE-ELSE")).await;
    h.expect_no_calls("a card not holding the reservation")
        .await;
    let state = h.station().state();
    assert_eq!(connector(&state, 1).status, "Reserved", "{state:?}");

    h.operate(1, card(TAG)).await;
    h.next_call("Authorize").await;
    let start = h.next_call("StartTransaction").await.payload;
    assert_eq!(start["connectorId"], 1, "{start}");
    assert_eq!(start["idTag"], TAG, "{start}");
    assert_eq!(start["reservationId"], 41, "{start}");
    h.expect_status(1, "Charging").await;
    // The transaction ended the reservation.
    let answer = h
        .call("CancelReservation", json!({"reservationId": 41}))
        .await;
    assert_eq!(answer, json!({"status": "Rejected"}));
    h.shutdown().await;
}

/// TC_047_CS and TC_051_CS / TC_052_CS: a reservation expires at its expiryDate on the
/// station's clock; another one is cancelled; an unknown one cannot be.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_047_expiry_and_tc_051_tc_052_cancel() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let soon = ocpp::datetime::format(&(h.now() + chrono::Duration::seconds(90)));
    let answer = h
        .call(
            "ReserveNow",
            json!({"connectorId": 2, "expiryDate": soon, "idTag": TAG, "reservationId": 1}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.expect_status(2, "Reserved").await;
    let (status, advanced) = h.advance_until_call("StatusNotification", 30, 600).await;
    assert_eq!(
        (
            status.payload["connectorId"].as_i64(),
            status.payload["status"].as_str()
        ),
        (Some(2), Some("Available")),
        "{}",
        status.payload
    );
    assert_eq!(advanced, 90);

    let later = ocpp::datetime::format(&(h.now() + chrono::Duration::hours(1)));
    let answer = h
        .call(
            "ReserveNow",
            json!({"connectorId": 1, "expiryDate": later, "idTag": TAG, "reservationId": 2}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.expect_status(1, "Reserved").await;
    let answer = h
        .call("CancelReservation", json!({"reservationId": 3}))
        .await;
    assert_eq!(answer, json!({"status": "Rejected"}));
    let answer = h
        .call("CancelReservation", json!({"reservationId": 2}))
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));
    h.expect_status(1, "Available").await;
    h.shutdown().await;
}

/// TC_049_CS and TC_048_2_CS: the whole station is reserved; it stays usable for others
/// until one connector is left, which then shows Reserved; a reservation of that connector
/// is Occupied; the reserved card starts there with the reservationId.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_049_reservation_of_the_charge_point() {
    let mut h = Setup::default().start().await;
    h.booted().await;
    let expiry = ocpp::datetime::format(&(h.now() + chrono::Duration::hours(1)));
    let answer = h
        .call(
            "ReserveNow",
            json!({"connectorId": 0, "expiryDate": expiry, "idTag": TAG, "reservationId": 7}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Accepted"}));

    h.operate(1, Operation::Plug).await;
    h.expect_status(1, "Preparing").await;
    h.operate(1, card("OTHER-1")).await;
    h.next_call("Authorize").await;
    // Connector 1 is being taken: connector 2 is the last one for the reservation.
    h.expect_status(2, "Reserved").await;
    let start = h.next_call("StartTransaction").await.payload;
    assert_eq!(start.get("reservationId"), None, "{start}");
    h.expect_status(1, "Charging").await;
    let answer = h
        .call(
            "ReserveNow",
            json!({"connectorId": 2, "expiryDate": expiry, "idTag": "X", "reservationId": 8}),
        )
        .await;
    assert_eq!(answer, json!({"status": "Occupied"}));

    h.operate(2, Operation::Plug).await;
    h.operate(2, card(TAG)).await;
    h.next_call("Authorize").await;
    let start = h.next_call("StartTransaction").await.payload;
    assert_eq!(start["connectorId"], 2, "{start}");
    assert_eq!(start["reservationId"], 7, "{start}");
    h.expect_status(2, "Charging").await;
    h.shutdown().await;
}

/// TC_048_1 / TC_048_3 / TC_048_4 and TC_053: a reservation is refused on a faulted, an
/// unavailable and an occupied connector; a card of the reserved tag's group may use it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_048_refusals_and_tc_053_parent_id_tag() {
    use csms::{AuthorizePolicy, TagInfo};
    use ocpp::AuthorizationStatus::Accepted;
    let mut h = Setup::default().start().await;
    h.booted().await;
    let expiry = ocpp::datetime::format(&(h.now() + chrono::Duration::hours(1)));
    let reserve = |connector: i32, id: i32| {
        json!({"connectorId": connector, "expiryDate": expiry, "idTag": TAG,
               "parentIdTag": "FLEET", "reservationId": id})
    };
    h.operate(
        2,
        Operation::Fault {
            error_code: "GroundFailure".into(),
            active: true,
        },
    )
    .await;
    h.next_call("StatusNotification").await;
    assert_eq!(
        h.call("ReserveNow", reserve(2, 1)).await,
        json!({"status": "Faulted"})
    );
    h.operate(
        2,
        Operation::Fault {
            error_code: "GroundFailure".into(),
            active: false,
        },
    )
    .await;
    h.expect_status(2, "Available").await;
    let answer = h
        .call(
            "ChangeAvailability",
            json!({"connectorId": 2, "type": "Inoperative"}),
        )
        .await;
    assert_eq!(answer["status"], "Accepted");
    h.expect_status(2, "Unavailable").await;
    assert_eq!(
        h.call("ReserveNow", reserve(2, 2)).await,
        json!({"status": "Unavailable"})
    );
    h.operate(1, Operation::Plug).await;
    h.expect_status(1, "Preparing").await;
    assert_eq!(
        h.call("ReserveNow", reserve(1, 3)).await,
        json!({"status": "Occupied"})
    );
    h.operate(1, Operation::Unplug).await;
    h.expect_status(1, "Available").await;

    // Reserved for TAG (group FLEET): another card of FLEET may start there.
    h.csms.set_authorize(AuthorizePolicy::Tags(vec![
        TagInfo::new(TAG, Accepted).parent("FLEET"),
        TagInfo::new("FLEET-CARD-2", Accepted).parent("FLEET"),
    ]));
    assert_eq!(
        h.call("ReserveNow", reserve(1, 4)).await,
        json!({"status": "Accepted"})
    );
    h.expect_status(1, "Reserved").await;
    h.operate(1, Operation::Plug).await;
    h.operate(1, card("FLEET-CARD-2")).await;
    h.next_call("Authorize").await;
    let start = h.wait_call("StartTransaction").await.payload;
    assert_eq!(start["idTag"], "FLEET-CARD-2", "{start}");
    assert_eq!(start["reservationId"], 4, "{start}");
    h.shutdown().await;
}
