//! Trusted roots for https and ftps, from [`TransferConfig::roots_pem`](crate::TransferConfig).

use crate::{TransferConfig, TransferError};

/// Every certificate in `cfg.roots_pem` (each entry may hold several), as DER.
pub(crate) fn root_ders(cfg: &TransferConfig) -> Result<Vec<Vec<u8>>, TransferError> {
    let mut out = Vec::new();
    for (i, pem) in cfg.roots_pem.iter().enumerate() {
        let certs = openssl::x509::X509::stack_from_pem(pem.as_bytes())
            .map_err(|e| TransferError::Tls(format!("root certificate #{}: {e}", i + 1)))?;
        if certs.is_empty() {
            return Err(TransferError::Tls(format!(
                "root certificate #{}: no certificate in PEM",
                i + 1
            )));
        }
        for c in certs {
            out.push(
                c.to_der()
                    .map_err(|e| TransferError::Tls(format!("root certificate #{}: {e}", i + 1)))?,
            );
        }
    }
    Ok(out)
}

/// A native-tls connector trusting the configured roots (and the system's when enabled),
/// verifying the host name, TLS 1.2 or newer.
pub(crate) fn native_connector(
    cfg: &TransferConfig,
) -> Result<native_tls::TlsConnectorBuilder, TransferError> {
    let mut b = native_tls::TlsConnector::builder();
    b.disable_built_in_roots(!cfg.system_roots)
        .min_protocol_version(Some(native_tls::Protocol::Tlsv12));
    for der in root_ders(cfg)? {
        let cert = native_tls::Certificate::from_der(&der)
            .map_err(|e| TransferError::Tls(format!("root certificate: {e}")))?;
        b.add_root_certificate(cert);
    }
    Ok(b)
}

/// True when `e` or one of its sources is a TLS (native-tls / OpenSSL) error.
pub(crate) fn is_tls_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<native_tls::Error>()
            || err.is::<openssl::ssl::Error>()
            || err.is::<openssl::error::ErrorStack>()
        {
            return true;
        }
        cur = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_root_pem_is_a_tls_error() {
        let cfg = TransferConfig {
            roots_pem: vec!["not a certificate".into()],
            ..TransferConfig::default()
        };
        assert!(matches!(root_ders(&cfg), Err(TransferError::Tls(_))));
        assert!(matches!(native_connector(&cfg), Err(TransferError::Tls(_))));
        assert!(root_ders(&TransferConfig::default()).unwrap().is_empty());
    }
}
