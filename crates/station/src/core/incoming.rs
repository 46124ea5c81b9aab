//! CALLs from the Central System: each is decoded once, into [`AnyRequest`], and handed to
//! the feature that owns its action; the handler's response or refusal is the answer.

use super::auth_cache::AuthCache;
use super::configuration::Configuration;
use super::remote::RemoteControl;
use super::reset::Restart;
use super::transaction::TxParts;
use crate::io::Output;
use crate::remote_trigger::RemoteTrigger;
use crate::station::Station;
use chrono::{DateTime, Utc};
use ocpp::{Action, AnyRequest, Call, CallError, CallResult, ErrorCode, Frame, Refusal};
use serde_json::Value;

/// What a handler gives back: its response, or None when the answer comes later (an
/// UnlockConnector waits for the cable lock).
type Answer = Result<Option<Value>, Refusal>;

impl Station {
    pub(crate) fn on_call(&mut self, call: Call, now: DateTime<Utc>) {
        // The answer goes out before anything the handler set off (its CALLs, hardware
        // commands, a reconnect with a new SecurityProfile), as the Central System expects.
        let first_output = self.ctx.outputs.len();
        let answer = self.answer(&call, now);
        let frame = match answer {
            Ok(None) => return,
            Ok(Some(payload)) => Frame::CallResult(CallResult {
                unique_id: call.unique_id,
                payload,
            }),
            Err(refusal) => Frame::CallError(CallError::new(
                call.unique_id,
                refusal.code,
                refusal.description,
            )),
        };
        self.ctx
            .outputs
            .insert(first_output, Output::Send(frame.to_text()));
    }

    fn answer(&mut self, call: &Call, now: DateTime<Utc>) -> Answer {
        let Some(action) = Action::from_name(&call.action) else {
            let text = format!("unknown action {}", call.action);
            return Err(Refusal::new(ErrorCode::NotImplemented, text));
        };
        let request = match AnyRequest::decode(action, &call.payload) {
            Ok(request) => request,
            Err(_)
                if is_trigger(action)
                    && RemoteTrigger::is_unknown_trigger(action, &call.payload) =>
            {
                tracing::info!("{} for an unknown message: NotImplemented", action.as_str());
                return Ok(Some(serde_json::json!({"status": "NotImplemented"})));
            }
            Err(e) => return Err(e.into()),
        };
        fn respond<T: serde::Serialize>(result: Result<T, Refusal>) -> Answer {
            result.map(|response| Some(ocpp::frame::to_payload(&response)))
        }
        use AnyRequest as R;
        match request {
            R::GetConfiguration(req) => respond(Configuration.on_get_configuration(&self.ctx, req)),
            R::ChangeConfiguration(req) => respond(Ok(self.change_configuration(&req, now))),
            R::DataTransfer(req) => Ok(Some(ocpp::frame::to_payload(
                &self.ctx.cfg.data_transfer.answer(&req),
            ))),
            R::ClearCache(req) => respond(AuthCache::on_clear_cache(&mut self.ctx, req, now)),
            R::RemoteStartTransaction(req) => {
                let (ctx, mut parts) = self.tx_parts();
                respond(RemoteControl.on_remote_start(ctx, &mut parts, req, now))
            }
            R::RemoteStopTransaction(req) => {
                let (ctx, mut parts) = self.tx_parts();
                respond(RemoteControl.on_remote_stop(ctx, &mut parts, req, now))
            }
            R::Reset(req) => {
                let (ctx, mut parts) = self.tx_parts();
                respond(Restart.on_reset(ctx, &mut parts, req, now))
            }
            R::UnlockConnector(req) => {
                let mut parts = TxParts {
                    transactions: &mut self.transactions,
                    reservations: &mut self.reservations,
                    smart: &mut self.smart,
                };
                let unique_id = &call.unique_id;
                self.unlocks
                    .on_unlock_connector(&mut self.ctx, &mut parts, unique_id, req, now)
                    .map(|later| later.map(|response| ocpp::frame::to_payload(&response)))
            }
            R::ChangeAvailability(req) => respond(self.availability.on_change_availability(
                &mut self.ctx,
                req,
                now,
            )),
            R::SendLocalList(req) => {
                respond(self.local_list.on_send_local_list(&mut self.ctx, req, now))
            }
            R::GetLocalListVersion(req) => respond(self.local_list.on_get_local_list_version(
                &mut self.ctx,
                req,
                now,
            )),
            R::ReserveNow(req) => {
                respond(self.reservations.on_reserve_now(&mut self.ctx, req, now))
            }
            R::CancelReservation(req) => respond(self.reservations.on_cancel_reservation(
                &mut self.ctx,
                req,
                now,
            )),
            R::TriggerMessage(req) => {
                respond(RemoteTrigger.on_trigger_message(&mut self.ctx, &self.firmware, req, now))
            }
            R::ExtendedTriggerMessage(req) => respond(self.security.on_extended_trigger_message(
                &mut self.ctx,
                &self.firmware,
                req,
                now,
            )),
            R::SetChargingProfile(req) => {
                respond(self.smart.on_set_charging_profile(&mut self.ctx, req, now))
            }
            R::ClearChargingProfile(req) => respond(self.smart.on_clear_charging_profile(
                &mut self.ctx,
                req,
                now,
            )),
            R::GetCompositeSchedule(req) => {
                respond(self.smart.on_get_composite_schedule(&self.ctx, req, now))
            }
            R::InstallCertificate(req) => respond(self.security.on_install_certificate(
                &mut self.ctx,
                req,
                now,
            )),
            R::GetInstalledCertificateIds(req) => respond(
                self.security
                    .on_get_installed_certificate_ids(&mut self.ctx, req, now),
            ),
            R::DeleteCertificate(req) => {
                respond(self.security.on_delete_certificate(&mut self.ctx, req, now))
            }
            R::CertificateSigned(req) => {
                respond(self.security.on_certificate_signed(&mut self.ctx, req, now))
            }
            R::UpdateFirmware(req) => {
                respond(self.firmware.on_update_firmware(&mut self.ctx, req, now))
            }
            R::SignedUpdateFirmware(req) => respond(self.firmware.on_signed_update_firmware(
                &mut self.ctx,
                req,
                now,
            )),
            R::GetDiagnostics(req) => {
                respond(self.firmware.on_get_diagnostics(&mut self.ctx, req, now))
            }
            R::GetLog(req) => respond(self.firmware.on_get_log(&mut self.ctx, req, now)),
            // The actions a charge point sends, never receives.
            R::Authorize(_)
            | R::BootNotification(_)
            | R::DiagnosticsStatusNotification(_)
            | R::FirmwareStatusNotification(_)
            | R::Heartbeat(_)
            | R::MeterValues(_)
            | R::StartTransaction(_)
            | R::StatusNotification(_)
            | R::StopTransaction(_)
            | R::SecurityEventNotification(_)
            | R::SignCertificate(_)
            | R::LogStatusNotification(_)
            | R::SignedFirmwareStatusNotification(_) => {
                let text = format!("{} is sent by a charge point, not to it", action.as_str());
                Err(Refusal::new(ErrorCode::NotSupported, text))
            }
        }
    }

    /// ChangeConfiguration: the security extension's keys go to Security; a change of any
    /// other key is passed on to the features it concerns.
    fn change_configuration(
        &mut self,
        req: &ocpp::ChangeConfigurationRequest,
        now: DateTime<Utc>,
    ) -> ocpp::ChangeConfigurationResponse {
        let (key, value) = (req.key.as_str(), req.value.as_str());
        if let Some(status) = self
            .security
            .change_security_key(&mut self.ctx, key, value, now)
        {
            return ocpp::ChangeConfigurationResponse { status };
        }
        let (response, changed) = Configuration.on_change_configuration(&mut self.ctx, req);
        match changed {
            Some(("HeartbeatInterval", _)) => self.registration.reschedule_heartbeat(&self.ctx),
            Some(("MeterValueSampleInterval", _)) => {
                self.metering.reschedule_samples(&mut self.ctx)
            }
            Some(("ClockAlignedDataInterval", _)) => self.metering.schedule_aligned(&self.ctx, now),
            Some((key @ "WebSocketPingInterval", value)) => {
                self.ctx.outputs.push_back(Output::ConfigChanged {
                    key: key.to_string(),
                    value,
                })
            }
            _ => {}
        }
        response
    }
}

fn is_trigger(action: Action) -> bool {
    matches!(
        action,
        Action::TriggerMessage | Action::ExtendedTriggerMessage
    )
}
