//! A small test PKI for the security profiles: a root CA, a Central System server
//! certificate and a charge point certificate (`chargepoint pki`, and the tests).
//!
//! Not for production: keys are generated here and written in the clear.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{HasPublic, PKey, PKeyRef, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509NameBuilder, X509NameRef, X509Ref, X509};

use crate::CertError;

/// A certificate with its private key, both PEM.
#[derive(Clone)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    cert: X509,
    key: PKey<Private>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").finish_non_exhaustive()
    }
}

impl Issued {
    fn new(cert: X509, key: PKey<Private>) -> Result<Self> {
        Ok(Self {
            cert_pem: pem_string(&cert.to_pem()?),
            key_pem: pem_string(&key.private_key_to_pem_pkcs8()?),
            cert,
            key,
        })
    }

    pub(crate) fn cert_and_key(&self) -> (&X509Ref, &PKeyRef<Private>) {
        (&self.cert, &self.key)
    }
}

/// When a certificate is valid, in seconds relative to now (the system clock, read when
/// the certificate is issued). For a fixed window, see [`Period`].
#[derive(Debug, Clone, Copy)]
pub struct Validity {
    pub from_secs: i64,
    pub until_secs: i64,
}

impl Validity {
    /// From an hour ago (clock skew) for `days` days.
    pub fn days(days: u32) -> Self {
        Self {
            from_secs: -3600,
            until_secs: i64::from(days) * 86_400,
        }
    }
}

/// When a certificate is valid, as absolute times (whole seconds): a certificate that is
/// expired, or not yet valid, at a chosen time, whatever the clock says. Every method that
/// takes a validity takes a [`Validity`] or a `Period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

impl Period {
    /// Valid from `not_before` until `not_after` (inclusive).
    pub fn between(not_before: DateTime<Utc>, not_after: DateTime<Utc>) -> Self {
        Self {
            not_before,
            not_after,
        }
    }
}

impl From<Validity> for Period {
    /// Resolves the relative validity against the system clock now.
    fn from(v: Validity) -> Self {
        let t = now();
        let at = |secs: i64| {
            DateTime::from_timestamp(t.saturating_add(secs), 0).unwrap_or(DateTime::UNIX_EPOCH)
        };
        Self {
            not_before: at(v.from_secs),
            not_after: at(v.until_secs),
        }
    }
}

type Result<T> = std::result::Result<T, openssl::error::ErrorStack>;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn pem_string(pem: &[u8]) -> String {
    String::from_utf8_lossy(pem).into_owned()
}

/// A new key pair for a test certificate: RSA 2048, what every TLS stack and Central
/// System accepts, and the minimum the OCPP security whitepaper allows for RSA.
pub(crate) fn new_key() -> Result<PKey<Private>> {
    PKey::from_rsa(Rsa::generate(2048)?)
}

/// A random positive 127-bit serial number (RFC 5280: at most 20 octets, unpredictable).
fn serial() -> Result<Asn1Integer> {
    let mut bn = BigNum::new()?;
    bn.rand(127, MsbOption::MAYBE_ZERO, false)?;
    bn.to_asn1_integer()
}

/// What kind of certificate to issue.
pub(crate) enum Kind<'a> {
    /// A root or intermediate CA.
    Ca,
    /// A TLS server with these DNS names / IP addresses.
    Server(&'a [&'a str]),
    /// A TLS client (a charge point).
    Client,
}

/// Who signs a certificate.
#[derive(Clone, Copy)]
pub(crate) enum Signer<'a> {
    /// The subject's own key: a self-signed root.
    SelfSigned(&'a PKeyRef<Private>),
    /// A CA's certificate and key.
    Ca {
        cert: &'a X509Ref,
        key: &'a PKeyRef<Private>,
    },
}

/// A certificate of `kind` for `subject` and its public key `key`, valid for `period`,
/// signed (SHA-256) by `signer`, with a random 127-bit serial number and a subject key
/// identifier (and an authority key identifier when a CA signs).
pub(crate) fn certificate<T: HasPublic>(
    subject: &X509NameRef,
    key: &PKeyRef<T>,
    period: Period,
    kind: Kind<'_>,
    signer: Signer<'_>,
) -> Result<X509> {
    let (issuer_cert, signing_key) = match signer {
        Signer::SelfSigned(key) => (None, key),
        Signer::Ca { cert, key } => (Some(cert), key),
    };
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let serial = serial()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(subject)?;
    b.set_issuer_name(issuer_cert.map_or(subject, |c| c.subject_name()))?;
    b.set_pubkey(key)?;
    let not_before = Asn1Time::from_unix(period.not_before.timestamp())?;
    let not_after = Asn1Time::from_unix(period.not_after.timestamp())?;
    b.set_not_before(&not_before)?;
    b.set_not_after(&not_after)?;
    match kind {
        Kind::Ca => {
            b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()?,
            )?;
        }
        Kind::Server(names) => {
            b.append_extension(BasicConstraints::new().build()?)?;
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .key_encipherment()
                    .build()?,
            )?;
            b.append_extension(ExtendedKeyUsage::new().server_auth().build()?)?;
            let mut san = SubjectAlternativeName::new();
            for n in names {
                if n.parse::<std::net::IpAddr>().is_ok() {
                    san.ip(n);
                } else {
                    san.dns(n);
                }
            }
            let ext = san.build(&b.x509v3_context(issuer_cert, None))?;
            b.append_extension(ext)?;
        }
        Kind::Client => {
            b.append_extension(BasicConstraints::new().build()?)?;
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .key_encipherment()
                    .build()?,
            )?;
            b.append_extension(ExtendedKeyUsage::new().client_auth().build()?)?;
        }
    }
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None))?;
    b.append_extension(ski)?;
    if let Some(issuer) = issuer_cert {
        let aki = AuthorityKeyIdentifier::new()
            .keyid(false)
            .build(&b.x509v3_context(Some(issuer), None))?;
        b.append_extension(aki)?;
    }
    b.sign(signing_key, MessageDigest::sha256())?;
    Ok(b.build())
}

/// A new key and a certificate for it with subject `O=org, CN=cn`.
fn build(
    cn: &str,
    org: &str,
    period: Period,
    kind: Kind<'_>,
    issuer: Option<&Issued>,
) -> Result<Issued> {
    let key = new_key()?;
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("O", org)?;
    name.append_entry_by_text("CN", cn)?;
    let name = name.build();
    let signer = match issuer {
        Some(i) => Signer::Ca {
            cert: &i.cert,
            key: &i.key,
        },
        None => Signer::SelfSigned(&key),
    };
    let cert = certificate(&name, &key, period, kind, signer)?;
    Issued::new(cert, key)
}

const ORG: &str = "chargepoint test PKI";

/// A CA that issues certificates: a root, or an intermediate made by
/// [`Authority::intermediate`].
#[derive(Debug, Clone)]
pub struct Authority {
    /// The CA's certificate and key (for an intermediate, the intermediate's own).
    pub root: Issued,
}

impl Authority {
    /// A new self-signed root CA named `cn`.
    pub fn new(cn: &str, validity: impl Into<Period>) -> Result<Self> {
        Ok(Self {
            root: build(cn, ORG, validity.into(), Kind::Ca, None)?,
        })
    }

    /// An existing CA from its certificate and private key (PEM; the first certificate of
    /// `cert_pem`). `Malformed` if either does not parse, if the key is not the
    /// certificate's, or if the certificate is not a CA (basicConstraints CA:TRUE).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> std::result::Result<Self, CertError> {
        let cert = X509::from_pem(cert_pem.as_bytes())
            .map_err(|e| CertError::Malformed(format!("CA certificate: {e}")))?;
        // The error text of a key that does not parse never contains the key.
        let key = PKey::private_key_from_pem(key_pem.as_bytes())
            .map_err(|e| CertError::Malformed(format!("CA private key: {e}")))?;
        let cert_key = cert
            .public_key()
            .map_err(|e| CertError::Malformed(format!("CA certificate key: {e}")))?;
        if !cert_key.public_eq(&key) {
            return Err(CertError::Malformed(
                "the private key is not the CA certificate's".into(),
            ));
        }
        if !crate::x509::cert_is_ca(&cert)? {
            return Err(CertError::Malformed(
                "the certificate is not a CA (no basicConstraints CA:TRUE)".into(),
            ));
        }
        let root = Issued::new(cert, key).map_err(|e| CertError::Crypto(e.to_string()))?;
        Ok(Self { root })
    }

    /// An intermediate CA named `cn`, signed by this one. A chain for a certificate it
    /// issues is that certificate, then `intermediate.root.cert_pem`.
    pub fn intermediate(&self, cn: &str, validity: impl Into<Period>) -> Result<Self> {
        Ok(Self {
            root: build(cn, ORG, validity.into(), Kind::Ca, Some(&self.root))?,
        })
    }

    /// A TLS server certificate for these DNS names / IP addresses (the first is the CN).
    pub fn server(&self, names: &[&str], validity: impl Into<Period>) -> Result<Issued> {
        let cn = names.first().copied().unwrap_or("server");
        build(
            cn,
            ORG,
            validity.into(),
            Kind::Server(names),
            Some(&self.root),
        )
    }

    /// A TLS client certificate; for a charge point, `cn` is its identity.
    pub fn client(&self, cn: &str, validity: impl Into<Period>) -> Result<Issued> {
        build(cn, ORG, validity.into(), Kind::Client, Some(&self.root))
    }
}

/// The whole test PKI of `chargepoint pki`.
#[derive(Debug, Clone)]
pub struct TestPki {
    pub ca: Authority,
    /// The Central System: `localhost`, `127.0.0.1`, `::1`.
    pub csms: Issued,
    /// The charge point (CN = its id).
    pub charge_point: Issued,
}

impl TestPki {
    pub fn generate(id: &str, days: u32) -> Result<Self> {
        let v = Validity::days(days);
        let ca = Authority::new("chargepoint test root CA", v)?;
        let csms = ca.server(&["localhost", "127.0.0.1", "::1"], v)?;
        let charge_point = ca.client(id, v)?;
        Ok(Self {
            ca,
            csms,
            charge_point,
        })
    }

    /// Write the files (keys mode 0600) and return their paths, in the order
    /// `ca.pem, ca-key.pem, csms.pem, csms-key.pem, cp.pem, cp-key.pem`.
    pub fn write(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let files = [
            ("ca.pem", &self.ca.root.cert_pem, false),
            ("ca-key.pem", &self.ca.root.key_pem, true),
            ("csms.pem", &self.csms.cert_pem, false),
            ("csms-key.pem", &self.csms.key_pem, true),
            ("cp.pem", &self.charge_point.cert_pem, false),
            ("cp-key.pem", &self.charge_point.key_pem, true),
        ];
        let mut out = Vec::new();
        for (name, text, secret) in files {
            let path = dir.join(name);
            write_file(&path, text, secret)?;
            out.push(path);
        }
        Ok(out)
    }
}

fn write_file(path: &Path, text: &str, secret: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if secret { 0o600 } else { 0o644 });
    }
    let mut f = opts.open(path)?;
    #[cfg(unix)]
    if secret {
        // The file may have existed with a wider mode.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pki_chains_and_keys_are_private() {
        let pki = TestPki::generate("CP001", 30).unwrap();
        let ca = X509::from_pem(pki.ca.root.cert_pem.as_bytes()).unwrap();
        let cp = X509::from_pem(pki.charge_point.cert_pem.as_bytes()).unwrap();
        assert!(cp.verify(&ca.public_key().unwrap()).unwrap());
        let cn = cp
            .subject_name()
            .entries_by_nid(openssl::nid::Nid::COMMONNAME)
            .next()
            .unwrap();
        assert_eq!(cn.data().as_slice(), b"CP001");
        let dir = tempfile::tempdir().unwrap();
        let files = pki.write(dir.path()).unwrap();
        assert_eq!(files.len(), 6);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("cp-key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
