//! GetConfiguration: Central System reads configuration keys (all when `key` is absent).

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{CiString, KeyValue};

/// `GetConfiguration.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetConfigurationRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Vec<CiString<50>>>,
}

/// `GetConfiguration.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetConfigurationResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_key: Option<Vec<KeyValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_key: Option<Vec<CiString<50>>>,
}

impl_request!(GetConfigurationRequest => GetConfigurationResponse, GetConfiguration);
