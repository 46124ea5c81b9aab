//! What the panel shows, kept from the Central System's events as they happen: each
//! station with its last status per connector (from its StatusNotifications), its newest
//! frames, and the transactions. Every change also goes out as an [`Update`] to the pages
//! that follow it live.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use chrono::{DateTime, Utc};
use csms::{CentralSystem, CsmsEvent, Direction};
use ocpp::{Action, Frame};
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::views::{ConnectorView, FrameView, Snapshot, StationView, TransactionView, Update};

/// Frames kept per station: enough to scroll back through a session.
pub const FRAMES_PER_STATION: usize = 500;
/// Frames kept in all: a fleet of thousands of stations must not fill the memory.
pub const FRAMES_IN_ALL: usize = 20_000;
/// Updates a slow page may fall behind before it is sent a fresh snapshot instead.
const UPDATE_CAPACITY: usize = 4096;

struct StationEntry {
    view: StationView,
    frames: VecDeque<FrameView>,
    /// The actions of CALLs not yet answered, by unique id: the station's and ours apart
    /// (each side numbers its own), to name the action of an answer.
    station_calls: HashMap<String, String>,
    our_calls: HashMap<String, String>,
}

impl StationEntry {
    fn new(id: &str) -> StationEntry {
        StationEntry {
            view: StationView {
                id: id.to_owned(),
                connected: false,
                registration: None,
                security_profile: None,
                vendor: None,
                model: None,
                firmware: None,
                connectors: Vec::new(),
                last_seen: None,
            },
            frames: VecDeque::new(),
            station_calls: HashMap::new(),
            our_calls: HashMap::new(),
        }
    }
}

#[derive(Default)]
struct Inner {
    stations: BTreeMap<String, StationEntry>,
    seq: u64,
    /// (station, seq) of every frame kept, oldest first, to drop the oldest of all once
    /// there are [`FRAMES_IN_ALL`]; entries of frames a station already dropped stay until
    /// their turn, so this bounds the frames kept.
    order: VecDeque<(String, u64)>,
}

impl Inner {
    fn forget_oldest(&mut self) {
        while self.order.len() > FRAMES_IN_ALL {
            let Some((station, seq)) = self.order.pop_front() else {
                return;
            };
            if let Some(entry) = self.stations.get_mut(&station) {
                if entry.frames.front().is_some_and(|f| f.seq == seq) {
                    entry.frames.pop_front();
                }
            }
        }
    }
}

pub struct Model {
    csms: CentralSystem,
    inner: Mutex<Inner>,
    updates: broadcast::Sender<Update>,
    follower: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Model {
    fn drop(&mut self) {
        // The follower only holds a weak reference; stop it with the last page server.
        if let Some(task) = lock(&self.follower).take() {
            task.abort();
        }
    }
}

impl Model {
    /// Start following `csms`: from now on every event updates the model.
    pub fn follow(csms: CentralSystem) -> Arc<Model> {
        // Subscribe before looking at who is connected, so no connection falls in between.
        let mut events = csms.subscribe();
        let model = Arc::new(Model {
            csms: csms.clone(),
            inner: Mutex::new(Inner::default()),
            updates: broadcast::channel(UPDATE_CAPACITY).0,
            follower: Mutex::new(None),
        });
        for id in csms.connected_stations() {
            model.apply(CsmsEvent::Connected { station: id });
        }
        let weak: Weak<Model> = Arc::downgrade(&model);
        let task = tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let Some(model) = weak.upgrade() else { return };
                model.apply(event);
            }
        });
        *lock(&model.follower) = Some(task);
        model
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.updates.subscribe()
    }

    pub fn snapshot(&self) -> Snapshot {
        let stations = lock(&self.inner)
            .stations
            .values()
            .map(|s| s.view.clone())
            .collect();
        Snapshot {
            stations,
            transactions: self.transactions(),
        }
    }

    /// The newest frames of `station`, oldest first (`None`: never seen).
    pub fn frames(&self, station: &str) -> Option<Vec<FrameView>> {
        lock(&self.inner)
            .stations
            .get(station)
            .map(|s| s.frames.iter().cloned().collect())
    }

    fn transactions(&self) -> Vec<TransactionView> {
        self.csms
            .transactions()
            .into_iter()
            .map(TransactionView::from)
            .collect()
    }

    fn apply(&self, event: CsmsEvent) {
        let updates = match event {
            CsmsEvent::Connected { station } => {
                let profile = self.csms.security_profile(&station);
                // Known already when the panel starts after the station booted.
                let registration = self.csms.registration(&station);
                self.change(&station, |s| {
                    s.view.connected = true;
                    s.view.security_profile = profile;
                    if let Some(r) = registration {
                        s.view.registration = Some(r.as_str().to_owned());
                    }
                    // Unique ids start afresh on a new connection.
                    s.station_calls.clear();
                    s.our_calls.clear();
                })
            }
            CsmsEvent::Disconnected { station } => {
                self.change(&station, |s| s.view.connected = false)
            }
            CsmsEvent::Frame {
                station,
                direction,
                text,
                frame,
                at,
            } => self.frame(station, direction, &text, frame, at),
            CsmsEvent::CertificateSigned { .. } | CsmsEvent::Violation { .. } => Vec::new(),
        };
        for u in updates {
            // No page open is normal.
            let _ = self.updates.send(u);
        }
    }

    /// Apply `f` to the entry of `station` (made on first sight); the new view as an update.
    fn change(&self, station: &str, f: impl FnOnce(&mut StationEntry)) -> Vec<Update> {
        let mut inner = lock(&self.inner);
        let entry = inner
            .stations
            .entry(station.to_owned())
            .or_insert_with(|| StationEntry::new(station));
        f(entry);
        vec![Update::Station {
            station: entry.view.clone(),
        }]
    }

    fn frame(
        &self,
        station: String,
        direction: Direction,
        text: &str,
        frame: Option<Frame>,
        at: DateTime<Utc>,
    ) -> Vec<Update> {
        let mut inner = lock(&self.inner);
        inner.seq += 1;
        let seq = inner.seq;
        let entry = inner
            .stations
            .entry(station.clone())
            .or_insert_with(|| StationEntry::new(&station));
        if direction == Direction::Received {
            entry.view.last_seen = Some(at);
        }
        let shown = csms::redact(text, frame.as_ref());
        let (kind, action, unique_id, json) = match &frame {
            None => ("invalid", None, None, Value::from(shown.as_ref())),
            Some(f) => {
                let json = serde_json::from_str(&shown).unwrap_or_else(|_| Value::from(text));
                let (kind, id, action) = match f {
                    Frame::Call(c) => {
                        let calls = match direction {
                            Direction::Received => &mut entry.station_calls,
                            Direction::Sent => &mut entry.our_calls,
                        };
                        calls.insert(c.unique_id.clone(), c.action.clone());
                        ("CALL", &c.unique_id, Some(c.action.clone()))
                    }
                    Frame::CallResult(r) => (
                        "CALLRESULT",
                        &r.unique_id,
                        answered(entry, direction, &r.unique_id),
                    ),
                    Frame::CallError(e) => (
                        "CALLERROR",
                        &e.unique_id,
                        answered(entry, direction, &e.unique_id),
                    ),
                };
                (kind, action, Some(id.clone()), json)
            }
        };
        let view = FrameView {
            seq,
            station: station.clone(),
            at,
            dir: match direction {
                Direction::Received => "received",
                Direction::Sent => "sent",
            },
            kind,
            action: action.clone(),
            unique_id,
            frame: json,
        };
        if entry.frames.len() == FRAMES_PER_STATION {
            entry.frames.pop_front();
        }
        entry.frames.push_back(view.clone());
        let mut updates = vec![Update::Frame { frame: view }];
        let changed = match (direction, &frame, action.as_deref()) {
            (Direction::Received, Some(Frame::Call(c)), _) => station_facts(&mut entry.view, c, at),
            // Our answer is out: the Central System has recorded what it answered.
            (Direction::Sent, Some(Frame::CallResult(_)), Some(a)) => {
                if a == Action::BootNotification.as_str() {
                    entry.view.registration = self
                        .csms
                        .registration(&station)
                        .map(|r| r.as_str().to_owned());
                    true
                } else {
                    if a == Action::StartTransaction.as_str()
                        || a == Action::StopTransaction.as_str()
                    {
                        updates.push(Update::Transactions {
                            transactions: Vec::new(),
                        });
                    }
                    false
                }
            }
            _ => false,
        };
        if changed {
            updates.push(Update::Station {
                station: entry.view.clone(),
            });
        }
        inner.order.push_back((station, seq));
        inner.forget_oldest();
        drop(inner);
        // Read the registry outside our lock: it has its own.
        for u in &mut updates {
            if let Update::Transactions { transactions } = u {
                *transactions = self.transactions();
            }
        }
        updates
    }
}

/// The action of the CALL that `unique_id` answers: one of ours for what we received, one
/// of the station's for what we sent.
fn answered(entry: &mut StationEntry, direction: Direction, unique_id: &str) -> Option<String> {
    let calls = match direction {
        Direction::Received => &mut entry.our_calls,
        Direction::Sent => &mut entry.station_calls,
    };
    calls.remove(unique_id)
}

/// What a station's CALL tells about it (a status, who it is); whether anything changed.
fn station_facts(view: &mut StationView, call: &ocpp::Call, at: DateTime<Utc>) -> bool {
    let text = |key: &str| {
        call.payload
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match Action::from_name(&call.action) {
        Some(Action::StatusNotification) => {
            let Some(connector_id) = call.payload.get("connectorId").and_then(Value::as_i64) else {
                return false;
            };
            let connector = ConnectorView {
                connector_id,
                status: text("status").unwrap_or_default(),
                error_code: text("errorCode").unwrap_or_default(),
                info: text("info"),
                vendor_error_code: text("vendorErrorCode"),
                at,
            };
            match view
                .connectors
                .iter_mut()
                .find(|c| c.connector_id == connector_id)
            {
                Some(c) => *c = connector,
                None => {
                    view.connectors.push(connector);
                    view.connectors.sort_by_key(|c| c.connector_id);
                }
            }
            true
        }
        Some(Action::BootNotification) => {
            view.vendor = text("chargePointVendor");
            view.model = text("chargePointModel");
            view.firmware = text("firmwareVersion");
            true
        }
        _ => false,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain data: a panic elsewhere while holding the lock leaves it usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use csms::CsmsConfig;

    async fn model() -> Arc<Model> {
        let csms = CentralSystem::start(CsmsConfig::default())
            .await
            .expect("a Central System on loopback");
        Model::follow(csms)
    }

    /// What the model makes of one frame (as `apply` does for a frame event).
    fn frame(m: &Model, station: &str, direction: Direction, text: &str) -> Vec<Update> {
        m.frame(
            station.into(),
            direction,
            text,
            Frame::parse(text).ok(),
            Utc::now(),
        )
    }

    #[tokio::test]
    async fn answers_are_named_by_their_call_and_statuses_kept_per_connector() {
        let m = model().await;
        let received = Direction::Received;
        let status = r#"[2,"7","StatusNotification",{"connectorId":2,"errorCode":"NoError","status":"Charging"}]"#;
        let updates = frame(&m, "CP1", received, status);
        assert!(
            matches!(&updates[1], Update::Station { station } if station.connectors[0].status == "Charging"),
            "{updates:?}"
        );
        frame(&m, "CP1", Direction::Sent, r#"[3,"7",{}]"#);
        frame(
            &m,
            "CP1",
            Direction::Sent,
            r#"[2,"cs1","Reset",{"type":"Soft"}]"#,
        );
        // The answer to our CALL is matched among our CALLs, not among the station's.
        frame(&m, "CP1", received, r#"[3,"cs1",{"status":"Accepted"}]"#);
        frame(&m, "CP1", received, "not a frame");
        let frames = m.frames("CP1").expect("CP1 seen");
        let seen: Vec<_> = frames
            .iter()
            .map(|f| (f.kind, f.action.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            seen,
            [
                ("CALL", "StatusNotification"),
                ("CALLRESULT", "StatusNotification"),
                ("CALL", "Reset"),
                ("CALLRESULT", "Reset"),
                ("invalid", ""),
            ]
        );
        assert_eq!(m.frames("CP2").map(|f| f.len()), None);
    }

    #[tokio::test]
    async fn the_authorization_key_is_redacted_and_memory_is_bounded() {
        let m = model().await;
        let secret =
            r#"[2,"cs9","ChangeConfiguration",{"key":"AuthorizationKey","value":"00112233"}]"#;
        frame(&m, "CP1", Direction::Sent, secret);
        let shown = serde_json::to_string(&m.frames("CP1").unwrap()).unwrap();
        assert!(!shown.contains("00112233"), "{shown}");

        for n in 0..FRAMES_PER_STATION + 10 {
            frame(
                &m,
                "CP1",
                Direction::Received,
                &format!(r#"[2,"{n}","Heartbeat",{{}}]"#),
            );
        }
        assert_eq!(m.frames("CP1").unwrap().len(), FRAMES_PER_STATION);
        let stations = FRAMES_IN_ALL / FRAMES_PER_STATION + 5;
        for s in 0..stations {
            for n in 0..FRAMES_PER_STATION {
                let text = format!(r#"[2,"{n}","Heartbeat",{{}}]"#);
                m.frame(
                    format!("F{s}"),
                    Direction::Received,
                    &text,
                    Frame::parse(&text).ok(),
                    Utc::now(),
                );
            }
        }
        let kept: usize = (0..stations)
            .map(|s| m.frames(&format!("F{s}")).unwrap().len())
            .sum::<usize>()
            + m.frames("CP1").unwrap().len();
        assert!(kept <= FRAMES_IN_ALL, "{kept} frames kept");
        // The oldest went first: the newest station still has all of its frames.
        let newest = m.frames(&format!("F{}", stations - 1)).unwrap();
        assert_eq!(newest.len(), FRAMES_PER_STATION);
        assert!(m.frames("CP1").unwrap().is_empty());
    }
}
