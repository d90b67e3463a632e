//! The registry of `WATCH`ed keys: per database, which clients watch
//! which key. A write to a watched key (the `ctx.notify` hook), its
//! expiry, or a `FLUSHDB`/`FLUSHALL`/`SWAPDB` that affects it marks the
//! watching clients "dirty", and their next `EXEC` fails. Each client also
//! remembers its own watched keys (`Client::watched`) so that `UNWATCH`,
//! `EXEC`, `DISCARD` and disconnecting undo exactly what it added.

use std::collections::HashMap;

/// Watched keys of every client.
#[derive(Default)]
pub struct Watches {
    /// Per database: key → clients watching it.
    keys: Vec<HashMap<Vec<u8>, Vec<usize>>>,
    /// Number of (client, key) watches.
    count: usize,
}

impl Watches {
    /// True if anybody watches anything.
    #[inline]
    pub fn any(&self) -> bool {
        self.count != 0
    }

    /// Adds a watch; false if `client` already watched the key.
    pub fn watch(&mut self, db: usize, key: &[u8], client: usize) -> bool {
        if self.keys.len() <= db {
            self.keys.resize_with(db + 1, HashMap::new);
        }
        let watchers = self.keys[db].entry(key.to_vec()).or_default();
        if watchers.contains(&client) {
            return false;
        }
        watchers.push(client);
        self.count += 1;
        true
    }

    /// Removes one watch.
    pub fn unwatch(&mut self, db: usize, key: &[u8], client: usize) {
        let Some(keys) = self.keys.get_mut(db) else { return };
        let Some(watchers) = keys.get_mut(key) else { return };
        let before = watchers.len();
        watchers.retain(|&c| c != client);
        self.count -= before - watchers.len();
        if watchers.is_empty() {
            keys.remove(key);
        }
    }

    /// The clients watching `key` in `db`.
    #[inline]
    pub fn watchers(&self, db: usize, key: &[u8]) -> &[usize] {
        self.keys.get(db).and_then(|keys| keys.get(key)).map_or(&[], Vec::as_slice)
    }

    /// Every watched key of `db` with its watchers.
    pub fn keys_in(&self, db: usize) -> impl Iterator<Item = (&[u8], &[usize])> {
        self.keys.get(db).into_iter().flatten().map(|(k, v)| (k.as_slice(), v.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_and_unwatch() {
        let mut w = Watches::default();
        assert!(w.watch(0, b"a", 1));
        assert!(!w.watch(0, b"a", 1));
        assert!(w.watch(0, b"a", 2));
        assert!(w.watch(3, b"b", 1));
        assert_eq!(w.watchers(0, b"a"), &[1, 2]);
        assert!(w.watchers(1, b"a").is_empty());
        assert_eq!(w.keys_in(3).count(), 1);
        w.unwatch(0, b"a", 1);
        w.unwatch(0, b"a", 2);
        w.unwatch(3, b"b", 1);
        assert!(!w.any());
        assert_eq!(w.keys_in(0).count(), 0);
    }
}
