//! One connector's state; its OCPP status is derived from it, never set by hand, so it
//! cannot drift from what is really going on.

use crate::time::Monotonic;
use chrono::{DateTime, Utc};
use hal::{ConnectorId, MeterReading};
use ocpp::{ChargePointErrorCode, ChargePointStatus, MeterValue};

/// A card accepted for this connector, waiting for the EV to be plugged in.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorization {
    pub id_tag: String,
    pub parent_id_tag: Option<String>,
    /// ConnectionTimeOut, on the monotonic clock: the authorization lapses when no EV
    /// arrives by then.
    pub expires: Monotonic,
}

/// A transaction running on the connector.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveTx {
    pub local_id: i64,
    pub id_tag: String,
    /// Known once StartTransaction.conf arrived.
    pub transaction_id: Option<i32>,
    pub started_at: DateTime<Utc>,
    pub begin_reading: Option<MeterReading>,
    pub next_sample: Option<Monotonic>,
    /// Its idTag was refused after the start (StopTransactionOnInvalidId false) and it has
    /// had MaxEnergyOnInvalidId: the station delivers no more energy (SuspendedEVSE).
    pub energy_capped: bool,
    /// The clock-aligned readings of StopTxnAlignedData taken during the transaction, for
    /// its StopTransaction's transactionData; oldest first. Only the first and the latest
    /// are kept, as many as StopTransactionMaxMeterValues can carry.
    pub aligned: Vec<MeterValue>,
}

#[derive(Debug, Clone)]
pub struct Connector {
    pub id: ConnectorId,
    pub status: ChargePointStatus,
    pub error_code: ChargePointErrorCode,
    /// When `status` last changed (MinimumStatusDuration counts from here).
    pub changed_at: Option<DateTime<Utc>>,
    /// `changed_at` on the monotonic clock: MinimumStatusDuration counts from it.
    pub changed_mono: Option<Monotonic>,
    /// The last status queued for the Central System on this connection.
    pub notified: Option<(ChargePointStatus, ChargePointErrorCode)>,
    /// What the Central System acknowledged last, to resend changes after a reconnect.
    pub reported: Option<(ChargePointStatus, ChargePointErrorCode)>,
    /// ChangeAvailability made it (or, for connector 0, the station) Inoperative.
    pub inoperative: bool,
    /// Inoperative was asked for while a transaction ran: it applies when the transaction ends.
    pub inoperative_scheduled: bool,
    pub plugged: bool,
    pub ev_suspended: bool,
    pub fault: Option<ChargePointErrorCode>,
    pub authorization: Option<Authorization>,
    /// An Authorize for this card is in flight.
    pub authorizing: Option<String>,
    pub tx: Option<ActiveTx>,
    /// A transaction ended while the cable is still plugged in, or the EV plugged in waited
    /// ConnectionTimeOut for an authorization in vain (B6): the cable is to be removed.
    pub finishing: bool,
    /// An EV is plugged in and the connector is Preparing with no authorization: by then
    /// (ConnectionTimeOut, on the monotonic clock) it gives up waiting (B6, Finishing).
    pub plug_timeout: Option<Monotonic>,
    pub meter: Option<MeterReading>,
    /// The reservation that holds this connector: its own (ReserveNow for it), or one for
    /// connector 0 when this is the last connector free for it (`reservation/`). On
    /// connector 0, the reservation of the whole station.
    pub reservation: Option<store::Reservation>,
    /// The charging limit in force is 0 (Smart Charging): during a transaction the station
    /// offers no energy (SuspendedEVSE).
    pub limit_zero: bool,
}

impl Connector {
    pub fn new(id: ConnectorId) -> Connector {
        Connector {
            id,
            status: ChargePointStatus::Available,
            error_code: ChargePointErrorCode::NoError,
            changed_at: None,
            changed_mono: None,
            notified: None,
            reported: None,
            inoperative: false,
            inoperative_scheduled: false,
            plugged: false,
            ev_suspended: false,
            fault: None,
            authorization: None,
            authorizing: None,
            tx: None,
            finishing: false,
            plug_timeout: None,
            meter: None,
            reservation: None,
            limit_zero: false,
        }
    }

    /// The OCPP status this state means (section 4.9 of the spec). `station_inoperative`:
    /// connector 0 was made Inoperative, which holds for every connector.
    pub fn derived_status(
        &self,
        station_inoperative: bool,
    ) -> (ChargePointStatus, ChargePointErrorCode) {
        let ok = ChargePointErrorCode::NoError;
        if self.id == 0 {
            let status = if self.inoperative {
                ChargePointStatus::Unavailable
            } else {
                ChargePointStatus::Available
            };
            return (status, ok);
        }
        // EVCommunicationError is a warning, not a fault (section 7.6): the EVSE suspends.
        let ev_comm_error = self.fault == Some(ChargePointErrorCode::EVCommunicationError);
        if let Some(code) = self.fault.filter(|_| !ev_comm_error) {
            return (ChargePointStatus::Faulted, code);
        }
        let status = if self.tx.is_some() {
            // SuspendedEVSE takes precedence when both sides suspend (section 4.9). An EV
            // unplugged while the transaction goes on (StopTransactionOnEVSideDisconnect
            // false) is an EV not taking energy.
            if self.evse_suspended() || ev_comm_error {
                ChargePointStatus::SuspendedEVSE
            } else if self.ev_suspended || !self.plugged {
                ChargePointStatus::SuspendedEV
            } else {
                ChargePointStatus::Charging
            }
        } else if self.inoperative || station_inoperative {
            ChargePointStatus::Unavailable
        } else if self.finishing {
            ChargePointStatus::Finishing
        } else if self.reservation.is_some() && self.authorization.is_none() {
            // Until the reserved idTag is accepted here (G2), plugged in or not.
            ChargePointStatus::Reserved
        } else if self.plugged || self.authorization.is_some() || self.authorizing.is_some() {
            ChargePointStatus::Preparing
        } else {
            ChargePointStatus::Available
        };
        let warning_allowed = matches!(
            status,
            ChargePointStatus::Preparing
                | ChargePointStatus::SuspendedEV
                | ChargePointStatus::SuspendedEVSE
                | ChargePointStatus::Finishing
        );
        if ev_comm_error && warning_allowed {
            return (status, ChargePointErrorCode::EVCommunicationError);
        }
        (status, ok)
    }

    /// The station does not offer energy to the transaction's EV.
    pub fn evse_suspended(&self) -> bool {
        // MaxEnergyOnInvalidId reached (C-03).
        self.tx.as_ref().is_some_and(|t| t.energy_capped)
            // A charging limit of 0 (Smart Charging).
            || (self.tx.is_some() && self.limit_zero)
    }

    /// The connector takes no new transactions.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self.status,
            ChargePointStatus::Unavailable | ChargePointStatus::Faulted
        )
    }

    pub fn view(&self) -> ConnectorView {
        ConnectorView {
            id: self.id,
            status: self.status,
            error_code: self.error_code,
            transaction_id: self.tx.as_ref().and_then(|t| t.transaction_id),
            id_tag: self.tx.as_ref().map(|t| t.id_tag.clone()),
        }
    }
}

/// What the station tells about a connector (the control API shows it).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorView {
    pub id: ConnectorId,
    pub status: ChargePointStatus,
    pub error_code: ChargePointErrorCode,
    pub transaction_id: Option<i32>,
    pub id_tag: Option<String>,
}
