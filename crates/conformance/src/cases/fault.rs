//! OCTT module 17: Fault Behavior.

use super::{always, case, Case};
use crate::operator::Step;
use crate::tester::{fail, Outcome, Tester};

pub fn cases() -> Vec<Case> {
    vec![case!("TC_041", "Fault Behavior", Core, always, tc_041)]
}

const CONNECTOR: u32 = 1;

/// The fault the case causes: the earth-leakage protection trips.
const FAULT: &str = "GroundFailure";

/// TC_041: a hardware fault on an idle connector: StatusNotification Faulted with its
/// errorCode; once it is gone, Available with NoError again.
async fn tc_041(t: &mut Tester<'_>) -> Outcome {
    t.act(Step::Fault(CONNECTOR, FAULT.into(), true)).await?;
    let result = async {
        let faulted = t.expect_status(CONNECTOR, "Faulted").await?;
        if faulted["errorCode"] != FAULT {
            return fail(format!(
                "Faulted: expected errorCode {FAULT}, got {faulted}"
            ));
        }
        Ok(())
    }
    .await;
    t.act(Step::Fault(CONNECTOR, FAULT.into(), false)).await?;
    result?;
    let available = t.expect_status(CONNECTOR, "Available").await?;
    if available["errorCode"] != "NoError" {
        return fail(format!(
            "Available after the fault: expected errorCode NoError, got {available}"
        ));
    }
    Ok(())
}
