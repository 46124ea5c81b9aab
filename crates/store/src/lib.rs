//! Durable state of the charge point: configuration keys, the queue of transaction messages
//! that must reach the Central System even across a power loss, the transactions themselves and
//! a few named values.
//!
//! [`SqliteStore`] is the product's store; [`MemoryStore`] has the same semantics for unit
//! tests. A write that the protocol relies on is committed before the call returns, so the
//! station may act on it.

pub mod failpoint;
mod memory;
mod migrations;
mod sqlite;
mod types;

pub use memory::MemoryStore;
pub use migrations::MIGRATIONS;
pub use sqlite::SqliteStore;
pub use types::{CachedAuth, QueuedMessage, Reservation, StoredChargingProfile, TransactionRecord};
pub use types::{LocalListApplied, LocalListEntry, LocalListUpdate, SecurityLogEntry};
pub use types::{StoredCertificate, PENDING_CHARGE_POINT_KEY};

/// How many entries the station keeps in its Authorization Cache; beyond it, NOT-valid
/// entries and then the oldest valid ones make room (OCPP 1.6 section 3.5.1).
pub const AUTH_CACHE_CAPACITY: usize = 1000;

/// How many entries the security log keeps: beyond it the oldest are dropped (the station
/// logs a few events per boot; 10000 is years of normal operation and a few MB at most).
pub const SECURITY_LOG_CAPACITY: usize = 10_000;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(String),
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Where the station keeps what must survive a restart.
pub trait Store: Send {
    // configuration keys (name -> value as string)
    /// Every stored configuration key, sorted by name.
    fn config_all(&self) -> Result<Vec<(String, String)>>;
    fn config_set(&mut self, key: &str, value: &str) -> Result<()>;

    // durable FIFO of outgoing transaction-related messages
    /// Append a message; returns its sequence number, which increases and is never reused, even
    /// after the queue empties or the store is reopened.
    fn queue_push(&mut self, msg: &QueuedMessage) -> Result<u64>;
    /// The oldest message, with its sequence number.
    fn queue_front(&self) -> Result<Option<(u64, QueuedMessage)>>;
    fn queue_len(&self) -> Result<usize>;
    /// Remove a message (delivered or given up); removing an absent one is not an error.
    fn queue_remove(&mut self, seq: u64) -> Result<()>;
    /// Record how many times a message was sent; an absent one is ignored.
    fn queue_set_attempts(&mut self, seq: u64, attempts: u32) -> Result<()>;

    // transactions
    /// Atomically: insert the record (local_id assigned, returned; `rec.local_id` is ignored)
    /// AND push the StartTransaction message with its `local_tx` set to the new local id.
    fn tx_begin(&mut self, rec: &TransactionRecord, start_msg: &QueuedMessage) -> Result<i64>;
    /// The Central System answered the StartTransaction at `seq` of transaction `local_id`.
    /// Atomically: remove that message AND record the transactionId (and parentIdTag) it
    /// gave, so no power cut can keep one without the other (a later StopTransaction would
    /// carry -1, libocpp #495). Err for an unknown local id; then nothing changes.
    fn tx_confirm_start(
        &mut self,
        seq: u64,
        local_id: i64,
        transaction_id: i32,
        parent_id_tag: Option<&str>,
    ) -> Result<()>;
    /// Atomically: record a meter sample of an open transaction as its last known reading AND
    /// push the MeterValues message carrying it; returns the message's sequence number.
    fn tx_sample(
        &mut self,
        local_id: i64,
        meter_wh: i64,
        at: DateTime<Utc>,
        msg: &QueuedMessage,
    ) -> Result<u64>;
    /// Atomically: mark stopped AND push the StopTransaction message (its `local_tx` set to
    /// `local_id`). Err for an unknown or already stopped transaction, so a stop is never
    /// queued twice.
    #[allow(clippy::too_many_arguments)]
    fn tx_end(
        &mut self,
        local_id: i64,
        meter_stop_wh: i64,
        stopped_at: DateTime<Utc>,
        reason: &str,
        stop_id_tag: Option<&str>,
        stop_msg: &QueuedMessage,
    ) -> Result<()>;
    fn tx_get(&self, local_id: i64) -> Result<Option<TransactionRecord>>;
    /// Transactions not yet stopped (power-loss recovery), oldest first.
    fn tx_open(&self) -> Result<Vec<TransactionRecord>>;
    /// The StopTransaction at `seq` of transaction `local_id` was delivered (or given up).
    /// Atomically: remove that message AND the stopped transaction. An unknown transaction
    /// is not an error (the message still goes); an open one is (its stop would be lost),
    /// and then nothing changes.
    fn tx_confirm_stop(&mut self, seq: u64, local_id: i64) -> Result<()>;

    // the Authorization Cache (OCPP 1.6 section 3.5.1); id tags compare ignoring ASCII case
    /// The entry for `id_tag`, whatever the case it was stored in.
    fn auth_cache_get(&self, id_tag: &str) -> Result<Option<CachedAuth>>;
    /// Insert or replace the entry for `entry.id_tag` (a later update of the same tag in
    /// another case replaces it). Beyond `max_entries`, NOT-valid entries (not Accepted, or
    /// past their expiry date at `entry.updated_at`) go first, then the least recently
    /// updated valid ones; never the entry just written.
    fn auth_cache_put(&mut self, entry: &CachedAuth, max_entries: usize) -> Result<()>;
    /// Empty the cache (ClearCache).
    fn auth_cache_clear(&mut self) -> Result<()>;
    fn auth_cache_len(&self) -> Result<usize>;

    // the Local Authorization List (OCPP 1.6 section 3.5.2); id tags compare ignoring ASCII
    // case. Only SendLocalList changes it.
    /// The version of the installed list: the one last committed by `local_list_apply`, 0 if
    /// none ever was.
    fn local_list_version(&self) -> Result<i32>;
    /// The entry for `id_tag`, whatever the case it was stored in.
    fn local_list_get(&self, id_tag: &str) -> Result<Option<LocalListEntry>>;
    fn local_list_len(&self) -> Result<usize>;
    /// Atomically apply `update` and record `version` as the list's version, unless the
    /// resulting list would hold more than `max_len` entries: then nothing changes
    /// ([`LocalListApplied::TooLong`]). On an error nothing changes either.
    fn local_list_apply(
        &mut self,
        update: &LocalListUpdate,
        version: i32,
        max_len: usize,
    ) -> Result<LocalListApplied>;

    // small named values (e.g. last firmware version, boot reason)
    fn kv_get(&self, key: &str) -> Result<Option<String>>;
    fn kv_set(&mut self, key: &str, value: &str) -> Result<()>;

    // reservations (OCPP 1.6 section 5.13), one per reservation id
    /// Insert the reservation, or replace the one with the same reservation id.
    fn reservation_put(&mut self, reservation: &Reservation) -> Result<()>;
    /// Remove a reservation; removing an absent one is not an error.
    fn reservation_remove(&mut self, reservation_id: i32) -> Result<()>;
    /// Every reservation, by reservation id.
    fn reservations_all(&self) -> Result<Vec<Reservation>>;

    // charging profiles (OCPP 1.6 section 3.13), one per profile id
    /// Insert the profile, or replace the one with the same profile id.
    fn charging_profile_put(&mut self, profile: &StoredChargingProfile) -> Result<()>;
    /// Remove a profile; removing an absent one is not an error.
    fn charging_profile_remove(&mut self, profile_id: i32) -> Result<()>;
    /// Every charging profile, by profile id.
    fn charging_profiles_all(&self) -> Result<Vec<StoredChargingProfile>>;

    // the security log (security extension; the SecurityLog of GetLog)
    /// Append an entry (its `seq` is ignored and assigned, returned); beyond `max_entries`
    /// the oldest entries are dropped in the same transaction.
    fn security_log_append(&mut self, entry: &SecurityLogEntry, max_entries: usize) -> Result<u64>;
    /// Every entry, oldest first.
    fn security_log_all(&self) -> Result<Vec<SecurityLogEntry>>;
    fn security_log_len(&self) -> Result<usize>;

    // certificates and private keys (security extension)
    /// Add a certificate (its `id` is ignored and assigned, returned).
    fn certificate_add(&mut self, cert: &StoredCertificate) -> Result<u64>;
    /// Remove a certificate; removing an absent one is not an error.
    fn certificate_remove(&mut self, id: u64) -> Result<()>;
    /// Every certificate, in the order added.
    fn certificates_all(&self) -> Result<Vec<StoredCertificate>>;
}
