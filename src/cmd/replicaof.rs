//! Replication as commands see it: `REPLICAOF` / `SLAVEOF` (follow a
//! primary, or `NO ONE` to become one), `ROLE`, `WAIT`, `FAILOVER`,
//! [`attach`], the primary's side of `PSYNC` (a full resynchronization
//! with an RDB file, or the continuation of a stream from the backlog),
//! `INFO replication` ([`info_section`]) and the replica class of
//! `client-output-buffer-limit` ([`output_limit_param`]).
//!
//! A full resynchronization's file is never written here: [`attach`]
//! registers the replica as waiting for a child process to write it
//! (Redis's `wait_bgsave`), and the loop forks that child, sends
//! `+FULLRESYNC` with the offset of the fork, then the file, then the
//! stream held meanwhile (`server::sync_send`). A replica that asks
//! while a child already writes a file for other replicas shares that
//! file: it gets their offset and a copy of the stream they hold since
//! the fork, as Redis does; otherwise it waits for the next child (a file
//! already started would not match its offset).
//!
//! The state is `state::replication`; the sockets (the stream to each
//! replica, a replica's link to its primary) are the loop's. A handler
//! here only changes the state and asks the loop, through it, to act:
//! `REPLICAOF host port` sets the primary with `restart`, and the loop
//! connects; a client blocked in `WAIT` is answered by the loop when
//! enough replicas acknowledged, or at its timeout.

use super::args::{is, parse_i64_opt};
use super::context::Caller;
use super::meta::arg;
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::state::replication::{
    new_replid, Failover, FailoverState, FullSync, LinkState, PrimaryLink, Replica, Waiter,
};
use crate::state::ServerState;

const FOLLOW_ARGS: &[super::meta::Arg] = &[arg::oneof(
    "args",
    &[
        arg::block("host-port", &[arg::string("host"), arg::integer("port")]),
        arg::block("no-one", &[arg::token("no", "NO"), arg::token("one", "ONE")]),
    ],
)];

const FOLLOW_FLAGS: Flags = Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::STALE).or(Flags::NO_ASYNC_LOADING);

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("replicaof", 3, FOLLOW_FLAGS, NO_KEYS, replicaof)
        .doc("server", "5.0.0", "O(1)", "Make the server a replica of another instance, or promote it as master.")
        .args(FOLLOW_ARGS),
    CommandSpec::new("slaveof", 3, FOLLOW_FLAGS, NO_KEYS, replicaof)
        .doc("server", "1.0.0", "O(1)", "Make the server a replica of another instance, or promote it as master.")
        .deprecated("5.0.0", "`REPLICAOF`")
        .args(FOLLOW_ARGS),
    CommandSpec::new("role", 1, Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST), NO_KEYS, role)
        .acl("admin dangerous")
        .doc("server", "2.8.12", "O(1)", "Return the role of the instance in the context of replication"),
    CommandSpec::new("failover", -1, Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::STALE), NO_KEYS, failover)
        .doc("server", "6.2.0", "O(1)", "Start a coordinated failover between this server and one of its replicas.")
        .args(&[
            arg::block("target", &[arg::string("host"), arg::integer("port"), arg::token("force", "FORCE").optional()])
                .token("TO")
                .optional(),
            arg::token("abort", "ABORT").optional(),
            arg::integer("milliseconds").token("TIMEOUT").optional(),
        ]),
    CommandSpec::new("wait", 3, Flags::NOSCRIPT, NO_KEYS, wait)
        .acl("connection")
        .tips("request_policy:all_shards response_policy:agg_min")
        .doc(
            "generic",
            "3.0.0",
            "O(1)",
            "Wait for the synchronous replication of all the write commands sent in the context of the current \
             connection",
        )
        .args(&[arg::integer("numreplicas"), arg::integer("timeout")]),
];

/// `REPLICAOF host port` / `REPLICAOF NO ONE` (and `SLAVEOF`).
fn replicaof(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    if ctx.server.repl.failover.is_some() {
        return Err(CmdError::Static("ERR REPLICAOF not allowed while failing over."));
    }
    if is(args.get(1), "no") && is(args.get(2), "one") {
        if ctx.server.repl.is_replica() {
            promote(ctx.server);
            log::info!("MASTER MODE enabled (REPLICAOF NO ONE)");
        }
        ctx.out.ok();
        return Ok(());
    }
    let port = parse_i64_opt(args.get(2)).ok_or(CmdError::NotInteger)?;
    if !(0..=65535).contains(&port) {
        return Err(CmdError::Static("ERR Invalid master port"));
    }
    let host = String::from_utf8_lossy(args.get(1)).into_owned();
    if ctx.server.repl.primary.as_ref().is_some_and(|p| p.host.eq_ignore_ascii_case(&host) && p.port == port as u16) {
        ctx.out.simple("OK Already connected to specified master");
        return Ok(());
    }
    follow(ctx.server, host.clone(), port as u16, ctx.now_ms);
    log::info!("REPLICAOF {host}:{port} enabled");
    ctx.out.ok();
    Ok(())
}

/// Makes this server a replica of `host:port`: its replicas are
/// disconnected (to continue with it once it follows the new primary),
/// its own history stays, so that it can ask the new primary to continue
/// it, and the loop connects.
pub fn follow(server: &mut ServerState, host: String, port: u16, now_ms: i64) {
    server.repl.demoted |= !server.repl.is_replica();
    server.absorb_tap();
    server.set_stream_tap(false);
    server.drop_replicas();
    server.set_param("replicaof", format!("{host} {port}"));
    server.set_param("slaveof", format!("{host} {port}"));
    server.repl.primary = Some(PrimaryLink {
        host,
        port,
        state: LinkState::Connect,
        last_io_ms: now_ms,
        down_since_ms: now_ms,
        last_attempt_ms: 0,
        read_offset: server.repl.offset,
        restart: true,
        sync_read: 0,
        sync_size: 0,
    });
}

/// `REPLICAOF NO ONE`: a new history begins, the old one's ID kept as
/// `replid2` so that the replicas of the old primary can continue with
/// this one.
pub fn promote(server: &mut ServerState) {
    server.repl.primary = None;
    server.set_param("replicaof", String::new());
    server.set_param("slaveof", String::new());
    server.repl.shift_replid(new_replid());
    server.repl.ensure_backlog();
    server.drop_replicas();
    server.set_stream_tap(true);
    if let Some(tap) = &mut server.persist.aof.tap {
        tap.db = None;
    }
}

fn role(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    let repl = &ctx.server.repl;
    if let Some(primary) = &repl.primary {
        ctx.out.array(5);
        ctx.out.bulk(b"slave");
        ctx.out.bulk(primary.host.as_bytes());
        ctx.out.int(i64::from(primary.port));
        ctx.out.bulk(primary.state.name().as_bytes());
        let offset = if primary.state == LinkState::Connected { repl.offset as i64 } else { -1 };
        ctx.out.int(offset);
        return Ok(());
    }
    ctx.out.array(3);
    ctx.out.bulk(b"master");
    ctx.out.int(repl.offset as i64);
    // Redis lists only the replicas that are online.
    let online: Vec<&Replica> = repl.replicas.iter().filter(|r| r.online()).collect();
    ctx.out.array(online.len());
    for replica in online {
        ctx.out.array(3);
        ctx.out.bulk(replica.ip.as_bytes());
        ctx.out.bulk_int(i64::from(replica.port));
        ctx.out.bulk_int(replica.ack_offset as i64);
    }
    Ok(())
}

/// `WAIT numreplicas timeout`: answers at once when enough replicas
/// acknowledged the client's last change (or inside `MULTI` and
/// scripts, which may not block); otherwise the client blocks, the
/// replicas are asked for their offset, and the loop answers.
fn wait(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    if ctx.server.repl.is_replica() {
        return Err(CmdError::Static(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is \
             configured to be writable (which is not the default) writes to replicas are just local and are not \
             propagated.",
        ));
    }
    let needed = parse_i64_opt(args.get(1)).ok_or(CmdError::NotInteger)?;
    let timeout =
        parse_i64_opt(args.get(2)).ok_or(CmdError::Static("ERR timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(CmdError::Static("ERR timeout is negative"));
    }
    // The client's last change (inside `MULTI`, its last one before).
    let target = ctx.server.session(ctx.client_key).woff;
    let acked = ctx.server.repl.acked(target);
    if acked as i64 >= needed || ctx.caller != Caller::Client {
        ctx.out.int(acked as i64);
        return Ok(());
    }
    let deadline_ms = (timeout > 0).then(|| ctx.now_ms.saturating_add(timeout));
    let client_key = ctx.client_key;
    ctx.server.repl.waiters.push(Waiter { client: client_key, target, needed: needed as usize, deadline_ms });
    ctx.server.repl.getack_wanted = true;
    ctx.client().blocked = true;
    Ok(())
}

/// `PSYNC replid offset` from a replica (not from an RDB reader, which
/// `REPLCONF rdb-only 1` marks): `+CONTINUE <replid>` and the backlog's
/// bytes from `offset` when the backlog holds them for that history,
/// and the connection is an online replica; else a full
/// resynchronization: the replica waits for a child's RDB file (see the
/// module doc) and gets the stream once that file is sent.
pub fn attach(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let server = &mut *ctx.server;
    if server.session(ctx.client_key).replica {
        return Ok(());
    }
    if args.len() > 3 && is(args.get(3), "failover") {
        log::warn!("Failover request received for replid {}.", String::from_utf8_lossy(args.get(1)));
        if !server.repl.is_replica() {
            return Err(CmdError::Static("ERR PSYNC FAILOVER can't be sent to a master."));
        }
        if args.get(1) != server.repl.replid.as_bytes() {
            return Err(CmdError::Static("ERR PSYNC FAILOVER replid must match my replid."));
        }
        promote(server);
        log::info!("MASTER MODE enabled (failover request from {})", server.session(ctx.client_key).addr);
    }
    if server.repl.failover.is_some() {
        return Err(CmdError::Static("NOMASTERLINK Can't SYNC while failing over"));
    }
    if server.repl.primary.as_ref().is_some_and(|p| p.state != LinkState::Connected) {
        return Err(CmdError::Static("NOMASTERLINK Can't SYNC while not connected with my master"));
    }
    // What was logged before this point goes to the replicas already
    // attached; this one finds it in the file or the backlog.
    server.absorb_tap();
    server.repl.ensure_backlog();
    if !server.repl.is_replica() {
        server.set_stream_tap(true);
    }
    let asked = String::from_utf8_lossy(args.get(1)).into_owned();
    let asked_from = parse_i64_opt(args.get(2)).unwrap_or(-1);
    let continued = asked != "?" && asked_from >= 0 && server.repl.can_continue(&asked, asked_from as u64);
    let start = ctx.out.buf.len();
    // A continued stream goes on after the current offset.
    let (mut from, mut sync, mut held) = (server.repl.offset, FullSync::Online, Vec::new());
    if continued {
        let bytes = server.repl.backlog_from(asked_from as u64).unwrap_or_default();
        server.repl.sync_partial_ok += 1;
        let header = format!("+CONTINUE {}\r\n", server.repl.replid);
        ctx.out.buf.extend_from_slice(header.as_bytes());
        ctx.out.buf.extend_from_slice(&bytes);
    } else {
        if asked != "?" {
            server.repl.sync_partial_err += 1;
        }
        server.repl.sync_full += 1;
        match server.repl.replicas.iter().find(|r| r.sync == FullSync::WaitFile) {
            Some(sharing) => {
                // The file being written starts at its offset; what was
                // streamed since is in its held bytes or still to come.
                (from, sync, held) = (sharing.from, FullSync::WaitFile, sharing.held.clone());
                let header = format!("+FULLRESYNC {} {from}\r\n", server.repl.replid);
                ctx.out.buf.extend_from_slice(header.as_bytes());
            }
            None => {
                (from, sync) = (u64::MAX, FullSync::WaitStart);
                server.persist.transfers.replicas_waiting = true;
            }
        }
    }
    let server = &mut *ctx.server;
    server.repl.output_bytes += (ctx.out.buf.len() - start) as u64;
    let client = server.session_mut(ctx.client_key);
    client.replica = true;
    let ip = client
        .repl_ip
        .clone()
        .unwrap_or_else(|| client.addr.rsplit_once(':').map_or(client.addr.clone(), |(ip, _)| ip.to_string()));
    let port = client.repl_port;
    if server.repl.replicas.is_empty() {
        // The first PING a period from now.
        server.repl.last_ping_ms = ctx.now_ms;
    }
    let ack_offset = if continued { asked_from.max(1) as u64 - 1 } else { 0 };
    server.repl.replicas.push(Replica {
        client: ctx.client_key,
        ip,
        port,
        ack_offset,
        ack_ms: ctx.now_ms,
        from,
        soft_since: None,
        sync,
        held,
    });
    Ok(())
}

/// `REPLCONF ACK <offset>` from a replica: no reply.
pub fn ack(ctx: &mut Ctx<'_>, offset: &[u8]) {
    let (now, key) = (ctx.now_ms, ctx.client_key);
    if let (Some(offset), Some(replica)) = (parse_i64_opt(offset), ctx.server.repl.replica_mut(key)) {
        replica.ack_offset = replica.ack_offset.max(offset.max(0) as u64);
        replica.ack_ms = now;
    }
}

/// `INFO replication`, with Redis 7.0's fields in its order.
pub fn info_section(server: &ServerState, text: &mut String, now_ms: i64) {
    use std::fmt::Write as _;
    let repl = &server.repl;
    let mut line = |name: &str, value: &dyn std::fmt::Display| {
        let _ = write!(text, "{name}:{value}\r\n");
    };
    match &repl.primary {
        None => line("role", &"master"),
        Some(primary) => {
            let up = primary.state == LinkState::Connected;
            line("role", &"slave");
            line("master_host", &primary.host);
            line("master_port", &primary.port);
            line("master_link_status", &if up { "up" } else { "down" });
            let io_ago = if up { (now_ms - primary.last_io_ms).max(0) / 1000 } else { -1 };
            line("master_last_io_seconds_ago", &io_ago);
            let syncing = primary.state == LinkState::Sync;
            line("master_sync_in_progress", &u8::from(syncing));
            line("slave_read_repl_offset", &primary.read_offset);
            line("slave_repl_offset", &repl.offset);
            if syncing {
                let left = primary.sync_size.saturating_sub(primary.sync_read);
                let percent = if primary.sync_size > 0 {
                    primary.sync_read as f64 * 100.0 / primary.sync_size as f64
                } else {
                    0.0
                };
                line("master_sync_total_bytes", &(primary.sync_size as i64));
                line("master_sync_read_bytes", &primary.sync_read);
                line("master_sync_left_bytes", &left);
                line("master_sync_perc", &format!("{percent:.2}"));
                line("master_sync_last_io_seconds_ago", &((now_ms - primary.last_io_ms).max(0) / 1000));
            }
            if !up {
                line("master_link_down_since_seconds", &((now_ms - primary.down_since_ms).max(0) / 1000));
            }
            line("slave_priority", &server.param("replica-priority").unwrap_or("100"));
            let read_only = server.param("replica-read-only") != Some("no");
            line("slave_read_only", &u8::from(read_only));
            let announced = server.param("replica-announced") != Some("no");
            line("replica_announced", &u8::from(announced));
        }
    }
    line("connected_slaves", &repl.replicas.len());
    for (i, replica) in repl.replicas.iter().enumerate() {
        let lag = if replica.online() { (now_ms - replica.ack_ms).max(0) / 1000 } else { 0 };
        let value = format!(
            "ip={},port={},state={},offset={},lag={lag}",
            replica.ip,
            replica.port,
            replica.sync.name(),
            replica.ack_offset
        );
        line(&format!("slave{i}"), &value);
    }
    line("master_failover_state", &Failover::state_name(repl.failover.as_ref()));
    line("master_replid", &repl.replid);
    line("master_replid2", &repl.replid2);
    line("master_repl_offset", &repl.offset);
    line("second_repl_offset", &repl.second_offset);
    line("repl_backlog_active", &u8::from(repl.backlog_active()));
    line("repl_backlog_size", &repl.backlog_size);
    line("repl_backlog_first_byte_offset", &repl.backlog_first());
    line("repl_backlog_histlen", &repl.backlog_len());
}

/// `CONFIG SET client-output-buffer-limit <class> <hard> <soft> <seconds>
/// ...`: the classes given replace theirs in `current`, and the whole
/// value is shown as Redis shows it (bytes, `slave` for replicas).
pub fn output_limit_param(current: &str, value: &str) -> Result<String, &'static str> {
    let given: Vec<&str> = value.split_whitespace().collect();
    if given.is_empty() || !given.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.");
    }
    let mut classes: Vec<(String, [u64; 3])> =
        ["normal", "slave", "pubsub"].iter().map(|class| (class.to_string(), [0, 0, 0])).collect();
    let mut apply = |words: &[&str]| -> Result<(), &'static str> {
        for group in words.chunks(4) {
            let class = group[0].to_ascii_lowercase();
            let class = match class.as_str() {
                "replica" | "slave" => "slave",
                "normal" | "pubsub" => class.as_str(),
                _ => return Err("Invalid client class specified in buffer limit configuration."),
            };
            let limits = (
                crate::config::parse_memory(group[1]),
                crate::config::parse_memory(group[2]),
                group[3].parse::<u64>().ok(),
            );
            let (Some(hard), Some(soft), Some(seconds)) = limits else {
                return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
            };
            if let Some(slot) = classes.iter_mut().find(|(name, _)| name == class) {
                slot.1 = [hard, soft, seconds];
            }
        }
        Ok(())
    };
    let current: Vec<&str> = current.split_whitespace().collect();
    if current.len().is_multiple_of(4) {
        let _ = apply(&current);
    }
    apply(&given)?;
    Ok(classes
        .iter()
        .map(|(class, [hard, soft, seconds])| format!("{class} {hard} {soft} {seconds}"))
        .collect::<Vec<_>>()
        .join(" "))
}

/// `FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]`: writes pause
/// until a replica (the one named, or the first) acknowledged the whole
/// stream, then this server follows it and its `PSYNC ... FAILOVER`
/// makes it the primary (the loop's `failover_step` and the link do
/// that part). `ABORT`, a timeout without `FORCE`, or a refusal brings
/// this server back as the primary.
fn failover(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    if args.len() == 2 && is(args.get(1), "abort") {
        if ctx.server.repl.failover.is_none() {
            return Err(CmdError::Static("ERR No failover in progress."));
        }
        abort_failover(ctx.server, "Failover manually aborted");
        ctx.out.ok();
        return Ok(());
    }
    let (mut timeout_ms, mut force, mut target) = (0i64, false, None::<(String, i64)>);
    let mut i = 1;
    while i < args.len() {
        let word = args.get(i);
        if is(word, "timeout") && i + 1 < args.len() && timeout_ms == 0 {
            timeout_ms = parse_i64_opt(args.get(i + 1)).ok_or(CmdError::NotInteger)?;
            if timeout_ms <= 0 {
                return Err(CmdError::Static("ERR FAILOVER timeout must be greater than 0"));
            }
            i += 2;
        } else if is(word, "to") && i + 2 < args.len() && target.is_none() {
            let port = parse_i64_opt(args.get(i + 2)).ok_or(CmdError::NotInteger)?;
            target = Some((String::from_utf8_lossy(args.get(i + 1)).into_owned(), port));
            i += 3;
        } else if is(word, "force") && !force {
            force = true;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let server = &mut *ctx.server;
    if server.repl.failover.is_some() {
        return Err(CmdError::Static("ERR FAILOVER already in progress."));
    }
    if server.repl.is_replica() {
        return Err(CmdError::Static("ERR FAILOVER is not valid when server is a replica."));
    }
    if server.repl.replicas.is_empty() {
        return Err(CmdError::Static("ERR FAILOVER requires connected replicas."));
    }
    if force && (timeout_ms == 0 || target.is_none()) {
        return Err(CmdError::Static("ERR FAILOVER with force option requires both a timeout and target HOST and IP."));
    }
    let target = match target {
        Some((host, port)) => {
            let known =
                server.repl.replicas.iter().any(|r| r.ip.eq_ignore_ascii_case(&host) && i64::from(r.port) == port);
            if !known {
                return Err(CmdError::Static("ERR FAILOVER target HOST and PORT is not a replica."));
            }
            log::info!("FAILOVER requested to {host}:{port}.");
            Some((host, port as u16))
        }
        None => {
            log::info!("FAILOVER requested to any replica.");
            None
        }
    };
    let end_ms = (timeout_ms > 0).then(|| ctx.now_ms.saturating_add(timeout_ms));
    server.repl.failover = Some(Failover { state: FailoverState::WaitForSync, target, end_ms, force });
    server.pause_clients(i64::MAX, false);
    ctx.out.ok();
    Ok(())
}

/// Ends a failover that cannot finish: a server that already followed
/// its target becomes the primary again, and writes resume.
pub fn abort_failover(server: &mut ServerState, why: &str) {
    let Some(failover) = server.repl.failover.take() else { return };
    match &failover.target {
        Some((host, port)) => log::info!("FAILOVER to {host}:{port} aborted: {why}"),
        None => log::info!("FAILOVER to any replica aborted: {why}"),
    }
    if failover.state == FailoverState::InProgress {
        promote(server);
    }
    server.unpause_clients();
}

/// The failover's progress, once per loop round: at its timeout it is
/// forced or aborted; once the target (or any replica) acknowledged the
/// whole stream, this server follows it, asking it to take over.
pub fn failover_step(server: &mut ServerState, now_ms: i64) {
    let Some(failover) = &server.repl.failover else { return };
    if failover.state != FailoverState::WaitForSync {
        return;
    }
    if failover.end_ms.is_some_and(|end| end <= now_ms) {
        if failover.force {
            if let Some((host, port)) = failover.target.clone() {
                log::info!("FAILOVER to {host}:{port} time out exceeded, failing over.");
                hand_over(server, host, port, now_ms);
            }
        } else {
            abort_failover(server, "Replica never caught up before timeout");
        }
        return;
    }
    let offset = server.repl.offset;
    let caught_up = match &failover.target {
        Some((host, port)) => server
            .repl
            .replicas
            .iter()
            .find(|r| r.ip.eq_ignore_ascii_case(host) && r.port == *port)
            .filter(|r| r.online() && r.ack_offset == offset)
            .map(|r| (r.ip.clone(), r.port)),
        None => {
            server.repl.replicas.iter().find(|r| r.online() && r.ack_offset == offset).map(|r| (r.ip.clone(), r.port))
        }
    };
    if let Some((host, port)) = caught_up {
        log::info!("Failover target {host}:{port} is synced, failing over.");
        hand_over(server, host, port, now_ms);
    }
}

fn hand_over(server: &mut ServerState, host: String, port: u16, now_ms: i64) {
    if let Some(failover) = &mut server.repl.failover {
        failover.state = FailoverState::InProgress;
        failover.target = Some((host.clone(), port));
    }
    follow(server, host, port, now_ms);
}
