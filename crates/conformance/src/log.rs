//! The log of one case: every frame in both directions and every step of the tester,
//! timed, written to `cases/<id>.log`.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

/// Shared between the case and the task that sees the frames.
#[derive(Clone, Default)]
pub struct CaseLog(Arc<Mutex<Vec<String>>>);

impl CaseLog {
    pub fn line(&self, at: DateTime<Utc>, text: impl AsRef<str>) {
        let line = format!("{} {}", at.format("%H:%M:%S%.3f"), text.as_ref());
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }

    /// A step of the tester.
    pub fn note(&self, text: impl AsRef<str>) {
        self.line(Utc::now(), format!("** {}", text.as_ref()));
    }

    /// Everything so far, and a fresh start.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
