//! The Reservation profile: ReserveNow and CancelReservation (sections 3.11, 5.1, 5.13;
//! TC_046..TC_053).
//!
//! A reservation holds a connector, or with connector 0 any connector of the station
//! (ReserveConnectorZeroSupported, R-1), for an idTag until its expiryDate. It is kept on the
//! connector ([`crate::connector::Connector::reservation`]; connector 0's slot holds the
//! reservation of the whole station) and in the store, so it survives a restart.
//!
//! ReserveNow answers, in this order:
//! - Rejected: registration not accepted, a Reset on its way, a connector the station does not
//!   have, an expiryDate already past, or connector 0 while ReserveConnectorZeroSupported is
//!   false;
//! - for a connector: Faulted (a fault, not the EVCommunicationError warning), Unavailable
//!   (it or the station Inoperative), Occupied (a transaction, Finishing, an EV plugged in, a
//!   card being authorized or authorized there, or held by another reservation, connector 0's
//!   included);
//! - for connector 0: Occupied when the station already holds another connector-0
//!   reservation, Unavailable when the station is Inoperative; Accepted when at least one
//!   connector is Available; otherwise Faulted when every connector is faulted, Unavailable
//!   when every one is faulted or Inoperative, else Occupied.
//!
//! The same reservationId replaces the earlier reservation (anywhere), provided the new one
//! can be made; if not, the answer says why and the earlier one stays.
//!
//! Who may charge on a reserved connector: the reserved idTag, or an idTag whose parentIdTag
//! (from the Local Authorization List / cache, else from the Authorize.conf the station asks
//! for) equals the reservation's parentIdTag. Every other card is refused, and so is a
//! RemoteStartTransaction for another idTag. Plugging in is fine: the connector stays
//! Reserved until the reserved identity is accepted there (G2), then Preparing.
//!
//! Connector 0: the station stays usable for others as long as another connector remains
//! for the reserved idTag. A connector "can serve" the reservation when it has no
//! transaction, is not Finishing, faulted or Inoperative, holds no reservation of its own and
//! no card other than the reserved identity is authorized there. While two or more can serve
//! it, every connector shows Available; when only one can, that one shows Reserved and
//! refuses other cards. A card for someone else is refused on a connector when no other
//! connector could serve the reservation after it.
//!
//! The reservation ends when a transaction starts for its identity (on the reserved
//! connector, or any connector for connector 0): StartTransaction.req carries its
//! reservationId. It also ends at its expiryDate (on the injected clock; the connector goes
//! back to Available), on CancelReservation, and, as section 5.13 says, when its connector
//! becomes Faulted or Unavailable (a fault, or ChangeAvailability Inoperative, which is
//! Accepted as on any idle connector); a connector-0 reservation ends when the station is
//! made Inoperative or every connector is faulted.

use crate::connector::Connector;
use crate::context::Ctx;
use crate::station::BootStatus;
use crate::time::Monotonic;
use chrono::{DateTime, Utc};
use ocpp::{
    CancelReservationResponse, CancelReservationStatus, ChargePointErrorCode, Refusal,
    ReservationStatus, ReserveNowResponse,
};
use std::collections::BTreeMap;
use store::Reservation;

/// The Reservation profile. The reservations themselves sit on the connectors (the
/// station's status of each depends on them) and in the store; the feature keeps when each
/// expires.
#[derive(Debug, Default)]
pub(crate) struct Reservations {
    /// When each reservation expires: its expiryDate as the time left on the monotonic clock.
    expiry: BTreeMap<i32, Monotonic>,
}

/// Whether an idTag may charge where a reservation holds the connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    Yes,
    No,
    /// Only its parentIdTag can tell, and the station does not know it yet.
    NeedParent,
}

/// Whether `id_tag`, of parentIdTag `parent` (None: not known; Some(None): known to have
/// none), may use `res`.
fn admits(res: &Reservation, id_tag: &str, parent: Option<Option<&str>>) -> Admission {
    if same_id(id_tag, &res.id_tag) {
        return Admission::Yes;
    }
    let Some(wanted) = res.parent_id_tag.as_deref() else {
        return Admission::No;
    };
    match parent {
        None => Admission::NeedParent,
        Some(Some(p)) if same_id(p, wanted) => Admission::Yes,
        Some(_) => Admission::No,
    }
}

/// OCPP IdTokens compare ignoring ASCII case.
fn same_id(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// A fault that stops charging (EVCommunicationError is a warning).
fn faulted(c: &Connector) -> bool {
    c.fault
        .is_some_and(|f| f != ChargePointErrorCode::EVCommunicationError)
}

/// The connector's own reservation, not connector 0's shown on it.
fn own_reservation(c: &Connector) -> Option<&Reservation> {
    c.reservation.as_ref().filter(|r| r.connector != 0)
}

impl Reservations {
    pub(crate) fn on_reserve_now(
        &mut self,
        ctx: &mut Ctx,
        req: ocpp::ReserveNowRequest,
        now: DateTime<Utc>,
    ) -> Result<ReserveNowResponse, Refusal> {
        let status = self.reserve(ctx, &req, now);
        tracing::info!(
            "ReserveNow {} on connector {} for {}: {}",
            req.reservation_id,
            req.connector_id,
            req.id_tag.as_str(),
            status.as_str()
        );
        Ok(ReserveNowResponse { status })
    }

    pub(crate) fn on_cancel_reservation(
        &mut self,
        ctx: &mut Ctx,
        req: ocpp::CancelReservationRequest,
        _now: DateTime<Utc>,
    ) -> Result<CancelReservationResponse, Refusal> {
        let known = ctx
            .connectors
            .iter()
            .any(|c| c.reservation.as_ref().map(|r| r.reservation_id) == Some(req.reservation_id));
        let status = if known {
            self.end(ctx, req.reservation_id, "cancelled");
            CancelReservationStatus::Accepted
        } else {
            tracing::info!(
                "CancelReservation {}: no such reservation",
                req.reservation_id
            );
            CancelReservationStatus::Rejected
        };
        Ok(CancelReservationResponse { status })
    }

    fn reserve(
        &mut self,
        ctx: &mut Ctx,
        req: &ocpp::ReserveNowRequest,
        now: DateTime<Utc>,
    ) -> ReservationStatus {
        if ctx.boot != BootStatus::Accepted || ctx.reset.is_some() || req.expiry_date <= now {
            return ReservationStatus::Rejected;
        }
        let Some(connector) = u32::try_from(req.connector_id)
            .ok()
            .filter(|&id| id <= ctx.cfg.connectors)
        else {
            return ReservationStatus::Rejected;
        };
        let id = req.reservation_id;
        let status = if connector == 0 {
            self.station_reservable(ctx, id)
        } else {
            self.connector_reservable(ctx, connector as usize, id)
        };
        if status != ReservationStatus::Accepted {
            return status;
        }
        let res = Reservation {
            reservation_id: id,
            connector,
            id_tag: req.id_tag.as_str().to_string(),
            parent_id_tag: req.parent_id_tag.as_ref().map(|p| p.as_str().to_string()),
            expiry_date: req.expiry_date,
        };
        if let Err(e) = ctx.store.reservation_put(&res) {
            tracing::error!("cannot record reservation {id}: {e}");
            return ReservationStatus::Rejected;
        }
        let left = req.expiry_date - now;
        self.expiry.insert(id, ctx.time.mono + left);
        // The same reservationId replaces the earlier reservation.
        for c in ctx.connectors.iter_mut() {
            if c.reservation
                .as_ref()
                .is_some_and(|r| r.reservation_id == id)
            {
                c.reservation = None;
            }
        }
        ctx.connectors[connector as usize].reservation = Some(res);
        self.place_station_reservation(ctx);
        ReservationStatus::Accepted
    }

    /// ReserveNow for connector `index`, replacing reservation `replacing` if it exists.
    fn connector_reservable(&self, ctx: &Ctx, index: usize, replacing: i32) -> ReservationStatus {
        let c = &ctx.connectors[index];
        let held = c
            .reservation
            .as_ref()
            .is_some_and(|r| r.reservation_id != replacing);
        if faulted(c) {
            ReservationStatus::Faulted
        } else if c.inoperative || ctx.connectors[0].inoperative {
            ReservationStatus::Unavailable
        } else if c.tx.is_some()
            || c.finishing
            || c.plugged
            || c.authorization.is_some()
            || c.authorizing.is_some()
            || held
        {
            ReservationStatus::Occupied
        } else {
            ReservationStatus::Accepted
        }
    }

    /// ReserveNow for connector 0, replacing reservation `replacing` if it exists.
    fn station_reservable(&self, ctx: &Ctx, replacing: i32) -> ReservationStatus {
        if !ctx.config.current().reserve_connector_zero_supported {
            return ReservationStatus::Rejected;
        }
        let station = &ctx.connectors[0];
        if station
            .reservation
            .as_ref()
            .is_some_and(|r| r.reservation_id != replacing)
        {
            return ReservationStatus::Occupied;
        }
        if station.inoperative {
            return ReservationStatus::Unavailable;
        }
        let real = &ctx.connectors[1..];
        let available = |c: &Connector| {
            c.tx.is_none()
                && !c.finishing
                && !c.plugged
                && c.authorization.is_none()
                && c.authorizing.is_none()
                && !faulted(c)
                && !c.inoperative
                && own_reservation(c).is_none_or(|r| r.reservation_id == replacing)
        };
        if real.iter().any(available) {
            ReservationStatus::Accepted
        } else if real.iter().all(faulted) {
            ReservationStatus::Faulted
        } else if real.iter().all(|c| faulted(c) || c.inoperative) {
            ReservationStatus::Unavailable
        } else {
            ReservationStatus::Occupied
        }
    }

    /// Whether connector `index` (1..N) could still serve connector 0's reservation `res`.
    fn can_serve(&self, ctx: &Ctx, index: usize, res: &Reservation) -> bool {
        let Some(c) = ctx.connectors.get(index).filter(|_| index > 0) else {
            return false;
        };
        c.tx.is_none()
            && !c.finishing
            && !faulted(c)
            && !c.inoperative
            && !ctx.connectors[0].inoperative
            && own_reservation(c).is_none()
            && c.authorization.as_ref().is_none_or(|a| {
                admits(res, &a.id_tag, Some(a.parent_id_tag.as_deref())) == Admission::Yes
            })
            && c.authorizing
                .as_deref()
                .is_none_or(|id| same_id(id, &res.id_tag))
    }

    /// Show connector 0's reservation on the one connector left to serve it, if only one is.
    fn place_station_reservation(&mut self, ctx: &mut Ctx) {
        for c in ctx.connectors.iter_mut().skip(1) {
            if c.reservation.as_ref().is_some_and(|r| r.connector == 0) {
                c.reservation = None;
            }
        }
        let Some(res) = ctx.connectors[0].reservation.clone() else {
            return;
        };
        let serving: Vec<usize> = (1..ctx.connectors.len())
            .filter(|&i| self.can_serve(ctx, i, &res))
            .collect();
        if let [only] = serving[..] {
            ctx.connectors[only].reservation = Some(res);
        }
    }

    /// Whether `id_tag` (parentIdTag `parent`: None when not known) may start charging on
    /// `connector` as far as reservations go.
    pub(crate) fn admits(
        &self,
        ctx: &Ctx,
        connector: u32,
        id_tag: &str,
        parent: Option<Option<&str>>,
    ) -> Admission {
        let Some(c) = ctx.connectors.get(connector as usize) else {
            return Admission::Yes;
        };
        if let Some(own) = own_reservation(c) {
            return admits(own, id_tag, parent);
        }
        let Some(station) = ctx.connectors[0].reservation.as_ref() else {
            return Admission::Yes;
        };
        match admits(station, id_tag, parent) {
            Admission::Yes => Admission::Yes,
            refused => {
                let others = (1..ctx.connectors.len())
                    .filter(|&i| i != connector as usize)
                    .any(|i| self.can_serve(ctx, i, station));
                if others {
                    Admission::Yes
                } else {
                    refused
                }
            }
        }
    }

    /// The reservation a transaction starting on `connector` for `id_tag` uses, if any: its
    /// id goes into StartTransaction.req, and it ends once the start is recorded.
    pub(crate) fn used_by(
        &self,
        ctx: &Ctx,
        connector: u32,
        id_tag: &str,
        parent: Option<&str>,
    ) -> Option<i32> {
        let c = ctx.connectors.get(connector as usize)?;
        let uses = |r: &&Reservation| admits(r, id_tag, Some(parent)) == Admission::Yes;
        let id = own_reservation(c)
            .filter(uses)
            .or_else(|| ctx.connectors[0].reservation.as_ref().filter(uses))
            .map(|r| r.reservation_id)?;
        Some(id)
    }

    /// Forget reservation `id` everywhere, the store included.
    pub(crate) fn end(&mut self, ctx: &mut Ctx, id: i32, why: &str) {
        tracing::info!("reservation {id} ended: {why}");
        self.expiry.remove(&id);
        for c in ctx.connectors.iter_mut() {
            if c.reservation
                .as_ref()
                .is_some_and(|r| r.reservation_id == id)
            {
                c.reservation = None;
            }
        }
        if let Err(e) = ctx.store.reservation_remove(id) {
            tracing::error!("cannot remove reservation {id}: {e}");
        }
        self.place_station_reservation(ctx);
    }

    /// Reservations end at their expiryDate, or when their connector (or, for connector 0,
    /// the station) becomes Faulted or Unavailable.
    pub(crate) fn on_time(&mut self, ctx: &mut Ctx) {
        let now = ctx.time.mono;
        let station_inoperative = ctx.connectors[0].inoperative;
        let all_faulted = ctx.connectors[1..].iter().all(faulted);
        let mut ended = Vec::new();
        for c in &ctx.connectors {
            let Some(r) = c.reservation.as_ref().filter(|r| r.connector == c.id) else {
                continue;
            };
            let why = if self.expires(ctx, r.reservation_id) <= now {
                "expired"
            } else if c.id == 0 && (station_inoperative || all_faulted) {
                "the station is unavailable"
            } else if c.id != 0 && faulted(c) {
                "its connector is faulted"
            } else if c.id != 0 && (c.inoperative || station_inoperative) {
                "its connector is unavailable"
            } else {
                continue;
            };
            ended.push((r.reservation_id, why));
        }
        for (id, why) in ended {
            self.end(ctx, id, why);
        }
        // What can serve connector 0's reservation changes with every input.
        self.place_station_reservation(ctx);
    }

    /// When reservation `id` expires: its expiryDate as the time left when it was made (or
    /// loaded), on the monotonic clock.
    fn expires(&self, ctx: &Ctx, id: i32) -> Monotonic {
        self.expiry.get(&id).copied().unwrap_or(ctx.time.mono)
    }

    /// When the next reservation held on a connector expires.
    pub(crate) fn deadline(&self, ctx: &Ctx) -> Option<Monotonic> {
        ctx.connectors
            .iter()
            .filter_map(|c| c.reservation.as_ref())
            .map(|r| self.expires(ctx, r.reservation_id))
            .min()
    }

    /// The reservations recorded before the last stop.
    pub(crate) fn load(&mut self, ctx: &mut Ctx) {
        let all = match ctx.store.reservations_all() {
            Ok(all) => all,
            Err(e) => {
                tracing::error!("cannot read the reservations: {e}");
                return;
            }
        };
        let time = ctx.time;
        for res in all {
            let expires = time.mono + (res.expiry_date - time.wall);
            self.expiry.insert(res.reservation_id, expires);
            match ctx.connectors.get_mut(res.connector as usize) {
                Some(c) if c.reservation.is_none() => c.reservation = Some(res),
                _ => {
                    tracing::warn!(
                        "dropping reservation {} for connector {}",
                        res.reservation_id,
                        res.connector
                    );
                    let _ = ctx.store.reservation_remove(res.reservation_id);
                }
            }
        }
        self.place_station_reservation(ctx);
    }
}
