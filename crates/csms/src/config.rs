//! How the Central System answers: registration, heartbeat interval, authorization.

use std::net::SocketAddr;
use std::time::Duration;

use ocpp::{AuthorizationStatus, IdTagInfo, RegistrationStatus};

/// Which id tags the Central System accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizePolicy {
    /// Every id tag is `Accepted`.
    AcceptAll,
    /// Only these id tags are `Accepted` (compared case-insensitively, as OCPP `IdToken`s
    /// are); every other tag is `Invalid`.
    List(Vec<String>),
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
        }
    }

    /// The `idTagInfo` to answer Authorize / StartTransaction / StopTransaction with.
    pub fn id_tag_info(&self, id_tag: &str) -> IdTagInfo {
        IdTagInfo {
            expiry_date: None,
            parent_id_tag: None,
            status: self.status(id_tag),
        }
    }
}

/// Start-up configuration. The answer settings can also be changed while running
/// (see `CentralSystem::set_*`).
#[derive(Debug, Clone)]
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
}

impl Default for CsmsConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            heartbeat_interval: 300,
            boot_status: RegistrationStatus::Accepted,
            authorize: AuthorizePolicy::AcceptAll,
            call_timeout: Duration::from_secs(30),
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
}
