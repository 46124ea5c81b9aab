//! The local side of a transfer: the `.part` file a download streams into, and progress
//! reporting.

use crate::{Progress, TransferError};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use tokio::fs::File;
use tokio::io::AsyncWriteExt;

/// Report progress at most once per this many bytes (and once at the end).
pub(crate) const PROGRESS_STEP: u64 = 64 * 1024;

/// Size of the buffer used to read files and FTP data connections.
pub(crate) const CHUNK: usize = 64 * 1024;

/// A download in progress: `dest.part` in the destination's directory. Dropped without
/// [`PartFile::commit`] (an error, a timeout, a cancelled future) it removes itself, so a failed
/// download leaves neither `dest` nor `dest.part` behind.
pub(crate) struct PartFile {
    part: PathBuf,
    dest: PathBuf,
    file: Option<File>,
}

impl PartFile {
    /// Creates (truncates) `dest.part`.
    pub async fn create(dest: &Path) -> Result<Self, TransferError> {
        if dest.file_name().is_none() {
            return Err(TransferError::Io(format!(
                "destination {} is not a file name",
                dest.display()
            )));
        }
        let mut part = OsString::from(dest.as_os_str());
        part.push(".part");
        let part = PathBuf::from(part);
        let file = File::create(&part)
            .await
            .map_err(|e| TransferError::io("cannot create", &part, e))?;
        Ok(PartFile {
            part,
            dest: dest.to_path_buf(),
            file: Some(file),
        })
    }

    /// Appends `buf`.
    pub async fn write(&mut self, buf: &[u8]) -> Result<(), TransferError> {
        let Some(file) = self.file.as_mut() else {
            return Err(TransferError::Io("part file already closed".into()));
        };
        file.write_all(buf)
            .await
            .map_err(|e| TransferError::io("cannot write", &self.part, e))
    }

    /// Flushes and fsyncs the data, renames `dest.part` to `dest` (replacing an existing
    /// `dest` atomically) and fsyncs the directory so the rename survives a power loss.
    pub async fn commit(mut self) -> Result<(), TransferError> {
        if let Some(mut file) = self.file.take() {
            file.flush()
                .await
                .map_err(|e| TransferError::io("cannot flush", &self.part, e))?;
            file.sync_all()
                .await
                .map_err(|e| TransferError::io("cannot sync", &self.part, e))?;
        }
        tokio::fs::rename(&self.part, &self.dest)
            .await
            .map_err(|e| TransferError::io("cannot rename to", &self.dest, e))?;
        // From here on the part file no longer exists: nothing to clean up.
        self.part = PathBuf::new();
        if let Some(dir) = self.dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Best effort: not every platform/filesystem can fsync a directory.
            if let Ok(d) = File::open(dir).await {
                let _ = d.sync_all().await;
            }
        }
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        drop(self.file.take());
        if !self.part.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

/// Calls the progress callback at most once per [`PROGRESS_STEP`] bytes, plus once at the end.
pub(crate) struct Meter<'a> {
    callback: &'a mut (dyn FnMut(Progress) + Send),
    bytes: u64,
    total: Option<u64>,
    reported: Option<u64>,
}

impl<'a> Meter<'a> {
    pub fn new(callback: &'a mut (dyn FnMut(Progress) + Send)) -> Self {
        Meter {
            callback,
            bytes: 0,
            total: None,
            reported: None,
        }
    }

    pub fn set_total(&mut self, total: Option<u64>) {
        self.total = total;
    }

    /// Counts `n` more bytes transferred.
    pub fn add(&mut self, n: u64) {
        self.bytes += n;
        if self.bytes - self.reported.unwrap_or(0) >= PROGRESS_STEP {
            self.report();
        }
    }

    /// Reports the final count unless it was just reported.
    pub fn finish(&mut self) -> u64 {
        if self.reported != Some(self.bytes) {
            self.report();
        }
        self.bytes
    }

    fn report(&mut self) {
        self.reported = Some(self.bytes);
        (self.callback)(Progress {
            bytes: self.bytes,
            total: self.total,
        });
    }
}

/// Opens a file to upload and returns it with its length.
pub(crate) async fn open_source(src: &Path) -> Result<(File, u64), TransferError> {
    let file = File::open(src)
        .await
        .map_err(|e| TransferError::io("cannot open", src, e))?;
    let meta = file
        .metadata()
        .await
        .map_err(|e| TransferError::io("cannot stat", src, e))?;
    if !meta.is_file() {
        return Err(TransferError::Io(format!(
            "{} is not a regular file",
            src.display()
        )));
    }
    Ok((file, meta.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dropped_part_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("fw.bin");
        let mut p = PartFile::create(&dest).await.unwrap();
        p.write(b"abc").await.unwrap();
        assert!(dir.path().join("fw.bin.part").exists());
        drop(p);
        assert!(!dir.path().join("fw.bin.part").exists());
        assert!(!dest.exists());
    }

    #[tokio::test]
    async fn committed_part_file_becomes_dest() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("fw.bin");
        let mut p = PartFile::create(&dest).await.unwrap();
        p.write(b"abc").await.unwrap();
        p.commit().await.unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"abc");
        assert!(!dir.path().join("fw.bin.part").exists());
    }

    #[test]
    fn meter_throttles_and_finishes() {
        let mut seen = Vec::new();
        let mut cb = |p: Progress| seen.push(p.bytes);
        {
            let mut m = Meter::new(&mut cb);
            for _ in 0..10 {
                m.add(16 * 1024);
            }
            assert_eq!(m.finish(), 160 * 1024);
        }
        assert_eq!(seen, vec![64 * 1024, 128 * 1024, 160 * 1024]);
    }
}
