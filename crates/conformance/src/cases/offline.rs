//! OCTT module 15: Offline Behavior (non-happy flow). The Central System takes the station
//! offline by closing its connection and refusing new ones; online again, it takes the
//! station's reconnection and the messages it queued.

use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use super::meter_values::{check_entry, check_spacing, entries, measurand_list};
use super::sessions::{
    charging, clear_cache, configure_if_known, expect_all, status, stopped, want, CONNECTOR, QUIET,
};
use super::{always, case, Case};
use crate::operator::Step;
use crate::tester::{fail, Failure, Outcome, Tester, INVALID_TAG, TAG};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_036",
            "Connection Loss During Transaction",
            Core,
            always,
            tc_036
        ),
        case!(
            "TC_037_1",
            "Offline Start Transaction - Valid IdTag",
            Core,
            always,
            tc_037_1
        ),
        case!(
            "TC_037_2",
            "Offline Start Transaction - Invalid IdTag - StopTransactionOnInvalidId = false",
            Core,
            always,
            tc_037_2
        ),
        case!(
            "TC_037_3",
            "Offline Start Transaction - Invalid IdTag - StopTransactionOnInvalidId = true",
            Core,
            always,
            tc_037_3
        ),
        case!("TC_038", "Offline Stop Transaction", Core, always, tc_038),
        case!("TC_039", "Offline Transaction", Core, always, tc_039),
    ]
}

/// The MeterValueSampleInterval (seconds) TC_036 sets.
const SAMPLE_INTERVAL: i64 = 2;

/// How long TC_036 keeps the station offline: time for at least three sampled readings.
const OUTAGE: Duration = Duration::from_secs(7);

/// How long the station gets to act on a step while offline (nothing to see on the wire).
const SETTLE: Duration = Duration::from_secs(2);

/// The preparations of the offline starts: offline authorization on (LocalAuthorizeOffline;
/// AllowOfflineTxForUnknownId and the Authorization Cache where implemented) and an empty
/// cache, so that an idTag is judged as unknown offline.
async fn offline_authorization(t: &mut Tester<'_>) -> Outcome {
    t.configure("LocalAuthorizeOffline", "true").await?;
    configure_if_known(t, "AllowOfflineTxForUnknownId", "true").await?;
    configure_if_known(t, "AuthorizationCacheEnabled", "true").await?;
    clear_cache(t).await
}

/// Offline: the EV plugged in and `tag` presented at the connector; the station starts the
/// transaction on its own.
async fn start_offline(t: &mut Tester<'_>, tag: &str) -> Outcome {
    t.offline().await;
    t.act(Step::Plug(CONNECTOR)).await?;
    t.act(Step::PresentCard(CONNECTOR, tag.to_owned())).await?;
    t.wait(SETTLE).await;
    Ok(())
}

/// The StartTransaction of `tag` on the connector (queued while offline); its payload.
async fn queued_start(t: &mut Tester<'_>, tag: &'static str) -> Result<Value, Failure> {
    let found = expect_all(
        t,
        vec![want(
            "StartTransaction",
            format!("connector {CONNECTOR}, idTag {tag} (queued)"),
            move |p| {
                p["connectorId"] == CONNECTOR
                    && p["idTag"]
                        .as_str()
                        .is_some_and(|t| t.eq_ignore_ascii_case(tag))
            },
        )],
    )
    .await?;
    Ok(found[0].clone())
}

/// TC_036: Charging with sampled meter values; the connection is lost for a few intervals;
/// back online, the station delivers every MeterValues.req it queued, in order, before new
/// ones: the timestamps an interval apart with no gap, Sample.Periodic, Raw.
async fn tc_036(t: &mut Tester<'_>) -> Outcome {
    t.configure("MeterValueSampleInterval", &SAMPLE_INTERVAL.to_string())
        .await?;
    t.configure("ClockAlignedDataInterval", "0").await?;
    let measurands = measurand_list(&t.read_key("MeterValuesSampledData").await?);
    let tx = charging(t, CONNECTOR, TAG).await?;
    // One reading before the outage: where the series starts.
    let first = t
        .expect_within(
            Duration::from_secs(SAMPLE_INTERVAL as u64) + t.patience(),
            "MeterValues",
            "a sampled reading before the outage",
            |p| p["connectorId"] == CONNECTOR,
        )
        .await?;
    let mut stamps: Vec<_> = entries(&first)?.into_iter().map(|(at, _)| at).collect();
    t.offline().await;
    let lost = Utc::now();
    t.wait(OUTAGE).await;
    t.online().await?;
    let back = Utc::now();
    t.note(format!("offline from {lost} to {back}"));
    // Everything queued, then at least one reading taken after the reconnection.
    let mut queued = 0;
    loop {
        let req = t
            .expect_within(
                Duration::from_secs(SAMPLE_INTERVAL as u64) + t.patience(),
                "MeterValues",
                "the queued readings, then a new one",
                |p| p["connectorId"] == CONNECTOR,
            )
            .await?;
        if req["transactionId"] != tx {
            return fail(format!(
                "MeterValues.req without the transaction's id {tx}: {req}"
            ));
        }
        let mut newest = None;
        for (at, mv) in entries(&req)? {
            check_entry(&mv, "Sample.Periodic", &measurands)?;
            if stamps.last().is_some_and(|last| at <= *last) {
                return fail(format!(
                    "MeterValues out of order: a reading of {at} after one of {}",
                    stamps.last().map(|l| l.to_string()).unwrap_or_default()
                ));
            }
            if at > lost && at < back {
                queued += 1;
            }
            stamps.push(at);
            newest = Some(at);
        }
        if newest.is_some_and(|at| at > back) {
            break;
        }
    }
    let expected = (OUTAGE.as_secs() as i64 / SAMPLE_INTERVAL) as usize;
    if queued + 1 < expected {
        return fail(format!(
            "{queued} readings taken offline came after the reconnection; about {expected} were due"
        ));
    }
    check_spacing(&stamps, SAMPLE_INTERVAL)
}

/// TC_037_1: offline, the EV plugged in and a valid idTag presented: the station starts the
/// transaction; online again: StartTransaction (the Central System accepts the idTag) and
/// Charging.
async fn tc_037_1(t: &mut Tester<'_>) -> Outcome {
    offline_authorization(t).await?;
    start_offline(t, TAG).await?;
    t.online().await?;
    queued_start(t, TAG).await?;
    expect_all(t, vec![status(CONNECTOR, "Charging")]).await?;
    Ok(())
}

/// Offline start with an idTag the Central System answers Invalid in StartTransaction.conf.
async fn start_offline_invalid(t: &mut Tester<'_>, stop_on_invalid: &str) -> Result<i64, Failure> {
    offline_authorization(t).await?;
    t.configure("StopTransactionOnInvalidId", stop_on_invalid)
        .await?;
    configure_if_known(t, "MaxEnergyOnInvalidId", "0").await?;
    start_offline(t, INVALID_TAG).await?;
    t.online().await?;
    let start = queued_start(t, INVALID_TAG).await?;
    // With StopTransactionOnInvalidId the station may stop it before we look.
    t.transaction_of(&start).await
}

/// TC_037_2: StopTransactionOnInvalidId false; offline start with an idTag the Central
/// System answers Invalid once online: the transaction goes on, energy stops
/// (SuspendedEVSE), no StopTransaction.
async fn tc_037_2(t: &mut Tester<'_>) -> Outcome {
    let tx = start_offline_invalid(t, "false").await?;
    expect_all(t, vec![status(CONNECTOR, "SuspendedEVSE")]).await?;
    t.expect_none(
        QUIET,
        "StopTransaction",
        "with StopTransactionOnInvalidId false",
        |p| p["transactionId"] == tx,
    )
    .await
}

/// TC_037_3: StopTransactionOnInvalidId true; offline start with an idTag the Central
/// System answers Invalid once online: the station stops the transaction (StopTransaction
/// reason DeAuthorized), the EV still plugged in (Finishing).
async fn tc_037_3(t: &mut Tester<'_>) -> Outcome {
    let tx = start_offline_invalid(t, "true").await?;
    stopped(t, CONNECTOR, tx, "DeAuthorized", None, &["Finishing"]).await?;
    Ok(())
}

/// TC_038: Charging; offline, the driver stops with the same card; online again:
/// StopTransaction (reason Local) and Finishing; the cable unplugged: Available.
async fn tc_038(t: &mut Tester<'_>) -> Outcome {
    let tx = charging(t, CONNECTOR, TAG).await?;
    t.offline().await;
    t.act(Step::PresentCard(CONNECTOR, TAG.into())).await?;
    t.wait(SETTLE).await;
    t.online().await?;
    stopped(t, CONNECTOR, tx, "Local", Some(TAG), &["Finishing"]).await?;
    t.act(Step::Unplug(CONNECTOR)).await?;
    t.expect_status(CONNECTOR, "Available").await?;
    Ok(())
}

/// TC_039: offline, a whole transaction: started with a card, stopped with the same card,
/// the cable unplugged; online again: StartTransaction (accepted), then its StopTransaction
/// (reason Local) with the id the Central System gave.
async fn tc_039(t: &mut Tester<'_>) -> Outcome {
    offline_authorization(t).await?;
    start_offline(t, TAG).await?;
    t.act(Step::PresentCard(CONNECTOR, TAG.into())).await?;
    t.wait(SETTLE).await;
    t.act(Step::Unplug(CONNECTOR)).await?;
    t.wait(SETTLE).await;
    t.online().await?;
    let start = queued_start(t, TAG).await?;
    let found = expect_all(
        t,
        vec![want("StopTransaction", "the queued stop", |_| true)],
    )
    .await?;
    let stop = &found[0];
    let tx = t
        .bench
        .cs
        .transactions()
        .into_iter()
        .rev()
        .find(|x| x.station == t.bench.id && x.connector_id == CONNECTOR as i32)
        .map(|x| i64::from(x.transaction_id))
        .ok_or_else(|| Failure("the Central System has no transaction of connector 1".into()))?;
    if stop["transactionId"] != tx {
        return fail(format!(
            "StopTransaction: expected the id {tx} given in StartTransaction.conf, got {stop}"
        ));
    }
    let reason = stop["reason"].as_str().unwrap_or("Local");
    if reason != "Local" {
        return fail(format!(
            "StopTransaction: expected reason Local (or none), got {stop}"
        ));
    }
    if stop["meterStop"].as_i64() < start["meterStart"].as_i64() {
        return fail(format!(
            "meterStop {} below meterStart {}",
            stop["meterStop"], start["meterStart"]
        ));
    }
    Ok(())
}
