//! Reading streams, alone or in a consumer group: XREAD and XREADGROUP,
//! with `BLOCK`.
//!
//! A read that finds nothing new and asked to `BLOCK` registers the
//! client in `state::blocking` with its command, `$` replaced by the
//! stream's last ID at that moment; every write to one of its keys makes
//! the loop run the command again as `Caller::Wakeup`, oldest waiter
//! first. Inside `MULTI` it answers a null array at once; from a script,
//! `BLOCK` is refused. A woken `XREADGROUP` whose group was destroyed
//! answers `-NOGROUP`, and one whose key was deleted (or now holds
//! another type) answers `-UNBLOCKED`, as Redis 7.0 does.
//!
//! Logging: `XREAD` changes nothing. An `XREADGROUP` that changed
//! something (delivered entries, moved the group, created a consumer) is
//! logged as itself, one record however many entries it delivered: replay
//! runs it against the same state at the same time (the record's), so it
//! delivers the same entries to the same consumer, with the same delivery
//! times and counts and the same read counter, and a `BLOCK` in it never
//! blocks there. Redis propagates an `XCLAIM` per delivered entry and an
//! `XGROUP SETID` instead; Efis's log is only ever replayed into the state
//! it was written from, where the command itself is deterministic, and
//! one record instead of eleven keeps a consumer loop's log small. The
//! snapshot writes pending entries as `XCLAIM`s (`persist::snapshot_stream`).

use super::args::{is, parse_i64};
use super::meta::{after_keyword, arg, Arg};
use super::stream::{announce, id_bulk, parse_id, stream_mut, stream_ref, write_entry};
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::{Caller, CmdError, CmdResult, Ctx};
use crate::protocol::{Args, OwnedArgs, Reply};
use crate::state::blocking::Blocked;
use crate::store::stream::{Stream, StreamId};

/// XREAD's and XREADGROUP's `STREAMS` argument.
const STREAMS: Arg =
    arg::block("streams", &[arg::key("key", 0).multiple(), arg::string("id").multiple()]).token("STREAMS");

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("xread", -4, Flags::READONLY.or(Flags::BLOCKING), NO_KEYS, xread)
        .acl("stream")
        .keys(&[after_keyword("STREAMS", 1, "RO access").range(-1, 1, 2)])
        .doc(
            "stream",
            "5.0.0",
            "For each stream mentioned: O(N) with N being the number of elements being returned, it means that \
                XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) \
                time in order to serve the M clients blocked on the stream getting new data.",
            "Return never seen elements in multiple streams, with IDs greater than the ones reported by the \
                caller for each stream. Can block.",
        )
        .args(&[
            arg::integer("count").token("COUNT").optional(),
            arg::integer("milliseconds").token("BLOCK").optional(),
            STREAMS,
        ]),
    CommandSpec::new("xreadgroup", -7, Flags::WRITE.or(Flags::BLOCKING), NO_KEYS, xreadgroup)
        .acl("stream")
        .keys(&[after_keyword("STREAMS", 4, "RO access").range(-1, 1, 2)])
        .doc(
            "stream",
            "5.0.0",
            "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant \
                (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other \
                side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked \
                on the stream getting new data.",
            "Return new entries from a stream using a consumer group, or access the history of the pending \
                entries for a given consumer. Can block.",
        )
        .args(&[
            arg::block("group_consumer", &[arg::string("group"), arg::string("consumer")]).token("GROUP"),
            arg::integer("count").token("COUNT").optional(),
            arg::integer("milliseconds").token("BLOCK").optional(),
            arg::token("noack", "NOACK").optional(),
            STREAMS,
        ]),
];

/// Where a read starts on one stream.
#[derive(Clone, Copy, PartialEq, Eq)]
enum From {
    /// Entries after this ID.
    After(StreamId),
    /// `>`: entries never delivered to the group.
    New,
}

/// A parsed XREAD/XREADGROUP.
struct Request<'a> {
    count: usize,
    /// `None`: no BLOCK; `Some(None)`: forever; `Some(Some(ms))`.
    block: Option<Option<i64>>,
    noack: bool,
    group: Option<(&'a [u8], &'a [u8])>,
    streams_at: usize,
    streams: usize,
}

fn parse_block(arg: &[u8]) -> Result<Option<i64>, CmdError> {
    let ms =
        super::args::parse_i64_opt(arg).ok_or(CmdError::Static("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CmdError::Static("ERR timeout is negative"));
    }
    Ok((ms > 0).then_some(ms))
}

fn parse_request<'a>(ctx: &Ctx<'_>, args: Args<'a>, grouped: bool) -> Result<Request<'a>, CmdError> {
    let mut request = Request { count: 0, block: None, noack: false, group: None, streams_at: 0, streams: 0 };
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - i - 1;
        let opt = args.get(i);
        if is(opt, "block") && more > 0 {
            if matches!(ctx.caller, Caller::Script { .. }) {
                let name = String::from_utf8_lossy(args.get(0));
                return Err(CmdError::Owned(format!(
                    "ERR {name} command is not allowed with BLOCK option from scripts"
                )));
            }
            request.block = Some(parse_block(args.get(i + 1))?);
            i += 2;
        } else if is(opt, "count") && more > 0 {
            request.count = parse_i64(args.get(i + 1))?.max(0) as usize;
            i += 2;
        } else if is(opt, "streams") && more > 0 {
            let rest = args.len() - i - 1;
            if !rest.is_multiple_of(2) {
                return Err(CmdError::Static(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            request.streams_at = i + 1;
            request.streams = rest / 2;
            break;
        } else if is(opt, "group") && more >= 2 {
            if !grouped {
                return Err(CmdError::Static(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            request.group = Some((args.get(i + 1), args.get(i + 2)));
            i += 3;
        } else if is(opt, "noack") {
            if !grouped {
                return Err(CmdError::Static(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            request.noack = true;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if request.streams_at == 0 {
        return Err(CmdError::Syntax);
    }
    if grouped && request.group.is_none() {
        return Err(CmdError::Static("ERR Missing GROUP option for XREADGROUP"));
    }
    Ok(request)
}

/// What the loop does with a blocked client when the key it waits on is
/// gone (deleted, or emptied by the waiters served before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenKeyGone {
    /// Run its command: an `XREADGROUP`, which answers `-UNBLOCKED`.
    Run,
    /// Leave it waiting and look at the next waiter (`XREAD`: an
    /// `XREADGROUP` may wait behind it).
    Skip,
    /// Leave it and every waiter after it (the blocking pops).
    Stop,
}

/// [`WhenKeyGone`] for a blocked `command`.
pub fn when_key_gone(command: Args<'_>) -> WhenKeyGone {
    match command.get(0) {
        name if is(name, "xreadgroup") => WhenKeyGone::Run,
        name if is(name, "xread") => WhenKeyGone::Skip,
        _ => WhenKeyGone::Stop,
    }
}

fn xread(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    read(ctx, args, false)
}

fn xreadgroup(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    read(ctx, args, true)
}

/// Resolves each stream's starting point, checking types and groups in
/// argument order as Redis does.
fn resolve(ctx: &mut Ctx<'_>, args: Args<'_>, request: &Request<'_>) -> Result<Vec<From>, CmdError> {
    let now = ctx.now_ms;
    let waking = ctx.caller == Caller::Wakeup;
    let mut starts = Vec::with_capacity(request.streams);
    for n in 0..request.streams {
        let key = args.get(request.streams_at + n);
        let id_arg = args.get(request.streams_at + request.streams + n);
        let stream = match stream_ref(ctx.db(), key, now) {
            Ok(found) => found,
            Err(_) if waking && request.group.is_some() => {
                return Err(CmdError::Static("UNBLOCKED the stream key no longer exists"))
            }
            Err(_) if waking => None,
            Err(e) => return Err(e),
        };
        if let Some((group, _)) = request.group {
            let found = stream.is_some_and(|s| s.groups.contains_key(group));
            if !found && waking {
                return Err(CmdError::Static(if stream.is_none() {
                    "UNBLOCKED the stream key no longer exists"
                } else {
                    "NOGROUP the consumer group this client was blocked on no longer exists"
                }));
            }
            if !found {
                return Err(CmdError::Owned(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    String::from_utf8_lossy(key),
                    String::from_utf8_lossy(group)
                )));
            }
        }
        let start = match id_arg {
            b"$" if request.group.is_some() => {
                return Err(CmdError::Static(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ))
            }
            b"$" => From::After(stream.map_or(StreamId::MIN, |s| s.last_id)),
            b">" if request.group.is_none() => {
                return Err(CmdError::Static(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ))
            }
            b">" => From::New,
            _ => From::After(parse_id(id_arg, 0, true)?),
        };
        starts.push(start);
    }
    Ok(starts)
}

fn read(ctx: &mut Ctx<'_>, args: Args<'_>, grouped: bool) -> CmdResult {
    let request = parse_request(ctx, args, grouped)?;
    let starts = resolve(ctx, args, &request)?;
    let mut body = Vec::new();
    let mut served = 0;
    for (n, &start) in starts.iter().enumerate() {
        let key = args.get(request.streams_at + n);
        let mut out = Reply::new(&mut body, ctx.out.resp3);
        let wrote = match request.group {
            None => read_plain(ctx, key, start, request.count, &mut out)?,
            Some((group, consumer)) => read_group(ctx, key, group, consumer, start, &request, &mut out)?,
        };
        served += wrote as usize;
        // A woken reader is answered from one stream, as Redis answers it
        // from the key that became ready.
        if wrote && ctx.caller == Caller::Wakeup {
            break;
        }
    }
    if served > 0 {
        if ctx.out.resp3 {
            ctx.out.map(served);
        } else {
            ctx.out.array(served);
        }
        ctx.out.buf.extend_from_slice(&body);
        return Ok(());
    }
    match (request.block, ctx.caller) {
        (Some(timeout), Caller::Client) => block(ctx, args, &request, &starts, timeout),
        (Some(_), Caller::Wakeup) => ctx.unserved = true,
        _ => ctx.out.null_array(),
    }
    Ok(())
}

/// Registers the client as waiting, with `$` replaced by the ID it stood
/// for, so that the command run again reads what arrived since.
fn block(ctx: &mut Ctx<'_>, args: Args<'_>, request: &Request<'_>, starts: &[From], timeout: Option<i64>) {
    let mut owned: Vec<Vec<u8>> = args.iter().map(<[u8]>::to_vec).collect();
    for (n, start) in starts.iter().enumerate() {
        if let From::After(id) = start {
            owned[request.streams_at + request.streams + n] = id.text().into_bytes();
        }
    }
    // Woken, a reader without COUNT gets at most 1000 entries, as in Redis.
    if request.count == 0 {
        owned.splice(1..1, [b"COUNT".to_vec(), b"1000".to_vec()]);
    }
    let spans: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
    let mut data = Vec::new();
    let mut bounds = Vec::new();
    for part in &spans {
        bounds.push((data.len(), data.len() + part.len()));
        data.extend_from_slice(part);
    }
    let keys = (0..request.streams).map(|n| args.get(request.streams_at + n).to_vec()).collect();
    let blocked = Blocked {
        db: ctx.db_index,
        keys,
        deadline: timeout.map(|ms| ctx.now_ms.saturating_add(ms)),
        command: OwnedArgs::new(Args::new(&data, &bounds)),
    };
    ctx.server.blocking.block(ctx.client_key, blocked);
    ctx.client().blocked = true;
    ctx.server.blocked_clients = ctx.server.blocking.len();
}

/// `[key, entries]` of one stream for XREAD; false if nothing is newer
/// than `start`.
fn read_plain(ctx: &mut Ctx<'_>, key: &[u8], start: From, count: usize, out: &mut Reply<'_>) -> Result<bool, CmdError> {
    let From::After(after) = start else { return Ok(false) };
    let (now, waking) = (ctx.now_ms, ctx.caller == Caller::Wakeup);
    let stream = match stream_ref(ctx.db(), key, now) {
        Ok(Some(stream)) => stream,
        Ok(None) => return Ok(false),
        Err(_) if waking => return Ok(false),
        Err(e) => return Err(e),
    };
    let Some(from) = after.next() else { return Ok(false) };
    if stream.is_empty() || stream.last_entry_id() < from {
        return Ok(false);
    }
    if !out.resp3 {
        out.array(2);
    }
    out.bulk(key);
    super::stream::write_range(out, stream, from, StreamId::MAX, false, count);
    Ok(true)
}

/// One stream of an XREADGROUP: new entries (`>`) or the consumer's own
/// history after an ID.
fn read_group(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    group_name: &[u8],
    consumer: &[u8],
    start: From,
    request: &Request<'_>,
    out: &mut Reply<'_>,
) -> Result<bool, CmdError> {
    let now = ctx.now_ms;
    let stream = stream_mut(ctx.db(), key, now)?.expect("resolved");
    let group = stream.groups.get(group_name).expect("resolved");
    let last_delivered = group.last_id;
    if start == From::New && (stream.is_empty() || stream.last_entry_id() <= last_delivered) {
        return Ok(false);
    }
    let group = stream.groups.get_mut(group_name).expect("resolved");
    let (seen, created) = group.consumer(consumer, now);
    seen.seen_time = now;
    if !out.resp3 {
        out.array(2);
    }
    out.bulk(key);
    let mut claimed = Vec::new();
    match start {
        From::After(after) => history(stream, group_name, consumer, after, request.count, now, out, &mut claimed),
        From::New => {
            let from = last_delivered.next().unwrap_or(StreamId::MAX);
            let mut body = Vec::new();
            let mut scratch = Reply::new(&mut body, out.resp3);
            let mut ids = Vec::new();
            stream.scan(from, StreamId::MAX, false, |entry| {
                write_entry(&mut scratch, entry);
                ids.push(entry.id);
                request.count == 0 || ids.len() < request.count
            });
            out.array(ids.len());
            out.buf.extend_from_slice(&body);
            for &id in &ids {
                stream.advance_group(group_name, id);
                if !request.noack {
                    let group = stream.groups.get_mut(group_name).expect("resolved");
                    group.deliver(id, consumer, now, 1);
                    claimed.push((id, 1));
                }
            }
        }
    }
    let moved = stream.groups[group_name].last_id != last_delivered;
    if created {
        announce(ctx, "xgroup-createconsumer", key);
    }
    // Logged as itself by the dispatcher (see the module's docs).
    if !claimed.is_empty() || moved {
        ctx.changed();
    }
    Ok(true)
}

/// The consumer's pending entries after `after`: each delivered again
/// (its time and count updated), or `[id, nil]` if it was deleted.
#[allow(clippy::too_many_arguments)]
fn history(
    stream: &mut Stream,
    group_name: &[u8],
    consumer: &[u8],
    after: StreamId,
    count: usize,
    now: i64,
    out: &mut Reply<'_>,
    claimed: &mut Vec<(StreamId, u64)>,
) {
    let group = &stream.groups[group_name];
    let ids: Vec<StreamId> = match after.next() {
        Some(from) => group.consumers[consumer]
            .pending
            .range(from..)
            .take(if count == 0 { usize::MAX } else { count })
            .copied()
            .collect(),
        None => Vec::new(),
    };
    out.array(ids.len());
    for id in ids {
        let found = stream.get(id, |entry| write_entry(out, entry));
        if !found {
            out.array(2);
            id_bulk(out, id);
            out.null_array();
            continue;
        }
        let group = stream.groups.get_mut(group_name).expect("resolved");
        if let Some(pending) = group.pending.get_mut(&id) {
            pending.delivery_time = now;
            pending.delivery_count += 1;
            claimed.push((id, pending.delivery_count));
        }
    }
}
