//! The command line as a user meets it: the demo runs a whole session, bad flags and files
//! get one-line errors that name the culprit.

use std::process::Command;

fn chargepoint(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chargepoint"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn demo_runs_a_charging_session_and_summarises_it() {
    let out = chargepoint(&["demo", "--speed", "600", "--minutes", "10"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "BootNotification",
        "StartTransaction",
        "MeterValues",
        "StopTransaction",
        "Session summary",
        "energy delivered",
        // The web panel, to watch it live.
        "Station panel at http://127.0.0.1:",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    // The session lasts as long as the machine takes to press stop, so check that energy and
    // duration agree (the default EV charges at 140-150 kW) rather than either alone.
    let field = |name: &str, index: usize| -> f64 {
        let line = stdout.lines().find(|l| l.contains(name)).unwrap();
        line.split_whitespace()
            .nth(index)
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    let kwh = field("energy delivered", 2);
    let hours = (field("duration", 1) * 60.0 + field("duration", 3)) / 3600.0;
    assert!(hours >= 10.0 / 60.0, "{stdout}");
    let average_kw = kwh / hours;
    assert!(
        (120.0..=151.0).contains(&average_kw),
        "{average_kw} kW:\n{stdout}"
    );
}

fn one_line_error(args: &[&str]) -> String {
    let out = chargepoint(args);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn a_bad_csms_url_is_named() {
    let err = one_line_error(&["run", "--id", "CP1", "--csms-url", "http://x"]);
    assert!(err.contains("--csms-url"), "{err}");
}

#[test]
fn a_missing_id_is_named() {
    let err = one_line_error(&["run", "--csms-url", "ws://127.0.0.1:1/ocpp"]);
    assert!(err.contains("--id"), "{err}");
}

#[test]
fn a_bad_config_file_field_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("station.toml");
    std::fs::write(&path, "[simulator]\nconnectors = \"two\"\n").unwrap();
    let err = one_line_error(&[
        "run",
        "--id",
        "CP1",
        "--csms-url",
        "ws://127.0.0.1:1/ocpp",
        "--config",
        path.to_str().unwrap(),
    ]);
    assert!(err.contains("simulator.connectors"), "{err}");
}

#[test]
fn a_missing_config_file_is_named() {
    let err = one_line_error(&[
        "run",
        "--id",
        "CP1",
        "--csms-url",
        "ws://127.0.0.1:1/ocpp",
        "--config",
        "/nonexistent/station.toml",
    ]);
    assert!(err.contains("/nonexistent/station.toml"), "{err}");
}

#[test]
fn a_bad_fleet_template_field_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kind.toml");
    std::fs::write(&path, "[atg]\nunknown_share = 1.5\n").unwrap();
    let err = one_line_error(&[
        "fleet",
        "--csms-url",
        "ws://127.0.0.1:1/ocpp",
        "--count",
        "3",
        "--template",
        path.to_str().unwrap(),
    ]);
    assert!(err.contains("atg.unknown_share"), "{err}");
    let err = one_line_error(&[
        "fleet",
        "--csms-url",
        "ws://127.0.0.1:1/ocpp",
        "--count",
        "3",
        "--template",
        "examples/fleet/mixed.toml",
    ]);
    assert!(err.contains("--count 3") && err.contains("1000"), "{err}");
}

#[test]
fn report_merge_adds_up_the_shards_of_a_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let shard = |name: &str, first: &str, last: &str, histogram: &str| {
        let path = dir.path().join(name);
        let text = format!(
            r#"{{"stations": 500, "first": "{first}", "last": "{last}", "actions": [
                {{"action": "Heartbeat", "count": 2, "errors": 1, "p50Ms": 1.0, "p95Ms": 2.0,
                  "p99Ms": 2.0, "maxMs": 2.0, "histogram": {histogram}}}]}}"#
        );
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let a = shard("a.json", "CP00001", "CP00500", "[[1000, 1], [1984, 1]]");
    let b = shard("b.json", "CP00501", "CP01000", "[[1000, 2]]");
    let out = dir.path().join("all.json");
    let run = chargepoint(&["report", "merge", &a, &b, "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{run:?}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("1000 stations (CP00001..CP01000) in 2 reports"),
        "{stdout}"
    );
    let merged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(merged["stations"], 1000);
    assert_eq!(merged["actions"][0]["count"], 4);
    assert_eq!(merged["actions"][0]["errors"], 2);

    let err = one_line_error(&["report", "merge", &a, "/nonexistent/c.json"]);
    assert!(err.contains("c.json"), "{err}");
}
