//! The station's file jobs, carried out for the event loop: firmware download, signature
//! check and installation, and log/diagnostics uploads (the `Output`s of the firmware
//! module). Transfers and signature checks run on background tasks, never in the loop; each
//! result comes back through a channel ([`FileJobs::next`]) as the matching `Input`. The
//! installation is the charger's job and runs in the loop ([`FileJobs::install`]).
//!
//! Files live in the work directory (`RunOptions::work_dir`, a temporary directory of the
//! runner when none is given):
//! - `firmware/<job>/<name>`: the downloaded image, under the file name of its URL (the
//!   simulator takes a version from it); a new download removes earlier images (and the
//!   partial file a power loss left), the installation removes the image it installed, a
//!   cancelled job ([`FileJobs::cancel`]) its download;
//! - `uploads/upload-<job>.tmp`: a file being uploaded, removed afterwards;
//! - `firmware-version`: the version last installed, restored into the charger when the
//!   process starts again ([`FileJobs::saved_firmware_version`]).

use super::upload_file::UploadFile;
use base64::Engine;
use station::Input;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use transfer::{Progress, TransferConfig};

/// Which kind of job a task belongs to: a new job of a kind replaces the running one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Download or signature check of a firmware image.
    Firmware,
    /// The GetDiagnostics upload.
    Diagnostics,
    /// The GetLog upload.
    Log,
}

pub(crate) struct FileJobs {
    dir: PathBuf,
    /// The temporary work directory, when none was given: removed with the runner.
    _temp: Option<tempfile::TempDir>,
    tx: mpsc::UnboundedSender<Input>,
    rx: mpsc::UnboundedReceiver<Input>,
    /// The tasks under way: their kind, job id and handle.
    running: Vec<(Slot, u64, AbortHandle)>,
    /// The file name of each firmware job's image (from its URL).
    image_names: std::collections::HashMap<u64, String>,
}

impl FileJobs {
    /// Jobs working in `work_dir` (created if missing), or in a new temporary directory.
    /// Leftovers of an earlier run (partial images, unsent uploads) are removed.
    pub(crate) fn new(work_dir: Option<PathBuf>) -> std::io::Result<FileJobs> {
        let (dir, temp) = match work_dir {
            Some(dir) => (dir, None),
            None => {
                let temp = tempfile::Builder::new().prefix("chargepoint-").tempdir()?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let jobs = {
            let (tx, rx) = mpsc::unbounded_channel();
            FileJobs {
                dir,
                _temp: temp,
                tx,
                rx,
                running: Vec::new(),
                image_names: std::collections::HashMap::new(),
            }
        };
        for sub in [jobs.firmware_dir(), jobs.uploads_dir()] {
            std::fs::create_dir_all(&sub)?;
            clear_dir(&sub);
        }
        Ok(jobs)
    }

    fn firmware_dir(&self) -> PathBuf {
        self.dir.join("firmware")
    }

    fn uploads_dir(&self) -> PathBuf {
        self.dir.join("uploads")
    }

    fn image_dir(&self, job: u64) -> PathBuf {
        self.firmware_dir().join(job.to_string())
    }

    fn image(&self, job: u64) -> PathBuf {
        let name = self
            .image_names
            .get(&job)
            .map_or("firmware.bin", String::as_str);
        self.image_dir(job).join(name)
    }

    /// Remove the image of `job` (and its directory).
    fn remove_image(&mut self, job: u64) {
        let _ = std::fs::remove_dir_all(self.image_dir(job));
        self.image_names.remove(&job);
    }

    fn version_file(&self) -> PathBuf {
        self.dir.join("firmware-version")
    }

    /// The firmware version an earlier run installed, if any.
    pub(crate) fn saved_firmware_version(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.version_file()).ok()?;
        let version = text.trim();
        (!version.is_empty()).then(|| version.to_string())
    }

    /// The next result of a background job.
    pub(crate) async fn next(&mut self) -> Input {
        match self.rx.recv().await {
            Some(input) => input,
            // Never: `self` holds a sender.
            None => std::future::pending().await,
        }
    }

    /// Stop every job (a restart or shutdown of the station); their results never come.
    pub(crate) fn abort_all(&mut self) {
        for (_, _, task) in self.running.drain(..) {
            task.abort();
        }
    }

    /// Stop job `job` if it still runs ([`station::Output::CancelFirmware`]): its result
    /// never comes, and the image it was downloading is removed.
    pub(crate) fn cancel(&mut self, job: u64) {
        self.running.retain(|(_, j, task)| {
            if *j == job {
                tracing::info!("job {job}: cancelled");
                task.abort();
            }
            *j != job && !task.is_finished()
        });
        // The aborted download removes its partial file when it is dropped; a finished
        // image goes here.
        self.remove_image(job);
    }

    fn spawn(
        &mut self,
        slot: Slot,
        job: u64,
        task: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        self.running.retain(|(s, _, task)| {
            let keep = *s != slot;
            if !keep {
                task.abort();
            }
            keep && !task.is_finished()
        });
        let handle = tokio::spawn(task);
        self.running.push((slot, job, handle.abort_handle()));
    }

    /// Download `url` into the image of `job`, replacing earlier images; reports
    /// [`Input::FirmwareDownloaded`].
    pub(crate) fn download(&mut self, job: u64, url: String, cfg: TransferConfig) {
        // Abort the running job first: it must not write next to the new one.
        self.running.retain(|(s, _, task)| {
            if *s == Slot::Firmware {
                task.abort();
            }
            *s != Slot::Firmware
        });
        clear_dir(&self.firmware_dir());
        self.image_names.clear();
        self.image_names.insert(job, image_name(&url));
        let dest = self.image(job);
        let tx = self.tx.clone();
        if let Err(e) = std::fs::create_dir_all(self.image_dir(job)) {
            let why = format!("cannot create {}: {e}", self.image_dir(job).display());
            tracing::error!("firmware job {job}: {why}");
            let _ = tx.send(Input::FirmwareDownloaded {
                job,
                result: Err(why),
            });
            return;
        }
        tracing::info!("firmware job {job}: downloading");
        let job_dir = self.image_dir(job);
        self.spawn(Slot::Firmware, job, async move {
            let mut progress = progress_log(format!("firmware job {job}: downloaded"));
            let result = transfer::download(&url, &dest, &cfg, &mut progress).await;
            let result = match result {
                Ok(bytes) => {
                    tracing::info!("firmware job {job}: download complete, {bytes} bytes");
                    Ok(())
                }
                Err(e) => {
                    tracing::warn!("firmware job {job}: download failed: {e}");
                    let _ = tokio::fs::remove_dir_all(&job_dir).await;
                    Err(e.to_string())
                }
            };
            let _ = tx.send(Input::FirmwareDownloaded { job, result });
        });
    }

    /// Check `signature` (base64) over the image of `job` with the key of
    /// `signing_certificate`; reports [`Input::FirmwareVerified`]. Bad base64, a missing
    /// image or an unusable certificate make the signature invalid.
    pub(crate) fn verify(&mut self, job: u64, signing_certificate: String, signature: String) {
        let checked = self.image(job);
        let job_dir = self.image_dir(job);
        let tx = self.tx.clone();
        self.spawn(Slot::Firmware, job, async move {
            let valid = match decode_signature(&signature) {
                Some(signature) => {
                    let check = tokio::task::spawn_blocking(move || {
                        let file = std::fs::File::open(&checked)
                            .map_err(|e| format!("cannot open {}: {e}", checked.display()))?;
                        let mut reader = std::io::BufReader::with_capacity(64 * 1024, file);
                        certs::verify_signature(&signing_certificate, &mut reader, &signature)
                            .map_err(|e| e.to_string())
                    });
                    match check.await {
                        Ok(Ok(valid)) => valid,
                        Ok(Err(why)) => {
                            tracing::warn!("firmware job {job}: cannot check the signature: {why}");
                            false
                        }
                        Err(e) => {
                            tracing::error!("firmware job {job}: signature check failed: {e}");
                            false
                        }
                    }
                }
                None => {
                    tracing::warn!("firmware job {job}: the signature is not base64");
                    false
                }
            };
            if valid {
                tracing::info!("firmware job {job}: signature valid");
            } else {
                tracing::warn!("firmware job {job}: signature invalid: the image is removed");
                let _ = tokio::fs::remove_dir_all(&job_dir).await;
            }
            let _ = tx.send(Input::FirmwareVerified { job, valid });
        });
    }

    /// Install the image of `job` on `charger` and keep the new version for the next start
    /// of the process; the image is removed either way. The result for
    /// [`Input::FirmwareInstalled`].
    pub(crate) fn install(
        &mut self,
        job: u64,
        charger: &mut impl hal::Charger,
    ) -> Result<(), String> {
        let image = self.image(job);
        let result = if image.is_file() {
            charger.install_firmware(&image).map_err(|e| e.to_string())
        } else {
            Err(format!("no firmware image for job {job}"))
        };
        self.remove_image(job);
        match result {
            Ok(version) => {
                tracing::info!("firmware job {job}: installed version {version}");
                if let Err(e) = write_atomically(&self.version_file(), &version) {
                    tracing::error!(
                        "cannot save the firmware version to {}: {e}",
                        self.version_file().display()
                    );
                }
                Ok(())
            }
            Err(why) => {
                tracing::warn!("firmware job {job}: installation failed: {why}");
                Err(why)
            }
        }
    }

    /// Write `file` into the work directory, upload it to `url` as `file_name` and remove
    /// it; reports [`Input::Uploaded`].
    pub(crate) fn upload(
        &mut self,
        slot: Slot,
        job: u64,
        url: String,
        file_name: String,
        file: UploadFile,
        cfg: TransferConfig,
    ) {
        let path = self.uploads_dir().join(format!("upload-{job}.tmp"));
        let tx = self.tx.clone();
        tracing::info!("upload job {job}: {file_name}");
        self.spawn(slot, job, async move {
            // Removed however the task ends: done, failed or aborted.
            let guard = RemoveOnDrop(path.clone());
            let built = tokio::task::spawn_blocking(move || file.write(&path)).await;
            let result = match built {
                Ok(Ok(())) => {
                    let mut progress = progress_log(format!("upload job {job}: uploaded"));
                    transfer::upload(&url, &guard.0, &file_name, &cfg, &mut progress)
                        .await
                        .map(|bytes| tracing::info!("upload job {job}: {bytes} bytes sent"))
                        .map_err(|e| e.to_string())
                }
                Ok(Err(e)) => Err(format!("cannot write the file to upload: {e}")),
                Err(e) => Err(format!("cannot write the file to upload: {e}")),
            };
            drop(guard);
            if let Err(why) = &result {
                tracing::warn!("upload job {job} failed: {why}");
            }
            let _ = tx.send(Input::Uploaded { job, result });
        });
    }
}

impl Drop for FileJobs {
    fn drop(&mut self) {
        self.abort_all();
    }
}

/// The bytes of a base64 signature (line breaks and spaces ignored).
fn decode_signature(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
        .filter(|bytes| !bytes.is_empty())
}

/// A progress callback logging at about every 10 % (every 10 MiB when the size is unknown).
fn progress_log(what: String) -> impl FnMut(Progress) + Send {
    const STEP_UNKNOWN: u64 = 10 * 1024 * 1024;
    let mut logged = 0u64;
    move |p: Progress| match p.total {
        Some(total) if total > 0 => {
            let tenth = p.bytes.saturating_mul(10) / total;
            if tenth > logged {
                logged = tenth;
                tracing::info!("{what} {}% ({} of {total} bytes)", tenth * 10, p.bytes);
            }
        }
        _ => {
            if p.bytes / STEP_UNKNOWN > logged {
                logged = p.bytes / STEP_UNKNOWN;
                tracing::info!("{what} {} bytes", p.bytes);
            }
        }
    }
}

/// Remove everything in `dir`: files and directories (best effort).
fn clear_dir(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        if let Err(e) = removed {
            tracing::warn!("cannot remove {}: {e}", path.display());
        }
    }
}

/// The file name an image downloaded from `url` is kept under: the last segment of the
/// URL's path, in characters safe in a file name (others become `_`); `firmware.bin` when
/// there is none.
fn image_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let path = rest.split_once('/').map_or("", |(_, path)| path);
    let last = path.rsplit('/').next().unwrap_or_default();
    let name: String = last
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        "firmware.bin".into()
    } else {
        name
    }
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, format!("{text}\n"))?;
    std::fs::rename(&tmp, path)
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::test_charger::TestCharger;
    use hal::Charger;

    #[test]
    fn signatures_decode_leniently_and_bad_ones_are_none() {
        assert_eq!(
            decode_signature("c2ln\nbmF0dXJl"),
            Some(b"signature".to_vec())
        );
        assert_eq!(decode_signature("not base64!"), None);
        assert_eq!(decode_signature(""), None);
    }

    #[tokio::test]
    async fn an_installed_version_survives_and_the_image_goes() {
        let dir = tempfile::tempdir().unwrap();
        let mut jobs = FileJobs::new(Some(dir.path().to_path_buf())).unwrap();
        assert_eq!(jobs.saved_firmware_version(), None);
        let mut sim = TestCharger::new(1);
        let put = |jobs: &FileJobs, job: u64, content: &str| {
            std::fs::create_dir_all(jobs.image_dir(job)).unwrap();
            std::fs::write(jobs.image(job), content).unwrap();
        };
        put(&jobs, 3, "chargepoint-firmware 9.9.9\nbody");
        jobs.install(3, &mut sim).unwrap();
        assert_eq!(sim.info().firmware_version, "9.9.9");
        assert!(!jobs.image_dir(3).exists());
        let again = FileJobs::new(Some(dir.path().to_path_buf())).unwrap();
        assert_eq!(again.saved_firmware_version().as_deref(), Some("9.9.9"));

        // A refused image changes nothing.
        put(&jobs, 4, "something else");
        assert!(jobs.install(4, &mut sim).is_err());
        assert!(jobs.install(5, &mut sim).is_err(), "no image");
        assert_eq!(jobs.saved_firmware_version().as_deref(), Some("9.9.9"));
    }

    #[test]
    fn images_keep_the_file_name_of_their_url() {
        assert_eq!(
            image_name("https://h:1/cp/fw-2.3.1.bin?x=1#y"),
            "fw-2.3.1.bin"
        );
        assert_eq!(image_name("ftp://u:p@h/fw/new image.bin"), "new_image.bin");
        assert_eq!(image_name("http://h"), "firmware.bin");
        assert_eq!(image_name("http://h/dir/"), "firmware.bin");
        assert_eq!(image_name("http://h/.."), "firmware.bin");
    }

    #[tokio::test]
    async fn a_cancelled_job_stops_and_its_image_goes() {
        let dir = tempfile::tempdir().unwrap();
        let mut jobs = FileJobs::new(Some(dir.path().to_path_buf())).unwrap();
        jobs.image_names.insert(8, "fw.bin".into());
        std::fs::create_dir_all(jobs.image_dir(8)).unwrap();
        std::fs::write(jobs.image(8), "partial").unwrap();
        jobs.spawn(Slot::Firmware, 8, std::future::pending());
        jobs.spawn(Slot::Log, 9, std::future::pending());
        let task = |jobs: &FileJobs, job: u64| {
            jobs.running
                .iter()
                .find(|(_, j, _)| *j == job)
                .map(|(_, _, t)| t.clone())
        };
        let (download, upload) = (task(&jobs, 8).unwrap(), task(&jobs, 9).unwrap());
        jobs.cancel(8);
        tokio::task::yield_now().await;
        assert!(download.is_finished(), "the download stops");
        assert!(!upload.is_finished(), "other jobs go on");
        assert!(!jobs.image_dir(8).exists());
        assert!(task(&jobs, 8).is_none());
        jobs.cancel(77); // not running: nothing happens
        assert!(!upload.is_finished());
        jobs.abort_all();
    }

    #[tokio::test]
    async fn leftovers_of_an_earlier_run_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("firmware/6")).unwrap();
        std::fs::write(dir.path().join("firmware/6/fw.bin"), "whole").unwrap();
        std::fs::write(dir.path().join("firmware/7.bin.part"), "half").unwrap();
        let jobs = FileJobs::new(Some(dir.path().to_path_buf())).unwrap();
        assert!(std::fs::read_dir(jobs.firmware_dir())
            .unwrap()
            .next()
            .is_none());
    }
}
