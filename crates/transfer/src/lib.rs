//! File transfers for the charge point: downloading firmware and uploading diagnostics and
//! logs over `http`, `https`, `ftp` and `ftps`, the value of the OCPP key
//! `SupportedFileTransferProtocols` ([`SUPPORTED_PROTOCOLS`]).
//!
//! Two functions, [`download`] and [`upload`], both async (tokio) and both streaming: a file
//! never sits whole in memory. The protocols come from maintained crates, `reqwest` for http(s)
//! and `suppaftp` for ftp(s), both on native-tls, i.e. the station's one (vendored) OpenSSL.
//!
//! Choices:
//! - **Downloads** stream into `dest.part` in the destination's directory, which is fsynced and
//!   renamed to `dest` only once the whole file arrived (and for FTP, the server confirmed the
//!   transfer). On any failure, timeout or cancellation (the future dropped) the `.part` file is
//!   removed: a failed download leaves no `dest.part` and creates no `dest` (an existing `dest`
//!   is replaced only by a complete download).
//! - **Uploads over http(s)** are a `multipart/form-data` POST to the location URL (OCPP's
//!   GetDiagnostics/GetLog location is a directory-like URL) with one part named `file`
//!   carrying the file under its name, the common convention of Central Systems. Any 2xx
//!   answer is success. Credentials in the URL are sent as HTTP Basic auth.
//! - **Uploads over ftp(s)** `STOR` the file under its name into the URL's directory.
//! - **ftps is explicit FTPS** (`AUTH TLS` on the ftp port, 21 by default, then `PROT P` so
//!   data connections are encrypted too); implicit FTPS (port 990) is not supported. FTP runs in
//!   passive mode, binary, with `user:password` from the URL or `anonymous`.
//! - **Trust** for https/ftps: [`TransferConfig::roots_pem`] (e.g. the installed
//!   CentralSystemRootCertificates and ManufacturerRootCertificates) plus the system's roots
//!   when [`TransferConfig::system_roots`]. The host name is verified; TLS 1.2 or newer. A TLS
//!   failure is [`TransferError::Tls`]; there is never a fallback to plain text (nor a redirect
//!   from https to http).
//! - **Timeouts**: establishing the connection is bounded by
//!   [`TransferConfig::connect_timeout`]; afterwards no progress (no byte, no reply) for
//!   [`TransferConfig::idle_timeout`] fails the transfer with [`TransferError::Timeout`]. There
//!   is no total time limit: large files on slow links are fine as long as they move.
//! - **Errors** are classified for the caller's status notification and are one line; the URL's
//!   password never appears in them. No proxy is used (like the station's WebSocket).

mod error;
mod file;
mod ftp;
mod http;
mod location;
mod tls;

pub use error::TransferError;

use file::Meter;
use location::{Location, Scheme};
use std::path::Path;
use std::time::Duration;

/// The value of the `SupportedFileTransferProtocols` configuration key.
pub const SUPPORTED_PROTOCOLS: &str = "HTTP,HTTPS,FTP,FTPS";

/// How transfers connect and whom they trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferConfig {
    /// Extra trusted roots (PEM; an entry may hold several certificates) for https/ftps, e.g.
    /// the installed CentralSystemRootCertificates / ManufacturerRootCertificates.
    pub roots_pem: Vec<String>,
    /// Also trust the system's root store (default true).
    pub system_roots: bool,
    /// Limit for establishing the connection: TCP, TLS handshake, FTP greeting (default 30 s).
    pub connect_timeout: Duration,
    /// No progress for this long fails the transfer (default 60 s).
    pub idle_timeout: Duration,
}

impl Default for TransferConfig {
    fn default() -> Self {
        TransferConfig {
            roots_pem: Vec::new(),
            system_roots: true,
            connect_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Progress of a transfer, reported at most once per 64 KiB and once at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes transferred so far.
    pub bytes: u64,
    /// The file's size when known (HTTP Content-Length, FTP SIZE, or the uploaded file's size).
    pub total: Option<u64>,
}

/// Downloads `url` (http, https, ftp or ftps) to `dest`, returning the number of bytes.
///
/// The file streams into `dest.part` and is renamed to `dest` when complete; on error nothing
/// is left behind (see the crate documentation). `progress` sees increasing byte counts, the
/// last one equal to the returned size.
pub async fn download(
    url: &str,
    dest: &Path,
    cfg: &TransferConfig,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<u64, TransferError> {
    let mut secrets = location::secrets_of_raw(url);
    let result = async {
        let loc = Location::parse(url)?;
        secrets.extend(loc.secrets());
        tracing::debug!(url = %loc.display(), dest = %dest.display(), "download");
        let mut meter = Meter::new(progress);
        match loc.scheme {
            Scheme::Http | Scheme::Https => http::download(&loc, dest, cfg, &mut meter).await,
            Scheme::Ftp | Scheme::Ftps => ftp::download(&loc, dest, cfg, &mut meter).await,
        }
    }
    .await;
    let result = result.map_err(|e| e.scrub(&secrets));
    log_result("download", &result);
    result
}

/// Uploads the local file `src` as `file_name` to the directory-like `location` (http, https,
/// ftp or ftps), returning the number of bytes sent.
///
/// http(s): a multipart/form-data POST to `location` with the file in a part named `file`.
/// ftp(s): `STOR file_name` in the location's directory.
pub async fn upload(
    location: &str,
    src: &Path,
    file_name: &str,
    cfg: &TransferConfig,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<u64, TransferError> {
    let mut secrets = location::secrets_of_raw(location);
    let result = async {
        let loc = Location::parse(location)?;
        secrets.extend(loc.secrets());
        check_file_name(file_name)?;
        tracing::debug!(location = %loc.display(), src = %src.display(), file_name, "upload");
        let mut meter = Meter::new(progress);
        match loc.scheme {
            Scheme::Http | Scheme::Https => {
                http::upload(&loc, src, file_name, cfg, &mut meter).await
            }
            Scheme::Ftp | Scheme::Ftps => ftp::upload(&loc, src, file_name, cfg, &mut meter).await,
        }
    }
    .await;
    let result = result.map_err(|e| e.scrub(&secrets));
    log_result("upload", &result);
    result
}

fn log_result(what: &str, result: &Result<u64, TransferError>) {
    match result {
        Ok(bytes) => tracing::debug!(bytes, "{what} complete"),
        Err(e) => tracing::debug!("{what} failed: {e}"),
    }
}

/// The name an upload is stored under must be a plain file name.
fn check_file_name(name: &str) -> Result<(), TransferError> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control);
    if bad {
        Err(TransferError::BadUrl(format!(
            "invalid upload file name {name:?}"
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn futures_are_send() {
        let cfg = TransferConfig::default();
        let mut cb = |_: Progress| {};
        let d = download("http://h/x", Path::new("x"), &cfg, &mut cb);
        assert_send(&d);
        drop(d);
        let u = upload("ftp://h/", Path::new("x"), "x", &cfg, &mut cb);
        assert_send(&u);
    }

    #[test]
    fn upload_file_names() {
        assert!(check_file_name("diagnostics-CP1.tar.gz").is_ok());
        for bad in ["", ".", "..", "a/b", "a\\b", "a\nb"] {
            assert!(
                matches!(check_file_name(bad), Err(TransferError::BadUrl(_))),
                "{bad:?}"
            );
        }
    }
}
