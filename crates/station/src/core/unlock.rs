//! UnlockConnector (section 5.18; TC_017, TC_018, TC_030, TC_031).
//!
//! Only a connector with a cable retention lock can be unlocked ([`StationConfig::cable_lock`],
//! from [`hal::Charger::has_cable_lock`]). Without one (a fixed cable, like the reference
//! product: AQ-2), or for an unknown connector, the answer is NotSupported and nothing else
//! happens (the spec's UnlockStatus: "Charge Point has no connector lock, or ConnectorId is
//! unknown"), except when the fixed cable's connector reports a ConnectorLockFailure (its
//! lock into the EV failed): then UnlockFailed, "the unlock mechanism failed" (TC_030). With a lock, a transaction running there is stopped first (reason
//! UnlockCommand), then the hardware is told to unlock; the answer waits for the hardware's
//! [`Input::UnlockResult`]: Unlocked, or UnlockFailed.
//!
//! [`StationConfig::cable_lock`]: crate::StationConfig::cable_lock
//! [`Input::UnlockResult`]: crate::Input::UnlockResult

use super::transaction::TxParts;
use crate::context::Ctx;
use crate::Output;
use chrono::{DateTime, Utc};
use hal::HardwareCommand;
use ocpp::{
    ChargePointErrorCode, Reason, Refusal, UnlockConnectorRequest, UnlockConnectorResponse,
    UnlockStatus,
};

/// UnlockConnector: the requests waiting for the cable lock's answer.
#[derive(Debug, Default)]
pub(crate) struct Unlocks {
    /// (connector, unique id of the UnlockConnector.req).
    waiting: Vec<(u32, String)>,
}

impl Unlocks {
    /// None: the answer waits for the hardware ([`Unlocks::on_unlock_result`]).
    pub(crate) fn on_unlock_connector(
        &mut self,
        ctx: &mut Ctx,
        parts: &mut TxParts,
        unique_id: &str,
        req: UnlockConnectorRequest,
        now: DateTime<Utc>,
    ) -> Result<Option<UnlockConnectorResponse>, Refusal> {
        let known = u32::try_from(req.connector_id)
            .ok()
            .filter(|&id| ctx.connector_mut(id).is_some());
        let Some(connector) = known else {
            return Ok(Some(UnlockConnectorResponse {
                status: UnlockStatus::NotSupported,
            }));
        };
        if !ctx.cfg.cable_lock {
            // A fixed cable: no lock at the station to open. Its connector's lock into the EV
            // can still fail; then the unlock mechanism failed (UnlockFailed, TC_030).
            let stuck = ctx
                .connector_mut(connector)
                .is_some_and(|c| c.fault == Some(ChargePointErrorCode::ConnectorLockFailure));
            let status = if stuck {
                tracing::warn!("connector {connector}: the cable's connector lock has failed");
                UnlockStatus::UnlockFailed
            } else {
                UnlockStatus::NotSupported
            };
            return Ok(Some(UnlockConnectorResponse { status }));
        }
        if ctx.connector_mut(connector).is_some_and(|c| c.tx.is_some()) {
            parts.stop(ctx, connector, Reason::UnlockCommand, None, now);
        }
        self.waiting.push((connector, unique_id.to_string()));
        ctx.outputs
            .push_back(Output::Hardware(HardwareCommand::Unlock { connector }));
        Ok(None)
    }

    /// The hardware carried out an Unlock: answer every UnlockConnector.req waiting for it.
    pub(crate) fn on_unlock_result(&mut self, ctx: &mut Ctx, connector: u32, unlocked: bool) {
        let status = if unlocked {
            UnlockStatus::Unlocked
        } else {
            tracing::warn!("connector {connector}: the cable lock did not open");
            UnlockStatus::UnlockFailed
        };
        let (answered, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|(c, _)| *c == connector);
        self.waiting = waiting;
        for (_, unique_id) in answered {
            ctx.reply(&unique_id, &UnlockConnectorResponse { status });
        }
    }

    /// The link went down or the registration was Rejected: the answers have nowhere to go
    /// (the lock still opens).
    pub(crate) fn forget_waiting(&mut self) {
        self.waiting.clear();
    }
}
