//! GetDiagnostics (TC_045_x) and the security extension's GetLog (TC_079) on the bare state
//! machine, with the drivers' side (building and uploading the file) played by the test.

mod harness;

use chrono::{DateTime, Duration, Utc};
use harness::*;
use ocpp::Call;
use serde_json::{json, Value};
use station::{Input, Output, Station, StationConfig, UploadContent};
use store::Store;

const DIR: &str = "ftp://cp:secret@logs.example.com/uploads/";

/// The harness with what the upload tests do over and over.
struct Up {
    h: Harness,
}

impl Up {
    fn input(&mut self, input: Input) {
        self.h.input(input);
    }

    fn answer_all(&mut self) -> Vec<Call> {
        self.h.answer_all()
    }

    /// A CALL from the Central System; the payload of the station's answer.
    fn call(&mut self, action: &str, payload: Value) -> Value {
        result_payload(self.h.csms_call(action, payload))
    }

    fn booted() -> Up {
        let mut u = Up { h: Harness::new() };
        u.input(Input::Connected);
        u.answer_all();
        u
    }

    fn advance(&mut self, seconds: i64) {
        self.h.now += Duration::seconds(seconds);
        self.input(Input::Tick);
    }

    /// The one Upload given: (job, url, file name, content).
    fn expect_upload(&mut self) -> (u64, String, String, UploadContent) {
        match std::mem::take(&mut self.h.transfers).as_slice() {
            [Output::Upload {
                job,
                url,
                file_name,
                content,
            }] => (*job, url.clone(), file_name.clone(), content.clone()),
            other => panic!("expected one Upload, got {other:?}"),
        }
    }

    fn no_upload(&mut self) {
        assert!(self.h.transfers.is_empty(), "{:?}", self.h.transfers);
    }

    fn uploaded(&mut self, job: u64, result: Result<(), &str>) {
        self.input(Input::Uploaded {
            job,
            result: result.map_err(str::to_string),
        });
    }

    fn trigger_diagnostics_status(&mut self) -> String {
        let conf = self.call(
            "TriggerMessage",
            json!({"requestedMessage": "DiagnosticsStatusNotification"}),
        );
        assert_eq!(conf["status"], "Accepted");
        let calls = self.answer_all();
        assert_eq!(
            statuses_of(&calls, "DiagnosticsStatusNotification").len(),
            1
        );
        statuses_of(&calls, "DiagnosticsStatusNotification").remove(0)
    }
}

fn statuses_of(calls: &[Call], action: &str) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.action == action)
        .map(|c| c.payload["status"].as_str().unwrap().to_string())
        .collect()
}

fn diagnostics_statuses(calls: &[Call]) -> Vec<String> {
    statuses_of(calls, "DiagnosticsStatusNotification")
}

/// (status, requestId) of the LogStatusNotifications among `calls`.
fn log_statuses(calls: &[Call]) -> Vec<(String, i64)> {
    calls
        .iter()
        .filter(|c| c.action == "LogStatusNotification")
        .map(|c| {
            (
                c.payload["status"].as_str().unwrap().to_string(),
                c.payload["requestId"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn time(at: DateTime<Utc>) -> String {
    ocpp::datetime::format(&at)
}

#[test]
fn tc_045_1_get_diagnostics() {
    let mut u = Up::booted();
    assert_eq!(u.trigger_diagnostics_status(), "Idle");
    let start = u.h.now - Duration::days(2);
    let stop = u.h.now - Duration::hours(1);
    let conf = u.call(
        "GetDiagnostics",
        json!({"location": DIR, "startTime": time(start), "stopTime": time(stop)}),
    );
    // T0 is 2027-01-15T08:00:00Z.
    assert_eq!(
        conf,
        json!({"fileName": "diagnostics-20270115T080000Z.tar.gz"})
    );
    assert_eq!(diagnostics_statuses(&u.answer_all()), ["Uploading"]);
    let (job, url, file_name, content) = u.expect_upload();
    assert_eq!(url, DIR);
    assert_eq!(file_name, "diagnostics-20270115T080000Z.tar.gz");
    assert_eq!(
        content,
        UploadContent::Diagnostics {
            start: Some(start),
            stop: Some(stop)
        }
    );
    assert_eq!(u.trigger_diagnostics_status(), "Uploading");
    u.advance(5);
    u.uploaded(job, Ok(()));
    assert_eq!(diagnostics_statuses(&u.answer_all()), ["Uploaded"]);
    assert_eq!(u.trigger_diagnostics_status(), "Idle");
    u.advance(3600);
    u.answer_all();
    u.no_upload();
}

#[test]
fn get_diagnostics_without_bounds_uploads_everything() {
    let mut u = Up::booted();
    let conf = u.call(
        "GetDiagnostics",
        json!({"location": "https://logs.example.com/in"}),
    );
    assert!(conf["fileName"].as_str().unwrap().ends_with(".tar.gz"));
    let (_, _, _, content) = u.expect_upload();
    assert_eq!(
        content,
        UploadContent::Diagnostics {
            start: None,
            stop: None
        }
    );
}

#[test]
fn tc_045_2_get_diagnostics_upload_failed_after_the_retries() {
    let mut u = Up::booted();
    u.call(
        "GetDiagnostics",
        json!({"location": DIR, "retries": 1, "retryInterval": 20}),
    );
    assert_eq!(diagnostics_statuses(&u.answer_all()), ["Uploading"]);
    let (job, ..) = u.expect_upload();
    u.uploaded(job, Err("530 login incorrect"));
    assert!(diagnostics_statuses(&u.answer_all()).is_empty());
    assert_eq!(u.h.wake_at(), Some(u.h.now + Duration::seconds(20)));
    u.advance(19);
    u.no_upload();
    assert_eq!(u.trigger_diagnostics_status(), "Uploading", "still busy");
    u.advance(1);
    let (again, ..) = u.expect_upload();
    assert_eq!(again, job);
    assert!(
        diagnostics_statuses(&u.answer_all()).is_empty(),
        "Uploading once"
    );
    u.uploaded(job, Err("530 login incorrect"));
    assert_eq!(diagnostics_statuses(&u.answer_all()), ["UploadFailed"]);
    assert_eq!(u.trigger_diagnostics_status(), "Idle");
    u.advance(600);
    u.answer_all();
    u.no_upload();
}

#[test]
fn a_second_get_diagnostics_replaces_the_first() {
    let mut u = Up::booted();
    let first = u.call("GetDiagnostics", json!({"location": DIR}));
    let (old, ..) = u.expect_upload();
    u.advance(1);
    let second = u.call(
        "GetDiagnostics",
        json!({"location": "https://logs.example.com/in"}),
    );
    assert_ne!(first, second, "a new file name");
    let (new, url, ..) = u.expect_upload();
    assert_ne!(new, old);
    assert_eq!(url, "https://logs.example.com/in");
    assert_eq!(
        diagnostics_statuses(&u.answer_all()),
        ["Uploading", "Uploading"]
    );
    // The first one's outcome is stale.
    u.uploaded(old, Ok(()));
    assert!(u.answer_all().is_empty());
    u.uploaded(new, Ok(()));
    assert_eq!(diagnostics_statuses(&u.answer_all()), ["Uploaded"]);
}

#[test]
fn get_diagnostics_to_an_unsupported_location_has_no_file() {
    let mut u = Up::booted();
    let conf = u.call("GetDiagnostics", json!({"location": "file:///var/log"}));
    assert_eq!(conf, json!({}));
    assert!(u.answer_all().is_empty());
    u.no_upload();
}

#[test]
fn an_upload_interrupted_by_a_power_loss_starts_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("station.db");
    let open = || -> Box<dyn Store> { Box::new(store::SqliteStore::open(&path).unwrap()) };
    let mut u = Up { h: Harness::new() };
    u.h.station = Station::new(StationConfig::new(info(), 2), open(), u.h.time()).unwrap();
    u.input(Input::Connected);
    u.answer_all();
    u.call("GetDiagnostics", json!({"location": DIR}));
    u.call(
        "GetLog",
        json!({"logType": "SecurityLog", "requestId": 3, "log": {"remoteLocation": DIR}}),
    );
    u.answer_all();
    let (diagnostics, log) = match std::mem::take(&mut u.h.transfers).as_slice() {
        [Output::Upload { job: a, .. }, Output::Upload { job: b, .. }] => (*a, *b),
        other => panic!("{other:?}"),
    };
    drop(u);

    let mut u = Up { h: Harness::new() };
    u.h.station = Station::new(StationConfig::new(info(), 2), open(), u.h.time()).unwrap();
    u.input(Input::Connected);
    let calls = u.answer_all();
    assert!(diagnostics_statuses(&calls).is_empty(), "{calls:?}");
    assert!(log_statuses(&calls).is_empty(), "{calls:?}");
    let jobs: Vec<u64> = match std::mem::take(&mut u.h.transfers).as_slice() {
        [Output::Upload { job: a, .. }, Output::Upload { job: b, .. }] => vec![*a, *b],
        other => panic!("{other:?}"),
    };
    assert!(
        jobs.iter().all(|j| *j > diagnostics.max(log)),
        "new job ids"
    );
    u.uploaded(diagnostics, Ok(()));
    assert!(u.answer_all().is_empty(), "stale");
    u.uploaded(jobs[0], Ok(()));
    u.uploaded(jobs[1], Ok(()));
    let calls = u.answer_all();
    assert_eq!(diagnostics_statuses(&calls), ["Uploaded"]);
    assert_eq!(log_statuses(&calls), [("Uploaded".to_string(), 3)]);
}

// ---- GetLog (security extension) ----

#[test]
fn tc_079_get_security_log() {
    let mut u = Up::booted();
    let oldest = u.h.now - Duration::days(7);
    let latest = u.h.now;
    let conf = u.call(
        "GetLog",
        json!({
            "logType": "SecurityLog",
            "requestId": 42,
            "log": {
                "remoteLocation": DIR,
                "oldestTimestamp": time(oldest),
                "latestTimestamp": time(latest)
            }
        }),
    );
    assert_eq!(
        conf,
        json!({"status": "Accepted", "filename": "securitylog-42.log"})
    );
    assert_eq!(
        log_statuses(&u.answer_all()),
        [("Uploading".to_string(), 42)]
    );
    let (job, url, file_name, content) = u.expect_upload();
    assert_eq!(url, DIR);
    assert_eq!(file_name, "securitylog-42.log");
    assert_eq!(
        content,
        UploadContent::SecurityLog {
            oldest: Some(oldest),
            latest: Some(latest)
        }
    );
    // What the drivers put in the file: the security log, StartupOfTheDevice among it.
    assert!(u
        .h
        .station
        .security_log()
        .iter()
        .any(|e| e.kind == "StartupOfTheDevice"));
    u.uploaded(job, Ok(()));
    assert_eq!(
        log_statuses(&u.answer_all()),
        [("Uploaded".to_string(), 42)]
    );
}

#[test]
fn get_log_diagnostics_log_and_upload_failure() {
    let mut u = Up::booted();
    let conf = u.call(
        "GetLog",
        json!({
            "logType": "DiagnosticsLog",
            "requestId": 5,
            "retries": 0,
            "log": {"remoteLocation": "https://logs.example.com/in"}
        }),
    );
    assert_eq!(
        conf,
        json!({"status": "Accepted", "filename": "diagnosticslog-5.log"})
    );
    let (job, _, file_name, content) = u.expect_upload();
    assert_eq!(file_name, "diagnosticslog-5.log");
    assert_eq!(
        content,
        UploadContent::DiagnosticsLog {
            oldest: None,
            latest: None
        }
    );
    u.uploaded(job, Err("HTTP 500"));
    assert_eq!(
        log_statuses(&u.answer_all()),
        [
            ("Uploading".to_string(), 5),
            ("UploadFailure".to_string(), 5)
        ]
    );
    u.advance(600);
    u.no_upload();
}

#[test]
fn a_second_get_log_cancels_the_first() {
    let mut u = Up::booted();
    let first = json!({"logType": "SecurityLog", "requestId": 1, "log": {"remoteLocation": DIR}});
    assert_eq!(u.call("GetLog", first)["status"], "Accepted");
    let (old, ..) = u.expect_upload();
    let second =
        json!({"logType": "DiagnosticsLog", "requestId": 2, "log": {"remoteLocation": DIR}});
    assert_eq!(u.call("GetLog", second)["status"], "AcceptedCanceled");
    let (new, _, file_name, _) = u.expect_upload();
    assert_eq!(file_name, "diagnosticslog-2.log");
    u.uploaded(old, Ok(()));
    u.uploaded(new, Ok(()));
    assert_eq!(
        log_statuses(&u.answer_all()),
        [
            ("Uploading".to_string(), 1),
            ("Uploading".to_string(), 2),
            ("Uploaded".to_string(), 2)
        ]
    );
    // A diagnostics upload runs beside a log upload.
    let third = json!({"logType": "SecurityLog", "requestId": 3, "log": {"remoteLocation": DIR}});
    assert_eq!(u.call("GetLog", third)["status"], "Accepted");
    u.call("GetDiagnostics", json!({"location": DIR}));
    assert_eq!(u.h.transfers.len(), 2);
}

#[test]
fn get_log_to_an_unsupported_location_is_rejected() {
    let mut u = Up::booted();
    let conf = u.call(
        "GetLog",
        json!({"logType": "SecurityLog", "requestId": 6, "log": {"remoteLocation": "scp://host/dir"}}),
    );
    assert_eq!(conf, json!({"status": "Rejected"}));
    assert!(u.answer_all().is_empty());
    u.no_upload();
}
