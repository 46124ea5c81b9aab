//! Parsing, hashing, chain verification, CSRs and signatures (see the crate docs).

use chrono::{DateTime, Utc};

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
    let _ = pem;
    Err(CertError::Crypto("not implemented yet".into()))
}

/// What the first certificate of `pem` says about itself.
pub fn inspect(pem: &str) -> Result<CertInfo, CertError> {
    let _ = pem;
    Err(CertError::Crypto("not implemented yet".into()))
}

/// The CertificateHashData of the first certificate of `pem`. `issuer_pem` is its issuer's
/// certificate; `None` for a self-signed certificate (its own key is the issuer key) or when
/// the issuer is not at hand (then the certificate's own key stands in: documented, and
/// consistent between GetInstalledCertificateIds and DeleteCertificate).
pub fn hash_data(pem: &str, issuer_pem: Option<&str>) -> Result<HashData, CertError> {
    let _ = (pem, issuer_pem);
    Err(CertError::Crypto("not implemented yet".into()))
}

/// Verify `chain_pem` (leaf first, intermediates after) against `roots_pem` at time `at`
/// (validity periods are checked at `at`, not at the system clock).
pub fn verify_chain(
    chain_pem: &str,
    roots_pem: &[String],
    at: DateTime<Utc>,
) -> Result<(), CertError> {
    let _ = (chain_pem, roots_pem, at);
    Err(CertError::Crypto("not implemented yet".into()))
}

/// A new key pair and a CSR for it with subject `O=organization, CN=common_name`.
pub fn generate_csr(common_name: &str, organization: &str) -> Result<KeyAndCsr, CertError> {
    let _ = (common_name, organization);
    Err(CertError::Crypto("not implemented yet".into()))
}

/// Whether the first certificate of `cert_pem` holds the public key of `key_pem`.
pub fn key_matches(cert_pem: &str, key_pem: &str) -> Result<bool, CertError> {
    let _ = (cert_pem, key_pem);
    Err(CertError::Crypto("not implemented yet".into()))
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
    let _ = (csr_pem, ca_cert_pem, ca_key_pem, not_before, days);
    Err(CertError::Crypto("not implemented yet".into()))
}

/// Whether `signature` is a valid SHA-256 signature (RSA PKCS#1 v1.5 or ECDSA, by the key
/// type) of everything `data` yields by the key of `cert_pem`. Streams: a firmware image
/// is never read into memory whole. A read error is `Crypto`.
pub fn verify_signature(
    cert_pem: &str,
    data: &mut dyn std::io::Read,
    signature: &[u8],
) -> Result<bool, CertError> {
    let _ = (cert_pem, data, signature);
    Err(CertError::Crypto("not implemented yet".into()))
}
