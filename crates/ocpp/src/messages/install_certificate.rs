//! InstallCertificate: Central System installs a root certificate (security extension).

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{CertificateUse, CiString, InstallCertificateStatus};

/// `InstallCertificate.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstallCertificateRequest {
    pub certificate_type: CertificateUse,
    pub certificate: CiString<5500>,
}

/// `InstallCertificate.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstallCertificateResponse {
    pub status: InstallCertificateStatus,
}

impl_request!(InstallCertificateRequest => InstallCertificateResponse, InstallCertificate);
