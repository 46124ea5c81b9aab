//! ChangeAvailability (section 5.2): a connector, or with connector 0 the whole station,
//! becomes Inoperative or Operative. A running transaction is not interrupted: the change is
//! Scheduled and applies when it ends. The setting survives a reboot.

use super::status::Availability;
use crate::context::Ctx;
use chrono::{DateTime, Utc};
use ocpp::{
    AvailabilityStatus, AvailabilityType, ChangeAvailabilityRequest, ChangeAvailabilityResponse,
    Refusal,
};

const KEY_PREFIX: &str = "availability.";

impl Availability {
    pub(crate) fn on_change_availability(
        &mut self,
        ctx: &mut Ctx,
        req: ChangeAvailabilityRequest,
        _now: DateTime<Utc>,
    ) -> Result<ChangeAvailabilityResponse, Refusal> {
        let status = self.change_availability(ctx, req.connector_id, req.r#type);
        Ok(ChangeAvailabilityResponse { status })
    }

    fn change_availability(
        &mut self,
        ctx: &mut Ctx,
        connector: i32,
        kind: AvailabilityType,
    ) -> AvailabilityStatus {
        let Some(index) = usize::try_from(connector)
            .ok()
            .filter(|i| *i < ctx.connectors.len())
        else {
            return AvailabilityStatus::Rejected;
        };
        let inoperative = kind == AvailabilityType::Inoperative;
        // Connector 0 covers every connector's transaction.
        let busy = if index == 0 {
            ctx.connectors.iter().any(|c| c.tx.is_some())
        } else {
            ctx.connectors[index].tx.is_some()
        };
        let c = &mut ctx.connectors[index];
        if inoperative && busy {
            c.inoperative_scheduled = true;
            self.persist_availability(ctx, index, true);
            return AvailabilityStatus::Scheduled;
        }
        c.inoperative = inoperative;
        c.inoperative_scheduled = false;
        if inoperative {
            // A pending authorization does not survive being taken out of service.
            c.authorization = None;
        }
        self.persist_availability(ctx, index, inoperative);
        AvailabilityStatus::Accepted
    }

    /// A transaction ended: a scheduled Inoperative takes effect where nothing runs any more.
    pub(crate) fn apply_scheduled_availability(&mut self, ctx: &mut Ctx) {
        let any_tx = ctx.connectors.iter().any(|c| c.tx.is_some());
        for (i, c) in ctx.connectors.iter_mut().enumerate() {
            let free = if i == 0 { !any_tx } else { c.tx.is_none() };
            if c.inoperative_scheduled && free {
                c.inoperative = true;
                c.inoperative_scheduled = false;
            }
        }
    }

    fn persist_availability(&mut self, ctx: &mut Ctx, index: usize, inoperative: bool) {
        let value = if inoperative {
            "Inoperative"
        } else {
            "Operative"
        };
        if let Err(e) = ctx.store.kv_set(&format!("{KEY_PREFIX}{index}"), value) {
            tracing::error!("cannot persist the availability of connector {index}: {e}");
        }
    }

    /// Availability as persisted before the last reboot.
    pub(crate) fn load_availability(&mut self, ctx: &mut Ctx) {
        for (i, c) in ctx.connectors.iter_mut().enumerate() {
            match ctx.store.kv_get(&format!("{KEY_PREFIX}{i}")) {
                Ok(Some(v)) => c.inoperative = v == "Inoperative",
                Ok(None) => {}
                Err(e) => tracing::error!("cannot read the availability of connector {i}: {e}"),
            }
        }
    }
}
