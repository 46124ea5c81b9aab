//! ftp and ftps through suppaftp (tokio, async-native-tls, i.e. the station's OpenSSL).
//!
//! ftps is explicit FTPS: connect in plain to port 21 (default), `AUTH TLS`, then `PBSZ 0` and
//! `PROT P` so the data connections are encrypted too. If the server refuses TLS the transfer
//! fails; it never continues in plain. Passive mode (`PASV`, or `EPSV` over IPv6) with the data
//! address taken from the control connection's peer (servers behind NAT often announce a
//! private address). Binary transfer type. Credentials from the URL, `anonymous` otherwise.
//! Paths follow RFC 1738: one `CWD` per directory segment relative to the login directory
//! (`%2F` for an absolute first segment), then `RETR`/`STOR` of the bare file name.

use crate::error::chain;
use crate::file::{self, Meter, PartFile, CHUNK};
use crate::http::secs;
use crate::location::{Location, Scheme};
use crate::{TransferConfig, TransferError};
use std::future::Future;
use std::path::Path;
use std::time::Duration;
use suppaftp::async_native_tls::TlsConnector;
use suppaftp::tokio::{AsyncNativeTlsConnector, AsyncNativeTlsFtpStream};
use suppaftp::types::FileType;
use suppaftp::{FtpError, Mode, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Ftp = AsyncNativeTlsFtpStream;

pub(crate) async fn download(
    loc: &Location,
    dest: &Path,
    cfg: &TransferConfig,
    meter: &mut Meter<'_>,
) -> Result<u64, TransferError> {
    let mut segments = loc.segments();
    let name = segments.pop().filter(|_| !loc.url.path().ends_with('/'));
    let Some(name) = name else {
        return Err(TransferError::BadUrl(format!(
            "{} names no file",
            loc.display()
        )));
    };
    let mut ftp = open(loc, cfg).await?;
    change_dirs(&mut ftp, &segments, loc, cfg).await?;
    // SIZE is optional (RFC 3659): without it progress has no total.
    if let Ok(Ok(size)) = timeout(cfg, ftp.size(&name)).await {
        meter.set_total(Some(size as u64));
    }
    let mut stream = step(cfg, loc, Op::Retr, ftp.retr_as_stream(&name)).await?;
    let mut part = PartFile::create(dest).await?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match timeout(cfg, stream.read(&mut buf)).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(lost(loc, &e)),
            Err(_) => return Err(idle(loc, cfg)),
        };
        if n == 0 {
            break;
        }
        part.write(&buf[..n]).await?;
        meter.add(n as u64);
    }
    // The server's 226 confirms the whole file was sent; some servers (libunftp) accept RETR
    // with 150 and only then report a missing file with 550.
    step(cfg, loc, Op::Retr, stream.finish()).await?;
    part.commit().await?;
    quit(ftp).await;
    Ok(meter.finish())
}

pub(crate) async fn upload(
    loc: &Location,
    src: &Path,
    file_name: &str,
    cfg: &TransferConfig,
    meter: &mut Meter<'_>,
) -> Result<u64, TransferError> {
    let (mut file, len) = file::open_source(src).await?;
    meter.set_total(Some(len));
    let mut ftp = open(loc, cfg).await?;
    change_dirs(&mut ftp, &loc.segments(), loc, cfg).await?;
    let mut stream = step(cfg, loc, Op::Stor, ftp.put_with_stream(file_name)).await?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file
            .read(&mut buf)
            .await
            .map_err(|e| TransferError::io("cannot read", src, e))?;
        if n == 0 {
            break;
        }
        match timeout(cfg, stream.write_all(&buf[..n])).await {
            Ok(Ok(())) => meter.add(n as u64),
            Ok(Err(e)) => return Err(lost(loc, &e)),
            Err(_) => return Err(idle(loc, cfg)),
        }
    }
    // Closes the data connection (TLS close_notify first) and waits for the server's 226.
    step(cfg, loc, Op::Stor, stream.finish()).await?;
    quit(ftp).await;
    Ok(meter.finish())
}

/// Connects (within `connect_timeout`: TCP, greeting and for ftps the TLS handshake), logs in
/// and selects binary passive transfers.
async fn open(loc: &Location, cfg: &TransferConfig) -> Result<Ftp, TransferError> {
    let host = loc.url.host_str().unwrap_or_default();
    let host = host.trim_matches(['[', ']']).to_string();
    // The url crate knows 21 for ftp; ftps (explicit) uses the same port.
    let port = loc.url.port_or_known_default().unwrap_or(21);
    let connect = async {
        let tcp = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| TransferError::Connect(format!("{}: {e}", loc.display())))?;
        let ipv6 = tcp.peer_addr().map(|a| a.is_ipv6()).unwrap_or(false);
        let mut ftp = Ftp::connect_with_stream(tcp)
            .await
            .map_err(|e| map(e, loc, Op::Connect))?;
        if ipv6 {
            ftp.set_mode(Mode::ExtendedPassive);
        } else {
            ftp.set_mode(Mode::Passive);
            ftp.set_passive_nat_workaround(true);
        }
        if loc.scheme == Scheme::Ftps {
            let connector = TlsConnector::from(crate::tls::native_connector(cfg)?);
            ftp = ftp
                .into_secure(AsyncNativeTlsConnector::from(connector), host.as_str())
                .await
                .map_err(|e| match e {
                    FtpError::UnexpectedResponse(r) => TransferError::Tls(format!(
                        "{} refused AUTH TLS: {}",
                        loc.display(),
                        reply(&r)
                    )),
                    e => map(e, loc, Op::Connect),
                })?;
        }
        Ok::<Ftp, TransferError>(ftp)
    };
    let mut ftp = tokio::time::timeout(cfg.connect_timeout, connect)
        .await
        .map_err(|_| {
            TransferError::Timeout(format!(
                "connecting to {} took longer than {}",
                loc.display(),
                secs(cfg.connect_timeout)
            ))
        })??;
    let user = loc.user().unwrap_or_else(|| "anonymous".to_string());
    let pass = loc.password().unwrap_or_else(|| "anonymous@".to_string());
    step(cfg, loc, Op::Login, ftp.login(user.as_str(), pass.as_str())).await?;
    step(cfg, loc, Op::Other, ftp.transfer_type(FileType::Binary)).await?;
    Ok(ftp)
}

async fn change_dirs(
    ftp: &mut Ftp,
    dirs: &[String],
    loc: &Location,
    cfg: &TransferConfig,
) -> Result<(), TransferError> {
    for d in dirs {
        step(cfg, loc, Op::Cwd, ftp.cwd(d)).await?;
    }
    Ok(())
}

/// Best-effort goodbye; the transfer already succeeded.
async fn quit(mut ftp: Ftp) {
    let _ = tokio::time::timeout(Duration::from_secs(2), ftp.quit()).await;
}

/// What a command was doing, to classify the server's refusal.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Connect,
    Login,
    Cwd,
    Retr,
    Stor,
    Other,
}

/// Runs one FTP command within `idle_timeout`.
async fn step<T>(
    cfg: &TransferConfig,
    loc: &Location,
    op: Op,
    fut: impl Future<Output = Result<T, FtpError>>,
) -> Result<T, TransferError> {
    match timeout(cfg, fut).await {
        Ok(r) => r.map_err(|e| map(e, loc, op)),
        Err(_) => Err(idle(loc, cfg)),
    }
}

fn timeout<F: Future>(cfg: &TransferConfig, fut: F) -> tokio::time::Timeout<F> {
    tokio::time::timeout(cfg.idle_timeout, fut)
}

fn map(e: FtpError, loc: &Location, op: Op) -> TransferError {
    let at = loc.display();
    match e {
        FtpError::UnexpectedResponse(r) => {
            let msg = format!("FTP {} from {at}", reply(&r));
            match r.status {
                Status::NotLoggedIn | Status::StoringNeedAccount => TransferError::Auth(msg),
                Status::FileUnavailable if matches!(op, Op::Retr | Op::Cwd) => {
                    TransferError::NotFound(msg)
                }
                _ => TransferError::Server(msg),
            }
        }
        FtpError::SecureError(s) => TransferError::Tls(format!("{at}: {s}")),
        FtpError::ConnectionError(io) if op == Op::Connect => {
            TransferError::Connect(format!("{at}: {io}"))
        }
        FtpError::ConnectionError(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            TransferError::Timeout(format!("{at}: {io}"))
        }
        e => TransferError::Network(format!("{at}: {}", chain(&e))),
    }
}

/// `550 No such file` from a reply.
fn reply(r: &suppaftp::types::Response) -> String {
    let body = String::from_utf8_lossy(&r.body);
    let body = body.trim();
    let code = r.status.code().to_string();
    if body.starts_with(&code) {
        body.to_string()
    } else {
        format!("{code} {body}")
    }
}

fn lost(loc: &Location, e: &std::io::Error) -> TransferError {
    TransferError::Network(format!("data connection with {}: {e}", loc.display()))
}

fn idle(loc: &Location, cfg: &TransferConfig) -> TransferError {
    TransferError::Timeout(format!(
        "no progress with {} for {}",
        loc.display(),
        secs(cfg.idle_timeout)
    ))
}
