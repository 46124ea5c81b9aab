//! Parsing, hashing, chain verification, CSRs and signatures (see the crate docs).

use chrono::{DateTime, Utc};
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::error::ErrorStack;
use openssl::hash::{hash, MessageDigest};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey};
use openssl::rsa::Padding;
use openssl::sign::Verifier;
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyParam;
use openssl::x509::{X509NameBuilder, X509NameRef, X509Ref, X509Req, X509StoreContext, X509};

use crate::der;
use crate::pki::{self, Kind, Period, Signer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// Not a PEM certificate / key / request, or not parsable.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The chain does not verify against the roots (reason from OpenSSL).
    #[error("does not verify: {0}")]
    Untrusted(String),
    /// Outside its validity period at the time asked.
    #[error("not valid at {at}: valid {not_before} .. {not_after}")]
    Expired {
        at: DateTime<Utc>,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    },
    #[error("crypto: {0}")]
    Crypto(String),
}

/// What a certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub subject_cn: Option<String>,
    pub subject_o: Option<String>,
    pub issuer_cn: Option<String>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// basicConstraints CA:TRUE.
    pub is_ca: bool,
    /// Subject and issuer are the same name and the certificate verifies with its own key.
    pub self_signed: bool,
    /// Serial number, lowercase hex without leading zeros (as in CertificateHashData).
    pub serial_hex: String,
}

/// RFC 6960 CertificateHashData as OCPP carries it (hash algorithm SHA256).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HashData {
    /// "SHA256".
    pub hash_algorithm: &'static str,
    /// Lowercase hex SHA-256 of the DER of the issuer's distinguished name.
    pub issuer_name_hash: String,
    /// Lowercase hex SHA-256 of the issuer's public key (the BIT STRING's bytes, no tag,
    /// length or unused-bits byte).
    pub issuer_key_hash: String,
    /// Lowercase hex serial number without leading zeros.
    pub serial_number: String,
}

/// A private key (PKCS#8 PEM) and a certificate signing request (PEM) for it.
#[derive(Clone)]
pub struct KeyAndCsr {
    pub key_pem: String,
    pub csr_pem: String,
}

impl std::fmt::Debug for KeyAndCsr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyAndCsr")
            .field("csr_pem", &self.csr_pem)
            .finish_non_exhaustive()
    }
}

/// The PEM certificates of a text, in order (a chain, leaf first).
pub fn split_pem_chain(pem: &str) -> Result<Vec<String>, CertError> {
    certificates(pem)?
        .iter()
        .map(|cert| {
            cert.to_pem()
                .map(|p| String::from_utf8_lossy(&p).into_owned())
                .map_err(crypto)
        })
        .collect()
}

/// What the first certificate of `pem` says about itself.
pub fn inspect(pem: &str) -> Result<CertInfo, CertError> {
    let cert = first_certificate(pem)?;
    let subject = cert.subject_name();
    let same_name = name_der(subject)? == name_der(cert.issuer_name())?;
    let self_signed = same_name
        && cert
            .public_key()
            .and_then(|key| cert.verify(&key))
            // A key OpenSSL cannot use to verify (an unknown algorithm): not self-signed.
            .unwrap_or(false);
    Ok(CertInfo {
        subject_cn: name_entry(subject, Nid::COMMONNAME),
        subject_o: name_entry(subject, Nid::ORGANIZATIONNAME),
        issuer_cn: name_entry(cert.issuer_name(), Nid::COMMONNAME),
        not_before: time(cert.not_before())?,
        not_after: time(cert.not_after())?,
        is_ca: cert_is_ca(&cert)?,
        self_signed,
        serial_hex: serial_hex(&cert)?,
    })
}

/// The CertificateHashData of the first certificate of `pem`. `issuer_pem` is its issuer's
/// certificate; `None` for a self-signed certificate (its own key is the issuer key) or when
/// the issuer is not at hand (then the certificate's own key stands in: documented, and
/// consistent between GetInstalledCertificateIds and DeleteCertificate).
pub fn hash_data(pem: &str, issuer_pem: Option<&str>) -> Result<HashData, CertError> {
    let cert = first_certificate(pem)?;
    let issuer = issuer_pem.map(first_certificate).transpose()?;
    let issuer_key = issuer
        .as_deref()
        .unwrap_or(&cert)
        .public_key()
        .and_then(|key| key.public_key_to_der())
        .map_err(|e| CertError::Malformed(format!("issuer public key: {e}")))?;
    let issuer_key = der::spki_public_key(&issuer_key).ok_or_else(|| {
        CertError::Malformed("issuer public key: not a SubjectPublicKeyInfo".into())
    })?;
    Ok(HashData {
        hash_algorithm: "SHA256",
        issuer_name_hash: sha256_hex(&name_der(cert.issuer_name())?)?,
        issuer_key_hash: sha256_hex(issuer_key)?,
        serial_number: serial_hex(&cert)?,
    })
}

/// Verify `chain_pem` (leaf first, intermediates after) against `roots_pem` at time `at`
/// (validity periods are checked at `at`, not at the system clock).
pub fn verify_chain(
    chain_pem: &str,
    roots_pem: &[String],
    at: DateTime<Utc>,
) -> Result<(), CertError> {
    let mut chain = certificates(chain_pem)?.into_iter();
    let leaf = chain
        .next()
        .ok_or_else(|| CertError::Malformed("no certificate".into()))?;
    // The leaf's own validity first, so that the error says when it is valid. As OpenSSL
    // does (X509_cmp_time): whole seconds, valid while notBefore <= at < notAfter (RFC 5280
    // would include notAfter; one second apart, we stay consistent with the CAs' check).
    let not_before = time(leaf.not_before())?;
    let not_after = time(leaf.not_after())?;
    let t = at.timestamp();
    if t < not_before.timestamp() || t >= not_after.timestamp() {
        return Err(CertError::Expired {
            at,
            not_before,
            not_after,
        });
    }
    let mut store = X509StoreBuilder::new().map_err(crypto)?;
    let mut roots = 0;
    for root_pem in roots_pem {
        for root in certificates(root_pem)? {
            store.add_cert(root).map_err(crypto)?;
            roots += 1;
        }
    }
    if roots == 0 {
        return Err(CertError::Untrusted("no trusted root certificates".into()));
    }
    // No purpose: this checks the chain, whatever the certificate is for.
    let mut param = X509VerifyParam::new().map_err(crypto)?;
    param.set_time(t);
    store.set_param(&param).map_err(crypto)?;
    let store = store.build();
    let mut untrusted = Stack::new().map_err(crypto)?;
    for cert in chain {
        untrusted.push(cert).map_err(crypto)?;
    }
    let mut ctx = X509StoreContext::new().map_err(crypto)?;
    let (ok, result) = ctx
        .init(&store, &leaf, &untrusted, |c| {
            let ok = c.verify_cert()?;
            Ok((ok, c.error()))
        })
        .map_err(crypto)?;
    if ok {
        Ok(())
    } else {
        Err(CertError::Untrusted(result.error_string().to_string()))
    }
}

/// A new key pair and a CSR for it with subject `O=organization, CN=common_name`.
pub fn generate_csr(common_name: &str, organization: &str) -> Result<KeyAndCsr, CertError> {
    // RSA 2048, like the test PKI's client certificates: every Central System and TLS
    // stack accepts it, and it is the minimum RSA size the OCPP 1.6 security whitepaper
    // allows. (A P-256 key would be smaller and faster, but not every CSMS signs one.)
    let key = pki::new_key().map_err(crypto)?;
    let mut name = X509NameBuilder::new().map_err(crypto)?;
    for (field, value) in [("O", organization), ("CN", common_name)] {
        name.append_entry_by_text(field, value)
            .map_err(|e| CertError::Malformed(format!("{field}={value:?}: {e}")))?;
    }
    let name = name.build();
    let mut req = X509Req::builder().map_err(crypto)?;
    req.set_version(0).map_err(crypto)?;
    req.set_subject_name(&name).map_err(crypto)?;
    req.set_pubkey(&key).map_err(crypto)?;
    req.sign(&key, MessageDigest::sha256()).map_err(crypto)?;
    let req = req.build();
    Ok(KeyAndCsr {
        key_pem: pem_string(key.private_key_to_pem_pkcs8()).map_err(crypto)?,
        csr_pem: pem_string(req.to_pem()).map_err(crypto)?,
    })
}

/// Whether the first certificate of `cert_pem` holds the public key of `key_pem`.
pub fn key_matches(cert_pem: &str, key_pem: &str) -> Result<bool, CertError> {
    let cert = first_certificate(cert_pem)?;
    let cert_key = cert
        .public_key()
        .map_err(|e| CertError::Malformed(format!("certificate public key: {e}")))?;
    // The error text of a key that does not parse never contains the key.
    let key = PKey::private_key_from_pem(key_pem.as_bytes())
        .map_err(|e| CertError::Malformed(format!("private key: {e}")))?;
    Ok(cert_key.public_eq(&key))
}

/// The CA (`ca_cert_pem`, `ca_key_pem`) signs `csr_pem`: a client certificate (TLS client
/// auth) valid from `not_before` for `days` days, with the CSR's subject and key. PEM.
pub fn sign_csr(
    csr_pem: &str,
    ca_cert_pem: &str,
    ca_key_pem: &str,
    not_before: DateTime<Utc>,
    days: u32,
) -> Result<String, CertError> {
    let req = X509Req::from_pem(csr_pem.as_bytes())
        .map_err(|e| CertError::Malformed(format!("certificate signing request: {e}")))?;
    let key = req
        .public_key()
        .map_err(|e| CertError::Malformed(format!("request public key: {e}")))?;
    // The request must be signed by the key it asks a certificate for (proof of possession).
    if !req.verify(&key).unwrap_or(false) {
        return Err(CertError::Malformed(
            "the request's signature does not verify with its own key".into(),
        ));
    }
    let ca = pki::Authority::from_pem(ca_cert_pem, ca_key_pem)?;
    let (ca_cert, ca_key) = ca.root.cert_and_key();
    let not_after = i64::from(days)
        .checked_mul(86_400)
        .and_then(|secs| not_before.checked_add_signed(chrono::TimeDelta::try_seconds(secs)?))
        .ok_or_else(|| {
            CertError::Crypto(format!("{days} days from {not_before} is out of range"))
        })?;
    let cert = pki::certificate(
        req.subject_name(),
        &key,
        Period::between(not_before, not_after),
        Kind::Client,
        Signer::Ca {
            cert: ca_cert,
            key: ca_key,
        },
    )
    .map_err(crypto)?;
    pem_string(cert.to_pem()).map_err(crypto)
}

/// Whether `signature` is a valid SHA-256 signature (RSA PKCS#1 v1.5 or ECDSA, by the key
/// type) of everything `data` yields by the key of `cert_pem`. Streams: a firmware image
/// is never read into memory whole. A read error is `Crypto`.
pub fn verify_signature(
    cert_pem: &str,
    data: &mut dyn std::io::Read,
    signature: &[u8],
) -> Result<bool, CertError> {
    let cert = first_certificate(cert_pem)?;
    let key = cert
        .public_key()
        .map_err(|e| CertError::Malformed(format!("certificate public key: {e}")))?;
    let rsa = match key.id() {
        Id::RSA => true,
        // The signature is DER (ECDSA-Sig-Value), what OpenSSL verifies.
        Id::EC => false,
        other => {
            return Err(CertError::Crypto(format!(
                "unsupported key type {other:?} (RSA or EC expected)"
            )))
        }
    };
    let mut verifier = Verifier::new(MessageDigest::sha256(), &key).map_err(crypto)?;
    if rsa {
        verifier.set_rsa_padding(Padding::PKCS1).map_err(crypto)?;
    }
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match data.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CertError::Crypto(format!("reading the signed data: {e}"))),
        };
        verifier.update(&buf[..n]).map_err(crypto)?;
    }
    // OpenSSL reports a signature it cannot even decode (wrong length, not DER) as an
    // error rather than a mismatch: both are a bad signature.
    Ok(verifier.verify(signature).unwrap_or(false))
}

fn crypto(e: ErrorStack) -> CertError {
    CertError::Crypto(e.to_string())
}

fn pem_string(pem: Result<Vec<u8>, ErrorStack>) -> Result<String, ErrorStack> {
    pem.map(|p| String::from_utf8_lossy(&p).into_owned())
}

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// Every `BEGIN CERTIFICATE` block of `pem`, parsed, in order. Other PEM blocks (a key, a
/// request) and text around the blocks are ignored; no certificate is `Malformed`.
fn certificates(pem: &str) -> Result<Vec<X509>, CertError> {
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let block = &rest[start..];
        let end = block.find(END).ok_or_else(|| {
            CertError::Malformed(format!("certificate {} has no END line", out.len() + 1))
        })? + END.len();
        let cert = X509::from_pem(&block.as_bytes()[..end])
            .map_err(|e| CertError::Malformed(format!("certificate {}: {e}", out.len() + 1)))?;
        out.push(cert);
        rest = &block[end..];
    }
    if out.is_empty() {
        return Err(CertError::Malformed("no PEM certificate".into()));
    }
    Ok(out)
}

fn first_certificate(pem: &str) -> Result<X509, CertError> {
    let mut rest = pem;
    let start = rest
        .find(BEGIN)
        .ok_or_else(|| CertError::Malformed("no PEM certificate".into()))?;
    rest = &rest[start..];
    X509::from_pem(rest.as_bytes()).map_err(|e| CertError::Malformed(format!("certificate: {e}")))
}

/// basicConstraints CA:TRUE (the `openssl` crate has no getter for it).
pub(crate) fn cert_is_ca(cert: &X509Ref) -> Result<bool, CertError> {
    let der = cert.to_der().map_err(crypto)?;
    der::is_ca(&der).ok_or_else(|| CertError::Malformed("unreadable certificate extensions".into()))
}

fn name_der(name: &X509NameRef) -> Result<Vec<u8>, CertError> {
    name.to_der().map_err(crypto)
}

/// The first entry `nid` of a name, as text.
fn name_entry(name: &X509NameRef, nid: Nid) -> Option<String> {
    let data = name.entries_by_nid(nid).next()?.data();
    Some(
        data.to_string()
            .unwrap_or_else(|_| String::from_utf8_lossy(data.as_slice()).into_owned()),
    )
}

fn time(t: &Asn1TimeRef) -> Result<DateTime<Utc>, CertError> {
    let epoch = Asn1Time::from_unix(0).map_err(crypto)?;
    let diff = epoch.diff(t).map_err(crypto)?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| CertError::Malformed(format!("time out of range: {t}")))
}

/// The serial number in lowercase hex without leading zeros ("0" for zero).
fn serial_hex(cert: &X509Ref) -> Result<String, CertError> {
    let hex = cert
        .serial_number()
        .to_bn()
        .and_then(|bn| bn.to_hex_str().map(|s| s.to_ascii_lowercase()))
        .map_err(crypto)?;
    let (sign, digits) = match hex.strip_prefix('-') {
        Some(digits) => ("-", digits),
        None => ("", hex.as_str()),
    };
    let digits = digits.trim_start_matches('0');
    Ok(if digits.is_empty() {
        "0".to_string()
    } else {
        format!("{sign}{digits}")
    })
}

fn sha256_hex(data: &[u8]) -> Result<String, CertError> {
    let digest = hash(MessageDigest::sha256(), data).map_err(crypto)?;
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}
