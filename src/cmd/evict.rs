//! Keeping memory under `maxmemory`: evicting keys before a client's
//! command, refusing what would grow memory when nothing can go, and the
//! `CONFIG SET` side of the eviction settings.
//!
//! Before each command a client sends, if a limit is set and the heap
//! is over it, keys chosen by the policy (`store::eviction`) are removed
//! until memory is under the limit or the round's time budget
//! (`maxmemory-eviction-tenacity`) is spent; the timer continues an
//! unfinished round ([`continue_evicting`]). A command with the
//! `denyoom` flag (or an `EXEC` queueing one) is refused with `-OOM`
//! only when nothing more could be evicted: under `noeviction`, or with
//! no candidate left. Reads, deletes and the admin commands always run.
//!
//! Each evicted key is, in this order: removed (its memory freed at
//! once), logged as a `DEL` (replay gives the same state), announced as
//! the `evicted` event (which also marks `WATCH`es), and counted in
//! `evicted_keys`. A script does not evict: its writes are refused when
//! memory was over the limit as it started, unless it is `allow-oom`.

use std::time::Instant;

use super::context::{Caller, Ctx};
use super::table::{lookup_args, CommandSpec, Flags};
use crate::protocol::Args;
use crate::pubsub::Own;
use crate::state::ServerState;
use crate::store::eviction::Policy;
use crate::store::Keyspace;

/// Redis's reply to a write refused at the limit.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// How a round of evictions ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Memory is under the limit (or there is none).
    Under,
    /// The time budget ran out with memory still over: the timer goes on.
    Unfinished,
    /// Memory is over the limit and nothing (more) may be evicted.
    Stuck,
}

/// Bytes compared with `maxmemory`.
pub fn counted_memory() -> u64 {
    crate::memory::used_bytes() as u64
}

/// The check of a client's command against the limit: evicts what it
/// must and answers true if the command must be refused with `-OOM`.
#[inline]
pub fn refuses_for_memory(ctx: &mut Ctx<'_>, spec: &CommandSpec) -> bool {
    if ctx.server.eviction.maxmemory == 0 {
        return false;
    }
    over_limit_refusal(ctx, spec)
}

#[inline(never)]
fn over_limit_refusal(ctx: &mut Ctx<'_>, spec: &CommandSpec) -> bool {
    let stuck = perform_evictions(ctx.store, ctx.server, ctx.now_ms, ctx.out.buf) == Outcome::Stuck;
    ctx.server.eviction.over_limit = stuck;
    stuck && grows_memory(ctx, spec)
}

/// Whether the command is refused while memory stays over the limit:
/// one that may allocate (`denyoom`, or an `EXEC` with such a command
/// queued), or any command but the transaction's own while queueing
/// (queued commands take memory too), as in Redis.
fn grows_memory(ctx: &mut Ctx<'_>, spec: &CommandSpec) -> bool {
    if spec.flags.contains(Flags::DENYOOM) {
        return true;
    }
    let Some(multi) = ctx.client().multi.as_ref() else { return false };
    match spec.name {
        "exec" => {
            multi.commands.iter().any(|args| lookup_args(args.args()).is_some_and(|s| s.flags.contains(Flags::DENYOOM)))
        }
        "discard" | "quit" | "reset" => false,
        _ => true,
    }
}

/// Whether the command `args`, called by a script, is refused for
/// memory: memory was over the limit when the script started and the
/// command (or its subcommand) may grow it.
#[inline]
pub fn refuses_in_script(ctx: &Ctx<'_>, args: Args<'_>) -> bool {
    ctx.server.eviction.over_limit
        && ctx.server.eviction.maxmemory != 0
        && lookup_args(args).is_some_and(|spec| spec.flags.contains(Flags::DENYOOM))
}

/// Whether a script or function that declared its flags is refused
/// before it runs: one that may write, without `allow-oom`, while memory
/// is over the limit (Redis then treats the call as `denyoom`).
pub fn refuses_flagged_script(ctx: &Ctx<'_>, flags: crate::script::FunctionFlags) -> bool {
    ctx.server.eviction.over_limit
        && ctx.server.eviction.maxmemory != 0
        && !flags.allow_oom
        && !flags.no_writes
        && ctx.caller == Caller::Client
}

/// Evicts until memory is under the limit, the policy finds nothing more
/// to evict, or the time budget runs out. `own` receives the `evicted`
/// notifications meant for the client running the command.
pub fn perform_evictions(store: &mut Keyspace, server: &mut ServerState, now_ms: i64, own: &mut Vec<u8>) -> Outcome {
    let limit = server.eviction.maxmemory;
    // `CLIENT PAUSE` holds evictions too; commands are not refused then.
    if limit == 0 || counted_memory() <= limit || server.pause_at(now_ms).is_some() {
        server.eviction.unfinished = false;
        return Outcome::Under;
    }
    let policy = server.eviction.policy;
    if policy == Policy::NoEviction {
        return Outcome::Stuck;
    }
    let budget = server.eviction.time_budget();
    let started = Instant::now();
    let samples = server.eviction.samples;
    let mut pool = std::mem::take(&mut server.eviction.pool);
    let mut evicted = 0u64;
    let outcome = loop {
        if counted_memory() <= limit {
            break Outcome::Under;
        }
        let victim = store.eviction_victim(policy, samples, &mut pool, now_ms, &mut || server.random());
        let Some((db, key)) = victim else { break Outcome::Stuck };
        evict(store, server, db, &key, now_ms, own);
        evicted += 1;
        if evicted.is_multiple_of(16) && budget.is_some_and(|budget| started.elapsed() >= budget) {
            break if counted_memory() <= limit { Outcome::Under } else { Outcome::Unfinished };
        }
    };
    server.eviction.pool = pool;
    server.eviction.unfinished = outcome == Outcome::Unfinished;
    outcome
}

/// Removes one key for memory, logs it, announces it and counts it.
fn evict(store: &mut Keyspace, server: &mut ServerState, db: usize, key: &[u8], now_ms: i64, own: &mut Vec<u8>) {
    drop(store.db(db).remove(key, now_ms));
    server.persist.aof.expired(now_ms, db, key);
    server.stats.evicted_keys += 1;
    if !server.key_events_idle() {
        server.key_event(db, crate::pubsub::EVICTED, "evicted", key, &mut Own { key: usize::MAX, buf: own });
    }
}

/// The timer's share: an unfinished round goes on (with nobody's command
/// waiting for it).
pub fn continue_evicting(store: &mut Keyspace, server: &mut ServerState, now_ms: i64) {
    if server.eviction.unfinished {
        let mut nobody = Vec::new();
        perform_evictions(store, server, now_ms, &mut nobody);
    }
}

/// The eviction parameters `CONFIG SET` knows.
pub const PARAMS: &[&str] = &[
    "maxmemory",
    "maxmemory-policy",
    "maxmemory-samples",
    "maxmemory-eviction-tenacity",
    "lfu-log-factor",
    "lfu-decay-time",
];

/// Checks a `CONFIG SET` value of an eviction parameter; the error is
/// the reason Redis gives.
pub fn validate(name: &str, value: &str) -> Result<(), String> {
    let integer = |low: i64, high: i64| -> Result<(), String> {
        match value.parse::<i64>() {
            Ok(n) if (low..=high).contains(&n) => Ok(()),
            Ok(_) => Err(format!("argument must be between {low} and {high} inclusive")),
            Err(_) => Err("argument couldn't be parsed into an integer".to_string()),
        }
    };
    match name {
        "maxmemory" => {
            crate::config::parse_memory(value).map(|_| ()).ok_or_else(|| "argument must be a memory value".to_string())
        }
        "maxmemory-policy" => Policy::parse(value).map(|_| ()).ok_or_else(|| {
            let names: Vec<&str> = Policy::names().collect();
            format!("argument(s) must be one of the following: {}", names.join(", "))
        }),
        "maxmemory-samples" => integer(1, i32::MAX as i64),
        "maxmemory-eviction-tenacity" => integer(0, 100),
        _ => integer(0, i32::MAX as i64),
    }
}

/// Applies a validated eviction parameter; returns the value as
/// `CONFIG GET` shows it.
pub fn apply(ctx: &mut Ctx<'_>, name: &str, value: &str) -> String {
    let eviction = &mut ctx.server.eviction;
    let number = value.parse::<u32>().unwrap_or(0);
    let shown = match name {
        "maxmemory" => {
            eviction.maxmemory = crate::config::parse_memory(value).unwrap_or(0);
            eviction.maxmemory.to_string()
        }
        "maxmemory-policy" => {
            eviction.policy = Policy::parse(value).unwrap_or(Policy::NoEviction);
            eviction.pool.clear();
            eviction.policy.name().to_string()
        }
        "maxmemory-samples" => {
            eviction.samples = number as usize;
            value.to_string()
        }
        "maxmemory-eviction-tenacity" => {
            eviction.tenacity = number;
            value.to_string()
        }
        "lfu-log-factor" => {
            eviction.lfu_log_factor = number;
            value.to_string()
        }
        _ => {
            eviction.lfu_decay_minutes = number;
            value.to_string()
        }
    };
    let frozen = ctx.store.tracking().frozen;
    ctx.store.set_tracking(ctx.server.eviction.tracking(frozen));
    if name == "maxmemory" && ctx.server.eviction.maxmemory != 0 {
        // A lower limit takes effect at once, within the round's budget;
        // the timer finishes the rest.
        if perform_evictions(ctx.store, ctx.server, ctx.now_ms, ctx.out.buf) == Outcome::Unfinished {
            log::warn!("maxmemory is below the memory in use: evicting in the background");
        }
    }
    shown
}
