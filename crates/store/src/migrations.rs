//! The schema, as an ordered list of migrations. The database's `PRAGMA user_version` is the
//! number of migrations applied; opening applies the rest in one transaction. Append new
//! migrations at the end; never edit one that has shipped.

use rusqlite::Connection;

use crate::{Result, StoreError};

/// Migration `i` (0-based) brings the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: configuration keys, named values, transactions and the outgoing message queue.
    // AUTOINCREMENT so sequence numbers and local ids are never reused after a delete: a queued
    // message refers to its transaction by local id.
    "CREATE TABLE config (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    );
    CREATE TABLE kv (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    );
    CREATE TABLE transactions (
        local_id       INTEGER PRIMARY KEY AUTOINCREMENT,
        connector      INTEGER NOT NULL,
        id_tag         TEXT NOT NULL,
        parent_id_tag  TEXT,
        reservation_id INTEGER,
        transaction_id INTEGER,
        meter_start_wh INTEGER NOT NULL,
        started_at     TEXT NOT NULL,
        meter_stop_wh  INTEGER,
        stopped_at     TEXT,
        stop_reason    TEXT,
        stop_id_tag    TEXT
    );
    CREATE INDEX transactions_open ON transactions (stopped_at);
    CREATE TABLE message_queue (
        seq      INTEGER PRIMARY KEY AUTOINCREMENT,
        action   TEXT NOT NULL,
        payload  TEXT NOT NULL,
        local_tx INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0
    );",
    // 2: the last meter sample of each transaction, for the StopTransaction after a power loss.
    "ALTER TABLE transactions ADD COLUMN last_meter_wh INTEGER;
    ALTER TABLE transactions ADD COLUMN last_meter_at TEXT;",
    // 3: the Authorization Cache. `id_key` is the id tag in ASCII lower case (id tags compare
    // ignoring case); `updated_seq` orders the entries by their last update for eviction,
    // whatever the clock did.
    "CREATE TABLE auth_cache (
        id_key        TEXT PRIMARY KEY NOT NULL,
        id_tag        TEXT NOT NULL,
        status        TEXT NOT NULL,
        expiry_date   TEXT,
        parent_id_tag TEXT,
        updated_at    TEXT NOT NULL,
        updated_seq   INTEGER NOT NULL
    );",
    // 4: the Local Authorization List (its version lives in kv as "local_list.version").
    // `id_key` is the id tag in ASCII lower case.
    "CREATE TABLE local_auth_list (
        id_key        TEXT PRIMARY KEY NOT NULL,
        id_tag        TEXT NOT NULL,
        status        TEXT NOT NULL,
        expiry_date   TEXT,
        parent_id_tag TEXT
    );",
    // 5: reservations, one per reservation id; connector 0 reserves the whole station.
    "CREATE TABLE reservations (
        reservation_id INTEGER PRIMARY KEY NOT NULL,
        connector      INTEGER NOT NULL,
        id_tag         TEXT NOT NULL,
        parent_id_tag  TEXT,
        expiry_date    TEXT NOT NULL
    );",
    // 6: charging profiles, one per profile id; connector 0 is the whole station. `profile`
    // is the csChargingProfiles JSON as received.
    "CREATE TABLE charging_profiles (
        profile_id   INTEGER PRIMARY KEY NOT NULL,
        connector    INTEGER NOT NULL,
        purpose      TEXT NOT NULL,
        stack_level  INTEGER NOT NULL,
        profile      TEXT NOT NULL
    );",
    // 7: the security log (security extension), bounded by the station
    // (SECURITY_LOG_CAPACITY): the oldest rows are deleted as new ones come.
    "CREATE TABLE security_log (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        timestamp  TEXT NOT NULL,
        type       TEXT NOT NULL,
        tech_info  TEXT
    );",
    // 8: certificates and private keys (security extension)
    "CREATE TABLE certificates (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        use              TEXT NOT NULL,
        pem              TEXT NOT NULL,
        private_key_pem  TEXT,
        installed_at     TEXT NOT NULL
    );",
];

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Db(e.to_string())
}

/// The schema version recorded in the database.
pub(crate) fn schema_version(conn: &Connection) -> Result<u32> {
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("schema version {v}")))
}

/// Bring the schema up to date, all pending migrations or none.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction().map_err(db)?;
    let current = schema_version(&tx)? as usize;
    if current > MIGRATIONS.len() {
        return Err(StoreError::Db(format!(
            "schema version {current} is newer than this program knows ({}); \
             use a newer chargepoint or a fresh data directory",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        tx.execute_batch(sql)
            .map_err(|e| StoreError::Db(format!("migration {}: {e}", i + 1)))?;
    }
    // PRAGMA takes no parameters; the value is our own integer.
    tx.execute_batch(&format!("PRAGMA user_version = {}", MIGRATIONS.len()))
        .map_err(db)?;
    tx.commit().map_err(db)
}
