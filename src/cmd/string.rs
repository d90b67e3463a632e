//! String commands: SET and its variants, GET family, counters, ranges.
//!
//! Values are stored inline in the key's entry; strings that grow through
//! `APPEND`/`SETRANGE` beyond [`INLINE_GROWTH_LIMIT`] move to a growable
//! boxed buffer so that repeated appends stay linear.

use super::args::{is, parse_i64};
use super::longdouble::{self, LongDouble};
use super::table::{CommandSpec, Flags, KEY1};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::{format_i64, Args};
use crate::pubsub::{GENERIC, STRING};
use crate::store::{Db, Ttl, Value, ValueMut, ValueRef};

/// Largest string value (Redis's `proto-max-bulk-len`).
pub const MAX_STRING_LEN: usize = 512 * 1024 * 1024;
/// Strings grown in place past this size become growable buffers.
const INLINE_GROWTH_LIMIT: usize = 64;

const W: Flags = Flags::WRITE.or(Flags::DENYOOM);
const R: Flags = Flags::READONLY;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("set", -3, W, KEY1, set),
    CommandSpec::new("get", 2, R.or(Flags::FAST), KEY1, get),
    CommandSpec::new("getset", 3, W.or(Flags::FAST), KEY1, getset),
    CommandSpec::new("getdel", 2, Flags::WRITE.or(Flags::FAST), KEY1, getdel),
    CommandSpec::new("getex", -2, Flags::WRITE.or(Flags::FAST), KEY1, getex),
    CommandSpec::new("setnx", 3, W.or(Flags::FAST), KEY1, setnx),
    CommandSpec::new("setex", 4, W, KEY1, setex),
    CommandSpec::new("psetex", 4, W, KEY1, psetex),
    CommandSpec::new("mset", -3, W, (1, -1, 2), mset),
    CommandSpec::new("msetnx", -3, W, (1, -1, 2), msetnx),
    CommandSpec::new("mget", -2, R.or(Flags::FAST), (1, -1, 1), mget),
    CommandSpec::new("append", 3, W.or(Flags::FAST), KEY1, append),
    CommandSpec::new("strlen", 2, R.or(Flags::FAST), KEY1, strlen),
    CommandSpec::new("getrange", 4, R, KEY1, getrange),
    CommandSpec::new("substr", 4, R, KEY1, getrange),
    CommandSpec::new("setrange", 4, W, KEY1, setrange),
    CommandSpec::new("incr", 2, W.or(Flags::FAST), KEY1, incr),
    CommandSpec::new("increment", 2, W.or(Flags::FAST), KEY1, incr),
    CommandSpec::new("decr", 2, W.or(Flags::FAST), KEY1, decr),
    CommandSpec::new("decrement", 2, W.or(Flags::FAST), KEY1, decr),
    CommandSpec::new("incrby", 3, W.or(Flags::FAST), KEY1, incrby),
    CommandSpec::new("decrby", 3, W.or(Flags::FAST), KEY1, decrby),
    CommandSpec::new("incrbyfloat", 3, W.or(Flags::FAST), KEY1, incrbyfloat),
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
