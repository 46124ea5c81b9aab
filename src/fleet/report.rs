//! The fleet's report (`--report FILE`): how many stations, which ids, and the Central
//! System's answer times per action as the stations saw them. Reports of the shards of one
//! fleet merge into the report of the whole (`chargepoint report merge`): counts add up,
//! answer-time histograms add up bucket by bucket, percentiles are taken again.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::runner::{ActionFigures, Histogram};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetReport {
    pub stations: u64,
    /// The first and last station id of the run (of all shards, merged).
    pub first: String,
    pub last: String,
    pub actions: Vec<ActionFigures>,
}

impl FleetReport {
    pub fn read(path: &Path) -> Result<FleetReport, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read report {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("report {}: {e}", path.display()))
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// The report of all of `reports` together. Ids compare as text, which orders a fleet's
    /// zero-padded ids.
    pub fn merge(reports: &[FleetReport]) -> Option<FleetReport> {
        let mut actions: BTreeMap<&str, (Histogram, u64)> = BTreeMap::new();
        for a in reports.iter().flat_map(|r| &r.actions) {
            let (micros, errors) = actions.entry(&a.action).or_default();
            micros.add_buckets(&a.histogram, (a.max_ms * 1000.0).round() as u32);
            *errors += a.errors;
        }
        Some(FleetReport {
            stations: reports.iter().map(|r| r.stations).sum(),
            first: reports.iter().map(|r| &r.first).min()?.clone(),
            last: reports.iter().map(|r| &r.last).max()?.clone(),
            actions: actions
                .iter()
                .map(|(action, (micros, errors))| ActionFigures::of(action, micros, *errors))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(first: &str, last: &str, stations: u64, heartbeats: &[u32]) -> FleetReport {
        let mut micros = Histogram::default();
        for &us in heartbeats {
            micros.record(us);
        }
        FleetReport {
            stations,
            first: first.into(),
            last: last.into(),
            actions: vec![ActionFigures::of("Heartbeat", &micros, 1)],
        }
    }

    #[test]
    fn shards_merge_into_the_report_of_the_whole_fleet() {
        let a = shard("CP00001", "CP00500", 500, &[1000, 2000, 3000]);
        let b = shard("CP00501", "CP01000", 500, &[4000, 90_000]);
        let whole = FleetReport::merge(&[b.clone(), a.clone()]).unwrap();
        assert_eq!(whole.stations, 1000);
        assert_eq!(
            (whole.first.as_str(), whole.last.as_str()),
            ("CP00001", "CP01000")
        );
        let hb = &whole.actions[0];
        assert_eq!((hb.count, hb.errors, hb.max_ms), (5, 2, 90.0));
        let mut all = Histogram::default();
        for us in [1000, 2000, 3000, 4000, 90_000] {
            all.record(us);
        }
        assert_eq!(*hb, ActionFigures::of("Heartbeat", &all, 2));
        // Through the file, as the shards write it.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        a.write(&path).unwrap();
        assert_eq!(FleetReport::read(&path).unwrap(), a);
        assert!(FleetReport::merge(&[]).is_none());
    }

    #[test]
    fn a_report_names_the_file_it_cannot_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.json");
        std::fs::write(&path, "{\"stations\": 3").unwrap();
        assert!(FleetReport::read(&path)
            .unwrap_err()
            .contains("broken.json"));
    }
}
