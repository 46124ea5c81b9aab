//! Certificate management (security extension): the station's certificate store, the
//! certificates the drivers use for TLS, SignCertificate / CertificateSigned, and the
//! SecurityProfile fallback.

use crate::station::Station;
use chrono::{DateTime, Utc};
use ocpp::{
    CertificateSignedRequest, DeleteCertificateRequest, ErrorCode,
    GetInstalledCertificateIdsRequest, InstallCertificateRequest,
};
use serde_json::Value;

impl Station {
    /// The CentralSystemRootCertificates (PEM) the drivers trust for `wss://`.
    pub fn tls_roots(&self) -> Vec<String> {
        self.cfg.central_system_roots.clone()
    }

    /// The ChargePointCertificate the drivers present with security profile 3 at `now`:
    /// (chain PEM leaf first, private key PEM).
    pub fn tls_identity(&self, now: DateTime<Utc>) -> Option<(String, String)> {
        let _ = now;
        self.cfg.charge_point_certificate.clone()
    }

    /// The SecurityProfile key (0..=3).
    pub fn security_profile(&self) -> u8 {
        self.config.int("SecurityProfile").clamp(0, 3) as u8
    }

    /// The HTTP Basic password for profiles 1 and 2: the AuthorizationKey's bytes.
    pub fn authorization_key(&self) -> Option<Vec<u8>> {
        None
    }

    pub(crate) fn fall_back_security_profile(
        &mut self,
        profile: u8,
        reason: &str,
        now: DateTime<Utc>,
    ) {
        let _ = (profile, reason, now);
    }

    pub(crate) fn on_sign_certificate_response(
        &mut self,
        payload: Result<Value, ()>,
        now: DateTime<Utc>,
    ) {
        let _ = (payload, now);
    }

    pub(crate) fn on_install_certificate(
        &mut self,
        unique_id: &str,
        req: InstallCertificateRequest,
        now: DateTime<Utc>,
    ) {
        let _ = (req, now);
        self.reply_error(unique_id, ErrorCode::NotSupported, "not yet");
    }

    pub(crate) fn on_get_installed_certificate_ids(
        &mut self,
        unique_id: &str,
        req: GetInstalledCertificateIdsRequest,
        now: DateTime<Utc>,
    ) {
        let _ = (req, now);
        self.reply_error(unique_id, ErrorCode::NotSupported, "not yet");
    }

    pub(crate) fn on_delete_certificate(
        &mut self,
        unique_id: &str,
        req: DeleteCertificateRequest,
        now: DateTime<Utc>,
    ) {
        let _ = (req, now);
        self.reply_error(unique_id, ErrorCode::NotSupported, "not yet");
    }

    pub(crate) fn on_certificate_signed(
        &mut self,
        unique_id: &str,
        req: CertificateSignedRequest,
        now: DateTime<Utc>,
    ) {
        let _ = (req, now);
        self.reply_error(unique_id, ErrorCode::NotSupported, "not yet");
    }
}
