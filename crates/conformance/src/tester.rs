//! What a case has at hand: the Central System side of the station under test, the operator,
//! the station profile and the case's log. Messages are plain JSON, as the OCTT case
//! descriptions read; every frame is still checked against the schemas on the way in.

use std::time::Duration;

use csms::{AuthorizePolicy, CentralSystem, CsmsEvent, Direction, Events, TagInfo};
use ocpp::{AuthorizationStatus, Frame};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::log::CaseLog;
use crate::operator::{Operator, Step};
use crate::profile::StationProfile;

/// A card the Central System accepts.
pub const TAG: &str = "CONF-TAG-1";
/// Another accepted card.
pub const TAG_2: &str = "CONF-TAG-2";
/// Two cards of one group: both carry parentIdTag [`PARENT`].
pub const GROUP_TAG_1: &str = "CONF-GROUP-1";
pub const GROUP_TAG_2: &str = "CONF-GROUP-2";
pub const PARENT: &str = "CONF-PARENT";
/// A card the Central System answers Invalid.
pub const INVALID_TAG: &str = "CONF-INVALID";
/// A card the Central System answers Blocked.
pub const BLOCKED_TAG: &str = "CONF-BLOCKED";

/// How the Central System answers Authorize / StartTransaction in every case (a case may
/// change it for itself; it is restored after).
pub fn default_tags() -> AuthorizePolicy {
    AuthorizePolicy::Tags(vec![
        TagInfo::new(TAG, AuthorizationStatus::Accepted),
        TagInfo::new(TAG_2, AuthorizationStatus::Accepted),
        TagInfo::new(GROUP_TAG_1, AuthorizationStatus::Accepted).parent(PARENT),
        TagInfo::new(GROUP_TAG_2, AuthorizationStatus::Accepted).parent(PARENT),
        TagInfo::new(INVALID_TAG, AuthorizationStatus::Invalid),
        TagInfo::new(BLOCKED_TAG, AuthorizationStatus::Blocked),
    ])
}

/// Why a case failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure(pub String);

pub type Outcome = Result<(), Failure>;

pub fn fail<T>(reason: impl Into<String>) -> Result<T, Failure> {
    Err(Failure(reason.into()))
}

/// The suite's fixed parts, shared by every case.
pub struct Bench {
    pub cs: CentralSystem,
    pub id: String,
    pub operator: Operator,
    pub profile: StationProfile,
    pub log: CaseLog,
    /// Serves firmware images and takes diagnostics and log uploads.
    pub files: testservers::http::HttpServer,
    /// The Central System's own test PKI (its server certificate, the root it installs,
    /// the CA that signs the station's CSRs).
    pub pki: certs::pki::TestPki,
}

/// One case's view of the bench.
pub struct Tester<'b> {
    pub bench: &'b Bench,
    events: Events,
    /// Configuration keys the case changed: (key, value before), restored after the case.
    pub(crate) changed: Vec<(String, String)>,
}

impl<'b> Tester<'b> {
    pub fn new(bench: &'b Bench) -> Tester<'b> {
        Tester {
            bench,
            events: bench.cs.subscribe(),
            changed: Vec::new(),
        }
    }

    pub fn profile(&self) -> &StationProfile {
        &self.bench.profile
    }

    pub fn cs(&self) -> &CentralSystem {
        &self.bench.cs
    }

    pub fn note(&self, text: impl AsRef<str>) {
        self.bench.log.note(text);
    }

    /// How long to wait for a message the station sends by itself or after a step.
    pub fn patience(&self) -> Duration {
        self.bench.operator.patience()
    }

    /// Send a CALL and return its CALLRESULT payload; a CALLERROR, a timeout or a lost
    /// connection fails the case.
    pub async fn call(&mut self, action: &str, payload: Value) -> Result<Value, Failure> {
        self.bench
            .cs
            .call_raw(&self.bench.id, action, payload)
            .await
            .map_err(|e| Failure(format!("{action}: {e}")))
    }

    /// Send a CALL and require `status` in its answer.
    pub async fn call_status(
        &mut self,
        action: &str,
        payload: Value,
        status: &str,
    ) -> Result<Value, Failure> {
        let answer = self.call(action, payload).await?;
        if answer["status"] != status {
            return fail(format!(
                "{action}: expected status {status}, the station answered {answer}"
            ));
        }
        Ok(answer)
    }

    /// The next CALL `action` from the station whose payload `pick` accepts, within the
    /// operator's patience; other messages are answered and passed over.
    pub async fn expect(
        &mut self,
        action: &str,
        what: &str,
        pick: impl FnMut(&Value) -> bool,
    ) -> Result<Value, Failure> {
        let patience = self.patience();
        self.expect_within(patience, action, what, pick).await
    }

    pub async fn expect_within(
        &mut self,
        timeout: Duration,
        action: &str,
        what: &str,
        mut pick: impl FnMut(&Value) -> bool,
    ) -> Result<Value, Failure> {
        self.note(format!("expecting {action}: {what}"));
        self.next_call(timeout, |call| call.action == action && pick(&call.payload))
            .await
            .map(|call| call.payload)
            .ok_or_else(|| Failure(format!("no {action} ({what}) within {timeout:?}")))
    }

    /// The next CALL from the station that `pick` accepts, of any action.
    pub async fn next_call(
        &mut self,
        timeout: Duration,
        mut pick: impl FnMut(&ocpp::Call) -> bool,
    ) -> Option<ocpp::Call> {
        let id = self.bench.id.clone();
        self.events
            .find(timeout, |ev| match ev {
                CsmsEvent::Frame {
                    station,
                    direction: Direction::Received,
                    frame: Some(Frame::Call(call)),
                    ..
                } if station == id && pick(&call) => Some(call),
                _ => None,
            })
            .await
    }

    /// No CALL `action` that `pick` accepts during `window`.
    pub async fn expect_none(
        &mut self,
        window: Duration,
        action: &str,
        what: &str,
        pick: impl FnMut(&Value) -> bool,
    ) -> Outcome {
        match self.expect_within(window, action, what, pick).await {
            Ok(payload) => fail(format!("unexpected {action} ({what}): {payload}")),
            Err(_) => Ok(()),
        }
    }

    /// The next StatusNotification of `connector` with `status`.
    pub async fn expect_status(&mut self, connector: u32, status: &str) -> Result<Value, Failure> {
        self.expect(
            "StatusNotification",
            &format!("connector {connector} {status}"),
            |p| p["connectorId"] == connector && p["status"] == status,
        )
        .await
    }

    /// Have the operator do `step`.
    pub async fn act(&mut self, step: Step) -> Outcome {
        self.note(format!("operator: {}", step.instruction()));
        self.bench.operator.act(&step).await.map_err(Failure)
    }

    /// Set configuration key `key` to `value` (Accepted required); restored after the case.
    pub async fn configure(&mut self, key: &str, value: &str) -> Outcome {
        if !self.changed.iter().any(|(k, _)| k == key) {
            let before = self.read_key(key).await?;
            self.changed.push((key.to_owned(), before));
        }
        self.call_status(
            "ChangeConfiguration",
            json!({ "key": key, "value": value }),
            "Accepted",
        )
        .await
        .map(|_| ())
    }

    /// The value of configuration key `key`.
    pub async fn read_key(&mut self, key: &str) -> Result<String, Failure> {
        let answer = self
            .call("GetConfiguration", json!({ "key": [key] }))
            .await?;
        answer["configurationKey"]
            .as_array()
            .and_then(|keys| keys.iter().find(|k| k["key"] == key))
            .and_then(|k| k["value"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| {
                Failure(format!(
                    "GetConfiguration gave no value for {key}: {answer}"
                ))
            })
    }

    /// Put the station offline: close its connection and refuse new ones until
    /// [`Self::online`].
    pub async fn offline(&mut self) {
        self.note("Central System: connection closed, new connections refused");
        self.bench.cs.set_accepting(false);
        self.bench.cs.disconnect(&self.bench.id).await;
    }

    /// Take connections again and wait for the station to come back.
    pub async fn online(&mut self) -> Outcome {
        self.note("Central System: taking connections again");
        self.bench.cs.set_accepting(true);
        // A station backs off between attempts; give it a minute and a half.
        let wait = self.patience().max(Duration::from_secs(90));
        self.bench
            .cs
            .wait_connected(&self.bench.id, wait)
            .await
            .map_err(|_| Failure(format!("the station did not reconnect within {wait:?}")))
    }

    /// Start a transaction the usual way (plug, card) on `connector` and return its id.
    pub async fn start_transaction(&mut self, connector: u32, tag: &str) -> Result<i64, Failure> {
        self.act(Step::Plug(connector)).await?;
        self.expect_status(connector, "Preparing").await?;
        self.act(Step::PresentCard(connector, tag.to_owned()))
            .await?;
        self.transaction_started(connector).await
    }

    /// Wait for the StartTransaction of `connector` and the Charging status; the id the
    /// Central System gave.
    pub async fn transaction_started(&mut self, connector: u32) -> Result<i64, Failure> {
        self.expect(
            "StartTransaction",
            &format!("on connector {connector}"),
            |p| p["connectorId"] == connector,
        )
        .await?;
        self.expect_status(connector, "Charging").await?;
        self.open_transaction(connector).await
    }

    /// The id of the transaction running on `connector`, as the Central System knows it.
    /// The Central System records a start as it answers it, a moment after a case sees the
    /// StartTransaction arrive: give it that moment.
    pub async fn open_transaction(&self, connector: u32) -> Result<i64, Failure> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let open = self.bench.cs.transactions().into_iter().rev().find(|t| {
                t.station == self.bench.id && t.connector_id == connector as i32 && !t.is_stopped()
            });
            match open {
                Some(t) => return Ok(i64::from(t.transaction_id)),
                None if Instant::now() >= deadline => {
                    return fail(format!("no transaction open on connector {connector}"))
                }
                None => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// The id the Central System gave the transaction whose StartTransaction.req was
    /// `start`, stopped since or not (a station may stop it at once, e.g. on an Invalid
    /// idTag). It is recorded as the Central System answers, a moment after a case sees
    /// the request: give it that moment.
    pub async fn transaction_of(&self, start: &Value) -> Result<i64, Failure> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let found = self.bench.cs.transactions().into_iter().rev().find(|t| {
                t.station == self.bench.id
                    && start["connectorId"] == t.connector_id
                    && start["idTag"] == t.id_tag.as_str()
                    && start["meterStart"] == t.meter_start
            });
            match found {
                Some(t) => return Ok(i64::from(t.transaction_id)),
                None if Instant::now() >= deadline => {
                    return fail(format!("the Central System has no transaction for {start}"))
                }
                None => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// Let `time` pass, for timers of the station.
    pub async fn wait(&self, time: Duration) {
        self.note(format!("waiting {time:?}"));
        tokio::time::sleep_until(Instant::now() + time).await;
    }

    /// The next CALL of any action from the station that `pick` (action, payload) accepts,
    /// within `timeout`; others are answered and passed over. For steps a case allows in
    /// either order.
    pub async fn expect_any_within(
        &mut self,
        timeout: Duration,
        what: &str,
        mut pick: impl FnMut(&str, &Value) -> bool,
    ) -> Result<(String, Value), Failure> {
        self.note(format!("expecting {what}"));
        self.next_call(timeout, |call| pick(&call.action, &call.payload))
            .await
            .map(|call| (call.action, call.payload))
            .ok_or_else(|| Failure(format!("no {what} within {timeout:?}")))
    }
}
