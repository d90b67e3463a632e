//! Set values: an unordered collection of distinct binary-safe members.
//!
//! # Representation
//!
//! A set is a [`Table`], the same open-addressing table the keyspace uses,
//! holding one packed [`Entry`] per member whose value is the empty string.
//! Each member therefore costs one heap block of `member + 3` bytes (flag
//! byte, length varint, empty value) plus about 11 bytes of table (9 bytes
//! per slot at a 0.8 maximum load). A `HashSet<Vec<u8>>` would cost 24
//! bytes of `Vec` header plus the separate allocation plus hashbrown's
//! control bytes, roughly twice as much for short members.
//!
//! Reusing the keyspace table also gives `SSCAN` the keyspace `SCAN`
//! guarantee for free: the cursor is a hash value, so every member present
//! for the whole scan is returned even if the set grows or shrinks between
//! calls.
//!
//! # Complexity
//!
//! Membership test, insert and remove are O(1) on average; a random member
//! is O(1) expected and uniform (random slots are drawn until one is
//! occupied, and the table's load keeps the draws few); iteration is O(n).

use super::entry::{Entry, Value};
use super::table::Table;

/// The most members `OBJECT ENCODING` still reports as `intset` (Redis's
/// default `set-max-intset-entries`).
const INTSET_MAX_ENTRIES: usize = 512;

/// A set of binary-safe members.
#[derive(Default)]
pub struct Set {
    members: Table,
}

impl Set {
    pub fn new() -> Set {
        Set::default()
    }

    /// A set holding `members` (duplicates are collapsed).
    pub fn from_members<'a>(members: impl IntoIterator<Item = &'a [u8]>) -> Set {
        let members = members.into_iter();
        let mut set = Set::with_capacity(members.size_hint().0);
        for member in members {
            set.insert(member);
        }
        set
    }

    /// An empty set with room for `len` members before its table grows.
    /// Needed when filling it from another set's (hash-ordered) iteration:
    /// see [`Table::with_capacity`].
    pub fn with_capacity(len: usize) -> Set {
        Set { members: Table::with_capacity(len) }
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The encoding name `OBJECT ENCODING` reports: Redis 7.0's name for
    /// the encoding it would use for the same members (`intset` for up to
    /// 512 integers, `hashtable` otherwise). Best effort: O(n) for small
    /// sets.
    pub fn encoding_name(&self) -> &'static str {
        let integers = self.len() <= INTSET_MAX_ENTRIES && self.iter().all(is_integer);
        if integers {
            "intset"
        } else {
            "hashtable"
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.members.find(member).is_some()
    }

    /// Adds `member`; false if it was already there.
    pub fn insert(&mut self, member: &[u8]) -> bool {
        if self.contains(member) {
            return false;
        }
        self.members.insert_new(Entry::new(member, Value::Str(b""), None));
        true
    }

    /// Removes `member`; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.members.find(member) {
            Some(slot) => {
                self.members.remove_at(slot);
                true
            }
            None => false,
        }
    }

    /// Every member, in table order (unspecified but stable while the set
    /// is not changed).
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.members.iter().map(Entry::key)
    }

    /// The slot of a random member, `None` if the set is empty.
    fn random_slot(&self, random: u64) -> Option<usize> {
        self.members.random_slot(random)
    }

    /// Moves part of a resize under way (see [`Table::move_some`]);
    /// true once none is left.
    pub fn finish_resize_some(&mut self, max_slots: usize) -> bool {
        self.members.move_some(max_slots)
    }

    pub fn is_resizing(&self) -> bool {
        self.members.is_resizing()
    }

    /// A random member (O(1) expected), `None` if the set is empty.
    pub fn random_member(&self, random: u64) -> Option<&[u8]> {
        self.random_slot(random).map(|slot| self.members.at(slot).key())
    }

    /// Removes and returns a random member.
    pub fn pop_random(&mut self, random: u64) -> Option<Vec<u8>> {
        let slot = self.random_slot(random)?;
        Some(self.members.remove_at(slot).key().to_vec())
    }

    /// `count` distinct random members (all of them if `count >= len`),
    /// drawing random numbers from `random`. O(count) expected, never
    /// more than O(n).
    pub fn random_distinct(&self, count: usize, mut random: impl FnMut() -> u64) -> Vec<&[u8]> {
        let len = self.len();
        if count >= len {
            return self.iter().collect();
        }
        if count.saturating_mul(3) > len {
            // A large share of the set: a partial Fisher-Yates shuffle of
            // all members is uniform and O(n).
            let mut all: Vec<&[u8]> = self.iter().collect();
            for i in 0..count {
                let j = i + (random() % (len - i) as u64) as usize;
                all.swap(i, j);
            }
            all.truncate(count);
            return all;
        }
        // A small share: draw random slots until `count` distinct ones came
        // up. At most a third of the members are taken, so each draw is new
        // with probability at least 2/3.
        let mut taken = std::collections::HashSet::with_capacity(count);
        let mut picked = Vec::with_capacity(count);
        while picked.len() < count {
            let Some(slot) = self.random_slot(random()) else { break };
            if taken.insert(slot) {
                picked.push(self.members.at(slot).key());
            }
        }
        picked
    }

    /// One `SSCAN` step: calls `f` on the members whose hash lies in the
    /// next range after `cursor`; returns the next cursor (0 when done).
    /// See [`Table::scan`] for the guarantee.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a [u8])) -> u64 {
        self.members.scan(cursor, count, |entry| f(entry.key()))
    }

    /// Heap bytes of the table arrays (not counting the member blocks).
    pub fn overhead_bytes(&self) -> usize {
        self.members.overhead_bytes()
    }
}

/// True if `text` is a canonical decimal i64 (what Redis's intset holds):
/// optional `-`, no leading zeros, no `+`, in range.
fn is_integer(text: &[u8]) -> bool {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || text == b"-0" {
        return false;
    }
    if digits.len() > 1 && digits[0] == b'0' {
        return false;
    }
    std::str::from_utf8(text).is_ok_and(|s| s.parse::<i64>().is_ok())
}

impl Clone for Set {
    fn clone(&self) -> Set {
        let mut copy = Set::with_capacity(self.len());
        for member in self.iter() {
            copy.members.insert_new(Entry::new(member, Value::Str(b""), None));
        }
        copy
    }
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter().map(String::from_utf8_lossy)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_remove_contains() {
        let mut s = Set::new();
        assert!(s.insert(b"a"));
        assert!(!s.insert(b"a"));
        assert!(s.insert(b""));
        assert!(s.insert(b"\0\r\n"));
        assert_eq!(s.len(), 3);
        assert!(s.contains(b"\0\r\n"));
        assert!(s.remove(b"a"));
        assert!(!s.remove(b"a"));
        assert_eq!(s.len(), 2);
        let copy = s.clone();
        assert!(copy.contains(b"") && copy.contains(b"\0\r\n") && copy.len() == 2);
    }

    #[test]
    fn random_picks() {
        let members: Vec<Vec<u8>> = (0..1000).map(|i| format!("m{i}").into_bytes()).collect();
        let mut s = Set::from_members(members.iter().map(Vec::as_slice));
        let mut state = 1u64;
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state >> 11
        };
        for count in [0, 1, 10, 333, 334, 999, 1000, 5000] {
            let picked = s.random_distinct(count, &mut next);
            let distinct: std::collections::HashSet<&[u8]> = picked.iter().copied().collect();
            assert_eq!(picked.len(), count.min(1000));
            assert_eq!(distinct.len(), picked.len());
            assert!(picked.iter().all(|m| s.contains(m)));
        }
        let mut popped = 0;
        while let Some(m) = s.pop_random(next()) {
            assert!(!s.contains(&m));
            popped += 1;
        }
        assert_eq!(popped, 1000);
        assert!(s.random_member(7).is_none());
    }

    #[test]
    fn a_set_grown_one_member_at_a_time_to_370_is_mid_resize() {
        // The integration tests sample such a set (`behaviour_random`).
        let mut s = Set::new();
        for i in 0..370 {
            s.insert(format!("m{i}").as_bytes());
        }
        assert!(s.is_resizing());
    }

    #[test]
    fn encoding_names() {
        let mut s = Set::from_members([&b"1"[..], b"-2", b"300"]);
        assert_eq!(s.encoding_name(), "intset");
        s.insert(b"x");
        assert_eq!(s.encoding_name(), "hashtable");
    }
}
