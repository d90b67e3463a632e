//! Consumer groups: the last delivered ID, the logical read counter,
//! the consumers and the pending entries list (PEL).
//!
//! Invariants: every pending entry is in the group's PEL and in exactly
//! one consumer's PEL, the one its `consumer` names; groups and consumers
//! are ordered by name (as Redis's radix trees list them).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::id::StreamId;

/// `entries_read` when the group's read counter is unknown.
pub const UNKNOWN_READS: i64 = -1;

/// One delivered, not yet acknowledged entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The owner's name, shared with the group's consumer map.
    pub consumer: Arc<[u8]>,
    /// Unix milliseconds of the last delivery.
    pub delivery_time: i64,
    pub delivery_count: u64,
}

/// A consumer of a group.
#[derive(Clone, Debug, Default)]
pub struct Consumer {
    /// Unix milliseconds of the consumer's last read or claim.
    pub seen_time: i64,
    pub pending: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Clone, Debug)]
pub struct Group {
    pub last_id: StreamId,
    /// Entries the group has read, or [`UNKNOWN_READS`].
    pub entries_read: i64,
    pub pending: BTreeMap<StreamId, Pending>,
    pub consumers: BTreeMap<Arc<[u8]>, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group { last_id, entries_read, pending: BTreeMap::new(), consumers: BTreeMap::new() }
    }

    /// The consumer `name`, created (seen now) if missing; the flag says
    /// whether it was created.
    pub fn consumer(&mut self, name: &[u8], now_ms: i64) -> (&mut Consumer, bool) {
        let created = !self.consumers.contains_key(name);
        if created {
            self.consumers.insert(Arc::from(name), Consumer { seen_time: now_ms, pending: BTreeSet::new() });
        }
        (self.consumers.get_mut(name).expect("present"), created)
    }

    /// Records a delivery of `id` to `consumer` (moving the entry from
    /// its previous owner if another consumer had it).
    pub fn deliver(&mut self, id: StreamId, consumer: &[u8], time: i64, count: u64) {
        if let Some(old) = self.pending.get(&id) {
            if &*old.consumer != consumer {
                if let Some(owner) = self.consumers.get_mut(&old.consumer) {
                    owner.pending.remove(&id);
                }
            }
        }
        self.consumer(consumer, time).0.pending.insert(id);
        let name = self.consumers.get_key_value(consumer).expect("present").0.clone();
        self.pending.insert(id, Pending { consumer: name, delivery_time: time, delivery_count: count });
    }

    /// Acknowledges `id`: true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(pending) = self.pending.remove(&id) else { return false };
        if let Some(owner) = self.consumers.get_mut(&pending.consumer) {
            owner.pending.remove(&id);
        }
        true
    }

    /// Deletes consumer `name`; its pending entries go too. Returns how
    /// many it had, or `None` if there was no such consumer.
    pub fn remove_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pending {
            self.pending.remove(id);
        }
        Some(consumer.pending.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_move_between_consumers() {
        let mut group = Group::new(StreamId::MIN, 0);
        group.deliver(StreamId::new(1, 0), b"alice", 10, 1);
        group.deliver(StreamId::new(2, 0), b"alice", 10, 1);
        group.deliver(StreamId::new(1, 0), b"bob", 20, 2);
        assert_eq!(group.consumers[&b"alice"[..]].pending.len(), 1);
        assert_eq!(group.consumers[&b"bob"[..]].pending.len(), 1);
        assert!(group.ack(StreamId::new(1, 0)));
        assert!(!group.ack(StreamId::new(1, 0)));
        assert_eq!(group.remove_consumer(b"alice"), Some(1));
        assert!(group.pending.is_empty());
    }
}
