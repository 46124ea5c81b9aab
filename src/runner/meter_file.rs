//! The simulated meters' registers kept across restarts: a real meter keeps its register
//! through a power loss, so a restarted simulator must not start again from 0 Wh.

use super::MeterRegisters;
use std::path::Path;

pub(crate) struct MeterFile {
    place: MeterRegisters,
    saved: Vec<f64>,
}

impl MeterFile {
    pub(crate) fn new(place: MeterRegisters) -> MeterFile {
        MeterFile {
            place,
            saved: Vec::new(),
        }
    }

    /// The registers saved last time, or none (a first start, or an unreadable file).
    pub(crate) fn load(&mut self) -> Vec<f64> {
        let registers: Vec<f64> = match &self.place {
            MeterRegisters::File(path) => std::fs::read_to_string(path)
                .ok()
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or_default(),
            MeterRegisters::Journal(slot) => slot.load(),
        };
        self.saved = registers.clone();
        registers
    }

    /// Save when something changed; a file is written aside and renamed so a kill never
    /// leaves half of it.
    pub(crate) fn save(&mut self, registers: Vec<f64>) {
        if registers == self.saved {
            return;
        }
        match &self.place {
            MeterRegisters::File(path) => {
                if let Err(e) = write_atomically(path, &registers) {
                    tracing::warn!("cannot save the meter registers to {}: {e}", path.display());
                    return;
                }
            }
            MeterRegisters::Journal(slot) => slot.save(&registers),
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
        let path = dir.path().join("meters.json");
        let mut file = MeterFile::new(MeterRegisters::File(path.clone()));
        assert!(file.load().is_empty());
        file.save(vec![12.5, 3000.0]);
        let mut again = MeterFile::new(MeterRegisters::File(path));
        assert_eq!(again.load(), vec![12.5, 3000.0]);
    }

    #[test]
    fn a_corrupt_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meters.json");
        std::fs::write(&path, "{not json").unwrap();
        let mut file = MeterFile::new(MeterRegisters::File(path));
        assert!(file.load().is_empty());
    }
}
