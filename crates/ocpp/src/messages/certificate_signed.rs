//! CertificateSigned: Central System delivers the signed certificate chain (security extension).

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{CertificateSignedStatus, CiString};

/// `CertificateSigned.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateSignedRequest {
    pub certificate_chain: CiString<10000>,
}

/// `CertificateSigned.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateSignedResponse {
    pub status: CertificateSignedStatus,
}

impl_request!(CertificateSignedRequest => CertificateSignedResponse, CertificateSigned);
