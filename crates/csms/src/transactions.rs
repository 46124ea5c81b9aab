//! The transactions the Central System has seen, for tests and the demo to inspect.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use ocpp::Reason;

/// One transaction as seen by the Central System.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionInfo {
    pub transaction_id: i32,
    pub station: String,
    pub connector_id: i32,
    pub id_tag: String,
    pub meter_start: i32,
    pub start_time: DateTime<Utc>,
    pub meter_stop: Option<i32>,
    pub stop_time: Option<DateTime<Utc>>,
    pub stop_reason: Option<Reason>,
    pub stop_id_tag: Option<String>,
}

impl TransactionInfo {
    pub fn is_stopped(&self) -> bool {
        self.stop_time.is_some()
    }
}

/// The registry. Transaction ids are assigned from 1 upwards, across all stations, and
/// never reused while the Central System runs.
#[derive(Debug, Default)]
pub(crate) struct Transactions {
    inner: Mutex<Vec<TransactionInfo>>,
    /// Transaction id -> the connection its last StopTransaction came on.
    stop_connections: Mutex<HashMap<i32, u64>>,
}

/// What a StopTransaction did to the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopOutcome {
    Stopped,
    /// Stopped again on the connection that already stopped it.
    Repeated,
    Unknown,
}

/// What a StopTransaction tells us.
pub(crate) struct Stop {
    /// The connection it came on: a repeat on another connection is a retransmission of an
    /// answer the station lost, a repeat on the same one a station bug.
    pub conn_id: u64,
    pub meter_stop: i32,
    pub time: DateTime<Utc>,
    pub reason: Option<Reason>,
    pub id_tag: Option<String>,
}

impl Transactions {
    /// Record a start and return the new transaction id.
    pub fn start(
        &self,
        station: &str,
        connector_id: i32,
        id_tag: &str,
        meter_start: i32,
        start_time: DateTime<Utc>,
    ) -> i32 {
        let mut txs = self.lock();
        // A station that lost our answer (a power loss right after we sent it) sends the same
        // StartTransaction again: it is the same transaction, so it gets the same id.
        if let Some(same) = txs.iter().find(|t| {
            t.station == station
                && t.connector_id == connector_id
                && t.id_tag == id_tag
                && t.meter_start == meter_start
                && t.start_time == start_time
        }) {
            return same.transaction_id;
        }
        let transaction_id = i32::try_from(txs.len() + 1).unwrap_or(i32::MAX);
        txs.push(TransactionInfo {
            transaction_id,
            station: station.to_owned(),
            connector_id,
            id_tag: id_tag.to_owned(),
            meter_start,
            start_time,
            meter_stop: None,
            stop_time: None,
            stop_reason: None,
            stop_id_tag: None,
        });
        transaction_id
    }

    /// Record a stop. An unknown id may have been started against another Central System,
    /// or offline before a restart.
    pub fn stop(&self, station: &str, transaction_id: i32, stop: Stop) -> StopOutcome {
        let mut txs = self.lock();
        let Some(tx) = txs
            .iter_mut()
            .find(|t| t.transaction_id == transaction_id && t.station == station)
        else {
            return StopOutcome::Unknown;
        };
        let outcome = match self.stopped_on(transaction_id, stop.conn_id) {
            true => StopOutcome::Repeated,
            false => StopOutcome::Stopped,
        };
        tx.meter_stop = Some(stop.meter_stop);
        tx.stop_time = Some(stop.time);
        tx.stop_reason = stop.reason;
        tx.stop_id_tag = stop.id_tag;
        outcome
    }

    /// Whether `transaction_id` was already stopped on connection `conn_id`; remembers that
    /// it is now.
    fn stopped_on(&self, transaction_id: i32, conn_id: u64) -> bool {
        let mut stops = self
            .stop_connections
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        stops.insert(transaction_id, conn_id) == Some(conn_id)
    }

    pub fn all(&self) -> Vec<TransactionInfo> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<TransactionInfo>> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_stops_are_recorded() {
        let t = Transactions::default();
        let now = Utc::now();
        assert_eq!(t.start("CP1", 1, "A", 10, now), 1);
        assert_eq!(t.start("CP2", 1, "B", 20, now), 2);
        let stop = |m| Stop {
            conn_id: 7,
            meter_stop: m,
            time: now,
            reason: None,
            id_tag: None,
        };
        assert_eq!(t.stop("CP1", 1, stop(15)), StopOutcome::Stopped);
        assert_eq!(
            t.stop("CP1", 2, stop(15)),
            StopOutcome::Unknown,
            "wrong station"
        );
        assert_eq!(t.stop("CP1", 99, stop(15)), StopOutcome::Unknown);
        assert_eq!(t.stop("CP1", 1, stop(15)), StopOutcome::Repeated);
        let retransmitted = Stop {
            conn_id: 8,
            ..stop(15)
        };
        assert_eq!(t.stop("CP1", 1, retransmitted), StopOutcome::Stopped);
        let all = t.all();
        assert_eq!(all[0].meter_stop, Some(15));
        assert!(all[0].is_stopped() && !all[1].is_stopped());
    }

    #[test]
    fn a_repeated_start_gets_the_same_id() {
        let t = Transactions::default();
        let now = Utc::now();
        assert_eq!(t.start("CP1", 1, "A", 10, now), 1);
        assert_eq!(t.start("CP1", 1, "A", 10, now), 1);
        assert_eq!(t.start("CP1", 1, "A", 11, now), 2);
        assert_eq!(t.all().len(), 2);
    }
}
