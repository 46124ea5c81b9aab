//! InstallCertificate, GetInstalledCertificateIds and DeleteCertificate (see the module
//! docs of `certificates`).

use super::{same_pem, valid_at, CP_CERT, CS_ROOT, MF_ROOT};
use crate::context::Ctx;
use crate::security::Security;
use crate::station::ci;
use chrono::{DateTime, Utc};
use ocpp::{
    CertificateHashData, DeleteCertificateRequest, DeleteCertificateResponse,
    DeleteCertificateStatus, GetInstalledCertificateIdsRequest, GetInstalledCertificateIdsResponse,
    GetInstalledCertificateStatus, HashAlgorithm, InstallCertificateRequest,
    InstallCertificateResponse, InstallCertificateStatus, Refusal,
};
use store::StoredCertificate;

impl Security {
    pub(crate) fn on_install_certificate(
        &mut self,
        ctx: &mut Ctx,
        req: InstallCertificateRequest,
        now: DateTime<Utc>,
    ) -> Result<InstallCertificateResponse, Refusal> {
        let use_ = req.certificate_type.as_str();
        let (status, why) = self.install_root(ctx, use_, req.certificate.as_str(), now);
        tracing::info!("InstallCertificate {use_}: {} ({why})", status.as_str());
        Ok(InstallCertificateResponse { status })
    }

    fn install_root(
        &mut self,
        ctx: &mut Ctx,
        use_: &str,
        pem: &str,
        now: DateTime<Utc>,
    ) -> (InstallCertificateStatus, String) {
        use InstallCertificateStatus::{Accepted, Failed, Rejected};
        let cert = match certs::split_pem_chain(pem) {
            Ok(mut list) if list.len() == 1 => list.remove(0),
            Ok(list) if list.is_empty() => return (Rejected, "no certificate in it".into()),
            Ok(list) => {
                let n = list.len();
                return (Rejected, format!("{n} certificates; one root expected"));
            }
            Err(e) => return (Rejected, format!("not a certificate: {e}")),
        };
        let info = match certs::inspect(&cert) {
            Ok(info) => info,
            Err(e) => return (Rejected, format!("not a certificate: {e}")),
        };
        let name = info.subject_cn.clone().unwrap_or_default();
        if !info.is_ca && !info.self_signed {
            return (
                Rejected,
                format!("{name:?} is neither a CA nor self-signed"),
            );
        }
        if !valid_at(&info, now) {
            return (
                Rejected,
                format!(
                    "{name:?} is not valid now (valid {} .. {})",
                    info.not_before, info.not_after
                ),
            );
        }
        let rows = self.stored_certificates(ctx);
        if rows
            .iter()
            .any(|r| r.use_ == use_ && same_pem(&r.pem, &cert))
        {
            return (Accepted, format!("{name:?} is installed already"));
        }
        let roots = rows
            .iter()
            .filter(|r| r.use_ == CS_ROOT || r.use_ == MF_ROOT)
            .count();
        let max = usize::try_from(ctx.config.current().certificate_store_max_length).unwrap_or(0);
        if roots >= max {
            return (
                Failed,
                format!("{roots} roots installed, CertificateStoreMaxLength is {max}"),
            );
        }
        match self.add_certificate(ctx, use_, format!("{}\n", cert.trim()), None, now) {
            Some(_) if use_ == CS_ROOT => (
                Accepted,
                format!("{name:?} installed; trusted from the next connection"),
            ),
            Some(_) => (Accepted, format!("{name:?} installed")),
            None => (Failed, "the certificate store failed".into()),
        }
    }

    pub(crate) fn on_get_installed_certificate_ids(
        &mut self,
        ctx: &mut Ctx,
        req: GetInstalledCertificateIdsRequest,
        _now: DateTime<Utc>,
    ) -> Result<GetInstalledCertificateIdsResponse, Refusal> {
        let use_ = req.certificate_type.as_str();
        let hashes: Vec<CertificateHashData> = self
            .hashed_certificates(ctx)
            .into_iter()
            .filter(|(row, _)| row.use_ == use_)
            .map(|(_, hash)| wire_hash(&hash))
            .collect();
        tracing::info!(
            "GetInstalledCertificateIds {use_}: {} installed",
            hashes.len()
        );
        let response = if hashes.is_empty() {
            GetInstalledCertificateIdsResponse {
                certificate_hash_data: None,
                status: GetInstalledCertificateStatus::NotFound,
            }
        } else {
            GetInstalledCertificateIdsResponse {
                certificate_hash_data: Some(hashes),
                status: GetInstalledCertificateStatus::Accepted,
            }
        };
        Ok(response)
    }

    pub(crate) fn on_delete_certificate(
        &mut self,
        ctx: &mut Ctx,
        req: DeleteCertificateRequest,
        _now: DateTime<Utc>,
    ) -> Result<DeleteCertificateResponse, Refusal> {
        let (status, why) = self.delete_certificate(ctx, &req.certificate_hash_data);
        tracing::info!(
            "DeleteCertificate (serial {}): {} ({why})",
            req.certificate_hash_data.serial_number.as_str(),
            status.as_str()
        );
        Ok(DeleteCertificateResponse { status })
    }

    fn delete_certificate(
        &mut self,
        ctx: &mut Ctx,
        want: &CertificateHashData,
    ) -> (DeleteCertificateStatus, String) {
        use DeleteCertificateStatus::{Accepted, Failed, NotFound};
        let all = self.hashed_certificates(ctx);
        let matches: Vec<&StoredCertificate> = all
            .iter()
            .filter(|(_, hash)| hash_matches(hash, want))
            .map(|(row, _)| row)
            .collect();
        if matches.is_empty() {
            return (
                NotFound,
                "no installed certificate has this hash data".into(),
            );
        }
        let left = |use_: &str| {
            all.iter()
                .filter(|(r, _)| r.use_ == use_ && !matches.iter().any(|m| m.id == r.id))
                .count()
        };
        let profile = self.security_profile(ctx);
        if matches.iter().any(|m| m.use_ == CS_ROOT) && left(CS_ROOT) == 0 {
            // AQ-1; at profiles 2 and 3 the next connection could not verify the server.
            return (
                Failed,
                format!("the last CentralSystemRootCertificate (SecurityProfile {profile}) stays"),
            );
        }
        if matches.iter().any(|m| m.use_ == CP_CERT) && left(CP_CERT) == 0 {
            // AQ-3.
            return (Failed, "the last ChargePointCertificate stays".into());
        }
        let mut removed = Vec::new();
        for m in &matches {
            if let Err(e) = ctx.store.certificate_remove(m.id) {
                tracing::error!("cannot remove certificate {}: {e}", m.id);
                return (Failed, "the certificate store failed".into());
            }
            removed.push(m.use_.as_str());
        }
        (Accepted, format!("removed: {}", removed.join(", ")))
    }

    /// Every installed certificate (roots, and the leaf of each ChargePointCertificate) with
    /// its hash data; those that do not parse are left out (and logged).
    fn hashed_certificates(&self, ctx: &Ctx) -> Vec<(StoredCertificate, certs::HashData)> {
        let rows: Vec<StoredCertificate> = self
            .stored_certificates(ctx)
            .into_iter()
            .filter(|r| [CS_ROOT, MF_ROOT, CP_CERT].contains(&r.use_.as_str()))
            .collect();
        // Where issuers are looked for: the roots, then every certificate of the chains.
        let mut pool: Vec<String> = Vec::new();
        for row in rows.iter().filter(|r| r.use_ != CP_CERT) {
            pool.push(row.pem.clone());
        }
        let mut chains = Vec::new();
        for row in &rows {
            let chain = certs::split_pem_chain(&row.pem).unwrap_or_default();
            if row.use_ == CP_CERT {
                pool.extend(chain.iter().skip(1).cloned());
            }
            chains.push(chain);
        }
        let mut out = Vec::new();
        for (row, chain) in rows.into_iter().zip(chains) {
            let Some(cert) = chain.first() else {
                tracing::warn!("installed {} {} does not parse", row.use_, row.id);
                continue;
            };
            let issuer = find_issuer(cert, &pool);
            match certs::hash_data(cert, issuer.as_deref()) {
                Ok(hash) => out.push((row, hash)),
                Err(e) => tracing::warn!("cannot hash installed {} {}: {e}", row.use_, row.id),
            }
        }
        out
    }
}

/// The certificate among `pool` that issued `cert`: None for a self-signed certificate or
/// an issuer not installed. Found by name (CN); between namesakes, the one whose key
/// verifies the signature.
fn find_issuer(cert: &str, pool: &[String]) -> Option<String> {
    let info = certs::inspect(cert).ok()?;
    if info.self_signed {
        return None;
    }
    let candidates: Vec<(&String, certs::CertInfo)> = pool
        .iter()
        .filter(|p| !same_pem(p, cert))
        .filter_map(|p| certs::inspect(p).ok().map(|i| (p, i)))
        .filter(|(_, i)| (i.is_ca || i.self_signed) && i.subject_cn == info.issuer_cn)
        .collect();
    if candidates.len() > 1 {
        // Verify at a moment both are valid, so that only the signature decides.
        let signed = candidates.iter().find(|(p, i)| {
            let at = info.not_before.max(i.not_before);
            at <= info.not_after.min(i.not_after)
                && certs::verify_chain(cert, std::slice::from_ref(*p), at).is_ok()
        });
        if let Some((p, _)) = signed {
            return Some((*p).clone());
        }
    }
    candidates.first().map(|(p, _)| (*p).clone())
}

fn wire_hash(hash: &certs::HashData) -> CertificateHashData {
    CertificateHashData {
        hash_algorithm: HashAlgorithm::SHA256,
        issuer_name_hash: ci(&hash.issuer_name_hash),
        issuer_key_hash: ci(&hash.issuer_key_hash),
        serial_number: ci(&hash.serial_number),
    }
}

/// Whether `want` names the certificate of `hash`: all four fields, hex ignoring case, the
/// serial number also ignoring leading zeros.
fn hash_matches(hash: &certs::HashData, want: &CertificateHashData) -> bool {
    let serial = |s: &str| {
        let t = s.trim_start_matches('0');
        if t.is_empty() { "0" } else { t }.to_ascii_lowercase()
    };
    want.hash_algorithm
        .as_str()
        .eq_ignore_ascii_case(hash.hash_algorithm)
        && want
            .issuer_name_hash
            .as_str()
            .eq_ignore_ascii_case(&hash.issuer_name_hash)
        && want
            .issuer_key_hash
            .as_str()
            .eq_ignore_ascii_case(&hash.issuer_key_hash)
        && serial(want.serial_number.as_str()) == serial(&hash.serial_number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_data_matches_ignoring_case_and_leading_zeros() {
        let hash = certs::HashData {
            hash_algorithm: "SHA256",
            issuer_name_hash: "ab01".into(),
            issuer_key_hash: "cd02".into(),
            serial_number: "a0".into(),
        };
        let mut want = wire_hash(&hash);
        assert!(hash_matches(&hash, &want));
        want.issuer_name_hash = ci("AB01");
        want.serial_number = ci("00A0");
        assert!(hash_matches(&hash, &want));
        want.hash_algorithm = HashAlgorithm::SHA384;
        assert!(!hash_matches(&hash, &want));
        let mut other = wire_hash(&hash);
        other.serial_number = ci("a1");
        assert!(!hash_matches(&hash, &other));
        let mut other = wire_hash(&hash);
        other.issuer_key_hash = ci("cd03");
        assert!(!hash_matches(&hash, &other));
    }
}
