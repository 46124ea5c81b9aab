//! Station templates (`--template FILE`): what a group of stations shares (the simulated
//! charger and its EV, configuration keys at first start, the ATG's cards and sessions).
//! The file is either one template, used for every station, or a fleet file whose
//! `[[group]]` entries each name a template and how many stations use it, in id order:
//!
//! ```toml
//! [[group]]
//! count = 300
//! template = "dc-2-connector.toml"   # relative to this file
//! [[group]]
//! count = 700
//! template = "dc-1-connector.toml"
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hal::sim::SimConfig;
use serde::Deserialize;

use super::atg::AtgConfig;
use crate::settings::{ocpp_keys, parse_toml};

/// One kind of station.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Template {
    pub simulator: SimConfig,
    /// Configuration keys at first start.
    pub initial_keys: Vec<(String, String)>,
    pub atg: AtgShape,
}

/// What a template says of the ATG's sessions; the rest comes from the command line.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AtgShape {
    /// The cards people present at these stations.
    pub id_tags: Option<Vec<String>>,
    /// The share of sessions with a card the Central System does not know (0 to 1).
    pub unknown_share: Option<f64>,
    /// Mean minutes between two sessions' arrivals at one connector.
    pub mean_arrival_min: Option<f64>,
    /// A session charges for a time drawn evenly from `[min, max]` minutes.
    pub session_min: Option<[f64; 2]>,
}

impl AtgShape {
    /// `base` with what this template says.
    pub fn apply(&self, base: &AtgConfig) -> AtgConfig {
        let minutes = |m: f64| Duration::from_secs_f64(m * 60.0);
        AtgConfig {
            id_tags: self.id_tags.clone().unwrap_or_else(|| base.id_tags.clone()),
            unknown_share: self.unknown_share.unwrap_or(base.unknown_share),
            mean_arrival: self.mean_arrival_min.map_or(base.mean_arrival, minutes),
            session: self
                .session_min
                .map_or(base.session, |[a, b]| (minutes(a), minutes(b))),
            ..base.clone()
        }
    }

    fn validate(&self) -> Result<(), String> {
        if let Some(tags) = &self.id_tags {
            if let Some(bad) = tags.iter().find(|t| t.is_empty() || t.len() > 20) {
                return Err(format!(
                    "field `atg.id_tags`: {bad:?} is not 1 to 20 characters"
                ));
            }
        }
        if let Some(share) = self.unknown_share {
            if !(0.0..=1.0).contains(&share) {
                return Err(format!(
                    "field `atg.unknown_share`: {share} is not between 0 and 1"
                ));
            }
        }
        if let Some(m) = self.mean_arrival_min {
            if !(m.is_finite() && m > 0.0) {
                return Err(format!(
                    "field `atg.mean_arrival_min`: {m} is not a positive number of minutes"
                ));
            }
        }
        if let Some([a, b]) = self.session_min {
            if !(a.is_finite() && b.is_finite() && 0.0 <= a && a <= b) {
                return Err(format!(
                    "field `atg.session_min`: [{a}, {b}] is not [min, max] minutes"
                ));
            }
        }
        Ok(())
    }
}

/// A template file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct TemplateFile {
    simulator: SimConfig,
    ocpp: BTreeMap<String, toml::Value>,
    atg: AtgShape,
}

/// A fleet file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetFile {
    group: Vec<GroupEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupEntry {
    count: u32,
    template: std::path::PathBuf,
}

/// Which template each station of the fleet uses, by station number (from 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    /// The last station number of each group, with its template, in order.
    groups: Vec<(u32, Arc<Template>)>,
    /// A single template stands for any number of stations.
    single: bool,
}

impl Default for Groups {
    fn default() -> Groups {
        Groups::single(Template::default())
    }
}

impl Groups {
    pub fn single(template: Template) -> Groups {
        Groups {
            groups: vec![(u32::MAX, Arc::new(template))],
            single: true,
        }
    }

    /// How many stations the groups hold (none for a single template: any count).
    pub fn count(&self) -> Option<u32> {
        (!self.single).then(|| self.groups.last().map_or(0, |(last, _)| *last))
    }

    /// The template of station `n`.
    pub fn of(&self, n: u32) -> &Template {
        let i = self.groups.partition_point(|(last, _)| *last < n);
        &self.groups[i.min(self.groups.len() - 1)].1
    }

    /// Every template's ATG sessions arrive `minutes` apart on average.
    pub fn set_mean_arrival_min(&mut self, minutes: f64) {
        for (_, t) in &mut self.groups {
            Arc::make_mut(t).atg.mean_arrival_min = Some(minutes);
        }
    }
}

/// Read `--template FILE`: one template, or a fleet file of groups.
pub fn load(path: &Path) -> Result<Groups, String> {
    let text = read(path)?;
    let is_fleet = toml::from_str::<toml::Table>(&text)
        .map(|t| t.contains_key("group"))
        .unwrap_or(false);
    if !is_fleet {
        return template(path, &text).map(Groups::single);
    }
    let fleet: FleetFile = parse_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if fleet.group.is_empty() {
        return Err(format!("{}: field `group`: no groups", path.display()));
    }
    let mut groups = Vec::new();
    let mut last = 0u32;
    for (i, entry) in fleet.group.iter().enumerate() {
        if entry.count == 0 {
            return Err(format!(
                "{}: field `group[{i}].count`: must be at least 1",
                path.display()
            ));
        }
        last = last.checked_add(entry.count).ok_or_else(|| {
            format!(
                "{}: field `group[{i}].count`: too many stations",
                path.display()
            )
        })?;
        let file = path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&entry.template);
        let text = read(&file).map_err(|e| format!("{}: group[{i}]: {e}", path.display()))?;
        groups.push((last, Arc::new(template(&file, &text)?)));
    }
    Ok(Groups {
        groups,
        single: false,
    })
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read template {}: {e}", path.display()))
}

fn template(path: &Path, text: &str) -> Result<Template, String> {
    let name = path.display();
    let file: TemplateFile = parse_toml(text).map_err(|e| format!("{name}: {e}"))?;
    file.simulator
        .validate()
        .map_err(|e| format!("{name}: section [simulator]: {e}"))?;
    file.atg.validate().map_err(|e| format!("{name}: {e}"))?;
    let initial_keys =
        ocpp_keys(&file.ocpp, file.simulator.connectors).map_err(|e| format!("{name}: {e}"))?;
    Ok(Template {
        simulator: file.simulator,
        initial_keys,
        atg: file.atg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_fleet_file_mixes_groups_in_id_order() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "two.toml",
            "[simulator]\nconnectors = 2\nmodel = \"DC-2\"\n[ocpp]\nHeartbeatInterval = 60\n",
        );
        write(
            dir.path(),
            "one.toml",
            "[simulator]\nconnectors = 1\nmodel = \"DC-1\"\n[atg]\nid_tags = [\"A\", \"B\"]\nmean_arrival_min = 5\n",
        );
        let fleet = write(
            dir.path(),
            "fleet.toml",
            "[[group]]\ncount = 3\ntemplate = \"two.toml\"\n[[group]]\ncount = 7\ntemplate = \"one.toml\"\n",
        );
        let groups = load(&fleet).unwrap();
        assert_eq!(groups.count(), Some(10));
        assert_eq!(groups.of(1).simulator.model, "DC-2");
        assert_eq!(groups.of(3).simulator.connectors, 2);
        assert_eq!(
            groups.of(3).initial_keys,
            vec![("HeartbeatInterval".into(), "60".into())]
        );
        assert_eq!(groups.of(4).simulator.model, "DC-1");
        assert_eq!(groups.of(10).simulator.connectors, 1);
        let atg = groups.of(4).atg.apply(&AtgConfig::default());
        assert_eq!(atg.id_tags, vec!["A".to_owned(), "B".to_owned()]);
        assert_eq!(atg.mean_arrival, Duration::from_secs(300));
        assert_eq!(atg.unknown_share, AtgConfig::default().unknown_share);
    }

    #[test]
    fn the_shipped_examples_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet");
        let groups = load(&dir.join("mixed.toml")).unwrap();
        assert_eq!(groups.count(), Some(1000));
        assert_eq!(groups.of(300).simulator.connectors, 2);
        assert_eq!(groups.of(301).simulator.connectors, 1);
        for one in ["dc-2-connector.toml", "dc-1-connector.toml"] {
            assert_eq!(load(&dir.join(one)).unwrap().count(), None, "{one}");
        }
    }

    #[test]
    fn one_template_is_for_every_station() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "t.toml", "[simulator]\nvendor = \"Maker\"\n");
        let groups = load(&path).unwrap();
        assert_eq!(groups.count(), None);
        assert_eq!(groups.of(1).simulator.vendor, "Maker");
        assert_eq!(groups.of(10_000).simulator.vendor, "Maker");
    }

    #[test]
    fn a_malformed_template_is_one_line_naming_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "[simulator]\nconnectors = \"two\"\n",
                "simulator.connectors",
            ),
            ("[simulator]\nconectors = 2\n", "conectors"),
            (
                "[ocpp]\nHeartbeatInterval = \"often\"\n",
                "ocpp.HeartbeatInterval",
            ),
            ("[atg]\nunknown_share = 3.0\n", "atg.unknown_share"),
            ("[atg]\nsession_min = [40, 10]\n", "atg.session_min"),
            ("[simulator]\nconnectors = 0\n", "[simulator]"),
        ];
        for (text, field) in cases {
            let path = write(dir.path(), "bad.toml", text);
            let e = load(&path).unwrap_err();
            assert!(e.contains(field), "{text:?}: {e}");
            assert!(e.contains("bad.toml"), "{e}");
            assert!(!e.contains('\n'), "{e}");
        }
        let fleet = write(
            dir.path(),
            "fleet.toml",
            "[[group]]\ncount = 0\ntemplate = \"bad.toml\"\n",
        );
        assert!(load(&fleet).unwrap_err().contains("group[0].count"));
        let fleet = write(
            dir.path(),
            "fleet.toml",
            "[[group]]\ncount = 2\ntemplate = \"missing.toml\"\n",
        );
        let e = load(&fleet).unwrap_err();
        assert!(e.contains("group[0]") && e.contains("missing.toml"), "{e}");
    }
}
