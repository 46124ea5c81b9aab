//! GetInstalledCertificateIds: Central System lists installed root certificates (security extension).

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{CertificateHashData, CertificateUse, GetInstalledCertificateStatus};

/// `GetInstalledCertificateIds.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetInstalledCertificateIdsRequest {
    pub certificate_type: CertificateUse,
}

/// `GetInstalledCertificateIds.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetInstalledCertificateIdsResponse {
    /// When present, at least one element (checked on decode).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::validate::option_non_empty"
    )]
    pub certificate_hash_data: Option<Vec<CertificateHashData>>,
    pub status: GetInstalledCertificateStatus,
}

impl_request!(GetInstalledCertificateIdsRequest => GetInstalledCertificateIdsResponse, GetInstalledCertificateIds);
