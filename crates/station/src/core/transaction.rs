//! Transactions (sections 4.8 and 4.10): started when a card is accepted and the EV is
//! plugged in, stopped by the same card, the stop button or the EV leaving. Every start
//! and stop is committed to the store, together with its message, before the station acts.

use super::auth_cache::AuthCache;
use super::metering;
use super::status::Availability;
use crate::connector::ActiveTx;
use crate::context::durable_message;
use crate::context::Ctx;
use crate::outbox::Item;
use crate::reservation::Reservations;
use crate::smart_charging::SmartCharging;
use crate::station::ci;
use crate::Output;
use chrono::{DateTime, Duration, Utc};
use hal::HardwareCommand;
use ocpp::{
    Action, AuthorizationStatus, ReadingContext, Reason, StartTransactionRequest,
    StartTransactionResponse, StopTransactionRequest, StopTransactionResponse,
};
use serde_json::Value;
use std::collections::BTreeSet;
use store::TransactionRecord;

/// Transactions: their starts and stops, committed with their messages, and what the
/// Central System's answers mean for them. The running transaction of each connector sits on
/// the connector in `Ctx` (its status depends on it); the feature keeps the rest.
#[derive(Debug, Default)]
pub(crate) struct Transactions {
    /// Transactions (local ids) whose idTag the StartTransaction.conf refused while
    /// StopTransactionOnInvalidId is false: they get at most MaxEnergyOnInvalidId.
    deauthorized: BTreeSet<i64>,
}

/// What a transaction's start or stop touches besides `Ctx`: handed to the features that
/// start and stop transactions (authorization, remote control, reset, unlock, hardware).
pub(crate) struct TxParts<'a> {
    pub transactions: &'a mut Transactions,
    pub reservations: &'a mut Reservations,
    pub smart: &'a mut SmartCharging,
}

impl TxParts<'_> {
    pub(crate) fn start(&mut self, ctx: &mut Ctx, connector: u32, now: DateTime<Utc>) {
        self.transactions
            .start(ctx, self.reservations, self.smart, connector, now);
    }

    pub(crate) fn stop(
        &mut self,
        ctx: &mut Ctx,
        connector: u32,
        reason: Reason,
        stop_id_tag: Option<String>,
        now: DateTime<Utc>,
    ) {
        self.transactions
            .stop(ctx, self.smart, connector, reason, stop_id_tag, now);
    }
}

impl Transactions {
    /// Start the transaction `connector`'s authorization allows; the reservation it uses
    /// ends, Smart Charging applies its profile.
    pub(crate) fn start(
        &mut self,
        ctx: &mut Ctx,
        reservations: &mut Reservations,
        smart: &mut SmartCharging,
        connector: u32,
        now: DateTime<Utc>,
    ) {
        let interval = ctx.config.current().meter_value_sample_interval;
        let Some(c) = ctx.connector_mut(connector) else {
            return;
        };
        let Some(auth) = c.authorization.take() else {
            return;
        };
        let reading = c.meter;
        let meter_start = reading.map(|r| r.energy_wh.round() as i64).unwrap_or(0);
        // The reservation this transaction uses ends with its start (section 5.13).
        let reservation_id =
            reservations.used_by(ctx, connector, &auth.id_tag, auth.parent_id_tag.as_deref());
        let req = StartTransactionRequest {
            connector_id: connector as i32,
            id_tag: ci(&auth.id_tag),
            meter_start: meter_start as i32,
            reservation_id,
            timestamp: now,
        };
        let rec = TransactionRecord {
            local_id: 0,
            connector,
            id_tag: auth.id_tag.clone(),
            parent_id_tag: auth.parent_id_tag.clone(),
            reservation_id,
            transaction_id: None,
            meter_start_wh: meter_start,
            started_at: now,
            meter_stop_wh: None,
            stopped_at: None,
            stop_reason: None,
            stop_id_tag: None,
            last_meter_wh: None,
            last_meter_at: None,
        };
        let Some(msg) = durable_message(&req, None) else {
            return;
        };
        let local_id = match ctx.store.tx_begin(&rec, &msg) {
            Ok(id) => id,
            Err(e) => {
                // Not durable means not started: charging without a record would lose the data.
                tracing::error!("cannot record the transaction start, not starting: {e}");
                return;
            }
        };
        ctx.outbox.push(Item::Durable);
        if let Some(id) = reservation_id {
            reservations.end(ctx, id, "its transaction started");
        }
        tracing::info!(
            "connector {connector}: transaction started for {}",
            auth.id_tag
        );
        let next_sample = (interval > 0).then(|| ctx.time.mono + Duration::seconds(interval));
        if let Some(c) = ctx.connector_mut(connector) {
            c.finishing = false;
            c.tx = Some(ActiveTx {
                local_id,
                id_tag: auth.id_tag,
                transaction_id: None,
                started_at: now,
                begin_reading: reading,
                next_sample,
                energy_capped: false,
                aligned: Vec::new(),
            });
        }
        ctx.outputs
            .push_back(Output::Hardware(HardwareCommand::Energize { connector }));
        smart.tx_started(ctx, connector, now);
    }

    pub(crate) fn stop(
        &mut self,
        ctx: &mut Ctx,
        smart: &mut SmartCharging,
        connector: u32,
        reason: Reason,
        stop_id_tag: Option<String>,
        now: DateTime<Utc>,
    ) {
        let measurands = ctx.config.current().stop_txn_sampled_data.clone();
        let max_values = ctx
            .config
            .current()
            .stop_transaction_max_meter_values
            .max(0) as usize;
        let Some(c) = ctx.connector_mut(connector) else {
            return;
        };
        let Some(tx) = c.tx.take() else {
            return;
        };
        c.finishing = c.plugged;
        let reading = c.meter;
        let meter_stop = reading
            .map(|r| r.energy_wh.round() as i64)
            .unwrap_or_default();
        let mut data = Vec::new();
        if let Some(begin) = tx.begin_reading {
            data.extend(metering::meter_value(
                &begin,
                &measurands,
                ReadingContext::TransactionBegin,
                tx.started_at,
            ));
        }
        // The clock-aligned readings of StopTxnAlignedData, between the two (section 3.16.2).
        data.extend(tx.aligned);
        if let Some(end) = reading {
            data.extend(metering::meter_value(
                &end,
                &measurands,
                ReadingContext::TransactionEnd,
                now,
            ));
        }
        let data = metering::stop_transaction_data(data, max_values);
        ctx.outputs
            .push_back(Output::Hardware(HardwareCommand::DeEnergize { connector }));
        Self::end(
            ctx,
            tx.local_id,
            tx.transaction_id,
            meter_stop,
            reason,
            stop_id_tag,
            data,
            now,
        );
        tracing::info!(
            "connector {connector}: transaction stopped ({})",
            reason.as_str()
        );
        smart.tx_ended(ctx, connector, now);
        Availability.apply_scheduled_availability(ctx);
    }

    /// Commit the stop and queue StopTransaction (transactionId patched in at send time).
    #[allow(clippy::too_many_arguments)]
    fn end(
        ctx: &mut Ctx,
        local_id: i64,
        transaction_id: Option<i32>,
        meter_stop: i64,
        reason: Reason,
        stop_id_tag: Option<String>,
        data: Vec<ocpp::MeterValue>,
        now: DateTime<Utc>,
    ) {
        let req = StopTransactionRequest {
            id_tag: stop_id_tag.as_deref().map(ci),
            meter_stop: meter_stop as i32,
            timestamp: now,
            transaction_id: transaction_id.unwrap_or(-1),
            reason: Some(reason),
            transaction_data: (!data.is_empty()).then_some(data),
        };
        let Some(msg) = durable_message(&req, Some(local_id)) else {
            return;
        };
        match ctx.store.tx_end(
            local_id,
            meter_stop,
            now,
            reason.as_str(),
            stop_id_tag.as_deref(),
            &msg,
        ) {
            Ok(()) => ctx.outbox.push(Item::Durable),
            Err(e) => tracing::error!("cannot record the transaction stop: {e}"),
        }
    }

    /// Transactions that were running when the power went: stopped with reason PowerLoss and
    /// reported once back online (the reference product's AQ-7.2 behaviour).
    /// Transactions that were running when the power went: stopped with reason PowerLoss,
    /// with the last persisted sample as meterStop and its time as the stop time, and
    /// reported once back online (the reference product's AQ-7.2 behaviour).
    pub(crate) fn recover_interrupted(ctx: &mut Ctx, interrupted: Vec<TransactionRecord>) {
        for rec in interrupted {
            let meter_stop = rec
                .last_meter_wh
                .unwrap_or(rec.meter_start_wh)
                .max(rec.meter_start_wh);
            let stopped_at = rec.last_meter_at.unwrap_or(rec.started_at);
            tracing::warn!(
                "transaction on connector {} was interrupted by a power loss: stopping it",
                rec.connector
            );
            Self::end(
                ctx,
                rec.local_id,
                rec.transaction_id,
                meter_stop,
                Reason::PowerLoss,
                None,
                Vec::new(),
                stopped_at,
            );
        }
    }

    /// The Central System answered the durable message at `seq`: it leaves the store's
    /// queue in the same write that records what the answer means for its transaction.
    /// False when the answer is unusable (a StartTransaction.conf that fails its schema): the
    /// message stays queued and counts as a failed attempt.
    pub(crate) fn on_message_delivered(
        &mut self,
        ctx: &mut Ctx,
        smart: &mut SmartCharging,
        action: Action,
        seq: u64,
        local_tx: Option<i64>,
        payload: Value,
    ) -> bool {
        let now = ctx.time.wall;
        match (action, local_tx) {
            (Action::StartTransaction, Some(local)) => {
                let conf = match ocpp::decode::<StartTransactionResponse>(&payload) {
                    Ok(conf) => conf,
                    Err(e) => {
                        tracing::warn!("invalid StartTransaction.conf: {}", e.description);
                        return false;
                    }
                };
                self.on_start_confirmed(ctx, smart, seq, local, conf, now);
            }
            (Action::StopTransaction, Some(local)) => {
                if let Ok(conf) = ocpp::decode::<StopTransactionResponse>(&payload) {
                    Self::on_stop_id_tag_info(ctx, local, conf.id_tag_info.as_ref(), now);
                }
                Self::forget(ctx, seq, local)
            }
            _ => {
                if let Err(e) = ctx.store.queue_remove(seq) {
                    tracing::error!("cannot remove delivered message: {e}");
                }
            }
        }
        true
    }

    fn on_start_confirmed(
        &mut self,
        ctx: &mut Ctx,
        smart: &mut SmartCharging,
        seq: u64,
        local: i64,
        conf: StartTransactionResponse,
        now: DateTime<Utc>,
    ) {
        let parent = conf.id_tag_info.parent_id_tag.as_ref().map(|p| p.as_str());
        if let Err(e) = ctx
            .store
            .tx_confirm_start(seq, local, conf.transaction_id, parent)
        {
            tracing::error!("cannot record transaction id: {e}");
            if let Err(e) = ctx.store.queue_remove(seq) {
                tracing::error!("cannot remove delivered message: {e}");
            }
        }
        if let Ok(Some(rec)) = ctx.store.tx_get(local) {
            AuthCache::update(ctx, &rec.id_tag, &conf.id_tag_info, now);
        }
        let mut deauthorized = None;
        let mut started_on = None;
        for c in ctx.connectors.iter_mut() {
            if let Some(tx) = c.tx.as_mut().filter(|t| t.local_id == local) {
                tx.transaction_id = Some(conf.transaction_id);
                started_on = Some(c.id);
                if conf.id_tag_info.status != AuthorizationStatus::Accepted {
                    deauthorized = Some(c.id);
                }
            }
        }
        if let Some(connector) = started_on {
            smart.tx_id_known(ctx, connector, conf.transaction_id);
        }
        if let Some(connector) = deauthorized {
            if ctx.config.current().stop_transaction_on_invalid_id {
                self.stop(ctx, smart, connector, Reason::DeAuthorized, None, now);
            } else {
                // Only energy delivery stops, after MaxEnergyOnInvalidId (C-03).
                self.deauthorized.insert(local);
                self.invalid_id_energy_cap(ctx);
            }
        }
    }

    /// StopTransaction.conf's idTagInfo is about the id tag that stopped the transaction
    /// (the one that started it when the stop had none): into the authorization cache.
    fn on_stop_id_tag_info(
        ctx: &mut Ctx,
        local: i64,
        info: Option<&ocpp::IdTagInfo>,
        now: DateTime<Utc>,
    ) {
        let Some(info) = info else { return };
        let Ok(Some(rec)) = ctx.store.tx_get(local) else {
            return;
        };
        let id_tag = rec.stop_id_tag.unwrap_or(rec.id_tag);
        AuthCache::update(ctx, &id_tag, info, now);
    }

    /// A durable message failed TransactionMessageAttempts times: it goes, and with a
    /// StopTransaction its transaction.
    pub(crate) fn on_message_dropped(
        ctx: &mut Ctx,
        action: Action,
        seq: u64,
        local_tx: Option<i64>,
    ) {
        match (action, local_tx) {
            (Action::StopTransaction, Some(local)) => Self::forget(ctx, seq, local),
            _ => {
                if let Err(e) = ctx.store.queue_remove(seq) {
                    tracing::error!("cannot drop the message: {e}");
                }
            }
        }
    }

    fn forget(ctx: &mut Ctx, seq: u64, local: i64) {
        if let Err(e) = ctx.store.tx_confirm_stop(seq, local) {
            tracing::error!("cannot forget delivered transaction: {e}");
            // The message must go all the same, or it would be sent again forever.
            if let Err(e) = ctx.store.queue_remove(seq) {
                tracing::error!("cannot remove delivered message: {e}");
            }
        }
    }

    /// MaxEnergyOnInvalidId (C-03): a transaction whose idTag was refused after its start
    /// (StopTransactionOnInvalidId false) stops taking energy once it has had that much.
    pub(crate) fn invalid_id_energy_cap(&mut self, ctx: &mut Ctx) {
        if self.deauthorized.is_empty() {
            return;
        }
        let connectors = &ctx.connectors;
        self.deauthorized.retain(|local| {
            connectors
                .iter()
                .any(|c| c.tx.as_ref().is_some_and(|t| t.local_id == *local))
        });
        let cap = ctx.config.current().max_energy_on_invalid_id.max(0) as f64;
        for c in ctx.connectors.iter_mut() {
            let Some(tx) = c.tx.as_mut() else { continue };
            if tx.energy_capped || !self.deauthorized.contains(&tx.local_id) {
                continue;
            }
            // meterStart, as the StartTransaction.req reported it.
            let start = tx.begin_reading.map(|r| r.energy_wh.round()).unwrap_or(0.0);
            let delivered = c.meter.map(|r| r.energy_wh - start).unwrap_or(0.0);
            if delivered >= cap {
                tracing::info!(
                    "connector {}: {delivered:.0} Wh delivered on an invalid idTag \
                     (MaxEnergyOnInvalidId {cap}): energy delivery stopped",
                    c.id
                );
                tx.energy_capped = true;
                ctx.outputs
                    .push_back(Output::Hardware(HardwareCommand::DeEnergize {
                        connector: c.id,
                    }));
            }
        }
    }
}
