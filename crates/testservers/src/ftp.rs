//! A libunftp server with a local directory as storage, user/password login (and anonymous),
//! passive mode, optionally explicit FTPS with the test PKI's server certificate. It listens
//! on 127.0.0.1:0 and hands each accepted connection to libunftp.

use crate::{PASSWORD, USER};
use async_trait::async_trait;
use libunftp::ServerBuilder;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tempfile::TempDir;
use tokio::net::TcpListener;
use unftp_core::auth::{AuthenticationError, Authenticator, Credentials, Principal};
use unftp_sbe_fs::Filesystem;

pub struct FtpServer {
    pub port: u16,
    /// Whether it offers explicit FTPS (`AUTH TLS`).
    pub tls: bool,
    /// The FTP root (the login directory of every user).
    pub root: TempDir,
}

impl FtpServer {
    /// `ftp://user:password@127.0.0.1:PORT` (or ftps, with `localhost` to match the
    /// certificate); `creds` = None for anonymous.
    pub fn base(&self, tls: bool, creds: Option<(&str, &str)>) -> String {
        let (scheme, host) = if tls {
            ("ftps", "localhost")
        } else {
            ("ftp", "127.0.0.1")
        };
        let userinfo = creds.map(|(u, p)| format!("{u}:{p}@")).unwrap_or_default();
        format!("{scheme}://{userinfo}{host}:{}", self.port)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }
}

#[derive(Debug)]
struct TestAuth;

#[async_trait]
impl Authenticator for TestAuth {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        let ok = match username {
            "anonymous" => true,
            u if u == USER => creds.password.as_deref() == Some(PASSWORD),
            _ => false,
        };
        if ok {
            Ok(Principal {
                username: username.to_string(),
            })
        } else {
            Err(AuthenticationError::BadPassword)
        }
    }
}

/// Starts the server; with `tls` = (certificate file, key file) it offers `AUTH TLS`.
pub async fn start(tls: Option<(&Path, &Path)>) -> FtpServer {
    let root = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = root.path().to_path_buf();
    let is_tls = tls.is_some();
    let tls = tls.map(|(c, k)| (c.to_path_buf(), k.to_path_buf()));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let dir = dir.clone();
            let mut builder = ServerBuilder::with_authenticator(
                Box::new(move || Filesystem::new(dir.clone()).expect("ftp root")),
                Arc::new(TestAuth),
            );
            if let Some((cert, key)) = &tls {
                builder = builder.ftps(cert.clone(), key.clone());
            }
            let server = builder.build().expect("ftp server");
            tokio::spawn(server.service(tcp));
        }
    });
    FtpServer {
        port,
        tls: is_tls,
        root,
    }
}
