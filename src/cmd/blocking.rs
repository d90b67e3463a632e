//! Blocking pops: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX, BZMPOP.
//!
//! Each handler first tries exactly what its non-blocking twin does, with
//! the keyspace helpers of `cmd::list` (and the sorted-set pop below). If
//! every key is empty it either blocks the client (`Caller::Client`: the
//! command is registered in `state::blocking` and the loop stops reading
//! from the client), answers null at once (`Caller::Transaction` and `Caller::Replay`, as Redis does
//! inside `MULTI`), or reports that it is still unserved (`Caller::Wakeup`:
//! the loop re-ran it because a key it waits on was written, and it
//! stays in line). A timeout is answered by the loop with a null array.

use super::args::parse_f64;
use super::list::{list_ref, move_element, parse_end, parse_multi_pop, pop_from};
use super::meta::{arg, key};
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::zset_pop::{notify_popped, parse_multi_pop as parse_zset_multi_pop, pop_members, reply_multi_pop};
use super::{Caller, CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::protocol::OwnedArgs;
use crate::pubsub::{GENERIC, LIST, ZSET};
use crate::state::blocking::Blocked;
use crate::store::list::End;
use crate::store::{Db, ValueMut, ValueRef};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("blpop", -3, Flags::WRITE.or(Flags::NOSCRIPT).or(Flags::BLOCKING), (1, -2, 1), blpop)
        .acl("list")
        .keys(&[key(1, "RW access delete").range(-2, 1, 0)])
        .doc(
            "list",
            "2.0.0",
            "O(N) where N is the number of provided keys.",
            "Remove and get the first element in a list, or block until \
                one is available",
        )
        .history(&[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])
        .args(&[arg::key("key", 0).multiple(), arg::double("timeout")]),
    CommandSpec::new("brpop", -3, Flags::WRITE.or(Flags::NOSCRIPT).or(Flags::BLOCKING), (1, -2, 1), brpop)
        .acl("list")
        .keys(&[key(1, "RW access delete").range(-2, 1, 0)])
        .doc(
            "list",
            "2.0.0",
            "O(N) where N is the number of provided keys.",
            "Remove and get the last element in a list, or block until \
                one is available",
        )
        .history(&[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])
        .args(&[arg::key("key", 0).multiple(), arg::double("timeout")]),
    CommandSpec::new(
        "blmove",
        6,
        Flags::WRITE.or(Flags::DENYOOM).or(Flags::NOSCRIPT).or(Flags::BLOCKING),
        (1, 2, 1),
        blmove,
    )
    .acl("list")
    .keys(&[key(1, "RW access delete"), key(2, "RW insert")])
    .doc(
        "list",
        "6.2.0",
        "O(1)",
        "Pop an element from a list, push it to another list and \
                return it; or block until one is available",
    )
    .args(&[
        arg::key("source", 0),
        arg::key("destination", 1),
        arg::oneof("wherefrom", &[arg::token("left", "LEFT"), arg::token("right", "RIGHT")]),
        arg::oneof("whereto", &[arg::token("left", "LEFT"), arg::token("right", "RIGHT")]),
        arg::double("timeout"),
    ]),
    CommandSpec::new(
        "brpoplpush",
        4,
        Flags::WRITE.or(Flags::DENYOOM).or(Flags::NOSCRIPT).or(Flags::BLOCKING),
        (1, 2, 1),
        brpoplpush,
    )
    .acl("list")
    .keys(&[key(1, "RW access delete"), key(2, "RW insert")])
    .doc(
        "list",
        "2.2.0",
        "O(1)",
        "Pop an element from a list, push it to another list and \
                return it; or block until one is available",
    )
    .history(&[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])
    .args(&[arg::key("source", 0), arg::key("destination", 1), arg::double("timeout")])
    .deprecated("6.2.0", "`BLMOVE` with the `RIGHT` and `LEFT` arguments"),
    CommandSpec::new("blmpop", -5, Flags::WRITE.or(Flags::BLOCKING), NO_KEYS, blmpop)
        .acl("list")
        .keys(&[key(2, "RW access delete").numkeys(0, 1, 1)])
        .doc(
            "list",
            "7.0.0",
            "O(N+M) where N is the number of provided keys and M is the \
                number of elements returned.",
            "Pop elements from a list, or block until one is available",
        )
        .args(&[
            arg::double("timeout"),
            arg::integer("numkeys"),
            arg::key("key", 0).multiple(),
            arg::oneof("where", &[arg::token("left", "LEFT"), arg::token("right", "RIGHT")]),
            arg::integer("count").token("COUNT").optional(),
        ]),
    CommandSpec::new(
        "bzpopmin",
        -3,
        Flags::WRITE.or(Flags::NOSCRIPT).or(Flags::BLOCKING).or(Flags::FAST),
        (1, -2, 1),
        bzpopmin,
    )
    .acl("sortedset")
    .keys(&[key(1, "RW access delete").range(-2, 1, 0)])
    .doc(
        "sorted-set",
        "5.0.0",
        "O(log(N)) with N being the number of elements in the sorted \
                set.",
        "Remove and return the member with the lowest score from one \
                or more sorted sets, or block until one is available",
    )
    .history(&[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])
    .args(&[arg::key("key", 0).multiple(), arg::double("timeout")]),
    CommandSpec::new(
        "bzpopmax",
        -3,
        Flags::WRITE.or(Flags::NOSCRIPT).or(Flags::BLOCKING).or(Flags::FAST),
        (1, -2, 1),
        bzpopmax,
    )
    .acl("sortedset")
    .keys(&[key(1, "RW access delete").range(-2, 1, 0)])
    .doc(
        "sorted-set",
        "5.0.0",
        "O(log(N)) with N being the number of elements in the sorted \
                set.",
        "Remove and return the member with the highest score from \
                one or more sorted sets, or block until one is available",
    )
    .history(&[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])
    .args(&[arg::key("key", 0).multiple(), arg::double("timeout")]),
    CommandSpec::new("bzmpop", -5, Flags::WRITE.or(Flags::BLOCKING), NO_KEYS, bzmpop)
        .acl("sortedset")
        .keys(&[key(2, "RW access delete").numkeys(0, 1, 1)])
        .doc(
            "sorted-set",
            "7.0.0",
            "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in \
                the sorted set, and M being the number of elements popped.",
            "Remove and return members with scores in a sorted set or block until one is available",
        )
        .args(&[
            arg::double("timeout"),
            arg::integer("numkeys"),
            arg::key("key", 0).multiple(),
            arg::oneof("where", &[arg::token("min", "MIN"), arg::token("max", "MAX")]),
            arg::integer("count").token("COUNT").optional(),
        ]),
];

/// Parses a timeout in seconds (fractions allowed) as Redis does: whole
/// milliseconds, truncated; `None` (0) waits forever.
fn parse_timeout(arg: &[u8]) -> Result<Option<i64>, CmdError> {
    let seconds = parse_f64(arg).ok_or(CmdError::Static("ERR timeout is not a float or out of range"))?;
    let ms = seconds * 1000.0;
    // Redis's conversion makes an out-of-range value negative.
    if !(0.0..9.2e18).contains(&ms) {
        return Err(CmdError::Static("ERR timeout is negative"));
    }
    let ms = ms as i64;
    Ok((ms > 0).then_some(ms))
}

fn end_name(end: End, pop: bool) -> &'static str {
    match (end, pop) {
        (End::Left, true) => "lpop",
        (End::Right, true) => "rpop",
        (End::Left, false) => "lpush",
        (End::Right, false) => "rpush",
    }
}

/// The keyword for an end, as `LMOVE` and `LMPOP` take it.
fn side(end: End) -> &'static [u8] {
    match end {
        End::Left => b"LEFT",
        End::Right => b"RIGHT",
    }
}

/// What to answer when nothing can be popped and the command may not
/// block.
#[derive(Clone, Copy)]
enum Empty {
    NullArray,
    NullBulk,
}

/// Nothing to pop from any key: block, answer null, or stay in line.
fn nothing_yet(ctx: &mut Ctx<'_>, args: Args<'_>, keys: Vec<Vec<u8>>, timeout: Option<i64>, empty: Empty) {
    match ctx.caller {
        Caller::Client => {
            let blocked = Blocked {
                db: ctx.db_index,
                keys,
                deadline: timeout.map(|ms| ctx.now_ms.saturating_add(ms)),
                command: OwnedArgs::new(args),
            };
            ctx.server.blocking.block(ctx.client_key, blocked);
            ctx.client().blocked = true;
            ctx.server.blocked_clients = ctx.server.blocking.len();
        }
        Caller::Transaction | Caller::Replay | Caller::Script { .. } | Caller::Primary => match empty {
            Empty::NullArray => ctx.out.null_array(),
            Empty::NullBulk => ctx.out.null(),
        },
        Caller::Wakeup => ctx.unserved = true,
    }
}

/// True if `key` can be served: a non-empty list. A key of another type
/// is an error, except for a woken client, which keeps waiting (Redis
/// 7.0 serves a woken client only from a key of the type it waits for).
fn has_list(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<bool, CmdError> {
    let (now, waking) = (ctx.now_ms, ctx.caller == Caller::Wakeup);
    match list_ref(ctx.db(), key, now) {
        Ok(found) => Ok(found.is_some_and(|list| !list.is_empty())),
        Err(_) if waking => Ok(false),
        Err(e) => Err(e),
    }
}

/// After popping from `key`: the pop event, and `del` if it emptied it.
fn popped(ctx: &mut Ctx<'_>, class: u32, event: &str, key: &[u8]) {
    ctx.notify(class, event, key);
    let now = ctx.now_ms;
    if !ctx.db().contains(key, now) {
        ctx.notify(GENERIC, "del", key);
    }
}

fn key_list(args: Args<'_>, range: std::ops::Range<usize>) -> Vec<Vec<u8>> {
    range.map(|i| args.get(i).to_vec()).collect()
}

/// `BLPOP`/`BRPOP key [key ...] timeout`: `[key, element]`.
fn blocking_pop(ctx: &mut Ctx<'_>, args: Args<'_>, end: End) -> CmdResult {
    let last = args.len() - 1;
    let timeout = parse_timeout(args.get(last))?;
    for key in args.iter().take(last).skip(1) {
        if !has_list(ctx, key)? {
            continue;
        }
        let now = ctx.now_ms;
        let db = ctx.store.db(ctx.db_index);
        let out = &mut ctx.out;
        pop_from(db, key, end, 1, now, |mut elements| {
            out.array(2);
            out.bulk(key);
            out.bulk(elements.next().unwrap_or_default());
        })?;
        popped(ctx, LIST, end_name(end, true), key);
        // Logged as what it did: a woken client skips keys of another
        // type, which the blocking form, replayed, would stop at.
        ctx.log_as(&[if end == End::Left { b"LPOP" } else { b"RPOP" }, key]);
        return Ok(());
    }
    nothing_yet(ctx, args, key_list(args, 1..last), timeout, Empty::NullArray);
    Ok(())
}

fn blpop(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    blocking_pop(ctx, args, End::Left)
}

fn brpop(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    blocking_pop(ctx, args, End::Right)
}

/// `BLMOVE`/`BRPOPLPUSH`: the moved element.
fn blocking_move(ctx: &mut Ctx<'_>, args: Args<'_>, from: End, to: End, timeout: Option<i64>) -> CmdResult {
    let (source, destination) = (args.get(1), args.get(2));
    if !has_list(ctx, source)? {
        nothing_yet(ctx, args, vec![source.to_vec()], timeout, Empty::NullBulk);
        return Ok(());
    }
    let now = ctx.now_ms;
    let db = ctx.store.db(ctx.db_index);
    match move_element(db, source, destination, from, to, now)? {
        Some(element) => {
            ctx.out.bulk(&element);
            ctx.notify(LIST, end_name(to, false), destination);
            popped(ctx, LIST, end_name(from, true), source);
            ctx.log_as(&[b"LMOVE", source, destination, side(from), side(to)]);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn blmove(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let from = parse_end(args.get(3))?;
    let to = parse_end(args.get(4))?;
    let timeout = parse_timeout(args.get(5))?;
    blocking_move(ctx, args, from, to, timeout)
}

fn brpoplpush(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let timeout = parse_timeout(args.get(3))?;
    blocking_move(ctx, args, End::Right, End::Left, timeout)
}

/// `BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`:
/// `[key, [elements]]`.
fn blmpop(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let timeout = parse_timeout(args.get(1))?;
    let request = parse_multi_pop(args, 2)?;
    for key in request.keys() {
        if !has_list(ctx, key)? {
            continue;
        }
        let now = ctx.now_ms;
        let db = ctx.store.db(ctx.db_index);
        let out = &mut ctx.out;
        pop_from(db, key, request.end, request.count, now, |elements| {
            out.array(2);
            out.bulk(key);
            out.array(elements.len());
            for element in elements {
                out.bulk(element);
            }
        })?;
        popped(ctx, LIST, end_name(request.end, true), key);
        let count = request.count.to_string();
        ctx.log_as(&[b"LMPOP", b"1", key, side(request.end), b"COUNT", count.as_bytes()]);
        return Ok(());
    }
    let keys: Vec<Vec<u8>> = request.keys().map(<[u8]>::to_vec).collect();
    nothing_yet(ctx, args, keys, timeout, Empty::NullArray);
    Ok(())
}

/// A sorted-set member with its score.
type Scored = (Box<[u8]>, f64);

/// Pops the member with the lowest (`max` false) or highest score from
/// the sorted set under `key`, deleting the key when it empties.
///
/// If `cmd::zset` grows a shared pop helper (as `cmd::list` has), this
/// should call it instead.
fn zset_pop(db: &mut Db, key: &[u8], max: bool, now_ms: i64) -> Result<Option<Scored>, CmdError> {
    let Some(entry) = db.get_mut(key, now_ms) else { return Ok(None) };
    let ValueMut::ZSet(zset) = entry.value_mut() else { return Err(CmdError::WrongType) };
    let popped = zset.pop(1, max).pop();
    if zset.is_empty() {
        db.remove(key, now_ms);
    }
    Ok(popped)
}

/// True if `key` holds a non-empty sorted set (see [`has_list`]).
fn has_zset(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<bool, CmdError> {
    let (now, waking) = (ctx.now_ms, ctx.caller == Caller::Wakeup);
    match ctx.db().get(key, now).map(|entry| entry.value()) {
        None => Ok(false),
        Some(ValueRef::ZSet(zset)) => Ok(!zset.is_empty()),
        Some(_) if waking => Ok(false),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// `BZPOPMIN`/`BZPOPMAX key [key ...] timeout`: `[key, member, score]`.
fn blocking_zpop(ctx: &mut Ctx<'_>, args: Args<'_>, max: bool) -> CmdResult {
    let last = args.len() - 1;
    let timeout = parse_timeout(args.get(last))?;
    for key in args.iter().take(last).skip(1) {
        if !has_zset(ctx, key)? {
            continue;
        }
        let now = ctx.now_ms;
        let Some((member, score)) = zset_pop(ctx.db(), key, max, now)? else { continue };
        ctx.out.array(3);
        ctx.out.bulk(key);
        ctx.out.bulk(&member);
        ctx.out.double(score);
        popped(ctx, ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
        ctx.log_as(&[if max { b"ZPOPMAX" } else { b"ZPOPMIN" }, key]);
        return Ok(());
    }
    nothing_yet(ctx, args, key_list(args, 1..last), timeout, Empty::NullArray);
    Ok(())
}

fn bzpopmin(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    blocking_zpop(ctx, args, false)
}

fn bzpopmax(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    blocking_zpop(ctx, args, true)
}

/// `BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]`:
/// `[key, [[member, score], ...]]` from the first non-empty sorted set,
/// logged as the `ZMPOP` of that one key.
fn bzmpop(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    // Redis checks the keys and options before the timeout.
    let request = parse_zset_multi_pop(args, 2)?;
    let timeout = parse_timeout(args.get(1))?;
    let keys = request.first_key..request.first_key + request.numkeys;
    for key in keys.clone().map(|i| args.get(i)) {
        if !has_zset(ctx, key)? {
            continue;
        }
        let now = ctx.now_ms;
        let Some(popped) = pop_members(ctx.db(), key, request.count, request.highest, now)? else { continue };
        reply_multi_pop(&mut ctx.out, key, &popped);
        notify_popped(ctx, key, request.highest, &popped);
        let count = request.count.to_string();
        let end: &[u8] = if request.highest { b"MAX" } else { b"MIN" };
        ctx.log_as(&[b"ZMPOP", b"1", key, end, b"COUNT", count.as_bytes()]);
        return Ok(());
    }
    nothing_yet(ctx, args, key_list(args, keys), timeout, Empty::NullArray);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_as_redis() {
        assert_eq!(parse_timeout(b"0"), Ok(None));
        assert_eq!(parse_timeout(b"1.5"), Ok(Some(1500)));
        assert_eq!(parse_timeout(b"0.0001"), Ok(None));
        assert_eq!(parse_timeout(b"-1"), Err(CmdError::Static("ERR timeout is negative")));
        assert_eq!(parse_timeout(b"inf"), Err(CmdError::Static("ERR timeout is negative")));
        assert_eq!(parse_timeout(b"1x"), Err(CmdError::Static("ERR timeout is not a float or out of range")));
    }
}
