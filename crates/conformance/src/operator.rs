//! The person (or machine) at the charger: what a case needs done physically. `control=URL`
//! does it through the simulator control API of the design; `prompt` asks a person in a
//! lab and gives them time.

use std::time::Duration;

use serde_json::json;
use tokio::io::AsyncBufReadExt;

use crate::Error;

/// A physical step of a test case.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Plug(u32),
    Unplug(u32),
    /// Present a card at the connector (selected first where the charger insists).
    PresentCard(u32, String),
    /// The local stop button of a connector.
    StopButton(u32),
    /// The EV pauses (`true`) or resumes charging.
    EvSuspend(u32, bool),
    /// A hardware fault at the connector, raised or cleared.
    Fault(u32, String, bool),
    /// The charger loses its power supply (`false`) or gets it back.
    Power(bool),
}

impl Step {
    /// What a person is asked to do.
    pub fn instruction(&self) -> String {
        match self {
            Step::Plug(c) => format!("plug the EV's cable into connector {c}"),
            Step::Unplug(c) => format!("unplug the cable from connector {c}"),
            Step::PresentCard(c, tag) => format!("select connector {c} and present card {tag}"),
            Step::StopButton(c) => format!("press the stop button of connector {c}"),
            Step::EvSuspend(c, true) => format!("make the EV on connector {c} pause charging"),
            Step::EvSuspend(c, false) => format!("make the EV on connector {c} resume charging"),
            Step::Fault(c, code, true) => format!("cause a {code} fault on connector {c}"),
            Step::Fault(c, code, false) => format!("clear the {code} fault on connector {c}"),
            Step::Power(false) => "cut the charger's power".into(),
            Step::Power(true) => "restore the charger's power".into(),
        }
    }
}

/// `--operator control=URL | prompt`.
pub enum Operator {
    Control(Control),
    Prompt(Prompt),
    /// Nobody: a case with a physical step fails, saying so.
    Absent,
}

impl Operator {
    pub fn parse(spec: &str) -> Result<Operator, Error> {
        if spec == "prompt" {
            return Ok(Operator::Prompt(Prompt::new()));
        }
        let base = spec
            .strip_prefix("control=")
            .filter(|b| b.starts_with("http://") || b.starts_with("https://"))
            .ok_or_else(|| Error::Operator(spec.to_owned()))?;
        Ok(Operator::Control(Control::new(base)))
    }

    /// Do `step`; `Err` says why it cannot be done (the case fails with it).
    pub async fn act(&self, step: &Step) -> Result<(), String> {
        match self {
            Operator::Control(c) => c.act(step).await,
            Operator::Prompt(p) => p.act(step).await,
            Operator::Absent => Err(format!(
                "no operator to {} (give --operator control=URL or prompt)",
                step.instruction()
            )),
        }
    }

    /// How long to wait for what a step causes: a person needs longer than an API.
    pub fn patience(&self) -> Duration {
        match self {
            Operator::Control(_) | Operator::Absent => Duration::from_secs(10),
            Operator::Prompt(_) => Duration::from_secs(120),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Operator::Control(c) => format!("control={}", c.base),
            Operator::Prompt(_) => "prompt".into(),
            Operator::Absent => "none".into(),
        }
    }
}

/// The simulator control API (`POST /api/connectors/{id}/plug`, ...).
pub struct Control {
    base: String,
    http: reqwest::Client,
}

impl Control {
    fn new(base: &str) -> Control {
        Control {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }
    }

    async fn act(&self, step: &Step) -> Result<(), String> {
        let (path, body) = match step {
            Step::Plug(c) => (format!("connectors/{c}/plug"), None),
            Step::Unplug(c) => (format!("connectors/{c}/unplug"), None),
            Step::PresentCard(c, tag) => (
                format!("connectors/{c}/authorize"),
                Some(json!({ "idTag": tag })),
            ),
            Step::StopButton(c) => (format!("connectors/{c}/stop"), None),
            Step::EvSuspend(c, suspend) => (
                format!("connectors/{c}/ev"),
                Some(json!({ "suspend": suspend })),
            ),
            Step::Fault(c, code, active) => (
                format!("connectors/{c}/fault"),
                Some(json!({ "errorCode": code, "active": active })),
            ),
            Step::Power(on) => ("power".into(), Some(json!({ "on": on }))),
        };
        let url = format!("{}/api/{path}", self.base);
        let request = self.http.post(&url);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|e| format!("the control API cannot {}: {e}", step.instruction()))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        Err(format!(
            "the control API cannot {} (POST {url}: HTTP {status} {text})",
            step.instruction()
        ))
    }
}

/// A person in a lab, told what to do on the terminal.
pub struct Prompt {
    lines: tokio::sync::Mutex<tokio::io::Lines<tokio::io::BufReader<tokio::io::Stdin>>>,
}

impl Prompt {
    fn new() -> Prompt {
        Prompt {
            lines: tokio::sync::Mutex::new(tokio::io::BufReader::new(tokio::io::stdin()).lines()),
        }
    }

    /// Says what to do and waits for Enter (at most two minutes); the case then waits for
    /// the message the step causes.
    async fn act(&self, step: &Step) -> Result<(), String> {
        eprintln!(">>> Please {}, then press Enter.", step.instruction());
        let mut lines = self.lines.lock().await;
        match tokio::time::timeout(Duration::from_secs(120), lines.next_line()).await {
            Ok(Ok(Some(_))) => Ok(()),
            Ok(_) => Err(format!("nobody at the terminal to {}", step.instruction())),
            Err(_) => Err(format!("nobody confirmed: {}", step.instruction())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_specs() {
        assert!(matches!(
            Operator::parse("control=http://127.0.0.1:8180"),
            Ok(Operator::Control(_))
        ));
        assert!(matches!(Operator::parse("prompt"), Ok(Operator::Prompt(_))));
        assert!(Operator::parse("control=127.0.0.1:8180").is_err());
        assert!(Operator::parse("robot").is_err());
    }
}
