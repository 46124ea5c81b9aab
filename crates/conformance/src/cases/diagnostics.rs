//! OCTT module 20: Diagnostics (GetDiagnostics and its DiagnosticsStatusNotifications).
//!
//! The station uploads to the tool's file server (`Bench::files`, over HTTP: a multipart POST
//! to `/upload`); the failing location is `/error`, which takes no upload.

use std::time::Duration;

use serde_json::json;

use super::{always, case, Case};
use crate::tester::{fail, Failure, Outcome, Tester};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_045_1",
            "Get Diagnostics",
            FirmwareManagement,
            always,
            tc_045_1
        ),
        case!(
            "TC_045_2",
            "Get Diagnostics - Upload Failed",
            FirmwareManagement,
            always,
            tc_045_2
        ),
    ]
}

/// How long collecting and uploading diagnostics may take.
const TO_START: Duration = Duration::from_secs(60);
const TO_UPLOAD: Duration = Duration::from_secs(120);

/// GetDiagnostics to `location`; the fileName answered, if any.
async fn get_diagnostics(
    t: &mut Tester<'_>,
    location: &str,
    retries: u32,
) -> Result<Option<String>, Failure> {
    let answer = t
        .call(
            "GetDiagnostics",
            json!({ "location": location, "retries": retries, "retryInterval": 10 }),
        )
        .await?;
    Ok(answer["fileName"].as_str().map(str::to_owned))
}

/// The next DiagnosticsStatusNotification must have `status`.
async fn expect_diagnostics(t: &mut Tester<'_>, status: &str, within: Duration) -> Outcome {
    let payload = t
        .expect_within(
            within,
            "DiagnosticsStatusNotification",
            &format!("status {status}"),
            |_| true,
        )
        .await?;
    if payload["status"] != status {
        return fail(format!(
            "DiagnosticsStatusNotification: expected status {status}, got {}",
            payload["status"]
        ));
    }
    Ok(())
}

/// TC_045_1: GetDiagnostics to the tool's upload location: the station names the file,
/// reports Uploading, then Uploaded, and the file has arrived there.
async fn tc_045_1(t: &mut Tester<'_>) -> Outcome {
    let location = t.bench.files.url("/upload");
    let before = t.bench.files.hits("/upload");
    let Some(file_name) = get_diagnostics(t, &location, 1).await? else {
        return fail(
            "GetDiagnostics.conf has no fileName: the station has no diagnostics to upload",
        );
    };
    expect_diagnostics(t, "Uploading", TO_START).await?;
    expect_diagnostics(t, "Uploaded", TO_UPLOAD).await?;
    if t.bench.files.hits("/upload") == before {
        return fail(format!(
            "the station reported Uploaded, but nothing was uploaded to {location}"
        ));
    }
    let uploaded = t.bench.files.uploads.path().join(&file_name);
    match std::fs::metadata(&uploaded) {
        Ok(m) if m.len() > 0 => Ok(()),
        Ok(_) => fail(format!("the uploaded {file_name} is empty")),
        Err(_) => fail(format!(
            "the station uploaded to {location}, but no file named {file_name} (the fileName \
             of GetDiagnostics.conf) arrived"
        )),
    }
}

/// TC_045_2: GetDiagnostics to a location that takes no upload, no retries: Uploading, then
/// UploadFailed; the station goes on as before.
async fn tc_045_2(t: &mut Tester<'_>) -> Outcome {
    let location = t.bench.files.url("/error");
    get_diagnostics(t, &location, 0).await?;
    expect_diagnostics(t, "Uploading", TO_START).await?;
    expect_diagnostics(t, "UploadFailed", TO_UPLOAD).await
}
