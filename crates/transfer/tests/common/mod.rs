//! Real servers on 127.0.0.1 (port 0) for the transfer tests: an axum HTTP(S) server and a
//! libunftp FTP(S) server, plus the test PKI and helpers.

#![allow(dead_code)]

pub mod ftp;
pub mod http;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use transfer::{Progress, TransferConfig};

/// Credentials the servers accept (the password has characters that need percent-encoding).
pub const USER: &str = "fwuser";
pub const PASSWORD: &str = "hunter2:s3cret@";
/// `PASSWORD` as it appears in a URL.
pub const PASSWORD_IN_URL: &str = "hunter2%3As3cret%40";

/// A ~3 MiB file whose content never repeats (xorshift64), so a dropped, duplicated or
/// reordered chunk cannot go unnoticed.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub const SIZE: usize = 3 * 1024 * 1024 + 12_345;

/// The test PKI: a CA and a server certificate for localhost/127.0.0.1, written to `dir`.
pub struct Pki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

impl Pki {
    pub fn new(dir: &Path, id: &str) -> Pki {
        let pki = certs::pki::TestPki::generate(id, 30).expect("test PKI");
        Self::from_parts(
            dir,
            id,
            pki.ca.root.cert_pem,
            pki.csms.cert_pem,
            pki.csms.key_pem,
        )
    }

    /// A server certificate from a CA, issued for `names` only.
    pub fn for_names(dir: &Path, id: &str, names: &[&str]) -> Pki {
        let ca = certs::pki::Authority::new(&format!("{id} CA"), certs::pki::Validity::days(30))
            .expect("CA");
        let server = ca
            .server(names, certs::pki::Validity::days(30))
            .expect("server cert");
        Self::from_parts(dir, id, ca.root.cert_pem, server.cert_pem, server.key_pem)
    }

    fn from_parts(dir: &Path, id: &str, ca: String, cert: String, key: String) -> Pki {
        let cert_file = dir.join(format!("{id}-server.pem"));
        let key_file = dir.join(format!("{id}-server.key"));
        std::fs::write(&cert_file, &cert).unwrap();
        std::fs::write(&key_file, &key).unwrap();
        Pki {
            ca_pem: ca,
            cert_pem: cert,
            key_pem: key,
            cert_file,
            key_file,
        }
    }
}

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

/// The files in `dir` (names only), sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

pub fn no_progress() -> impl FnMut(Progress) + Send {
    |_| {}
}
