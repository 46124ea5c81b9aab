//! A [`Store`] in memory with the same semantics as [`crate::SqliteStore`], for unit tests of
//! the station core (no files, no IO).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::types::{auth_cache_key, auth_cache_victims};
use crate::types::{parse_local_list_version, LOCAL_LIST_VERSION_KEY};
use crate::{
    CachedAuth, QueuedMessage, Reservation, Result, Store, StoreError, StoredChargingProfile,
    TransactionRecord,
};
use crate::{
    LocalListApplied, LocalListEntry, LocalListUpdate, SecurityLogEntry, StoredCertificate,
};

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct MemoryStore {
    config: BTreeMap<String, String>,
    kv: BTreeMap<String, String>,
    queue: BTreeMap<u64, QueuedMessage>,
    /// Last sequence number handed out: never reused, like SQLite's AUTOINCREMENT.
    last_seq: u64,
    transactions: BTreeMap<i64, TransactionRecord>,
    last_local_id: i64,
    /// Authorization Cache by lower-cased id tag, with the order of its last update.
    auth_cache: BTreeMap<String, (CachedAuth, i64)>,
    last_auth_seq: i64,
    /// Reservations by reservation id.
    reservations: BTreeMap<i32, Reservation>,
    /// Charging profiles by profile id.
    charging_profiles: BTreeMap<i32, StoredChargingProfile>,
    /// Local Authorization List by lower-cased id tag (its version is in `kv`).
    local_list: BTreeMap<String, LocalListEntry>,
    /// The security log by sequence number.
    security_log: BTreeMap<u64, SecurityLogEntry>,
    last_security_seq: u64,
    certificates: BTreeMap<u64, StoredCertificate>,
    last_certificate_id: u64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Store for MemoryStore {
    fn config_all(&self) -> Result<Vec<(String, String)>> {
        Ok(self
            .config
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn config_set(&mut self, key: &str, value: &str) -> Result<()> {
        self.config.insert(key.to_string(), value.to_string());
        Ok(())
    }

    fn queue_push(&mut self, msg: &QueuedMessage) -> Result<u64> {
        self.last_seq += 1;
        self.queue.insert(self.last_seq, msg.clone());
        Ok(self.last_seq)
    }

    fn queue_front(&self) -> Result<Option<(u64, QueuedMessage)>> {
        Ok(self
            .queue
            .first_key_value()
            .map(|(seq, msg)| (*seq, msg.clone())))
    }

    fn queue_len(&self) -> Result<usize> {
        Ok(self.queue.len())
    }

    fn queue_remove(&mut self, seq: u64) -> Result<()> {
        self.queue.remove(&seq);
        Ok(())
    }

    fn queue_set_attempts(&mut self, seq: u64, attempts: u32) -> Result<()> {
        if let Some(msg) = self.queue.get_mut(&seq) {
            msg.attempts = attempts;
        }
        Ok(())
    }

    fn tx_begin(&mut self, rec: &TransactionRecord, start_msg: &QueuedMessage) -> Result<i64> {
        self.last_local_id += 1;
        let local_id = self.last_local_id;
        self.transactions.insert(
            local_id,
            TransactionRecord {
                local_id,
                ..rec.clone()
            },
        );
        self.queue_push(&QueuedMessage {
            local_tx: Some(local_id),
            ..start_msg.clone()
        })?;
        Ok(local_id)
    }

    fn tx_sample(
        &mut self,
        local_id: i64,
        meter_wh: i64,
        at: DateTime<Utc>,
        msg: &QueuedMessage,
    ) -> Result<u64> {
        let rec = self
            .transactions
            .get_mut(&local_id)
            .filter(|r| r.stopped_at.is_none())
            .ok_or_else(|| {
                StoreError::Db(format!("no open transaction with local id {local_id}"))
            })?;
        rec.last_meter_wh = Some(meter_wh);
        rec.last_meter_at = Some(at);
        self.queue_push(&QueuedMessage {
            local_tx: Some(local_id),
            ..msg.clone()
        })
    }

    fn tx_confirm_start(
        &mut self,
        seq: u64,
        local_id: i64,
        transaction_id: i32,
        parent_id_tag: Option<&str>,
    ) -> Result<()> {
        let rec = self
            .transactions
            .get_mut(&local_id)
            .ok_or_else(|| StoreError::Db(format!("no transaction with local id {local_id}")))?;
        rec.transaction_id = Some(transaction_id);
        if let Some(parent) = parent_id_tag {
            rec.parent_id_tag = Some(parent.to_string());
        }
        self.queue.remove(&seq);
        Ok(())
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
        let rec = self
            .transactions
            .get_mut(&local_id)
            .filter(|r| !r.is_stopped())
            .ok_or_else(|| {
                StoreError::Db(format!("no open transaction with local id {local_id}"))
            })?;
        rec.meter_stop_wh = Some(meter_stop_wh);
        rec.stopped_at = Some(stopped_at);
        rec.stop_reason = Some(reason.to_string());
        rec.stop_id_tag = stop_id_tag.map(str::to_string);
        self.queue_push(&QueuedMessage {
            local_tx: Some(local_id),
            ..stop_msg.clone()
        })?;
        Ok(())
    }

    fn tx_get(&self, local_id: i64) -> Result<Option<TransactionRecord>> {
        Ok(self.transactions.get(&local_id).cloned())
    }

    fn tx_open(&self) -> Result<Vec<TransactionRecord>> {
        Ok(self
            .transactions
            .values()
            .filter(|r| !r.is_stopped())
            .cloned()
            .collect())
    }

    fn tx_confirm_stop(&mut self, seq: u64, local_id: i64) -> Result<()> {
        if self
            .transactions
            .get(&local_id)
            .is_some_and(|r| !r.is_stopped())
        {
            return Err(StoreError::Db(format!(
                "transaction {local_id} is still open; stop it before forgetting it"
            )));
        }
        self.transactions.remove(&local_id);
        self.queue.remove(&seq);
        Ok(())
    }

    fn auth_cache_get(&self, id_tag: &str) -> Result<Option<CachedAuth>> {
        Ok(self
            .auth_cache
            .get(&auth_cache_key(id_tag))
            .map(|(entry, _)| entry.clone()))
    }

    fn auth_cache_put(&mut self, entry: &CachedAuth, max_entries: usize) -> Result<()> {
        self.last_auth_seq += 1;
        let key = auth_cache_key(&entry.id_tag);
        self.auth_cache
            .insert(key.clone(), (entry.clone(), self.last_auth_seq));
        let excess = self.auth_cache.len().saturating_sub(max_entries);
        if excess > 0 {
            let now = entry.updated_at;
            let entries = self
                .auth_cache
                .iter()
                .map(|(k, (e, seq))| (k.clone(), e.is_valid_at(now), *seq))
                .collect();
            for victim in auth_cache_victims(entries, excess, &key) {
                self.auth_cache.remove(&victim);
            }
        }
        Ok(())
    }

    fn auth_cache_clear(&mut self) -> Result<()> {
        self.auth_cache.clear();
        Ok(())
    }

    fn auth_cache_len(&self) -> Result<usize> {
        Ok(self.auth_cache.len())
    }

    fn local_list_version(&self) -> Result<i32> {
        parse_local_list_version(self.kv.get(LOCAL_LIST_VERSION_KEY).map(String::as_str))
    }

    fn local_list_get(&self, id_tag: &str) -> Result<Option<LocalListEntry>> {
        Ok(self.local_list.get(&auth_cache_key(id_tag)).cloned())
    }

    fn local_list_len(&self) -> Result<usize> {
        Ok(self.local_list.len())
    }

    fn local_list_apply(
        &mut self,
        update: &LocalListUpdate,
        version: i32,
        max_len: usize,
    ) -> Result<LocalListApplied> {
        // Built aside and swapped in: all or nothing.
        let mut list = match update {
            LocalListUpdate::Full(_) => BTreeMap::new(),
            LocalListUpdate::Differential { .. } => self.local_list.clone(),
        };
        let (upsert, remove): (&[LocalListEntry], &[String]) = match update {
            LocalListUpdate::Full(entries) => (entries, &[]),
            LocalListUpdate::Differential { upsert, remove } => (upsert, remove),
        };
        for e in upsert {
            list.insert(auth_cache_key(&e.id_tag), e.clone());
        }
        for id_tag in remove {
            list.remove(&auth_cache_key(id_tag));
        }
        let len = list.len();
        if len > max_len {
            return Ok(LocalListApplied::TooLong { len });
        }
        self.local_list = list;
        self.kv
            .insert(LOCAL_LIST_VERSION_KEY.to_string(), version.to_string());
        Ok(LocalListApplied::Applied { len })
    }

    fn kv_get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.kv.get(key).cloned())
    }

    fn kv_set(&mut self, key: &str, value: &str) -> Result<()> {
        self.kv.insert(key.to_string(), value.to_string());
        Ok(())
    }

    fn reservation_put(&mut self, reservation: &Reservation) -> Result<()> {
        self.reservations
            .insert(reservation.reservation_id, reservation.clone());
        Ok(())
    }

    fn reservation_remove(&mut self, reservation_id: i32) -> Result<()> {
        self.reservations.remove(&reservation_id);
        Ok(())
    }

    fn reservations_all(&self) -> Result<Vec<Reservation>> {
        Ok(self.reservations.values().cloned().collect())
    }

    fn charging_profile_put(&mut self, profile: &StoredChargingProfile) -> Result<()> {
        self.charging_profiles
            .insert(profile.profile_id, profile.clone());
        Ok(())
    }

    fn charging_profile_remove(&mut self, profile_id: i32) -> Result<()> {
        self.charging_profiles.remove(&profile_id);
        Ok(())
    }

    fn charging_profiles_all(&self) -> Result<Vec<StoredChargingProfile>> {
        Ok(self.charging_profiles.values().cloned().collect())
    }

    fn security_log_append(&mut self, entry: &SecurityLogEntry, max_entries: usize) -> Result<u64> {
        self.last_security_seq += 1;
        let seq = self.last_security_seq;
        self.security_log.insert(
            seq,
            SecurityLogEntry {
                seq,
                ..entry.clone()
            },
        );
        while self.security_log.len() > max_entries.max(1) {
            self.security_log.pop_first();
        }
        Ok(seq)
    }

    fn security_log_all(&self) -> Result<Vec<SecurityLogEntry>> {
        Ok(self.security_log.values().cloned().collect())
    }

    fn security_log_len(&self) -> Result<usize> {
        Ok(self.security_log.len())
    }

    fn certificate_add(&mut self, cert: &StoredCertificate) -> Result<u64> {
        self.last_certificate_id += 1;
        let id = self.last_certificate_id;
        self.certificates
            .insert(id, StoredCertificate { id, ..cert.clone() });
        Ok(id)
    }

    fn certificate_remove(&mut self, id: u64) -> Result<()> {
        self.certificates.remove(&id);
        Ok(())
    }

    fn certificates_all(&self) -> Result<Vec<StoredCertificate>> {
        Ok(self.certificates.values().cloned().collect())
    }
}
