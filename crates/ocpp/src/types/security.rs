//! Security extension: certificates (names after the JSON schemas' `*EnumType` /
//! `*Type` definitions, without the suffix).

use serde::{Deserialize, Serialize};

use crate::wire_enum::wire_enum;
use crate::CiString;

wire_enum! {
    /// Kind of root certificate (`CertificateUseEnumType`).
    CertificateUse {
        CentralSystemRootCertificate = "CentralSystemRootCertificate",
        ManufacturerRootCertificate = "ManufacturerRootCertificate",
    }
}

wire_enum! {
    /// Hash algorithm of `CertificateHashData` (`HashAlgorithmEnumType`).
    HashAlgorithm {
        SHA256 = "SHA256",
        SHA384 = "SHA384",
        SHA512 = "SHA512",
    }
}

/// Identifies a certificate (`CertificateHashDataType`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateHashData {
    pub hash_algorithm: HashAlgorithm,
    pub issuer_name_hash: CiString<128>,
    pub issuer_key_hash: CiString<128>,
    pub serial_number: CiString<40>,
}

wire_enum! {
    /// Result of InstallCertificate (`InstallCertificateStatusEnumType`).
    InstallCertificateStatus {
        Accepted = "Accepted",
        Failed = "Failed",
        Rejected = "Rejected",
    }
}

/// The whitepaper's name for [`InstallCertificateStatus`].
pub type CertificateStatus = InstallCertificateStatus;

wire_enum! {
    /// Result of DeleteCertificate (`DeleteCertificateStatusEnumType`).
    DeleteCertificateStatus {
        Accepted = "Accepted",
        Failed = "Failed",
        NotFound = "NotFound",
    }
}

wire_enum! {
    /// Result of GetInstalledCertificateIds (`GetInstalledCertificateStatusEnumType`).
    GetInstalledCertificateStatus {
        Accepted = "Accepted",
        NotFound = "NotFound",
    }
}

wire_enum! {
    /// Result of CertificateSigned (`CertificateSignedStatusEnumType`).
    CertificateSignedStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}

wire_enum! {
    /// Generic result, e.g. of SignCertificate (`GenericStatusEnumType`).
    GenericStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}
