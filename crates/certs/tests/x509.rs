//! The X.509 functions against the test PKI, fixed certificates and values computed with
//! the `openssl` command line tool.

use std::io::Read;

use certs::pki::{Authority, Issued, Period, Validity};
use certs::{
    generate_csr, hash_data, inspect, key_matches, sign_csr, split_pem_chain, verify_chain,
    verify_signature, CertError,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use openssl::x509::{X509NameBuilder, X509Req, X509};

/// A root CA and a client certificate it issued, made once with the pki module (the
/// serial number has a leading zero nibble, to check that it is dropped).
const FIXTURE_CA: &str = "-----BEGIN CERTIFICATE-----
MIIDQDCCAiigAwIBAgIQMlM41jIPQcqZfinXPCiOAzANBgkqhkiG9w0BAQsFADA5
MR0wGwYDVQQKDBRjaGFyZ2Vwb2ludCB0ZXN0IFBLSTEYMBYGA1UEAwwPZml4dHVy
ZSByb290IENBMCAXDTI2MTEyNTA2NDgzN1oYDzIxMjYxMTAxMDc0ODM3WjA5MR0w
GwYDVQQKDBRjaGFyZ2Vwb2ludCB0ZXN0IFBLSTEYMBYGA1UEAwwPZml4dHVyZSBy
b290IENBMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1XF94udcWKZW
wedRXno367lWkz7/4yFk4bOwLKepsM1WJEpw8t9YGQkeOCKGOODIhmC6aR7s7Pke
UeCtkciGDYdhVi945mPrQpCv/XMtrMQs6zIgiA9o/uM+8/xUjxDGJT6gZQWk/ms2
s+7G0NRMwFO7RM70g6czkxufLu1Kf3RMsv3tm99a2Vwur8c1J8ApH6P8nz15MSlY
Ra3tpb+A0lyfXpFnIE4Z2C8AEQAP0y1Xq3BLRFfECjnq5l9ej4meq5H84xe1NAge
kmUD5/Oxwzcy/VhQBRvVMiCX7QufSkYL21nVcs1jOwFz1IxnG/cRdAhYNWljQYH/
pFVH1TG7rQIDAQABo0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIB
BjAdBgNVHQ4EFgQUk3g5og5iWzsw96FWG5cbHDO4L14wDQYJKoZIhvcNAQELBQAD
ggEBAISGevDVMCFmabFIGlVCZhXmAFbf0JmiKPBth06fZg9hfPVIlYqgxOukZ+ic
4ZjBrFabp8mZCLoMUrpEFIYwANlUuygLaEthxuLtPVqkhWrqQPkehc0rp0GWR1eq
0T+5wZ1j4Kawgcgj0x3VwkUwuxhtnc7513OT32QhQBvrmv1zjKxBVeDHQOuRpBN0
7PgA9/gEq7JFS9Avh6yRZ8L0I8ayGcQzeVqZWXC386CA46yJbpnUhJZ+BoFYz+f8
/Yafw7tuwzsOmriwWf2nWm4ymN3sDN+TxRW7tsBfIRw+SG/hYEuSoPWmMbj3ZybU
s7wcaeoO+2OFpsipWsJ/A05dxUI=
-----END CERTIFICATE-----
";

const FIXTURE_LEAF: &str = "-----BEGIN CERTIFICATE-----
MIIDazCCAlOgAwIBAgIQDNB8B0/2g+C5xu3oIBXqVTANBgkqhkiG9w0BAQsFADA5
MR0wGwYDVQQKDBRjaGFyZ2Vwb2ludCB0ZXN0IFBLSTEYMBYGA1UEAwwPZml4dHVy
ZSByb290IENBMCAXDTI2MTEyNTA2NDgzOFoYDzIxMjUwNjE5MDc0ODM4WjA0MR0w
GwYDVQQKDBRjaGFyZ2Vwb2ludCB0ZXN0IFBLSTETMBEGA1UEAwwKQ1AtRklYVFVS
RTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAMZ++4j3C6sTVQBNI+pr
8gQZVYnKlQoeDKvNNw1NLyTguBEdOattFXb8sOll87kRC53Z4Rq/HKkuDP/Z/+mJ
wm0NvWpNMNbTmxfDN/GXGX1M6YK/LZIfyj/7Bck2XSPpTAD8984xkjp+7P7kQgxz
mneHTDSbL1Dwk3Wp7YRoB7Z7aC/ZZtmwZNmTcezRnK/wQmG8UQOQ8oXD4k2iGoOp
l9aBl4KmOBV5oOgD4jJGOXAu4QEG5eCZkgBXfvY7qo753G0abW7WpglZsVRBa/c0
B6jug57zG67oNtc/SrxaFbQ6wEDh7YtHb0EsL6SECEvrODSI8yYnBRStd8E0I0RM
El0CAwEAAaNyMHAwCQYDVR0TBAIwADAOBgNVHQ8BAf8EBAMCBaAwEwYDVR0lBAww
CgYIKwYBBQUHAwIwHQYDVR0OBBYEFDcedxcKhBfvN/kQatlUTLcy1YMRMB8GA1Ud
IwQYMBaAFJN4OaIOYls7MPehVhuXGxwzuC9eMA0GCSqGSIb3DQEBCwUAA4IBAQBv
dQun0R0ohHX+0/RqR6TLbrnS3lQdY6RfWkHG2LrujcERgHJyG5t0Z1kPQDcQXoTZ
Bbaka9dLLoT+oPUIAwymOmDoXMmiyMNIRH35Qd+WOLfxdzMEap4yVGdycptOOP+P
7ssqUVf5HFbgPyl8J5rr3CgoYgu0DXxQ9sFZAjE3f3wHi0TuwzuPZzGdLxnjzBQH
/zvEpgx7ssE36rzstaMoGaqeUlds1/uWeNDce7TJRbO1QzS2IadVmwZA004//qmJ
TRmFHrlkvcNGflvD/36kJxfVUJ6LlXHY+XqOUD1UP/qprm+5n06ayo20UXtPEpIk
3SkDLFnkHaJpIqR0JB3F
-----END CERTIFICATE-----
";

// Computed with the OpenSSL 3.0 command line tool, not with this crate:
//   openssl x509 -in leaf.pem -noout -serial                       -> 0CD07C07...
//   openssl x509 -in leaf.pem -outform DER -out leaf.der
//   openssl asn1parse -inform DER -in leaf.der    (issuer Name at offset 46, hl=2 l=57)
//   dd if=leaf.der bs=1 skip=46 count=59 | openssl dgst -sha256    -> issuer name hash
//   openssl x509 -in ca.pem -noout -pubkey > ca-pub.pem
//   openssl asn1parse -in ca-pub.pem      (BIT STRING at offset 19)
//   openssl asn1parse -in ca-pub.pem -strparse 19 -noout -out key.bin
//   openssl dgst -sha256 key.bin                                   -> issuer key hash
// and the same three values again from `openssl ocsp -sha256 -issuer ca.pem -cert leaf.pem
// -no_nonce -req_text` (an OCSP CertID is the same RFC 6960 structure).
const FIXTURE_ISSUER_NAME_HASH: &str =
    "65269a4d1b9f3d192f2d86a3fc7ef2a2c87679add44fa6637daff500c8282745";
const FIXTURE_ISSUER_KEY_HASH: &str =
    "5540c476bf78c67f9cca7ffaacf3c12f9eeecb400aad0f8b4a5ac891d26151ef";
const FIXTURE_LEAF_SERIAL: &str = "cd07c074ff683e0b9c6ede82015ea55";
/// SHA-256 of the leaf's own public key, the same way.
const FIXTURE_LEAF_KEY_HASH: &str =
    "5f7de319c9d024d564cdf16277ebdd3948f52ef800ebb701e424c05c7b5c1308";
const FIXTURE_CA_SERIAL: &str = "325338d6320f41ca997e29d73c288e03";

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A root, an intermediate it signed, and a client certificate of the intermediate.
struct Chain {
    root: Authority,
    intermediate: Authority,
    leaf: Issued,
}

impl Chain {
    fn new(leaf_validity: impl Into<Period>) -> Self {
        // The CAs were valid a year ago already (for leaves valid in the past).
        let ca = |days: i64| Validity {
            from_secs: -366 * 86_400,
            until_secs: days * 86_400,
        };
        let root = Authority::new("test root", ca(3650)).unwrap();
        let intermediate = root.intermediate("test sub-CA", ca(1000)).unwrap();
        let leaf = intermediate.client("CP001", leaf_validity).unwrap();
        Self {
            root,
            intermediate,
            leaf,
        }
    }

    /// Leaf first, then the intermediate.
    fn pem(&self) -> String {
        format!("{}{}", self.leaf.cert_pem, self.intermediate.root.cert_pem)
    }

    fn roots(&self) -> Vec<String> {
        vec![self.root.root.cert_pem.clone()]
    }
}

fn is_malformed<T: std::fmt::Debug>(r: Result<T, CertError>) -> bool {
    matches!(r, Err(CertError::Malformed(_)))
}

// ---------------------------------------------------------------- split_pem_chain

#[test]
fn split_pem_chain_keeps_every_certificate_in_order() {
    let c = Chain::new(Validity::days(30));
    let text = format!(
        "leaf:\n{}\n{}some text between\n{}root:\r\n{}",
        c.leaf.cert_pem,
        c.leaf.key_pem, // a key block in the middle is not a certificate: skipped
        c.intermediate.root.cert_pem,
        c.root.root.cert_pem
    );
    let certs = split_pem_chain(&text).unwrap();
    assert_eq!(
        certs,
        vec![
            c.leaf.cert_pem.clone(),
            c.intermediate.root.cert_pem.clone(),
            c.root.root.cert_pem.clone(),
        ]
    );
    assert!(certs.iter().all(|p| !p.contains("PRIVATE KEY")));
}

#[test]
fn split_pem_chain_refuses_garbage_and_broken_blocks() {
    assert!(is_malformed(split_pem_chain("")));
    assert!(is_malformed(split_pem_chain("not a certificate at all")));
    let c = Chain::new(Validity::days(30));
    // Only a key: no certificate.
    assert!(is_malformed(split_pem_chain(&c.leaf.key_pem)));
    // No END line.
    let cut = &c.leaf.cert_pem[..c.leaf.cert_pem.len() - 30];
    assert!(is_malformed(split_pem_chain(cut)));
    // A good certificate followed by a broken one.
    let broken = c.root.root.cert_pem.replacen("MII", "M!I", 1);
    let text = format!("{}{}", c.leaf.cert_pem, broken);
    assert!(is_malformed(split_pem_chain(&text)));
    // Valid base64 that is not a certificate.
    let junk = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert!(is_malformed(split_pem_chain(junk)));
}

// ---------------------------------------------------------------- inspect

#[test]
fn inspect_a_fixed_certificate() {
    let info = inspect(FIXTURE_LEAF).unwrap();
    assert_eq!(info.subject_cn.as_deref(), Some("CP-FIXTURE"));
    assert_eq!(info.subject_o.as_deref(), Some("chargepoint test PKI"));
    assert_eq!(info.issuer_cn.as_deref(), Some("fixture root CA"));
    // openssl x509 -noout -dates: Nov 25 06:48:38 2026 GMT, Jun 19 07:48:38 2125 GMT
    assert_eq!(info.not_before, utc("2026-11-25T06:48:38Z"));
    assert_eq!(info.not_after, utc("2125-06-19T07:48:38Z"));
    assert!(!info.is_ca);
    assert!(!info.self_signed);
    assert_eq!(info.serial_hex, FIXTURE_LEAF_SERIAL);

    let ca = inspect(FIXTURE_CA).unwrap();
    assert!(ca.is_ca);
    assert!(ca.self_signed);
    assert_eq!(ca.subject_cn.as_deref(), Some("fixture root CA"));
    assert_eq!(ca.issuer_cn.as_deref(), Some("fixture root CA"));
    assert_eq!(ca.serial_hex, FIXTURE_CA_SERIAL);
}

#[test]
fn inspect_the_test_pki() {
    let c = Chain::new(Period::between(
        utc("2030-01-01T00:00:00Z"),
        utc("2031-06-30T12:34:56Z"),
    ));
    let leaf = inspect(&c.pem()).unwrap(); // the first certificate
    assert_eq!(leaf.subject_cn.as_deref(), Some("CP001"));
    assert_eq!(leaf.issuer_cn.as_deref(), Some("test sub-CA"));
    assert_eq!(leaf.not_before, utc("2030-01-01T00:00:00Z"));
    assert_eq!(leaf.not_after, utc("2031-06-30T12:34:56Z"));
    assert!(!leaf.is_ca && !leaf.self_signed);

    let sub = inspect(&c.intermediate.root.cert_pem).unwrap();
    assert!(sub.is_ca);
    assert!(!sub.self_signed);
    assert_eq!(sub.issuer_cn.as_deref(), Some("test root"));

    let root = inspect(&c.root.root.cert_pem).unwrap();
    assert!(root.is_ca && root.self_signed);

    assert!(is_malformed(inspect("nothing")));
}

#[test]
fn inspect_serial_numbers_and_missing_names() {
    // Serial 0, a short one, and a name without CN or O.
    let zero = ec_self_signed(0, None);
    let info = inspect(&zero.0).unwrap();
    assert_eq!(info.serial_hex, "0");
    assert_eq!(info.subject_cn, None);
    assert_eq!(info.subject_o, None);
    assert!(info.self_signed);
    assert!(!info.is_ca); // no basicConstraints at all
    assert_eq!(
        inspect(&ec_self_signed(0x0f01, None).0).unwrap().serial_hex,
        "f01"
    );
    assert_eq!(
        inspect(&ec_self_signed(1, Some("EC signer")).0)
            .unwrap()
            .subject_cn
            .as_deref(),
        Some("EC signer")
    );
}

#[test]
fn a_certificate_whose_names_match_but_signed_by_another_key_is_not_self_signed() {
    // Issuer name = subject name, but the signature is by the intermediate's key.
    let c = Chain::new(Validity::days(30));
    let other = Authority::new("test sub-CA", Validity::days(30)).unwrap();
    let sub = X509::from_pem(c.intermediate.root.cert_pem.as_bytes()).unwrap();
    let key = PKey::private_key_from_pem(other.root.key_pem.as_bytes()).unwrap();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(sub.subject_name()).unwrap();
    b.set_issuer_name(sub.subject_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(0).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::from_unix(4_000_000_000).unwrap())
        .unwrap();
    let sub_key = PKey::private_key_from_pem(c.intermediate.root.key_pem.as_bytes()).unwrap();
    b.sign(&sub_key, MessageDigest::sha256()).unwrap();
    let pem = String::from_utf8(b.build().to_pem().unwrap()).unwrap();
    assert!(!inspect(&pem).unwrap().self_signed);
}

// ---------------------------------------------------------------- hash_data

#[test]
fn hash_data_known_answer() {
    let h = hash_data(FIXTURE_LEAF, Some(FIXTURE_CA)).unwrap();
    assert_eq!(h.hash_algorithm, "SHA256");
    assert_eq!(h.issuer_name_hash, FIXTURE_ISSUER_NAME_HASH);
    assert_eq!(h.issuer_key_hash, FIXTURE_ISSUER_KEY_HASH);
    assert_eq!(h.serial_number, FIXTURE_LEAF_SERIAL);

    // The self-signed root: its own name and key.
    let root = hash_data(FIXTURE_CA, None).unwrap();
    assert_eq!(root.issuer_name_hash, FIXTURE_ISSUER_NAME_HASH);
    assert_eq!(root.issuer_key_hash, FIXTURE_ISSUER_KEY_HASH);
    assert_eq!(root.serial_number, FIXTURE_CA_SERIAL);

    // No issuer at hand: the certificate's own key stands in.
    let alone = hash_data(FIXTURE_LEAF, None).unwrap();
    assert_eq!(alone.issuer_name_hash, FIXTURE_ISSUER_NAME_HASH);
    assert_eq!(alone.issuer_key_hash, FIXTURE_LEAF_KEY_HASH);
    assert_eq!(alone.serial_number, FIXTURE_LEAF_SERIAL);
}

#[test]
fn hash_data_of_a_chain_and_bad_input() {
    let c = Chain::new(Validity::days(30));
    let by_issuer = hash_data(&c.pem(), Some(&c.intermediate.root.cert_pem)).unwrap();
    // All lowercase hex of the right length.
    for h in [&by_issuer.issuer_name_hash, &by_issuer.issuer_key_hash] {
        assert_eq!(h.len(), 64);
        assert!(h
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
    }
    // The intermediate hashes its own subject name and key as the issuer's.
    let sub_self = hash_data(&c.intermediate.root.cert_pem, None).unwrap();
    assert_eq!(sub_self.issuer_key_hash, by_issuer.issuer_key_hash);
    assert_ne!(sub_self.issuer_name_hash, by_issuer.issuer_name_hash); // issued by the root
    assert!(is_malformed(hash_data("garbage", None)));
    assert!(is_malformed(hash_data(&c.leaf.cert_pem, Some("garbage"))));
}

// ---------------------------------------------------------------- verify_chain

#[test]
fn a_chain_verifies_with_its_root_only() {
    let c = Chain::new(Validity::days(30));
    verify_chain(&c.pem(), &c.roots(), Utc::now()).unwrap();
    // The roots may come in one PEM with others.
    let other = Authority::new("other root", Validity::days(30)).unwrap();
    let both = vec![format!("{}{}", other.root.cert_pem, c.root.root.cert_pem)];
    verify_chain(&c.pem(), &both, Utc::now()).unwrap();
    // The intermediate itself, and the root against itself.
    verify_chain(&c.intermediate.root.cert_pem, &c.roots(), Utc::now()).unwrap();
    verify_chain(&c.root.root.cert_pem, &c.roots(), Utc::now()).unwrap();
}

#[test]
fn a_chain_does_not_verify_with_another_root_or_without_its_intermediate() {
    let c = Chain::new(Validity::days(30));
    let other = Authority::new("test root", Validity::days(30)).unwrap(); // same name!
    match verify_chain(
        &c.pem(),
        std::slice::from_ref(&other.root.cert_pem),
        Utc::now(),
    ) {
        Err(CertError::Untrusted(reason)) => assert!(!reason.is_empty(), "{reason}"),
        r => panic!("{r:?}"),
    }
    match verify_chain(&c.leaf.cert_pem, &c.roots(), Utc::now()) {
        Err(CertError::Untrusted(reason)) => {
            assert!(reason.contains("local issuer"), "{reason}")
        }
        r => panic!("{r:?}"),
    }
    match verify_chain(&c.pem(), &[], Utc::now()) {
        Err(CertError::Untrusted(_)) => {}
        r => panic!("{r:?}"),
    }
    assert!(is_malformed(verify_chain("junk", &c.roots(), Utc::now())));
    assert!(is_malformed(verify_chain(
        &c.pem(),
        &["junk".to_string()],
        Utc::now()
    )));
}

#[test]
fn an_expired_leaf_is_expired() {
    let now = Utc::now();
    let nb = Utc.timestamp_opt(now.timestamp() - 10 * 86_400, 0).unwrap();
    let na = Utc.timestamp_opt(now.timestamp() - 86_400, 0).unwrap();
    let c = Chain::new(Period::between(nb, na));
    assert_eq!(
        verify_chain(&c.pem(), &c.roots(), now),
        Err(CertError::Expired {
            at: now,
            not_before: nb,
            not_after: na
        })
    );
    // It was valid then; the check uses the time given, not the clock. The edges as
    // OpenSSL has them: from notBefore (included) to notAfter (excluded), whole seconds.
    verify_chain(&c.pem(), &c.roots(), nb).unwrap();
    verify_chain(&c.pem(), &c.roots(), nb + Duration::milliseconds(500)).unwrap();
    verify_chain(&c.pem(), &c.roots(), na - Duration::seconds(1)).unwrap();
    verify_chain(&c.pem(), &c.roots(), na - Duration::milliseconds(1)).unwrap();
    for at in [
        na,
        na + Duration::milliseconds(999),
        na + Duration::seconds(1),
    ] {
        assert!(matches!(
            verify_chain(&c.pem(), &c.roots(), at),
            Err(CertError::Expired { .. })
        ));
    }
}

#[test]
fn before_not_before_is_not_valid_yet() {
    let c = Chain::new(Validity::days(30));
    let nb = inspect(&c.leaf.cert_pem).unwrap().not_before;
    let at = nb - Duration::seconds(1);
    match verify_chain(&c.pem(), &c.roots(), at) {
        Err(CertError::Expired {
            at: a, not_before, ..
        }) => {
            assert_eq!(a, at);
            assert_eq!(not_before, nb);
        }
        r => panic!("{r:?}"),
    }
    // Within the leaf's validity, but the CAs are not valid yet far in the past.
    let far = Chain::new(Period::between(
        utc("2000-01-01T00:00:00Z"),
        utc("2099-01-01T00:00:00Z"),
    ));
    match verify_chain(&far.pem(), &far.roots(), utc("2001-01-01T00:00:00Z")) {
        Err(CertError::Untrusted(reason)) => assert!(reason.contains("not yet valid"), "{reason}"),
        r => panic!("{r:?}"),
    }
}

#[test]
fn an_expired_intermediate_is_untrusted() {
    let root = Authority::new("root", Validity::days(3650)).unwrap();
    let sub = root
        .intermediate(
            "old sub-CA",
            Period::between(utc("2020-01-01T00:00:00Z"), utc("2021-01-01T00:00:00Z")),
        )
        .unwrap();
    let leaf = sub.client("CP", Validity::days(30)).unwrap();
    let chain = format!("{}{}", leaf.cert_pem, sub.root.cert_pem);
    match verify_chain(
        &chain,
        std::slice::from_ref(&root.root.cert_pem),
        Utc::now(),
    ) {
        Err(CertError::Untrusted(reason)) => assert!(reason.contains("expired"), "{reason}"),
        r => panic!("{r:?}"),
    }
}

#[test]
fn a_leaf_cannot_act_as_a_ca() {
    // A client certificate (CA:FALSE) that issues another one: OpenSSL refuses the chain.
    let root = Authority::new("root", Validity::days(30)).unwrap();
    let client = root.client("CP", Validity::days(30)).unwrap();
    let fake = Authority {
        root: client.clone(),
    };
    let victim = fake.client("victim", Validity::days(30)).unwrap();
    let chain = format!("{}{}", victim.cert_pem, client.cert_pem);
    match verify_chain(
        &chain,
        std::slice::from_ref(&root.root.cert_pem),
        Utc::now(),
    ) {
        Err(CertError::Untrusted(reason)) => assert!(reason.contains("CA"), "{reason}"),
        r => panic!("{r:?}"),
    }
    // Neither Authority::from_pem nor sign_csr accepts it as a CA.
    assert!(is_malformed(
        Authority::from_pem(&client.cert_pem, &client.key_pem).map(|_| ())
    ));
    let csr = generate_csr("victim", "org").unwrap();
    assert!(is_malformed(sign_csr(
        &csr.csr_pem,
        &client.cert_pem,
        &client.key_pem,
        Utc::now(),
        1
    )));
}

// ---------------------------------------------------------------- CSRs

#[test]
fn csr_round_trip() {
    let ca = Authority::new("CSMS CA", Validity::days(365)).unwrap();
    let csr = generate_csr("CP042", "Example CPO").unwrap();
    assert!(csr
        .csr_pem
        .starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
    assert!(csr.key_pem.starts_with("-----BEGIN PRIVATE KEY-----")); // PKCS#8
    let debug = format!("{csr:?}");
    assert!(!debug.contains("PRIVATE KEY") && !debug.contains(&csr.key_pem[40..80]));

    // The request: subject O then CN, RSA 2048, SHA-256, self-signed.
    let req = X509Req::from_pem(csr.csr_pem.as_bytes()).unwrap();
    let entries: Vec<(Nid, String)> = req
        .subject_name()
        .entries()
        .map(|e| {
            (
                e.object().nid(),
                String::from_utf8(e.data().as_slice().to_vec()).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            (Nid::ORGANIZATIONNAME, "Example CPO".to_string()),
            (Nid::COMMONNAME, "CP042".to_string())
        ]
    );
    let req_key = req.public_key().unwrap();
    assert_eq!(req_key.bits(), 2048);
    assert!(req.verify(&req_key).unwrap());

    let now = Utc::now();
    let start = Utc.timestamp_opt(now.timestamp() - 60, 0).unwrap();
    let cert = sign_csr(&csr.csr_pem, &ca.root.cert_pem, &ca.root.key_pem, start, 30).unwrap();
    verify_chain(&cert, std::slice::from_ref(&ca.root.cert_pem), now).unwrap();
    assert!(key_matches(&cert, &csr.key_pem).unwrap());
    let other = generate_csr("CP042", "Example CPO").unwrap();
    assert!(!key_matches(&cert, &other.key_pem).unwrap());

    let info = inspect(&cert).unwrap();
    assert_eq!(info.subject_cn.as_deref(), Some("CP042"));
    assert_eq!(info.subject_o.as_deref(), Some("Example CPO"));
    assert_eq!(info.issuer_cn.as_deref(), Some("CSMS CA"));
    assert_eq!(info.not_before, start);
    assert_eq!(info.not_after, start + Duration::days(30));
    assert!(!info.is_ca && !info.self_signed);
    assert!(info.serial_hex.len() <= 32);

    // A TLS client certificate.
    let x = X509::from_pem(cert.as_bytes()).unwrap();
    let eku = x.extended_key_usage().unwrap();
    assert!(eku.contains(openssl::x509::X509ExtendedKeyUsage::SSL_CLIENT));
    let ku = x.key_usage().unwrap();
    assert!(ku.contains(openssl::x509::X509KeyUsage::DIGITAL_SIGNATURE));
    assert!(ku.contains(openssl::x509::X509KeyUsage::KEY_ENCIPHERMENT));
    let ca_x = X509::from_pem(ca.root.cert_pem.as_bytes()).unwrap();
    assert_eq!(
        x.authority_key_id().unwrap().as_slice(),
        ca_x.subject_key_id().unwrap().as_slice()
    );
    assert!(x.subject_key_id().is_some());

    // Two certificates from the same request differ in serial number.
    let again = sign_csr(&csr.csr_pem, &ca.root.cert_pem, &ca.root.key_pem, start, 30).unwrap();
    assert_ne!(inspect(&again).unwrap().serial_hex, info.serial_hex);

    // Not valid before its start, nor after its end.
    assert!(matches!(
        verify_chain(
            &cert,
            std::slice::from_ref(&ca.root.cert_pem),
            start + Duration::days(31)
        ),
        Err(CertError::Expired { .. })
    ));
}

#[test]
fn sign_csr_refuses_a_tampered_request() {
    let ca = Authority::new("CSMS CA", Validity::days(365)).unwrap();
    let csr = generate_csr("CP042", "Example CPO").unwrap();
    let mut der = X509Req::from_pem(csr.csr_pem.as_bytes())
        .unwrap()
        .to_der()
        .unwrap();
    let at = der.windows(5).position(|w| w == b"CP042").unwrap();
    der[at + 4] = b'3'; // CN=CP043: still a well-formed request
    let tampered = X509Req::from_der(&der).unwrap();
    let tampered = String::from_utf8(tampered.to_pem().unwrap()).unwrap();
    assert!(tampered.contains("REQUEST"));
    assert_ne!(tampered, csr.csr_pem);
    match sign_csr(
        &tampered,
        &ca.root.cert_pem,
        &ca.root.key_pem,
        Utc::now(),
        30,
    ) {
        Err(CertError::Malformed(reason)) => assert!(reason.contains("signature"), "{reason}"),
        r => panic!("{r:?}"),
    }
    // Garbage, and a CA key that is not the CA certificate's.
    assert!(is_malformed(sign_csr(
        "junk",
        &ca.root.cert_pem,
        &ca.root.key_pem,
        Utc::now(),
        30
    )));
    let other = Authority::new("other", Validity::days(30)).unwrap();
    assert!(is_malformed(sign_csr(
        &csr.csr_pem,
        &ca.root.cert_pem,
        &other.root.key_pem,
        Utc::now(),
        30
    )));
    assert!(is_malformed(sign_csr(
        &csr.csr_pem,
        &ca.root.cert_pem,
        "junk",
        Utc::now(),
        30
    )));
}

#[test]
fn generate_csr_refuses_an_empty_name() {
    assert!(is_malformed(generate_csr("", "Example CPO")));
}

#[test]
fn key_matches_bad_input() {
    let c = Chain::new(Validity::days(30));
    assert!(key_matches(&c.leaf.cert_pem, &c.leaf.key_pem).unwrap());
    assert!(!key_matches(&c.leaf.cert_pem, &c.root.root.key_pem).unwrap());
    assert!(is_malformed(key_matches("junk", &c.leaf.key_pem)));
    match key_matches(&c.leaf.cert_pem, "junk") {
        Err(CertError::Malformed(m)) => assert!(!m.contains("junk")),
        r => panic!("{r:?}"),
    }
    // Nor does an error quote a key that almost parses.
    let broken = c.leaf.key_pem.replacen("MII", "MIJ", 1);
    match key_matches(&c.leaf.cert_pem, &broken) {
        Err(e) => assert!(!e.to_string().contains(&broken[30..70])),
        Ok(m) => assert!(!m),
    }
}

// ---------------------------------------------------------------- the pki additions

#[test]
fn an_authority_from_pem_issues_certificates_its_root_verifies() {
    let ca = Authority::new("root", Validity::days(30)).unwrap();
    let again = Authority::from_pem(&ca.root.cert_pem, &ca.root.key_pem).unwrap();
    assert_eq!(again.root.cert_pem, ca.root.cert_pem);
    let leaf = again.client("CP", Validity::days(1)).unwrap();
    verify_chain(
        &leaf.cert_pem,
        std::slice::from_ref(&ca.root.cert_pem),
        Utc::now(),
    )
    .unwrap();
    let other = Authority::new("other", Validity::days(30)).unwrap();
    assert!(is_malformed(
        Authority::from_pem(&ca.root.cert_pem, &other.root.key_pem).map(|_| ())
    ));
    assert!(is_malformed(
        Authority::from_pem("junk", &ca.root.key_pem).map(|_| ())
    ));
    // Neither Issued nor Authority shows a key.
    assert!(!format!("{again:?}").contains("PRIVATE"));
}

// ---------------------------------------------------------------- verify_signature

/// A reader that yields odd-sized pieces and is interrupted now and then.
struct Choppy<'a> {
    data: &'a [u8],
    calls: usize,
}

impl Read for Choppy<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(7) {
            return Err(std::io::ErrorKind::Interrupted.into());
        }
        let n = buf
            .len()
            .min(self.data.len())
            .min(1 + self.calls * 997 % 70_000);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

struct Failing;

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("disk on fire"))
    }
}

fn firmware() -> Vec<u8> {
    (0..300_000u32).map(|i| (i * 31 % 251) as u8).collect()
}

fn sign(key: &PKey<Private>, data: &[u8]) -> Vec<u8> {
    let mut s = Signer::new(MessageDigest::sha256(), key).unwrap();
    s.update(data).unwrap();
    s.sign_to_vec().unwrap()
}

/// A self-signed P-256 certificate (no extensions) with this serial number, and its key.
fn ec_self_signed(serial: u32, cn: Option<&str>) -> (String, PKey<Private>) {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    if let Some(cn) = cn {
        name.append_entry_by_text("CN", cn).unwrap();
    }
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let serial = BigNum::from_u32(serial).unwrap().to_asn1_integer().unwrap();
    b.set_serial_number(&serial).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(0).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::from_unix(4_000_000_000).unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    (String::from_utf8(b.build().to_pem().unwrap()).unwrap(), key)
}

#[test]
fn verify_signature_rsa() {
    let c = Chain::new(Validity::days(30));
    let key = PKey::private_key_from_pem(c.leaf.key_pem.as_bytes()).unwrap();
    let data = firmware();
    let sig = sign(&key, &data);
    assert_eq!(sig.len(), 256);
    let mut reader = Choppy {
        data: &data,
        calls: 0,
    };
    assert!(verify_signature(&c.leaf.cert_pem, &mut reader, &sig).unwrap());
    assert!(reader.calls > 10);
    assert!(verify_signature(&c.leaf.cert_pem, &mut data.as_slice(), &sig).unwrap());

    let mut modified = data.clone();
    modified[123_456] ^= 1;
    assert!(!verify_signature(&c.leaf.cert_pem, &mut modified.as_slice(), &sig).unwrap());
    // Another key's certificate, a bad signature, a short one, none.
    assert!(!verify_signature(&c.root.root.cert_pem, &mut data.as_slice(), &sig).unwrap());
    let mut bad = sig.clone();
    bad[10] ^= 0x80;
    assert!(!verify_signature(&c.leaf.cert_pem, &mut data.as_slice(), &bad).unwrap());
    assert!(!verify_signature(&c.leaf.cert_pem, &mut data.as_slice(), &sig[..100]).unwrap());
    assert!(!verify_signature(&c.leaf.cert_pem, &mut data.as_slice(), &[]).unwrap());
}

#[test]
fn verify_signature_ecdsa_p256() {
    let (cert, key) = ec_self_signed(7, Some("firmware signer"));
    let data = firmware();
    let sig = sign(&key, &data);
    assert_eq!(sig[0], 0x30); // DER ECDSA-Sig-Value
    let mut reader = Choppy {
        data: &data,
        calls: 0,
    };
    assert!(verify_signature(&cert, &mut reader, &sig).unwrap());
    let mut modified = data.clone();
    modified[0] ^= 0xff;
    assert!(!verify_signature(&cert, &mut modified.as_slice(), &sig).unwrap());
    // Not DER at all (a raw r||s signature, random bytes): a bad signature.
    assert!(!verify_signature(&cert, &mut data.as_slice(), &[0x42; 64]).unwrap());
    // An RSA signature against the EC key.
    let rsa = Chain::new(Validity::days(30));
    let rsa_key = PKey::private_key_from_pem(rsa.leaf.key_pem.as_bytes()).unwrap();
    let rsa_sig = sign(&rsa_key, &data);
    assert!(!verify_signature(&cert, &mut data.as_slice(), &rsa_sig).unwrap());
    // Empty data is data too.
    let empty_sig = sign(&key, b"");
    assert!(verify_signature(&cert, &mut std::io::empty(), &empty_sig).unwrap());
}

#[test]
fn verify_signature_errors() {
    let (cert, key) = ec_self_signed(7, None);
    let sig = sign(&key, b"data");
    assert!(is_malformed(verify_signature(
        "junk",
        &mut &b"data"[..],
        &sig
    )));
    match verify_signature(&cert, &mut Failing, &sig) {
        Err(CertError::Crypto(m)) => assert!(m.contains("disk on fire"), "{m}"),
        r => panic!("{r:?}"),
    }
    // An Ed25519 certificate: neither RSA nor ECDSA.
    let ed = PKey::generate_ed25519().unwrap();
    let name = X509NameBuilder::new().unwrap().build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&ed).unwrap();
    b.set_not_before(&Asn1Time::from_unix(0).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::from_unix(4_000_000_000).unwrap())
        .unwrap();
    b.sign(&ed, MessageDigest::null()).unwrap();
    let ed_cert = String::from_utf8(b.build().to_pem().unwrap()).unwrap();
    match verify_signature(&ed_cert, &mut &b"data"[..], &sig) {
        Err(CertError::Crypto(m)) => assert!(m.contains("unsupported"), "{m}"),
        r => panic!("{r:?}"),
    }
    // inspect and hash_data still work on it.
    assert!(inspect(&ed_cert).unwrap().self_signed);
    assert_eq!(hash_data(&ed_cert, None).unwrap().issuer_key_hash.len(), 64);
}
