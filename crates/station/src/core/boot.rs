//! Registration with the Central System (section 4.2): BootNotification after every start,
//! Pending and Rejected with their retry interval, nothing else sent before Accepted.

use crate::outbox::{Context, Item};
use crate::station::NoAnswer;
use crate::station::{ci, BootStatus, Station};
use crate::time::Monotonic;
use chrono::{DateTime, Duration, Utc};
use ocpp::{BootNotificationRequest, BootNotificationResponse, RegistrationStatus, Request};

impl Station {
    pub(crate) fn on_connected(&mut self, now: DateTime<Utc>) {
        self.ctx.online = true;
        if self.ctx.boot == BootStatus::Accepted {
            // A new connection, not a reboot: no BootNotification, but tell what changed.
            self.next_heartbeat = Some(self.ctx.time.mono + self.heartbeat_interval());
            self.report_changed_statuses(now);
        }
    }

    pub(crate) fn on_disconnected(&mut self) {
        self.ctx.online = false;
        self.ctx.outbox.on_disconnect();
        if self.ctx.boot == BootStatus::Sent {
            self.ctx.boot = BootStatus::NotRegistered;
        }
        for c in &mut self.ctx.connectors {
            c.authorizing = None;
        }
        // The UnlockConnector.req waiting for the lock came on the link that is gone: its
        // answer has nowhere to go (the lock still opens).
        self.unlocks.clear();
    }

    /// When a Pending or Rejected registration retries its BootNotification, while it can
    /// go: over a link with no CALL in flight (that CALL's deadline or answer wakes the
    /// station). Otherwise the deadline would stay in the past and wake the drivers in a
    /// loop (found by the station fuzz target).
    pub(crate) fn boot_retry_deadline(&self) -> Option<Monotonic> {
        match self.ctx.boot {
            BootStatus::Pending { retry_at } | BootStatus::Rejected { retry_at }
                if self.ctx.online && self.ctx.outbox.is_idle() =>
            {
                Some(retry_at)
            }
            _ => None,
        }
    }

    /// Whether a BootNotification should go out now.
    pub(crate) fn boot_due(&self) -> bool {
        let now = self.ctx.time.mono;
        match self.ctx.boot {
            BootStatus::NotRegistered => true,
            BootStatus::Pending { retry_at } | BootStatus::Rejected { retry_at } => now >= retry_at,
            BootStatus::Sent | BootStatus::Accepted => false,
        }
    }

    pub(crate) fn send_boot_notification(&mut self) {
        let info = &self.ctx.cfg.info;
        let req = BootNotificationRequest {
            charge_point_vendor: ci(&info.vendor),
            charge_point_model: ci(&info.model),
            charge_point_serial_number: Some(ci(&info.serial_number)),
            charge_box_serial_number: Some(ci(&info.serial_number)),
            firmware_version: Some(ci(&info.firmware_version)),
            iccid: None,
            imsi: None,
            meter_type: Some(ci(&info.meter_type)),
            meter_serial_number: Some(ci(&info.meter_serial_number)),
        };
        let payload = match serde_json::to_value(&req) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("cannot encode BootNotification: {e}");
                return;
            }
        };
        let id = self.ctx.new_message_id();
        let item = Item::Volatile {
            action: BootNotificationRequest::ACTION,
            payload: payload.clone(),
            context: Context::None,
        };
        self.ctx.outbox.start_item(
            item,
            id.clone(),
            self.ctx.time.mono + self.ctx.cfg.call_timeout,
        );
        self.ctx.send_frame(ocpp::Frame::Call(ocpp::Call {
            unique_id: id,
            action: BootNotificationRequest::ACTION.as_str().to_string(),
            payload,
        }));
        self.ctx.boot = BootStatus::Sent;
    }

    pub(crate) fn on_boot_response(
        &mut self,
        answer: Result<BootNotificationResponse, NoAnswer>,
        now: DateTime<Utc>,
    ) {
        let Ok(conf) = answer else {
            // No usable answer: try again later without flooding the Central System.
            self.ctx.boot = BootStatus::Pending {
                retry_at: self.ctx.time.mono + self.ctx.cfg.boot_retry,
            };
            return;
        };
        self.ctx
            .outputs
            .push_back(crate::Output::ClockSync(conf.current_time));
        let retry = if conf.interval > 0 {
            Duration::seconds(i64::from(conf.interval))
        } else {
            self.ctx.cfg.boot_retry
        };
        match conf.status {
            RegistrationStatus::Accepted => {
                if conf.interval > 0 {
                    let clamped = i64::from(conf.interval).clamp(1, 1800);
                    self.ctx
                        .config
                        .set_internal("HeartbeatInterval", clamped.to_string());
                }
                tracing::info!("registered with the Central System");
                self.ctx.boot = BootStatus::Accepted;
                self.next_heartbeat = Some(self.ctx.time.mono + self.heartbeat_interval());
                self.report_all_statuses(now);
                let reason = self.boot_reason.clone();
                self.security.on_registered_security(&mut self.ctx, &reason);
            }
            RegistrationStatus::Pending => {
                self.ctx.boot = BootStatus::Pending {
                    retry_at: self.ctx.time.mono + retry,
                }
            }
            RegistrationStatus::Rejected => {
                self.ctx.boot = BootStatus::Rejected {
                    retry_at: self.ctx.time.mono + retry,
                };
                // While Rejected the station answers nothing (section 4.2), not even the
                // UnlockConnector.req that came before and still waits for the lock.
                self.unlocks.clear();
            }
        }
    }
}
