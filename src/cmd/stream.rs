//! Stream commands without consumer groups: XADD, XLEN, XRANGE,
//! XREVRANGE, XDEL, XTRIM, XSETID; and the helpers every stream command
//! family shares (lookups, ID arguments, entry replies).
//!
//! Arguments, replies and error texts follow Redis 7.0 (`t_stream.c`).
//! The stream itself lives in `store::stream`.
//!
//! Logging: `XADD` is logged with the concrete ID it chose, and a trim it
//! made as `MAXLEN = <length after>` (exact, so replay removes the same
//! entries whatever `~` or `LIMIT` did); `XTRIM` likewise.

use super::args::{is, parse_i64};
use super::meta::{arg, key, Arg};
use super::table::{CommandSpec, Flags, KEY1};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::{Args, Reply};
use crate::pubsub::{Own, STREAM};
use crate::store::stream::{AddError, EntryView, IdRequest, Stream, StreamId, Trim};
use crate::store::{Db, Ttl, Value};

const W: Flags = Flags::WRITE.or(Flags::DENYOOM);
const R: Flags = Flags::READONLY;
const F: Flags = Flags::FAST;

/// XADD's and XTRIM's trimming arguments.
const TRIM: &[Arg] = &[
    arg::oneof("strategy", &[arg::token("maxlen", "MAXLEN"), arg::token("minid", "MINID").since("6.2.0")]),
    arg::oneof("operator", &[arg::token("equal", "="), arg::token("approximately", "~")]).optional(),
    arg::string("threshold"),
    arg::integer("count").token("LIMIT").since("6.2.0").optional(),
];

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("xadd", -5, W.or(F), KEY1, xadd)
        .acl("stream")
        .keys(&[key(1, "RW update").note("UPDATE instead of INSERT because of the optional trimming feature")])
        .tips("nondeterministic_output")
        .doc(
            "stream",
            "5.0.0",
            "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
            "Appends a new entry to a stream",
        )
        .history(&[
            ("6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option."),
            ("7.0.0", "Added support for the `<ms>-*` explicit ID form."),
        ])
        .args(&[
            arg::key("key", 0),
            arg::token("nomkstream", "NOMKSTREAM").since("6.2.0").optional(),
            arg::block("trim", TRIM).optional(),
            arg::oneof("id_or_auto", &[arg::token("auto_id", "*"), arg::string("id")]),
            arg::block("field_value", &[arg::string("field"), arg::string("value")]).multiple(),
        ]),
    CommandSpec::new("xlen", 2, R.or(F), KEY1, xlen)
        .acl("stream")
        .keys(&[key(1, "RO")])
        .doc("stream", "5.0.0", "O(1)", "Return the number of entries in a stream")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("xrange", -4, R, KEY1, xrange)
        .acl("stream")
        .keys(&[key(1, "RO access")])
        .doc(
            "stream",
            "5.0.0",
            "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for \
                the first 10 elements with COUNT), you can consider it O(1).",
            "Return a range of elements in a stream, with IDs matching the specified IDs interval",
        )
        .history(&[("6.2.0", "Added exclusive ranges.")])
        .args(&[
            arg::key("key", 0),
            arg::string("start"),
            arg::string("end"),
            arg::integer("count").token("COUNT").optional(),
        ]),
    CommandSpec::new("xrevrange", -4, R, KEY1, xrevrange)
        .acl("stream")
        .keys(&[key(1, "RO access")])
        .doc(
            "stream",
            "5.0.0",
            "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the \
                first 10 elements with COUNT), you can consider it O(1).",
            "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse \
                order (from greater to smaller IDs) compared to XRANGE",
        )
        .history(&[("6.2.0", "Added exclusive ranges.")])
        .args(&[
            arg::key("key", 0),
            arg::string("end"),
            arg::string("start"),
            arg::integer("count").token("COUNT").optional(),
        ]),
    CommandSpec::new("xdel", -3, Flags::WRITE.or(F), KEY1, xdel)
        .acl("stream")
        .keys(&[key(1, "RW delete")])
        .doc(
            "stream",
            "5.0.0",
            "O(1) for each single item to delete in the stream, regardless of the stream size.",
            "Removes the specified entries from the stream. Returns the number of items actually deleted, that \
                may be different from the number of IDs passed in case certain IDs do not exist.",
        )
        .args(&[arg::key("key", 0), arg::string("id").multiple()]),
    CommandSpec::new("xtrim", -4, Flags::WRITE, KEY1, xtrim)
        .acl("stream")
        .keys(&[key(1, "RW delete")])
        .tips("nondeterministic_output")
        .doc(
            "stream",
            "5.0.0",
            "O(N), with N being the number of evicted entries. Constant times are very small however, since \
                entries are organized in macro nodes containing multiple entries that can be released with a \
                single deallocation.",
            "Trims the stream to (approximately if '~' is passed) a certain size",
        )
        .history(&[("6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option.")])
        .args(&[arg::key("key", 0), arg::block("trim", TRIM)]),
    CommandSpec::new("xsetid", -3, W.or(F), KEY1, xsetid)
        .acl("stream")
        .keys(&[key(1, "RW update")])
        .doc("stream", "5.0.0", "O(1)", "An internal command for replicating stream values")
        .history(&[("7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments.")])
        .args(&[
            arg::key("key", 0),
            arg::string("last-id"),
            arg::integer("entries_added").token("ENTRIESADDED").since("7.0.0").optional(),
            arg::string("max_deleted_entry_id").token("MAXDELETEDID").since("7.0.0").optional(),
        ]),
];

pub(super) const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

// ---------------------------------------------------------------------------
// Shared by the stream command families.

/// The stream under `key`: `None` if absent, `WrongType` if another type.
pub(super) fn stream_ref<'a>(db: &'a mut Db, key: &[u8], now_ms: i64) -> Result<Option<&'a Stream>, CmdError> {
    Ok(db.get_as(key, now_ms)?)
}

/// The stream under `key`, for changing it in place.
pub(super) fn stream_mut<'a>(db: &'a mut Db, key: &[u8], now_ms: i64) -> Result<Option<&'a mut Stream>, CmdError> {
    Ok(db.get_mut_as(key, now_ms)?)
}

/// An ID argument (`-` and `+` allowed unless `strict`; a missing
/// sequence is `missing_seq`).
pub(super) fn parse_id(arg: &[u8], missing_seq: u64, strict: bool) -> Result<StreamId, CmdError> {
    StreamId::parse(arg, missing_seq, strict).ok_or(CmdError::Static(INVALID_ID))
}

pub(super) fn id_bulk(out: &mut Reply<'_>, id: StreamId) {
    let mut text = [0u8; 41];
    let len = id.write_text(&mut text);
    out.bulk(&text[..len]);
}

/// A stream keyspace event that Redis sends without marking the key
/// changed for `WATCH` (group bookkeeping, `XSETID`): counted as a
/// change, published, and signalled to clients blocked on the key.
pub(super) fn announce(ctx: &mut Ctx<'_>, event: &str, key: &[u8]) {
    ctx.changed();
    let db = ctx.db_index;
    let server = &mut *ctx.server;
    if server.blocking.any() {
        server.blocking.signal(db, key);
    }
    if server.pubsub.active() {
        let clients = &server.clients;
        let resp3_of = |c: usize| clients.get(c).is_some_and(|c| c.resp3);
        let mut own = Own { key: ctx.client_key, buf: &mut *ctx.out.buf };
        server.pubsub.notify_keyspace(STREAM, event, key, db, resp3_of, &mut own);
    }
}

/// `[id, [field, value, ...]]`.
pub(super) fn write_entry(out: &mut Reply<'_>, entry: &EntryView<'_>) {
    out.array(2);
    id_bulk(out, entry.id);
    out.array(entry.fields.len() * 2);
    for (field, value) in &entry.fields {
        out.bulk(field);
        out.bulk(value);
    }
}

/// Writes up to `count` entries (0: all) of `start..=end` as an array.
pub(super) fn write_range(
    out: &mut Reply<'_>,
    stream: &Stream,
    start: StreamId,
    end: StreamId,
    rev: bool,
    count: usize,
) {
    let mut body = Vec::new();
    let mut scratch = Reply::new(&mut body, out.resp3);
    let mut n = 0;
    stream.scan(start, end, rev, |entry| {
        write_entry(&mut scratch, entry);
        n += 1;
        count == 0 || n < count
    });
    out.array(n);
    out.buf.extend_from_slice(&body);
}

// ---------------------------------------------------------------------------
// Trimming options, shared by XADD and XTRIM.

/// `MAXLEN|MINID [=|~] threshold [LIMIT count]`.
#[derive(Default)]
struct TrimArgs {
    trim: Option<Trim>,
    approx: bool,
    limit: Option<i64>,
}

/// Parses XADD's or XTRIM's options from argument 2 on. For XADD it stops
/// at the ID and returns its position.
fn parse_trim_args(args: Args<'_>, xadd: bool, nomkstream: &mut bool) -> Result<(TrimArgs, usize), CmdError> {
    let mut parsed = TrimArgs::default();
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = args.get(i);
        if xadd && opt == b"*" {
            break;
        }
        if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if parsed.trim.is_some() {
                return Err(CmdError::Static(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            parsed.approx = false;
            let next = args.get(i + 1);
            if more >= 2 && (next == b"~" || next == b"=") {
                parsed.approx = next == b"~";
                i += 1;
            }
            let value = args.get(i + 1);
            parsed.trim = Some(if is(opt, "maxlen") {
                let max = parse_i64(value)?;
                if max < 0 {
                    return Err(CmdError::Static("ERR The MAXLEN argument must be >= 0."));
                }
                Trim::MaxLen(max as u64)
            } else {
                Trim::MinId(parse_id(value, 0, true)?)
            });
            i += 2;
        } else if is(opt, "limit") && more > 0 {
            let limit = parse_i64(args.get(i + 1))?;
            if limit < 0 {
                return Err(CmdError::Static("ERR The LIMIT argument must be >= 0."));
            }
            parsed.limit = Some(limit);
            i += 2;
        } else if xadd && is(opt, "nomkstream") {
            *nomkstream = true;
            i += 1;
        } else if xadd {
            break;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if parsed.limit.is_some_and(|l| l > 0) && parsed.trim.is_none() {
        return Err(CmdError::Static("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"));
    }
    if !xadd && parsed.trim.is_none() {
        return Err(CmdError::Static("ERR syntax error, XTRIM must be called with a trimming strategy"));
    }
    if parsed.limit.is_some() && !parsed.approx {
        return Err(CmdError::Static("ERR syntax error, LIMIT cannot be used without the special ~ option"));
    }
    Ok((parsed, i))
}

/// Trims `stream` as `parsed` says; the number of entries removed.
fn apply_trim(stream: &mut Stream, parsed: &TrimArgs) -> u64 {
    let Some(trim) = parsed.trim else { return 0 };
    // Redis's default LIMIT for `~`: 100 nodes of 100 entries.
    let limit = if parsed.approx { parsed.limit.map_or(10_000, |l| l as u64) } else { 0 };
    stream.trim(trim, parsed.approx, limit)
}

// ---------------------------------------------------------------------------

/// `XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]]
/// *|id field value [field value ...]`: the new ID.
fn xadd(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let mut nomkstream = false;
    let (parsed, id_at) = parse_trim_args(args, true, &mut nomkstream)?;
    let field_at = id_at + 1;
    if args.len() < field_at + 2 || !(args.len() - field_at).is_multiple_of(2) {
        return Err(CmdError::Static("ERR wrong number of arguments for 'xadd' command"));
    }
    let id_arg = args.get(id_at);
    let request = if id_arg == b"*" {
        IdRequest::Auto
    } else if let Some(ms) = id_arg.strip_suffix(b"-*") {
        match StreamId::parse(ms, 0, true) {
            Some(id) if !ms.contains(&b'-') => IdRequest::Ms(id.ms),
            _ => return Err(CmdError::Static(INVALID_ID)),
        }
    } else {
        let id = parse_id(id_arg, 0, true)?;
        if id.is_zero() {
            return Err(CmdError::Static("ERR The ID specified in XADD must be greater than 0-0"));
        }
        IdRequest::Exact(id)
    };
    let key = args.get(1);
    let now = ctx.now_ms;
    let db = ctx.store.db(ctx.db_index);
    let stream = match stream_mut(db, key, now)? {
        Some(stream) => stream,
        None if nomkstream => {
            ctx.out.null();
            return Ok(());
        }
        None => {
            // Checked before creating, so a refused ID leaves no key.
            if let Err(e) = Stream::new().next_id(request, now) {
                return Err(add_error(e));
            }
            db.set(key, Value::Stream(Box::default()), Ttl::Clear, now);
            stream_mut(db, key, now)?.expect("just created")
        }
    };
    let id = stream.next_id(request, now).map_err(add_error)?;
    let fields: Vec<(&[u8], &[u8])> =
        (field_at..args.len()).step_by(2).map(|i| (args.get(i), args.get(i + 1))).collect();
    stream.push(id, &fields);
    let trimmed = apply_trim(stream, &parsed);
    let length = stream.len().to_string();
    let id_text = id.text();
    ctx.out.bulk(id_text.as_bytes());
    ctx.notify(STREAM, "xadd", key);
    if trimmed > 0 {
        ctx.notify(STREAM, "xtrim", key);
    }
    let mut logged: Vec<&[u8]> = vec![b"XADD", key];
    if nomkstream {
        logged.push(b"NOMKSTREAM");
    }
    if parsed.trim.is_some() {
        logged.extend_from_slice(&[b"MAXLEN", b"=", length.as_bytes()]);
    }
    logged.push(id_text.as_bytes());
    logged.extend(args.iter().skip(field_at));
    ctx.log_as(&logged);
    Ok(())
}

fn add_error(e: AddError) -> CmdError {
    match e {
        AddError::TooSmall => {
            CmdError::Static("ERR The ID specified in XADD is equal or smaller than the target stream top item")
        }
        // Redis 7.0's words for this case.
        AddError::SequenceExhausted => CmdError::Static("ERR Elements are too large to be stored"),
        AddError::Exhausted => {
            CmdError::Static("ERR The stream has exhausted the last possible ID, unable to add more items")
        }
    }
}

/// `XLEN key`.
fn xlen(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let len = stream_ref(ctx.db(), args.get(1), now)?.map_or(0, Stream::len);
    ctx.out.int(len as i64);
    Ok(())
}

/// A range bound: `-`, `+`, an ID, a bare ms, or `(`-exclusive.
fn parse_bound(arg: &[u8], start: bool) -> Result<StreamId, CmdError> {
    let invalid = if start { "ERR invalid start ID for the interval" } else { "ERR invalid end ID for the interval" };
    if let Some(rest) = arg.strip_prefix(b"(") {
        let id = parse_id(rest, if start { 0 } else { u64::MAX }, true)?;
        return if start { id.next() } else { id.prev() }.ok_or(CmdError::Static(invalid));
    }
    parse_id(arg, if start { 0 } else { u64::MAX }, false)
}

/// `XRANGE key start end [COUNT count]` (XREVRANGE takes `end start`).
fn range(ctx: &mut Ctx<'_>, args: Args<'_>, rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev { (args.get(3), args.get(2)) } else { (args.get(2), args.get(3)) };
    let start = parse_bound(start_arg, true)?;
    let end = parse_bound(end_arg, false)?;
    let mut count = None;
    let mut i = 4;
    while i < args.len() {
        if is(args.get(i), "count") && i + 1 < args.len() {
            count = Some(parse_i64(args.get(i + 1))?);
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let now = ctx.now_ms;
    let Some(stream) = stream_ref(ctx.store.db(ctx.db_index), args.get(1), now)? else {
        ctx.out.array(0);
        return Ok(());
    };
    match count {
        // As Redis answers a COUNT of 0 (or less) on an existing stream.
        Some(n) if n <= 0 => ctx.out.null_array(),
        _ => write_range(&mut ctx.out, stream, start, end, rev, count.unwrap_or(0) as usize),
    }
    Ok(())
}

fn xrange(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    range(ctx, args, false)
}

fn xrevrange(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    range(ctx, args, true)
}

/// `XDEL key id [id ...]`: how many were deleted.
fn xdel(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let ids = args.iter().skip(2).map(|arg| parse_id(arg, 0, true)).collect::<Result<Vec<_>, _>>()?;
    let (key, now) = (args.get(1), ctx.now_ms);
    let Some(stream) = stream_mut(ctx.db(), key, now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let deleted = ids.into_iter().filter(|&id| stream.delete(id)).count();
    ctx.out.int(deleted as i64);
    if deleted > 0 {
        ctx.notify(STREAM, "xdel", key);
    }
    Ok(())
}

/// `XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]`: how many
/// entries were removed.
fn xtrim(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let mut unused = false;
    let (parsed, _) = parse_trim_args(args, false, &mut unused)?;
    let Some(stream) = stream_mut(ctx.db(), key, now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let removed = apply_trim(stream, &parsed);
    let length = stream.len().to_string();
    ctx.out.int(removed as i64);
    if removed > 0 {
        ctx.notify(STREAM, "xtrim", key);
        ctx.log_as(&[b"XTRIM", key, b"MAXLEN", b"=", length.as_bytes()]);
    }
    Ok(())
}

/// `XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]`.
fn xsetid(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let id = parse_id(args.get(2), 0, true)?;
    let mut entries_added = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if is(args.get(i), "entriesadded") && has_value {
            let n = parse_i64(args.get(i + 1))?;
            if n < 0 {
                return Err(CmdError::Static("ERR entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if is(args.get(i), "maxdeletedid") && has_value {
            max_deleted = parse_id(args.get(i + 1), 0, true)?;
            if id < max_deleted {
                return Err(CmdError::Static(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let (key, now) = (args.get(1), ctx.now_ms);
    let stream = stream_mut(ctx.db(), key, now)?.ok_or(CmdError::NoSuchKey)?;
    if !stream.is_empty() {
        if id < stream.last_entry_id() {
            return Err(CmdError::Static("ERR The ID specified in XSETID is smaller than the target stream top item"));
        }
        if entries_added.is_some_and(|n| n < stream.len()) {
            return Err(CmdError::Static(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    stream.last_id = id;
    if let Some(n) = entries_added {
        stream.entries_added = n;
    }
    if !max_deleted.is_zero() {
        stream.max_deleted = max_deleted;
    }
    ctx.out.ok();
    announce(ctx, "xsetid", key);
    Ok(())
}
