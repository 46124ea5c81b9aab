//! `chargepoint run` and `chargepoint csms`: long-running until a signal asks them to stop.

use crate::clock::ScaledClock;
use crate::runner::StationHandle;
use crate::settings::Settings;
use anyhow::Context;
use csms::{AuthorizePolicy, CentralSystem, CsmsConfig};
use hal::sim::SimCharger;
use std::net::SocketAddr;

/// Run a station until SIGINT or SIGTERM.
pub async fn run_station(settings: Settings) -> anyhow::Result<()> {
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("cannot create data dir {}", settings.data_dir.display()))?;
    let db = settings.data_dir.join("station.db");
    let store = store::SqliteStore::open(&db)?;
    let clock = ScaledClock::system();
    let sim = SimCharger::new(settings.simulator.clone(), chrono::Utc::now());
    tracing::info!(
        "station {} starting, data in {}, Central System {}",
        settings.run.id,
        db.display(),
        settings.run.station_url()
    );
    let mut run = settings.run;
    run.meter_file = Some(settings.data_dir.join("meters.json"));
    let handle = StationHandle::start(run, sim, Box::new(store), clock)?;
    if let Some(addr) = settings.control {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen for the control API on {addr}"))?;
        tracing::info!("control API on http://{}", listener.local_addr()?);
        let commander = handle.commander();
        tokio::spawn(async move {
            if let Err(e) = crate::control::serve(listener, commander).await {
                tracing::error!("control API stopped: {e}");
            }
        });
    }
    wait_for_signal().await;
    tracing::info!("stopping");
    handle.shutdown().await;
    Ok(())
}

pub struct CsmsOptions {
    pub listen: SocketAddr,
    pub heartbeat_interval: i32,
    pub boot_status: ocpp::RegistrationStatus,
    pub id_tags: Option<Vec<String>>,
}

/// Run the built-in Central System until SIGINT or SIGTERM.
pub async fn run_csms(opts: CsmsOptions) -> anyhow::Result<()> {
    let cfg = CsmsConfig {
        listen: opts.listen,
        heartbeat_interval: opts.heartbeat_interval,
        boot_status: opts.boot_status,
        authorize: match opts.id_tags {
            Some(tags) => AuthorizePolicy::List(tags),
            None => AuthorizePolicy::AcceptAll,
        },
        ..CsmsConfig::default()
    };
    let csms = CentralSystem::start(cfg)
        .await
        .with_context(|| format!("cannot listen on {}", opts.listen))?;
    println!(
        "Central System listening; charge points connect to {}/{{id}}",
        csms.base_url()
    );
    wait_for_signal().await;
    csms.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
