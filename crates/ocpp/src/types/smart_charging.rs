//! Smart charging: profiles, schedules and the related statuses.
//!
//! `limit` and `minChargingRate` must be multiples of 0.1 (schema `multipleOf`);
//! decoding enforces it, building values in Rust does not.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::wire_enum::wire_enum;

/// A charging profile (`ChargingProfile`; `csChargingProfiles` in SetChargingProfile).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChargingProfile {
    pub charging_profile_id: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<i32>,
    pub stack_level: i32,
    pub charging_profile_purpose: ChargingProfilePurposeType,
    pub charging_profile_kind: ChargingProfileKindType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrency_kind: Option<RecurrencyKindType>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::datetime::option"
    )]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::datetime::option"
    )]
    pub valid_to: Option<DateTime<Utc>>,
    pub charging_schedule: ChargingSchedule,
}

/// A schedule of power/current limits (`ChargingSchedule`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChargingSchedule {
    /// Seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::datetime::option"
    )]
    pub start_schedule: Option<DateTime<Utc>>,
    pub charging_rate_unit: ChargingRateUnitType,
    pub charging_schedule_period: Vec<ChargingSchedulePeriod>,
    /// Multiple of 0.1.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::validate::option_tenths"
    )]
    pub min_charging_rate: Option<f64>,
}

/// One period of a schedule (`ChargingSchedulePeriod`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChargingSchedulePeriod {
    /// Seconds from the schedule start.
    pub start_period: i32,
    /// In the schedule's unit; multiple of 0.1.
    #[serde(deserialize_with = "crate::validate::tenths")]
    pub limit: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_phases: Option<i32>,
}

wire_enum! {
    /// Purpose of a profile (`ChargingProfilePurposeType`).
    ChargingProfilePurposeType {
        ChargePointMaxProfile = "ChargePointMaxProfile",
        TxDefaultProfile = "TxDefaultProfile",
        TxProfile = "TxProfile",
    }
}

wire_enum! {
    /// Kind of profile (`ChargingProfileKindType`).
    ChargingProfileKindType {
        Absolute = "Absolute",
        Recurring = "Recurring",
        Relative = "Relative",
    }
}

wire_enum! {
    /// Recurrence of a Recurring profile (`RecurrencyKindType`).
    RecurrencyKindType {
        Daily = "Daily",
        Weekly = "Weekly",
    }
}

wire_enum! {
    /// Unit of schedule limits (`ChargingRateUnitType`).
    ChargingRateUnitType {
        A = "A",
        W = "W",
    }
}

wire_enum! {
    /// Result of SetChargingProfile (`ChargingProfileStatus`).
    ChargingProfileStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
        NotSupported = "NotSupported",
    }
}

wire_enum! {
    /// Result of ClearChargingProfile (`ClearChargingProfileStatus`).
    ClearChargingProfileStatus {
        Accepted = "Accepted",
        Unknown = "Unknown",
    }
}

wire_enum! {
    /// Result of GetCompositeSchedule (`GetCompositeScheduleStatus`).
    GetCompositeScheduleStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}
