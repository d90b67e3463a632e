//! Set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP,
//! SRANDMEMBER, SMOVE, SINTER, SUNION, SDIFF, SINTERSTORE, SUNIONSTORE,
//! SDIFFSTORE, SINTERCARD and SSCAN, with Redis 7.0's arguments, replies
//! and errors.
//!
//! The value type is [`crate::store::set::Set`]. Sets never exist empty:
//! removing the last member deletes the key, and a `*STORE` with an empty
//! result deletes the destination. Multi-key commands check the type of
//! every key before doing anything, as Redis does.
//!
//! Complexities (n the set's size, m members named or returned, N the
//! total size of the input sets) are listed on each handler.

use super::args::{parse_card_limit, parse_i64, parse_i64_opt};
use super::keys::{parse_cursor, parse_scan_options, write_scan_reply};
use super::meta::{arg, key};
use super::table::{CommandSpec, Flags, KEY1, NO_KEYS};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::{Args, Reply};
use crate::pubsub::{GENERIC, SET};
use crate::store::glob::glob_match;
use crate::store::set::{Member, Set};
use crate::store::{Db, Ttl, Value, ValueRef};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sadd", -3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, sadd)
        .acl("set")
        .keys(&[key(1, "RW insert")])
        .doc(
            "set",
            "1.0.0",
            "O(1) for each element added, so O(N) to add N elements when \
                the command is called with multiple arguments.",
            "Add one or more members to a set",
        )
        .history(&[("2.4.0", "Accepts multiple `member` arguments.")])
        .args(&[arg::key("key", 0), arg::string("member").multiple()]),
    CommandSpec::new("srem", -3, Flags::WRITE.or(Flags::FAST), KEY1, srem)
        .acl("set")
        .keys(&[key(1, "RW delete")])
        .doc(
            "set",
            "1.0.0",
            "O(N) where N is the number of members to be removed.",
            "Remove one or more members from a set",
        )
        .history(&[("2.4.0", "Accepts multiple `member` arguments.")])
        .args(&[arg::key("key", 0), arg::string("member").multiple()]),
    CommandSpec::new("smembers", 2, Flags::READONLY, KEY1, smembers)
        .acl("set")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output_order")
        .doc("set", "1.0.0", "O(N) where N is the set cardinality.", "Get all the members in a set")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("sismember", 3, Flags::READONLY.or(Flags::FAST), KEY1, sismember)
        .acl("set")
        .keys(&[key(1, "RO")])
        .doc("set", "1.0.0", "O(1)", "Determine if a given value is a member of a set")
        .args(&[arg::key("key", 0), arg::string("member")]),
    CommandSpec::new("smismember", -3, Flags::READONLY.or(Flags::FAST), KEY1, smismember)
        .acl("set")
        .keys(&[key(1, "RO access")])
        .doc(
            "set",
            "6.2.0",
            "O(N) where N is the number of elements being checked for \
                membership",
            "Returns the membership associated with the given elements \
                for a set",
        )
        .args(&[arg::key("key", 0), arg::string("member").multiple()]),
    CommandSpec::new("scard", 2, Flags::READONLY.or(Flags::FAST), KEY1, scard)
        .acl("set")
        .keys(&[key(1, "RO")])
        .doc("set", "1.0.0", "O(1)", "Get the number of members in a set")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("spop", -2, Flags::WRITE.or(Flags::FAST), KEY1, spop)
        .acl("set")
        .keys(&[key(1, "RW access delete")])
        .tips("nondeterministic_output")
        .doc(
            "set",
            "1.0.0",
            "Without the count argument O(1), otherwise O(N) where N is \
                the value of the passed count.",
            "Remove and return one or multiple random members from a set",
        )
        .history(&[("3.2.0", "Added the `count` argument.")])
        .args(&[arg::key("key", 0), arg::integer("count").since("3.2.0").optional()]),
    CommandSpec::new("srandmember", -2, Flags::READONLY, KEY1, srandmember)
        .acl("set")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output")
        .doc(
            "set",
            "1.0.0",
            "Without the count argument O(1), otherwise O(N) where N is \
                the absolute value of the passed count.",
            "Get one or multiple random members from a set",
        )
        .history(&[("2.6.0", "Added the optional `count` argument.")])
        .args(&[arg::key("key", 0), arg::integer("count").since("2.6.0").optional()]),
    CommandSpec::new("smove", 4, Flags::WRITE.or(Flags::FAST), (1, 2, 1), smove)
        .acl("set")
        .keys(&[key(1, "RW access delete"), key(2, "RW insert")])
        .doc("set", "1.0.0", "O(1)", "Move a member from one set to another")
        .args(&[arg::key("source", 0), arg::key("destination", 1), arg::string("member")]),
    CommandSpec::new("sinter", -2, Flags::READONLY, (1, -1, 1), sinter)
        .acl("set")
        .keys(&[key(1, "RO access").range(-1, 1, 0)])
        .tips("nondeterministic_output_order")
        .doc(
            "set",
            "1.0.0",
            "O(N*M) worst case where N is the cardinality of the \
                smallest set and M is the number of sets.",
            "Intersect multiple sets",
        )
        .args(&[arg::key("key", 0).multiple()]),
    CommandSpec::new("sunion", -2, Flags::READONLY, (1, -1, 1), sunion)
        .acl("set")
        .keys(&[key(1, "RO access").range(-1, 1, 0)])
        .tips("nondeterministic_output_order")
        .doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Add multiple sets")
        .args(&[arg::key("key", 0).multiple()]),
    CommandSpec::new("sdiff", -2, Flags::READONLY, (1, -1, 1), sdiff)
        .acl("set")
        .keys(&[key(1, "RO access").range(-1, 1, 0)])
        .tips("nondeterministic_output_order")
        .doc(
            "set",
            "1.0.0",
            "O(N) where N is the total number of elements in all given \
                sets.",
            "Subtract multiple sets",
        )
        .args(&[arg::key("key", 0).multiple()]),
    CommandSpec::new("sinterstore", -3, Flags::WRITE.or(Flags::DENYOOM), (1, -1, 1), sinterstore)
        .acl("set")
        .keys(&[key(1, "RW update"), key(2, "RO access").range(-1, 1, 0)])
        .doc(
            "set",
            "1.0.0",
            "O(N*M) worst case where N is the cardinality of the \
                smallest set and M is the number of sets.",
            "Intersect multiple sets and store the resulting set in a key",
        )
        .args(&[arg::key("destination", 0), arg::key("key", 1).multiple()]),
    CommandSpec::new("sunionstore", -3, Flags::WRITE.or(Flags::DENYOOM), (1, -1, 1), sunionstore)
        .acl("set")
        .keys(&[key(1, "OW update"), key(2, "RO access").range(-1, 1, 0)])
        .doc(
            "set",
            "1.0.0",
            "O(N) where N is the total number of elements in all given \
                sets.",
            "Add multiple sets and store the resulting set in a key",
        )
        .args(&[arg::key("destination", 0), arg::key("key", 1).multiple()]),
    CommandSpec::new("sdiffstore", -3, Flags::WRITE.or(Flags::DENYOOM), (1, -1, 1), sdiffstore)
        .acl("set")
        .keys(&[key(1, "OW update"), key(2, "RO access").range(-1, 1, 0)])
        .doc(
            "set",
            "1.0.0",
            "O(N) where N is the total number of elements in all given \
                sets.",
            "Subtract multiple sets and store the resulting set in a key",
        )
        .args(&[arg::key("destination", 0), arg::key("key", 1).multiple()]),
    CommandSpec::new("sintercard", -3, Flags::READONLY, NO_KEYS, sintercard)
        .acl("set")
        .keys(&[key(1, "RO access").numkeys(0, 1, 1)])
        .doc(
            "set",
            "7.0.0",
            "O(N*M) worst case where N is the cardinality of the \
                smallest set and M is the number of sets.",
            "Intersect multiple sets and return the cardinality of the \
                result",
        )
        .args(&[
            arg::integer("numkeys"),
            arg::key("key", 0).multiple(),
            arg::integer("limit").token("LIMIT").optional(),
        ]),
    CommandSpec::new("sscan", -3, Flags::READONLY, KEY1, sscan)
        .acl("set")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output")
        .doc(
            "set",
            "2.8.0",
            "O(1) for every call. O(N) for a complete iteration, \
                including enough command calls for the cursor to return \
                back to 0. N is the number of elements inside the \
                collection..",
            "Incrementally iterate Set elements",
        )
        .args(&[
            arg::key("key", 0),
            arg::integer("cursor"),
            arg::pattern("pattern").token("MATCH").optional(),
            arg::integer("count").token("COUNT").optional(),
        ]),
];

/// Most members a negative `SRANDMEMBER`/`ZRANDMEMBER` count may ask for.
/// Redis has no limit and builds the whole reply in memory, so a count
/// such as -9223372036854775807 exhausts the machine; Efis refuses counts
/// whose reply could not be held anyway.
pub const MAX_RANDOM_REPEATS: u64 = 1 << 24;

/// The error for a negative random count beyond [`MAX_RANDOM_REPEATS`].
pub fn too_many_repeats() -> CmdError {
    CmdError::Static("ERR value is out of range, a negative count may ask for at most 16777216 members")
}

/// `SRANDMEMBER`'s and `ZRANDMEMBER`'s count: any i64 but the lowest.
pub fn parse_random_count(arg: &[u8]) -> Result<i64, CmdError> {
    match parse_i64(arg)? {
        i64::MIN => Err(CmdError::Static(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        )),
        n => Ok(n),
    }
}

/// `SPOP`'s and `ZPOPMIN`'s count: a non-negative integer; anything else
/// is Redis's "must be positive" error.
pub fn parse_pop_count(arg: &[u8]) -> Result<usize, CmdError> {
    parse_i64_opt(arg)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or(CmdError::Static("ERR value is out of range, must be positive"))
}

/// The set under `key`: `None` if there is no such key, `WrongType` if
/// the key holds another type.
pub fn set_ref<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a Set>, CmdError> {
    Ok(db.get_as(key, now)?)
}

/// [`set_ref`] for changing the set in place.
pub fn set_mut<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a mut Set>, CmdError> {
    Ok(db.get_mut_as(key, now)?)
}

/// The sets under `keys`, `None` for missing keys. Every key is looked up
/// (expiring it if due) and type-checked before any is read.
fn load_sets<'a>(db: &'a mut Db, keys: &[&[u8]], now: i64) -> Result<Vec<Option<&'a Set>>, CmdError> {
    for key in keys {
        set_ref(db, key, now)?;
    }
    let db: &'a Db = db;
    Ok(keys
        .iter()
        .map(|key| match db.peek(key, now).map(|e| e.value()) {
            Some(ValueRef::Set(set)) => Some(set),
            _ => None,
        })
        .collect())
}

/// SADD key member [member ...]: O(m).
fn sadd(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    let added = match set_mut(db, key, now)? {
        Some(set) => args.iter().skip(2).filter(|m| set.insert(m)).count(),
        None => {
            let set = Set::from_members(args.iter().skip(2));
            let added = set.len();
            db.set(key, Value::Set(Box::new(set)), Ttl::Clear, now);
            added
        }
    };
    ctx.out.int(added as i64);
    if added > 0 {
        ctx.notify(SET, "sadd", key);
    }
    Ok(())
}

/// SREM key member [member ...]: O(m).
fn srem(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    let Some(set) = set_mut(db, key, now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let removed = args.iter().skip(2).filter(|m| set.remove(m)).count();
    let emptied = set.is_empty();
    if emptied {
        db.remove(key, now);
    }
    ctx.out.int(removed as i64);
    if removed > 0 {
        ctx.notify(SET, "srem", key);
        if emptied {
            ctx.notify(GENERIC, "del", key);
        }
    }
    Ok(())
}

/// SMEMBERS key: O(n). A RESP3 set.
fn smembers(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    match set_ref(db, args.get(1), ctx.now_ms)? {
        None => ctx.out.set(0),
        Some(set) => {
            ctx.out.set(set.len());
            for member in set.iter() {
                ctx.out.bulk(&member);
            }
        }
    }
    Ok(())
}

/// SISMEMBER key member: O(1).
fn sismember(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let found = set_ref(db, args.get(1), ctx.now_ms)?.is_some_and(|set| set.contains(args.get(2)));
    ctx.out.int(found as i64);
    Ok(())
}

/// SMISMEMBER key member [member ...]: O(m).
fn smismember(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let set = set_ref(db, args.get(1), ctx.now_ms)?;
    ctx.out.array(args.len() - 2);
    for member in args.iter().skip(2) {
        ctx.out.int(set.is_some_and(|s| s.contains(member)) as i64);
    }
    Ok(())
}

/// SCARD key: O(1).
fn scard(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let len = set_ref(db, args.get(1), ctx.now_ms)?.map_or(0, Set::len);
    ctx.out.int(len as i64);
    Ok(())
}

/// Redis's `SPOP_MOVE_STRATEGY_MUL`: a `SPOP` with a count pops members
/// one by one while more than a fifth of the count stay, and otherwise
/// draws the members that stay.
const SPOP_KEEP_RATIO: usize = 5;

/// SPOP key [count]: O(1) without a count, O(count) with one.
fn spop(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let count = match args.len() {
        2 => None,
        3 => Some(parse_pop_count(args.get(2))?),
        _ => return Err(CmdError::Syntax),
    };
    let db = ctx.store.db(ctx.db_index);
    let Some(set) = set_mut(db, key, now)? else {
        match count {
            None => ctx.out.null(),
            Some(_) => ctx.out.set(0),
        }
        return Ok(());
    };
    // What was popped, for the log: `SREM` of those members, or `DEL`.
    let mut popped: Vec<Vec<u8>> = Vec::new();
    let emptied = match count {
        None => {
            let member = set.pop_random(ctx.server.random()).unwrap_or_default();
            ctx.out.bulk(&member);
            popped.push(member);
            set.is_empty()
        }
        Some(0) => {
            ctx.out.set(0);
            return Ok(());
        }
        Some(count) if count >= set.len() => {
            ctx.out.set(set.len());
            for member in set.iter() {
                ctx.out.bulk(&member);
            }
            true
        }
        Some(count) if (set.len() - count) * SPOP_KEEP_RATIO > count => {
            ctx.out.set(count);
            for _ in 0..count {
                let member = set.pop_random(ctx.server.random()).unwrap_or_default();
                ctx.out.bulk(&member);
                popped.push(member);
            }
            false
        }
        Some(count) => {
            // Few members stay: as Redis does, draw those, answer the
            // others in the set's order (numeric for an integer set), and
            // put the drawn ones back. (Redis keeps them as a set built
            // afresh, which can turn a table of integers back into an
            // intset; Efis keeps the form, so that the `SREM` logged
            // replays to the same form.)
            let kept: Vec<Vec<u8>> = (count..set.len()).filter_map(|_| set.pop_random(ctx.server.random())).collect();
            ctx.out.set(set.len());
            for member in set.iter() {
                ctx.out.bulk(&member);
                popped.push(member.into_owned());
            }
            set.clear_and_insert(kept.iter().map(Vec::as_slice));
            false
        }
    };
    if emptied {
        db.remove(key, now);
    }
    if emptied && popped.len() != 1 {
        ctx.log_as(&[b"DEL", key]);
    } else {
        let mut srem: Vec<&[u8]> = vec![b"SREM", key];
        srem.extend(popped.iter().map(Vec::as_slice));
        ctx.log_as(&srem);
    }
    ctx.notify(SET, "spop", key);
    if emptied {
        ctx.notify(GENERIC, "del", key);
    }
    Ok(())
}

/// SRANDMEMBER key [count]: O(1) without a count, O(|count|) with one.
fn srandmember(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let count = match args.len() {
        2 => None,
        3 => Some(parse_random_count(args.get(2))?),
        _ => return Err(CmdError::Syntax),
    };
    let db = ctx.store.db(ctx.db_index);
    let set = set_ref(db, args.get(1), ctx.now_ms)?;
    let random = &mut ctx.server;
    match (set, count) {
        (None, None) => ctx.out.null(),
        (Some(set), None) => ctx.out.bulk(&set.random_member(random.random()).unwrap_or_default()),
        (None, Some(_)) | (_, Some(0)) => ctx.out.array(0),
        (Some(set), Some(count)) if count < 0 => {
            let repeats = count.unsigned_abs();
            if repeats > MAX_RANDOM_REPEATS {
                return Err(too_many_repeats());
            }
            ctx.out.array(repeats as usize);
            for _ in 0..repeats {
                ctx.out.bulk(&set.random_member(random.random()).unwrap_or_default());
            }
        }
        (Some(set), Some(count)) => {
            let count = usize::try_from(count).unwrap_or(usize::MAX);
            let picked = set.random_distinct(count, || random.random());
            ctx.out.array(picked.len());
            for member in picked {
                ctx.out.bulk(&member);
            }
        }
    }
    Ok(())
}

/// SMOVE source destination member: O(1).
fn smove(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (source, destination, member, now) = (args.get(1), args.get(2), args.get(3), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    if set_ref(db, source, now)?.is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    set_ref(db, destination, now)?;
    if source == destination {
        let found = set_ref(db, source, now)?.is_some_and(|s| s.contains(member));
        ctx.out.int(found as i64);
        return Ok(());
    }
    let Some(from) = set_mut(db, source, now)? else { return Ok(()) };
    if !from.remove(member) {
        ctx.out.int(0);
        return Ok(());
    }
    let emptied = from.is_empty();
    if emptied {
        db.remove(source, now);
    }
    let added = match set_mut(db, destination, now)? {
        Some(to) => to.insert(member),
        None => {
            db.set(destination, Value::Set(Box::new(Set::from_members([member]))), Ttl::Clear, now);
            true
        }
    };
    ctx.out.int(1);
    ctx.notify(SET, "srem", source);
    if emptied {
        ctx.notify(GENERIC, "del", source);
    }
    if added {
        ctx.notify(SET, "sadd", destination);
    }
    Ok(())
}

/// The set algebra operations.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Inter,
    Union,
    Diff,
}

/// The members of the intersection, union or difference of `sets` (the
/// first minus all others for `Diff`), `None` standing for an empty set.
/// For k sets: intersection walks the smallest set and probes the others,
/// O(n_min * k); union is O(N), N the total size; difference walks the
/// first set and probes the others, O(n_first * k).
fn combine<'a>(sets: &[Option<&'a Set>], op: SetOp) -> Vec<Member<'a>> {
    match op {
        SetOp::Inter => {
            let Some(mut present) = sets.iter().copied().collect::<Option<Vec<&Set>>>() else { return Vec::new() };
            present.sort_by_key(|s| s.len());
            let (smallest, others) = present.split_first().expect("at least one key");
            smallest.iter().filter(|m| others.iter().all(|s| s.contains(m))).collect()
        }
        SetOp::Union => {
            // Sized for every input member: they arrive in hash order.
            let mut seen = Set::with_capacity(sets.iter().flatten().map(|s| s.len()).sum());
            let mut out = Vec::new();
            for set in sets.iter().flatten() {
                for member in set.iter() {
                    if seen.insert(&member) {
                        out.push(member);
                    }
                }
            }
            out
        }
        SetOp::Diff => {
            let Some(Some(first)) = sets.first() else { return Vec::new() };
            let others: Vec<&Set> = sets[1..].iter().flatten().copied().collect();
            first.iter().filter(|m| !others.iter().any(|s| s.contains(m))).collect()
        }
    }
}

/// SINTER/SUNION/SDIFF key [key ...]: a RESP3 set. SINTER answers in
/// the order of the smallest set; SUNION and SDIFF, as in Redis, build the
/// result set first and answer in its order (numeric when it is a small
/// integer set).
fn set_op_reply(ctx: &mut Ctx<'_>, args: Args<'_>, op: SetOp) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let keys: Vec<&[u8]> = args.iter().skip(1).collect();
    let sets = load_sets(db, &keys, ctx.now_ms)?;
    let members = combine(&sets, op);
    if op == SetOp::Inter {
        write_members(&mut ctx.out, members.len(), members.into_iter());
    } else {
        let result = Set::from_members(members.iter().map(|m| &m[..]));
        write_members(&mut ctx.out, result.len(), result.iter());
    }
    Ok(())
}

/// A RESP3 set of `len` members.
fn write_members<'a>(out: &mut Reply<'_>, len: usize, members: impl Iterator<Item = Member<'a>>) {
    out.set(len);
    for member in members {
        out.bulk(&member);
    }
}

/// SINTERSTORE/SUNIONSTORE/SDIFFSTORE destination key [key ...]: the
/// result replaces the destination (whatever its type); an empty result
/// deletes it.
fn set_op_store(ctx: &mut Ctx<'_>, args: Args<'_>, op: SetOp, event: &str) -> CmdResult {
    let (destination, now) = (args.get(1), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    let keys: Vec<&[u8]> = args.iter().skip(2).collect();
    let sets = load_sets(db, &keys, now)?;
    let result = Set::from_members(combine(&sets, op).iter().map(|m| &m[..]));
    let len = result.len();
    if len == 0 {
        let existed = db.remove(destination, now).is_some();
        ctx.out.int(0);
        if existed {
            ctx.notify(GENERIC, "del", destination);
        }
    } else {
        db.set(destination, Value::Set(Box::new(result)), Ttl::Clear, now);
        ctx.out.int(len as i64);
        ctx.notify(SET, event, destination);
    }
    Ok(())
}

/// SINTER key [key ...]: O(N*k), N the smallest set's size, k the keys.
fn sinter(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    set_op_reply(ctx, args, SetOp::Inter)
}

/// SUNION key [key ...]: O(N), N the total size of the sets.
fn sunion(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    set_op_reply(ctx, args, SetOp::Union)
}

/// SDIFF key [key ...]: O(n * k), n the first set's size, k the keys.
fn sdiff(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    set_op_reply(ctx, args, SetOp::Diff)
}

fn sinterstore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    set_op_store(ctx, args, SetOp::Inter, "sinterstore")
}

fn sunionstore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    set_op_store(ctx, args, SetOp::Union, "sunionstore")
}

fn sdiffstore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    set_op_store(ctx, args, SetOp::Diff, "sdiffstore")
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]: O(N*k) like SINTER,
/// stopping early at the limit.
fn sintercard(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let numkeys = parse_i64_opt(args.get(1))
        .filter(|&n| n >= 1)
        .ok_or(CmdError::Static("ERR numkeys should be greater than 0"))?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > args.len() - 2 {
        return Err(CmdError::Static("ERR Number of keys can't be greater than number of args"));
    }
    let limit = parse_card_limit(args, 2 + numkeys)?;
    let db = ctx.store.db(ctx.db_index);
    let keys: Vec<&[u8]> = args.iter().skip(2).take(numkeys).collect();
    let sets = load_sets(db, &keys, ctx.now_ms)?;
    let count = match sets.iter().copied().collect::<Option<Vec<&Set>>>() {
        None => 0,
        Some(mut present) => {
            present.sort_by_key(|s| s.len());
            let (smallest, others) = present.split_first().expect("numkeys >= 1");
            let common = smallest.iter().filter(|m| others.iter().all(|s| s.contains(m)));
            if limit > 0 {
                common.take(limit).count()
            } else {
                common.count()
            }
        }
    };
    ctx.out.int(count as i64);
    Ok(())
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]: O(count) a call, O(n)
/// for a whole scan; every member present for the whole scan is returned.
fn sscan(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let cursor = parse_cursor(args.get(2))?;
    let db = ctx.store.db(ctx.db_index);
    let Some(set) = set_ref(db, args.get(1), ctx.now_ms)? else {
        write_scan_reply(&mut ctx.out, 0, &[]);
        return Ok(());
    };
    let options = parse_scan_options(args, 3, false)?;
    let mut found = Vec::new();
    let next = set.scan(cursor, options.count, |member| {
        if options.pattern.is_none_or(|p| glob_match(p, &member)) {
            found.push(member);
        }
    });
    let found: Vec<&[u8]> = found.iter().map(|m| &m[..]).collect();
    write_scan_reply(&mut ctx.out, next, &found);
    Ok(())
}
