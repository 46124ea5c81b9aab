//! Real servers on 127.0.0.1 (port 0) for the transfer tests (an axum HTTP(S) server and a
//! libunftp FTP(S) server, from the `testservers` crate, shared with the end-to-end tests),
//! plus helpers.

#![allow(dead_code)]

// Each test file uses a part of them.
#[allow(unused_imports)]
pub use testservers::{ftp, http, listing, pattern, Pki, PASSWORD, PASSWORD_IN_URL, SIZE, USER};

use std::sync::{Arc, Mutex};
use transfer::{Progress, TransferConfig};

/// A configuration trusting `ca_pem` only (the system store would not trust the test CA
/// anyway; leaving it out keeps the tests independent of the machine).
pub fn trusting(ca_pem: &str) -> TransferConfig {
    TransferConfig {
        roots_pem: vec![ca_pem.to_string()],
        system_roots: false,
        ..TransferConfig::default()
    }
}

/// Records every progress report.
#[derive(Clone, Default)]
pub struct Recorder(pub Arc<Mutex<Vec<Progress>>>);

impl Recorder {
    pub fn callback(&self) -> impl FnMut(Progress) + Send + 'static {
        let seen = self.0.clone();
        move |p| seen.lock().unwrap().push(p)
    }

    /// Asserts strictly increasing byte counts ending at `size`, with the known total.
    pub fn assert_complete(&self, size: u64, total: Option<u64>) {
        let seen = self.0.lock().unwrap().clone();
        assert!(!seen.is_empty(), "no progress reported");
        assert!(
            seen.windows(2).all(|w| w[0].bytes < w[1].bytes),
            "progress not increasing: {seen:?}"
        );
        let last = seen.last().unwrap();
        assert_eq!(last.bytes, size, "last progress");
        assert_eq!(last.total, total, "progress total");
        // At most one report per 64 KiB, plus the final one.
        assert!(
            seen.len() as u64 <= size / (64 * 1024) + 1,
            "{} reports",
            seen.len()
        );
    }
}

pub fn no_progress() -> impl FnMut(Progress) + Send {
    |_| {}
}
