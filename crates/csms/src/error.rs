/// What can go wrong when the Central System talks to a station.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CsmsError {
    #[error("station {0:?} is not connected")]
    NotConnected(String),
    #[error("timed out waiting for the station")]
    Timeout,
    #[error("station answered with CALLERROR {}: {}", .0.error_code.as_str(), .0.error_description)]
    CallError(ocpp::CallError),
    #[error("could not decode the station's answer: {0}")]
    Decode(String),
    #[error("the connection closed before the station answered")]
    Closed,
}
