//! Parsing a transfer URL: scheme, credentials and a printable (password-free) form.

use crate::TransferError;
use percent_encoding::percent_decode_str;
use url::Url;

/// The supported schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
    Ftp,
    Ftps,
}

/// A parsed transfer location.
#[derive(Debug, Clone)]
pub(crate) struct Location {
    pub url: Url,
    pub scheme: Scheme,
}

impl Location {
    /// Parses `raw`; BadUrl when it is not a URL or has no host, UnsupportedScheme otherwise.
    pub fn parse(raw: &str) -> Result<Self, TransferError> {
        let url = Url::parse(raw.trim()).map_err(|e| TransferError::BadUrl(e.to_string()))?;
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            "ftp" => Scheme::Ftp,
            "ftps" => Scheme::Ftps,
            other => return Err(TransferError::UnsupportedScheme(other.to_string())),
        };
        if url.host_str().is_none_or(str::is_empty) {
            return Err(TransferError::BadUrl(format!(
                "{} has no host",
                redacted(&url)
            )));
        }
        Ok(Location { url, scheme })
    }

    /// The user name from the URL, percent-decoded; None when absent.
    pub fn user(&self) -> Option<String> {
        let u = self.url.username();
        (!u.is_empty()).then(|| decode(u))
    }

    /// The password from the URL, percent-decoded; None when absent.
    pub fn password(&self) -> Option<String> {
        self.url.password().map(decode)
    }

    /// Strings that must never appear in an error message: the password, raw and decoded.
    pub fn secrets(&self) -> Vec<String> {
        match self.url.password() {
            Some(p) => vec![p.to_string(), decode(p)],
            None => Vec::new(),
        }
    }

    /// The URL without its password, for messages.
    pub fn display(&self) -> String {
        redacted(&self.url)
    }

    /// The path segments, percent-decoded, empty ones dropped.
    pub fn segments(&self) -> Vec<String> {
        self.url
            .path_segments()
            .map(|s| s.filter(|s| !s.is_empty()).map(decode).collect())
            .unwrap_or_default()
    }
}

/// Best-effort redaction of a string that may not even parse as a URL: drops `:password@`.
pub(crate) fn secrets_of_raw(raw: &str) -> Vec<String> {
    let after_scheme = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    match authority.rsplit_once('@') {
        Some((userinfo, _)) => match userinfo.split_once(':') {
            Some((_, pass)) if !pass.is_empty() => vec![pass.to_string(), decode(pass)],
            _ => Vec::new(),
        },
        None => Vec::new(),
    }
}

fn redacted(url: &Url) -> String {
    let mut u = url.clone();
    if u.password().is_some() {
        // Only fails for URLs that cannot have credentials, which then have no password.
        let _ = u.set_password(None);
    }
    u.to_string()
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_errors() {
        assert_eq!(Location::parse("ftps://h/x").unwrap().scheme, Scheme::Ftps);
        assert!(matches!(
            Location::parse("gopher://h/x"),
            Err(TransferError::UnsupportedScheme(s)) if s == "gopher"
        ));
        assert!(matches!(
            Location::parse("not a url"),
            Err(TransferError::BadUrl(_))
        ));
    }

    #[test]
    fn credentials_are_decoded_and_redacted() {
        let l = Location::parse("ftp://us%40er:p%3Ass@host:2121/a/b%20c/f.bin").unwrap();
        assert_eq!(l.user().as_deref(), Some("us@er"));
        assert_eq!(l.password().as_deref(), Some("p:ss"));
        assert_eq!(l.segments(), vec!["a", "b c", "f.bin"]);
        assert!(!l.display().contains("p%3Ass"));
        assert!(l.secrets().contains(&"p:ss".to_string()));
    }

    #[test]
    fn raw_secrets() {
        assert_eq!(secrets_of_raw("ftp://u:pw@h/x"), vec!["pw", "pw"]);
        assert!(secrets_of_raw("ftp://h/x").is_empty());
    }
}
