//! GET /api/events: the page's live feed as server-sent events. First a `snapshot` (every
//! station and transaction), then each change as it happens (`station`, `frame`,
//! `transactions`). A page too slow to keep up gets a fresh `snapshot` instead of the
//! changes it missed; a page that reconnects (EventSource does so by itself) gets one too.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use super::api::PanelState;

pub async fn events(
    State(s): State<PanelState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribe before the snapshot: a change in between is sent twice, never lost.
    let updates = s.model.subscribe();
    let first = snapshot(&s);
    let stream = stream::unfold(
        (Some(first), updates, s),
        |(pending, mut updates, s)| async move {
            if let Some(event) = pending {
                return Some((Ok(event), (None, updates, s)));
            }
            let event = match updates.recv().await {
                Ok(u) => Event::default()
                    .event(u.name())
                    .json_data(&u)
                    .unwrap_or_default(),
                Err(RecvError::Lagged(_)) => snapshot(&s),
                Err(RecvError::Closed) => return None,
            };
            Some((Ok(event), (None, updates, s)))
        },
    );
    // Proxies and browsers drop an idle stream; a comment now and then keeps it open.
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn snapshot(s: &PanelState) -> Event {
    Event::default()
        .event("snapshot")
        .json_data(s.model.snapshot())
        .unwrap_or_default()
}
