//! Sorted-set commands: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK,
//! ZREVRANK, ZCOUNT, ZLEXCOUNT, the ZRANGE family (ZRANGE with BYSCORE,
//! BYLEX, REV, LIMIT and WITHSCORES, ZRANGEBYSCORE, ZREVRANGEBYSCORE,
//! ZRANGEBYLEX, ZREVRANGEBYLEX, ZREVRANGE, ZRANGESTORE), ZPOPMIN, ZPOPMAX,
//! ZMPOP, ZREMRANGEBYSCORE, ZREMRANGEBYRANK, ZREMRANGEBYLEX, the set
//! algebra (ZUNION, ZINTER, ZDIFF, their `STORE` forms and ZINTERCARD),
//! ZRANDMEMBER and ZSCAN, with Redis 7.0's arguments, replies and errors.
//!
//! The value type is [`crate::store::zset::ZSet`], whose documentation
//! argues the data structure. Every range command turns its arguments into
//! a run of ascending ranks (O(log n)) and then walks it (O(m)). Sorted
//! sets never exist empty: removing the last member deletes the key, and a
//! `*STORE` with an empty result deletes the destination.
//!
//! The pops are written as plain functions of the keyspace
//! ([`pop_members`], [`notify_popped`]) so that the blocking
//! `BZPOPMIN`/`BZPOPMAX`/`BZMPOP` can serve a woken client with the same
//! code.
//!
//! Scores in replies are RESP3 doubles (bulk strings in RESP2) formatted
//! like Redis's `%.17g` by [`crate::protocol::format_double`]; with
//! `WITHSCORES`, RESP2 gets a flat member/score array and RESP3 an array
//! of `[member, score]` pairs.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::args::{is, parse_f64, parse_i64, parse_i64_opt};
use super::keys::{parse_cursor, parse_scan_options};
use super::set::{parse_pop_count, parse_random_count, too_many_repeats, MAX_RANDOM_REPEATS};
use super::table::{CommandSpec, Flags, KEY1, NO_KEYS};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::{format_double, Args, Reply};
use crate::pubsub::{GENERIC, ZSET};
use crate::store::glob::glob_match;
use crate::store::set::Set;
use crate::store::zset::{LexBound, ScoreBound, ZSet};
use crate::store::{Db, Kind, Ttl, Value, ValueRef};

const W: Flags = Flags::WRITE;
const R: Flags = Flags::READONLY;
const WD: Flags = Flags::WRITE.or(Flags::DENYOOM);

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zadd", -4, WD.or(Flags::FAST), KEY1, zadd),
    CommandSpec::new("zincrby", 4, WD.or(Flags::FAST), KEY1, zincrby),
    CommandSpec::new("zrem", -3, W.or(Flags::FAST), KEY1, zrem),
    CommandSpec::new("zcard", 2, R.or(Flags::FAST), KEY1, zcard),
    CommandSpec::new("zscore", 3, R.or(Flags::FAST), KEY1, zscore),
    CommandSpec::new("zmscore", -3, R.or(Flags::FAST), KEY1, zmscore),
    CommandSpec::new("zrank", 3, R.or(Flags::FAST), KEY1, zrank),
    CommandSpec::new("zrevrank", 3, R.or(Flags::FAST), KEY1, zrevrank),
    CommandSpec::new("zcount", 4, R.or(Flags::FAST), KEY1, zcount),
    CommandSpec::new("zlexcount", 4, R.or(Flags::FAST), KEY1, zlexcount),
    CommandSpec::new("zrange", -4, R, KEY1, zrange),
    CommandSpec::new("zrangebyscore", -4, R, KEY1, zrangebyscore),
    CommandSpec::new("zrevrangebyscore", -4, R, KEY1, zrevrangebyscore),
    CommandSpec::new("zrangebylex", -4, R, KEY1, zrangebylex),
    CommandSpec::new("zrevrangebylex", -4, R, KEY1, zrevrangebylex),
    CommandSpec::new("zrevrange", -4, R, KEY1, zrevrange),
    CommandSpec::new("zrangestore", -5, WD, (1, 2, 1), zrangestore),
    CommandSpec::new("zpopmin", -2, W.or(Flags::FAST), KEY1, zpopmin),
    CommandSpec::new("zpopmax", -2, W.or(Flags::FAST), KEY1, zpopmax),
    CommandSpec::new("zmpop", -4, W, NO_KEYS, zmpop),
    CommandSpec::new("zremrangebyscore", 4, W, KEY1, zremrangebyscore),
    CommandSpec::new("zremrangebyrank", 4, W, KEY1, zremrangebyrank),
    CommandSpec::new("zremrangebylex", 4, W, KEY1, zremrangebylex),
    CommandSpec::new("zunionstore", -4, WD, KEY1, zunionstore),
    CommandSpec::new("zinterstore", -4, WD, KEY1, zinterstore),
    CommandSpec::new("zdiffstore", -4, WD, KEY1, zdiffstore),
    CommandSpec::new("zunion", -3, R, NO_KEYS, zunion),
    CommandSpec::new("zinter", -3, R, NO_KEYS, zinter),
    CommandSpec::new("zdiff", -3, R, NO_KEYS, zdiff),
    CommandSpec::new("zintercard", -3, R, NO_KEYS, zintercard),
    CommandSpec::new("zrandmember", -2, R.or(Flags::RANDOM), KEY1, zrandmember),
    CommandSpec::new("zscan", -3, R, KEY1, zscan),
];

const NOT_FLOAT_RANGE: CmdError = CmdError::Static("ERR min or max is not a float");
const NOT_LEX_RANGE: CmdError = CmdError::Static("ERR min or max not valid string range item");

// ---------------------------------------------------------------------
// Lookups and parsing
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
// Replies
// ---------------------------------------------------------------------

/// Writes members, with their scores when `withscores`: RESP2 a flat
/// array, RESP3 an array of `[member, score]` pairs.
fn reply_scored<'a>(out: &mut Reply<'_>, items: impl ExactSizeIterator<Item = (&'a [u8], f64)>, withscores: bool) {
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

/// Ascending rank order of `(score, member)` pairs.
fn by_score(a: &(&[u8], f64), b: &(&[u8], f64)) -> Ordering {
    a.1.partial_cmp(&b.1).unwrap_or(Ordering::Equal).then_with(|| a.0.cmp(b.0))
}

/// Replaces `destination` with `result` (whatever the old value's type),
/// or deletes it when `result` is empty; replies with the size and
/// notifies `event` (or `del`).
fn store_zset(ctx: &mut Ctx<'_>, destination: &[u8], result: ZSet, event: &str) {
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

// ---------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------

/// Members popped from one sorted set.
pub struct Popped {
    /// In pop order (lowest first for a min pop, highest first for max).
    pub members: Vec<(Box<[u8]>, f64)>,
    /// The pop emptied the set and its key was deleted.
    pub deleted: bool,
}

/// Pops up to `count` members with the lowest scores (the highest when
/// `highest`) from the sorted set under `key`, deleting the key when it
/// empties. `Ok(None)` when there is no such key; `WrongType` for another
/// type. O(log n + count). Shared by ZPOPMIN, ZPOPMAX, ZMPOP and the
/// blocking BZPOPMIN, BZPOPMAX and BZMPOP.
pub fn pop_members(db: &mut Db, key: &[u8], count: usize, highest: bool, now: i64) -> Result<Option<Popped>, CmdError> {
    let Some(zset) = zset_mut(db, key, now)? else { return Ok(None) };
    let members = zset.pop(count, highest);
    let deleted = zset.is_empty();
    if deleted {
        db.remove(key, now);
    }
    Ok(Some(Popped { members, deleted }))
}

/// The keyspace events of a pop from `key` (`zpopmin`/`zpopmax`, and
/// `del` when the set was emptied); nothing if nothing was popped.
pub fn notify_popped(ctx: &mut Ctx<'_>, key: &[u8], highest: bool, popped: &Popped) {
    if popped.members.is_empty() {
        return;
    }
    ctx.notify(ZSET, if highest { "zpopmax" } else { "zpopmin" }, key);
    if popped.deleted {
        ctx.notify(GENERIC, "del", key);
    }
}

/// ZPOPMIN/ZPOPMAX key [count]: O(log n + count).
fn zpop_generic(ctx: &mut Ctx<'_>, args: Args<'_>, highest: bool) -> CmdResult {
    let key = args.get(1);
    let count = match args.len() {
        2 => None,
        3 => Some(parse_pop_count(args.get(2))?),
        _ => return Err(CmdError::Syntax),
    };
    let db = ctx.store.db(ctx.db_index);
    let Some(popped) = pop_members(db, key, count.unwrap_or(1), highest, ctx.now_ms)? else {
        ctx.out.array(0);
        return Ok(());
    };
    let items = popped.members.iter().map(|(m, s)| (&m[..], *s));
    match count {
        // Without a count: a flat [member, score] even in RESP3.
        None => {
            ctx.out.array(2 * items.len());
            for (member, score) in items {
                ctx.out.bulk(member);
                ctx.out.double(score);
            }
        }
        Some(_) => reply_scored(&mut ctx.out, items, true),
    }
    notify_popped(ctx, key, highest, &popped);
    Ok(())
}

/// ZPOPMIN key [count]: O(log n + count).
fn zpopmin(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    zpop_generic(ctx, args, false)
}

/// ZPOPMAX key [count]: O(log n + count).
fn zpopmax(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    zpop_generic(ctx, args, true)
}

/// The parsed arguments of `ZMPOP`/`BZMPOP`: `numkeys key [key ...]
/// MIN|MAX [COUNT count]` starting at `args[from]`.
pub struct MultiPop {
    pub first_key: usize,
    pub numkeys: usize,
    pub highest: bool,
    pub count: usize,
}

/// Parses `numkeys key [key ...] MIN|MAX [COUNT count]` from `args[from..]`
/// with Redis's errors.
pub fn parse_multi_pop(args: Args<'_>, from: usize) -> Result<MultiPop, CmdError> {
    let numkeys = parse_i64_opt(args.get(from))
        .filter(|&n| n >= 1)
        .ok_or(CmdError::Static("ERR numkeys should be greater than 0"))?;
    let first_key = from + 1;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    // The keys and MIN|MAX must fit.
    if numkeys >= args.len() - first_key {
        return Err(CmdError::Syntax);
    }
    let where_at = first_key + numkeys;
    let highest = match args.get(where_at) {
        w if is(w, "min") => false,
        w if is(w, "max") => true,
        _ => return Err(CmdError::Syntax),
    };
    let mut count = None;
    let mut i = where_at + 1;
    while i < args.len() {
        if is(args.get(i), "count") && i + 1 < args.len() && count.is_none() {
            let n = parse_i64_opt(args.get(i + 1))
                .filter(|&n| n >= 1)
                .ok_or(CmdError::Static("ERR count should be greater than 0"))?;
            count = Some(usize::try_from(n).unwrap_or(usize::MAX));
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(MultiPop { first_key, numkeys, highest, count: count.unwrap_or(1) })
}

/// Writes the reply of `ZMPOP`/`BZMPOP`: `[key, [[member, score], ...]]`.
pub fn reply_multi_pop(out: &mut Reply<'_>, key: &[u8], popped: &Popped) {
    out.array(2);
    out.bulk(key);
    out.array(popped.members.len());
    for (member, score) in &popped.members {
        out.array(2);
        out.bulk(member);
        out.double(*score);
    }
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: pops from the first
/// non-empty sorted set. O(k + log n + count) for k keys.
fn zmpop(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let request = parse_multi_pop(args, 1)?;
    let now = ctx.now_ms;
    for key in args.iter().skip(request.first_key).take(request.numkeys) {
        let db = ctx.store.db(ctx.db_index);
        let Some(popped) = pop_members(db, key, request.count, request.highest, now)? else { continue };
        reply_multi_pop(&mut ctx.out, key, &popped);
        notify_popped(ctx, key, request.highest, &popped);
        return Ok(());
    }
    ctx.out.null_array();
    Ok(())
}

// ---------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD
// ---------------------------------------------------------------------

/// An input of the set algebra: sorted sets, and plain sets whose members
/// all score 1.
#[derive(Clone, Copy)]
enum Source<'a> {
    Missing,
    Set(&'a Set),
    ZSet(&'a ZSet),
}

impl<'a> Source<'a> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Set(s) => s.len(),
            Source::ZSet(z) => z.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Set(s) => s.contains(member).then_some(1.0),
            Source::ZSet(z) => z.score(member),
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = (&'a [u8], f64)> + 'a> {
        match *self {
            Source::Missing => Box::new(std::iter::empty()),
            Source::Set(s) => Box::new(s.iter().map(|m| (m, 1.0))),
            Source::ZSet(z) => Box::new(z.iter()),
        }
    }
}

/// The sorted sets or sets under `keys` (every key is type-checked before
/// any is read).
fn load_sources<'a>(db: &'a mut Db, keys: &[&[u8]], now: i64) -> Result<Vec<Source<'a>>, CmdError> {
    for key in keys {
        if let Some(entry) = db.get(key, now) {
            if !matches!(entry.kind(), Kind::Set | Kind::ZSet) {
                return Err(CmdError::WrongType);
            }
        }
    }
    let db: &'a Db = db;
    Ok(keys
        .iter()
        .map(|key| match db.peek(key, now).map(|e| e.value()) {
            Some(ValueRef::Set(s)) => Source::Set(s),
            Some(ValueRef::ZSet(z)) => Source::ZSet(z),
            _ => Source::Missing,
        })
        .collect())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Redis's `zunionInterAggregate`: a sum of `+inf` and `-inf` is 0.
fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if value < *target {
                *target = value;
            }
        }
        Aggregate::Max => {
            if value > *target {
                *target = value;
            }
        }
    }
}

/// `score * weight`, with NaN (`inf * 0`) read as 0.
fn weighted(score: f64, weight: f64) -> f64 {
    let value = score * weight;
    if value.is_nan() {
        0.0
    } else {
        value
    }
}

/// The union, intersection or difference of `sources` with `weights`,
/// unordered. For k inputs: union O(N), N the input members in all;
/// intersection O(n_min * k), walking the smallest input; difference
/// O(n_first * k), walking the first.
fn combine<'a>(sources: &[Source<'a>], weights: &[f64], how: Aggregate, op: Op) -> Vec<(&'a [u8], f64)> {
    let mut inputs: Vec<(Source<'a>, f64)> = sources.iter().copied().zip(weights.iter().copied()).collect();
    match op {
        Op::Inter => {
            inputs.sort_by_key(|(s, _)| s.len());
            let Some(((smallest, weight), others)) = inputs.split_first() else { return Vec::new() };
            let mut out = Vec::new();
            'members: for (member, score) in smallest.iter() {
                let mut total = weighted(score, *weight);
                for (other, weight) in others {
                    let Some(score) = other.score(member) else { continue 'members };
                    aggregate(&mut total, score * weight, how);
                }
                out.push((member, total));
            }
            out
        }
        Op::Union => {
            inputs.sort_by_key(|(s, _)| s.len());
            let capacity = inputs.last().map_or(0, |(s, _)| s.len());
            let mut totals: HashMap<&'a [u8], f64> = HashMap::with_capacity(capacity);
            for (source, weight) in &inputs {
                for (member, score) in source.iter() {
                    let value = weighted(score, *weight);
                    totals.entry(member).and_modify(|total| aggregate(total, value, how)).or_insert(value);
                }
            }
            totals.into_iter().collect()
        }
        Op::Diff => {
            let Some(((first, _), others)) = inputs.split_first() else { return Vec::new() };
            first.iter().filter(|(member, _)| others.iter().all(|(s, _)| s.score(member).is_none())).collect()
        }
    }
}

/// Parses `numkeys` for the set algebra commands, with Redis's errors.
fn parse_numkeys(args: Args<'_>, at: usize, command: &str) -> Result<usize, CmdError> {
    let numkeys = parse_i64(args.get(at))?;
    if numkeys < 1 {
        return Err(CmdError::Owned(format!("ERR at least 1 input key is needed for '{command}' command")));
    }
    let available = args.len() - at - 1;
    match usize::try_from(numkeys) {
        Ok(n) if n <= available => Ok(n),
        _ => Err(CmdError::Syntax),
    }
}

/// The shared body of ZUNION, ZINTER, ZDIFF and their STORE forms (Redis's
/// `zunionInterDiffGenericCommand`): `numkeys` at `args[at]`, then the
/// keys, then WEIGHTS/AGGREGATE (not for ZDIFF) and WITHSCORES (not for
/// the STORE forms). Keys are type-checked before the options are parsed.
fn set_algebra(ctx: &mut Ctx<'_>, args: Args<'_>, at: usize, op: Op, command: &str) -> CmdResult {
    let destination = (at == 2).then(|| args.get(1));
    let numkeys = parse_numkeys(args, at, command)?;
    let keys: Vec<&[u8]> = args.iter().skip(at + 1).take(numkeys).collect();
    let now = ctx.now_ms;
    let db = ctx.store.db(ctx.db_index);
    let sources = load_sources(db, &keys, now)?;

    let mut weights = vec![1.0; numkeys];
    let mut how = Aggregate::Sum;
    let mut withscores = false;
    let mut i = at + 1 + numkeys;
    while i < args.len() {
        let opt = args.get(i);
        let remaining = args.len() - i;
        if op != Op::Diff && remaining > numkeys && is(opt, "weights") {
            for (k, weight) in weights.iter_mut().enumerate() {
                *weight =
                    parse_score(args.get(i + 1 + k)).ok_or(CmdError::Static("ERR weight value is not a float"))?;
            }
            i += 1 + numkeys;
        } else if op != Op::Diff && remaining >= 2 && is(opt, "aggregate") {
            let name = args.get(i + 1);
            how = if is(name, "sum") {
                Aggregate::Sum
            } else if is(name, "min") {
                Aggregate::Min
            } else if is(name, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            i += 2;
        } else if destination.is_none() && is(opt, "withscores") {
            withscores = true;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
    }

    let mut result = combine(&sources, &weights, how, op);
    match destination {
        Some(destination) => {
            let event = match op {
                Op::Union => "zunionstore",
                Op::Inter => "zinterstore",
                Op::Diff => "zdiffstore",
            };
            // The result borrows the sources: copy it out before writing.
            result.sort_unstable_by(by_score);
            let owned = ZSet::from_sorted(result);
            store_zset(ctx, destination, owned, event);
        }
        None => {
            result.sort_unstable_by(by_score);
            reply_scored(&mut ctx.out, result.into_iter(), withscores);
        }
    }
    Ok(())
}

/// ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
/// [WITHSCORES]: O(N + M log M), N input members, M result members.
fn zunion(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    set_algebra(ctx, args, 1, Op::Union, "zunion")
}

/// ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
/// [WITHSCORES]: O(N*k + M log M), N the smallest input.
fn zinter(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    set_algebra(ctx, args, 1, Op::Inter, "zinter")
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]: O(n*k + M log M), n the
/// first input's size.
fn zdiff(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    set_algebra(ctx, args, 1, Op::Diff, "zdiff")
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...]
/// [AGGREGATE SUM|MIN|MAX]: O(N + M log M).
fn zunionstore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    set_algebra(ctx, args, 2, Op::Union, "zunionstore")
}

/// ZINTERSTORE: as ZUNIONSTORE, O(N*k + M log M).
fn zinterstore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    set_algebra(ctx, args, 2, Op::Inter, "zinterstore")
}

/// ZDIFFSTORE destination numkeys key [key ...]: O(n*k + M log M).
fn zdiffstore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    set_algebra(ctx, args, 2, Op::Diff, "zdiffstore")
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]: O(N*k), stopping at
/// the limit.
fn zintercard(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let numkeys = parse_numkeys(args, 1, "zintercard")?;
    let keys: Vec<&[u8]> = args.iter().skip(2).take(numkeys).collect();
    let db = ctx.store.db(ctx.db_index);
    let mut sources = load_sources(db, &keys, ctx.now_ms)?;
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if args.len() - i >= 2 && is(args.get(i), "limit") {
            limit = parse_i64_opt(args.get(i + 1))
                .and_then(|n| usize::try_from(n).ok())
                .ok_or(CmdError::Static("ERR LIMIT can't be negative"))?;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    sources.sort_by_key(Source::len);
    let (smallest, others) = sources.split_first().expect("numkeys >= 1");
    let common = smallest.iter().filter(|(m, _)| others.iter().all(|s| s.score(m).is_some()));
    let count = if limit > 0 { common.take(limit).count() } else { common.count() };
    ctx.out.int(count as i64);
    Ok(())
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
