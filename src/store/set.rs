//! Set values: an unordered collection of distinct binary-safe members, in
//! one of two forms, as in Redis 7.0: a sorted array of integers
//! ([`IntSet`], Redis's `intset`) while every member is a canonical
//! decimal integer and there are at most `set-max-intset-entries` of them
//! ([`super::limits`]), and a [`Table`] otherwise. A set converts once,
//! when an insert breaks either condition, and never back; `OBJECT
//! ENCODING` names the form it is in.
//!
//! # Representation
//!
//! The integer form costs 2, 4 or 8 bytes per member (the smallest width
//! holding them all) in one buffer, and answers `SMEMBERS`, `SSCAN`
//! (everything in one call, cursor 0) and a whole-set `SPOP` in ascending
//! numeric order, which is what Redis's users see.
//!
//! The table form is the open-addressing table the keyspace uses,
//! holding one packed [`Entry`] per member whose value is the empty
//! string: one heap block of `member + 3` bytes plus about 11 bytes of
//! table. Reusing the keyspace table also gives `SSCAN` the keyspace
//! `SCAN` guarantee: the cursor is a hash value, so every member present
//! for the whole scan is returned even if the set grows or shrinks
//! between calls.
//!
//! Members are handed out as [`Member`]s: borrowed from the table, or the
//! decimal text of an integer written on the spot.
//!
//! # Complexity
//!
//! Table form: membership, insert and remove O(1) on average; a random
//! member O(1) expected and uniform (random slots are drawn until one is
//! occupied). Integer form: membership O(log n), insert and remove O(n),
//! a random member O(1). Iteration is O(n) in both.

use std::borrow::Cow;

use super::entry::{Entry, Value};
use super::intset::{parse_member, IntSet};
use super::limits;
use super::table::Table;

/// A member as the set hands it out.
pub type Member<'a> = Cow<'a, [u8]>;

/// A set of binary-safe members.
pub enum Set {
    /// Only canonical integers, sorted.
    Ints(IntSet),
    /// Past a threshold, or holding a non-integer (boxed, so a small set
    /// stays small).
    Table(Box<Table>),
}

impl Default for Set {
    fn default() -> Set {
        Set::Ints(IntSet::default())
    }
}

fn int_text<'a>(value: i64) -> Member<'a> {
    let mut digits = [0u8; 20];
    Cow::Owned(crate::protocol::format_i64(value, &mut digits).to_vec())
}

impl Set {
    pub fn new() -> Set {
        Set::default()
    }

    /// A set holding `members` (duplicates are collapsed), in the form
    /// Redis would build by adding them one by one.
    pub fn from_members<'a>(members: impl IntoIterator<Item = &'a [u8]>) -> Set {
        let members: Vec<&[u8]> = members.into_iter().collect();
        let mut set = Set::new();
        if !members.iter().all(|m| parse_member(m).is_some()) {
            set.convert_to_table(members.len());
        }
        for member in &members {
            set.insert(member);
            if let Set::Table(table) = &mut set {
                // Converted on the way (too many integers): room for the
                // rest at once, since they may come in another table's
                // hash order (see `with_capacity`).
                table.reserve(members.len());
            }
        }
        set
    }

    /// An empty set with room for `len` members before its table grows
    /// (a table at once when `len` is past the integer form's limit).
    /// Needed when filling it from another set's (hash-ordered)
    /// iteration: see [`Table::with_capacity`].
    pub fn with_capacity(len: usize) -> Set {
        let mut set = Set::new();
        if len > limits::set_max_intset_entries() {
            set.convert_to_table(len);
        }
        set
    }

    /// Moves an integer set into a table with room for `room` members.
    fn convert_to_table(&mut self, room: usize) {
        let Set::Ints(ints) = self else { return };
        let mut table = Table::with_capacity(room.max(ints.len() + 1));
        for value in ints.iter() {
            table.insert_new(Entry::new(&int_text(value), Value::Str(b""), None));
        }
        *self = Set::Table(Box::new(table));
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Ints(ints) => ints.len(),
            Set::Table(table) => table.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` reports for the current form.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Set::Ints(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    /// Heap bytes of the value's structures (integer array, or table
    /// arrays and member blocks, sampled as [`Table::block_bytes_sampled`]
    /// says), not counting the `Set` itself.
    pub fn heap_bytes(&self, samples: usize) -> usize {
        match self {
            Set::Ints(ints) => ints.buffer_bytes(),
            Set::Table(table) => {
                std::mem::size_of::<Table>() + table.overhead_bytes() + table.block_bytes_sampled(samples)
            }
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            Set::Ints(ints) => parse_member(member).is_some_and(|v| ints.contains(v)),
            Set::Table(table) => table.find(member).is_some(),
        }
    }

    /// Adds `member`; false if it was already there.
    pub fn insert(&mut self, member: &[u8]) -> bool {
        if let Set::Ints(ints) = self {
            match parse_member(member) {
                Some(value) => {
                    let added = ints.insert(value);
                    if ints.len() > limits::set_max_intset_entries() {
                        self.convert_to_table(0);
                    }
                    return added;
                }
                None => self.convert_to_table(0),
            }
        }
        let Set::Table(table) = self else { unreachable!("converted above") };
        if table.find(member).is_some() {
            return false;
        }
        table.insert_new(Entry::new(member, Value::Str(b""), None));
        true
    }

    /// Removes `member`; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            Set::Ints(ints) => parse_member(member).is_some_and(|v| ints.remove(v)),
            Set::Table(table) => match table.find(member) {
                Some(slot) => {
                    table.remove_at(slot);
                    true
                }
                None => false,
            },
        }
    }

    /// Empties the set, keeping its form, then adds `members`.
    pub fn clear_and_insert<'a>(&mut self, members: impl IntoIterator<Item = &'a [u8]>) {
        match self {
            Set::Ints(ints) => *ints = IntSet::default(),
            Set::Table(table) => table.clear(),
        }
        for member in members {
            self.insert(member);
        }
    }

    /// Every member: ascending for integers, table order otherwise
    /// (unspecified but stable while the set is not changed).
    pub fn iter(&self) -> Box<dyn Iterator<Item = Member<'_>> + '_> {
        match self {
            Set::Ints(ints) => Box::new(ints.iter().map(int_text)),
            Set::Table(table) => Box::new(table.iter().map(|e| Cow::Borrowed(e.key()))),
        }
    }

    /// Moves part of a resize under way (see [`Table::move_some`]);
    /// true once none is left.
    pub fn finish_resize_some(&mut self, max_slots: usize) -> bool {
        match self {
            Set::Ints(_) => true,
            Set::Table(table) => table.move_some(max_slots),
        }
    }

    pub fn is_resizing(&self) -> bool {
        matches!(self, Set::Table(table) if table.is_resizing())
    }

    /// A random member (O(1) expected, uniform), `None` if the set is
    /// empty.
    pub fn random_member(&self, random: u64) -> Option<Member<'_>> {
        match self {
            Set::Ints(ints) if ints.is_empty() => None,
            Set::Ints(ints) => Some(int_text(ints.at((random % ints.len() as u64) as usize))),
            Set::Table(table) => Some(Cow::Borrowed(table.at(table.random_slot(random)?).key())),
        }
    }

    /// Removes and returns a random member.
    pub fn pop_random(&mut self, random: u64) -> Option<Vec<u8>> {
        match self {
            Set::Ints(ints) if ints.is_empty() => None,
            Set::Ints(ints) => {
                let index = (random % ints.len() as u64) as usize;
                Some(int_text(ints.remove_at(index)).into_owned())
            }
            Set::Table(table) => {
                let slot = table.random_slot(random)?;
                Some(table.remove_at(slot).key().to_vec())
            }
        }
    }

    /// `count` distinct random members (all of them if `count >= len`),
    /// drawing random numbers from `random`. O(count) expected for a
    /// table, never more than O(n).
    pub fn random_distinct(&self, count: usize, mut random: impl FnMut() -> u64) -> Vec<Member<'_>> {
        let len = self.len();
        if count >= len {
            return self.iter().collect();
        }
        let table = match self {
            Set::Table(table) if count.saturating_mul(3) <= len => table,
            _ => {
                // A large share of the set (or a small set): a partial
                // Fisher-Yates shuffle of all members is uniform and O(n).
                let mut all: Vec<Member<'_>> = self.iter().collect();
                for i in 0..count {
                    let j = i + (random() % (len - i) as u64) as usize;
                    all.swap(i, j);
                }
                all.truncate(count);
                return all;
            }
        };
        // A small share: draw random slots until `count` distinct ones came
        // up. At most a third of the members are taken, so each draw is new
        // with probability at least 2/3.
        let mut taken = std::collections::HashSet::with_capacity(count);
        let mut picked = Vec::with_capacity(count);
        while picked.len() < count {
            let Some(slot) = table.random_slot(random()) else { break };
            if taken.insert(slot) {
                picked.push(Cow::Borrowed(table.at(slot).key()));
            }
        }
        picked
    }

    /// One `SSCAN` step: calls `f` on the members whose hash lies in the
    /// next range after `cursor`; returns the next cursor (0 when done).
    /// See [`Table::scan`] for the guarantee. An integer set answers every
    /// member at once with cursor 0, whatever the cursor, as Redis does.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(Member<'a>)) -> u64 {
        match self {
            Set::Ints(ints) => {
                ints.iter().for_each(|v| f(int_text(v)));
                0
            }
            Set::Table(table) => table.scan(cursor, count, |entry| f(Cow::Borrowed(entry.key()))),
        }
    }
}

impl Clone for Set {
    fn clone(&self) -> Set {
        match self {
            Set::Ints(ints) => Set::Ints(ints.clone()),
            Set::Table(table) => {
                let mut copy = Table::with_capacity(table.len());
                for entry in table.iter() {
                    copy.insert_new(Entry::new(entry.key(), Value::Str(b""), None));
                }
                Set::Table(Box::new(copy))
            }
        }
    }
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter().map(|m| String::from_utf8_lossy(&m).into_owned())).finish()
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
            let distinct: std::collections::HashSet<&[u8]> = picked.iter().map(|m| &m[..]).collect();
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
    fn encoding_names_and_conversion() {
        let mut s = Set::from_members([&b"1"[..], b"-2", b"300"]);
        assert_eq!(s.encoding_name(), "intset");
        let members: Vec<Member<'_>> = s.iter().collect();
        assert_eq!(members, [&b"-2"[..], b"1", b"300"]);
        s.insert(b"x");
        assert_eq!(s.encoding_name(), "hashtable");
        s.remove(b"x");
        assert_eq!(s.encoding_name(), "hashtable", "never converts back");
        assert!(s.contains(b"-2") && s.contains(b"300") && s.len() == 3);
        let mut s = Set::new();
        for i in 0..512 {
            s.insert(i.to_string().as_bytes());
        }
        assert_eq!(s.encoding_name(), "intset");
        assert!(!s.contains(b"0512") && !s.contains(b"+1") && s.contains(b"511"));
        s.insert(b"512");
        assert_eq!(s.encoding_name(), "hashtable");
        assert!((0..=512).all(|i| s.contains(i.to_string().as_bytes())));
        assert_eq!(Set::from_members([&b"01"[..]]).encoding_name(), "hashtable");
        // Duplicates count once against the limit.
        let many: Vec<Vec<u8>> = (0..1000).map(|i| (i % 512).to_string().into_bytes()).collect();
        assert_eq!(Set::from_members(many.iter().map(Vec::as_slice)).encoding_name(), "intset");
    }

    #[test]
    fn integer_set_scan_answers_everything_with_cursor_zero() {
        let s = Set::from_members([&b"3"[..], b"1", b"2"]);
        let mut seen = Vec::new();
        assert_eq!(s.scan(999, 1, |m| seen.push(m.into_owned())), 0);
        assert_eq!(seen, [b"1", b"2", b"3"]);
    }
}
