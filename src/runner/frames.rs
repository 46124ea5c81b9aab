//! A station's recent OCPP frames for the web panel: a bounded history and a live feed.
//!
//! Nothing is kept until it is asked for ([`FrameFeed::keep`] at start, or a panel's
//! [`FrameFeed::subscribe`]): a fleet of 10,000 stations pays one pointer each for panels
//! nobody opens, and the history only of the stations someone looked at.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::broadcast;

/// At most this many frames are kept...
const HISTORY_FRAMES: usize = 500;
/// ...and at most this much text: a few GetConfiguration or diagnostics answers must not
/// pin megabytes per station.
const HISTORY_BYTES: usize = 512 * 1024;
/// Frames a slow panel may fall behind before it is told it missed some (it then reads the
/// history again): a few steps' worth, since each slot is allocated with the channel.
const LIVE_CAPACITY: usize = 32;

/// Which way a frame went, seen from the station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FrameDirection {
    /// To the Central System.
    Sent,
    /// From the Central System.
    Received,
}

/// One frame as the panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameRecord {
    /// Counts from 1 for the life of the process, so a panel can tell frames apart.
    pub seq: u64,
    /// When it went over the wire (the real clock, not a simulated one).
    pub at: DateTime<Utc>,
    pub direction: FrameDirection,
    /// The frame's text, secrets (AuthorizationKey) redacted.
    pub text: String,
}

/// A station's frames; shared by its link (which records) and its commanders (which read).
#[derive(Default)]
pub struct FrameFeed {
    inner: OnceLock<Box<Mutex<History>>>,
}

struct History {
    frames: VecDeque<Arc<FrameRecord>>,
    bytes: usize,
    last_seq: u64,
    live: broadcast::Sender<Arc<FrameRecord>>,
}

impl FrameFeed {
    /// Start keeping frames now, whether or not a panel is open (`run --control`, `demo`:
    /// the page then shows the BootNotification too).
    pub fn keep(&self) {
        self.history();
    }

    /// The frames kept so far, oldest first, and every frame after them.
    pub fn subscribe(&self) -> (Vec<Arc<FrameRecord>>, broadcast::Receiver<Arc<FrameRecord>>) {
        let history = lock(self.history());
        (
            history.frames.iter().cloned().collect(),
            history.live.subscribe(),
        )
    }

    /// Note a frame; nearly free while nobody keeps them.
    pub(crate) fn record(&self, direction: FrameDirection, text: &str) {
        let Some(history) = self.inner.get() else {
            return;
        };
        let text = station::security::redact_frame(text).into_owned();
        let mut history = lock(history);
        history.last_seq += 1;
        let frame = Arc::new(FrameRecord {
            seq: history.last_seq,
            at: Utc::now(),
            direction,
            text,
        });
        history.bytes += frame.text.len();
        history.frames.push_back(frame.clone());
        while history.frames.len() > HISTORY_FRAMES || history.bytes > HISTORY_BYTES {
            match history.frames.pop_front() {
                Some(old) => history.bytes -= old.text.len(),
                None => break,
            }
        }
        // No panel listening is no error.
        let _ = history.live.send(frame);
    }

    fn history(&self) -> &Mutex<History> {
        self.inner.get_or_init(|| {
            Box::new(Mutex::new(History {
                frames: VecDeque::new(),
                bytes: 0,
                last_seq: 0,
                live: broadcast::channel(LIVE_CAPACITY).0,
            }))
        })
    }
}

/// A panic while recording leaves the history consistent enough to show.
fn lock(m: &Mutex<History>) -> std::sync::MutexGuard<'_, History> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_kept_until_asked_for() {
        let feed = FrameFeed::default();
        feed.record(FrameDirection::Sent, r#"[2,"1","Heartbeat",{}]"#);
        let (history, _) = feed.subscribe();
        assert!(history.is_empty());
        feed.record(FrameDirection::Received, r#"[3,"1",{}]"#);
        let (history, _) = feed.subscribe();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].direction, FrameDirection::Received);
    }

    #[test]
    fn the_history_is_bounded_and_subscribers_hear_new_frames() {
        let feed = FrameFeed::default();
        feed.keep();
        let (_, mut live) = feed.subscribe();
        for n in 0..HISTORY_FRAMES + 10 {
            feed.record(
                FrameDirection::Sent,
                &format!(r#"[2,"{n}","Heartbeat",{{}}]"#),
            );
        }
        let (history, _) = feed.subscribe();
        assert_eq!(history.len(), HISTORY_FRAMES);
        assert_eq!(history[0].seq, 11);
        // A subscriber that fell behind hears how much it missed, then the newest frames.
        let missed = (HISTORY_FRAMES + 10 - LIVE_CAPACITY) as u64;
        assert!(matches!(
            live.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(n)) if n == missed
        ));
        assert_eq!(live.try_recv().map(|f| f.seq).ok(), Some(missed + 1));
    }

    #[test]
    fn large_frames_are_dropped_first_by_size() {
        let feed = FrameFeed::default();
        feed.keep();
        let big = format!(r#"[3,"1",{{"data":"{}"}}]"#, "x".repeat(HISTORY_BYTES / 3));
        for _ in 0..5 {
            feed.record(FrameDirection::Received, &big);
        }
        let (history, _) = feed.subscribe();
        assert_eq!(history.len(), 2);
    }

    #[test]
    fn the_authorization_key_is_not_kept() {
        let feed = FrameFeed::default();
        feed.keep();
        let frame = r#"[2,"1","ChangeConfiguration",{"key":"AuthorizationKey","value":"0011223344556677"}]"#;
        feed.record(FrameDirection::Received, frame);
        let (history, _) = feed.subscribe();
        assert!(
            !history[0].text.contains("0011223344556677"),
            "{}",
            history[0].text
        );
    }
}
