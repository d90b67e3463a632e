//! The waiter registry of the blocking commands (BLPOP, BRPOP, BLMOVE,
//! BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, and XREAD/XREADGROUP with
//! BLOCK): which client waits on which keys, in what order, until when,
//! and which keys became ready.
//!
//! A client that finds nothing to pop is registered here with a copy of
//! its command and stops being read from. A write to a key somebody waits
//! on (the `ctx.notify` hook, or the dispatcher's check of every write
//! command's keys) appends the key to the ready list; after each command
//! the event loop re-runs the waiters' commands, first come first served,
//! until the key runs dry. Deadlines sit in an ordered set so the loop can
//! sleep exactly until the nearest one.
//!
//! A woken client's command goes through `cmd::execute` like any other,
//! as `Caller::Wakeup`; it is logged as the non-blocking form on the key
//! it popped from (`BLPOP a b 0` served from `b` is logged as `LPOP b`).
//! Inside `EXEC` a blocking command does not block: it answers at once,
//! as its non-blocking form would. Blocking and waking cost O(1) per key.

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::protocol::OwnedArgs;

/// What a blocked client waits for.
#[derive(Debug)]
pub struct Blocked {
    pub db: usize,
    pub keys: Vec<Vec<u8>>,
    /// Unix milliseconds; `None` waits forever.
    pub deadline: Option<i64>,
    /// The blocking command, re-run when a key becomes ready.
    pub command: OwnedArgs,
}

/// Every blocked client, indexed by key and by deadline.
#[derive(Default)]
pub struct Blocking {
    /// Per database: key → waiting clients, oldest first.
    waiters: Vec<HashMap<Vec<u8>, VecDeque<usize>>>,
    clients: HashMap<usize, Blocked>,
    deadlines: BTreeSet<(i64, usize)>,
    /// Keys with waiters that were written since the loop last looked.
    ready: Vec<(usize, Vec<u8>)>,
}

impl Blocking {
    /// True if any client is blocked.
    #[inline]
    pub fn any(&self) -> bool {
        !self.clients.is_empty()
    }

    /// Number of blocked clients.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// Registers `client` as waiting; it is last in line on every key.
    pub fn block(&mut self, client: usize, blocked: Blocked) {
        if self.waiters.len() <= blocked.db {
            self.waiters.resize_with(blocked.db + 1, HashMap::new);
        }
        for key in &blocked.keys {
            let line = self.waiters[blocked.db].entry(key.clone()).or_default();
            if !line.contains(&client) {
                line.push_back(client);
            }
        }
        if let Some(deadline) = blocked.deadline {
            self.deadlines.insert((deadline, client));
        }
        self.clients.insert(client, blocked);
    }

    /// Removes `client` from every line; returns what it waited for.
    pub fn unblock(&mut self, client: usize) -> Option<Blocked> {
        let blocked = self.clients.remove(&client)?;
        if let Some(deadline) = blocked.deadline {
            self.deadlines.remove(&(deadline, client));
        }
        if let Some(db) = self.waiters.get_mut(blocked.db) {
            for key in &blocked.keys {
                if let Some(line) = db.get_mut(key.as_slice()) {
                    line.retain(|&c| c != client);
                    if line.is_empty() {
                        db.remove(key.as_slice());
                    }
                }
            }
        }
        Some(blocked)
    }

    /// What `client` waits for, if it is blocked.
    pub fn get(&self, client: usize) -> Option<&Blocked> {
        self.clients.get(&client)
    }

    /// Notes that `key` in `db` was written (Redis's `signalKeyAsReady`).
    #[inline]
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        let waited = self.waiters.get(db).is_some_and(|keys| keys.contains_key(key));
        if waited && !self.ready.iter().any(|(d, k)| *d == db && k == key) {
            self.ready.push((db, key.to_vec()));
        }
    }

    /// Signals every waited key of `db` for which `exists` holds (after
    /// `SWAPDB` brought in a whole other database).
    pub fn signal_existing(&mut self, db: usize, mut exists: impl FnMut(&[u8]) -> bool) {
        let Some(keys) = self.waiters.get(db) else { return };
        let found: Vec<Vec<u8>> = keys.keys().filter(|k| exists(k)).cloned().collect();
        for key in found {
            self.signal(db, &key);
        }
    }

    /// True if some key is waiting to be served.
    #[inline]
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The ready keys, in the order they were signalled; the list is
    /// emptied.
    pub fn take_ready(&mut self) -> Vec<(usize, Vec<u8>)> {
        std::mem::take(&mut self.ready)
    }

    /// The clients waiting on `key`, oldest first.
    pub fn waiters_of(&self, db: usize, key: &[u8]) -> Vec<usize> {
        self.waiters
            .get(db)
            .and_then(|keys| keys.get(key))
            .map(|line| line.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The earliest deadline of any blocked client.
    pub fn next_deadline(&self) -> Option<i64> {
        self.deadlines.first().map(|&(deadline, _)| deadline)
    }

    /// Clients whose deadline is at or before `now_ms`, earliest first.
    pub fn timed_out(&self, now_ms: i64) -> Vec<usize> {
        self.deadlines.iter().take_while(|&&(deadline, _)| deadline <= now_ms).map(|&(_, c)| c).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(keys: &[&[u8]], deadline: Option<i64>) -> Blocked {
        Blocked { db: 0, keys: keys.iter().map(|k| k.to_vec()).collect(), deadline, command: OwnedArgs::default() }
    }

    #[test]
    fn fifo_signals_and_deadlines() {
        let mut b = Blocking::default();
        b.block(7, blocked(&[b"q", b"r"], Some(100)));
        b.block(3, blocked(&[b"q"], None));
        assert_eq!(b.waiters_of(0, b"q"), vec![7, 3]);
        b.signal(0, b"q");
        b.signal(0, b"q");
        b.signal(0, b"nobody");
        b.signal(5, b"q");
        assert_eq!(b.take_ready(), vec![(0, b"q".to_vec())]);
        assert_eq!(b.next_deadline(), Some(100));
        assert_eq!(b.timed_out(99), Vec::<usize>::new());
        assert_eq!(b.timed_out(100), vec![7]);
        assert!(b.unblock(7).is_some());
        assert_eq!(b.waiters_of(0, b"q"), vec![3]);
        assert!(b.waiters_of(0, b"r").is_empty());
        assert_eq!(b.next_deadline(), None);
        assert!(b.unblock(3).is_some());
        assert!(!b.any());
    }
}
