//! http and https through reqwest (native-tls, i.e. the station's OpenSSL).
//!
//! Download: GET, the body streamed chunk by chunk into the `.part` file.
//! Upload: a `multipart/form-data` POST to the location URL with one part named `file`
//! carrying the file (streamed from disk) under its `file_name`.

use crate::error::chain;
use crate::file::{self, Meter, PartFile, CHUNK};
use crate::location::Location;
use crate::{TransferConfig, TransferError};
use futures_util::StreamExt;
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use std::path::Path;
use std::time::Duration;
use tokio::time::{sleep_until, timeout, Instant};

pub(crate) async fn download(
    loc: &Location,
    dest: &Path,
    cfg: &TransferConfig,
    meter: &mut Meter<'_>,
) -> Result<u64, TransferError> {
    let client = client(cfg)?;
    let req = with_credentials(client.get(plain_url(loc)), loc);
    let mut resp = match timeout(cfg.connect_timeout + cfg.idle_timeout, req.send()).await {
        Ok(r) => r.map_err(|e| map_error(e, loc))?,
        Err(_) => return Err(no_answer(loc, cfg)),
    };
    check_status(resp.status(), loc)?;
    meter.set_total(resp.content_length());
    let mut part = PartFile::create(dest).await?;
    loop {
        match timeout(cfg.idle_timeout, resp.chunk()).await {
            Ok(Ok(Some(bytes))) => {
                part.write(&bytes).await?;
                meter.add(bytes.len() as u64);
            }
            Ok(Ok(None)) => break,
            Ok(Err(e)) => return Err(map_error(e, loc)),
            Err(_) => return Err(idle(loc, cfg)),
        }
    }
    part.commit().await?;
    Ok(meter.finish())
}

pub(crate) async fn upload(
    loc: &Location,
    src: &Path,
    file_name: &str,
    cfg: &TransferConfig,
    meter: &mut Meter<'_>,
) -> Result<u64, TransferError> {
    let client = client(cfg)?;
    let (file, len) = file::open_source(src).await?;
    meter.set_total(Some(len));

    // The body stream must be 'static, the progress callback is not: the stream reports the
    // bytes it hands to the connection through a channel, drained below.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
    let body = tokio_util::io::ReaderStream::with_capacity(file, CHUNK).inspect(move |r| {
        if let Ok(b) = r {
            let _ = tx.send(b.len() as u64);
        }
    });
    let part = reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(body), len)
        .file_name(file_name.to_string())
        .mime_str("application/octet-stream")
        .map_err(|e| TransferError::Io(e.to_string()))?;
    let form = reqwest::multipart::Form::new().part("file", part);
    let req = with_credentials(client.post(plain_url(loc)), loc).multipart(form);

    let send = req.send();
    tokio::pin!(send);
    // Connecting has its own timeout in the client; after that, no byte sent and no answer
    // for idle_timeout fails the upload.
    let mut deadline = Instant::now() + cfg.connect_timeout + cfg.idle_timeout;
    let resp: Response = loop {
        tokio::select! {
            r = &mut send => break r.map_err(|e| map_error(e, loc))?,
            Some(n) = rx.recv() => {
                meter.add(n);
                deadline = Instant::now() + cfg.idle_timeout;
            }
            _ = sleep_until(deadline) => return Err(idle(loc, cfg)),
        }
    };
    while let Ok(n) = rx.try_recv() {
        meter.add(n);
    }
    check_status(resp.status(), loc)?;
    Ok(meter.finish())
}

/// A client for one transfer: the configured roots (plus the system's when enabled), host name
/// verification, connect and read timeouts, no proxy, and no redirect from https to http.
fn client(cfg: &TransferConfig) -> Result<Client, TransferError> {
    let mut b = Client::builder()
        .use_native_tls()
        .connect_timeout(cfg.connect_timeout)
        .read_timeout(cfg.idle_timeout)
        .no_proxy()
        .redirect(redirect_policy());
    // Set for http too: a redirect may lead to https.
    b = b
        .min_tls_version(reqwest::tls::Version::TLS_1_2)
        .tls_built_in_root_certs(cfg.system_roots);
    for der in crate::tls::root_ders(cfg)? {
        let cert = reqwest::Certificate::from_der(&der)
            .map_err(|e| TransferError::Tls(format!("root certificate: {e}")))?;
        b = b.add_root_certificate(cert);
    }
    b.build().map_err(|e| {
        if crate::tls::is_tls_error(&e) {
            TransferError::Tls(chain(&e))
        } else {
            TransferError::Io(format!("cannot set up HTTP client: {}", chain(&e)))
        }
    })
}

fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let downgrade = attempt.previous().iter().any(|u| u.scheme() == "https")
            && attempt.url().scheme() != "https";
        if downgrade {
            attempt.error("refused redirect from https to http")
        } else if attempt.previous().len() > 5 {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// The URL without its credentials (they travel in an Authorization header instead).
fn plain_url(loc: &Location) -> reqwest::Url {
    let mut u = loc.url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u
}

/// Basic auth from the URL's `user:password@`, if any.
fn with_credentials(req: RequestBuilder, loc: &Location) -> RequestBuilder {
    match (loc.user(), loc.password()) {
        (Some(u), p) => req.basic_auth(u, p),
        (None, Some(p)) => req.basic_auth("", Some(p)),
        (None, None) => req,
    }
}

fn check_status(status: StatusCode, loc: &Location) -> Result<(), TransferError> {
    let what = || format!("HTTP {} from {}", status.as_u16(), loc.display());
    match status {
        s if s.is_success() => Ok(()),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(TransferError::Auth(what())),
        StatusCode::NOT_FOUND | StatusCode::GONE => Err(TransferError::NotFound(what())),
        _ => Err(TransferError::Server(what())),
    }
}

fn map_error(e: reqwest::Error, loc: &Location) -> TransferError {
    let e = e.without_url();
    let msg = format!("{}: {}", loc.display(), chain(&e));
    if crate::tls::is_tls_error(&e) {
        TransferError::Tls(msg)
    } else if e.is_timeout() {
        TransferError::Timeout(msg)
    } else if e.is_connect() {
        TransferError::Connect(msg)
    } else if e.is_redirect() {
        TransferError::Server(msg)
    } else {
        TransferError::Network(msg)
    }
}

fn no_answer(loc: &Location, cfg: &TransferConfig) -> TransferError {
    TransferError::Timeout(format!(
        "no answer from {} within {}",
        loc.display(),
        secs(cfg.connect_timeout + cfg.idle_timeout)
    ))
}

fn idle(loc: &Location, cfg: &TransferConfig) -> TransferError {
    TransferError::Timeout(format!(
        "no progress with {} for {}",
        loc.display(),
        secs(cfg.idle_timeout)
    ))
}

pub(crate) fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
