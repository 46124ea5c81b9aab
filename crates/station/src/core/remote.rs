//! RemoteStartTransaction and RemoteStopTransaction (sections 5.11, 5.12; TC_010, TC_011,
//! TC_012, TC_026, TC_027, TC_028).
//!
//! A remote start names a connector (it must be a real one: connector 0 is Rejected,
//! TC_027) or leaves the choice to the station, which takes the connector where an EV is
//! plugged in and waiting, else the first free one. A connector running a transaction,
//! already holding an authorization for someone else, Unavailable or Faulted is Rejected.
//! A connector reserved for another idTag is Rejected too (an idTag whose parentIdTag only
//! an Authorize.conf can tell is accepted and authorized first, whatever
//! AuthorizeRemoteTxRequests says).
//! Accepted, the idTag is authorized like a card presented there when
//! AuthorizeRemoteTxRequests is true (Authorize.req, or whatever the authorization rules
//! decide), or taken as authorized at once when false; the transaction starts when the EV
//! is plugged in, or never if it is not within ConnectionTimeOut (TC_011_2).
//!
//! A chargingProfile in the request must have the purpose TxProfile (else Rejected). It is
//! held by Smart Charging for the connector while the remote start's
//! authorization is pending; when its transaction starts, Smart Charging installs it as
//! that transaction's TxProfile (`smart_charging/`).
//!
//! Nothing remote is accepted before the Central System accepted the BootNotification
//! (Pending: the Central System may configure the station, not operate it), nor while a
//! Reset is on its way.

use super::auth_cache::{AuthCache, LocalAuth};
use super::authorize::Authorizer;
use super::transaction::TxParts;
use crate::connector::Authorization;
use crate::context::Ctx;
use crate::reservation::Admission;
use crate::smart_charging::SmartCharging;
use crate::station::BootStatus;
use chrono::{DateTime, Duration, Utc};
use ocpp::{
    ChargingProfilePurposeType, Reason, Refusal, RemoteStartStopStatus,
    RemoteStartTransactionRequest, RemoteStartTransactionResponse, RemoteStopTransactionRequest,
    RemoteStopTransactionResponse,
};

/// RemoteStartTransaction and RemoteStopTransaction: which connector, Accepted or Rejected,
/// and the authorization or transaction they set off (through [`TxParts`]).
pub(crate) struct RemoteControl;

impl RemoteControl {
    pub(crate) fn on_remote_start(
        &self,
        ctx: &mut Ctx,
        parts: &mut TxParts,
        req: RemoteStartTransactionRequest,
        now: DateTime<Utc>,
    ) -> Result<RemoteStartTransactionResponse, Refusal> {
        // A reserved connector takes only the reservation's identity (section 5.13).
        let local = AuthCache::lookup(ctx, req.id_tag.as_str(), now);
        let parent = local.as_ref().map(|l| l.parent_id_tag.as_deref());
        let connector = self.remote_start_connector(ctx, parts, &req, parent);
        let needs_parent = connector.is_some_and(|id| {
            parts
                .reservations
                .admits(ctx, id, req.id_tag.as_str(), parent)
                == Admission::NeedParent
        });
        let status = if connector.is_some() {
            RemoteStartStopStatus::Accepted
        } else {
            RemoteStartStopStatus::Rejected
        };
        match connector {
            Some(connector) => self.start_remotely(ctx, parts, connector, req, local, needs_parent),
            None => tracing::info!("remote start for {} rejected", req.id_tag.as_str()),
        }
        Ok(RemoteStartTransactionResponse { status })
    }

    /// Carry out an accepted RemoteStartTransaction on `connector`.
    fn start_remotely(
        &self,
        ctx: &mut Ctx,
        parts: &mut TxParts,
        connector: u32,
        req: RemoteStartTransactionRequest,
        local: Option<LocalAuth>,
        needs_parent: bool,
    ) {
        let now = ctx.time.wall;
        let id_tag = req.id_tag.as_str().to_string();
        tracing::info!("remote start for {id_tag} on connector {connector}");
        if let Some(profile) = req.charging_profile {
            parts.smart.hold_remote_profile(connector, profile);
        }
        // Only an Authorize.conf can tell whether its parentIdTag is the reservation's.
        if ctx.config.current().authorize_remote_tx_requests || needs_parent {
            Authorizer.authorize_for_start(ctx, parts, connector, id_tag, now);
            return;
        }
        let expires = ctx.time.mono + Duration::seconds(ctx.config.current().connection_time_out);
        let Some(c) = ctx.connector_mut(connector) else {
            return;
        };
        c.authorization = Some(Authorization {
            id_tag,
            parent_id_tag: local.and_then(|l| l.parent_id_tag),
            expires,
        });
        if c.plugged {
            parts.start(ctx, connector, now);
        }
    }

    /// The connector a remote start goes to, or None to reject it.
    fn remote_start_connector(
        &self,
        ctx: &Ctx,
        parts: &TxParts,
        req: &RemoteStartTransactionRequest,
        parent: Option<Option<&str>>,
    ) -> Option<u32> {
        if ctx.boot != BootStatus::Accepted || ctx.reset.is_some() {
            return None;
        }
        if req
            .charging_profile
            .as_ref()
            .is_some_and(|p| p.charging_profile_purpose != ChargingProfilePurposeType::TxProfile)
        {
            tracing::info!("remote start with a profile that is not a TxProfile");
            return None;
        }
        if let Some(Err(why)) = req
            .charging_profile
            .as_ref()
            .map(|p| SmartCharging::check_profile(&ctx.config, p))
        {
            tracing::info!("remote start with a charging profile that cannot apply: {why}");
            return None;
        }
        match req.connector_id {
            Some(id) => {
                let id = u32::try_from(id).ok().filter(|&id| id > 0)?;
                self.free_for_remote_start(ctx, parts, id, req.id_tag.as_str(), parent)
                    .then_some(id)
            }
            None => {
                let free: Vec<u32> = (1..=ctx.cfg.connectors)
                    .filter(|&id| {
                        self.free_for_remote_start(ctx, parts, id, req.id_tag.as_str(), parent)
                    })
                    .collect();
                let plugged = free
                    .iter()
                    .copied()
                    .find(|&id| ctx.connectors[id as usize].plugged);
                plugged.or(free.first().copied())
            }
        }
    }

    /// Whether connector `id` exists and could start a transaction for `id_tag` (of
    /// parentIdTag `parent`, None when not known) now.
    fn free_for_remote_start(
        &self,
        ctx: &Ctx,
        parts: &TxParts,
        id: u32,
        id_tag: &str,
        parent: Option<Option<&str>>,
    ) -> bool {
        let Some(c) = ctx.connectors.get(id as usize).filter(|_| id > 0) else {
            return false;
        };
        let station_inoperative = ctx.connectors[0].inoperative;
        c.tx.is_none()
            && c.authorization.is_none()
            && c.authorizing.is_none()
            && c.fault.is_none()
            && !c.inoperative
            && !station_inoperative
            && !c.is_unavailable()
            && parts.reservations.admits(ctx, id, id_tag, parent) != Admission::No
    }

    pub(crate) fn on_remote_stop(
        &self,
        ctx: &mut Ctx,
        parts: &mut TxParts,
        req: RemoteStopTransactionRequest,
        now: DateTime<Utc>,
    ) -> Result<RemoteStopTransactionResponse, Refusal> {
        let connector = ctx
            .connectors
            .iter()
            .find(|c| {
                c.tx.as_ref()
                    .is_some_and(|tx| tx.transaction_id == Some(req.transaction_id))
            })
            .map(|c| c.id)
            .filter(|_| ctx.boot == BootStatus::Accepted);
        let status = if connector.is_some() {
            RemoteStartStopStatus::Accepted
        } else {
            RemoteStartStopStatus::Rejected
        };
        match connector {
            Some(connector) => parts.stop(ctx, connector, Reason::Remote, None, now),
            None => tracing::info!(
                "remote stop of transaction {}: no such transaction",
                req.transaction_id
            ),
        }
        Ok(RemoteStopTransactionResponse { status })
    }
}
