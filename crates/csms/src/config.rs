//! How the Central System answers: registration, heartbeat interval, authorization.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ocpp::{AuthorizationStatus, IdTagInfo, RegistrationStatus};

/// Which id tags the Central System accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizePolicy {
    /// Every id tag is `Accepted`.
    AcceptAll,
    /// Only these id tags are `Accepted` (compared case-insensitively, as OCPP `IdToken`s
    /// are); every other tag is `Invalid`.
    List(Vec<String>),
    /// Each listed id tag (compared case-insensitively) gets its own answer, e.g. Blocked
    /// or a parentIdTag; every other tag is `Invalid`.
    Tags(Vec<TagInfo>),
}

/// The Central System's answer for one id tag under [`AuthorizePolicy::Tags`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagInfo {
    pub id_tag: String,
    pub status: AuthorizationStatus,
    pub parent_id_tag: Option<String>,
    pub expiry_date: Option<DateTime<Utc>>,
}

impl TagInfo {
    /// `id_tag` with `status`, no parent and no expiry date.
    pub fn new(id_tag: &str, status: AuthorizationStatus) -> TagInfo {
        TagInfo {
            id_tag: id_tag.to_string(),
            status,
            parent_id_tag: None,
            expiry_date: None,
        }
    }

    pub fn parent(mut self, parent_id_tag: &str) -> TagInfo {
        self.parent_id_tag = Some(parent_id_tag.to_string());
        self
    }
}

impl AuthorizePolicy {
    /// The status for `id_tag` under this policy.
    pub fn status(&self, id_tag: &str) -> AuthorizationStatus {
        match self {
            AuthorizePolicy::AcceptAll => AuthorizationStatus::Accepted,
            AuthorizePolicy::List(tags) if tags.iter().any(|t| t.eq_ignore_ascii_case(id_tag)) => {
                AuthorizationStatus::Accepted
            }
            AuthorizePolicy::List(_) => AuthorizationStatus::Invalid,
            AuthorizePolicy::Tags(_) => self
                .tag(id_tag)
                .map_or(AuthorizationStatus::Invalid, |t| t.status),
        }
    }

    fn tag(&self, id_tag: &str) -> Option<&TagInfo> {
        match self {
            AuthorizePolicy::Tags(tags) => {
                tags.iter().find(|t| t.id_tag.eq_ignore_ascii_case(id_tag))
            }
            _ => None,
        }
    }

    /// The `idTagInfo` to answer Authorize / StartTransaction / StopTransaction with.
    pub fn id_tag_info(&self, id_tag: &str) -> IdTagInfo {
        let tag = self.tag(id_tag);
        IdTagInfo {
            expiry_date: tag.and_then(|t| t.expiry_date),
            // A parentIdTag that is not a valid IdToken (over 20 characters) is left out.
            parent_id_tag: tag
                .and_then(|t| t.parent_id_tag.as_deref())
                .and_then(|p| ocpp::IdToken::new(p).ok()),
            status: self.status(id_tag),
        }
    }
}

/// Start-up configuration. The answer settings can also be changed while running
/// (see `CentralSystem::set_*`). Its `Debug` leaves out passwords and the signing key.
#[derive(Clone)]
pub struct CsmsConfig {
    /// Where to listen; port 0 picks a free port (see `CentralSystem::local_addr`).
    pub listen: SocketAddr,
    /// The heartbeat interval (seconds) sent in the BootNotification answer.
    pub heartbeat_interval: i32,
    /// The registration status sent in the BootNotification answer.
    pub boot_status: RegistrationStatus,
    pub authorize: AuthorizePolicy,
    /// How long an outgoing CALL waits for the station's answer once sent.
    pub call_timeout: Duration,
    /// Serve `wss://` on `listen` with this certificate (security profiles 2 and 3). With
    /// `client_ca_pem` set, a station that presents a client certificate must have one
    /// that chains to it and names the station (CN = id): profile 3, no password needed.
    /// When `passwords` are configured too, the certificate is optional (the CSMS turns
    /// `client_cert_required` off): a station without one must pass Basic auth (profile 2).
    pub tls: Option<net::TlsServerConfig>,
    /// Also serve plain `ws://` here (profiles 0 and 1), next to the TLS listener: one
    /// Central System for every profile, sharing all state
    /// (`CentralSystem::plain_base_url`).
    pub plain_listen: Option<SocketAddr>,
    /// With `tls`, take plain `ws://` on `listen` as well: a connection whose first byte
    /// opens a TLS handshake gets TLS, any other is plain. One address then serves every
    /// security profile, so a station that moves from ws:// to wss:// finds it.
    pub sniff_tls: bool,
    /// HTTP Basic auth (profiles 1 and 2): station id -> password bytes. A station whose
    /// user is not its id, or whose password differs, gets HTTP 401. `None`: no check.
    pub passwords: Option<BTreeMap<String, Vec<u8>>>,
    /// The CA that signs the CSRs of SignCertificate.req: (certificate PEM, private key
    /// PEM). The station gets Accepted and then CertificateSigned.req with the new
    /// certificate. `None`: SignCertificate is Rejected.
    pub signing_ca: Option<(String, String)>,
}

impl fmt::Debug for CsmsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsmsConfig")
            .field("listen", &self.listen)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("boot_status", &self.boot_status)
            .field("authorize", &self.authorize)
            .field("call_timeout", &self.call_timeout)
            .field("tls", &self.tls)
            .field("plain_listen", &self.plain_listen)
            .field("sniff_tls", &self.sniff_tls)
            .field(
                "passwords",
                &self
                    .passwords
                    .as_ref()
                    .map(|p| p.keys().collect::<Vec<_>>()),
            )
            .field(
                "signing_ca",
                &self.signing_ca.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Default for CsmsConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            heartbeat_interval: 300,
            boot_status: RegistrationStatus::Accepted,
            authorize: AuthorizePolicy::AcceptAll,
            call_timeout: Duration::from_secs(30),
            tls: None,
            plain_listen: None,
            sniff_tls: false,
            passwords: None,
            signing_ca: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_policy_is_case_insensitive_and_rejects_others() {
        let p = AuthorizePolicy::List(vec!["TAG1".into()]);
        assert_eq!(p.status("tag1"), AuthorizationStatus::Accepted);
        assert_eq!(p.status("TAG2"), AuthorizationStatus::Invalid);
        assert_eq!(
            AuthorizePolicy::AcceptAll.status("x"),
            AuthorizationStatus::Accepted
        );
    }

    #[test]
    fn tags_policy_answers_each_tag_its_own_id_tag_info() {
        let expiry = "2030-01-01T00:00:00Z".parse().expect("a time");
        let p = AuthorizePolicy::Tags(vec![
            TagInfo::new("CARD1", AuthorizationStatus::Accepted).parent("FLEET"),
            TagInfo {
                expiry_date: Some(expiry),
                ..TagInfo::new("CARD2", AuthorizationStatus::Blocked)
            },
        ]);
        let one = p.id_tag_info("card1");
        assert_eq!(one.status, AuthorizationStatus::Accepted);
        assert_eq!(one.parent_id_tag.as_deref(), Some("FLEET"));
        assert_eq!(one.expiry_date, None);
        let two = p.id_tag_info("CARD2");
        assert_eq!(two.status, AuthorizationStatus::Blocked);
        assert_eq!(two.parent_id_tag, None);
        assert_eq!(two.expiry_date, Some(expiry));
        assert_eq!(p.id_tag_info("CARD3").status, AuthorizationStatus::Invalid);
    }
}
