//! The SecurityProfile key and the Basic auth password: what the drivers connect with, the
//! rules for raising the profile and the drivers' fallback (see the module docs of
//! `security`).

use super::certificates::{valid_at, CP_CERT, CS_ROOT};
use super::Security;
use super::{tech_info_text, SecurityEvent};
use crate::context::Ctx;
use crate::Output;
use chrono::{DateTime, Utc};
use ocpp::ConfigurationStatus;

impl Security {
    /// The SecurityProfile key (0..=3).
    pub(crate) fn security_profile(&self, ctx: &Ctx) -> u8 {
        ctx.config.current().security_profile.clamp(0, 3) as u8
    }

    /// The HTTP Basic password for profiles 1 and 2: the AuthorizationKey's bytes (the key
    /// holds them as hex). None while it is not set.
    pub(crate) fn authorization_key(&self, ctx: &Ctx) -> Option<Vec<u8>> {
        let (_, hex) = ctx.config.get("AuthorizationKey")?;
        decode_hex(hex).filter(|bytes| !bytes.is_empty())
    }

    pub(crate) fn change_security_profile(
        &mut self,
        ctx: &mut Ctx,
        value: &str,
        now: DateTime<Utc>,
    ) -> ConfigurationStatus {
        let current = ctx.config.current().security_profile;
        let refuse = |why: String| {
            tracing::info!("ChangeConfiguration SecurityProfile refused: {why}");
            ConfigurationStatus::Rejected
        };
        let Ok(new) = value.trim().parse::<i64>() else {
            return refuse(format!("{value:?} is not an integer"));
        };
        if !(0..=3).contains(&new) {
            return refuse(format!("{new} is outside 0..=3"));
        }
        if new < current {
            return refuse(format!("lowering from {current} to {new} is not allowed"));
        }
        if new == current {
            return ConfigurationStatus::Accepted;
        }
        if let Some(missing) = self.missing_for_profile(ctx, new, now) {
            return refuse(format!("profile {new} needs {missing} first"));
        }
        if let Err(e) = ctx.config.set("SecurityProfile", &new.to_string()) {
            return refuse(e.to_string());
        }
        if let Err(e) = ctx.store.config_set("SecurityProfile", &new.to_string()) {
            tracing::error!("cannot persist SecurityProfile: {e}");
        }
        let info = format!("SecurityProfile raised from {current} to {new}");
        ctx.raise_security_event(
            SecurityEvent::ReconfigurationOfSecurityParameters,
            Some(&info),
            now,
        );
        ctx.outputs.push_back(Output::ConfigChanged {
            key: "SecurityProfile".into(),
            value: new.to_string(),
        });
        ConfigurationStatus::Accepted
    }

    /// What profile `profile` needs and the station lacks at `now`, if anything.
    fn missing_for_profile(
        &self,
        ctx: &Ctx,
        profile: i64,
        now: DateTime<Utc>,
    ) -> Option<&'static str> {
        let has_key = self.authorization_key(ctx).is_some();
        let rows = self.stored_certificates(ctx);
        let has_root = rows.iter().any(|r| r.use_ == CS_ROOT);
        let has_client_cert = || {
            rows.iter()
                .filter(|r| r.use_ == CP_CERT && r.private_key_pem.is_some())
                .any(|r| {
                    certs::inspect(&r.pem)
                        .map(|info| valid_at(&info, now))
                        .unwrap_or(false)
                })
        };
        match profile {
            1 | 2 if !has_key => Some("an AuthorizationKey"),
            2 | 3 if !has_root => Some("an installed CentralSystemRootCertificate"),
            3 if !has_client_cert() => Some("a ChargePointCertificate valid now"),
            _ => None,
        }
    }

    /// The drivers could not connect with the SecurityProfile set last and went back to
    /// `profile`: set the key back (only ever to a lower value), persist it and raise
    /// ReconfigurationOfSecurityParameters. No ConfigChanged: the drivers already switched.
    pub(crate) fn fall_back_security_profile(
        &mut self,
        ctx: &mut Ctx,
        profile: u8,
        reason: &str,
        now: DateTime<Utc>,
    ) {
        let current = ctx.config.current().security_profile;
        if i64::from(profile) >= current {
            tracing::warn!(
                "ignoring a fallback to SecurityProfile {profile}: the profile is {current}"
            );
            return;
        }
        if let Err(e) = ctx.config.set("SecurityProfile", &profile.to_string()) {
            tracing::error!("cannot fall back to SecurityProfile {profile}: {e}");
            return;
        }
        if let Err(e) = ctx
            .store
            .config_set("SecurityProfile", &profile.to_string())
        {
            tracing::error!("cannot persist SecurityProfile: {e}");
        }
        let info = tech_info_text(&format!(
            "SecurityProfile {current} failed to connect ({reason}); fell back to {profile}"
        ));
        tracing::warn!("{info}");
        ctx.raise_security_event(
            SecurityEvent::ReconfigurationOfSecurityParameters,
            Some(&info),
            now,
        );
    }
}

/// The bytes of a hex string; None if it is not hex of an even length.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let hex = hex.as_bytes();
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    hex.chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::decode_hex;

    #[test]
    fn hex_decodes_both_cases_and_refuses_the_rest() {
        assert_eq!(decode_hex("00ffA1"), Some(vec![0x00, 0xff, 0xa1]));
        assert_eq!(decode_hex(""), Some(vec![]));
        assert_eq!(decode_hex("abc"), None);
        assert_eq!(decode_hex("zz"), None);
    }
}
