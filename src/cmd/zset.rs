//! Sorted-set commands, with Redis 7.0's arguments, replies and errors.
//! This file holds the family's command table and the commands on single
//! members: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK,
//! ZRANDMEMBER and ZSCAN, plus the lookups and replies the other files of
//! the family share. The rest of the family lives next to it:
//!
//! * `zset_range`: ZCOUNT, ZLEXCOUNT, the ZRANGE family (ZRANGE with
//!   BYSCORE, BYLEX, REV, LIMIT and WITHSCORES, ZRANGEBYSCORE,
//!   ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZREVRANGE,
//!   ZRANGESTORE) and ZREMRANGEBYSCORE, ZREMRANGEBYRANK, ZREMRANGEBYLEX;
//! * `zset_pop`: ZPOPMIN, ZPOPMAX, ZMPOP;
//! * `zset_algebra`: ZUNION, ZINTER, ZDIFF, their `STORE` forms and
//!   ZINTERCARD.
//!
//! Each file registers its own commands in its `COMMANDS` table.
//!
//! The value type is [`crate::store::zset::ZSet`], whose documentation
//! argues the data structure. Sorted sets never exist empty: removing the
//! last member deletes the key, and a `*STORE` with an empty result
//! deletes the destination.
//!
//! Scores in replies are RESP3 doubles (bulk strings in RESP2) formatted
//! like Redis's `%.17g` by [`crate::protocol::format_double`]; with
//! `WITHSCORES`, RESP2 gets a flat member/score array and RESP3 an array
//! of `[member, score]` pairs ([`reply_scored`]).

use super::args::{is, parse_f64};
use super::keys::{parse_cursor, parse_scan_options};
use super::meta::{arg, key};
use super::set::{parse_random_count, too_many_repeats, MAX_RANDOM_REPEATS};
use super::table::{CommandSpec, Flags, KEY1};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::{format_double, Args, Reply};
use crate::pubsub::{GENERIC, ZSET};
use crate::store::glob::glob_match;
use crate::store::zset::ZSet;
use crate::store::{Db, Ttl, Value};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zadd", -4, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, zadd)
        .acl("sortedset")
        .keys(&[key(1, "RW update")])
        .doc(
            "sorted-set",
            "1.2.0",
            "O(log(N)) for each item added, where N is the number of \
                elements in the sorted set.",
            "Add one or more members to a sorted set, or update its \
                score if it already exists",
        )
        .history(&[
            ("2.4.0", "Accepts multiple elements."),
            ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."),
            ("6.2.0", "Added the `GT` and `LT` options."),
        ])
        .args(&[
            arg::key("key", 0),
            arg::oneof("condition", &[arg::token("nx", "NX"), arg::token("xx", "XX")]).since("3.0.2").optional(),
            arg::oneof("comparison", &[arg::token("gt", "GT"), arg::token("lt", "LT")]).since("6.2.0").optional(),
            arg::token("change", "CH").since("3.0.2").optional(),
            arg::token("increment", "INCR").since("3.0.2").optional(),
            arg::block("score_member", &[arg::double("score"), arg::string("member")]).multiple(),
        ]),
    CommandSpec::new("zincrby", 4, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, zincrby)
        .acl("sortedset")
        .keys(&[key(1, "RW access update")])
        .doc(
            "sorted-set",
            "1.2.0",
            "O(log(N)) where N is the number of elements in the sorted \
                set.",
            "Increment the score of a member in a sorted set",
        )
        .args(&[arg::key("key", 0), arg::integer("increment"), arg::string("member")]),
    CommandSpec::new("zrem", -3, Flags::WRITE.or(Flags::FAST), KEY1, zrem)
        .acl("sortedset")
        .keys(&[key(1, "RW delete")])
        .doc(
            "sorted-set",
            "1.2.0",
            "O(M*log(N)) with N being the number of elements in the \
                sorted set and M the number of elements to be removed.",
            "Remove one or more members from a sorted set",
        )
        .history(&[("2.4.0", "Accepts multiple elements.")])
        .args(&[arg::key("key", 0), arg::string("member").multiple()]),
    CommandSpec::new("zcard", 2, Flags::READONLY.or(Flags::FAST), KEY1, zcard)
        .acl("sortedset")
        .keys(&[key(1, "RO")])
        .doc("sorted-set", "1.2.0", "O(1)", "Get the number of members in a sorted set")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("zscore", 3, Flags::READONLY.or(Flags::FAST), KEY1, zscore)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .doc("sorted-set", "1.2.0", "O(1)", "Get the score associated with the given member in a sorted set")
        .args(&[arg::key("key", 0), arg::string("member")]),
    CommandSpec::new("zmscore", -3, Flags::READONLY.or(Flags::FAST), KEY1, zmscore)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .doc(
            "sorted-set",
            "6.2.0",
            "O(N) where N is the number of members being requested.",
            "Get the score associated with the given members in a sorted \
                set",
        )
        .args(&[arg::key("key", 0), arg::string("member").multiple()]),
    CommandSpec::new("zrank", 3, Flags::READONLY.or(Flags::FAST), KEY1, zrank)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .doc("sorted-set", "2.0.0", "O(log(N))", "Determine the index of a member in a sorted set")
        .args(&[arg::key("key", 0), arg::string("member")]),
    CommandSpec::new("zrevrank", 3, Flags::READONLY.or(Flags::FAST), KEY1, zrevrank)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .doc(
            "sorted-set",
            "2.0.0",
            "O(log(N))",
            "Determine the index of a member in a sorted set, with \
                scores ordered from high to low",
        )
        .args(&[arg::key("key", 0), arg::string("member")]),
    CommandSpec::new("zrandmember", -2, Flags::READONLY, KEY1, zrandmember)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output")
        .doc(
            "sorted-set",
            "6.2.0",
            "O(N) where N is the number of elements returned",
            "Get one or multiple random elements from a sorted set",
        )
        .args(&[
            arg::key("key", 0),
            arg::block("options", &[arg::integer("count"), arg::token("withscores", "WITHSCORES").optional()])
                .optional(),
        ]),
    CommandSpec::new("zscan", -3, Flags::READONLY, KEY1, zscan)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output")
        .doc(
            "sorted-set",
            "2.8.0",
            "O(1) for every call. O(N) for a complete iteration, \
                including enough command calls for the cursor to return \
                back to 0. N is the number of elements inside the \
                collection..",
            "Incrementally iterate sorted sets elements and associated \
                scores",
        )
        .args(&[
            arg::key("key", 0),
            arg::integer("cursor"),
            arg::pattern("pattern").token("MATCH").optional(),
            arg::integer("count").token("COUNT").optional(),
        ]),
];

// ---------------------------------------------------------------------
// Lookups and score parsing
// ---------------------------------------------------------------------

/// The sorted set under `key`: `None` if there is no such key,
/// `WrongType` if the key holds another type.
pub fn zset_ref<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a ZSet>, CmdError> {
    Ok(db.get_as(key, now)?)
}

/// [`zset_ref`] for changing the sorted set in place.
pub fn zset_mut<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a mut ZSet>, CmdError> {
    Ok(db.get_mut_as(key, now)?)
}

/// True if `text` spells an infinity (`inf`, `+Infinity`...).
fn spells_infinity(text: &[u8]) -> bool {
    let unsigned = text.strip_prefix(b"+").or_else(|| text.strip_prefix(b"-")).unwrap_or(text);
    unsigned.len() >= 3 && unsigned[..3].eq_ignore_ascii_case(b"inf")
}

/// A score, increment or weight, as Redis's `getDoubleFromObject` reads
/// it: no surrounding space, NaN refused, and values that overflow to
/// infinity or underflow to zero refused.
pub fn parse_score(text: &[u8]) -> Option<f64> {
    let value = parse_f64(text)?;
    if value.is_infinite() && !spells_infinity(text) {
        return None;
    }
    if value == 0.0 {
        let mantissa = text.split(|&c| c == b'e' || c == b'E').next().unwrap_or(b"");
        if mantissa.iter().any(|c| (b'1'..=b'9').contains(c)) {
            return None;
        }
    }
    Some(value)
}

// ---------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------

/// Writes members, with their scores when `withscores`: RESP2 a flat
/// array, RESP3 an array of `[member, score]` pairs.
pub(super) fn reply_scored<'a>(
    out: &mut Reply<'_>,
    items: impl ExactSizeIterator<Item = (&'a [u8], f64)>,
    withscores: bool,
) {
    let len = items.len();
    if !withscores {
        out.array(len);
        for (member, _) in items {
            out.bulk(member);
        }
    } else if out.resp3 {
        out.array(len);
        for (member, score) in items {
            out.array(2);
            out.bulk(member);
            out.double(score);
        }
    } else {
        out.array(len * 2);
        for (member, score) in items {
            out.bulk(member);
            out.double(score);
        }
    }
}

/// Replaces `destination` with `result` (whatever the old value's type),
/// or deletes it when `result` is empty; replies with the size and
/// notifies `event` (or `del`).
pub(super) fn store_zset(ctx: &mut Ctx<'_>, destination: &[u8], result: ZSet, event: &str) {
    let now = ctx.now_ms;
    let len = result.len();
    let db = ctx.store.db(ctx.db_index);
    if len == 0 {
        let existed = db.remove(destination, now).is_some();
        ctx.out.int(0);
        if existed {
            ctx.notify(GENERIC, "del", destination);
        }
    } else {
        db.set(destination, Value::ZSet(Box::new(result)), Ttl::Clear, now);
        ctx.out.int(len as i64);
        ctx.notify(ZSET, event, destination);
    }
}

// ---------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM and point lookups
// ---------------------------------------------------------------------

/// ZADD's options.
#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What adding one member did.
#[derive(PartialEq, Eq)]
enum Added {
    New,
    Updated,
    /// Matched the conditions but the score stayed the same.
    Same,
    /// A condition (NX, XX, GT, LT) said no.
    Skipped,
}

/// Redis's `zsetAdd`: adds or updates one member under `flags`; returns
/// what happened and the member's resulting score.
fn add_member(zset: &mut ZSet, member: &[u8], score: f64, flags: AddFlags) -> Result<(Added, f64), CmdError> {
    match zset.score(member) {
        Some(current) => {
            if flags.nx {
                return Ok((Added::Skipped, current));
            }
            let new = if flags.incr { current + score } else { score };
            if new.is_nan() {
                return Err(CmdError::Static("ERR resulting score is not a number (NaN)"));
            }
            if (flags.lt && new >= current) || (flags.gt && new <= current) {
                return Ok((Added::Skipped, current));
            }
            if new == current {
                return Ok((Added::Same, new));
            }
            zset.insert(member, new);
            Ok((Added::Updated, new))
        }
        None if flags.xx => Ok((Added::Skipped, 0.0)),
        None => {
            zset.insert(member, score);
            Ok((Added::New, score))
        }
    }
}

/// ZADD and ZINCRBY (which is ZADD with INCR forced, options included,
/// exactly as in Redis).
fn zadd_generic(ctx: &mut Ctx<'_>, args: Args<'_>, mut flags: AddFlags) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let mut first = 2;
    while first < args.len() {
        let opt = args.get(first);
        if is(opt, "nx") {
            flags.nx = true;
        } else if is(opt, "xx") {
            flags.xx = true;
        } else if is(opt, "ch") {
            flags.ch = true;
        } else if is(opt, "incr") {
            flags.incr = true;
        } else if is(opt, "gt") {
            flags.gt = true;
        } else if is(opt, "lt") {
            flags.lt = true;
        } else {
            break;
        }
        first += 1;
    }
    let elements = args.len() - first;
    if elements == 0 || elements % 2 == 1 {
        return Err(CmdError::Syntax);
    }
    if flags.xx && flags.nx {
        return Err(CmdError::Static("ERR XX and NX options at the same time are not compatible"));
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Err(CmdError::Static("ERR GT, LT, and/or NX options at the same time are not compatible"));
    }
    if flags.incr && elements > 2 {
        return Err(CmdError::Static("ERR INCR option supports a single increment-element pair"));
    }
    let mut pairs = Vec::with_capacity(elements / 2);
    for i in (first..args.len()).step_by(2) {
        let score = parse_score(args.get(i)).ok_or(CmdError::NotFloat)?;
        pairs.push((score, args.get(i + 1)));
    }

    let db = ctx.store.db(ctx.db_index);
    let (mut added, mut updated, mut processed, mut last_score) = (0usize, 0usize, false, 0.0);
    let mut apply = |zset: &mut ZSet| -> CmdResult {
        for &(score, member) in &pairs {
            let (outcome, result) = add_member(zset, member, score, flags)?;
            match outcome {
                Added::New => added += 1,
                Added::Updated => updated += 1,
                Added::Same | Added::Skipped => {}
            }
            if outcome != Added::Skipped {
                processed = true;
                last_score = result;
            }
        }
        Ok(())
    };
    let result = match zset_mut(db, key, now)? {
        Some(zset) => apply(zset),
        None if flags.xx => Ok(()),
        None => {
            let mut zset = ZSet::new();
            let result = apply(&mut zset);
            if !zset.is_empty() {
                db.set(key, Value::ZSet(Box::new(zset)), Ttl::Clear, now);
            }
            result
        }
    };
    if result.is_ok() {
        if flags.incr {
            if processed {
                ctx.out.double(last_score);
            } else {
                ctx.out.null();
            }
        } else {
            ctx.out.int((if flags.ch { added + updated } else { added }) as i64);
        }
    }
    if added + updated > 0 {
        ctx.notify(ZSET, if flags.incr { "zincr" } else { "zadd" }, key);
    }
    result
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]:
/// O(m log n).
fn zadd(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    zadd_generic(ctx, args, AddFlags::default())
}

/// ZINCRBY key increment member: O(log n).
fn zincrby(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    zadd_generic(ctx, args, AddFlags { incr: true, ..AddFlags::default() })
}

/// ZREM key member [member ...]: O(m log n).
fn zrem(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    let Some(zset) = zset_mut(db, key, now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let removed = args.iter().skip(2).filter(|m| zset.remove(m).is_some()).count();
    let emptied = zset.is_empty();
    if emptied {
        db.remove(key, now);
    }
    ctx.out.int(removed as i64);
    if removed > 0 {
        ctx.notify(ZSET, "zrem", key);
        if emptied {
            ctx.notify(GENERIC, "del", key);
        }
    }
    Ok(())
}

/// ZCARD key: O(1).
fn zcard(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let len = zset_ref(db, args.get(1), ctx.now_ms)?.map_or(0, ZSet::len);
    ctx.out.int(len as i64);
    Ok(())
}

/// ZSCORE key member: O(1).
fn zscore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    match zset_ref(db, args.get(1), ctx.now_ms)?.and_then(|z| z.score(args.get(2))) {
        Some(score) => ctx.out.double(score),
        None => ctx.out.null(),
    }
    Ok(())
}

/// ZMSCORE key member [member ...]: O(m).
fn zmscore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let zset = zset_ref(db, args.get(1), ctx.now_ms)?;
    ctx.out.array(args.len() - 2);
    for member in args.iter().skip(2) {
        match zset.and_then(|z| z.score(member)) {
            Some(score) => ctx.out.double(score),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn rank_generic(ctx: &mut Ctx<'_>, args: Args<'_>, reverse: bool) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let zset = zset_ref(db, args.get(1), ctx.now_ms)?;
    match zset.and_then(|z| z.rank(args.get(2)).map(|rank| if reverse { z.len() - 1 - rank } else { rank })) {
        Some(rank) => ctx.out.int(rank as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

/// ZRANK key member: O(log n).
fn zrank(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    rank_generic(ctx, args, false)
}

/// ZREVRANK key member: O(log n).
fn zrevrank(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    rank_generic(ctx, args, true)
}

// ---------------------------------------------------------------------
// ZRANDMEMBER, ZSCAN
// ---------------------------------------------------------------------

/// `count` distinct ranks below `len` (`count < len`), by Floyd's
/// sampling: uniform, O(count) expected.
fn distinct_ranks(len: usize, count: usize, mut random: impl FnMut() -> u64) -> Vec<usize> {
    let mut chosen = std::collections::HashSet::with_capacity(count);
    let mut order = Vec::with_capacity(count);
    for j in len - count..len {
        let t = (random() % (j as u64 + 1)) as usize;
        let pick = if chosen.contains(&t) { j } else { t };
        chosen.insert(pick);
        order.push(pick);
    }
    order
}

/// ZRANDMEMBER key [count [WITHSCORES]]: O(log n) without a count,
/// O(|count| log n) with one (O(n) when it covers the whole set).
fn zrandmember(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (count, withscores) = match args.len() {
        2 => (None, false),
        3 => (Some(parse_random_count(args.get(2))?), false),
        4 if is(args.get(3), "withscores") => (Some(parse_random_count(args.get(2))?), true),
        _ => return Err(CmdError::Syntax),
    };
    if let Some(count) = count {
        // Redis 7.0 bounds the count with scores, whose reply is twice as
        // long.
        if withscores && count.unsigned_abs() > (i64::MAX / 2) as u64 {
            return Err(CmdError::Static("ERR value is out of range"));
        }
    }
    let db = ctx.store.db(ctx.db_index);
    let zset = zset_ref(db, args.get(1), ctx.now_ms)?;
    let server = &mut ctx.server;
    let (zset, count) = match (zset, count) {
        (None, None) => {
            ctx.out.null();
            return Ok(());
        }
        (Some(zset), None) => {
            let rank = (server.random() % zset.len() as u64) as usize;
            ctx.out.bulk(zset.at_rank(rank).map_or(&b""[..], |(m, _)| m));
            return Ok(());
        }
        (None, Some(_)) | (_, Some(0)) => {
            ctx.out.array(0);
            return Ok(());
        }
        (Some(zset), Some(count)) => (zset, count),
    };
    let len = zset.len();
    let ranks: Vec<usize> = if count < 0 {
        let repeats = count.unsigned_abs();
        if repeats > MAX_RANDOM_REPEATS {
            return Err(too_many_repeats());
        }
        (0..repeats).map(|_| (server.random() % len as u64) as usize).collect()
    } else {
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if count >= len {
            // The whole set, in one O(n) walk.
            reply_scored(&mut ctx.out, zset.iter_sorted(), withscores);
            return Ok(());
        }
        distinct_ranks(len, count, || server.random())
    };
    let items = ranks.into_iter().filter_map(|rank| zset.at_rank(rank)).collect::<Vec<_>>();
    reply_scored(&mut ctx.out, items.into_iter(), withscores);
    Ok(())
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]: O(count) a call, O(n)
/// for a whole scan; every member present for the whole scan is returned.
/// Scores are bulk strings, even in RESP3.
fn zscan(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let cursor = parse_cursor(args.get(2))?;
    let db = ctx.store.db(ctx.db_index);
    let Some(zset) = zset_ref(db, args.get(1), ctx.now_ms)? else {
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.array(0);
        return Ok(());
    };
    let options = parse_scan_options(args, 3, false)?;
    let mut found = Vec::new();
    let next = zset.scan(cursor, options.count, |member, score| {
        if options.pattern.is_none_or(|p| glob_match(p, member)) {
            found.push((member, score));
        }
    });
    ctx.out.array(2);
    ctx.out.bulk(next.to_string().as_bytes());
    ctx.out.array(found.len() * 2);
    let mut text = [0u8; 64];
    for (member, score) in found {
        ctx.out.bulk(member);
        let len = format_double(score, &mut text);
        ctx.out.bulk(&text[..len]);
    }
    Ok(())
}
