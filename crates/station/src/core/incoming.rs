//! CALLs from the Central System: every payload is validated against its action's schema
//! first, then handled by the feature that owns it.

use crate::station::{BootStatus, Station};
use chrono::{DateTime, Utc};
use ocpp::{Action, Call, ErrorCode};

impl Station {
    pub(crate) fn on_call(&mut self, call: Call, now: DateTime<Utc>) {
        let id = call.unique_id.clone();
        let Some(action) = Action::from_name(&call.action) else {
            let text = format!("unknown action {}", call.action);
            self.reply_error(&id, ErrorCode::NotImplemented, &text);
            return;
        };
        if let Err(e) = ocpp::validate_request(action, &call.payload) {
            let trigger = matches!(
                action,
                Action::TriggerMessage | Action::ExtendedTriggerMessage
            );
            if trigger && self.on_unknown_trigger(action, &id, &call.payload) {
                return;
            }
            self.reply_error(&id, e.code, &e.description);
            return;
        }
        macro_rules! handle {
            ($handler:ident) => {
                match call.decode() {
                    Ok(req) => self.$handler(&id, req, now),
                    Err(e) => self.reply_error(&id, e.code, &e.description),
                }
            };
        }
        match action {
            Action::GetConfiguration => handle!(on_get_configuration),
            Action::ChangeConfiguration => handle!(on_change_configuration),
            Action::DataTransfer => handle!(on_data_transfer),
            Action::ClearCache => handle!(on_clear_cache),
            Action::RemoteStartTransaction => handle!(on_remote_start),
            Action::RemoteStopTransaction => handle!(on_remote_stop),
            Action::Reset => handle!(on_reset),
            Action::UnlockConnector => handle!(on_unlock_connector),
            Action::ChangeAvailability => handle!(on_change_availability),
            Action::SendLocalList => handle!(on_send_local_list),
            Action::GetLocalListVersion => handle!(on_get_local_list_version),
            Action::ReserveNow => handle!(on_reserve_now),
            Action::CancelReservation => handle!(on_cancel_reservation),
            Action::TriggerMessage => handle!(on_trigger_message),
            Action::ExtendedTriggerMessage => handle!(on_extended_trigger_message),
            Action::SetChargingProfile => handle!(on_set_charging_profile),
            Action::ClearChargingProfile => handle!(on_clear_charging_profile),
            Action::GetCompositeSchedule => handle!(on_get_composite_schedule),
            Action::InstallCertificate => handle!(on_install_certificate),
            Action::GetInstalledCertificateIds => handle!(on_get_installed_certificate_ids),
            Action::DeleteCertificate => handle!(on_delete_certificate),
            Action::CertificateSigned => handle!(on_certificate_signed),
            Action::UpdateFirmware => handle!(on_update_firmware),
            Action::SignedUpdateFirmware => handle!(on_signed_update_firmware),
            Action::GetDiagnostics => handle!(on_get_diagnostics),
            Action::GetLog => handle!(on_get_log),
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
