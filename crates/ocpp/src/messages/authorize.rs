//! Authorize: charge point asks whether an id tag may charge.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{IdTagInfo, IdToken};

/// `Authorize.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizeRequest {
    pub id_tag: IdToken,
}

/// `Authorize.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizeResponse {
    pub id_tag_info: IdTagInfo,
}

impl_request!(AuthorizeRequest => AuthorizeResponse, Authorize);
