//! The files GetLog and GetDiagnostics upload, built from what the station holds at the
//! moment of the request: a snapshot taken in the event loop ([`snapshot`]), written to disk
//! later on a blocking thread ([`UploadFile::write`]).
//!
//! - SecurityLog: one line per security event in the window, `TIME TYPE TECHINFO`.
//! - DiagnosticsLog: the station's own log lines in the window ([`LogCapture`]); without a
//!   capture in this process, a first line saying so.
//! - Diagnostics: a `.tar.gz` with `manifest.json` (station id, charger, firmware version,
//!   the window), `station.log` (as DiagnosticsLog), `security.log` (as SecurityLog) and
//!   `configuration.json`, the keys as GetConfiguration shows them: a write-only key (the
//!   AuthorizationKey) is listed without its value.

use super::log_capture::LogCapture;
use chrono::{DateTime, SecondsFormat, Utc};
use hal::ChargerInfo;
use serde_json::{json, Value};
use station::config::Access;
use station::{Station, UploadContent};
use std::io::Write;
use std::path::Path;

/// The first line of a log file when the process keeps no log lines.
pub(crate) const NO_CAPTURE: &str =
    "# no log lines: this process does not capture its log (no log capture installed)";

/// A file to upload, ready to be written.
pub(crate) enum UploadFile {
    /// A text file, one line each.
    Lines(Vec<String>),
    /// A gzip-compressed tar archive of (name, content) entries, dated `mtime`.
    Archive {
        entries: Vec<(&'static str, Vec<u8>)>,
        mtime: DateTime<Utc>,
    },
}

/// Whether `at` is in `[from, to]`; an open bound admits everything on its side.
pub(crate) fn in_window(
    at: DateTime<Utc>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> bool {
    from.is_none_or(|f| at >= f) && to.is_none_or(|t| at <= t)
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// What goes into the file for `content`, read from the station now.
pub(crate) fn snapshot(
    content: &UploadContent,
    station: &Station,
    id: &str,
    info: &ChargerInfo,
    capture: Option<&LogCapture>,
    now: DateTime<Utc>,
) -> UploadFile {
    match *content {
        UploadContent::SecurityLog { oldest, latest } => {
            UploadFile::Lines(security_lines(station, oldest, latest))
        }
        UploadContent::DiagnosticsLog { oldest, latest } => {
            UploadFile::Lines(log_lines(capture, oldest, latest))
        }
        UploadContent::Diagnostics { start, stop } => {
            let log = log_lines(capture, start, stop);
            let security = security_lines(station, start, stop);
            let manifest = json!({
                "chargePointId": id,
                "vendor": info.vendor,
                "model": info.model,
                "serialNumber": info.serial_number,
                "firmwareVersion": info.firmware_version,
                "createdAt": time(now),
                "startTime": start.map(time),
                "stopTime": stop.map(time),
                "logCaptured": capture.is_some(),
                "logLines": if capture.is_some() { log.len() } else { 0 },
                "securityLogEntries": security.len(),
                "files": ["station.log", "security.log", "configuration.json"],
            });
            let entries = vec![
                ("manifest.json", pretty(&manifest)),
                ("station.log", text(&log)),
                ("security.log", text(&security)),
                ("configuration.json", pretty(&configuration(station))),
            ];
            UploadFile::Archive {
                entries,
                mtime: now,
            }
        }
    }
}

fn pretty(value: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}

fn text(lines: &[String]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| [l.as_bytes(), b"\n"])
        .flatten()
        .copied()
        .collect()
}

fn security_lines(
    station: &Station,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Vec<String> {
    station
        .security_log()
        .into_iter()
        .filter(|e| in_window(e.timestamp, from, to))
        .map(|e| {
            let line = format!(
                "{} {} {}",
                time(e.timestamp),
                e.kind,
                e.tech_info.unwrap_or_default()
            );
            line.trim_end().replace(['\r', '\n'], " ")
        })
        .collect()
}

fn log_lines(
    capture: Option<&LogCapture>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Vec<String> {
    match capture {
        Some(capture) => capture.lines_between(from, to),
        None => vec![NO_CAPTURE.to_string()],
    }
}

/// The configuration keys as GetConfiguration answers them: the key table's access decides,
/// so a write-only key is listed without its value.
fn configuration(station: &Station) -> Value {
    let keys: Vec<Value> = station
        .config()
        .all()
        .map(|(def, value)| {
            let mut key = json!({
                "key": def.name,
                "readonly": def.access == Access::ReadOnly,
            });
            if def.access != Access::WriteOnly {
                key["value"] = json!(value);
            }
            key
        })
        .collect();
    json!({ "configurationKey": keys })
}

impl UploadFile {
    /// Write the file to `path` (blocking).
    pub(crate) fn write(&self, path: &Path) -> std::io::Result<()> {
        let file = std::fs::File::create(path)?;
        let mut out = std::io::BufWriter::new(file);
        match self {
            UploadFile::Lines(lines) => {
                for line in lines {
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                }
            }
            UploadFile::Archive { entries, mtime } => {
                let gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
                let mut tar = tar::Builder::new(gz);
                for (name, data) in entries {
                    let mut header = tar::Header::new_gnu();
                    header.set_size(data.len() as u64);
                    header.set_mode(0o644);
                    header.set_mtime(mtime.timestamp().max(0) as u64);
                    header.set_entry_type(tar::EntryType::Regular);
                    tar.append_data(&mut header, name, data.as_slice())?;
                }
                tar.into_inner()?.finish()?;
            }
        }
        out.flush()?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn windows_are_inclusive_and_open_bounds_admit_everything() {
        let t = at("2025-06-02T10:00:00Z");
        assert!(in_window(t, None, None));
        assert!(in_window(t, Some(t), Some(t)));
        assert!(!in_window(t, Some(at("2025-06-02T10:00:01Z")), None));
        assert!(!in_window(t, None, Some(at("2025-06-02T09:59:59Z"))));
    }

    #[test]
    fn an_archive_unpacks_with_every_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.tar.gz");
        let file = UploadFile::Archive {
            entries: vec![("a.txt", b"alpha\n".to_vec()), ("b.json", b"{}".to_vec())],
            mtime: at("2025-06-02T10:00:00Z"),
        };
        file.write(&path).unwrap();
        let gz = flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap());
        let mut archive = tar::Archive::new(gz);
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            seen.push((entry.path().unwrap().display().to_string(), text));
        }
        assert_eq!(
            seen,
            [
                ("a.txt".to_string(), "alpha\n".to_string()),
                ("b.json".to_string(), "{}".to_string())
            ]
        );
    }

    #[test]
    fn without_a_capture_the_log_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.log");
        UploadFile::Lines(log_lines(None, None, None))
            .write(&path)
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().next(), Some(NO_CAPTURE));
    }
}
