//! ChangeConfiguration: Central System sets a configuration key.

use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{CiString, ConfigurationStatus};

/// `ChangeConfiguration.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeConfigurationRequest {
    pub key: CiString<50>,
    pub value: CiString<500>,
}

/// `ChangeConfiguration.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeConfigurationResponse {
    pub status: ConfigurationStatus,
}

impl_request!(ChangeConfigurationRequest => ChangeConfigurationResponse, ChangeConfiguration);
