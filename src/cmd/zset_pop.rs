//! The pops of the sorted-set family: ZPOPMIN, ZPOPMAX and ZMPOP.
//! Registered in this file's `COMMANDS`.
//!
//! The pops are written as plain functions of the keyspace
//! ([`pop_members`], [`notify_popped`], [`parse_multi_pop`],
//! [`reply_multi_pop`]) so that a blocking pop can serve a woken client
//! with the same code. A pop that empties a set deletes its key.

use super::args::{is, parse_i64_opt};
use super::meta::{arg, key};
use super::set::parse_pop_count;
use super::table::{CommandSpec, Flags, KEY1, NO_KEYS};
use super::zset::{reply_scored, zset_mut};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::{Args, Reply};
use crate::pubsub::{GENERIC, ZSET};
use crate::store::Db;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zpopmin", -2, Flags::WRITE.or(Flags::FAST), KEY1, zpopmin)
        .acl("sortedset")
        .keys(&[key(1, "RW access delete")])
        .doc(
            "sorted-set",
            "5.0.0",
            "O(log(N)*M) with N being the number of elements in the \
                sorted set, and M being the number of elements popped.",
            "Remove and return members with the lowest scores in a \
                sorted set",
        )
        .args(&[arg::key("key", 0), arg::integer("count").optional()]),
    CommandSpec::new("zpopmax", -2, Flags::WRITE.or(Flags::FAST), KEY1, zpopmax)
        .acl("sortedset")
        .keys(&[key(1, "RW access delete")])
        .doc(
            "sorted-set",
            "5.0.0",
            "O(log(N)*M) with N being the number of elements in the \
                sorted set, and M being the number of elements popped.",
            "Remove and return members with the highest scores in a \
                sorted set",
        )
        .args(&[arg::key("key", 0), arg::integer("count").optional()]),
    CommandSpec::new("zmpop", -4, Flags::WRITE, NO_KEYS, zmpop)
        .acl("sortedset")
        .keys(&[key(1, "RW access delete").numkeys(0, 1, 1)])
        .doc(
            "sorted-set",
            "7.0.0",
            "O(K) + O(M*log(N)) where K is the number of provided keys, \
                N being the number of elements in the sorted set, and M \
                being the number of elements popped.",
            "Remove and return members with scores in a sorted set",
        )
        .args(&[
            arg::integer("numkeys"),
            arg::key("key", 0).multiple(),
            arg::oneof("where", &[arg::token("min", "MIN"), arg::token("max", "MAX")]),
            arg::integer("count").token("COUNT").optional(),
        ]),
];

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
