//! Certificate management of the security extension on the bare state machine, named after
//! the OCA test cases they follow: InstallCertificate, GetInstalledCertificateIds,
//! DeleteCertificate, SignCertificate / CertificateSigned (on request and by itself before
//! expiry), and the SecurityProfile rules that depend on certificates. Real certificates
//! from `certs::pki`, valid around the harness clock.

mod harness;

use certs::pki::{Authority, Issued, Validity};
use chrono::{DateTime, Duration, Utc};
use harness::*;
use ocpp::{Call, Frame};
use serde_json::{json, Value};
use station::{Input, Output, StationConfig};
use store::Store;

const ID: &str = "CP001";
const CPO: &str = "Example CPO";
const KEY: &str = "00112233445566778899aabbccddeeff";

/// A validity period from `from` to `until` relative to the harness clock (`certs::pki`
/// counts from the system clock).
fn around_t0(from: Duration, until: Duration) -> Validity {
    let offset = T0 - Utc::now().timestamp();
    Validity {
        from_secs: offset + from.num_seconds(),
        until_secs: offset + until.num_seconds(),
    }
}

/// From an hour before the harness clock for `days` days.
fn days(days: i64) -> Validity {
    around_t0(Duration::hours(-1), Duration::days(days))
}

fn authority(cn: &str) -> Authority {
    Authority::new(cn, days(3650)).unwrap()
}

/// The Central System's CA (also its root certificate) and a charge point certificate it
/// issued, valid for `cp_days` days.
struct Pki {
    ca: Authority,
    cp: Issued,
}

fn pki(cp_days: i64) -> Pki {
    let ca = authority("CSMS root CA");
    let cp = ca.client(ID, days(cp_days)).unwrap();
    Pki { ca, cp }
}

/// A station provisioned with `pki` (root and charge point certificate; None: nothing),
/// identity CP001, CpoName set, plus `keys`.
fn config(pki: Option<&Pki>, keys: &[(&str, &str)]) -> StationConfig {
    let mut cfg = StationConfig::new(info(), 2);
    cfg.identity = ID.into();
    cfg.initial_keys = [("CpoName", CPO)]
        .iter()
        .chain(keys)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(p) = pki {
        cfg.central_system_roots = vec![p.ca.root.cert_pem.clone()];
        cfg.charge_point_certificate = Some((p.cp.cert_pem.clone(), p.cp.key_pem.clone()));
    }
    cfg
}

fn station_with(cfg: StationConfig, store: Box<dyn Store>) -> Harness {
    let mut h = Harness::with_config(cfg, store, t0(), [1000.0, 5000.0]);
    h.boot();
    h
}

fn booted(cfg: StationConfig) -> Harness {
    station_with(cfg, Box::new(store::MemoryStore::new()))
}

fn sqlite(dir: &tempfile::TempDir) -> Box<dyn Store> {
    Box::new(store::SqliteStore::open(&dir.path().join("station.db")).unwrap())
}

fn status(h: &mut Harness, action: &str, payload: Value) -> String {
    let answer = result_payload(h.csms_call(action, payload));
    answer["status"].as_str().unwrap().to_string()
}

/// A CALL from the Central System, fed straight to the station: its answer and the outputs
/// other than frames (the harness drops those); other frames go to `h.sent`.
fn call_with_outputs(h: &mut Harness, action: &str, payload: Value) -> (Value, Vec<Output>) {
    let text = Frame::Call(Call {
        unique_id: "cs-out".into(),
        action: action.into(),
        payload,
    })
    .to_text();
    h.station.handle(Input::Received(text), h.time());
    let (answer, outputs) = drain(h);
    (answer.expect("an answer"), outputs)
}

/// Take the station's outputs: the answer to "cs-out" and the non-frame outputs.
fn drain(h: &mut Harness) -> (Option<Value>, Vec<Output>) {
    let mut answer = None;
    let mut outputs = Vec::new();
    while let Some(out) = h.station.poll_output() {
        match out {
            Output::Send(text) => match Frame::parse(&text).unwrap() {
                Frame::CallResult(r) if r.unique_id == "cs-out" => answer = Some(r.payload),
                other => h.sent.push(other),
            },
            other => outputs.push(other),
        }
    }
    (answer, outputs)
}

fn hash_json(hash: &certs::HashData) -> Value {
    json!({
        "hashAlgorithm": hash.hash_algorithm,
        "issuerNameHash": hash.issuer_name_hash,
        "issuerKeyHash": hash.issuer_key_hash,
        "serialNumber": hash.serial_number,
    })
}

fn installed_ids(h: &mut Harness, kind: &str) -> Value {
    result_payload(h.csms_call(
        "GetInstalledCertificateIds",
        json!({"certificateType": kind}),
    ))
}

fn install(h: &mut Harness, kind: &str, pem: &str) -> String {
    status(
        h,
        "InstallCertificate",
        json!({"certificateType": kind, "certificate": pem}),
    )
}

fn delete(h: &mut Harness, hash: &certs::HashData) -> String {
    status(
        h,
        "DeleteCertificate",
        json!({"certificateHashData": hash_json(hash)}),
    )
}

/// ExtendedTriggerMessage(SignChargePointCertificate): the status, and the CSR of the
/// SignCertificate.req that followed (answered Accepted).
fn trigger_sign(h: &mut Harness) -> (String, Option<String>) {
    let status = status(
        h,
        "ExtendedTriggerMessage",
        json!({"requestedMessage": "SignChargePointCertificate"}),
    );
    let calls = h.take_calls();
    let Some(call) = calls.first() else {
        return (status, None);
    };
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(call.action, "SignCertificate");
    let csr = call.payload["csr"].as_str().unwrap().to_string();
    h.answer(call, json!({"status": "Accepted"}));
    (status, Some(csr))
}

/// `ca` signs `csr` for a year from an hour before now.
fn sign(ca: &Authority, csr: &str, now: DateTime<Utc>) -> String {
    certs::sign_csr(
        csr,
        &ca.root.cert_pem,
        &ca.root.key_pem,
        now - Duration::hours(1),
        365,
    )
    .unwrap()
}

/// CertificateSigned.req: the status and the non-frame outputs.
fn certificate_signed(h: &mut Harness, chain: &str) -> (String, Vec<Output>) {
    let (answer, outputs) =
        call_with_outputs(h, "CertificateSigned", json!({"certificateChain": chain}));
    (answer["status"].as_str().unwrap().to_string(), outputs)
}

fn invalid_cp_certificate_events(h: &mut Harness) -> Vec<String> {
    h.answer_all()
        .into_iter()
        .filter(|c| c.action == "SecurityEventNotification")
        .map(|c| {
            assert_eq!(c.payload["type"], "InvalidChargePointCertificate");
            c.payload["techInfo"].as_str().unwrap_or("").to_string()
        })
        .collect()
}

fn same_cert(a: &str, b: &str) -> bool {
    let strip = |s: &str| -> String { s.chars().filter(|c| !c.is_whitespace()).collect() };
    strip(a) == strip(b)
}

fn change(h: &mut Harness, key: &str, value: &str) -> String {
    status(
        h,
        "ChangeConfiguration",
        json!({"key": key, "value": value}),
    )
}

#[test]
fn provisioned_certificates_are_installed_once_and_used_for_tls() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki(365);
    let mut h = station_with(config(Some(&p), &[]), sqlite(&dir));
    let roots = h.station.tls_roots();
    assert_eq!(roots.len(), 1);
    assert!(same_cert(&roots[0], &p.ca.root.cert_pem));
    let (chain, key) = h.station.tls_identity(h.now).expect("an identity");
    assert!(same_cert(&chain, &p.cp.cert_pem));
    assert_eq!(key, p.cp.key_pem);
    // A restart on the same store installs nothing twice.
    h.restart([1000.0, 5000.0]);
    h.boot();
    assert_eq!(h.station.tls_roots().len(), 1);
    let ids = installed_ids(&mut h, "CentralSystemRootCertificate");
    assert_eq!(ids["certificateHashData"].as_array().unwrap().len(), 1);
    // A certificate with somebody else's key could never connect: not installed.
    let mut cfg = config(Some(&p), &[]);
    cfg.charge_point_certificate = Some((p.cp.cert_pem.clone(), p.ca.root.key_pem.clone()));
    let h = booted(cfg);
    assert_eq!(h.station.tls_identity(h.now), None);
    assert_eq!(h.station.tls_roots().len(), 1);
    // Nothing provisioned: nothing installed.
    let mut h = booted(config(None, &[]));
    assert!(h.station.tls_roots().is_empty());
    assert_eq!(h.station.tls_identity(h.now), None);
    assert_eq!(
        installed_ids(&mut h, "CentralSystemRootCertificate"),
        json!({"status": "NotFound"})
    );
}

#[test]
fn authorization_key_gives_its_bytes() {
    let mut h = booted(config(None, &[]));
    assert_eq!(h.station.authorization_key(), None);
    assert_eq!(change(&mut h, "AuthorizationKey", KEY), "Accepted");
    assert_eq!(
        h.station.authorization_key(),
        Some((0..16u8).map(|i| i * 0x11).collect::<Vec<u8>>())
    );
}

#[test]
fn tc_074_update_charge_point_certificate_by_request_of_central_system() {
    let p = pki(365);
    let mut h = booted(config(Some(&p), &[]));
    let (status, csr) = trigger_sign(&mut h);
    assert_eq!(status, "Accepted");
    let csr = csr.expect("SignCertificate.req sent");
    assert!(csr.contains("BEGIN CERTIFICATE REQUEST"), "{csr}");
    let signed = sign(&p.ca, &csr, h.now);
    let info = certs::inspect(&signed).unwrap();
    assert_eq!(info.subject_cn.as_deref(), Some(ID), "CN: the identity");
    assert_eq!(info.subject_o.as_deref(), Some(CPO), "O: the CpoName");

    let (status, outputs) = certificate_signed(&mut h, &signed);
    assert_eq!(status, "Accepted");
    assert_eq!(
        outputs,
        [Output::ConfigChanged {
            key: "ChargePointCertificate".into(),
            value: "installed".into()
        }]
    );
    assert!(invalid_cp_certificate_events(&mut h).is_empty());
    let (chain, key) = h.station.tls_identity(h.now).expect("an identity");
    assert!(same_cert(&chain, &signed), "the new certificate is used");
    assert!(
        certs::key_matches(&chain, &key).unwrap(),
        "with its new key"
    );
    assert_ne!(key, p.cp.key_pem);

    // The previous certificate is kept: it can be deleted now, the new one then cannot.
    let old = certs::hash_data(&p.cp.cert_pem, Some(&p.ca.root.cert_pem)).unwrap();
    let new = certs::hash_data(&signed, Some(&p.ca.root.cert_pem)).unwrap();
    assert_eq!(delete(&mut h, &old), "Accepted");
    assert_eq!(
        delete(&mut h, &new),
        "Failed",
        "the last ChargePointCertificate"
    );

    // The same chain again: no key waits for it any more.
    let (status, _) = certificate_signed(&mut h, &signed);
    assert_eq!(status, "Rejected");
    assert_eq!(invalid_cp_certificate_events(&mut h).len(), 1);
}

#[test]
fn at_most_two_charge_point_certificates_are_kept() {
    let p = pki(365);
    let mut h = booted(config(Some(&p), &[]));
    let mut signed = Vec::new();
    for _ in 0..3 {
        h.advance(60);
        let (_, csr) = trigger_sign(&mut h);
        let chain = sign(&p.ca, &csr.unwrap(), h.now);
        assert_eq!(certificate_signed(&mut h, &chain).0, "Accepted");
        signed.push(chain);
    }
    let hash = |pem: &str| certs::hash_data(pem, Some(&p.ca.root.cert_pem)).unwrap();
    assert_eq!(delete(&mut h, &hash(&p.cp.cert_pem)), "NotFound");
    assert_eq!(delete(&mut h, &hash(&signed[0])), "NotFound");
    assert_eq!(delete(&mut h, &hash(&signed[1])), "Accepted");
    assert!(same_cert(
        &h.station.tls_identity(h.now).unwrap().0,
        &signed[2]
    ));
}

#[test]
fn sign_certificate_rejected_drops_the_pending_key() {
    let p = pki(365);
    let mut h = booted(config(Some(&p), &[]));
    let status = self::status(
        &mut h,
        "ExtendedTriggerMessage",
        json!({"requestedMessage": "SignChargePointCertificate"}),
    );
    assert_eq!(status, "Accepted");
    let call = h.expect_call("SignCertificate");
    h.answer(&call, json!({"status": "Rejected"}));
    let signed = sign(&p.ca, call.payload["csr"].as_str().unwrap(), h.now);
    assert_eq!(certificate_signed(&mut h, &signed).0, "Rejected");
    let info = invalid_cp_certificate_events(&mut h);
    assert_eq!(info.len(), 1);
    assert!(info[0].contains("no key pair waits"), "{info:?}");
}

#[test]
fn sign_certificate_needs_a_cpo_name() {
    let p = pki(365);
    let mut cfg = config(Some(&p), &[]);
    cfg.initial_keys.clear();
    let mut h = booted(cfg);
    let (status, csr) = trigger_sign(&mut h);
    assert_eq!(status, "Rejected", "CpoName is empty");
    assert_eq!(csr, None);
    assert_eq!(change(&mut h, "CpoName", CPO), "Accepted");
    assert_eq!(trigger_sign(&mut h).0, "Accepted");
}

#[test]
fn the_identity_defaults_to_the_installed_certificates_name() {
    let p = pki(365);
    let mut cfg = config(Some(&p), &[]);
    cfg.identity = String::new();
    let mut h = booted(cfg);
    let (status, csr) = trigger_sign(&mut h);
    assert_eq!(status, "Accepted");
    let signed = sign(&p.ca, &csr.unwrap(), h.now);
    assert_eq!(
        certs::inspect(&signed).unwrap().subject_cn.as_deref(),
        Some(ID)
    );
    // No identity and no certificate: no CSR.
    let mut cfg = config(None, &[]);
    cfg.identity = String::new();
    let mut h = booted(cfg);
    assert_eq!(trigger_sign(&mut h), ("Rejected".to_string(), None));
}

#[test]
fn tc_075_1_install_manufacturer_root_certificate() {
    let p = pki(365);
    let mut h = booted(config(Some(&p), &[]));
    assert_eq!(
        installed_ids(&mut h, "ManufacturerRootCertificate"),
        json!({"status": "NotFound"})
    );
    let maker = authority("Manufacturer root");
    assert_eq!(
        install(&mut h, "ManufacturerRootCertificate", &maker.root.cert_pem),
        "Accepted"
    );
    let ids = installed_ids(&mut h, "ManufacturerRootCertificate");
    assert_eq!(ids["status"], "Accepted");
    let expected = certs::hash_data(&maker.root.cert_pem, None).unwrap();
    assert_eq!(ids["certificateHashData"], json!([hash_json(&expected)]));
    // Not a Central System root: not trusted for TLS.
    assert_eq!(h.station.tls_roots().len(), 1);
}

#[test]
fn tc_075_2_install_central_system_root_certificate() {
    let p = pki(365);
    let mut h = booted(config(Some(&p), &[]));
    let other = authority("Another CSMS root");
    assert_eq!(
        install(&mut h, "CentralSystemRootCertificate", &other.root.cert_pem),
        "Accepted"
    );
    let ids = installed_ids(&mut h, "CentralSystemRootCertificate");
    assert_eq!(ids["status"], "Accepted");
    let expected = [&p.ca.root.cert_pem, &other.root.cert_pem]
        .map(|pem| hash_json(&certs::hash_data(pem, None).unwrap()));
    assert_eq!(ids["certificateHashData"], json!(expected));
    // Trusted from the next connection on: the drivers ask at every connection.
    let roots = h.station.tls_roots();
    assert_eq!(roots.len(), 2);
    assert!(same_cert(&roots[1], &other.root.cert_pem));
    assert_eq!(
        installed_ids(&mut h, "ManufacturerRootCertificate"),
        json!({"status": "NotFound"})
    );
}

#[test]
fn installing_a_certificate_again_is_accepted_without_a_duplicate() {
    let p = pki(365);
    let mut h = booted(config(Some(&p), &[]));
    assert_eq!(
        install(&mut h, "CentralSystemRootCertificate", &p.ca.root.cert_pem),
        "Accepted"
    );
    let ids = installed_ids(&mut h, "CentralSystemRootCertificate");
    assert_eq!(ids["certificateHashData"].as_array().unwrap().len(), 1);
}

#[test]
fn install_rejects_expired_non_ca_and_garbage() {
    let p = pki(365);
    let mut h = booted(config(Some(&p), &[]));
    let expired = Authority::new(
        "Expired",
        around_t0(Duration::days(-30), Duration::days(-1)),
    )
    .unwrap();
    let future =
        Authority::new("Future", around_t0(Duration::days(1), Duration::days(30))).unwrap();
    let garbage_pem =
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    let two = format!(
        "{}{}",
        p.ca.root.cert_pem,
        authority("Second").root.cert_pem
    );
    for (what, pem) in [
        ("expired", expired.root.cert_pem.as_str()),
        ("not yet valid", future.root.cert_pem.as_str()),
        ("neither CA nor self-signed", p.cp.cert_pem.as_str()),
        ("garbage", "hello"),
        ("garbage PEM", garbage_pem),
        ("two certificates", two.as_str()),
    ] {
        for kind in [
            "CentralSystemRootCertificate",
            "ManufacturerRootCertificate",
        ] {
            assert_eq!(install(&mut h, kind, pem), "Rejected", "{what} as {kind}");
        }
    }
    assert_eq!(h.station.tls_roots().len(), 1);
    assert_eq!(
        installed_ids(&mut h, "ManufacturerRootCertificate"),
        json!({"status": "NotFound"})
    );
}

#[test]
fn install_fails_when_the_store_is_full() {
    let p = pki(365);
    let mut h = booted(config(Some(&p), &[]));
    let max = h.station.config().current().certificate_store_max_length;
    assert_eq!(max, 10);
    // One Central System root is provisioned; Central System and manufacturer roots count
    // together.
    for i in 1..max {
        let kind = if i % 2 == 0 {
            "CentralSystemRootCertificate"
        } else {
            "ManufacturerRootCertificate"
        };
        let root = authority(&format!("root {i}"));
        assert_eq!(
            install(&mut h, kind, &root.root.cert_pem),
            "Accepted",
            "{i}"
        );
    }
    let one_more = authority("one too many");
    for kind in [
        "CentralSystemRootCertificate",
        "ManufacturerRootCertificate",
    ] {
        assert_eq!(install(&mut h, kind, &one_more.root.cert_pem), "Failed");
    }
    // An installed one again is still fine.
    assert_eq!(
        install(&mut h, "CentralSystemRootCertificate", &p.ca.root.cert_pem),
        "Accepted"
    );
    // Room again after a delete.
    let first = certs::hash_data(&p.ca.root.cert_pem, None).unwrap();
    assert_eq!(delete(&mut h, &first), "Accepted");
    assert_eq!(
        install(
            &mut h,
            "CentralSystemRootCertificate",
            &one_more.root.cert_pem
        ),
        "Accepted"
    );
}

#[test]
fn tc_076_delete_a_specific_certificate() {
    let p = pki(365);
    let mut h = booted(config(Some(&p), &[]));
    let other = authority("Another CSMS root");
    let maker = authority("Manufacturer root");
    install(&mut h, "CentralSystemRootCertificate", &other.root.cert_pem);
    install(&mut h, "ManufacturerRootCertificate", &maker.root.cert_pem);
    let root = certs::hash_data(&p.ca.root.cert_pem, None).unwrap();
    let other_hash = certs::hash_data(&other.root.cert_pem, None).unwrap();
    let maker_hash = certs::hash_data(&maker.root.cert_pem, None).unwrap();

    // Hex in upper case names the same certificate.
    let mut upper = other_hash.clone();
    upper.issuer_name_hash = upper.issuer_name_hash.to_uppercase();
    upper.issuer_key_hash = upper.issuer_key_hash.to_uppercase();
    upper.serial_number = upper.serial_number.to_uppercase();
    assert_eq!(delete(&mut h, &upper), "Accepted");
    let ids = installed_ids(&mut h, "CentralSystemRootCertificate");
    assert_eq!(ids["certificateHashData"], json!([hash_json(&root)]));
    assert_eq!(delete(&mut h, &other_hash), "NotFound", "gone");

    // Unknown: another serial number, or another issuer key.
    let mut unknown = root.clone();
    unknown.serial_number = "1234".into();
    assert_eq!(delete(&mut h, &unknown), "NotFound");
    let mut unknown = root.clone();
    unknown.issuer_key_hash = maker_hash.issuer_key_hash.clone();
    assert_eq!(delete(&mut h, &unknown), "NotFound");

    // AQ-1 and AQ-3.
    assert_eq!(
        delete(&mut h, &root),
        "Failed",
        "the last Central System root"
    );
    let cp = certs::hash_data(&p.cp.cert_pem, Some(&p.ca.root.cert_pem)).unwrap();
    assert_eq!(
        delete(&mut h, &cp),
        "Failed",
        "the last charge point certificate"
    );
    assert_eq!(h.station.tls_roots().len(), 1);
    assert!(h.station.tls_identity(h.now).is_some());

    assert_eq!(
        delete(&mut h, &maker_hash),
        "Accepted",
        "any manufacturer root"
    );
    assert_eq!(
        installed_ids(&mut h, "ManufacturerRootCertificate"),
        json!({"status": "NotFound"})
    );
}

#[test]
fn tc_077_invalid_charge_point_certificate_security_event() {
    let p = pki(365);
    let mut h = booted(config(Some(&p), &[]));
    let (_, csr) = trigger_sign(&mut h);
    let csr = csr.unwrap();
    let stranger = authority("Unknown CA");
    let from_stranger = sign(&stranger, &csr, h.now);
    let other_key = p.ca.client(ID, days(365)).unwrap().cert_pem;
    let garbage =
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    for (what, chain, why) in [
        (
            "signed by another CA",
            from_stranger.as_str(),
            "does not verify",
        ),
        ("another key", other_key.as_str(), "public key"),
        ("garbage", garbage, "not a PEM certificate chain"),
        ("no PEM", "hello", "PEM"),
    ] {
        let (status, outputs) = certificate_signed(&mut h, chain);
        assert_eq!(status, "Rejected", "{what}");
        assert!(outputs.is_empty(), "{what}: {outputs:?}");
        let events = invalid_cp_certificate_events(&mut h);
        assert_eq!(events.len(), 1, "{what}: one SecurityEventNotification");
        assert!(events[0].contains(why), "{what}: {events:?}");
        assert!(!events[0].contains("PRIVATE"), "no secrets");
    }
    let log = h.station.security_log();
    assert_eq!(
        log.iter()
            .filter(|e| e.kind == "InvalidChargePointCertificate")
            .count(),
        4
    );
    // Still the old certificate; the right chain is still accepted (the key is kept).
    assert!(same_cert(
        &h.station.tls_identity(h.now).unwrap().0,
        &p.cp.cert_pem
    ));
    let good = sign(&p.ca, &csr, h.now);
    assert_eq!(certificate_signed(&mut h, &good).0, "Accepted");
}

#[test]
fn certificate_signed_rejects_an_expired_certificate() {
    let p = pki(365);
    let mut h = booted(config(Some(&p), &[]));
    let (_, csr) = trigger_sign(&mut h);
    let old = certs::sign_csr(
        &csr.unwrap(),
        &p.ca.root.cert_pem,
        &p.ca.root.key_pem,
        h.now - Duration::days(400),
        30,
    )
    .unwrap();
    assert_eq!(certificate_signed(&mut h, &old).0, "Rejected");
    let events = invalid_cp_certificate_events(&mut h);
    assert_eq!(events.len(), 1);
    assert!(events[0].contains("not valid"), "{events:?}");
}

#[test]
fn certificate_signed_chain_longer_than_the_schema_allows_is_a_call_error() {
    let p = pki(365);
    let mut h = booted(config(Some(&p), &[]));
    trigger_sign(&mut h);
    let long = "A".repeat(10_001);
    let answer = h.csms_call("CertificateSigned", json!({"certificateChain": long}));
    assert!(matches!(answer, Some(Frame::CallError(_))), "{answer:?}");
}

#[test]
fn pending_key_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki(365);
    let mut h = station_with(config(Some(&p), &[]), sqlite(&dir));
    let (_, csr) = trigger_sign(&mut h);
    h.restart([1000.0, 5000.0]);
    h.boot();
    let signed = sign(&p.ca, &csr.unwrap(), h.now);
    let (status, _) = certificate_signed(&mut h, &signed);
    assert_eq!(status, "Accepted");
    h.restart([1000.0, 5000.0]);
    let (chain, key) = h.station.tls_identity(h.now).unwrap();
    assert!(same_cert(&chain, &signed));
    assert!(certs::key_matches(&chain, &key).unwrap());
}

/// Answer SignCertificate.req Accepted, everything else as usual; the CSRs sent.
fn answer_all_collecting_csrs(h: &mut Harness) -> Vec<String> {
    h.answer_all_with(|c| (c.action == "SignCertificate").then(|| json!({"status": "Accepted"})))
        .into_iter()
        .filter(|c| c.action == "SignCertificate")
        .map(|c| c.payload["csr"].as_str().unwrap().to_string())
        .collect()
}

fn jump_to(h: &mut Harness, at: DateTime<Utc>) -> Vec<String> {
    h.now = at;
    h.input(Input::Tick);
    answer_all_collecting_csrs(h)
}

#[test]
fn the_certificate_is_renewed_30_days_before_it_expires() {
    let p = pki(45);
    let mut h = Harness::with_config(
        config(Some(&p), &[]),
        Box::new(store::MemoryStore::new()),
        t0(),
        [1000.0, 5000.0],
    );
    h.input(Input::Connected);
    assert!(
        answer_all_collecting_csrs(&mut h).is_empty(),
        "45 days left"
    );
    let deadline = h.wake_at().unwrap();
    assert!(deadline <= t0() + Duration::days(1), "{deadline}");

    let day = |d: i64| t0() + Duration::days(d) + Duration::hours(1);
    assert!(jump_to(&mut h, day(14)).is_empty(), "31 days left");
    let csrs = jump_to(&mut h, day(16));
    assert_eq!(csrs.len(), 1, "29 days left: renewed");
    assert!(jump_to(&mut h, day(16) + Duration::hours(2)).is_empty());
    // A new registration checks again, but asks at most once a day.
    h.csms_call(
        "TriggerMessage",
        json!({"requestedMessage": "BootNotification"}),
    );
    let calls = h.answer_all();
    assert!(calls.iter().any(|c| c.action == "BootNotification"));
    assert!(
        calls.iter().all(|c| c.action != "SignCertificate"),
        "asked today already"
    );
    // Nor after a restart.
    h.restart([1000.0, 5000.0]);
    let calls = h.boot();
    assert!(
        calls.iter().all(|c| c.action != "SignCertificate"),
        "{calls:?}"
    );
    // No certificate came: asked again the next day, with a new key.
    let csrs = jump_to(&mut h, day(17) + Duration::hours(1));
    assert_eq!(csrs.len(), 1, "a day later");
    let signed = sign(&p.ca, &csrs[0], h.now);
    assert_eq!(certificate_signed(&mut h, &signed).0, "Accepted");
    assert!(same_cert(
        &h.station.tls_identity(h.now).unwrap().0,
        &signed
    ));
    // Renewed: a year to go.
    assert!(jump_to(&mut h, day(19)).is_empty());
    assert!(jump_to(&mut h, day(40)).is_empty());
}

#[test]
fn an_expired_certificate_is_renewed_at_registration() {
    let p = pki(365);
    let mut h = Harness::with_config(
        config(Some(&p), &[]),
        Box::new(store::MemoryStore::new()),
        t0() + Duration::days(400),
        [1000.0, 5000.0],
    );
    h.input(Input::Connected);
    assert_eq!(answer_all_collecting_csrs(&mut h).len(), 1);
}

#[test]
fn tc_083_upgrade_to_profile_3_needs_a_valid_certificate() {
    let p = pki(365);
    let mut cfg = config(Some(&p), &[]);
    cfg.charge_point_certificate = None;
    let mut h = booted(cfg);
    assert_eq!(
        change(&mut h, "SecurityProfile", "3"),
        "Rejected",
        "no certificate"
    );
    let (_, csr) = trigger_sign(&mut h);
    let signed = sign(&p.ca, &csr.unwrap(), h.now);
    assert_eq!(certificate_signed(&mut h, &signed).0, "Accepted");
    let (answer, outputs) = call_with_outputs(
        &mut h,
        "ChangeConfiguration",
        json!({"key": "SecurityProfile", "value": "3"}),
    );
    assert_eq!(answer["status"], "Accepted", "no AuthorizationKey needed");
    assert_eq!(
        outputs,
        [Output::ConfigChanged {
            key: "SecurityProfile".into(),
            value: "3".into()
        }]
    );
    assert_eq!(h.station.security_profile(), 3);
}

#[test]
fn profile_3_is_rejected_with_an_expired_certificate_or_without_a_root() {
    let p = pki(30);
    let mut h = booted(config(Some(&p), &[]));
    h.advance(31 * 86_400);
    assert_eq!(
        change(&mut h, "SecurityProfile", "3"),
        "Rejected",
        "expired"
    );

    let mut cfg = config(Some(&pki(365)), &[("AuthorizationKey", KEY)]);
    cfg.central_system_roots.clear();
    let mut h = booted(cfg);
    assert_eq!(
        change(&mut h, "SecurityProfile", "3"),
        "Rejected",
        "no root"
    );
    assert_eq!(
        change(&mut h, "SecurityProfile", "2"),
        "Rejected",
        "no root"
    );
    assert_eq!(change(&mut h, "SecurityProfile", "1"), "Accepted");
}

#[test]
fn fallback_sets_the_profile_back_persists_and_raises_the_event() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki(365);
    let mut h = station_with(config(Some(&p), &[("AuthorizationKey", KEY)]), sqlite(&dir));
    assert_eq!(change(&mut h, "SecurityProfile", "2"), "Accepted");
    assert_eq!(change(&mut h, "SecurityProfile", "3"), "Accepted");
    drain(&mut h);
    h.station.handle(
        Input::SecurityProfileFallback {
            profile: 2,
            reason: "TLS handshake failed: certificate unknown".into(),
        },
        h.time(),
    );
    let (_, outputs) = drain(&mut h);
    assert!(outputs.is_empty(), "no ConfigChanged: {outputs:?}");
    assert_eq!(h.station.security_profile(), 2);
    let last = h.station.security_log().pop().unwrap();
    assert_eq!(last.kind, "ReconfigurationOfSecurityParameters");
    assert_eq!(
        last.tech_info.as_deref(),
        Some(
            "SecurityProfile 3 failed to connect (TLS handshake failed: certificate unknown); \
             fell back to 2"
        )
    );
    // Only ever lower: a "fallback" to the same or a higher profile changes nothing.
    for profile in [2, 3] {
        h.input(Input::SecurityProfileFallback {
            profile,
            reason: "x".into(),
        });
    }
    assert_eq!(h.station.security_profile(), 2);
    // A long reason is cut to the techInfo limit.
    h.input(Input::SecurityProfileFallback {
        profile: 1,
        reason: "e".repeat(1000),
    });
    let last = h.station.security_log().pop().unwrap();
    assert_eq!(last.tech_info.unwrap().chars().count(), 255);
    // Persisted.
    h.restart([1000.0, 5000.0]);
    assert_eq!(h.station.security_profile(), 1);
    assert_eq!(h.station.config().current().security_profile, 1);
    // Raising works as before.
    h.boot();
    assert_eq!(change(&mut h, "SecurityProfile", "3"), "Accepted");
}
