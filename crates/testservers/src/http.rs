//! An axum server: GET /files/{name} from a directory, multipart POST /upload into another,
//! plus routes that fail or stall on purpose. Plain or TLS (tokio-openssl), on 127.0.0.1:0
//! ([`start`]) or on another address, for clients on other machines ([`start_at`]).
//! It counts the requests per path ([`HttpServer::hits`]).
//!
//! Routes:
//! - `GET /files/{name}`: the file `files/{name}` (404 if absent);
//! - `GET /private/{name}`: the same behind HTTP Basic auth ([`USER`], [`PASSWORD`]);
//! - `GET /error`: 500;
//! - `GET /stall`: headers and the first 64 KiB of a 1 MiB body, then nothing, forever;
//! - `GET /stall-once/{name}`: the first request for a name gets the headers and the first
//!   half (at most 64 KiB) of `files/{name}`, then nothing, forever; later ones the file;
//! - `POST /upload`: the multipart parts named `file` into `uploads/` under their file name;
//! - `POST /private/upload`: the same behind HTTP Basic auth;
//! - anything else: 404 (405 for a known path), after reading the request body.

use crate::{PASSWORD, USER};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use openssl::ssl::{SslAcceptor, SslMethod};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempfile::TempDir;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_openssl::SslStream;

pub struct HttpServer {
    pub addr: SocketAddr,
    /// Whether it speaks https.
    pub tls: bool,
    /// Served by GET /files/{name}.
    pub files: TempDir,
    /// Where POST /upload puts the parts named "file".
    pub uploads: TempDir,
    hits: Hits,
    /// The host its plain http URLs name.
    host: String,
}

/// Requests per path (the URL's path, without the query).
type Hits = Arc<Mutex<HashMap<String, usize>>>;

impl HttpServer {
    /// `http://HOST:PORT` (HOST 127.0.0.1 unless [`start_at`] said otherwise) or
    /// `https://localhost:PORT`.
    pub fn base(&self, tls: bool) -> String {
        if tls {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://{}:{}", self.host, self.addr.port())
        }
    }

    /// `path` (starting with `/`) on this server, with the scheme it speaks.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base(self.tls))
    }

    /// How many requests for `path` (e.g. "/files/fw.bin") arrived so far.
    pub fn hits(&self, path: &str) -> usize {
        let hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        hits.get(path).copied().unwrap_or(0)
    }
}

#[derive(Clone)]
struct Dirs {
    files: PathBuf,
    uploads: PathBuf,
    hits: Hits,
}

/// Starts the server on 127.0.0.1; with `tls` = (cert PEM, key PEM) it speaks https.
pub async fn start(tls: Option<(&str, &str)>) -> HttpServer {
    start_at(IpAddr::V4(Ipv4Addr::LOCALHOST), None, tls).await
}

/// Starts the server on `ip` (a free port), e.g. the address a client on another machine
/// reaches this one at. Its plain URLs name `host`, by default `ip` (127.0.0.1 for an
/// unspecified `ip`, 0.0.0.0 or ::, which listens on every interface: give `host` then).
pub async fn start_at(ip: IpAddr, host: Option<&str>, tls: Option<(&str, &str)>) -> HttpServer {
    let files = tempfile::tempdir().unwrap();
    let uploads = tempfile::tempdir().unwrap();
    let hits = Hits::default();
    let dirs = Dirs {
        files: files.path().to_path_buf(),
        uploads: uploads.path().to_path_buf(),
        hits: hits.clone(),
    };
    let app = Router::new()
        .route("/files/{name}", get(serve_file))
        .route("/private/{name}", get(serve_private))
        .route(
            "/error",
            get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .route("/stall", get(stall))
        .route("/stall-once/{name}", get(stall_once))
        .route("/upload", post(receive))
        .route("/private/upload", post(receive_private))
        // Refusals read the request first: closing a connection with unread bytes resets
        // it, and the client could see the reset instead of the answer.
        .fallback(|_: axum::body::Bytes| async { StatusCode::NOT_FOUND })
        .method_not_allowed_fallback(|_: axum::body::Bytes| async {
            StatusCode::METHOD_NOT_ALLOWED
        })
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(hits.clone(), count))
        .with_state(dirs);
    let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let host = match (host, ip) {
        (Some(host), _) => host.to_owned(),
        (None, ip) if ip.is_unspecified() => "127.0.0.1".to_owned(),
        (None, IpAddr::V6(v6)) => format!("[{v6}]"),
        (None, ip) => ip.to_string(),
    };
    let is_tls = tls.is_some();
    match tls {
        None => {
            tokio::spawn(async move { axum::serve(listener, app).await });
        }
        Some((cert, key)) => {
            let acceptor = acceptor(cert, key);
            let listener = TlsListener { listener, acceptor };
            tokio::spawn(async move { axum::serve(listener, app).await });
        }
    }
    HttpServer {
        addr,
        tls: is_tls,
        files,
        uploads,
        hits,
        host,
    }
}

async fn count(
    State(hits): State<Hits>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_string();
    *hits
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(path)
        .or_default() += 1;
    next.run(req).await
}

async fn serve_file(State(d): State<Dirs>, UrlPath(name): UrlPath<String>) -> Response {
    match tokio::fs::read(d.files.join(&name)).await {
        Ok(bytes) => bytes.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve_private(headers: HeaderMap, state: State<Dirs>, name: UrlPath<String>) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    serve_file(state, name).await
}

/// Headers and the first 64 KiB of a 1 MiB body, then nothing, forever.
async fn stall() -> Response {
    let first = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![7u8; 64 * 1024]))
    });
    let body = futures_util::StreamExt::chain(first, futures_util::stream::pending());
    Response::builder()
        .header(header::CONTENT_LENGTH, 1024 * 1024)
        .body(Body::from_stream(body))
        .unwrap()
}

/// The first request for a name: half of the file (at most 64 KiB), then nothing; later
/// requests: the whole file.
async fn stall_once(State(d): State<Dirs>, UrlPath(name): UrlPath<String>) -> Response {
    let Ok(bytes) = tokio::fs::read(d.files.join(&name)).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = format!("/stall-once/{name}");
    let first = d
        .hits
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&path)
        .copied()
        .unwrap_or(0)
        <= 1;
    if !first {
        return bytes.into_response();
    }
    let len = bytes.len();
    let part = axum::body::Bytes::from(bytes).slice(..(len / 2).min(64 * 1024));
    let head = futures_util::stream::once(async move { Ok::<_, std::io::Error>(part) });
    let body = futures_util::StreamExt::chain(head, futures_util::stream::pending());
    Response::builder()
        .header(header::CONTENT_LENGTH, len)
        .body(Body::from_stream(body))
        .unwrap()
}

/// Streams each part named "file" to `uploads/{its file name}`.
async fn receive(State(d): State<Dirs>, mut form: Multipart) -> Response {
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return StatusCode::CREATED.into_response(),
            Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        };
        if field.name() != Some("file") {
            continue;
        }
        let Some(name) = field.file_name().map(str::to_owned) else {
            return (StatusCode::BAD_REQUEST, "part without file name").into_response();
        };
        if name.contains('/') {
            return StatusCode::BAD_REQUEST.into_response();
        }
        let mut out = tokio::fs::File::create(d.uploads.join(&name))
            .await
            .unwrap();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => out.write_all(&chunk).await.unwrap(),
                Ok(None) => break,
                Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
            }
        }
        out.flush().await.unwrap();
    }
}

async fn receive_private(headers: HeaderMap, state: State<Dirs>, mut form: Multipart) -> Response {
    if !authorized(&headers) {
        // Read the upload first (see the fallbacks in `start`).
        while let Ok(Some(mut field)) = form.next_field().await {
            while let Ok(Some(_)) = field.chunk().await {}
        }
        return unauthorized();
    }
    receive(state, form).await
}

fn authorized(headers: &HeaderMap) -> bool {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(expected.as_str())
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic realm=\"test\"")],
    )
        .into_response()
}

fn acceptor(cert_pem: &str, key_pem: &str) -> Arc<SslAcceptor> {
    let cert = openssl::x509::X509::from_pem(cert_pem.as_bytes()).unwrap();
    let key = openssl::pkey::PKey::private_key_from_pem(key_pem.as_bytes()).unwrap();
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
    b.set_certificate(&cert).unwrap();
    b.set_private_key(&key).unwrap();
    b.check_private_key().unwrap();
    Arc::new(b.build())
}

/// A TCP listener that completes the TLS handshake before handing a connection to axum;
/// connections whose handshake fails (an untrusting client) are dropped.
struct TlsListener {
    listener: TcpListener,
    acceptor: Arc<SslAcceptor>,
}

impl axum::serve::Listener for TlsListener {
    type Io = SslStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.listener.accept().await else {
                continue;
            };
            let Ok(ssl) = openssl::ssl::Ssl::new(self.acceptor.context()) else {
                continue;
            };
            let Ok(mut stream) = SslStream::new(ssl, tcp) else {
                continue;
            };
            let handshake = Pin::new(&mut stream).accept();
            if let Ok(Ok(())) = tokio::time::timeout(Duration::from_secs(5), handshake).await {
                return (stream, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GET of `path` on `addr` over plain HTTP/1.0; the status line.
    async fn get_status(addr: SocketAddr, path: &str) -> String {
        use tokio::io::AsyncReadExt;
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut answer = String::new();
        tcp.read_to_string(&mut answer).await.unwrap();
        answer.lines().next().unwrap_or_default().to_owned()
    }

    #[tokio::test]
    async fn urls_name_the_address_the_server_was_started_at() {
        let s = start(None).await;
        assert!(s.url("/files/a").starts_with("http://127.0.0.1:"));
        let s = start_at(IpAddr::V4(Ipv4Addr::LOCALHOST), Some("files.lab"), None).await;
        assert_eq!(
            s.url("/files/a"),
            format!("http://files.lab:{}/files/a", s.addr.port())
        );
        // Every interface: reachable on loopback too, and named so by default.
        let s = start_at(IpAddr::V4(Ipv4Addr::UNSPECIFIED), None, None).await;
        assert!(s.url("/error").starts_with("http://127.0.0.1:"));
        let local = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), s.addr.port());
        assert!(get_status(local, "/error").await.contains("500"));
    }
}
