//! A small test PKI for the security profiles: a root CA, a Central System server
//! certificate and a charge point certificate (`chargepoint pki`, and the tests).
//!
//! Not for production: keys are generated here and written in the clear.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName, SubjectKeyIdentifier,
};
use openssl::x509::{X509NameBuilder, X509};

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

/// When a certificate is valid, in seconds relative to now.
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

type Result<T> = std::result::Result<T, openssl::error::ErrorStack>;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn key() -> Result<PKey<Private>> {
    PKey::from_rsa(Rsa::generate(2048)?)
}

fn serial() -> Result<Asn1Integer> {
    let mut bn = BigNum::new()?;
    bn.rand(127, MsbOption::MAYBE_ZERO, false)?;
    bn.to_asn1_integer()
}

/// What kind of certificate to issue.
enum Kind<'a> {
    Ca,
    Server(&'a [&'a str]),
    Client,
}

fn build(
    cn: &str,
    org: &str,
    validity: Validity,
    kind: Kind<'_>,
    issuer: Option<&Issued>,
) -> Result<Issued> {
    let key = key()?;
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("O", org)?;
    name.append_entry_by_text("CN", cn)?;
    let name = name.build();
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let serial = serial()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(issuer.map_or(&name, |i| i.cert.subject_name()))?;
    b.set_pubkey(&key)?;
    let t = now();
    let not_before = Asn1Time::from_unix(t + validity.from_secs)?;
    let not_after = Asn1Time::from_unix(t + validity.until_secs)?;
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
            let ext = san.build(&b.x509v3_context(issuer.map(|i| i.cert.as_ref()), None))?;
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
    let signer = issuer.map_or(&key, |i| &i.key);
    b.sign(signer, MessageDigest::sha256())?;
    let cert = b.build();
    Ok(Issued {
        cert_pem: String::from_utf8_lossy(&cert.to_pem()?).into_owned(),
        key_pem: String::from_utf8_lossy(&key.private_key_to_pem_pkcs8()?).into_owned(),
        cert,
        key,
    })
}

/// A root CA that issues certificates.
#[derive(Debug, Clone)]
pub struct Authority {
    pub root: Issued,
}

impl Authority {
    /// A new self-signed root CA named `cn`.
    pub fn new(cn: &str, validity: Validity) -> Result<Self> {
        Ok(Self {
            root: build(cn, "chargepoint test PKI", validity, Kind::Ca, None)?,
        })
    }

    /// A TLS server certificate for these DNS names / IP addresses (the first is the CN).
    pub fn server(&self, names: &[&str], validity: Validity) -> Result<Issued> {
        let cn = names.first().copied().unwrap_or("server");
        build(
            cn,
            "chargepoint test PKI",
            validity,
            Kind::Server(names),
            Some(&self.root),
        )
    }

    /// A TLS client certificate; for a charge point, `cn` is its identity.
    pub fn client(&self, cn: &str, validity: Validity) -> Result<Issued> {
        build(
            cn,
            "chargepoint test PKI",
            validity,
            Kind::Client,
            Some(&self.root),
        )
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
