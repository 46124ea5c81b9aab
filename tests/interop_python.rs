//! Interop test against an independent OCPP 1.6-J implementation: the Python package `ocpp`
//! (mobilityhouse, 2.1.0) acting as the Central System (`tests/interop/central_system.py`).
//! The library validates every frame in both directions against the official JSON schemas;
//! the script also checks every date-time the station sends is RFC 3339, tests
//! GetConfiguration / ChangeConfiguration, drives one transaction through the control API,
//! and tests the security extension (certificates, SignCertificate with the CSR signed by the
//! script with the test CA generated here, SecurityEventNotification) and Firmware Management
//! (GetDiagnostics and UpdateFirmware against an HTTP server the script runs itself; the
//! firmware update restarts the station, so the script sees a second connection).
//!
//! Needs the virtualenv made by `scripts/python-env` (`.venv` at the workspace root, with
//! `ocpp`, `websockets` and `cryptography`).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long the Python Central System may take for all its checks (it has its own timeout).
const SCRIPT_TIMEOUT_S: u64 = 60;
/// How long this test waits for the script to exit.
const WAIT_LIMIT: Duration = Duration::from_secs(90);

/// Kills and reaps the child process when dropped, so a failing assertion leaves nothing behind.
struct ChildGuard {
    name: &'static str,
    child: Child,
}

impl ChildGuard {
    fn spawn(name: &'static str, cmd: &mut Command) -> ChildGuard {
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {name}: {e} ({cmd:?})"));
        ChildGuard { name, child }
    }

    /// Waits up to `limit` for the process to exit.
    fn wait_timeout(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(100)),
                Ok(None) => return None,
                Err(e) => panic!("waiting for the {}: {e}", self.name),
            }
        }
    }

    fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

fn read_file(path: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_string(&mut s);
    }
    s
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[test]
fn interop_python_ocpp_central_system() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/python-env (or ./scripts/test) to create the virtualenv \
         with the Python `ocpp` package used by this interop test",
        python.display()
    );
    let script = root.join("tests/interop/central_system.py");
    assert!(script.exists(), "{} is missing", script.display());

    let tmp = tempfile::tempdir().expect("temp dir");
    let control_port = free_port();
    let control_url = format!("http://127.0.0.1:{control_port}");
    let script_stderr = tmp.path().join("central_system.stderr");
    let station_log = tmp.path().join("station.log");
    // The CA the script signs the station's CSR with (and installs as its
    // CentralSystemRootCertificate): ca.pem, ca-key.pem, ...
    let pki = certs::pki::TestPki::generate("CP-INTEROP", 365).expect("a test PKI");
    let pki_files = pki
        .write(&tmp.path().join("pki"))
        .expect("write the test PKI");

    // The Python Central System; its first stdout line is `PORT <n>`.
    let mut csms = ChildGuard::spawn(
        "Python Central System",
        Command::new(&python)
            .arg("-u")
            .arg(&script)
            .args([
                "--port",
                "0",
                "--heartbeat-interval",
                "1",
                "--id",
                "CP-INTEROP",
            ])
            .args(["--timeout", &SCRIPT_TIMEOUT_S.to_string()])
            .args(["--control", &control_url])
            .arg("--ca-cert")
            .arg(&pki_files[0])
            .arg("--ca-key")
            .arg(&pki_files[1])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&script_stderr).expect("stderr file")),
    );
    let stdout = csms.child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    let first = match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(line) => line,
        Err(_) => {
            csms.kill();
            panic!(
                "the Python Central System printed no PORT line; stderr:\n{}",
                read_file(&script_stderr)
            );
        }
    };
    let port: u16 = first
        .strip_prefix("PORT ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("expected `PORT <n>` as the first line, got {first:?}"));

    let log = File::create(&station_log).expect("log file");
    let log_err = log.try_clone().expect("log file");
    let mut station = ChildGuard::spawn(
        "station",
        Command::new(env!("CARGO_BIN_EXE_chargepoint"))
            .arg("run")
            .args(["--id", "CP-INTEROP"])
            .args(["--csms-url", &format!("ws://127.0.0.1:{port}/ocpp")])
            .arg("--data-dir")
            .arg(tmp.path().join("data"))
            .args(["--control", &format!("127.0.0.1:{control_port}")])
            .args(["--log", "info,ocpp=debug"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err),
    );

    let status = csms.wait_timeout(WAIT_LIMIT);
    station.kill();
    csms.kill();
    let _ = reader.join();
    let mut output = vec![first];
    output.extend(rx.try_iter());
    let output = output.join("\n");

    let report = || {
        format!(
            "--- Python Central System stdout ---\n{output}\n\
             --- Python Central System stderr (last 80 lines) ---\n{}\n\
             --- station log (last 80 lines) ---\n{}",
            tail(&read_file(&script_stderr), 80),
            tail(&read_file(&station_log), 80),
        )
    };
    let Some(status) = status else {
        panic!(
            "the Python Central System did not finish within {WAIT_LIMIT:?}\n{}",
            report()
        );
    };
    assert!(
        status.success(),
        "the Python Central System reported failures ({status})\n{}",
        report()
    );
    assert!(
        output.lines().any(|l| l.ends_with(" passed, 0 failed")),
        "no summary line in the script's output\n{}",
        report()
    );
    println!("{output}");
}
