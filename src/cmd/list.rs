//! List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE,
//! LINDEX, LSET, LREM, LTRIM, LINSERT, LPOS, LMOVE, RPOPLPUSH, LMPOP.
//!
//! Arguments, replies, error texts and the order in which errors are
//! detected follow Redis 7.0 (`t_list.c`): for example `LRANGE` parses its
//! indexes before looking at the key, while `LINDEX` and `LSET` look at the
//! key first. The list itself lives in `store::list`.
//!
//! Every change is announced with [`Ctx::notify`] using Redis's event
//! names (`lpush`, `rpop`, `linsert`..., and `del` when a list empties).
//!
//! The keyspace operations the blocking commands (BLPOP, BRPOP, BLMOVE,
//! BRPOPLPUSH, BLMPOP) also need are plain public functions here —
//! [`push_to`], [`pop_from`], [`move_element`] — so that a blocking
//! implementation can serve a woken client with exactly the code the
//! non-blocking commands use.

use super::args::{is, parse_i64, parse_i64_opt};
use super::meta::{arg, key};
use super::table::{CommandSpec, Flags, KEY1, NO_KEYS};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::{Args, Reply};
use crate::pubsub::{GENERIC, LIST};
use crate::store::list::{End, List};
use crate::store::{Db, Ttl, Value};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("lpush", -3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, lpush)
        .acl("list")
        .keys(&[key(1, "RW insert")])
        .doc(
            "list",
            "1.0.0",
            "O(1) for each element added, so O(N) to add N elements when \
                the command is called with multiple arguments.",
            "Prepend one or multiple elements to a list",
        )
        .history(&[("2.4.0", "Accepts multiple `element` arguments.")])
        .args(&[arg::key("key", 0), arg::string("element").multiple()]),
    CommandSpec::new("rpush", -3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, rpush)
        .acl("list")
        .keys(&[key(1, "RW insert")])
        .doc(
            "list",
            "1.0.0",
            "O(1) for each element added, so O(N) to add N elements when \
                the command is called with multiple arguments.",
            "Append one or multiple elements to a list",
        )
        .history(&[("2.4.0", "Accepts multiple `element` arguments.")])
        .args(&[arg::key("key", 0), arg::string("element").multiple()]),
    CommandSpec::new("lpushx", -3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, lpushx)
        .acl("list")
        .keys(&[key(1, "RW insert")])
        .doc(
            "list",
            "2.2.0",
            "O(1) for each element added, so O(N) to add N elements when \
                the command is called with multiple arguments.",
            "Prepend an element to a list, only if the list exists",
        )
        .history(&[("4.0.0", "Accepts multiple `element` arguments.")])
        .args(&[arg::key("key", 0), arg::string("element").multiple()]),
    CommandSpec::new("rpushx", -3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, rpushx)
        .acl("list")
        .keys(&[key(1, "RW insert")])
        .doc(
            "list",
            "2.2.0",
            "O(1) for each element added, so O(N) to add N elements when \
                the command is called with multiple arguments.",
            "Append an element to a list, only if the list exists",
        )
        .history(&[("4.0.0", "Accepts multiple `element` arguments.")])
        .args(&[arg::key("key", 0), arg::string("element").multiple()]),
    CommandSpec::new("lpop", -2, Flags::WRITE.or(Flags::FAST), KEY1, lpop)
        .acl("list")
        .keys(&[key(1, "RW access delete")])
        .doc(
            "list",
            "1.0.0",
            "O(N) where N is the number of elements returned",
            "Remove and get the first elements in a list",
        )
        .history(&[("6.2.0", "Added the `count` argument.")])
        .args(&[arg::key("key", 0), arg::integer("count").since("6.2.0").optional()]),
    CommandSpec::new("rpop", -2, Flags::WRITE.or(Flags::FAST), KEY1, rpop)
        .acl("list")
        .keys(&[key(1, "RW access delete")])
        .doc(
            "list",
            "1.0.0",
            "O(N) where N is the number of elements returned",
            "Remove and get the last elements in a list",
        )
        .history(&[("6.2.0", "Added the `count` argument.")])
        .args(&[arg::key("key", 0), arg::integer("count").since("6.2.0").optional()]),
    CommandSpec::new("llen", 2, Flags::READONLY.or(Flags::FAST), KEY1, llen)
        .acl("list")
        .keys(&[key(1, "RO")])
        .doc("list", "1.0.0", "O(1)", "Get the length of a list")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("lrange", 4, Flags::READONLY, KEY1, lrange)
        .acl("list")
        .keys(&[key(1, "RO access")])
        .doc(
            "list",
            "1.0.0",
            "O(S+N) where S is the distance of start offset from HEAD \
                for small lists, from nearest end (HEAD or TAIL) for large \
                lists; and N is the number of elements in the specified \
                range.",
            "Get a range of elements from a list",
        )
        .args(&[arg::key("key", 0), arg::integer("start"), arg::integer("stop")]),
    CommandSpec::new("lindex", 3, Flags::READONLY, KEY1, lindex)
        .acl("list")
        .keys(&[key(1, "RO access")])
        .doc(
            "list",
            "1.0.0",
            "O(N) where N is the number of elements to traverse to get \
                to the element at index. This makes asking for the first or \
                the last element of the list O(1).",
            "Get an element from a list by its index",
        )
        .args(&[arg::key("key", 0), arg::integer("index")]),
    CommandSpec::new("lset", 4, Flags::WRITE.or(Flags::DENYOOM), KEY1, lset)
        .acl("list")
        .keys(&[key(1, "RW update")])
        .doc(
            "list",
            "1.0.0",
            "O(N) where N is the length of the list. Setting either the \
                first or the last element of the list is O(1).",
            "Set the value of an element in a list by its index",
        )
        .args(&[arg::key("key", 0), arg::integer("index"), arg::string("element")]),
    CommandSpec::new("lrem", 4, Flags::WRITE, KEY1, lrem)
        .acl("list")
        .keys(&[key(1, "RW delete")])
        .doc(
            "list",
            "1.0.0",
            "O(N+M) where N is the length of the list and M is the \
                number of elements removed.",
            "Remove elements from a list",
        )
        .args(&[arg::key("key", 0), arg::integer("count"), arg::string("element")]),
    CommandSpec::new("ltrim", 4, Flags::WRITE, KEY1, ltrim)
        .acl("list")
        .keys(&[key(1, "RW delete")])
        .doc(
            "list",
            "1.0.0",
            "O(N) where N is the number of elements to be removed by the \
                operation.",
            "Trim a list to the specified range",
        )
        .args(&[arg::key("key", 0), arg::integer("start"), arg::integer("stop")]),
    CommandSpec::new("linsert", 5, Flags::WRITE.or(Flags::DENYOOM), KEY1, linsert)
        .acl("list")
        .keys(&[key(1, "RW insert")])
        .doc(
            "list",
            "2.2.0",
            "O(N) where N is the number of elements to traverse before \
                seeing the value pivot. This means that inserting somewhere \
                on the left end on the list (head) can be considered O(1) \
                and inserting somewhere on the right end (tail) is O(N).",
            "Insert an element before or after another element in a list",
        )
        .args(&[
            arg::key("key", 0),
            arg::oneof("where", &[arg::token("before", "BEFORE"), arg::token("after", "AFTER")]),
            arg::string("pivot"),
            arg::string("element"),
        ]),
    CommandSpec::new("lpos", -3, Flags::READONLY, KEY1, lpos)
        .acl("list")
        .keys(&[key(1, "RO access")])
        .doc(
            "list",
            "6.0.6",
            "O(N) where N is the number of elements in the list, for the \
                average case. When searching for elements near the head or \
                the tail of the list, or when the MAXLEN option is \
                provided, the command may run in constant time.",
            "Return the index of matching elements on a list",
        )
        .args(&[
            arg::key("key", 0),
            arg::string("element"),
            arg::integer("rank").token("RANK").optional(),
            arg::integer("num-matches").token("COUNT").optional(),
            arg::integer("len").token("MAXLEN").optional(),
        ]),
    CommandSpec::new("lmove", 5, Flags::WRITE.or(Flags::DENYOOM), (1, 2, 1), lmove)
        .acl("list")
        .keys(&[key(1, "RW access delete"), key(2, "RW insert")])
        .doc("list", "6.2.0", "O(1)", "Pop an element from a list, push it to another list and return it")
        .args(&[
            arg::key("source", 0),
            arg::key("destination", 1),
            arg::oneof("wherefrom", &[arg::token("left", "LEFT"), arg::token("right", "RIGHT")]),
            arg::oneof("whereto", &[arg::token("left", "LEFT"), arg::token("right", "RIGHT")]),
        ]),
    CommandSpec::new("rpoplpush", 3, Flags::WRITE.or(Flags::DENYOOM), (1, 2, 1), rpoplpush)
        .acl("list")
        .keys(&[key(1, "RW access delete"), key(2, "RW insert")])
        .doc("list", "1.2.0", "O(1)", "Remove the last element in a list, prepend it to another list and return it")
        .args(&[arg::key("source", 0), arg::key("destination", 1)])
        .deprecated("6.2.0", "`LMOVE` with the `RIGHT` and `LEFT` arguments"),
    CommandSpec::new("lmpop", -4, Flags::WRITE, NO_KEYS, lmpop)
        .acl("list")
        .keys(&[key(1, "RW access delete").numkeys(0, 1, 1)])
        .doc(
            "list",
            "7.0.0",
            "O(N+M) where N is the number of provided keys and M is the \
                number of elements returned.",
            "Pop elements from a list",
        )
        .args(&[
            arg::integer("numkeys"),
            arg::key("key", 0).multiple(),
            arg::oneof("where", &[arg::token("left", "LEFT"), arg::token("right", "RIGHT")]),
            arg::integer("count").token("COUNT").optional(),
        ]),
];

const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";

// ---------------------------------------------------------------------------
// Keyspace operations, shared with the blocking commands.

/// The list under `key`: `None` if absent, `WrongType` if another type.
pub fn list_ref<'a>(db: &'a mut Db, key: &[u8], now_ms: i64) -> Result<Option<&'a List>, CmdError> {
    Ok(db.get_as(key, now_ms)?)
}

/// The list under `key`, for changing it in place.
pub fn list_mut<'a>(db: &'a mut Db, key: &[u8], now_ms: i64) -> Result<Option<&'a mut List>, CmdError> {
    Ok(db.get_mut_as(key, now_ms)?)
}

/// Deletes `key` if its list is empty: an empty list never exists.
fn remove_if_empty(db: &mut Db, key: &[u8], now_ms: i64) {
    if matches!(list_ref(db, key, now_ms), Ok(Some(list)) if list.is_empty()) {
        db.remove(key, now_ms);
    }
}

/// Pushes `elements` one by one at `end` of the list under `key` (so
/// `LPUSH k a b` leaves `b a`), creating the list unless `only_existing`.
/// Returns the new length (0 when the key is absent and not created).
pub fn push_to<'e>(
    db: &mut Db,
    key: &[u8],
    end: End,
    elements: impl IntoIterator<Item = &'e [u8]>,
    only_existing: bool,
    now_ms: i64,
) -> Result<usize, CmdError> {
    if let Some(list) = list_mut(db, key, now_ms)? {
        for element in elements {
            list.push(end, element);
        }
        return Ok(list.len());
    }
    if only_existing {
        return Ok(0);
    }
    let mut list = List::new();
    for element in elements {
        list.push(end, element);
    }
    let len = list.len();
    if len > 0 {
        db.set(key, Value::List(Box::new(list)), Ttl::Clear, now_ms);
    }
    Ok(len)
}

/// Pops up to `count` elements from `end` of the list under `key`.
/// `emit` sees the elements that are about to be popped, in pop order and
/// borrowed in place (so a reply is written without copying them); then
/// they are removed, and the key too if the list is left empty. Returns
/// `Ok(None)` when there is no such key.
pub fn pop_from<T>(
    db: &mut Db,
    key: &[u8],
    end: End,
    count: usize,
    now_ms: i64,
    emit: impl FnOnce(std::iter::Take<crate::store::list::EndIter<'_>>) -> T,
) -> Result<Option<T>, CmdError> {
    let Some(list) = list_mut(db, key, now_ms)? else { return Ok(None) };
    let result = emit(list.iter_from_end(end).take(count));
    list.remove_end(end, count);
    let empty = list.is_empty();
    if empty {
        db.remove(key, now_ms);
    }
    Ok(Some(result))
}

/// Moves the element at `from` of `source` to `to` of `destination`
/// (LMOVE, RPOPLPUSH, and their blocking forms) and returns it;
/// `Ok(None)` when `source` does not exist. A destination of another type
/// is an error and changes nothing. With `source == destination` the
/// list rotates.
pub fn move_element(
    db: &mut Db,
    source: &[u8],
    destination: &[u8],
    from: End,
    to: End,
    now_ms: i64,
) -> Result<Option<Vec<u8>>, CmdError> {
    if source == destination {
        let Some(list) = list_mut(db, source, now_ms)? else { return Ok(None) };
        let Some(element) = list.pop(from) else { return Ok(None) };
        list.push(to, &element);
        return Ok(Some(element));
    }
    if list_ref(db, source, now_ms)?.is_none() {
        return Ok(None);
    }
    list_ref(db, destination, now_ms)?;
    let Some(element) = list_mut(db, source, now_ms)?.and_then(|list| list.pop(from)) else { return Ok(None) };
    remove_if_empty(db, source, now_ms);
    push_to(db, destination, to, [&element[..]], false, now_ms)?;
    Ok(Some(element))
}

// ---------------------------------------------------------------------------
// Argument helpers.

/// `LEFT` or `RIGHT`, case-insensitively.
pub fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if is(arg, "left") {
        Ok(End::Left)
    } else if is(arg, "right") {
        Ok(End::Right)
    } else {
        Err(CmdError::Syntax)
    }
}

/// A count that must be a non-negative integer; anything else, including
/// text, is answered with `error` (Redis's `getPositiveLongFromObject`).
fn parse_non_negative(arg: &[u8], error: &'static str) -> Result<usize, CmdError> {
    match parse_i64_opt(arg) {
        Some(n) if n >= 0 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(CmdError::Static(error)),
    }
}

/// Redis's list range arithmetic (LRANGE, LTRIM): negative indexes count
/// from the tail, the range is clamped to the list. `None` when empty.
fn clamp_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let start = if start < 0 { len.saturating_add(start).max(0) } else { start };
    let stop = if stop < 0 { len.saturating_add(stop) } else { stop };
    if start > stop || start >= len {
        return None;
    }
    let stop = stop.min(len - 1);
    Some((start as usize, stop as usize))
}

/// A possibly negative index into a list of `len` elements.
fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let index = if index < 0 { len.saturating_add(index) } else { index };
    (0..len).contains(&index).then_some(index as usize)
}

/// Writes popped elements as an array.
fn write_elements<'e>(out: &mut Reply<'_>, elements: impl ExactSizeIterator<Item = &'e [u8]>) {
    out.array(elements.len());
    for element in elements {
        out.bulk(element);
    }
}

/// Redis's event name for a push or a pop at `end`.
fn event_name(end: End, push: bool) -> &'static str {
    match (end, push) {
        (End::Left, true) => "lpush",
        (End::Right, true) => "rpush",
        (End::Left, false) => "lpop",
        (End::Right, false) => "rpop",
    }
}

/// Announces a removal from the list under `key`: `event`, then `del` if
/// the removal emptied (and so deleted) the list.
fn notify_removed(ctx: &mut Ctx<'_>, event: &str, key: &[u8]) {
    ctx.notify(LIST, event, key);
    if !ctx.server.key_events_idle() {
        let now = ctx.now_ms;
        if !ctx.db().contains(key, now) {
            ctx.notify(GENERIC, "del", key);
        }
    }
}

// ---------------------------------------------------------------------------
// Handlers.

fn push_command(ctx: &mut Ctx<'_>, args: Args<'_>, end: End, only_existing: bool) -> CmdResult {
    let key = args.get(1);
    let db = ctx.store.db(ctx.db_index);
    let len = push_to(db, key, end, args.iter().skip(2), only_existing, ctx.now_ms)?;
    ctx.out.int(len as i64);
    if len > 0 {
        ctx.notify(LIST, event_name(end, true), key);
    }
    Ok(())
}

fn lpush(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    push_command(ctx, args, End::Left, false)
}

fn rpush(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    push_command(ctx, args, End::Right, false)
}

fn lpushx(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    push_command(ctx, args, End::Left, true)
}

fn rpushx(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    push_command(ctx, args, End::Right, true)
}

/// `LPOP key [count]` / `RPOP key [count]`: without a count a bulk string
/// (or null); with one an array (null array for a missing key, empty
/// array for count 0).
fn pop_command(ctx: &mut Ctx<'_>, args: Args<'_>, end: End) -> CmdResult {
    if args.len() > 3 {
        let name = if end == End::Left { "lpop" } else { "rpop" };
        return Err(CmdError::Owned(format!("ERR wrong number of arguments for '{name}' command")));
    }
    let count = if args.len() == 3 { Some(parse_non_negative(args.get(2), NOT_POSITIVE)?) } else { None };
    let (key, now) = (args.get(1), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    let out = &mut ctx.out;
    let popped = match count {
        None => pop_from(db, key, end, 1, now, |mut elements| out.bulk(elements.next().unwrap_or_default()))?,
        Some(0) => {
            // Nothing is popped, so nothing is announced.
            match list_ref(db, key, now)? {
                Some(_) => out.array(0),
                None => out.null_array(),
            }
            return Ok(());
        }
        Some(count) => pop_from(db, key, end, count, now, |elements| write_elements(out, elements))?,
    };
    match (popped, count) {
        (Some(()), _) => notify_removed(ctx, event_name(end, false), key),
        (None, None) => ctx.out.null(),
        (None, Some(_)) => ctx.out.null_array(),
    }
    Ok(())
}

fn lpop(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    pop_command(ctx, args, End::Left)
}

fn rpop(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    pop_command(ctx, args, End::Right)
}

fn llen(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let len = list_ref(db, args.get(1), ctx.now_ms)?.map_or(0, List::len);
    ctx.out.int(len as i64);
    Ok(())
}

fn lrange(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let start = parse_i64(args.get(2))?;
    let stop = parse_i64(args.get(3))?;
    let db = ctx.store.db(ctx.db_index);
    let Some(list) = list_ref(db, args.get(1), ctx.now_ms)? else {
        ctx.out.array(0);
        return Ok(());
    };
    match clamp_range(start, stop, list.len()) {
        Some((first, last)) => write_elements(&mut ctx.out, list.iter_from(first).take(last - first + 1)),
        None => ctx.out.array(0),
    }
    Ok(())
}

fn lindex(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let Some(list) = list_ref(db, args.get(1), ctx.now_ms)? else {
        ctx.out.null();
        return Ok(());
    };
    let index = parse_i64(args.get(2))?;
    match resolve_index(index, list.len()).and_then(|i| list.get(i)) {
        Some(element) => ctx.out.bulk(element),
        None => ctx.out.null(),
    }
    Ok(())
}

fn lset(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let key = args.get(1);
    let db = ctx.store.db(ctx.db_index);
    let list = list_mut(db, key, ctx.now_ms)?.ok_or(CmdError::NoSuchKey)?;
    let index = parse_i64(args.get(2))?;
    let index = resolve_index(index, list.len()).ok_or(CmdError::Static("ERR index out of range"))?;
    list.set(index, args.get(3));
    ctx.out.ok();
    ctx.notify(LIST, "lset", key);
    Ok(())
}

/// `LREM key count element`: count > 0 removes from the head, < 0 from
/// the tail, 0 every match.
fn lrem(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let count = parse_i64(args.get(2))?;
    let (key, now) = (args.get(1), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    let Some(list) = list_mut(db, key, now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let from = if count < 0 { End::Right } else { End::Left };
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = list.remove_matches(args.get(3), limit, from);
    remove_if_empty(db, key, now);
    ctx.out.int(removed as i64);
    if removed > 0 {
        notify_removed(ctx, "lrem", key);
    }
    Ok(())
}

fn ltrim(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let start = parse_i64(args.get(2))?;
    let stop = parse_i64(args.get(3))?;
    let (key, now) = (args.get(1), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    let Some(list) = list_mut(db, key, now)? else {
        ctx.out.ok();
        return Ok(());
    };
    let len = list.len();
    match clamp_range(start, stop, len) {
        Some((first, last)) => {
            list.remove_end(End::Right, len - 1 - last);
            list.remove_end(End::Left, first);
        }
        None => {
            db.remove(key, now);
        }
    }
    ctx.out.ok();
    // Redis announces `ltrim` even when nothing was trimmed.
    notify_removed(ctx, "ltrim", key);
    Ok(())
}

fn linsert(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let after = match args.get(2) {
        w if is(w, "after") => true,
        w if is(w, "before") => false,
        _ => return Err(CmdError::Syntax),
    };
    let key = args.get(1);
    let db = ctx.store.db(ctx.db_index);
    let Some(list) = list_mut(db, key, ctx.now_ms)? else {
        ctx.out.int(0);
        return Ok(());
    };
    if list.insert_by_pivot(args.get(3), args.get(4), after) {
        ctx.out.int(list.len() as i64);
        ctx.notify(LIST, "linsert", key);
    } else {
        ctx.out.int(-1);
    }
    Ok(())
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`.
fn lpos(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut max_len: usize = 0;
    let mut i = 3;
    while i < args.len() {
        let (option, has_value) = (args.get(i), i + 1 < args.len());
        if is(option, "rank") && has_value {
            rank = parse_i64(args.get(i + 1))?;
            if rank == 0 {
                return Err(CmdError::Static(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
                     or use negative to start from the end of the list",
                ));
            }
        } else if is(option, "count") && has_value {
            count = Some(parse_non_negative(args.get(i + 1), "ERR COUNT can't be negative")?);
        } else if is(option, "maxlen") && has_value {
            max_len = parse_non_negative(args.get(i + 1), "ERR MAXLEN can't be negative")?;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let from = if rank < 0 { End::Right } else { End::Left };
    // Matches to pass over before reporting. Redis 7.0 negates the rank
    // with signed overflow, so `RANK -9223372036854775808` reports the
    // first match from the tail; keep that.
    let skip = if rank == i64::MIN { 0 } else { rank.unsigned_abs() - 1 };
    let db = ctx.store.db(ctx.db_index);
    let Some(list) = list_ref(db, args.get(1), ctx.now_ms)? else {
        match count {
            Some(_) => ctx.out.array(0),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    let (element, len) = (args.get(2), list.len());
    let scanned = if max_len == 0 { len } else { max_len.min(len) };
    let wanted = match count {
        None | Some(0) => usize::MAX,
        Some(n) => n,
    };
    let mut seen: u64 = 0;
    let mut found: Vec<usize> = Vec::new();
    for (step, candidate) in list.iter_from_end(from).take(scanned).enumerate() {
        if candidate != element {
            continue;
        }
        seen += 1;
        if seen > skip {
            found.push(if from == End::Left { step } else { len - 1 - step });
            if count.is_none() || found.len() >= wanted {
                break;
            }
        }
    }
    match count {
        Some(_) => {
            ctx.out.array(found.len());
            for index in found {
                ctx.out.int(index as i64);
            }
        }
        None => match found.first() {
            Some(&index) => ctx.out.int(index as i64),
            None => ctx.out.null(),
        },
    }
    Ok(())
}

fn move_command(ctx: &mut Ctx<'_>, args: Args<'_>, from: End, to: End) -> CmdResult {
    let (source, destination) = (args.get(1), args.get(2));
    let db = ctx.store.db(ctx.db_index);
    match move_element(db, source, destination, from, to, ctx.now_ms)? {
        Some(element) => {
            ctx.out.bulk(&element);
            // Redis's order: the push, the pop, then `del` of an emptied
            // source.
            ctx.notify(LIST, event_name(to, true), destination);
            notify_removed(ctx, event_name(from, false), source);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn lmove(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let from = parse_end(args.get(3))?;
    let to = parse_end(args.get(4))?;
    move_command(ctx, args, from, to)
}

fn rpoplpush(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    move_command(ctx, args, End::Right, End::Left)
}

/// The parsed arguments of `LMPOP`/`BLMPOP` from `numkeys` on.
pub struct MultiPop<'a> {
    args: Args<'a>,
    /// Index of the first key in `args`.
    first_key: usize,
    numkeys: usize,
    pub end: End,
    pub count: usize,
}

impl<'a> MultiPop<'a> {
    /// The keys, in the order given.
    pub fn keys(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let args = self.args;
        (self.first_key..self.first_key + self.numkeys).map(move |i| args.get(i))
    }
}

/// Parses `numkeys key [key ...] LEFT|RIGHT [COUNT count]` from
/// `args[from..]`, with Redis's error texts.
pub fn parse_multi_pop(args: Args<'_>, from: usize) -> Result<MultiPop<'_>, CmdError> {
    let numkeys = match parse_i64_opt(args.get(from)) {
        Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => return Err(CmdError::Static("ERR numkeys should be greater than 0")),
    };
    let end_at = numkeys.checked_add(from + 1).filter(|&at| at < args.len()).ok_or(CmdError::Syntax)?;
    let end = parse_end(args.get(end_at))?;
    let mut count = None;
    let mut i = end_at + 1;
    while i < args.len() {
        if count.is_none() && is(args.get(i), "count") && i + 1 < args.len() {
            count = Some(match parse_i64_opt(args.get(i + 1)) {
                Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
                _ => return Err(CmdError::Static("ERR count should be greater than 0")),
            });
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(MultiPop { args, first_key: from + 1, numkeys, end, count: count.unwrap_or(1) })
}

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`: pops from the
/// first non-empty list and answers `[key, [elements]]` (a null array
/// when every list is empty).
fn lmpop(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let request = parse_multi_pop(args, 1)?;
    let now = ctx.now_ms;
    for key in request.keys() {
        let db = ctx.store.db(ctx.db_index);
        let out = &mut ctx.out;
        let popped = pop_from(db, key, request.end, request.count, now, |elements| {
            out.array(2);
            out.bulk(key);
            write_elements(out, elements);
        })?;
        if popped.is_some() {
            notify_removed(ctx, event_name(request.end, false), key);
            return Ok(());
        }
    }
    ctx.out.null_array();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_redis() {
        assert_eq!(clamp_range(0, -1, 3), Some((0, 2)));
        assert_eq!(clamp_range(-100, 100, 3), Some((0, 2)));
        assert_eq!(clamp_range(2, 1, 3), None);
        assert_eq!(clamp_range(3, 5, 3), None);
        assert_eq!(clamp_range(-1, -1, 3), Some((2, 2)));
        assert_eq!(clamp_range(0, -4, 3), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
        assert_eq!(clamp_range(0, 0, 0), None);
        assert_eq!(resolve_index(-1, 3), Some(2));
        assert_eq!(resolve_index(-4, 3), None);
        assert_eq!(resolve_index(3, 3), None);
        assert_eq!(resolve_index(i64::MIN, 3), None);
    }
}
