//! The simulated meters' registers on disk: a real meter keeps its register through a power
//! loss, so a restarted simulator must not start again from 0 Wh.

use std::path::{Path, PathBuf};

pub(crate) struct MeterFile {
    path: PathBuf,
    saved: Vec<f64>,
}

impl MeterFile {
    pub(crate) fn new(path: PathBuf) -> MeterFile {
        MeterFile {
            path,
            saved: Vec::new(),
        }
    }

    /// The registers saved last time, or none (a first start, or an unreadable file).
    pub(crate) fn load(&mut self) -> Vec<f64> {
        let registers: Vec<f64> = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        self.saved = registers.clone();
        registers
    }

    /// Save when something changed; written aside and renamed so a kill never leaves half a file.
    pub(crate) fn save(&mut self, registers: Vec<f64>) {
        if registers == self.saved {
            return;
        }
        if let Err(e) = write_atomically(&self.path, &registers) {
            tracing::warn!(
                "cannot save the meter registers to {}: {e}",
                self.path.display()
            );
            return;
        }
        self.saved = registers;
    }
}

fn write_atomically(path: &Path, registers: &[f64]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let text = serde_json::to_string(registers).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_round_trip_and_a_missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = MeterFile::new(dir.path().join("meters.json"));
        assert!(file.load().is_empty());
        file.save(vec![12.5, 3000.0]);
        let mut again = MeterFile::new(dir.path().join("meters.json"));
        assert_eq!(again.load(), vec![12.5, 3000.0]);
    }

    #[test]
    fn a_corrupt_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("meters.json"), "{not json").unwrap();
        let mut file = MeterFile::new(dir.path().join("meters.json"));
        assert!(file.load().is_empty());
    }
}
