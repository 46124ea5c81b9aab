//! The run's record: counts by mutation class and outcome, every violation with the frame
//! sent and the answer, disconnects, and whether the station survived. Written as
//! `report.json`; [`Report::summary`] is the short text for stdout.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::expect::Expectation;
use crate::judge::Outcome;
use crate::mutate::Class;
use crate::FuzzError;

/// Violations kept in full per (class, kind); the counts stay exact beyond that.
const KEEP_PER_KIND: usize = 50;
/// Characters of a frame kept in the report.
const FRAME_CHARS: usize = 2000;

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub tool: Tool,
    pub seed: u64,
    pub schemas: String,
    pub started: String,
    pub finished: String,
    pub frames_requested: u64,
    pub frames_sent: u64,
    pub seconds: f64,
    pub frames_per_second: f64,
    pub station: StationInfo,
    /// No violation and the station alive: the exit status.
    pub passed: bool,
    pub violation_count: u64,
    pub violations_by_kind: BTreeMap<String, u64>,
    /// Frames by mutation class and outcome.
    pub counts: BTreeMap<Class, BTreeMap<Outcome, u64>>,
    pub violations: Vec<Violation>,
    pub station_calls: StationCalls,
    /// Calls where our `ocpp::validate_request` disagrees with the official schema.
    pub second_opinion: SecondOpinion,
    pub disconnects: Vec<Disconnect>,
    /// Why the station is considered dead, when it is.
    pub dead: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "chargepoint fuzz",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StationInfo {
    pub id: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware_version: Option<String>,
    /// Answered a valid call at the end.
    pub alive: bool,
    pub connections: u64,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StationCalls {
    pub received: u64,
    pub by_action: BTreeMap<String, u64>,
    pub invalid: u64,
    /// Answers with an unknown id or to a frame that needed none (see counts).
    pub stray_answers: u64,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecondOpinion {
    pub compared: u64,
    pub disagreements: u64,
    /// The first few: (frame sent, why).
    pub examples: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// Index of the frame (0-based) among the frames sent.
    pub frame: u64,
    pub class: Option<Class>,
    /// An [`Outcome`] name, or `invalidStationCall`, `duplicateAnswer`, `unknownIdAnswer`.
    pub kind: String,
    pub detail: String,
    pub sent: Option<String>,
    pub answer: Option<String>,
    pub expected: Option<Expectation>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Disconnect {
    pub frame: u64,
    pub class: Option<Class>,
    pub sent: Option<String>,
    pub expected: bool,
    /// Milliseconds until the station was back; `None`: it did not come back.
    pub back_after_ms: Option<u64>,
}

/// A frame shortened for the report.
pub fn clip(text: &str) -> String {
    if text.len() <= FRAME_CHARS {
        return text.to_owned();
    }
    let mut end = FRAME_CHARS;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &text[..end], text.len())
}

impl Report {
    pub fn count(&mut self, class: Class, outcome: Outcome) {
        *self
            .counts
            .entry(class)
            .or_default()
            .entry(outcome)
            .or_default() += 1;
    }

    pub fn violation(&mut self, v: Violation) {
        self.violation_count += 1;
        let n = self.violations_by_kind.entry(v.kind.clone()).or_default();
        *n += 1;
        let kept = self
            .violations
            .iter()
            .filter(|o| o.kind == v.kind && o.class == v.class)
            .count();
        if kept < KEEP_PER_KIND {
            self.violations.push(v);
        }
    }

    /// Writes `report.json` into `dir` (created if needed).
    pub fn write(&self, dir: &Path) -> Result<std::path::PathBuf, FuzzError> {
        let path = dir.join("report.json");
        let err = |source| FuzzError::Report {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(err)?;
        let text = serde_json::to_string_pretty(self).map_err(|e| err(e.into()))?;
        std::fs::write(&path, text).map_err(err)?;
        Ok(path)
    }

    /// A few lines for people.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "fuzz: {} frames in {:.1} s ({:.0}/s), seed {}; station {} {}\n",
            self.frames_sent,
            self.seconds,
            self.frames_per_second,
            self.seed,
            self.station.id.as_deref().unwrap_or("?"),
            match (&self.dead, self.station.alive) {
                (Some(why), _) => format!("DEAD: {why}"),
                (None, true) => "alive".to_owned(),
                (None, false) => "not answering at the end".to_owned(),
            }
        );
        s.push_str(&format!(
            "violations: {}{}\n",
            self.violation_count,
            if self.violations_by_kind.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    self.violations_by_kind
                        .iter()
                        .map(|(k, n)| format!("{k} {n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
        if self.second_opinion.disagreements > 0 {
            s.push_str(&format!(
                "ocpp::validate_request disagrees with the schema on {} of {} calls\n",
                self.second_opinion.disagreements, self.second_opinion.compared
            ));
        }
        let disconnects = self.disconnects.iter().filter(|d| !d.expected).count();
        s.push_str(&format!(
            "disconnects: {} unexpected, {} expected; station calls {} ({} invalid)\n",
            disconnects,
            self.disconnects.len() - disconnects,
            self.station_calls.received,
            self.station_calls.invalid
        ));
        for v in self.violations.iter().take(5) {
            s.push_str(&format!(
                "  #{} {} {:?}: {}\n    sent:   {}\n    answer: {}\n",
                v.frame,
                v.kind,
                v.class,
                v.detail,
                v.sent.as_deref().map(clip_short).unwrap_or_default(),
                v.answer.as_deref().map(clip_short).unwrap_or_default()
            ));
        }
        s
    }
}

fn clip_short(t: &str) -> String {
    if t.len() <= 300 {
        return t.to_owned();
    }
    let mut end = 300;
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &t[..end])
}
