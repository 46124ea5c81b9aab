//! The Central System sets the station's wall clock (BootNotification / Heartbeat
//! `currentTime`); protocol durations run on the monotonic clock, so moving the time by an
//! hour makes no timeout fire early or late.

mod harness;

use chrono::Duration;
use hal::HardwareEvent;
use harness::*;

/// An Authorize in flight with a StatusNotification queued behind it: the status goes out
/// only when the Authorize times out (the call timeout is 30 s).
fn authorize_in_flight() -> Harness {
    let mut h = Harness::new();
    h.boot();
    h.card(1, "TAG-1");
    h.expect_call("Authorize");
    h.hw(HardwareEvent::CablePlugged { connector: 2 });
    h.expect_no_call();
    h
}

fn the_call_times_out_30_s_after_it_went(shift: Duration) {
    let mut h = authorize_in_flight();
    h.set_wall_clock(shift);
    h.advance(0);
    h.expect_no_call();
    assert_eq!(h.wake_at(), Some(h.now + Duration::seconds(30)));
    h.advance(29);
    h.expect_no_call();
    h.advance(1);
    h.expect_call("StatusNotification");
}

#[test]
fn the_clock_set_an_hour_later_mid_call_fires_no_timeout_early() {
    the_call_times_out_30_s_after_it_went(Duration::hours(1));
}

#[test]
fn the_clock_set_an_hour_earlier_mid_call_fires_no_timeout_late() {
    the_call_times_out_30_s_after_it_went(Duration::hours(-1));
}

#[test]
fn heartbeats_keep_their_interval_when_the_clock_moves() {
    for shift in [Duration::hours(1), Duration::hours(-1)] {
        // Clock-aligned readings follow the wall clock, rightly: off here.
        let mut h = Harness::with_keys(&[
            ("HeartbeatInterval", "300"),
            ("ClockAlignedDataInterval", "0"),
        ]);
        h.boot();
        h.advance(100);
        h.set_wall_clock(shift);
        h.advance(199);
        h.expect_no_call();
        h.advance(1);
        let call = h.expect_call("Heartbeat");
        h.answer(
            &call,
            serde_json::json!({"currentTime": ocpp::datetime::format(&h.now)}),
        );
    }
}

/// Absolute dates still follow the wall clock: a reservation made before the clock moves
/// lasts the time it had left (its expiryDate is taken as a remaining time), while a
/// reservation made after it is judged by the new time.
#[test]
fn a_reservation_lasts_the_time_it_had_left_when_the_clock_moves() {
    let mut h = Harness::new();
    h.boot();
    let expiry = ocpp::datetime::format(&(h.now + Duration::seconds(600)));
    let answer = h.csms_call(
        "ReserveNow",
        serde_json::json!({"connectorId": 1, "expiryDate": expiry, "idTag": "TAG-1", "reservationId": 7}),
    );
    assert!(
        matches!(answer, Some(ocpp::Frame::CallResult(ref r)) if r.payload["status"] == "Accepted"),
        "{answer:?}"
    );
    h.answer_all();
    h.set_wall_clock(Duration::hours(1));
    h.advance(599);
    let still_reserved = h
        .station
        .connectors()
        .iter()
        .any(|c| c.status == ocpp::ChargePointStatus::Reserved);
    assert!(still_reserved, "{:?}", h.station.connectors());
    h.advance(1);
    assert!(h
        .station
        .connectors()
        .iter()
        .all(|c| c.status != ocpp::ChargePointStatus::Reserved));
}
