//! The fleet database: what a station wrote comes back after a reopen, through snapshots,
//! for each station apart; writes of many stations share commits; a writer that fails
//! makes the stations' writes fail instead of losing them silently.

use super::*;
use chrono::{TimeZone, Utc};
use store::{QueuedMessage, Store, TransactionRecord};

fn msg(action: &str, n: i64) -> QueuedMessage {
    QueuedMessage {
        action: action.into(),
        payload: serde_json::json!({ "n": n }),
        local_tx: None,
        attempts: 0,
    }
}

fn record(connector: u32) -> TransactionRecord {
    TransactionRecord {
        local_id: 0,
        connector,
        id_tag: "TAG".into(),
        parent_id_tag: None,
        reservation_id: None,
        transaction_id: None,
        meter_start_wh: 100,
        started_at: Utc.with_ymd_and_hms(2026, 12, 8, 10, 0, 0).unwrap(),
        meter_stop_wh: None,
        stopped_at: None,
        stop_reason: None,
        stop_id_tag: None,
        last_meter_wh: None,
        last_meter_at: None,
    }
}

/// What a station's reads show, to compare two stores.
fn contents(s: &dyn Store) -> String {
    format!(
        "{:?} {:?} {:?} {:?}",
        s.config_all().unwrap(),
        s.tx_open().unwrap(),
        s.queue_front().unwrap(),
        s.queue_len().unwrap()
    )
}

#[tokio::test]
async fn a_station_reopens_as_it_wrote_and_stations_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet.db");
    let db = SharedDb::open(&path).unwrap();
    let mut a = db.station("CP1").unwrap();
    let mut b = db.station("CP2").unwrap();
    a.store.config_set("HeartbeatInterval", "60").unwrap();
    let local = a
        .store
        .tx_begin(&record(1), &msg("StartTransaction", 1))
        .unwrap();
    a.store
        .tx_sample(local, 150, Utc::now(), &msg("MeterValues", 2))
        .unwrap();
    b.store.config_set("HeartbeatInterval", "300").unwrap();
    a.meters.save(&[1234.5, 0.0]);
    a.durability.wait().await.unwrap();
    assert!(a.durability.is_durable());
    b.durability.wait().await.unwrap();
    let (want_a, want_b) = (contents(&a.store), contents(&b.store));
    drop((a, b, db));

    let db = SharedDb::open(&path).unwrap();
    let a = db.station("CP1").unwrap();
    assert_eq!(contents(&a.store), want_a);
    assert_eq!(a.store.tx_open().unwrap()[0].last_meter_wh, Some(150));
    assert_eq!(a.meters.load(), vec![1234.5, 0.0]);
    assert_eq!(contents(&db.station("CP2").unwrap().store), want_b);
    assert!(db
        .station("CP3")
        .unwrap()
        .store
        .config_all()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_long_journal_becomes_a_snapshot_and_replays_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet.db");
    let db = SharedDb::open(&path).unwrap();
    let mut a = db.station("CP1").unwrap();
    let writes = SNAPSHOT_EVERY * 2 + 7;
    for n in 0..writes {
        let seq = a.store.queue_push(&msg("MeterValues", n as i64)).unwrap();
        if n % 3 != 0 {
            a.store.queue_remove(seq).unwrap();
        }
    }
    a.durability.wait().await.unwrap();
    let want = contents(&a.store);
    drop((a, db));

    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM ops WHERE station = 'CP1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        rows < SNAPSHOT_EVERY as i64,
        "{rows} writes left after snapshots"
    );
    let db = SharedDb::open(&path).unwrap();
    let mut a = db.station("CP1").unwrap();
    assert_eq!(contents(&a.store), want);
    // Numbers go on where they were: a sequence number is never reused.
    let next = a.store.queue_push(&msg("MeterValues", -1)).unwrap();
    assert_eq!(next, writes + 1);
}

#[tokio::test]
async fn writes_that_gather_while_the_disk_is_busy_share_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet.db");
    let db = SharedDb::open(&path).unwrap();
    let mut stations: Vec<_> = (0..200)
        .map(|n| db.station(&format!("CP{n}")).unwrap())
        .collect();
    let before = db.commits();
    // Another writer holds the database: the fleet's writer waits, the writes gather.
    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    for n in 0..5 {
        for s in &mut stations {
            s.store.config_set("K", &n.to_string()).unwrap();
        }
    }
    assert!(!stations[199].durability.is_durable());
    blocker.execute_batch("COMMIT").unwrap();
    for s in &stations {
        s.durability.wait().await.unwrap();
    }
    let commits = db.commits() - before;
    assert!(
        (1..=2).contains(&commits),
        "1,000 writes took {commits} commits"
    );
    drop((stations, db));
    let db = SharedDb::open(&path).unwrap();
    let s = db.station("CP123").unwrap();
    assert_eq!(
        s.store.config_all().unwrap(),
        vec![("K".into(), "4".into())]
    );
}

#[tokio::test]
async fn a_failed_writer_fails_the_writes_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = SharedDb::open(&dir.path().join("fleet.db")).unwrap();
    // The same station opened twice: both number their first write 1, which the
    // database refuses.
    let mut one = db.station("CP1").unwrap();
    let mut two = db.station("CP1").unwrap();
    one.store.config_set("A", "1").unwrap();
    one.durability.wait().await.unwrap();
    two.store.config_set("A", "2").unwrap();
    assert!(two.durability.wait().await.is_err());
    let e = one.store.config_set("B", "1").unwrap_err();
    assert!(e.to_string().contains("fleet's database failed"), "{e}");
}

#[test]
fn a_file_that_is_no_database_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet.db");
    std::fs::write(
        &path,
        "this is not SQLite, it is text long enough to be read as a header",
    )
    .unwrap();
    let e = SharedDb::open(&path).err().unwrap().to_string();
    assert!(e.contains("fleet.db"), "{e}");
}
