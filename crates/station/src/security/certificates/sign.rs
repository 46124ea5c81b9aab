//! SignCertificate / CertificateSigned: a new key pair and CSR, the signed certificate
//! installed, and the renewal of a ChargePointCertificate about to expire (see the module
//! docs of `certificates`).

use super::{join_pem, valid_at, CP_CERT, CS_ROOT};
use crate::context::Ctx;
use crate::outbox::Context;
use crate::security::Security;
use crate::security::SecurityEvent;
use crate::station::BootStatus;
use crate::station::NoAnswer;
use crate::Output;
use chrono::{DateTime, Duration, Utc};
use ocpp::{
    CertificateSignedRequest, CertificateSignedResponse, CertificateSignedStatus, GenericStatus,
    SignCertificateRequest, SignCertificateResponse,
};
use store::{StoredCertificate, PENDING_CHARGE_POINT_KEY};

/// Renew the ChargePointCertificate when it expires within this (whitepaper A03).
pub(crate) const RENEW_BEFORE_DAYS: i64 = 30;

/// Where the time of the last SignCertificate.req is kept (store `kv`): at most one a day
/// is sent by the station itself, across restarts too.
const REQUESTED_AT_KEY: &str = "security.sign_certificate_requested_at";

/// Why a CertificateSigned.req is refused.
enum Refusal {
    /// The certificate is not acceptable: InvalidChargePointCertificate.
    Invalid(String),
    /// The station failed to store it.
    Store(String),
}

impl Security {
    /// Make a key pair and a CSR, keep the key pending and queue SignCertificate.req (as a
    /// triggered message when the Central System asked for it). Err: why not (logged by the
    /// caller; nothing changed).
    pub(crate) fn request_certificate(
        &mut self,
        ctx: &mut Ctx,
        triggered: bool,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let organization = ctx
            .config
            .get("CpoName")
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        if organization.is_empty() {
            return Err("CpoName is empty; the CSR needs it as organization".into());
        }
        let common_name = self.certificate_common_name(ctx, now).ok_or(
            "the charge point identity is unknown (no identity configured, no \
             ChargePointCertificate installed)",
        )?;
        let made = certs::generate_csr(&common_name, &organization)
            .map_err(|e| format!("cannot make a key pair and CSR: {e}"))?;
        let csr = ocpp::CiString::new(made.csr_pem)
            .map_err(|_| "the CSR is longer than SignCertificate.req allows".to_string())?;
        for old in self
            .stored_certificates(ctx)
            .into_iter()
            .filter(|r| r.use_ == PENDING_CHARGE_POINT_KEY)
        {
            ctx.store
                .certificate_remove(old.id)
                .map_err(|e| format!("cannot replace the pending key: {e}"))?;
        }
        self.add_certificate(
            ctx,
            PENDING_CHARGE_POINT_KEY,
            String::new(),
            Some(made.key_pem),
            now,
        )
        .ok_or("cannot store the new key")?;
        if let Err(e) = ctx.store.kv_set(REQUESTED_AT_KEY, &now.to_rfc3339()) {
            tracing::error!("cannot record the time of SignCertificate: {e}");
        }
        let req = SignCertificateRequest { csr };
        if triggered {
            ctx.queue_triggered(&req, Context::None);
        } else {
            ctx.queue_call(&req, Context::None);
        }
        tracing::info!("SignCertificate.req queued: CN={common_name}, O={organization}");
        Ok(())
    }

    /// The common name of the CSR: the configured identity, else the CN of the
    /// ChargePointCertificate in use.
    fn certificate_common_name(&self, ctx: &Ctx, now: DateTime<Utc>) -> Option<String> {
        if !ctx.cfg.identity.is_empty() {
            return Some(ctx.cfg.identity.clone());
        }
        let (chain, _) = self.tls_identity(ctx, now)?;
        certs::inspect(&chain)
            .ok()?
            .subject_cn
            .filter(|cn| !cn.is_empty())
    }

    pub(crate) fn on_sign_certificate_response(
        &mut self,
        ctx: &mut Ctx,
        answer: Result<SignCertificateResponse, NoAnswer>,
        _now: DateTime<Utc>,
    ) {
        match answer.ok().map(|r| r.status) {
            Some(GenericStatus::Accepted) => {
                tracing::info!("SignCertificate accepted: waiting for CertificateSigned")
            }
            Some(GenericStatus::Rejected) => {
                tracing::warn!(
                    "SignCertificate rejected by the Central System: pending key dropped"
                );
                self.drop_pending_keys(ctx);
            }
            None => tracing::warn!(
                "SignCertificate not answered: the pending key is kept for a late CertificateSigned"
            ),
        }
    }

    fn drop_pending_keys(&mut self, ctx: &mut Ctx) {
        for row in self
            .stored_certificates(ctx)
            .into_iter()
            .filter(|r| r.use_ == PENDING_CHARGE_POINT_KEY)
        {
            if let Err(e) = ctx.store.certificate_remove(row.id) {
                tracing::error!("cannot remove the pending key: {e}");
            }
        }
    }

    pub(crate) fn on_certificate_signed(
        &mut self,
        ctx: &mut Ctx,
        req: CertificateSignedRequest,
        now: DateTime<Utc>,
    ) -> Result<CertificateSignedResponse, ocpp::Refusal> {
        let status = match self.install_signed_chain(ctx, req.certificate_chain.as_str(), now) {
            Ok(cn) => {
                tracing::info!(
                    "CertificateSigned accepted: ChargePointCertificate {cn:?} installed, \
                     presented from the next connection (at once with profile 3)"
                );
                CertificateSignedStatus::Accepted
            }
            Err(Refusal::Invalid(why)) => {
                tracing::warn!("CertificateSigned rejected: {why}");
                ctx.raise_and_notify_security_event(
                    SecurityEvent::InvalidChargePointCertificate,
                    &why,
                    now,
                );
                CertificateSignedStatus::Rejected
            }
            Err(Refusal::Store(why)) => {
                tracing::error!("CertificateSigned rejected: {why}");
                CertificateSignedStatus::Rejected
            }
        };
        if status == CertificateSignedStatus::Accepted {
            ctx.outputs.push_back(Output::ConfigChanged {
                key: "ChargePointCertificate".into(),
                value: "installed".into(),
            });
        }
        Ok(CertificateSignedResponse { status })
    }

    /// Check the chain and install it with the pending key; the leaf's CN.
    fn install_signed_chain(
        &mut self,
        ctx: &mut Ctx,
        chain: &str,
        now: DateTime<Utc>,
    ) -> Result<String, Refusal> {
        let invalid = |why: String| Refusal::Invalid(why);
        let max = ctx.config.current().certificate_signed_max_chain_size;
        if chain.len() as i64 > max {
            return Err(invalid(format!(
                "the chain has {} bytes, more than CertificateSignedMaxChainSize ({max})",
                chain.len()
            )));
        }
        let certificates = match certs::split_pem_chain(chain) {
            Ok(list) if !list.is_empty() => list,
            Ok(_) => return Err(invalid("no certificate in the chain".into())),
            Err(e) => return Err(invalid(format!("not a PEM certificate chain: {e}"))),
        };
        let rows = self.stored_certificates(ctx);
        let Some(key) = rows
            .iter()
            .rev()
            .filter(|r| r.use_ == PENDING_CHARGE_POINT_KEY)
            .find_map(|r| r.private_key_pem.clone())
        else {
            return Err(invalid(
                "no key pair waits for a certificate (no SignCertificate.req outstanding)".into(),
            ));
        };
        let leaf = &certificates[0];
        match certs::key_matches(leaf, &key) {
            Ok(true) => {}
            Ok(false) => {
                return Err(invalid(
                    "the certificate does not hold the public key of the CSR".into(),
                ))
            }
            Err(e) => return Err(invalid(format!("cannot check the certificate's key: {e}"))),
        }
        let info = certs::inspect(leaf).map_err(|e| invalid(format!("bad certificate: {e}")))?;
        if !valid_at(&info, now) {
            return Err(invalid(format!(
                "the certificate is not valid now (valid {} .. {})",
                info.not_before, info.not_after
            )));
        }
        let roots: Vec<String> = rows
            .iter()
            .filter(|r| r.use_ == CS_ROOT)
            .map(|r| r.pem.clone())
            .collect();
        if roots.is_empty() {
            return Err(invalid(
                "no CentralSystemRootCertificate installed to verify the chain".into(),
            ));
        }
        let pem = join_pem(&certificates);
        if let Err(e) = certs::verify_chain(&pem, &roots, now) {
            return Err(invalid(format!(
                "the chain does not verify against the CentralSystemRootCertificates: {e}"
            )));
        }
        let id = self
            .add_certificate(ctx, CP_CERT, pem, Some(key), now)
            .ok_or_else(|| Refusal::Store("cannot store the certificate".into()))?;
        self.drop_pending_keys(ctx);
        // Keep the new certificate and the one before it.
        let previous: Vec<StoredCertificate> = rows
            .into_iter()
            .filter(|r| r.use_ == CP_CERT && r.id != id)
            .collect();
        for old in previous.iter().rev().skip(1) {
            if let Err(e) = ctx.store.certificate_remove(old.id) {
                tracing::error!("cannot remove an old ChargePointCertificate: {e}");
            }
        }
        Ok(info.subject_cn.unwrap_or_default())
    }

    /// When the daily certificate check is due (while registered).
    pub(crate) fn certificate_deadline(&self, ctx: &Ctx) -> Option<DateTime<Utc>> {
        if ctx.boot != BootStatus::Accepted {
            return None;
        }
        self.certificate_check_at
    }

    /// The certificate check: at registration and then daily.
    pub(crate) fn certificate_timers(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        if ctx.boot != BootStatus::Accepted || self.certificate_check_at.is_some_and(|t| now < t) {
            return;
        }
        self.certificate_check_at = Some(now + Duration::days(1));
        self.renew_certificate_if_expiring(ctx, now);
    }

    /// Whitepaper A03: send SignCertificate.req when the ChargePointCertificate in use
    /// expires within [`RENEW_BEFORE_DAYS`], at most once a day.
    fn renew_certificate_if_expiring(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        let Some((chain, _)) = self.tls_identity(ctx, now) else {
            return;
        };
        let Ok(info) = certs::inspect(&chain) else {
            return;
        };
        if info.not_after - now > Duration::days(RENEW_BEFORE_DAYS) {
            return;
        }
        let last = ctx
            .store
            .kv_get(REQUESTED_AT_KEY)
            .ok()
            .flatten()
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc));
        if let Some(last) = last.filter(|t| (now - *t).abs() < Duration::days(1)) {
            tracing::debug!("ChargePointCertificate renewal requested less than a day ago");
            // Ask again as soon as the day is over.
            let again = last + Duration::days(1);
            let check = &mut self.certificate_check_at;
            if check.is_none_or(|t| again < t) {
                *check = Some(again.max(now));
            }
            return;
        }
        match self.request_certificate(ctx, false, now) {
            Ok(()) => tracing::info!(
                "the ChargePointCertificate expires at {}: SignCertificate.req sent to renew it",
                info.not_after
            ),
            Err(why) => tracing::warn!(
                "the ChargePointCertificate expires at {} and cannot be renewed: {why}",
                info.not_after
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Input, Output, Station, StationConfig};
    use chrono::DateTime;

    fn station(now: crate::Now) -> Station {
        let info = hal::ChargerInfo {
            vendor: "Chargepoint".into(),
            model: "SIM-DC-500".into(),
            serial_number: "SIM000001".into(),
            firmware_version: "0.1.0".into(),
            meter_type: "SIM-DC-METER".into(),
            meter_serial_number: "SIM000001-M".into(),
        };
        let cfg = StationConfig::new(info, 1);
        Station::new(cfg, Box::new(store::MemoryStore::new()), now).unwrap()
    }

    /// CertificateSignedMaxChainSize is read-only and as large as the schema's limit, so
    /// only a station built with a smaller one shows the check.
    #[test]
    fn a_chain_longer_than_certificate_signed_max_chain_size_is_rejected() {
        let wall = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let now = crate::Now::new(crate::Monotonic::from_start(Default::default()), wall);
        let mut s = station(now);
        s.ctx
            .config
            .set_internal("CertificateSignedMaxChainSize", "100".into());
        let frame = |chain: &str| {
            ocpp::Frame::Call(ocpp::Call {
                unique_id: "cs-1".into(),
                action: "CertificateSigned".into(),
                payload: serde_json::json!({ "certificateChain": chain }),
            })
            .to_text()
        };
        s.handle(Input::Received(frame(&"A".repeat(101))), now);
        let mut answer = None;
        while let Some(out) = s.poll_output() {
            if let Output::Send(text) = out {
                if let Ok(ocpp::Frame::CallResult(r)) = ocpp::Frame::parse(&text) {
                    answer = Some(r.payload);
                }
            }
        }
        assert_eq!(answer.unwrap()["status"], "Rejected");
        let log = s.security_log();
        let last = log.last().unwrap();
        assert_eq!(last.kind, "InvalidChargePointCertificate");
        assert!(
            last.tech_info
                .as_deref()
                .unwrap()
                .contains("more than CertificateSignedMaxChainSize (100)"),
            "{:?}",
            last.tech_info
        );
    }
}
