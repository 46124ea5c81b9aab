//! One write of a station's store as the journal keeps it: the call and its arguments, so
//! that replaying a station's writes in order into an empty [`MemoryStore`] rebuilds what it
//! held. Replay is exact because the memory store is deterministic: the numbers it hands
//! out (queue sequence, local transaction id, ...) follow from the writes before.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use store::{
    CachedAuth, LocalListApplied, LocalListUpdate, MemoryStore, QueuedMessage, Reservation,
    SecurityLogEntry, Store, StoredCertificate, StoredChargingProfile, TransactionRecord,
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(super) enum Op {
    ConfigSet {
        key: String,
        value: String,
    },
    QueuePush {
        msg: QueuedMessage,
    },
    QueueRemove {
        seq: u64,
    },
    QueueSetAttempts {
        seq: u64,
        attempts: u32,
    },
    TxBegin {
        rec: TransactionRecord,
        start_msg: QueuedMessage,
    },
    TxConfirmStart {
        seq: u64,
        local_id: i64,
        transaction_id: i32,
        parent_id_tag: Option<String>,
    },
    TxSample {
        local_id: i64,
        meter_wh: i64,
        at: DateTime<Utc>,
        msg: QueuedMessage,
    },
    TxEnd {
        local_id: i64,
        meter_stop_wh: i64,
        stopped_at: DateTime<Utc>,
        reason: String,
        stop_id_tag: Option<String>,
        stop_msg: QueuedMessage,
    },
    TxConfirmStop {
        seq: u64,
        local_id: i64,
    },
    AuthCachePut {
        entry: CachedAuth,
        max_entries: usize,
    },
    AuthCacheClear,
    LocalListApply {
        update: LocalListUpdate,
        version: i32,
        max_len: usize,
    },
    KvSet {
        key: String,
        value: String,
    },
    ReservationPut {
        reservation: Reservation,
    },
    ReservationRemove {
        reservation_id: i32,
    },
    ChargingProfilePut {
        profile: StoredChargingProfile,
    },
    ChargingProfileRemove {
        profile_id: i32,
    },
    SecurityLogAppend {
        entry: SecurityLogEntry,
        max_entries: usize,
    },
    CertificateAdd {
        cert: StoredCertificate,
    },
    CertificateRemove {
        id: u64,
    },
}

/// What a write answered, for the writes that answer more than `()`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Answer {
    Done,
    Number(u64),
    LocalId(i64),
    LocalList(LocalListApplied),
}

impl Answer {
    pub(super) fn number(self) -> u64 {
        match self {
            Answer::Number(n) => n,
            other => unreachable!("a write that hands out a number answered {other:?}"),
        }
    }

    pub(super) fn local_id(self) -> i64 {
        match self {
            Answer::LocalId(id) => id,
            other => unreachable!("tx_begin answered {other:?}"),
        }
    }

    pub(super) fn local_list(self) -> LocalListApplied {
        match self {
            Answer::LocalList(applied) => applied,
            other => unreachable!("local_list_apply answered {other:?}"),
        }
    }
}

impl Op {
    /// Carry the write out on `m`. A write that fails leaves `m` as it was (the memory
    /// store checks before it changes anything), so a failed write is never journaled.
    pub(super) fn apply(&self, m: &mut MemoryStore) -> store::Result<Answer> {
        use Answer::{Done, LocalId, LocalList, Number};
        Ok(match self {
            Op::ConfigSet { key, value } => m.config_set(key, value).map(|()| Done)?,
            Op::QueuePush { msg } => Number(m.queue_push(msg)?),
            Op::QueueRemove { seq } => m.queue_remove(*seq).map(|()| Done)?,
            Op::QueueSetAttempts { seq, attempts } => {
                m.queue_set_attempts(*seq, *attempts).map(|()| Done)?
            }
            Op::TxBegin { rec, start_msg } => LocalId(m.tx_begin(rec, start_msg)?),
            Op::TxConfirmStart {
                seq,
                local_id,
                transaction_id,
                parent_id_tag,
            } => m
                .tx_confirm_start(*seq, *local_id, *transaction_id, parent_id_tag.as_deref())
                .map(|()| Done)?,
            Op::TxSample {
                local_id,
                meter_wh,
                at,
                msg,
            } => Number(m.tx_sample(*local_id, *meter_wh, *at, msg)?),
            Op::TxEnd {
                local_id,
                meter_stop_wh,
                stopped_at,
                reason,
                stop_id_tag,
                stop_msg,
            } => m
                .tx_end(
                    *local_id,
                    *meter_stop_wh,
                    *stopped_at,
                    reason,
                    stop_id_tag.as_deref(),
                    stop_msg,
                )
                .map(|()| Done)?,
            Op::TxConfirmStop { seq, local_id } => {
                m.tx_confirm_stop(*seq, *local_id).map(|()| Done)?
            }
            Op::AuthCachePut { entry, max_entries } => {
                m.auth_cache_put(entry, *max_entries).map(|()| Done)?
            }
            Op::AuthCacheClear => m.auth_cache_clear().map(|()| Done)?,
            Op::LocalListApply {
                update,
                version,
                max_len,
            } => LocalList(m.local_list_apply(update, *version, *max_len)?),
            Op::KvSet { key, value } => m.kv_set(key, value).map(|()| Done)?,
            Op::ReservationPut { reservation } => m.reservation_put(reservation).map(|()| Done)?,
            Op::ReservationRemove { reservation_id } => {
                m.reservation_remove(*reservation_id).map(|()| Done)?
            }
            Op::ChargingProfilePut { profile } => m.charging_profile_put(profile).map(|()| Done)?,
            Op::ChargingProfileRemove { profile_id } => {
                m.charging_profile_remove(*profile_id).map(|()| Done)?
            }
            Op::SecurityLogAppend { entry, max_entries } => {
                Number(m.security_log_append(entry, *max_entries)?)
            }
            Op::CertificateAdd { cert } => Number(m.certificate_add(cert)?),
            Op::CertificateRemove { id } => m.certificate_remove(*id).map(|()| Done)?,
        })
    }

    /// A write that changes nothing is not worth a row (a local list too long is refused
    /// without a change).
    pub(super) fn changed(&self, answer: Answer) -> bool {
        !matches!(answer, Answer::LocalList(LocalListApplied::TooLong { .. }))
    }
}
