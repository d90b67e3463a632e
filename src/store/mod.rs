//! The keyspace: logical databases of packed entries, expiry, and the
//! value types. Nothing here knows about sockets, the wire protocol or
//! commands: `store` never depends on `server`, `state` or `cmd`, and
//! the command layer knows nothing of the hash table's internals.
//!
//! * [`entry`]: one heap block per key (key, expiry, short value inline).
//!   Every unsafe line of the keyspace is there, behind a safe API.
//! * [`table`]: the open-addressing hash table of entries, its
//!   incremental resizing, and the hash-ordered cursor that `SCAN` uses.
//! * [`hash`]: the seeded hash function.
//! * [`Db`]: one logical database: lookups with lazy expiry, writes, the
//!   active expiry sweep.
//! * [`Keyspace`]: the numbered databases (`SELECT`, `SWAPDB`, `MOVE`).
//! * [`list`], [`set`], [`zset`], [`hash_type`], [`stream`]: the
//!   collection value types, each owning its layout ([`types`] re-exports
//!   them); [`packed_pairs`] and [`intset`] are the small forms of hashes
//!   and sets, [`limits`] their thresholds.
//! * [`geohash`]: the geo commands' 52-bit point scores, cells and
//!   distances, in Redis's exact arithmetic.
//! * [`glob`]: Redis's glob patterns, in O(pattern × subject).
//! * [`bits`]: bit counting, searching and bit fields of string values.
//! * [`hll`]: HyperLogLog in Redis's byte format (encodings, hash,
//!   estimator).
//!
//! # Memory per key
//!
//! Memory per key is designed, not accidental. Each key is one heap block
//! holding, in order, a flags byte (value kind, "has expiry"), the key
//! length as a varint, the expiry time (8 bytes, only when set), the key
//! bytes, and the value: a short string inline (varint length and bytes),
//! or an 8-byte pointer to a boxed collection or growable string ([`entry`]
//! has the exact layout). `SET key:00000001 <16 bytes>` is one 31-byte
//! block. The hash table adds one control byte and one 8-byte pointer per
//! slot ([`table`]), about 13 bytes per key at its average load. Measured
//! with 1,000,000 such keys loaded by `redis-cli --pipe`, Efis's resident
//! memory grew by 55 bytes per key against 101 for Redis 7.0.15 on the same
//! machine (ratio 0.55; the bench's figures, with the allocator's state
//! before the load counted differently, are in `tests/bench/RESULTS.md`).
//!
//! Collections reuse the same pieces: a set is a [`Table`] of members, a
//! hash a [`Table`] of field → value entries (both small forms first, as
//! in Redis: a hash of few short fields is one packed buffer in insertion
//! order, [`packed_pairs`], a set of few integers a sorted integer array,
//! [`intset`], under the thresholds of [`limits`]), a sorted set a
//! [`Table`] of member → score beside an order-statistics treap (32-byte nodes in a
//! `u32`-indexed arena, so rank and range operations are O(log n + m)),
//! and a list a deque of packed nodes of at most 4 KiB, each element stored
//! as its length, its bytes and its length again (both ends O(1), about 2
//! bytes of overhead per element). A stream keeps its entries in packed
//! nodes of up to 100 entries under an ordered index, field names and IDs
//! stored once per node, about 13 bytes per small entry. Each module's
//! docs explain its layout and complexity. Empty collections never exist:
//! removing the last element deletes the key (except a stream's: an empty
//! stream keeps its IDs and groups, as in Redis).
//!
//! # Expiry
//!
//! An expired key is invisible from the millisecond it expires: every
//! lookup checks the expiry first and removes the key (lazy expiry). Keys
//! nobody reads again are reclaimed by the active sweep
//! ([`Keyspace::sweep_expired`]), which the server's 100 ms timer runs for
//! at most about one millisecond, walking each database's table slot by
//! slot from where it stopped and looking only at slots whose control
//! byte says the key carries an expiry; keys nobody reads are reclaimed
//! within a few sweeps. Every key removed by expiry, lazily or by the
//! sweep, is handed back through [`Keyspace::drain_expired`], so the
//! layers above can log it as a `DEL` and announce the `expired` event.
//!
//! A replica does not expire keys itself: its primary sends the `DEL`
//! (see [`Expiry`]). Its clients' reads treat an expired key as absent
//! but leave it in place ([`Expiry::Hide`]; a write replaces it, as a
//! writable replica's does in Redis), and the commands of its primary's
//! stream see every key that is there ([`Expiry::Ignore`]), so that
//! applying the stream never depends on the replica's clock.

pub mod access;
pub mod bits;
pub mod entry;
pub mod eviction;
pub mod geohash;
pub mod glob;
pub mod hash;
pub mod hash_type;
pub mod hll;
pub mod intset;
pub mod limits;
pub mod list;
pub mod packed_pairs;
pub mod set;
pub mod stream;
pub mod table;
pub mod types;
pub mod zset;

pub use access::Tracking;
pub use entry::{Entry, Kind, Value, ValueMut, ValueRef};
pub use table::Table;

/// What a lookup does with a key whose expiry time has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expiry {
    /// A primary's: the key reads as absent and is removed (and handed
    /// back through [`Keyspace::drain_expired`] to be logged as a `DEL`).
    #[default]
    Remove,
    /// A replica's, for its clients: the key reads as absent but stays
    /// until the primary's `DEL` arrives; a write replaces it.
    Hide,
    /// A replica's, while it applies its primary's stream: the key is
    /// there until the primary deletes it.
    Ignore,
}

/// One logical database.
#[derive(Default)]
pub struct Db {
    table: Table,
    /// Keys that carry an expiry time.
    volatile: usize,
    /// Where the active expiry sweep resumes.
    sweep_slot: usize,
    /// Keys removed because they expired, for the caller to log and
    /// announce (drained with [`Keyspace::drain_expired`]).
    expired: Vec<Vec<u8>>,
    /// What an access records in a key's access bits.
    tracking: Tracking,
    /// State of the generator behind LFU's probabilistic increments.
    random: u64,
    /// What lookups do with expired keys, the same in every database.
    expiry: Expiry,
}

/// What to do with an existing expiry time when a key is overwritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ttl {
    /// Drop any expiry (plain `SET`).
    Clear,
    /// Keep the old key's expiry (`SET ... KEEPTTL`, in-place updates).
    Keep,
    /// Expire at this absolute Unix time in milliseconds.
    At(i64),
}

impl Db {
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Keys with an expiry time.
    pub fn volatile_len(&self) -> usize {
        self.volatile
    }

    /// The slot of a live `key`; an expired key is removed on the way
    /// (or, on a replica, hidden or seen: [`Expiry`]).
    #[inline]
    fn find_live(&mut self, key: &[u8], now_ms: i64) -> Option<usize> {
        let slot = self.table.find(key)?;
        if self.expired(slot, now_ms) {
            match self.expiry {
                Expiry::Remove => self.remove_expired_at(slot),
                Expiry::Hide => return None,
                Expiry::Ignore => return Some(slot),
            }
            return None;
        }
        Some(slot)
    }

    /// Whether the key in `slot` has passed its expiry time.
    #[inline]
    fn expired(&self, slot: usize, now_ms: i64) -> bool {
        self.table.slot_expires(slot) && self.table.at(slot).expire().is_some_and(|t| t <= now_ms)
    }

    /// [`Db::find_live`] for a write that stores a new entry: a hidden
    /// expired key (on a replica) goes first, so the new one replaces it.
    #[inline]
    fn find_for_write(&mut self, key: &[u8], now_ms: i64) -> Option<usize> {
        if self.expiry == Expiry::Hide {
            let slot = self.table.find(key)?;
            if self.expired(slot, now_ms) {
                let entry = self.table.remove_at(slot);
                self.volatile -= entry.has_expire() as usize;
                return None;
            }
            return Some(slot);
        }
        self.find_live(key, now_ms)
    }

    /// Sets what lookups do with expired keys.
    pub fn set_expiry(&mut self, expiry: Expiry) {
        self.expiry = expiry;
    }

    fn remove_expired_at(&mut self, slot: usize) {
        let entry = self.table.remove_at(slot);
        self.volatile -= 1;
        self.expired.push(entry.key().to_vec());
    }

    /// Records an access to the entry in `slot` in its access bits.
    #[inline]
    fn touch_slot(&mut self, slot: usize, now_ms: i64) {
        if self.tracking.frozen {
            return;
        }
        let random = if self.tracking.lfu { self.next_random() } else { 0 };
        let entry = self.table.at_mut(slot);
        let bits = access::touched(entry.access(), self.tracking, now_ms, random);
        entry.set_access(bits);
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*, seeded lazily.
        if self.random == 0 {
            self.random = 0x2545_f491_4f6c_dd1d ^ (self as *const Db as u64);
        }
        self.random ^= self.random >> 12;
        self.random ^= self.random << 25;
        self.random ^= self.random >> 27;
        self.random.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Sets what accesses record (the eviction policy's needs).
    pub fn set_tracking(&mut self, tracking: Tracking) {
        self.tracking = tracking;
    }

    /// The live entry under `key`, recording the access.
    #[inline]
    pub fn get(&mut self, key: &[u8], now_ms: i64) -> Option<&Entry> {
        let slot = self.find_live(key, now_ms)?;
        self.touch_slot(slot, now_ms);
        Some(self.table.at(slot))
    }

    /// The live entry under `key`, for in-place changes of boxed values,
    /// recording the access.
    #[inline]
    pub fn get_mut(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Entry> {
        let slot = self.find_live(key, now_ms)?;
        self.touch_slot(slot, now_ms);
        Some(self.table.at_mut(slot))
    }

    /// Records an access to a live key (`TOUCH`); false if absent.
    pub fn touch(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.get(key, now_ms).is_some()
    }

    /// The live entry under `key`, without recording an access (`OBJECT`,
    /// `TYPE`, `EXISTS` look without touching, as in Redis).
    #[inline]
    pub fn get_untouched(&mut self, key: &[u8], now_ms: i64) -> Option<&Entry> {
        let slot = self.find_live(key, now_ms)?;
        Some(self.table.at(slot))
    }

    /// The live entry under `key`, read-only: an expired entry reads as
    /// absent but is left for [`Db::get`] or the sweep to reclaim. For
    /// commands that read several keys' values at once (`SINTER`,
    /// `ZUNION`...).
    #[inline]
    pub fn peek(&self, key: &[u8], now_ms: i64) -> Option<&Entry> {
        let slot = self.table.find(key)?;
        let entry = self.table.at(slot);
        if self.expired(slot, now_ms) && self.expiry != Expiry::Ignore {
            return None;
        }
        Some(entry)
    }

    pub fn contains(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.find_live(key, now_ms).is_some()
    }

    /// Stores `value` under `key`, replacing any old value.
    pub fn set(&mut self, key: &[u8], value: Value<'_>, ttl: Ttl, now_ms: i64) {
        match self.find_for_write(key, now_ms) {
            Some(slot) => {
                let old_expire = self.table.at(slot).expire();
                let expire = match ttl {
                    Ttl::Clear => None,
                    Ttl::Keep => old_expire,
                    Ttl::At(t) => Some(t),
                };
                self.volatile = self.volatile + expire.is_some() as usize - old_expire.is_some() as usize;
                let same_size = match &value {
                    Value::Str(s) => self.table.at_mut(slot).overwrite_str(s, expire),
                    Value::StrOwned(s) => self.table.at_mut(slot).overwrite_str(s, expire),
                    _ => false,
                };
                if !same_size {
                    // An overwritten key keeps its access history (which
                    // matters for LFU), then records this access.
                    let bits = self.table.at(slot).access();
                    self.table.replace_at(slot, Entry::new_key(key, value, expire, bits));
                }
                self.touch_slot(slot, now_ms);
            }
            None => {
                let expire = match ttl {
                    Ttl::At(t) => Some(t),
                    _ => None,
                };
                self.volatile += expire.is_some() as usize;
                let bits = access::initial(self.tracking, now_ms);
                self.table.insert_new(Entry::new_key(key, value, expire, bits));
            }
        }
    }

    /// Inserts a whole entry (from `RENAME`, `MOVE`, `COPY`), replacing
    /// any entry with the same key. The entry keeps its access bits.
    pub fn put_entry(&mut self, entry: Entry, now_ms: i64) {
        debug_assert!(entry.has_access_bits(), "a keyspace entry is made by Entry::new_key");
        let volatile = entry.has_expire() as usize;
        match self.find_for_write(entry.key(), now_ms) {
            Some(slot) => {
                let old = self.table.replace_at(slot, entry);
                self.volatile -= old.has_expire() as usize;
            }
            None => {
                self.table.insert_new(entry);
            }
        }
        self.volatile += volatile;
    }

    /// Removes and returns the live entry under `key`.
    pub fn remove(&mut self, key: &[u8], now_ms: i64) -> Option<Entry> {
        let slot = self.find_live(key, now_ms)?;
        let entry = self.table.remove_at(slot);
        self.volatile -= entry.has_expire() as usize;
        Some(entry)
    }

    /// Sets or clears the expiry of a live key. Returns false if absent.
    pub fn set_expire(&mut self, key: &[u8], expire_ms: Option<i64>, now_ms: i64) -> bool {
        let Some(slot) = self.find_live(key, now_ms) else { return false };
        let had = self.table.at(slot).has_expire();
        self.table.update_at(slot, |e| e.with_expire(expire_ms));
        self.volatile = self.volatile + expire_ms.is_some() as usize - had as usize;
        true
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.table.clear();
        self.volatile = 0;
        self.sweep_slot = 0;
    }

    /// Every entry (including expired ones not yet reclaimed).
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.table.iter()
    }

    /// One `SCAN` step, see [`Table::scan`].
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, f: impl FnMut(&'a Entry)) -> u64 {
        self.table.scan(cursor, count, f)
    }

    /// A random live key.
    pub fn random_key(&mut self, random: u64, now_ms: i64) -> Option<Vec<u8>> {
        // A few tries, so that mostly-expired tables still answer.
        for attempt in 0..100u64 {
            let slot = self.table.random_slot(random ^ attempt.wrapping_mul(0x9e37_79b9_7f4a_7c15))?;
            let entry = self.table.at(slot);
            if entry.expire().is_none_or(|t| t > now_ms) || self.expiry == Expiry::Ignore {
                return Some(entry.key().to_vec());
            }
            if self.expiry == Expiry::Remove {
                self.remove_expired_at(slot);
            }
        }
        None
    }

    /// Hands `f` up to `count` entries drawn at random (with an expiry
    /// only, if `volatile_only`), for eviction. Few keys with an expiry
    /// among many without are found by a bounded walk from a random slot
    /// when random draws miss them.
    pub fn sample<'a>(
        &'a self,
        count: usize,
        volatile_only: bool,
        random: &mut dyn FnMut() -> u64,
        mut f: impl FnMut(&'a Entry),
    ) {
        let mut found = 0;
        for _ in 0..count * 8 {
            if found == count {
                return;
            }
            let Some(slot) = self.table.random_slot(random()) else { return };
            if !volatile_only || self.table.slot_expires(slot) {
                f(self.table.at(slot));
                found += 1;
            }
        }
        if found > 0 || self.volatile == 0 {
            return;
        }
        let capacity = self.table.capacity();
        let start = (random() % capacity.max(1) as u64) as usize;
        for i in 0..capacity.min(16_384) {
            let slot = (start + i) % capacity;
            if self.table.slot_occupied(slot) && self.table.slot_expires(slot) {
                f(self.table.at(slot));
                found += 1;
                if found == count {
                    return;
                }
            }
        }
    }

    /// Active expiry: examines up to `max_slots` slots from where the last
    /// sweep stopped and removes expired keys. Returns the number removed.
    pub fn sweep_expired(&mut self, now_ms: i64, max_slots: usize) -> usize {
        if self.volatile == 0 || self.table.is_empty() || self.expiry != Expiry::Remove {
            return 0;
        }
        let mut removed = 0;
        let mut slot = self.sweep_slot.min(self.table.capacity());
        for _ in 0..max_slots {
            if slot >= self.table.capacity() {
                slot = 0;
            }
            if self.expired(slot, now_ms) {
                // Removal may shift a later entry into this slot: look at
                // the same slot again.
                self.remove_expired_at(slot);
                removed += 1;
                if self.volatile == 0 {
                    break;
                }
                continue;
            }
            slot += 1;
        }
        self.sweep_slot = slot;
        removed
    }

    /// Moves up to `max_slots` slots of a resize under way (see
    /// [`Table::move_some`]). Returns true if no resize is left.
    pub fn finish_resize_some(&mut self, max_slots: usize) -> bool {
        self.table.move_some(max_slots)
    }

    /// Moves up to `max_slots` slots of the resize of the collection under
    /// `key`, if any. Returns true if none is left there.
    fn finish_value_resize_some(&mut self, key: &[u8], max_slots: usize) -> bool {
        let Some(slot) = self.table.find(key) else { return true };
        match self.table.at_mut(slot).value_mut() {
            ValueMut::Set(set) => set.finish_resize_some(max_slots),
            ValueMut::Hash(hash) => hash.finish_resize_some(max_slots),
            ValueMut::ZSet(zset) => zset.finish_resize_some(max_slots),
            _ => true,
        }
    }

    /// True if `key` holds a set, hash or sorted set with a resize under
    /// way.
    fn value_resizing(&self, key: &[u8]) -> bool {
        let Some(slot) = self.table.find(key) else { return false };
        match self.table.at(slot).value() {
            ValueRef::Set(set) => set.is_resizing(),
            ValueRef::Hash(hash) => hash.is_resizing(),
            ValueRef::ZSet(zset) => zset.is_resizing(),
            _ => false,
        }
    }

    /// Bytes of keyspace bookkeeping (table arrays), for `INFO memory`.
    pub fn overhead_bytes(&self) -> usize {
        self.table.overhead_bytes()
    }
}

/// The numbered logical databases.
pub struct Keyspace {
    dbs: Vec<Db>,
    /// Databases handed out for writing since the last
    /// [`Keyspace::drain_expired`] (bit `i` for database `i`; every one
    /// from 63 on shares bit 63): only those can hold newly expired keys.
    touched: u64,
    /// Collections (database, key) whose table resize the timer finishes.
    resizing_values: Vec<(usize, Vec<u8>)>,
    /// What accesses record, the same in every database.
    tracking: Tracking,
}

impl Keyspace {
    pub fn new(databases: usize) -> Keyspace {
        Keyspace {
            dbs: (0..databases).map(|_| Db::default()).collect(),
            touched: 0,
            resizing_values: Vec::new(),
            tracking: Tracking::default(),
        }
    }

    #[inline]
    fn touch(&mut self, index: usize) {
        self.touched |= 1 << index.min(63);
    }

    pub fn db_count(&self) -> usize {
        self.dbs.len()
    }

    /// Sets what lookups do with expired keys, in every database (see
    /// [`Expiry`]).
    pub fn set_expiry(&mut self, expiry: Expiry) {
        for db in &mut self.dbs {
            db.set_expiry(expiry);
        }
    }

    /// What lookups do with expired keys.
    pub fn expiry(&self) -> Expiry {
        self.dbs.first().map_or_else(Default::default, |db| db.expiry)
    }

    #[inline]
    pub fn db(&mut self, index: usize) -> &mut Db {
        self.touch(index);
        &mut self.dbs[index]
    }

    pub fn db_ref(&self, index: usize) -> &Db {
        &self.dbs[index]
    }

    /// Two distinct databases at once (`MOVE`, `COPY ... DB`).
    pub fn two_dbs(&mut self, a: usize, b: usize) -> (&mut Db, &mut Db) {
        assert_ne!(a, b);
        self.touch(a);
        self.touch(b);
        if a < b {
            let (left, right) = self.dbs.split_at_mut(b);
            (&mut left[a], &mut right[0])
        } else {
            let (left, right) = self.dbs.split_at_mut(a);
            (&mut right[0], &mut left[b])
        }
    }

    pub fn swap(&mut self, a: usize, b: usize) {
        self.touched = u64::MAX;
        self.dbs.swap(a, b);
        // Keys that expired before the swap are reported under the index
        // they had then (the log replays their DEL before the SWAPDB).
        if a != b {
            let (first, second) = self.two_dbs(a, b);
            std::mem::swap(&mut first.expired, &mut second.expired);
        }
    }

    pub fn flush_all(&mut self) {
        for db in &mut self.dbs {
            db.clear();
        }
    }

    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }

    /// Sizes database 0 for `keys` keys before start-up loads a snapshot
    /// that holds as many, so that loading it grows nothing. A snapshot
    /// counts the keys of all databases together;
    /// [`Keyspace::shrink_sparse_tables`] afterwards gives back what
    /// database 0 did not fill.
    pub fn reserve_for_load(&mut self, keys: usize) {
        if let Some(db) = self.dbs.first_mut() {
            db.table.reserve(keys);
        }
    }

    /// Makes room for `keys` more keys in database `db` (an RDB file's
    /// resize hint), so that loading them never grows its table.
    pub fn reserve_keys(&mut self, db: usize, keys: usize) {
        if let Some(db) = self.dbs.get_mut(db) {
            let wanted = db.table.len() + keys;
            db.table.reserve(wanted);
        }
    }

    /// Shrinks the table of every database that is less than a fifth full.
    pub fn shrink_sparse_tables(&mut self) {
        for db in &mut self.dbs {
            db.table.shrink_if_sparse();
        }
    }

    /// Calls `f(db, key)` for every key removed by expiry since the last
    /// call.
    #[inline]
    pub fn drain_expired(&mut self, mut f: impl FnMut(usize, Vec<u8>)) {
        let mut touched = std::mem::take(&mut self.touched);
        while touched != 0 {
            let bit = touched.trailing_zeros() as usize;
            touched &= touched - 1;
            // Bit 63 stands for every database from 63 on.
            let last = if bit == 63 { self.dbs.len() } else { bit + 1 };
            for index in bit..last.min(self.dbs.len()) {
                let db = &mut self.dbs[index];
                if !db.expired.is_empty() {
                    for key in db.expired.drain(..) {
                        f(index, key);
                    }
                }
            }
        }
    }

    /// Runs the active expiry sweep over every database, examining at most
    /// `budget_slots` slots in all. Returns the number of keys removed.
    pub fn sweep_expired(&mut self, now_ms: i64, budget_slots: usize) -> usize {
        self.touched = u64::MAX;
        let volatile_dbs = self.dbs.iter().filter(|d| d.volatile > 0).count().max(1);
        let per_db = budget_slots / volatile_dbs;
        self.dbs.iter_mut().filter(|d| d.volatile > 0).map(|d| d.sweep_expired(now_ms, per_db)).sum()
    }

    /// Hands the collection under `key` in database `db` to
    /// [`Keyspace::finish_resizes_some`] if its table is mid-resize.
    pub fn track_value_resize(&mut self, db: usize, key: &[u8]) {
        let Some(database) = self.dbs.get(db) else { return };
        if database.value_resizing(key) && !self.resizing_values.iter().any(|(d, k)| *d == db && k == key) {
            self.resizing_values.push((db, key.to_vec()));
        }
    }

    /// Idle work: moves up to `max_slots` slots of each database's table
    /// resize under way, then of one tracked collection's, so that a table
    /// no longer written to still frees its old slots. Returns true once
    /// no resize is left.
    pub fn finish_resizes_some(&mut self, max_slots: usize) -> bool {
        let mut done = true;
        for db in &mut self.dbs {
            done &= db.finish_resize_some(max_slots);
        }
        while let Some((db, key)) = self.resizing_values.last() {
            if !self.dbs[*db].finish_value_resize_some(key, max_slots) {
                return false;
            }
            self.resizing_values.pop();
        }
        done
    }

    pub fn overhead_bytes(&self) -> usize {
        self.dbs.iter().map(Db::overhead_bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overwrites_in_place_and_not() {
        let mut db = Db::default();
        db.set(b"k", Value::Str(b"abc"), Ttl::Clear, 0);
        db.set(b"k", Value::Str(b"xyz"), Ttl::Clear, 0);
        assert!(matches!(db.get(b"k", 0).unwrap().value(), ValueRef::Str(b"xyz")));
        db.set(b"k", Value::Str(b"123"), Ttl::At(500), 0);
        assert_eq!(db.get(b"k", 0).unwrap().expire(), Some(500));
        db.set(b"k", Value::StrOwned(b"456".to_vec()), Ttl::At(900), 0);
        assert_eq!(db.get(b"k", 0).unwrap().expire(), Some(900));
        db.set(b"k", Value::Str(b"4567"), Ttl::Keep, 0);
        let entry = db.get(b"k", 0).unwrap();
        assert!(matches!(entry.value(), ValueRef::Str(b"4567")));
        assert_eq!(entry.expire(), Some(900));
        db.set(b"k", Value::Str(b"7654"), Ttl::Clear, 0);
        assert_eq!(db.get(b"k", 0).unwrap().expire(), None);
        assert_eq!(db.volatile_len(), 0);
    }

    #[test]
    fn lazy_and_active_expiry() {
        let mut db = Db::default();
        db.set(b"a", Value::Str(b"1"), Ttl::At(100), 0);
        db.set(b"b", Value::Str(b"2"), Ttl::Clear, 0);
        db.set(b"c", Value::Str(b"3"), Ttl::At(100), 0);
        assert_eq!(db.volatile_len(), 2);
        assert!(db.get(b"a", 99).is_some());
        assert!(db.get(b"a", 100).is_none());
        assert_eq!(db.volatile_len(), 1);
        assert_eq!(db.sweep_expired(200, 1000), 1);
        assert_eq!(db.len(), 1);
        assert_eq!(db.volatile_len(), 0);
        assert_eq!(db.expired.len(), 2);
    }

    #[test]
    fn ttl_keep_and_clear() {
        let mut db = Db::default();
        db.set(b"a", Value::Str(b"1"), Ttl::At(100), 0);
        db.set(b"a", Value::Str(b"2"), Ttl::Keep, 0);
        assert_eq!(db.get(b"a", 0).unwrap().expire(), Some(100));
        db.set(b"a", Value::Str(b"3"), Ttl::Clear, 0);
        assert_eq!(db.get(b"a", 0).unwrap().expire(), None);
        assert_eq!(db.volatile_len(), 0);
        assert!(db.set_expire(b"a", Some(50), 0));
        assert_eq!(db.volatile_len(), 1);
        let e = db.remove(b"a", 0).unwrap();
        assert_eq!(e.expire(), Some(50));
        assert_eq!(db.volatile_len(), 0);
    }
}
