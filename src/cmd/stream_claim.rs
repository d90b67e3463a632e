//! Claiming pending entries: XCLAIM and XAUTOCLAIM.
//!
//! Both follow Redis 7.0: an entry deleted from the stream is dropped
//! from the pending list instead of claimed (XAUTOCLAIM reports it in its
//! third reply element); `FORCE` creates a pending entry for an entry that
//! exists; `JUSTID` leaves the delivery count alone. They depend on the
//! time only through the command's clock, which replay sets to the
//! record's time, so each is logged as it was sent.

use super::args::{is, parse_i64, parse_i64_opt};
use super::meta::{arg, key};
use super::stream::{announce, id_bulk, parse_id, stream_mut, stream_ref, write_entry};
use super::stream_group::{no_key_or_group, parse_interval};
use super::table::{CommandSpec, Flags, KEY1};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::{Args, Reply};
use crate::store::stream::{Pending, Stream, StreamId};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("xclaim", -6, Flags::WRITE.or(Flags::FAST), KEY1, xclaim)
        .acl("stream")
        .keys(&[key(1, "RW update")])
        .tips("nondeterministic_output")
        .doc(
            "stream",
            "5.0.0",
            "O(log N) with N being the number of messages in the PEL of the consumer group.",
            "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered \
                to the specified consumer.",
        )
        .args(&[
            arg::key("key", 0),
            arg::string("group"),
            arg::string("consumer"),
            arg::string("min-idle-time"),
            arg::string("id").multiple(),
            arg::integer("ms").token("IDLE").optional(),
            arg::unix_time("unix-time-milliseconds").token("TIME").optional(),
            arg::integer("count").token("RETRYCOUNT").optional(),
            arg::token("force", "FORCE").optional(),
            arg::token("justid", "JUSTID").optional(),
            arg::string("id").token("LASTID").optional(),
        ]),
    CommandSpec::new("xautoclaim", -6, Flags::WRITE.or(Flags::FAST), KEY1, xautoclaim)
        .acl("stream")
        .keys(&[key(1, "RW delete")])
        .tips("nondeterministic_output")
        .doc(
            "stream",
            "6.2.0",
            "O(1) if COUNT is small.",
            "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered \
                to the specified consumer.",
        )
        .history(&[(
            "7.0.0",
            "Added an element to the reply array, containing deleted entries the command cleared from the PEL",
        )])
        .args(&[
            arg::key("key", 0),
            arg::string("group"),
            arg::string("consumer"),
            arg::string("min-idle-time"),
            arg::string("start"),
            arg::integer("count").token("COUNT").optional(),
            arg::token("justid", "JUSTID").optional(),
        ]),
];

/// The group under `key`, or `-NOGROUP`.
fn check_group(ctx: &mut Ctx<'_>, key: &[u8], group: &[u8]) -> CmdResult {
    let now = ctx.now_ms;
    match stream_ref(ctx.db(), key, now)? {
        Some(stream) if stream.groups.contains_key(group) => Ok(()),
        _ => Err(no_key_or_group(key, group)),
    }
}

fn option_i64(arg: &[u8], what: &'static str) -> Result<i64, CmdError> {
    parse_i64_opt(arg).ok_or(CmdError::Static(what))
}

/// Gives pending entry `id` to `consumer`, delivered at `time` (the
/// consumer seen `now`); its count set to `retry` or, unless `justid`,
/// incremented.
#[allow(clippy::too_many_arguments)]
fn claim(
    stream: &mut Stream,
    group: &[u8],
    consumer: &[u8],
    id: StreamId,
    time: i64,
    now: i64,
    retry: Option<u64>,
    justid: bool,
) {
    let group = stream.groups.get_mut(group).expect("checked");
    // An entry FORCE makes pending starts, as in Redis, at one delivery.
    let old = group.pending.get(&id).map_or(1, |p: &Pending| p.delivery_count);
    let count = retry.unwrap_or(if justid { old } else { old + 1 });
    group.deliver(id, consumer, time, count);
    group.consumer(consumer, now).0.seen_time = now;
}

/// Drops pending entry `id`, whose stream entry is gone.
fn drop_pending(stream: &mut Stream, group: &[u8], id: StreamId) -> bool {
    stream.groups.get_mut(group).expect("checked").ack(id)
}

/// `XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms]
/// [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]`.
fn xclaim(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, group, consumer) = (args.get(1), args.get(2), args.get(3));
    check_group(ctx, key, group)?;
    let min_idle = option_i64(args.get(4), "ERR Invalid min-idle-time argument for XCLAIM")?.max(0);
    let mut ids = Vec::new();
    let mut i = 5;
    while i < args.len() {
        match StreamId::parse(args.get(i), 0, true) {
            Some(id) => ids.push(id),
            None => break,
        }
        i += 1;
    }
    let now = ctx.now_ms;
    let (mut force, mut justid) = (false, false);
    let mut delivery_time = None;
    let mut retry = None;
    let mut last_id = StreamId::MIN;
    while i < args.len() {
        let more = i + 1 < args.len();
        let opt = args.get(i);
        if is(opt, "force") {
            force = true;
        } else if is(opt, "justid") {
            justid = true;
        } else if is(opt, "idle") && more {
            i += 1;
            let idle = option_i64(args.get(i), "ERR Invalid IDLE option argument for XCLAIM")?;
            delivery_time = Some(now.saturating_sub(idle));
        } else if is(opt, "time") && more {
            i += 1;
            delivery_time = Some(option_i64(args.get(i), "ERR Invalid TIME option argument for XCLAIM")?);
        } else if is(opt, "retrycount") && more {
            i += 1;
            let n = option_i64(args.get(i), "ERR Invalid RETRYCOUNT option argument for XCLAIM")?;
            retry = (n >= 0).then_some(n as u64);
        } else if is(opt, "lastid") && more {
            i += 1;
            last_id = parse_id(args.get(i), 0, true)?;
        } else {
            let opt = String::from_utf8_lossy(opt);
            return Err(CmdError::Owned(format!("ERR Unrecognized XCLAIM option '{opt}'")));
        }
        i += 1;
    }
    // A bogus time (negative, or in the future) becomes now.
    let time = delivery_time.filter(|&t| (0..=now).contains(&t)).unwrap_or(now);
    let stream = stream_mut(ctx.store.db(ctx.db_index), key, now)?.expect("checked");
    let mut changed = false;
    {
        let group = stream.groups.get_mut(group).expect("checked");
        if last_id > group.last_id {
            group.last_id = last_id;
            changed = true;
        }
    }
    let mut body = Vec::new();
    let mut out = Reply::new(&mut body, ctx.out.resp3);
    let mut claimed = 0;
    let mut created = false;
    for id in ids {
        let pending = stream.groups[group].pending.get(&id).cloned();
        if !stream.contains(id) {
            changed |= pending.is_some() && drop_pending(stream, group, id);
            continue;
        }
        match pending {
            None if !force => continue,
            Some(p) if min_idle > 0 && now - p.delivery_time < min_idle => continue,
            _ => {}
        }
        created |= !stream.groups[group].consumers.contains_key(consumer);
        claim(stream, group, consumer, id, time, now, retry, justid);
        changed = true;
        claimed += 1;
        if justid {
            id_bulk(&mut out, id);
        } else {
            stream.get(id, |entry| write_entry(&mut out, entry));
        }
    }
    ctx.out.array(claimed);
    ctx.out.buf.extend_from_slice(&body);
    if created {
        announce(ctx, "xgroup-createconsumer", key);
    } else if changed {
        ctx.changed();
    }
    Ok(())
}

/// `XAUTOCLAIM key group consumer min-idle-time start [COUNT count]
/// [JUSTID]`: `[next start, claimed, deleted IDs]`.
fn xautoclaim(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, group, consumer) = (args.get(1), args.get(2), args.get(3));
    let min_idle = option_i64(args.get(4), "ERR Invalid min-idle-time argument for XAUTOCLAIM")?.max(0);
    let start = parse_interval(args.get(5), true)?;
    let mut count = 100usize;
    let mut justid = false;
    let mut i = 6;
    while i < args.len() {
        let opt = args.get(i);
        if is(opt, "count") && i + 1 < args.len() {
            let n = parse_i64(args.get(i + 1)).map_err(|_| CmdError::Static("ERR COUNT must be > 0"))?;
            if !(1..=i64::MAX / 16).contains(&n) {
                return Err(CmdError::Static("ERR COUNT must be > 0"));
            }
            count = n as usize;
            i += 2;
        } else if is(opt, "justid") {
            justid = true;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    check_group(ctx, key, group)?;
    let now = ctx.now_ms;
    let stream = stream_mut(ctx.store.db(ctx.db_index), key, now)?.expect("checked");
    let mut attempts = count.saturating_mul(10);
    let mut body = Vec::new();
    let mut out = Reply::new(&mut body, ctx.out.resp3);
    let (mut claimed, mut deleted) = (0, Vec::new());
    let mut created = false;
    let mut cursor = Some(start);
    while let Some(from) = cursor {
        if attempts == 0 || count == 0 {
            break;
        }
        let Some((id, pending)) = stream.groups[group].pending.range(from..).next().map(|(&id, p)| (id, p.clone()))
        else {
            cursor = None;
            break;
        };
        attempts -= 1;
        cursor = id.next();
        if !stream.contains(id) {
            drop_pending(stream, group, id);
            deleted.push(id);
            count -= 1;
            continue;
        }
        if min_idle > 0 && now - pending.delivery_time < min_idle {
            continue;
        }
        created |= !stream.groups[group].consumers.contains_key(consumer);
        claim(stream, group, consumer, id, now, now, None, justid);
        if justid {
            id_bulk(&mut out, id);
        } else {
            stream.get(id, |entry| write_entry(&mut out, entry));
        }
        claimed += 1;
        count -= 1;
    }
    let next = cursor.and_then(|from| stream.groups[group].pending.range(from..).next().map(|(&id, _)| id));
    ctx.out.array(3);
    id_bulk(&mut ctx.out, next.unwrap_or(StreamId::MIN));
    ctx.out.array(claimed);
    ctx.out.buf.extend_from_slice(&body);
    ctx.out.array(deleted.len());
    for id in &deleted {
        id_bulk(&mut ctx.out, *id);
    }
    if created {
        announce(ctx, "xgroup-createconsumer", key);
    } else if claimed > 0 || !deleted.is_empty() {
        ctx.changed();
    }
    Ok(())
}
