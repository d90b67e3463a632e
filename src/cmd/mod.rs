//! Commands: the command table, argument helpers, dispatch, and one file
//! per command family.
//!
//! A handler receives a [`Ctx`] (the keyspace, this client's session, the
//! server's shared state, and a [`Reply`] writer aimed at this client's
//! output buffer) and the parsed [`Args`]. It parses its arguments, acts on
//! the keyspace, and writes its reply; errors are returned as [`CmdError`]
//! and written by the dispatcher, so `?` works throughout. Handlers never
//! touch sockets: anything that concerns other connections (killing a
//! client, shutting down) is requested through `ServerState`.
//!
//! Besides arity and authentication, dispatch applies the session modes
//! of Redis: inside `MULTI` commands are queued (see `transaction`), and
//! a RESP2 client with subscriptions may only run the pub/sub commands.
//! A handler that changes a key calls [`Ctx::notify`] once per change
//! (see `crate::pubsub` for what that does).

pub mod args;
mod blocking;
mod connection;
mod decimal;
mod expire;
mod hash;
mod info;
mod keys;
mod list;
mod pubsub;
mod server;
mod set;
mod string;
pub mod table;
mod transaction;
mod zset;
mod zset_algebra;
mod zset_pop;
mod zset_range;

use crate::protocol::{Args, Reply};
use crate::pubsub::Own;
use crate::server::state::{Client, ServerState};
use crate::store::table::resizes_left_running;
use crate::store::{Db, Keyspace};

pub use table::{lookup, CommandSpec, Flags};

/// An error reply, written by the dispatcher.
#[derive(Debug, Clone, PartialEq)]
pub enum CmdError {
    WrongType,
    NotInteger,
    NotFloat,
    Syntax,
    Overflow,
    NoSuchKey,
    Static(&'static str),
    Owned(String),
}

impl CmdError {
    pub fn text(&self) -> &str {
        match self {
            CmdError::WrongType => "WRONGTYPE Operation against a key holding the wrong kind of value",
            CmdError::NotInteger => "ERR value is not an integer or out of range",
            CmdError::NotFloat => "ERR value is not a valid float",
            CmdError::Syntax => "ERR syntax error",
            CmdError::Overflow => "ERR increment or decrement would overflow",
            CmdError::NoSuchKey => "ERR no such key",
            CmdError::Static(s) => s,
            CmdError::Owned(s) => s,
        }
    }
}

impl From<crate::store::types::WrongKind> for CmdError {
    fn from(_: crate::store::types::WrongKind) -> CmdError {
        CmdError::WrongType
    }
}

pub type CmdResult = Result<(), CmdError>;

/// Everything a handler may touch.
pub struct Ctx<'a> {
    pub store: &'a mut Keyspace,
    pub server: &'a mut ServerState,
    /// This connection's key in `server.clients`.
    pub client_key: usize,
    /// The selected database (mirrors the client's).
    pub db_index: usize,
    pub out: Reply<'a>,
    /// The command's notion of "now", Unix milliseconds.
    pub now_ms: i64,
    /// How the command runs: as sent, inside `EXEC`, or re-run for a
    /// blocked client whose key became ready.
    pub mode: Mode,
    /// Set by a blocking command re-run in [`Mode::Wake`] that still found
    /// nothing: the client stays blocked, and nothing was replied.
    pub unserved: bool,
}

/// How a command is being run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Sent by the client just now.
    Normal,
    /// Queued earlier and run by `EXEC`: blocking commands do not block.
    Exec,
    /// A blocked client's command, re-run because a key became ready.
    Wake,
}

/// A command's arguments copied out of the read buffer: a command queued
/// by `MULTI`, or held by a blocked client.
#[derive(Debug, Clone, Default)]
pub struct OwnedArgs {
    data: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl OwnedArgs {
    pub fn new(args: Args<'_>) -> OwnedArgs {
        let mut owned = OwnedArgs {
            data: Vec::with_capacity(args.iter().map(<[u8]>::len).sum()),
            spans: Vec::with_capacity(args.len()),
        };
        for arg in args.iter() {
            let start = owned.data.len();
            owned.data.extend_from_slice(arg);
            owned.spans.push((start, owned.data.len()));
        }
        owned
    }

    pub fn args(&self) -> Args<'_> {
        Args::new(&self.data, &self.spans)
    }
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
        &mut self.server.clients[self.client_key]
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
        expired_events(
            self.store,
            self.server,
            &mut Own { key: self.client_key, buf: &mut *self.out.buf },
            self.now_ms,
        );
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

/// Looks up, checks and runs one command, writing its reply.
pub fn execute(ctx: &mut Ctx<'_>, args: Args<'_>) {
    let name = args.get(0);
    let Some(spec) = lookup(name) else {
        unknown_command(ctx, args);
        transaction::flag_failed(ctx);
        return;
    };
    if !spec.arity_ok(args.len()) {
        ctx.out.error(&format!("ERR wrong number of arguments for '{}' command", spec.name));
        transaction::flag_failed(ctx);
        return;
    }
    let client = &ctx.server.clients[ctx.client_key];
    if !client.authenticated && !spec.flags.contains(Flags::NO_AUTH) {
        ctx.out.error("NOAUTH Authentication required.");
        transaction::flag_failed(ctx);
        return;
    }
    if spec.is_write() && ctx.server.persist.aof.error.is_some() {
        refuse_write(ctx);
        return;
    }
    // One test for the common case: no subscriptions, transaction or
    // watches, so no session mode applies.
    if client.subscriptions != 0 || client.multi.is_some() || !client.watched.is_empty() {
        let (subscribed_resp2, queueing) = (client.subscriptions > 0 && !client.resp3, client.multi.is_some());
        if subscribed_resp2 && pubsub::subscribed_mode(ctx, spec, args) {
            return;
        }
        if queueing && transaction::queue(ctx, spec, args) {
            return;
        }
        if spec.name == "reset" {
            ctx.server.clear_session_state(ctx.client_key);
        }
    }
    let client = ctx.client();
    client.last_command = spec.name;
    if spec.flags.contains(Flags::SUBCOMMANDS) && args.len() > 1 {
        client.last_subcommand = String::from_utf8_lossy(args.get(1)).to_ascii_lowercase();
    } else if !client.last_subcommand.is_empty() {
        client.last_subcommand.clear();
    }
    // What start-up replays is neither timed nor counted: as in Redis,
    // the statistics and the slow log are about clients' commands.
    if ctx.server.persist.aof.loading {
        run_handler(ctx, spec, args);
        return;
    }
    let started = std::time::Instant::now();
    run_handler(ctx, spec, args);
    if spec.is_write() && ctx.server.blocking.any() {
        signal_command_keys(ctx, spec, args);
    }
    ctx.server.stats.record_command(spec, started.elapsed(), args, ctx.now_ms);
}

/// `-MISCONF` for a write command while the log cannot be written.
#[cold]
fn refuse_write(ctx: &mut Ctx<'_>) {
    let reason = ctx.server.persist.aof.error.clone().unwrap_or_default();
    ctx.out.error(&format!("MISCONF Errors writing to the AOF file: {reason}"));
    transaction::flag_failed(ctx);
}

/// Runs a command's handler, writes its error reply if any, and logs the
/// command if it changed data.
#[inline]
fn run_handler(ctx: &mut Ctx<'_>, spec: &CommandSpec, args: Args<'_>) {
    let (dirty, rewrites, db_index) = (ctx.server.persist.dirty, ctx.server.persist.aof.rewrites, ctx.db_index);
    let resizes = resizes_left_running();
    if let Err(err) = (spec.handler)(ctx, args) {
        ctx.out.error(err.text());
    }
    if ctx.server.persist.dirty != dirty {
        log_change(ctx, spec, args, rewrites, db_index);
        if resizes_left_running() != resizes {
            for key in command_keys(spec, args) {
                ctx.store.track_value_resize(db_index, key);
            }
        }
    }
}

/// Appends a command that changed data to the log, after the keys that
/// expired while it ran, unless its handler logged a rewrite instead.
#[inline(never)]
fn log_change(ctx: &mut Ctx<'_>, spec: &CommandSpec, args: Args<'_>, rewrites: u64, db_index: usize) {
    expired_events(ctx.store, ctx.server, &mut Own { key: ctx.client_key, buf: &mut *ctx.out.buf }, ctx.now_ms);
    if spec.is_write() && ctx.server.persist.aof.rewrites == rewrites {
        ctx.server.persist.aof.command(ctx.now_ms, db_index, args.iter());
    }
}

/// The keys a command names, by its key positions (first, last, step).
fn command_keys<'a>(spec: &CommandSpec, args: Args<'a>) -> impl Iterator<Item = &'a [u8]> {
    let last = if spec.last_key < 0 { args.len() as i32 + spec.last_key } else { spec.last_key };
    let positions = if spec.first_key <= 0 || spec.step <= 0 {
        None
    } else {
        Some((spec.first_key..=last.min(args.len() as i32 - 1)).step_by(spec.step as usize))
    };
    positions.into_iter().flatten().map(move |i| args.get(i as usize))
}

/// Marks the keys a write command names as ready for blocked clients:
/// the safety net under `Ctx::notify` (a key that did not really change
/// costs the waiters one look).
fn signal_command_keys(ctx: &mut Ctx<'_>, spec: &CommandSpec, args: Args<'_>) {
    for key in command_keys(spec, args) {
        ctx.server.blocking.signal(ctx.db_index, key);
    }
}

/// Runs a blocked client's command again because a key it waits on was
/// written. Returns false if it still finds nothing (it stays blocked,
/// nothing was replied).
pub fn rerun_blocked(ctx: &mut Ctx<'_>, args: Args<'_>) -> bool {
    let Some(spec) = lookup(args.get(0)) else { return true };
    ctx.mode = Mode::Wake;
    ctx.unserved = false;
    run_handler(ctx, spec, args);
    if ctx.unserved {
        return false;
    }
    if ctx.server.blocking.any() {
        signal_command_keys(ctx, spec, args);
    }
    true
}

/// Logs a `DEL` for each key the keyspace removed because it expired,
/// announces it (Redis's `expired` event, which also touches `WATCH`es)
/// and counts them. `own` is the client whose command found them, if any.
pub fn expired_events(store: &mut Keyspace, server: &mut ServerState, own: &mut Own<'_>, now_ms: i64) {
    let mut expired = 0;
    store.drain_expired(|db, key| {
        expired += 1;
        server.persist.aof.expired(now_ms, db, &key);
        if !server.key_events_idle() {
            server.key_event(db, crate::pubsub::EXPIRED, "expired", &key, own);
        }
    });
    server.stats.expired_keys += expired;
}

fn unknown_command(ctx: &mut Ctx<'_>, args: Args<'_>) {
    let mut listed = String::new();
    for arg in args.iter().skip(1) {
        if listed.len() >= 128 {
            break;
        }
        let room = 128 - listed.len();
        let text = String::from_utf8_lossy(arg);
        let shown: String = text.chars().take(room).collect();
        listed.push_str(&format!("'{shown}' "));
    }
    let name: String = String::from_utf8_lossy(args.get(0)).chars().take(128).collect();
    ctx.out.error(&format!("ERR unknown command '{name}', with args beginning with: {listed}"));
}

/// Reply for a subcommand nobody knows: `ERR unknown subcommand 'x'. Try
/// CLIENT HELP.`
pub fn unknown_subcommand(command: &str, sub: &[u8]) -> CmdError {
    let sub: String = String::from_utf8_lossy(sub).chars().take(128).collect();
    CmdError::Owned(format!("ERR unknown subcommand '{sub}'. Try {} HELP.", command.to_ascii_uppercase()))
}

/// Arity error for a subcommand (`client|setname`).
pub fn subcommand_arity(command: &str, sub: &[u8]) -> CmdError {
    CmdError::Owned(format!(
        "ERR wrong number of arguments for '{}|{}' command",
        command,
        String::from_utf8_lossy(sub).to_ascii_lowercase()
    ))
}
