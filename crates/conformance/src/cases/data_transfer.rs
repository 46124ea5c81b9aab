//! OCTT module 24: Data Transfer.

use serde_json::json;

use super::{always, case, Case};
use crate::tester::{fail, Outcome, Tester};

pub fn cases() -> Vec<Case> {
    vec![case!(
        "TC_062",
        "Data Transfer to a Charge Point",
        Core,
        always,
        tc_062
    )]
}

/// TC_062: DataTransfer.req with a vendorId the station has no extension for: Rejected or
/// UnknownVendorId.
async fn tc_062(t: &mut Tester<'_>) -> Outcome {
    let answer = t
        .call(
            "DataTransfer",
            json!({
                "vendorId": "org.openchargealliance.conformance",
                "messageId": "Test",
                "data": "conformance"
            }),
        )
        .await?;
    match answer["status"].as_str() {
        Some("Rejected" | "UnknownVendorId") => Ok(()),
        _ => fail(format!(
            "DataTransfer for an unknown vendor: expected Rejected or UnknownVendorId, got {answer}"
        )),
    }
}
