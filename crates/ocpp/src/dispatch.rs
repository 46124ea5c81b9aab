//! From an action known only at run time (an incoming CALL, or the answer to one) to the
//! validation of its payload by the action's request or response type.

use crate::*;
use serde_json::Value;

/// Calls `$callback! { Name: Request, Response; ... }` with all 39 actions, so code that
/// needs every action's types (here, the fuzz targets) names them from one list. The
/// callback sees the type names bare: bring `ocpp::*` into scope or prefix them.
#[macro_export]
macro_rules! for_each_action {
    ($callback:ident) => {
        $callback! {
            Authorize: AuthorizeRequest, AuthorizeResponse;
            BootNotification: BootNotificationRequest, BootNotificationResponse;
            CancelReservation: CancelReservationRequest, CancelReservationResponse;
            ChangeAvailability: ChangeAvailabilityRequest, ChangeAvailabilityResponse;
            ChangeConfiguration: ChangeConfigurationRequest, ChangeConfigurationResponse;
            ClearCache: ClearCacheRequest, ClearCacheResponse;
            ClearChargingProfile: ClearChargingProfileRequest, ClearChargingProfileResponse;
            DataTransfer: DataTransferRequest, DataTransferResponse;
            DiagnosticsStatusNotification: DiagnosticsStatusNotificationRequest, DiagnosticsStatusNotificationResponse;
            FirmwareStatusNotification: FirmwareStatusNotificationRequest, FirmwareStatusNotificationResponse;
            GetCompositeSchedule: GetCompositeScheduleRequest, GetCompositeScheduleResponse;
            GetConfiguration: GetConfigurationRequest, GetConfigurationResponse;
            GetDiagnostics: GetDiagnosticsRequest, GetDiagnosticsResponse;
            GetLocalListVersion: GetLocalListVersionRequest, GetLocalListVersionResponse;
            Heartbeat: HeartbeatRequest, HeartbeatResponse;
            MeterValues: MeterValuesRequest, MeterValuesResponse;
            RemoteStartTransaction: RemoteStartTransactionRequest, RemoteStartTransactionResponse;
            RemoteStopTransaction: RemoteStopTransactionRequest, RemoteStopTransactionResponse;
            ReserveNow: ReserveNowRequest, ReserveNowResponse;
            Reset: ResetRequest, ResetResponse;
            SendLocalList: SendLocalListRequest, SendLocalListResponse;
            SetChargingProfile: SetChargingProfileRequest, SetChargingProfileResponse;
            StartTransaction: StartTransactionRequest, StartTransactionResponse;
            StatusNotification: StatusNotificationRequest, StatusNotificationResponse;
            StopTransaction: StopTransactionRequest, StopTransactionResponse;
            TriggerMessage: TriggerMessageRequest, TriggerMessageResponse;
            UnlockConnector: UnlockConnectorRequest, UnlockConnectorResponse;
            UpdateFirmware: UpdateFirmwareRequest, UpdateFirmwareResponse;
            SecurityEventNotification: SecurityEventNotificationRequest, SecurityEventNotificationResponse;
            SignCertificate: SignCertificateRequest, SignCertificateResponse;
            CertificateSigned: CertificateSignedRequest, CertificateSignedResponse;
            InstallCertificate: InstallCertificateRequest, InstallCertificateResponse;
            DeleteCertificate: DeleteCertificateRequest, DeleteCertificateResponse;
            GetInstalledCertificateIds: GetInstalledCertificateIdsRequest, GetInstalledCertificateIdsResponse;
            ExtendedTriggerMessage: ExtendedTriggerMessageRequest, ExtendedTriggerMessageResponse;
            GetLog: GetLogRequest, GetLogResponse;
            LogStatusNotification: LogStatusNotificationRequest, LogStatusNotificationResponse;
            SignedUpdateFirmware: SignedUpdateFirmwareRequest, SignedUpdateFirmwareResponse;
            SignedFirmwareStatusNotification: SignedFirmwareStatusNotificationRequest, SignedFirmwareStatusNotificationResponse;
        }
    };
}

macro_rules! actions {
    ($($name:ident: $req:ident, $resp:ident;)*) => {
        /// The request of any action, decoded: a CALL is decoded once, into this, and a
        /// receiver matches on it to reach the typed request.
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)] // made once per CALL and moved to its handler
        pub enum AnyRequest {
            $($name($req),)*
        }

        impl AnyRequest {
            /// Decode a CALL payload by its action's request schema.
            pub fn decode(action: Action, payload: &Value) -> Result<AnyRequest, PayloadError> {
                match action {
                    $(Action::$name => decode::<$req>(payload).map(AnyRequest::$name),)*
                }
            }

            pub fn action(&self) -> Action {
                match self {
                    $(AnyRequest::$name(_) => Action::$name,)*
                }
            }
        }

        /// Check a CALL payload against its action's request schema.
        pub fn validate_request(action: Action, payload: &Value) -> Result<(), PayloadError> {
            AnyRequest::decode(action, payload).map(|_| ())
        }

        /// Check a CALLRESULT payload against its action's response schema.
        pub fn validate_response(action: Action, payload: &Value) -> Result<(), PayloadError> {
            match action {
                $(Action::$name => decode::<$resp>(payload).map(|_| ()),)*
            }
        }
    };
}

for_each_action!(actions);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_valid_heartbeat_passes_and_a_bad_reset_is_refused() {
        assert!(validate_request(Action::Heartbeat, &json!({})).is_ok());
        let err = validate_request(Action::Reset, &json!({"type": "Warm"})).unwrap_err();
        assert_eq!(err.code, ErrorCode::PropertyConstraintViolation);
        let err = validate_response(Action::Heartbeat, &json!({})).unwrap_err();
        assert_eq!(err.code, ErrorCode::OccurenceConstraintViolation);
    }

    #[test]
    fn a_call_decodes_once_into_its_typed_request() {
        let req = AnyRequest::decode(Action::Reset, &json!({"type": "Soft"})).unwrap();
        assert_eq!(req.action(), Action::Reset);
        let AnyRequest::Reset(reset) = req else {
            panic!("decoded as {req:?}");
        };
        assert_eq!(reset.r#type, ResetType::Soft);
    }
}
