//! `GET /api/events`: the station page's live feed as server-sent events.
//!
//! - `frames`: at the start (and after each reconnect of the browser's EventSource, or when
//!   the page fell behind the live frames), the frames kept so far, oldest first, as one JSON
//!   array: the page replaces its log with it;
//! - `state`: the station's state (the shape of `GET /api/state`), at the start and on each
//!   change, at most a few times a second;
//! - `frame`: each new frame (`{"seq", "at", "direction": "sent"|"received", "text"}`); `seq`
//!   tells the page which of them its last `frames` had already.

use crate::runner::{Commander, FrameFeed, FrameRecord, StationState};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

/// A charging simulator changes its readings on every step (many a second when its clock
/// runs fast): the page needs no more than this many states a second.
const STATE_GAP: Duration = Duration::from_millis(200);

pub(super) async fn stream(
    State(commander): State<Commander>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let feed = commander.frames();
    let (history, frames) = feed.subscribe();
    let mut state = commander.watch_state();
    // The first `changed` sends the current state.
    state.mark_changed();
    let first = history_event(&history);
    let live = Live {
        feed,
        state,
        frames,
        quiet_until: Instant::now(),
    };
    let events = stream::once(async move { first })
        .chain(stream::unfold(live, |mut live| async move {
            let event = live.next().await?;
            Some((event, live))
        }))
        .map(Ok);
    Sse::new(events).keep_alive(KeepAlive::default())
}

struct Live {
    feed: Arc<FrameFeed>,
    state: watch::Receiver<StationState>,
    frames: broadcast::Receiver<Arc<FrameRecord>>,
    /// No state event before this instant.
    quiet_until: Instant,
}

impl Live {
    /// The next event; none once the station is gone.
    async fn next(&mut self) -> Option<Event> {
        let Live {
            feed,
            state,
            frames,
            quiet_until,
        } = self;
        let next_state = async {
            tokio::time::sleep_until(*quiet_until).await;
            state.changed().await
        };
        tokio::select! {
            // Frames first: a state that waits a little loses nothing, it is the newest.
            biased;
            frame = frames.recv() => match frame {
                Ok(frame) => Some(json_event("frame", &*frame)),
                // Fell behind: the history has what was missed (the page skips the live
                // frames it then holds already, by `seq`).
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    Some(history_event(&feed.subscribe().0))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            },
            changed = next_state => {
                changed.ok()?;
                *quiet_until = Instant::now() + STATE_GAP;
                let current = state.borrow_and_update().clone();
                Some(json_event("state", &current))
            }
        }
    }
}

fn history_event(history: &[Arc<FrameRecord>]) -> Event {
    let history: Vec<&FrameRecord> = history.iter().map(|f| &**f).collect();
    json_event("frames", &history)
}

fn json_event(name: &str, data: &impl serde::Serialize) -> Event {
    let data = serde_json::to_string(data).unwrap_or_else(|_| "null".into());
    Event::default().event(name).data(data)
}
