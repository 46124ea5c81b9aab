//! Transactions (sections 4.8 and 4.10): started when a card is accepted and the EV is
//! plugged in, stopped by the same card, the stop button or the EV leaving. Every start
//! and stop is committed to the store, together with its message, before the station acts.

use super::auth_cache::AuthCache;
use super::metering;
use crate::connector::ActiveTx;
use crate::outbox::Item;
use crate::station::{ci, durable_message, Station};
use crate::Output;
use chrono::{DateTime, Duration, Utc};
use hal::HardwareCommand;
use ocpp::{
    Action, AuthorizationStatus, ReadingContext, Reason, StartTransactionRequest,
    StartTransactionResponse, StopTransactionRequest, StopTransactionResponse,
};
use serde_json::Value;
use store::TransactionRecord;

impl Station {
    pub(crate) fn start_transaction(&mut self, connector: u32, now: DateTime<Utc>) {
        let interval = self.ctx.config.current().meter_value_sample_interval;
        let Some(c) = self.ctx.connector_mut(connector) else {
            return;
        };
        let Some(auth) = c.authorization.take() else {
            return;
        };
        let reading = c.meter;
        let meter_start = reading.map(|r| r.energy_wh.round() as i64).unwrap_or(0);
        // The reservation this transaction uses ends with its start (section 5.13).
        let reservation_id = self.reservations.used_by(
            &self.ctx,
            connector,
            &auth.id_tag,
            auth.parent_id_tag.as_deref(),
        );
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
        let local_id = match self.ctx.store.tx_begin(&rec, &msg) {
            Ok(id) => id,
            Err(e) => {
                // Not durable means not started: charging without a record would lose the data.
                tracing::error!("cannot record the transaction start, not starting: {e}");
                return;
            }
        };
        self.ctx.outbox.push(Item::Durable);
        if let Some(id) = reservation_id {
            self.reservations
                .end(&mut self.ctx, id, "its transaction started");
        }
        tracing::info!(
            "connector {connector}: transaction started for {}",
            auth.id_tag
        );
        let next_sample = (interval > 0).then(|| self.ctx.time.mono + Duration::seconds(interval));
        if let Some(c) = self.ctx.connector_mut(connector) {
            c.finishing = false;
            c.tx = Some(ActiveTx {
                local_id,
                id_tag: auth.id_tag,
                transaction_id: None,
                started_at: now,
                begin_reading: reading,
                next_sample,
                energy_capped: false,
            });
        }
        self.ctx
            .outputs
            .push_back(Output::Hardware(HardwareCommand::Energize { connector }));
        self.smart.tx_started(&mut self.ctx, connector, now);
    }

    pub(crate) fn stop_transaction(
        &mut self,
        connector: u32,
        reason: Reason,
        stop_id_tag: Option<String>,
        now: DateTime<Utc>,
    ) {
        let measurands = self.ctx.config.current().stop_txn_sampled_data.clone();
        let max_values = self
            .ctx
            .config
            .current()
            .stop_transaction_max_meter_values
            .max(0) as usize;
        let Some(c) = self.ctx.connector_mut(connector) else {
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
        if let Some(end) = reading {
            data.extend(metering::meter_value(
                &end,
                &measurands,
                ReadingContext::TransactionEnd,
                now,
            ));
        }
        data.truncate(max_values);
        self.ctx
            .outputs
            .push_back(Output::Hardware(HardwareCommand::DeEnergize { connector }));
        self.end_transaction(
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
        self.smart.tx_ended(&mut self.ctx, connector, now);
        self.availability
            .apply_scheduled_availability(&mut self.ctx);
    }

    /// Commit the stop and queue StopTransaction (transactionId patched in at send time).
    #[allow(clippy::too_many_arguments)]
    fn end_transaction(
        &mut self,
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
        match self.ctx.store.tx_end(
            local_id,
            meter_stop,
            now,
            reason.as_str(),
            stop_id_tag.as_deref(),
            &msg,
        ) {
            Ok(()) => self.ctx.outbox.push(Item::Durable),
            Err(e) => tracing::error!("cannot record the transaction stop: {e}"),
        }
    }

    /// Transactions that were running when the power went: stopped with reason PowerLoss and
    /// reported once back online (the reference product's AQ-7.2 behaviour).
    /// Transactions that were running when the power went: stopped with reason PowerLoss,
    /// with the last persisted sample as meterStop and its time as the stop time, and
    /// reported once back online (the reference product's AQ-7.2 behaviour).
    pub(crate) fn recover_interrupted(&mut self) {
        for rec in std::mem::take(&mut self.interrupted) {
            let meter_stop = rec
                .last_meter_wh
                .unwrap_or(rec.meter_start_wh)
                .max(rec.meter_start_wh);
            let stopped_at = rec.last_meter_at.unwrap_or(rec.started_at);
            tracing::warn!(
                "transaction on connector {} was interrupted by a power loss: stopping it",
                rec.connector
            );
            self.end_transaction(
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
    pub(crate) fn on_transaction_message_delivered(
        &mut self,
        action: Action,
        seq: u64,
        local_tx: Option<i64>,
        payload: Value,
        now: DateTime<Utc>,
    ) -> bool {
        match (action, local_tx) {
            (Action::StartTransaction, Some(local)) => {
                let conf = match ocpp::decode::<StartTransactionResponse>(&payload) {
                    Ok(conf) => conf,
                    Err(e) => {
                        tracing::warn!("invalid StartTransaction.conf: {}", e.description);
                        return false;
                    }
                };
                self.on_start_confirmed(seq, local, conf, now);
            }
            (Action::StopTransaction, Some(local)) => {
                if let Ok(conf) = ocpp::decode::<StopTransactionResponse>(&payload) {
                    self.on_stop_id_tag_info(local, conf.id_tag_info.as_ref(), now);
                }
                self.forget_transaction(seq, local)
            }
            _ => {
                if let Err(e) = self.ctx.store.queue_remove(seq) {
                    tracing::error!("cannot remove delivered message: {e}");
                }
            }
        }
        true
    }

    fn on_start_confirmed(
        &mut self,
        seq: u64,
        local: i64,
        conf: StartTransactionResponse,
        now: DateTime<Utc>,
    ) {
        let parent = conf.id_tag_info.parent_id_tag.as_ref().map(|p| p.as_str());
        if let Err(e) = self
            .ctx
            .store
            .tx_confirm_start(seq, local, conf.transaction_id, parent)
        {
            tracing::error!("cannot record transaction id: {e}");
            if let Err(e) = self.ctx.store.queue_remove(seq) {
                tracing::error!("cannot remove delivered message: {e}");
            }
        }
        if let Ok(Some(rec)) = self.ctx.store.tx_get(local) {
            AuthCache::update(&mut self.ctx, &rec.id_tag, &conf.id_tag_info, now);
        }
        let mut deauthorized = None;
        let mut started_on = None;
        for c in self.ctx.connectors.iter_mut() {
            if let Some(tx) = c.tx.as_mut().filter(|t| t.local_id == local) {
                tx.transaction_id = Some(conf.transaction_id);
                started_on = Some(c.id);
                if conf.id_tag_info.status != AuthorizationStatus::Accepted {
                    deauthorized = Some(c.id);
                }
            }
        }
        if let Some(connector) = started_on {
            self.smart
                .tx_id_known(&mut self.ctx, connector, conf.transaction_id);
        }
        if let Some(connector) = deauthorized {
            if self.ctx.config.current().stop_transaction_on_invalid_id {
                self.stop_transaction(connector, Reason::DeAuthorized, None, now);
            } else {
                // Only energy delivery stops, after MaxEnergyOnInvalidId (C-03).
                self.deauthorized.insert(local);
                self.invalid_id_energy_cap();
            }
        }
    }

    /// StopTransaction.conf's idTagInfo is about the id tag that stopped the transaction
    /// (the one that started it when the stop had none): into the authorization cache.
    fn on_stop_id_tag_info(
        &mut self,
        local: i64,
        info: Option<&ocpp::IdTagInfo>,
        now: DateTime<Utc>,
    ) {
        let Some(info) = info else { return };
        let Ok(Some(rec)) = self.ctx.store.tx_get(local) else {
            return;
        };
        let id_tag = rec.stop_id_tag.unwrap_or(rec.id_tag);
        AuthCache::update(&mut self.ctx, &id_tag, info, now);
    }

    /// A durable message failed TransactionMessageAttempts times: it goes, and with a
    /// StopTransaction its transaction.
    pub(crate) fn on_transaction_message_dropped(
        &mut self,
        action: Action,
        seq: u64,
        local_tx: Option<i64>,
    ) {
        match (action, local_tx) {
            (Action::StopTransaction, Some(local)) => self.forget_transaction(seq, local),
            _ => {
                if let Err(e) = self.ctx.store.queue_remove(seq) {
                    tracing::error!("cannot drop the message: {e}");
                }
            }
        }
    }

    fn forget_transaction(&mut self, seq: u64, local: i64) {
        if let Err(e) = self.ctx.store.tx_confirm_stop(seq, local) {
            tracing::error!("cannot forget delivered transaction: {e}");
            // The message must go all the same, or it would be sent again forever.
            if let Err(e) = self.ctx.store.queue_remove(seq) {
                tracing::error!("cannot remove delivered message: {e}");
            }
        }
    }
}
