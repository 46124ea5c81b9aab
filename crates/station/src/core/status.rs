//! StatusNotification (section 4.9): every change of a connector's derived status is
//! reported in order while registered; after a reconnect only what differs from what the
//! Central System last acknowledged.

use crate::outbox::Context;
use crate::station::{BootStatus, Station};
use chrono::{DateTime, Utc};
use ocpp::{ChargePointErrorCode, ChargePointStatus, StatusNotificationRequest};
use serde_json::Value;

impl Station {
    /// Bring every connector's status in line with its state and report the changes.
    pub(crate) fn refresh_statuses(&mut self, now: DateTime<Utc>) {
        for i in 0..self.connectors.len() {
            let (status, error_code) = self.connectors[i].derived_status();
            let c = &mut self.connectors[i];
            if (c.status, c.error_code) != (status, error_code) {
                tracing::info!(
                    "connector {}: {} -> {}",
                    c.id,
                    c.status.as_str(),
                    status.as_str()
                );
                c.status = status;
                c.error_code = error_code;
                let id = c.id;
                if self.can_report() {
                    self.queue_status(id, status, error_code, now);
                }
            }
        }
    }

    fn can_report(&self) -> bool {
        self.online && self.boot == BootStatus::Accepted
    }

    /// After a BootNotification was accepted: every connector, 0 included.
    pub(crate) fn report_all_statuses(&mut self, now: DateTime<Utc>) {
        for i in 0..self.connectors.len() {
            let c = &self.connectors[i];
            let (id, status, code) = (c.id, c.status, c.error_code);
            self.queue_status(id, status, code, now);
        }
    }

    /// After a reconnect: only what the Central System does not know yet.
    pub(crate) fn report_changed_statuses(&mut self, now: DateTime<Utc>) {
        for i in 0..self.connectors.len() {
            let c = &self.connectors[i];
            if c.reported != Some((c.status, c.error_code)) {
                let (id, status, code) = (c.id, c.status, c.error_code);
                self.queue_status(id, status, code, now);
            }
        }
    }

    fn queue_status(
        &mut self,
        connector: u32,
        status: ChargePointStatus,
        error_code: ChargePointErrorCode,
        now: DateTime<Utc>,
    ) {
        let req = StatusNotificationRequest {
            connector_id: connector as i32,
            error_code,
            info: None,
            status,
            timestamp: Some(now),
            vendor_id: None,
            vendor_error_code: None,
        };
        self.queue_call(
            &req,
            Context::Status {
                connector,
                status,
                error_code,
            },
        );
    }

    pub(crate) fn on_status_response(&mut self, context: Context, payload: Result<Value, ()>) {
        if let (
            Context::Status {
                connector,
                status,
                error_code,
            },
            Ok(_),
        ) = (context, payload)
        {
            if let Some(c) = self.connectors.get_mut(connector as usize) {
                c.reported = Some((status, error_code));
            }
        }
    }
}
