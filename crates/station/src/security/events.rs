//! The security events of the OCPP 1.6 security whitepaper (edition 3, appendix 1), each
//! with the whitepaper's "critical" flag: critical events are sent to the Central System
//! as SecurityEventNotification (durably queued, like transaction messages), every event
//! is written to the security log.

use std::fmt;
use std::str::FromStr;

macro_rules! events {
    ($($name:ident => $critical:expr, $doc:literal;)*) => {
        /// A security event (`type` of SecurityEventNotification.req).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum SecurityEvent {
            $(#[doc = $doc] $name,)*
        }

        impl SecurityEvent {
            /// Every event, in the whitepaper's order.
            pub const ALL: &'static [SecurityEvent] = &[$(SecurityEvent::$name,)*];

            /// The name sent on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(SecurityEvent::$name => stringify!($name),)*
                }
            }

            /// Whether the whitepaper marks the event critical: then it is pushed to the
            /// Central System, otherwise only logged.
            pub fn is_critical(self) -> bool {
                match self {
                    $(SecurityEvent::$name => $critical,)*
                }
            }
        }
    };
}

events! {
    FirmwareUpdated => true, "The firmware was updated.";
    FailedToAuthenticateAtCentralSystem => false,
        "The authentication credentials of the charge point were rejected by the Central System.";
    CentralSystemFailedToAuthenticate => false,
        "The authentication credentials of the Central System were rejected by the charge point.";
    SettingSystemTime => true, "The system time was set.";
    StartupOfTheDevice => true, "The charge point started (power-up).";
    ResetOrReboot => true, "The charge point was reset or rebooted.";
    SecurityLogWasCleared => true, "The security log was cleared.";
    ReconfigurationOfSecurityParameters => false,
        "Security parameters (SecurityProfile, AuthorizationKey) were changed.";
    MemoryExhaustion => true, "Flash or RAM is (almost) full.";
    InvalidMessages => false, "Messages that do not follow the OCPP specification were received.";
    AttemptedReplayAttacks => false, "A replay attack was detected.";
    TamperDetectionActivated => true, "The physical tamper detection sensor was triggered.";
    InvalidFirmwareSignature => false, "The firmware signature is not valid.";
    InvalidFirmwareSigningCertificate => false,
        "The certificate used to verify the firmware signature is not valid.";
    InvalidCentralSystemCertificate => false,
        "The certificate the Central System presented is not valid.";
    InvalidChargePointCertificate => false,
        "The charge point certificate received by CertificateSigned is not valid.";
    InvalidTLSVersion => false, "The TLS version the Central System offered is not allowed.";
    InvalidTLSCipherSuite => false,
        "None of the cipher suites the Central System offered is allowed.";
}

impl fmt::Display for SecurityEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name is not one of the whitepaper's security events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown security event {0:?}")]
pub struct UnknownSecurityEvent(pub String);

impl FromStr for SecurityEvent {
    type Err = UnknownSecurityEvent;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SecurityEvent::ALL
            .iter()
            .copied()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| UnknownSecurityEvent(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eighteen_events_and_the_whitepapers_critical_ones() {
        assert_eq!(SecurityEvent::ALL.len(), 18);
        let critical: Vec<&str> = SecurityEvent::ALL
            .iter()
            .filter(|e| e.is_critical())
            .map(|e| e.as_str())
            .collect();
        assert_eq!(
            critical,
            [
                "FirmwareUpdated",
                "SettingSystemTime",
                "StartupOfTheDevice",
                "ResetOrReboot",
                "SecurityLogWasCleared",
                "MemoryExhaustion",
                "TamperDetectionActivated"
            ]
        );
        for e in SecurityEvent::ALL {
            assert_eq!(e.as_str().parse::<SecurityEvent>(), Ok(*e));
            assert!(e.as_str().len() <= 50, "CiString50 on the wire");
        }
        assert!("Bogus".parse::<SecurityEvent>().is_err());
    }
}
