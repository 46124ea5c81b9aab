//! What the station knows about id tags without asking the Central System (section 3.5):
//! the Authorization Cache (3.5.1, C-04), and the Local Authorization List (3.5.2, in
//! `local_auth`), which comes first.
//!
//! The cache lives in the store (it survives a restart) and is filled from every idTagInfo
//! the station receives (Authorize.conf, StartTransaction.conf, StopTransaction.conf) while
//! AuthorizationCacheEnabled is true. It holds at most [`store::AUTH_CACHE_CAPACITY`]
//! entries; when full, NOT-valid entries make room first, then the least recently updated
//! valid ones. An entry past its expiry date reads as Expired (the spec's "changed to
//! expired in the Cache"), whatever status was stored.

use crate::context::Ctx;
use crate::local_auth::list_status;
use crate::local_auth::LocalAuthList;
use chrono::{DateTime, Utc};
use ocpp::{AuthorizationStatus, ClearCacheResponse, ClearCacheStatus, IdTagInfo, Refusal};
use std::str::FromStr;

/// An id tag's authorization as known locally.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LocalAuth {
    pub status: AuthorizationStatus,
    pub parent_id_tag: Option<String>,
}

/// The Authorization Cache. It lives in the store; these are the only reads and writes of it.
pub(crate) struct AuthCache;

impl AuthCache {
    /// What the station knows about `id_tag` at `now` without the Central System, if
    /// anything. The Local Authorization List (when LocalAuthListEnabled) is consulted first:
    /// its entries take priority over the cache's (section 3.5.3), whatever their status; an
    /// Accepted list entry past its expiry date reads as Expired.
    pub(crate) fn lookup(ctx: &Ctx, id_tag: &str, now: DateTime<Utc>) -> Option<LocalAuth> {
        if let Some(entry) = LocalAuthList.entry(ctx, id_tag) {
            return match AuthorizationStatus::from_str(&entry.status) {
                Ok(status) => Some(LocalAuth {
                    status: list_status(status, entry.expiry_date, now),
                    parent_id_tag: entry.parent_id_tag,
                }),
                Err(e) => {
                    tracing::warn!("ignoring local authorization list entry for {id_tag}: {e}");
                    None
                }
            };
        }
        if !ctx.config.current().authorization_cache_enabled {
            return None;
        }
        let entry = match ctx.store.auth_cache_get(id_tag) {
            Ok(entry) => entry?,
            Err(e) => {
                tracing::error!("cannot read the authorization cache: {e}");
                return None;
            }
        };
        let status = match AuthorizationStatus::from_str(&entry.status) {
            Ok(_) if entry.expiry_date.is_some_and(|e| e <= now) => AuthorizationStatus::Expired,
            Ok(status) => status,
            Err(e) => {
                tracing::warn!("ignoring authorization cache entry for {id_tag}: {e}");
                return None;
            }
        };
        Some(LocalAuth {
            status,
            parent_id_tag: entry.parent_id_tag,
        })
    }

    /// An idTagInfo received for `id_tag`: the cache takes it, when enabled, unless the id tag
    /// is in the Local Authorization List (section 3.5.3: never cached, and the list entry
    /// stays; a disagreement is reported as LocalListConflict).
    pub(crate) fn update(ctx: &mut Ctx, id_tag: &str, info: &IdTagInfo, now: DateTime<Utc>) {
        if id_tag.is_empty() || LocalAuthList.take_central_system_answer(ctx, id_tag, info, now) {
            return;
        }
        if !ctx.config.current().authorization_cache_enabled {
            return;
        }
        let entry = store::CachedAuth {
            id_tag: id_tag.to_string(),
            status: info.status.as_str().to_string(),
            expiry_date: info.expiry_date,
            parent_id_tag: info.parent_id_tag.as_ref().map(|p| p.as_str().to_string()),
            updated_at: now,
        };
        if let Err(e) = ctx.store.auth_cache_put(&entry, store::AUTH_CACHE_CAPACITY) {
            tracing::error!("cannot update the authorization cache for {id_tag}: {e}");
        }
    }

    /// ClearCache (section 5.4): empty the cache. Rejected while AuthorizationCacheEnabled
    /// is false (there is no cache in operation to clear) or when the store fails.
    pub(crate) fn on_clear_cache(
        ctx: &mut Ctx,
        _req: ocpp::ClearCacheRequest,
        _now: DateTime<Utc>,
    ) -> Result<ClearCacheResponse, Refusal> {
        let status = if !ctx.config.current().authorization_cache_enabled {
            tracing::info!("ClearCache rejected: AuthorizationCacheEnabled is false");
            ClearCacheStatus::Rejected
        } else {
            match ctx.store.auth_cache_clear() {
                Ok(()) => {
                    tracing::info!("authorization cache cleared");
                    ClearCacheStatus::Accepted
                }
                Err(e) => {
                    tracing::error!("cannot clear the authorization cache: {e}");
                    ClearCacheStatus::Rejected
                }
            }
        };
        Ok(ClearCacheResponse { status })
    }
}

/// The status an idTagInfo means at `now`: an Accepted one past its expiryDate is Expired.
pub(crate) fn effective_status(info: &IdTagInfo, now: DateTime<Utc>) -> AuthorizationStatus {
    match info.status {
        AuthorizationStatus::Accepted if info.expiry_date.is_some_and(|e| e <= now) => {
            AuthorizationStatus::Expired
        }
        status => status,
    }
}

/// OCPP IdTokens compare ignoring ASCII case.
pub(crate) fn same_id(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}
