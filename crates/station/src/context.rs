//! The station's shared services, which every feature reaches through `&mut Ctx` (the way
//! quinn-proto's `Connection` hands its parts what they need): the facts of the station,
//! its configuration, the store, the outgoing queue, the connectors, the outputs for the
//! drivers, the link and registration state, and the time of the current input. Features
//! own everything else and ask each other through methods.

use crate::config::Config;
use crate::connector::Connector;
use crate::core::reset::PendingReset;
use crate::io::Output;
use crate::outbox::{Context, Item, Outbox};
use crate::station::{BootStatus, StationConfig};
use crate::time::Now;
use ocpp::Frame;
use std::collections::VecDeque;
use store::Store;

pub(crate) struct Ctx {
    pub(crate) cfg: StationConfig,
    pub(crate) config: Config,
    pub(crate) store: Box<dyn Store>,
    pub(crate) online: bool,
    pub(crate) boot: BootStatus,
    pub(crate) outbox: Outbox,
    /// Index 0 is connector 0, the station as a whole.
    pub(crate) connectors: Vec<Connector>,
    pub(crate) outputs: VecDeque<Output>,
    /// When the current input happened (see `time`).
    pub(crate) time: Now,
    /// A restart on its way: a Reset accepted, or a firmware installation done, and not yet
    /// carried out. Features refuse new work meanwhile.
    pub(crate) reset: Option<PendingReset>,
    next_message_id: u64,
}

impl Ctx {
    pub(crate) fn new(
        cfg: StationConfig,
        config: Config,
        store: Box<dyn Store>,
        outbox: Outbox,
        time: Now,
    ) -> Ctx {
        Ctx {
            connectors: (0..=cfg.connectors).map(Connector::new).collect(),
            next_message_id: cfg.message_id_seed,
            cfg,
            config,
            store,
            online: false,
            boot: BootStatus::NotRegistered,
            outbox,
            outputs: VecDeque::new(),
            time,
            reset: None,
        }
    }

    pub(crate) fn connector_mut(&mut self, id: u32) -> Option<&mut Connector> {
        if id == 0 {
            return None;
        }
        self.connectors.get_mut(id as usize)
    }

    pub(crate) fn send_frame(&mut self, frame: Frame) {
        self.outputs.push_back(Output::Send(frame.to_text()));
    }

    pub(crate) fn new_message_id(&mut self) -> String {
        let id = self.next_message_id;
        self.next_message_id = self.next_message_id.wrapping_add(1);
        id.to_string()
    }

    /// Queue a request that need not survive power loss.
    pub(crate) fn queue_call<R: ocpp::Request>(&mut self, req: &R, context: Context) {
        if let Some(payload) = encode(req) {
            self.outbox.push(Item::Volatile {
                action: R::ACTION,
                payload,
                context,
            });
        }
    }

    /// Queue a transaction message: it is in the store before this returns.
    pub(crate) fn queue_durable<R: ocpp::Request>(&mut self, req: &R, local_tx: Option<i64>) {
        let msg = match durable_message(req, local_tx) {
            Some(m) => m,
            None => return,
        };
        match self.store.queue_push(&msg) {
            Ok(_) => self.outbox.push(Item::Durable),
            Err(e) => tracing::error!("cannot queue {}: {e}", R::ACTION.as_str()),
        }
    }

    pub(crate) fn transaction_id_of(&self, local: i64) -> Option<i32> {
        match self.store.tx_get(local) {
            Ok(Some(rec)) => rec.transaction_id,
            _ => None,
        }
    }

    /// Queue a request the Central System asked for; it may go out while Pending.
    pub(crate) fn queue_triggered<R: ocpp::Request>(&mut self, req: &R, context: Context) {
        if let Some(payload) = encode(req) {
            self.outbox.push(Item::Triggered {
                action: R::ACTION,
                payload,
                context,
            });
        }
    }

    /// Answer a CALL of the Central System outside its dispatch (an UnlockConnector.req
    /// answered when the lock has opened).
    pub(crate) fn reply<T: serde::Serialize>(&mut self, unique_id: &str, response: &T) {
        let result = ocpp::CallResult::new(unique_id, response);
        self.send_frame(Frame::CallResult(result));
    }
}

/// A request's payload; None (logged) if it cannot be encoded.
fn encode<R: ocpp::Request>(req: &R) -> Option<serde_json::Value> {
    serde_json::to_value(req)
        .map_err(|e| tracing::error!("cannot encode {}: {e}", R::ACTION.as_str()))
        .ok()
}

/// The durable form of a request.
pub(crate) fn durable_message<R: ocpp::Request>(
    req: &R,
    local_tx: Option<i64>,
) -> Option<store::QueuedMessage> {
    Some(store::QueuedMessage {
        action: R::ACTION.as_str().to_string(),
        payload: encode(req)?,
        local_tx,
        attempts: 0,
    })
}
