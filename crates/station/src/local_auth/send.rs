//! SendLocalList.req (section 5.15): the checks, then one atomic update of the store.

use super::LocalAuthList;
use crate::context::Ctx;
use chrono::{DateTime, Utc};
use ocpp::{
    AuthorizationData, Refusal, SendLocalListRequest, SendLocalListResponse, UpdateStatus,
    UpdateType,
};
use std::collections::BTreeSet;
use store::{LocalListApplied, LocalListEntry, LocalListUpdate};

impl LocalAuthList {
    pub(crate) fn on_send_local_list(
        &mut self,
        ctx: &mut Ctx,
        req: SendLocalListRequest,
        _now: DateTime<Utc>,
    ) -> Result<SendLocalListResponse, Refusal> {
        let status = self.send_local_list(ctx, req);
        Ok(SendLocalListResponse { status })
    }

    fn send_local_list(&mut self, ctx: &mut Ctx, req: SendLocalListRequest) -> UpdateStatus {
        if !ctx.config.current().local_auth_list_enabled {
            tracing::info!("SendLocalList: LocalAuthListEnabled is false");
            return UpdateStatus::NotSupported;
        }
        let version = req.list_version;
        let entries = req.local_authorization_list.unwrap_or_default();
        let max_send = ctx.config.current().send_local_list_max_length;
        if entries.len() as i64 > max_send {
            tracing::info!(
                "SendLocalList: {} entries, more than SendLocalListMaxLength {max_send}",
                entries.len()
            );
            return UpdateStatus::Failed;
        }
        let mut seen = BTreeSet::new();
        if let Some(dup) = entries
            .iter()
            .map(|e| e.id_tag.as_str().to_ascii_lowercase())
            .find(|key| !seen.insert(key.clone()))
        {
            tracing::info!("SendLocalList: idTag {dup} appears twice");
            return UpdateStatus::Failed;
        }
        let current = match self.version(ctx) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!("SendLocalList: cannot read the local authorization list: {e}");
                return UpdateStatus::Failed;
            }
        };
        let update = match req.update_type {
            UpdateType::Differential => {
                if version <= current {
                    tracing::info!(
                        "SendLocalList: differential listVersion {version} is not newer than \
                         the current {current}"
                    );
                    return UpdateStatus::VersionMismatch;
                }
                let (upsert, remove): (Vec<_>, Vec<_>) =
                    entries.iter().partition(|e| e.id_tag_info.is_some());
                LocalListUpdate::Differential {
                    upsert: upsert.into_iter().filter_map(entry).collect(),
                    remove: remove
                        .into_iter()
                        .map(|e| e.id_tag.as_str().to_string())
                        .collect(),
                }
            }
            UpdateType::Full => {
                // 0 means "empty" and -1 "not supported" to GetLocalListVersion.
                if version < 0 || (version == 0 && !entries.is_empty()) {
                    tracing::info!("SendLocalList: full list with listVersion {version}");
                    return UpdateStatus::Failed;
                }
                let full: Vec<LocalListEntry> = entries.iter().filter_map(entry).collect();
                if full.len() != entries.len() {
                    tracing::info!("SendLocalList: a full list entry without idTagInfo");
                    return UpdateStatus::Failed;
                }
                LocalListUpdate::Full(full)
            }
        };
        let max_len = usize::try_from(ctx.config.current().local_auth_list_max_length).unwrap_or(0);
        match ctx.store.local_list_apply(&update, version, max_len) {
            Ok(LocalListApplied::Applied { len }) => {
                tracing::info!(
                    "local authorization list {} update to version {version}: {len} entries",
                    req.update_type.as_str()
                );
                UpdateStatus::Accepted
            }
            Ok(LocalListApplied::TooLong { len }) => {
                tracing::info!(
                    "SendLocalList: the list would hold {len} entries, more than \
                     LocalAuthListMaxLength {max_len}: nothing changed"
                );
                UpdateStatus::Failed
            }
            Err(e) => {
                tracing::error!("SendLocalList: cannot update the local authorization list: {e}");
                UpdateStatus::Failed
            }
        }
    }
}

/// The list entry an AuthorizationData with idTagInfo makes.
fn entry(data: &AuthorizationData) -> Option<LocalListEntry> {
    let info = data.id_tag_info.as_ref()?;
    Some(LocalListEntry {
        id_tag: data.id_tag.as_str().to_string(),
        status: info.status.as_str().to_string(),
        expiry_date: info.expiry_date,
        parent_id_tag: info.parent_id_tag.as_ref().map(|p| p.as_str().to_string()),
    })
}
