//! Hash commands: HSET, HMSET, HSETNX, HGET, HMGET, HDEL, HEXISTS, HLEN,
//! HSTRLEN, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD,
//! HSCAN.
//!
//! Arguments, replies, error texts and the order in which errors are
//! detected follow Redis 7.0 (`t_hash.c`). The hash itself lives in
//! `store::hash_type`; a small one answers `HGETALL`, `HKEYS`, `HVALS`
//! and `HSCAN` in insertion order, as Redis's listpack does. Every change is announced with [`Ctx::notify`]
//! using Redis's event names (`hset`, `hdel`, `hincrby`, `hincrbyfloat`,
//! and `del` when a hash empties).

use super::args::{is, parse_i64};
use super::keys::{parse_cursor, parse_scan_options, write_scan_reply};
use super::meta::{arg, key};
use super::table::{CommandSpec, Flags, KEY1};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::pubsub::{GENERIC, HASH};
use crate::store::glob::glob_match;
use crate::store::hash_type::Hash;
use crate::store::{Db, Ttl, Value};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("hset", -4, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, hset)
        .acl("hash")
        .keys(&[key(1, "RW update")])
        .doc(
            "hash",
            "2.0.0",
            "O(1) for each field/value pair added, so O(N) to add N \
                field/value pairs when the command is called with multiple \
                field/value pairs.",
            "Set the string value of a hash field",
        )
        .history(&[("4.0.0", "Accepts multiple `field` and `value` arguments.")])
        .args(&[
            arg::key("key", 0),
            arg::block("field_value", &[arg::string("field"), arg::string("value")]).multiple(),
        ]),
    CommandSpec::new("hmset", -4, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, hmset)
        .acl("hash")
        .keys(&[key(1, "RW update")])
        .doc(
            "hash",
            "2.0.0",
            "O(N) where N is the number of fields being set.",
            "Set multiple hash fields to multiple values",
        )
        .args(&[
            arg::key("key", 0),
            arg::block("field_value", &[arg::string("field"), arg::string("value")]).multiple(),
        ])
        .deprecated("4.0.0", "`HSET` with multiple field-value pairs"),
    CommandSpec::new("hsetnx", 4, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, hsetnx)
        .acl("hash")
        .keys(&[key(1, "RW insert")])
        .doc("hash", "2.0.0", "O(1)", "Set the value of a hash field, only if the field does not exist")
        .args(&[arg::key("key", 0), arg::string("field"), arg::string("value")]),
    CommandSpec::new("hget", 3, Flags::READONLY.or(Flags::FAST), KEY1, hget)
        .acl("hash")
        .keys(&[key(1, "RO access")])
        .doc("hash", "2.0.0", "O(1)", "Get the value of a hash field")
        .args(&[arg::key("key", 0), arg::string("field")]),
    CommandSpec::new("hmget", -3, Flags::READONLY.or(Flags::FAST), KEY1, hmget)
        .acl("hash")
        .keys(&[key(1, "RO access")])
        .doc(
            "hash",
            "2.0.0",
            "O(N) where N is the number of fields being requested.",
            "Get the values of all the given hash fields",
        )
        .args(&[arg::key("key", 0), arg::string("field").multiple()]),
    CommandSpec::new("hdel", -3, Flags::WRITE.or(Flags::FAST), KEY1, hdel)
        .acl("hash")
        .keys(&[key(1, "RW delete")])
        .doc("hash", "2.0.0", "O(N) where N is the number of fields to be removed.", "Delete one or more hash fields")
        .history(&[("2.4.0", "Accepts multiple `field` arguments.")])
        .args(&[arg::key("key", 0), arg::string("field").multiple()]),
    CommandSpec::new("hexists", 3, Flags::READONLY.or(Flags::FAST), KEY1, hexists)
        .acl("hash")
        .keys(&[key(1, "RO")])
        .doc("hash", "2.0.0", "O(1)", "Determine if a hash field exists")
        .args(&[arg::key("key", 0), arg::string("field")]),
    CommandSpec::new("hlen", 2, Flags::READONLY.or(Flags::FAST), KEY1, hlen)
        .acl("hash")
        .keys(&[key(1, "RO")])
        .doc("hash", "2.0.0", "O(1)", "Get the number of fields in a hash")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("hstrlen", 3, Flags::READONLY.or(Flags::FAST), KEY1, hstrlen)
        .acl("hash")
        .keys(&[key(1, "RO")])
        .doc("hash", "3.2.0", "O(1)", "Get the length of the value of a hash field")
        .args(&[arg::key("key", 0), arg::string("field")]),
    CommandSpec::new("hkeys", 2, Flags::READONLY, KEY1, hkeys)
        .acl("hash")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output_order")
        .doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the fields in a hash")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("hvals", 2, Flags::READONLY, KEY1, hvals)
        .acl("hash")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output_order")
        .doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the values in a hash")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("hgetall", 2, Flags::READONLY, KEY1, hgetall)
        .acl("hash")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output_order")
        .doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the fields and values in a hash")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("hincrby", 4, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, hincrby)
        .acl("hash")
        .keys(&[key(1, "RW access update")])
        .doc("hash", "2.0.0", "O(1)", "Increment the integer value of a hash field by the given number")
        .args(&[arg::key("key", 0), arg::string("field"), arg::integer("increment")]),
    CommandSpec::new("hincrbyfloat", 4, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, hincrbyfloat)
        .acl("hash")
        .keys(&[key(1, "RW access update")])
        .doc("hash", "2.6.0", "O(1)", "Increment the float value of a hash field by the given amount")
        .args(&[arg::key("key", 0), arg::string("field"), arg::double("increment")]),
    CommandSpec::new("hrandfield", -2, Flags::READONLY, KEY1, hrandfield)
        .acl("hash")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output")
        .doc(
            "hash",
            "6.2.0",
            "O(N) where N is the number of fields returned",
            "Get one or multiple random fields from a hash",
        )
        .args(&[
            arg::key("key", 0),
            arg::block("options", &[arg::integer("count"), arg::token("withvalues", "WITHVALUES").optional()])
                .optional(),
        ]),
    CommandSpec::new("hscan", -3, Flags::READONLY, KEY1, hscan)
        .acl("hash")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output")
        .doc(
            "hash",
            "2.8.0",
            "O(1) for every call. O(N) for a complete iteration, \
                including enough command calls for the cursor to return \
                back to 0. N is the number of elements inside the \
                collection..",
            "Incrementally iterate hash fields and associated values",
        )
        .args(&[
            arg::key("key", 0),
            arg::integer("cursor"),
            arg::pattern("pattern").token("MATCH").optional(),
            arg::integer("count").token("COUNT").optional(),
        ]),
];

/// Most elements one `HRANDFIELD` with a negative count may return.
/// Redis 7.0 tries to build any reply asked for (a count of -2^63 makes it
/// run out of memory); Efis answers `ERR value is out of range` instead,
/// after the checks Redis makes (so a missing key still answers an empty
/// array).
pub const MAX_RANDOM_REPLY: u64 = 1 << 24;

/// The hash under `key`: `None` if absent, `WrongType` if another type.
pub fn hash_ref<'a>(db: &'a mut Db, key: &[u8], now_ms: i64) -> Result<Option<&'a Hash>, CmdError> {
    Ok(db.get_as(key, now_ms)?)
}

/// The hash under `key`, for changing it in place.
pub fn hash_mut<'a>(db: &'a mut Db, key: &[u8], now_ms: i64) -> Result<Option<&'a mut Hash>, CmdError> {
    Ok(db.get_mut_as(key, now_ms)?)
}

/// The hash under `key`, created empty if absent. The caller must leave at
/// least one field in a hash it created.
fn hash_or_create<'a>(db: &'a mut Db, key: &[u8], now_ms: i64) -> Result<&'a mut Hash, CmdError> {
    if hash_ref(db, key, now_ms)?.is_none() {
        db.set(key, Value::Hash(Box::new(Hash::new())), Ttl::Clear, now_ms);
    }
    hash_mut(db, key, now_ms)?.ok_or(CmdError::NoSuchKey)
}

/// Sets the field/value pairs of `args[2..]`; returns how many fields are
/// new.
fn set_pairs(ctx: &mut Ctx<'_>, args: Args<'_>, command: &str) -> Result<usize, CmdError> {
    if args.len() % 2 == 1 {
        return Err(CmdError::Owned(format!("ERR wrong number of arguments for '{command}' command")));
    }
    let db = ctx.store.db(ctx.db_index);
    let hash = hash_or_create(db, args.get(1), ctx.now_ms)?;
    let mut created = 0;
    for i in (2..args.len()).step_by(2) {
        created += hash.insert(args.get(i), args.get(i + 1)) as usize;
    }
    Ok(created)
}

fn hset(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let created = set_pairs(ctx, args, "hset")?;
    ctx.out.int(created as i64);
    ctx.notify(HASH, "hset", args.get(1));
    Ok(())
}

fn hmset(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    set_pairs(ctx, args, "hmset")?;
    ctx.out.ok();
    ctx.notify(HASH, "hset", args.get(1));
    Ok(())
}

fn hsetnx(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let hash = hash_or_create(db, args.get(1), ctx.now_ms)?;
    let set = hash.insert_if_absent(args.get(2), args.get(3));
    ctx.out.int(set as i64);
    if set {
        ctx.notify(HASH, "hset", args.get(1));
    }
    Ok(())
}

fn hget(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    match hash_ref(db, args.get(1), ctx.now_ms)?.and_then(|h| h.get(args.get(2))) {
        Some(value) => ctx.out.bulk(value),
        None => ctx.out.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let hash = hash_ref(db, args.get(1), ctx.now_ms)?;
    ctx.out.array(args.len() - 2);
    for field in args.iter().skip(2) {
        match hash.and_then(|h| h.get(field)) {
            Some(value) => ctx.out.bulk(value),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn hdel(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    let Some(hash) = hash_mut(db, key, now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let removed = args.iter().skip(2).filter(|field| hash.remove(field)).count();
    let emptied = hash.is_empty();
    if emptied {
        db.remove(key, now);
    }
    ctx.out.int(removed as i64);
    if removed > 0 {
        ctx.notify(HASH, "hdel", key);
    }
    if emptied {
        ctx.notify(GENERIC, "del", key);
    }
    Ok(())
}

fn hexists(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let found = hash_ref(db, args.get(1), ctx.now_ms)?.is_some_and(|h| h.contains(args.get(2)));
    ctx.out.int(found as i64);
    Ok(())
}

fn hlen(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let len = hash_ref(db, args.get(1), ctx.now_ms)?.map_or(0, Hash::len);
    ctx.out.int(len as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let len = hash_ref(db, args.get(1), ctx.now_ms)?.and_then(|h| h.get(args.get(2))).map_or(0, <[u8]>::len);
    ctx.out.int(len as i64);
    Ok(())
}

/// What HKEYS, HVALS and HGETALL return.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Fields,
    Values,
    Both,
}

fn get_all(ctx: &mut Ctx<'_>, args: Args<'_>, part: Part) -> CmdResult {
    let db = ctx.store.db(ctx.db_index);
    let hash = hash_ref(db, args.get(1), ctx.now_ms)?;
    let len = hash.map_or(0, Hash::len);
    if part == Part::Both {
        ctx.out.map(len);
    } else {
        ctx.out.array(len);
    }
    for (field, value) in hash.into_iter().flat_map(Hash::iter) {
        if part != Part::Values {
            ctx.out.bulk(field);
        }
        if part != Part::Fields {
            ctx.out.bulk(value);
        }
    }
    Ok(())
}

fn hkeys(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    get_all(ctx, args, Part::Fields)
}

fn hvals(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    get_all(ctx, args, Part::Values)
}

fn hgetall(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    get_all(ctx, args, Part::Both)
}

fn hincrby(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let delta = parse_i64(args.get(3))?;
    let field = args.get(2);
    let db = ctx.store.db(ctx.db_index);
    let hash = hash_or_create(db, args.get(1), ctx.now_ms)?;
    let current = match hash.get(field) {
        None => 0,
        Some(text) => parse_i64(text).map_err(|_| CmdError::Static("ERR hash value is not an integer"))?,
    };
    let result = current.checked_add(delta).ok_or(CmdError::Overflow)?;
    let mut digits = [0u8; 20];
    hash.insert(field, crate::protocol::format_i64(result, &mut digits));
    ctx.out.int(result);
    ctx.notify(HASH, "hincrby", args.get(1));
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    // Redis checks the increment before it looks at the key.
    let delta = args.get(3);
    if !super::longdouble::parse(delta).ok_or(CmdError::NotFloat)?.is_finite() {
        return Err(CmdError::Static("ERR value is NaN or Infinity"));
    }
    let field = args.get(2);
    let db = ctx.store.db(ctx.db_index);
    let hash = hash_or_create(db, args.get(1), ctx.now_ms)?;
    let current = hash.get(field);
    if current.is_some_and(|text| super::longdouble::parse(text).is_none()) {
        return Err(CmdError::Static("ERR hash value is not a float"));
    }
    let text = super::string::incr_float_text(current, delta)?;
    hash.insert(field, text.as_bytes());
    ctx.out.bulk(text.as_bytes());
    ctx.notify(HASH, "hincrbyfloat", args.get(1));
    ctx.log_as(&[b"HSET", args.get(1), field, text.as_bytes()]);
    Ok(())
}

/// `HRANDFIELD key [count [WITHVALUES]]`.
fn hrandfield(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    if args.len() == 2 {
        let random = ctx.server.random();
        let db = ctx.store.db(ctx.db_index);
        match hash_ref(db, args.get(1), ctx.now_ms)?.and_then(|h| h.random(random)) {
            Some((field, _)) => ctx.out.bulk(field),
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let count = parse_i64(args.get(2))?;
    if count == i64::MIN {
        return Err(CmdError::Static(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let with_values = match args.len() {
        3 => false,
        4 if is(args.get(3), "withvalues") => true,
        _ => return Err(CmdError::Syntax),
    };
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::Static("ERR value is out of range"));
    }
    let db = ctx.store.db(ctx.db_index);
    let Some(hash) = hash_ref(db, args.get(1), ctx.now_ms)? else {
        ctx.out.array(0);
        return Ok(());
    };
    if count < 0 && count.unsigned_abs() > MAX_RANDOM_REPLY {
        return Err(CmdError::Static("ERR value is out of range"));
    }
    let (repeats, count) = (count < 0, usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX));
    let count = if repeats { count } else { count.min(hash.len()) };
    // RESP2: a flat array of fields (and values); RESP3 with values: an
    // array of [field, value] pairs.
    let resp3 = ctx.out.resp3;
    ctx.out.array(if with_values && !resp3 { count * 2 } else { count });
    let out = &mut ctx.out;
    let mut write = |field: &[u8], value: &[u8]| {
        if with_values && resp3 {
            out.array(2);
        }
        out.bulk(field);
        if with_values {
            out.bulk(value);
        }
    };
    let server = &mut *ctx.server;
    if repeats && hash.is_packed() && count > 1 {
        // Picking from a packed hash walks it: list the pairs once.
        let pairs: Vec<(&[u8], &[u8])> = hash.iter().collect();
        for _ in 0..count {
            let (field, value) = pairs[(server.random() % pairs.len() as u64) as usize];
            write(field, value);
        }
    } else if repeats || count == 1 {
        for _ in 0..count {
            if let Some((field, value)) = hash.random(server.random()) {
                write(field, value);
            }
        }
    } else if count == hash.len() {
        for (field, value) in hash.iter() {
            write(field, value);
        }
    } else {
        hash.sample_distinct(count, || server.random(), write);
    }
    Ok(())
}

/// `HSCAN key cursor [MATCH pattern] [COUNT count]`: the reply lists
/// fields and values alternately.
fn hscan(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let cursor = parse_cursor(args.get(2))?;
    let db = ctx.store.db(ctx.db_index);
    // As in Redis, a missing key answers an empty scan before the options
    // are looked at.
    let Some(hash) = hash_ref(db, args.get(1), ctx.now_ms)? else {
        write_scan_reply(&mut ctx.out, 0, &[]);
        return Ok(());
    };
    let options = parse_scan_options(args, 3, false)?;
    let mut found: Vec<&[u8]> = Vec::new();
    let next = hash.scan(cursor, options.count, |field, value| {
        if options.pattern.is_none_or(|p| glob_match(p, field)) {
            found.push(field);
            found.push(value);
        }
    });
    write_scan_reply(&mut ctx.out, next, &found);
    Ok(())
}
