//! Hash values: fields mapped to values, in one of two forms, as in Redis
//! 7.0: a packed buffer of pairs in insertion order (Redis's `listpack`,
//! [`PackedPairs`]) while the hash is small, and the keyspace's own
//! open-addressing [`Table`] past the thresholds of [`super::limits`]
//! (`hash-max-listpack-entries` fields, `hash-max-listpack-value` bytes
//! for any field or value). A hash converts once, when an insert crosses
//! a threshold, and never back; `OBJECT ENCODING` names the form it is
//! in.
//!
//! This module owns the layout of a hash and its operations; it knows
//! nothing of commands or the wire protocol (`cmd::hash` parses arguments
//! and writes replies).
//!
//! # Layout, and why
//!
//! Small hashes dominate real workloads (objects of a few short fields),
//! and their order is what Redis's users see: `HGETALL`, `HKEYS`, `HVALS`,
//! `HSCAN` (everything in one call, cursor 0) and a full `HRANDFIELD`
//! answer in insertion order. The packed buffer costs the pairs' bytes
//! plus one length byte each (see [`super::packed_pairs`]).
//!
//! In the table form a field and its value are packed into one [`Entry`]
//! block, exactly as a key and a short string value are in the keyspace.
//! The table adds 9 bytes per slot (one control byte and one pointer) at a
//! load factor between 20% and 80%. Reusing [`Table`] also gives `HSCAN`
//! the keyspace `SCAN`'s guarantee: the cursor is a hash value, and every
//! field present for the whole scan is returned even if the hash grows or
//! shrinks between calls.
//!
//! # Complexity
//!
//! | operation | packed | table |
//! | --- | --- | --- |
//! | get, insert, remove, contains | O(n) | O(1) expected |
//! | one random field | O(n) | O(1) expected |
//! | m distinct random fields | O(n) | O(m) expected when m is small against the size, else O(n) |
//! | iterate, clone | O(n) | O(n) |
//! | one scan step of `count` | O(n), everything at once | O(count) expected |

use super::entry::{Entry, Value, ValueRef};
use super::limits;
use super::packed_pairs::PackedPairs;
use super::table::Table;

/// A hash: binary-safe fields mapped to binary-safe values.
pub enum Hash {
    /// Small: pairs in insertion order.
    Packed(PackedPairs),
    /// Past a threshold: the table (boxed, so a small hash stays small).
    Table(Box<Table>),
}

impl Default for Hash {
    fn default() -> Hash {
        Hash::Packed(PackedPairs::default())
    }
}

/// The value stored in a field's entry (always an inline string).
#[inline]
fn value_of(entry: &Entry) -> &[u8] {
    match entry.value() {
        ValueRef::Str(value) => value,
        _ => &[],
    }
}

/// True if a pair this long may live in the packed form.
fn fits_packed(field: &[u8], value: &[u8]) -> bool {
    let max = limits::hash_max_value();
    field.len() <= max && value.len() <= max
}

impl Hash {
    pub fn new() -> Hash {
        Hash::default()
    }

    pub fn len(&self) -> usize {
        match self {
            Hash::Packed(pairs) => pairs.len(),
            Hash::Table(table) => table.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True while the hash is in its packed (`listpack`) form.
    pub fn is_packed(&self) -> bool {
        matches!(self, Hash::Packed(_))
    }

    /// The encoding name `OBJECT ENCODING` reports for the current form.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Hash::Packed(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Heap bytes of the value's structures (buffer, or table arrays and
    /// field blocks, sampled as [`Table::block_bytes_sampled`] says), not
    /// counting the `Hash` itself.
    pub fn heap_bytes(&self, samples: usize) -> usize {
        match self {
            Hash::Packed(pairs) => pairs.buffer_bytes(),
            Hash::Table(table) => {
                std::mem::size_of::<Table>() + table.overhead_bytes() + table.block_bytes_sampled(samples)
            }
        }
    }

    /// Moves a packed hash into a table.
    fn convert_to_table(&mut self) {
        let Hash::Packed(pairs) = self else { return };
        // Grown as if filled one field at a time (the fields arrive in
        // insertion order, not hash order, so growing costs nothing extra).
        let mut table = Table::new();
        for (field, value) in pairs.iter() {
            table.insert_new(Entry::new(field, Value::Str(value), None));
        }
        *self = Hash::Table(Box::new(table));
    }

    /// The value of `field`.
    #[inline]
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Packed(pairs) => pairs.get(field),
            Hash::Table(table) => Some(value_of(table.at(table.find(field)?))),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets `field` to `value`; true if the field is new. Converts to the
    /// table form when the pair is too long for the packed form, or the
    /// packed form would then hold more fields than allowed.
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        if let Hash::Packed(pairs) = self {
            if fits_packed(field, value) {
                let created = pairs.insert(field, value);
                if pairs.len() > limits::hash_max_entries() {
                    self.convert_to_table();
                }
                return created;
            }
            self.convert_to_table();
        }
        let Hash::Table(table) = self else { unreachable!("converted above") };
        let entry = Entry::new(field, Value::Str(value), None);
        match table.find(field) {
            Some(slot) => {
                table.replace_at(slot, entry);
                false
            }
            None => {
                table.insert_new(entry);
                true
            }
        }
    }

    /// Sets `field` only if absent; true if it was set.
    pub fn insert_if_absent(&mut self, field: &[u8], value: &[u8]) -> bool {
        !self.contains(field) && self.insert(field, value)
    }

    /// Removes `field`; true if it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Packed(pairs) => pairs.remove(field),
            Hash::Table(table) => match table.find(field) {
                Some(slot) => {
                    table.remove_at(slot);
                    true
                }
                None => false,
            },
        }
    }

    /// Every field and value: insertion order when packed, table order
    /// otherwise.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            Hash::Packed(pairs) => Box::new(pairs.iter()),
            Hash::Table(table) => Box::new(table.iter().map(|e| (e.key(), value_of(e)))),
        }
    }

    /// One `HSCAN` step: calls `f` on the fields whose hash lies in the next
    /// range after `cursor`, returns the next cursor (0 when done). See
    /// [`Table::scan`]. A packed hash answers every field at once with
    /// cursor 0, whatever the cursor, as Redis does.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a [u8], &'a [u8])) -> u64 {
        match self {
            Hash::Packed(pairs) => {
                pairs.iter().for_each(|(field, value)| f(field, value));
                0
            }
            Hash::Table(table) => table.scan(cursor, count, |e| f(e.key(), value_of(e))),
        }
    }

    /// A random field and its value, from a random 64-bit number; every
    /// field is equally likely (see [`Table::random_slot`]).
    pub fn random(&self, random: u64) -> Option<(&[u8], &[u8])> {
        match self {
            Hash::Packed(pairs) if pairs.is_empty() => None,
            Hash::Packed(pairs) => pairs.nth((random % pairs.len() as u64) as usize),
            Hash::Table(table) => {
                let entry = table.at(table.random_slot(random)?);
                Some((entry.key(), value_of(entry)))
            }
        }
    }

    /// Moves part of a resize under way (see [`Table::move_some`]);
    /// true once none is left.
    pub fn finish_resize_some(&mut self, max_slots: usize) -> bool {
        match self {
            Hash::Packed(_) => true,
            Hash::Table(table) => table.move_some(max_slots),
        }
    }

    pub fn is_resizing(&self) -> bool {
        matches!(self, Hash::Table(table) if table.is_resizing())
    }

    /// Calls `f` on `count` distinct random fields (`count < len`), drawing
    /// random numbers from `random`: in insertion order when the hash is
    /// packed and `count` is at most a third of it (as Redis answers),
    /// otherwise in random order.
    ///
    /// When `count` is a large part of the hash (or the hash is packed),
    /// the fields are listed and partly shuffled (O(n)); otherwise random
    /// slots are drawn until `count` distinct ones are found, which takes
    /// O(count) draws on average since at least half of the fields are
    /// still unpicked.
    pub fn sample_distinct(&self, count: usize, mut random: impl FnMut() -> u64, mut f: impl FnMut(&[u8], &[u8])) {
        let count = count.min(self.len());
        if let Hash::Packed(pairs) = self {
            if count.saturating_mul(3) <= pairs.len() {
                // Redis's way for a small sample of a listpack: one pass,
                // each pair taken with probability (still wanted) / (still
                // unseen), which picks every subset alike and answers in
                // insertion order.
                let (mut wanted, mut unseen) = (count as u64, pairs.len() as u64);
                for (field, value) in pairs.iter() {
                    if wanted == 0 {
                        break;
                    }
                    if random() % unseen < wanted {
                        f(field, value);
                        wanted -= 1;
                    }
                    unseen -= 1;
                }
                return;
            }
        }
        let table = match self {
            Hash::Table(table) if count.saturating_mul(2) < self.len() => table,
            _ => {
                let mut all: Vec<(&[u8], &[u8])> = self.iter().collect();
                for i in 0..count {
                    let remaining = (all.len() - i) as u64;
                    let pick = i + (random() % remaining) as usize;
                    all.swap(i, pick);
                    f(all[i].0, all[i].1);
                }
                return;
            }
        };
        let mut picked = std::collections::HashSet::with_capacity(count);
        while picked.len() < count {
            let Some(slot) = table.random_slot(random()) else { return };
            if picked.insert(slot) {
                let entry = table.at(slot);
                f(entry.key(), value_of(entry));
            }
        }
    }
}

impl Clone for Hash {
    fn clone(&self) -> Hash {
        match self {
            Hash::Packed(pairs) => Hash::Packed(pairs.clone()),
            Hash::Table(table) => {
                let mut copy = Table::with_capacity(table.len());
                for entry in table.iter() {
                    copy.insert_new(Entry::new(entry.key(), Value::Str(value_of(entry)), None));
                }
                Hash::Table(Box::new(copy))
            }
        }
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
    fn converts_past_redis_defaults_and_never_back() {
        let mut h = Hash::new();
        h.insert(b"f", b"v");
        assert_eq!(h.encoding_name(), "listpack");
        h.insert(b"sixty-four", &[b'x'; 64]);
        assert_eq!(h.encoding_name(), "listpack");
        h.insert(b"long", &[b'x'; 65]);
        assert_eq!(h.encoding_name(), "hashtable");
        h.remove(b"long");
        assert_eq!(h.encoding_name(), "hashtable", "never converts back");
        let mut h = Hash::new();
        for i in 0..512 {
            h.insert(&field(i), b"v");
        }
        assert_eq!(h.encoding_name(), "listpack");
        let order: Vec<Vec<u8>> = h.iter().map(|(f, _)| f.to_vec()).collect();
        assert_eq!(order, (0..512).map(field).collect::<Vec<_>>());
        h.insert(b"one more", b"v");
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.len(), 513);
        assert!((0..512).all(|i| h.get(&field(i)) == Some(b"v")));
        let mut long_field = Hash::new();
        long_field.insert(&[b'f'; 65], b"v");
        assert!(!long_field.is_packed());
    }

    #[test]
    fn packed_scan_answers_everything_with_cursor_zero() {
        let mut h = Hash::new();
        for i in 0..10 {
            h.insert(&field(i), b"v");
        }
        let mut seen = Vec::new();
        assert_eq!(h.scan(12345, 1, |f, _| seen.push(f.to_vec())), 0);
        assert_eq!(seen, (0..10).map(field).collect::<Vec<_>>());
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
        // The integration tests sample such a hash (`behaviour_random`),
        // under `hash-max-listpack-entries 128`. A packed hash turns into a
        // new table filled in insertion order, the same table as one grown
        // a field at a time from the start, which this builds.
        let mut h = Hash::Table(Box::new(Table::new()));
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
