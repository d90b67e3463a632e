//! State the command handlers share with the event loop: client sessions,
//! runtime parameters (`CONFIG GET/SET`), statistics, the slow log, and
//! requests from handlers to the loop (kill a client, shut down). No
//! sockets here: the loop owns those.

use crate::persist::Persistence;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use slab::Slab;

use crate::cmd::{CommandSpec, OwnedArgs};
use crate::config::Config;
use crate::protocol::Args;
use crate::pubsub::{Own, PubSub};
use crate::server::blocking::Blocking;
use crate::server::watch::Watches;

/// `CLIENT REPLY` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyMode {
    #[default]
    On,
    Off,
    /// Skip the reply of the next command only.
    Skip,
    /// Set while running the command after `CLIENT REPLY SKIP`.
    Skipping,
}

/// One connection's session: what commands see and change about "me".
#[derive(Debug, Default)]
pub struct Client {
    pub id: u64,
    pub addr: String,
    pub local_addr: String,
    pub fd: i32,
    pub name: Vec<u8>,
    pub lib_name: Vec<u8>,
    pub lib_ver: Vec<u8>,
    pub db: usize,
    pub resp3: bool,
    pub authenticated: bool,
    pub created_ms: i64,
    pub last_command_ms: i64,
    pub last_command: &'static str,
    /// Subcommand of the last command, for containers like `CLIENT`.
    pub last_subcommand: String,
    pub reply_mode: ReplyMode,
    /// Close the connection once pending replies are written (`QUIT`).
    pub close_after_reply: bool,
    /// Asked to be disconnected by `CLIENT KILL`.
    pub killed: bool,
    pub no_evict: bool,
    /// Read and write buffer sizes, refreshed by the loop for `CLIENT LIST`.
    pub query_buffer: usize,
    pub output_buffer: usize,
    /// Inside `MULTI`: the queued commands.
    pub multi: Option<Multi>,
    /// `WATCH`ed keys: database, key, and whether it existed then.
    pub watched: Vec<(usize, Vec<u8>, bool)>,
    /// A watched key changed: the next `EXEC` fails.
    pub dirty_cas: bool,
    /// Channels plus patterns subscribed to; RESP2 clients with any are
    /// in subscribed mode.
    pub subscriptions: usize,
    /// Waiting in a blocking command (see `server::blocking`).
    pub blocked: bool,
}

/// A transaction being queued between `MULTI` and `EXEC`.
#[derive(Debug, Default)]
pub struct Multi {
    pub commands: Vec<OwnedArgs>,
    /// A command was refused while queueing: `EXEC` answers `EXECABORT`.
    pub failed: bool,
}

/// A request to stop the server (`SHUTDOWN`, signals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownRequest {
    /// `Some(false)` for NOSAVE, `Some(true)` for SAVE, `None` default.
    pub save: Option<bool>,
}

/// One slow-log entry.
#[derive(Debug, Clone)]
pub struct SlowEntry {
    pub id: u64,
    pub time_s: i64,
    pub micros: u64,
    pub args: Vec<Vec<u8>>,
    pub client_addr: String,
    pub client_name: Vec<u8>,
}

/// Counters for `INFO stats` and `INFO commandstats`.
#[derive(Debug, Default)]
pub struct Stats {
    pub commands: u64,
    pub connections: u64,
    pub rejected_connections: u64,
    pub expired_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    /// Per command id: (calls, microseconds, failed calls).
    pub per_command: Vec<(u64, u64, u64)>,
    pub slowlog: VecDeque<SlowEntry>,
    pub slowlog_next_id: u64,
    /// Commands slower than this many microseconds are logged; negative
    /// disables the log.
    pub slowlog_threshold_us: i64,
    pub slowlog_max_len: usize,
}

impl Stats {
    #[inline]
    pub fn record_command(&mut self, spec: &CommandSpec, elapsed: Duration, args: Args<'_>, now_ms: i64) {
        self.commands += 1;
        if self.per_command.len() <= spec.id {
            self.per_command.resize(crate::cmd::table::count().max(spec.id + 1), (0, 0, 0));
        }
        let micros = elapsed.as_micros() as u64;
        let slot = &mut self.per_command[spec.id];
        slot.0 += 1;
        slot.1 += micros;
        if self.slowlog_threshold_us >= 0 && micros >= self.slowlog_threshold_us as u64 && self.slowlog_max_len > 0 {
            self.slowlog_next_id += 1;
            let kept: Vec<Vec<u8>> = args.iter().take(32).map(|a| a[..a.len().min(128)].to_vec()).collect();
            self.slowlog.push_front(SlowEntry {
                id: self.slowlog_next_id - 1,
                time_s: now_ms / 1000,
                micros,
                args: kept,
                client_addr: String::new(),
                client_name: Vec::new(),
            });
            self.slowlog.truncate(self.slowlog_max_len);
        }
    }
}

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
}

impl ServerState {
    pub fn new(config: Config, now_ms: i64) -> ServerState {
        let params = default_params(&config);
        let persist = Persistence::new(&config, now_ms);
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
            monitors: Vec::new(),
            kill_pending: false,
            monitor_feed: Vec::new(),
            pubsub: PubSub::default(),
            blocking: Blocking::default(),
            watches: Watches::default(),
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

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Sets a known parameter; the caller validated the value.
    pub fn set_param(&mut self, name: &str, value: String) {
        if name == "notify-keyspace-events" {
            if let Some(flags) = crate::pubsub::parse_flags(&value) {
                self.pubsub.flags = flags;
            }
        }
        match self.params.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.params.push((name.to_string(), value)),
        }
    }
}

impl ServerState {
    /// True when no client subscribes, watches or blocks: key events then
    /// need no work at all.
    #[inline]
    pub fn key_events_idle(&self) -> bool {
        !self.pubsub.active() && !self.watches.any() && !self.blocking.any()
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
        if self.pubsub.active() {
            let clients = &self.clients;
            let resp3_of = |c: usize| clients.get(c).is_some_and(|c| c.resp3);
            self.pubsub.notify_keyspace(class, event, key, db, resp3_of, own);
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
    pub fn unblock(&mut self, client: usize) -> Option<crate::server::blocking::Blocked> {
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
        self.unblock(client);
        self.pubsub.remove_client(client);
        if let Some(session) = self.clients.get_mut(client) {
            session.multi = None;
            session.subscriptions = 0;
        }
    }
}

/// The parameters `CONFIG GET` knows, with their values at start.
fn default_params(config: &Config) -> Vec<(String, String)> {
    let dir = config.backup_path.display().to_string();
    let mut params: Vec<(String, String)> = vec![
        ("port", config.port.to_string()),
        ("bind", config.bind.join(" ")),
        ("dir", dir.clone()),
        ("backup-path", dir),
        ("backup-interval", config.backup_interval.to_string()),
        ("backup-keep", config.backup_keep.to_string()),
        ("appendonly", "yes".to_string()),
        ("appendfsync", config.appendfsync.name().to_string()),
        ("appendfilename", "appendonly.aof".to_string()),
        ("dbfilename", "dump.rdb".to_string()),
        ("save", String::new()),
        ("requirepass", config.requirepass.clone().unwrap_or_default()),
        ("maxclients", config.maxclients.to_string()),
        ("databases", config.databases.to_string()),
        ("loglevel", log_level_name(config.log_level).to_string()),
        ("notify-keyspace-events", "KEA".to_string()),
        ("timeout", "0".to_string()),
        ("tcp-keepalive", "300".to_string()),
        ("hz", "10".to_string()),
        ("maxmemory", "0".to_string()),
        ("maxmemory-policy", "noeviction".to_string()),
        ("slowlog-log-slower-than", "10000".to_string()),
        ("slowlog-max-len", "128".to_string()),
        ("proto-max-bulk-len", "536870912".to_string()),
        ("client-query-buffer-limit", "1073741824".to_string()),
        (
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60".to_string(),
        ),
        ("list-max-listpack-size", "-2".to_string()),
        ("list-max-ziplist-size", "-2".to_string()),
        ("list-compress-depth", "0".to_string()),
        ("set-max-intset-entries", "512".to_string()),
        ("set-max-listpack-entries", "128".to_string()),
        ("set-max-listpack-value", "64".to_string()),
        ("zset-max-listpack-entries", "128".to_string()),
        ("zset-max-listpack-value", "64".to_string()),
        ("zset-max-ziplist-entries", "128".to_string()),
        ("zset-max-ziplist-value", "64".to_string()),
        ("hash-max-listpack-entries", "128".to_string()),
        ("hash-max-listpack-value", "64".to_string()),
        ("hash-max-ziplist-entries", "128".to_string()),
        ("hash-max-ziplist-value", "64".to_string()),
        ("lazyfree-lazy-user-del", "no".to_string()),
        ("io-threads", "1".to_string()),
        ("cluster-enabled", "no".to_string()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect();
    params.sort();
    params
}

pub fn log_level_name(level: log::LevelFilter) -> &'static str {
    match level {
        log::LevelFilter::Off | log::LevelFilter::Error => "error",
        log::LevelFilter::Warn => "warn",
        log::LevelFilter::Info => "info",
        log::LevelFilter::Debug => "debug",
        log::LevelFilter::Trace => "trace",
    }
}
