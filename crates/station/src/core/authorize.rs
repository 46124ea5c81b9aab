//! Authorization of a card presented at a connector (sections 3.5, 4.1). The card is
//! presented after the driver selected the connector (the reference product enforces it,
//! AQ-5).
//!
//! To start a transaction:
//! - online (connected and registered): with LocalPreAuthorize true and the id tag known
//!   locally as Accepted, at once; otherwise after an Authorize.req answered Accepted.
//! - offline: an id tag known locally as Accepted starts when LocalAuthorizeOffline is true;
//!   an unknown one when AllowOfflineTxForUnknownId is true (as does a locally Accepted one
//!   with LocalAuthorizeOffline false: the station then treats every id tag as unknown); an
//!   id tag known locally as NOT valid (Blocked, Expired, Invalid, ConcurrentTx, or past its
//!   expiry date) never starts offline (section 3.5.4).
//! - online, when the Authorize.req gets no usable answer (the call timeout, a CALLERROR,
//!   an answer that fails its schema, or the link lost while it waits): as offline.
//!
//! To stop one: the card that started it (compared ignoring case) stops it at once; another
//! card stops it when its parentIdTag equals the transaction's, as known locally or else
//! from an Authorize.req (TC_069).
//!
//! A transaction whose idTag the StartTransaction.conf refuses is stopped (DeAuthorized)
//! when StopTransactionOnInvalidId is true; otherwise it gets at most MaxEnergyOnInvalidId
//! Wh, after which the station stops delivering energy (C-03).

use super::auth_cache::{effective_status, same_id, AuthCache, LocalAuth};
use super::transaction::TxParts;
use crate::connector::Authorization;
use crate::context::Ctx;
use crate::outbox::Context;
use crate::reservation::Admission;
use crate::station::NoAnswer;
use crate::station::{ci, BootStatus};
use chrono::{DateTime, Duration, Utc};
use ocpp::{AuthorizationStatus, AuthorizeRequest, AuthorizeResponse, ChargePointStatus, Reason};

/// Authorization of the cards presented and of remote starts (with AuthorizeRemoteTxRequests):
/// what is waiting (`authorizing`) and what was accepted (`authorization`) sit on the
/// connectors in `Ctx`; the start or stop it leads to goes through [`TxParts`].
pub(crate) struct Authorizer;

impl Authorizer {
    /// A card presented at a connector: it stops the transaction running there, or asks to
    /// start one.
    pub(crate) fn on_card(
        &self,
        ctx: &mut Ctx,
        parts: &mut TxParts,
        connector: u32,
        id_tag: String,
        now: DateTime<Utc>,
    ) {
        let Some(c) = ctx.connector_mut(connector) else {
            return;
        };
        let Some((local_id, owner)) = c.tx.as_ref().map(|tx| (tx.local_id, tx.id_tag.clone()))
        else {
            self.authorize_for_start(ctx, parts, connector, id_tag, now);
            return;
        };
        if same_id(&owner, &id_tag) {
            parts.stop(ctx, connector, Reason::Local, Some(id_tag), now);
        } else {
            self.authorize_for_stop(ctx, parts, connector, local_id, id_tag, now);
        }
    }

    /// Connected and registered: an Authorize.req can go out.
    fn can_authorize_online(ctx: &Ctx) -> bool {
        ctx.online && ctx.boot == BootStatus::Accepted
    }

    /// `id_tag` wants to start a transaction on `connector` (a card, or a remote start when
    /// AuthorizeRemoteTxRequests is true): authorize it, and start once the EV is there.
    pub(crate) fn authorize_for_start(
        &self,
        ctx: &mut Ctx,
        parts: &mut TxParts,
        connector: u32,
        id_tag: String,
        now: DateTime<Utc>,
    ) {
        let online = Self::can_authorize_online(ctx);
        let local = AuthCache::lookup(ctx, &id_tag, now);
        let pre_authorize = ctx.config.current().local_pre_authorize;
        // A reserved connector refuses other cards (section 5.13); when only the parentIdTag
        // can tell, the Authorize.conf decides (`accept_for_start`).
        let parent = local.as_ref().map(|l| l.parent_id_tag.as_deref());
        match parts.reservations.admits(ctx, connector, &id_tag, parent) {
            Admission::No => {
                tracing::info!("connector {connector} is reserved: card {id_tag} refused");
                return;
            }
            Admission::NeedParent if !online => {
                tracing::info!("offline: card {id_tag} cannot be checked against a reservation");
                return;
            }
            _ => {}
        }
        let Some(c) = ctx.connector_mut(connector) else {
            return;
        };
        if c.authorizing.is_some() {
            return;
        }
        let accepted = local
            .as_ref()
            .filter(|l| l.status == AuthorizationStatus::Accepted);
        if online {
            if let (true, Some(l)) = (pre_authorize, accepted) {
                tracing::info!("card {id_tag} accepted from the authorization cache");
                let parent = l.parent_id_tag.clone();
                self.accept_for_start(ctx, parts, connector, id_tag, parent, now);
                return;
            }
            c.authorizing = Some(id_tag.clone());
            let req = AuthorizeRequest {
                id_tag: ci(&id_tag),
            };
            ctx.queue_call(&req, Context::Authorize { connector, id_tag });
            return;
        }
        self.start_offline(ctx, parts, connector, id_tag, local, now);
    }

    /// The offline rules (section 3.5.4): with no answer from the Central System, what is
    /// known locally (`local`), LocalAuthorizeOffline and AllowOfflineTxForUnknownId decide.
    fn start_offline(
        &self,
        ctx: &mut Ctx,
        parts: &mut TxParts,
        connector: u32,
        id_tag: String,
        local: Option<LocalAuth>,
        now: DateTime<Utc>,
    ) {
        let local_offline = ctx.config.current().local_authorize_offline;
        let unknown_offline = ctx.config.current().allow_offline_tx_for_unknown_id;
        match local {
            Some(LocalAuth {
                status: AuthorizationStatus::Accepted,
                parent_id_tag,
            }) if local_offline || unknown_offline => {
                tracing::info!("offline: card {id_tag} accepted from the authorization cache");
                self.accept_for_start(ctx, parts, connector, id_tag, parent_id_tag, now);
            }
            Some(LocalAuth { status, .. }) if status != AuthorizationStatus::Accepted => {
                tracing::info!("offline: card {id_tag} refused: {}", status.as_str());
            }
            _ if unknown_offline => {
                tracing::info!(
                    "offline: unknown card {id_tag} accepted (AllowOfflineTxForUnknownId)"
                );
                self.accept_for_start(ctx, parts, connector, id_tag, None, now);
            }
            _ => tracing::info!("offline: card {id_tag} cannot be authorized"),
        }
    }

    /// `id_tag` may start on `connector`: wait ConnectionTimeOut for the EV, or start now.
    fn accept_for_start(
        &self,
        ctx: &mut Ctx,
        parts: &mut TxParts,
        connector: u32,
        id_tag: String,
        parent_id_tag: Option<String>,
        now: DateTime<Utc>,
    ) {
        if parts
            .reservations
            .admits(ctx, connector, &id_tag, Some(parent_id_tag.as_deref()))
            != Admission::Yes
        {
            tracing::info!("connector {connector} is reserved: card {id_tag} refused");
            return;
        }
        let expires = ctx.time.mono + Duration::seconds(ctx.config.current().connection_time_out);
        let Some(c) = ctx.connector_mut(connector) else {
            return;
        };
        c.authorization = Some(Authorization {
            id_tag,
            parent_id_tag,
            expires,
        });
        if c.plugged && c.tx.is_none() {
            parts.start(ctx, connector, now);
        }
    }

    /// The parentIdTag of a transaction, as the store knows it (from the authorization at
    /// its start, or from its StartTransaction.conf).
    fn tx_parent_id_tag(ctx: &Ctx, local_id: i64) -> Option<String> {
        match ctx.store.tx_get(local_id) {
            Ok(rec) => rec.and_then(|r| r.parent_id_tag),
            Err(e) => {
                tracing::error!("cannot read transaction {local_id}: {e}");
                None
            }
        }
    }

    /// A card other than the owner's at a connector with a transaction: it may stop it if
    /// both share a parentIdTag.
    fn authorize_for_stop(
        &self,
        ctx: &mut Ctx,
        parts: &mut TxParts,
        connector: u32,
        local_id: i64,
        id_tag: String,
        now: DateTime<Utc>,
    ) {
        let Some(parent) = Self::tx_parent_id_tag(ctx, local_id) else {
            tracing::info!(
                "card {id_tag} does not own the transaction on connector {connector}, \
                 which has no parentIdTag"
            );
            return;
        };
        if let Some(local) = AuthCache::lookup(ctx, &id_tag, now) {
            if stops(&local, &parent) {
                tracing::info!("card {id_tag} shares parentIdTag {parent}: stopping");
                parts.stop(ctx, connector, Reason::Local, Some(id_tag), now);
                return;
            }
        }
        if !Self::can_authorize_online(ctx) {
            tracing::info!("offline: card {id_tag} cannot be checked against parentIdTag {parent}");
            return;
        }
        let Some(c) = ctx.connector_mut(connector) else {
            return;
        };
        if c.authorizing.is_some() {
            return;
        }
        c.authorizing = Some(id_tag.clone());
        let req = AuthorizeRequest {
            id_tag: ci(&id_tag),
        };
        ctx.queue_call(&req, Context::Authorize { connector, id_tag });
    }

    pub(crate) fn on_authorize_response(
        &self,
        ctx: &mut Ctx,
        parts: &mut TxParts,
        context: Context,
        answer: Result<AuthorizeResponse, NoAnswer>,
        now: DateTime<Utc>,
    ) {
        let Context::Authorize { connector, id_tag } = context else {
            return;
        };
        let Some(c) = ctx.connector_mut(connector) else {
            return;
        };
        c.authorizing = None;
        let running = c.tx.as_ref().map(|tx| (tx.local_id, tx.id_tag.clone()));
        let info = match answer {
            Ok(conf) => conf.id_tag_info,
            // No answer (a timeout, the link lost), a CALLERROR or an unusable answer: as if
            // offline. A stop was already checked against what is known locally.
            Err(why) if running.is_none() => {
                tracing::info!("no answer to Authorize for card {id_tag} ({why:?}): offline rules");
                let local = AuthCache::lookup(ctx, &id_tag, now);
                self.start_offline(ctx, parts, connector, id_tag, local, now);
                return;
            }
            Err(why) => {
                tracing::info!("card {id_tag} may not stop: no answer to Authorize ({why:?})");
                return;
            }
        };
        AuthCache::update(ctx, &id_tag, &info, now);
        let local = LocalAuth {
            status: effective_status(&info, now),
            parent_id_tag: info.parent_id_tag.map(|p| p.as_str().to_string()),
        };
        match running {
            // Asked to stop another card's transaction.
            Some((local_id, owner)) if !same_id(&owner, &id_tag) => {
                match Self::tx_parent_id_tag(ctx, local_id) {
                    Some(parent) if stops(&local, &parent) => {
                        tracing::info!("card {id_tag} shares parentIdTag {parent}: stopping");
                        parts.stop(ctx, connector, Reason::Local, Some(id_tag), now);
                    }
                    _ => tracing::info!(
                        "card {id_tag} ({}) may not stop the transaction on connector {connector}",
                        local.status.as_str()
                    ),
                }
            }
            // Its own transaction started meanwhile: nothing to do.
            Some(_) => {}
            None if local.status == AuthorizationStatus::Accepted => {
                self.accept_for_start(ctx, parts, connector, id_tag, local.parent_id_tag, now);
            }
            None => tracing::info!("card {id_tag} refused: {}", local.status.as_str()),
        }
    }

    /// The link went down with Authorize.req unanswered (in flight or still queued, both
    /// gone with the link): the offline rules decide, as for a timeout.
    pub(crate) fn on_link_lost(&self, ctx: &mut Ctx, parts: &mut TxParts, now: DateTime<Utc>) {
        let waiting: Vec<(u32, String)> = ctx
            .connectors
            .iter()
            .filter_map(|c| c.authorizing.clone().map(|id_tag| (c.id, id_tag)))
            .collect();
        for (connector, id_tag) in waiting {
            let context = Context::Authorize { connector, id_tag };
            self.on_authorize_response(ctx, parts, context, Err(NoAnswer::Timeout), now);
        }
    }

    /// ConnectionTimeOut, both ways (section 4.9, 9.1.6): an authorization with no EV
    /// plugged in lapses (B1, back to Available); an EV plugged in with no authorization
    /// (Preparing) gives up waiting for one (B6, Finishing until the cable is removed). That
    /// wait starts when the connector is Preparing for the cable alone, and starts again
    /// after an authorization refused. ConnectionTimeOut 0 lets an EV wait indefinitely.
    pub(crate) fn authorization_timers(ctx: &mut Ctx) {
        let now = ctx.time.mono;
        let timeout = ctx.config.current().connection_time_out;
        let station_inoperative = ctx.connectors[0].inoperative;
        for c in ctx.connectors.iter_mut() {
            if c.authorization.as_ref().is_some_and(|a| a.expires <= now) {
                tracing::info!("connector {}: no EV within ConnectionTimeOut", c.id);
                c.authorization = None;
            }
            let waiting = c.id > 0
                && timeout > 0
                && c.plugged
                && c.authorization.is_none()
                && c.authorizing.is_none()
                && c.derived_status(station_inoperative).0 == ChargePointStatus::Preparing;
            c.plug_timeout = match c.plug_timeout {
                _ if !waiting => None,
                None => Some(now + Duration::seconds(timeout)),
                Some(at) if at <= now => {
                    tracing::info!(
                        "connector {}: no authorization within ConnectionTimeOut of the EV \
                         plugging in",
                        c.id
                    );
                    c.finishing = true;
                    None
                }
                Some(at) => Some(at),
            };
        }
    }
}

/// Whether a card known as `local` may stop a transaction whose parentIdTag is `parent`.
/// ConcurrentTx counts: the group's transaction is the very one running.
fn stops(local: &LocalAuth, parent: &str) -> bool {
    matches!(
        local.status,
        AuthorizationStatus::Accepted | AuthorizationStatus::ConcurrentTx
    ) && local
        .parent_id_tag
        .as_deref()
        .is_some_and(|p| same_id(p, parent))
}
