//! `chargepoint run` and `chargepoint csms`: long-running until a signal asks them to stop;
//! `chargepoint fuzz`: until its frames are sent.

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
    run.meters = Some(crate::runner::MeterRegisters::File(
        settings.data_dir.join("meters.json"),
    ));
    // The web panel of the control address shows the frames from the BootNotification on.
    run.keep_frames = settings.control.is_some();
    let handle = StationHandle::start(run, sim, Box::new(store), clock)?;
    if let Some(addr) = settings.control {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen for the control API on {addr}"))?;
        let addr = listener.local_addr()?;
        tracing::info!("control API on http://{addr}; web panel at http://{addr}/");
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
    pub tls_cert: Option<std::path::PathBuf>,
    pub tls_key: Option<std::path::PathBuf>,
    pub client_ca: Option<std::path::PathBuf>,
    /// A plain ws:// listener next to the TLS one.
    pub plain_listen: Option<SocketAddr>,
    /// The CA (certificate, key) that signs the CSRs of SignCertificate.req.
    pub signing_ca: Option<std::path::PathBuf>,
    pub signing_ca_key: Option<std::path::PathBuf>,
    pub passwords: Vec<(String, Vec<u8>)>,
    /// Serve the Central System panel (a web page) on this address.
    pub http: Option<SocketAddr>,
    /// The official OCPP JSON schemas for the panel's forms [default: OCPP_SCHEMA_DIR, else
    /// the Python `ocpp` package's].
    pub schemas: Option<std::path::PathBuf>,
}

fn read(path: &std::path::Path, flag: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("{flag} {}", path.display()))
}

/// `chargepoint pki`: write the test PKI.
pub fn write_pki(out: &std::path::Path, id: &str, days: u32) -> anyhow::Result<()> {
    let pki = certs::pki::TestPki::generate(id, days).context("cannot generate the test PKI")?;
    let files = pki
        .write(out)
        .with_context(|| format!("cannot write to {}", out.display()))?;
    for f in files {
        println!("{}", f.display());
    }
    Ok(())
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
        tls: match (&opts.tls_cert, &opts.tls_key) {
            (Some(cert), Some(key)) => Some(net::TlsServerConfig {
                client_ca_pem: opts
                    .client_ca
                    .as_deref()
                    .map(|p| read(p, "--client-ca"))
                    .transpose()?,
                ..net::TlsServerConfig::new(read(cert, "--tls-cert")?, read(key, "--tls-key")?)
            }),
            _ => None,
        },
        plain_listen: opts.plain_listen,
        passwords: (!opts.passwords.is_empty()).then(|| opts.passwords.iter().cloned().collect()),
        signing_ca: match (&opts.signing_ca, &opts.signing_ca_key) {
            (Some(cert), Some(key)) => {
                Some((read(cert, "--signing-ca")?, read(key, "--signing-ca-key")?))
            }
            _ => None,
        },
        ..CsmsConfig::default()
    };
    let csms = CentralSystem::start(cfg)
        .await
        .with_context(|| match opts.plain_listen {
            Some(plain) => format!("cannot listen on {} and {plain}", opts.listen),
            None => format!("cannot listen on {}", opts.listen),
        })?;
    println!(
        "Central System listening; charge points connect to {}/{{id}}",
        csms.base_url()
    );
    if let Some(plain) = csms.plain_base_url() {
        println!("and, with security profile 0 or 1, to {plain}/{{id}}");
    }
    if let Some(addr) = opts.http {
        let check = crate::csms_panel::RequestCheck::find(opts.schemas.as_deref());
        let at = crate::csms_panel::start(addr, csms.clone(), check)
            .await
            .with_context(|| format!("cannot serve the panel on {addr}"))?;
        println!("Central System panel at http://{at}/");
    }
    wait_for_signal().await;
    csms.shutdown().await;
    Ok(())
}

/// `chargepoint fuzz`: run the wire fuzzer, print its summary, write `report.json` into
/// `report_dir`. True when the station passed.
pub async fn run_fuzz(
    cfg: wirefuzz::FuzzConfig,
    report_dir: Option<&std::path::Path>,
) -> anyhow::Result<bool> {
    let frames = cfg.frames;
    let fuzzer = wirefuzz::Fuzzer::bind(cfg).await?;
    println!(
        "fuzz: listening; the station connects to ws://{}/<any path>/<ID> ({frames} frames)",
        fuzzer.local_addr()
    );
    let report = fuzzer.run().await?;
    print!("{}", report.summary());
    if let Some(dir) = report_dir {
        let path = report.write(dir)?;
        println!("report: {}", path.display());
    }
    Ok(report.passed)
}

pub async fn wait_for_signal() {
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
