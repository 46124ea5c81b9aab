//! DeleteCertificate: Central System deletes an installed certificate (security extension).

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{CertificateHashData, DeleteCertificateStatus};

/// `DeleteCertificate.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteCertificateRequest {
    pub certificate_hash_data: CertificateHashData,
}

/// `DeleteCertificate.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteCertificateResponse {
    pub status: DeleteCertificateStatus,
}

impl_request!(DeleteCertificateRequest => DeleteCertificateResponse, DeleteCertificate);
