//! ClearCache: Central System clears the authorization cache.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::ClearCacheStatus;

/// `ClearCache.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClearCacheRequest {}

/// `ClearCache.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClearCacheResponse {
    pub status: ClearCacheStatus,
}

impl_request!(ClearCacheRequest => ClearCacheResponse, ClearCache);
