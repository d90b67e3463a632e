//! What commands share besides the keyspace: client sessions, statistics
//! and the slow log, runtime parameters (`CONFIG SET`), the `MONITOR`
//! feed, the pub/sub registry, the blocking registry, the `WATCH`
//! registry, the handle of the persistence layer, ACL users and their
//! log ([`acl`]), protected mode, which arguments are secrets
//! ([`redact`]), replication ([`replication`]: the ID, offset and
//! backlog, the replicas, `WAIT`, a replica's primary), and requests from
//! handlers to the loop (kill a client, shut down).
//!
//! It sits below `cmd` and above `store`, `pubsub` and `persist`, and
//! knows neither sockets nor the command table: the loop in `server` owns
//! the sockets, `cmd` the commands, and both look down at this module.
//! Whoever runs a command (a client, a replayed log record, a script, a
//! primary's replication stream) does so with a session registered in
//! [`ServerState::clients`] (the script session beside it).
//!
//! # Key events
//!
//! Every change to a key ends with one call, `ctx.notify(class, event,
//! key)` (or `ctx.notify_in(db, ...)` for a key in another database than
//! the caller's). Behind it, [`ServerState::key_event`]:
//!
//! * marks the key modified for every client that `WATCH`es it, so their
//!   `EXEC` fails;
//! * marks the key ready if a client is blocked on it, so the loop serves
//!   that client after the current command;
//! * publishes `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>`
//!   when `notify-keyspace-events` enables the event's class and someone
//!   is subscribed.
//!
//! Behind it too, [`tracking`] sends client-side caching invalidations.
//!
//! When nobody subscribes, watches, blocks or tracks, the call is one
//! inlined test of four counters ([`ServerState::key_events_idle`]), which is why
//! notifications can be on by default at no measurable cost. Keys that
//! expire, found lazily by a lookup or by the active expiry cycle, come
//! out of `Keyspace::drain_expired` into [`ServerState::expired_events`]
//! and take the same path with the `expired` event, so a watcher, a
//! blocked client and a subscriber all see an expiry as the change it is.
//! Three changes that are not one key's reach the registries directly:
//! `FLUSHDB`/`FLUSHALL` and `SWAPDB` touch the watched keys they affect,
//! and the dispatcher marks the keys every write command names as ready
//! for blocked clients (a safety net under `notify`).
//!
//! # Where a published message goes
//!
//! A message is encoded once per receiver, in that receiver's protocol (a
//! RESP2 array or a RESP3 `>` push; see `pubsub`). A message for the
//! session that runs the command goes straight into its own reply buffer,
//! so it arrives before the command's reply, as in Redis; messages for
//! other clients go into an outbox that the loop empties into their
//! output buffers right after the command.
//!
//! # Invariants
//!
//! * Nothing here is shared with another thread or locked: the loop's one
//!   thread owns it, like the keyspace.
//! * Disconnecting a client removes it from every registry (subscriptions,
//!   blocked keys, watched keys) before its session is dropped.
//! * `blocked_clients` always equals the number of entries in `blocking`
//!   (clients blocked in `WAIT` are counted apart, in `replication`).

pub mod acl;
pub mod blocking;
pub mod busy;
pub mod eviction;
pub mod latency;
mod monitor;
mod params;
pub mod pause;
mod protected;
pub mod redact;
pub mod replication;
pub mod session;
mod stats;
pub mod tracking;
pub mod watch;

use std::time::Instant;

use slab::Slab;

use crate::config::Config;
use crate::persist::Persistence;
use crate::pubsub::{Own, PubSub};
use crate::store::Keyspace;
use blocking::{Blocked, Blocking};
use watch::Watches;

pub use params::log_level_name;
pub use protected::PROTECTED_MODE_DENIED;
pub use session::{Client, Multi, ReplyMode, ShutdownRequest};
pub use stats::{CommandStats, Ran, SlowEntry, Stats};

/// The session key of the commands scripts call. It has no connection,
/// so it lives beside the slab of connections' sessions, not in it.
pub const SCRIPT_SESSION: usize = usize::MAX - 1;

/// Everything the loop and the handlers share.
pub struct ServerState {
    pub config: Config,
    /// `CONFIG GET/SET` parameters, lower-case names.
    pub params: Vec<(String, String)>,
    pub clients: Slab<Client>,
    pub next_client_id: u64,
    pub stats: Stats,
    pub started: Instant,
    pub started_ms: i64,
    /// The append-only log, snapshots and their status.
    pub persist: Persistence,
    pub shutdown: Option<ShutdownRequest>,
    /// A random state for `RANDOMKEY` and friends.
    pub random_state: u64,
    pub blocked_clients: usize,
    /// The TCP port actually bound.
    pub port: u16,
    /// Whether the active expiry cycle runs (`DEBUG SET-ACTIVE-EXPIRE`).
    pub active_expire: bool,
    /// A replica loading its primary's file: commands without the
    /// `loading` flag are refused meanwhile.
    pub loading: Option<replication::Loading>,
    /// Clients in `MONITOR` mode.
    pub monitors: Vec<usize>,
    /// Set when some client was marked `killed`.
    pub kill_pending: bool,
    /// `MONITOR` lines not yet sent to the monitors.
    pub monitor_feed: Vec<u8>,
    /// Channel and pattern subscriptions, keyspace notification classes,
    /// messages for other connections.
    pub pubsub: PubSub,
    /// Clients blocked in BLPOP & co.
    pub blocking: Blocking,
    /// `WATCH`ed keys.
    pub watches: Watches,
    /// The session of the commands scripts call ([`SCRIPT_SESSION`]).
    pub script_session: Client,
    /// The Lua interpreter and the script cache, made on first use. A
    /// command running a script takes it out while the script runs.
    pub scripts: Option<Box<crate::script::Scripts>>,
    /// Function libraries and their interpreter, made on first use, and
    /// taken out while a function runs.
    pub functions: Option<Box<crate::script::Functions>>,
    /// `busy-reply-threshold` (`lua-time-limit`), milliseconds: how long a
    /// script runs before other clients are answered `-BUSY`.
    pub busy_reply_threshold_ms: u64,
    /// The memory limit, its policy and the eviction candidates.
    pub eviction: eviction::Eviction,
    /// Client-side caching: who may cache which keys.
    pub tracking: tracking::Tracking,
    /// `CLIENT PAUSE` in force (see `pause`).
    pub pause: Option<pause::ClientPause>,
    /// Clients whose next command waits for the pause to end, in order.
    pub paused_clients: Vec<usize>,
    /// Clients `CLIENT UNBLOCK` released: the loop runs their pipelined
    /// input next.
    pub unblocked_clients: Vec<usize>,
    /// The rustls configuration new TLS connections get; `None` without a
    /// TLS port. `CONFIG SET tls-cert-file` (& co.) replaces it.
    pub tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    /// ACL users and the ACL log.
    pub acl: acl::Acl,
    /// Replication ID, offset, backlog, replicas, `WAIT`ers, the primary.
    pub repl: replication::Replication,
}

impl ServerState {
    pub fn new(config: Config, now_ms: i64) -> ServerState {
        let params = params::default_params(&config);
        params::apply_encoding_limits(&config);
        let persist = Persistence::new(&config, now_ms);
        let eviction = eviction::Eviction::new(&config);
        let config_requirepass = config.requirepass.clone();
        let mut state = ServerState {
            config,
            params,
            clients: Slab::new(),
            next_client_id: 1,
            stats: Stats { slowlog_threshold_us: 10_000, slowlog_max_len: 128, ..Stats::default() },
            started: Instant::now(),
            started_ms: now_ms,
            persist,
            shutdown: None,
            random_state: (now_ms as u64) ^ 0x2545_f491_4f6c_dd1d ^ std::process::id() as u64,
            blocked_clients: 0,
            port: 0,
            active_expire: true,
            loading: None,
            monitors: Vec::new(),
            kill_pending: false,
            monitor_feed: Vec::new(),
            pubsub: PubSub::default(),
            blocking: Blocking::default(),
            watches: Watches::default(),
            script_session: Client { authenticated: true, ..Client::default() },
            scripts: None,
            functions: None,
            busy_reply_threshold_ms: 5000,
            eviction,
            tracking: tracking::Tracking::default(),
            pause: None,
            paused_clients: Vec::new(),
            unblocked_clients: Vec::new(),
            tls: None,
            acl: acl::Acl::new(config_requirepass.as_deref()),
            repl: replication::Replication::default(),
        };
        state.port = state.config.port;
        let flags = state.param("notify-keyspace-events").unwrap_or_default().to_string();
        let normalized = crate::pubsub::parse_flags(&flags).map(crate::pubsub::flags_to_string).unwrap_or(flags);
        state.set_param("notify-keyspace-events", normalized);
        state
    }

    /// A pseudo-random number (xorshift64*).
    pub fn random(&mut self) -> u64 {
        let mut x = self.random_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.random_state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

impl ServerState {
    /// True when no client subscribes, watches or blocks: key events then
    /// need no work at all.
    #[inline]
    pub fn key_events_idle(&self) -> bool {
        !self.pubsub.active() && !self.watches.any() && !self.blocking.any() && !self.tracking.any()
    }

    /// A key changed (or expired): marks it for `WATCH`, wakes clients
    /// blocked on it, and publishes the keyspace notification. `own` is
    /// the client running the command, whose messages go straight into
    /// its output buffer.
    pub fn key_event(&mut self, db: usize, class: u32, event: &str, key: &[u8], own: &mut Own<'_>) {
        if self.watches.any() {
            self.touch_watched(db, key);
        }
        if self.blocking.any() {
            self.blocking.signal(db, key);
        }
        if self.tracking.any() {
            self.tracking.invalidate(key, own.key, &self.clients, &mut self.pubsub.outbox);
        }
        if self.pubsub.active() {
            let clients = &self.clients;
            let resp3_of = |c: usize| clients.get(c).is_some_and(|c| c.resp3);
            self.pubsub.notify_keyspace(class, event, key, db, resp3_of, own);
        }
    }

    /// Logs a `DEL` for each key the keyspace removed because it expired,
    /// announces it (Redis's `expired` event, which also touches `WATCH`es)
    /// and counts them. `own` is the session whose command found them, if
    /// any (`usize::MAX` for none).
    pub fn expired_events(&mut self, store: &mut Keyspace, own: &mut Own<'_>, now_ms: i64) {
        let mut expired = 0;
        store.drain_expired(|db, key| {
            expired += 1;
            self.persist.aof.expired(now_ms, db, &key);
            if !self.key_events_idle() {
                self.key_event(db, crate::pubsub::EXPIRED, "expired", &key, own);
            }
        });
        self.stats.expired_keys += expired;
    }

    /// The session under `key`: a connection's, or the script session
    /// ([`SCRIPT_SESSION`]).
    #[inline]
    pub fn session(&self, key: usize) -> &Client {
        if key == SCRIPT_SESSION {
            &self.script_session
        } else {
            &self.clients[key]
        }
    }

    /// [`ServerState::session`], to change.
    #[inline]
    pub fn session_mut(&mut self, key: usize) -> &mut Client {
        if key == SCRIPT_SESSION {
            &mut self.script_session
        } else {
            &mut self.clients[key]
        }
    }

    /// Marks the clients watching `key` in `db` dirty.
    pub fn touch_watched(&mut self, db: usize, key: &[u8]) {
        for &watcher in self.watches.watchers(db, key) {
            if let Some(client) = self.clients.get_mut(watcher) {
                client.dirty_cas = true;
            }
        }
    }

    /// Forgets every key `client` watches.
    pub fn unwatch_all(&mut self, client: usize) {
        let Some(session) = self.clients.get_mut(client) else { return };
        let watched = std::mem::take(&mut session.watched);
        session.dirty_cas = false;
        for (db, key, _) in watched {
            self.watches.unwatch(db, &key, client);
        }
    }

    /// Takes `client` out of the blocked registry.
    pub fn unblock(&mut self, client: usize) -> Option<Blocked> {
        let blocked = self.blocking.unblock(client);
        if let Some(session) = self.clients.get_mut(client) {
            session.blocked = false;
        }
        self.blocked_clients = self.blocking.len();
        blocked
    }

    /// Drops the transaction, watches, subscriptions and blocked state of
    /// `client` (disconnect, `RESET`).
    pub fn clear_session_state(&mut self, client: usize) {
        self.unwatch_all(client);
        self.tracking.disable(client);
        self.paused_clients.retain(|&k| k != client);
        self.unblock(client);
        self.pubsub.remove_client(client);
        if let Some(session) = self.clients.get_mut(client) {
            session.multi = None;
            session.subscriptions = 0;
        }
    }
}
