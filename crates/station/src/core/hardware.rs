//! What the hardware reports: cable, card reader, stop button, EV and faults.
//!
//! The EV leaving during a transaction (the cable unplugged at the EV side) stops it when
//! StopTransactionOnEVSideDisconnect is true, and then, with a cable lock
//! ([`crate::StationConfig::cable_lock`]) and UnlockConnectorOnEVSideDisconnect true, the
//! station unlocks the cable at its side (`HardwareCommand::Unlock`). With
//! StopTransactionOnEVSideDisconnect false the transaction goes on and the cable stays
//! locked (section 4.10). A fixed cable (the reference product) has no lock: the key is
//! then only reported.

use super::authorize::Authorizer;
use super::transaction::TxParts;
use crate::context::Ctx;
use crate::Output;
use chrono::{DateTime, Utc};
use hal::{HardwareCommand, HardwareEvent};
use ocpp::{ChargePointErrorCode, Reason};
use std::str::FromStr;

/// What the hardware reports, turned into the station's state: a cable, a card, the stop
/// button, the EV pausing, faults.
pub(crate) struct HardwareEvents;

impl HardwareEvents {
    pub(crate) fn on_event(
        &self,
        ctx: &mut Ctx,
        parts: &mut TxParts,
        event: HardwareEvent,
        now: DateTime<Utc>,
    ) {
        tracing::debug!("hardware: {event:?}");
        match event {
            HardwareEvent::CablePlugged { connector } => {
                let Some(c) = ctx.connector_mut(connector) else {
                    return unknown(connector);
                };
                c.plugged = true;
                c.finishing = false;
                if let Some(tx) = &c.tx {
                    // The EV is back on a transaction kept through an EV-side disconnect
                    // (StopTransactionOnEVSideDisconnect false, C-06.1): it may charge again,
                    // unless the transaction had all MaxEnergyOnInvalidId allows.
                    if !tx.energy_capped {
                        ctx.outputs
                            .push_back(Output::Hardware(HardwareCommand::Energize { connector }));
                    }
                } else if c.authorization.is_some() {
                    // A faulted connector is not available for energy delivery (section
                    // 4.9): no transaction starts, e.g. when the cable lock failed as the
                    // cable went in (TC_024).
                    let faulted = c
                        .fault
                        .is_some_and(|f| f != ChargePointErrorCode::EVCommunicationError);
                    if faulted {
                        tracing::info!("connector {connector} is faulted: no transaction starts");
                    } else {
                        parts.start(ctx, connector, now);
                    }
                }
            }
            HardwareEvent::CableUnplugged { connector } => {
                let Some(c) = ctx.connector_mut(connector) else {
                    return unknown(connector);
                };
                c.plugged = false;
                c.finishing = false;
                c.ev_suspended = false;
                let running = c.tx.is_some();
                let config = ctx.config.current();
                // With StopTransactionOnEVSideDisconnect false the transaction goes on and
                // the cable stays locked, whatever UnlockConnectorOnEVSideDisconnect says
                // (section 4.10).
                let unlock = config.unlock_connector_on_ev_side_disconnect && ctx.cfg.cable_lock;
                if running && config.stop_transaction_on_ev_side_disconnect {
                    parts.stop(ctx, connector, Reason::EVDisconnected, None, now);
                    if let Some(c) = ctx.connector_mut(connector) {
                        c.finishing = false;
                    }
                    if unlock {
                        ctx.outputs
                            .push_back(Output::Hardware(HardwareCommand::Unlock { connector }));
                    }
                }
            }
            HardwareEvent::CardPresented { connector, id_tag } => {
                let Some(c) = ctx.connector_mut(connector) else {
                    return unknown(connector);
                };
                if c.tx.is_none() && c.is_unavailable() {
                    tracing::info!(
                        "connector {connector} is {}: card ignored",
                        c.status.as_str()
                    );
                    return;
                }
                Authorizer.on_card(ctx, parts, connector, id_tag, now);
            }
            HardwareEvent::StopButton { connector } => {
                let Some(c) = ctx.connector_mut(connector) else {
                    return unknown(connector);
                };
                if c.tx.is_some() {
                    parts.stop(ctx, connector, Reason::Local, None, now);
                } else {
                    // Nothing runs: the button cancels a pending authorization.
                    c.authorization = None;
                }
            }
            HardwareEvent::EvSuspended {
                connector,
                suspended,
            } => {
                let Some(c) = ctx.connector_mut(connector) else {
                    return unknown(connector);
                };
                c.ev_suspended = suspended;
            }
            HardwareEvent::Fault {
                connector,
                error_code,
                active,
            } => {
                let code = match ChargePointErrorCode::from_str(&error_code) {
                    Ok(code) => code,
                    Err(_) => {
                        tracing::warn!("hardware reported unknown error code {error_code}");
                        ChargePointErrorCode::OtherError
                    }
                };
                let Some(c) = ctx.connector_mut(connector) else {
                    return unknown(connector);
                };
                c.fault = match (active, code) {
                    (true, ChargePointErrorCode::NoError) | (false, _) => None,
                    (true, code) => Some(code),
                };
                // A fault ends an authorization waiting for its EV: the driver starts over
                // once the connector works again (e.g. the cable lock failed, TC_024).
                let faulted = c
                    .fault
                    .is_some_and(|f| f != ChargePointErrorCode::EVCommunicationError);
                if faulted && c.tx.is_none() && c.authorization.take().is_some() {
                    tracing::info!("connector {connector} is faulted: authorization dropped");
                }
            }
        }
    }
}

fn unknown(connector: u32) {
    tracing::warn!("hardware event for unknown connector {connector}");
}
