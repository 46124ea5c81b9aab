//! The `chargepoint` command line.

use chargepoint::commands::{self, CsmsOptions};
use chargepoint::runner::LogCapture;
use chargepoint::settings::{self, FileSettings, FlagSettings, Settings};
use chargepoint::{bench, demo};
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

#[derive(Parser)]
#[command(
    name = "chargepoint",
    version,
    about = "OCPP 1.6-J charge point with a simulated DC charger and a built-in Central System"
)]
struct Cli {
    /// Log filter, e.g. "info", "debug" (debug shows every OCPP frame) or "ocpp=debug"
    /// [default: info; for csms info,ocpp=debug (every frame as one line of JSON); warn for
    /// demo and bench, which print their own report].
    #[arg(long, global = true, env = "CHARGEPOINT_LOG")]
    log: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a station that connects to any OCPP 1.6-J Central System.
    Run(RunArgs),
    /// Start the built-in Central System and a simulated station and run one charging session.
    Demo(DemoArgs),
    /// Run the built-in Central System.
    Csms(CsmsArgs),
    /// Measure request round trips and a station's memory.
    Bench(BenchArgs),
    /// Write a test PKI (root CA, Central System certificate for localhost/127.0.0.1,
    /// charge point certificate) for the security profiles. Not for production.
    Pki(PkiArgs),
    /// Play the Central System for a station under test and send it schema-derived,
    /// mutated frames, judging every answer (exit status 1 on a violation or a dead station).
    Fuzz(FuzzArgs),
    /// Play the Central System for a station under test and run the OCA charge-point test
    /// cases (OCTT 1.6); writes report.json, report.html, junit.xml and a log per case
    /// (exit status 1 when a case failed).
    Conformance(ConformanceArgs),
    /// Run many simulated stations in one process, each its own charge point, to load-test
    /// a Central System.
    Fleet(FleetArgs),
    /// Work with fleet reports (`report merge` of a sharded fleet's --report files).
    Report(ReportArgs),
}

#[derive(clap::Args)]
struct FleetArgs {
    /// Central System URL, ws[s]://HOST:PORT/PATH; station N connects to PATH/<PREFIX>N.
    #[arg(long)]
    csms_url: String,
    /// How many stations [default with a fleet file of groups: their sum].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    count: Option<u32>,
    /// A station template (TOML: [simulator], [ocpp], [atg]) for every station, or a fleet
    /// file of [[group]] entries (count, template), e.g. examples/fleet/mixed.toml.
    #[arg(long)]
    template: Option<PathBuf>,
    /// Station ids are PREFIX00001, PREFIX00002, ...
    #[arg(long, default_value = "CP")]
    id_prefix: String,
    /// Durable state of every station in DIR/fleet.db [default: in memory].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Control API: GET /api/stations and each station's API under /api/stations/{id}/...
    #[arg(long)]
    control: Option<SocketAddr>,
    /// New connections per second while the fleet comes up.
    #[arg(long, default_value_t = chargepoint::fleet::DEFAULT_RAMP_PER_S)]
    ramp: f64,
    /// Automatic transaction generator: sessions arrive at random on every connector.
    #[arg(long)]
    atg: bool,
    /// Seed of the ATG's plan [default: random, printed].
    #[arg(long)]
    seed: Option<u64>,
    /// Run the K-th of S disjoint slices of the --count ids (K from 1), e.g. one per machine.
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(u32, u32)>,
    /// Write the answer times per action as JSON here at the end.
    #[arg(long)]
    report: Option<PathBuf>,
    /// ATG: mean minutes between two sessions' arrivals at a connector, for every template
    /// [default: the template's, else 30].
    #[arg(long)]
    atg_mean_arrival_min: Option<f64>,
}

#[derive(clap::Args)]
struct ConformanceArgs {
    /// Address to listen on; the station connects to ws://ADDR/<any path>/<ID> (wss on the
    /// same address).
    #[arg(long, required_unless_present = "list")]
    listen: Option<SocketAddr>,
    /// all, or a comma-separated list of case ids (TC_001,TC_046_1,...).
    #[arg(long, default_value = "all")]
    cases: String,
    /// TOML file with the station's answers to the lab's questions [default: the reference
    /// product of the OCA certificate].
    #[arg(long)]
    station_profile: Option<PathBuf>,
    /// control=http://HOST:PORT (a simulator's control API) or prompt (a person at the
    /// charger) [default: prompt on a terminal, else none].
    #[arg(long)]
    operator: Option<String>,
    /// Directory for the report.
    #[arg(long, default_value = "conformance-report")]
    report: PathBuf,
    /// Seconds to wait for the station's first connection.
    #[arg(long, default_value_t = 300)]
    connect_timeout: u64,
    /// List the cases and exit.
    #[arg(long)]
    list: bool,
}

#[derive(clap::Args)]
struct FuzzArgs {
    /// Address to listen on; the station connects to ws://ADDR/<any path>/<ID>.
    #[arg(long)]
    listen: SocketAddr,
    /// Frames to send.
    #[arg(long)]
    frames: u64,
    /// Seed of the frame sequence [default: random, printed in the report].
    #[arg(long)]
    seed: Option<u64>,
    /// Directory to write report.json to.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Directory with the official OCPP 1.6 JSON schemas [default: $OCPP_SCHEMA_DIR, else
    /// the Python `ocpp` package's v16/schemas].
    #[arg(long)]
    schemas: Option<PathBuf>,
    /// control=http://HOST:PORT: plug cables in through our simulator's control API.
    #[arg(long)]
    operator: Option<String>,
    /// Seconds an answer may take.
    #[arg(long, default_value_t = 30)]
    answer_timeout: u64,
    /// Seconds a disconnected station may take to come back before it counts as dead.
    #[arg(long, default_value_t = 60)]
    reconnect_timeout: u64,
    /// Seconds to wait for the station's first connection.
    #[arg(long, default_value_t = 300)]
    connect_timeout: u64,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Central System URL, ws[s]://HOST:PORT/PATH; the station connects to PATH/ID.
    #[arg(long)]
    csms_url: Option<String>,
    /// Charge point identity (1-48 letters, digits or - _ . :).
    #[arg(long)]
    id: Option<String>,
    /// Directory for the station's database [default: data/ID].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Serve the control API (HTTP + JSON) on this address, e.g. 127.0.0.1:8180.
    #[arg(long)]
    control: Option<SocketAddr>,
    /// TOML file with settings; flags override it. Security profiles 1-3 are set in its
    /// [security] table (profile, authorization_key, ca_file, client_cert, client_key).
    #[arg(long)]
    config: Option<PathBuf>,
    /// PEM file with a trusted root certificate for wss:// (overrides security.ca_file).
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// The wss://HOST:PORT/PATH URL for security profiles 2 and 3 when --csms-url is ws://
    /// (overrides security.tls_url); without it a raise to profile 2 or 3 over OCPP uses
    /// --csms-url with ws:// switched to wss://.
    #[arg(long)]
    csms_tls_url: Option<String>,
}

#[derive(clap::Args)]
struct DemoArgs {
    /// How much faster than real time the simulated clock runs.
    #[arg(long, default_value_t = 100.0, value_parser = positive)]
    speed: f64,
    /// Simulated minutes of charging.
    #[arg(long, default_value_t = 20.0, value_parser = positive)]
    minutes: f64,
    /// The card presented at the connector.
    #[arg(long, default_value = "DEMO-CARD-01")]
    id_tag: String,
}

#[derive(clap::Args)]
struct CsmsArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Heartbeat interval given to stations in BootNotification.conf, seconds.
    #[arg(long, default_value_t = 300)]
    heartbeat_interval: i32,
    /// Registration status answered to BootNotification: Accepted, Pending or Rejected.
    #[arg(long, default_value = "Accepted", value_parser = registration_status)]
    boot_status: ocpp::RegistrationStatus,
    /// Accept only these id tags (comma-separated); without it every card is accepted.
    #[arg(long, value_delimiter = ',')]
    id_tags: Option<Vec<String>>,
    /// Serve wss:// with this server certificate (PEM; needs --tls-key). Security profiles
    /// 2 and 3.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Verify client certificates against this CA (PEM); a station presenting one must have
    /// CN = its id: security profile 3. Required of every station unless --password is
    /// given too (then a station without a certificate must pass Basic auth: profile 2).
    /// Needs --tls-cert.
    #[arg(long, requires = "tls_cert")]
    client_ca: Option<PathBuf>,
    /// Also serve plain ws:// on this address (profiles 0 and 1) next to the wss:// of
    /// --listen: one Central System for every profile, e.g. for raising a station's
    /// SecurityProfile from 1 to 2 and 3 over OCPP. Needs --tls-cert.
    #[arg(long, requires = "tls_cert")]
    plain_listen: Option<SocketAddr>,
    /// Answer SignCertificate.req by signing the station's CSR with this CA certificate
    /// (PEM; needs --signing-ca-key) and sending it in CertificateSigned.req. Without it
    /// SignCertificate is Rejected.
    #[arg(long, requires = "signing_ca_key")]
    signing_ca: Option<PathBuf>,
    /// The private key (PEM) of --signing-ca.
    #[arg(long, requires = "signing_ca")]
    signing_ca_key: Option<PathBuf>,
    /// HTTP Basic auth (profiles 1 and 2): station ID's password as hex bytes, ID=HEX.
    /// Repeat for more stations; once given, stations without a valid password get HTTP 401.
    #[arg(long = "password", value_name = "ID=HEX", value_parser = id_password)]
    passwords: Vec<(String, Vec<u8>)>,
    /// Serve the Central System panel on this address, e.g. 127.0.0.1:9080: the stations,
    /// their transactions and frames live, and a form to send them any request.
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// Directory of the official OCPP 1.6 JSON schemas the panel's forms are built from
    /// [default: $OCPP_SCHEMA_DIR, else the Python `ocpp` package's v16/schemas].
    #[arg(long, value_name = "DIR", requires = "http")]
    schemas: Option<PathBuf>,
}

#[derive(clap::Args)]
struct PkiArgs {
    /// Directory to write ca.pem, ca-key.pem, csms.pem, csms-key.pem, cp.pem, cp-key.pem.
    #[arg(long)]
    out: PathBuf,
    /// The charge point identity (the CN of cp.pem).
    #[arg(long, default_value = "CP001")]
    id: String,
    /// Days the certificates are valid.
    #[arg(long, default_value_t = 365)]
    days: u32,
}

fn id_password(s: &str) -> Result<(String, Vec<u8>), String> {
    let (id, hex) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected ID=HEX"))?;
    let bytes = settings::decode_hex(hex)
        .ok_or_else(|| format!("{s:?}: the password must be hex digits (two per byte)"))?;
    Ok((id.to_owned(), bytes))
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
struct BenchArgs {
    /// Requests to time.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    #[command(subcommand)]
    what: Option<BenchWhat>,
}

#[derive(Subcommand)]
enum BenchWhat {
    /// A fleet against the built-in Central System, each its own process on loopback
    /// (heartbeat 60 s, ATG on): boot time, memory and CPU of both, answer times.
    Fleet(BenchFleetArgs),
}

#[derive(clap::Args)]
struct BenchFleetArgs {
    /// How many stations.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    count: u32,
    /// New connections per second while the fleet comes up.
    #[arg(long, default_value_t = chargepoint::fleet::DEFAULT_RAMP_PER_S, value_parser = positive)]
    ramp: f64,
    /// Seconds of steady state measured after every station booted.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// ATG: mean minutes between two sessions' arrivals at a connector.
    #[arg(long, default_value_t = 30.0, value_parser = positive)]
    atg_mean_arrival_min: f64,
    /// Durable stores in DIR/fleet.db [default: in memory].
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ReportArgs {
    #[command(subcommand)]
    what: ReportWhat,
}

#[derive(Subcommand)]
enum ReportWhat {
    /// Merge the --report files of a sharded fleet's processes into the report of the
    /// whole: counts add up, percentiles are taken again over all answer times.
    Merge {
        /// The shards' report files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write the merged report here (JSON) besides printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a positive number")),
    }
}

async fn conformance(args: ConformanceArgs) -> anyhow::Result<()> {
    if args.list {
        for case in conformance::cases::all() {
            println!(
                "{:<9} {:<26} {}",
                case.id,
                case.profile.as_str(),
                case.title
            );
        }
        return Ok(());
    }
    let Some(listen) = args.listen else {
        anyhow::bail!("--listen is required");
    };
    let profile = match &args.station_profile {
        Some(path) => conformance::StationProfile::load(path)?,
        None => conformance::StationProfile::default(),
    };
    let operator = match args.operator.as_deref() {
        Some(spec) => conformance::Operator::parse(spec)?,
        None if std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
            conformance::Operator::parse("prompt")?
        }
        None => conformance::Operator::Absent,
    };
    let cases = (args.cases != "all").then(|| args.cases.split(',').map(str::to_owned).collect());
    let cfg = conformance::Config {
        listen,
        cases,
        profile,
        operator,
        report_dir: args.report.clone(),
        connect_timeout: std::time::Duration::from_secs(args.connect_timeout),
    };
    let report = conformance::run(cfg, &mut |line| println!("{line}")).await?;
    println!("{}", report.summary_line());
    println!("report: {}", args.report.join("report.html").display());
    if report.summary.failed > 0 {
        return Err(StationFailed("conformance tests").into());
    }
    Ok(())
}

/// `K/S` with 1 <= K <= S.
fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{s:?}: expected K/S with 1 <= K <= S, e.g. 2/4");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n) = (
        k.parse::<u32>().map_err(|_| bad())?,
        n.parse::<u32>().map_err(|_| bad())?,
    );
    if k == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

fn registration_status(s: &str) -> Result<ocpp::RegistrationStatus, String> {
    ocpp::RegistrationStatus::from_str(s)
        .map_err(|_| format!("{s:?}: expected Accepted, Pending or Rejected"))
}

/// `fuzz` or `conformance` judged the station: it failed (exit status 1; 2 is for usage
/// errors). Holds what failed.
#[derive(Debug)]
struct StationFailed(&'static str);

impl std::fmt::Display for StationFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the station failed the {} (see the report)", self.0)
    }
}

impl std::error::Error for StationFailed {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_log = match cli.command {
        Command::Demo(_)
        | Command::Bench(_)
        | Command::Conformance(_)
        | Command::Fleet(_)
        | Command::Report(_) => "warn",
        // A Central System is watched for its traffic: every frame, one line of JSON each.
        Command::Csms(_) => "info,ocpp=debug",
        _ => "info",
    };
    let log = cli.log.as_deref().unwrap_or(default_log);
    let filter = match tracing_subscriber::EnvFilter::try_new(log) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: --log {log:?}: {e}");
            return ExitCode::from(2);
        }
    };
    // The log goes to stderr as filtered; the newest lines at info and above are also kept
    // in memory for GetLog DiagnosticsLog and GetDiagnostics.
    let capture = LogCapture::default();
    {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        use tracing_subscriber::Layer;
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    // Colours only on a terminal: a log file stays plain text.
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_filter(filter),
            )
            .with(
                capture
                    .clone()
                    .with_filter(tracing_subscriber::filter::LevelFilter::INFO),
            )
            .init();
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command, capture)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<StationFailed>() => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn dispatch(command: Command, capture: LogCapture) -> anyhow::Result<()> {
    match command {
        Command::Run(args) => {
            let file = match &args.config {
                Some(path) => settings::load_file(path).map_err(anyhow::Error::msg)?,
                None => FileSettings::default(),
            };
            let flags = FlagSettings {
                id: args.id,
                csms_url: args.csms_url,
                data_dir: args.data_dir,
                control: args.control,
                ca_file: args.ca_file,
                tls_url: args.csms_tls_url,
            };
            let mut settings = Settings::resolve(file, flags).map_err(anyhow::Error::msg)?;
            settings.run.log_capture = Some(capture);
            commands::run_station(settings).await
        }
        Command::Demo(args) => {
            let opts = demo::DemoOptions {
                speed: args.speed,
                minutes: args.minutes,
                id_tag: args.id_tag,
            };
            demo::run(opts).await.map(|_| ())
        }
        Command::Csms(args) => {
            commands::run_csms(CsmsOptions {
                listen: args.listen,
                heartbeat_interval: args.heartbeat_interval,
                boot_status: args.boot_status,
                id_tags: args.id_tags,
                tls_cert: args.tls_cert,
                tls_key: args.tls_key,
                client_ca: args.client_ca,
                plain_listen: args.plain_listen,
                signing_ca: args.signing_ca,
                signing_ca_key: args.signing_ca_key,
                passwords: args.passwords,
                http: args.http,
                schemas: args.schemas,
            })
            .await
        }
        Command::Pki(args) => commands::write_pki(&args.out, &args.id, args.days),
        Command::Bench(BenchArgs {
            what: Some(BenchWhat::Fleet(args)),
            ..
        }) => {
            let opts = chargepoint::bench_fleet::FleetBenchOptions {
                count: args.count,
                ramp: args.ramp,
                seconds: args.seconds,
                atg_mean_arrival_min: args.atg_mean_arrival_min,
                data_dir: args.data_dir,
            };
            let bench = chargepoint::bench_fleet::measure(&opts).await?;
            print!("{}", bench.text());
            Ok(())
        }
        Command::Bench(args) => bench::run(args.requests).await,
        Command::Report(ReportArgs {
            what: ReportWhat::Merge { files, out },
        }) => {
            use chargepoint::fleet::report::FleetReport;
            let reports = files
                .iter()
                .map(|f| FleetReport::read(f))
                .collect::<Result<Vec<_>, _>>()
                .map_err(anyhow::Error::msg)?;
            let merged = FleetReport::merge(&reports).expect("at least one file");
            println!(
                "{} stations ({}..{}) in {} reports",
                merged.stations,
                merged.first,
                merged.last,
                reports.len()
            );
            print!("{}", chargepoint::runner::answer_table(&merged.actions));
            if let Some(out) = out {
                merged.write(&out).map_err(anyhow::Error::msg)?;
            }
            Ok(())
        }
        Command::Fuzz(args) => {
            let mut cfg = wirefuzz::FuzzConfig::new(args.listen, args.frames);
            cfg.seed = args.seed.unwrap_or_else(rand::random::<u64>);
            cfg.schemas = args.schemas;
            cfg.operator = args.operator;
            cfg.answer_timeout = std::time::Duration::from_secs(args.answer_timeout);
            cfg.reconnect_timeout = std::time::Duration::from_secs(args.reconnect_timeout);
            cfg.connect_timeout = std::time::Duration::from_secs(args.connect_timeout);
            cfg.progress = true;
            if !commands::run_fuzz(cfg, args.report.as_deref()).await? {
                return Err(StationFailed("fuzz run").into());
            }
            Ok(())
        }
        Command::Conformance(args) => conformance(args).await,
        Command::Fleet(args) => {
            let groups = match &args.template {
                Some(path) => {
                    chargepoint::fleet::template::load(path).map_err(anyhow::Error::msg)?
                }
                None => Default::default(),
            };
            let count = match (args.count, groups.count()) {
                (Some(n), Some(total)) if n != total => {
                    anyhow::bail!("--count {n}: the groups of --template hold {total} stations")
                }
                (Some(n), _) | (None, Some(n)) => n,
                (None, None) => {
                    anyhow::bail!("--count is required (or a --template file of groups)")
                }
            };
            let mut opts = chargepoint::fleet::FleetOptions::new(args.csms_url, count);
            opts.groups = groups;
            opts.id_prefix = args.id_prefix;
            opts.data_dir = args.data_dir;
            opts.ramp_per_s = args.ramp;
            opts.shard = args.shard;
            if args.atg {
                if let Some(minutes) = args.atg_mean_arrival_min {
                    if !(minutes.is_finite() && minutes > 0.0) {
                        anyhow::bail!(
                            "--atg-mean-arrival-min {minutes}: must be a positive number of minutes"
                        );
                    }
                    opts.groups.set_mean_arrival_min(minutes);
                }
                let seed = args.seed.unwrap_or_else(rand::random::<u64>);
                println!("fleet: ATG seed {seed}");
                opts.atg = Some(chargepoint::fleet::atg::AtgConfig {
                    seed,
                    ..Default::default()
                });
            }
            chargepoint::fleet::run(opts, args.control, args.report).await
        }
    }
}
