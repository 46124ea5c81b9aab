//! Real servers on 127.0.0.1 (port 0) for tests: an axum HTTP(S) server ([`http`]) and a
//! libunftp FTP(S) server ([`ftp`]), the test PKI's server certificate ([`Pki`]) and a
//! firmware signer ([`sign_sha256`]). Used by the transfer crate's tests and the end-to-end
//! tests of the firmware and diagnostics features, so the servers exist once. Test code:
//! it panics on setup errors.

pub mod ftp;
pub mod http;

use std::path::{Path, PathBuf};

/// Credentials the servers accept (the password has characters that need percent-encoding).
pub const USER: &str = "fwuser";
pub const PASSWORD: &str = "hunter2:s3cret@";
/// `PASSWORD` as it appears in a URL.
pub const PASSWORD_IN_URL: &str = "hunter2%3As3cret%40";

/// `len` bytes whose content never repeats (xorshift64), so a dropped, duplicated or
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

/// A ~3 MiB size: several progress reports, several TCP windows.
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

/// A SHA-256 signature of `data` by the private key `key_pem` (PEM): RSA PKCS#1 v1.5 for an
/// RSA key, DER ECDSA for an EC key; what a manufacturer puts in SignedUpdateFirmware.
pub fn sign_sha256(key_pem: &str, data: &[u8]) -> Vec<u8> {
    use openssl::hash::MessageDigest;
    use openssl::pkey::{Id, PKey};
    use openssl::rsa::Padding;
    use openssl::sign::Signer;
    let key = PKey::private_key_from_pem(key_pem.as_bytes()).expect("a PEM private key");
    let mut signer = Signer::new(MessageDigest::sha256(), &key).expect("a signer");
    if key.id() == Id::RSA {
        signer
            .set_rsa_padding(Padding::PKCS1)
            .expect("PKCS#1 padding");
    }
    signer.update(data).expect("signing");
    signer.sign_to_vec().expect("a signature")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_with_the_certificate() {
        let ca = certs::pki::Authority::new("root", certs::pki::Validity::days(1)).unwrap();
        let signer = ca.client("signer", certs::pki::Validity::days(1)).unwrap();
        let data = pattern(100_000);
        let sig = sign_sha256(&signer.key_pem, &data);
        assert!(certs::verify_signature(&signer.cert_pem, &mut data.as_slice(), &sig).unwrap());
        assert!(!certs::verify_signature(&signer.cert_pem, &mut &data[1..], &sig).unwrap());
    }
}
