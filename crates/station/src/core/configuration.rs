//! GetConfiguration and ChangeConfiguration (sections 5.3 and 5.8), driven by the key table.

use crate::config::ConfigError;
use crate::context::Ctx;
use ocpp::{
    ChangeConfigurationRequest, ChangeConfigurationResponse, ConfigurationStatus, ErrorCode,
    GetConfigurationRequest, GetConfigurationResponse, KeyValue, Refusal,
};

/// GetConfiguration and ChangeConfiguration over the key table. What a changed key means
/// for other features (a new heartbeat interval, ...) the dispatch passes on.
pub(crate) struct Configuration;

impl Configuration {
    pub(crate) fn on_get_configuration(
        &self,
        ctx: &Ctx,
        req: GetConfigurationRequest,
    ) -> Result<GetConfigurationResponse, Refusal> {
        let requested = req.key.unwrap_or_default();
        let max = ctx.config.current().get_configuration_max_keys.max(1) as usize;
        if requested.len() > max {
            let text = format!(
                "{} keys requested; GetConfigurationMaxKeys is {max}",
                requested.len()
            );
            return Err(Refusal::new(ErrorCode::OccurenceConstraintViolation, text));
        }
        let (known, unknown): (Vec<KeyValue>, Vec<_>) = if requested.is_empty() {
            let all = ctx.config.all().map(|(d, v)| d.reported(v)).collect();
            (all, Vec::new())
        } else {
            let mut known = Vec::new();
            let mut unknown = Vec::new();
            for key in requested {
                match ctx.config.get(key.as_str()) {
                    Some((def, value)) => known.push(def.reported(value)),
                    None => unknown.push(key),
                }
            }
            (known, unknown)
        };
        Ok(GetConfigurationResponse {
            configuration_key: (!known.is_empty()).then_some(known),
            unknown_key: (!unknown.is_empty()).then_some(unknown),
        })
    }

    /// A ChangeConfiguration of any key but the security extension's (those are the
    /// Security feature's): the answer, and the key and value when one changed.
    pub(crate) fn on_change_configuration(
        &self,
        ctx: &mut Ctx,
        req: &ChangeConfigurationRequest,
    ) -> (ChangeConfigurationResponse, Option<(&'static str, String)>) {
        let mut changed = None;
        let status = match ctx.config.set(req.key.as_str(), req.value.as_str()) {
            Ok(def) => {
                let value = ctx
                    .config
                    .get(def.name)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default();
                if let Err(e) = ctx.store.config_set(def.name, &value) {
                    tracing::error!("cannot persist {}: {e}", def.name);
                }
                changed = Some((def.name, value));
                if def.reboot_required {
                    ConfigurationStatus::RebootRequired
                } else {
                    ConfigurationStatus::Accepted
                }
            }
            Err(ConfigError::Unknown(_)) => ConfigurationStatus::NotSupported,
            Err(e) => {
                tracing::info!("ChangeConfiguration refused: {e}");
                ConfigurationStatus::Rejected
            }
        };
        (ChangeConfigurationResponse { status }, changed)
    }
}
