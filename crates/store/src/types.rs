//! Records kept by the store.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A message to the Central System that must survive power loss (transaction messages),
/// delivered in FIFO order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedMessage {
    /// The OCPP action, e.g. "StartTransaction".
    pub action: String,
    pub payload: serde_json::Value,
    /// The station-local transaction this belongs to (its transactionId is patched in at send
    /// time).
    pub local_tx: Option<i64>,
    /// How many times it was sent without a response.
    pub attempts: u32,
}

/// A charging session as the station knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionRecord {
    /// Assigned by the store on tx_begin.
    pub local_id: i64,
    pub connector: u32,
    pub id_tag: String,
    pub parent_id_tag: Option<String>,
    pub reservation_id: Option<i32>,
    /// From StartTransaction.conf; None until then.
    pub transaction_id: Option<i32>,
    pub meter_start_wh: i64,
    pub started_at: DateTime<Utc>,
    pub meter_stop_wh: Option<i64>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub stop_reason: Option<String>,
    pub stop_id_tag: Option<String>,
    /// The last meter sample taken during the transaction (Wh) and when: after a power loss
    /// it is the best meterStop there is.
    pub last_meter_wh: Option<i64>,
    pub last_meter_at: Option<DateTime<Utc>>,
}

impl TransactionRecord {
    /// A new, not yet stopped transaction (local_id 0 until the store assigns one).
    pub fn new(
        connector: u32,
        id_tag: &str,
        meter_start_wh: i64,
        started_at: DateTime<Utc>,
    ) -> Self {
        TransactionRecord {
            local_id: 0,
            connector,
            id_tag: id_tag.to_string(),
            parent_id_tag: None,
            reservation_id: None,
            transaction_id: None,
            meter_start_wh,
            started_at,
            meter_stop_wh: None,
            stopped_at: None,
            stop_reason: None,
            stop_id_tag: None,
            last_meter_wh: None,
            last_meter_at: None,
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped_at.is_some()
    }
}

impl QueuedMessage {
    /// A message not yet sent.
    pub fn new(action: &str, payload: serde_json::Value, local_tx: Option<i64>) -> Self {
        QueuedMessage {
            action: action.to_string(),
            payload,
            local_tx,
            attempts: 0,
        }
    }
}

/// A reservation made by ReserveNow.req (OCPP 1.6 section 5.13), kept until a transaction
/// consumes it, it expires, or it is cancelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    pub reservation_id: i32,
    /// 0: any connector of the station.
    pub connector: u32,
    pub id_tag: String,
    pub parent_id_tag: Option<String>,
    pub expiry_date: DateTime<Utc>,
}

/// One entry of the Authorization Cache (OCPP 1.6 section 3.5.1): the latest `IdTagInfo`
/// the Central System gave for an id tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedAuth {
    /// The id tag as last received (lookups ignore ASCII case, as OCPP `IdToken`s do).
    pub id_tag: String,
    /// The `AuthorizationStatus` as its wire string ("Accepted", "Blocked", ...).
    pub status: String,
    pub expiry_date: Option<DateTime<Utc>>,
    pub parent_id_tag: Option<String>,
    /// When the station received this information.
    pub updated_at: DateTime<Utc>,
}

impl CachedAuth {
    /// Whether the entry authorizes its id tag at `now`: Accepted and not past its expiry
    /// date. Every other entry is "NOT-valid" in the words of the spec.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.status == "Accepted" && self.expiry_date.is_none_or(|e| e > now)
    }
}

/// One entry of the Local Authorization List (OCPP 1.6 section 3.5.2), as the Central
/// System sent it in a SendLocalList.req.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalListEntry {
    /// The id tag as received (lookups ignore ASCII case).
    pub id_tag: String,
    /// The `AuthorizationStatus` as its wire string ("Accepted", "Blocked", ...).
    pub status: String,
    pub expiry_date: Option<DateTime<Utc>>,
    pub parent_id_tag: Option<String>,
}

/// A change to the Local Authorization List (SendLocalList.req).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LocalListUpdate {
    /// The list becomes exactly these entries.
    Full(Vec<LocalListEntry>),
    /// Add or replace `upsert` (by id tag, ignoring case), then remove `remove`.
    Differential {
        upsert: Vec<LocalListEntry>,
        remove: Vec<String>,
    },
}

/// What [`crate::Store::local_list_apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalListApplied {
    /// The entries and the new version are committed together.
    Applied { len: usize },
    /// The resulting list would have held `len` entries, more than allowed: nothing changed.
    TooLong { len: usize },
}

/// Where the store keeps the Local Authorization List's version (table `kv`).
pub(crate) const LOCAL_LIST_VERSION_KEY: &str = "local_list.version";

/// The stored version of the Local Authorization List (0 when none was ever stored).
pub(crate) fn parse_local_list_version(stored: Option<&str>) -> crate::Result<i32> {
    match stored {
        None => Ok(0),
        Some(v) => v.parse().map_err(|_| {
            crate::StoreError::Corrupt(format!("local list version {v:?} is not a number"))
        }),
    }
}

/// The key an id tag is cached under: OCPP compares id tags ignoring ASCII case.
pub(crate) fn auth_cache_key(id_tag: &str) -> String {
    id_tag.to_ascii_lowercase()
}

/// Which entries to evict so that `len - excess` remain: NOT-valid entries first, then the
/// oldest valid ones, each group in the order they were last updated (oldest first); never
/// `keep` (the entry just written). `entries` are (key, valid, update order).
pub(crate) fn auth_cache_victims(
    mut entries: Vec<(String, bool, i64)>,
    excess: usize,
    keep: &str,
) -> Vec<String> {
    entries.retain(|(key, _, _)| key != keep);
    // false (NOT-valid) sorts before true (valid).
    entries.sort_by_key(|(_, valid, order)| (*valid, *order));
    entries
        .into_iter()
        .take(excess)
        .map(|(key, _, _)| key)
        .collect()
}

/// A charging profile installed by SetChargingProfile.req (OCPP 1.6 section 5.16), one per
/// profile id, kept until ClearChargingProfile removes it, a later one replaces it, or (a
/// TxProfile) its transaction ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredChargingProfile {
    /// 0: the whole station.
    pub connector: u32,
    pub profile_id: i32,
    /// ChargingProfilePurposeType as on the wire ("TxDefaultProfile", ...).
    pub purpose: String,
    pub stack_level: i32,
    /// The csChargingProfiles object as received.
    pub profile: serde_json::Value,
}

/// One entry of the security log (the SecurityLog of GetLog): every security event the
/// station raised, critical or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityLogEntry {
    /// Increases with every entry and is never reused.
    pub seq: u64,
    pub timestamp: DateTime<Utc>,
    /// The event type as sent in SecurityEventNotification (e.g. "StartupOfTheDevice").
    pub kind: String,
    pub tech_info: Option<String>,
}

/// A certificate the station holds (security extension): a Central System or manufacturer
/// root, or the charge point's own certificate (its chain, leaf first) with its private key.
/// A key pair generated for a SignCertificate.req that no certificate answered yet is held
/// as use [`PENDING_CHARGE_POINT_KEY`] with an empty `pem`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCertificate {
    /// Assigned by the store on insert (ignored there); never reused.
    pub id: u64,
    /// "CentralSystemRootCertificate", "ManufacturerRootCertificate",
    /// "ChargePointCertificate" or [`PENDING_CHARGE_POINT_KEY`].
    pub use_: String,
    /// PEM text; for a charge point certificate the whole chain, leaf first.
    pub pem: String,
    /// PEM private key (charge point certificate and pending key only).
    pub private_key_pem: Option<String>,
    pub installed_at: DateTime<Utc>,
}

/// The use of the key pair of a CSR still waiting for its certificate.
pub const PENDING_CHARGE_POINT_KEY: &str = "PendingChargePointKey";

impl std::fmt::Debug for StoredCertificate {
    // A private key must never reach a log, even through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCertificate")
            .field("id", &self.id)
            .field("use_", &self.use_)
            .field("pem_len", &self.pem.len())
            .field("has_private_key", &self.private_key_pem.is_some())
            .field("installed_at", &self.installed_at)
            .finish()
    }
}
