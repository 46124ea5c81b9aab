//! OCTT modules 10 and 11 (Basic Actions, non-happy flow): a local and a remote start with
//! an idTag the Central System answers Invalid. (TC_024, the lock failure of module 11, is
//! with the unlock cases.)

use serde_json::json;

use super::sessions::{clear_cache, configure_if_known, expect_all, want, CONNECTOR, QUIET};
use super::{always, case, Case};
use crate::operator::Step;
use crate::tester::{fail, Outcome, Tester, INVALID_TAG};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_023_4",
            "Start local Charging Session - Authorize invalid",
            Core,
            always,
            tc_023_4
        ),
        case!(
            "TC_023_5",
            "Start remote Charging Session - Authorize invalid",
            Core,
            always,
            tc_023_5
        ),
    ]
}

/// An Authorize.req for `tag` (the Central System answers it Invalid).
fn authorize_of(tag: &'static str) -> super::sessions::Want {
    want("Authorize", format!("idTag {tag}"), move |p| {
        p["idTag"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(tag))
    })
}

/// TC_023_4: the driver presents a card the Central System answers Invalid (Authorize.req),
/// then plugs in: Preparing, and no transaction starts.
async fn tc_023_4(t: &mut Tester<'_>) -> Outcome {
    // The card is to be authorized with the Central System, not from the cache.
    clear_cache(t).await?;
    configure_if_known(t, "LocalPreAuthorize", "true").await?;
    t.act(Step::PresentCard(CONNECTOR, INVALID_TAG.into()))
        .await?;
    expect_all(t, vec![authorize_of(INVALID_TAG)]).await?;
    t.act(Step::Plug(CONNECTOR)).await?;
    t.expect_status(CONNECTOR, "Preparing").await?;
    t.expect_none(
        QUIET,
        "StartTransaction",
        "after an Invalid Authorize",
        |p| p["connectorId"] == CONNECTOR,
    )
    .await?;
    t.act(Step::Unplug(CONNECTOR)).await?;
    t.expect_status(CONNECTOR, "Available").await?;
    Ok(())
}

/// TC_023_5: AuthorizeRemoteTxRequests true; RemoteStartTransaction for an idTag the
/// Central System answers Invalid: Accepted, the station authorizes it first (Authorize.req,
/// Invalid) and starts no transaction.
async fn tc_023_5(t: &mut Tester<'_>) -> Outcome {
    clear_cache(t).await?;
    if !t
        .read_key("AuthorizeRemoteTxRequests")
        .await?
        .eq_ignore_ascii_case("true")
    {
        t.configure("AuthorizeRemoteTxRequests", "true").await?;
    }
    t.call_status(
        "RemoteStartTransaction",
        json!({ "connectorId": CONNECTOR, "idTag": INVALID_TAG }),
        "Accepted",
    )
    .await?;
    expect_all(t, vec![authorize_of(INVALID_TAG)]).await?;
    t.act(Step::Plug(CONNECTOR)).await?;
    t.expect_none(
        QUIET,
        "StartTransaction",
        "after an Invalid Authorize of a remote start",
        |p| p["connectorId"] == CONNECTOR,
    )
    .await?;
    if t.open_transaction(CONNECTOR).await.is_ok() {
        return fail("a transaction runs after the Invalid Authorize");
    }
    t.act(Step::Unplug(CONNECTOR)).await?;
    t.expect_status(CONNECTOR, "Available").await?;
    Ok(())
}
