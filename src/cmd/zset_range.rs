//! The range commands of the sorted-set family: ZCOUNT, ZLEXCOUNT, the
//! ZRANGE family (ZRANGE with BYSCORE, BYLEX, REV, LIMIT and WITHSCORES,
//! ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX,
//! ZREVRANGE, ZRANGESTORE) and ZREMRANGEBYSCORE, ZREMRANGEBYRANK,
//! ZREMRANGEBYLEX; and the parsing of their score (`(1.5`, `-inf`) and
//! lexicographic (`[a`, `-`, `+`) bounds. Registered in this file's `COMMANDS`.
//!
//! Every range command turns its arguments into a run of ascending ranks
//! (O(log n)) and then walks it (O(m)): a range never costs more than the
//! members it returns or removes, plus one descent.

use super::args::{is, parse_i64};
use super::meta::{arg, key};
use super::table::{CommandSpec, Flags, KEY1};
use super::zset::{reply_scored, store_zset, zset_mut, zset_ref};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::pubsub::{GENERIC, ZSET};
use crate::store::zset::{LexBound, ScoreBound, ZSet};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zcount", 4, Flags::READONLY.or(Flags::FAST), KEY1, zcount)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .doc(
            "sorted-set",
            "2.0.0",
            "O(log(N)) with N being the number of elements in the sorted \
                set.",
            "Count the members in a sorted set with scores within the \
                given values",
        )
        .args(&[arg::key("key", 0), arg::double("min"), arg::double("max")]),
    CommandSpec::new("zlexcount", 4, Flags::READONLY.or(Flags::FAST), KEY1, zlexcount)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .doc(
            "sorted-set",
            "2.8.9",
            "O(log(N)) with N being the number of elements in the sorted \
                set.",
            "Count the number of members in a sorted set between a given \
                lexicographical range",
        )
        .args(&[arg::key("key", 0), arg::string("min"), arg::string("max")]),
    CommandSpec::new("zrange", -4, Flags::READONLY, KEY1, zrange)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .doc(
            "sorted-set",
            "1.2.0",
            "O(log(N)+M) with N being the number of elements in the \
                sorted set and M the number of elements returned.",
            "Return a range of members in a sorted set",
        )
        .history(&[("6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.")])
        .args(&[
            arg::key("key", 0),
            arg::string("start"),
            arg::string("stop"),
            arg::oneof("sortby", &[arg::token("byscore", "BYSCORE"), arg::token("bylex", "BYLEX")])
                .since("6.2.0")
                .optional(),
            arg::token("rev", "REV").since("6.2.0").optional(),
            arg::block("offset_count", &[arg::integer("offset"), arg::integer("count")])
                .token("LIMIT")
                .since("6.2.0")
                .optional(),
            arg::token("withscores", "WITHSCORES").optional(),
        ]),
    CommandSpec::new("zrangebyscore", -4, Flags::READONLY, KEY1, zrangebyscore)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .doc(
            "sorted-set",
            "1.0.5",
            "O(log(N)+M) with N being the number of elements in the \
                sorted set and M the number of elements being returned. If \
                M is constant (e.g. always asking for the first 10 elements \
                with LIMIT), you can consider it O(log(N)).",
            "Return a range of members in a sorted set, by score",
        )
        .history(&[("2.0.0", "Added the `WITHSCORES` modifier.")])
        .args(&[
            arg::key("key", 0),
            arg::double("min"),
            arg::double("max"),
            arg::token("withscores", "WITHSCORES").since("2.0.0").optional(),
            arg::block("offset_count", &[arg::integer("offset"), arg::integer("count")]).token("LIMIT").optional(),
        ])
        .deprecated("6.2.0", "`ZRANGE` with the `BYSCORE` argument"),
    CommandSpec::new("zrevrangebyscore", -4, Flags::READONLY, KEY1, zrevrangebyscore)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .doc(
            "sorted-set",
            "2.2.0",
            "O(log(N)+M) with N being the number of elements in the \
                sorted set and M the number of elements being returned. If \
                M is constant (e.g. always asking for the first 10 elements \
                with LIMIT), you can consider it O(log(N)).",
            "Return a range of members in a sorted set, by score, with \
                scores ordered from high to low",
        )
        .history(&[("2.1.6", "`min` and `max` can be exclusive.")])
        .args(&[
            arg::key("key", 0),
            arg::double("max"),
            arg::double("min"),
            arg::token("withscores", "WITHSCORES").optional(),
            arg::block("offset_count", &[arg::integer("offset"), arg::integer("count")]).token("LIMIT").optional(),
        ])
        .deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYSCORE` arguments"),
    CommandSpec::new("zrangebylex", -4, Flags::READONLY, KEY1, zrangebylex)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .doc(
            "sorted-set",
            "2.8.9",
            "O(log(N)+M) with N being the number of elements in the \
                sorted set and M the number of elements being returned. If \
                M is constant (e.g. always asking for the first 10 elements \
                with LIMIT), you can consider it O(log(N)).",
            "Return a range of members in a sorted set, by \
                lexicographical range",
        )
        .args(&[
            arg::key("key", 0),
            arg::string("min"),
            arg::string("max"),
            arg::block("offset_count", &[arg::integer("offset"), arg::integer("count")]).token("LIMIT").optional(),
        ])
        .deprecated("6.2.0", "`ZRANGE` with the `BYLEX` argument"),
    CommandSpec::new("zrevrangebylex", -4, Flags::READONLY, KEY1, zrevrangebylex)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .doc(
            "sorted-set",
            "2.8.9",
            "O(log(N)+M) with N being the number of elements in the \
                sorted set and M the number of elements being returned. If \
                M is constant (e.g. always asking for the first 10 elements \
                with LIMIT), you can consider it O(log(N)).",
            "Return a range of members in a sorted set, by \
                lexicographical range, ordered from higher to lower strings.",
        )
        .args(&[
            arg::key("key", 0),
            arg::string("max"),
            arg::string("min"),
            arg::block("offset_count", &[arg::integer("offset"), arg::integer("count")]).token("LIMIT").optional(),
        ])
        .deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYLEX` arguments"),
    CommandSpec::new("zrevrange", -4, Flags::READONLY, KEY1, zrevrange)
        .acl("sortedset")
        .keys(&[key(1, "RO access")])
        .doc(
            "sorted-set",
            "1.2.0",
            "O(log(N)+M) with N being the number of elements in the \
                sorted set and M the number of elements returned.",
            "Return a range of members in a sorted set, by index, with \
                scores ordered from high to low",
        )
        .args(&[
            arg::key("key", 0),
            arg::integer("start"),
            arg::integer("stop"),
            arg::token("withscores", "WITHSCORES").optional(),
        ])
        .deprecated("6.2.0", "`ZRANGE` with the `REV` argument"),
    CommandSpec::new("zrangestore", -5, Flags::WRITE.or(Flags::DENYOOM), (1, 2, 1), zrangestore)
        .acl("sortedset")
        .keys(&[key(1, "OW update"), key(2, "RO access")])
        .doc(
            "sorted-set",
            "6.2.0",
            "O(log(N)+M) with N being the number of elements in the \
                sorted set and M the number of elements stored into the \
                destination key.",
            "Store a range of members from sorted set into another key",
        )
        .args(&[
            arg::key("dst", 0),
            arg::key("src", 1),
            arg::string("min"),
            arg::string("max"),
            arg::oneof("sortby", &[arg::token("byscore", "BYSCORE"), arg::token("bylex", "BYLEX")]).optional(),
            arg::token("rev", "REV").optional(),
            arg::block("offset_count", &[arg::integer("offset"), arg::integer("count")]).token("LIMIT").optional(),
        ]),
    CommandSpec::new("zremrangebyscore", 4, Flags::WRITE, KEY1, zremrangebyscore)
        .acl("sortedset")
        .keys(&[key(1, "RW delete")])
        .doc(
            "sorted-set",
            "1.2.0",
            "O(log(N)+M) with N being the number of elements in the \
                sorted set and M the number of elements removed by the \
                operation.",
            "Remove all members in a sorted set within the given scores",
        )
        .args(&[arg::key("key", 0), arg::double("min"), arg::double("max")]),
    CommandSpec::new("zremrangebyrank", 4, Flags::WRITE, KEY1, zremrangebyrank)
        .acl("sortedset")
        .keys(&[key(1, "RW delete")])
        .doc(
            "sorted-set",
            "2.0.0",
            "O(log(N)+M) with N being the number of elements in the \
                sorted set and M the number of elements removed by the \
                operation.",
            "Remove all members in a sorted set within the given indexes",
        )
        .args(&[arg::key("key", 0), arg::integer("start"), arg::integer("stop")]),
    CommandSpec::new("zremrangebylex", 4, Flags::WRITE, KEY1, zremrangebylex)
        .acl("sortedset")
        .keys(&[key(1, "RW delete")])
        .doc(
            "sorted-set",
            "2.8.9",
            "O(log(N)+M) with N being the number of elements in the \
                sorted set and M the number of elements removed by the \
                operation.",
            "Remove all members in a sorted set between the given \
                lexicographical range",
        )
        .args(&[arg::key("key", 0), arg::string("min"), arg::string("max")]),
];

const NOT_FLOAT_RANGE: CmdError = CmdError::Static("ERR min or max is not a float");
const NOT_LEX_RANGE: CmdError = CmdError::Static("ERR min or max not valid string range item");

// ---------------------------------------------------------------------
// Score and lexicographic bounds
// ---------------------------------------------------------------------

/// A float inside a score range, as Redis's `zslParseRange` reads it with
/// a bare `strtod`: leading space allowed, the empty string is 0, and
/// out-of-range values become infinities; NaN and trailing garbage are
/// refused.
fn parse_range_float(text: &[u8]) -> Option<f64> {
    if text.is_empty() {
        return Some(0.0);
    }
    let start = text.iter().position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))?;
    let value: f64 = std::str::from_utf8(&text[start..]).ok()?.parse().ok()?;
    (!value.is_nan()).then_some(value)
}

/// `1.5`, `(1.5`, `-inf`, `+inf`...
fn parse_score_bound(text: &[u8]) -> Option<ScoreBound> {
    match text.strip_prefix(b"(") {
        Some(rest) => Some(ScoreBound { value: parse_range_float(rest)?, exclusive: true }),
        None => Some(ScoreBound { value: parse_range_float(text)?, exclusive: false }),
    }
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<(ScoreBound, ScoreBound), CmdError> {
    match (parse_score_bound(min), parse_score_bound(max)) {
        (Some(min), Some(max)) => Ok((min, max)),
        _ => Err(NOT_FLOAT_RANGE),
    }
}

/// `-`, `+`, `[member`, `(member`.
fn parse_lex_bound(text: &[u8]) -> Option<LexBound<'_>> {
    match text.split_first() {
        Some((b'-', [])) => Some(LexBound::NegInf),
        Some((b'+', [])) => Some(LexBound::PosInf),
        Some((b'[', rest)) => Some(LexBound::Inclusive(rest)),
        Some((b'(', rest)) => Some(LexBound::Exclusive(rest)),
        _ => None,
    }
}

fn parse_lex_range<'a>(min: &'a [u8], max: &'a [u8]) -> Result<(LexBound<'a>, LexBound<'a>), CmdError> {
    match (parse_lex_bound(min), parse_lex_bound(max)) {
        (Some(min), Some(max)) => Ok((min, max)),
        _ => Err(NOT_LEX_RANGE),
    }
}

// ---------------------------------------------------------------------
// Counting
// ---------------------------------------------------------------------

/// ZCOUNT key min max: O(log n).
fn zcount(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (min, max) = parse_score_range(args.get(2), args.get(3))?;
    let db = ctx.store.db(ctx.db_index);
    let count = zset_ref(db, args.get(1), ctx.now_ms)?.map_or(0, |z| {
        let (start, end) = z.score_ranks(min, max);
        end - start
    });
    ctx.out.int(count as i64);
    Ok(())
}

/// ZLEXCOUNT key min max: O(log n).
fn zlexcount(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (min, max) = parse_lex_range(args.get(2), args.get(3))?;
    let db = ctx.store.db(ctx.db_index);
    let count = zset_ref(db, args.get(1), ctx.now_ms)?.map_or(0, |z| {
        let (start, end) = z.lex_ranks(min, max);
        end - start
    });
    ctx.out.int(count as i64);
    Ok(())
}

// ---------------------------------------------------------------------
// The ZRANGE family
// ---------------------------------------------------------------------

/// How a range is given.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeBy {
    /// Not fixed by the command name: rank unless BYSCORE or BYLEX.
    Auto,
    Rank,
    Score,
    Lex,
}

/// A parsed range, before the key is looked up.
enum RangeSpec<'a> {
    Rank(i64, i64),
    Score(ScoreBound, ScoreBound),
    Lex(LexBound<'a>, LexBound<'a>),
}

/// Where a range is: `count` members from ascending rank `start`, going
/// down when `reverse`.
#[derive(Clone, Copy)]
struct Walk {
    start: usize,
    count: usize,
    reverse: bool,
}

const NO_WALK: Walk = Walk { start: 0, count: 0, reverse: false };

/// Redis's index arithmetic for rank ranges (negative indexes count from
/// the end; out-of-range ends are clamped), in the given direction.
fn rank_walk(len: usize, start: i64, end: i64, reverse: bool) -> Walk {
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let start = if start < 0 { len_i.saturating_add(start) } else { start }.max(0);
    let end = if end < 0 { len_i.saturating_add(end) } else { end };
    if start > end || start >= len_i {
        return NO_WALK;
    }
    let end = end.min(len_i - 1);
    let count = (end - start + 1) as usize;
    let start = start as usize;
    Walk { start: if reverse { len - 1 - start } else { start }, count, reverse }
}

/// The walk over ascending ranks `[lo, hi)` in the given direction after
/// skipping `offset` members and taking at most `limit` (negative: all).
/// A negative offset selects nothing, as in Redis.
fn limited_walk(lo: usize, hi: usize, offset: i64, limit: i64, reverse: bool) -> Walk {
    let available = hi - lo;
    let Ok(offset) = usize::try_from(offset) else { return NO_WALK };
    if offset >= available {
        return NO_WALK;
    }
    let rest = available - offset;
    let count = usize::try_from(limit).map_or(rest, |limit| rest.min(limit));
    let start = if reverse { hi - 1 - offset } else { lo + offset };
    Walk { start, count, reverse }
}

/// The shared body of ZRANGE, ZRANGESTORE, ZREVRANGE, Z[REV]RANGEBYSCORE
/// and Z[REV]RANGEBYLEX (Redis's `zrangeGenericCommand`): `key_at` is the
/// source key's index, `destination` set for ZRANGESTORE, `by` and
/// `reverse` fixed by the command name or `Auto`/`None` for ZRANGE.
/// O(log n + m).
fn zrange_generic(
    ctx: &mut Ctx<'_>,
    args: Args<'_>,
    key_at: usize,
    destination: Option<&[u8]>,
    mut by: RangeBy,
    reverse: Option<bool>,
) -> CmdResult {
    let store = destination.is_some();
    let mut reverse_opt = reverse;
    let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut i = key_at + 3;
    while i < args.len() {
        let opt = args.get(i);
        let left = args.len() - i - 1;
        if !store && is(opt, "withscores") {
            withscores = true;
        } else if is(opt, "limit") && left >= 2 {
            offset = parse_i64(args.get(i + 1))?;
            limit = parse_i64(args.get(i + 2))?;
            i += 2;
        } else if reverse_opt.is_none() && is(opt, "rev") {
            reverse_opt = Some(true);
        } else if by == RangeBy::Auto && is(opt, "bylex") {
            by = RangeBy::Lex;
        } else if by == RangeBy::Auto && is(opt, "byscore") {
            by = RangeBy::Score;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let reverse = reverse_opt.unwrap_or(false);
    if by == RangeBy::Auto {
        by = RangeBy::Rank;
    }
    if limit != -1 && by == RangeBy::Rank {
        return Err(CmdError::Static(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == RangeBy::Lex {
        return Err(CmdError::Static("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    let (mut min, mut max) = (args.get(key_at + 1), args.get(key_at + 2));
    if reverse && by != RangeBy::Rank {
        // Score and lex ranges are given as max, min when reversed.
        std::mem::swap(&mut min, &mut max);
    }
    let spec = match by {
        RangeBy::Score => {
            let (min, max) = parse_score_range(min, max)?;
            RangeSpec::Score(min, max)
        }
        RangeBy::Lex => {
            let (min, max) = parse_lex_range(min, max)?;
            RangeSpec::Lex(min, max)
        }
        _ => RangeSpec::Rank(parse_i64(min)?, parse_i64(max)?),
    };

    let now = ctx.now_ms;
    let db = ctx.store.db(ctx.db_index);
    let Some(zset) = zset_ref(db, args.get(key_at), now)? else {
        match destination {
            Some(destination) => store_zset(ctx, destination, ZSet::new(), "zrangestore"),
            None => ctx.out.array(0),
        }
        return Ok(());
    };
    let walk = match spec {
        RangeSpec::Rank(start, end) => rank_walk(zset.len(), start, end, reverse),
        RangeSpec::Score(min, max) => {
            let (lo, hi) = zset.score_ranks(min, max);
            limited_walk(lo, hi, offset, limit, reverse)
        }
        RangeSpec::Lex(min, max) => {
            let (lo, hi) = zset.lex_ranks(min, max);
            limited_walk(lo, hi, offset, limit, reverse)
        }
    };
    let items = zset.range(walk.start, walk.count, walk.reverse);
    match destination {
        None => reply_scored(&mut ctx.out, items, withscores),
        Some(destination) => {
            // Copied out first: the source may be the destination.
            let mut members: Vec<(&[u8], f64)> = items.collect();
            if walk.reverse {
                members.reverse();
            }
            let result = ZSet::from_sorted(members);
            store_zset(ctx, destination, result, "zrangestore");
        }
    }
    Ok(())
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count]
/// [WITHSCORES]: O(log n + m).
fn zrange(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    zrange_generic(ctx, args, 1, None, RangeBy::Auto, None)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]:
/// O(log n + m).
fn zrangestore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    zrange_generic(ctx, args, 2, Some(args.get(1)), RangeBy::Auto, None)
}

/// ZREVRANGE key start stop [WITHSCORES]: O(log n + m).
fn zrevrange(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    zrange_generic(ctx, args, 1, None, RangeBy::Rank, Some(true))
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]:
/// O(log n + m).
fn zrangebyscore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    zrange_generic(ctx, args, 1, None, RangeBy::Score, Some(false))
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]:
/// O(log n + m).
fn zrevrangebyscore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    zrange_generic(ctx, args, 1, None, RangeBy::Score, Some(true))
}

/// ZRANGEBYLEX key min max [LIMIT offset count]: O(log n + m).
fn zrangebylex(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    zrange_generic(ctx, args, 1, None, RangeBy::Lex, Some(false))
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]: O(log n + m).
fn zrevrangebylex(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    zrange_generic(ctx, args, 1, None, RangeBy::Lex, Some(true))
}

// ---------------------------------------------------------------------
// Removing ranges
// ---------------------------------------------------------------------

/// Removes the members at ascending ranks `[start, end)` of `key`,
/// deleting the key when it empties; replies with the number removed.
fn remove_ranks_reply(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    ranks: impl FnOnce(&ZSet) -> (usize, usize),
    event: &str,
) -> CmdResult {
    let now = ctx.now_ms;
    let db = ctx.store.db(ctx.db_index);
    let Some(zset) = zset_mut(db, key, now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let (start, end) = ranks(zset);
    let removed = zset.remove_ranks(start, end).len();
    let emptied = zset.is_empty();
    if emptied {
        db.remove(key, now);
    }
    ctx.out.int(removed as i64);
    if removed > 0 {
        ctx.notify(ZSET, event, key);
        if emptied {
            ctx.notify(GENERIC, "del", key);
        }
    }
    Ok(())
}

/// ZREMRANGEBYSCORE key min max: O(log n + m).
fn zremrangebyscore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (min, max) = parse_score_range(args.get(2), args.get(3))?;
    remove_ranks_reply(ctx, args.get(1), |z| z.score_ranks(min, max), "zremrangebyscore")
}

/// ZREMRANGEBYLEX key min max: O(log n + m).
fn zremrangebylex(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (min, max) = parse_lex_range(args.get(2), args.get(3))?;
    remove_ranks_reply(ctx, args.get(1), |z| z.lex_ranks(min, max), "zremrangebylex")
}

/// ZREMRANGEBYRANK key start stop: O(log n + m).
fn zremrangebyrank(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let start = parse_i64(args.get(2))?;
    let end = parse_i64(args.get(3))?;
    remove_ranks_reply(
        ctx,
        args.get(1),
        |z| {
            let walk = rank_walk(z.len(), start, end, false);
            (walk.start, walk.start + walk.count)
        },
        "zremrangebyrank",
    )
}
