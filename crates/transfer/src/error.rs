//! The one error type of the crate, and the scrubbing that keeps credentials out of it.

/// Why a transfer failed. Every message is one line and never contains the URL's password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    /// The location is not a valid URL (or lacks a host, a file name, ...).
    #[error("bad URL: {0}")]
    BadUrl(String),
    /// The URL's scheme is not one of http, https, ftp, ftps.
    #[error("unsupported scheme {0:?} (supported: http, https, ftp, ftps)")]
    UnsupportedScheme(String),
    /// The server could not be reached (DNS, refused, unreachable).
    #[error("cannot connect: {0}")]
    Connect(String),
    /// TLS failed: untrusted or mismatched server certificate, handshake failure, the server
    /// refused AUTH TLS, or an unusable root certificate in the configuration.
    #[error("TLS error: {0}")]
    Tls(String),
    /// The server refused the credentials (HTTP 401/403, FTP 530).
    #[error("access denied: {0}")]
    Auth(String),
    /// The file or directory does not exist on the server (HTTP 404, FTP 550).
    #[error("not found: {0}")]
    NotFound(String),
    /// Any other refusal by the server (HTTP non-2xx, FTP 4xx/5xx reply).
    #[error("server error: {0}")]
    Server(String),
    /// Connecting took longer than `connect_timeout`, or no progress for `idle_timeout`.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The connection broke or the server spoke nonsense after connecting.
    #[error("network error: {0}")]
    Network(String),
    /// Reading or writing the local file failed.
    #[error("local file error: {0}")]
    Io(String),
}

impl TransferError {
    /// The same error with every occurrence of the given secrets replaced by `***` and line
    /// breaks turned into spaces (FTP replies can span lines).
    pub(crate) fn scrub(self, secrets: &[String]) -> Self {
        let clean = |m: String| {
            let mut m = m.replace(['\r', '\n'], " ");
            for s in secrets.iter().filter(|s| !s.is_empty()) {
                m = m.replace(s.as_str(), "***");
            }
            m
        };
        use TransferError::*;
        match self {
            BadUrl(m) => BadUrl(clean(m)),
            UnsupportedScheme(m) => UnsupportedScheme(clean(m)),
            Connect(m) => Connect(clean(m)),
            Tls(m) => Tls(clean(m)),
            Auth(m) => Auth(clean(m)),
            NotFound(m) => NotFound(clean(m)),
            Server(m) => Server(clean(m)),
            Timeout(m) => Timeout(clean(m)),
            Network(m) => Network(clean(m)),
            Io(m) => Io(clean(m)),
        }
    }

    /// A local file error, with the path it concerns.
    pub(crate) fn io(what: &str, path: &std::path::Path, e: std::io::Error) -> Self {
        TransferError::Io(format!("{what} {}: {e}", path.display()))
    }
}

/// The error and all its sources as one line: `outer: inner: innermost`.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_secrets_and_newlines() {
        let e = TransferError::Server("550 bad s3cret\r\nmore".into()).scrub(&["s3cret".into()]);
        assert_eq!(e, TransferError::Server("550 bad ***  more".into()));
        assert!(!e.to_string().contains("s3cret"));
    }

    #[test]
    fn empty_secret_is_ignored() {
        let e = TransferError::Io("x".into()).scrub(&[String::new()]);
        assert_eq!(e, TransferError::Io("x".into()));
    }
}
