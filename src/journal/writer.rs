//! The one thread that writes the fleet's database. Writes from all stations arrive on one
//! channel in the order of their global sequence number; the thread takes whatever has
//! arrived (up to [`MAX_BATCH`]), writes it in one SQLite transaction and commits: one fsync
//! for the lot (group commit). While it commits, the next batch gathers. Then it publishes
//! the highest sequence number now on disk, which releases the stations waiting for it.

use std::sync::mpsc;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::watch;

/// The most messages one commit takes: bounds the time a station waits behind others.
const MAX_BATCH: usize = 4096;

/// What the database holds, and how far.
#[derive(Debug, Clone, Default)]
pub(super) struct Durable {
    /// Every message up to this sequence number is committed.
    pub upto: u64,
    /// The writer stopped: nothing after `upto` was or will be written.
    pub failed: Option<Arc<str>>,
    /// Transactions committed so far (each one fsync of the log).
    pub commits: u64,
}

/// A station's journal as stored: its last snapshot and the writes after it.
pub(super) struct Stored {
    pub snapshot: Option<(u64, String)>,
    pub ops: Vec<(u64, String)>,
    pub meters: Option<String>,
}

pub(super) enum Msg {
    /// Write `n` of `station` (numbered from 1 per station), as JSON.
    Op {
        seq: u64,
        station: Arc<str>,
        n: u64,
        op: String,
    },
    /// The station's whole state after its write `n`: replaces the writes up to `n`.
    Snapshot {
        seq: u64,
        station: Arc<str>,
        n: u64,
        state: String,
    },
    /// The simulated meters' registers (JSON); only the last one per station is kept.
    Meters {
        seq: u64,
        station: Arc<str>,
        registers: String,
    },
    /// Read a station's journal (after everything sent before).
    Load {
        station: Arc<str>,
        reply: mpsc::Sender<Result<Stored, String>>,
    },
}

impl Msg {
    fn seq(&self) -> Option<u64> {
        match self {
            Msg::Op { seq, .. } | Msg::Snapshot { seq, .. } | Msg::Meters { seq, .. } => Some(*seq),
            Msg::Load { .. } => None,
        }
    }
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS ops (
        station TEXT NOT NULL,
        n       INTEGER NOT NULL,
        op      TEXT NOT NULL,
        PRIMARY KEY (station, n)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS snapshots (
        station TEXT PRIMARY KEY NOT NULL,
        n       INTEGER NOT NULL,
        state   TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS meters (
        station   TEXT PRIMARY KEY NOT NULL,
        registers TEXT NOT NULL
    );";

/// Open (or create) the database: WAL with `synchronous=FULL`, so a commit survives a
/// power loss.
pub(super) fn open(path: &std::path::Path) -> Result<Connection, String> {
    let conn = Connection::open(path).map_err(|e| e.to_string())?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| format!("not a database: {e}"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("journal mode {mode}, not WAL"));
    }
    // Another program holding the write lock for a moment (an operator's sqlite3) is
    // waited for, not a failure.
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .and_then(|()| conn.execute_batch("PRAGMA synchronous = FULL;"))
        .and_then(|()| conn.execute_batch(SCHEMA))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Run the writer until every sender is gone.
pub(super) fn run(mut conn: Connection, rx: mpsc::Receiver<Msg>, durable: watch::Sender<Durable>) {
    let mut failed: Option<Arc<str>> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(msg) => batch.push(msg),
                Err(_) => break,
            }
        }
        let upto = batch.iter().filter_map(Msg::seq).max();
        let mut loaded = Vec::new();
        if failed.is_none() {
            match commit_waiting(&mut conn, &batch) {
                Ok(stored) => loaded = stored,
                Err(e) => {
                    tracing::error!("the fleet's database cannot be written: {e}; the stations' writes fail from now on");
                    failed = Some(e.into());
                }
            }
        }
        durable.send_modify(|d| {
            if failed.is_none() {
                d.upto = upto.unwrap_or(d.upto).max(d.upto);
                d.commits += 1;
            }
            d.failed.clone_from(&failed);
        });
        let mut loaded = loaded.into_iter();
        for msg in batch {
            let Msg::Load { reply, .. } = msg else {
                continue;
            };
            let answer = match (&failed, loaded.next()) {
                (None, Some(stored)) => Ok(stored),
                (Some(e), _) => Err(format!("the fleet's database failed: {e}")),
                (None, None) => Err("no answer".to_owned()),
            };
            let _ = reply.send(answer);
        }
    }
}

enum CommitError {
    /// Another program holds the database's write lock (beyond the busy timeout).
    Busy(String),
    Failed(String),
}

impl CommitError {
    fn of(what: &str, e: rusqlite::Error) -> CommitError {
        use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
        let text = format!("{what}: {e}");
        match e.sqlite_error_code() {
            Some(DatabaseBusy | DatabaseLocked) => CommitError::Busy(text),
            _ => CommitError::Failed(text),
        }
    }
}

/// Commit `batch`, waiting as long as another program holds the database: the stations'
/// outputs wait meanwhile, nothing is lost. Any other error ends the writer.
fn commit_waiting(conn: &mut Connection, batch: &[Msg]) -> Result<Vec<Stored>, String> {
    let mut warned = false;
    loop {
        match commit(conn, batch) {
            Ok(loaded) => return Ok(loaded),
            Err(CommitError::Failed(e)) => return Err(e),
            Err(CommitError::Busy(e)) => {
                if !std::mem::replace(&mut warned, true) {
                    tracing::warn!("the fleet's database is locked by another program ({e}); the stations wait");
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    }
}

/// Write a batch in one transaction, taking the write lock at its start (a deferred one
/// that read first could not wait for another writer). Loads read inside it, so they see
/// the writes sent before them; their results, in order, once it is committed.
fn commit(conn: &mut Connection, batch: &[Msg]) -> Result<Vec<Stored>, CommitError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| CommitError::of("begin", e))?;
    let mut loaded = Vec::new();
    for msg in batch {
        match msg {
            Msg::Op { station, n, op, .. } => {
                tx.prepare_cached("INSERT INTO ops (station, n, op) VALUES (?1, ?2, ?3)")
                    .and_then(|mut s| s.execute(params![&**station, *n as i64, op]))
                    .map_err(|e| CommitError::of(&format!("write {n} of {station}"), e))?;
            }
            Msg::Snapshot {
                station, n, state, ..
            } => {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO snapshots (station, n, state) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut s| s.execute(params![&**station, *n as i64, state]))
                .and_then(|_| {
                    tx.prepare_cached("DELETE FROM ops WHERE station = ?1 AND n <= ?2")?
                        .execute(params![&**station, *n as i64])
                })
                .map_err(|e| CommitError::of(&format!("snapshot of {station}"), e))?;
            }
            Msg::Meters {
                station, registers, ..
            } => {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO meters (station, registers) VALUES (?1, ?2)",
                )
                .and_then(|mut s| s.execute(params![&**station, registers]))
                .map_err(|e| CommitError::of(&format!("meters of {station}"), e))?;
            }
            Msg::Load { station, .. } => {
                let stored = load(&tx, station)
                    .map_err(|e| CommitError::of(&format!("read {station}"), e))?;
                loaded.push(stored);
            }
        }
    }
    tx.commit().map_err(|e| CommitError::of("commit", e))?;
    Ok(loaded)
}

fn load(conn: &Connection, station: &str) -> rusqlite::Result<Stored> {
    let snapshot: Option<(i64, String)> = conn
        .prepare_cached("SELECT n, state FROM snapshots WHERE station = ?1")?
        .query_row([station], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let after = snapshot.as_ref().map_or(0, |(n, _)| *n);
    let ops = conn
        .prepare_cached("SELECT n, op FROM ops WHERE station = ?1 AND n > ?2 ORDER BY n")?
        .query_map(params![station, after], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let meters = conn
        .prepare_cached("SELECT registers FROM meters WHERE station = ?1")?
        .query_row([station], |r| r.get(0))
        .optional()?;
    Ok(Stored {
        snapshot: snapshot.map(|(n, s)| (n as u64, s)),
        ops,
        meters,
    })
}
