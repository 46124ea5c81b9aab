//! Outgoing CALLs: a queue in creation order and at most one CALL in flight, as OCPP-J
//! requires. Transaction messages are durable (their bodies live in the store's queue and
//! survive power loss); the rest are volatile and are dropped when the link goes down.

use crate::time::Monotonic;
use chrono::Duration;
use hal::ConnectorId;
use ocpp::Action;
use serde_json::Value;
use std::collections::VecDeque;

/// What the station needs to remember about a CALL to act on its answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Context {
    None,
    /// An Authorize for a card presented at this connector.
    Authorize {
        connector: ConnectorId,
        id_tag: String,
    },
    /// A StatusNotification reporting this status for the connector.
    Status {
        connector: ConnectorId,
        status: ocpp::ChargePointStatus,
        error_code: ocpp::ChargePointErrorCode,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Volatile {
        action: Action,
        payload: Value,
        context: Context,
    },
    /// The next message of the store's durable queue (kept FIFO there, so no handle is
    /// needed: the front of the store's queue is always the next durable item).
    Durable,
    /// A volatile message the Central System asked for with TriggerMessage.req: the one
    /// kind of request that may go out while the registration is Pending (section 4.2).
    Triggered {
        action: Action,
        payload: Value,
        context: Context,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct InFlight {
    pub unique_id: String,
    pub action: Action,
    pub item: Item,
    pub deadline: Monotonic,
    /// Store queue sequence number of a durable message.
    pub seq: Option<u64>,
}

#[derive(Debug, Default)]
pub struct Outbox {
    queue: VecDeque<Item>,
    in_flight: Option<InFlight>,
    /// Durable messages may not be sent before this (retry interval after a failure).
    durable_not_before: Option<Monotonic>,
}

impl Outbox {
    pub fn push(&mut self, item: Item) {
        self.queue.push_back(item);
    }

    pub fn is_idle(&self) -> bool {
        self.in_flight.is_none()
    }

    /// Nothing in flight and nothing waiting.
    pub fn is_empty(&self) -> bool {
        self.in_flight.is_none() && self.queue.is_empty()
    }

    /// Where in the queue the next item to send is, if nothing is in flight. Durable
    /// messages keep their order; while the first one waits out its retry interval, the
    /// volatile messages behind it (heartbeats, status) still go.
    pub fn next_ready(&self, now: Monotonic) -> Option<usize> {
        if self.in_flight.is_some() {
            return None;
        }
        let waiting = self.durable_not_before.is_some_and(|t| now < t);
        self.queue
            .iter()
            .position(|item| !(waiting && matches!(item, Item::Durable)))
    }

    /// Where the next triggered item is, if nothing is in flight (while Pending only these
    /// may go).
    pub fn next_triggered(&self) -> Option<usize> {
        if self.in_flight.is_some() {
            return None;
        }
        self.queue
            .iter()
            .position(|item| matches!(item, Item::Triggered { .. }))
    }

    pub fn get(&self, index: usize) -> Option<&Item> {
        self.queue.get(index)
    }

    /// Move the item at `index` in flight under `unique_id`.
    pub fn start(
        &mut self,
        index: usize,
        unique_id: String,
        action: Action,
        deadline: Monotonic,
        seq: Option<u64>,
    ) {
        if let Some(item) = self.queue.remove(index) {
            if item == Item::Durable {
                // Its retry wait is over.
                self.durable_not_before = None;
            }
            self.in_flight = Some(InFlight {
                unique_id,
                action,
                item,
                deadline,
                seq,
            });
        }
    }

    /// Send an item that jumps the queue (BootNotification, which must precede everything).
    pub fn start_item(&mut self, item: Item, unique_id: String, deadline: Monotonic) {
        let action = match &item {
            Item::Volatile { action, .. } | Item::Triggered { action, .. } => *action,
            Item::Durable => return,
        };
        self.in_flight = Some(InFlight {
            unique_id,
            action,
            item,
            deadline,
            seq: None,
        });
    }

    /// Drop an item without sending it (e.g. it can no longer be built).
    pub fn discard(&mut self, index: usize) -> Option<Item> {
        self.queue.remove(index)
    }

    /// The answer to the CALL in flight arrived (result or error): it is no longer in flight.
    pub fn finish(&mut self, unique_id: &str) -> Option<InFlight> {
        if self.in_flight.as_ref()?.unique_id == unique_id {
            self.in_flight.take()
        } else {
            None
        }
    }

    /// A durable message failed: put it back at the front and wait before retrying.
    pub fn retry_durable_later(&mut self, item: Item, not_before: Monotonic) {
        self.queue.push_front(item);
        self.durable_not_before = Some(not_before);
    }

    /// The CALL in flight when its deadline has passed.
    pub fn take_expired(&mut self, now: Monotonic) -> Option<InFlight> {
        if self.in_flight.as_ref()?.deadline <= now {
            self.in_flight.take()
        } else {
            None
        }
    }

    /// The link went down: volatile messages are dropped, durable ones (including one in
    /// flight) wait for the next connection in their original order.
    pub fn on_disconnect(&mut self) {
        let in_flight = self.in_flight.take().map(|f| f.item);
        let kept: VecDeque<Item> = in_flight
            .into_iter()
            .chain(self.queue.drain(..))
            .filter(|i| matches!(i, Item::Durable))
            .collect();
        self.queue = kept;
        self.durable_not_before = None;
    }

    /// When the CALL in flight times out, if one is.
    pub fn in_flight_deadline(&self) -> Option<Monotonic> {
        self.in_flight.as_ref().map(|f| f.deadline)
    }

    /// The earliest moment the outbox wants attention.
    pub fn deadline(&self) -> Option<Monotonic> {
        match &self.in_flight {
            Some(f) => Some(f.deadline),
            None => match self.queue.front() {
                Some(Item::Durable) => self.durable_not_before,
                _ => None,
            },
        }
    }

    #[cfg(test)]
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Retry delay helper: `interval * attempts` as the spec suggests.
    pub fn retry_delay(interval_s: i64, attempts: u32) -> Duration {
        Duration::seconds(interval_s.max(1) * i64::from(attempts.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> Monotonic {
        Monotonic::from_start(std::time::Duration::from_secs(1000 + s))
    }

    fn volatile(action: Action) -> Item {
        Item::Volatile {
            action,
            payload: serde_json::json!({}),
            context: Context::None,
        }
    }

    #[test]
    fn one_call_in_flight_at_a_time() {
        let mut o = Outbox::default();
        o.push(volatile(Action::Heartbeat));
        o.push(volatile(Action::Heartbeat));
        assert_eq!(o.next_ready(t(0)), Some(0));
        o.start(0, "1".into(), Action::Heartbeat, t(30), None);
        assert!(o.next_ready(t(0)).is_none());
        assert!(o.finish("other").is_none());
        assert!(o.finish("1").is_some());
        assert!(o.next_ready(t(0)).is_some());
    }

    #[test]
    fn disconnect_keeps_only_durable_messages_in_order() {
        let mut o = Outbox::default();
        o.push(Item::Durable);
        o.push(volatile(Action::StatusNotification));
        o.push(Item::Durable);
        o.push(volatile(Action::Heartbeat));
        o.start(0, "a".into(), Action::StartTransaction, t(30), Some(1));
        o.on_disconnect();
        assert_eq!(o.queued(), 2);
        assert!(o.get(0) == Some(&Item::Durable) && o.get(1) == Some(&Item::Durable));
    }

    #[test]
    fn expired_call_is_taken_at_its_deadline() {
        let mut o = Outbox::default();
        o.push(volatile(Action::Heartbeat));
        o.start(0, "1".into(), Action::Heartbeat, t(30), None);
        assert!(o.take_expired(t(29)).is_none());
        assert_eq!(o.deadline(), Some(t(30)));
        assert!(o.take_expired(t(30)).is_some());
        assert!(o.is_idle());
    }

    #[test]
    fn only_triggered_items_are_picked_while_pending() {
        let mut o = Outbox::default();
        o.push(Item::Durable);
        o.push(volatile(Action::Heartbeat));
        assert_eq!(o.next_triggered(), None);
        o.push(Item::Triggered {
            action: Action::StatusNotification,
            payload: serde_json::json!({}),
            context: Context::None,
        });
        assert_eq!(o.next_triggered(), Some(2));
        o.start(2, "1".into(), Action::StatusNotification, t(30), None);
        assert_eq!(o.next_triggered(), None);
        o.on_disconnect();
        assert_eq!(o.queued(), 1, "a triggered message is volatile");
    }

    #[test]
    fn durable_retry_waits_for_its_time() {
        let mut o = Outbox::default();
        o.retry_durable_later(Item::Durable, t(60));
        o.push(volatile(Action::Heartbeat));
        // The heartbeat behind the waiting message goes first.
        assert_eq!(o.next_ready(t(59)), Some(1));
        assert_eq!(o.deadline(), Some(t(60)));
        assert_eq!(o.next_ready(t(60)), Some(0));
    }
}
