//! SignCertificate: charge point sends a CSR to get its certificate signed (security extension).

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{CiString, GenericStatus};

/// `SignCertificate.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignCertificateRequest {
    pub csr: CiString<5500>,
}

/// `SignCertificate.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignCertificateResponse {
    pub status: GenericStatus,
}

impl_request!(SignCertificateRequest => SignCertificateResponse, SignCertificate);
