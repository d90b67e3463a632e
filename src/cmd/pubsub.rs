//! Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
//! PUBLISH, the sharded SSUBSCRIBE, SUNSUBSCRIBE and SPUBLISH, PUBSUB,
//! and the rules of RESP2 subscribed mode. The registry and message
//! delivery live in `crate::pubsub`.
//!
//! Without a cluster every shard channel lives here: sharded pub/sub is
//! plain pub/sub on a registry of its own (no patterns), confirmed with
//! the client's count of shard channels alone.

use super::args::is;
use super::meta::{arg, key};
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::{subcommand_arity, unknown_subcommand, Caller, CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::pubsub::{Kind, Own};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "subscribe",
        -2,
        Flags::PUBSUB.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        subscribe,
    )
    .doc(
        "pubsub",
        "2.0.0",
        "O(N) where N is the number of channels to subscribe to.",
        "Listen for messages published to the given channels",
    )
    .args(&[arg::string("channel").multiple()]),
    CommandSpec::new(
        "unsubscribe",
        -1,
        Flags::PUBSUB.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        unsubscribe,
    )
    .doc(
        "pubsub",
        "2.0.0",
        "O(N) where N is the number of clients already subscribed to \
                a channel.",
        "Stop listening for messages posted to the given channels",
    )
    .args(&[arg::string("channel").optional().multiple()]),
    CommandSpec::new(
        "psubscribe",
        -2,
        Flags::PUBSUB.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        psubscribe,
    )
    .doc(
        "pubsub",
        "2.0.0",
        "O(N) where N is the number of patterns the client is \
                already subscribed to.",
        "Listen for messages published to channels matching the \
                given patterns",
    )
    .args(&[arg::block("pattern", &[arg::pattern("pattern")]).multiple()]),
    CommandSpec::new(
        "punsubscribe",
        -1,
        Flags::PUBSUB.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        punsubscribe,
    )
    .doc(
        "pubsub",
        "2.0.0",
        "O(N+M) where N is the number of patterns the client is \
                already subscribed and M is the number of total patterns \
                subscribed in the system (by any client).",
        "Stop listening for messages posted to channels matching the \
                given patterns",
    )
    .args(&[arg::pattern("pattern").optional().multiple()]),
    CommandSpec::new("publish", 3, Flags::PUBSUB.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST), NO_KEYS, publish)
        .doc(
            "pubsub",
            "2.0.0",
            "O(N+M) where N is the number of clients subscribed to the \
                receiving channel and M is the total number of subscribed \
                patterns (by any client).",
            "Post a message to a channel",
        )
        .args(&[arg::string("channel"), arg::string("message")]),
    CommandSpec::new(
        "ssubscribe",
        -2,
        Flags::PUBSUB.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        (1, -1, 1),
        ssubscribe,
    )
    .keys(&[key(1, "not_key").range(-1, 1, 0)])
    .doc(
        "pubsub",
        "7.0.0",
        "O(N) where N is the number of shard channels to subscribe to.",
        "Listen for messages published to the given shard channels",
    )
    .args(&[arg::string("shardchannel").multiple()]),
    CommandSpec::new(
        "sunsubscribe",
        -1,
        Flags::PUBSUB.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        (1, -1, 1),
        sunsubscribe,
    )
    .keys(&[key(1, "not_key").range(-1, 1, 0)])
    .doc(
        "pubsub",
        "7.0.0",
        "O(N) where N is the number of clients already subscribed to a shard channel.",
        "Stop listening for messages posted to the given shard channels",
    )
    .args(&[arg::string("shardchannel").optional().multiple()]),
    CommandSpec::new(
        "spublish",
        3,
        Flags::PUBSUB.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST),
        (1, 1, 1),
        spublish,
    )
    .keys(&[key(1, "not_key")])
    .doc(
        "pubsub",
        "7.0.0",
        "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        "Post a message to a shard channel",
    )
    .args(&[arg::string("shardchannel"), arg::string("message")]),
    CommandSpec::new("pubsub", -2, Flags::NONE, NO_KEYS, pubsub)
        .doc("pubsub", "2.8.0", "Depends on subcommand.", "A container for Pub/Sub commands")
        .subcommands(PUBSUB_SUBCOMMANDS),
];

/// `PUBSUB`'s subcommands.
const PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("pubsub|channels", -2, Flags::PUBSUB.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, pubsub)
        .doc(
            "pubsub",
            "2.8.0",
            "O(N) where N is the number of active channels, and assuming \
                constant time pattern matching (relatively short channels \
                and patterns)",
            "List active channels",
        )
        .args(&[arg::pattern("pattern").optional()]),
    CommandSpec::new("pubsub|help", 2, Flags::LOADING.or(Flags::STALE), NO_KEYS, pubsub).doc(
        "pubsub",
        "6.2.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new("pubsub|numpat", 2, Flags::PUBSUB.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, pubsub).doc(
        "pubsub",
        "2.8.0",
        "O(1)",
        "Get the count of unique patterns pattern subscriptions",
    ),
    CommandSpec::new("pubsub|numsub", -2, Flags::PUBSUB.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, pubsub)
        .doc(
            "pubsub",
            "2.8.0",
            "O(N) for the NUMSUB subcommand, where N is the number of \
                requested channels",
            "Get the count of subscribers for channels",
        )
        .args(&[arg::string("channel").optional().multiple()]),
    CommandSpec::new("pubsub|shardchannels", -2, Flags::PUBSUB.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, pubsub)
        .doc(
            "pubsub",
            "7.0.0",
            "O(N) where N is the number of active shard channels, and \
                assuming constant time pattern matching (relatively short \
                shard channels).",
            "List active shard channels",
        )
        .args(&[arg::pattern("pattern").optional()]),
    CommandSpec::new("pubsub|shardnumsub", -2, Flags::PUBSUB.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, pubsub)
        .doc(
            "pubsub",
            "7.0.0",
            "O(N) for the SHARDNUMSUB subcommand, where N is the number \
                of requested shard channels",
            "Get the count of subscribers for shard channels",
        )
        .args(&[arg::string("shardchannel").optional().multiple()]),
];

/// Dispatch for a RESP2 client with subscriptions: `PING` answers in the
/// pub/sub shape, and only the pub/sub commands (plus `QUIT`, `RESET`)
/// run. Returns true if the command was answered here.
pub fn subscribed_mode(ctx: &mut Ctx<'_>, spec: &CommandSpec, args: Args<'_>) -> bool {
    if spec.name == "ping" && args.len() <= 2 {
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(if args.len() == 2 { args.get(1) } else { b"" });
        if !ctx.server.monitors.is_empty() && ctx.caller == Caller::Client {
            ctx.server.monitor_line(ctx.client_key, ctx.db_index, args, crate::state::redact::Redaction::NONE);
        }
        return true;
    }
    const ALLOWED: &[&str] =
        &["subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset"];
    if ctx.caller != Caller::Client || ALLOWED.contains(&spec.name) {
        return false;
    }
    ctx.out.error(&format!(
        "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this \
         context",
        spec.name
    ));
    super::transaction::flag_failed(ctx);
    true
}

/// One (un)subscription confirmation: `[verb, name, count]` as a push.
/// A push: sent even when the client's replies are muted.
fn confirm(ctx: &mut Ctx<'_>, verb: &[u8], name: Option<&[u8]>, count: usize) {
    let start = ctx.out.buf.len();
    ctx.out.push(3);
    ctx.out.bulk(verb);
    match name {
        Some(name) => ctx.out.bulk(name),
        None => ctx.out.null(),
    }
    ctx.out.int(count as i64);
    ctx.server.pubsub.own_push(start, ctx.out.buf.len());
}

/// The count a confirmation carries: shard channels alone for the
/// sharded commands, channels and patterns for the others.
fn count_for(ctx: &Ctx<'_>, kind: Kind) -> usize {
    match kind {
        Kind::Shard => ctx.server.pubsub.shard_count_of(ctx.client_key),
        Kind::Channel | Kind::Pattern => ctx.server.pubsub.count_of(ctx.client_key),
    }
}

fn subscribe_to(ctx: &mut Ctx<'_>, args: Args<'_>, kind: Kind, verb: &[u8]) -> CmdResult {
    let me = ctx.client_key;
    for name in args.iter().skip(1) {
        ctx.server.pubsub.subscribe(me, kind, name);
        ctx.client().subscriptions = ctx.server.pubsub.total_of(me);
        let count = count_for(ctx, kind);
        confirm(ctx, verb, Some(name), count);
    }
    Ok(())
}

fn unsubscribe_from(ctx: &mut Ctx<'_>, args: Args<'_>, kind: Kind, verb: &[u8]) -> CmdResult {
    let me = ctx.client_key;
    let names: Vec<Vec<u8>> = if args.len() == 1 {
        ctx.server.pubsub.subscriptions_of(me, kind)
    } else {
        args.iter().skip(1).map(<[u8]>::to_vec).collect()
    };
    if names.is_empty() {
        let count = count_for(ctx, kind);
        confirm(ctx, verb, None, count);
        return Ok(());
    }
    for name in names {
        ctx.server.pubsub.unsubscribe(me, kind, &name);
        ctx.client().subscriptions = ctx.server.pubsub.total_of(me);
        let count = count_for(ctx, kind);
        confirm(ctx, verb, Some(&name), count);
    }
    Ok(())
}

fn subscribe(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    subscribe_to(ctx, args, Kind::Channel, b"subscribe")
}

fn psubscribe(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    subscribe_to(ctx, args, Kind::Pattern, b"psubscribe")
}

fn unsubscribe(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    unsubscribe_from(ctx, args, Kind::Channel, b"unsubscribe")
}

fn punsubscribe(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    unsubscribe_from(ctx, args, Kind::Pattern, b"punsubscribe")
}

fn ssubscribe(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    // Redis refuses it to any client that must get one reply per command.
    if ctx.caller == Caller::Transaction {
        return Err(CmdError::Static("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"));
    }
    subscribe_to(ctx, args, Kind::Shard, b"ssubscribe")
}

fn sunsubscribe(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    unsubscribe_from(ctx, args, Kind::Shard, b"sunsubscribe")
}

fn publish_generic(ctx: &mut Ctx<'_>, args: Args<'_>, shard: bool) -> CmdResult {
    let receivers = if ctx.server.pubsub.active() {
        let clients = &ctx.server.clients;
        let resp3_of = |c: usize| clients.get(c).is_some_and(|c| c.resp3);
        let mut own = Own { key: ctx.client_key, buf: &mut *ctx.out.buf };
        if shard {
            ctx.server.pubsub.publish_shard(args.get(1), args.get(2), resp3_of, &mut own)
        } else {
            ctx.server.pubsub.publish(args.get(1), args.get(2), resp3_of, &mut own)
        }
    } else {
        0
    };
    // Replicas deliver it to their own subscribers (Redis's
    // `may-replicate`); it changes no data, so the log does not keep it.
    if let Some(tap) = &mut ctx.server.persist.aof.tap {
        tap.command(ctx.db_index, args.iter());
    }
    ctx.out.int(receivers as i64);
    Ok(())
}

fn publish(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    publish_generic(ctx, args, false)
}

fn spublish(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    publish_generic(ctx, args, true)
}

fn pubsub(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let sub = args.get(1);
    let argc = args.len();
    if (is(sub, "channels") || is(sub, "shardchannels")) && argc <= 3 {
        let pattern = (argc == 3).then(|| args.get(2));
        let names: Vec<Vec<u8>> = if is(sub, "channels") {
            ctx.server.pubsub.channel_names(pattern).into_iter().map(<[u8]>::to_vec).collect()
        } else {
            ctx.server.pubsub.shard_channel_names(pattern).into_iter().map(<[u8]>::to_vec).collect()
        };
        ctx.out.array(names.len());
        for name in names {
            ctx.out.bulk(&name);
        }
    } else if is(sub, "numsub") || is(sub, "shardnumsub") {
        let shard = is(sub, "shardnumsub");
        ctx.out.array((argc - 2) * 2);
        for channel in args.iter().skip(2) {
            let count = if shard {
                ctx.server.pubsub.shard_channel_subscribers(channel)
            } else {
                ctx.server.pubsub.channel_subscribers(channel)
            };
            ctx.out.bulk(channel);
            ctx.out.int(count as i64);
        }
    } else if is(sub, "numpat") && argc == 2 {
        let count = ctx.server.pubsub.pattern_count();
        ctx.out.int(count as i64);
    } else if is(sub, "help") && argc == 2 {
        let lines = [
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
            "HELP",
            "    Print this help.",
        ];
        ctx.out.array(lines.len());
        for line in lines {
            ctx.out.simple(line);
        }
    } else if is(sub, "channels") || is(sub, "shardchannels") {
        // Their arity passes (-2): too many arguments is Redis's syntax error.
        let typed: String = String::from_utf8_lossy(sub).chars().take(128).collect();
        return Err(CmdError::Owned(format!(
            "ERR unknown subcommand or wrong number of arguments for '{typed}'. Try PUBSUB HELP."
        )));
    } else if ["numpat", "help"].iter().any(|s| is(sub, s)) {
        return Err(subcommand_arity("pubsub", sub));
    } else {
        return Err(unknown_subcommand("pubsub", sub));
    }
    Ok(())
}
