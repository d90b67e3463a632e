//! The MEMORY command family: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE
//! and HELP, with Redis 7.0's arguments, reply shapes and errors.
//!
//! `MEMORY USAGE` estimates the bytes a key costs in Efis: its entry block
//! (key, expiry and inline value), its share of the keyspace table (one
//! control byte and one pointer), and for a collection the boxed value and
//! its structures (the packed buffer or integer array of a small hash or
//! set, or the table arrays and element blocks). Like Redis, which counts
//! a listpack or intset by its length, it counts the bytes asked of the
//! allocator, not the allocator's rounding. The elements of lists, sorted
//! sets and table-form hashes and sets are sampled like Redis does
//! (`SAMPLES n`, default 5, 0 for all): the average of the first n
//! elements is multiplied by the length, so the answer is O(n) at most.
//! The figure is an estimate, never a walk of the allocator's own
//! bookkeeping.
//!
//! `MEMORY STATS` answers Redis 7.0's field names with Efis's figures: the
//! counting allocator's live bytes (`crate::memory`), the keyspace
//! tables' overhead, and the resident set size.

use super::args::{is, parse_i64};
use super::meta::{arg, key};
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::{subcommand_arity, unknown_subcommand, CmdError, CmdResult, Ctx};
use crate::memory;
use crate::protocol::{Args, Reply};
use crate::store::entry::Entry;
use crate::store::{Kind, ValueRef};

pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("memory", -2, Flags::NONE, NO_KEYS, memory_command)
    .doc("server", "4.0.0", "Depends on subcommand.", "A container for memory diagnostics commands")
    .subcommands(MEMORY_SUBCOMMANDS)];

/// `MEMORY`'s subcommands.
const MEMORY_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("memory|doctor", 2, Flags::NONE, NO_KEYS, memory_command)
        .tips("nondeterministic_output request_policy:all_shards response_policy:special")
        .doc("server", "4.0.0", "O(1)", "Outputs memory problems report"),
    CommandSpec::new("memory|help", 2, Flags::LOADING.or(Flags::STALE), NO_KEYS, memory_command).doc(
        "server",
        "4.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new("memory|malloc-stats", 2, Flags::NONE, NO_KEYS, memory_command)
        .tips("nondeterministic_output request_policy:all_shards response_policy:special")
        .doc(
            "server",
            "4.0.0",
            "Depends on how much memory is allocated, could be slow",
            "Show allocator internal stats",
        ),
    CommandSpec::new("memory|purge", 2, Flags::NONE, NO_KEYS, memory_command)
        .tips("request_policy:all_shards response_policy:all_succeeded")
        .doc(
            "server",
            "4.0.0",
            "Depends on how much memory is allocated, could be slow",
            "Ask the allocator to release memory",
        ),
    CommandSpec::new("memory|stats", 2, Flags::NONE, NO_KEYS, memory_command)
        .tips("nondeterministic_output request_policy:all_shards response_policy:special")
        .doc("server", "4.0.0", "O(1)", "Show memory usage details"),
    CommandSpec::new("memory|usage", -3, Flags::READONLY, (2, 2, 1), memory_command)
        .keys(&[key(2, "RO")])
        .doc("server", "4.0.0", "O(N) where N is the number of samples.", "Estimate the memory usage of a key")
        .args(&[arg::key("key", 0), arg::integer("count").token("SAMPLES").optional()]),
];

/// Elements sampled from a collection when no `SAMPLES` is given (Redis's
/// default).
const DEFAULT_SAMPLES: usize = 5;

/// Bytes of one keyspace table slot (control byte and entry pointer).
const SLOT_BYTES: usize = 9;

/// The estimate `MEMORY USAGE` answers for `entry`.
pub fn usage_of(entry: &Entry, samples: usize) -> usize {
    let mut total = entry.block_size() + SLOT_BYTES;
    let sampled = |len: usize, bytes: &mut dyn Iterator<Item = usize>| -> usize {
        let limit = if samples == 0 { len } else { samples.min(len) };
        let (mut seen, mut sum) = (0usize, 0usize);
        for size in bytes.take(limit) {
            seen += 1;
            sum += size;
        }
        (sum * len).checked_div(seen).unwrap_or(0)
    };
    total += match entry.value() {
        ValueRef::Str(value) if entry.kind() == Kind::BigStr => value.len(),
        ValueRef::Str(_) => 0,
        ValueRef::Hash(hash) => std::mem::size_of_val(hash) + hash.heap_bytes(samples),
        ValueRef::Set(set) => std::mem::size_of_val(set) + set.heap_bytes(samples),
        ValueRef::List(list) => {
            // About two bytes of length per element in 4 KiB nodes.
            std::mem::size_of_val(list) + sampled(list.len(), &mut list.iter().map(|item| item.len() + 2))
        }
        ValueRef::Stream(stream) => std::mem::size_of_val(stream) + stream.heap_bytes(),
        ValueRef::ZSet(zset) => {
            // A treap node (32 bytes), a member block with its score, and
            // a table slot per member.
            let per_member = |member: &[u8]| member.len() + 10 + 32 + SLOT_BYTES + 3;
            std::mem::size_of_val(zset) + sampled(zset.len(), &mut zset.iter().map(|(m, _)| per_member(m)))
        }
    };
    total
}

fn memory_command(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let sub = args.get(1);
    let fixed_arity = |n: usize| if args.len() == n { Ok(()) } else { Err(subcommand_arity("memory", sub)) };
    if is(sub, "usage") {
        usage(ctx, args)
    } else if is(sub, "stats") {
        fixed_arity(2)?;
        stats(ctx);
        Ok(())
    } else if is(sub, "doctor") {
        fixed_arity(2)?;
        ctx.out.verbatim(doctor_report().as_bytes());
        Ok(())
    } else if is(sub, "malloc-stats") {
        fixed_arity(2)?;
        ctx.out.verbatim(b"Stats not supported for the current allocator");
        Ok(())
    } else if is(sub, "purge") {
        fixed_arity(2)?;
        crate::memory::return_free_memory();
        ctx.out.ok();
        Ok(())
    } else if is(sub, "help") {
        fixed_arity(2)?;
        help(ctx);
        Ok(())
    } else {
        Err(unknown_subcommand("memory", sub))
    }
}

/// `MEMORY USAGE key [SAMPLES count]`.
fn usage(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    if args.len() < 3 {
        return Err(subcommand_arity("memory", args.get(1)));
    }
    let mut samples = DEFAULT_SAMPLES;
    let mut at = 3;
    while at < args.len() {
        if is(args.get(at), "samples") && at + 1 < args.len() {
            let n = parse_i64(args.get(at + 1))?;
            if n < 0 {
                return Err(CmdError::Syntax);
            }
            samples = usize::try_from(n).unwrap_or(usize::MAX);
            at += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let now = ctx.now_ms;
    match ctx.store.db(ctx.db_index).get(args.get(2), now) {
        Some(entry) => {
            let bytes = usage_of(entry, samples);
            ctx.out.int(bytes as i64);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn int(out: &mut Reply<'_>, name: &str, value: usize) {
    out.bulk(name.as_bytes());
    out.int(value as i64);
}

fn double(out: &mut Reply<'_>, name: &str, value: f64) {
    out.bulk(name.as_bytes());
    out.double(value);
}

fn stats(ctx: &mut Ctx<'_>) {
    let used = memory::used_bytes();
    let peak = memory::peak_bytes().max(used);
    let rss = memory::rss_bytes();
    let startup = memory::startup_bytes().min(used);
    let dbs: Vec<(usize, usize, usize)> = (0..ctx.store.db_count())
        .filter_map(|index| {
            let db = ctx.store.db(index);
            (!db.is_empty()).then(|| (index, db.overhead_bytes(), db.len()))
        })
        .collect();
    let keys: usize = dbs.iter().map(|&(_, _, len)| len).sum();
    let tables: usize = dbs.iter().map(|&(_, bytes, _)| bytes).sum();
    // The clients' query and output buffers, as the loop last saw them
    // (Redis: the bytes its normal clients' buffers hold, not how many
    // clients there are).
    let clients: usize = ctx.server.clients.iter().map(|(_, c)| c.query_buffer + c.output_buffer).sum();
    let scripts = ctx.server.scripts.as_ref().map_or(0, |s| s.used_memory());
    let functions = ctx.server.functions.as_ref().map_or(0, |f| f.used_memory());
    // As Redis counts them: the overhead is what start-up, the clients and
    // the keyspace tables hold, the dataset the rest; per key is all but
    // start-up.
    let overhead = startup + clients + tables;
    let dataset = used.saturating_sub(overhead);
    let net = used.saturating_sub(startup);
    let percent = |part: usize, whole: usize| if whole == 0 { 0.0 } else { part as f64 * 100.0 / whole as f64 };
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let out = &mut ctx.out;
    out.map(27 + dbs.len());
    int(out, "peak.allocated", peak);
    int(out, "total.allocated", used);
    int(out, "startup.allocated", startup);
    int(out, "replication.backlog", 0);
    int(out, "clients.slaves", 0);
    int(out, "clients.normal", clients);
    int(out, "cluster.links", 0);
    int(out, "aof.buffer", 0);
    int(out, "lua.caches", scripts);
    int(out, "functions.caches", functions);
    for &(index, bytes, _) in &dbs {
        out.bulk(format!("db.{index}").as_bytes());
        out.map(3);
        int(out, "overhead.hashtable.main", bytes);
        int(out, "overhead.hashtable.expires", 0);
        int(out, "overhead.hashtable.slot-to-keys", 0);
    }
    int(out, "overhead.total", overhead);
    int(out, "keys.count", keys);
    int(out, "keys.bytes-per-key", net.checked_div(keys).unwrap_or(0));
    int(out, "dataset.bytes", dataset);
    double(out, "dataset.percentage", percent(dataset, net));
    double(out, "peak.percentage", percent(used, peak));
    int(out, "allocator.allocated", used);
    int(out, "allocator.active", used);
    int(out, "allocator.resident", rss);
    double(out, "allocator-fragmentation.ratio", 1.0);
    int(out, "allocator-fragmentation.bytes", 0);
    double(out, "allocator-rss.ratio", ratio(rss, used));
    int(out, "allocator-rss.bytes", rss.saturating_sub(used));
    double(out, "rss-overhead.ratio", 1.0);
    int(out, "rss-overhead.bytes", 0);
    double(out, "fragmentation", ratio(rss, used));
    int(out, "fragmentation.bytes", rss.saturating_sub(used));
}

/// `MEMORY DOCTOR`: Redis's wording for a small instance, otherwise a
/// short report on what Efis can see (peak against current use, resident
/// memory against live heap bytes).
fn doctor_report() -> String {
    let used = memory::used_bytes();
    if used < 5 * 1024 * 1024 {
        return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.".to_string();
    }
    let (peak, rss) = (memory::peak_bytes(), memory::rss_bytes());
    let mut issues = Vec::new();
    if peak > used.saturating_mul(3) / 2 {
        issues.push(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio.");
    }
    if rss > used.saturating_mul(14) / 10 {
        issues.push(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed).");
    }
    if issues.is_empty() {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base."
            .to_string()
    } else {
        format!("Sam, I detected a few issues in this Redis instance memory implants:\n\n{}\n\nI'm here to keep you safe, Sam. I want to help you.\n", issues.join("\n\n"))
    }
}

fn help(ctx: &mut Ctx<'_>) {
    let lines = [
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ];
    ctx.out.array(lines.len());
    for line in lines {
        ctx.out.simple(line);
    }
}
