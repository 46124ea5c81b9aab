//! TLS for `wss://` (OCPP 1.6 security profiles 2 and 3) on both sides, via OpenSSL.
//!
//! Client: TLS 1.2 or newer, the server certificate verified against the configured trusted
//! roots *and* the host name (or IP address) of the URL. For TLS 1.2 only the cipher suites
//! of the OCPP 1.6 security whitepaper are offered by default ([`OCPP_TLS12_CIPHERS`]); for
//! TLS 1.3 the suites are restricted to the AES-GCM ones ([`OCPP_TLS13_CIPHERSUITES`]), the
//! TLS 1.3 counterparts of the whitepaper's list.
//!
//! A handshake failure is classified ([`TlsErrorKind`]) so that the station can raise the
//! matching security event: `InvalidCentralSystemCertificate` for a certificate problem,
//! `InvalidTLSVersion` / `InvalidTLSCipherSuite` when no version / cipher suite was common.

use std::fmt;
use std::pin::Pin;

use openssl::ssl::{SslAcceptor, SslConnector, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::X509;
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

use crate::NetError;

/// The TLS 1.2 cipher suites the OCPP 1.6 security whitepaper allows (OpenSSL names of
/// TLS_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_256_GCM_SHA384,
/// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 and TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384).
pub const OCPP_TLS12_CIPHERS: &str =
    "AES128-GCM-SHA256:AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384";

/// The TLS 1.3 cipher suites offered: the AES-GCM ones (ChaCha20 is left out, as it is from
/// the TLS 1.2 list).
pub const OCPP_TLS13_CIPHERSUITES: &str = "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256";

/// What kind of TLS failure ended a connection attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsErrorKind {
    /// The server certificate does not chain to a configured trusted root.
    UnknownRoot,
    /// A certificate in the chain has expired.
    Expired,
    /// A certificate in the chain is not valid yet.
    NotYetValid,
    /// The certificate does not name the host (or IP address) of the URL.
    HostName,
    /// Any other certificate problem (bad signature, wrong purpose, ...).
    BadCertificate,
    /// No TLS protocol version in common: the peer refused ours (a `protocol_version`
    /// alert) or chose one we do not allow (below TLS 1.2).
    Version,
    /// No cipher suite in common: the peer answered our hello with a `handshake_failure`
    /// alert before choosing any suite (it found none of ours acceptable; this also covers
    /// no common key exchange group or signature algorithm, which are negotiated with the
    /// suite), or, server side, OpenSSL found no shared cipher.
    CipherSuite,
    /// The handshake failed otherwise: the peer refused our client certificate, a broken
    /// connection, a peer that does not speak TLS.
    Handshake,
    /// Our own TLS configuration is unusable (bad PEM, key not matching the certificate).
    Config,
}

impl TlsErrorKind {
    /// Whether the server's certificate was the problem (OCPP: InvalidCentralSystemCertificate).
    pub fn is_certificate_problem(self) -> bool {
        matches!(
            self,
            Self::UnknownRoot
                | Self::Expired
                | Self::NotYetValid
                | Self::HostName
                | Self::BadCertificate
        )
    }
}

impl fmt::Display for TlsErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::UnknownRoot => "certificate not signed by a trusted root",
            Self::Expired => "certificate expired",
            Self::NotYetValid => "certificate not yet valid",
            Self::HostName => "certificate does not match the host name",
            Self::BadCertificate => "invalid certificate",
            Self::Version => "no TLS version in common",
            Self::CipherSuite => "no cipher suite in common",
            Self::Handshake => "TLS handshake failed",
            Self::Config => "TLS configuration error",
        };
        f.write_str(s)
    }
}

/// Client side TLS settings for `wss://`.
#[derive(Clone)]
pub struct TlsClientConfig {
    /// Trusted root certificates, each a PEM text (one or more certificates).
    pub roots_pem: Vec<String>,
    /// The charge point certificate (PEM, optionally followed by its chain), profile 3.
    pub client_cert_pem: Option<String>,
    /// The private key of `client_cert_pem` (PEM).
    pub client_key_pem: Option<String>,
    /// OpenSSL cipher list for TLS 1.2; defaults to [`OCPP_TLS12_CIPHERS`].
    pub cipher_list: String,
}

impl Default for TlsClientConfig {
    fn default() -> Self {
        Self {
            roots_pem: Vec::new(),
            client_cert_pem: None,
            client_key_pem: None,
            cipher_list: OCPP_TLS12_CIPHERS.to_owned(),
        }
    }
}

impl fmt::Debug for TlsClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClientConfig")
            .field("roots", &self.roots_pem.len())
            .field("client_cert", &self.client_cert_pem.is_some())
            .field(
                "client_key",
                &self.client_key_pem.as_ref().map(|_| "<redacted>"),
            )
            .field("cipher_list", &self.cipher_list)
            .finish()
    }
}

/// Server side TLS settings (the built-in Central System).
#[derive(Clone)]
pub struct TlsServerConfig {
    /// The server certificate (PEM), optionally followed by intermediate certificates.
    pub cert_pem: String,
    /// Its private key (PEM).
    pub key_pem: String,
    /// Verify client certificates against these CAs (PEM): profile 3.
    pub client_ca_pem: Option<String>,
    /// With `client_ca_pem`: a client without a certificate is refused (default). Off: a
    /// certificate is asked for and verified if sent, but a client may come without one
    /// (the server then authenticates it otherwise, e.g. with HTTP Basic: profile 2).
    pub client_cert_required: bool,
    /// OpenSSL cipher list for TLS 1.2; defaults to [`OCPP_TLS12_CIPHERS`].
    pub cipher_list: String,
    /// Offer TLS 1.3 too (default). Off: TLS 1.2 only.
    pub tls13: bool,
}

impl TlsServerConfig {
    pub fn new(cert_pem: impl Into<String>, key_pem: impl Into<String>) -> Self {
        Self {
            cert_pem: cert_pem.into(),
            key_pem: key_pem.into(),
            client_ca_pem: None,
            client_cert_required: true,
            cipher_list: OCPP_TLS12_CIPHERS.to_owned(),
            tls13: true,
        }
    }
}

impl fmt::Debug for TlsServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsServerConfig")
            .field("key", &"<redacted>")
            .field("client_ca", &self.client_ca_pem.is_some())
            .field("client_cert_required", &self.client_cert_required)
            .field("cipher_list", &self.cipher_list)
            .field("tls13", &self.tls13)
            .finish()
    }
}

fn config_err(what: &str, e: impl fmt::Display) -> NetError {
    NetError::Tls {
        kind: TlsErrorKind::Config,
        detail: format!("{what}: {e}"),
    }
}

fn certs(pem: &str, what: &str) -> Result<Vec<X509>, NetError> {
    let certs = X509::stack_from_pem(pem.as_bytes()).map_err(|e| config_err(what, e))?;
    if certs.is_empty() {
        return Err(config_err(what, "no certificate in the PEM text"));
    }
    Ok(certs)
}

/// Build the OpenSSL connector for `cfg`.
pub(crate) fn connector(cfg: &TlsClientConfig) -> Result<SslConnector, NetError> {
    let mut b = SslConnector::builder(SslMethod::tls_client()).map_err(|e| config_err("TLS", e))?;
    b.set_min_proto_version(Some(SslVersion::TLS1_2))
        .map_err(|e| config_err("TLS version", e))?;
    b.set_cipher_list(&cfg.cipher_list)
        .map_err(|e| config_err("cipher list", e))?;
    b.set_ciphersuites(OCPP_TLS13_CIPHERSUITES)
        .map_err(|e| config_err("TLS 1.3 cipher suites", e))?;
    // Only the configured roots: a fresh store, not the system's default paths.
    let mut store = openssl::x509::store::X509StoreBuilder::new()
        .map_err(|e| config_err("certificate store", e))?;
    for pem in &cfg.roots_pem {
        for cert in certs(pem, "trusted root certificate")? {
            store
                .add_cert(cert)
                .map_err(|e| config_err("trusted root certificate", e))?;
        }
    }
    b.set_verify_cert_store(store.build())
        .map_err(|e| config_err("certificate store", e))?;
    b.set_verify(SslVerifyMode::PEER);
    match (&cfg.client_cert_pem, &cfg.client_key_pem) {
        (Some(cert), Some(key)) => {
            let chain = certs(cert, "client certificate")?;
            let mut chain = chain.into_iter();
            if let Some(leaf) = chain.next() {
                b.set_certificate(&leaf)
                    .map_err(|e| config_err("client certificate", e))?;
            }
            for extra in chain {
                b.add_extra_chain_cert(extra)
                    .map_err(|e| config_err("client certificate chain", e))?;
            }
            let key = openssl::pkey::PKey::private_key_from_pem(key.as_bytes())
                .map_err(|e| config_err("client key", e))?;
            b.set_private_key(&key)
                .map_err(|e| config_err("client key", e))?;
            b.check_private_key()
                .map_err(|e| config_err("client key does not match the certificate", e))?;
        }
        (None, None) => {}
        _ => {
            return Err(config_err(
                "client certificate",
                "needs both a certificate and its key",
            ))
        }
    }
    Ok(b.build())
}

/// Run the TLS client handshake on `tcp` for `host` (a DNS name or an IP address).
pub(crate) async fn connect(
    connector: &SslConnector,
    host: &str,
    tcp: TcpStream,
) -> Result<SslStream<TcpStream>, NetError> {
    // `into_ssl` turns on host name (or IP address) verification and SNI for DNS names.
    let ssl = connector
        .configure()
        .and_then(|c| c.into_ssl(host))
        .map_err(|e| config_err("TLS", e))?;
    let mut stream = SslStream::new(ssl, tcp).map_err(|e| config_err("TLS", e))?;
    match Pin::new(&mut stream).connect().await {
        Ok(()) => Ok(stream),
        Err(e) => Err(classify(stream.ssl(), &e)),
    }
}

// X509_V_ERR_* values (stable across OpenSSL versions).
const CERT_NOT_YET_VALID: i32 = 9;
const CERT_HAS_EXPIRED: i32 = 10;
const DEPTH_ZERO_SELF_SIGNED_CERT: i32 = 18;
const SELF_SIGNED_CERT_IN_CHAIN: i32 = 19;
const UNABLE_TO_GET_ISSUER_CERT_LOCALLY: i32 = 20;
const UNABLE_TO_VERIFY_LEAF_SIGNATURE: i32 = 21;
const UNABLE_TO_GET_ISSUER_CERT: i32 = 2;
const HOSTNAME_MISMATCH: i32 = 62;
const EMAIL_MISMATCH: i32 = 63;
const IP_ADDRESS_MISMATCH: i32 = 64;

// SSL_R_* reason codes (ERR_GET_REASON of OpenSSL 3's errors).
const R_NO_SHARED_CIPHER: i32 = 193;
const R_UNSUPPORTED_PROTOCOL: i32 = 258;
const R_WRONG_CIPHER_RETURNED: i32 = 261;
const R_ALERT_HANDSHAKE_FAILURE: i32 = 1040;
const R_ALERT_PROTOCOL_VERSION: i32 = 1070;
const R_ALERT_INSUFFICIENT_SECURITY: i32 = 1071;

/// A failure with a valid certificate (or none checked yet): was it the negotiation of the
/// version or of the cipher suite? `suite_chosen`: the peer's hello with its choice was
/// processed, so a later `handshake_failure` alert is about something else (e.g. our
/// client certificate).
fn negotiation_kind(e: &openssl::ssl::Error, suite_chosen: bool) -> TlsErrorKind {
    let Some(stack) = e.ssl_error() else {
        return TlsErrorKind::Handshake;
    };
    for err in stack.errors() {
        match err.reason_code() {
            R_UNSUPPORTED_PROTOCOL | R_ALERT_PROTOCOL_VERSION => return TlsErrorKind::Version,
            R_NO_SHARED_CIPHER | R_WRONG_CIPHER_RETURNED | R_ALERT_INSUFFICIENT_SECURITY => {
                return TlsErrorKind::CipherSuite
            }
            R_ALERT_HANDSHAKE_FAILURE if !suite_chosen => return TlsErrorKind::CipherSuite,
            _ => {}
        }
    }
    TlsErrorKind::Handshake
}

fn classify(ssl: &openssl::ssl::SslRef, e: &openssl::ssl::Error) -> NetError {
    let verify = ssl.verify_result();
    let kind = match verify.as_raw() {
        0 => negotiation_kind(e, ssl.current_cipher().is_some()),
        CERT_NOT_YET_VALID => TlsErrorKind::NotYetValid,
        CERT_HAS_EXPIRED => TlsErrorKind::Expired,
        DEPTH_ZERO_SELF_SIGNED_CERT
        | SELF_SIGNED_CERT_IN_CHAIN
        | UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        | UNABLE_TO_VERIFY_LEAF_SIGNATURE
        | UNABLE_TO_GET_ISSUER_CERT => TlsErrorKind::UnknownRoot,
        HOSTNAME_MISMATCH | EMAIL_MISMATCH | IP_ADDRESS_MISMATCH => TlsErrorKind::HostName,
        _ => TlsErrorKind::BadCertificate,
    };
    let detail = if verify.as_raw() == 0 {
        e.to_string()
    } else {
        format!("{} ({e})", verify.error_string())
    };
    NetError::Tls { kind, detail }
}

/// The server side: a configured OpenSSL acceptor.
#[derive(Clone)]
pub struct TlsAcceptor {
    inner: SslAcceptor,
}

impl fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsAcceptor")
    }
}

impl TlsAcceptor {
    pub fn new(cfg: &TlsServerConfig) -> Result<Self, NetError> {
        let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())
            .map_err(|e| config_err("TLS", e))?;
        b.set_min_proto_version(Some(SslVersion::TLS1_2))
            .map_err(|e| config_err("TLS version", e))?;
        if !cfg.tls13 {
            b.set_max_proto_version(Some(SslVersion::TLS1_2))
                .map_err(|e| config_err("TLS version", e))?;
        }
        b.set_cipher_list(&cfg.cipher_list)
            .map_err(|e| config_err("cipher list", e))?;
        b.set_ciphersuites(OCPP_TLS13_CIPHERSUITES)
            .map_err(|e| config_err("TLS 1.3 cipher suites", e))?;
        let mut chain = certs(&cfg.cert_pem, "server certificate")?.into_iter();
        if let Some(leaf) = chain.next() {
            b.set_certificate(&leaf)
                .map_err(|e| config_err("server certificate", e))?;
        }
        for extra in chain {
            b.add_extra_chain_cert(extra)
                .map_err(|e| config_err("server certificate chain", e))?;
        }
        let key = openssl::pkey::PKey::private_key_from_pem(cfg.key_pem.as_bytes())
            .map_err(|e| config_err("server key", e))?;
        b.set_private_key(&key)
            .map_err(|e| config_err("server key", e))?;
        b.check_private_key()
            .map_err(|e| config_err("server key does not match the certificate", e))?;
        if let Some(ca) = &cfg.client_ca_pem {
            let mut store = openssl::x509::store::X509StoreBuilder::new()
                .map_err(|e| config_err("client CA", e))?;
            for cert in certs(ca, "client CA certificate")? {
                b.add_client_ca(&cert)
                    .map_err(|e| config_err("client CA certificate", e))?;
                store
                    .add_cert(cert)
                    .map_err(|e| config_err("client CA certificate", e))?;
            }
            b.set_verify_cert_store(store.build())
                .map_err(|e| config_err("client CA", e))?;
            if cfg.client_cert_required {
                b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
            } else {
                b.set_verify(SslVerifyMode::PEER);
            }
        }
        Ok(Self { inner: b.build() })
    }

    /// Run the TLS server handshake on an accepted TCP stream.
    pub async fn accept(&self, tcp: TcpStream) -> Result<SslStream<TcpStream>, NetError> {
        let ssl = openssl::ssl::Ssl::new(self.inner.context()).map_err(|e| config_err("TLS", e))?;
        let mut stream = SslStream::new(ssl, tcp).map_err(|e| config_err("TLS", e))?;
        match Pin::new(&mut stream).accept().await {
            Ok(()) => Ok(stream),
            Err(e) => Err(classify(stream.ssl(), &e)),
        }
    }
}

/// The common name of the peer's certificate, if it sent one.
pub fn peer_common_name(stream: &SslStream<TcpStream>) -> Option<String> {
    let cert = stream.ssl().peer_certificate()?;
    let entry = cert
        .subject_name()
        .entries_by_nid(openssl::nid::Nid::COMMONNAME)
        .next()?;
    String::from_utf8(entry.data().as_slice().to_vec()).ok()
}

/// The certificate the peer presented (PEM), if it sent one.
pub fn peer_certificate_pem(stream: &SslStream<TcpStream>) -> Option<String> {
    let cert = stream.ssl().peer_certificate()?;
    let pem = cert.to_pem().ok()?;
    String::from_utf8(pem).ok()
}
