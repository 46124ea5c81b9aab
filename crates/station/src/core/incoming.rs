//! CALLs from the Central System: every payload is validated against its action's schema
//! first, then handled by the feature that owns it.

use crate::station::{BootStatus, Station};
use chrono::{DateTime, Utc};
use ocpp::{Action, Call, DataTransferResponse, DataTransferStatus, ErrorCode};

impl Station {
    pub(crate) fn on_call(&mut self, call: Call, now: DateTime<Utc>) {
        let id = call.unique_id.clone();
        let Some(action) = Action::from_name(&call.action) else {
            let text = format!("unknown action {}", call.action);
            self.reply_error(&id, ErrorCode::NotImplemented, &text);
            return;
        };
        if let Err(e) = ocpp::validate_request(action, &call.payload) {
            self.reply_error(&id, e.code, &e.description);
            return;
        }
        match action {
            Action::GetConfiguration => match call.decode() {
                Ok(req) => self.on_get_configuration(&id, req),
                Err(e) => self.reply_error(&id, e.code, &e.description),
            },
            Action::ChangeConfiguration => match call.decode() {
                Ok(req) => self.on_change_configuration(&id, req, now),
                Err(e) => self.reply_error(&id, e.code, &e.description),
            },
            Action::DataTransfer => {
                // No vendor extensions are known to this station.
                let resp = DataTransferResponse {
                    status: DataTransferStatus::UnknownVendorId,
                    data: None,
                };
                self.reply(&id, &resp);
            }
            a if a.initiated_by_charge_point() => {
                let text = format!("{} is sent by a charge point, not to it", a.as_str());
                self.reply_error(&id, ErrorCode::NotSupported, &text);
            }
            a => {
                let pending = matches!(self.boot, BootStatus::Pending { .. });
                let text = format!(
                    "{} is not supported by this station{}",
                    a.as_str(),
                    if pending {
                        " (registration pending)"
                    } else {
                        ""
                    }
                );
                self.reply_error(&id, ErrorCode::NotSupported, &text);
            }
        }
    }
}
