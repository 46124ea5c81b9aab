//! The security extension ("Improved security for OCPP 1.6-J"), station side: security
//! events and the security log, the security configuration keys and the SecurityProfile
//! (`profile`), certificate management and SignCertificate (`certificates`),
//! ExtendedTriggerMessage (`trigger`). The transport itself (TLS, Basic auth) is the
//! drivers' business: they take what to use from [`crate::Station::tls_roots`],
//! [`crate::Station::tls_identity`], [`crate::Station::security_profile`] and
//! [`crate::Station::authorization_key`] at every connection.
//!
//! # Security events
//! `Ctx::raise_security_event` writes every event to the security log in the store
//! (the SecurityLog of GetLog; at most [`store::SECURITY_LOG_CAPACITY`] entries, the oldest
//! dropped). Critical events (the whitepaper's flag, [`SecurityEvent::is_critical`]) are
//! also sent as SecurityEventNotification, queued durably like transaction messages: they
//! survive a power loss and go out after (re)connection and registration, in order with the
//! transaction messages, retried like them (TransactionMessageAttempts /
//! TransactionMessageRetryInterval). Non-critical events are only logged, except where a
//! use case asks for the notification explicitly (`raise_and_notify_security_event`):
//! InvalidChargePointCertificate when a CertificateSigned.req is rejected (TC_077), and
//! InvalidCentralSystemCertificate when the drivers refused the Central System's TLS
//! certificate (TC_078): queued durably, it reaches the Central System once a connection
//! (to the genuine one) is up and the station registered.
//!
//! What raises which event here:
//! - StartupOfTheDevice when the first BootNotification of a power-up run is accepted;
//!   ResetOrReboot instead when the run started after a Reset (techInfo SoftReset /
//!   HardReset). The timestamp is when the run started.
//! - ReconfigurationOfSecurityParameters when SecurityProfile or AuthorizationKey changes
//!   (techInfo names the key, never the AuthorizationKey's value), and when the drivers
//!   fall back to the previous SecurityProfile ([`crate::Input::SecurityProfileFallback`]).
//! - InvalidChargePointCertificate (logged and sent) when a CertificateSigned.req is
//!   rejected; techInfo says why.
//! - The drivers raise transport events (InvalidCentralSystemCertificate, InvalidTLSVersion,
//!   FailedToAuthenticateAtCentralSystem on an HTTP 401, ...) with
//!   [`crate::Input::SecurityEvent`].
//! - InvalidMessages is *not* raised for every malformed frame: a misbehaving Central System
//!   would flood the bounded log and push out the events that matter; the frame gets its
//!   CALLERROR and a warning in the trace log instead.
//! - SettingSystemTime is *not* raised by the core: it only passes the Central System's
//!   time on ([`crate::Output::ClockSync`]) and does not know whether the drivers actually
//!   step a system clock; a driver that does raises it with `Input::SecurityEvent`.
//! - Installing or deleting a certificate raises no event (the whitepaper lists none); both
//!   are written to the trace log.
//!
//! # Keys
//! - SecurityProfile (0..3): ChangeConfiguration may only raise it; lowering is Rejected.
//!   Raising to 1 needs an AuthorizationKey (the Basic auth password); to 2 an
//!   AuthorizationKey and an installed CentralSystemRootCertificate (to verify the server);
//!   to 3 an installed CentralSystemRootCertificate and a ChargePointCertificate valid now
//!   (the client certificate). An accepted raise is persisted, raises
//!   ReconfigurationOfSecurityParameters and is announced with
//!   `Output::ConfigChanged { key: "SecurityProfile", value }`: the drivers reconnect with
//!   the new profile. If the new profile fails to connect, the drivers go back to the
//!   previous one and tell the station with `Input::SecurityProfileFallback`: the key is set
//!   back (the only way it is lowered), persisted, and ReconfigurationOfSecurityParameters
//!   raised; no ConfigChanged (the drivers already switched). Setting the current value
//!   again is Accepted and changes nothing.
//! - AuthorizationKey is write-only: GetConfiguration lists it (readonly false) without a
//!   value, whether set or not, so the Central System knows it exists and never learns it.
//!   ChangeConfiguration takes 16..40 bytes as hex (32..80 hex digits); it is persisted and
//!   never logged (the drivers read its bytes with [`crate::Station::authorization_key`] when they
//!   connect; no Output carries it). A new value is announced with
//!   `Output::ConfigChanged { key: "AuthorizationKey", value: "" }` (the value left empty):
//!   with profile 1 or 2 the drivers reconnect with it at once (TC_073). [`redact_frame`] hides it in a frame before the frame is
//!   logged.
//! - CpoName (RW): the organization of the CSRs (SignCertificate is refused while it is
//!   empty). CertificateStoreMaxLength (R): how many root certificates (Central System and
//!   manufacturer together) InstallCertificate may hold. CertificateSignedMaxChainSize (R):
//!   the largest CertificateSigned.req chain accepted, in bytes.
//!   AdditionalRootCertificateCheck (R) is false: a new CentralSystemRootCertificate needs
//!   no signature by the old one.

mod certificates;
mod events;
mod profile;
mod trigger;

pub use events::{SecurityEvent, UnknownSecurityEvent};

use crate::context::Ctx;
use crate::station::ci;
use crate::Output;
use chrono::{DateTime, Utc};
use ocpp::{ConfigurationStatus, SecurityEventNotificationRequest};
use std::borrow::Cow;

/// The security extension: security events and the log, SecurityProfile and
/// AuthorizationKey, and the certificates (`certificates`). The keys, log and certificates
/// live in the configuration and the store; this is what it remembers during a run.
#[derive(Debug, Clone)]
pub(crate) struct Security {
    /// When this run started: the time of StartupOfTheDevice / ResetOrReboot.
    started_at: DateTime<Utc>,
    /// StartupOfTheDevice / ResetOrReboot was raised in this run.
    startup_raised: bool,
    /// When to check next whether the ChargePointCertificate needs renewing (None: at the
    /// next opportunity while registered; see `certificates`).
    certificate_check_at: Option<DateTime<Utc>>,
}

impl Security {
    pub fn new(now: DateTime<Utc>) -> Security {
        Security {
            started_at: now,
            startup_raised: false,
            certificate_check_at: None,
        }
    }
}

/// Security events are a service every feature uses (firmware signatures, certificates, the
/// drivers' TLS failures), so they are raised on the shared context.
impl Ctx {
    /// Record a security event: always in the security log; critical ones are also queued
    /// durably as SecurityEventNotification. `tech_info` must never carry a secret.
    pub(crate) fn raise_security_event(
        &mut self,
        kind: SecurityEvent,
        tech_info: Option<&str>,
        now: DateTime<Utc>,
    ) {
        let tech_info = tech_info.filter(|t| !t.is_empty());
        tracing::info!(
            "security event {kind}{}{}",
            if kind.is_critical() {
                " (critical)"
            } else {
                ""
            },
            tech_info.map(|t| format!(": {t}")).unwrap_or_default()
        );
        let entry = store::SecurityLogEntry {
            seq: 0,
            timestamp: now,
            kind: kind.as_str().to_string(),
            tech_info: tech_info.map(str::to_string),
        };
        if let Err(e) = self
            .store
            .security_log_append(&entry, store::SECURITY_LOG_CAPACITY)
        {
            tracing::error!("cannot write the security log: {e}");
        }
        if kind.is_critical() {
            let req = SecurityEventNotificationRequest {
                r#type: ci(kind.as_str()),
                timestamp: now,
                tech_info: tech_info.map(ci),
            };
            self.queue_durable(&req, None);
        }
    }

    /// Raise a security event and send it to the Central System even if the whitepaper does
    /// not flag it critical, for the use cases that ask for the notification explicitly
    /// (InvalidChargePointCertificate on a rejected CertificateSigned.req, TC_077).
    pub(crate) fn raise_and_notify_security_event(
        &mut self,
        kind: SecurityEvent,
        tech_info: &str,
        now: DateTime<Utc>,
    ) {
        let tech_info = tech_info_text(tech_info);
        self.raise_security_event(kind, Some(&tech_info), now);
        if !kind.is_critical() {
            let req = SecurityEventNotificationRequest {
                r#type: ci(kind.as_str()),
                timestamp: now,
                tech_info: (!tech_info.is_empty()).then(|| ci(&tech_info)),
            };
            self.queue_durable(&req, None);
        }
    }
}

impl Ctx {
    /// A security event the drivers saw ([`crate::Input::SecurityEvent`]): logged, and sent
    /// when critical or when a use case asks for it (InvalidCentralSystemCertificate, TC_078).
    pub(crate) fn raise_driver_security_event(
        &mut self,
        kind: SecurityEvent,
        tech_info: Option<&str>,
        now: DateTime<Utc>,
    ) {
        if kind == SecurityEvent::InvalidCentralSystemCertificate {
            self.raise_and_notify_security_event(kind, tech_info.unwrap_or_default(), now);
        } else {
            self.raise_security_event(kind, tech_info, now);
        }
    }
}

impl Security {
    /// The security log, oldest first (empty if the store cannot be read).
    pub(crate) fn security_log(&self, ctx: &Ctx) -> Vec<store::SecurityLogEntry> {
        ctx.store.security_log_all().unwrap_or_else(|e| {
            tracing::error!("cannot read the security log: {e}");
            Vec::new()
        })
    }

    /// Called when a BootNotification is accepted: the first time in a run, raise
    /// StartupOfTheDevice (power-up) or ResetOrReboot (after a Reset).
    pub(crate) fn on_registered_security(&mut self, ctx: &mut Ctx, boot_reason: &str) {
        // Every registration checks the ChargePointCertificate's expiry (whitepaper A03).
        self.certificate_check_at = None;
        if self.startup_raised {
            return;
        }
        self.startup_raised = true;
        let at = self.started_at;
        if boot_reason == "PowerUp" {
            ctx.raise_security_event(SecurityEvent::StartupOfTheDevice, None, at);
        } else {
            ctx.raise_security_event(SecurityEvent::ResetOrReboot, Some(boot_reason), at);
        }
    }

    /// ChangeConfiguration of a security key (SecurityProfile, AuthorizationKey): handled
    /// completely here and its status returned; None for every other key.
    pub(crate) fn change_security_key(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        value: &str,
        now: DateTime<Utc>,
    ) -> Option<ConfigurationStatus> {
        if key.eq_ignore_ascii_case("SecurityProfile") {
            Some(self.change_security_profile(ctx, value, now))
        } else if key.eq_ignore_ascii_case("AuthorizationKey") {
            Some(self.change_authorization_key(ctx, value, now))
        } else {
            None
        }
    }

    fn change_authorization_key(
        &mut self,
        ctx: &mut Ctx,
        value: &str,
        now: DateTime<Utc>,
    ) -> ConfigurationStatus {
        let before = self.authorization_key(ctx);
        // The reasons of the table's validation never contain the value.
        if let Err(e) = ctx.config.set("AuthorizationKey", value) {
            tracing::info!("ChangeConfiguration AuthorizationKey refused: {e}");
            return ConfigurationStatus::Rejected;
        }
        let stored = ctx
            .config
            .get("AuthorizationKey")
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        if let Err(e) = ctx.store.config_set("AuthorizationKey", &stored) {
            tracing::error!("cannot persist AuthorizationKey: {e}");
        }
        ctx.raise_security_event(
            SecurityEvent::ReconfigurationOfSecurityParameters,
            Some("AuthorizationKey changed"),
            now,
        );
        if self.authorization_key(ctx) != before {
            // The drivers reconnect with the new password (TC_073); the value never goes
            // into an Output.
            ctx.outputs.push_back(Output::ConfigChanged {
                key: "AuthorizationKey".into(),
                value: String::new(),
            });
        }
        ConfigurationStatus::Accepted
    }
}

/// The frame with the value of a ChangeConfiguration.req of a write-only key (the
/// AuthorizationKey) replaced by `"***"`, for logging; any other frame unchanged.
pub fn redact_frame(text: &str) -> Cow<'_, str> {
    let mut call = match ocpp::Frame::parse(text) {
        Ok(ocpp::Frame::Call(call)) => call,
        Ok(_) => return Cow::Borrowed(text),
        // Unparsable: it may still carry a key; keep it out of the log as a whole.
        Err(_) if text.to_ascii_lowercase().contains("authorizationkey") => {
            return Cow::Borrowed("<unparsable frame naming AuthorizationKey, redacted>");
        }
        Err(_) => return Cow::Borrowed(text),
    };
    if call.action != ocpp::Action::ChangeConfiguration.as_str() {
        return Cow::Borrowed(text);
    }
    let write_only = call
        .payload
        .get("key")
        .and_then(|k| k.as_str())
        .and_then(crate::config::find)
        .is_some_and(|def| def.access == crate::config::Access::WriteOnly);
    if !write_only {
        return Cow::Borrowed(text);
    }
    if let Some(obj) = call.payload.as_object_mut() {
        obj.insert("value".into(), serde_json::Value::from("***"));
    }
    Cow::Owned(ocpp::Frame::Call(call).to_text())
}

/// The longest techInfo of SecurityEventNotification (CiString255).
pub(crate) const TECH_INFO_MAX: usize = 255;

/// `text` cut to the techInfo limit, so that the security log holds what was sent.
pub(crate) fn tech_info_text(text: &str) -> String {
    text.chars().take(TECH_INFO_MAX).collect()
}
