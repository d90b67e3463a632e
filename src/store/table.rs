//! The hash table behind the keyspace, sets, hashes and sorted-set
//! members: open addressing with linear probing, growing incrementally.
//!
//! A table of slots is two parallel arrays: one control byte per slot
//! (occupied bit, "has expiry" bit, 6 bits of the hash as a tag that
//! filters out most key comparisons) and one 8-byte [`Entry`] pointer per
//! slot. With the packed entries that is 9 bytes per slot, about 13 per key
//! at the average load factor (the table grows by 1.5x at 80% load).
//!
//! A key's home slot is `hash * capacity >> 64` ("fast range"), which keeps
//! slots ordered by hash. That gives `SCAN` its guarantee: a cursor is a
//! hash value, each call returns the keys whose hash lies in the next range
//! of hash values, and since a key's hash never changes, a key present for
//! the whole scan is returned even if the table grows, shrinks or shifts
//! entries between calls. Deletion shifts later entries back (no
//! tombstones), so lookups never slow down after many deletes.
//!
//! Growing or shrinking never stops the server to rehash everything at
//! once. A resize allocates the new slots and keeps the old ones beside
//! them; every later insertion or removal moves the entries of a few old
//! slots across (`MOVE_SLOTS_PER_CHANGE`, 16), and the server's timer moves
//! more of the keyspace's while it is idle ([`Table::move_some`]). Until the
//! old slots are empty, lookups try the new slots and then the old ones.
//! The old slots are emptied from the end of a probe run backwards, so no
//! removal there ever has to shift anything and the old slots stay an
//! ordinary, valid table throughout.
//!
//! # Resizing in detail
//!
//! A table grows by 1.5x at 80% load and shrinks to twice its entries below
//! 20%. Each insertion or removal during a resize moves 16 old slots
//! across, so a growth is finished long before the new slots fill up (16
//! slots a change against the 0.4 × old capacity insertions it takes to
//! fill them). The server's 100 ms timer moves the keyspace's slots for up
//! to 1 ms while it is otherwise idle, so a keyspace that stops being
//! written to still frees its old arrays. Tables under 512 slots
//! (`INCREMENTAL_FROM`) resize at once, as do all tables while start-up
//! loads the files ([`set_incremental_resizing`]): no client waits then, and
//! one pass is cheaper than lookups in two places for every insertion.
//!
//! A set, hash or sorted set whose last write left a resize under way is
//! handed to the same timer step: the command layer notices that a resize
//! was left running ([`resizes_left_running`]) and names the command's
//! keys, so no collection keeps two arrays for good. Random picks
//! (`SRANDMEMBER`, `HRANDFIELD`, `RANDOMKEY`, `SPOP`) draw slots of both
//! arrays alike until one holds an entry, so every entry is equally
//! likely, and a `SCAN` step stops at a free slot after ten times `COUNT`
//! slots, so it does not walk the nearly empty new array for a few
//! entries. Before resizing was incremental, growing
//! one 100,000-member set paused the server for several milliseconds, and
//! a keyspace passing 1,000,000 keys for about 100 ms.
//!
//! # Hash flooding
//!
//! Every table has its own hash seed, drawn from the process's random seed
//! ([`super::hash`]). Slots are in hash order, so one table's order (what
//! `KEYS` or `SMEMBERS` return) must mean nothing to another: with a shared
//! seed, re-adding keys in a table's own order would pile them into one
//! long probe run. And an insertion that meets a very long probe run (over
//! `LONG_PROBE` slots, which random keys never come near) makes the
//! table grow early, so no insertion order can make insertion quadratic.

use super::entry::Entry;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::hash::{hash_bytes, hash_with_seed};

const OCCUPIED: u8 = 0x80;
const EXPIRES: u8 = 0x40;
const TAG_MASK: u8 = 0x3f;
const MIN_CAPACITY: usize = 8;

/// Old slots emptied per insertion or removal while a resize is under way.
/// A growth must finish before the new slots fill up (0.4 of the old
/// capacity later at the least) and a shrink likewise (0.12 of it), so
/// anything above 9 is enough; 16 keeps each change's extra work well
/// under a microsecond.
const MOVE_SLOTS_PER_CHANGE: usize = 16;

/// Below this capacity a resize finishes at once: it costs less than the
/// lookups in two places would.
const INCREMENTAL_FROM: usize = 512;

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

/// Slots for a table that holds `len` entries at 80% load, so that
/// inserting them all grows nothing.
fn capacity_for(len: usize) -> usize {
    (len.saturating_mul(5) / 4 + 1).max(MIN_CAPACITY)
}

/// Slot draws [`Table::random_slot`] makes before it picks by rank.
const RANDOM_DRAWS: usize = 128;

/// The next number of a splitmix64 sequence kept in `state`.
#[inline]
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `random` mapped onto `0..n` (bias at most n / 2^64).
#[inline]
fn fast_range(random: u64, n: usize) -> usize {
    ((random as u128 * n as u128) >> 64) as usize
}

/// End of the hash space: a scan that reaches it is complete.
const HASH_END: u128 = 1 << 64;

/// A probe run this long on insertion makes the table grow early (see
/// [`Table::insert_new`]). Random keys at 80% load sit at most a few
/// hundred slots from home even in a table of millions; runs far longer
/// only come from keys arriving in hash order.
const LONG_PROBE: usize = 1024;

/// False while start-up loads the files: resizes then finish at once.
static INCREMENTAL: AtomicBool = AtomicBool::new(true);

/// Turns incremental resizing off (while loading at start-up, when no
/// client waits and one pass over the old slots is cheaper than lookups
/// in two arrays for every insertion) or back on.
pub fn set_incremental_resizing(on: bool) {
    INCREMENTAL.store(on, Ordering::Relaxed);
}

/// Resizes left under way by the change that started them, in any table.
static RESIZES_LEFT_RUNNING: AtomicU64 = AtomicU64::new(0);

/// How many resizes any table has left under way so far. The command
/// layer compares it before and after a command: if it moved, a set, hash
/// or sorted set the command wrote to may be mid-resize, and is handed to
/// the timer to finish (a collection nobody writes to again would keep
/// both slot arrays for good otherwise).
pub fn resizes_left_running() -> u64 {
    RESIZES_LEFT_RUNNING.load(Ordering::Relaxed)
}

/// A fresh hash seed for each table. Slots are in hash order, so one
/// table's iteration order (what `KEYS`, `SCAN` or `SMEMBERS` return)
/// must mean nothing to another table: re-inserting those keys elsewhere
/// in that order would otherwise pile them into one long probe run.
fn next_table_seed() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    hash_bytes(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes())
}

/// One array of slots: a complete linear-probing table without growth.
#[derive(Default)]
struct Slots {
    ctrl: Vec<u8>,
    entries: Vec<Option<Entry>>,
    len: usize,
}

impl Slots {
    fn with_capacity(capacity: usize) -> Slots {
        let mut entries = Vec::with_capacity(capacity);
        entries.resize_with(capacity, || None);
        Slots { ctrl: vec![0; capacity], entries, len: 0 }
    }

    #[inline]
    fn capacity(&self) -> usize {
        self.entries.len()
    }

    #[inline]
    fn find(&self, hash: u64, key: &[u8]) -> Option<usize> {
        let capacity = self.capacity();
        if self.len == 0 {
            return None;
        }
        let tag = tag_of(hash);
        let mut i = home(hash, capacity);
        loop {
            let c = self.ctrl[i];
            if c == 0 {
                return None;
            }
            if c & !EXPIRES == tag {
                if let Some(entry) = &self.entries[i] {
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
    fn at(&self, slot: usize) -> &Entry {
        self.entries[slot].as_ref().expect("occupied slot")
    }

    #[inline]
    fn at_mut(&mut self, slot: usize) -> &mut Entry {
        self.entries[slot].as_mut().expect("occupied slot")
    }

    fn set_expire_flag(&mut self, slot: usize, expires: bool) {
        if expires {
            self.ctrl[slot] |= EXPIRES;
        } else {
            self.ctrl[slot] &= !EXPIRES;
        }
    }

    /// Puts an entry in the first free slot from its home; returns the
    /// slot and how far it is from home.
    fn place(&mut self, hash: u64, entry: Entry) -> (usize, usize) {
        let capacity = self.capacity();
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
        self.entries[i] = Some(entry);
        self.len += 1;
        (i, distance)
    }

    /// Takes the entry out of `slot`, which the caller knows is the last
    /// of its probe run (the next slot is free): nothing needs to shift.
    fn take_last_of_run(&mut self, slot: usize) -> Option<Entry> {
        debug_assert_eq!(self.ctrl[(slot + 1) % self.capacity()], 0);
        let entry = self.entries[slot].take()?;
        self.ctrl[slot] = 0;
        self.len -= 1;
        Some(entry)
    }

    /// Removes and returns the entry in `slot`, shifting later entries of
    /// its probe run back.
    fn remove(&mut self, slot: usize, seed: u64) -> Entry {
        let removed = self.entries[slot].take().expect("occupied slot");
        self.ctrl[slot] = 0;
        self.len -= 1;
        let capacity = self.capacity();
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
            let entry_home = home(hash_with_seed(seed, self.at(j).key()), capacity);
            // The entry at `j` may fill the hole unless its home lies in the
            // cyclic range (hole, j].
            let stays =
                if hole <= j { hole < entry_home && entry_home <= j } else { entry_home > hole || entry_home <= j };
            if !stays {
                self.ctrl[hole] = self.ctrl[j];
                self.entries[hole] = self.entries[j].take();
                self.ctrl[j] = 0;
                hole = j;
            }
        }
        removed
    }

    /// Where a scan step from `cursor` that sees `count` entries ends: the
    /// first hash value past the probe run in which the count is reached
    /// ([`HASH_END`] if the walk goes past the last slot).
    /// The walk also ends at a free slot after `10 * count` slots, so that
    /// a sparse array (the new one, early in a resize) is not walked to its
    /// end for a few entries.
    fn scan_end(&self, cursor: u64, count: usize) -> u128 {
        let capacity = self.capacity();
        if self.len == 0 {
            return HASH_END;
        }
        let mut i = home(cursor, capacity);
        let mut seen = 0;
        let mut walked = 0;
        let walk_limit = count.max(1).saturating_mul(10);
        loop {
            walked += 1;
            if self.ctrl[i] == 0 {
                if seen >= count || walked > walk_limit {
                    // No entry whose home is at or before `i` lies beyond
                    // this free slot.
                    return first_hash_of(i + 1, capacity);
                }
            } else {
                seen += 1;
            }
            i += 1;
            if i == capacity {
                return HASH_END;
            }
        }
    }

    /// Calls `f` on every entry whose hash lies in `[from, to)`.
    fn visit_range<'a>(&'a self, from: u64, to: u128, seed: u64, f: &mut impl FnMut(&'a Entry)) {
        let capacity = self.capacity();
        if self.len == 0 {
            return;
        }
        // Such entries sit between the home of `from` and the first free
        // slot at or after the home of `to - 1`, possibly wrapped round.
        let start = home(from, capacity);
        let last_home = home((to - 1) as u64, capacity);
        for step in 0..capacity {
            let i = (start + step) % capacity;
            let c = self.ctrl[i];
            if c == 0 {
                if start + step >= last_home {
                    return;
                }
                continue;
            }
            let entry = self.at(i);
            let hash = hash_with_seed(seed, entry.key()) as u128;
            if hash >= from as u128 && hash < to {
                f(entry);
            }
        }
    }
}

/// An open-addressing table of packed entries keyed by their own keys.
///
/// Slot numbers handed out by [`Table::find`] and [`Table::insert_new`]
/// stay valid until the next insertion or removal. While a resize is under
/// way, numbers from `0` to the new capacity name new slots and the ones
/// after name old slots.
pub struct Table {
    /// Where entries are inserted.
    slots: Slots,
    /// The slots before the last resize, while they still hold entries.
    old: Option<OldSlots>,
    /// This table's hash seed; it never changes while the table has
    /// entries, so `SCAN` cursors stay valid.
    seed: u64,
}

/// The slots being emptied after a resize, and where the emptying stands.
struct OldSlots {
    slots: Slots,
    /// The next slot to empty. Slots are emptied downwards (cyclically)
    /// from a free slot, so the slot after `next` is always free and
    /// taking `next`'s entry leaves every probe run intact.
    next: usize,
    /// The free slot the emptying started after; reaching it means done.
    stop: usize,
}

impl Default for Table {
    fn default() -> Table {
        Table { slots: Slots::default(), old: None, seed: next_table_seed() }
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
        self.slots.len + self.old.as_ref().map_or(0, |old| old.slots.len)
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
            table.slots = Slots::with_capacity(capacity_for(len));
        }
        table
    }

    /// Makes room for `len` entries in all, so that inserting up to that
    /// many grows nothing.
    pub fn reserve(&mut self, len: usize) {
        let capacity = capacity_for(len);
        if capacity > self.slots.capacity() {
            self.resize(capacity);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of slot numbers in use: new slots, then old ones.
    pub fn capacity(&self) -> usize {
        self.slots.capacity() + self.old.as_ref().map_or(0, |old| old.slots.capacity())
    }

    /// True while a resize is still moving entries out of the old slots.
    pub fn is_resizing(&self) -> bool {
        self.old.is_some()
    }

    /// Bytes of the entry blocks: all of them when `samples` is 0 or at
    /// least the length, else the first `samples` blocks' average times
    /// the length (`MEMORY USAGE ... SAMPLES`).
    pub fn block_bytes_sampled(&self, samples: usize) -> usize {
        let take = if samples == 0 { self.len() } else { samples.min(self.len()) };
        let sum: usize = self.iter().take(take).map(Entry::block_size).sum();
        (sum * self.len()).checked_div(take).unwrap_or(0)
    }

    /// Bytes used by the table arrays themselves.
    pub fn overhead_bytes(&self) -> usize {
        let bytes = |s: &Slots| s.ctrl.capacity() + s.entries.capacity() * std::mem::size_of::<Option<Entry>>();
        bytes(&self.slots) + self.old.as_ref().map_or(0, |old| bytes(&old.slots))
    }

    /// The slot holding `key`, if present.
    #[inline]
    pub fn find(&self, key: &[u8]) -> Option<usize> {
        let hash = self.hash(key);
        if let Some(slot) = self.slots.find(hash, key) {
            return Some(slot);
        }
        let old = self.old.as_ref()?;
        old.slots.find(hash, key).map(|slot| self.slots.capacity() + slot)
    }

    /// The slots holding slot number `slot`, and its index there.
    #[inline]
    fn locate(&self, slot: usize) -> (&Slots, usize) {
        match slot.checked_sub(self.slots.capacity()) {
            None => (&self.slots, slot),
            Some(i) => (&self.old.as_ref().expect("old slot number").slots, i),
        }
    }

    #[inline]
    fn locate_mut(&mut self, slot: usize) -> (&mut Slots, usize) {
        match slot.checked_sub(self.slots.capacity()) {
            None => (&mut self.slots, slot),
            Some(i) => (&mut self.old.as_mut().expect("old slot number").slots, i),
        }
    }

    #[inline]
    pub fn at(&self, slot: usize) -> &Entry {
        let (slots, i) = self.locate(slot);
        slots.at(i)
    }

    #[inline]
    pub fn at_mut(&mut self, slot: usize) -> &mut Entry {
        let (slots, i) = self.locate_mut(slot);
        slots.at_mut(i)
    }

    /// Replaces the entry in `slot` with one for the same key.
    pub fn replace_at(&mut self, slot: usize, entry: Entry) -> Entry {
        debug_assert_eq!(self.at(slot).key(), entry.key());
        let (slots, i) = self.locate_mut(slot);
        slots.set_expire_flag(i, entry.has_expire());
        slots.entries[i].replace(entry).expect("occupied slot")
    }

    /// Applies `f` to the entry in `slot` by value (for changes that
    /// rebuild the block, such as a new expiry).
    pub fn update_at(&mut self, slot: usize, f: impl FnOnce(Entry) -> Entry) {
        let (slots, i) = self.locate_mut(slot);
        let old = slots.entries[i].take().expect("occupied slot");
        let new = f(old);
        slots.set_expire_flag(i, new.has_expire());
        slots.entries[i] = Some(new);
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
        let len = self.len() + 1;
        if len * 5 > self.slots.capacity() * 4 {
            self.resize((self.slots.capacity() * 3 / 2).max(MIN_CAPACITY));
        } else {
            self.move_some(MOVE_SLOTS_PER_CHANGE);
        }
        let hash = self.hash(entry.key());
        let (slot, distance) = self.slots.place(hash, entry);
        if distance > LONG_PROBE && self.slots.capacity() < len.saturating_mul(8) && self.old.is_none() {
            let key = self.slots.at(slot).key().to_vec();
            self.resize(self.slots.capacity() * 2);
            return self.find(&key).expect("the entry just inserted");
        }
        slot
    }

    /// Removes and returns the entry in `slot`, shifting later entries of
    /// its probe run back.
    pub fn remove_at(&mut self, slot: usize) -> Entry {
        let seed = self.seed;
        let (slots, i) = self.locate_mut(slot);
        let removed = slots.remove(i, seed);
        if !self.shrink_if_sparse() {
            self.move_some(MOVE_SLOTS_PER_CHANGE);
        }
        removed
    }

    /// Starts shrinking the table if it is less than a fifth full (and no
    /// resize is under way). Returns true if it did.
    pub fn shrink_if_sparse(&mut self) -> bool {
        let len = self.len();
        if self.old.is_some() || len * 5 >= self.slots.capacity() || self.slots.capacity() <= MIN_CAPACITY {
            return false;
        }
        self.resize((len * 2).max(MIN_CAPACITY));
        true
    }

    /// Starts moving every entry into `capacity` new slots. A resize still
    /// under way is finished first.
    fn resize(&mut self, capacity: usize) {
        self.move_some(usize::MAX);
        let previous = std::mem::replace(&mut self.slots, Slots::with_capacity(capacity));
        if previous.len == 0 {
            return;
        }
        // Empty downwards from a free slot (there is always one): each slot
        // taken is then the last of its run.
        let stop = previous.ctrl.iter().position(|&c| c == 0).expect("a table always has a free slot");
        let next = if stop == 0 { previous.capacity() - 1 } else { stop - 1 };
        self.old = Some(OldSlots { slots: previous, next, stop });
        let incremental = capacity >= INCREMENTAL_FROM && INCREMENTAL.load(Ordering::Relaxed);
        let budget = if incremental { MOVE_SLOTS_PER_CHANGE } else { usize::MAX };
        if !self.move_some(budget) {
            RESIZES_LEFT_RUNNING.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Moves the entries of up to `max_slots` old slots into the new ones,
    /// while a resize is under way. Returns true if the resize is done.
    pub fn move_some(&mut self, max_slots: usize) -> bool {
        let Some(old) = &mut self.old else { return true };
        let mut visited = 0;
        while visited < max_slots {
            if old.slots.len == 0 || old.next == old.stop {
                self.old = None;
                return true;
            }
            let i = old.next;
            if let Some(entry) = old.slots.take_last_of_run(i) {
                let hash = hash_with_seed(self.seed, entry.key());
                self.slots.place(hash, entry);
            }
            old.next = if i == 0 { old.slots.capacity() - 1 } else { i - 1 };
            visited += 1;
        }
        false
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        *self = Table::new();
    }

    /// Every entry.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        let old = self.old.as_ref().map(|old| old.slots.entries.iter().flatten());
        self.slots.entries.iter().flatten().chain(old.into_iter().flatten())
    }

    /// The slot of a random entry, every entry equally likely, including
    /// during a resize.
    ///
    /// Slots of both arrays are drawn uniformly until one is occupied
    /// (rejection sampling): taking the first occupied slot after a random
    /// one instead would favour entries after long free stretches. The
    /// load over both arrays (rarely under 12%, even mid-resize) keeps the
    /// expected number of draws small; should `RANDOM_DRAWS`
    /// draws all miss, the entry is chosen by rank, which is as uniform.
    /// Further random numbers are derived from `random` (splitmix64).
    pub fn random_slot(&self, random: u64) -> Option<usize> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        let total = self.capacity();
        let mut state = random;
        for _ in 0..RANDOM_DRAWS {
            let slot = fast_range(splitmix64(&mut state), total);
            if self.slot_occupied(slot) {
                return Some(slot);
            }
        }
        let rank = fast_range(splitmix64(&mut state), len);
        let old = self.old.as_ref().map(|old| old.slots.ctrl.iter());
        let ctrl = self.slots.ctrl.iter().chain(old.into_iter().flatten());
        ctrl.enumerate().filter(|(_, &c)| c != 0).nth(rank).map(|(i, _)| i)
    }

    /// True if the slot holds an entry with an expiry time.
    #[inline]
    pub fn slot_expires(&self, slot: usize) -> bool {
        let (slots, i) = self.locate(slot);
        slots.ctrl[i] & EXPIRES != 0
    }

    pub fn slot_occupied(&self, slot: usize) -> bool {
        if slot >= self.capacity() {
            return false;
        }
        let (slots, i) = self.locate(slot);
        slots.ctrl[i] != 0
    }

    /// One step of a cursor scan: calls `f` on every entry whose hash is in
    /// `[cursor, next)` and returns `next`, or 0 when the scan is complete.
    /// Visits at least `count` entries unless the table ends first.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a Entry)) -> u64 {
        let old = self.old.as_ref().map(|old| &old.slots);
        // During a resize the step ends where the first of the two slot
        // arrays reaches the count, so neither returns a huge range.
        let next = self.slots.scan_end(cursor, count).min(old.map_or(HASH_END, |old| old.scan_end(cursor, count)));
        self.slots.visit_range(cursor, next, self.seed, &mut f);
        if let Some(old) = old {
            old.visit_range(cursor, next, self.seed, &mut f);
        }
        if next >= HASH_END {
            0
        } else {
            next as u64
        }
    }
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
