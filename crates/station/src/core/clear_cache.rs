//! ClearCache (section 5.4): empty the Authorization Cache. Rejected while
//! AuthorizationCacheEnabled is false (there is no cache in operation to clear) or when the
//! store fails.

use crate::station::Station;
use chrono::{DateTime, Utc};
use ocpp::{ClearCacheResponse, ClearCacheStatus, Refusal};

impl Station {
    pub(crate) fn on_clear_cache(
        &mut self,
        _req: ocpp::ClearCacheRequest,
        _now: DateTime<Utc>,
    ) -> Result<ClearCacheResponse, Refusal> {
        let status = if !self.ctx.config.current().authorization_cache_enabled {
            tracing::info!("ClearCache rejected: AuthorizationCacheEnabled is false");
            ClearCacheStatus::Rejected
        } else {
            match self.ctx.store.auth_cache_clear() {
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
