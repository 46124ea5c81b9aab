//! X.509 for the security extension, on the station's one crypto stack (OpenSSL): what the
//! station needs to manage its certificates, and what the Central System and the tests need
//! to issue them.
//!
//! - [`inspect`]: subject, issuer, validity, CA flag of a PEM certificate.
//! - [`hash_data`]: the RFC 6960 CertificateHashData of GetInstalledCertificateIds and
//!   DeleteCertificate (SHA-256).
//! - [`verify_chain`]: a chain (leaf first) against trusted roots at a given time (the
//!   station's injected clock, not the system clock).
//! - [`generate_csr`]: a new key pair and a PKCS#10 request (SignCertificate).
//! - [`key_matches`]: does a certificate carry this private key's public key.
//! - [`sign_csr`]: a CA signs a request (the built-in Central System, the tests).
//! - [`verify_signature`]: an RSA or ECDSA SHA-256 signature by a certificate's key
//!   (signed firmware).
//! - [`pki`]: a small test PKI (`chargepoint pki`).
//!
//! Pure computation: no files, no network, no clock (every time is a parameter).

mod der;
pub mod pki;
mod x509;

pub use x509::{
    generate_csr, hash_data, inspect, key_matches, sign_csr, split_pem_chain, verify_chain,
    verify_signature, CertError, CertInfo, HashData, KeyAndCsr,
};
