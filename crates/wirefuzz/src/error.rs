//! The fuzzer's errors.

use std::path::PathBuf;

/// Why a fuzzing run could not start or had to stop (a station's misbehaviour is not an
/// error: it goes into the report).
#[derive(Debug, thiserror::Error)]
pub enum FuzzError {
    #[error(
        "OCPP 1.6 JSON schemas not found: pass --schemas DIR (a directory with Authorize.json, \
         AuthorizeResponse.json, ...), set OCPP_SCHEMA_DIR, or `pip install ocpp` ({0})"
    )]
    SchemasNotFound(String),
    #[error("cannot read schema {path}: {source}")]
    SchemaRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("schema {path} is not JSON: {source}")]
    SchemaJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("schema {path} does not compile: {message}")]
    SchemaCompile { path: PathBuf, message: String },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("no station connected within {0} s")]
    NoStation(u64),
    #[error("cannot write the report to {path}: {source}")]
    Report {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid --operator {0:?}: expected control=http://HOST:PORT")]
    Operator(String),
}
