//! The keyspace hash table: open addressing with linear probing.
//!
//! Two parallel arrays: one control byte per slot (occupied bit, "has
//! expiry" bit, 6 bits of the hash as a tag that filters out most key
//! comparisons) and one 8-byte [`Entry`] pointer per slot. With the packed
//! entries that is 9 bytes of table per slot, about 13 per key at the
//! average load factor (the table grows by 1.5x at 80% load).
//!
//! A key's home slot is `hash * capacity >> 64` ("fast range"), which keeps
//! slots ordered by hash. That gives `SCAN` its guarantee: a cursor is a
//! hash value, each call returns the keys whose hash lies in the next range
//! of hash values, and since a key's hash never changes, a key present for
//! the whole scan is returned even if the table grows, shrinks or shifts
//! entries between calls. Deletion shifts later entries back (no
//! tombstones), so lookups never slow down after many deletes.

use super::entry::Entry;
use std::sync::atomic::{AtomicU64, Ordering};

use super::hash::{hash_bytes, hash_with_seed};

const OCCUPIED: u8 = 0x80;
const EXPIRES: u8 = 0x40;
const TAG_MASK: u8 = 0x3f;
const MIN_CAPACITY: usize = 8;

#[inline]
fn tag_of(hash: u64) -> u8 {
    OCCUPIED | (hash as u8 & TAG_MASK)
}

#[inline]
fn home(hash: u64, capacity: usize) -> usize {
    ((hash as u128 * capacity as u128) >> 64) as usize
}

/// Smallest hash value whose home slot is `slot` (for `slot == capacity`,
/// 2^64).
fn first_hash_of(slot: usize, capacity: usize) -> u128 {
    ((slot as u128) << 64).div_ceil(capacity as u128)
}

/// A probe run this long on insertion makes the table grow early (see
/// [`Table::insert_new`]). Random keys at 80% load sit at most a few
/// hundred slots from home even in a table of millions; runs far longer
/// only come from keys arriving in hash order.
const LONG_PROBE: usize = 1024;

/// A fresh hash seed for each table. Slots are in hash order, so one
/// table's iteration order (what `KEYS`, `SCAN` or `SMEMBERS` return)
/// must mean nothing to another table: re-inserting those keys elsewhere
/// in that order would otherwise pile them into one long probe run.
fn next_table_seed() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    hash_bytes(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes())
}

/// An open-addressing table of packed entries keyed by their own keys.
pub struct Table {
    ctrl: Vec<u8>,
    slots: Vec<Option<Entry>>,
    len: usize,
    /// This table's hash seed; it never changes while the table has
    /// entries, so `SCAN` cursors stay valid.
    seed: u64,
}

impl Default for Table {
    fn default() -> Table {
        Table { ctrl: Vec::new(), slots: Vec::new(), len: 0, seed: next_table_seed() }
    }
}

impl Table {
    pub fn new() -> Table {
        Table::default()
    }

    #[inline]
    fn hash(&self, key: &[u8]) -> u64 {
        hash_with_seed(self.seed, key)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// An empty table with room for `len` entries before it first grows.
    ///
    /// Use it when filling a table in another table's iteration order,
    /// which is hash order: a table growing along the way would crowd
    /// those first entries, all of low hash, into the front of a small
    /// table (one long probe run, quadratic time). Sized up front, the
    /// entries spread over the whole table as they arrive.
    pub fn with_capacity(len: usize) -> Table {
        let mut table = Table::new();
        if len > 0 {
            table.resize((len.saturating_mul(5) / 4 + 1).max(MIN_CAPACITY));
        }
        table
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Bytes used by the table arrays themselves.
    pub fn overhead_bytes(&self) -> usize {
        self.ctrl.capacity() + self.slots.capacity() * std::mem::size_of::<Option<Entry>>()
    }

    /// The slot holding `key`, if present.
    #[inline]
    pub fn find(&self, key: &[u8]) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let hash = self.hash(key);
        let tag = tag_of(hash);
        let capacity = self.slots.len();
        let mut i = home(hash, capacity);
        loop {
            let c = self.ctrl[i];
            if c == 0 {
                return None;
            }
            if c & !EXPIRES == tag {
                if let Some(entry) = &self.slots[i] {
                    if entry.key() == key {
                        return Some(i);
                    }
                }
            }
            i += 1;
            if i == capacity {
                i = 0;
            }
        }
    }

    #[inline]
    pub fn at(&self, slot: usize) -> &Entry {
        self.slots[slot].as_ref().expect("occupied slot")
    }

    #[inline]
    pub fn at_mut(&mut self, slot: usize) -> &mut Entry {
        self.slots[slot].as_mut().expect("occupied slot")
    }

    /// Replaces the entry in `slot` with one for the same key.
    pub fn replace_at(&mut self, slot: usize, entry: Entry) -> Entry {
        debug_assert_eq!(self.at(slot).key(), entry.key());
        self.set_expire_flag(slot, entry.has_expire());
        self.slots[slot].replace(entry).expect("occupied slot")
    }

    /// Applies `f` to the entry in `slot` by value (for changes that
    /// rebuild the block, such as a new expiry).
    pub fn update_at(&mut self, slot: usize, f: impl FnOnce(Entry) -> Entry) {
        let old = self.slots[slot].take().expect("occupied slot");
        let new = f(old);
        self.set_expire_flag(slot, new.has_expire());
        self.slots[slot] = Some(new);
    }

    fn set_expire_flag(&mut self, slot: usize, expires: bool) {
        if expires {
            self.ctrl[slot] |= EXPIRES;
        } else {
            self.ctrl[slot] &= !EXPIRES;
        }
    }

    /// Inserts an entry whose key is not in the table; returns its slot.
    ///
    /// Besides growing at 80% load, the table grows early (up to 8 slots
    /// per entry) when an insertion meets a very long probe run: keys
    /// arriving in this table's own hash order (deleted and re-added in
    /// `SCAN` order, say) crowd the front of a small table, and growing
    /// spreads them out, which keeps every insertion cheap.
    pub fn insert_new(&mut self, entry: Entry) -> usize {
        debug_assert!(self.find(entry.key()).is_none());
        if (self.len + 1) * 5 > self.slots.len() * 4 {
            let target = (self.slots.len() * 3 / 2).max(MIN_CAPACITY);
            self.resize(target);
        }
        let hash = self.hash(entry.key());
        self.len += 1;
        let (slot, distance) = self.place(hash, entry);
        if distance > LONG_PROBE && self.slots.len() < self.len.saturating_mul(8) {
            let key = self.at(slot).key().to_vec();
            self.resize(self.slots.len() * 2);
            return self.find(&key).expect("the entry just inserted");
        }
        slot
    }

    /// Puts an entry in the first free slot from its home; returns the
    /// slot and how far it is from home.
    fn place(&mut self, hash: u64, entry: Entry) -> (usize, usize) {
        let capacity = self.slots.len();
        let mut i = home(hash, capacity);
        let mut distance = 0;
        while self.ctrl[i] != 0 {
            i += 1;
            distance += 1;
            if i == capacity {
                i = 0;
            }
        }
        self.ctrl[i] = tag_of(hash) | if entry.has_expire() { EXPIRES } else { 0 };
        self.slots[i] = Some(entry);
        (i, distance)
    }

    /// Removes and returns the entry in `slot`, shifting later entries of
    /// its probe run back.
    pub fn remove_at(&mut self, slot: usize) -> Entry {
        let removed = self.slots[slot].take().expect("occupied slot");
        self.ctrl[slot] = 0;
        self.len -= 1;
        let capacity = self.slots.len();
        let mut hole = slot;
        let mut j = slot;
        loop {
            j += 1;
            if j == capacity {
                j = 0;
            }
            if self.ctrl[j] == 0 {
                break;
            }
            let entry_home = home(self.hash(self.at(j).key()), capacity);
            // The entry at `j` may fill the hole unless its home lies in the
            // cyclic range (hole, j].
            let stays =
                if hole <= j { hole < entry_home && entry_home <= j } else { entry_home > hole || entry_home <= j };
            if !stays {
                self.ctrl[hole] = self.ctrl[j];
                self.slots[hole] = self.slots[j].take();
                self.ctrl[j] = 0;
                hole = j;
            }
        }
        if self.len * 5 < self.slots.len() && self.slots.len() > MIN_CAPACITY {
            self.resize((self.len * 2).max(MIN_CAPACITY));
        }
        removed
    }

    fn resize(&mut self, capacity: usize) {
        let old = std::mem::take(&mut self.slots);
        self.ctrl = vec![0; capacity];
        self.slots = Vec::with_capacity(capacity);
        self.slots.resize_with(capacity, || None);
        for entry in old.into_iter().flatten() {
            let hash = self.hash(entry.key());
            self.place(hash, entry);
        }
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        *self = Table::new();
    }

    /// Every entry, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.slots.iter().flatten()
    }

    /// An occupied slot at or after `start` (cyclically), for random picks.
    pub fn occupied_from(&self, start: usize) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let capacity = self.slots.len();
        (0..capacity).map(|k| (start + k) % capacity).find(|&i| self.ctrl[i] != 0)
    }

    /// True if the slot holds an entry with an expiry time.
    #[inline]
    pub fn slot_expires(&self, slot: usize) -> bool {
        self.ctrl[slot] & EXPIRES != 0
    }

    pub fn slot_occupied(&self, slot: usize) -> bool {
        self.ctrl.get(slot).is_some_and(|&c| c != 0)
    }

    /// One step of a cursor scan: calls `f` on every entry whose hash is in
    /// `[cursor, next)` and returns `next`, or 0 when the scan is complete.
    /// Visits at least `count` entries unless the table ends first.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a Entry)) -> u64 {
        if self.len == 0 {
            return 0;
        }
        let capacity = self.slots.len();
        let start = home(cursor, capacity);
        let mut i = start;
        let mut seen = 0usize;
        let mut wrapped = false;
        let mut found: Vec<(u64, usize)> = Vec::new();
        loop {
            if self.ctrl[i] == 0 {
                if seen >= count {
                    break;
                }
            } else {
                seen += 1;
                found.push((self.hash(self.at(i).key()), i));
            }
            i += 1;
            if i == capacity {
                i = 0;
                wrapped = true;
            }
            if i == start && (wrapped || capacity == 1) {
                // Went all the way round: everything was seen.
                wrapped = true;
                break;
            }
        }
        let next: u128 = if wrapped { 1u128 << 64 } else { first_hash_of(i + 1, capacity) };
        for (hash, slot) in found {
            if hash >= cursor && (hash as u128) < next {
                f(self.at(slot));
            }
        }
        if next >= 1u128 << 64 {
            0
        } else {
            next as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::entry::Value;
    use std::collections::HashSet;

    fn key(i: usize) -> Vec<u8> {
        format!("key:{i:08}").into_bytes()
    }

    #[test]
    fn insert_find_remove_many() {
        let mut t = Table::new();
        for i in 0..10_000 {
            t.insert_new(Entry::new(&key(i), Value::Str(b"v"), None));
        }
        assert_eq!(t.len(), 10_000);
        for i in 0..10_000 {
            assert!(t.find(&key(i)).is_some(), "{i}");
        }
        for i in (0..10_000).step_by(2) {
            let slot = t.find(&key(i)).unwrap();
            assert_eq!(t.remove_at(slot).key(), &key(i)[..]);
        }
        for i in 0..10_000 {
            assert_eq!(t.find(&key(i)).is_some(), i % 2 == 1, "{i}");
        }
    }

    #[test]
    fn insertion_in_hash_order_stays_correct() {
        // Another table's iteration order, and this table's own order after
        // deleting everything but one key: both used to form one long run.
        let mut source = Table::new();
        for i in 0..20_000 {
            source.insert_new(Entry::new(&key(i), Value::Str(b"v"), None));
        }
        let ordered: Vec<Vec<u8>> = source.iter().map(|e| e.key().to_vec()).collect();
        let mut copy = Table::new();
        for k in &ordered {
            copy.insert_new(Entry::new(k, Value::Str(b"v"), None));
        }
        assert_eq!(copy.len(), 20_000);
        for k in &ordered[1..] {
            let slot = source.find(k).unwrap();
            source.remove_at(slot);
        }
        for k in &ordered[1..] {
            source.insert_new(Entry::new(k, Value::Str(b"v"), None));
        }
        assert!(ordered.iter().all(|k| source.find(k).is_some() && copy.find(k).is_some()));
        assert!(source.capacity() <= 8 * source.len() + MIN_CAPACITY);
    }

    #[test]
    fn scan_returns_every_stable_key_despite_changes() {
        let mut t = Table::new();
        for i in 0..2_000 {
            t.insert_new(Entry::new(&key(i), Value::Str(b"v"), None));
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = t.scan(cursor, 10, |e| {
                seen.insert(e.key().to_vec());
            });
            // Grow and shrink the table while the scan runs; keys below
            // 1000 are never touched.
            round += 1;
            if round % 3 == 0 {
                for i in 0..50 {
                    t.insert_new(Entry::new(&key(100_000 + round * 50 + i), Value::Str(b"v"), None));
                }
            } else {
                for i in 1_000..2_000 {
                    if let Some(slot) = t.find(&key(i)) {
                        t.remove_at(slot);
                        break;
                    }
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..1_000 {
            assert!(seen.contains(&key(i)), "missed {i}");
        }
    }
}
