//! The runner's only calls into the station's entry points (start, handle an input, poll
//! outputs and the next deadline): when the station's API changes, this file changes.

use crate::clock::Clock;
use chrono::{DateTime, Utc};
use station::{Input, Now, Output, Station, StationConfig, StationError};
use std::sync::Arc;

pub(crate) struct Core {
    station: Station,
    /// The station's protocol timers run on this clock's monotonic reading.
    clock: Arc<dyn Clock>,
}

impl Core {
    pub(crate) fn start(
        cfg: StationConfig,
        store: Box<dyn store::Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Core, StationError> {
        Ok(Core {
            station: Station::new(cfg, store, clock.station_time())?,
            clock,
        })
    }

    /// The station's store calls run inside, on the async worker: a durable commit blocks
    /// it for milliseconds, but moving every call off the workers measured worse (README,
    /// "Store calls on the async workers").
    pub(crate) fn handle(&mut self, input: Input, now: DateTime<Utc>) {
        self.station
            .handle(input, Now::new(self.clock.monotonic(), now));
    }

    /// Bring a connector's meter reading up to date without running the station's timers.
    pub(crate) fn set_meter(&mut self, connector: hal::ConnectorId, reading: hal::MeterReading) {
        self.station.set_meter(connector, reading);
    }

    pub(crate) fn poll_output(&mut self) -> Option<Output> {
        self.station.poll_output()
    }

    /// When the station wants an `Input::Tick` at the latest, as the wall clock reads now
    /// (the drivers sleep on it with `Clock::sleep_until_wall`, which goes back to the
    /// monotonic clock).
    pub(crate) fn deadline(&self) -> Option<DateTime<Utc>> {
        let now = self.clock.station_time();
        self.station
            .poll_timeout()
            .map(|at| now.wall + (at - now.mono))
    }

    /// The WebSocket ping interval the station's configuration asks for (none: no pings).
    pub(crate) fn ping_interval(&self) -> Option<std::time::Duration> {
        ping_interval(self.station.config().current().web_socket_ping_interval)
    }

    /// The station's state and security settings, read only.
    pub(crate) fn station(&self) -> &Station {
        &self.station
    }

    /// End this run; its store starts the next.
    pub(crate) fn into_store(self) -> Box<dyn store::Store> {
        self.station.into_store()
    }
}

/// A WebSocketPingInterval value as the WebSocket client takes it.
pub(crate) fn ping_interval(seconds: i64) -> Option<std::time::Duration> {
    (seconds > 0).then(|| std::time::Duration::from_secs(seconds as u64))
}
