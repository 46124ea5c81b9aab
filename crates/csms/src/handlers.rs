//! Answers to the CALLs a station sends: one small function per action.

use chrono::Utc;
use ocpp::{
    Action, AuthorizeRequest, AuthorizeResponse, BootNotificationRequest, BootNotificationResponse,
    Call, CallError, CallResult, DataTransferRequest, DataTransferResponse, DataTransferStatus,
    DiagnosticsStatusNotificationRequest, DiagnosticsStatusNotificationResponse, ErrorCode,
    FirmwareStatusNotificationRequest, FirmwareStatusNotificationResponse, Frame, GenericStatus,
    HeartbeatRequest, HeartbeatResponse, LogStatusNotificationRequest,
    LogStatusNotificationResponse, MeterValuesRequest, MeterValuesResponse, RegistrationStatus,
    Request, SecurityEventNotificationRequest, SecurityEventNotificationResponse,
    SignCertificateRequest, SignCertificateResponse, SignedFirmwareStatusNotificationRequest,
    SignedFirmwareStatusNotificationResponse, StartTransactionRequest, StartTransactionResponse,
    StatusNotificationRequest, StatusNotificationResponse, StopTransactionRequest,
    StopTransactionResponse,
};

use crate::events::CsmsEvent;
use crate::rules::{self, Rule};
use crate::state::Shared;
use crate::transactions::{Stop, StopOutcome};

/// A CALL the Central System sends on its own after answering one.
#[derive(Debug)]
pub(crate) enum FollowUp {
    /// CertificateSigned.req with this chain (PEM), after SignCertificate was Accepted.
    CertificateSigned { chain: String },
}

/// Who sent a CALL: the station and which of its connections.
#[derive(Clone, Copy)]
pub(crate) struct From<'a> {
    pub station: &'a str,
    pub conn_id: u64,
}

/// The answer (CALLRESULT or CALLERROR) to `call`, and what to send next. A CALLERROR
/// answer means the station sent a CALL it must not: that is a [`Rule::InvalidCall`].
pub(crate) fn handle(shared: &Shared, from: From<'_>, call: &Call) -> (Frame, Option<FollowUp>) {
    let (answer, then) = if call.action == Action::SignCertificate.as_str() {
        sign_certificate(shared, from.station, call)
    } else {
        (answer_call(shared, from, call), None)
    };
    if let Frame::CallError(e) = &answer {
        rules::report(
            shared,
            from.station,
            Rule::InvalidCall,
            format!("{}: {}", e.error_code.as_str(), e.error_description),
            &Frame::Call(call.clone()).to_text(),
        );
    }
    (answer, then)
}

fn answer_call(shared: &Shared, from: From<'_>, call: &Call) -> Frame {
    let station = from.station;
    let Some(action) = Action::from_name(&call.action) else {
        return error(
            call,
            ErrorCode::NotImplemented,
            format!("unknown action {:?}", call.action),
        );
    };
    warn_if_not_registered(shared, station, action);
    match action {
        Action::BootNotification => answer(call, |r| boot_notification(shared, station, r)),
        Action::Heartbeat => answer(call, |_: HeartbeatRequest| HeartbeatResponse {
            current_time: Utc::now(),
        }),
        Action::StatusNotification => answer(call, |_: StatusNotificationRequest| {
            StatusNotificationResponse {}
        }),
        Action::Authorize => answer(call, |r: AuthorizeRequest| AuthorizeResponse {
            id_tag_info: shared.settings().authorize.id_tag_info(r.id_tag.as_str()),
        }),
        Action::StartTransaction => answer(call, |r| start_transaction(shared, station, r)),
        Action::StopTransaction => answer(call, |r| stop_transaction(shared, from, call, r)),
        Action::MeterValues => answer(call, |_: MeterValuesRequest| MeterValuesResponse {}),
        // No vendor extensions are known here; UnknownVendorId is the spec's answer.
        Action::DataTransfer => answer(call, |_: DataTransferRequest| DataTransferResponse {
            status: DataTransferStatus::UnknownVendorId,
            data: None,
        }),
        Action::DiagnosticsStatusNotification => {
            answer(call, |_: DiagnosticsStatusNotificationRequest| {
                DiagnosticsStatusNotificationResponse {}
            })
        }
        Action::FirmwareStatusNotification => {
            answer(call, |_: FirmwareStatusNotificationRequest| {
                FirmwareStatusNotificationResponse {}
            })
        }
        Action::SecurityEventNotification => answer(call, |_: SecurityEventNotificationRequest| {
            SecurityEventNotificationResponse {}
        }),
        Action::SignedFirmwareStatusNotification => {
            answer(call, |_: SignedFirmwareStatusNotificationRequest| {
                SignedFirmwareStatusNotificationResponse {}
            })
        }
        Action::LogStatusNotification => answer(call, |_: LogStatusNotificationRequest| {
            LogStatusNotificationResponse {}
        }),
        // Answered by `sign_certificate`.
        Action::SignCertificate => {
            answer(call, |_: SignCertificateRequest| SignCertificateResponse {
                status: GenericStatus::Rejected,
            })
        }
        // A real OCPP action, but one the Central System sends, never receives.
        other => error(
            call,
            ErrorCode::NotSupported,
            format!("{} is not a charge point initiated action", other.as_str()),
        ),
    }
}

/// Decode the payload as `R` and answer with `f`, or answer the decoding error.
fn answer<R: Request>(call: &Call, f: impl FnOnce(R) -> R::Response) -> Frame {
    match call.decode::<R>() {
        Ok(req) => Frame::CallResult(CallResult::new(call.unique_id.clone(), &f(req))),
        Err(e) => error(call, e.code, e.description),
    }
}

fn error(call: &Call, code: ErrorCode, description: String) -> Frame {
    tracing::warn!(unique_id = call.unique_id, action = call.action, %description, "answering CALLERROR {}", code.as_str());
    Frame::CallError(CallError::new(call.unique_id.clone(), code, description))
}

/// A station not (yet) accepted may only send BootNotification (OCPP 1.6 4.2). We still
/// answer, to keep the link usable, but say so: it is a bug in the station.
fn warn_if_not_registered(shared: &Shared, station: &str, action: Action) {
    if action == Action::BootNotification {
        return;
    }
    if let Some(status @ (RegistrationStatus::Pending | RegistrationStatus::Rejected)) =
        shared.record(station).registration
    {
        tracing::warn!(
            station,
            action = action.as_str(),
            "station sent a request while its registration is {}",
            status.as_str()
        );
    }
}

fn boot_notification(
    shared: &Shared,
    station: &str,
    req: BootNotificationRequest,
) -> BootNotificationResponse {
    let settings = shared.settings();
    // Who booted, in words; the whole request is in the frame log (one line of JSON).
    tracing::info!(
        station,
        vendor = req.charge_point_vendor.as_str(),
        model = req.charge_point_model.as_str(),
        "boot: answering {}",
        settings.boot_status.as_str()
    );
    shared.set_registration(station, settings.boot_status);
    BootNotificationResponse {
        status: settings.boot_status,
        current_time: Utc::now(),
        interval: settings.heartbeat_interval,
    }
}

fn start_transaction(
    shared: &Shared,
    station: &str,
    req: StartTransactionRequest,
) -> StartTransactionResponse {
    let id_tag = req.id_tag.as_str();
    // A transaction id is assigned even for a refused tag: the station already started
    // and must be able to stop it (StopTransactionOnInvalidId).
    let transaction_id = shared.transactions.start(
        station,
        req.connector_id,
        id_tag,
        req.meter_start,
        req.timestamp,
    );
    StartTransactionResponse {
        id_tag_info: shared.settings().authorize.id_tag_info(id_tag),
        transaction_id,
    }
}

fn stop_transaction(
    shared: &Shared,
    from: From<'_>,
    call: &Call,
    req: StopTransactionRequest,
) -> StopTransactionResponse {
    let id_tag = req.id_tag.as_ref().map(|t| t.as_str().to_owned());
    let outcome = shared.transactions.stop(
        from.station,
        req.transaction_id,
        Stop {
            conn_id: from.conn_id,
            meter_stop: req.meter_stop,
            time: req.timestamp,
            reason: req.reason,
            id_tag: id_tag.clone(),
        },
    );
    let broken = match outcome {
        StopOutcome::Stopped => None,
        StopOutcome::Repeated => Some(Rule::RepeatedStop),
        StopOutcome::Unknown => Some(Rule::UnknownTransaction),
    };
    if let Some(rule) = broken {
        rules::report(
            shared,
            from.station,
            rule,
            format!("transactionId {}", req.transaction_id),
            &Frame::Call(call.clone()).to_text(),
        );
    }
    StopTransactionResponse {
        id_tag_info: id_tag.map(|t| shared.settings().authorize.id_tag_info(&t)),
    }
}

/// SignCertificate.req: with a signing CA, sign the CSR and answer Accepted; the
/// certificate follows in CertificateSigned.req. Without one, or if the CSR cannot be
/// signed, Rejected.
fn sign_certificate(shared: &Shared, station: &str, call: &Call) -> (Frame, Option<FollowUp>) {
    let req = match call.decode::<SignCertificateRequest>() {
        Ok(req) => req,
        Err(e) => return (error(call, e.code, e.description), None),
    };
    let reply = |status| {
        Frame::CallResult(CallResult::new(
            call.unique_id.clone(),
            &SignCertificateResponse { status },
        ))
    };
    let Some((ca_cert, ca_key)) = shared.signing_ca() else {
        tracing::info!(
            station,
            "SignCertificate rejected: no signing CA configured"
        );
        return (reply(GenericStatus::Rejected), None);
    };
    let not_before = Utc::now() - chrono::Duration::hours(1);
    match certs::sign_csr(
        req.csr.as_str(),
        &ca_cert,
        &ca_key,
        not_before,
        CERTIFICATE_DAYS,
    ) {
        Ok(chain) => {
            tracing::info!(station, "SignCertificate accepted: CSR signed");
            (
                reply(GenericStatus::Accepted),
                Some(FollowUp::CertificateSigned { chain }),
            )
        }
        Err(e) => {
            tracing::warn!(station, error = %e, "SignCertificate rejected: cannot sign the CSR");
            shared.emit(CsmsEvent::CertificateSigned {
                station: station.to_owned(),
                status: Err(format!("cannot sign the CSR: {e}")),
            });
            (reply(GenericStatus::Rejected), None)
        }
    }
}

/// How long the certificates the signing CA issues are valid.
const CERTIFICATE_DAYS: u32 = 365;
