//! OCTT module 23: Smart Charging (TC_056..TC_060, TC_066, TC_067, TC_072, TC_082).
//!
//! The cases set charging profiles in A (ChargingScheduleAllowedChargingRateUnit; SC-1.1)
//! with ids of their own, check the station's answers and, where OCTT validates one, the
//! composite schedule GetCompositeSchedule reports; each clears its profiles whatever the
//! outcome (a TxProfile ends with its transaction anyway).
//!
//! A composite is compared with what the profiles make of it second by second, on the
//! absolute time line (its periods are relative to its own start): a few seconds around each
//! expected change are skipped (the time between setting a profile and asking), and where no
//! profile limits the connector the station may report no period or its own maximum, which
//! must be above every limit the case set.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::reservation::call_or_error;
use super::{always, case, Case};
use crate::operator::Step;
use crate::tester::{fail, Outcome, Tester, TAG};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_056",
            "Central Smart Charging - TxDefaultProfile",
            SmartCharging,
            always,
            tc_056
        ),
        case!(
            "TC_057",
            "Central Smart Charging - TxProfile",
            SmartCharging,
            always,
            tc_057
        ),
        case!(
            "TC_058_1",
            "Central Smart Charging - No ongoing transaction",
            SmartCharging,
            always,
            tc_058_1
        ),
        case!(
            "TC_058_2",
            "Central Smart Charging - Wrong transactionId",
            SmartCharging,
            always,
            tc_058_2
        ),
        case!(
            "TC_059",
            "Remote Start Transaction with Charging Profile",
            SmartCharging,
            always,
            tc_059
        ),
        case!(
            "TC_060",
            "Remote Start Transaction with Charging Profile - Rejected",
            SmartCharging,
            always,
            tc_060
        ),
        case!(
            "TC_066",
            "Get Composite Schedule",
            SmartCharging,
            always,
            tc_066
        ),
        case!(
            "TC_067",
            "Clear Charging Profile",
            SmartCharging,
            always,
            tc_067
        ),
        case!(
            "TC_072",
            "Stacking Charging Profiles",
            SmartCharging,
            always,
            tc_072
        ),
        case!(
            "TC_082",
            "Central Smart Charging - TxDefaultProfile - with ongoing transaction",
            SmartCharging,
            always,
            tc_082
        ),
    ]
}

/// The connector the cases use.
const CONNECTOR: u32 = 1;

/// How far the station's scheduleStart may be from the time the tool asked (OCTT's
/// configured max time deviation).
const MAX_DEVIATION_SECS: i64 = 5;

/// Seconds skipped either side of an expected change of the limit.
const SKIP_SECS: f64 = 3.0;

/// How long to watch for something that must not happen.
const QUIET: Duration = Duration::from_secs(2);

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One schedule of a profile the case sets: from `start`, for `duration` seconds, the
/// limits (A) of `periods` (startPeriod, limit).
#[derive(Clone)]
struct Sched {
    start: DateTime<Utc>,
    duration: i64,
    periods: Vec<(i64, f64)>,
}

impl Sched {
    fn new(start: DateTime<Utc>, duration: i64, periods: &[(i64, f64)]) -> Sched {
        Sched {
            start,
            duration,
            periods: periods.to_vec(),
        }
    }

    /// Its limit `offset` seconds after `t0`, None outside it.
    fn at(&self, t0: DateTime<Utc>, offset: f64) -> Option<f64> {
        let since = offset - secs_between(self.start, t0);
        if since < 0.0 || since >= self.duration as f64 {
            return None;
        }
        self.periods
            .iter()
            .rev()
            .find(|(p, _)| *p as f64 <= since)
            .map(|(_, l)| *l)
    }

    /// Where its limit changes, as seconds after `t0`.
    fn changes(&self, t0: DateTime<Utc>) -> Vec<f64> {
        let base = secs_between(self.start, t0);
        self.periods
            .iter()
            .map(|(p, _)| base + *p as f64)
            .chain([base + self.duration as f64])
            .collect()
    }

    fn json(&self) -> Value {
        json!({
            "duration": self.duration,
            "startSchedule": rfc3339(self.start),
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": self
                .periods
                .iter()
                .map(|(p, l)| json!({ "startPeriod": p, "limit": l }))
                .collect::<Vec<_>>(),
        })
    }
}

/// `a - b` in seconds.
fn secs_between(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (a - b).num_milliseconds() as f64 / 1000.0
}

/// An Absolute charging profile.
fn profile(id: i64, purpose: &str, stack_level: i64, tx: Option<i64>, sched: &Sched) -> Value {
    let mut p = json!({
        "chargingProfileId": id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": sched.json(),
    });
    if let Some(tx) = tx {
        p["transactionId"] = json!(tx);
    }
    p
}

/// SetChargingProfile, Accepted required.
async fn set_profile(t: &mut Tester<'_>, connector: u32, profile: Value) -> Outcome {
    t.call_status(
        "SetChargingProfile",
        json!({ "connectorId": connector, "csChargingProfiles": profile }),
        "Accepted",
    )
    .await
    .map(|_| ())
}

/// Clear the case's profiles by id, whatever the answers (a TxProfile may be gone with its
/// transaction already); only a lost station fails.
async fn clear_profiles(t: &mut Tester<'_>, ids: &[i64], result: Outcome) -> Outcome {
    t.note("clearing the case's charging profiles");
    let mut cleared = Ok(());
    for id in ids {
        if let Err(f) = call_or_error(t, "ClearChargingProfile", json!({ "id": id })).await {
            cleared = Err(f);
            break;
        }
    }
    result.and(cleared)
}

/// A request that must be refused: status Rejected, or the CALLERROR
/// PropertyConstraintViolation OCTT allows instead.
async fn refused(t: &mut Tester<'_>, action: &str, payload: Value) -> Outcome {
    match call_or_error(t, action, payload).await? {
        Ok(a) if a["status"] == "Rejected" => Ok(()),
        Ok(a) => fail(format!("{action}: expected status Rejected, the station answered {a}")),
        Err(e) if e.error_code == ocpp::ErrorCode::PropertyConstraintViolation => Ok(()),
        Err(e) => fail(format!(
            "{action}: expected Rejected (or PropertyConstraintViolation), the station answered CALLERROR {} {}",
            e.error_code.as_str(),
            e.error_description
        )),
    }
}

/// What the composite should say `offset` seconds after `t0`: Some(limit) where a profile
/// limits the connector, None where none does.
type Expected<'a> = &'a dyn Fn(f64) -> Option<f64>;

/// The composite of the case's connector over 300 s is `sched`, from `t0` (each case's
/// own profiles stay under 10 A).
async fn follows(t: &mut Tester<'_>, t0: DateTime<Utc>, sched: &Sched) -> Outcome {
    let expected = |o| sched.at(t0, o);
    check_composite(t, CONNECTOR, 300, t0, &expected, &sched.changes(t0), 10.0).await
}

/// GetCompositeSchedule of `connector` over `duration` s in A, Accepted, checked against
/// `expected` (changes at `changes`, seconds after `t0`); where nothing is expected the
/// station may report nothing or a limit above `ceiling` (its own maximum).
async fn check_composite(
    t: &mut Tester<'_>,
    connector: u32,
    duration: i64,
    t0: DateTime<Utc>,
    expected: Expected<'_>,
    changes: &[f64],
    ceiling: f64,
) -> Outcome {
    let asked = Utc::now();
    let answer = t
        .call_status(
            "GetCompositeSchedule",
            json!({ "connectorId": connector, "duration": duration, "chargingRateUnit": "A" }),
            "Accepted",
        )
        .await?;
    let bad = |why: String| fail(format!("GetCompositeSchedule: {why}; the answer: {answer}"));
    if answer["connectorId"] != connector {
        return bad(format!("connectorId should be {connector}"));
    }
    let schedule = &answer["chargingSchedule"];
    if !schedule.is_object() {
        return bad("no chargingSchedule".into());
    }
    if schedule["chargingRateUnit"] != "A" {
        return bad("chargingRateUnit should be A, as asked".into());
    }
    if schedule["duration"] != duration {
        return bad(format!("duration should be {duration}, as asked"));
    }
    let time = |v: &Value| {
        v.as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc))
    };
    let Some(start) = time(&schedule["startSchedule"]).or_else(|| time(&answer["scheduleStart"]))
    else {
        return bad("neither scheduleStart nor chargingSchedule.startSchedule".into());
    };
    if secs_between(start, asked).abs() > MAX_DEVIATION_SECS as f64 {
        return bad(format!(
            "the schedule starts at {start}, more than {MAX_DEVIATION_SECS} s from when it was asked ({asked})"
        ));
    }
    let mut periods: Vec<(f64, f64)> = Vec::new();
    for p in schedule["chargingSchedulePeriod"]
        .as_array()
        .into_iter()
        .flatten()
    {
        match (p["startPeriod"].as_f64(), p["limit"].as_f64()) {
            (Some(s), Some(l)) => periods.push((s, l)),
            _ => return bad(format!("a period without startPeriod or limit: {p}")),
        }
    }
    if periods.windows(2).any(|w| w[0].0 >= w[1].0) {
        return bad("periods not in increasing startPeriod order".into());
    }
    let reported = |since_start: f64| {
        periods
            .iter()
            .rev()
            .find(|(s, _)| *s <= since_start)
            .map(|(_, l)| *l)
    };
    for second in 0..duration {
        let since_start = second as f64 + 0.5;
        let offset = secs_between(start, t0) + since_start;
        if changes.iter().any(|c| (offset - c).abs() < SKIP_SECS) {
            continue;
        }
        let got = reported(since_start);
        let ok = match (expected(offset), got) {
            (Some(want), Some(got)) => (want - got).abs() < 0.05,
            (Some(_), None) => false,
            (None, None) => true,
            (None, Some(got)) => got > ceiling,
        };
        if !ok {
            let want = match expected(offset) {
                Some(w) => format!("{w} A"),
                None => format!("no limit of the case's profiles (nothing, or above {ceiling} A)"),
            };
            let got = got.map_or("no period".to_string(), |g| format!("{g} A"));
            return bad(format!(
                "{second} s into the schedule ({offset:.0} s after the profiles' start) the limit should be {want}, it is {got}"
            ));
        }
    }
    Ok(())
}

/// The lowest of the limits that apply.
fn min_of(limits: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    limits.into_iter().flatten().reduce(f64::min)
}

/// The TxDefaultProfile of TC_056 and TC_082.
fn default_sched(t0: DateTime<Utc>) -> Sched {
    Sched::new(t0, 300, &[(0, 6.0), (60, 10.0), (120, 8.0)])
}

/// TC_056: a TxDefaultProfile set before a transaction governs it.
async fn tc_056(t: &mut Tester<'_>) -> Outcome {
    let result = async {
        let t0 = Utc::now();
        let sched = default_sched(t0);
        set_profile(
            t,
            CONNECTOR,
            profile(5601, "TxDefaultProfile", 0, None, &sched),
        )
        .await?;
        t.start_transaction(CONNECTOR, TAG).await?;
        follows(t, t0, &sched).await
    }
    .await;
    clear_profiles(t, &[5601], result).await
}

/// TC_057: a TxProfile for the running transaction governs it.
async fn tc_057(t: &mut Tester<'_>) -> Outcome {
    let result = async {
        let tx = t.start_transaction(CONNECTOR, TAG).await?;
        let t0 = Utc::now();
        let sched = Sched::new(t0, 260, &[(0, 6.0), (60, 10.0), (120, 8.0)]);
        set_profile(
            t,
            CONNECTOR,
            profile(5701, "TxProfile", 0, Some(tx), &sched),
        )
        .await?;
        follows(t, t0, &sched).await
    }
    .await;
    clear_profiles(t, &[5701], result).await
}

/// TC_058_1: a TxProfile while no transaction runs is refused.
async fn tc_058_1(t: &mut Tester<'_>) -> Outcome {
    let result = async {
        let t0 = Utc::now();
        let sched = Sched::new(t0, 260, &[(0, 6.0), (60, 10.0), (120, 8.0)]);
        refused(
            t,
            "SetChargingProfile",
            json!({
                "connectorId": CONNECTOR,
                "csChargingProfiles": profile(5811, "TxProfile", 0, Some(1), &sched),
            }),
        )
        .await
    }
    .await;
    clear_profiles(t, &[5811], result).await
}

/// TC_058_2: a TxProfile for a transaction other than the running one is refused.
async fn tc_058_2(t: &mut Tester<'_>) -> Outcome {
    let result = async {
        let tx = t.start_transaction(CONNECTOR, TAG).await?;
        let t0 = Utc::now();
        let sched = Sched::new(t0, 260, &[(0, 6.0), (60, 10.0), (120, 8.0)]);
        refused(
            t,
            "SetChargingProfile",
            json!({
                "connectorId": CONNECTOR,
                "csChargingProfiles": profile(5821, "TxProfile", 0, Some(tx + 1), &sched),
            }),
        )
        .await
    }
    .await;
    clear_profiles(t, &[5821], result).await
}

/// TC_059: RemoteStartTransaction with a TxProfile: the transaction starts and follows it.
async fn tc_059(t: &mut Tester<'_>) -> Outcome {
    let result = async {
        t.act(Step::Plug(CONNECTOR)).await?;
        t.expect_status(CONNECTOR, "Preparing").await?;
        let t0 = Utc::now();
        let sched = Sched::new(t0, 300, &[(0, 6.0), (120, 10.0)]);
        t.call_status(
            "RemoteStartTransaction",
            json!({
                "connectorId": CONNECTOR,
                "idTag": TAG,
                "chargingProfile": profile(5901, "TxProfile", 0, None, &sched),
            }),
            "Accepted",
        )
        .await?;
        t.transaction_started(CONNECTOR).await?;
        follows(t, t0, &sched).await
    }
    .await;
    clear_profiles(t, &[5901], result).await
}

/// TC_060: RemoteStartTransaction with a profile that is not a TxProfile is refused, and
/// nothing starts.
async fn tc_060(t: &mut Tester<'_>) -> Outcome {
    let result = async {
        let t0 = Utc::now();
        let sched = Sched::new(t0, 260, &[(0, 6.0), (60, 10.0), (120, 8.0)]);
        refused(
            t,
            "RemoteStartTransaction",
            json!({
                "connectorId": CONNECTOR,
                "idTag": TAG,
                "chargingProfile": profile(6001, "TxDefaultProfile", 0, None, &sched),
            }),
        )
        .await?;
        t.expect_none(
            QUIET,
            "StartTransaction",
            "after a refused remote start",
            |_| true,
        )
        .await
    }
    .await;
    clear_profiles(t, &[6001], result).await
}

/// TC_066: a ChargePointMaxProfile, a TxDefaultProfile and a TxProfile together: the
/// composite is the TxProfile while it lasts (else the TxDefaultProfile), never above the
/// station's maximum.
async fn tc_066(t: &mut Tester<'_>) -> Outcome {
    let result = async {
        let tx = t.start_transaction(CONNECTOR, TAG).await?;
        let t0 = Utc::now();
        let max = Sched::new(t0, 86_400, &[(0, 10.0)]);
        let default = Sched::new(
            t0,
            300,
            &[(0, 6.0), (60, 10.0), (120, 8.0), (180, 25.0), (260, 8.0)],
        );
        let tx_sched = Sched::new(
            t0,
            260,
            &[(0, 8.0), (50, 11.0), (140, 16.0), (200, 6.0), (240, 12.0)],
        );
        set_profile(t, 0, profile(6601, "ChargePointMaxProfile", 0, None, &max)).await?;
        set_profile(
            t,
            CONNECTOR,
            profile(6602, "TxDefaultProfile", 0, None, &default),
        )
        .await?;
        set_profile(
            t,
            CONNECTOR,
            profile(6603, "TxProfile", 0, Some(tx), &tx_sched),
        )
        .await?;
        let expected = |o: f64| {
            let tx_or_default = tx_sched.at(t0, o).or_else(|| default.at(t0, o));
            min_of([max.at(t0, o), tx_or_default])
        };
        let changes: Vec<f64> = [&max, &default, &tx_sched]
            .iter()
            .flat_map(|s| s.changes(t0))
            .collect();
        check_composite(t, CONNECTOR, 400, t0, &expected, &changes, 25.0).await
    }
    .await;
    clear_profiles(t, &[6603, 6602, 6601], result).await
}

/// TC_067: a TxDefaultProfile cleared by id, by its connectorId, purpose and stackLevel,
/// and with everything; after each the composite holds none of its limits.
async fn tc_067(t: &mut Tester<'_>) -> Outcome {
    let result = async {
        let clears = [
            json!({ "id": 6701 }),
            json!({
                "connectorId": CONNECTOR,
                "chargingProfilePurpose": "TxDefaultProfile",
                "stackLevel": 1,
            }),
            json!({}),
        ];
        for clear in clears {
            let t0 = Utc::now();
            let sched = Sched::new(t0, 400, &[(0, 6.0), (60, 8.0), (200, 10.0)]);
            set_profile(
                t,
                CONNECTOR,
                profile(6701, "TxDefaultProfile", 1, None, &sched),
            )
            .await?;
            t.call_status("ClearChargingProfile", clear, "Accepted")
                .await?;
            check_composite(t, CONNECTOR, 400, t0, &|_| None, &[], 10.0).await?;
        }
        Ok(())
    }
    .await;
    clear_profiles(t, &[6701], result).await
}

/// TC_072: two TxDefaultProfiles stacked: the higher stackLevel wins while it lasts.
async fn tc_072(t: &mut Tester<'_>) -> Outcome {
    let result = async {
        let t0 = Utc::now();
        let valid = |p: &mut Value| {
            p["validFrom"] = json!(rfc3339(t0 - chrono::Duration::seconds(MAX_DEVIATION_SECS)));
            p["validTo"] = json!(rfc3339(
                t0 + chrono::Duration::seconds(MAX_DEVIATION_SECS + 401)
            ));
        };
        let low = Sched::new(t0, 400, &[(0, 6.0), (100, 8.0), (200, 10.0)]);
        let high = Sched::new(t0, 150, &[(0, 7.0), (100, 9.0)]);
        let mut p1 = profile(7201, "TxDefaultProfile", 0, None, &low);
        let mut p2 = profile(7202, "TxDefaultProfile", 1, None, &high);
        valid(&mut p1);
        valid(&mut p2);
        set_profile(t, CONNECTOR, p1).await?;
        set_profile(t, CONNECTOR, p2).await?;
        t.start_transaction(CONNECTOR, TAG).await?;
        let expected = |o: f64| high.at(t0, o).or_else(|| low.at(t0, o));
        let changes: Vec<f64> = [&low, &high].iter().flat_map(|s| s.changes(t0)).collect();
        check_composite(t, CONNECTOR, 400, t0, &expected, &changes, 10.0).await
    }
    .await;
    clear_profiles(t, &[7202, 7201], result).await
}

/// TC_082: a TxDefaultProfile set during a transaction governs it.
async fn tc_082(t: &mut Tester<'_>) -> Outcome {
    let result = async {
        t.start_transaction(CONNECTOR, TAG).await?;
        let t0 = Utc::now();
        let sched = default_sched(t0);
        set_profile(
            t,
            CONNECTOR,
            profile(8201, "TxDefaultProfile", 0, None, &sched),
        )
        .await?;
        follows(t, t0, &sched).await
    }
    .await;
    clear_profiles(t, &[8201], result).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_gives_its_limits_in_its_time() {
        let t0 = Utc::now();
        let s = Sched::new(
            t0 + chrono::Duration::seconds(10),
            100,
            &[(0, 6.0), (50, 8.0)],
        );
        assert_eq!(s.at(t0, 5.0), None);
        assert_eq!(s.at(t0, 10.5), Some(6.0));
        assert_eq!(s.at(t0, 60.5), Some(8.0));
        assert_eq!(s.at(t0, 110.5), None);
        assert_eq!(s.changes(t0), vec![10.0, 60.0, 110.0]);
    }

    #[test]
    fn the_lowest_limit_applies() {
        assert_eq!(min_of([Some(10.0), Some(8.0)]), Some(8.0));
        assert_eq!(min_of([None, Some(8.0)]), Some(8.0));
        assert_eq!(min_of([None, None]), None);
    }
}
