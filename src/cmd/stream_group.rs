//! Consumer-group commands: XGROUP (CREATE, SETID, DESTROY,
//! CREATECONSUMER, DELCONSUMER, HELP), XACK and XPENDING. Claiming
//! (XCLAIM, XAUTOCLAIM) is in `stream_claim.rs`, reading in
//! `stream_read.rs`.
//!
//! Replies and errors follow Redis 7.0; XGROUP is a container command
//! whose subcommands have entries of their own (`xgroup|create` and the
//! rest, all run by `xgroup`), so an unknown subcommand or a wrong
//! argument count is reported as Redis reports it, and each subcommand
//! carries Redis's flags: all but HELP are `write`, hence logged, and
//! CREATE and CREATECONSUMER `denyoom`. Every one of these
//! commands replays to the same state as itself (a `$` resolves to the
//! same last ID at replay), so each is logged as it was sent.

use super::args::{is, parse_i64};
use super::meta::{arg, key, Arg};
use super::stream::{announce, id_bulk, parse_id, stream_mut, stream_ref};
use super::table::{CommandSpec, Flags, KEY1, NO_KEYS};
use super::{subcommand_arity, unknown_subcommand, CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::pubsub::STREAM;
use crate::store::stream::{Group, Stream, StreamId, UNKNOWN_READS};
use crate::store::{Ttl, Value};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("xgroup", -2, Flags::NONE, NO_KEYS, xgroup)
        .doc("stream", "5.0.0", "Depends on subcommand.", "A container for consumer groups commands")
        .subcommands(XGROUP_SUBCOMMANDS),
    CommandSpec::new("xack", -4, Flags::WRITE.or(Flags::FAST), KEY1, xack)
        .acl("stream")
        .keys(&[key(1, "RW update")])
        .doc(
            "stream",
            "5.0.0",
            "O(1) for each message ID processed.",
            "Marks a pending message as correctly processed, effectively removing it from the pending entries \
                list of the consumer group. Return value of the command is the number of messages successfully \
                acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
        )
        .args(&[arg::key("key", 0), arg::string("group"), arg::string("id").multiple()]),
    CommandSpec::new("xpending", -3, Flags::READONLY, KEY1, xpending)
        .acl("stream")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output")
        .doc(
            "stream",
            "5.0.0",
            "O(N) with N being the number of elements returned, so asking for a small fixed number of entries \
                per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE \
                filter. When the command returns just the summary and the list of consumers is small, it runs in \
                O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
            "Return information and entries from a stream consumer group pending entries list, that are \
                messages fetched but never acknowledged.",
        )
        .history(&[("6.2.0", "Added the `IDLE` option and exclusive range intervals.")])
        .args(&[
            arg::key("key", 0),
            arg::string("group"),
            arg::block(
                "filters",
                &[
                    arg::integer("min-idle-time").token("IDLE").since("6.2.0").optional(),
                    arg::string("start"),
                    arg::string("end"),
                    arg::integer("count"),
                    arg::string("consumer").optional(),
                ],
            )
            .optional(),
        ]),
];

/// XGROUP CREATE's and SETID's ID: a given one or `$`.
const GROUP_ID: Arg = arg::oneof("id", &[arg::string("id"), arg::token("new_id", "$")]);

/// XGROUP's subcommands (each runs `xgroup`). Every one but HELP is
/// `write`, so it is logged and replayed.
const XGROUP_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("xgroup|create", -5, Flags::WRITE.or(Flags::DENYOOM), (2, 2, 1), xgroup)
        .acl("stream")
        .keys(&[key(2, "RW insert")])
        .doc("stream", "5.0.0", "O(1)", "Create a consumer group.")
        .history(&[("7.0.0", "Added the `entries_read` named argument.")])
        .args(&[
            arg::key("key", 0),
            arg::string("groupname"),
            GROUP_ID,
            arg::token("mkstream", "MKSTREAM").optional(),
            arg::integer("entries_read").token("ENTRIESREAD").optional(),
        ]),
    CommandSpec::new("xgroup|createconsumer", 5, Flags::WRITE.or(Flags::DENYOOM), (2, 2, 1), xgroup)
        .acl("stream")
        .keys(&[key(2, "RW insert")])
        .doc("stream", "6.2.0", "O(1)", "Create a consumer in a consumer group.")
        .args(&[arg::key("key", 0), arg::string("groupname"), arg::string("consumername")]),
    CommandSpec::new("xgroup|delconsumer", 5, Flags::WRITE, (2, 2, 1), xgroup)
        .acl("stream")
        .keys(&[key(2, "RW delete")])
        .doc("stream", "5.0.0", "O(1)", "Delete a consumer from a consumer group.")
        .args(&[arg::key("key", 0), arg::string("groupname"), arg::string("consumername")]),
    CommandSpec::new("xgroup|destroy", 4, Flags::WRITE, (2, 2, 1), xgroup)
        .acl("stream")
        .keys(&[key(2, "RW delete")])
        .doc(
            "stream",
            "5.0.0",
            "O(N) where N is the number of entries in the group's pending entries list (PEL).",
            "Destroy a consumer group.",
        )
        .args(&[arg::key("key", 0), arg::string("groupname")]),
    CommandSpec::new("xgroup|help", 2, Flags::LOADING.or(Flags::STALE), NO_KEYS, xgroup).acl("stream").doc(
        "stream",
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new("xgroup|setid", -5, Flags::WRITE, (2, 2, 1), xgroup)
        .acl("stream")
        .keys(&[key(2, "RW update")])
        .doc("stream", "5.0.0", "O(1)", "Set a consumer group to an arbitrary last delivered ID value.")
        .history(&[("7.0.0", "Added the optional `entries_read` argument.")])
        .args(&[
            arg::key("key", 0),
            arg::string("groupname"),
            GROUP_ID,
            arg::integer("entries_read").token("ENTRIESREAD").optional(),
        ]),
];

/// `-NOGROUP` as XGROUP and XINFO word it.
pub(super) fn no_such_group(group: &[u8], key: &[u8]) -> CmdError {
    CmdError::Owned(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        String::from_utf8_lossy(group),
        String::from_utf8_lossy(key)
    ))
}

/// `-NOGROUP` as XPENDING, XCLAIM and XAUTOCLAIM word it.
pub(super) fn no_key_or_group(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::Owned(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(group)
    ))
}

const HELP: [&str; 17] = [
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
];

/// `XGROUP <subcommand> ...`.
fn xgroup(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let sub = args.get(1);
    let arity_ok = |n: usize| match sub.to_ascii_lowercase().as_slice() {
        b"create" | b"setid" => n >= 5,
        b"destroy" => n == 4,
        b"createconsumer" | b"delconsumer" => n == 5,
        _ => n == 2,
    };
    if !["create", "setid", "destroy", "createconsumer", "delconsumer", "help"].iter().any(|s| is(sub, s)) {
        return Err(unknown_subcommand("xgroup", sub));
    }
    if !arity_ok(args.len()) {
        return Err(subcommand_arity("xgroup", sub));
    }
    if is(sub, "help") {
        ctx.out.array(HELP.len());
        for line in HELP {
            ctx.out.simple(line);
        }
        return Ok(());
    }
    let syntax = || {
        CmdError::Owned(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.",
            String::from_utf8_lossy(sub)
        ))
    };
    let (create, setid) = (is(sub, "create"), is(sub, "setid"));
    let mut mkstream = false;
    let mut entries_read = UNKNOWN_READS;
    let mut i = 5;
    while i < args.len() {
        if create && is(args.get(i), "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && is(args.get(i), "entriesread") && i + 1 < args.len() {
            entries_read = parse_i64(args.get(i + 1))?;
            if entries_read < 0 && entries_read != UNKNOWN_READS {
                return Err(CmdError::Static("ERR value for ENTRIESREAD must be positive or -1"));
            }
            i += 2;
        } else {
            return Err(syntax());
        }
    }
    let (key, group, now) = (args.get(2), args.get(3), ctx.now_ms);
    let exists = stream_ref(ctx.db(), key, now)?.is_some();
    if !exists && !mkstream {
        return Err(CmdError::Static(
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
        ));
    }
    if exists && !create && !is(sub, "destroy") {
        let stream = stream_ref(ctx.db(), key, now)?.expect("exists");
        if !stream.groups.contains_key(group) {
            return Err(no_such_group(group, key));
        }
    }
    if create {
        // At most `MKSTREAM` and `ENTRIESREAD n` after the ID.
        if args.len() > 8 {
            return Err(syntax());
        }
        return create_group(ctx, args, exists, entries_read);
    }
    if setid {
        if args.len() != 5 && args.len() != 7 {
            return Err(syntax());
        }
        let stream = stream_mut(ctx.db(), key, now)?.expect("exists");
        let id = match args.get(4) {
            b"$" => stream.last_id,
            arg => parse_id(arg, 0, false)?,
        };
        let group = stream.groups.get_mut(group).expect("checked");
        group.last_id = id;
        group.entries_read = entries_read;
        ctx.out.ok();
        announce(ctx, "xgroup-setid", key);
        return Ok(());
    }
    let stream = stream_mut(ctx.db(), key, now)?.expect("exists");
    if is(sub, "destroy") {
        let removed = stream.groups.remove(group).is_some();
        ctx.out.int(removed as i64);
        if removed {
            announce(ctx, "xgroup-destroy", key);
        }
    } else if is(sub, "createconsumer") {
        let group = stream.groups.get_mut(group).expect("checked");
        let created = group.consumer(args.get(4), now).1;
        ctx.out.int(created as i64);
        if created {
            announce(ctx, "xgroup-createconsumer", key);
        }
    } else {
        let group = stream.groups.get_mut(group).expect("checked");
        match group.remove_consumer(args.get(4)) {
            Some(pending) => {
                ctx.out.int(pending as i64);
                announce(ctx, "xgroup-delconsumer", key);
            }
            None => ctx.out.int(0),
        }
    }
    Ok(())
}

fn create_group(ctx: &mut Ctx<'_>, args: Args<'_>, exists: bool, entries_read: i64) -> CmdResult {
    let (key, name, now) = (args.get(2), args.get(3), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    let id = match args.get(4) {
        b"$" => stream_ref(db, key, now)?.map_or(StreamId::MIN, |s| s.last_id),
        arg => parse_id(arg, 0, true)?,
    };
    if !exists {
        db.set(key, Value::Stream(Box::default()), Ttl::Clear, now);
    }
    let stream: &mut Stream = stream_mut(db, key, now)?.expect("exists");
    if stream.groups.contains_key(name) {
        return Err(CmdError::Static("BUSYGROUP Consumer Group name already exists"));
    }
    stream.groups.insert(name.into(), Group::new(id, entries_read));
    ctx.out.ok();
    // Only a stream created here counts as a change for WATCH.
    if exists {
        announce(ctx, "xgroup-create", key);
    } else {
        ctx.notify(STREAM, "xgroup-create", key);
    }
    Ok(())
}

/// `XACK key group id [id ...]`: how many were pending.
fn xack(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, name, now) = (args.get(1), args.get(2), ctx.now_ms);
    let found = stream_ref(ctx.db(), key, now)?.is_some_and(|s| s.groups.contains_key(name));
    if !found {
        ctx.out.int(0);
        return Ok(());
    }
    let ids = args.iter().skip(3).map(|arg| parse_id(arg, 0, true)).collect::<Result<Vec<_>, _>>()?;
    let stream = stream_mut(ctx.db(), key, now)?.expect("found");
    let group = stream.groups.get_mut(name).expect("found");
    let acked = ids.into_iter().filter(|&id| group.ack(id)).count();
    ctx.out.int(acked as i64);
    if acked > 0 {
        ctx.changed();
    }
    Ok(())
}

/// A range bound of XPENDING and XAUTOCLAIM: an ID (`-`/`+` allowed) or
/// an exclusive `(id`.
pub(super) fn parse_interval(arg: &[u8], start: bool) -> Result<StreamId, CmdError> {
    let missing_seq = if start { 0 } else { u64::MAX };
    if arg.len() > 1 && arg[0] == b'(' {
        let id = parse_id(&arg[1..], missing_seq, true)?;
        let moved = if start { id.next() } else { id.prev() };
        return moved.ok_or(CmdError::Static(if start {
            "ERR invalid start ID for the interval"
        } else {
            "ERR invalid end ID for the interval"
        }));
    }
    parse_id(arg, missing_seq, false)
}

/// `XPENDING key group [[IDLE min-idle] start end count [consumer]]`.
fn xpending(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let argc = args.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CmdError::Syntax);
    }
    let mut range = None;
    if argc >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if is(args.get(3), "idle") {
            min_idle = parse_i64(args.get(4))?;
            if argc < 8 {
                return Err(CmdError::Syntax);
            }
            at += 2;
        }
        let count = parse_i64(args.get(at + 2))?.max(0) as usize;
        let start = parse_interval(args.get(at), true)?;
        let end = parse_interval(args.get(at + 1), false)?;
        let consumer = (at + 3 < argc).then(|| args.get(at + 3));
        range = Some((min_idle, start, end, count, consumer));
    }
    let (key, name, now) = (args.get(1), args.get(2), ctx.now_ms);
    let stream = stream_ref(ctx.store.db(ctx.db_index), key, now)?;
    let Some(group) = stream.and_then(|s| s.groups.get(name)) else { return Err(no_key_or_group(key, name)) };
    let out = &mut ctx.out;
    let Some((min_idle, start, end, count, consumer)) = range else {
        out.array(4);
        out.int(group.pending.len() as i64);
        let (Some((&first, _)), Some((&last, _))) = (group.pending.first_key_value(), group.pending.last_key_value())
        else {
            out.null();
            out.null();
            out.null_array();
            return Ok(());
        };
        id_bulk(out, first);
        id_bulk(out, last);
        let busy: Vec<(&[u8], usize)> = group
            .consumers
            .iter()
            .filter(|(_, c)| !c.pending.is_empty())
            .map(|(n, c)| (&n[..], c.pending.len()))
            .collect();
        out.array(busy.len());
        for (name, pending) in busy {
            out.array(2);
            out.bulk(name);
            out.bulk(pending.to_string().as_bytes());
        }
        return Ok(());
    };
    let ids: Vec<StreamId> = match consumer {
        Some(consumer) => match group.consumers.get(consumer) {
            Some(c) if start <= end => c.pending.range(start..=end).copied().collect(),
            Some(_) => Vec::new(),
            None => {
                out.array(0);
                return Ok(());
            }
        },
        None if start <= end => group.pending.range(start..=end).map(|(&id, _)| id).collect(),
        None => Vec::new(),
    };
    let mut rows = Vec::new();
    for id in ids {
        if rows.len() >= count {
            break;
        }
        let pending = &group.pending[&id];
        let idle = (now - pending.delivery_time).max(0);
        if min_idle > 0 && now - pending.delivery_time < min_idle {
            continue;
        }
        rows.push((id, pending, idle));
    }
    out.array(rows.len());
    for (id, pending, idle) in rows {
        out.array(4);
        id_bulk(out, id);
        out.bulk(&pending.consumer);
        out.int(idle);
        out.int(pending.delivery_count as i64);
    }
    Ok(())
}
