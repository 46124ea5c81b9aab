//! The OCA charge-point test cases (OCTT 1.6, `_CS`), one file per OCTT module. Each case
//! sets its own preconditions over OCPP and leaves the station as it found it (the suite
//! restores changed configuration keys and ends what is left running), so cases run in any
//! order and alone.

use std::future::Future;
use std::pin::Pin;

use crate::profile::{Profile, StationProfile};
use crate::tester::{Outcome, Tester};

mod boot;
mod cache;
mod configuration;
mod data_transfer;
mod diagnostics;
mod fault;
mod firmware;
mod local_list;
mod meter_values;
mod non_happy;
mod offline;
mod power;
mod remote;
mod reservation;
mod reset;
mod security;
mod sessions;
mod smart_charging;
mod trigger;
mod unlock;

/// A case's steps.
pub type Run = for<'a, 'b> fn(&'a mut Tester<'b>) -> Pin<Box<dyn Future<Output = Outcome> + 'a>>;

/// Whether a case applies to a station; `Err` says why not.
pub type Applies = fn(&StationProfile) -> Result<(), String>;

pub struct Case {
    /// The OCTT id without the `_CS` suffix, e.g. `TC_046_1`.
    pub id: &'static str,
    pub title: &'static str,
    pub profile: Profile,
    pub applies: Applies,
    pub run: Run,
}

impl Case {
    /// Whether the case applies: its profile is implemented, and its own condition.
    pub fn applicable(&self, station: &StationProfile) -> Result<(), String> {
        if !station.has(self.profile) {
            return Err(format!(
                "the station does not implement the {} profile",
                self.profile.as_str()
            ));
        }
        (self.applies)(station)
    }
}

/// Every case applies (within its profile).
pub fn always(_: &StationProfile) -> Result<(), String> {
    Ok(())
}

/// `Case { .. }` from an `async fn(&mut Tester) -> Outcome`.
macro_rules! case {
    ($id:literal, $title:literal, $profile:ident, $applies:expr, $run:path) => {
        $crate::cases::Case {
            id: $id,
            title: $title,
            profile: $crate::profile::Profile::$profile,
            applies: $applies,
            run: |t| Box::pin($run(t)),
        }
    };
}
pub(crate) use case;

/// All cases, in the order of the OCTT modules.
pub fn all() -> Vec<Case> {
    [
        boot::cases(),
        sessions::cases(),
        cache::cases(),
        remote::cases(),
        reset::cases(),
        unlock::cases(),
        configuration::cases(),
        meter_values::cases(),
        non_happy::cases(),
        power::cases(),
        offline::cases(),
        fault::cases(),
        local_list::cases(),
        firmware::cases(),
        diagnostics::cases(),
        reservation::cases(),
        trigger::cases(),
        smart_charging::cases(),
        data_transfer::cases(),
        security::cases(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
