//! OCTT module 19: Firmware Management (UpdateFirmware and its FirmwareStatusNotifications).
//!
//! The images come from the tool's file server (`Bench::files`, over HTTP): the station
//! profile's `firmware_image` / `uninstallable_firmware_image`, or small generated files. The
//! generated installable image has the first line `chargepoint-firmware <version>` that the
//! reference simulator installs; the generated uninstallable one starts like such an image but
//! with a broken version line, which the simulator refuses to install whatever its settings,
//! and which is no image for any other charger either. A real charger needs the lab's own
//! images in the profile.
//!
//! A charger may make its connectors Unavailable for an update (and restarts to install);
//! each case waits until every connector it saw go Unavailable is Available again.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use csms::{CsmsEvent, Direction, Events};
use ocpp::Frame;
use serde_json::{json, Value};

use super::{always, case, Case};
use crate::tester::{fail, Failure, Outcome, Tester};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "TC_044_1",
            "Firmware Update - Download and Install",
            FirmwareManagement,
            always,
            tc_044_1
        ),
        case!(
            "TC_044_2",
            "Firmware Update - Download Failed",
            FirmwareManagement,
            always,
            tc_044_2
        ),
        case!(
            "TC_044_3",
            "Firmware Update - Installation Failed",
            FirmwareManagement,
            always,
            tc_044_3
        ),
    ]
}

/// The version the generated installable image installs.
const GENERATED_VERSION: &str = "conformance-1.0";

/// How long each step of an update may take: a real charger downloads and installs for a
/// while, and restarts to install.
const TO_START: Duration = Duration::from_secs(60);
const TO_DOWNLOAD: Duration = Duration::from_secs(120);
const TO_INSTALL: Duration = Duration::from_secs(180);

/// A file the generated images carry after their first line, so there is something to
/// download.
fn padding() -> Vec<u8> {
    (0..64 * 1024u32).map(|i| (i % 251) as u8).collect()
}

fn generated_image() -> Vec<u8> {
    let mut data = format!("chargepoint-firmware {GENERATED_VERSION}\n").into_bytes();
    data.extend(padding());
    data
}

/// Starts like the simulator's images, but its version line is broken (a version has no
/// spaces): not installable.
fn generated_broken_image() -> Vec<u8> {
    let mut data = b"chargepoint-firmware this is not a valid firmware image\n".to_vec();
    data.extend(padding());
    data
}

/// Put the profile's image `given` (or the generated `content`, as `default_name`) on the
/// file server; its download URL.
fn serve(
    t: &Tester<'_>,
    given: Option<&Path>,
    default_name: &str,
    content: fn() -> Vec<u8>,
) -> Result<String, Failure> {
    let dir = t.bench.files.files.path();
    let name = match given {
        Some(path) => {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .filter(|n| !n.is_empty())
                .unwrap_or(default_name)
                .to_owned();
            std::fs::copy(path, dir.join(&name)).map_err(|e| {
                Failure(format!(
                    "cannot serve the firmware image {}: {e}",
                    path.display()
                ))
            })?;
            name
        }
        None => {
            std::fs::write(dir.join(default_name), content())
                .map_err(|e| Failure(format!("cannot write the generated image: {e}")))?;
            default_name.to_owned()
        }
    };
    Ok(t.bench.files.url(&format!("/files/{name}")))
}

/// UpdateFirmware for `location`, to be retrieved now.
async fn update_firmware(t: &mut Tester<'_>, location: &str, retries: u32) -> Outcome {
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    t.call(
        "UpdateFirmware",
        json!({
            "location": location,
            "retrieveDate": now,
            "retries": retries,
            "retryInterval": 10,
        }),
    )
    .await
    .map(|_| ())
}

/// One expected FirmwareStatusNotification: its status, whether it may be missing, how
/// long it may take.
struct Expected {
    status: &'static str,
    optional: bool,
    within: Duration,
}

const fn step(status: &'static str, within: Duration) -> Expected {
    Expected {
        status,
        optional: false,
        within,
    }
}

const fn optional(status: &'static str, within: Duration) -> Expected {
    Expected {
        status,
        optional: true,
        within,
    }
}

/// The FirmwareStatusNotifications of the update, in order: each status of `expected` (an
/// optional one may be left out; a status repeated at once, e.g. progress, counts once).
/// `hint` explains a failure status the case did not expect.
async fn follow_statuses(t: &mut Tester<'_>, expected: &[Expected], hint: &str) -> Outcome {
    let mut seen: Vec<String> = Vec::new();
    let mut i = 0;
    while i < expected.len() {
        let want = &expected[i];
        let payload = t
            .expect_within(
                want.within,
                "FirmwareStatusNotification",
                &format!("status {}", want.status),
                |_| true,
            )
            .await
            .map_err(|f| Failure(format!("{} (statuses so far: {seen:?})", f.0)))?;
        let status = payload["status"].as_str().unwrap_or_default().to_owned();
        if seen.last() == Some(&status) {
            continue;
        }
        seen.push(status.clone());
        if status == want.status {
            i += 1;
            continue;
        }
        // An optional status left out: the next expected one may be this.
        if want.optional && expected.get(i + 1).is_some_and(|n| n.status == status) {
            i += 2;
            continue;
        }
        let mut reason = format!(
            "FirmwareStatusNotification: expected status {}, got {status} (statuses so far: \
             {seen:?})",
            want.status
        );
        if status.ends_with("Failed") && !hint.is_empty() {
            reason.push_str(&format!("; {hint}"));
        }
        return fail(reason);
    }
    Ok(())
}

/// What `seen` gathered so far: the last status of each connector, and the BootNotifications.
async fn gather(seen: &mut Events, station: &str) -> (BTreeMap<u32, String>, Vec<Value>) {
    let mut statuses = BTreeMap::new();
    let mut boots = Vec::new();
    while let Some(ev) = seen.next(Duration::from_millis(100)).await {
        let CsmsEvent::Frame {
            station: s,
            direction: Direction::Received,
            frame: Some(Frame::Call(call)),
            ..
        } = ev
        else {
            continue;
        };
        if s != station {
            continue;
        }
        match call.action.as_str() {
            "StatusNotification" => {
                if let (Some(c), Some(st)) = (
                    call.payload["connectorId"].as_u64(),
                    call.payload["status"].as_str(),
                ) {
                    statuses.insert(c as u32, st.to_owned());
                }
            }
            "BootNotification" => boots.push(call.payload),
            _ => {}
        }
    }
    (statuses, boots)
}

/// Every connector (0 too) the station reported Unavailable during the case must be
/// Available again: the update is over.
async fn available_again(t: &mut Tester<'_>, statuses: &BTreeMap<u32, String>) -> Outcome {
    for (&connector, status) in statuses {
        if status == "Unavailable" {
            t.expect_status(connector, "Available").await.map_err(|f| {
                Failure(format!(
                    "the station is not available again after the update: {}",
                    f.0
                ))
            })?;
        }
    }
    Ok(())
}

/// TC_044_1: UpdateFirmware with a valid image: Downloading, Downloaded, Installing,
/// Installed (a restart with a BootNotification may come before Installed; with the
/// generated image it reports the image's version). The station is available again.
async fn tc_044_1(t: &mut Tester<'_>) -> Outcome {
    let given = t.profile().firmware_image.clone();
    let location = serve(
        t,
        given.as_deref(),
        "conformance-firmware.bin",
        generated_image,
    )?;
    let hint = if given.is_none() {
        "the station cannot install the tool's generated image: give the station profile a \
         firmware_image it can install"
    } else {
        ""
    };
    let mut seen = t.cs().subscribe();
    update_firmware(t, &location, 1).await?;
    follow_statuses(
        t,
        &[
            step("Downloading", TO_START),
            step("Downloaded", TO_DOWNLOAD),
            step("Installing", TO_START),
            step("Installed", TO_INSTALL),
        ],
        hint,
    )
    .await?;
    let station = t.bench.id.clone();
    let (statuses, boots) = gather(&mut seen, &station).await;
    if given.is_none() {
        if let Some(boot) = boots.last() {
            if boot["firmwareVersion"] != GENERATED_VERSION {
                return fail(format!(
                    "the BootNotification after the installation reports firmwareVersion {}, \
                     not {GENERATED_VERSION} of the installed image",
                    boot["firmwareVersion"]
                ));
            }
        }
    }
    available_again(t, &statuses).await
}

/// TC_044_2: UpdateFirmware from a location that does not exist (the image's name prefixed
/// with `does_not_exist_`, no retries): Downloading (optional: the download may fail at
/// once), DownloadFailed. The old firmware stays; the station is available again.
async fn tc_044_2(t: &mut Tester<'_>) -> Outcome {
    let name = t
        .profile()
        .firmware_image
        .as_deref()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("conformance-firmware.bin")
        .to_owned();
    let location = t.bench.files.url(&format!("/files/does_not_exist_{name}"));
    let mut seen = t.cs().subscribe();
    update_firmware(t, &location, 0).await?;
    follow_statuses(
        t,
        &[
            optional("Downloading", TO_START),
            step("DownloadFailed", TO_DOWNLOAD),
        ],
        "",
    )
    .await?;
    let station = t.bench.id.clone();
    let (statuses, _) = gather(&mut seen, &station).await;
    available_again(t, &statuses).await
}

/// TC_044_3: UpdateFirmware with an image the station downloads but cannot install:
/// Downloading, Downloaded, Installing, InstallationFailed. The station is available again.
async fn tc_044_3(t: &mut Tester<'_>) -> Outcome {
    let given = t.profile().uninstallable_firmware_image.clone();
    let location = serve(
        t,
        given.as_deref(),
        "conformance-broken-firmware.bin",
        generated_broken_image,
    )?;
    let mut seen = t.cs().subscribe();
    update_firmware(t, &location, 1).await?;
    let installed_hint = "the station installed an image it should have refused";
    let result = follow_statuses(
        t,
        &[
            step("Downloading", TO_START),
            step("Downloaded", TO_DOWNLOAD),
            step("Installing", TO_START),
            step("InstallationFailed", TO_INSTALL),
        ],
        "",
    )
    .await;
    if let Err(Failure(reason)) = &result {
        if reason.contains("got Installed") {
            return fail(format!("{reason}; {installed_hint}"));
        }
    }
    result?;
    let station = t.bench.id.clone();
    let (statuses, _) = gather(&mut seen, &station).await;
    available_again(t, &statuses).await
}
