//! GetConfiguration and ChangeConfiguration (sections 5.3 and 5.8), driven by the key table.

use crate::config::{Access, ConfigError};
use crate::station::{ci, Station};
use crate::Output;
use chrono::{DateTime, Utc};
use ocpp::{
    ChangeConfigurationRequest, ChangeConfigurationResponse, ConfigurationStatus, ErrorCode,
    GetConfigurationRequest, GetConfigurationResponse, KeyValue, Refusal,
};

impl Station {
    pub(crate) fn on_get_configuration(
        &mut self,
        req: GetConfigurationRequest,
        _now: DateTime<Utc>,
    ) -> Result<GetConfigurationResponse, Refusal> {
        let requested = req.key.unwrap_or_default();
        let max = self.ctx.config.current().get_configuration_max_keys.max(1) as usize;
        if requested.len() > max {
            let text = format!(
                "{} keys requested; GetConfigurationMaxKeys is {max}",
                requested.len()
            );
            return Err(Refusal::new(ErrorCode::OccurenceConstraintViolation, text));
        }
        let key_value = |def: &crate::config::KeyDef, value: &str| KeyValue {
            key: ci(def.name),
            readonly: def.access == Access::ReadOnly,
            // Write-only keys (AuthorizationKey) are listed, never their value.
            value: (def.access != Access::WriteOnly).then(|| ci(value)),
        };
        let (known, unknown): (Vec<KeyValue>, Vec<_>) = if requested.is_empty() {
            let all = self
                .ctx
                .config
                .all()
                .map(|(d, v)| key_value(d, v))
                .collect();
            (all, Vec::new())
        } else {
            let mut known = Vec::new();
            let mut unknown = Vec::new();
            for key in requested {
                match self.ctx.config.get(key.as_str()) {
                    Some((def, value)) => known.push(key_value(def, value)),
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

    pub(crate) fn on_change_configuration(
        &mut self,
        req: ChangeConfigurationRequest,
        now: DateTime<Utc>,
    ) -> Result<ChangeConfigurationResponse, Refusal> {
        if let Some(status) = self.security.change_security_key(
            &mut self.ctx,
            req.key.as_str(),
            req.value.as_str(),
            now,
        ) {
            return Ok(ChangeConfigurationResponse { status });
        }
        let status = match self.ctx.config.set(req.key.as_str(), req.value.as_str()) {
            Ok(def) => {
                let value = self
                    .ctx
                    .config
                    .get(def.name)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default();
                if let Err(e) = self.ctx.store.config_set(def.name, &value) {
                    tracing::error!("cannot persist {}: {e}", def.name);
                }
                self.apply_config_change(def.name, &value, now);
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
        Ok(ChangeConfigurationResponse { status })
    }

    fn apply_config_change(&mut self, key: &'static str, value: &str, now: DateTime<Utc>) {
        match key {
            "HeartbeatInterval" => self.registration.reschedule_heartbeat(&self.ctx),
            "MeterValueSampleInterval" => self.metering.reschedule_samples(&mut self.ctx),
            "ClockAlignedDataInterval" => self.metering.schedule_aligned(&self.ctx, now),
            "WebSocketPingInterval" => self.ctx.outputs.push_back(Output::ConfigChanged {
                key: key.to_string(),
                value: value.to_string(),
            }),
            _ => {}
        }
    }
}
