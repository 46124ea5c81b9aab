//! What only the SQLite store must do: survive a restart, migrate, refuse bad files.

use chrono::{TimeZone, Utc};
use rusqlite::Connection;
use serde_json::json;
use store::{QueuedMessage, SqliteStore, Store, StoreError, TransactionRecord, MIGRATIONS};

fn record() -> TransactionRecord {
    let t = Utc
        .with_ymd_and_hms(2025, 3, 1, 8, 30, 0)
        .single()
        .expect("valid date");
    TransactionRecord::new(1, "TAG1", 500, t)
}

#[test]
fn data_survives_close_and_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("station.db");
    let (local_id, last_seq) = {
        let mut s = SqliteStore::open(&path).expect("open");
        s.config_set("HeartbeatInterval", "300").expect("config");
        s.kv_set("boot_reason", "PowerUp").expect("kv");
        let id = s
            .tx_begin(
                &record(),
                &QueuedMessage::new("StartTransaction", json!({"a": 1}), None),
            )
            .expect("begin");
        let (start, _) = s.queue_front().expect("front").expect("queued");
        s.tx_confirm_start(start, id, 17, None).expect("txid");
        let seq = s
            .queue_push(&QueuedMessage::new(
                "MeterValues",
                json!([1, 2.5, null]),
                Some(id),
            ))
            .expect("push");
        (id, seq)
    };
    let mut s = SqliteStore::open(&path).expect("reopen");
    assert_eq!(
        s.config_all().expect("config"),
        vec![("HeartbeatInterval".to_string(), "300".to_string())]
    );
    assert_eq!(
        s.kv_get("boot_reason").expect("kv").as_deref(),
        Some("PowerUp")
    );
    let open = s.tx_open().expect("open txs");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].local_id, local_id);
    assert_eq!(open[0].transaction_id, Some(17));
    assert_eq!(open[0].started_at, record().started_at);
    // The confirmed StartTransaction left the queue with its id recorded.
    assert_eq!(s.queue_len().expect("len"), 1);
    let (_, front) = s.queue_front().expect("front").expect("present");
    assert_eq!(front.action, "MeterValues");
    // Sequence numbers keep increasing across a reopen, even after the queue is drained.
    while let Some((seq, _)) = s.queue_front().expect("front") {
        s.queue_remove(seq).expect("remove");
    }
    drop(s);
    let mut s = SqliteStore::open(&path).expect("reopen again");
    let next = s
        .queue_push(&QueuedMessage::new("MeterValues", json!({}), None))
        .expect("push");
    assert!(next > last_seq, "{next} <= {last_seq}");
}

#[test]
fn migrations_are_idempotent_and_versioned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("station.db");
    let s = SqliteStore::open(&path).expect("open");
    assert_eq!(
        s.schema_version().expect("version"),
        MIGRATIONS.len() as u32
    );
    drop(s);
    let s = SqliteStore::open(&path).expect("open twice");
    assert_eq!(
        s.schema_version().expect("version"),
        MIGRATIONS.len() as u32
    );
    let mem = SqliteStore::open_in_memory().expect("memory");
    assert_eq!(
        mem.schema_version().expect("version"),
        MIGRATIONS.len() as u32
    );
}

#[test]
fn pragmas_are_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("station.db");
    let _s = SqliteStore::open(&path).expect("open");
    // journal_mode is persistent in the file; another connection sees it.
    let conn = Connection::open(&path).expect("raw open");
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal mode");
    assert_eq!(mode.to_lowercase(), "wal");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("station.db");
    drop(SqliteStore::open(&path).expect("open"));
    let conn = Connection::open(&path).expect("raw open");
    conn.execute_batch("PRAGMA user_version = 999")
        .expect("bump");
    drop(conn);
    let err = SqliteStore::open(&path).err().expect("refused").to_string();
    assert!(err.contains("999") && err.contains("station.db"), "{err}");
}

#[test]
fn a_corrupt_file_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("garbage.db");
    std::fs::write(&path, vec![0x5a_u8; 8192]).expect("write garbage");
    match SqliteStore::open(&path) {
        Err(StoreError::Db(msg)) => assert!(msg.contains("garbage.db"), "{msg}"),
        Err(other) => panic!("unexpected error kind: {other}"),
        Ok(_) => panic!("a garbage file opened as a store"),
    }
}

#[test]
fn an_unopenable_path_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("missing-dir").join("station.db");
    let err = SqliteStore::open(&path).err().expect("refused").to_string();
    assert!(err.contains("missing-dir"), "{err}");
}

/// Make every insert into the queue fail, from outside, as a full disk would.
fn break_queue(path: &std::path::Path) {
    let conn = Connection::open(path).expect("raw open");
    conn.execute_batch(
        "CREATE TRIGGER fail_queue BEFORE INSERT ON message_queue
         BEGIN SELECT RAISE(ABORT, 'simulated disk full'); END;",
    )
    .expect("trigger");
}

#[test]
fn tx_begin_and_tx_end_are_all_or_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("station.db");
    let mut s = SqliteStore::open(&path).expect("open");
    let id = s
        .tx_begin(
            &record(),
            &QueuedMessage::new("StartTransaction", json!({}), None),
        )
        .expect("begin");
    break_queue(&path);

    let err = s
        .tx_begin(
            &record(),
            &QueuedMessage::new("StartTransaction", json!({}), None),
        )
        .expect_err("queue insert fails");
    assert!(err.to_string().contains("simulated disk full"), "{err}");
    assert_eq!(
        s.tx_open().expect("open").len(),
        1,
        "no half-begun transaction"
    );

    let stop = QueuedMessage::new("StopTransaction", json!({}), None);
    assert!(s
        .tx_end(id, 900, record().started_at, "Local", None, &stop)
        .is_err());
    let rec = s.tx_get(id).expect("get").expect("present");
    assert!(!rec.is_stopped(), "no stop without its StopTransaction");
    assert_eq!(s.queue_len().expect("len"), 1);
}

#[test]
fn a_corrupt_payload_is_reported_not_panicked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("station.db");
    let s = SqliteStore::open(&path).expect("open");
    let conn = Connection::open(&path).expect("raw open");
    conn.execute_batch(
        "INSERT INTO message_queue (action, payload, attempts) VALUES ('MeterValues', '{oops', 0)",
    )
    .expect("insert");
    assert!(matches!(s.queue_front(), Err(StoreError::Corrupt(_))));
}

#[test]
fn auth_cache_survives_reopen_and_a_version_2_database_gains_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("station.db");
    // A database as the previous release left it: migrations 1 and 2 only.
    {
        let conn = Connection::open(&path).expect("raw open");
        conn.execute_batch(MIGRATIONS[0]).expect("migration 1");
        conn.execute_batch(MIGRATIONS[1]).expect("migration 2");
        conn.execute_batch("PRAGMA user_version = 2")
            .expect("version");
        conn.execute(
            "INSERT INTO config (key, value) VALUES ('HeartbeatInterval', '60')",
            [],
        )
        .expect("config");
    }
    let entry = store::CachedAuth {
        id_tag: "Card-1".into(),
        status: "Accepted".into(),
        expiry_date: Some(record().started_at + chrono::Duration::days(1)),
        parent_id_tag: Some("FLEET".into()),
        updated_at: record().started_at,
    };
    {
        let mut s = SqliteStore::open(&path).expect("open migrates");
        assert_eq!(
            s.schema_version().expect("version") as usize,
            MIGRATIONS.len()
        );
        assert_eq!(s.config_all().expect("config").len(), 1);
        s.auth_cache_put(&entry, store::AUTH_CACHE_CAPACITY)
            .expect("put");
    }
    let s = SqliteStore::open(&path).expect("reopen");
    assert_eq!(s.auth_cache_get("CARD-1").expect("get"), Some(entry));
}

#[test]
fn local_list_survives_reopen_and_a_failed_update_changes_nothing() {
    use store::{LocalListEntry, LocalListUpdate};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("station.db");
    let entry = |tag: &str, status: &str| LocalListEntry {
        id_tag: tag.into(),
        status: status.into(),
        expiry_date: Some(record().started_at + chrono::Duration::days(1)),
        parent_id_tag: Some("FLEET".into()),
    };
    {
        let mut s = SqliteStore::open(&path).expect("open");
        let full = LocalListUpdate::Full(vec![entry("Card-1", "Accepted"), entry("C2", "Blocked")]);
        s.local_list_apply(&full, 7, 100).expect("full");
    }
    let mut s = SqliteStore::open(&path).expect("reopen");
    assert_eq!(s.local_list_version().expect("version"), 7);
    assert_eq!(
        s.local_list_get("CARD-1").expect("get"),
        Some(entry("Card-1", "Accepted"))
    );
    // The version is written last, in the same SQLite transaction: when it fails, the
    // entries written before it are rolled back too.
    let conn = Connection::open(&path).expect("raw open");
    conn.execute_batch(
        "CREATE TRIGGER fail_kv BEFORE INSERT ON kv
         BEGIN SELECT RAISE(ABORT, 'simulated disk full'); END;",
    )
    .expect("trigger");
    let diff = LocalListUpdate::Differential {
        upsert: vec![entry("C3", "Accepted"), entry("card-1", "Blocked")],
        remove: vec!["C2".into()],
    };
    let err = s.local_list_apply(&diff, 8, 100).expect_err("kv fails");
    assert!(err.to_string().contains("simulated disk full"), "{err}");
    assert_eq!(s.local_list_version().expect("version"), 7);
    assert_eq!(s.local_list_len().expect("len"), 2);
    assert_eq!(s.local_list_get("C3").expect("get"), None);
    assert_eq!(
        s.local_list_get("card-1").expect("get"),
        Some(entry("Card-1", "Accepted"))
    );
}

/// The database holds private keys and the AuthorizationKey: owner only, its WAL files too,
/// even if the file was created with a wider mode.
#[cfg(unix)]
#[test]
fn the_database_files_are_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("station.db");
    let mut s = SqliteStore::open(&path).expect("open");
    s.config_set("AuthorizationKey", "00112233445566778899aabbccddeeff")
        .expect("write");
    assert_eq!(mode(&path), 0o600, "database");
    // SQLite gives its WAL and shared-memory files the database file's mode.
    for suffix in ["-wal", "-shm"] {
        let side = dir.path().join(format!("station.db{suffix}"));
        assert_eq!(mode(&side), 0o600, "{suffix}");
    }
    drop(s);
    // An existing file with a wider mode is narrowed when opened.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let _s = SqliteStore::open(&path).expect("reopen");
    assert_eq!(mode(&path), 0o600, "narrowed");
}

#[test]
fn certificates_survive_reopen_and_ids_are_not_reused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("station.db");
    let t = Utc
        .with_ymd_and_hms(2025, 3, 1, 8, 30, 0)
        .single()
        .expect("valid date");
    let cert = store::StoredCertificate {
        id: 0,
        use_: "ChargePointCertificate".into(),
        pem: "LEAF\nCA\n".into(),
        private_key_pem: Some("KEY".into()),
        installed_at: t,
    };
    let last = {
        let mut s = SqliteStore::open(&path).expect("open");
        s.certificate_add(&cert).expect("add");
        let second = s.certificate_add(&cert).expect("add");
        s.certificate_remove(second).expect("remove the newest");
        second
    };
    let mut s = SqliteStore::open(&path).expect("reopen");
    let all = s.certificates_all().expect("all");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].pem, cert.pem);
    assert_eq!(all[0].private_key_pem.as_deref(), Some("KEY"));
    assert_eq!(all[0].installed_at, t);
    let next = s.certificate_add(&cert).expect("add");
    assert!(next > last, "{next} <= {last}");
}
