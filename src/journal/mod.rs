//! The fleet's durable storage: one SQLite database for all its stations, written by one
//! thread that commits their writes in batches.
//!
//! Each station keeps its whole state in memory (a [`store::MemoryStore`], which answers
//! its reads) and journals every write: the write is applied in memory at once and queued
//! for the writer, which commits what has gathered in one transaction, one fsync for
//! thousands of writes. A station does not wait in the store call (that would hold an async
//! worker for a disk); it waits before it acts on what it wrote: the runner holds the
//! station's outputs (frames, hardware commands) until its writes are on disk
//! ([`Durability`]), so nothing the outside world sees can be lost by a kill or a power cut.
//! A crash loses at most writes nobody saw the effect of, as if it had come a moment
//! earlier.
//!
//! A station's journal is rebuilt from its last snapshot and the writes after it; every
//! [`SNAPSHOT_EVERY`] writes the station stores its whole state and the writes before it go.
//!
//! Measured against a SQLite file per station in the README ("Fleet", durable storage).

mod op;
mod station_store;
mod writer;

#[cfg(test)]
mod tests;

pub use station_store::JournalStore;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use tokio::sync::watch;

use writer::{Durable, Msg};

/// A station writes its whole state after this many writes, and its journal starts anew.
pub const SNAPSHOT_EVERY: u64 = 256;

/// The database of a fleet (`DIR/fleet.db`) and its writer thread.
#[derive(Clone)]
pub struct SharedDb {
    journal: Arc<Journal>,
}

/// The writer's end as the stations share it.
struct Journal {
    /// The last sequence number handed out, and the channel: taken together, so that
    /// messages arrive in the order of their numbers.
    sender: Mutex<(u64, mpsc::Sender<Msg>)>,
    durable: watch::Receiver<Durable>,
}

impl Journal {
    /// Queue a message built with its sequence number; that number.
    fn send(&self, msg: impl FnOnce(u64) -> Msg) -> u64 {
        let mut guard = self.sender.lock().unwrap_or_else(|e| e.into_inner());
        guard.0 += 1;
        let seq = guard.0;
        // The writer only goes when every sender is gone.
        let _ = guard.1.send(msg(seq));
        seq
    }

    fn failed(&self) -> Option<Arc<str>> {
        self.durable.borrow().failed.clone()
    }
}

impl SharedDb {
    /// Open or create the database at `path` and start its writer.
    pub fn open(path: &Path) -> anyhow::Result<SharedDb> {
        let conn = writer::open(path).map_err(|e| {
            anyhow::anyhow!("cannot open the fleet database {}: {e}", path.display())
        })?;
        let (tx, rx) = mpsc::channel();
        let (durable_tx, durable_rx) = watch::channel(Durable::default());
        std::thread::Builder::new()
            .name("fleet-db".into())
            .spawn(move || writer::run(conn, rx, durable_tx))?;
        Ok(SharedDb {
            journal: Arc::new(Journal {
                sender: Mutex::new((0, tx)),
                durable: durable_rx,
            }),
        })
    }

    /// Station `id`'s store as its journal left it, the handle its runner waits on, and its
    /// meters' registers.
    pub fn station(&self, id: &str) -> anyhow::Result<StationJournal> {
        let station: Arc<str> = id.into();
        let (reply, answer) = mpsc::channel();
        self.journal
            .sender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .send(Msg::Load {
                station: station.clone(),
                reply,
            })
            .map_err(|_| anyhow::anyhow!("the fleet database's writer is gone"))?;
        let stored = answer
            .recv()
            .map_err(|_| anyhow::anyhow!("the fleet database's writer is gone"))?
            .map_err(anyhow::Error::msg)?;
        let registers = stored
            .meters
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default();
        let last = Arc::new(AtomicU64::new(0));
        let store =
            JournalStore::replay(station.clone(), stored, self.journal.clone(), last.clone())
                .map_err(|e| anyhow::anyhow!("station {id} in the fleet database: {e}"))?;
        Ok(StationJournal {
            store,
            durability: Durability {
                last,
                durable: self.journal.durable.clone(),
            },
            meters: MeterSlot {
                station,
                journal: self.journal.clone(),
                registers,
            },
        })
    }

    /// Transactions committed so far: each one fsync, however many writes it carried.
    pub fn commits(&self) -> u64 {
        self.journal.durable.borrow().commits
    }

    /// Messages queued for the writer so far (the stations' writes, their snapshots and
    /// meter registers).
    pub fn writes(&self) -> u64 {
        self.journal
            .sender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
    }

    /// Wait until everything queued so far is on disk (or the writer failed).
    pub async fn flushed(&self) -> Result<(), Arc<str>> {
        let want = self
            .journal
            .sender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0;
        wait(self.journal.durable.clone(), want).await
    }
}

async fn wait(mut durable: watch::Receiver<Durable>, want: u64) -> Result<(), Arc<str>> {
    let d = durable
        .wait_for(|d| d.upto >= want || d.failed.is_some())
        .await
        .map(|d| d.clone())
        // The writer is gone: nothing more will be written.
        .unwrap_or_else(|_| Durable {
            failed: Some("the fleet database's writer stopped".into()),
            ..Durable::default()
        });
    match d.failed {
        Some(e) if d.upto < want => Err(e),
        _ => Ok(()),
    }
}

/// One station's part of the fleet database.
pub struct StationJournal {
    pub store: JournalStore,
    pub durability: Durability,
    pub meters: MeterSlot,
}

/// What a station's runner waits on before it acts on the station's writes.
#[derive(Clone)]
pub struct Durability {
    /// The sequence number of the station's last write.
    last: Arc<AtomicU64>,
    durable: watch::Receiver<Durable>,
}

impl Durability {
    /// Whether the station's writes so far are on disk.
    pub fn is_durable(&self) -> bool {
        self.durable.borrow().upto >= self.last.load(Ordering::Acquire)
    }

    /// Until the station's writes so far are on disk; an error when they never will be.
    pub async fn wait(&self) -> Result<(), Arc<str>> {
        let want = self.last.load(Ordering::Acquire);
        if self.durable.borrow().upto >= want {
            return Ok(());
        }
        wait(self.durable.clone(), want).await
    }
}

impl std::fmt::Debug for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Durability")
            .field("last", &self.last.load(Ordering::Relaxed))
            .field("upto", &self.durable.borrow().upto)
            .finish()
    }
}

/// A station's simulated meter registers in the fleet database.
#[derive(Clone)]
pub struct MeterSlot {
    station: Arc<str>,
    journal: Arc<Journal>,
    /// As stored when the station was opened.
    registers: Vec<f64>,
}

impl MeterSlot {
    /// The registers stored when the station was opened (none at its first start).
    pub fn load(&self) -> Vec<f64> {
        self.registers.clone()
    }

    /// Queued behind the station's writes so far: a sample the station journals after
    /// this is never ahead of the register a restart starts from.
    pub fn save(&self, registers: &[f64]) {
        let registers = serde_json::to_string(registers).unwrap_or_default();
        let station = self.station.clone();
        self.journal.send(|seq| Msg::Meters {
            seq,
            station,
            registers,
        });
    }
}

impl std::fmt::Debug for MeterSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeterSlot")
            .field("station", &self.station)
            .finish()
    }
}
