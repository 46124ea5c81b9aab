//! MeterValues: charge point sends sampled meter values.

use serde::{Deserialize, Deserializer, Serialize};

use crate::payload::constraint_error;
use crate::request::impl_request;
use crate::{ErrorCode, MeterValue};

/// `MeterValues.req`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeterValuesRequest {
    pub connector_id: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<i32>,
    /// At least one, each with at least one sampled value (checked on decode).
    #[serde(deserialize_with = "non_empty_meter_values")]
    pub meter_value: Vec<MeterValue>,
}

/// `MeterValues.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeterValuesResponse {}

impl_request!(MeterValuesRequest => MeterValuesResponse, MeterValues);

/// Both `meterValue` and each `sampledValue` have `minItems: 1` here (unlike
/// StopTransaction's `transactionData`, which shares the `MeterValue` type).
fn non_empty_meter_values<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<MeterValue>, D::Error> {
    let values = crate::validate::non_empty::<D, MeterValue>(deserializer)?;
    if let Some(i) = values.iter().position(|v| v.sampled_value.is_empty()) {
        return Err(constraint_error::<D::Error>(
            ErrorCode::OccurenceConstraintViolation,
            format_args!("[{i}].sampledValue must contain at least one element"),
        ));
    }
    Ok(values)
}
