//! OCPP 1.6 ChargePointErrorCode names, so hardware faults can be validated without depending on
//! the protocol crate (the HAL must stay usable on its own).

/// Every OCPP 1.6 ChargePointErrorCode except `NoError`, which is the absence of a fault.
pub const CHARGE_POINT_ERROR_CODES: &[&str] = &[
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "OtherError",
    "OverCurrentFailure",
    "OverVoltage",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "WeakSignal",
];

/// True if `code` names a fault a connector can report (case-sensitive, as on the wire).
pub fn is_fault_error_code(code: &str) -> bool {
    CHARGE_POINT_ERROR_CODES.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_accepted_and_no_error_rejected() {
        assert!(is_fault_error_code("HighTemperature"));
        assert!(is_fault_error_code("EVCommunicationError"));
        assert!(!is_fault_error_code("NoError"));
        assert!(!is_fault_error_code("hightemperature"));
        assert!(!is_fault_error_code(""));
    }
}
