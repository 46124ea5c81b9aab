//! OCTT module 25: Security ("Improved security for OCPP 1.6-J").
//!
//! The tool is the station's Central System *and* its certificate authority: the bench's
//! Central System serves ws:// and wss:// on one address with a server certificate from the
//! tool's test PKI, asks for client certificates from the same CA (profile 3), and signs the
//! station's CSRs with it. What a lab configures by hand before a case (a password, a
//! trusted root, a client certificate, the security profile) a case sets up over OCPP with
//! [`raise_to_at_least`]: the tool's password as AuthorizationKey, the tool's root as
//! CentralSystemRootCertificate, a ChargePointCertificate signed by the tool, then
//! SecurityProfile one step at a time.
//!
//! A security profile cannot be lowered over OCPP (TC_084), so a raise lasts for the rest of
//! the run; the same address serves every profile, so the other modules' cases work on
//! after it. That is why this module runs its cases in the order of the profile they need,
//! not in the order of their numbers: the certificate, log and firmware cases (any
//! profile), then those that need profile 1 or 2 (TC_073, TC_085, TC_083 raising 1 to 2),
//! those that need 2 or 3 (TC_078, TC_086, TC_084), and last those that need profile 3
//! (TC_074, TC_087). Each case still runs alone, from any profile it can start from.

use std::time::Duration;

use certs::pki::{Authority, Validity};
use csms::{CsmsEvent, Events, LinkSecurity};
use serde_json::{json, Value};
use tokio::time::Instant;

use super::{case, Case};
use crate::profile::{Profile, StationProfile};
use crate::tester::{fail, Failure, Outcome, Tester};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_075_1",
            "Install certificate - ManufacturerRootCertificate",
            Security,
            tls_profiles,
            tc_075_1
        ),
        case!(
            "TC_075_2",
            "Install certificate - CentralSystemRootCertificate",
            Security,
            tls_profiles,
            tc_075_2
        ),
        case!(
            "TC_076",
            "Delete a specific certificate from the Charge Point",
            Security,
            tls_profiles,
            tc_076
        ),
        case!(
            "TC_079",
            "Get Security Log",
            Security,
            super::always,
            tc_079
        ),
        case!(
            "TC_080",
            "Secure Firmware Update",
            Security,
            firmware,
            tc_080
        ),
        case!(
            "TC_081",
            "Secure Firmware Update - Invalid Signature",
            Security,
            firmware,
            tc_081
        ),
        case!(
            "TC_077",
            "Invalid ChargePointCertificate Security Event",
            Security,
            profile_3,
            tc_077
        ),
        case!(
            "TC_073",
            "Update Charge Point Password for HTTP Basic Authentication",
            Security,
            password_profiles,
            tc_073
        ),
        case!(
            "TC_085",
            "Basic Authentication - Valid username/password combination",
            Security,
            password_profiles,
            tc_085
        ),
        case!(
            "TC_083",
            "Upgrade security profile",
            Security,
            upgrade,
            tc_083
        ),
        case!(
            "TC_078",
            "Invalid CentralSystemCertificate Security Event",
            Security,
            tls_profiles,
            tc_078
        ),
        case!(
            "TC_086",
            "TLS - server-side certificate - Valid certificate",
            Security,
            tls_profiles,
            tc_086
        ),
        case!(
            "TC_084",
            "Downgrade security profile - Rejected",
            Security,
            tls_profiles,
            tc_084
        ),
        case!(
            "TC_074",
            "Update Charge Point Certificate by request of Central System",
            Security,
            profile_3,
            tc_074
        ),
        case!(
            "TC_087",
            "TLS - Client-side certificate - valid certificate",
            Security,
            profile_3,
            tc_087
        ),
    ]
}

// ---- Which cases apply ------------------------------------------------------------------

fn supports(p: &StationProfile, profile: u8) -> bool {
    p.security_profiles.contains(&profile)
}

/// Security profile 1 or 2 (Basic authentication).
fn password_profiles(p: &StationProfile) -> Result<(), String> {
    if supports(p, 1) || supports(p, 2) {
        Ok(())
    } else {
        Err("the station supports neither security profile 1 nor 2 (Basic authentication)".into())
    }
}

/// Security profile 2 or 3 (TLS).
fn tls_profiles(p: &StationProfile) -> Result<(), String> {
    if supports(p, 2) || supports(p, 3) {
        Ok(())
    } else {
        Err("the station supports neither security profile 2 nor 3 (TLS)".into())
    }
}

fn profile_3(p: &StationProfile) -> Result<(), String> {
    if supports(p, 3) {
        Ok(())
    } else {
        Err("the station does not support security profile 3 (client certificates)".into())
    }
}

/// Profile 1 or 2 to start from, and a higher one to go to.
fn upgrade(p: &StationProfile) -> Result<(), String> {
    let from = [1, 2].into_iter().find(|&n| supports(p, n));
    match from {
        Some(n) if p.security_profiles.iter().any(|&m| m > n) => Ok(()),
        _ => Err("the station supports no security profile to upgrade to from 1 or 2".into()),
    }
}

fn firmware(p: &StationProfile) -> Result<(), String> {
    if p.has(Profile::FirmwareManagement) {
        Ok(())
    } else {
        Err("the station does not implement the FirmwareManagement profile".into())
    }
}

// ---- What the tool gives the station ----------------------------------------------------

/// The HTTP Basic password the tool gives the station (AuthorizationKey) for profiles 1
/// and 2: 20 bytes, the most the whitepaper allows.
const PASSWORD: &[u8] = b"OCA-Conformance-Pw01";
/// The password TC_073 changes to: OCTT's "OCA_OCTT_admin_test".
const OCTT_PASSWORD: &[u8] = b"OCA_OCTT_admin_test";
/// CpoName, the organization of the station's CSRs (the "configured Vendor Name").
const CPO_NAME: &str = "OCA Conformance CPO";
/// How long a station may take to come back after it dropped its connection on purpose
/// (a new password, profile or certificate), a reboot included.
const RECONNECT: Duration = Duration::from_secs(60);
/// How long to wait for a station to reconnect with a raised profile by itself before the
/// case reboots it (OCTT's TC_083 reboots it anyway).
const SWITCH_BY_ITSELF: Duration = Duration::from_secs(10);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Standard base64 (RFC 4648, with padding): the encoding of SignedUpdateFirmware's
/// signature.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A number for requestId fields that does not repeat within a run.
fn request_id() -> i64 {
    chrono::Utc::now().timestamp_millis() % 1_000_000_000
}

fn new_ca(cn: &str) -> Result<Authority, Failure> {
    Authority::new(cn, Validity::days(30)).map_err(|e| Failure(format!("test PKI: {e}")))
}

// ---- The connection ---------------------------------------------------------------------

/// How a link is secured, for a failure message.
fn describe(link: &LinkSecurity) -> String {
    format!(
        "security profile {} ({}{}{})",
        link.profile(),
        if link.tls { "TLS" } else { "no TLS" },
        if link.basic_auth {
            ", Basic authentication"
        } else {
            ""
        },
        link.certificate_cn
            .as_deref()
            .map(|cn| format!(", client certificate CN={cn}"))
            .unwrap_or_default()
    )
}

/// The station's next connection after `events` was subscribed, and how it is secured.
async fn reconnection(
    t: &Tester<'_>,
    events: &mut Events,
    within: Duration,
    what: &str,
) -> Result<LinkSecurity, Failure> {
    let id = t.bench.id.clone();
    events
        .find(within, |ev| match ev {
            CsmsEvent::Connected { station } if station == id => Some(()),
            _ => None,
        })
        .await
        .ok_or_else(|| {
            Failure(format!(
                "the station did not reconnect {what} within {within:?}"
            ))
        })?;
    let link = t
        .cs()
        .link_security(&t.bench.id)
        .ok_or_else(|| Failure(format!("the station dropped its new connection {what}")))?;
    t.note(format!("station reconnected {what}: {}", describe(&link)));
    Ok(link)
}

/// Close the station's connection from the Central System's side and return how it
/// connects again.
async fn reconnect(t: &Tester<'_>, what: &str) -> Result<LinkSecurity, Failure> {
    let mut events = t.cs().subscribe();
    t.note("Central System: closing the connection");
    t.cs().disconnect(&t.bench.id).await;
    reconnection(t, &mut events, RECONNECT, what).await
}

/// The connection is secured as security profile `profile` requires.
fn check_link(link: &LinkSecurity, profile: u8, id: &str) -> Outcome {
    let ok = match profile {
        0 => !link.tls && !link.basic_auth,
        1 => !link.tls && link.basic_auth,
        2 => link.tls && link.basic_auth && link.certificate_cn.is_none(),
        _ => link.tls && link.certificate_cn.as_deref() == Some(id),
    };
    if ok {
        Ok(())
    } else {
        fail(format!(
            "expected a connection with security profile {profile}, the station connected with {}",
            describe(link)
        ))
    }
}

/// The SecurityProfile key.
async fn security_profile(t: &mut Tester<'_>) -> Result<u8, Failure> {
    let value = t.read_key("SecurityProfile").await?;
    value
        .trim()
        .parse::<u8>()
        .ok()
        .filter(|p| *p <= 3)
        .ok_or_else(|| Failure(format!("SecurityProfile is {value:?}, not 0..3")))
}

// ---- Setting the station up -------------------------------------------------------------

/// Give the station `password` (AuthorizationKey, hex) and the Central System the same.
/// With profile 1 or 2 the station reconnects with it at once (TC_073), which is waited for
/// and checked; with 0 or 3 it only keeps it.
async fn set_password(t: &mut Tester<'_>, password: &[u8], profile: u8) -> Outcome {
    let sends_it = (1..=2).contains(&profile);
    let mut events = t.cs().subscribe();
    if sends_it {
        t.cs().set_password(&t.bench.id, password);
    }
    t.call_status(
        "ChangeConfiguration",
        json!({ "key": "AuthorizationKey", "value": hex(password) }),
        "Accepted",
    )
    .await?;
    if sends_it {
        let link = reconnection(t, &mut events, RECONNECT, "with the new password").await?;
        check_link(&link, profile, &t.bench.id)?;
    }
    Ok(())
}

/// InstallCertificate with `certificate` of type `kind`; the answer's status.
async fn install(t: &mut Tester<'_>, kind: &str, certificate: &str) -> Result<Value, Failure> {
    let answer = t
        .call(
            "InstallCertificate",
            json!({ "certificateType": kind, "certificate": certificate }),
        )
        .await?;
    Ok(answer["status"].clone())
}

/// The tool's root certificate installed as CentralSystemRootCertificate (the station
/// then trusts the Central System's server certificate and the certificates it signs).
async fn install_tool_root(t: &mut Tester<'_>) -> Outcome {
    let root = t.bench.pki.ca.root.cert_pem.clone();
    let status = install(t, "CentralSystemRootCertificate", &root).await?;
    if status != "Accepted" {
        return fail(format!(
            "InstallCertificate of the tool's CentralSystemRootCertificate: expected Accepted, the station answered {status}"
        ));
    }
    Ok(())
}

/// Have the station renew its ChargePointCertificate (ExtendedTriggerMessage
/// SignChargePointCertificate, its SignCertificate.req, the Central System's
/// CertificateSigned.req); how the station answered the CertificateSigned.req.
async fn renew_certificate(t: &mut Tester<'_>) -> Result<ocpp::CertificateSignedStatus, Failure> {
    t.configure("CpoName", CPO_NAME).await?;
    let mut events = t.cs().subscribe();
    t.call_status(
        "ExtendedTriggerMessage",
        json!({ "requestedMessage": "SignChargePointCertificate" }),
        "Accepted",
    )
    .await?;
    t.expect("SignCertificate", "with a CSR", |p| {
        p["csr"]
            .as_str()
            .is_some_and(|c| c.contains("CERTIFICATE REQUEST"))
    })
    .await?;
    let id = t.bench.id.clone();
    let within = t.patience();
    let status = events
        .find(within, |ev| match ev {
            CsmsEvent::CertificateSigned { station, status } if station == id => Some(status),
            _ => None,
        })
        .await
        .ok_or_else(|| {
            Failure(format!(
                "no answer to CertificateSigned.req within {within:?}"
            ))
        })?;
    status.map_err(|e| Failure(format!("CertificateSigned: {e}")))
}

/// What security profile `to` needs, given to the station (at `from`, below `to`): a
/// password the Central System checks (profiles 1 and 2), the tool's root (2 and 3), a
/// ChargePointCertificate signed by the tool (3).
async fn prepare_for(t: &mut Tester<'_>, from: u8, to: u8) -> Outcome {
    if (1..=2).contains(&to) {
        let checked = t
            .cs()
            .link_security(&t.bench.id)
            .is_some_and(|l| l.basic_auth);
        // At 0 the station only keeps it; at 1 or 2 (a password the Central System does not
        // know) it reconnects with it.
        if from == 0 || !checked {
            set_password(t, PASSWORD, from).await?;
        }
    }
    if to >= 2 {
        install_tool_root(t).await?;
    }
    if to == 3 {
        match renew_certificate(t).await? {
            ocpp::CertificateSignedStatus::Accepted => {}
            other => {
                return fail(format!(
                    "the station answered CertificateSigned.req with {other:?}, expected Accepted"
                ))
            }
        }
    }
    Ok(())
}

/// SecurityProfile `to` (from `from`), accepted; the station reconnects with it, by itself
/// or (if it waits for a reboot) after a hard Reset; the new connection is checked.
async fn change_profile(t: &mut Tester<'_>, from: u8, to: u8) -> Outcome {
    let mut events = t.cs().subscribe();
    if from == 0 && (1..=2).contains(&to) {
        // From now on the station sends the password it was given.
        t.cs().set_password(&t.bench.id, PASSWORD);
    }
    t.call_status(
        "ChangeConfiguration",
        json!({ "key": "SecurityProfile", "value": to.to_string() }),
        "Accepted",
    )
    .await?;
    let what = format!("with security profile {to}");
    let link = match reconnection(t, &mut events, SWITCH_BY_ITSELF, &what).await {
        Ok(link) => link,
        Err(_) => {
            t.note("the station did not switch by itself: rebooting it");
            t.call_status("Reset", json!({ "type": "Hard" }), "Accepted")
                .await?;
            reconnection(t, &mut events, RECONNECT, &what).await?
        }
    };
    check_link(&link, to, &t.bench.id)
}

/// The next security profile above `from` the station supports.
fn next_profile(t: &Tester<'_>, from: u8) -> Result<u8, Failure> {
    (from + 1..=3)
        .find(|&n| t.profile().security_profiles.contains(&n))
        .ok_or_else(|| {
            Failure(format!(
                "the station supports no security profile above {from} (station profile: {:?})",
                t.profile().security_profiles
            ))
        })
}

/// Bring the station up to security profile `min` if it is below, one supported profile at
/// a time (each raise lasts for the rest of the run); the profile it is on then.
async fn raise_to_at_least(t: &mut Tester<'_>, min: u8) -> Result<u8, Failure> {
    let mut current = security_profile(t).await?;
    if current < min {
        t.note(format!(
            "precondition: raising the security profile from {current} to {min}"
        ));
    }
    while current < min {
        let next = next_profile(t, current)?;
        prepare_for(t, current, next).await?;
        change_profile(t, current, next).await?;
        current = next;
    }
    Ok(current)
}

/// Profile 1 or 2 (raised from 0 if need be): the cases of Basic authentication.
async fn password_profile(t: &mut Tester<'_>, case: &str) -> Result<u8, Failure> {
    let profile = raise_to_at_least(t, 1).await?;
    if profile == 3 {
        return fail(format!(
            "the station is at security profile 3, which has no password, and a profile cannot \
             be lowered: {case} needs profile 1 or 2 (run it before the cases that raise the \
             profile to 3)"
        ));
    }
    Ok(profile)
}

// ---- Certificates -----------------------------------------------------------------------

/// `hash` (a CertificateHashData of the station) names the certificate whose hash data
/// the tool computed.
fn same_hash(hash: &Value, ours: &certs::HashData) -> bool {
    let text = |k: &str| hash[k].as_str().unwrap_or_default().to_ascii_lowercase();
    let serial = |s: &str| s.trim_start_matches('0').to_ascii_lowercase();
    text("hashAlgorithm") == ours.hash_algorithm.to_ascii_lowercase()
        && text("issuerNameHash") == ours.issuer_name_hash
        && text("issuerKeyHash") == ours.issuer_key_hash
        && serial(&text("serialNumber")) == serial(&ours.serial_number)
}

fn hash_json(hash: &certs::HashData) -> Value {
    json!({
        "hashAlgorithm": hash.hash_algorithm,
        "issuerNameHash": hash.issuer_name_hash,
        "issuerKeyHash": hash.issuer_key_hash,
        "serialNumber": hash.serial_number,
    })
}

fn hash_of(pem: &str) -> Result<certs::HashData, Failure> {
    certs::hash_data(pem, None).map_err(|e| Failure(format!("hash data: {e}")))
}

/// GetInstalledCertificateIds for `kind`: the answer.
async fn installed(t: &mut Tester<'_>, kind: &str) -> Result<Value, Failure> {
    t.call(
        "GetInstalledCertificateIds",
        json!({ "certificateType": kind }),
    )
    .await
}

fn lists(answer: &Value, ours: &certs::HashData) -> bool {
    answer["certificateHashData"]
        .as_array()
        .is_some_and(|all| all.iter().any(|h| same_hash(h, ours)))
}

/// Remove a certificate the case installed (best effort: the case's verdict is decided).
async fn remove(t: &mut Tester<'_>, hash: &certs::HashData) {
    let answer = t
        .call(
            "DeleteCertificate",
            json!({ "certificateHashData": hash_json(hash) }),
        )
        .await;
    if !matches!(&answer, Ok(a) if a["status"] == "Accepted") {
        t.note(format!(
            "could not remove the certificate the case installed: {answer:?}"
        ));
    }
}

/// TC_075_1 / TC_075_2: InstallCertificate of `kind`, Accepted, then listed by
/// GetInstalledCertificateIds (the tool computes the hash data itself).
async fn install_and_list(t: &mut Tester<'_>, kind: &str, pem: &str) -> Outcome {
    let status = install(t, kind, pem).await?;
    if status != "Accepted" {
        return fail(format!(
            "InstallCertificate {kind}: expected Accepted, the station answered {status}"
        ));
    }
    let ours = hash_of(pem)?;
    let answer = installed(t, kind).await?;
    if answer["status"] != "Accepted" || !lists(&answer, &ours) {
        return fail(format!(
            "GetInstalledCertificateIds {kind}: expected Accepted with the installed certificate ({}), the station answered {answer}",
            hash_json(&ours)
        ));
    }
    Ok(())
}

/// TC_075_1: a new ManufacturerRootCertificate (removed again after the case).
async fn tc_075_1(t: &mut Tester<'_>) -> Outcome {
    let root = new_ca("OCA Conformance Manufacturer Root")?;
    let pem = root.root.cert_pem;
    let result = install_and_list(t, "ManufacturerRootCertificate", &pem).await;
    remove(t, &hash_of(&pem)?).await;
    result
}

/// TC_075_2: the tool's root as CentralSystemRootCertificate. It stays installed: it is
/// what the station trusts the Central System with at profiles 2 and 3.
async fn tc_075_2(t: &mut Tester<'_>) -> Outcome {
    let pem = t.bench.pki.ca.root.cert_pem.clone();
    install_and_list(t, "CentralSystemRootCertificate", &pem).await
}

/// TC_076: a CentralSystemRootCertificate is installed (a second one, so that the one the
/// connection depends on stays), listed, deleted by its hash data, and no longer listed.
async fn tc_076(t: &mut Tester<'_>) -> Outcome {
    let extra = new_ca("OCA Conformance Central System Root 2")?;
    let pem = extra.root.cert_pem;
    let kind = "CentralSystemRootCertificate";
    let status = install(t, kind, &pem).await?;
    if status != "Accepted" {
        return fail(format!(
            "precondition: InstallCertificate {kind}: the station answered {status}"
        ));
    }
    let ours = hash_of(&pem)?;
    let before = installed(t, kind).await?;
    let Some(entry) = before["certificateHashData"]
        .as_array()
        .and_then(|all| all.iter().find(|h| same_hash(h, &ours)))
    else {
        remove(t, &ours).await;
        return fail(format!(
            "GetInstalledCertificateIds {kind} does not list the installed certificate: {before}"
        ));
    };
    let mut hash = hash_json(&ours);
    hash["hashAlgorithm"] = entry["hashAlgorithm"].clone();
    t.call_status(
        "DeleteCertificate",
        json!({ "certificateHashData": hash }),
        "Accepted",
    )
    .await?;
    let after = installed(t, kind).await?;
    let gone = match after["status"].as_str() {
        Some("NotFound") => true,
        Some("Accepted") => !lists(&after, &ours),
        _ => false,
    };
    if !gone {
        return fail(format!(
            "GetInstalledCertificateIds {kind} after DeleteCertificate: the certificate should be gone, the station answered {after}"
        ));
    }
    Ok(())
}

/// TC_077: the station asks for a new certificate and gets one signed by a CA it does not
/// trust: it answers Rejected and sends SecurityEventNotification
/// InvalidChargePointCertificate.
async fn tc_077(t: &mut Tester<'_>) -> Outcome {
    let rogue = new_ca("OCA Conformance untrusted CA")?;
    t.cs()
        .set_signing_ca(Some((rogue.root.cert_pem, rogue.root.key_pem)));
    let result = async {
        let status = renew_certificate(t).await?;
        if status != ocpp::CertificateSignedStatus::Rejected {
            return fail(format!(
                "the station answered {status:?} to a CertificateSigned.req whose certificate does not chain to a trusted root, expected Rejected"
            ));
        }
        t.expect(
            "SecurityEventNotification",
            "type InvalidChargePointCertificate",
            |p| p["type"] == "InvalidChargePointCertificate",
        )
        .await
        .map(|_| ())
    }
    .await;
    let ca = &t.bench.pki.ca.root;
    t.cs()
        .set_signing_ca(Some((ca.cert_pem.clone(), ca.key_pem.clone())));
    result
}

/// TC_074 (at profile 3): the station renews its ChargePointCertificate on request and
/// reconnects with the new one.
async fn tc_074(t: &mut Tester<'_>) -> Outcome {
    raise_to_at_least(t, 3).await?;
    let old = t
        .cs()
        .link_security(&t.bench.id)
        .and_then(|l| l.certificate_pem);
    let mut events = t.cs().subscribe();
    let status = renew_certificate(t).await?;
    if status != ocpp::CertificateSignedStatus::Accepted {
        return fail(format!(
            "the station answered CertificateSigned.req with {status:?}, expected Accepted"
        ));
    }
    let link = reconnection(t, &mut events, RECONNECT, "with the new certificate").await?;
    check_link(&link, 3, &t.bench.id)?;
    let Some(new) = link.certificate_pem else {
        return fail("the station reconnected without a client certificate");
    };
    if old.as_deref() == Some(new.as_str()) {
        return fail("the station reconnected with its old certificate, not the new one");
    }
    let info = certs::inspect(&new).map_err(|e| Failure(format!("client certificate: {e}")))?;
    if info.subject_o.as_deref() != Some(CPO_NAME) {
        return fail(format!(
            "the new certificate's organization is {:?}, expected the CpoName {CPO_NAME:?}",
            info.subject_o
        ));
    }
    Ok(())
}

// ---- Passwords and profiles -------------------------------------------------------------

/// TC_073: a new AuthorizationKey (OCTT's), the station reconnects with it; then the
/// tool's again, and it reconnects with that.
async fn tc_073(t: &mut Tester<'_>) -> Outcome {
    let profile = password_profile(t, "TC_073").await?;
    let result = async {
        set_password(t, OCTT_PASSWORD, profile).await?;
        set_password(t, PASSWORD, profile).await
    }
    .await;
    if result.is_err() {
        // Leave the station and the Central System agreeing on the tool's password.
        t.cs().set_password(&t.bench.id, PASSWORD);
        if t.cs().is_connected(&t.bench.id) {
            let _ = set_password(t, PASSWORD, profile).await;
        }
    }
    result
}

/// TC_085: the station connects with HTTP Basic authentication, user its id, password its
/// AuthorizationKey (the Central System's check).
async fn tc_085(t: &mut Tester<'_>) -> Outcome {
    let profile = password_profile(t, "TC_085").await?;
    let checked = t
        .cs()
        .link_security(&t.bench.id)
        .is_some_and(|l| l.basic_auth);
    if !checked {
        set_password(t, PASSWORD, profile).await?;
    }
    let link = reconnect(t, "after the Central System closed the connection").await?;
    check_link(&link, profile, &t.bench.id)
}

/// TC_083: from profile 1 or 2, one higher (with what it needs: the root certificate for
/// 2, a client certificate for 3), a hard Reset, the boot; from 1 to 2 the station must not
/// come back without TLS.
async fn tc_083(t: &mut Tester<'_>) -> Outcome {
    let from = raise_to_at_least(t, 1).await?;
    if from == 3 {
        return fail(
            "the station is at security profile 3 already: there is no profile to upgrade to \
             (run TC_083 before the cases that raise the profile to 3)",
        );
    }
    let to = next_profile(t, from)?;
    prepare_for(t, from, to).await?;
    let mut events = t.cs().subscribe();
    t.call_status(
        "ChangeConfiguration",
        json!({ "key": "SecurityProfile", "value": to.to_string() }),
        "Accepted",
    )
    .await?;
    // A station that switches at once (ours does) gets the Reset on its new connection.
    let _ = reconnection(
        t,
        &mut events,
        SWITCH_BY_ITSELF,
        &format!("with profile {to}"),
    )
    .await;
    if !t.cs().is_connected(&t.bench.id) {
        t.cs()
            .wait_connected(&t.bench.id, RECONNECT)
            .await
            .map_err(|_| {
                Failure(format!(
                    "the station did not reconnect within {RECONNECT:?}"
                ))
            })?;
    }
    t.call_status("Reset", json!({ "type": "Hard" }), "Accepted")
        .await?;
    t.expect("BootNotification", "after the reboot", |_| true)
        .await?;
    let link = t
        .cs()
        .link_security(&t.bench.id)
        .ok_or_else(|| Failure("the station is not connected after its boot".into()))?;
    check_link(&link, to, &t.bench.id)?;
    for connector in 0..=t.profile().connectors {
        t.expect(
            "StatusNotification",
            &format!("connector {connector} Available after the boot"),
            |p| p["connectorId"] == connector && p["status"] == "Available",
        )
        .await?;
    }
    if from == 1 && to == 2 {
        // Steps 15-18: the station does not fall back to profile 1.
        let link = reconnect(t, "after the Central System closed the connection").await?;
        check_link(&link, 2, &t.bench.id)?;
    }
    let key = security_profile(t).await?;
    if key != to {
        return fail(format!(
            "SecurityProfile reads {key} after the upgrade, expected {to}"
        ));
    }
    Ok(())
}

/// TC_084: at profile 2 or 3, one lower is Rejected and nothing changes.
async fn tc_084(t: &mut Tester<'_>) -> Outcome {
    let profile = raise_to_at_least(t, 2).await?;
    let lower = profile - 1;
    let mut events = t.cs().subscribe();
    t.call_status(
        "ChangeConfiguration",
        json!({ "key": "SecurityProfile", "value": lower.to_string() }),
        "Rejected",
    )
    .await?;
    let key = security_profile(t).await?;
    if key != profile {
        return fail(format!(
            "SecurityProfile reads {key} after the rejected downgrade, expected {profile}"
        ));
    }
    let after = "after the rejected downgrade";
    if let Ok(link) = reconnection(t, &mut events, Duration::from_secs(3), after).await {
        check_link(&link, profile, &t.bench.id)?;
    }
    Ok(())
}

// ---- TLS --------------------------------------------------------------------------------

/// TC_086: at profile 2 or 3 the station sets up TLS with the Central System's server
/// certificate (TLS 1.2 or above with the OCPP cipher suites: the only ones the Central
/// System offers) and, at profile 2, Basic authentication with its AuthorizationKey.
async fn tc_086(t: &mut Tester<'_>) -> Outcome {
    let profile = raise_to_at_least(t, 2).await?;
    let link = reconnect(t, "after the Central System closed the connection").await?;
    check_link(&link, profile, &t.bench.id)
}

/// TC_087: at profile 3 the station presents a client certificate that names it (CN = its
/// id), with a serial number, issued by the tool's CA.
async fn tc_087(t: &mut Tester<'_>) -> Outcome {
    raise_to_at_least(t, 3).await?;
    let link = reconnect(t, "after the Central System closed the connection").await?;
    check_link(&link, 3, &t.bench.id)?;
    let Some(pem) = link.certificate_pem else {
        return fail("the station presented no client certificate");
    };
    let info = certs::inspect(&pem).map_err(|e| Failure(format!("client certificate: {e}")))?;
    if info.serial_hex.is_empty() {
        return fail("the client certificate has no serial number");
    }
    if info.subject_cn.as_deref() != Some(t.bench.id.as_str()) {
        return fail(format!(
            "the client certificate's CN is {:?}, expected the charge point's id {:?}",
            info.subject_cn, t.bench.id
        ));
    }
    Ok(())
}

/// TC_078: the Central System closes the connection and, for one reconnection, presents a
/// server certificate the station cannot trust; the station refuses it, and once it is back
/// with the genuine certificate it sends SecurityEventNotification
/// InvalidCentralSystemCertificate.
async fn tc_078(t: &mut Tester<'_>) -> Outcome {
    let profile = raise_to_at_least(t, 2).await?;
    let wildcards = t
        .call(
            "GetConfiguration",
            json!({ "key": ["AllowCSMSTLSWildcards"] }),
        )
        .await?;
    if wildcards["configurationKey"]
        .as_array()
        .is_some_and(|k| !k.is_empty())
    {
        t.configure("AllowCSMSTLSWildcards", "false").await?;
    }
    // Steps 1-3: how long the station takes to come back.
    let begin = Instant::now();
    let link = reconnect(t, "after the Central System closed the connection").await?;
    check_link(&link, profile, &t.bench.id)?;
    let took = begin.elapsed();
    // Steps 4-7: an untrusted server certificate for the next attempt.
    let rogue = new_ca("OCA Conformance untrusted root")?
        .server(&["localhost", "127.0.0.1", "::1"], Validity::days(30))
        .map_err(|e| Failure(format!("test PKI: {e}")))?;
    let failures = t.cs().failed_tls_handshakes();
    t.cs()
        .set_server_certificate(Some((&rogue.cert_pem, &rogue.key_pem)))
        .map_err(|e| Failure(format!("cannot present another server certificate: {e}")))?;
    t.note("Central System: presenting an untrusted server certificate");
    let mut events = t.cs().subscribe();
    let refused = async {
        t.cs().disconnect(&t.bench.id).await;
        let within = (took * 2).max(Duration::from_secs(30));
        let deadline = Instant::now() + within;
        let id = t.bench.id.clone();
        loop {
            if t.cs().failed_tls_handshakes() > failures {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return fail(format!(
                    "the station made no TLS connection attempt within {within:?}"
                ));
            }
            if let Some(CsmsEvent::Connected { station }) =
                events.next(Duration::from_millis(100)).await
            {
                if station == id {
                    return fail(
                        "the station accepted a server certificate from an untrusted root",
                    );
                }
            }
        }
    }
    .await;
    t.cs()
        .set_server_certificate(None)
        .map_err(|e| Failure(format!("cannot present the server certificate again: {e}")))?;
    t.note("Central System: presenting its genuine server certificate again");
    refused?;
    // Step 8 on: back with the genuine certificate, the station reports the event.
    let link = reconnection(t, &mut events, RECONNECT, "with the genuine certificate").await?;
    check_link(&link, profile, &t.bench.id)?;
    t.expect(
        "SecurityEventNotification",
        "type InvalidCentralSystemCertificate",
        |p| p["type"] == "InvalidCentralSystemCertificate",
    )
    .await?;
    Ok(())
}

// ---- Log and firmware -------------------------------------------------------------------

/// TC_079: GetLog SecurityLog to the tool's file server: Accepted, Uploading, Uploaded (with
/// the request's requestId), and the file arrives.
async fn tc_079(t: &mut Tester<'_>) -> Outcome {
    let id = request_id();
    let location = t.bench.files.url("/upload");
    let answer = t
        .call_status(
            "GetLog",
            json!({
                "logType": "SecurityLog",
                "requestId": id,
                "log": { "remoteLocation": location },
            }),
            "Accepted",
        )
        .await?;
    for status in ["Uploading", "Uploaded"] {
        t.expect(
            "LogStatusNotification",
            &format!("{status}, requestId {id}"),
            |p| p["status"] == status && p["requestId"] == id,
        )
        .await?;
    }
    if let Some(name) = answer["filename"].as_str() {
        let path = t.bench.files.uploads.path().join(name);
        if !path.is_file() {
            return fail(format!(
                "the station reported Uploaded, but {name} did not arrive at {location}"
            ));
        }
    }
    Ok(())
}

/// The image the firmware cases install: the station profile's, or a small generated one
/// in the reference simulator's image format (a first line `chargepoint-firmware VERSION`).
fn firmware_image(t: &Tester<'_>) -> Result<(String, Vec<u8>), Failure> {
    if let Some(path) = &t.profile().firmware_image {
        let bytes = std::fs::read(path)
            .map_err(|e| Failure(format!("firmware image {}: {e}", path.display())))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "firmware.bin".into());
        return Ok((name, bytes));
    }
    let version = format!("conf-signed-{}", request_id());
    let mut image = format!("chargepoint-firmware {version}\n").into_bytes();
    image.extend((0..64 * 1024u32).map(|i| (i * 7 % 251) as u8));
    Ok((format!("{version}.bin"), image))
}

/// A manufacturer root (installed on the station) and a firmware signing certificate it
/// issued; a firmware image on the tool's file server, signed by it (`valid`) or not. The
/// SignedUpdateFirmware.req and the root's hash data (to remove it after the case).
async fn signed_update(
    t: &mut Tester<'_>,
    valid: bool,
) -> Result<(Value, certs::HashData), Failure> {
    let root = new_ca("OCA Conformance Manufacturer Root")?;
    let signer = root
        .client("OCA Conformance Firmware Signing", Validity::days(30))
        .map_err(|e| Failure(format!("test PKI: {e}")))?;
    let status = install(t, "ManufacturerRootCertificate", &root.root.cert_pem).await?;
    if status != "Accepted" {
        return fail(format!(
            "precondition: InstallCertificate ManufacturerRootCertificate: the station answered {status}"
        ));
    }
    let hash = hash_of(&root.root.cert_pem)?;
    let (name, image) = firmware_image(t)?;
    std::fs::write(t.bench.files.files.path().join(&name), &image)
        .map_err(|e| Failure(format!("cannot serve the firmware image: {e}")))?;
    let signed: &[u8] = if valid { &image } else { b"not the image" };
    let signature = base64(&testservers::sign_sha256(&signer.key_pem, signed));
    let req = json!({
        "requestId": request_id(),
        "retries": 1,
        "retryInterval": 5,
        "firmware": {
            "location": t.bench.files.url(&format!("/files/{name}")),
            "retrieveDateTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "signingCertificate": signer.cert_pem,
            "signature": signature,
        },
    });
    Ok((req, hash))
}

/// The next SignedFirmwareStatusNotification `status` of request `id`.
async fn firmware_status(t: &mut Tester<'_>, id: &Value, status: &str) -> Outcome {
    t.expect(
        "SignedFirmwareStatusNotification",
        &format!("{status}, requestId {id}"),
        |p| p["status"] == status && p["requestId"] == *id,
    )
    .await
    .map(|_| ())
}

/// TC_080: the signed image is downloaded, its signature verified, installed (with a
/// reboot) and reported Installed.
async fn tc_080(t: &mut Tester<'_>) -> Outcome {
    let (req, root) = signed_update(t, true).await?;
    let id = req["requestId"].clone();
    let result = async {
        t.call_status("SignedUpdateFirmware", req, "Accepted")
            .await?;
        for status in [
            "Downloading",
            "Downloaded",
            "SignatureVerified",
            "Installing",
        ] {
            firmware_status(t, &id, status).await?;
        }
        // Installing may reboot the station (InstallRebooting, a BootNotification) before
        // Installed.
        let patience = t.patience().max(RECONNECT);
        t.expect_within(
            patience,
            "SignedFirmwareStatusNotification",
            &format!("Installed, requestId {id}"),
            |p| p["status"] == "Installed" && p["requestId"] == id,
        )
        .await
        .map(|_| ())
    }
    .await;
    if !t.cs().is_connected(&t.bench.id) {
        let _ = t.cs().wait_connected(&t.bench.id, RECONNECT).await;
    }
    remove(t, &root).await;
    result
}

/// TC_081: the signature does not match the image: Downloading, Downloaded, then
/// InvalidSignature and SecurityEventNotification InvalidFirmwareSignature (in either
/// order); nothing is installed.
async fn tc_081(t: &mut Tester<'_>) -> Outcome {
    let (req, root) = signed_update(t, false).await?;
    let id = req["requestId"].clone();
    let result = async {
        t.call_status("SignedUpdateFirmware", req, "Accepted")
            .await?;
        for status in ["Downloading", "Downloaded"] {
            firmware_status(t, &id, status).await?;
        }
        let (mut status, mut event) = (false, false);
        let patience = t.patience();
        while !(status && event) {
            let (action, payload) = t
                .expect_any_within(
                    patience,
                    "SignedFirmwareStatusNotification InvalidSignature and SecurityEventNotification InvalidFirmwareSignature",
                    |action, p| {
                        (action == "SignedFirmwareStatusNotification" && p["requestId"] == id)
                            || (action == "SecurityEventNotification"
                                && p["type"] == "InvalidFirmwareSignature")
                    },
                )
                .await?;
            match action.as_str() {
                "SecurityEventNotification" => event = true,
                _ if payload["status"] == "InvalidSignature" => status = true,
                _ => {
                    return fail(format!(
                        "expected InvalidSignature, the station reported {}",
                        payload["status"]
                    ))
                }
            }
        }
        t.expect_none(
            Duration::from_secs(3),
            "SignedFirmwareStatusNotification",
            "after InvalidSignature",
            |p| p["requestId"] == id,
        )
        .await
    }
    .await;
    remove(t, &root).await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_encodes_as_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xff, 0xfe, 0xfd, 0x00]), "//79AA==");
    }

    #[test]
    fn the_passwords_fit_the_whitepaper() {
        for pw in [PASSWORD, OCTT_PASSWORD] {
            assert!((16..=20).contains(&pw.len()), "{pw:?}");
            assert!(hex(pw).len() <= 40);
        }
        assert_eq!(hex(OCTT_PASSWORD), "4F43415F4F4354545F61646D696E5F74657374");
    }

    #[test]
    fn hash_data_compares_like_the_station_may_write_it() {
        let ours = certs::HashData {
            hash_algorithm: "SHA256",
            issuer_name_hash: "ab01".into(),
            issuer_key_hash: "cd02".into(),
            serial_number: "1f".into(),
        };
        let theirs = json!({
            "hashAlgorithm": "SHA256",
            "issuerNameHash": "AB01",
            "issuerKeyHash": "cd02",
            "serialNumber": "001F",
        });
        assert!(same_hash(&theirs, &ours));
        let mut other = theirs.clone();
        other["serialNumber"] = json!("20");
        assert!(!same_hash(&other, &ours));
    }

    #[test]
    fn the_cases_that_need_a_profile_apply_only_when_it_is_supported() {
        let mut p = StationProfile::default();
        assert!(profile_3(&p).is_ok() && upgrade(&p).is_ok() && password_profiles(&p).is_ok());
        p.security_profiles = vec![1, 2];
        assert!(profile_3(&p).is_err());
        assert!(upgrade(&p).is_ok() && tls_profiles(&p).is_ok());
        p.security_profiles = vec![2];
        assert!(upgrade(&p).is_err() && password_profiles(&p).is_ok());
        p.security_profiles = vec![3];
        assert!(password_profiles(&p).is_err() && tls_profiles(&p).is_ok());
    }
}
