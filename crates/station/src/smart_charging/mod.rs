//! The Smart Charging profile: SetChargingProfile, ClearChargingProfile and
//! GetCompositeSchedule (sections 3.13, 5.5, 5.7, 5.16; TC_056..TC_060, TC_066, TC_067,
//! TC_072, TC_082), and applying the limit in force to the power module.
//!
//! SetChargingProfile answers Rejected, in this order, for: a connector the station does not
//! have; a ChargePointMaxProfile anywhere but connector 0; a TxProfile on connector 0, on a
//! connector without a running transaction, or with a transactionId other than the running
//! one's (TC_058_1, TC_058_2); a stackLevel outside 0..ChargeProfileMaxStackLevel; an empty
//! schedule, more periods than ChargingScheduleMaxPeriods, a first period not starting at 0,
//! periods not in increasing order or a negative limit; a unit that
//! ChargingScheduleAllowedChargingRateUnit does not list; a Recurring profile without
//! recurrencyKind or startSchedule; validTo not after validFrom; and more profiles than
//! MaxChargingProfilesInstalled once it is in. An Absolute profile without startSchedule
//! runs from the start of charging (7.13), as [`schedule`] evaluates it. A TxProfile without
//! transactionId gets the running transaction's. A profile with the same chargingProfileId
//! (anywhere), or with the same purpose and stackLevel on the same connector, replaces the
//! earlier one.
//!
//! ClearChargingProfile: with an id, that profile alone (the other fields are then ignored);
//! without, every profile matching all of connectorId, chargingProfilePurpose and stackLevel
//! given (none given: all). Accepted when something was removed, else Unknown.
//!
//! A TxProfile lives as long as its transaction: it is removed when the transaction ends.
//! The TxProfile of a RemoteStartTransaction (`SmartCharging::hold_remote_profile`) is installed when
//! its transaction starts, and gets the transactionId from StartTransaction.conf.
//!
//! Profiles are kept in the store (migration 6) and loaded at start; TxProfiles found there
//! belong to a transaction that the restart ended, so they are dropped.
//!
//! GetCompositeSchedule: Rejected for a connector the station does not have (or a duration
//! that is negative or 0: nothing to report); else Accepted with scheduleStart = now and the composite in the unit asked
//! for, by default A, over the whole duration asked for. For a connector,
//! [`schedule::composite_with_default`]: the profiles' limit where one applies, the
//! connector's hardware maximum ([`crate::StationConfig::max_current_a`] /
//! [`crate::StationConfig::max_power_w`]) where none does (no profile at all, before one
//! starts, after one ends), never above that maximum. For connector 0 (section 5.7: what the
//! station as a whole expects to draw from the grid), [`schedule::station_total`]: at every
//! moment the sum of every connector's composite, at most the ChargePointMaxProfile's limit
//! (and the connectors' maxima together). Every connector counts, charging or not: an EV
//! may start at any moment, and the schedule says what the station may draw.
//!
//! A <-> W (DC, W = A x V): the EV's present voltage from the latest meter reading while a
//! transaction runs with an EV plugged in and energized, else
//! [`crate::StationConfig::nominal_voltage_v`]; for connector 0, the nominal voltage.
//!
//! The limit in force on each connector goes to the power module as
//! `HardwareCommand::SetLimit` (in both A and W) whenever it changes: at each period boundary
//! ([`schedule::next_change`] is one of the station's deadlines), when profiles change, and
//! when a transaction starts or ends (re-evaluated then; sent if different from the last one
//! sent: the power module keeps its limit across transactions). A limit of 0 during a transaction
//! suspends it: the connector shows SuspendedEVSE.

pub mod schedule;

use crate::config::Config;
use crate::context::Ctx;
use chrono::{DateTime, Utc};
use hal::{HardwareCommand, PowerLimit};
use ocpp::{
    ChargingProfile, ChargingProfileKindType, ChargingProfilePurposeType, ChargingProfileStatus,
    ChargingRateUnitType, ChargingSchedule, ClearChargingProfileResponse,
    ClearChargingProfileStatus, GetCompositeScheduleResponse, GetCompositeScheduleStatus, Refusal,
    SetChargingProfileResponse,
};
use schedule::{InstalledProfile, Limit, ScheduleContext};
use std::collections::BTreeMap;
use store::StoredChargingProfile;

/// The Smart Charging profile: the installed profiles and the limits applied. Other
/// features reach it through its methods only.
#[derive(Debug, Clone, Default)]
pub(crate) struct SmartCharging {
    /// Installed profiles, by connector then profile id.
    profiles: Vec<InstalledProfile>,
    /// The limit last given to the power module, per connector (index 0 unused; None: no
    /// limit, as the hardware starts).
    applied: Vec<Option<Limit>>,
    /// When the limit of some connector may change next.
    next_change: Option<DateTime<Utc>>,
    /// The TxProfile of an accepted RemoteStartTransaction, per connector, kept while its
    /// authorization is pending; installed when the transaction starts.
    remote_profiles: BTreeMap<u32, ChargingProfile>,
}

fn stored(p: &InstalledProfile) -> Option<StoredChargingProfile> {
    let profile = serde_json::to_value(&p.profile).ok()?;
    Some(StoredChargingProfile {
        connector: p.connector,
        profile_id: p.profile.charging_profile_id,
        purpose: p.profile.charging_profile_purpose.as_str().to_string(),
        stack_level: p.profile.stack_level,
        profile,
    })
}

/// Whether the comma-separated ChargingScheduleAllowedChargingRateUnit lists `unit`.
fn unit_allowed(allowed: &str, unit: ChargingRateUnitType) -> bool {
    let name = match unit {
        ChargingRateUnitType::A => "Current",
        ChargingRateUnitType::W => "Power",
    };
    allowed
        .split(',')
        .any(|u| u.trim().eq_ignore_ascii_case(name))
}

/// A limit in both units, with `voltage_v` converting.
pub(crate) fn power_limit(limit: Option<Limit>, voltage_v: f64) -> PowerLimit {
    let Some(limit) = limit else {
        return PowerLimit::NONE;
    };
    let v = voltage_v.max(1.0);
    let value = limit.value.max(0.0);
    match limit.unit {
        ChargingRateUnitType::A => PowerLimit {
            max_current_a: Some(value),
            max_power_w: Some(value * v),
        },
        ChargingRateUnitType::W => PowerLimit {
            max_current_a: Some(value / v),
            max_power_w: Some(value),
        },
    }
}

impl SmartCharging {
    pub(crate) fn new(connectors: u32) -> SmartCharging {
        SmartCharging {
            // No profile yet: the hardware runs without a limit.
            applied: vec![None; connectors as usize + 1],
            ..SmartCharging::default()
        }
    }

    pub(crate) fn on_set_charging_profile(
        &mut self,
        ctx: &mut Ctx,
        req: ocpp::SetChargingProfileRequest,
        now: DateTime<Utc>,
    ) -> Result<SetChargingProfileResponse, Refusal> {
        let id = req.cs_charging_profiles.charging_profile_id;
        let status = match self.install_profile(ctx, req.connector_id, req.cs_charging_profiles) {
            Ok(()) => ChargingProfileStatus::Accepted,
            Err(why) => {
                tracing::info!("SetChargingProfile {id} rejected: {why}");
                ChargingProfileStatus::Rejected
            }
        };
        self.apply_limits(ctx, now);
        Ok(SetChargingProfileResponse { status })
    }

    /// Check and install a profile; Err says why not.
    fn install_profile(
        &mut self,
        ctx: &mut Ctx,
        connector_id: i32,
        mut profile: ChargingProfile,
    ) -> Result<(), String> {
        let connector = u32::try_from(connector_id)
            .ok()
            .filter(|&c| c <= ctx.cfg.connectors)
            .ok_or_else(|| format!("no connector {connector_id}"))?;
        match profile.charging_profile_purpose {
            ChargingProfilePurposeType::ChargePointMaxProfile if connector != 0 => {
                return Err("a ChargePointMaxProfile goes on connector 0".into());
            }
            ChargingProfilePurposeType::TxProfile => {
                if connector == 0 {
                    return Err("a TxProfile goes on a connector".into());
                }
                let tx = ctx.connectors[connector as usize]
                    .tx
                    .as_ref()
                    .ok_or("no transaction runs on the connector")?;
                match profile.transaction_id {
                    Some(id) if tx.transaction_id != Some(id) => {
                        return Err(format!("transaction {id} does not run there"));
                    }
                    Some(_) => {}
                    None => profile.transaction_id = tx.transaction_id,
                }
            }
            _ => {}
        }
        Self::check_profile(&ctx.config, &profile)?;
        let (new_id, purpose, level) = (
            profile.charging_profile_id,
            profile.charging_profile_purpose,
            profile.stack_level,
        );
        let replaced = move |p: &InstalledProfile| {
            p.profile.charging_profile_id == new_id
                || (p.connector == connector
                    && p.profile.charging_profile_purpose == purpose
                    && p.profile.stack_level == level)
        };
        let kept = self.profiles.iter().filter(|p| !replaced(p)).count();
        let max = ctx.config.current().max_charging_profiles_installed.max(0) as usize;
        if kept + 1 > max {
            return Err(format!("MaxChargingProfilesInstalled is {max}"));
        }
        let new = InstalledProfile { connector, profile };
        let record = stored(&new).ok_or("cannot encode the profile")?;
        let gone: Vec<i32> = self
            .profiles
            .iter()
            .filter(|p| replaced(p))
            .map(|p| p.profile.charging_profile_id)
            .collect();
        for id in gone {
            if id != new.profile.charging_profile_id {
                if let Err(e) = ctx.store.charging_profile_remove(id) {
                    return Err(format!("cannot remove replaced profile {id}: {e}"));
                }
            }
        }
        ctx.store
            .charging_profile_put(&record)
            .map_err(|e| format!("cannot record the profile: {e}"))?;
        tracing::info!(
            "charging profile {} ({}, stack level {}) installed on connector {connector}",
            new.profile.charging_profile_id,
            new.profile.charging_profile_purpose.as_str(),
            new.profile.stack_level
        );
        self.profiles.retain(|p| !replaced(p));
        self.profiles.push(new);
        self.profiles
            .sort_by_key(|p| (p.connector, p.profile.charging_profile_id));
        Ok(())
    }

    /// The limits of this station (SC-1) and the schedule rules.
    pub(crate) fn check_profile(config: &Config, profile: &ChargingProfile) -> Result<(), String> {
        let max_level = config.current().charge_profile_max_stack_level;
        if profile.stack_level < 0 || i64::from(profile.stack_level) > max_level {
            return Err(format!(
                "stackLevel {} beyond 0..{max_level}",
                profile.stack_level
            ));
        }
        let schedule = &profile.charging_schedule;
        let periods = &schedule.charging_schedule_period;
        let max_periods = config.current().charging_schedule_max_periods.max(0) as usize;
        if periods.is_empty() || periods.len() > max_periods {
            return Err(format!(
                "{} periods (ChargingScheduleMaxPeriods is {max_periods})",
                periods.len()
            ));
        }
        if periods[0].start_period != 0 {
            return Err("the first period does not start at 0".into());
        }
        if periods
            .windows(2)
            .any(|w| w[1].start_period <= w[0].start_period)
        {
            return Err("periods not in increasing startPeriod order".into());
        }
        if periods.iter().any(|p| p.limit < 0.0) {
            return Err("a negative limit".into());
        }
        let allowed = config
            .get("ChargingScheduleAllowedChargingRateUnit")
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        if !unit_allowed(&allowed, schedule.charging_rate_unit) {
            return Err(format!(
                "unit {} not allowed",
                schedule.charging_rate_unit.as_str()
            ));
        }
        if schedule.duration.is_some_and(|d| d < 0) {
            return Err("a negative duration".into());
        }
        match profile.charging_profile_kind {
            ChargingProfileKindType::Recurring => {
                if profile.recurrency_kind.is_none() {
                    return Err("Recurring without recurrencyKind".into());
                }
                if schedule.start_schedule.is_none() {
                    return Err("Recurring without startSchedule".into());
                }
            }
            // Absolute without startSchedule: relative to the start of charging (7.13).
            ChargingProfileKindType::Absolute | ChargingProfileKindType::Relative => {}
        }
        if let (Some(from), Some(to)) = (profile.valid_from, profile.valid_to) {
            if to <= from {
                return Err("validTo not after validFrom".into());
            }
        }
        Ok(())
    }

    pub(crate) fn on_clear_charging_profile(
        &mut self,
        ctx: &mut Ctx,
        req: ocpp::ClearChargingProfileRequest,
        now: DateTime<Utc>,
    ) -> Result<ClearChargingProfileResponse, Refusal> {
        let matches = |p: &InstalledProfile| match req.id {
            Some(id) => p.profile.charging_profile_id == id,
            None => {
                req.connector_id
                    .is_none_or(|c| i64::from(c) == i64::from(p.connector))
                    && req
                        .charging_profile_purpose
                        .is_none_or(|purpose| purpose == p.profile.charging_profile_purpose)
                    && req
                        .stack_level
                        .is_none_or(|level| level == p.profile.stack_level)
            }
        };
        let gone: Vec<i32> = self
            .profiles
            .iter()
            .filter(|p| matches(p))
            .map(|p| p.profile.charging_profile_id)
            .collect();
        let status = if gone.is_empty() {
            ClearChargingProfileStatus::Unknown
        } else {
            ClearChargingProfileStatus::Accepted
        };
        for id in gone {
            self.remove_profile(ctx, id, "cleared");
        }
        self.apply_limits(ctx, now);
        Ok(ClearChargingProfileResponse { status })
    }

    fn remove_profile(&mut self, ctx: &mut Ctx, id: i32, why: &str) {
        tracing::info!("charging profile {id} removed: {why}");
        self.profiles
            .retain(|p| p.profile.charging_profile_id != id);
        if let Err(e) = ctx.store.charging_profile_remove(id) {
            tracing::error!("cannot remove charging profile {id}: {e}");
        }
    }

    pub(crate) fn on_get_composite_schedule(
        &self,
        ctx: &Ctx,
        req: ocpp::GetCompositeScheduleRequest,
        now: DateTime<Utc>,
    ) -> Result<GetCompositeScheduleResponse, Refusal> {
        let rejected = GetCompositeScheduleResponse {
            status: GetCompositeScheduleStatus::Rejected,
            connector_id: None,
            schedule_start: None,
            charging_schedule: None,
        };
        let connector = u32::try_from(req.connector_id)
            .ok()
            .filter(|&c| c <= ctx.cfg.connectors);
        let (Some(connector), true) = (connector, req.duration >= 0) else {
            return Ok(rejected);
        };
        let unit = req.charging_rate_unit.unwrap_or(ChargingRateUnitType::A);
        let schedule = if connector == 0 {
            self.station_schedule(ctx, now, req.duration, unit)
        } else {
            self.connector_schedule(ctx, connector, now, req.duration, unit)
        };
        let response = if schedule.charging_schedule_period.is_empty() {
            rejected
        } else {
            GetCompositeScheduleResponse {
                status: GetCompositeScheduleStatus::Accepted,
                connector_id: Some(req.connector_id),
                schedule_start: Some(now),
                charging_schedule: Some(schedule),
            }
        };
        Ok(response)
    }

    /// The hardware maximum of one connector in `unit`.
    fn hardware_max(ctx: &Ctx, unit: ChargingRateUnitType) -> f64 {
        match unit {
            ChargingRateUnitType::A => ctx.cfg.max_current_a,
            ChargingRateUnitType::W => ctx.cfg.max_power_w,
        }
    }

    /// The composite schedule of `connector` (> 0): the profiles' limits where one applies,
    /// the hardware maximum elsewhere, never above the hardware maximum.
    fn connector_schedule(
        &self,
        ctx: &Ctx,
        connector: u32,
        now: DateTime<Utc>,
        duration_s: i32,
        unit: ChargingRateUnitType,
    ) -> ChargingSchedule {
        let max = Self::hardware_max(ctx, unit);
        let at = Self::schedule_context(ctx, connector);
        let default = Some(Limit { value: max, unit });
        let mut schedule =
            schedule::composite_with_default(&self.profiles, &at, now, duration_s, unit, default);
        schedule::cap_limits(&mut schedule, max);
        schedule
    }

    /// The composite schedule of the station as a whole (connector 0): what all its
    /// connectors may draw together, at most the ChargePointMaxProfile's limit.
    fn station_schedule(
        &self,
        ctx: &Ctx,
        now: DateTime<Utc>,
        duration_s: i32,
        unit: ChargingRateUnitType,
    ) -> ChargingSchedule {
        let each: Vec<ChargingSchedule> = (1..=ctx.cfg.connectors)
            .map(|c| self.connector_schedule(ctx, c, now, duration_s, unit))
            .collect();
        let station_max = Self::hardware_max(ctx, unit) * f64::from(ctx.cfg.connectors);
        let max_profiles: Vec<InstalledProfile> = self
            .profiles
            .iter()
            .filter(|p| {
                p.profile.charging_profile_purpose
                    == ChargingProfilePurposeType::ChargePointMaxProfile
            })
            .cloned()
            .collect();
        let at = Self::schedule_context(ctx, 0);
        let default = Some(Limit {
            value: station_max,
            unit,
        });
        let cap =
            schedule::composite_with_default(&max_profiles, &at, now, duration_s, unit, default);
        schedule::station_total(&each, &cap)
    }

    /// What the schedules of `connector` are evaluated against now.
    fn schedule_context(ctx: &Ctx, connector: u32) -> ScheduleContext {
        let nominal = ctx.cfg.nominal_voltage_v;
        let Some(c) = ctx
            .connectors
            .get(connector as usize)
            .filter(|_| connector > 0)
        else {
            return ScheduleContext {
                connector: 0,
                transaction: None,
                voltage_v: nominal,
            };
        };
        let energized = c.tx.is_some() && c.plugged;
        let voltage_v = c
            .meter
            .map(|m| m.voltage_v)
            .filter(|&v| energized && v > 1.0)
            .unwrap_or(nominal);
        ScheduleContext {
            connector,
            transaction: c
                .tx
                .as_ref()
                .map(|t| (t.transaction_id.unwrap_or(-1), t.started_at)),
            voltage_v,
        }
    }

    /// Give the power module the limit now in force on each connector where it changed, and
    /// note when it may change next.
    pub(crate) fn apply_limits(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        let mut next: Option<DateTime<Utc>> = None;
        for connector in 1..=ctx.cfg.connectors {
            let at = Self::schedule_context(ctx, connector);
            let (limit, change) = if self.profiles.is_empty() {
                (None, None)
            } else {
                (
                    schedule::limit_at(&self.profiles, &at, now),
                    schedule::next_change(&self.profiles, &at, now),
                )
            };
            next = match (next, change) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let index = connector as usize;
            let zero = limit.is_some_and(|l| l.value <= 0.0);
            ctx.connectors[index].limit_zero = zero;
            if self.applied[index] == limit {
                continue;
            }
            self.applied[index] = limit;
            let power = power_limit(limit, at.voltage_v);
            tracing::info!("connector {connector}: charging limit {power:?}");
            ctx.outputs
                .push_back(crate::Output::Hardware(HardwareCommand::SetLimit {
                    connector,
                    limit: power,
                }));
        }
        self.next_change = next.filter(|&t| t > now);
    }

    /// At a period boundary, the limits are evaluated again (otherwise only when profiles
    /// change or a transaction starts or ends).
    pub(crate) fn on_time(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        if self.next_change.is_some_and(|t| t <= now) {
            self.apply_limits(ctx, now);
        }
    }

    /// When a limit may change next (one of the station's deadlines).
    pub(crate) fn deadline(&self) -> Option<DateTime<Utc>> {
        self.next_change
    }

    /// An accepted RemoteStartTransaction's TxProfile, for the transaction it starts on
    /// `connector`.
    pub(crate) fn hold_remote_profile(&mut self, connector: u32, profile: ChargingProfile) {
        self.remote_profiles.insert(connector, profile);
    }

    /// A remote start's TxProfile is dropped when its authorization lapsed, was refused or
    /// its transaction ended.
    pub(crate) fn forget_lapsed_remote_profiles(&mut self, ctx: &Ctx) {
        if self.remote_profiles.is_empty() {
            return;
        }
        let connectors = &ctx.connectors;
        self.remote_profiles.retain(|&id, _| {
            connectors.get(id as usize).is_some_and(|c| {
                c.tx.is_some() || c.authorization.is_some() || c.authorizing.is_some()
            })
        });
    }

    /// A transaction started on `connector`: a remote start's TxProfile becomes its profile,
    /// and the limit in force is re-evaluated.
    pub(crate) fn tx_started(&mut self, ctx: &mut Ctx, connector: u32, now: DateTime<Utc>) {
        if let Some(mut profile) = self.remote_profiles.remove(&connector) {
            profile.transaction_id = None;
            let id = profile.charging_profile_id;
            if let Err(why) = self.install_profile(ctx, connector as i32, profile) {
                tracing::warn!("the remote start's charging profile {id} is not applied: {why}");
            }
        }
        self.apply_limits(ctx, now);
    }

    /// StartTransaction.conf gave the transaction on `connector` its id: its TxProfiles
    /// get it too.
    pub(crate) fn tx_id_known(&mut self, ctx: &mut Ctx, connector: u32, transaction_id: i32) {
        let mut changed = Vec::new();
        for p in self.profiles.iter_mut() {
            if p.connector == connector
                && p.profile.charging_profile_purpose == ChargingProfilePurposeType::TxProfile
                && p.profile.transaction_id.is_none()
            {
                p.profile.transaction_id = Some(transaction_id);
                changed.extend(stored(p));
            }
        }
        for record in changed {
            if let Err(e) = ctx.store.charging_profile_put(&record) {
                tracing::error!("cannot record charging profile {}: {e}", record.profile_id);
            }
        }
    }

    /// The transaction on `connector` ended: its TxProfiles go, and the limit in force is
    /// re-evaluated.
    pub(crate) fn tx_ended(&mut self, ctx: &mut Ctx, connector: u32, now: DateTime<Utc>) {
        let gone: Vec<i32> = self
            .profiles
            .iter()
            .filter(|p| {
                p.connector == connector
                    && p.profile.charging_profile_purpose == ChargingProfilePurposeType::TxProfile
            })
            .map(|p| p.profile.charging_profile_id)
            .collect();
        for id in gone {
            self.remove_profile(ctx, id, "its transaction ended");
        }
        self.apply_limits(ctx, now);
    }

    /// The profiles installed before the last stop; TxProfiles died with their transaction.
    pub(crate) fn load(&mut self, ctx: &mut Ctx) {
        let all = match ctx.store.charging_profiles_all() {
            Ok(all) => all,
            Err(e) => {
                tracing::error!("cannot read the charging profiles: {e}");
                return;
            }
        };
        for record in all {
            let profile = serde_json::from_value::<ChargingProfile>(record.profile.clone());
            match profile {
                Ok(profile)
                    if record.connector <= ctx.cfg.connectors
                        && profile.charging_profile_purpose
                            != ChargingProfilePurposeType::TxProfile =>
                {
                    self.profiles.push(InstalledProfile {
                        connector: record.connector,
                        profile,
                    });
                }
                _ => {
                    tracing::info!(
                        "dropping stored charging profile {} ({} on connector {})",
                        record.profile_id,
                        record.purpose,
                        record.connector
                    );
                    let _ = ctx.store.charging_profile_remove(record.profile_id);
                }
            }
        }
        self.profiles
            .sort_by_key(|p| (p.connector, p.profile.charging_profile_id));
    }
}
