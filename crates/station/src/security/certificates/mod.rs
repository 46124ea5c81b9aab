//! Certificate management (security extension): the station's certificates, kept in the
//! store's `certificates` table, and what the drivers take from them for TLS.
//!
//! # What is installed
//! - CentralSystemRootCertificates: the roots the Central System's server certificate must
//!   chain to (security profiles 2 and 3; [`Station::tls_roots`]), and the roots a
//!   CertificateSigned.req chain must verify against.
//! - ManufacturerRootCertificates: kept and listed for the Central System (signed firmware
//!   is checked against its signing certificate elsewhere).
//! - ChargePointCertificates: the charge point's client certificate (security profile 3),
//!   its chain leaf first, with its private key ([`Station::tls_identity`]). At most two
//!   are kept: the newest and the one before it, so that when the new one fails to connect
//!   the failure can be diagnosed and the old one is still at hand; older ones are removed
//!   when a new one is installed.
//! - At most one pending key pair ([`store::PENDING_CHARGE_POINT_KEY`]): the private key of
//!   the last CSR sent, waiting for its CertificateSigned.req. It survives a restart.
//!
//! At the first start that finds no CentralSystemRootCertificate in the store, the roots
//! provisioned at manufacture ([`crate::StationConfig::central_system_roots`]) are
//! installed; likewise the ChargePointCertificate
//! ([`crate::StationConfig::charge_point_certificate`]), unless its key does not match it.
//! Afterwards only OCPP changes them.
//! A change applies from the next connection: the drivers ask at every connection.
//!
//! # Operations (`manage`, `sign`)
//! - InstallCertificate (a root): Rejected unless it is one certificate that parses, is a
//!   CA or self-signed and is valid now; Failed when CertificateStoreMaxLength roots
//!   (Central System and manufacturer roots together) are installed already or the store
//!   fails; installing an installed certificate again is Accepted and changes nothing.
//! - GetInstalledCertificateIds: the RFC 6960 hash data (SHA256) of every root of the type
//!   asked; NotFound when there is none. The issuer key hash uses the issuer's certificate
//!   when it is installed (found by name among the installed certificates, the signature
//!   deciding between namesakes), else the certificate's own key ([`certs::hash_data`]).
//! - DeleteCertificate: matched on all four fields (hex compared ignoring case and leading
//!   zeros of the serial number) against every installed certificate, the charge point's
//!   included (its leaf). NotFound when nothing matches; Failed when it would remove the
//!   last CentralSystemRootCertificate (AQ-1; at security profile 2 or 3 the connection
//!   depends on it) or the last ChargePointCertificate (AQ-3). Only SHA256 hash data can
//!   match: the station computes no other.
//! - SignCertificate: on ExtendedTriggerMessage(SignChargePointCertificate), and by itself
//!   when the ChargePointCertificate in use expires within 30 days (whitepaper A03; checked
//!   at every registration and then daily, at most one request a day), the station makes a
//!   new key pair and a CSR with CN = the identity ([`crate::StationConfig::identity`], or
//!   the CN of the installed ChargePointCertificate when that is empty) and O = CpoName,
//!   keeps the key pending (replacing an earlier pending one) and sends SignCertificate.req.
//!   Refused (trigger Rejected) while CpoName is empty. A Rejected SignCertificate.conf
//!   drops the pending key; no answer keeps it for a late CertificateSigned.req.
//! - CertificateSigned: Accepted when the chain is at most CertificateSignedMaxChainSize
//!   bytes, its leaf holds the pending key, the chain verifies against the installed
//!   CentralSystemRootCertificates at `now` and the leaf is valid now. The chain is installed
//!   as ChargePointCertificate with the pending key, and `Output::ConfigChanged { key:
//!   "ChargePointCertificate", value: "installed" }` tells the drivers (with security
//!   profile 3 they reconnect presenting it at once, TC_074; below 3 it waits for a raise).
//!   Otherwise Rejected, and InvalidChargePointCertificate is logged and sent with techInfo
//!   saying why.
//!
//! Private keys are never logged; the store is the only place that holds them.

mod manage;
mod sign;

use crate::context::Ctx;
use crate::security::Security;
use chrono::{DateTime, Utc};
use store::StoredCertificate;

pub(crate) const CS_ROOT: &str = "CentralSystemRootCertificate";
pub(crate) const MF_ROOT: &str = "ManufacturerRootCertificate";
pub(crate) const CP_CERT: &str = "ChargePointCertificate";

/// Whether `now` is inside the certificate's validity period.
pub(crate) fn valid_at(info: &certs::CertInfo, now: DateTime<Utc>) -> bool {
    info.not_before <= now && now <= info.not_after
}

/// Whether two PEM texts hold the same certificate (line breaks aside).
fn same_pem(a: &str, b: &str) -> bool {
    let strip = |s: &str| -> String { s.chars().filter(|c| !c.is_whitespace()).collect() };
    strip(a) == strip(b)
}

/// Certificates joined into one PEM text, one after the other.
fn join_pem(certs: &[String]) -> String {
    certs
        .iter()
        .map(|c| format!("{}\n", c.trim()))
        .collect::<String>()
}

impl Security {
    /// The CentralSystemRootCertificates (PEM) the drivers trust for `wss://`: those
    /// installed, in the order installed.
    pub(crate) fn tls_roots(&self, ctx: &Ctx) -> Vec<String> {
        self.stored_certificates(ctx)
            .into_iter()
            .filter(|r| r.use_ == CS_ROOT)
            .map(|r| r.pem)
            .collect()
    }

    /// The ManufacturerRootCertificates (PEM) installed, in the order installed: the drivers
    /// trust them (with the Central System roots) for firmware downloads over https/ftps.
    pub(crate) fn manufacturer_roots(&self, ctx: &Ctx) -> Vec<String> {
        self.stored_certificates(ctx)
            .into_iter()
            .filter(|r| r.use_ == MF_ROOT)
            .map(|r| r.pem)
            .collect()
    }

    /// The ChargePointCertificate the drivers present with security profile 3 at `now`:
    /// (chain PEM leaf first, private key PEM). The most recently installed one valid at
    /// `now`; if none is, the most recently installed one.
    pub(crate) fn tls_identity(&self, ctx: &Ctx, now: DateTime<Utc>) -> Option<(String, String)> {
        let rows: Vec<StoredCertificate> = self
            .stored_certificates(ctx)
            .into_iter()
            .filter(|r| r.use_ == CP_CERT && r.private_key_pem.is_some())
            .collect();
        let valid = rows.iter().rev().find(|r| {
            certs::inspect(&r.pem)
                .map(|info| valid_at(&info, now))
                .unwrap_or(false)
        });
        let row = valid.or(rows.last())?;
        Some((row.pem.clone(), row.private_key_pem.clone()?))
    }

    /// Every row of the certificate store, in the order added (empty if it cannot be read).
    pub(crate) fn stored_certificates(&self, ctx: &Ctx) -> Vec<StoredCertificate> {
        ctx.store.certificates_all().unwrap_or_else(|e| {
            tracing::error!("cannot read the certificate store: {e}");
            Vec::new()
        })
    }

    /// Install the certificates provisioned at manufacture the first time the store has
    /// none of their kind (called once from `Station::new`).
    pub(crate) fn load_certificates(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        let rows = self.stored_certificates(ctx);
        if !rows.iter().any(|r| r.use_ == CS_ROOT) {
            let mut roots: Vec<String> = Vec::new();
            for pem in &ctx.cfg.central_system_roots {
                match certs::split_pem_chain(pem) {
                    Ok(list) if !list.is_empty() => {
                        for cert in list {
                            if !roots.iter().any(|r| same_pem(r, &cert)) {
                                roots.push(cert);
                            }
                        }
                    }
                    Ok(_) => tracing::error!("a provisioned root holds no certificate: ignored"),
                    Err(e) => tracing::error!("a provisioned root is not a certificate: {e}"),
                }
            }
            for root in roots {
                self.add_certificate(ctx, CS_ROOT, format!("{}\n", root.trim()), None, now);
            }
        }
        if !rows.iter().any(|r| r.use_ == CP_CERT) {
            if let Some((chain, key)) = ctx.cfg.charge_point_certificate.clone() {
                match certs::split_pem_chain(&chain) {
                    Ok(list) if !list.is_empty() => match certs::key_matches(&list[0], &key) {
                        Ok(true) => {
                            self.add_certificate(ctx, CP_CERT, join_pem(&list), Some(key), now);
                        }
                        // It could never connect: leave it out, so that the problem shows.
                        Ok(false) => tracing::error!(
                            "the provisioned ChargePointCertificate does not hold the public \
                             key of its private key: ignored"
                        ),
                        Err(e) => tracing::error!(
                            "the provisioned ChargePointCertificate's key is unusable: {e}"
                        ),
                    },
                    Ok(_) => tracing::error!(
                        "the provisioned ChargePointCertificate holds no certificate: ignored"
                    ),
                    Err(e) => tracing::error!(
                        "the provisioned ChargePointCertificate is not a certificate: {e}"
                    ),
                }
            }
        }
    }

    /// Add a row to the certificate store; its id, or None (logged) if the store failed.
    fn add_certificate(
        &mut self,
        ctx: &mut Ctx,
        use_: &str,
        pem: String,
        private_key_pem: Option<String>,
        now: DateTime<Utc>,
    ) -> Option<u64> {
        let row = StoredCertificate {
            id: 0,
            use_: use_.to_string(),
            pem,
            private_key_pem,
            installed_at: now,
        };
        match ctx.store.certificate_add(&row) {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::error!("cannot store a {use_}: {e}");
                None
            }
        }
    }
}
