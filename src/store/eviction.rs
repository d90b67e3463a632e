//! Choosing keys to evict: the `maxmemory-policy` names, and the sampled
//! candidate pool that picks the next victim.
//!
//! As in Redis, eviction is approximate: each round samples
//! `maxmemory-samples` keys of every database (only keys with an expiry
//! under a `volatile-*` policy) and offers them to a [`Pool`] of the 16
//! best candidates seen so far, ranked by a score (seconds idle for LRU,
//! 255 minus the decayed counter for LFU, the nearness of the expiry for
//! `volatile-ttl`); the best candidate that still exists goes. The pool
//! outlives each round, so good candidates found earlier are remembered
//! across evictions and a few samples per round approach true LRU/LFU.
//! The `*-random` policies take a random key and use no pool.
//!
//! What an eviction does beyond removing the key (logging it, announcing
//! it, counting it) is the command layer's; nothing here knows about
//! memory either: the caller decides when to stop.

use super::access;
use super::{Keyspace, Tracking};

/// A `maxmemory-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    NoEviction,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

const NAMES: &[(Policy, &str)] = &[
    (Policy::VolatileLru, "volatile-lru"),
    (Policy::VolatileLfu, "volatile-lfu"),
    (Policy::VolatileRandom, "volatile-random"),
    (Policy::VolatileTtl, "volatile-ttl"),
    (Policy::AllKeysLru, "allkeys-lru"),
    (Policy::AllKeysLfu, "allkeys-lfu"),
    (Policy::AllKeysRandom, "allkeys-random"),
    (Policy::NoEviction, "noeviction"),
];

impl Policy {
    /// The policy named `name` (any case), as `CONFIG SET` takes it.
    pub fn parse(name: &str) -> Option<Policy> {
        NAMES.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|&(p, _)| p)
    }

    pub fn name(self) -> &'static str {
        NAMES.iter().find(|&&(p, _)| p == self).map_or("noeviction", |&(_, n)| n)
    }

    /// Every name, in the order Redis lists them in its error.
    pub fn names() -> impl Iterator<Item = &'static str> {
        NAMES.iter().map(|&(_, n)| n)
    }

    /// Only keys with an expiry may go.
    pub fn volatile_only(self) -> bool {
        matches!(self, Policy::VolatileLru | Policy::VolatileLfu | Policy::VolatileRandom | Policy::VolatileTtl)
    }

    /// Access bits hold LFU counters under this policy.
    pub fn uses_lfu(self) -> bool {
        matches!(self, Policy::AllKeysLfu | Policy::VolatileLfu)
    }

    fn is_random(self) -> bool {
        matches!(self, Policy::AllKeysRandom | Policy::VolatileRandom)
    }
}

/// How many candidates the pool keeps (Redis's `EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;

struct Candidate {
    /// Higher goes first.
    score: u64,
    db: usize,
    key: Vec<u8>,
}

/// The best eviction candidates seen so far, by ascending score.
#[derive(Default)]
pub struct Pool {
    candidates: Vec<Candidate>,
    /// Key buffers of candidates that left, reused for new ones.
    spare: Vec<Vec<u8>>,
}

impl Pool {
    fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        if self.candidates.len() == POOL_SIZE && score <= self.candidates[0].score {
            return;
        }
        if let Some(i) = self.candidates.iter().position(|c| c.db == db && c.key == key) {
            // Seen again: its score is fresher now.
            let old = self.candidates.remove(i);
            self.spare.push(old.key);
        }
        let mut buffer = self.spare.pop().unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(key);
        let at = self.candidates.partition_point(|c| c.score < score);
        self.candidates.insert(at, Candidate { score, db, key: buffer });
        if self.candidates.len() > POOL_SIZE {
            let dropped = self.candidates.remove(0);
            self.spare.push(dropped.key);
        }
    }

    fn take_best(&mut self) -> Option<Candidate> {
        self.candidates.pop()
    }

    /// Forgets every candidate (after `FLUSHALL`, a policy change...).
    pub fn clear(&mut self) {
        let spare = &mut self.spare;
        spare.extend(self.candidates.drain(..).map(|c| c.key));
        spare.truncate(POOL_SIZE);
    }

    pub fn len(&self) -> usize {
        self.candidates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }
}

impl Keyspace {
    /// Sets what accesses record in every database.
    pub fn set_tracking(&mut self, tracking: Tracking) {
        self.tracking = tracking;
        for db in &mut self.dbs {
            db.set_tracking(tracking);
        }
    }

    pub fn tracking(&self) -> Tracking {
        self.tracking
    }

    /// The next key to evict under `policy`, as (database, key), taken
    /// out of `pool`; `None` if no key may go. The key is not removed:
    /// the caller removes it (and logs it). `random` draws uniform
    /// numbers.
    pub fn eviction_victim(
        &mut self,
        policy: Policy,
        samples: usize,
        pool: &mut Pool,
        now_ms: i64,
        random: &mut dyn FnMut() -> u64,
    ) -> Option<(usize, Vec<u8>)> {
        if policy == Policy::NoEviction {
            return None;
        }
        if policy.is_random() {
            return self.random_victim(policy.volatile_only(), random);
        }
        let decay = self.tracking.lfu_decay_minutes;
        for db_index in 0..self.dbs.len() {
            let db = &self.dbs[db_index];
            if db.is_empty() || (policy.volatile_only() && db.volatile_len() == 0) {
                continue;
            }
            db.sample(samples, policy.volatile_only(), random, |entry| {
                let bits = entry.access();
                let score = match policy {
                    Policy::VolatileTtl => u64::MAX - entry.expire().unwrap_or(i64::MAX).max(0) as u64,
                    Policy::AllKeysLfu | Policy::VolatileLfu => 255 - access::lfu_counter(bits, now_ms, decay) as u64,
                    _ => access::idle_seconds(bits, now_ms),
                };
                pool.offer(score, db_index, entry.key());
            });
        }
        while let Some(candidate) = pool.take_best() {
            let db = &self.dbs[candidate.db];
            let alive = db.peek(&candidate.key, now_ms).is_some_and(|e| !policy.volatile_only() || e.has_expire());
            if alive {
                return Some((candidate.db, candidate.key));
            }
            pool.spare.push(candidate.key);
        }
        None
    }

    /// A uniformly random key of a random non-empty database.
    fn random_victim(&mut self, volatile_only: bool, random: &mut dyn FnMut() -> u64) -> Option<(usize, Vec<u8>)> {
        let count = self.dbs.len();
        let start = (random() % count as u64) as usize;
        for i in 0..count {
            let db_index = (start + i) % count;
            let db = &self.dbs[db_index];
            if db.is_empty() || (volatile_only && db.volatile_len() == 0) {
                continue;
            }
            let mut found = None;
            db.sample(1, volatile_only, random, |entry| found = Some(entry.key().to_vec()));
            if let Some(key) = found {
                return Some((db_index, key));
            }
        }
        None
    }
}
