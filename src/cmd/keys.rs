//! Generic key commands: DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, COPY,
//! MOVE, RANDOMKEY, DBSIZE, FLUSHDB/FLUSHALL, SWAPDB, OBJECT, TOUCH.

use super::args::{is, parse_i64, parse_i64_opt};
use super::meta::{arg, key};
use super::table::{CommandSpec, Flags, KEY1, NO_KEYS};
use super::{subcommand_arity, unknown_subcommand, CmdError, CmdResult, Ctx};
use crate::protocol::{Args, Reply};
use crate::pubsub::GENERIC;
use crate::store::glob::glob_match;
use crate::store::{access, Entry, Kind, ValueRef};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("del", -2, Flags::WRITE, (1, -1, 1), del)
        .acl("keyspace")
        .keys(&[key(1, "RM delete").range(-1, 1, 0)])
        .tips("request_policy:multi_shard response_policy:agg_sum")
        .doc(
            "generic",
            "1.0.0",
            "O(N) where N is the number of keys that will be removed. \
                When a key to remove holds a value other than a string, the \
                individual complexity for this key is O(M) where M is the \
                number of elements in the list, set, sorted set or hash. \
                Removing a single key that holds a string value is O(1).",
            "Delete a key",
        )
        .args(&[arg::key("key", 0).multiple()]),
    CommandSpec::new("delete", -2, Flags::WRITE, (1, -1, 1), del)
        .acl("keyspace")
        .keys(&[key(1, "RM delete").range(-1, 1, 0)])
        .tips("request_policy:multi_shard response_policy:agg_sum")
        .doc(
            "generic",
            "1.0.0",
            "O(N) where N is the number of keys that will be removed. \
                When a key to remove holds a value other than a string, the \
                individual complexity for this key is O(M) where M is the \
                number of elements in the list, set, sorted set or hash. \
                Removing a single key that holds a string value is O(1).",
            "Delete a key",
        )
        .args(&[arg::key("key", 0).multiple()]),
    CommandSpec::new("unlink", -2, Flags::WRITE.or(Flags::FAST), (1, -1, 1), del)
        .acl("keyspace")
        .keys(&[key(1, "RM delete").range(-1, 1, 0)])
        .tips("request_policy:multi_shard response_policy:agg_sum")
        .doc(
            "generic",
            "4.0.0",
            "O(1) for each key removed regardless of its size. Then the \
                command does O(N) work in a different thread in order to \
                reclaim memory, where N is the number of allocations the \
                deleted objects where composed of.",
            "Delete a key asynchronously in another thread. Otherwise it \
                is just as DEL, but non blocking.",
        )
        .args(&[arg::key("key", 0).multiple()]),
    CommandSpec::new("exists", -2, Flags::READONLY.or(Flags::FAST), (1, -1, 1), exists)
        .acl("keyspace")
        .keys(&[key(1, "RO").range(-1, 1, 0)])
        .tips("request_policy:multi_shard response_policy:agg_sum")
        .doc("generic", "1.0.0", "O(N) where N is the number of keys to check.", "Determine if a key exists")
        .history(&[("3.0.3", "Accepts multiple `key` arguments.")])
        .args(&[arg::key("key", 0).multiple()]),
    CommandSpec::new("type", 2, Flags::READONLY.or(Flags::FAST), KEY1, type_)
        .acl("keyspace")
        .keys(&[key(1, "RO")])
        .doc("generic", "1.0.0", "O(1)", "Determine the type stored at key")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("keys", 2, Flags::READONLY, NO_KEYS, keys)
        .acl("keyspace dangerous")
        .tips("request_policy:all_shards nondeterministic_output_order")
        .doc(
            "generic",
            "1.0.0",
            "O(N) with N being the number of keys in the database, under \
                the assumption that the key names in the database and the \
                given pattern have limited length.",
            "Find all keys matching the given pattern",
        )
        .args(&[arg::pattern("pattern")]),
    CommandSpec::new("scan", -2, Flags::READONLY, NO_KEYS, scan)
        .acl("keyspace")
        .tips("nondeterministic_output request_policy:special")
        .doc(
            "generic",
            "2.8.0",
            "O(1) for every call. O(N) for a complete iteration, \
                including enough command calls for the cursor to return \
                back to 0. N is the number of elements inside the \
                collection.",
            "Incrementally iterate the keys space",
        )
        .history(&[("6.0.0", "Added the `TYPE` subcommand.")])
        .args(&[
            arg::integer("cursor"),
            arg::pattern("pattern").token("MATCH").optional(),
            arg::integer("count").token("COUNT").optional(),
            arg::string("type").token("TYPE").since("6.0.0").optional(),
        ]),
    CommandSpec::new("rename", 3, Flags::WRITE, (1, 2, 1), rename)
        .acl("keyspace")
        .keys(&[key(1, "RW access delete"), key(2, "OW update")])
        .doc("generic", "1.0.0", "O(1)", "Rename a key")
        .args(&[arg::key("key", 0), arg::key("newkey", 1)]),
    CommandSpec::new("renamenx", 3, Flags::WRITE.or(Flags::FAST), (1, 2, 1), renamenx)
        .acl("keyspace")
        .keys(&[key(1, "RW access delete"), key(2, "OW insert")])
        .doc("generic", "1.0.0", "O(1)", "Rename a key, only if the new key does not exist")
        .history(&[("3.2.0", "The command no longer returns an error when source and destination names are the same.")])
        .args(&[arg::key("key", 0), arg::key("newkey", 1)]),
    CommandSpec::new("copy", -3, Flags::WRITE.or(Flags::DENYOOM), (1, 2, 1), copy)
        .acl("keyspace")
        .keys(&[key(1, "RO access"), key(2, "OW update")])
        .doc(
            "generic",
            "6.2.0",
            "O(N) worst case for collections, where N is the number of \
                nested items. O(1) for string values.",
            "Copy a key",
        )
        .args(&[
            arg::key("source", 0),
            arg::key("destination", 1),
            arg::integer("destination-db").token("DB").optional(),
            arg::token("replace", "REPLACE").optional(),
        ]),
    CommandSpec::new("move", 3, Flags::WRITE.or(Flags::FAST), KEY1, move_)
        .acl("keyspace")
        .keys(&[key(1, "RW access update")])
        .doc("generic", "1.0.0", "O(1)", "Move a key to another database")
        .args(&[arg::key("key", 0), arg::integer("db")]),
    CommandSpec::new("randomkey", 1, Flags::READONLY, NO_KEYS, randomkey)
        .acl("keyspace")
        .tips("request_policy:all_shards nondeterministic_output")
        .doc("generic", "1.0.0", "O(1)", "Return a random key from the keyspace"),
    CommandSpec::new("dbsize", 1, Flags::READONLY.or(Flags::FAST), NO_KEYS, dbsize)
        .acl("keyspace")
        .tips("request_policy:all_shards response_policy:agg_sum")
        .doc("server", "1.0.0", "O(1)", "Return the number of keys in the selected database"),
    CommandSpec::new("flushdb", -1, Flags::WRITE, NO_KEYS, flushdb)
        .acl("keyspace dangerous")
        .tips("request_policy:all_shards response_policy:all_succeeded")
        .doc(
            "server",
            "1.0.0",
            "O(N) where N is the number of keys in the selected database",
            "Remove all keys from the current database",
        )
        .history(&[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ])
        .args(&[arg::oneof(
            "async",
            &[arg::token("async", "ASYNC").since("4.0.0"), arg::token("sync", "SYNC").since("6.2.0")],
        )
        .optional()]),
    CommandSpec::new("flushall", -1, Flags::WRITE, NO_KEYS, flushall)
        .acl("keyspace dangerous")
        .tips("request_policy:all_shards response_policy:all_succeeded")
        .doc(
            "server",
            "1.0.0",
            "O(N) where N is the total number of keys in all databases",
            "Remove all keys from all databases",
        )
        .history(&[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ])
        .args(&[arg::oneof(
            "async",
            &[arg::token("async", "ASYNC").since("4.0.0"), arg::token("sync", "SYNC").since("6.2.0")],
        )
        .optional()]),
    CommandSpec::new("swapdb", 3, Flags::WRITE.or(Flags::FAST), NO_KEYS, swapdb)
        .acl("keyspace dangerous")
        .doc(
            "server",
            "4.0.0",
            "O(N) where N is the count of clients watching or blocking \
                on keys from both databases.",
            "Swaps two Redis databases",
        )
        .args(&[arg::integer("index1"), arg::integer("index2")]),
    CommandSpec::new("object", -2, Flags::NONE, NO_KEYS, object)
        .doc("generic", "2.2.3", "Depends on subcommand.", "A container for object introspection commands")
        .subcommands(OBJECT_SUBCOMMANDS),
    CommandSpec::new("touch", -2, Flags::READONLY.or(Flags::FAST), (1, -1, 1), touch)
        .acl("keyspace")
        .keys(&[key(1, "RO").range(-1, 1, 0)])
        .tips("request_policy:multi_shard response_policy:agg_sum")
        .doc(
            "generic",
            "3.2.1",
            "O(N) where N is the number of keys that will be touched.",
            "Alters the last access time of a key(s). Returns the number \
                of existing keys specified.",
        )
        .args(&[arg::key("key", 0).multiple()]),
];

/// `OBJECT`'s subcommands.
const OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("object|encoding", 3, Flags::READONLY, (2, 2, 1), object)
        .acl("keyspace")
        .keys(&[key(2, "RO")])
        .tips("nondeterministic_output")
        .doc("generic", "2.2.3", "O(1)", "Inspect the internal encoding of a Redis object")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("object|freq", 3, Flags::READONLY, (2, 2, 1), object)
        .acl("keyspace")
        .keys(&[key(2, "RO")])
        .tips("nondeterministic_output")
        .doc("generic", "4.0.0", "O(1)", "Get the logarithmic access frequency counter of a Redis object")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("object|help", 2, Flags::LOADING.or(Flags::STALE), NO_KEYS, object).acl("keyspace").doc(
        "generic",
        "6.2.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new("object|idletime", 3, Flags::READONLY, (2, 2, 1), object)
        .acl("keyspace")
        .keys(&[key(2, "RO")])
        .tips("nondeterministic_output")
        .doc("generic", "2.2.3", "O(1)", "Get the time since a Redis object was last accessed")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("object|refcount", 3, Flags::READONLY, (2, 2, 1), object)
        .acl("keyspace")
        .keys(&[key(2, "RO")])
        .tips("nondeterministic_output")
        .doc("generic", "2.2.3", "O(1)", "Get the number of references to the value of the key")
        .args(&[arg::key("key", 0)]),
];

fn del(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let mut removed = 0;
    for key in args.iter().skip(1) {
        if ctx.store.db(ctx.db_index).remove(key, now).is_some() {
            removed += 1;
            ctx.notify(GENERIC, "del", key);
        }
    }
    ctx.out.int(removed);
    Ok(())
}

fn exists(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let db = ctx.store.db(ctx.db_index);
    let found = args.iter().skip(1).filter(|key| db.contains(key, now)).count();
    ctx.out.int(found as i64);
    Ok(())
}

/// `TOUCH`: `EXISTS` that records an access (idle time, LFU counter).
fn touch(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let db = ctx.store.db(ctx.db_index);
    let found = args.iter().skip(1).filter(|key| db.touch(key, now)).count();
    ctx.out.int(found as i64);
    Ok(())
}

fn type_(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let name = ctx.store.db(ctx.db_index).get_untouched(args.get(1), now).map_or("none", |e| e.kind().type_name());
    ctx.out.simple(name);
    Ok(())
}

fn is_live(entry: &Entry, now_ms: i64) -> bool {
    entry.expire().is_none_or(|t| t > now_ms)
}

fn keys(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let pattern = args.get(1);
    let now = ctx.now_ms;
    let db = ctx.store.db_ref(ctx.db_index);
    let all = pattern == b"*";
    let found: Vec<&[u8]> =
        db.iter().filter(|e| is_live(e, now) && (all || glob_match(pattern, e.key()))).map(Entry::key).collect();
    ctx.out.array(found.len());
    for key in found {
        ctx.out.bulk(key);
    }
    Ok(())
}

/// Options shared by the SCAN family: MATCH, COUNT, TYPE.
pub struct ScanOptions<'a> {
    pub pattern: Option<&'a [u8]>,
    pub count: usize,
    pub type_name: Option<&'a [u8]>,
}

/// Parses a SCAN-family cursor (an unsigned 64-bit number).
pub fn parse_cursor(text: &[u8]) -> Result<u64, CmdError> {
    // Like C's `strtoul`, a negative cursor wraps around.
    let text = std::str::from_utf8(text).ok();
    text.and_then(|s| s.parse::<u64>().ok().or_else(|| s.parse::<i64>().ok().map(|n| n as u64)))
        .ok_or(CmdError::Static("ERR invalid cursor"))
}

/// Parses `[MATCH pattern] [COUNT n]` (and `[TYPE t]` when allowed) from
/// `args[from..]`.
pub fn parse_scan_options(args: Args<'_>, from: usize, allow_type: bool) -> Result<ScanOptions<'_>, CmdError> {
    let mut options = ScanOptions { pattern: None, count: 10, type_name: None };
    let mut i = from;
    while i < args.len() {
        let opt = args.get(i);
        if i + 1 >= args.len() {
            return Err(CmdError::Syntax);
        }
        let value = args.get(i + 1);
        if is(opt, "match") {
            options.pattern = (value != b"*").then_some(value);
        } else if is(opt, "count") {
            let n = parse_i64(value)?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            options.count = n.min(1 << 20) as usize;
        } else if allow_type && is(opt, "type") {
            options.type_name = Some(value);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok(options)
}

/// Writes a SCAN-family reply: the next cursor and the found elements.
pub fn write_scan_reply(out: &mut Reply<'_>, next: u64, items: &[&[u8]]) {
    out.array(2);
    out.bulk(next.to_string().as_bytes());
    out.array(items.len());
    for item in items {
        out.bulk(item);
    }
}

fn scan(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let cursor = parse_cursor(args.get(1))?;
    let options = parse_scan_options(args, 2, true)?;
    let now = ctx.now_ms;
    let db = ctx.store.db_ref(ctx.db_index);
    let mut found: Vec<&[u8]> = Vec::new();
    let next = db.scan(cursor, options.count, |entry| {
        let wanted = is_live(entry, now)
            && options.pattern.is_none_or(|p| glob_match(p, entry.key()))
            && options.type_name.is_none_or(|t| t.eq_ignore_ascii_case(entry.kind().type_name().as_bytes()));
        if wanted {
            found.push(entry.key());
        }
    });
    write_scan_reply(&mut ctx.out, next, &found);
    Ok(())
}

fn rename_with(ctx: &mut Ctx<'_>, args: Args<'_>, only_if_new: bool) -> CmdResult {
    let (from, to, now) = (args.get(1), args.get(2), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    if !db.contains(from, now) {
        return Err(CmdError::NoSuchKey);
    }
    if from == to {
        if only_if_new {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return Ok(());
    }
    if only_if_new && db.contains(to, now) {
        ctx.out.int(0);
        return Ok(());
    }
    let entry = db.remove(from, now).expect("checked above");
    let expire = entry.expire();
    db.put_entry(entry.rebuild(to, expire), now);
    ctx.notify(GENERIC, "rename_from", from);
    ctx.notify(GENERIC, "rename_to", to);
    if only_if_new {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

fn rename(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    rename_with(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    rename_with(ctx, args, true)
}

/// Parses a database index argument.
pub fn parse_db_index(ctx: &Ctx<'_>, text: &[u8]) -> Result<usize, CmdError> {
    let n = parse_i64_opt(text).ok_or(CmdError::NotInteger)?;
    if n < 0 || n as usize >= ctx.store.db_count() {
        return Err(CmdError::Static("ERR DB index is out of range"));
    }
    Ok(n as usize)
}

fn copy(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (from, to, now) = (args.get(1), args.get(2), ctx.now_ms);
    let mut target_db = ctx.db_index;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if is(args.get(i), "replace") {
            replace = true;
        } else if is(args.get(i), "db") && i + 1 < args.len() {
            i += 1;
            target_db = parse_db_index(ctx, args.get(i))?;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if target_db == ctx.db_index && from == to {
        return Err(CmdError::Static("ERR source and destination objects are the same"));
    }
    let source = ctx.store.db(ctx.db_index);
    let Some(entry) = source.get(from, now) else {
        ctx.out.int(0);
        return Ok(());
    };
    let (value, expire) = (entry.clone_value(), entry.expire());
    let target = ctx.store.db(target_db);
    if target.contains(to, now) {
        if !replace {
            ctx.out.int(0);
            return Ok(());
        }
        target.remove(to, now);
    }
    let bits = access::initial(ctx.store.tracking(), now);
    let target = ctx.store.db(target_db);
    target.put_entry(Entry::new_key(to, value, expire, bits), now);
    ctx.notify_in(target_db, GENERIC, "copy_to", to);
    ctx.out.int(1);
    Ok(())
}

fn move_(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let target = parse_db_index(ctx, args.get(2))?;
    if target == ctx.db_index {
        return Err(CmdError::Static("ERR source and destination objects are the same"));
    }
    let (source, dest) = ctx.store.two_dbs(ctx.db_index, target);
    if !source.contains(key, now) || dest.contains(key, now) {
        ctx.out.int(0);
        return Ok(());
    }
    let entry = source.remove(key, now).expect("checked above");
    dest.put_entry(entry, now);
    ctx.notify(GENERIC, "move_from", key);
    ctx.notify_in(target, GENERIC, "move_to", key);
    ctx.out.int(1);
    Ok(())
}

fn randomkey(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    let random = ctx.server.random();
    let now = ctx.now_ms;
    match ctx.store.db(ctx.db_index).random_key(random, now) {
        Some(key) => ctx.out.bulk(&key),
        None => ctx.out.null(),
    }
    Ok(())
}

fn dbsize(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    let len = ctx.store.db(ctx.db_index).len();
    ctx.out.int(len as i64);
    Ok(())
}

/// FLUSHDB/FLUSHALL take an optional ASYNC or SYNC.
fn check_flush_mode(args: Args<'_>) -> CmdResult {
    match args.len() {
        1 => Ok(()),
        2 if is(args.get(1), "async") || is(args.get(1), "sync") => Ok(()),
        _ => Err(CmdError::Syntax),
    }
}

fn flushdb(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    check_flush_mode(args)?;
    ctx.flushing_db(ctx.db_index);
    ctx.flushed_for_tracking();
    ctx.store.db(ctx.db_index).clear();
    crate::memory::return_free_memory();
    ctx.out.ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    check_flush_mode(args)?;
    for db in 0..ctx.store.db_count() {
        ctx.flushing_db(db);
    }
    ctx.flushed_for_tracking();
    ctx.store.flush_all();
    crate::memory::return_free_memory();
    ctx.out.ok();
    Ok(())
}

fn swapdb(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let first = parse_i64_opt(args.get(1)).ok_or(CmdError::Static("ERR invalid first DB index"))?;
    let second = parse_i64_opt(args.get(2)).ok_or(CmdError::Static("ERR invalid second DB index"))?;
    let count = ctx.store.db_count() as i64;
    if !(0..count).contains(&first) || !(0..count).contains(&second) {
        return Err(CmdError::Static("ERR DB index is out of range"));
    }
    ctx.store.swap(first as usize, second as usize);
    ctx.swapped_dbs(first as usize, second as usize);
    ctx.out.ok();
    Ok(())
}

/// The encoding name `OBJECT ENCODING` reports, in Redis's vocabulary.
pub(super) fn encoding_name(entry: &Entry) -> &'static str {
    match (entry.kind(), entry.value()) {
        (Kind::Str, ValueRef::Str(s)) if s.len() <= 20 && parse_i64_opt(s).is_some() => "int",
        (Kind::Str, ValueRef::Str(s)) if s.len() <= 44 => "embstr",
        (Kind::Str | Kind::BigStr, _) => "raw",
        (_, ValueRef::List(list)) => list.encoding_name(),
        (_, ValueRef::Set(set)) => set.encoding_name(),
        (_, ValueRef::ZSet(zset)) => zset.encoding_name(),
        (_, ValueRef::Hash(hash)) => hash.encoding_name(),
        (_, ValueRef::Stream(_)) => "stream",
        _ => "raw",
    }
}

fn object(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let sub = args.get(1);
    if is(sub, "help") {
        let lines = [
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
            "HELP",
            "    Print this help.",
        ];
        ctx.out.array(lines.len());
        for line in lines {
            ctx.out.simple(line);
        }
        return Ok(());
    }
    let known = ["encoding", "freq", "idletime", "refcount"];
    if !known.iter().any(|k| is(sub, k)) {
        return Err(unknown_subcommand("object", sub));
    }
    if args.len() != 3 {
        return Err(subcommand_arity("object", sub));
    }
    let now = ctx.now_ms;
    let (lfu, decay) = (ctx.server.eviction.policy.uses_lfu(), ctx.server.eviction.lfu_decay_minutes);
    let Some(entry) = ctx.store.db(ctx.db_index).get_untouched(args.get(2), now) else {
        ctx.out.null();
        return Ok(());
    };
    if is(sub, "encoding") {
        let name = encoding_name(entry);
        ctx.out.bulk(name.as_bytes());
    } else if is(sub, "refcount") {
        ctx.out.int(1);
    } else if is(sub, "idletime") {
        if lfu {
            return Err(CmdError::Static(
                "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching \
                 between policies at runtime LRU and LFU data will take some time to adjust.",
            ));
        }
        ctx.out.int(access::idle_seconds(entry.access(), now) as i64);
    } else {
        if !lfu {
            return Err(CmdError::Static(
                "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when \
                 switching between policies at runtime LRU and LFU data will take some time to adjust.",
            ));
        }
        ctx.out.int(access::lfu_counter(entry.access(), now, decay) as i64);
    }
    Ok(())
}
