//! What a handler works with: [`Ctx`], the keyspace, the shared state,
//! this caller's session and a reply writer, and [`Caller`], who asked
//! for the command to run.
//!
//! The hooks every handler calls after it changed something live here
//! too: [`Ctx::notify`] once per changed key (keyspace notification,
//! `WATCH`, blocked clients), [`Ctx::log_as`] for a command that must be
//! logged as something that replays to the same state, and
//! [`Ctx::changed`] for a change that notifies nobody.

use crate::protocol::Reply;
use crate::pubsub::Own;
use crate::state::busy::BusyLoop;
use crate::state::{Client, ServerState};
use crate::store::{Db, Keyspace};

/// Who runs a command. Every command, whoever asks for it, goes through
/// [`super::execute`]; the caller decides what the command may do there
/// and what is recorded about it.
///
/// | caller | when nothing to pop | checks¹ | timed, counted | `MONITOR` | logged |
/// | --- | --- | --- | --- | --- | --- |
/// | [`Caller::Client`] | blocks | yes | yes | yes | yes |
/// | [`Caller::Transaction`] | answers null | yes | yes | yes, as `EXEC` runs it | yes |
/// | [`Caller::Wakeup`] | stays blocked | no² | no | no | yes |
/// | [`Caller::Replay`] | answers null | yes | no | no | no³ |
/// | [`Caller::Script`] | answers null | yes⁴ | yes | no | yes⁵ |
/// | [`Caller::Primary`] | answers null | yes⁶ | yes | no | yes |
///
/// ¹ lookup, arity, authentication, `MULTI` queueing, RESP2 subscribed
/// mode, `-MISCONF`. ⁴ With the errors Redis gives scripts, and the
/// commands a script may not call refused. ⁵ Each write the script makes
/// is logged as itself; the script never is. ² They passed when the command first ran. ³ A replay
/// session puts the log in loading mode while it is open; an `EXEC` in
/// a replayed sequence runs its commands as `Replay` too. ⁶ But no ACL
/// check, no `-OOM` and no `-READONLY`: the primary's stream is obeyed.
///
/// A caller without a socket (a replayed record; a script, a replication
/// stream or eviction as they come) has a session of its own in
/// `ServerState::clients` and a buffer of its own for the replies, which
/// it reads or drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// A client's command, just read from its connection.
    Client,
    /// A command queued by `MULTI`, run by `EXEC`.
    Transaction,
    /// A blocked client's command, run again because a key it waits on
    /// was written. It sets [`Ctx::unserved`] when it still finds nothing.
    Wakeup,
    /// A record of the log or the snapshot, replayed at start-up at the
    /// time it was recorded.
    Replay,
    /// A command a Lua script calls (`redis.call`), in the script
    /// session. A read-only script (`EVAL_RO`, `FCALL_RO`, `no-writes`)
    /// may not write.
    Script { read_only: bool },
    /// A command of the replication stream a replica applies, in the
    /// session of its link to the primary; its replies are dropped.
    Primary,
}

/// Everything a handler may touch.
pub struct Ctx<'a> {
    pub store: &'a mut Keyspace,
    /// The state every command shares (sessions, pub/sub, blocking,
    /// watches, statistics, parameters, persistence).
    pub server: &'a mut ServerState,
    /// The caller's session: its key in `server.clients`.
    pub client_key: usize,
    /// The selected database (mirrors the session's).
    pub db_index: usize,
    pub out: Reply<'a>,
    /// The command's notion of "now", Unix milliseconds.
    pub now_ms: i64,
    /// Who runs the command.
    pub caller: Caller,
    /// Set by a blocking command run for [`Caller::Wakeup`] that still
    /// found nothing: the client stays blocked, and nothing was replied.
    pub unserved: bool,
    /// The loop, for a script that runs long (a client's command only).
    pub busy: Option<&'a mut dyn BusyLoop>,
}

impl Ctx<'_> {
    /// The selected database.
    #[inline]
    pub fn db(&mut self) -> &mut Db {
        self.store.db(self.db_index)
    }

    /// This connection's session.
    #[inline]
    pub fn client(&mut self) -> &mut Client {
        self.server.session_mut(self.client_key)
    }

    /// The hook for every change to a key in the selected database: call
    /// it once per change, after the change, with the notification class
    /// (`crate::pubsub::LIST`...) and Redis's event name (`"lpush"`). It
    /// publishes the keyspace notification, invalidates `WATCH`es and
    /// wakes clients blocked on the key; with nobody subscribed, watching
    /// or blocked it is a single branch.
    #[inline]
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        self.server.persist.dirty += 1;
        if !self.server.key_events_idle() {
            self.key_event(self.db_index, class, event, key);
        }
    }

    /// [`Ctx::notify`] for a key in database `db` (`MOVE`, `COPY ... DB`).
    #[inline]
    pub fn notify_in(&mut self, db: usize, class: u32, event: &str, key: &[u8]) {
        self.server.persist.dirty += 1;
        if !self.server.key_events_idle() {
            self.key_event(db, class, event, key);
        }
    }

    #[inline(never)]
    fn key_event(&mut self, db: usize, class: u32, event: &str, key: &[u8]) {
        let mut own = Own { key: self.client_key, buf: &mut *self.out.buf };
        self.server.key_event(db, class, event, key, &mut own);
    }

    /// Logs `args` to the append-only file in place of the command being
    /// run, which would not replay to the same state (`SPOP` logs the
    /// `SREM` of what it popped, a relative expiry its absolute time). May
    /// be called several times; keys that expired while the command ran
    /// are logged first.
    pub fn log_as(&mut self, args: &[&[u8]]) {
        self.server.expired_events(self.store, &mut Own { key: self.client_key, buf: &mut *self.out.buf }, self.now_ms);
        self.server.persist.aof.rewrites += 1;
        self.server.persist.aof.command(self.now_ms, self.db_index, args.iter().copied());
    }

    /// Counts a change that sends no keyspace notification (`FLUSHDB`,
    /// `SWAPDB`), so that it is logged.
    pub fn changed(&mut self) {
        self.server.persist.dirty += 1;
    }

    /// Call before `FLUSHDB`/`FLUSHALL` empties database `db`: its watched
    /// keys that exist are touched (Redis's `touchAllWatchedKeysInDb`).
    pub fn flushing_db(&mut self, db: usize) {
        self.changed();
        if !self.server.watches.any() {
            return;
        }
        let now = self.now_ms;
        let watched: Vec<Vec<u8>> = self.server.watches.keys_in(db).map(|(k, _)| k.to_vec()).collect();
        for key in watched {
            if self.store.db(db).contains(&key, now) {
                self.server.touch_watched(db, &key);
            }
        }
    }

    /// Call once per `FLUSHDB`/`FLUSHALL`: every client tracking keys is
    /// told that all of them are invalid.
    pub fn flushed_for_tracking(&mut self) {
        if self.server.tracking.any() {
            let server = &mut *self.server;
            server.tracking.flushed(&server.clients, &mut server.pubsub.outbox);
        }
    }

    /// Call after `SWAPDB a b`: watched keys of either database that exist
    /// in either are touched, and keys blocked clients wait on that now
    /// exist are made ready.
    pub fn swapped_dbs(&mut self, a: usize, b: usize) {
        self.changed();
        let now = self.now_ms;
        if self.server.watches.any() {
            for (db, other) in [(a, b), (b, a)] {
                let watched: Vec<Vec<u8>> = self.server.watches.keys_in(db).map(|(k, _)| k.to_vec()).collect();
                for key in watched {
                    if self.store.db(db).contains(&key, now) || self.store.db(other).contains(&key, now) {
                        self.server.touch_watched(db, &key);
                    }
                }
            }
        }
        if self.server.blocking.any() {
            for db in [a, b] {
                let store = &mut *self.store;
                self.server.blocking.signal_existing(db, |key| store.db(db).contains(key, now));
            }
        }
    }
}
