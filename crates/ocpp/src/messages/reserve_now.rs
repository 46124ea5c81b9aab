//! ReserveNow: Central System reserves a connector for an id tag.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::request::impl_request;
use crate::{IdToken, ReservationStatus};

/// `ReserveNow.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReserveNowRequest {
    pub connector_id: i32,
    #[serde(with = "crate::datetime")]
    pub expiry_date: DateTime<Utc>,
    pub id_tag: IdToken,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id_tag: Option<IdToken>,
    pub reservation_id: i32,
}

/// `ReserveNow.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReserveNowResponse {
    pub status: ReservationStatus,
}

impl_request!(ReserveNowRequest => ReserveNowResponse, ReserveNow);
