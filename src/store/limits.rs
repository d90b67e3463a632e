//! The thresholds below which hashes and sets keep their compact small
//! forms: Redis's `hash-max-listpack-entries`, `hash-max-listpack-value`
//! and `set-max-intset-entries`, with `redis-server`'s built-in defaults
//! (512, 64 and 512, what Redis 7.0.15 uses without a configuration file;
//! the `redis.conf` Redis ships lowers the first to 128, which
//! `CONFIG SET hash-max-listpack-entries 128` reproduces).
//!
//! They are process-wide, like Redis's `server.*` fields: `CONFIG SET`
//! changes them through the setters here, and every hash or set consults
//! them when it grows. A collection already converted to its table form
//! stays there whatever the thresholds later become (Redis never converts
//! back); one still small is checked against the new values at its next
//! insert.

use std::sync::atomic::{AtomicUsize, Ordering};

static HASH_MAX_ENTRIES: AtomicUsize = AtomicUsize::new(512);
static HASH_MAX_VALUE: AtomicUsize = AtomicUsize::new(64);
static SET_MAX_INTSET_ENTRIES: AtomicUsize = AtomicUsize::new(512);

/// The most fields a hash keeps in its packed form.
pub fn hash_max_entries() -> usize {
    HASH_MAX_ENTRIES.load(Ordering::Relaxed)
}

/// The longest field or value a hash keeps in its packed form.
pub fn hash_max_value() -> usize {
    HASH_MAX_VALUE.load(Ordering::Relaxed)
}

/// The most members a set of integers keeps in its sorted integer form.
pub fn set_max_intset_entries() -> usize {
    SET_MAX_INTSET_ENTRIES.load(Ordering::Relaxed)
}

pub fn set_hash_max_entries(n: usize) {
    HASH_MAX_ENTRIES.store(n, Ordering::Relaxed);
}

pub fn set_hash_max_value(n: usize) {
    HASH_MAX_VALUE.store(n, Ordering::Relaxed);
}

pub fn set_set_max_intset_entries(n: usize) {
    SET_MAX_INTSET_ENTRIES.store(n, Ordering::Relaxed);
}
