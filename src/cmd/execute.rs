//! The one place a command runs: [`execute`]. A client's command, a
//! queued command run by `EXEC`, a woken blocked client's command and a
//! replayed log record all come here with a [`Caller`] saying who they
//! are. What applies to which caller is decided here and nowhere else
//! (the table on [`Caller`] lists it); running the handler, logging what
//! it changed and announcing keys that expired meanwhile are the same
//! for all of them.
//!
//! In order, for a client's command:
//! 1. under `CLIENT REPLY OFF|SKIP`, the end of its reply buffer is
//!    marked;
//! 2. [`dispatch`]: the command is looked up (a container's subcommand
//!    by its own entry) and checked (unknown command or subcommand,
//!    arity, `NOAUTH`, the user's ACL permissions (`-NOPERM`, logged
//!    in the ACL log), `MISCONF`), handed to the session modes, which
//!    may answer it themselves (`+QUEUED`, subscribed mode), then its
//!    handler runs; if the handler changed data (`persist.dirty` moved),
//!    the command is logged unless the handler logged a rewrite itself;
//!    it is counted and timed (and kept in the slow log unless
//!    `skip_slowlog`), and its `MONITOR` line added (secrets shown as
//!    `(redacted)`, `state::redact`) (only a command that
//!    ran gets one, not an `admin` or `skip_monitor` one; a queued
//!    command gets its line when `EXEC` runs it);
//! 3. under `CLIENT REPLY OFF|SKIP` the reply is cut back to the mark,
//!    keeping the pushes for the client itself;
//! 4. keys found expired meanwhile are logged as `DEL`s and announced
//!    (after the cut, so their push messages are kept).
//!
//! A panic in a handler is caught here for every caller but a
//! transaction (whose `EXEC` is the command that catches it): the caller
//! gets `-ERR internal error`. If the command may have changed data (it
//! is a write command, a transaction, a script or `DEBUG`, or the change
//! counter moved), memory may now hold a change the log does not: the
//! server stops taking writes (`-MISCONF`, an error in the server log,
//! `writes_refused_reason` in `INFO persistence`, and no snapshot is
//! written from memory) until a restart reloads the files. Reads go on.
//!
//! A client's write command, and a transaction as a whole before it
//! runs, must fit in one log frame (see `persist::aof`): one that could
//! not is refused before it changes anything.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::context::{Caller, Ctx};
use super::table::{lookup_args, CommandSpec, Flags};
use super::{acl, evict, pubsub, tracking, transaction};
use crate::persist::aof::record_len;
use crate::protocol::Args;
use crate::pubsub::Own;
use crate::state::redact::Redaction;
use crate::state::{Ran, ReplyMode};
use crate::store::table::resizes_left_running;

/// Runs one command for `ctx.caller` and writes its reply into `ctx.out`.
/// For [`Caller::Wakeup`], [`Ctx::unserved`] says afterwards whether the
/// client is still waiting.
pub fn execute(ctx: &mut Ctx<'_>, args: Args<'_>) {
    match ctx.caller {
        Caller::Transaction | Caller::Script { .. } => dispatch(ctx, args),
        Caller::Client => run_for_client(ctx, args),
        Caller::Wakeup => {
            ctx.unserved = false;
            let dirty = ctx.server.persist.dirty;
            if catch_unwind(AssertUnwindSafe(|| rerun_blocked(ctx, args))).is_err() {
                ctx.out.error("ERR internal error while serving a blocked command");
                ctx.unserved = false;
                let name = String::from_utf8_lossy(args.get(0)).to_string();
                after_panic(ctx, args, dirty, &name);
            }
            announce_expired(ctx);
        }
        Caller::Primary => {
            run_caught(ctx, args);
            announce_expired(ctx);
        }
        Caller::Replay => {
            if catch_unwind(AssertUnwindSafe(|| dispatch(ctx, args))).is_err() {
                ctx.out.error("ERR internal error");
            }
            announce_expired(ctx);
        }
    }
}

/// A socket client's command: [`dispatch`] plus what only a connection
/// has, its `CLIENT REPLY` mode.
fn run_for_client(ctx: &mut Ctx<'_>, args: Args<'_>) {
    let now_ms = ctx.now_ms;
    let client = ctx.client();
    client.last_command_ms = now_ms;
    if client.reply_mode != ReplyMode::On {
        run_muted(ctx, args);
    } else {
        run_caught(ctx, args);
    }
    announce_expired(ctx);
}

/// [`dispatch`], with a panic turned into an error reply.
fn run_caught(ctx: &mut Ctx<'_>, args: Args<'_>) {
    let dirty = ctx.server.persist.dirty;
    let (mark, unlogged_before) = (ctx.out.buf.len(), ctx.server.persist.aof.unloggable.is_some());
    if catch_unwind(AssertUnwindSafe(|| dispatch(ctx, args))).is_err() {
        let name = String::from_utf8_lossy(args.get(0)).to_string();
        ctx.out.error(&format!("ERR internal error while running '{name}'"));
        after_panic(ctx, args, dirty, &name);
    } else if !unlogged_before && ctx.server.persist.aof.unloggable.is_some() {
        // A change it made could not be logged: its reply must not say
        // the command succeeded.
        ctx.out.buf.truncate(mark);
        ctx.out.error(
            "ERR a change could not be logged (a record larger than a log frame); writes are refused until a restart",
        );
    }
}

/// After a handler panicked: if it may have changed data, writes stop
/// (see the module docs); otherwise the server carries on.
#[cold]
fn after_panic(ctx: &mut Ctx<'_>, args: Args<'_>, dirty_before: u64, name: &str) {
    let may_write = lookup_args(args)
        .is_some_and(|spec| spec.is_write() || matches!(spec.name, "exec" | "eval" | "evalsha" | "fcall" | "debug"));
    if !may_write && ctx.server.persist.dirty == dirty_before {
        log::error!("command '{name}' failed with an internal error before changing data; the server carries on");
        return;
    }
    let why = format!("command '{name}' failed with an internal error and may have changed data");
    log::error!("{why}: write commands are refused until a restart reloads the data from disk");
    ctx.server.persist.halted.get_or_insert(why);
}

/// A command under `CLIENT REPLY OFF`, or the one after `CLIENT REPLY
/// SKIP`: its replies are cut back, but the pushes it wrote for its own
/// client ((un)subscribe confirmations, messages) are sent anyway, as in
/// Redis. A `CLIENT REPLY ON` it runs unmutes its own `+OK`.
#[cold]
fn run_muted(ctx: &mut Ctx<'_>, args: Args<'_>) {
    let client = ctx.client();
    if client.reply_mode == ReplyMode::Skip {
        client.reply_mode = ReplyMode::Skipping;
    }
    let mark = ctx.out.buf.len();
    ctx.server.pubsub.own_pushes = Some(Vec::new());
    run_caught(ctx, args);
    let pushes = ctx.server.pubsub.own_pushes.take().unwrap_or_default();
    let client = ctx.client();
    let unmuted = client.reply_mode == ReplyMode::On;
    if client.reply_mode == ReplyMode::Skipping {
        client.reply_mode = ReplyMode::On;
    }
    if !unmuted {
        let buf = &mut *ctx.out.buf;
        let mut end = mark;
        for (from, to) in pushes {
            buf.copy_within(from..to, end);
            end += to - from;
        }
        buf.truncate(end);
    }
}

/// Keys that expired while the command ran: logged, announced, counted.
fn announce_expired(ctx: &mut Ctx<'_>) {
    ctx.server.expired_events(ctx.store, &mut Own { key: ctx.client_key, buf: &mut *ctx.out.buf }, ctx.now_ms);
}

/// Looks up, checks and runs one command, writing its reply: the part of
/// [`execute`] every caller but a woken client goes through. `EXEC` comes
/// back here for each queued command via [`execute`].
fn dispatch(ctx: &mut Ctx<'_>, args: Args<'_>) {
    let found = lookup_args(args);
    if let Caller::Script { read_only } = ctx.caller {
        if let Some(refusal) = script_refusal(found, args, read_only) {
            ctx.out.error(refusal);
            return;
        }
    }
    let Some(spec) = found else {
        unknown_command(ctx, args);
        transaction::flag_failed(ctx);
        return;
    };
    // A container is left only with a subcommand it does not have.
    if !spec.subcommands.is_empty() && args.len() > 1 {
        ctx.out.error(super::unknown_subcommand(spec.name, args.get(1)).text());
        transaction::flag_failed(ctx);
        return;
    }
    if !spec.arity_ok(args.len()) {
        let text = format!("ERR wrong number of arguments for '{}' command", spec.name);
        reply_error(ctx, &text, Some((spec.id, true)));
        transaction::flag_failed(ctx);
        return;
    }
    let client = ctx.server.session(ctx.client_key);
    let obeyed = client.primary_link;
    if !client.authenticated && !spec.flags.contains(Flags::NO_AUTH) {
        reply_error(ctx, "NOAUTH Authentication required.", Some((spec.id, true)));
        transaction::flag_failed(ctx);
        return;
    }
    if obeyed {
        // The primary's stream: no ACL, read-only or stale-data refusal.
    } else if let Err(denied) = acl::check(ctx, spec, args) {
        ctx.out.error(denied.text());
        transaction::flag_failed(ctx);
        return;
    } else if ctx.server.repl.is_replica() && ctx.caller != Caller::Replay {
        if let Some(refusal) = replica_refusal(ctx.server, spec) {
            reply_error(ctx, refusal, Some((spec.id, true)));
            transaction::flag_failed(ctx);
            return;
        }
    }
    if spec.is_write() {
        if let Some(refusal) = ctx.server.persist.refusing_writes() {
            reply_error(ctx, &refusal, Some((spec.id, true)));
            transaction::flag_failed(ctx);
            return;
        }
    }
    if spec.is_write()
        && ctx.server.repl.min_replicas.0 > 0
        && !obeyed
        && ctx.caller != Caller::Replay
        && !ctx.server.repl.enough_good_replicas(ctx.now_ms)
    {
        reply_error(ctx, "NOREPLICAS Not enough good replicas to write.", Some((spec.id, true)));
        transaction::flag_failed(ctx);
        return;
    }
    if ctx.caller == Caller::Client && evict::refuses_for_memory(ctx, spec) {
        refuse_for_memory(ctx, spec);
        return;
    }
    let client = ctx.server.session(ctx.client_key);
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
    if spec.is_container() && args.len() > 1 {
        client.last_subcommand = String::from_utf8_lossy(args.get(1)).to_ascii_lowercase();
    } else if !client.last_subcommand.is_empty() {
        client.last_subcommand.clear();
    }
    // What start-up replays is neither timed nor counted: as in Redis,
    // the statistics and the slow log are about clients' commands.
    if ctx.caller == Caller::Replay {
        run_handler(ctx, spec, args);
        return;
    }
    if ctx.caller == Caller::Client && spec.is_write() {
        if let Err(why) = ctx.server.persist.aof.make_room(record_len(args.iter())) {
            reply_error(ctx, &format!("ERR command not run: {why}"), Some((spec.id, true)));
            return;
        }
    }
    let started = std::time::Instant::now();
    run_handler(ctx, spec, args);
    if spec.is_write() && ctx.server.blocking.any() {
        signal_command_keys(ctx, spec, args);
    }
    if ctx.server.tracking.any() && matches!(ctx.caller, Caller::Client | Caller::Transaction) {
        let in_transaction = ctx.caller == Caller::Transaction;
        tracking::after_command(ctx, spec, command_keys(spec, args), in_transaction);
    }
    let server = &mut *ctx.server;
    let ran = Ran {
        command_id: spec.id,
        fast: spec.flags.contains(Flags::FAST),
        slow_log: (!spec.flags.contains(Flags::SKIP_SLOWLOG)).then_some(spec.name),
    };
    let client = server.clients.get(ctx.client_key);
    server.stats.record_command(ran, started.elapsed(), args, ctx.now_ms, client);
    if !server.monitors.is_empty()
        && matches!(ctx.caller, Caller::Client | Caller::Transaction)
        && !spec.flags.any(Flags::ADMIN.or(Flags::SKIP_MONITOR))
    {
        server.monitor_line(ctx.client_key, ctx.db_index, args, Redaction::of(spec.name, args));
    }
}

/// What a replica refuses to a client: writes while `replica-read-only`
/// is on, commands without the `stale` flag while the link to the
/// primary is down and `replica-serve-stale-data` is off, and commands
/// without the `loading` flag while it loads its primary's file (checked
/// last, as Redis's `processCommand` does).
#[cold]
fn replica_refusal(server: &crate::state::ServerState, spec: &CommandSpec) -> Option<&'static str> {
    let linked =
        server.repl.primary.as_ref().is_some_and(|p| p.state == crate::state::replication::LinkState::Connected);
    if !linked && !spec.flags.contains(Flags::STALE) && server.param("replica-serve-stale-data") == Some("no") {
        return Some("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
    }
    if spec.is_write() && server.param("replica-read-only") != Some("no") {
        return Some("READONLY You can't write against a read only replica.");
    }
    if server.loading.is_some() && !spec.flags.contains(Flags::LOADING) {
        return Some("LOADING Redis is loading the dataset in memory");
    }
    None
}

/// The checks of a command a script calls, with the errors Redis gives a
/// script (which the script sees as the command's error reply).
fn script_refusal(spec: Option<&CommandSpec>, args: Args<'_>, read_only: bool) -> Option<&'static str> {
    match spec {
        // A container left with an unknown subcommand, too.
        None => Some("ERR Unknown Redis command called from script"),
        Some(spec) if !spec.subcommands.is_empty() && args.len() > 1 => {
            Some("ERR Unknown Redis command called from script")
        }
        Some(spec) if !spec.arity_ok(args.len()) => Some("ERR Wrong number of args calling Redis command from script"),
        Some(spec) if spec.flags.contains(Flags::NOSCRIPT) => Some("ERR This Redis command is not allowed from script"),
        // PUBLISH changes nothing but reaches replicas, and PFCOUNT may
        // write its cached count (Redis's `may-replicate`): writes here.
        Some(spec) if read_only && (spec.is_write() || spec.name == "publish" || spec.name == "pfcount") => {
            Some("ERR Write commands are not allowed from read-only scripts.")
        }
        Some(_) => None,
    }
}

/// `-OOM` for a command that would grow memory over the limit; an
/// `EXEC` discards its transaction, as in Redis.
#[cold]
fn refuse_for_memory(ctx: &mut Ctx<'_>, spec: &CommandSpec) {
    if spec.name == "exec" {
        ctx.client().multi = None;
        ctx.server.unwatch_all(ctx.client_key);
        ctx.out.error(&format!("EXECABORT Transaction discarded because of: {}", evict::OOM_ERROR));
        return;
    }
    ctx.out.error(evict::OOM_ERROR);
    transaction::flag_failed(ctx);
}

/// Counts the error reply a command's handler wrote (returned or written
/// itself: a script's error, `EXECABORT`) against the command. When
/// errors were counted while it ran (a script's commands that failed),
/// this one is theirs passed on and is not counted again in
/// `errorstats`, as in Redis.
#[cold]
fn count_failure(ctx: &mut Ctx<'_>, spec: &CommandSpec, mark: usize, errors_before: u64) {
    let stats = &mut ctx.server.stats;
    if stats.total_error_replies != errors_before {
        stats.count_failed_call(spec.id);
        return;
    }
    let line = &ctx.out.buf[mark + 1..];
    let end = line.iter().position(|&c| c == b'\r').unwrap_or(line.len());
    let text = String::from_utf8_lossy(&line[..end]).into_owned();
    stats.count_error(&text, Some((spec.id, false)));
}

/// Writes an error reply and counts it for `INFO` (`total_error_replies`,
/// `errorstats`, and the command's `failed_calls` or `rejected_calls`):
/// not those of replayed records.
fn reply_error(ctx: &mut Ctx<'_>, text: &str, command: Option<(usize, bool)>) {
    ctx.out.error(text);
    if ctx.caller != Caller::Replay {
        ctx.server.stats.count_error(text, command);
    }
}

/// Runs a command's handler, writes its error reply if any, and logs the
/// command if it changed data.
#[inline]
fn run_handler(ctx: &mut Ctx<'_>, spec: &CommandSpec, args: Args<'_>) {
    let (dirty, rewrites, db_index) = (ctx.server.persist.dirty, ctx.server.persist.aof.rewrites, ctx.db_index);
    let resizes = resizes_left_running();
    let (errors_before, mark) = (ctx.server.stats.total_error_replies, ctx.out.buf.len());
    // A transaction's or a script's changes reach replicas as one.
    let atomic = ctx.server.persist.aof.tap.is_some() && matches!(spec.name, "exec" | "eval" | "evalsha" | "fcall");
    if atomic {
        if let Some(tap) = &mut ctx.server.persist.aof.tap {
            tap.begin_atomic();
        }
    }
    if let Err(err) = (spec.handler)(ctx, args) {
        ctx.out.error(err.text());
    }
    if atomic {
        if let Some(tap) = &mut ctx.server.persist.aof.tap {
            tap.end_atomic();
        }
    }
    if ctx.out.buf.get(mark) == Some(&b'-') && ctx.caller != Caller::Replay {
        count_failure(ctx, spec, mark, errors_before);
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
    announce_expired(ctx);
    if spec.is_write() && ctx.server.persist.aof.rewrites == rewrites {
        ctx.server.persist.aof.command_as_sent(ctx.now_ms, db_index, args);
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
/// written. Sets [`Ctx::unserved`] if it still finds nothing (it stays
/// blocked, nothing was replied).
fn rerun_blocked(ctx: &mut Ctx<'_>, args: Args<'_>) {
    let Some(spec) = lookup_args(args) else { return };
    run_handler(ctx, spec, args);
    if !ctx.unserved && ctx.server.blocking.any() {
        signal_command_keys(ctx, spec, args);
    }
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
    reply_error(ctx, &format!("ERR unknown command '{name}', with args beginning with: {listed}"), None);
}
