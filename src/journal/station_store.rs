//! One station's [`Store`] in the fleet database: reads from memory, writes applied in
//! memory and journaled (see the module above).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use store::{
    CachedAuth, LocalListApplied, LocalListEntry, LocalListUpdate, MemoryStore, QueuedMessage,
    Reservation, Result, SecurityLogEntry, Store, StoreError, StoredCertificate,
    StoredChargingProfile, TransactionRecord,
};

use super::op::{Answer, Op};
use super::writer::{Msg, Stored};
use super::{Journal, SNAPSHOT_EVERY};

pub struct JournalStore {
    station: Arc<str>,
    memory: MemoryStore,
    journal: Arc<Journal>,
    /// The number of the station's last write (from 1; a snapshot counts up to its own).
    n: u64,
    /// Writes since the last snapshot.
    since_snapshot: u64,
    /// The global sequence number of the last message about this station, for
    /// [`super::Durability`].
    last: Arc<AtomicU64>,
}

impl JournalStore {
    /// The station as its last snapshot and the writes after it leave it.
    pub(super) fn replay(
        station: Arc<str>,
        stored: Stored,
        journal: Arc<Journal>,
        last: Arc<AtomicU64>,
    ) -> std::result::Result<JournalStore, String> {
        let (mut n, mut memory) = match stored.snapshot {
            Some((n, state)) => (
                n,
                serde_json::from_str(&state).map_err(|e| format!("snapshot {n}: {e}"))?,
            ),
            None => (0, MemoryStore::new()),
        };
        let since_snapshot = stored.ops.len() as u64;
        for (at, text) in stored.ops {
            if at != n + 1 {
                return Err(format!("write {} is missing", n + 1));
            }
            let op: Op = serde_json::from_str(&text).map_err(|e| format!("write {at}: {e}"))?;
            op.apply(&mut memory)
                .map_err(|e| format!("write {at} does not replay: {e}"))?;
            n = at;
        }
        Ok(JournalStore {
            station,
            memory,
            journal,
            n,
            since_snapshot,
            last,
        })
    }

    /// Apply `op` in memory and queue it for the disk.
    fn write(&mut self, op: Op) -> Result<Answer> {
        if let Some(e) = self.journal.failed() {
            return Err(StoreError::Db(format!("the fleet's database failed: {e}")));
        }
        let answer = op.apply(&mut self.memory)?;
        if !op.changed(answer) {
            return Ok(answer);
        }
        let text =
            serde_json::to_string(&op).map_err(|e| StoreError::Db(format!("journal: {e}")))?;
        self.n += 1;
        let (station, n) = (self.station.clone(), self.n);
        let seq = self.journal.send(|seq| Msg::Op {
            seq,
            station,
            n,
            op: text,
        });
        self.since_snapshot += 1;
        let seq = if self.since_snapshot >= SNAPSHOT_EVERY {
            self.snapshot().unwrap_or(seq)
        } else {
            seq
        };
        self.last.store(seq, Ordering::Release);
        Ok(answer)
    }

    /// Queue the whole state: the writes before it go.
    fn snapshot(&mut self) -> Option<u64> {
        let state = match serde_json::to_string(&self.memory) {
            Ok(state) => state,
            Err(e) => {
                tracing::error!("snapshot of {}: {e}", self.station);
                return None;
            }
        };
        self.since_snapshot = 0;
        let (station, n) = (self.station.clone(), self.n);
        Some(self.journal.send(|seq| Msg::Snapshot {
            seq,
            station,
            n,
            state,
        }))
    }
}

impl Store for JournalStore {
    fn config_all(&self) -> Result<Vec<(String, String)>> {
        self.memory.config_all()
    }

    fn config_set(&mut self, key: &str, value: &str) -> Result<()> {
        self.write(Op::ConfigSet {
            key: key.to_owned(),
            value: value.to_owned(),
        })
        .map(drop)
    }

    fn queue_push(&mut self, msg: &QueuedMessage) -> Result<u64> {
        self.write(Op::QueuePush { msg: msg.clone() })
            .map(Answer::number)
    }

    fn queue_front(&self) -> Result<Option<(u64, QueuedMessage)>> {
        self.memory.queue_front()
    }

    fn queue_len(&self) -> Result<usize> {
        self.memory.queue_len()
    }

    fn queue_remove(&mut self, seq: u64) -> Result<()> {
        self.write(Op::QueueRemove { seq }).map(drop)
    }

    fn queue_set_attempts(&mut self, seq: u64, attempts: u32) -> Result<()> {
        self.write(Op::QueueSetAttempts { seq, attempts }).map(drop)
    }

    fn tx_begin(&mut self, rec: &TransactionRecord, start_msg: &QueuedMessage) -> Result<i64> {
        self.write(Op::TxBegin {
            rec: rec.clone(),
            start_msg: start_msg.clone(),
        })
        .map(Answer::local_id)
    }

    fn tx_confirm_start(
        &mut self,
        seq: u64,
        local_id: i64,
        transaction_id: i32,
        parent_id_tag: Option<&str>,
    ) -> Result<()> {
        self.write(Op::TxConfirmStart {
            seq,
            local_id,
            transaction_id,
            parent_id_tag: parent_id_tag.map(str::to_owned),
        })
        .map(drop)
    }

    fn tx_sample(
        &mut self,
        local_id: i64,
        meter_wh: i64,
        at: DateTime<Utc>,
        msg: &QueuedMessage,
    ) -> Result<u64> {
        self.write(Op::TxSample {
            local_id,
            meter_wh,
            at,
            msg: msg.clone(),
        })
        .map(Answer::number)
    }

    fn tx_end(
        &mut self,
        local_id: i64,
        meter_stop_wh: i64,
        stopped_at: DateTime<Utc>,
        reason: &str,
        stop_id_tag: Option<&str>,
        stop_msg: &QueuedMessage,
    ) -> Result<()> {
        self.write(Op::TxEnd {
            local_id,
            meter_stop_wh,
            stopped_at,
            reason: reason.to_owned(),
            stop_id_tag: stop_id_tag.map(str::to_owned),
            stop_msg: stop_msg.clone(),
        })
        .map(drop)
    }

    fn tx_get(&self, local_id: i64) -> Result<Option<TransactionRecord>> {
        self.memory.tx_get(local_id)
    }

    fn tx_open(&self) -> Result<Vec<TransactionRecord>> {
        self.memory.tx_open()
    }

    fn tx_confirm_stop(&mut self, seq: u64, local_id: i64) -> Result<()> {
        self.write(Op::TxConfirmStop { seq, local_id }).map(drop)
    }

    fn auth_cache_get(&self, id_tag: &str) -> Result<Option<CachedAuth>> {
        self.memory.auth_cache_get(id_tag)
    }

    fn auth_cache_put(&mut self, entry: &CachedAuth, max_entries: usize) -> Result<()> {
        self.write(Op::AuthCachePut {
            entry: entry.clone(),
            max_entries,
        })
        .map(drop)
    }

    fn auth_cache_clear(&mut self) -> Result<()> {
        self.write(Op::AuthCacheClear).map(drop)
    }

    fn auth_cache_len(&self) -> Result<usize> {
        self.memory.auth_cache_len()
    }

    fn local_list_version(&self) -> Result<i32> {
        self.memory.local_list_version()
    }

    fn local_list_get(&self, id_tag: &str) -> Result<Option<LocalListEntry>> {
        self.memory.local_list_get(id_tag)
    }

    fn local_list_len(&self) -> Result<usize> {
        self.memory.local_list_len()
    }

    fn local_list_apply(
        &mut self,
        update: &LocalListUpdate,
        version: i32,
        max_len: usize,
    ) -> Result<LocalListApplied> {
        self.write(Op::LocalListApply {
            update: update.clone(),
            version,
            max_len,
        })
        .map(Answer::local_list)
    }

    fn kv_get(&self, key: &str) -> Result<Option<String>> {
        self.memory.kv_get(key)
    }

    fn kv_set(&mut self, key: &str, value: &str) -> Result<()> {
        self.write(Op::KvSet {
            key: key.to_owned(),
            value: value.to_owned(),
        })
        .map(drop)
    }

    fn reservation_put(&mut self, reservation: &Reservation) -> Result<()> {
        self.write(Op::ReservationPut {
            reservation: reservation.clone(),
        })
        .map(drop)
    }

    fn reservation_remove(&mut self, reservation_id: i32) -> Result<()> {
        self.write(Op::ReservationRemove { reservation_id })
            .map(drop)
    }

    fn reservations_all(&self) -> Result<Vec<Reservation>> {
        self.memory.reservations_all()
    }

    fn charging_profile_put(&mut self, profile: &StoredChargingProfile) -> Result<()> {
        self.write(Op::ChargingProfilePut {
            profile: profile.clone(),
        })
        .map(drop)
    }

    fn charging_profile_remove(&mut self, profile_id: i32) -> Result<()> {
        self.write(Op::ChargingProfileRemove { profile_id })
            .map(drop)
    }

    fn charging_profiles_all(&self) -> Result<Vec<StoredChargingProfile>> {
        self.memory.charging_profiles_all()
    }

    fn security_log_append(&mut self, entry: &SecurityLogEntry, max_entries: usize) -> Result<u64> {
        self.write(Op::SecurityLogAppend {
            entry: entry.clone(),
            max_entries,
        })
        .map(Answer::number)
    }

    fn security_log_all(&self) -> Result<Vec<SecurityLogEntry>> {
        self.memory.security_log_all()
    }

    fn security_log_len(&self) -> Result<usize> {
        self.memory.security_log_len()
    }

    fn certificate_add(&mut self, cert: &StoredCertificate) -> Result<u64> {
        self.write(Op::CertificateAdd { cert: cert.clone() })
            .map(Answer::number)
    }

    fn certificate_remove(&mut self, id: u64) -> Result<()> {
        self.write(Op::CertificateRemove { id }).map(drop)
    }

    fn certificates_all(&self) -> Result<Vec<StoredCertificate>> {
        self.memory.certificates_all()
    }
}
