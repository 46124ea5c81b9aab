//! `--operator control=http://HOST:PORT`: what a lab asks a person to do (plug the cable in,
//! pull it out), done through our simulator's control API.

use std::time::Duration;

use crate::FuzzError;

pub struct Operator {
    base: String,
    http: reqwest::Client,
}

impl Operator {
    /// Parses `control=http://HOST:PORT`.
    pub fn parse(spec: &str) -> Result<Operator, FuzzError> {
        let base = spec
            .strip_prefix("control=")
            .filter(|b| b.starts_with("http://") || b.starts_with("https://"))
            .ok_or_else(|| FuzzError::Operator(spec.to_owned()))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|_| FuzzError::Operator(spec.to_owned()))?;
        Ok(Operator {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// The EV's cable at `connector`, in (`true`) or out.
    pub async fn cable(&self, connector: u32, plugged: bool) {
        let op = if plugged { "plug" } else { "unplug" };
        let url = format!("{}/api/connectors/{connector}/{op}", self.base);
        match self.http.post(&url).send().await {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => tracing::debug!(%url, status = %r.status(), "operator request refused"),
            Err(e) => tracing::warn!(%url, error = %e, "operator request failed"),
        }
    }
}
