//! The stream value type: entries in packed nodes under an ordered index,
//! plus the stream's counters and its consumer groups.
//!
//! * [`node`]: the packed node format (master ID and master field names
//!   once per node, delta-encoded IDs, tombstones for deleted entries).
//! * [`id`]: entry IDs.
//! * [`group`]: consumer groups, consumers, pending entries.
//!
//! The index is a `BTreeMap` from each node's master ID (its first entry's
//! ID) to the node, so finding where a range starts is O(log N) and a
//! range of M entries costs O(log N + M) (plus at most one node's worth of
//! skipped entries at each end). Appends go to the last node until it is
//! full ([`node::MAX_ENTRIES`] entries or [`node::MAX_BYTES`] bytes), then
//! a new node starts and the full one gives back its spare capacity.
//!
//! Invariants: `length` is the number of live entries; `last_id` is at
//! least every ID ever added (it never goes back, except by `XSETID`);
//! `first_id` is the first live entry's ID, or 0-0 when empty;
//! `entries_added` counts every entry ever added; `max_deleted` is the
//! greatest ID removed by `XDEL`; no node in the index is without a live
//! entry. Unlike other collections, an empty stream is a valid value.

pub mod group;
pub mod id;
pub mod node;

use std::collections::BTreeMap;

pub use group::{Consumer, Group, Pending, UNKNOWN_READS};
pub use id::StreamId;
pub use node::EntryView;
use node::Node;

/// How `XADD` asks for an ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRequest {
    /// `*`: from the clock.
    Auto,
    /// `<ms>-*`: the next sequence number within `ms`.
    Ms(u64),
    /// `<ms>-<seq>`.
    Exact(StreamId),
}

/// Why an entry could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddError {
    /// The ID is not greater than the stream's last ID.
    TooSmall,
    /// The last ID is the greatest possible.
    Exhausted,
    /// `<ms>-*` for the millisecond of the last ID, whose sequence is
    /// already the greatest possible.
    SequenceExhausted,
}

/// How `XADD`/`XTRIM` trim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

/// A stream.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Node>,
    length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted: StreamId,
    pub entries_added: u64,
    pub groups: BTreeMap<Box<[u8]>, Group>,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Number of nodes in the index.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes of the nodes' buffers and index entries (`MEMORY USAGE`;
    /// consumer groups are counted at a flat size each).
    pub fn heap_bytes(&self) -> usize {
        let per_index_entry = std::mem::size_of::<StreamId>() + std::mem::size_of::<Node>() + 8;
        let nodes: usize = self.nodes.values().map(|node| node.buffer_capacity() + per_index_entry).sum();
        nodes + self.groups.len() * 128
    }

    /// The ID `request` resolves to at `now_ms`, without adding anything.
    pub fn next_id(&self, request: IdRequest, now_ms: i64) -> Result<StreamId, AddError> {
        if self.last_id == StreamId::MAX {
            return Err(AddError::Exhausted);
        }
        let id = match request {
            IdRequest::Auto => {
                let ms = now_ms.max(0) as u64;
                if ms > self.last_id.ms {
                    StreamId::new(ms, 0)
                } else {
                    self.last_id.next().ok_or(AddError::Exhausted)?
                }
            }
            IdRequest::Ms(ms) if ms == self.last_id.ms => {
                if self.last_id.seq == u64::MAX {
                    return Err(AddError::SequenceExhausted);
                }
                StreamId::new(ms, self.last_id.seq + 1)
            }
            IdRequest::Ms(ms) => StreamId::new(ms, 0),
            IdRequest::Exact(id) => id,
        };
        if id <= self.last_id {
            return Err(AddError::TooSmall);
        }
        Ok(id)
    }

    /// Appends an entry with ID `id`, which [`Stream::next_id`] gave.
    pub fn push(&mut self, id: StreamId, fields: &[(&[u8], &[u8])]) {
        match self.nodes.last_entry() {
            Some(mut last) if !last.get().is_full() => last.get_mut().push(id, fields),
            last => {
                if let Some(mut last) = last {
                    last.get_mut().seal();
                }
                self.nodes.insert(id, Node::new(id, fields));
            }
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// Calls `f` on each entry with an ID in `start..=end`, in ID order
    /// (reversed if `rev`), while it returns true.
    pub fn scan(&self, start: StreamId, end: StreamId, rev: bool, mut f: impl FnMut(&EntryView<'_>) -> bool) {
        if start > end {
            return;
        }
        if rev {
            for node in self.nodes.range(..=end).rev().map(|(_, n)| n) {
                for entry in node.entries().iter().rev() {
                    if entry.id > end {
                        continue;
                    }
                    if entry.id < start || !f(entry) {
                        return;
                    }
                }
                if node.master() <= start {
                    return;
                }
            }
            return;
        }
        let first = self.nodes.range(..=start).next_back().map_or(start, |(&master, _)| master);
        for node in self.nodes.range(first..).map(|(_, n)| n) {
            let mut done = false;
            node.scan_forward(start, |entry| {
                if entry.id > end || !f(entry) {
                    done = true;
                    return false;
                }
                true
            });
            if done {
                return;
            }
        }
    }

    /// The fields of the entry `id`, if it exists.
    pub fn get(&self, id: StreamId, mut f: impl FnMut(&EntryView<'_>)) -> bool {
        let Some((_, node)) = self.nodes.range(..=id).next_back() else { return false };
        match node.find(id) {
            Some(entry) => {
                f(&entry);
                true
            }
            None => false,
        }
    }

    /// True if entry `id` exists.
    pub fn contains(&self, id: StreamId) -> bool {
        self.get(id, |_| {})
    }

    fn refresh_first(&mut self) {
        self.first_id = match self.nodes.values().next().and_then(Node::edges) {
            Some((first, _)) if self.length > 0 => first,
            _ => StreamId::MIN,
        };
    }

    /// The last live entry's ID (0-0 if empty).
    pub fn last_entry_id(&self) -> StreamId {
        self.nodes.values().next_back().and_then(Node::edges).map_or(StreamId::MIN, |(_, last)| last)
    }

    /// Deletes entry `id` (`XDEL`): true if it existed.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&master, node)) = self.nodes.range_mut(..=id).next_back() else { return false };
        if !node.delete(id) {
            return false;
        }
        if node.live() == 0 {
            self.nodes.remove(&master);
        }
        self.length -= 1;
        if id > self.max_deleted {
            self.max_deleted = id;
        }
        if self.length == 0 || id == self.first_id {
            self.refresh_first();
        }
        true
    }

    /// Trims from the oldest end; `approx` removes whole nodes only, and
    /// `limit` (0 for none) caps the entries removed. Returns how many were
    /// removed.
    pub fn trim(&mut self, trim: Trim, approx: bool, limit: u64) -> u64 {
        let mut removed = 0u64;
        while let Some(mut first) = self.nodes.first_entry() {
            if matches!(trim, Trim::MaxLen(max) if self.length <= max) {
                break;
            }
            let node = first.get_mut();
            let live = node.live() as u64;
            if limit > 0 && removed + live > limit {
                break;
            }
            let whole = match trim {
                Trim::MaxLen(max) => self.length - live >= max,
                Trim::MinId(min) => node.last_written() < min,
            };
            if whole {
                first.remove();
                self.length -= live;
                removed += live;
                continue;
            }
            if approx {
                break;
            }
            let ids = node.entries().iter().map(|entry| entry.id).collect::<Vec<_>>();
            let doomed: Vec<StreamId> = match trim {
                // The whole node could not go: fewer than `live` must.
                Trim::MaxLen(max) => ids.into_iter().take((self.length - max) as usize).collect(),
                Trim::MinId(min) => ids.into_iter().take_while(|&id| id < min).collect(),
            };
            for id in &doomed {
                node.delete(*id);
            }
            self.length -= doomed.len() as u64;
            removed += doomed.len() as u64;
            if node.live() == 0 {
                first.remove();
                continue;
            }
            break;
        }
        if removed > 0 {
            self.refresh_first();
        }
        removed
    }

    /// The logical read counter of `id` (Redis's
    /// `streamEstimateDistanceFromFirstEverEntry`), or [`UNKNOWN_READS`].
    pub fn reads_up_to(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        }
        if id > self.last_id {
            return UNKNOWN_READS;
        }
        if self.max_deleted.is_zero() || self.max_deleted < self.first_id {
            if id < self.first_id {
                return (self.entries_added - self.length) as i64;
            }
            if id == self.first_id {
                return (self.entries_added - self.length + 1) as i64;
            }
        }
        UNKNOWN_READS
    }

    /// True if a deleted entry may lie at or after `start` (Redis's
    /// `streamRangeHasTombstones` with an open end).
    pub fn has_tombstones_from(&self, start: StreamId) -> bool {
        if self.length == 0 || self.max_deleted.is_zero() || self.first_id > self.max_deleted {
            return false;
        }
        start <= self.max_deleted
    }

    /// A group's lag, or `None` when it cannot be known.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if group.entries_read != UNKNOWN_READS && !self.has_tombstones_from(group.last_id) {
            return Some(self.entries_added as i64 - group.entries_read);
        }
        let reads = self.reads_up_to(group.last_id);
        (reads != UNKNOWN_READS).then(|| self.entries_added as i64 - reads)
    }

    /// Everything the stream holds as text, for comparing two streams
    /// (consumers' seen times left out).
    pub fn describe(&self) -> String {
        let mut out = format!(
            "len {} last {} first {} maxdel {} added {}\n",
            self.length, self.last_id, self.first_id, self.max_deleted, self.entries_added
        );
        self.scan(StreamId::MIN, StreamId::MAX, false, |entry| {
            out.push_str(&format!("{} {:?}\n", entry.id, entry.fields));
            true
        });
        for (name, group) in &self.groups {
            out.push_str(&format!("group {:?} {} {} {:?}\n", name, group.last_id, group.entries_read, group.pending));
            let consumers: Vec<(&[u8], &std::collections::BTreeSet<StreamId>)> =
                group.consumers.iter().map(|(name, c)| (&name[..], &c.pending)).collect();
            out.push_str(&format!("consumers {consumers:?}\n"));
        }
        out
    }

    /// Moves `group`'s last delivered ID to `id` after delivering it,
    /// keeping its read counter as Redis does.
    pub fn advance_group(&mut self, name: &[u8], id: StreamId) {
        let has_tombstones = self.has_tombstones_from(id);
        let reads = self.reads_up_to(id);
        let added = self.entries_added;
        let Some(group) = self.groups.get_mut(name) else { return };
        if id <= group.last_id {
            return;
        }
        if group.entries_read != UNKNOWN_READS && !has_tombstones {
            group.entries_read += 1;
        } else if added > 0 {
            group.entries_read = reads;
        }
        group.last_id = id;
    }
}

#[cfg(test)]
mod tests;
