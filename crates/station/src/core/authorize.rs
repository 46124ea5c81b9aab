//! Authorization of a card presented at a connector (section 4.1). The card is presented
//! after the driver selected the connector (the reference product enforces it, AQ-5).

use crate::connector::Authorization;
use crate::outbox::Context;
use crate::station::{ci, BootStatus, Station};
use chrono::{DateTime, Duration, Utc};
use ocpp::{AuthorizationStatus, AuthorizeRequest, AuthorizeResponse, Reason};
use serde_json::Value;

impl Station {
    /// A card presented at a connector: it stops the transaction it owns, or asks to start one.
    pub(crate) fn on_card(&mut self, connector: u32, id_tag: String, now: DateTime<Utc>) {
        let Some(c) = self.connector_mut(connector) else {
            return;
        };
        if let Some(owner) = c.tx.as_ref().map(|tx| tx.id_tag.clone()) {
            if owner.eq_ignore_ascii_case(&id_tag) {
                self.stop_transaction(connector, Reason::Local, Some(id_tag), now);
            } else {
                tracing::info!(
                    "card {id_tag} does not own the transaction on connector {connector}"
                );
            }
            return;
        }
        self.authorize_for_start(connector, id_tag, now);
    }

    /// `id_tag` wants to start a transaction on `connector` (a card, or a remote start when
    /// AuthorizeRemoteTxRequests is true): authorize it, and start once the EV is there.
    pub(crate) fn authorize_for_start(
        &mut self,
        connector: u32,
        id_tag: String,
        _now: DateTime<Utc>,
    ) {
        let online = self.online && self.boot == BootStatus::Accepted;
        let Some(c) = self.connector_mut(connector) else {
            return;
        };
        if c.authorizing.is_some() {
            return;
        }
        if !online {
            // With an empty cache and AllowOfflineTxForUnknownId false, an offline card is unknown.
            tracing::info!("offline: card {id_tag} cannot be authorized");
            return;
        }
        c.authorizing = Some(id_tag.clone());
        let req = AuthorizeRequest {
            id_tag: ci(&id_tag),
        };
        self.queue_call(&req, Context::Authorize { connector, id_tag });
    }

    pub(crate) fn on_authorize_response(
        &mut self,
        context: Context,
        payload: Result<Value, ()>,
        now: DateTime<Utc>,
    ) {
        let Context::Authorize { connector, id_tag } = context else {
            return;
        };
        let timeout = Duration::seconds(self.config.int("ConnectionTimeOut"));
        let conf = payload
            .ok()
            .and_then(|p| ocpp::decode::<AuthorizeResponse>(&p).ok());
        let Some(c) = self.connector_mut(connector) else {
            return;
        };
        c.authorizing = None;
        match conf {
            Some(conf) if conf.id_tag_info.status == AuthorizationStatus::Accepted => {
                c.authorization = Some(Authorization {
                    id_tag,
                    parent_id_tag: conf
                        .id_tag_info
                        .parent_id_tag
                        .map(|p| p.as_str().to_string()),
                    expires: now + timeout,
                });
                if c.plugged && c.tx.is_none() {
                    self.start_transaction(connector, now);
                }
            }
            Some(conf) => tracing::info!(
                "card {id_tag} refused: {}",
                conf.id_tag_info.status.as_str()
            ),
            None => tracing::info!("card {id_tag} not authorized: no valid answer"),
        }
    }

    /// ConnectionTimeOut: an authorization with no EV plugged in lapses.
    pub(crate) fn authorization_timers(&mut self, now: DateTime<Utc>) {
        for c in self.connectors.iter_mut() {
            if c.authorization.as_ref().is_some_and(|a| a.expires <= now) {
                tracing::info!("connector {}: no EV within ConnectionTimeOut", c.id);
                c.authorization = None;
            }
        }
    }
}
