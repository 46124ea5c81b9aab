//! The same behaviour from every store: each case runs against SqliteStore (a file in a temp
//! dir) and MemoryStore.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use store::{
    CachedAuth, MemoryStore, QueuedMessage, Reservation, SqliteStore, Store, StoredChargingProfile,
    TransactionRecord,
};
use store::{LocalListApplied, LocalListEntry, LocalListUpdate, SecurityLogEntry};
use store::{StoredCertificate, PENDING_CHARGE_POINT_KEY};
use tempfile::TempDir;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 8, 30, 0)
        .single()
        .expect("valid date")
        + Duration::milliseconds(123)
}

fn msg(action: &str, n: i64) -> QueuedMessage {
    QueuedMessage::new(action, json!({ "n": n, "text": "ünïcode" }), None)
}

fn record(connector: u32, tag: &str) -> TransactionRecord {
    TransactionRecord {
        parent_id_tag: Some("PARENT".into()),
        reservation_id: Some(7),
        ..TransactionRecord::new(connector, tag, 1_000, t0())
    }
}

mod suite {
    use super::*;

    pub fn config_round_trip_and_overwrite(s: &mut dyn Store) {
        assert!(s.config_all().expect("all").is_empty());
        s.config_set("MeterValueSampleInterval", "60").expect("set");
        s.config_set("AuthorizeRemoteTxRequests", "true")
            .expect("set");
        s.config_set("MeterValueSampleInterval", "30")
            .expect("overwrite");
        assert_eq!(
            s.config_all().expect("all"),
            vec![
                ("AuthorizeRemoteTxRequests".to_string(), "true".to_string()),
                ("MeterValueSampleInterval".to_string(), "30".to_string()),
            ]
        );
    }

    pub fn queue_is_fifo_with_increasing_sequence_numbers(s: &mut dyn Store) {
        assert_eq!(s.queue_front().expect("front"), None);
        assert_eq!(s.queue_len().expect("len"), 0);
        let a = s.queue_push(&msg("MeterValues", 1)).expect("push");
        let b = s.queue_push(&msg("MeterValues", 2)).expect("push");
        let c = s.queue_push(&msg("StopTransaction", 3)).expect("push");
        assert!(a < b && b < c);
        assert_eq!(s.queue_len().expect("len"), 3);
        assert_eq!(
            s.queue_front().expect("front"),
            Some((a, msg("MeterValues", 1)))
        );
        s.queue_remove(a).expect("remove");
        assert_eq!(
            s.queue_front().expect("front"),
            Some((b, msg("MeterValues", 2)))
        );
        s.queue_remove(c).expect("remove from the middle");
        s.queue_remove(c).expect("removing twice is fine");
        assert_eq!(s.queue_len().expect("len"), 1);
        s.queue_remove(b).expect("remove");
        assert_eq!(s.queue_front().expect("front"), None);
        // Never reused, even once the queue is empty.
        let d = s.queue_push(&msg("MeterValues", 4)).expect("push");
        assert!(d > c);
    }

    pub fn attempts_are_recorded(s: &mut dyn Store) {
        let seq = s
            .queue_push(&QueuedMessage::new("StartTransaction", json!({}), Some(9)))
            .expect("push");
        s.queue_set_attempts(seq, 3).expect("attempts");
        let (_, m) = s.queue_front().expect("front").expect("present");
        assert_eq!(m.attempts, 3);
        assert_eq!(m.local_tx, Some(9));
        s.queue_set_attempts(seq + 100, 1)
            .expect("absent is ignored");
    }

    pub fn tx_begin_assigns_ids_and_queues_the_start(s: &mut dyn Store) {
        let start = QueuedMessage::new("StartTransaction", json!({"connectorId": 1}), None);
        let first = s.tx_begin(&record(1, "TAG1"), &start).expect("begin");
        let second = s.tx_begin(&record(2, "TAG2"), &start).expect("begin");
        assert!(second > first);
        let rec = s.tx_get(first).expect("get").expect("present");
        assert_eq!(
            rec,
            TransactionRecord {
                local_id: first,
                ..record(1, "TAG1")
            }
        );
        assert_eq!(s.queue_len().expect("len"), 2);
        let (_, queued) = s.queue_front().expect("front").expect("present");
        assert_eq!(queued.action, "StartTransaction");
        assert_eq!(queued.payload, json!({"connectorId": 1}));
        // The store links the message to the transaction it just created.
        assert_eq!(queued.local_tx, Some(first));
        assert_eq!(s.tx_get(second + 1).expect("get"), None);
    }

    pub fn confirmed_start_records_the_id_and_leaves_the_queue_together(s: &mut dyn Store) {
        let id = s
            .tx_begin(&record(1, "TAG1"), &msg("StartTransaction", 0))
            .expect("begin");
        let (seq, _) = s.queue_front().expect("front").expect("queued");
        // An unknown transaction changes nothing: the message stays for a retry.
        assert!(s.tx_confirm_start(seq, id + 1, 1, None).is_err());
        assert_eq!(s.queue_len().expect("len"), 1);
        s.tx_confirm_start(seq, id, 4711, Some("GROUP"))
            .expect("confirm");
        let rec = s.tx_get(id).expect("get").expect("present");
        assert_eq!(rec.transaction_id, Some(4711));
        assert_eq!(rec.parent_id_tag.as_deref(), Some("GROUP"));
        assert_eq!(s.queue_len().expect("len"), 0);
    }

    pub fn tx_end_stops_and_queues_the_stop(s: &mut dyn Store) {
        let id = s
            .tx_begin(&record(1, "TAG1"), &msg("StartTransaction", 0))
            .expect("begin");
        let other = s
            .tx_begin(&record(2, "TAG2"), &msg("StartTransaction", 1))
            .expect("begin");
        assert_eq!(s.tx_open().expect("open").len(), 2);
        let stop_at = t0() + Duration::minutes(42);
        s.tx_end(
            id,
            21_000,
            stop_at,
            "Local",
            Some("TAG1"),
            &msg("StopTransaction", 2),
        )
        .expect("end");
        let rec = s.tx_get(id).expect("get").expect("present");
        assert_eq!(rec.meter_stop_wh, Some(21_000));
        assert_eq!(rec.stopped_at, Some(stop_at));
        assert_eq!(rec.stop_reason.as_deref(), Some("Local"));
        assert_eq!(rec.stop_id_tag.as_deref(), Some("TAG1"));
        let open = s.tx_open().expect("open");
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].local_id, other);
        assert_eq!(s.queue_len().expect("len"), 3);
        // A second stop would queue a duplicate StopTransaction: refused.
        assert!(s
            .tx_end(id, 1, stop_at, "Local", None, &msg("StopTransaction", 3))
            .is_err());
        assert!(s
            .tx_end(
                other + 1,
                1,
                stop_at,
                "Local",
                None,
                &msg("StopTransaction", 3)
            )
            .is_err());
        assert_eq!(s.queue_len().expect("len"), 3);
        // The stop message is last in the queue and linked to the transaction.
        let mut last = None;
        while let Some((seq, m)) = s.queue_front().expect("front") {
            last = Some(m);
            s.queue_remove(seq).expect("remove");
        }
        let last = last.expect("stop queued");
        assert_eq!(
            (last.action.as_str(), last.local_tx),
            ("StopTransaction", Some(id))
        );
    }

    pub fn confirmed_stop_forgets_only_stopped_transactions(s: &mut dyn Store) {
        let id = s
            .tx_begin(&record(1, "TAG1"), &msg("StartTransaction", 0))
            .expect("begin");
        let (start, _) = s.queue_front().expect("front").expect("queued");
        assert!(
            s.tx_confirm_stop(start, id).is_err(),
            "an open transaction must not be forgotten"
        );
        assert_eq!(s.queue_len().expect("len"), 1, "nothing changes then");
        s.tx_confirm_start(start, id, 1, None)
            .expect("confirm start");
        s.tx_end(
            id,
            2_000,
            t0(),
            "EVDisconnected",
            None,
            &msg("StopTransaction", 1),
        )
        .expect("end");
        let (stop, _) = s.queue_front().expect("front").expect("queued");
        s.tx_confirm_stop(stop, id).expect("confirm stop");
        assert_eq!(s.tx_get(id).expect("get"), None);
        assert_eq!(s.queue_len().expect("len"), 0);
        s.tx_confirm_stop(stop, id)
            .expect("confirming twice is fine");
        // Local ids are never reused.
        let next = s
            .tx_begin(&record(1, "TAG1"), &msg("StartTransaction", 2))
            .expect("begin");
        assert!(next > id);
    }

    pub fn tx_sample_records_the_last_reading_and_queues(s: &mut dyn Store) {
        let id = s
            .tx_begin(&record(1, "TAG"), &msg("StartTransaction", 0))
            .expect("begin");
        let at = t0() + chrono::Duration::seconds(60);
        s.tx_sample(id, 1234, at, &msg("MeterValues", 1))
            .expect("sample");
        let rec = s.tx_get(id).expect("get").expect("exists");
        assert_eq!(rec.last_meter_wh, Some(1234));
        assert_eq!(rec.last_meter_at, Some(at));
        assert_eq!(s.queue_len().expect("len"), 2);
        s.tx_end(id, 1300, at, "Local", None, &msg("StopTransaction", 2))
            .expect("end");
        // A stopped transaction takes no more samples.
        assert!(s.tx_sample(id, 1400, at, &msg("MeterValues", 3)).is_err());
        assert_eq!(s.queue_len().expect("len"), 3);
    }

    fn cached(tag: &str, status: &str, minutes: i64) -> CachedAuth {
        CachedAuth {
            id_tag: tag.into(),
            status: status.into(),
            expiry_date: None,
            parent_id_tag: None,
            updated_at: t0() + Duration::minutes(minutes),
        }
    }

    pub fn auth_cache_round_trip_ignores_case(s: &mut dyn Store) {
        assert_eq!(s.auth_cache_get("TAG1").expect("get"), None);
        assert_eq!(s.auth_cache_len().expect("len"), 0);
        let entry = CachedAuth {
            id_tag: "Tag1".into(),
            status: "Accepted".into(),
            expiry_date: Some(t0() + Duration::days(30)),
            parent_id_tag: Some("PARENT".into()),
            updated_at: t0(),
        };
        s.auth_cache_put(&entry, 10).expect("put");
        assert_eq!(s.auth_cache_get("TAG1").expect("get"), Some(entry.clone()));
        assert_eq!(s.auth_cache_get("tag1").expect("get"), Some(entry));
        // An update in another case replaces the entry.
        let blocked = cached("TAG1", "Blocked", 1);
        s.auth_cache_put(&blocked, 10).expect("update");
        assert_eq!(s.auth_cache_len().expect("len"), 1);
        assert_eq!(s.auth_cache_get("tag1").expect("get"), Some(blocked));
        s.auth_cache_put(&cached("TAG2", "Accepted", 2), 10)
            .expect("put");
        assert_eq!(s.auth_cache_len().expect("len"), 2);
        s.auth_cache_clear().expect("clear");
        assert_eq!(s.auth_cache_len().expect("len"), 0);
        assert_eq!(s.auth_cache_get("TAG2").expect("get"), None);
    }

    pub fn auth_cache_evicts_not_valid_then_oldest(s: &mut dyn Store) {
        s.auth_cache_put(&cached("A", "Accepted", 0), 3)
            .expect("put");
        s.auth_cache_put(&cached("B", "Invalid", 1), 3)
            .expect("put");
        let expired = CachedAuth {
            expiry_date: Some(t0() + Duration::minutes(3)),
            ..cached("C", "Accepted", 2)
        };
        s.auth_cache_put(&expired, 3).expect("put");
        // Full. D makes room: B (Invalid) goes first, though A is older.
        s.auth_cache_put(&cached("D", "Accepted", 4), 3)
            .expect("put");
        assert_eq!(s.auth_cache_len().expect("len"), 3);
        assert!(s.auth_cache_get("B").expect("get").is_none());
        // E: C has expired by now (minute 5), so it goes before the older valid A.
        s.auth_cache_put(&cached("E", "Accepted", 5), 3)
            .expect("put");
        assert!(s.auth_cache_get("C").expect("get").is_none());
        assert!(s.auth_cache_get("A").expect("get").is_some());
        // Refreshing A makes D the least recently updated valid entry.
        s.auth_cache_put(&cached("a", "Accepted", 6), 3)
            .expect("put");
        s.auth_cache_put(&cached("F", "Accepted", 7), 3)
            .expect("put");
        assert!(s.auth_cache_get("D").expect("get").is_none());
        for tag in ["A", "E", "F"] {
            assert!(s.auth_cache_get(tag).expect("get").is_some(), "{tag}");
        }
        // The entry just written stays even when it is the only NOT-valid one.
        s.auth_cache_put(&cached("G", "Blocked", 8), 3)
            .expect("put");
        assert!(s.auth_cache_get("G").expect("get").is_some());
        // E is now the least recently updated (A was refreshed after it).
        assert!(s.auth_cache_get("E").expect("get").is_none());
        assert!(s.auth_cache_get("A").expect("get").is_some());
        assert_eq!(s.auth_cache_len().expect("len"), 3);
    }

    pub fn local_list_full_and_differential_updates(s: &mut dyn Store) {
        assert_eq!(s.local_list_version().expect("version"), 0);
        assert_eq!(s.local_list_len().expect("len"), 0);
        assert_eq!(s.local_list_get("A").expect("get"), None);
        let a = LocalListEntry {
            id_tag: "Tag-A".into(),
            status: "Accepted".into(),
            expiry_date: Some(t0() + Duration::days(30)),
            parent_id_tag: Some("GROUP".into()),
        };
        let full = LocalListUpdate::Full(vec![a.clone(), listed("B", "Blocked")]);
        assert_eq!(
            s.local_list_apply(&full, 3, 100).expect("full"),
            LocalListApplied::Applied { len: 2 }
        );
        assert_eq!(s.local_list_version().expect("version"), 3);
        assert_eq!(s.local_list_get("TAG-A").expect("get"), Some(a.clone()));
        assert_eq!(s.local_list_get("tag-a").expect("get"), Some(a));
        // Differential: add C, update b (another case), remove tag-a.
        let diff = LocalListUpdate::Differential {
            upsert: vec![listed("C", "Accepted"), listed("b", "Accepted")],
            remove: vec!["tag-a".into(), "NOT-THERE".into()],
        };
        assert_eq!(
            s.local_list_apply(&diff, 4, 100).expect("diff"),
            LocalListApplied::Applied { len: 2 }
        );
        assert_eq!(s.local_list_version().expect("version"), 4);
        assert_eq!(s.local_list_get("Tag-A").expect("get"), None);
        assert_eq!(
            s.local_list_get("B").expect("get"),
            Some(listed("b", "Accepted"))
        );
        // A full update replaces everything, an empty one empties the list.
        let full = LocalListUpdate::Full(vec![listed("D", "Invalid")]);
        s.local_list_apply(&full, 5, 100).expect("full");
        assert_eq!(s.local_list_len().expect("len"), 1);
        assert_eq!(s.local_list_get("C").expect("get"), None);
        s.local_list_apply(&LocalListUpdate::Full(vec![]), 6, 100)
            .expect("empty");
        assert_eq!(s.local_list_len().expect("len"), 0);
        assert_eq!(s.local_list_version().expect("version"), 6);
        // The version is kept apart from other named values.
        assert_eq!(s.kv_get("firmware_version").expect("kv"), None);
    }

    pub fn local_list_too_long_changes_nothing(s: &mut dyn Store) {
        let full = LocalListUpdate::Full(vec![listed("A", "Accepted"), listed("B", "Accepted")]);
        s.local_list_apply(&full, 1, 3).expect("full");
        // Updating an existing entry does not grow the list; two new ones do.
        let diff = LocalListUpdate::Differential {
            upsert: vec![
                listed("a", "Blocked"),
                listed("C", "Accepted"),
                listed("D", "Accepted"),
            ],
            remove: vec![],
        };
        assert_eq!(
            s.local_list_apply(&diff, 2, 3).expect("diff"),
            LocalListApplied::TooLong { len: 4 }
        );
        assert_eq!(s.local_list_version().expect("version"), 1);
        assert_eq!(s.local_list_len().expect("len"), 2);
        assert_eq!(
            s.local_list_get("A").expect("get"),
            Some(listed("A", "Accepted"))
        );
        assert_eq!(s.local_list_get("C").expect("get"), None);
        let full = LocalListUpdate::Full(
            (0..4)
                .map(|i| listed(&format!("T{i}"), "Accepted"))
                .collect(),
        );
        assert_eq!(
            s.local_list_apply(&full, 9, 3).expect("full"),
            LocalListApplied::TooLong { len: 4 }
        );
        assert_eq!(s.local_list_len().expect("len"), 2);
        assert_eq!(s.local_list_version().expect("version"), 1);
        // Removing one first makes room, within the same update.
        let diff = LocalListUpdate::Differential {
            upsert: vec![listed("C", "Accepted"), listed("D", "Accepted")],
            remove: vec!["B".into()],
        };
        assert_eq!(
            s.local_list_apply(&diff, 2, 3).expect("diff"),
            LocalListApplied::Applied { len: 3 }
        );
    }

    pub fn reservations_round_trip_replace_and_remove(s: &mut dyn Store) {
        assert!(s.reservations_all().expect("all").is_empty());
        let first = Reservation {
            reservation_id: 7,
            connector: 1,
            id_tag: "TAG1".into(),
            parent_id_tag: Some("PARENT".into()),
            expiry_date: t0() + Duration::minutes(30),
        };
        let station = Reservation {
            reservation_id: 3,
            connector: 0,
            id_tag: "ünïcode".into(),
            parent_id_tag: None,
            expiry_date: t0(),
        };
        s.reservation_put(&first).expect("put");
        s.reservation_put(&station).expect("put");
        assert_eq!(
            s.reservations_all().expect("all"),
            vec![station.clone(), first.clone()]
        );
        // The same reservation id replaces the earlier reservation.
        let replaced = Reservation {
            connector: 2,
            id_tag: "TAG2".into(),
            parent_id_tag: None,
            ..first
        };
        s.reservation_put(&replaced).expect("replace");
        assert_eq!(
            s.reservations_all().expect("all"),
            vec![station.clone(), replaced]
        );
        s.reservation_remove(7).expect("remove");
        s.reservation_remove(7).expect("removing twice is fine");
        assert_eq!(s.reservations_all().expect("all"), vec![station]);
    }

    pub fn charging_profiles_round_trip_replace_and_remove(s: &mut dyn Store) {
        assert!(s.charging_profiles_all().expect("all").is_empty());
        let tx_default = StoredChargingProfile {
            connector: 0,
            profile_id: 12,
            purpose: "TxDefaultProfile".into(),
            stack_level: 2,
            profile: json!({
                "chargingProfileId": 12,
                "stackLevel": 2,
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": {"chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.5}]}
            }),
        };
        let max = StoredChargingProfile {
            connector: 0,
            profile_id: 3,
            purpose: "ChargePointMaxProfile".into(),
            stack_level: 0,
            profile: json!({"chargingProfileId": 3, "text": "ünïcode"}),
        };
        s.charging_profile_put(&tx_default).expect("put");
        s.charging_profile_put(&max).expect("put");
        assert_eq!(
            s.charging_profiles_all().expect("all"),
            vec![max.clone(), tx_default.clone()]
        );
        // The same profile id replaces the earlier profile.
        let replaced = StoredChargingProfile {
            connector: 2,
            purpose: "TxProfile".into(),
            stack_level: 7,
            profile: json!({"chargingProfileId": 12}),
            ..tx_default
        };
        s.charging_profile_put(&replaced).expect("replace");
        assert_eq!(
            s.charging_profiles_all().expect("all"),
            vec![max.clone(), replaced]
        );
        s.charging_profile_remove(12).expect("remove");
        s.charging_profile_remove(12)
            .expect("removing twice is fine");
        assert_eq!(s.charging_profiles_all().expect("all"), vec![max]);
    }

    pub fn security_log_appends_in_order_and_drops_the_oldest(s: &mut dyn Store) {
        assert_eq!(s.security_log_len().expect("len"), 0);
        let entry = |n: i64| SecurityLogEntry {
            seq: 0,
            timestamp: t0() + Duration::seconds(n),
            kind: format!("Event{n}"),
            tech_info: (n % 2 == 0).then(|| format!("info {n}")),
        };
        let mut seqs = Vec::new();
        for n in 0..5 {
            seqs.push(s.security_log_append(&entry(n), 3).expect("append"));
        }
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        assert_eq!(s.security_log_len().expect("len"), 3);
        let all = s.security_log_all().expect("all");
        let kinds: Vec<&str> = all.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["Event2", "Event3", "Event4"]);
        assert_eq!(all[0].seq, seqs[2]);
        assert_eq!(all[0].timestamp, t0() + Duration::seconds(2));
        assert_eq!(all[0].tech_info.as_deref(), Some("info 2"));
        assert_eq!(all[1].tech_info, None);
    }

    fn certificate(use_: &str, pem: &str, key: Option<&str>, minutes: i64) -> StoredCertificate {
        StoredCertificate {
            id: 999,
            use_: use_.into(),
            pem: pem.into(),
            private_key_pem: key.map(str::to_string),
            installed_at: t0() + Duration::minutes(minutes),
        }
    }

    /// (id, use, pem, key, installed_at) of every stored certificate: StoredCertificate has
    /// no Debug (it holds private keys), so compare its fields.
    type CertificateRow = (u64, String, String, Option<String>, DateTime<Utc>);

    fn certificates(s: &dyn Store) -> Vec<CertificateRow> {
        s.certificates_all()
            .expect("all")
            .into_iter()
            .map(|c| (c.id, c.use_, c.pem, c.private_key_pem, c.installed_at))
            .collect()
    }

    pub fn certificates_add_list_remove_and_ids_are_never_reused(s: &mut dyn Store) {
        assert!(s.certificates_all().expect("all").is_empty());
        let root = certificate("CentralSystemRootCertificate", "ROOT PEM\n", None, 0);
        let cp = certificate(
            "ChargePointCertificate",
            "LEAF\nINTERMEDIATE\n",
            Some("KEY ünïcode"),
            1,
        );
        let pending = certificate(PENDING_CHARGE_POINT_KEY, "", Some("PENDING KEY"), 2);
        let a = s.certificate_add(&root).expect("add");
        let b = s.certificate_add(&cp).expect("add");
        let c = s.certificate_add(&pending).expect("add");
        assert!(a < b && b < c, "{a} {b} {c}");
        let row = |id: u64, c: &StoredCertificate| {
            (
                id,
                c.use_.clone(),
                c.pem.clone(),
                c.private_key_pem.clone(),
                c.installed_at,
            )
        };
        // The id given is ignored; rows come in the order added.
        assert_eq!(
            certificates(s),
            vec![row(a, &root), row(b, &cp), row(c, &pending)]
        );
        s.certificate_remove(b).expect("remove from the middle");
        s.certificate_remove(b).expect("removing twice is fine");
        s.certificate_remove(c + 100)
            .expect("removing an absent one is fine");
        assert_eq!(certificates(s), vec![row(a, &root), row(c, &pending)]);
        s.certificate_remove(c).expect("remove the last");
        // Never reused, even for the id just removed.
        let d = s.certificate_add(&cp).expect("add");
        assert!(d > c, "{d} <= {c}");
        assert_eq!(certificates(s), vec![row(a, &root), row(d, &cp)]);
        s.certificate_remove(a).expect("remove");
        s.certificate_remove(d).expect("remove");
        assert!(s.certificates_all().expect("all").is_empty());
        let e = s.certificate_add(&root).expect("add to an empty table");
        assert!(e > d, "{e} <= {d}");
    }

    pub fn kv_round_trip(s: &mut dyn Store) {
        assert_eq!(s.kv_get("firmware_version").expect("get"), None);
        s.kv_set("firmware_version", "0.1.0").expect("set");
        s.kv_set("firmware_version", "0.2.0").expect("overwrite");
        s.kv_set("boot_reason", "PowerUp").expect("set");
        assert_eq!(
            s.kv_get("firmware_version").expect("get").as_deref(),
            Some("0.2.0")
        );
        assert_eq!(
            s.kv_get("boot_reason").expect("get").as_deref(),
            Some("PowerUp")
        );
    }
}

fn listed(tag: &str, status: &str) -> LocalListEntry {
    LocalListEntry {
        id_tag: tag.into(),
        status: status.into(),
        expiry_date: None,
        parent_id_tag: None,
    }
}

fn sqlite() -> (SqliteStore, TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = SqliteStore::open(&dir.path().join("station.db")).expect("open");
    (s, dir)
}

fn memory() -> (MemoryStore, ()) {
    (MemoryStore::new(), ())
}

macro_rules! conformance {
    ($backend:ident) => {
        mod $backend {
            use super::*;

            fn run(case: fn(&mut dyn Store)) {
                let (mut s, _guard) = super::$backend();
                case(&mut s);
            }

            #[test]
            fn config_round_trip_and_overwrite() {
                run(suite::config_round_trip_and_overwrite);
            }
            #[test]
            fn queue_is_fifo_with_increasing_sequence_numbers() {
                run(suite::queue_is_fifo_with_increasing_sequence_numbers);
            }
            #[test]
            fn attempts_are_recorded() {
                run(suite::attempts_are_recorded);
            }
            #[test]
            fn tx_begin_assigns_ids_and_queues_the_start() {
                run(suite::tx_begin_assigns_ids_and_queues_the_start);
            }
            #[test]
            fn confirmed_start_records_the_id_and_leaves_the_queue_together() {
                run(suite::confirmed_start_records_the_id_and_leaves_the_queue_together);
            }
            #[test]
            fn tx_end_stops_and_queues_the_stop() {
                run(suite::tx_end_stops_and_queues_the_stop);
            }
            #[test]
            fn confirmed_stop_forgets_only_stopped_transactions() {
                run(suite::confirmed_stop_forgets_only_stopped_transactions);
            }
            #[test]
            fn kv_round_trip() {
                run(suite::kv_round_trip);
            }
            #[test]
            fn reservations_round_trip_replace_and_remove() {
                run(suite::reservations_round_trip_replace_and_remove);
            }
            #[test]
            fn charging_profiles_round_trip_replace_and_remove() {
                run(suite::charging_profiles_round_trip_replace_and_remove);
            }
            #[test]
            fn tx_sample_records_the_last_reading_and_queues() {
                run(suite::tx_sample_records_the_last_reading_and_queues);
            }
            #[test]
            fn auth_cache_round_trip_ignores_case() {
                run(suite::auth_cache_round_trip_ignores_case);
            }
            #[test]
            fn auth_cache_evicts_not_valid_then_oldest() {
                run(suite::auth_cache_evicts_not_valid_then_oldest);
            }
            #[test]
            fn local_list_full_and_differential_updates() {
                run(suite::local_list_full_and_differential_updates);
            }
            #[test]
            fn local_list_too_long_changes_nothing() {
                run(suite::local_list_too_long_changes_nothing);
            }
            #[test]
            fn security_log_appends_in_order_and_drops_the_oldest() {
                run(suite::security_log_appends_in_order_and_drops_the_oldest);
            }
            #[test]
            fn certificates_add_list_remove_and_ids_are_never_reused() {
                run(suite::certificates_add_list_remove_and_ids_are_never_reused);
            }
        }
    };
}

conformance!(sqlite);
conformance!(memory);

#[test]
fn sqlite_in_memory_passes_the_suite_too() {
    let cases: [fn(&mut dyn Store); 13] = [
        suite::tx_sample_records_the_last_reading_and_queues,
        suite::auth_cache_round_trip_ignores_case,
        suite::auth_cache_evicts_not_valid_then_oldest,
        suite::config_round_trip_and_overwrite,
        suite::queue_is_fifo_with_increasing_sequence_numbers,
        suite::attempts_are_recorded,
        suite::tx_begin_assigns_ids_and_queues_the_start,
        suite::confirmed_start_records_the_id_and_leaves_the_queue_together,
        suite::tx_end_stops_and_queues_the_stop,
        suite::confirmed_stop_forgets_only_stopped_transactions,
        suite::kv_round_trip,
        suite::reservations_round_trip_replace_and_remove,
        suite::charging_profiles_round_trip_replace_and_remove,
    ];
    for case in cases {
        let mut s = SqliteStore::open_in_memory().expect("open");
        case(&mut s);
    }
}

#[test]
fn sqlite_in_memory_passes_the_local_list_suite_too() {
    let cases: [fn(&mut dyn Store); 4] = [
        suite::local_list_full_and_differential_updates,
        suite::local_list_too_long_changes_nothing,
        suite::security_log_appends_in_order_and_drops_the_oldest,
        suite::certificates_add_list_remove_and_ids_are_never_reused,
    ];
    for case in cases {
        let mut s = SqliteStore::open_in_memory().expect("open");
        case(&mut s);
    }
}

#[test]
fn memory_store_default_is_empty() {
    let s = MemoryStore::default();
    assert_eq!(s.queue_len().expect("len"), 0);
}
