//! What a run leaves in `--report DIR`: `report.json` (the shape the design fixes),
//! `report.html` for people, `junit.xml` for CI, and `cases/<id>.log` with every frame.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::profile::Profile;
use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    Passed,
    Failed,
    NotApplicable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::NotApplicable => "notApplicable",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Station {
    pub id: String,
    pub vendor: String,
    pub model: String,
    pub firmware_version: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub not_applicable: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub id: String,
    pub title: String,
    pub profile: Profile,
    pub verdict: Verdict,
    /// Why it failed or does not apply; empty when passed.
    pub reason: String,
    pub seconds: f64,
    /// `cases/<id>.log`, relative to the report.
    pub log: String,
    /// The lines of that log (written to the file, not to report.json).
    #[serde(skip)]
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tool: Tool,
    pub station: Station,
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
    pub summary: Summary,
    pub cases: Vec<CaseResult>,
}

impl Report {
    pub fn new(station: Station, started: DateTime<Utc>, cases: Vec<CaseResult>) -> Report {
        let count = |v| cases.iter().filter(|c| c.verdict == v).count();
        Report {
            tool: Tool {
                name: "chargepoint conformance".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            station,
            started,
            finished: Utc::now(),
            summary: Summary {
                passed: count(Verdict::Passed),
                failed: count(Verdict::Failed),
                not_applicable: count(Verdict::NotApplicable),
            },
            cases,
        }
    }

    /// Writes report.json, report.html, junit.xml and cases/<id>.log into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        let io = |e: std::io::Error| Error::Report(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir.join("cases")).map_err(io)?;
        for case in &self.cases {
            let mut text = case.lines.join("\n");
            text.push('\n');
            std::fs::write(dir.join(&case.log), text).map_err(io)?;
        }
        let json = serde_json::to_string_pretty(self).map_err(|e| Error::Report(e.to_string()))?;
        std::fs::write(dir.join("report.json"), json).map_err(io)?;
        std::fs::write(dir.join("report.html"), self.html()).map_err(io)?;
        std::fs::write(dir.join("junit.xml"), self.junit()).map_err(io)?;
        Ok(())
    }

    /// The summary line the command prints last.
    pub fn summary_line(&self) -> String {
        format!(
            "{} cases: {} passed, {} failed, {} not applicable",
            self.cases.len(),
            self.summary.passed,
            self.summary.failed,
            self.summary.not_applicable
        )
    }

    pub fn junit(&self) -> String {
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let total: f64 = self.cases.iter().map(|c| c.seconds).sum();
        let _ = writeln!(
            x,
            "<testsuite name=\"OCPP 1.6 conformance: {}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{total:.3}\" timestamp=\"{}\">",
            escape(&self.station.id),
            self.cases.len(),
            self.summary.failed,
            self.summary.not_applicable,
            self.started.to_rfc3339()
        );
        for c in &self.cases {
            let _ = write!(
                x,
                "  <testcase classname=\"{}\" name=\"{} {}\" time=\"{:.3}\"",
                c.profile.as_str(),
                c.id,
                escape(&c.title),
                c.seconds
            );
            match c.verdict {
                Verdict::Passed => x.push_str("/>\n"),
                Verdict::Failed => {
                    let _ = writeln!(
                        x,
                        ">\n    <failure message=\"{}\"/>\n    <system-out>see {}</system-out>\n  </testcase>",
                        escape(&c.reason),
                        c.log
                    );
                }
                Verdict::NotApplicable => {
                    let _ = writeln!(
                        x,
                        ">\n    <skipped message=\"{}\"/>\n  </testcase>",
                        escape(&c.reason)
                    );
                }
            }
        }
        x.push_str("</testsuite>\n");
        x
    }

    pub fn html(&self) -> String {
        let mut h = String::new();
        let s = &self.station;
        let _ = write!(
            h,
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OCPP 1.6 conformance: {id}</title>
<style>
:root {{ color-scheme: light dark; font-family: system-ui, sans-serif; }}
body {{ max-width: 70rem; margin: 1.5rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #8884; vertical-align: top; }}
.passed {{ color: #1a7f37; }} .failed {{ color: #cf222e; font-weight: 600; }} .notApplicable {{ color: #8c8c8c; }}
.summary span {{ margin-right: 1.5rem; font-size: 1.2rem; }} .summary .none {{ color: inherit; font-weight: normal; }}
</style></head><body>
<h1>OCPP 1.6-J conformance report</h1>
<p>Station <strong>{id}</strong>: {vendor} {model}, firmware {fw}. Tested {started} to {finished} with {tool} {version}.</p>
<p class="summary"><span class="passed">{p} passed</span><span class="{failed_class}">{f} failed</span><span class="notApplicable">{n} not applicable</span></p>
<table><thead><tr><th>Case</th><th>Title</th><th>Profile</th><th>Verdict</th><th>Reason</th><th>Seconds</th></tr></thead><tbody>
"#,
            id = escape(&s.id),
            vendor = escape(&s.vendor),
            model = escape(&s.model),
            fw = escape(&s.firmware_version),
            started = self.started.format("%Y-%m-%d %H:%M:%S UTC"),
            finished = self.finished.format("%Y-%m-%d %H:%M:%S UTC"),
            tool = escape(&self.tool.name),
            version = escape(&self.tool.version),
            p = self.summary.passed,
            f = self.summary.failed,
            failed_class = if self.summary.failed > 0 {
                "failed"
            } else {
                "none"
            },
            n = self.summary.not_applicable,
        );
        for c in &self.cases {
            let _ = writeln!(
                h,
                "<tr><td><a href=\"{log}\">{id}</a></td><td>{title}</td><td>{profile}</td><td class=\"{v}\">{v}</td><td>{reason}</td><td>{secs:.1}</td></tr>",
                log = escape(&c.log),
                id = c.id,
                title = escape(&c.title),
                profile = c.profile.as_str(),
                v = c.verdict.as_str(),
                reason = escape(&c.reason),
                secs = c.seconds
            );
        }
        h.push_str("</tbody></table></body></html>\n");
        h
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: &str, verdict: Verdict, reason: &str) -> CaseResult {
        CaseResult {
            id: id.into(),
            title: "A <title>".into(),
            profile: Profile::Core,
            verdict,
            reason: reason.into(),
            seconds: 1.5,
            log: format!("cases/{id}.log"),
            lines: vec!["12:00:00.000 <- [2,\"1\",\"Heartbeat\",{}]".into()],
        }
    }

    fn report() -> Report {
        Report::new(
            Station {
                id: "CP1".into(),
                ..Station::default()
            },
            Utc::now(),
            vec![
                case("TC_001", Verdict::Passed, ""),
                case("TC_002", Verdict::Failed, "no \"BootNotification\""),
                case("TC_017_1", Verdict::NotApplicable, "fixed cable"),
            ],
        )
    }

    #[test]
    fn report_json_has_the_designed_shape() {
        let v = serde_json::to_value(report()).unwrap();
        assert_eq!(v["tool"]["name"], "chargepoint conformance");
        assert_eq!(v["station"]["firmwareVersion"], "");
        assert_eq!(v["summary"]["passed"], 1);
        assert_eq!(v["summary"]["failed"], 1);
        assert_eq!(v["summary"]["notApplicable"], 1);
        let c = &v["cases"][2];
        assert_eq!(c["verdict"], "notApplicable");
        assert_eq!(c["profile"], "Core");
        assert_eq!(c["log"], "cases/TC_017_1.log");
        assert!(c.get("lines").is_none());
        for key in ["id", "title", "reason", "seconds", "started", "finished"] {
            assert!(c.get(key).is_some() || v.get(key).is_some(), "{key}");
        }
    }

    #[test]
    fn junit_and_html_escape_and_count() {
        let r = report();
        let x = r.junit();
        assert!(
            x.contains("tests=\"3\" failures=\"1\" skipped=\"1\""),
            "{x}"
        );
        assert!(
            x.contains("<failure message=\"no &quot;BootNotification&quot;\"/>"),
            "{x}"
        );
        assert!(x.contains("A &lt;title&gt;"));
        let h = r.html();
        assert!(h.contains("<a href=\"cases/TC_002.log\">TC_002</a>"));
        assert!(h.contains("class=\"failed\">failed"));
    }

    #[test]
    fn write_puts_every_file_in_place() {
        let dir = tempfile::tempdir().unwrap();
        report().write(dir.path()).unwrap();
        for f in [
            "report.json",
            "report.html",
            "junit.xml",
            "cases/TC_001.log",
            "cases/TC_017_1.log",
        ] {
            assert!(dir.path().join(f).is_file(), "{f}");
        }
        let log = std::fs::read_to_string(dir.path().join("cases/TC_001.log")).unwrap();
        assert!(log.contains("Heartbeat"));
    }
}
