//! A station for a charger and the run options: at the first start, and again after each
//! Reset or firmware installation (from the same store).

use super::core::Core;
use super::simulation::Simulation;
use super::RunOptions;
use crate::clock::Clock;
use hal::Charger;
use station::{Input, StationConfig};
use std::sync::Arc;

/// A station for `charger` on `store`; `restarts` makes message ids differ across restarts.
/// It learns the hardware's present state (an EV plugged in, an active fault) at once, as
/// a real charger's inputs would show it at power-up.
pub(crate) fn build_station<C: Charger>(
    opts: &RunOptions,
    charger: &C,
    sim: &dyn Simulation<C>,
    store: Box<dyn store::Store>,
    clock: Arc<dyn Clock>,
    restarts: u64,
) -> Result<Core, station::StationError> {
    let now = clock.now();
    let mut cfg = StationConfig::new(charger.info(), charger.connector_count());
    cfg.identity = opts.id.clone();
    cfg.call_timeout = opts.call_timeout;
    cfg.initial_keys = initial_keys(opts, &charger.info());
    // Provisioned at first start; what was installed over OCPP since stays.
    cfg.central_system_roots = opts.ca_pem.clone();
    cfg.charge_point_certificate = opts.client_cert.clone().zip(opts.client_key.clone());
    cfg.cable_lock = charger.has_cable_lock();
    cfg.reserve_connector_zero = opts.reserve_connector_zero;
    cfg.data_transfer = opts.data_transfer.clone();
    sim.configure(charger, &mut cfg);
    cfg.message_id_seed =
        (now.timestamp_millis() as u64 % 1_000_000) * 1000 + restarts.wrapping_mul(1_000_000_000);
    let mut core = Core::start(cfg, store, clock)?;
    for event in sim.present_state(charger) {
        core.handle(Input::Hardware(event), now);
    }
    Ok(core)
}

/// The configured keys plus SecurityProfile, AuthorizationKey (hex) and CpoName (by default
/// the charger's vendor) from the settings, unless the keys name them already. The station
/// loads these first; values changed over OCPP and stored win over both.
fn initial_keys(opts: &RunOptions, info: &hal::ChargerInfo) -> Vec<(String, String)> {
    let mut keys = opts.initial_keys.clone();
    let has = |keys: &[(String, String)], name: &str| {
        keys.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    if !has(&keys, "SecurityProfile") {
        keys.push(("SecurityProfile".into(), opts.security_profile.to_string()));
    }
    if let Some(key) = &opts.authorization_key {
        if !has(&keys, "AuthorizationKey") {
            keys.push(("AuthorizationKey".into(), hex(key)));
        }
    }
    if !has(&keys, "CpoName") {
        let name = opts.cpo_name.as_deref().unwrap_or(&info.vendor);
        keys.push(("CpoName".into(), name.to_string()));
    }
    keys
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A station on a plain two-connector charger and a memory store, for the runner's tests.
#[cfg(test)]
pub(crate) fn test_station(opts: &RunOptions) -> Core {
    use super::simulation::NoSimulation;
    use super::test_charger::TestCharger;

    let store = Box::new(store::MemoryStore::new());
    let clock: Arc<dyn Clock> = crate::clock::ScaledClock::system();
    build_station(opts, &TestCharger::new(2), &NoSimulation, store, clock, 0).expect("a station")
}

/// A CA's root certificate (PEM), for the runner's tests.
#[cfg(test)]
pub(crate) fn test_root() -> String {
    let ca = certs::pki::Authority::new("root", certs::pki::Validity::days(30));
    ca.expect("a test CA").root.cert_pem
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::test_charger::TestCharger;

    #[test]
    fn the_security_settings_become_initial_keys_unless_given() {
        let mut opts = RunOptions::new("CP1", "ws://h:1/ocpp");
        opts.security_profile = 2;
        opts.authorization_key = Some(vec![0x00, 0xab, 0x10]);
        let info = TestCharger::new(1).info();
        let keys = initial_keys(&opts, &info);
        assert!(keys.contains(&("SecurityProfile".into(), "2".into())));
        assert!(keys.contains(&("AuthorizationKey".into(), "00ab10".into())));

        opts.initial_keys = vec![("securityprofile".into(), "1".into())];
        let keys = initial_keys(&opts, &info);
        assert_eq!(
            keys.iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("SecurityProfile"))
                .count(),
            1
        );
        assert!(keys.contains(&("securityprofile".into(), "1".into())));
    }

    #[test]
    fn cpo_name_defaults_to_the_vendor_and_the_setting_or_key_wins() {
        let mut opts = RunOptions::new("CP1", "ws://h:1/ocpp");
        let info = TestCharger::new(1).info();
        let cpo = |keys: Vec<(String, String)>| {
            let found = keys
                .into_iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("CpoName"));
            found.map(|(_, v)| v).collect::<Vec<_>>()
        };
        assert_eq!(cpo(initial_keys(&opts, &info)), ["Test"]);
        opts.cpo_name = Some("Acme CPO".into());
        assert_eq!(cpo(initial_keys(&opts, &info)), ["Acme CPO"]);
        opts.initial_keys = vec![("cponame".into(), "From keys".into())];
        assert_eq!(cpo(initial_keys(&opts, &info)), ["From keys"]);
        // A fresh station has one, so it can make a CSR at once.
        let core = test_station(&RunOptions::new("CP1", "ws://h:1/ocpp"));
        let (_, value) = core.station().config().get("CpoName").expect("the key");
        assert_eq!(value, "Test");
    }

    #[test]
    fn reserve_connector_zero_is_a_setting_the_key_reports() {
        let key = |opts: &RunOptions| {
            let core = test_station(opts);
            let (_, value) = core
                .station()
                .config()
                .get("ReserveConnectorZeroSupported")
                .expect("the key");
            value.to_string()
        };
        let mut opts = RunOptions::new("CP1", "ws://h:1/ocpp");
        assert_eq!(key(&opts), "true");
        opts.reserve_connector_zero = false;
        assert_eq!(key(&opts), "false");
    }

    #[test]
    fn the_station_is_provisioned_with_the_settings() {
        let mut opts = RunOptions::new("CP1", "ws://h:1/ocpp");
        opts.security_profile = 1;
        opts.authorization_key = Some(b"0123456789abcdef".to_vec());
        opts.ca_pem = vec![test_root()];
        let core = test_station(&opts);
        assert_eq!(core.station().security_profile(), 1);
        assert_eq!(core.station().tls_roots(), opts.ca_pem);
    }
}
