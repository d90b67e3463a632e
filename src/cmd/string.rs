//! String commands: SET and its variants, GET family, counters, ranges.
//!
//! Values are stored inline in the key's entry; strings that grow through
//! `APPEND`/`SETRANGE` beyond [`INLINE_GROWTH_LIMIT`] move to a growable
//! boxed buffer so that repeated appends stay linear.

use super::args::{is, parse_i64};
use super::longdouble::{self, LongDouble};
use super::meta::{arg, key, key_flag_bits};
use super::table::{CommandSpec, Flags, KEY1};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::{format_i64, Args};
use crate::pubsub::{GENERIC, STRING};
use crate::store::{Db, Ttl, Value, ValueMut, ValueRef};

/// Largest string value (Redis's `proto-max-bulk-len`).
pub const MAX_STRING_LEN: usize = 512 * 1024 * 1024;
/// Strings grown in place past this size become growable buffers.
const INLINE_GROWTH_LIMIT: usize = 64;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("set", -3, Flags::WRITE.or(Flags::DENYOOM), KEY1, set)
        .acl("string")
        .keys(&[key(1, "RW access update variable_flags").note("RW and ACCESS due to the optional `GET` argument")])
        .variable_key_flags(set_key_flags)
        .doc("string", "1.0.0", "O(1)", "Set the string value of a key")
        .history(&[
            ("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."),
            ("6.0.0", "Added the `KEEPTTL` option."),
            ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."),
            ("7.0.0", "Allowed the `NX` and `GET` options to be used together."),
        ])
        .args(&[
            arg::key("key", 0),
            arg::string("value"),
            arg::oneof("condition", &[arg::token("nx", "NX"), arg::token("xx", "XX")]).since("2.6.12").optional(),
            arg::token("get", "GET").since("6.2.0").optional(),
            arg::oneof(
                "expiration",
                &[
                    arg::integer("seconds").token("EX").since("2.6.12"),
                    arg::integer("milliseconds").token("PX").since("2.6.12"),
                    arg::unix_time("unix-time-seconds").token("EXAT").since("6.2.0"),
                    arg::unix_time("unix-time-milliseconds").token("PXAT").since("6.2.0"),
                    arg::token("keepttl", "KEEPTTL").since("6.0.0"),
                ],
            )
            .optional(),
        ]),
    CommandSpec::new("get", 2, Flags::READONLY.or(Flags::FAST), KEY1, get)
        .acl("string")
        .keys(&[key(1, "RO access")])
        .doc("string", "1.0.0", "O(1)", "Get the value of a key")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("getset", 3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, getset)
        .acl("string")
        .keys(&[key(1, "RW access update")])
        .doc("string", "1.0.0", "O(1)", "Set the string value of a key and return its old value")
        .args(&[arg::key("key", 0), arg::string("value")])
        .deprecated("6.2.0", "`SET` with the `!GET` argument"),
    CommandSpec::new("getdel", 2, Flags::WRITE.or(Flags::FAST), KEY1, getdel)
        .acl("string")
        .keys(&[key(1, "RW access delete")])
        .doc("string", "6.2.0", "O(1)", "Get the value of a key and delete the key")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("getex", -2, Flags::WRITE.or(Flags::FAST), KEY1, getex)
        .acl("string")
        .keys(&[key(1, "RW access update").note("RW and UPDATE because it changes the TTL")])
        .doc("string", "6.2.0", "O(1)", "Get the value of a key and optionally set its expiration")
        .args(&[
            arg::key("key", 0),
            arg::oneof(
                "expiration",
                &[
                    arg::integer("seconds").token("EX"),
                    arg::integer("milliseconds").token("PX"),
                    arg::unix_time("unix-time-seconds").token("EXAT"),
                    arg::unix_time("unix-time-milliseconds").token("PXAT"),
                    arg::token("persist", "PERSIST"),
                ],
            )
            .optional(),
        ]),
    CommandSpec::new("setnx", 3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, setnx)
        .acl("string")
        .keys(&[key(1, "OW insert")])
        .doc("string", "1.0.0", "O(1)", "Set the value of a key, only if the key does not exist")
        .args(&[arg::key("key", 0), arg::string("value")]),
    CommandSpec::new("setex", 4, Flags::WRITE.or(Flags::DENYOOM), KEY1, setex)
        .acl("string")
        .keys(&[key(1, "OW update")])
        .doc("string", "2.0.0", "O(1)", "Set the value and expiration of a key")
        .args(&[arg::key("key", 0), arg::integer("seconds"), arg::string("value")]),
    CommandSpec::new("psetex", 4, Flags::WRITE.or(Flags::DENYOOM), KEY1, psetex)
        .acl("string")
        .keys(&[key(1, "OW update")])
        .doc("string", "2.6.0", "O(1)", "Set the value and expiration in milliseconds of a key")
        .args(&[arg::key("key", 0), arg::integer("milliseconds"), arg::string("value")]),
    CommandSpec::new("mset", -3, Flags::WRITE.or(Flags::DENYOOM), (1, -1, 2), mset)
        .acl("string")
        .keys(&[key(1, "OW update").range(-1, 2, 0)])
        .tips("request_policy:multi_shard response_policy:all_succeeded")
        .doc("string", "1.0.1", "O(N) where N is the number of keys to set.", "Set multiple keys to multiple values")
        .args(&[arg::block("key_value", &[arg::key("key", 0), arg::string("value")]).multiple()]),
    CommandSpec::new("msetnx", -3, Flags::WRITE.or(Flags::DENYOOM), (1, -1, 2), msetnx)
        .acl("string")
        .keys(&[key(1, "OW insert").range(-1, 2, 0)])
        .tips("request_policy:multi_shard response_policy:agg_min")
        .doc(
            "string",
            "1.0.1",
            "O(N) where N is the number of keys to set.",
            "Set multiple keys to multiple values, only if none of the \
                keys exist",
        )
        .args(&[arg::block("key_value", &[arg::key("key", 0), arg::string("value")]).multiple()]),
    CommandSpec::new("mget", -2, Flags::READONLY.or(Flags::FAST), (1, -1, 1), mget)
        .acl("string")
        .keys(&[key(1, "RO access").range(-1, 1, 0)])
        .tips("request_policy:multi_shard")
        .doc(
            "string",
            "1.0.0",
            "O(N) where N is the number of keys to retrieve.",
            "Get the values of all the given keys",
        )
        .args(&[arg::key("key", 0).multiple()]),
    CommandSpec::new("append", 3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, append)
        .acl("string")
        .keys(&[key(1, "RW insert")])
        .doc(
            "string",
            "2.0.0",
            "O(1). The amortized time complexity is O(1) assuming the \
                appended value is small and the already present value is of \
                any size, since the dynamic string library used by Redis \
                will double the free space available on every reallocation.",
            "Append a value to a key",
        )
        .args(&[arg::key("key", 0), arg::string("value")]),
    CommandSpec::new("strlen", 2, Flags::READONLY.or(Flags::FAST), KEY1, strlen)
        .acl("string")
        .keys(&[key(1, "RO")])
        .doc("string", "2.2.0", "O(1)", "Get the length of the value stored in a key")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("getrange", 4, Flags::READONLY, KEY1, getrange)
        .acl("string")
        .keys(&[key(1, "RO access")])
        .doc(
            "string",
            "2.4.0",
            "O(N) where N is the length of the returned string. The \
                complexity is ultimately determined by the returned length, \
                but because creating a substring from an existing string is \
                very cheap, it can be considered O(1) for small strings.",
            "Get a substring of the string stored at a key",
        )
        .args(&[arg::key("key", 0), arg::integer("start"), arg::integer("end")]),
    CommandSpec::new("substr", 4, Flags::READONLY, KEY1, getrange)
        .acl("string")
        .keys(&[key(1, "RO access")])
        .doc(
            "string",
            "1.0.0",
            "O(N) where N is the length of the returned string. The \
                complexity is ultimately determined by the returned length, \
                but because creating a substring from an existing string is \
                very cheap, it can be considered O(1) for small strings.",
            "Get a substring of the string stored at a key",
        )
        .args(&[arg::key("key", 0), arg::integer("start"), arg::integer("end")])
        .deprecated("2.0.0", "`GETRANGE`"),
    CommandSpec::new("setrange", 4, Flags::WRITE.or(Flags::DENYOOM), KEY1, setrange)
        .acl("string")
        .keys(&[key(1, "RW update")])
        .doc(
            "string",
            "2.2.0",
            "O(1), not counting the time taken to copy the new string in \
                place. Usually, this string is very small so the amortized \
                complexity is O(1). Otherwise, complexity is O(M) with M \
                being the length of the value argument.",
            "Overwrite part of a string at key starting at the specified \
                offset",
        )
        .args(&[arg::key("key", 0), arg::integer("offset"), arg::string("value")]),
    CommandSpec::new("incr", 2, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, incr)
        .acl("string")
        .keys(&[key(1, "RW access update")])
        .doc("string", "1.0.0", "O(1)", "Increment the integer value of a key by one")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("increment", 2, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, incr)
        .acl("string")
        .keys(&[key(1, "RW access update")])
        .doc("string", "1.0.0", "O(1)", "Increment the integer value of a key by one")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("decr", 2, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, decr)
        .acl("string")
        .keys(&[key(1, "RW access update")])
        .doc("string", "1.0.0", "O(1)", "Decrement the integer value of a key by one")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("decrement", 2, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, decr)
        .acl("string")
        .keys(&[key(1, "RW access update")])
        .doc("string", "1.0.0", "O(1)", "Decrement the integer value of a key by one")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("incrby", 3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, incrby)
        .acl("string")
        .keys(&[key(1, "RW access update")])
        .doc("string", "1.0.0", "O(1)", "Increment the integer value of a key by the given amount")
        .args(&[arg::key("key", 0), arg::integer("increment")]),
    CommandSpec::new("decrby", 3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, decrby)
        .acl("string")
        .keys(&[key(1, "RW access update")])
        .doc("string", "1.0.0", "O(1)", "Decrement the integer value of a key by the given number")
        .args(&[arg::key("key", 0), arg::integer("decrement")]),
    CommandSpec::new("incrbyfloat", 3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, incrbyfloat)
        .acl("string")
        .keys(&[key(1, "RW access update")])
        .doc("string", "2.6.0", "O(1)", "Increment the float value of a key by the given amount")
        .args(&[arg::key("key", 0), arg::double("increment")]),
];

/// The string under `key`, `None` if absent, `WrongType` if another type.
#[inline]
pub fn string_of<'a>(db: &'a mut Db, key: &[u8], now_ms: i64) -> Result<Option<&'a [u8]>, CmdError> {
    match db.get(key, now_ms) {
        None => Ok(None),
        Some(entry) => match entry.value() {
            ValueRef::Str(s) => Ok(Some(s)),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// Units of an expiry argument.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Millis,
}

/// Turns an expiry argument into absolute Unix milliseconds, or `None`
/// when it would overflow. `absolute` arguments are already timestamps.
pub fn to_expire_ms(amount: i64, unit: TimeUnit, absolute: bool, now_ms: i64) -> Option<i64> {
    let ms = match unit {
        TimeUnit::Seconds => amount.checked_mul(1000)?,
        TimeUnit::Millis => amount,
    };
    if absolute {
        Some(ms)
    } else {
        ms.checked_add(now_ms)
    }
}

fn invalid_expire(command: &str) -> CmdError {
    CmdError::Owned(format!("ERR invalid expire time in '{command}' command"))
}

/// Parses a positive expiry amount for SET/GETEX/SETEX.
fn positive_expire(arg: &[u8], unit: TimeUnit, absolute: bool, now_ms: i64, command: &str) -> Result<i64, CmdError> {
    let amount = parse_i64(arg)?;
    if amount <= 0 {
        return Err(invalid_expire(command));
    }
    to_expire_ms(amount, unit, absolute, now_ms).ok_or_else(|| invalid_expire(command))
}

/// `SET`'s key reads the old value only with `GET`.
fn set_key_flags(args: Args<'_>) -> u16 {
    if args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get")) {
        const { key_flag_bits("RW access update") }
    } else {
        const { key_flag_bits("OW update") }
    }
}

fn set(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, value) = (args.get(1), args.get(2));
    let (mut nx, mut xx, mut get, mut keep_ttl) = (false, false, false, false);
    let mut expire: Option<i64> = None;
    // Which of EX/PX/EXAT/PXAT was given: repeating the same one is
    // allowed (the last wins), mixing them is a syntax error.
    let mut expire_kind: Option<&str> = None;
    let mut i = 3;
    while i < args.len() {
        let opt = args.get(i);
        let has_next = i + 1 < args.len();
        let expiry_kind = [("ex", TimeUnit::Seconds, false), ("px", TimeUnit::Millis, false)]
            .into_iter()
            .chain([("exat", TimeUnit::Seconds, true), ("pxat", TimeUnit::Millis, true)])
            .find(|(name, _, _)| is(opt, name));
        if is(opt, "nx") && !xx {
            nx = true;
        } else if is(opt, "xx") && !nx {
            xx = true;
        } else if is(opt, "get") {
            get = true;
        } else if is(opt, "keepttl") && expire.is_none() {
            keep_ttl = true;
        } else if let (Some((name, unit, absolute)), true, false) = (expiry_kind, has_next, keep_ttl) {
            if expire_kind.is_some_and(|k| k != name) {
                return Err(CmdError::Syntax);
            }
            expire_kind = Some(name);
            i += 1;
            expire = Some(positive_expire(args.get(i), unit, absolute, ctx.now_ms, "set")?);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let now = ctx.now_ms;
    let db = ctx.store.db(ctx.db_index);
    // Only `GET` cares about the old value's type: a plain SET replaces a
    // value of any type.
    let exists = if get {
        let old = string_of(db, key, now)?;
        ctx.out.bulk_or_null(old);
        old.is_some()
    } else {
        db.contains(key, now)
    };
    if (nx && exists) || (xx && !exists) {
        if !get {
            ctx.out.null();
        }
        return Ok(());
    }
    let ttl = match (expire, keep_ttl) {
        (Some(t), _) => Ttl::At(t),
        (None, true) => Ttl::Keep,
        (None, false) => Ttl::Clear,
    };
    db.set(key, Value::Str(value), ttl, now);
    ctx.notify(STRING, "set", key);
    if let Some(at) = expire {
        ctx.notify(GENERIC, "expire", key);
        let mut digits = [0u8; 20];
        ctx.log_as(&[b"SET", key, value, b"PXAT", format_i64(at, &mut digits)]);
    }
    if !get {
        ctx.out.ok();
    }
    Ok(())
}

fn get(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    match string_of(db, args.get(1), ctx.now_ms)? {
        Some(v) => {
            ctx.server.stats.keyspace_hits += 1;
            ctx.out.bulk(v)
        }
        None => {
            ctx.server.stats.keyspace_misses += 1;
            ctx.out.null()
        }
    }
    Ok(())
}

fn getset(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    ctx.out.bulk_or_null(string_of(db, key, now)?);
    db.set(key, Value::Str(args.get(2)), Ttl::Clear, now);
    ctx.notify(STRING, "set", key);
    Ok(())
}

fn getdel(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    match string_of(db, key, now)? {
        Some(v) => ctx.out.bulk(v),
        None => {
            ctx.out.null();
            return Ok(());
        }
    }
    db.remove(key, now);
    ctx.notify(GENERIC, "del", key);
    Ok(())
}

fn getex(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    // None: leave the TTL; Some(None): PERSIST; Some(Some(t)): expire at t.
    let mut change: Option<Option<i64>> = None;
    // The option given first: only it may be repeated (the last wins).
    let mut chosen: Option<Vec<u8>> = None;
    let mut i = 2;
    while i < args.len() {
        let opt = args.get(i);
        let unit = if is(opt, "ex") || is(opt, "exat") { TimeUnit::Seconds } else { TimeUnit::Millis };
        let same_as_chosen = chosen.as_ref().is_none_or(|c| c.eq_ignore_ascii_case(opt));
        if same_as_chosen {
            chosen = Some(opt.to_vec());
        }
        if is(opt, "persist") && same_as_chosen {
            change = Some(None);
        } else if (is(opt, "ex") || is(opt, "px") || is(opt, "exat") || is(opt, "pxat"))
            && same_as_chosen
            && i + 1 < args.len()
        {
            let absolute = opt.len() == 4;
            i += 1;
            change = Some(Some(positive_expire(args.get(i), unit, absolute, now, "getex")?));
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let db = ctx.store.db(ctx.db_index);
    match string_of(db, key, now)? {
        Some(v) => ctx.out.bulk(v),
        None => {
            ctx.out.null();
            return Ok(());
        }
    }
    match change {
        None => {}
        Some(Some(t)) if t <= now => {
            db.remove(key, now);
            ctx.notify(GENERIC, "del", key);
            ctx.log_as(&[b"DEL", key]);
        }
        Some(expire) => {
            db.set_expire(key, expire, now);
            ctx.notify(GENERIC, if expire.is_some() { "expire" } else { "persist" }, key);
            let mut digits = [0u8; 20];
            match expire {
                Some(at) => ctx.log_as(&[b"PEXPIREAT", key, format_i64(at, &mut digits)]),
                None => ctx.log_as(&[b"PERSIST", key]),
            }
        }
    }
    Ok(())
}

fn setnx(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    if db.contains(key, now) {
        ctx.out.int(0);
    } else {
        db.set(key, Value::Str(args.get(2)), Ttl::Clear, now);
        ctx.notify(STRING, "set", key);
        ctx.out.int(1);
    }
    Ok(())
}

fn setex_with(ctx: &mut Ctx<'_>, args: Args<'_>, unit: TimeUnit, command: &str) -> CmdResult {
    let expire = positive_expire(args.get(2), unit, false, ctx.now_ms, command)?;
    let now = ctx.now_ms;
    ctx.store.db(ctx.db_index).set(args.get(1), Value::Str(args.get(3)), Ttl::At(expire), now);
    ctx.notify(STRING, "set", args.get(1));
    ctx.notify(GENERIC, "expire", args.get(1));
    let mut digits = [0u8; 20];
    ctx.log_as(&[b"SET", args.get(1), args.get(3), b"PXAT", format_i64(expire, &mut digits)]);
    ctx.out.ok();
    Ok(())
}

fn setex(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    setex_with(ctx, args, TimeUnit::Seconds, "setex")
}

fn psetex(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    setex_with(ctx, args, TimeUnit::Millis, "psetex")
}

fn check_pairs(args: Args<'_>, command: &str) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::Owned(format!("ERR wrong number of arguments for '{command}' command")));
    }
    Ok(())
}

fn mset(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    check_pairs(args, "mset")?;
    let now = ctx.now_ms;
    for pair in (1..args.len()).step_by(2) {
        ctx.store.db(ctx.db_index).set(args.get(pair), Value::Str(args.get(pair + 1)), Ttl::Clear, now);
        ctx.notify(STRING, "set", args.get(pair));
    }
    ctx.out.ok();
    Ok(())
}

fn msetnx(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    check_pairs(args, "msetnx")?;
    let now = ctx.now_ms;
    let db = ctx.store.db(ctx.db_index);
    if (1..args.len()).step_by(2).any(|i| db.contains(args.get(i), now)) {
        ctx.out.int(0);
        return Ok(());
    }
    for pair in (1..args.len()).step_by(2) {
        ctx.store.db(ctx.db_index).set(args.get(pair), Value::Str(args.get(pair + 1)), Ttl::Clear, now);
        ctx.notify(STRING, "set", args.get(pair));
    }
    ctx.out.int(1);
    Ok(())
}

fn mget(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let db = ctx.store.db(ctx.db_index);
    ctx.out.array(args.len() - 1);
    for key in args.iter().skip(1) {
        match db.get(key, now).map(|e| e.value()) {
            Some(ValueRef::Str(v)) => ctx.out.bulk(v),
            _ => ctx.out.null(),
        }
    }
    Ok(())
}

fn too_long() -> CmdError {
    CmdError::Static("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
}

/// Applies `edit` to the string under `key` in place (creating it empty if
/// absent), moving it to a growable buffer first. Returns the new length.
fn edit_string(db: &mut Db, key: &[u8], now: i64, edit: impl FnOnce(&mut Vec<u8>)) -> Result<usize, CmdError> {
    match db.get_mut(key, now) {
        None => {
            let mut value = Vec::new();
            edit(&mut value);
            let len = value.len();
            let stored = if len > INLINE_GROWTH_LIMIT { Value::BigStr(value) } else { Value::StrOwned(value) };
            db.set(key, stored, Ttl::Clear, now);
            Ok(len)
        }
        Some(entry) => match entry.value_mut() {
            ValueMut::BigStr(buffer) => {
                edit(buffer);
                Ok(buffer.len())
            }
            ValueMut::Str(current) => {
                let mut value = current.to_vec();
                edit(&mut value);
                let len = value.len();
                let stored = if len > INLINE_GROWTH_LIMIT { Value::BigStr(value) } else { Value::StrOwned(value) };
                db.set(key, stored, Ttl::Keep, now);
                Ok(len)
            }
            _ => Err(CmdError::WrongType),
        },
    }
}

fn append(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, suffix, now) = (args.get(1), args.get(2), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    let current = string_of(db, key, now)?.map_or(0, <[u8]>::len);
    if current + suffix.len() > MAX_STRING_LEN {
        return Err(too_long());
    }
    let len = edit_string(db, key, now, |v| v.extend_from_slice(suffix))?;
    ctx.notify(STRING, "append", key);
    ctx.out.int(len as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let len = string_of(db, args.get(1), ctx.now_ms)?.map_or(0, <[u8]>::len);
    ctx.out.int(len as i64);
    Ok(())
}

/// Redis's range arithmetic for GETRANGE: negative indexes count from the
/// end; the result is clamped to the string.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    if len == 0 {
        return None;
    }
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { (len + end).max(0) } else { end }.min(len - 1);
    (start <= end && start < len).then_some((start as usize, end as usize))
}

fn getrange(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let start = parse_i64(args.get(2))?;
    let end = parse_i64(args.get(3))?;
    let db = ctx.store.db(ctx.db_index);
    let value = string_of(db, args.get(1), ctx.now_ms)?.unwrap_or(b"");
    // Redis: a negative start beyond a negative end is empty.
    if start < 0 && end < 0 && start > end {
        ctx.out.bulk(b"");
        return Ok(());
    }
    match clamp_range(start, end, value.len()) {
        Some((s, e)) => ctx.out.bulk(&value[s..=e]),
        None => ctx.out.bulk(b""),
    }
    Ok(())
}

fn setrange(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, patch, now) = (args.get(1), args.get(3), ctx.now_ms);
    let offset = parse_i64(args.get(2))?;
    if offset < 0 {
        return Err(CmdError::Static("ERR offset is out of range"));
    }
    let offset = offset as usize;
    let db = ctx.store.db(ctx.db_index);
    let current = string_of(db, key, now)?;
    if patch.is_empty() {
        ctx.out.int(current.map_or(0, <[u8]>::len) as i64);
        return Ok(());
    }
    if offset.saturating_add(patch.len()) > MAX_STRING_LEN {
        return Err(too_long());
    }
    let len = edit_string(db, key, now, |v| {
        let end = offset + patch.len();
        if v.len() < end {
            v.resize(end, 0);
        }
        v[offset..end].copy_from_slice(patch);
    })?;
    ctx.notify(STRING, "setrange", key);
    ctx.out.int(len as i64);
    Ok(())
}

/// Adds `delta` to the integer under `key` and replies with the result.
fn add_integer(ctx: &mut Ctx<'_>, key: &[u8], delta: i64) -> CmdResult {
    let now = ctx.now_ms;
    let db = ctx.store.db(ctx.db_index);
    let current = match string_of(db, key, now)? {
        None => 0,
        Some(text) => parse_i64(text)?,
    };
    let result = current.checked_add(delta).ok_or(CmdError::Overflow)?;
    let mut digits = [0u8; 20];
    let text = crate::protocol::format_i64(result, &mut digits);
    db.set(key, Value::Str(text), Ttl::Keep, now);
    ctx.notify(STRING, "incrby", key);
    ctx.out.int(result);
    Ok(())
}

fn incr(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    add_integer(ctx, args.get(1), 1)
}

fn decr(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    add_integer(ctx, args.get(1), -1)
}

fn incrby(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let delta = parse_i64(args.get(2))?;
    add_integer(ctx, args.get(1), delta)
}

fn decrby(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let delta = parse_i64(args.get(2))?;
    if delta == i64::MIN {
        return Err(CmdError::Static("ERR decrement would overflow"));
    }
    add_integer(ctx, args.get(1), -delta)
}

/// The new text of a float counter: `current` (absent = 0) plus `delta`,
/// as Redis computes and prints it (`INCRBYFLOAT`, `HINCRBYFLOAT`). The
/// caller maps a bad current value to its own error text.
pub fn incr_float_text(current: Option<&[u8]>, delta: &[u8]) -> Result<String, CmdError> {
    let current = match current {
        Some(text) => longdouble::parse(text).ok_or(CmdError::NotFloat)?,
        None => LongDouble::ZERO,
    };
    let delta = longdouble::parse(delta).ok_or(CmdError::NotFloat)?;
    match current.add(delta) {
        Some(sum) => Ok(sum.human_text()),
        None => Err(CmdError::Static("ERR increment would produce NaN or Infinity")),
    }
}

fn incrbyfloat(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    let text = incr_float_text(string_of(db, key, now)?, args.get(2))?;
    db.set(key, Value::Str(text.as_bytes()), Ttl::Keep, now);
    ctx.notify(STRING, "incrbyfloat", key);
    ctx.log_as(&[b"SET", key, text.as_bytes(), b"KEEPTTL"]);
    ctx.out.bulk(text.as_bytes());
    Ok(())
}
