//! The Local Authorization List Management profile: SendLocalList and GetLocalListVersion
//! (sections 3.5.2, 3.5.3, 5.10, 5.15).
//!
//! The list lives in the store (it survives a restart); only a SendLocalList.req changes it,
//! all at once or not at all (entries and version in one SQLite transaction). While
//! LocalAuthListEnabled is true:
//! - SendLocalList.req: Failed for more than SendLocalListMaxLength entries, duplicate id
//!   tags (ignoring case), a Full entry without idTagInfo, a resulting list longer than
//!   LocalAuthListMaxLength, or a store failure; VersionMismatch for a Differential update
//!   whose listVersion is not greater than the current version; else Accepted. Differential:
//!   an entry with idTagInfo is added or replaced, one without is removed.
//! - GetLocalListVersion.req: the version of the list, 0 while it is empty (section 5.10).
//! - Authorization looks the list up before the Authorization Cache (see
//!   `AuthCache::lookup`); id tags on the list are never cached; an idTagInfo from the
//!   Central System that disagrees with the list is reported with a StatusNotification on
//!   connector 0 with error code LocalListConflict (section 3.5.2); the list keeps its entry.
//!
//! With LocalAuthListEnabled false, SendLocalList is answered NotSupported, GetLocalListVersion
//! -1, and the list (kept in the store) is ignored until it is enabled again.

mod send;

use crate::context::Ctx;
use crate::outbox::Context;
use crate::station::ci;
use chrono::{DateTime, Utc};
use ocpp::{
    AuthorizationStatus, ChargePointErrorCode, GetLocalListVersionResponse, IdTagInfo, Refusal,
    StatusNotificationRequest,
};
use std::str::FromStr;

/// The Local Authorization List. Its entries and version live in the store, so the feature
/// keeps no state of its own: it is the one place that reads and changes the list.
#[derive(Debug, Default)]
pub(crate) struct LocalAuthList;

impl LocalAuthList {
    pub(crate) fn on_get_local_list_version(
        &mut self,
        ctx: &mut Ctx,
        _req: ocpp::GetLocalListVersionRequest,
        _now: DateTime<Utc>,
    ) -> Result<GetLocalListVersionResponse, Refusal> {
        let list_version = if ctx.config.current().local_auth_list_enabled {
            self.version(ctx).unwrap_or_else(|e| {
                tracing::error!("cannot read the local authorization list: {e}");
                0
            })
        } else {
            -1
        };
        Ok(GetLocalListVersionResponse { list_version })
    }

    /// The version of the list as the Central System sees it: 0 while it is empty (section
    /// 5.10), else the one the last SendLocalList.req gave.
    pub(crate) fn version(&self, ctx: &Ctx) -> store::Result<i32> {
        if ctx.store.local_list_len()? == 0 {
            return Ok(0);
        }
        ctx.store.local_list_version()
    }

    /// The entry of the Local Authorization List for `id_tag`, when the list is enabled.
    pub(crate) fn entry(&self, ctx: &Ctx, id_tag: &str) -> Option<store::LocalListEntry> {
        if !ctx.config.current().local_auth_list_enabled {
            return None;
        }
        match ctx.store.local_list_get(id_tag) {
            Ok(entry) => entry,
            Err(e) => {
                tracing::error!("cannot read the local authorization list: {e}");
                None
            }
        }
    }

    /// An idTagInfo the Central System gave for `id_tag`: when the tag is on the (enabled)
    /// list, it is not to be cached (section 3.5.3) and the list stays as it is (only
    /// SendLocalList changes it); if the two disagree, the Central System is told with a
    /// StatusNotification LocalListConflict on connector 0. Returns whether the tag is on
    /// the list.
    pub(crate) fn take_central_system_answer(
        &mut self,
        ctx: &mut Ctx,
        id_tag: &str,
        info: &IdTagInfo,
        now: DateTime<Utc>,
    ) -> bool {
        let Some(entry) = self.entry(ctx, id_tag) else {
            return false;
        };
        let listed = match AuthorizationStatus::from_str(&entry.status) {
            Ok(status) => list_status(status, entry.expiry_date, now),
            Err(e) => {
                tracing::warn!("local authorization list entry for {id_tag}: {e}");
                return true;
            }
        };
        let told = list_status(info.status, info.expiry_date, now);
        if same_validity(listed, told) {
            return true;
        }
        tracing::warn!(
            "idTag {id_tag}: the Central System says {}, the local authorization list {}: \
             reporting LocalListConflict",
            told.as_str(),
            listed.as_str()
        );
        let status = ctx.connectors[0].status;
        let req = StatusNotificationRequest {
            connector_id: 0,
            error_code: ChargePointErrorCode::LocalListConflict,
            info: Some(ci(&format!(
                "list {}, Central System {}",
                listed.as_str(),
                told.as_str()
            ))),
            status,
            timestamp: Some(now),
            vendor_id: None,
            vendor_error_code: None,
        };
        ctx.queue_call(&req, Context::None);
        true
    }
}

/// The status an entry (of the list, or an idTagInfo) means at `now`: an Accepted one past
/// its expiry date is Expired.
pub(crate) fn list_status(
    status: AuthorizationStatus,
    expiry_date: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AuthorizationStatus {
    match status {
        AuthorizationStatus::Accepted if expiry_date.is_some_and(|e| e <= now) => {
            AuthorizationStatus::Expired
        }
        status => status,
    }
}

/// Whether two statuses agree; ConcurrentTx is a valid id tag busy elsewhere (section 3.5.2
/// counts it as valid in a list).
fn same_validity(a: AuthorizationStatus, b: AuthorizationStatus) -> bool {
    let norm = |s| match s {
        AuthorizationStatus::ConcurrentTx => AuthorizationStatus::Accepted,
        s => s,
    };
    norm(a) == norm(b)
}
