//! `XINFO STREAM [FULL [COUNT n]] | GROUPS | CONSUMERS | HELP`: a
//! stream's counters, groups and consumers, with Redis 7.0's fields
//! (`entries-read` and `lag` as 7.0 computes them). XINFO is a container:
//! each subcommand has its own entry (`xinfo|stream`...), run by `xinfo`.
//!
//! `radix-tree-keys` reports Efis's number of packed nodes and
//! `radix-tree-nodes` that number plus one (what Redis's radix tree counts
//! for no node or one: its head and its key). Efis's index is not a radix
//! tree, so past one node these two are the only fields whose values
//! differ from Redis's.

use super::args::{is, parse_i64};
use super::meta::{arg, key};
use super::stream::{id_bulk, stream_ref, write_entry, write_range};
use super::stream_group::no_such_group;
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::{subcommand_arity, unknown_subcommand, CmdError, CmdResult, Ctx};
use crate::protocol::{Args, Reply};
use crate::store::stream::{Group, Stream, StreamId};

pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("xinfo", -2, Flags::NONE, NO_KEYS, xinfo)
    .doc("stream", "5.0.0", "Depends on subcommand.", "A container for stream introspection commands")
    .subcommands(XINFO_SUBCOMMANDS)];

/// XINFO's subcommands (each runs `xinfo`).
const XINFO_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("xinfo|consumers", 4, Flags::READONLY, (2, 2, 1), xinfo)
        .acl("stream")
        .keys(&[key(2, "RO access")])
        .tips("nondeterministic_output")
        .doc("stream", "5.0.0", "O(1)", "List the consumers in a consumer group")
        .args(&[arg::key("key", 0), arg::string("groupname")]),
    CommandSpec::new("xinfo|groups", 3, Flags::READONLY, (2, 2, 1), xinfo)
        .acl("stream")
        .keys(&[key(2, "RO access")])
        .doc("stream", "5.0.0", "O(1)", "List the consumer groups of a stream")
        .history(&[("7.0.0", "Added the `entries-read` and `lag` fields")])
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("xinfo|help", 2, Flags::LOADING.or(Flags::STALE), NO_KEYS, xinfo).acl("stream").doc(
        "stream",
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new("xinfo|stream", -3, Flags::READONLY, (2, 2, 1), xinfo)
        .acl("stream")
        .keys(&[key(2, "RO access")])
        .doc("stream", "5.0.0", "O(1)", "Get information about a stream")
        .history(&[
            ("6.0.0", "Added the `FULL` modifier."),
            (
                "7.0.0",
                "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and \
                    `lag` fields",
            ),
        ])
        .args(&[
            arg::key("key", 0),
            arg::block("full", &[arg::integer("count").token("COUNT").optional()]).token("FULL").optional(),
        ]),
];

const HELP: [&str; 9] = [
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
];

fn xinfo(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let sub = args.get(1);
    let arity_ok = match sub.to_ascii_lowercase().as_slice() {
        b"consumers" => args.len() == 4,
        b"groups" => args.len() == 3,
        b"stream" => args.len() >= 3,
        b"help" => args.len() == 2,
        _ => return Err(unknown_subcommand("xinfo", sub)),
    };
    if !arity_ok {
        return Err(subcommand_arity("xinfo", sub));
    }
    if is(sub, "help") {
        ctx.out.array(HELP.len());
        for line in HELP {
            ctx.out.simple(line);
        }
        return Ok(());
    }
    let (key, now) = (args.get(2), ctx.now_ms);
    let stream = stream_ref(ctx.store.db(ctx.db_index), key, now)?.ok_or(CmdError::NoSuchKey)?;
    let out = &mut ctx.out;
    if is(sub, "consumers") {
        let group = stream.groups.get(args.get(3)).ok_or_else(|| no_such_group(args.get(3), key))?;
        out.array(group.consumers.len());
        for (name, consumer) in &group.consumers {
            out.map(3);
            out.bulk(b"name");
            out.bulk(name);
            out.bulk(b"pending");
            out.int(consumer.pending.len() as i64);
            out.bulk(b"idle");
            out.int((now - consumer.seen_time).max(0));
        }
    } else if is(sub, "groups") {
        out.array(stream.groups.len());
        for (name, group) in &stream.groups {
            out.map(6);
            out.bulk(b"name");
            out.bulk(name);
            out.bulk(b"consumers");
            out.int(group.consumers.len() as i64);
            out.bulk(b"pending");
            out.int(group.pending.len() as i64);
            group_counters(out, stream, group);
        }
    } else {
        stream_info(out, stream, args)?;
    }
    Ok(())
}

/// `last-delivered-id`, `entries-read` and `lag`.
fn group_counters(out: &mut Reply<'_>, stream: &Stream, group: &Group) {
    out.bulk(b"last-delivered-id");
    id_bulk(out, group.last_id);
    out.bulk(b"entries-read");
    if group.entries_read >= 0 {
        out.int(group.entries_read);
    } else {
        out.null();
    }
    out.bulk(b"lag");
    match stream.lag(group) {
        Some(lag) => out.int(lag),
        None => out.null(),
    }
}

fn stream_info(out: &mut Reply<'_>, stream: &Stream, args: Args<'_>) -> CmdResult {
    let syntax = || {
        CmdError::Owned(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try XINFO HELP.",
            String::from_utf8_lossy(args.get(1))
        ))
    };
    let options = args.len() - 3;
    let mut count = 10i64;
    let full = options > 0;
    if full {
        if (options != 1 && options != 3) || !is(args.get(3), "full") {
            return Err(syntax());
        }
        if options == 3 {
            if !is(args.get(4), "count") {
                return Err(syntax());
            }
            count = parse_i64(args.get(5))?;
            if count < 0 {
                count = 10;
            }
        }
    }
    out.map(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.int(stream.len() as i64);
    out.bulk(b"radix-tree-keys");
    out.int(stream.node_count() as i64);
    out.bulk(b"radix-tree-nodes");
    out.int(stream.node_count() as i64 + 1);
    out.bulk(b"last-generated-id");
    id_bulk(out, stream.last_id);
    out.bulk(b"max-deleted-entry-id");
    id_bulk(out, stream.max_deleted);
    out.bulk(b"entries-added");
    out.int(stream.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    id_bulk(out, stream.first_id);
    if !full {
        out.bulk(b"groups");
        out.int(stream.groups.len() as i64);
        for (label, rev) in [(&b"first-entry"[..], false), (b"last-entry", true)] {
            out.bulk(label);
            let mut found = false;
            stream.scan(StreamId::MIN, StreamId::MAX, rev, |entry| {
                write_entry(out, entry);
                found = true;
                false
            });
            if !found {
                out.null();
            }
        }
        return Ok(());
    }
    let limit = count as usize;
    let take = |n: usize| if limit == 0 { n } else { n.min(limit) };
    out.bulk(b"entries");
    write_range(out, stream, StreamId::MIN, StreamId::MAX, false, limit);
    out.bulk(b"groups");
    out.array(stream.groups.len());
    for (name, group) in &stream.groups {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        group_counters(out, stream, group);
        out.bulk(b"pel-count");
        out.int(group.pending.len() as i64);
        out.bulk(b"pending");
        out.array(take(group.pending.len()));
        for (id, pending) in group.pending.iter().take(take(group.pending.len())) {
            out.array(4);
            id_bulk(out, *id);
            out.bulk(&pending.consumer);
            out.int(pending.delivery_time);
            out.int(pending.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(group.consumers.len());
        for (name, consumer) in &group.consumers {
            out.map(4);
            out.bulk(b"name");
            out.bulk(name);
            out.bulk(b"seen-time");
            out.int(consumer.seen_time);
            out.bulk(b"pel-count");
            out.int(consumer.pending.len() as i64);
            out.bulk(b"pending");
            out.array(take(consumer.pending.len()));
            for id in consumer.pending.iter().take(take(consumer.pending.len())) {
                let pending = &group.pending[id];
                out.array(3);
                id_bulk(out, *id);
                out.int(pending.delivery_time);
                out.int(pending.delivery_count as i64);
            }
        }
    }
    Ok(())
}
