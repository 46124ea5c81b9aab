//! What a person does at the simulated charger, driven by the control API and by tests: plug an
//! EV, present a card, press stop, make the EV pause, raise a fault.
//!
//! Each action validates its input and queues the resulting event for the next `poll`.

use chrono::{DateTime, Utc};

use crate::error_code::{is_fault_error_code, CHARGE_POINT_ERROR_CODES};
use crate::types::{ConnectorId, ConnectorSnapshot, HalError, HardwareEvent};

use super::config::EvConfig;
use super::ev::Ev;
use super::SimCharger;

/// OCPP 1.6 IdToken is CiString20Type: a reader cannot hand on anything longer.
const MAX_ID_TAG_LEN: usize = 20;

impl SimCharger {
    /// Plug in a new EV built from the configured `[simulator.ev]`.
    pub fn plug(&mut self, connector: ConnectorId, now: DateTime<Utc>) -> Result<(), HalError> {
        let ev = self.config().ev.clone();
        self.plug_ev(connector, ev, now)
    }

    /// Plug in a custom EV.
    pub fn plug_ev(
        &mut self,
        connector: ConnectorId,
        ev: EvConfig,
        now: DateTime<Utc>,
    ) -> Result<(), HalError> {
        if self.connector(connector)?.plugged {
            return Err(HalError::Refused(format!(
                "connector {connector} already has an EV plugged in"
            )));
        }
        ev.validate()?;
        self.advance(now);
        let c = self.connector_mut(connector)?;
        c.plugged = true;
        c.ev = Some(Ev::new(ev));
        self.push(HardwareEvent::CablePlugged { connector });
        self.refresh();
        Ok(())
    }

    /// Unplug the EV. The loss of the control pilot opens the contactor, as on a real DC
    /// charger, so the cable is dead until the station energizes it again.
    pub fn unplug(&mut self, connector: ConnectorId, now: DateTime<Utc>) -> Result<(), HalError> {
        if !self.connector(connector)?.plugged {
            return Err(HalError::Refused(format!(
                "no EV is plugged in at connector {connector}"
            )));
        }
        self.advance(now);
        let c = self.connector_mut(connector)?;
        c.plugged = false;
        c.energized = false;
        c.ev = None;
        self.push(HardwareEvent::CableUnplugged { connector });
        self.refresh();
        Ok(())
    }

    /// A card presented at the reader after the driver selected `connector`.
    pub fn present_card(&mut self, connector: ConnectorId, id_tag: &str) -> Result<(), HalError> {
        self.connector(connector)?;
        if id_tag.is_empty() || id_tag.chars().count() > MAX_ID_TAG_LEN {
            return Err(HalError::Refused(format!(
                "an id tag has 1 to {MAX_ID_TAG_LEN} characters, got {id_tag:?}"
            )));
        }
        self.push(HardwareEvent::CardPresented {
            connector,
            id_tag: id_tag.to_string(),
        });
        Ok(())
    }

    /// The local stop button, pressed after selecting `connector`.
    pub fn press_stop(&mut self, connector: ConnectorId) -> Result<(), HalError> {
        self.connector(connector)?;
        self.push(HardwareEvent::StopButton { connector });
        Ok(())
    }

    /// The EV pauses (true) or resumes (false) charging. Setting the state it is already in is
    /// accepted without an event. An EV at its target refuses to resume: its battery is full.
    pub fn set_ev_suspended(
        &mut self,
        connector: ConnectorId,
        suspended: bool,
        now: DateTime<Utc>,
    ) -> Result<(), HalError> {
        let c = self.connector(connector)?;
        let Some(ev) = c.ev.as_ref().filter(|_| c.plugged) else {
            return Err(HalError::Refused(format!(
                "no EV is plugged in at connector {connector}"
            )));
        };
        if ev.suspended == suspended {
            return Ok(());
        }
        if !suspended && ev.at_target() {
            return Err(HalError::Refused(format!(
                "the EV at connector {connector} is at its target state of charge and will not resume"
            )));
        }
        self.advance(now);
        let c = self.connector_mut(connector)?;
        if let Some(ev) = c.ev.as_mut() {
            ev.suspended = suspended;
        }
        self.push(HardwareEvent::EvSuspended {
            connector,
            suspended,
        });
        self.refresh();
        Ok(())
    }

    /// Raise (`active`) or clear a fault named by an OCPP ChargePointErrorCode. Raising an
    /// active fault or clearing an inactive one changes nothing and queues no event.
    pub fn set_fault(
        &mut self,
        connector: ConnectorId,
        error_code: &str,
        active: bool,
    ) -> Result<(), HalError> {
        self.connector(connector)?;
        if !is_fault_error_code(error_code) {
            return Err(HalError::Refused(format!(
                "unknown error code {error_code:?}; expected one of {}",
                CHARGE_POINT_ERROR_CODES.join(", ")
            )));
        }
        let c = self.connector_mut(connector)?;
        let present = c.faults.iter().any(|f| f == error_code);
        if present == active {
            return Ok(());
        }
        if active {
            c.faults.push(error_code.to_string());
        } else {
            c.faults.retain(|f| f != error_code);
        }
        self.push(HardwareEvent::Fault {
            connector,
            error_code: error_code.to_string(),
            active,
        });
        self.refresh();
        Ok(())
    }

    /// Everything about one connector, for the control API; `None` for an unknown connector.
    pub fn snapshot(&self, connector: ConnectorId) -> Option<ConnectorSnapshot> {
        let i = self.index(connector).ok()?;
        let c = &self.connectors[i];
        Some(ConnectorSnapshot {
            plugged: c.plugged,
            energized: c.energized,
            ev_suspended: c.ev_suspended(),
            fault: c.faults.last().cloned(),
            meter: self.reading(i),
        })
    }
}
