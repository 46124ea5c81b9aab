//! OCTT module 21: Reservation (TC_046..TC_053).
//!
//! Each case makes its own reservations (reservationIds of its own, expiring a few minutes
//! ahead, or seconds for TC_047) and undoes what it set up whatever the outcome: it cancels
//! its reservations, clears the faults it raised, unplugs what it plugged and makes the
//! connectors it set Inoperative Operative again, waiting for them to be Available.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde_json::{json, Value};
use tokio::time::Instant;

use super::{always, case, Case};
use crate::operator::Step;
use crate::profile::StationProfile;
use crate::tester::{fail, Failure, Outcome, Tester, GROUP_TAG_1, GROUP_TAG_2, PARENT, TAG, TAG_2};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_046_1",
            "Reservation of a Connector - Local start transaction",
            Reservation,
            always,
            tc_046_1
        ),
        case!(
            "TC_046_2",
            "Reservation of a Connector - Remote start transaction",
            Reservation,
            always,
            tc_046_2
        ),
        case!(
            "TC_047",
            "Reservation of a Connector - Expire",
            Reservation,
            always,
            tc_047
        ),
        case!(
            "TC_048_1",
            "Reservation of a Connector - Faulted",
            Reservation,
            always,
            tc_048_1
        ),
        case!(
            "TC_048_2",
            "Reservation of a Connector - Occupied",
            Reservation,
            always,
            tc_048_2
        ),
        case!(
            "TC_048_3",
            "Reservation of a Connector - Unavailable",
            Reservation,
            always,
            tc_048_3
        ),
        case!(
            "TC_048_4",
            "Reservation of a Connector - Rejected",
            Reservation,
            always,
            tc_048_4
        ),
        case!(
            "TC_049",
            "Reservation of a Charge Point - Transaction",
            Reservation,
            connector_zero,
            tc_049
        ),
        case!(
            "TC_050_1",
            "Reservation of a Charge Point - Faulted",
            Reservation,
            connector_zero,
            tc_050_1
        ),
        case!(
            "TC_050_2",
            "Reservation of a Charge Point - Occupied",
            Reservation,
            connector_zero,
            tc_050_2
        ),
        case!(
            "TC_050_3",
            "Reservation of a Charge Point - Unavailable",
            Reservation,
            connector_zero,
            tc_050_3
        ),
        case!(
            "TC_050_4",
            "Reservation of a Charge Point - Rejected",
            Reservation,
            always,
            tc_050_4
        ),
        case!("TC_051", "Cancel Reservation", Reservation, always, tc_051),
        case!(
            "TC_052",
            "Cancel Reservation - Rejected",
            Reservation,
            always,
            tc_052
        ),
        case!(
            "TC_053_1",
            "Use a reserved Connector with parentIdTag - Local",
            Reservation,
            always,
            tc_053_1
        ),
        case!(
            "TC_053_2",
            "Use a reserved Connector with parentIdTag - Remote",
            Reservation,
            always,
            tc_053_2
        ),
    ]
}

/// TC_049 and TC_050_1..3 need ReserveConnectorZeroSupported.
fn connector_zero(p: &StationProfile) -> Result<(), String> {
    if p.reserve_connector_zero {
        Ok(())
    } else {
        Err(
            "the station does not reserve connector 0 (ReserveConnectorZeroSupported is false)"
                .into(),
        )
    }
}

/// How long a reservation of these cases lasts unless the case is about its expiry.
const RESERVATION_SECS: i64 = 300;

/// How long to watch for something that must not happen.
const QUIET: Duration = Duration::from_secs(2);

/// The time `secs` seconds from now, as OCPP writes it.
fn in_seconds(secs: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Send a CALL and return its CALLRESULT payload, or the CALLERROR the station answered;
/// a timeout or a lost connection fails the case.
pub(super) async fn call_or_error(
    t: &mut Tester<'_>,
    action: &str,
    payload: Value,
) -> Result<Result<Value, ocpp::CallError>, Failure> {
    let id = t.bench.id.clone();
    match t.cs().call_raw(&id, action, payload).await {
        Ok(answer) => Ok(Ok(answer)),
        Err(csms::CsmsError::CallError(e)) => Ok(Err(e)),
        Err(e) => fail(format!("{action}: {e}")),
    }
}

/// What a case changed and must undo.
#[derive(Default)]
struct Undo {
    /// Reservations made: (reservationId, connectorId).
    reservations: Vec<(i64, u32)>,
    /// Connectors with a fault raised.
    faults: Vec<u32>,
    /// Connectors with an EV plugged in and no transaction.
    plugged: Vec<u32>,
    /// Connectors set Inoperative.
    inoperative: Vec<u32>,
    /// The whole station set Inoperative.
    station_inoperative: bool,
}

const FAULT: &str = "GroundFailure";

/// Undo what the case changed; the case's outcome unless undoing failed after a pass.
async fn finish(t: &mut Tester<'_>, undo: Undo, result: Outcome) -> Outcome {
    t.note("undoing the case's preconditions");
    let restored = restore(t, undo).await;
    // Let the suite's view of the connectors catch up with the last statuses before it
    // tidies up.
    tokio::time::sleep(Duration::from_millis(200)).await;
    result.and(restored)
}

async fn restore(t: &mut Tester<'_>, undo: Undo) -> Outcome {
    let mut outcome = Ok(());
    let mut keep = |r: Outcome| {
        if outcome.is_ok() {
            outcome = r;
        }
    };
    for (id, connector) in undo.reservations {
        // A reservation that was used or refused is gone: Rejected is fine then.
        let answer = call_or_error(t, "CancelReservation", json!({ "reservationId": id })).await;
        if let Ok(Ok(a)) = &answer {
            if a["status"] == "Accepted" && connector > 0 {
                keep(t.expect_status(connector, "Available").await.map(|_| ()));
            }
        }
    }
    for connector in undo.faults {
        keep(t.act(Step::Fault(connector, FAULT.into(), false)).await);
        keep(t.expect_status(connector, "Available").await.map(|_| ()));
    }
    for connector in undo.plugged {
        keep(t.act(Step::Unplug(connector)).await);
        keep(t.expect_status(connector, "Available").await.map(|_| ()));
    }
    for connector in undo.inoperative {
        keep(availability(t, connector, "Operative").await);
        keep(t.expect_status(connector, "Available").await.map(|_| ()));
    }
    if undo.station_inoperative {
        keep(availability(t, 0, "Operative").await);
        let all: Vec<(u32, &str)> = (1..=t.profile().connectors)
            .map(|c| (c, "Available"))
            .collect();
        keep(expect_statuses(t, &all).await);
    }
    outcome
}

/// ChangeAvailability of `connector` to `kind`, Accepted required.
async fn availability(t: &mut Tester<'_>, connector: u32, kind: &str) -> Outcome {
    t.call_status(
        "ChangeAvailability",
        json!({ "connectorId": connector, "type": kind }),
        "Accepted",
    )
    .await
    .map(|_| ())
}

/// StatusNotifications for every (connector, status) given, in any order.
async fn expect_statuses(t: &mut Tester<'_>, wanted: &[(u32, &str)]) -> Outcome {
    let mut left: Vec<(u32, String)> = wanted.iter().map(|(c, s)| (*c, s.to_string())).collect();
    while !left.is_empty() {
        let what = left
            .iter()
            .map(|(c, s)| format!("connector {c} {s}"))
            .collect::<Vec<_>>()
            .join(", ");
        let pending = left.clone();
        let p = t
            .expect("StatusNotification", &what, |p| {
                pending
                    .iter()
                    .any(|(c, s)| p["connectorId"] == *c && p["status"] == s.as_str())
            })
            .await?;
        left.retain(|(c, s)| !(p["connectorId"] == *c && p["status"] == s.as_str()));
    }
    Ok(())
}

/// SetConnectorUnavailable for every connector but `used` (OCTT's precondition where a
/// reservation must not be served elsewhere).
async fn others_unavailable(t: &mut Tester<'_>, used: u32, undo: &mut Undo) -> Outcome {
    for connector in (1..=t.profile().connectors).filter(|&c| c != used) {
        availability(t, connector, "Inoperative").await?;
        undo.inoperative.push(connector);
        t.expect_status(connector, "Unavailable").await?;
    }
    Ok(())
}

/// ReserveNow; the status the station answered.
async fn reserve(
    t: &mut Tester<'_>,
    undo: &mut Undo,
    connector: u32,
    id_tag: &str,
    parent: Option<&str>,
    reservation_id: i64,
    expiry_date: String,
) -> Result<String, Failure> {
    let mut req = json!({
        "connectorId": connector,
        "expiryDate": expiry_date,
        "idTag": id_tag,
        "reservationId": reservation_id,
    });
    if let Some(parent) = parent {
        req["parentIdTag"] = json!(parent);
    }
    undo.reservations.push((reservation_id, connector));
    let answer = t.call("ReserveNow", req).await?;
    Ok(answer["status"].as_str().unwrap_or_default().to_owned())
}

/// ReserveNow that must be answered `status`.
#[allow(clippy::too_many_arguments)]
async fn reserve_expect(
    t: &mut Tester<'_>,
    undo: &mut Undo,
    connector: u32,
    id_tag: &str,
    parent: Option<&str>,
    reservation_id: i64,
    expiry_date: String,
    status: &str,
) -> Outcome {
    let got = reserve(
        t,
        undo,
        connector,
        id_tag,
        parent,
        reservation_id,
        expiry_date,
    )
    .await?;
    if got != status {
        return fail(format!(
            "ReserveNow {reservation_id} on connector {connector}: expected status {status}, the station answered {got}"
        ));
    }
    Ok(())
}

/// ReserveNow on `connector` for the usual time, Accepted, and the connector Reserved.
async fn reserved(
    t: &mut Tester<'_>,
    undo: &mut Undo,
    connector: u32,
    id_tag: &str,
    parent: Option<&str>,
    reservation_id: i64,
) -> Outcome {
    let expiry = in_seconds(RESERVATION_SECS);
    reserve_expect(
        t,
        undo,
        connector,
        id_tag,
        parent,
        reservation_id,
        expiry,
        "Accepted",
    )
    .await?;
    t.expect_status(connector, "Reserved").await.map(|_| ())
}

/// The StartTransaction of `connector` and its Charging status, in either order; the
/// StartTransaction's payload.
async fn started(t: &mut Tester<'_>, connector: u32) -> Result<Value, Failure> {
    let mut start: Option<Value> = None;
    let mut charging = false;
    let patience = t.patience();
    while start.is_none() || !charging {
        let (need_start, need_charging) = (start.is_none(), !charging);
        let (action, p) = t
            .expect_any_within(
                patience,
                &format!("StartTransaction and Charging on connector {connector}"),
                |action, p| {
                    p["connectorId"] == connector
                        && ((need_start && action == "StartTransaction")
                            || (need_charging
                                && action == "StatusNotification"
                                && p["status"] == "Charging"))
                },
            )
            .await?;
        if action == "StartTransaction" {
            start = Some(p);
        } else {
            charging = true;
        }
    }
    Ok(start.unwrap_or_default())
}

/// The StartTransaction is for `id_tag` and ends reservation `reservation_id` (or none).
fn check_start(start: &Value, id_tag: &str, reservation_id: Option<i64>) -> Outcome {
    if !start["idTag"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case(id_tag))
    {
        return fail(format!(
            "StartTransaction should carry idTag {id_tag}: {start}"
        ));
    }
    match reservation_id {
        Some(id) if start["reservationId"] != id => fail(format!(
            "StartTransaction should carry reservationId {id} (the reservation it ends): {start}"
        )),
        None if !start["reservationId"].is_null() => fail(format!(
            "StartTransaction names a reservation although none was used: {start}"
        )),
        _ => Ok(()),
    }
}

/// A card the station must refuse on `connector`: nothing follows it (no Authorize.req for
/// it when `no_authorize`, no Preparing).
async fn refused_card(
    t: &mut Tester<'_>,
    connector: u32,
    id_tag: &str,
    no_authorize: bool,
) -> Outcome {
    t.act(Step::PresentCard(connector, id_tag.to_owned()))
        .await?;
    let tag = id_tag.to_owned();
    let seen = t
        .expect_any_within(
            QUIET,
            &format!("nothing after card {id_tag} on the reserved connector"),
            |action, p| {
                (no_authorize && action == "Authorize" && p["idTag"] == tag.as_str())
                    || (action == "StatusNotification"
                        && p["connectorId"] == connector
                        && p["status"] == "Preparing")
                    || action == "StartTransaction"
            },
        )
        .await;
    match seen {
        Ok((action, p)) => fail(format!(
            "connector {connector} is reserved for someone else, yet card {id_tag} led to {action} {p}"
        )),
        Err(_) => Ok(()),
    }
}

/// TC_046_1: a reserved connector refuses another card (without asking the Central System)
/// and serves the reserved one; StartTransaction names the reservation.
async fn tc_046_1(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        others_unavailable(t, 1, &mut undo).await?;
        reserved(t, &mut undo, 1, TAG, None, 4611).await?;
        refused_card(t, 1, TAG_2, true).await?;
        t.act(Step::PresentCard(1, TAG.into())).await?;
        t.expect_status(1, "Preparing").await?;
        t.act(Step::Plug(1)).await?;
        let start = started(t, 1).await?;
        check_start(&start, TAG, Some(4611))
    }
    .await;
    finish(t, undo, result).await
}

/// TC_046_2: a reserved connector started remotely for the reserved idTag.
async fn tc_046_2(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        reserved(t, &mut undo, 1, TAG, None, 4621).await?;
        t.call_status(
            "RemoteStartTransaction",
            json!({ "connectorId": 1, "idTag": TAG }),
            "Accepted",
        )
        .await?;
        t.act(Step::Plug(1)).await?;
        let start = started(t, 1).await?;
        check_start(&start, TAG, Some(4621))
    }
    .await;
    finish(t, undo, result).await
}

/// TC_047: a reservation not used before its expiryDate ends: the connector is Available
/// again (not before the expiry) and charges for another card without the reservation.
async fn tc_047(t: &mut Tester<'_>) -> Outcome {
    const EXPIRY: u64 = 6;
    let mut undo = Undo::default();
    let result = async {
        others_unavailable(t, 1, &mut undo).await?;
        let made = Instant::now();
        reserve_expect(t, &mut undo, 1, TAG, None, 4700, in_seconds(EXPIRY as i64), "Accepted").await?;
        t.expect_status(1, "Reserved").await?;
        let patience = t.patience();
        t.expect_within(
            Duration::from_secs(EXPIRY) + patience,
            "StatusNotification",
            "connector 1 Available when the reservation expires",
            |p| p["connectorId"] == 1 && p["status"] == "Available",
        )
        .await?;
        let after = made.elapsed();
        if after + Duration::from_secs(2) < Duration::from_secs(EXPIRY) {
            return fail(format!(
                "connector 1 was Available {after:?} after the reservation, before its expiryDate ({EXPIRY} s)"
            ));
        }
        t.act(Step::Plug(1)).await?;
        t.expect_status(1, "Preparing").await?;
        t.act(Step::PresentCard(1, TAG_2.into())).await?;
        let start = started(t, 1).await?;
        check_start(&start, TAG_2, None)
    }
    .await;
    finish(t, undo, result).await
}

/// TC_048_1: a Faulted connector is not reserved.
async fn tc_048_1(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        undo.faults.push(1);
        t.act(Step::Fault(1, FAULT.into(), true)).await?;
        t.expect_status(1, "Faulted").await?;
        reserve_expect(
            t,
            &mut undo,
            1,
            TAG,
            None,
            4810,
            in_seconds(RESERVATION_SECS),
            "Faulted",
        )
        .await
    }
    .await;
    finish(t, undo, result).await
}

/// TC_048_2: an occupied connector (an EV plugged in) is not reserved.
async fn tc_048_2(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        undo.plugged.push(1);
        t.act(Step::Plug(1)).await?;
        t.expect_status(1, "Preparing").await?;
        reserve_expect(
            t,
            &mut undo,
            1,
            TAG,
            None,
            4820,
            in_seconds(RESERVATION_SECS),
            "Occupied",
        )
        .await
    }
    .await;
    finish(t, undo, result).await
}

/// TC_048_3: an Unavailable (Inoperative) connector is not reserved.
async fn tc_048_3(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        availability(t, 1, "Inoperative").await?;
        undo.inoperative.push(1);
        t.expect_status(1, "Unavailable").await?;
        reserve_expect(
            t,
            &mut undo,
            1,
            TAG,
            None,
            4830,
            in_seconds(RESERVATION_SECS),
            "Unavailable",
        )
        .await
    }
    .await;
    finish(t, undo, result).await
}

/// No StatusNotification Reserved for a while: a refused reservation reserves nothing.
async fn nothing_reserved(t: &mut Tester<'_>) -> Outcome {
    t.expect_none(
        QUIET,
        "StatusNotification",
        "Reserved after a refused ReserveNow",
        |p| p["status"] == "Reserved",
    )
    .await
}

/// TC_048_4: a reservation the station is not configured to accept is Rejected. A station
/// with the Reservation profile reserves its connectors while they are free, so the case
/// asks for the reservations no state of a connector explains: one on a connector the station
/// does not have (Rejected, or the CALLERROR PropertyConstraintViolation OCTT allows for a
/// request with a value out of range), and one whose expiryDate has passed (Rejected: nothing
/// can be reserved for a time that is over). Neither reserves anything.
async fn tc_048_4(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        let missing = t.profile().connectors + 1;
        undo.reservations.push((4841, missing));
        let answer = call_or_error(
            t,
            "ReserveNow",
            json!({
                "connectorId": missing,
                "expiryDate": in_seconds(RESERVATION_SECS),
                "idTag": TAG,
                "reservationId": 4841,
            }),
        )
        .await?;
        match answer {
            Ok(a) if a["status"] == "Rejected" => {}
            Err(e) if e.error_code == ocpp::ErrorCode::PropertyConstraintViolation => {}
            Ok(a) => {
                return fail(format!(
                    "ReserveNow for connector {missing}, which the station does not have: expected Rejected, the station answered {a}"
                ))
            }
            Err(e) => {
                return fail(format!(
                    "ReserveNow for connector {missing}: expected Rejected (or PropertyConstraintViolation), the station answered CALLERROR {} {}",
                    e.error_code.as_str(),
                    e.error_description
                ))
            }
        }
        reserve_expect(t, &mut undo, 1, TAG, None, 4842, in_seconds(-60), "Rejected").await?;
        nothing_reserved(t).await
    }
    .await;
    finish(t, undo, result).await
}

/// TC_049: connector 0 reserved; with one connector left to serve it, that one shows
/// Reserved, refuses another card and charges for the reserved one.
async fn tc_049(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        others_unavailable(t, 1, &mut undo).await?;
        reserve_expect(
            t,
            &mut undo,
            0,
            TAG,
            None,
            4900,
            in_seconds(RESERVATION_SECS),
            "Accepted",
        )
        .await?;
        t.expect_status(1, "Reserved").await?;
        refused_card(t, 1, TAG_2, false).await?;
        t.act(Step::PresentCard(1, TAG.into())).await?;
        t.expect_status(1, "Preparing").await?;
        t.act(Step::Plug(1)).await?;
        let start = started(t, 1).await?;
        check_start(&start, TAG, Some(4900))
    }
    .await;
    finish(t, undo, result).await
}

/// TC_050_1: with every connector Faulted, the station is not reserved.
async fn tc_050_1(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        for c in 1..=t.profile().connectors {
            undo.faults.push(c);
            t.act(Step::Fault(c, FAULT.into(), true)).await?;
            t.expect_status(c, "Faulted").await?;
        }
        reserve_expect(
            t,
            &mut undo,
            0,
            TAG,
            None,
            5010,
            in_seconds(RESERVATION_SECS),
            "Faulted",
        )
        .await
    }
    .await;
    finish(t, undo, result).await
}

/// TC_050_2: with every connector occupied, the station is not reserved.
async fn tc_050_2(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        for c in 1..=t.profile().connectors {
            undo.plugged.push(c);
            t.act(Step::Plug(c)).await?;
            t.expect_status(c, "Preparing").await?;
        }
        reserve_expect(
            t,
            &mut undo,
            0,
            TAG,
            None,
            5020,
            in_seconds(RESERVATION_SECS),
            "Occupied",
        )
        .await
    }
    .await;
    finish(t, undo, result).await
}

/// TC_050_3: with the station Unavailable, it is not reserved.
async fn tc_050_3(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        availability(t, 0, "Inoperative").await?;
        undo.station_inoperative = true;
        let all: Vec<(u32, &str)> = (0..=t.profile().connectors)
            .map(|c| (c, "Unavailable"))
            .collect();
        expect_statuses(t, &all).await?;
        reserve_expect(
            t,
            &mut undo,
            0,
            TAG,
            None,
            5030,
            in_seconds(RESERVATION_SECS),
            "Unavailable",
        )
        .await
    }
    .await;
    finish(t, undo, result).await
}

/// TC_050_4: a reservation of the Charge Point the station does not accept is Rejected.
/// When the station reports ReserveConnectorZeroSupported false, that is any reservation of
/// connector 0 (section 5.13). When it reserves connector 0 (the reference product), the
/// case asks for the one reservation of connector 0 no state explains: one whose expiryDate
/// has passed. Either way nothing is reserved, and the key must agree with the profile.
async fn tc_050_4(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        let key = t.read_key("ReserveConnectorZeroSupported").await?;
        let supported = key.eq_ignore_ascii_case("true");
        if supported != t.profile().reserve_connector_zero {
            return fail(format!(
                "the station reports ReserveConnectorZeroSupported {key}, the station profile says reserve_connector_zero = {}",
                t.profile().reserve_connector_zero
            ));
        }
        let expiry = if supported {
            in_seconds(-60)
        } else {
            in_seconds(RESERVATION_SECS)
        };
        reserve_expect(t, &mut undo, 0, TAG, None, 5040, expiry, "Rejected").await?;
        nothing_reserved(t).await
    }
    .await;
    finish(t, undo, result).await
}

/// TC_051: a reservation cancelled; the connector is Available again.
async fn tc_051(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        reserved(t, &mut undo, 1, TAG, None, 5100).await?;
        t.call_status(
            "CancelReservation",
            json!({ "reservationId": 5100 }),
            "Accepted",
        )
        .await?;
        t.expect_status(1, "Available").await.map(|_| ())
    }
    .await;
    finish(t, undo, result).await
}

/// TC_052: cancelling a reservationId the station does not hold is Rejected and cancels
/// nothing.
async fn tc_052(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        reserved(t, &mut undo, 1, TAG, None, 5200).await?;
        t.call_status(
            "CancelReservation",
            json!({ "reservationId": 5299 }),
            "Rejected",
        )
        .await?;
        t.expect_none(
            QUIET,
            "StatusNotification",
            "connector 1 Available: the reservation was cancelled",
            |p| p["connectorId"] == 1 && p["status"] == "Available",
        )
        .await
    }
    .await;
    finish(t, undo, result).await
}

/// TC_053_1: a connector reserved for an idTag with a parentIdTag serves another card of
/// that parentIdTag presented locally.
async fn tc_053_1(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        others_unavailable(t, 1, &mut undo).await?;
        reserved(t, &mut undo, 1, GROUP_TAG_1, Some(PARENT), 5310).await?;
        t.act(Step::PresentCard(1, GROUP_TAG_2.into())).await?;
        t.expect_status(1, "Preparing").await?;
        t.act(Step::Plug(1)).await?;
        let start = started(t, 1).await?;
        check_start(&start, GROUP_TAG_2, Some(5310))
    }
    .await;
    finish(t, undo, result).await
}

/// TC_053_2: the same, started remotely for the other card of the parentIdTag.
async fn tc_053_2(t: &mut Tester<'_>) -> Outcome {
    let mut undo = Undo::default();
    let result = async {
        reserved(t, &mut undo, 1, GROUP_TAG_1, Some(PARENT), 5320).await?;
        t.call_status(
            "RemoteStartTransaction",
            json!({ "connectorId": 1, "idTag": GROUP_TAG_2 }),
            "Accepted",
        )
        .await?;
        t.act(Step::Plug(1)).await?;
        let start = started(t, 1).await?;
        check_start(&start, GROUP_TAG_2, Some(5320))
    }
    .await;
    finish(t, undo, result).await
}
