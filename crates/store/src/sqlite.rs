//! The product's store: one SQLite file in the data directory.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension, Params, Row};

use crate::failpoint;
use crate::migrations;
use crate::types::{auth_cache_key, auth_cache_victims};
use crate::types::{parse_local_list_version, LOCAL_LIST_VERSION_KEY};
use crate::{
    CachedAuth, QueuedMessage, Reservation, Result, Store, StoreError, StoredChargingProfile,
    TransactionRecord,
};
use crate::{
    LocalListApplied, LocalListEntry, LocalListUpdate, SecurityLogEntry, StoredCertificate,
};

/// How long a writer waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`Store`] in SQLite. WAL journal with `synchronous=FULL`, so a committed write survives a
/// power loss, and readers never block the writer.
pub struct SqliteStore {
    conn: Connection,
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Db(e.to_string())
}

fn to_i64(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| StoreError::Db(format!("{what} {v} out of range")))
}

fn ts(t: &DateTime<Utc>) -> String {
    // Exact round trip (AutoSi keeps all the digits there are) and sorts as text.
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("timestamp {s:?}: {e}")))
}

fn narrow<T: TryFrom<i64>>(v: i64, what: &str) -> Result<T> {
    T::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} {v} out of range")))
}

/// How one record type comes out of a `SELECT`: the one place that knows its columns, their
/// order and stored types, and how they become the record. Every record reader goes through
/// [`select_opt`] or [`select_all`]; single values (`COUNT(*)`, a `kv` value) are read in place.
///
/// Two steps, so a column SQLite cannot hand over as its stored type is a database error (`Db`,
/// raised inside rusqlite's row closure) while a stored value that does not convert (timestamp,
/// JSON, a number out of range) is `Corrupt`.
trait FromRow: Sized {
    /// The columns, as the list after `SELECT`.
    const COLUMNS: &'static str;
    /// Their stored types, in the same order.
    type Raw: for<'a> TryFrom<&'a Row<'a>, Error = rusqlite::Error>;
    fn decode(raw: Self::Raw) -> Result<Self>;
}

/// `SELECT T::COLUMNS {rest}`: its first row, if any.
fn select_opt<T: FromRow>(conn: &Connection, rest: &str, params: impl Params) -> Result<Option<T>> {
    conn.query_row(&format!("SELECT {} {rest}", T::COLUMNS), params, |r| {
        T::Raw::try_from(r)
    })
    .optional()
    .map_err(db)?
    .map(T::decode)
    .transpose()
}

/// `SELECT T::COLUMNS {rest}`: every row, each decoded as it is read; the first error ends it.
fn select_all<T: FromRow>(conn: &Connection, rest: &str, params: impl Params) -> Result<Vec<T>> {
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {} {rest}", T::COLUMNS))
        .map_err(db)?;
    let rows = stmt
        .query_map(params, |r| T::Raw::try_from(r))
        .map_err(db)?;
    rows.map(|raw| T::decode(raw.map_err(db)?)).collect()
}

/// A `config` row: key and value.
impl FromRow for (String, String) {
    const COLUMNS: &'static str = "key, value";
    type Raw = (String, String);
    fn decode(raw: Self::Raw) -> Result<Self> {
        Ok(raw)
    }
}

/// A queued message with its sequence number.
impl FromRow for (u64, QueuedMessage) {
    const COLUMNS: &'static str = "seq, action, payload, local_tx, attempts";
    type Raw = (i64, String, String, Option<i64>, i64);
    fn decode((seq, action, payload, local_tx, attempts): Self::Raw) -> Result<Self> {
        let payload = serde_json::from_str(&payload)
            .map_err(|e| StoreError::Corrupt(format!("payload of queued message {seq}: {e}")))?;
        Ok((
            narrow(seq, "sequence number")?,
            QueuedMessage {
                action,
                payload,
                local_tx,
                attempts: narrow(attempts, "attempts")?,
            },
        ))
    }
}

impl FromRow for TransactionRecord {
    const COLUMNS: &'static str = "local_id, connector, id_tag, parent_id_tag, reservation_id, \
        transaction_id, meter_start_wh, started_at, meter_stop_wh, stopped_at, stop_reason, \
        stop_id_tag, last_meter_wh, last_meter_at";
    type Raw = (
        i64,
        i64,
        String,
        Option<String>,
        Option<i64>,
        Option<i64>,
        i64,
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
    );
    fn decode(
        (
            local_id,
            connector,
            id_tag,
            parent_id_tag,
            reservation_id,
            transaction_id,
            meter_start_wh,
            started_at,
            meter_stop_wh,
            stopped_at,
            stop_reason,
            stop_id_tag,
            last_meter_wh,
            last_meter_at,
        ): Self::Raw,
    ) -> Result<Self> {
        Ok(TransactionRecord {
            local_id,
            connector: narrow(connector, "connector")?,
            id_tag,
            parent_id_tag,
            reservation_id: reservation_id
                .map(|v| narrow(v, "reservation id"))
                .transpose()?,
            transaction_id: transaction_id
                .map(|v| narrow(v, "transaction id"))
                .transpose()?,
            meter_start_wh,
            started_at: parse_ts(&started_at)?,
            meter_stop_wh,
            stopped_at: stopped_at.as_deref().map(parse_ts).transpose()?,
            stop_reason,
            stop_id_tag,
            last_meter_wh,
            last_meter_at: last_meter_at.as_deref().map(parse_ts).transpose()?,
        })
    }
}

impl FromRow for CachedAuth {
    const COLUMNS: &'static str = "id_tag, status, expiry_date, parent_id_tag, updated_at";
    type Raw = (String, String, Option<String>, Option<String>, String);
    fn decode((id_tag, status, expiry_date, parent_id_tag, updated_at): Self::Raw) -> Result<Self> {
        Ok(CachedAuth {
            id_tag,
            status,
            expiry_date: expiry_date.as_deref().map(parse_ts).transpose()?,
            parent_id_tag,
            updated_at: parse_ts(&updated_at)?,
        })
    }
}

impl FromRow for LocalListEntry {
    const COLUMNS: &'static str = "id_tag, status, expiry_date, parent_id_tag";
    type Raw = (String, String, Option<String>, Option<String>);
    fn decode((id_tag, status, expiry_date, parent_id_tag): Self::Raw) -> Result<Self> {
        Ok(LocalListEntry {
            id_tag,
            status,
            expiry_date: expiry_date.as_deref().map(parse_ts).transpose()?,
            parent_id_tag,
        })
    }
}

impl FromRow for Reservation {
    const COLUMNS: &'static str = "reservation_id, connector, id_tag, parent_id_tag, expiry_date";
    type Raw = (i64, i64, String, Option<String>, String);
    fn decode((id, connector, id_tag, parent_id_tag, expiry): Self::Raw) -> Result<Self> {
        Ok(Reservation {
            reservation_id: narrow(id, "reservation id")?,
            connector: narrow(connector, "reservation connector")?,
            id_tag,
            parent_id_tag,
            expiry_date: parse_ts(&expiry)?,
        })
    }
}

impl FromRow for StoredChargingProfile {
    const COLUMNS: &'static str = "profile_id, connector, purpose, stack_level, profile";
    type Raw = (i64, i64, String, i64, String);
    fn decode((id, connector, purpose, stack_level, json): Self::Raw) -> Result<Self> {
        let profile = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("charging profile {id}: {e}")))?;
        Ok(StoredChargingProfile {
            profile_id: narrow(id, "charging profile id")?,
            connector: narrow(connector, "charging profile connector")?,
            purpose,
            stack_level: narrow(stack_level, "charging profile stack level")?,
            profile,
        })
    }
}

impl FromRow for SecurityLogEntry {
    const COLUMNS: &'static str = "seq, timestamp, type, tech_info";
    type Raw = (i64, String, String, Option<String>);
    fn decode((seq, at, kind, tech_info): Self::Raw) -> Result<Self> {
        Ok(SecurityLogEntry {
            seq: u64::try_from(seq)
                .map_err(|_| StoreError::Corrupt(format!("security log seq {seq}")))?,
            timestamp: parse_ts(&at)?,
            kind,
            tech_info,
        })
    }
}

impl FromRow for StoredCertificate {
    const COLUMNS: &'static str = "id, use, pem, private_key_pem, installed_at";
    type Raw = (i64, String, String, Option<String>, String);
    fn decode((id, use_, pem, private_key_pem, at): Self::Raw) -> Result<Self> {
        Ok(StoredCertificate {
            id: u64::try_from(id)
                .map_err(|_| StoreError::Corrupt(format!("certificate id {id}")))?,
            use_,
            pem,
            private_key_pem,
            installed_at: parse_ts(&at)?,
        })
    }
}

fn payload_text(msg: &QueuedMessage) -> Result<String> {
    serde_json::to_string(&msg.payload)
        .map_err(|e| StoreError::Db(format!("cannot encode payload of {}: {e}", msg.action)))
}

/// Insert into the queue inside whatever transaction `conn` is in; returns the sequence number.
fn insert_message(conn: &Connection, msg: &QueuedMessage, local_tx: Option<i64>) -> Result<u64> {
    conn.execute(
        "INSERT INTO message_queue (action, payload, local_tx, attempts) VALUES (?1, ?2, ?3, ?4)",
        params![msg.action, payload_text(msg)?, local_tx, msg.attempts],
    )
    .map_err(db)?;
    narrow(conn.last_insert_rowid(), "sequence number")
}

impl SqliteStore {
    /// Open (creating if needed) the database at `path` and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path).map_err(|e| open_error(path, &e.to_string()))?;
        // The database holds private keys and the AuthorizationKey: owner only. SQLite gives
        // its -wal and -shm files the database file's mode.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| open_error(path, &e.to_string()))?;
        }
        Self::setup(conn, true).map_err(|e| open_error(path, &e.to_string()))
    }

    /// A private database that vanishes on drop (tests, benchmarks).
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory().map_err(db)?;
        Self::setup(conn, false)
    }

    fn setup(mut conn: Connection, wal: bool) -> Result<Self> {
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
        if wal {
            // journal_mode answers with the mode in effect; this is also the first read of the
            // file, so a file that is not a database fails here.
            let mode: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(db)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Db(format!(
                    "cannot use WAL journal mode (got {mode})"
                )));
            }
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(db)?;
        migrations::migrate(&mut conn)?;
        Ok(SqliteStore { conn })
    }

    /// The schema version in `PRAGMA user_version`: the number of migrations applied.
    pub fn schema_version(&self) -> Result<u32> {
        migrations::schema_version(&self.conn)
    }
}

fn open_error(path: &Path, cause: &str) -> StoreError {
    StoreError::Db(format!(
        "cannot open the store {}: {cause} (is it a chargepoint database, and is the directory writable?)",
        path.display()
    ))
}

impl Store for SqliteStore {
    fn config_all(&self) -> Result<Vec<(String, String)>> {
        select_all(&self.conn, "FROM config ORDER BY key", [])
    }

    fn config_set(&mut self, key: &str, value: &str) -> Result<()> {
        failpoint::durable("config_set", || {
            self.conn
                .execute(
                    "INSERT INTO config (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![key, value],
                )
                .map_err(db)?;
            Ok(())
        })
    }

    fn queue_push(&mut self, msg: &QueuedMessage) -> Result<u64> {
        failpoint::durable("queue_push", || {
            insert_message(&self.conn, msg, msg.local_tx)
        })
    }

    fn queue_front(&self) -> Result<Option<(u64, QueuedMessage)>> {
        select_opt(&self.conn, "FROM message_queue ORDER BY seq LIMIT 1", [])
    }

    fn queue_len(&self) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM message_queue", [], |r| r.get(0))
            .map_err(db)?;
        narrow(n, "queue length")
    }

    fn queue_remove(&mut self, seq: u64) -> Result<()> {
        failpoint::durable("queue_remove", || {
            self.conn
                .execute(
                    "DELETE FROM message_queue WHERE seq = ?1",
                    [to_i64(seq, "sequence number")?],
                )
                .map_err(db)?;
            Ok(())
        })
    }

    fn queue_set_attempts(&mut self, seq: u64, attempts: u32) -> Result<()> {
        failpoint::durable("queue_set_attempts", || {
            self.conn
                .execute(
                    "UPDATE message_queue SET attempts = ?1 WHERE seq = ?2",
                    params![attempts, to_i64(seq, "sequence number")?],
                )
                .map_err(db)?;
            Ok(())
        })
    }

    fn tx_begin(&mut self, rec: &TransactionRecord, start_msg: &QueuedMessage) -> Result<i64> {
        failpoint::durable("tx_begin", || {
            let tx = self.conn.transaction().map_err(db)?;
            tx.execute(
                "INSERT INTO transactions (connector, id_tag, parent_id_tag, reservation_id,
                     transaction_id, meter_start_wh, started_at, meter_stop_wh, stopped_at,
                     stop_reason, stop_id_tag)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    rec.connector,
                    rec.id_tag,
                    rec.parent_id_tag,
                    rec.reservation_id,
                    rec.transaction_id,
                    rec.meter_start_wh,
                    ts(&rec.started_at),
                    rec.meter_stop_wh,
                    rec.stopped_at.as_ref().map(ts),
                    rec.stop_reason,
                    rec.stop_id_tag,
                ],
            )
            .map_err(db)?;
            let local_id = tx.last_insert_rowid();
            insert_message(&tx, start_msg, Some(local_id))?;
            // Dropping `tx` on an error above rolls both writes back.
            tx.commit().map_err(db)?;
            Ok(local_id)
        })
    }

    fn tx_sample(
        &mut self,
        local_id: i64,
        meter_wh: i64,
        at: DateTime<Utc>,
        msg: &QueuedMessage,
    ) -> Result<u64> {
        failpoint::durable("tx_sample", || {
            let tx = self.conn.transaction().map_err(db)?;
            let updated = tx
                .execute(
                    "UPDATE transactions SET last_meter_wh = ?1, last_meter_at = ?2
                     WHERE local_id = ?3 AND stopped_at IS NULL",
                    params![meter_wh, ts(&at), local_id],
                )
                .map_err(db)?;
            if updated == 0 {
                return Err(StoreError::Db(format!(
                    "no open transaction with local id {local_id}"
                )));
            }
            let seq = insert_message(&tx, msg, Some(local_id))?;
            tx.commit().map_err(db)?;
            Ok(seq)
        })
    }

    fn tx_confirm_start(
        &mut self,
        seq: u64,
        local_id: i64,
        transaction_id: i32,
        parent_id_tag: Option<&str>,
    ) -> Result<()> {
        failpoint::durable("tx_confirm_start", || {
            let tx = self.conn.transaction().map_err(db)?;
            let n = tx
                .execute(
                    "UPDATE transactions SET transaction_id = ?1,
                         parent_id_tag = COALESCE(?2, parent_id_tag)
                     WHERE local_id = ?3",
                    params![transaction_id, parent_id_tag, local_id],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StoreError::Db(format!(
                    "no transaction with local id {local_id}"
                )));
            }
            tx.execute(
                "DELETE FROM message_queue WHERE seq = ?1",
                [to_i64(seq, "sequence number")?],
            )
            .map_err(db)?;
            tx.commit().map_err(db)
        })
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
        failpoint::durable("tx_end", || {
            let tx = self.conn.transaction().map_err(db)?;
            let n = tx
                .execute(
                    "UPDATE transactions
                     SET meter_stop_wh = ?1, stopped_at = ?2, stop_reason = ?3, stop_id_tag = ?4
                     WHERE local_id = ?5 AND stopped_at IS NULL",
                    params![
                        meter_stop_wh,
                        ts(&stopped_at),
                        reason,
                        stop_id_tag,
                        local_id
                    ],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StoreError::Db(format!(
                    "no open transaction with local id {local_id}"
                )));
            }
            insert_message(&tx, stop_msg, Some(local_id))?;
            tx.commit().map_err(db)
        })
    }

    fn tx_get(&self, local_id: i64) -> Result<Option<TransactionRecord>> {
        select_opt(
            &self.conn,
            "FROM transactions WHERE local_id = ?1",
            [local_id],
        )
    }

    fn tx_open(&self) -> Result<Vec<TransactionRecord>> {
        select_all(
            &self.conn,
            "FROM transactions WHERE stopped_at IS NULL ORDER BY local_id",
            [],
        )
    }

    fn tx_confirm_stop(&mut self, seq: u64, local_id: i64) -> Result<()> {
        failpoint::durable("tx_confirm_stop", || {
            let tx = self.conn.transaction().map_err(db)?;
            let open: Option<bool> = tx
                .query_row(
                    "SELECT stopped_at IS NULL FROM transactions WHERE local_id = ?1",
                    [local_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            if open == Some(true) {
                return Err(StoreError::Db(format!(
                    "transaction {local_id} is still open; stop it before forgetting it"
                )));
            }
            tx.execute("DELETE FROM transactions WHERE local_id = ?1", [local_id])
                .map_err(db)?;
            tx.execute(
                "DELETE FROM message_queue WHERE seq = ?1",
                [to_i64(seq, "sequence number")?],
            )
            .map_err(db)?;
            tx.commit().map_err(db)
        })
    }

    fn auth_cache_get(&self, id_tag: &str) -> Result<Option<CachedAuth>> {
        select_opt(
            &self.conn,
            "FROM auth_cache WHERE id_key = ?1",
            [auth_cache_key(id_tag)],
        )
    }

    fn auth_cache_put(&mut self, entry: &CachedAuth, max_entries: usize) -> Result<()> {
        failpoint::durable("auth_cache_put", || {
            let key = auth_cache_key(&entry.id_tag);
            let tx = self.conn.transaction().map_err(db)?;
            tx.execute(
                "INSERT INTO auth_cache (id_key, id_tag, status, expiry_date, parent_id_tag,
                     updated_at, updated_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6,
                     (SELECT COALESCE(MAX(updated_seq), 0) + 1 FROM auth_cache))
                 ON CONFLICT (id_key) DO UPDATE SET id_tag = excluded.id_tag,
                     status = excluded.status, expiry_date = excluded.expiry_date,
                     parent_id_tag = excluded.parent_id_tag, updated_at = excluded.updated_at,
                     updated_seq = excluded.updated_seq",
                params![
                    key,
                    entry.id_tag,
                    entry.status,
                    entry.expiry_date.as_ref().map(ts),
                    entry.parent_id_tag,
                    ts(&entry.updated_at),
                ],
            )
            .map_err(db)?;
            let len: i64 = tx
                .query_row("SELECT COUNT(*) FROM auth_cache", [], |r| r.get(0))
                .map_err(db)?;
            let excess = narrow::<usize>(len, "cache size")?.saturating_sub(max_entries);
            if excess > 0 {
                // Rare (only once full): validity needs the expiry dates compared as times.
                let now = entry.updated_at;
                let mut stmt = tx
                    .prepare("SELECT id_key, status, expiry_date, updated_seq FROM auth_cache")
                    .map_err(db)?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, i64>(3)?,
                        ))
                    })
                    .map_err(db)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db)?;
                drop(stmt);
                let mut entries = Vec::with_capacity(rows.len());
                for (k, status, expiry, seq) in rows {
                    // An unreadable expiry date counts as expired: that entry goes first.
                    let expired = match expiry.as_deref().map(parse_ts).transpose() {
                        Ok(expiry) => expiry.is_some_and(|e| e <= now),
                        Err(_) => true,
                    };
                    entries.push((k, status == "Accepted" && !expired, seq));
                }
                for victim in auth_cache_victims(entries, excess, &key) {
                    tx.execute("DELETE FROM auth_cache WHERE id_key = ?1", [victim])
                        .map_err(db)?;
                }
            }
            tx.commit().map_err(db)
        })
    }

    fn auth_cache_clear(&mut self) -> Result<()> {
        failpoint::durable("auth_cache_clear", || {
            self.conn
                .execute("DELETE FROM auth_cache", [])
                .map_err(db)?;
            Ok(())
        })
    }

    fn auth_cache_len(&self) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM auth_cache", [], |r| r.get(0))
            .map_err(db)?;
        narrow(n, "cache size")
    }

    fn local_list_version(&self) -> Result<i32> {
        let v = self.kv_get(LOCAL_LIST_VERSION_KEY)?;
        parse_local_list_version(v.as_deref())
    }

    fn local_list_get(&self, id_tag: &str) -> Result<Option<LocalListEntry>> {
        select_opt(
            &self.conn,
            "FROM local_auth_list WHERE id_key = ?1",
            [auth_cache_key(id_tag)],
        )
    }

    fn local_list_len(&self) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM local_auth_list", [], |r| r.get(0))
            .map_err(db)?;
        narrow(n, "local list size")
    }

    fn local_list_apply(
        &mut self,
        update: &LocalListUpdate,
        version: i32,
        max_len: usize,
    ) -> Result<LocalListApplied> {
        failpoint::durable("local_list_apply", || {
            fn put(tx: &rusqlite::Transaction<'_>, e: &LocalListEntry) -> Result<()> {
                tx.execute(
                    "INSERT INTO local_auth_list (id_key, id_tag, status, expiry_date, parent_id_tag)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (id_key) DO UPDATE SET id_tag = excluded.id_tag,
                         status = excluded.status, expiry_date = excluded.expiry_date,
                         parent_id_tag = excluded.parent_id_tag",
                    params![
                        auth_cache_key(&e.id_tag),
                        e.id_tag,
                        e.status,
                        e.expiry_date.as_ref().map(ts),
                        e.parent_id_tag,
                    ],
                )
                .map_err(db)?;
                Ok(())
            }
            // Dropping `tx` without a commit (an error, or a list too long) rolls it all back.
            let tx = self.conn.transaction().map_err(db)?;
            match update {
                LocalListUpdate::Full(entries) => {
                    tx.execute("DELETE FROM local_auth_list", []).map_err(db)?;
                    for e in entries {
                        put(&tx, e)?;
                    }
                }
                LocalListUpdate::Differential { upsert, remove } => {
                    for e in upsert {
                        put(&tx, e)?;
                    }
                    for id_tag in remove {
                        tx.execute(
                            "DELETE FROM local_auth_list WHERE id_key = ?1",
                            [auth_cache_key(id_tag)],
                        )
                        .map_err(db)?;
                    }
                }
            }
            let n: i64 = tx
                .query_row("SELECT COUNT(*) FROM local_auth_list", [], |r| r.get(0))
                .map_err(db)?;
            let len = narrow::<usize>(n, "local list size")?;
            if len > max_len {
                return Ok(LocalListApplied::TooLong { len });
            }
            tx.execute(
                "INSERT INTO kv (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![LOCAL_LIST_VERSION_KEY, version.to_string()],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(LocalListApplied::Applied { len })
        })
    }

    fn kv_get(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM kv WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(db)
    }

    fn kv_set(&mut self, key: &str, value: &str) -> Result<()> {
        failpoint::durable("kv_set", || {
            self.conn
                .execute(
                    "INSERT INTO kv (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![key, value],
                )
                .map_err(db)?;
            Ok(())
        })
    }

    fn reservation_put(&mut self, reservation: &Reservation) -> Result<()> {
        failpoint::durable("reservation_put", || {
            self.conn
                .execute(
                    "INSERT INTO reservations
                         (reservation_id, connector, id_tag, parent_id_tag, expiry_date)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (reservation_id) DO UPDATE SET connector = excluded.connector,
                         id_tag = excluded.id_tag, parent_id_tag = excluded.parent_id_tag,
                         expiry_date = excluded.expiry_date",
                    params![
                        reservation.reservation_id,
                        reservation.connector,
                        reservation.id_tag,
                        reservation.parent_id_tag,
                        ts(&reservation.expiry_date),
                    ],
                )
                .map_err(db)?;
            Ok(())
        })
    }

    fn reservation_remove(&mut self, reservation_id: i32) -> Result<()> {
        failpoint::durable("reservation_remove", || {
            self.conn
                .execute(
                    "DELETE FROM reservations WHERE reservation_id = ?1",
                    [reservation_id],
                )
                .map_err(db)?;
            Ok(())
        })
    }

    fn reservations_all(&self) -> Result<Vec<Reservation>> {
        select_all(&self.conn, "FROM reservations ORDER BY reservation_id", [])
    }

    fn charging_profile_put(&mut self, profile: &StoredChargingProfile) -> Result<()> {
        failpoint::durable("charging_profile_put", || {
            let json = serde_json::to_string(&profile.profile).map_err(|e| {
                StoreError::Db(format!(
                    "cannot encode charging profile {}: {e}",
                    profile.profile_id
                ))
            })?;
            self.conn
                .execute(
                    "INSERT INTO charging_profiles
                         (profile_id, connector, purpose, stack_level, profile)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (profile_id) DO UPDATE SET connector = excluded.connector,
                         purpose = excluded.purpose, stack_level = excluded.stack_level,
                         profile = excluded.profile",
                    params![
                        profile.profile_id,
                        profile.connector,
                        profile.purpose,
                        profile.stack_level,
                        json,
                    ],
                )
                .map_err(db)?;
            Ok(())
        })
    }

    fn charging_profile_remove(&mut self, profile_id: i32) -> Result<()> {
        failpoint::durable("charging_profile_remove", || {
            self.conn
                .execute(
                    "DELETE FROM charging_profiles WHERE profile_id = ?1",
                    [profile_id],
                )
                .map_err(db)?;
            Ok(())
        })
    }

    fn charging_profiles_all(&self) -> Result<Vec<StoredChargingProfile>> {
        select_all(&self.conn, "FROM charging_profiles ORDER BY profile_id", [])
    }

    fn security_log_append(&mut self, entry: &SecurityLogEntry, max_entries: usize) -> Result<u64> {
        failpoint::durable("security_log_append", || {
            let tx = self.conn.transaction().map_err(db)?;
            tx.execute(
                "INSERT INTO security_log (timestamp, type, tech_info) VALUES (?1, ?2, ?3)",
                params![ts(&entry.timestamp), entry.kind, entry.tech_info],
            )
            .map_err(db)?;
            let seq = tx.last_insert_rowid();
            let keep = to_i64(max_entries.max(1) as u64, "security log capacity")?;
            tx.execute(
                "DELETE FROM security_log WHERE seq <= (SELECT MAX(seq) FROM security_log) - ?1",
                [keep],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("security log seq {seq}")))
        })
    }

    fn security_log_all(&self) -> Result<Vec<SecurityLogEntry>> {
        select_all(&self.conn, "FROM security_log ORDER BY seq", [])
    }

    fn security_log_len(&self) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM security_log", [], |r| r.get(0))
            .map_err(db)?;
        narrow(n, "security log length")
    }

    fn certificate_add(&mut self, cert: &StoredCertificate) -> Result<u64> {
        failpoint::durable("certificate_add", || {
            self.conn
                .execute(
                    "INSERT INTO certificates (use, pem, private_key_pem, installed_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                    params![
                        cert.use_,
                        cert.pem,
                        cert.private_key_pem,
                        ts(&cert.installed_at)
                    ],
                )
                .map_err(db)?;
            let id = self.conn.last_insert_rowid();
            u64::try_from(id).map_err(|_| StoreError::Corrupt(format!("certificate id {id}")))
        })
    }

    fn certificate_remove(&mut self, id: u64) -> Result<()> {
        failpoint::durable("certificate_remove", || {
            let id = to_i64(id, "certificate id")?;
            self.conn
                .execute("DELETE FROM certificates WHERE id = ?1", [id])
                .map_err(db)?;
            Ok(())
        })
    }

    fn certificates_all(&self) -> Result<Vec<StoredCertificate>> {
        select_all(&self.conn, "FROM certificates ORDER BY id", [])
    }
}
