//! The set algebra of the sorted-set family: ZUNION, ZINTER, ZDIFF, their
//! `STORE` forms and ZINTERCARD. Registered in this file's `COMMANDS`.
//!
//! Inputs may be sorted sets or plain sets (whose members all score 1);
//! every key is type-checked before any option is parsed or any value
//! read, as Redis does. Results are computed unordered, then sorted once
//! in `(score, member)` order for the reply or the destination; a
//! `*STORE` replaces the destination whatever its type, and deletes it
//! when the result is empty.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;

use super::args::{is, parse_card_limit, parse_i64};
use super::meta::{arg, key};
use super::table::{CommandSpec, Flags, KEY1, NO_KEYS};
use super::zset::{parse_score, reply_scored, store_zset};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::store::set::{Member, Set};
use crate::store::zset::ZSet;
use crate::store::{Db, Kind, ValueRef};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zunionstore", -4, Flags::WRITE.or(Flags::DENYOOM), KEY1, zunionstore)
        .acl("sortedset")
        .keys(&[key(1, "OW update"), key(2, "RO access").numkeys(0, 1, 1)])
        .doc(
            "sorted-set",
            "2.0.0",
            "O(N)+O(M log(M)) with N being the sum of the sizes of the \
                input sorted sets, and M being the number of elements in \
                the resulting sorted set.",
            "Add multiple sorted sets and store the resulting sorted set \
                in a new key",
        )
        .args(&[
            arg::key("destination", 0),
            arg::integer("numkeys"),
            arg::key("key", 1).multiple(),
            arg::integer("weight").token("WEIGHTS").optional().multiple(),
            arg::oneof("aggregate", &[arg::token("sum", "SUM"), arg::token("min", "MIN"), arg::token("max", "MAX")])
                .token("AGGREGATE")
                .optional(),
        ]),
    CommandSpec::new("zinterstore", -4, Flags::WRITE.or(Flags::DENYOOM), KEY1, zinterstore)
        .acl("sortedset")
        .keys(&[key(1, "OW update"), key(2, "RO access").numkeys(0, 1, 1)])
        .doc(
            "sorted-set",
            "2.0.0",
            "O(N*K)+O(M*log(M)) worst case with N being the smallest \
                input sorted set, K being the number of input sorted sets \
                and M being the number of elements in the resulting sorted \
                set.",
            "Intersect multiple sorted sets and store the resulting \
                sorted set in a new key",
        )
        .args(&[
            arg::key("destination", 0),
            arg::integer("numkeys"),
            arg::key("key", 1).multiple(),
            arg::integer("weight").token("WEIGHTS").optional().multiple(),
            arg::oneof("aggregate", &[arg::token("sum", "SUM"), arg::token("min", "MIN"), arg::token("max", "MAX")])
                .token("AGGREGATE")
                .optional(),
        ]),
    CommandSpec::new("zdiffstore", -4, Flags::WRITE.or(Flags::DENYOOM), KEY1, zdiffstore)
        .acl("sortedset")
        .keys(&[key(1, "OW update"), key(2, "RO access").numkeys(0, 1, 1)])
        .doc(
            "sorted-set",
            "6.2.0",
            "O(L + (N-K)log(N)) worst case where L is the total number \
                of elements in all the sets, N is the size of the first \
                set, and K is the size of the result set.",
            "Subtract multiple sorted sets and store the resulting \
                sorted set in a new key",
        )
        .args(&[arg::key("destination", 0), arg::integer("numkeys"), arg::key("key", 1).multiple()]),
    CommandSpec::new("zunion", -3, Flags::READONLY, NO_KEYS, zunion)
        .acl("sortedset")
        .keys(&[key(1, "RO access").numkeys(0, 1, 1)])
        .doc(
            "sorted-set",
            "6.2.0",
            "O(N)+O(M*log(M)) with N being the sum of the sizes of the \
                input sorted sets, and M being the number of elements in \
                the resulting sorted set.",
            "Add multiple sorted sets",
        )
        .args(&[
            arg::integer("numkeys"),
            arg::key("key", 0).multiple(),
            arg::integer("weight").token("WEIGHTS").optional().multiple(),
            arg::oneof("aggregate", &[arg::token("sum", "SUM"), arg::token("min", "MIN"), arg::token("max", "MAX")])
                .token("AGGREGATE")
                .optional(),
            arg::token("withscores", "WITHSCORES").optional(),
        ]),
    CommandSpec::new("zinter", -3, Flags::READONLY, NO_KEYS, zinter)
        .acl("sortedset")
        .keys(&[key(1, "RO access").numkeys(0, 1, 1)])
        .doc(
            "sorted-set",
            "6.2.0",
            "O(N*K)+O(M*log(M)) worst case with N being the smallest \
                input sorted set, K being the number of input sorted sets \
                and M being the number of elements in the resulting sorted \
                set.",
            "Intersect multiple sorted sets",
        )
        .args(&[
            arg::integer("numkeys"),
            arg::key("key", 0).multiple(),
            arg::integer("weight").token("WEIGHTS").optional().multiple(),
            arg::oneof("aggregate", &[arg::token("sum", "SUM"), arg::token("min", "MIN"), arg::token("max", "MAX")])
                .token("AGGREGATE")
                .optional(),
            arg::token("withscores", "WITHSCORES").optional(),
        ]),
    CommandSpec::new("zdiff", -3, Flags::READONLY, NO_KEYS, zdiff)
        .acl("sortedset")
        .keys(&[key(1, "RO access").numkeys(0, 1, 1)])
        .doc(
            "sorted-set",
            "6.2.0",
            "O(L + (N-K)log(N)) worst case where L is the total number \
                of elements in all the sets, N is the size of the first \
                set, and K is the size of the result set.",
            "Subtract multiple sorted sets",
        )
        .args(&[
            arg::integer("numkeys"),
            arg::key("key", 0).multiple(),
            arg::token("withscores", "WITHSCORES").optional(),
        ]),
    CommandSpec::new("zintercard", -3, Flags::READONLY, NO_KEYS, zintercard)
        .acl("sortedset")
        .keys(&[key(1, "RO access").numkeys(0, 1, 1)])
        .doc(
            "sorted-set",
            "7.0.0",
            "O(N*K) worst case with N being the smallest input sorted \
                set, K being the number of input sorted sets.",
            "Intersect multiple sorted sets and return the cardinality \
                of the result",
        )
        .args(&[
            arg::integer("numkeys"),
            arg::key("key", 0).multiple(),
            arg::integer("limit").token("LIMIT").optional(),
        ]),
];

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

    fn iter(&self) -> Box<dyn Iterator<Item = (Member<'a>, f64)> + 'a> {
        match *self {
            Source::Missing => Box::new(std::iter::empty()),
            Source::Set(s) => Box::new(s.iter().map(|m| (m, 1.0))),
            Source::ZSet(z) => Box::new(z.iter().map(|(m, score)| (Cow::Borrowed(m), score))),
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
fn combine<'a>(sources: &[Source<'a>], weights: &[f64], how: Aggregate, op: Op) -> Vec<(Member<'a>, f64)> {
    let mut inputs: Vec<(Source<'a>, f64)> = sources.iter().copied().zip(weights.iter().copied()).collect();
    match op {
        Op::Inter => {
            inputs.sort_by_key(|(s, _)| s.len());
            let Some(((smallest, weight), others)) = inputs.split_first() else { return Vec::new() };
            let mut out = Vec::new();
            'members: for (member, score) in smallest.iter() {
                let mut total = weighted(score, *weight);
                for (other, weight) in others {
                    let Some(score) = other.score(&member) else { continue 'members };
                    aggregate(&mut total, score * weight, how);
                }
                out.push((member, total));
            }
            out
        }
        Op::Union => {
            inputs.sort_by_key(|(s, _)| s.len());
            let capacity = inputs.last().map_or(0, |(s, _)| s.len());
            let mut totals: HashMap<Member<'a>, f64> = HashMap::with_capacity(capacity);
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

/// Ascending rank order of `(score, member)` pairs.
fn by_score(a: &(Member<'_>, f64), b: &(Member<'_>, f64)) -> Ordering {
    a.1.partial_cmp(&b.1).unwrap_or(Ordering::Equal).then_with(|| a.0.cmp(&b.0))
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
            let owned = ZSet::from_sorted(result.iter().map(|(m, score)| (&m[..], *score)));
            store_zset(ctx, destination, owned, event);
        }
        None => {
            result.sort_unstable_by(by_score);
            reply_scored(&mut ctx.out, result.iter().map(|(m, score)| (&m[..], *score)), withscores);
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
    let limit = parse_card_limit(args, 2 + numkeys)?;
    sources.sort_by_key(Source::len);
    let (smallest, others) = sources.split_first().expect("numkeys >= 1");
    let common = smallest.iter().filter(|(m, _)| others.iter().all(|s| s.score(m).is_some()));
    let count = if limit > 0 { common.take(limit).count() } else { common.count() };
    ctx.out.int(count as i64);
    Ok(())
}
