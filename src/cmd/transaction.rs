//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Between `MULTI` and `EXEC` the dispatcher hands every command to
//! [`queue`], which copies it into the client's `Multi` and answers
//! `+QUEUED` (or refuses it and marks the transaction failed, so `EXEC`
//! answers `EXECABORT`). `EXEC` then runs the queue in one go, which no
//! other client can interleave with since the loop is single-threaded.
//! Its commands run through `cmd::execute` as [`Caller::Transaction`]:
//! blocking commands answer at once, and the whole transaction's log
//! records go into one frame of the log (one loop round), so after a
//! crash it is all there or not at all.
//!
//! `WATCH` registers keys in `state::watch`; a change to one of them
//! (`Ctx::notify`), its expiry, or a flush marks the client dirty, and
//! `EXEC` then answers a null array without running anything.

use super::meta::{arg, key};
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::{execute, Caller, CmdError, CmdResult, Ctx};
use crate::persist::aof::record_len;
use crate::protocol::Args;
use crate::protocol::OwnedArgs;
use crate::pubsub::Own;
use crate::state::Multi;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "multi",
        1,
        Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST).or(Flags::ALLOW_BUSY),
        NO_KEYS,
        multi,
    )
    .acl("transaction")
    .doc("transactions", "1.2.0", "O(1)", "Mark the start of a transaction block"),
    CommandSpec::new(
        "exec",
        1,
        Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::SKIP_SLOWLOG),
        NO_KEYS,
        exec,
    )
    .acl("transaction")
    .doc(
        "transactions",
        "1.2.0",
        "Depends on commands in the transaction",
        "Execute all commands issued after MULTI",
    ),
    CommandSpec::new(
        "discard",
        1,
        Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST).or(Flags::ALLOW_BUSY),
        NO_KEYS,
        discard,
    )
    .acl("transaction")
    .doc(
        "transactions",
        "2.0.0",
        "O(N), when N is the number of queued commands",
        "Discard all commands issued after MULTI",
    ),
    CommandSpec::new(
        "watch",
        -2,
        Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST).or(Flags::ALLOW_BUSY),
        (1, -1, 1),
        watch,
    )
    .acl("transaction")
    .keys(&[key(1, "RO").range(-1, 1, 0)])
    .doc(
        "transactions",
        "2.2.0",
        "O(1) for every key.",
        "Watch the given keys to determine execution of the MULTI/EXEC block",
    )
    .args(&[arg::key("key", 0).multiple()]),
    CommandSpec::new(
        "unwatch",
        1,
        Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST).or(Flags::ALLOW_BUSY),
        NO_KEYS,
        unwatch,
    )
    .acl("transaction")
    .doc("transactions", "2.2.0", "O(1)", "Forget about all watched keys"),
];

/// Commands that act on the transaction itself instead of being queued.
fn runs_while_queueing(spec: &CommandSpec) -> bool {
    matches!(spec.name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
}

/// Inside `MULTI`: queues the command (or refuses it). Returns false for
/// the commands that run right away.
pub fn queue(ctx: &mut Ctx<'_>, spec: &CommandSpec, args: Args<'_>) -> bool {
    if runs_while_queueing(spec) {
        return false;
    }
    let Some(multi) = ctx.client().multi.as_mut() else { return false };
    if spec.flags.contains(Flags::NO_MULTI) {
        multi.failed = true;
        ctx.out.error("ERR Command not allowed inside a transaction");
        return true;
    }
    multi.commands.push(OwnedArgs::new(args));
    ctx.out.simple("QUEUED");
    true
}

/// A command was refused while queueing (unknown, wrong arity, no
/// authentication): the transaction will be aborted.
pub fn flag_failed(ctx: &mut Ctx<'_>) {
    if let Some(multi) = ctx.client().multi.as_mut() {
        multi.failed = true;
    }
}

fn multi(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    let client = ctx.client();
    if client.multi.is_some() {
        return Err(CmdError::Static("ERR MULTI calls can not be nested"));
    }
    client.multi = Some(Multi::default());
    ctx.out.ok();
    Ok(())
}

/// True if a key that existed when it was watched is gone now: it expired
/// (Redis's `isWatchedKeyExpired`); every other way of removing it has
/// already marked the client dirty.
fn watched_key_vanished(ctx: &mut Ctx<'_>) -> bool {
    let now = ctx.now_ms;
    let watched = std::mem::take(&mut ctx.client().watched);
    let vanished = watched.iter().any(|(db, key, existed)| *existed && !ctx.store.db(*db).contains(key, now));
    ctx.client().watched = watched;
    vanished
}

fn exec(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    let Some(multi) = ctx.client().multi.take() else {
        return Err(CmdError::Static("ERR EXEC without MULTI"));
    };
    if multi.failed {
        ctx.server.unwatch_all(ctx.client_key);
        return Err(CmdError::Static("EXECABORT Transaction discarded because of previous errors."));
    }
    let dirty = ctx.client().dirty_cas || watched_key_vanished(ctx);
    ctx.server.unwatch_all(ctx.client_key);
    if dirty {
        ctx.out.null_array();
        return Ok(());
    }
    if outer_is_client(ctx) {
        // The transaction's records share one frame, so it must fit in one.
        let bytes = multi.commands.iter().map(|c| record_len(c.args().iter())).sum();
        if let Err(why) = ctx.server.persist.aof.make_room(bytes) {
            return Err(CmdError::Owned(format!("EXECABORT Transaction discarded: {why}")));
        }
    }
    ctx.out.array(multi.commands.len());
    // A replayed EXEC stays a replay: neither counted nor timed.
    let outer = ctx.caller;
    if outer != Caller::Replay {
        ctx.caller = Caller::Transaction;
    }
    for command in &multi.commands {
        execute(ctx, command.args());
    }
    ctx.caller = outer;
    Ok(())
}

/// Whether `EXEC` runs for a client (not replayed from the log).
fn outer_is_client(ctx: &Ctx<'_>) -> bool {
    ctx.caller == Caller::Client
}

fn discard(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    if ctx.client().multi.take().is_none() {
        return Err(CmdError::Static("ERR DISCARD without MULTI"));
    }
    ctx.server.unwatch_all(ctx.client_key);
    ctx.out.ok();
    Ok(())
}

fn watch(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    if ctx.client().multi.is_some() {
        return Err(CmdError::Static("ERR WATCH inside MULTI is not allowed"));
    }
    let (me, now) = (ctx.client_key, ctx.now_ms);
    for key in args.iter().skip(1) {
        let db = ctx.db_index;
        if ctx.client().watched.iter().any(|(d, k, _)| *d == db && k == key) {
            continue;
        }
        let existed = ctx.store.db(db).contains(key, now);
        // A key this lookup found expired is announced before the watch
        // starts, so that its removal does not count as a change.
        let mut own = Own { key: me, buf: &mut *ctx.out.buf };
        ctx.server.expired_events(ctx.store, &mut own, ctx.now_ms);
        ctx.server.watches.watch(db, key, me);
        ctx.client().watched.push((db, key.to_vec(), existed));
    }
    ctx.out.ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    ctx.server.unwatch_all(ctx.client_key);
    ctx.out.ok();
    Ok(())
}
