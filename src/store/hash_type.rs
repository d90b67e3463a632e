//! Hash values: fields mapped to values, stored in the keyspace's own
//! open-addressing [`Table`].
//!
//! This module owns the layout of a hash and its operations; it knows
//! nothing of commands or the wire protocol (`cmd::hash` parses arguments
//! and writes replies).
//!
//! # Layout, and why
//!
//! A field and its value are packed into one [`Entry`] block, exactly as a
//! key and a short string value are in the keyspace: a flags byte, the
//! field's length and bytes, the value's length and bytes, in a single
//! allocation. The table adds 9 bytes per slot (one control byte and one
//! pointer) at a load factor between 20% and 80%. A field of 10 bytes with
//! a value of 10 bytes therefore costs about 23 bytes of block plus
//! allocator overhead and 11 to 45 bytes of table, against two `Vec`s
//! (48 bytes of headers plus two allocations) and a bucket in a
//! `std::collections::HashMap<Vec<u8>, Vec<u8>>`.
//!
//! Reusing [`Table`] also gives `HSCAN` the keyspace `SCAN`'s guarantee for
//! free: the cursor is a hash value, and every field present for the whole
//! scan is returned even if the hash grows or shrinks between calls.
//!
//! # Complexity
//!
//! | operation | cost |
//! | --- | --- |
//! | get, insert, remove, contains | O(1) expected |
//! | one random field | O(1) expected |
//! | m distinct random fields | O(m) expected when m is small against the size, else O(n) |
//! | iterate, clone | O(n) |
//! | one scan step of `count` | O(count) expected |

use super::entry::{Entry, Value, ValueRef};
use super::table::Table;

/// Redis's default `hash-max-listpack-entries`: up to this many fields
/// Redis 7.0 keeps a hash as a listpack.
const LISTPACK_MAX_ENTRIES: usize = 512;
/// Redis's default `hash-max-listpack-value`.
const LISTPACK_MAX_VALUE: usize = 64;

/// A hash: binary-safe fields mapped to binary-safe values.
#[derive(Default)]
pub struct Hash {
    table: Table,
}

/// The value stored in a field's entry (always an inline string).
#[inline]
fn value_of(entry: &Entry) -> &[u8] {
    match entry.value() {
        ValueRef::Str(value) => value,
        _ => &[],
    }
}

impl Hash {
    pub fn new() -> Hash {
        Hash::default()
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The encoding name `OBJECT ENCODING` reports: what Redis 7.0 with
    /// default settings would use for a hash of this shape (best effort:
    /// Redis never converts back, Efis answers from the current contents).
    pub fn encoding_name(&self) -> &'static str {
        let small = self.len() <= LISTPACK_MAX_ENTRIES
            && self.iter().all(|(f, v)| f.len() <= LISTPACK_MAX_VALUE && v.len() <= LISTPACK_MAX_VALUE);
        if small {
            "listpack"
        } else {
            "hashtable"
        }
    }

    /// The value of `field`.
    #[inline]
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        let slot = self.table.find(field)?;
        Some(value_of(self.table.at(slot)))
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.table.find(field).is_some()
    }

    /// Sets `field` to `value`; true if the field is new.
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        let entry = Entry::new(field, Value::Str(value), None);
        match self.table.find(field) {
            Some(slot) => {
                self.table.replace_at(slot, entry);
                false
            }
            None => {
                self.table.insert_new(entry);
                true
            }
        }
    }

    /// Sets `field` only if absent; true if it was set.
    pub fn insert_if_absent(&mut self, field: &[u8], value: &[u8]) -> bool {
        if self.contains(field) {
            return false;
        }
        self.table.insert_new(Entry::new(field, Value::Str(value), None));
        true
    }

    /// Removes `field`; true if it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self.table.find(field) {
            Some(slot) => {
                self.table.remove_at(slot);
                true
            }
            None => false,
        }
    }

    /// Every field and value, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.table.iter().map(|e| (e.key(), value_of(e)))
    }

    /// One `HSCAN` step: calls `f` on the fields whose hash lies in the next
    /// range after `cursor`, returns the next cursor (0 when done). See
    /// [`Table::scan`].
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a [u8], &'a [u8])) -> u64 {
        self.table.scan(cursor, count, |e| f(e.key(), value_of(e)))
    }

    /// A random field and its value, from a random 64-bit number; every
    /// field is equally likely (see [`Table::random_slot`]).
    pub fn random(&self, random: u64) -> Option<(&[u8], &[u8])> {
        let slot = self.random_slot(random)?;
        let entry = self.table.at(slot);
        Some((entry.key(), value_of(entry)))
    }

    /// Moves part of a resize under way (see [`Table::move_some`]);
    /// true once none is left.
    pub fn finish_resize_some(&mut self, max_slots: usize) -> bool {
        self.table.move_some(max_slots)
    }

    pub fn is_resizing(&self) -> bool {
        self.table.is_resizing()
    }

    fn random_slot(&self, random: u64) -> Option<usize> {
        self.table.random_slot(random)
    }

    /// Calls `f` on `count` distinct random fields (`count < len`), in
    /// random order, drawing random numbers from `random`.
    ///
    /// When `count` is a large part of the hash, the occupied slots are
    /// listed and partly shuffled (O(n)); otherwise random slots are drawn
    /// until `count` distinct ones are found, which takes O(count) draws
    /// on average since at least half of the fields are still unpicked.
    pub fn sample_distinct(&self, count: usize, mut random: impl FnMut() -> u64, mut f: impl FnMut(&[u8], &[u8])) {
        let count = count.min(self.len());
        let mut emit = |slot: usize| {
            let entry = self.table.at(slot);
            f(entry.key(), value_of(entry));
        };
        if count.saturating_mul(2) >= self.len() {
            let mut slots: Vec<usize> = (0..self.table.capacity()).filter(|&s| self.table.slot_occupied(s)).collect();
            for i in 0..count {
                let remaining = (slots.len() - i) as u64;
                let pick = i + (random() % remaining) as usize;
                slots.swap(i, pick);
                emit(slots[i]);
            }
        } else {
            let mut picked = std::collections::HashSet::with_capacity(count);
            while picked.len() < count {
                let Some(slot) = self.random_slot(random()) else { return };
                if picked.insert(slot) {
                    emit(slot);
                }
            }
        }
    }
}

impl Clone for Hash {
    fn clone(&self) -> Hash {
        let mut copy = Hash::new();
        for entry in self.table.iter() {
            copy.table.insert_new(Entry::new(entry.key(), Value::Str(value_of(entry)), None));
        }
        copy
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (k.escape_ascii().to_string(), v.escape_ascii().to_string())))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn field(i: usize) -> Vec<u8> {
        format!("field:{i}").into_bytes()
    }

    #[test]
    fn insert_get_remove() {
        let mut h = Hash::new();
        assert!(h.insert(b"a", b"1"));
        assert!(!h.insert(b"a", b"2"));
        assert_eq!(h.get(b"a"), Some(&b"2"[..]));
        assert!(!h.insert_if_absent(b"a", b"3"));
        assert!(h.insert_if_absent(b"b\0\r\n", b""));
        assert_eq!(h.get(b"b\0\r\n"), Some(&b""[..]));
        assert_eq!(h.len(), 2);
        assert!(h.remove(b"a"));
        assert!(!h.remove(b"a"));
        assert_eq!(h.get(b"a"), None);
        let copy = h.clone();
        assert!(h.remove(b"b\0\r\n"));
        assert!(h.is_empty());
        assert_eq!(copy.len(), 1);
        assert_eq!(copy.get(b"b\0\r\n"), Some(&b""[..]));
    }

    #[test]
    fn encoding_follows_redis_defaults() {
        let mut h = Hash::new();
        h.insert(b"f", b"v");
        assert_eq!(h.encoding_name(), "listpack");
        h.insert(b"long", &[b'x'; 65]);
        assert_eq!(h.encoding_name(), "hashtable");
        h.remove(b"long");
        // With "f", 512 fields: Redis's default limit.
        for i in 0..511 {
            h.insert(&field(i), b"v");
        }
        assert_eq!(h.encoding_name(), "listpack");
        h.insert(b"one more", b"v");
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn scan_sees_every_field_once_when_unchanged() {
        let mut h = Hash::new();
        for i in 0..1_000 {
            h.insert(&field(i), b"v");
        }
        let mut seen = HashMap::new();
        let mut cursor = 0;
        loop {
            cursor = h.scan(cursor, 7, |f, v| {
                assert_eq!(v, b"v");
                *seen.entry(f.to_vec()).or_insert(0) += 1;
            });
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 1_000);
        assert!(seen.values().all(|&n| n == 1));
    }

    #[test]
    fn a_hash_grown_one_field_at_a_time_to_370_is_mid_resize() {
        // The integration tests sample such a hash (`behaviour_random`).
        let mut h = Hash::new();
        for i in 0..370 {
            h.insert(&field(i), b"v");
        }
        assert!(h.is_resizing());
    }

    #[test]
    fn random_picks() {
        let mut h = Hash::new();
        assert!(h.random(5).is_none());
        for i in 0..100 {
            h.insert(&field(i), &field(i));
        }
        let mut state = 88u64;
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state >> 11
        };
        let mut seen = HashSet::new();
        for _ in 0..2_000 {
            let (f, v) = h.random(next()).unwrap();
            assert_eq!(f, v);
            seen.insert(f.to_vec());
        }
        assert!(seen.len() > 90, "random picks cover the hash: {}", seen.len());
        for count in [1, 10, 49, 50, 99] {
            let mut picked = HashSet::new();
            h.sample_distinct(count, &mut next, |f, v| {
                assert_eq!(f, v);
                assert!(picked.insert(f.to_vec()), "duplicate pick");
            });
            assert_eq!(picked.len(), count);
        }
    }
}
