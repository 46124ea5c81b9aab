//! OCTT module 18: Local Authorization List (GetLocalListVersion, SendLocalList, and starting
//! a transaction with an id tag on the list).
//!
//! Every case that fills the list empties it again at its end (a Full update without
//! entries: GetLocalListVersion answers 0 again), whatever its outcome, while
//! LocalAuthListEnabled is still true; the suite then restores the keys.

use std::time::Duration;

use csms::{CsmsError, CsmsEvent, Direction, Events};
use ocpp::Frame;
use serde_json::{json, Value};

use super::{always, case, Case};
use crate::operator::Step;
use crate::profile::{Profile, StationProfile};
use crate::tester::{fail, Failure, Outcome, Tester, TAG, TAG_2};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_008_1",
            "Regular Start Charging Session - Id in Local Authorization List",
            LocalAuthListManagement,
            always,
            tc_008_1
        ),
        case!(
            "TC_008_2",
            "Remote Start Charging Session - Id in Local Authorization List",
            LocalAuthListManagement,
            always,
            tc_008_2
        ),
        // The two "not supported" cases are for a station without the profile: they are
        // filed under Core so that such a station runs them.
        case!(
            "TC_042_1",
            "Get Local List Version (not supported)",
            Core,
            without_local_list,
            tc_042_1
        ),
        case!(
            "TC_042_2",
            "Get Local List Version (empty)",
            LocalAuthListManagement,
            always,
            tc_042_2
        ),
        case!(
            "TC_043_1",
            "Send Local Authorization List - NotSupported",
            Core,
            without_local_list,
            tc_043_1
        ),
        case!(
            "TC_043_2",
            "Send Local Authorization List - VersionMismatch",
            LocalAuthListManagement,
            always,
            tc_043_2
        ),
        case!(
            "TC_043_3",
            "Send Local Authorization List - Failed",
            LocalAuthListManagement,
            always,
            tc_043_3
        ),
        case!(
            "TC_043",
            "Send Local Authorization List",
            LocalAuthListManagement,
            always,
            tc_043
        ),
    ]
}

/// TC_042_1 and TC_043_1 are for a station that does not implement the profile.
fn without_local_list(p: &StationProfile) -> Result<(), String> {
    if p.has(Profile::LocalAuthListManagement) {
        return Err(
            "the station implements the LocalAuthListManagement profile (the case is for one \
             that does not)"
                .into(),
        );
    }
    Ok(())
}

/// A list entry: `tag` with `status`, valid for years.
fn entry(tag: &str, status: &str) -> Value {
    json!({
        "idTag": tag,
        "idTagInfo": { "status": status, "expiryDate": "2099-12-31T23:59:59Z" }
    })
}

/// SendLocalList; the status the station answered.
async fn send_list(
    t: &mut Tester<'_>,
    version: i64,
    update_type: &str,
    entries: Option<Vec<Value>>,
) -> Result<String, Failure> {
    let mut req = json!({ "listVersion": version, "updateType": update_type });
    if let Some(entries) = entries {
        req["localAuthorizationList"] = Value::Array(entries);
    }
    let answer = t.call("SendLocalList", req).await?;
    Ok(answer["status"].as_str().unwrap_or_default().to_owned())
}

/// SendLocalList that must be answered `status`.
async fn send_list_status(
    t: &mut Tester<'_>,
    version: i64,
    update_type: &str,
    entries: Option<Vec<Value>>,
    status: &str,
) -> Outcome {
    let answered = send_list(t, version, update_type, entries).await?;
    if answered != status {
        return fail(format!(
            "SendLocalList ({update_type}, listVersion {version}): expected status {status}, \
             the station answered {answered}"
        ));
    }
    Ok(())
}

/// GetLocalListVersion's listVersion.
async fn list_version(t: &mut Tester<'_>) -> Result<i64, Failure> {
    let answer = t.call("GetLocalListVersion", json!({})).await?;
    answer["listVersion"]
        .as_i64()
        .ok_or_else(|| Failure(format!("GetLocalListVersion: no listVersion in {answer}")))
}

/// GetLocalListVersion must answer `expected`.
async fn expect_version(t: &mut Tester<'_>, expected: i64) -> Outcome {
    let version = list_version(t).await?;
    if version != expected {
        return fail(format!(
            "GetLocalListVersion: expected listVersion {expected}, the station answered {version}"
        ));
    }
    Ok(())
}

/// Empty the list again (a Full update without entries).
async fn clear_list(t: &mut Tester<'_>) -> Outcome {
    t.note("emptying the local authorization list again");
    send_list_status(t, 1, "Full", None, "Accepted")
        .await
        .map_err(|f| {
            Failure(format!(
                "the list could not be emptied after the case: {}",
                f.0
            ))
        })
}

/// The end of a case that used the list: empty it, whatever `result` the case had.
async fn finish(t: &mut Tester<'_>, result: Outcome) -> Outcome {
    let cleared = clear_list(t).await;
    result.and(cleared)
}

/// Set `key` to `value` if the station has the key and lets it be written (an optional key,
/// or one that may be read-only); restored after the case like [`Tester::configure`]. Whether
/// it was set.
async fn configure_if_writable(
    t: &mut Tester<'_>,
    key: &str,
    value: &str,
) -> Result<bool, Failure> {
    let Ok(before) = t.read_key(key).await else {
        t.note(format!("{key} is not implemented: left as it is"));
        return Ok(false);
    };
    if before.eq_ignore_ascii_case(value) {
        return Ok(true);
    }
    let answer = t
        .call("ChangeConfiguration", json!({ "key": key, "value": value }))
        .await?;
    if answer["status"] == "Accepted" {
        if !t.changed.iter().any(|(k, _)| k == key) {
            t.changed.push((key.to_owned(), before));
        }
        return Ok(true);
    }
    t.note(format!(
        "{key} cannot be set to {value} ({answer}): left as {before}"
    ));
    Ok(false)
}

/// The preparation of TC_008: LocalPreAuthorize true, the Authorization Cache off (if it
/// exists), the list enabled and holding [`TAG`] (Accepted).
async fn prepare_008(t: &mut Tester<'_>) -> Outcome {
    t.configure("LocalPreAuthorize", "true").await?;
    configure_if_writable(t, "AuthorizationCacheEnabled", "false").await?;
    let version = list_version(t).await?;
    send_list_status(
        t,
        version.max(0) + 1,
        "Full",
        Some(vec![entry(TAG, "Accepted")]),
        "Accepted",
    )
    .await
}

/// The Authorize.req the station sent, among the events `seen` has gathered so far.
async fn authorize_sent(seen: &mut Events, station: &str) -> Option<Value> {
    while let Some(ev) = seen.next(Duration::from_millis(100)).await {
        if let CsmsEvent::Frame {
            station: s,
            direction: Direction::Received,
            frame: Some(Frame::Call(call)),
            ..
        } = ev
        {
            if s == station && call.action == "Authorize" {
                return Some(call.payload);
            }
        }
    }
    None
}

/// The StartTransaction on `connector` for `tag` and the Charging status that follow an
/// authorization from the list, with no Authorize.req before (LocalPreAuthorize).
async fn started_from_list(t: &mut Tester<'_>, seen: &mut Events, connector: u32) -> Outcome {
    let start = t
        .expect(
            "StartTransaction",
            &format!("on connector {connector}"),
            |p| p["connectorId"] == connector,
        )
        .await?;
    if start["idTag"] != TAG {
        return fail(format!(
            "StartTransaction: expected idTag {TAG}, got {}",
            start["idTag"]
        ));
    }
    t.expect_status(connector, "Charging").await?;
    let station = t.bench.id.clone();
    if let Some(authorize) = authorize_sent(seen, &station).await {
        return fail(format!(
            "the station sent Authorize.req {authorize} for an id tag on the Local \
             Authorization List while LocalPreAuthorize is true"
        ));
    }
    Ok(())
}

/// TC_008_1: the EV driver presents a card on the list, then plugs in: the transaction
/// starts without an Authorize.req (LocalPreAuthorize), Preparing then Charging.
async fn tc_008_1(t: &mut Tester<'_>) -> Outcome {
    t.configure("LocalAuthListEnabled", "true").await?;
    let result: Outcome = async {
        prepare_008(t).await?;
        let mut seen = t.cs().subscribe();
        t.act(Step::PresentCard(1, TAG.to_owned())).await?;
        t.expect_status(1, "Preparing").await?;
        t.act(Step::Plug(1)).await?;
        started_from_list(t, &mut seen, 1).await
    }
    .await;
    finish(t, result).await
}

/// TC_008_2: the EV is plugged in and the Central System starts a transaction remotely for
/// an id tag on the list: no Authorize.req (also with AuthorizeRemoteTxRequests true, where
/// writable: the list authorizes it), StartTransaction, Charging.
async fn tc_008_2(t: &mut Tester<'_>) -> Outcome {
    t.configure("LocalAuthListEnabled", "true").await?;
    let result: Outcome = async {
        prepare_008(t).await?;
        configure_if_writable(t, "AuthorizeRemoteTxRequests", "true").await?;
        let mut seen = t.cs().subscribe();
        t.act(Step::Plug(1)).await?;
        t.expect_status(1, "Preparing").await?;
        t.call_status(
            "RemoteStartTransaction",
            json!({ "connectorId": 1, "idTag": TAG }),
            "Accepted",
        )
        .await?;
        started_from_list(t, &mut seen, 1).await
    }
    .await;
    finish(t, result).await
}

/// A CALL whose answer may be a CALLERROR: `Err(error code)` then.
async fn call_or_error(
    t: &mut Tester<'_>,
    action: &str,
    payload: Value,
) -> Result<Result<Value, String>, Failure> {
    match t.cs().call_raw(&t.bench.id, action, payload).await {
        Ok(answer) => Ok(Ok(answer)),
        Err(CsmsError::CallError(e)) => Ok(Err(e.error_code.as_str().to_owned())),
        Err(e) => fail(format!("{action}: {e}")),
    }
}

/// TC_042_1: a station without the list answers GetLocalListVersion with -1 or a CALLERROR
/// NotSupported (LocalAuthListEnabled false first, if the station has the key).
async fn tc_042_1(t: &mut Tester<'_>) -> Outcome {
    configure_if_writable(t, "LocalAuthListEnabled", "false").await?;
    match call_or_error(t, "GetLocalListVersion", json!({})).await? {
        Ok(answer) if answer["listVersion"] == -1 => Ok(()),
        Ok(answer) => fail(format!(
            "GetLocalListVersion: expected listVersion -1 (not supported), got {answer}"
        )),
        Err(code) if code == "NotSupported" => Ok(()),
        Err(code) => fail(format!(
            "GetLocalListVersion: expected listVersion -1 or CALLERROR NotSupported, got \
             CALLERROR {code}"
        )),
    }
}

/// TC_042_2: after a Full update without entries (listVersion 1), the list is empty and its
/// version 0.
async fn tc_042_2(t: &mut Tester<'_>) -> Outcome {
    t.configure("LocalAuthListEnabled", "true").await?;
    let result: Outcome = async {
        send_list_status(t, 1, "Full", None, "Accepted").await?;
        expect_version(t, 0).await
    }
    .await;
    finish(t, result).await
}

/// TC_043_1: a station without the list answers SendLocalList (Full) with NotSupported or a
/// CALLERROR NotSupported (LocalAuthListEnabled false first, if the station has the key).
async fn tc_043_1(t: &mut Tester<'_>) -> Outcome {
    configure_if_writable(t, "LocalAuthListEnabled", "false").await?;
    let req = json!({
        "listVersion": 1,
        "updateType": "Full",
        "localAuthorizationList": [entry(TAG, "Accepted")],
    });
    match call_or_error(t, "SendLocalList", req).await? {
        Ok(answer) if answer["status"] == "NotSupported" => Ok(()),
        Ok(answer) => fail(format!(
            "SendLocalList: expected status NotSupported, the station answered {answer}"
        )),
        Err(code) if code == "NotSupported" => Ok(()),
        Err(code) => fail(format!(
            "SendLocalList: expected status NotSupported or CALLERROR NotSupported, got \
             CALLERROR {code}"
        )),
    }
}

/// TC_043: a Full update, then a Differential one, both Accepted; the list has the version
/// of the last one.
async fn tc_043(t: &mut Tester<'_>) -> Outcome {
    t.configure("LocalAuthListEnabled", "true").await?;
    let result: Outcome = async {
        send_list_status(t, 1, "Full", Some(vec![entry(TAG, "Accepted")]), "Accepted").await?;
        send_list_status(
            t,
            2,
            "Differential",
            Some(vec![entry(TAG_2, "Accepted")]),
            "Accepted",
        )
        .await?;
        expect_version(t, 2).await
    }
    .await;
    finish(t, result).await
}

/// TC_043_2: Full updates to versions 2 and 5 are taken; a Differential one to version 4
/// (not newer) is VersionMismatch and leaves the list at 5.
async fn tc_043_2(t: &mut Tester<'_>) -> Outcome {
    t.configure("LocalAuthListEnabled", "true").await?;
    let result: Outcome = async {
        let list = || Some(vec![entry(TAG, "Accepted")]);
        send_list_status(t, 2, "Full", list(), "Accepted").await?;
        expect_version(t, 2).await?;
        send_list_status(t, 5, "Full", list(), "Accepted").await?;
        expect_version(t, 5).await?;
        send_list_status(t, 4, "Differential", list(), "VersionMismatch").await?;
        expect_version(t, 5).await
    }
    .await;
    finish(t, result).await
}

/// TC_043_3: the station is brought into a state where it fails to set the list: a Full
/// update (listVersion 2) with one entry more than SendLocalListMaxLength allows in one
/// request. It answers Failed and keeps the list it had.
async fn tc_043_3(t: &mut Tester<'_>) -> Outcome {
    t.configure("LocalAuthListEnabled", "true").await?;
    let result: Outcome = async {
        let max = t.read_key("SendLocalListMaxLength").await?;
        let max: usize = max
            .trim()
            .parse()
            .map_err(|_| Failure(format!("SendLocalListMaxLength {max:?} is not a number")))?;
        let before = list_version(t).await?;
        t.note(format!(
            "sending {} entries, one more than SendLocalListMaxLength",
            max + 1
        ));
        let entries = (0..=max)
            .map(|i| entry(&format!("CONF-LIST-{i:05}"), "Accepted"))
            .collect();
        send_list_status(t, 2, "Full", Some(entries), "Failed").await?;
        expect_version(t, before).await
    }
    .await;
    finish(t, result).await
}
