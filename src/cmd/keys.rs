//! Generic key commands: DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, COPY,
//! MOVE, RANDOMKEY, DBSIZE, FLUSHDB/FLUSHALL, SWAPDB, OBJECT, TOUCH.

use super::args::{is, parse_i64, parse_i64_opt};
use super::table::{CommandSpec, Flags, KEY1, NO_KEYS};
use super::{subcommand_arity, unknown_subcommand, CmdError, CmdResult, Ctx};
use crate::protocol::{Args, Reply};
use crate::pubsub::GENERIC;
use crate::store::glob::glob_match;
use crate::store::{Entry, Kind, ValueRef};

const W: Flags = Flags::WRITE;
const R: Flags = Flags::READONLY;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("del", -2, W, (1, -1, 1), del),
    CommandSpec::new("delete", -2, W, (1, -1, 1), del),
    CommandSpec::new("unlink", -2, W.or(Flags::FAST), (1, -1, 1), del),
    CommandSpec::new("exists", -2, R.or(Flags::FAST), (1, -1, 1), exists),
    CommandSpec::new("type", 2, R.or(Flags::FAST), KEY1, type_),
    CommandSpec::new("keys", 2, R, NO_KEYS, keys),
    CommandSpec::new("scan", -2, R, NO_KEYS, scan),
    CommandSpec::new("rename", 3, W, (1, 2, 1), rename),
    CommandSpec::new("renamenx", 3, W.or(Flags::FAST), (1, 2, 1), renamenx),
    CommandSpec::new("copy", -3, W.or(Flags::DENYOOM), (1, 2, 1), copy),
    CommandSpec::new("move", 3, W.or(Flags::FAST), KEY1, move_),
    CommandSpec::new("randomkey", 1, R.or(Flags::RANDOM), NO_KEYS, randomkey),
    CommandSpec::new("dbsize", 1, R.or(Flags::FAST), NO_KEYS, dbsize),
    CommandSpec::new("flushdb", -1, W, NO_KEYS, flushdb),
    CommandSpec::new("flushall", -1, W, NO_KEYS, flushall),
    CommandSpec::new("swapdb", 3, W.or(Flags::FAST), NO_KEYS, swapdb),
    CommandSpec::new("object", -2, R.or(Flags::SUBCOMMANDS), (2, 2, 1), object),
    CommandSpec::new("touch", -2, R.or(Flags::FAST), (1, -1, 1), touch),
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

fn touch(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    exists(ctx, args)
}

fn type_(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let name = ctx.store.db(ctx.db_index).get(args.get(1), now).map_or("none", |e| e.kind().type_name());
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
    target.put_entry(Entry::new(to, value, expire), now);
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
    ctx.store.db(ctx.db_index).clear();
    ctx.out.ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    check_flush_mode(args)?;
    for db in 0..ctx.store.db_count() {
        ctx.flushing_db(db);
    }
    ctx.store.flush_all();
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
            "    Return the access frequency index of the <key> (Efis does not track it: 0).",
            "IDLETIME <key>",
            "    Return the idle time of the <key> (Efis does not track it: 0).",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key> (always 1).",
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
    let Some(entry) = ctx.store.db(ctx.db_index).get(args.get(2), now) else {
        ctx.out.null();
        return Ok(());
    };
    if is(sub, "encoding") {
        let name = encoding_name(entry);
        ctx.out.bulk(name.as_bytes());
    } else if is(sub, "refcount") {
        ctx.out.int(1);
    } else {
        ctx.out.int(0);
    }
    Ok(())
}
