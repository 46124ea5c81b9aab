//! A station running on its own task, and the cheap handle that operates it and reads its
//! state (the control API and the tests hold one).

use super::event_loop::EventLoop;
use super::frames::FrameFeed;
use super::simulation::Simulation;
use super::{ConnectorState, Operation, RunOptions, StationState};
use crate::clock::Clock;
use hal::ConnectorId;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

pub(crate) enum Command {
    Operate {
        connector: ConnectorId,
        op: Operation,
        reply: oneshot::Sender<Result<ConnectorState, String>>,
    },
    /// The station's security log, oldest first.
    SecurityLog(oneshot::Sender<Vec<store::SecurityLogEntry>>),
    /// Every configuration key and its value.
    Configuration(oneshot::Sender<Vec<ocpp::KeyValue>>),
    /// Cut the power (false) or bring it back (true); answered with the state after.
    Power {
        on: bool,
        reply: oneshot::Sender<StationState>,
    },
    Shutdown(oneshot::Sender<()>),
}

/// A station running on its own task.
pub struct StationHandle {
    commander: Commander,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Station(#[from] station::StationError),
    #[error("cannot use the work directory: {0}")]
    WorkDir(std::io::Error),
}

impl StationHandle {
    /// Start a station on a maker's charger: nothing simulated, so the operator actions of
    /// [`StationHandle::operate`] are refused (they happen in person at the charger).
    pub fn start_charger<C: hal::Charger + 'static>(
        opts: RunOptions,
        charger: C,
        store: Box<dyn store::Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<StationHandle, StartError> {
        let sim = Box::new(super::simulation::NoSimulation);
        StationHandle::spawn(opts, charger, sim, store, clock)
    }

    pub(crate) fn spawn<C: hal::Charger + 'static>(
        opts: RunOptions,
        charger: C,
        sim: Box<dyn Simulation<C>>,
        store: Box<dyn store::Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<StationHandle, StartError> {
        let (commands, rx) = mpsc::channel(64);
        let frames = Arc::new(FrameFeed::default());
        if opts.keep_frames {
            frames.keep();
        }
        let (event_loop, state) =
            EventLoop::new(opts, charger, sim, store, clock, rx, frames.clone())?;
        let task = tokio::spawn(event_loop.run());
        Ok(StationHandle {
            commander: Commander {
                commands,
                state,
                frames,
            },
            task,
        })
    }

    pub fn state(&self) -> StationState {
        self.commander.state()
    }

    /// Wait until the state satisfies `pred`, at most `timeout` of real time.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&StationState) -> bool,
    ) -> Result<StationState, StationState> {
        let mut rx = self.commander.state.clone();
        let found = match tokio::time::timeout(timeout, rx.wait_for(|s| pred(s))).await {
            Ok(Ok(s)) => Some(s.clone()),
            _ => None,
        };
        found.ok_or_else(|| self.state())
    }

    /// Carry out an operator action at a connector; answers with the connector's new state.
    pub async fn operate(
        &self,
        connector: ConnectorId,
        op: Operation,
    ) -> Result<ConnectorState, String> {
        self.commander.operate(connector, op).await
    }

    /// The station's security log (the SecurityLog of GetLog), oldest first: every
    /// security event it raised, including the transport failures the runner reports.
    pub async fn security_log(&self) -> Vec<store::SecurityLogEntry> {
        self.commander.security_log().await
    }

    /// See [`Commander::power`].
    pub async fn power(&self, on: bool) -> Result<StationState, String> {
        self.commander.power(on).await
    }

    pub fn commander(&self) -> Commander {
        self.commander.clone()
    }

    /// Stop the station and wait for its task to end.
    pub async fn shutdown(self) {
        let (tx, rx) = oneshot::channel();
        if self
            .commander
            .commands
            .send(Command::Shutdown(tx))
            .await
            .is_ok()
        {
            let _ = rx.await;
        }
        let _ = self.task.await;
    }
}

/// A cheap, cloneable way to operate a station and read its state (the control API holds one).
#[derive(Clone)]
pub struct Commander {
    commands: mpsc::Sender<Command>,
    state: watch::Receiver<StationState>,
    frames: Arc<FrameFeed>,
}

impl Commander {
    pub fn state(&self) -> StationState {
        self.state.borrow().clone()
    }

    /// The state as it changes (the web panel's live view).
    pub fn watch_state(&self) -> watch::Receiver<StationState> {
        self.state.clone()
    }

    /// The station's OCPP frames (the web panel's log).
    pub fn frames(&self) -> Arc<FrameFeed> {
        self.frames.clone()
    }

    /// Every configuration key with its value (write-only keys without), in table order;
    /// empty once the station has stopped.
    pub async fn configuration(&self) -> Vec<ocpp::KeyValue> {
        let (reply, rx) = oneshot::channel();
        if self
            .commands
            .send(Command::Configuration(reply))
            .await
            .is_err()
        {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    pub async fn operate(
        &self,
        connector: ConnectorId,
        op: Operation,
    ) -> Result<ConnectorState, String> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Operate {
                connector,
                op,
                reply,
            })
            .await
            .map_err(|_| "the station has stopped".to_string())?;
        rx.await
            .unwrap_or_else(|_| Err("the station has stopped".to_string()))
    }

    /// A power cut (`on` false): the station stops at once, keeping only what it stored
    /// durably, and the WebSocket drops without a close frame; the power back (`on` true):
    /// it boots again from its store. The hardware keeps its physical state (an EV stays
    /// plugged in). Answers with the station's state after.
    pub async fn power(&self, on: bool) -> Result<StationState, String> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Power { on, reply })
            .await
            .map_err(|_| "the station has stopped".to_string())?;
        rx.await.map_err(|_| "the station has stopped".to_string())
    }

    /// The station's security log, oldest first (empty once the station has stopped).
    pub async fn security_log(&self) -> Vec<store::SecurityLogEntry> {
        let (reply, rx) = oneshot::channel();
        if self
            .commands
            .send(Command::SecurityLog(reply))
            .await
            .is_err()
        {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }
}
