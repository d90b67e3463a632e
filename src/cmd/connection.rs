//! Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT and
//! CLIENT. They change only this client's session (and, for CLIENT KILL,
//! ask the loop to disconnect others).

use super::args::{is, parse_i64_opt};
use super::meta::arg;
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::{subcommand_arity, unknown_subcommand, CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::pubsub::Kind as PubSubKind;
use crate::state::{ReplyMode, ServerState};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ping", -1, Flags::FAST, NO_KEYS, ping)
        .acl("connection")
        .tips("request_policy:all_shards response_policy:all_succeeded")
        .doc("connection", "1.0.0", "O(1)", "Ping the server")
        .args(&[arg::string("message").optional()]),
    CommandSpec::new("echo", 2, Flags::LOADING.or(Flags::STALE).or(Flags::FAST), NO_KEYS, echo)
        .acl("connection")
        .doc("connection", "1.0.0", "O(1)", "Echo the given string")
        .args(&[arg::string("message")]),
    CommandSpec::new(
        "quit",
        -1,
        Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST).or(Flags::NO_AUTH).or(Flags::ALLOW_BUSY),
        NO_KEYS,
        quit,
    )
    .acl("connection")
    .doc("connection", "1.0.0", "O(1)", "Close the connection"),
    CommandSpec::new(
        "reset",
        1,
        Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST).or(Flags::NO_AUTH).or(Flags::ALLOW_BUSY),
        NO_KEYS,
        reset,
    )
    .acl("connection")
    .doc("connection", "6.2.0", "O(1)", "Reset the connection"),
    CommandSpec::new(
        "hello",
        -1,
        Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST).or(Flags::NO_AUTH).or(Flags::ALLOW_BUSY),
        NO_KEYS,
        hello,
    )
    .acl("connection")
    .doc("connection", "6.0.0", "O(1)", "Handshake with Redis")
    .history(&[(
        "6.2.0",
        "`protover` made optional; when called without arguments the command reports the current connection's context.",
    )])
    .args(&[arg::block(
        "arguments",
        &[
            arg::integer("protover"),
            arg::block("username_password", &[arg::string("username"), arg::string("password")])
                .token("AUTH")
                .optional(),
            arg::string("clientname").token("SETNAME").optional(),
        ],
    )
    .optional()]),
    CommandSpec::new(
        "auth",
        -2,
        Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST).or(Flags::NO_AUTH).or(Flags::ALLOW_BUSY),
        NO_KEYS,
        auth,
    )
    .acl("connection")
    .doc(
        "connection",
        "1.0.0",
        "O(N) where N is the number of passwords defined for the user",
        "Authenticate to the server",
    )
    .history(&[("6.0.0", "Added ACL style (username and password).")])
    .args(&[arg::string("username").since("6.0.0").optional(), arg::string("password")]),
    CommandSpec::new("select", 2, Flags::LOADING.or(Flags::STALE).or(Flags::FAST), NO_KEYS, select)
        .acl("connection")
        .doc("connection", "1.0.0", "O(1)", "Change the selected database for the current connection")
        .args(&[arg::integer("index")]),
    CommandSpec::new("client", -2, Flags::NONE, NO_KEYS, client)
        .doc("connection", "2.4.0", "Depends on subcommand.", "A container for client connection commands")
        .subcommands(CLIENT_SUBCOMMANDS),
];

/// `CLIENT`'s subcommands.
const CLIENT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "client|pause",
        -3,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        client,
    )
    .acl("connection")
    .doc("connection", "2.9.50", "O(1)", "Stop processing commands from clients for some time")
    .history(&[("6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option.")])
    .args(&[
        arg::integer("timeout"),
        arg::oneof("mode", &[arg::token("write", "WRITE"), arg::token("all", "ALL")]).since("6.2.0").optional(),
    ]),
    CommandSpec::new(
        "client|unblock",
        -3,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        client,
    )
    .acl("connection")
    .doc(
        "connection",
        "5.0.0",
        "O(log N) where N is the number of client connections",
        "Unblock a client blocked in a blocking command from a different connection",
    )
    .args(&[
        arg::integer("client-id"),
        arg::oneof("timeout_error", &[arg::token("timeout", "TIMEOUT"), arg::token("error", "ERROR")]).optional(),
    ]),
    CommandSpec::new(
        "client|unpause",
        2,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        client,
    )
    .acl("connection")
    .doc(
        "connection",
        "6.2.0",
        "O(N) Where N is the number of paused clients",
        "Resume processing of clients that were paused",
    ),
    CommandSpec::new("client|caching", 3, Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, client)
        .acl("connection")
        .doc("connection", "6.0.0", "O(1)", "Instruct the server about tracking or not keys in the next request")
        .args(&[arg::oneof("mode", &[arg::token("yes", "YES"), arg::token("no", "NO")])]),
    CommandSpec::new("client|getredir", 2, Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, client)
        .acl("connection")
        .doc("connection", "6.0.0", "O(1)", "Get tracking notifications redirection client ID if any"),
    CommandSpec::new("client|tracking", -3, Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, client)
        .acl("connection")
        .doc(
            "connection",
            "6.0.0",
            "O(1). Some options may introduce additional complexity.",
            "Enable or disable server assisted client side caching support",
        )
        .args(&[
            arg::oneof("status", &[arg::token("on", "ON"), arg::token("off", "OFF")]),
            arg::integer("client-id").token("REDIRECT").optional(),
            arg::string("prefix").token("PREFIX").optional().multiple().multiple_token(),
            arg::token("bcast", "BCAST").optional(),
            arg::token("optin", "OPTIN").optional(),
            arg::token("optout", "OPTOUT").optional(),
            arg::token("noloop", "NOLOOP").optional(),
        ]),
    CommandSpec::new("client|trackinginfo", 2, Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, client)
        .acl("connection")
        .doc(
            "connection",
            "6.2.0",
            "O(1)",
            "Return information about server assisted client side caching for the current connection",
        ),
    CommandSpec::new("client|getname", 2, Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, client)
        .acl("connection")
        .doc("connection", "2.6.9", "O(1)", "Get the current connection name"),
    CommandSpec::new("client|help", 2, Flags::LOADING.or(Flags::STALE), NO_KEYS, client).acl("connection").doc(
        "connection",
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new("client|id", 2, Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, client)
        .acl("connection")
        .doc("connection", "5.0.0", "O(1)", "Returns the client ID for the current connection"),
    CommandSpec::new("client|info", 2, Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, client)
        .acl("connection")
        .tips("nondeterministic_output")
        .doc("connection", "6.2.0", "O(1)", "Returns information about the current client connection."),
    CommandSpec::new(
        "client|kill",
        -3,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        client,
    )
    .acl("connection")
    .doc("connection", "2.4.0", "O(N) where N is the number of client connections", "Kill the connection of a client")
    .history(&[
        ("2.8.12", "Added new filter format."),
        ("2.8.12", "`ID` option."),
        ("3.2.0", "Added `master` type in for `TYPE` option."),
        ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."),
        ("6.2.0", "`LADDR` option."),
    ])
    .args(&[arg::oneof(
        "filter",
        &[
            arg::string("ip:port").deprecated("2.8.12"),
            arg::oneof(
                "new-format",
                &[
                    arg::integer("client-id").token("ID").since("2.8.12").optional(),
                    arg::oneof(
                        "normal_master_slave_pubsub",
                        &[
                            arg::token("normal", "NORMAL"),
                            arg::token("master", "MASTER").since("3.2.0"),
                            arg::token("slave", "SLAVE"),
                            arg::token("replica", "REPLICA").since("5.0.0"),
                            arg::token("pubsub", "PUBSUB"),
                        ],
                    )
                    .token("TYPE")
                    .since("2.8.12")
                    .optional(),
                    arg::string("username").token("USER").optional(),
                    arg::string("ip:port").token("ADDR").optional(),
                    arg::string("ip:port").token("LADDR").since("6.2.0").optional(),
                    arg::string("yes/no").token("SKIPME").optional(),
                ],
            )
            .multiple(),
        ],
    )]),
    CommandSpec::new(
        "client|list",
        -2,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        client,
    )
    .acl("connection")
    .tips("nondeterministic_output")
    .doc(
        "connection",
        "2.4.0",
        "O(N) where N is the number of client connections",
        "Get the list of client connections",
    )
    .history(&[
        ("2.8.12", "Added unique client `id` field."),
        ("5.0.0", "Added optional `TYPE` filter."),
        ("6.0.0", "Added `user` field."),
        ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."),
        ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."),
        ("7.0.3", "Added `ssub` field."),
    ])
    .args(&[
        arg::oneof(
            "normal_master_replica_pubsub",
            &[
                arg::token("normal", "NORMAL"),
                arg::token("master", "MASTER"),
                arg::token("replica", "REPLICA"),
                arg::token("pubsub", "PUBSUB"),
            ],
        )
        .token("TYPE")
        .since("5.0.0")
        .optional(),
        arg::block("id", &[arg::integer("client-id").multiple()]).token("ID").since("6.2.0").optional(),
    ]),
    CommandSpec::new(
        "client|no-evict",
        3,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        client,
    )
    .acl("connection")
    .doc("connection", "7.0.0", "O(1)", "Set client eviction mode for the current connection")
    .args(&[arg::oneof("enabled", &[arg::token("on", "ON"), arg::token("off", "OFF")])]),
    // Redis 7.2's, which client libraries send at connection time.
    CommandSpec::new("client|no-touch", 3, Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, client)
        .acl("connection")
        .doc(
            "connection",
            "7.2.0",
            "O(1)",
            "Controls whether commands sent by the client affect the LRU/LFU of accessed keys",
        ),
    CommandSpec::new("client|reply", 3, Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, client)
        .acl("connection")
        .doc("connection", "3.2.0", "O(1)", "Instruct the server whether to reply to commands")
        .args(&[arg::oneof(
            "on_off_skip",
            &[arg::token("on", "ON"), arg::token("off", "OFF"), arg::token("skip", "SKIP")],
        )]),
    CommandSpec::new("client|setinfo", 4, Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, client)
        .acl("connection")
        .doc("connection", "7.2.0", "O(1)", "Set client or connection specific info"),
    CommandSpec::new("client|setname", 3, Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, client)
        .acl("connection")
        .doc("connection", "2.6.9", "O(1)", "Set the current connection name")
        .args(&[arg::string("connection-name")]),
];

fn ping(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    match args.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(args.get(1)),
        _ => return Err(CmdError::Static("ERR wrong number of arguments for 'ping' command")),
    }
    Ok(())
}

fn echo(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    ctx.out.bulk(args.get(1));
    Ok(())
}

fn quit(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    ctx.client().close_after_reply = true;
    ctx.out.ok();
    Ok(())
}

fn reset(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    let needs_auth = !ctx.server.acl.default_opens_without_password();
    let client = ctx.client();
    client.user = crate::state::acl::DEFAULT_USER;
    client.db = 0;
    client.resp3 = false;
    client.name.clear();
    client.reply_mode = ReplyMode::On;
    client.no_evict = false;
    client.authenticated = !needs_auth;
    ctx.db_index = 0;
    ctx.out.resp3 = false;
    ctx.out.simple("RESET");
    Ok(())
}

/// Checks a user's password (`REQUIREPASS` is the `default` user's);
/// see `cmd::acl::authenticate`.
fn check_password(ctx: &mut Ctx<'_>, command: &[u8], user: &[u8], password: &[u8]) -> CmdResult {
    super::acl::authenticate(ctx, command, user, password)
}

fn auth(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    if ctx.server.acl.user(crate::state::acl::DEFAULT_USER).is_some_and(|u| u.flags.nopass) && args.len() == 2 {
        return Err(CmdError::Static(
            "ERR AUTH <password> called without any password configured for the default user. \
             Are you sure your configuration is correct?",
        ));
    }
    let (user, password) = if args.len() == 3 { (args.get(1), args.get(2)) } else { (&b"default"[..], args.get(1)) };
    check_password(ctx, args.get(0), user, password)?;
    ctx.out.ok();
    Ok(())
}

/// True if `name` is acceptable for CLIENT SETNAME / HELLO SETNAME.
fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

const BAD_NAME: CmdError = CmdError::Static("ERR Client names cannot contain spaces, newlines or special characters.");

fn hello(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let mut protocol = None;
    if args.len() > 1 {
        let version = parse_i64_opt(args.get(1))
            .ok_or(CmdError::Static("ERR Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&version) {
            return Err(CmdError::Static("NOPROTO unsupported protocol version"));
        }
        protocol = Some(version);
    }
    let mut credentials = None;
    let mut name = None;
    let mut i = 2;
    while i < args.len() {
        let opt = args.get(i);
        if is(opt, "auth") && i + 2 < args.len() {
            credentials = Some((args.get(i + 1), args.get(i + 2)));
            i += 3;
        } else if is(opt, "setname") && i + 1 < args.len() {
            name = Some(args.get(i + 1));
            i += 2;
        } else {
            return Err(CmdError::Owned(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    if let Some((user, password)) = credentials {
        check_password(ctx, args.get(0), user, password)?;
    }
    if !ctx.client().authenticated {
        return Err(CmdError::Static(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH \
             <user> <pass> option can be used to authenticate the client and select the RESP protocol version at \
             the same time",
        ));
    }
    if let Some(name) = name {
        if !valid_client_name(name) {
            return Err(BAD_NAME);
        }
        ctx.client().name = name.to_vec();
    }
    if let Some(version) = protocol {
        ctx.client().resp3 = version == 3;
        ctx.out.resp3 = version == 3;
    }
    let (id, resp3) = {
        let client = ctx.client();
        (client.id, client.resp3)
    };
    ctx.out.map(7);
    ctx.out.bulk(b"server");
    ctx.out.bulk(b"redis");
    ctx.out.bulk(b"version");
    ctx.out.bulk(crate::REDIS_COMPAT_VERSION.as_bytes());
    ctx.out.bulk(b"proto");
    ctx.out.int(if resp3 { 3 } else { 2 });
    ctx.out.bulk(b"id");
    ctx.out.int(id as i64);
    ctx.out.bulk(b"mode");
    ctx.out.bulk(b"standalone");
    ctx.out.bulk(b"role");
    ctx.out.bulk(b"master");
    ctx.out.bulk(b"modules");
    ctx.out.array(0);
    Ok(())
}

fn select(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let index = parse_i64_opt(args.get(1)).ok_or(CmdError::NotInteger)?;
    if index < 0 || index as usize >= ctx.store.db_count() {
        return Err(CmdError::Static("ERR DB index is out of range"));
    }
    ctx.client().db = index as usize;
    ctx.db_index = index as usize;
    ctx.out.ok();
    Ok(())
}

/// One `CLIENT LIST` line for the client under `key`.
/// Redis's static reply buffer: `obl` counts unsent bytes up to this
/// size, `oll`/`omem` the rest as if in Redis's reply list of this block
/// size.
const REPLY_BLOCK: usize = 16 * 1024;

/// One line of `CLIENT LIST` (and `CLIENT INFO`) in Redis 7.0's field
/// order, then Efis's `lib-name` and `lib-ver` (Redis 7.2's fields, for
/// `CLIENT SETINFO`). `argv_mem` is the size of the arguments of the
/// command the client is running (the caller's own), else 0.
pub fn client_line(server: &ServerState, key: usize, now_ms: i64, argv_mem: usize) -> String {
    let client = &server.clients[key];
    let channels = server.pubsub.subscriptions_of(key, PubSubKind::Channel).len();
    let patterns = server.pubsub.subscriptions_of(key, PubSubKind::Pattern).len();
    let shards = server.pubsub.shard_count_of(key);
    let mut flags = String::new();
    // Redis's order of the letters.
    for (on, letter) in [
        (client.replica, 'S'),
        (client.primary_link, 'M'),
        (channels + patterns + shards > 0, 'P'),
        (client.multi.is_some(), 'x'),
        (client.blocked || server.paused_clients.contains(&key), 'b'),
        (client.dirty_cas, 'd'),
        (client.close_after_reply, 'c'),
        (client.no_evict, 'e'),
    ] {
        if on {
            flags.push(letter);
        }
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let multi = client.multi.as_ref().map_or(-1, |m| m.commands.len() as i64);
    // As Redis counts a queued command: its arguments' bytes and one
    // pointer per argument.
    let multi_mem: usize = client
        .multi
        .as_ref()
        .map_or(0, |m| m.commands.iter().map(|c| c.args().iter().map(|a| a.len() + 8).sum::<usize>()).sum());
    let static_bytes = client.output_buffer.min(REPLY_BLOCK);
    let list_bytes = client.output_buffer - static_bytes;
    let list_blocks = list_bytes.div_ceil(REPLY_BLOCK);
    let tot_mem = std::mem::size_of_val(client)
        + client.query_buffer
        + client.query_free
        + client.output_capacity.max(REPLY_BLOCK)
        + argv_mem
        + multi_mem;
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={flags} db={} sub={channels} psub={patterns} \
         ssub={shards} multi={multi} qbuf={} qbuf-free={} argv-mem={argv_mem} multi-mem={multi_mem} rbs={} rbp={} \
         obl={static_bytes} oll={list_blocks} omem={list_bytes} tot-mem={tot_mem} events=r cmd={} user={} \
         redir=-1 resp={} lib-name={} lib-ver={}\n",
        client.id,
        client.addr,
        client.local_addr,
        client.fd,
        String::from_utf8_lossy(&client.name),
        (now_ms - client.created_ms).max(0) / 1000,
        (now_ms - client.last_command_ms).max(0) / 1000,
        client.db,
        client.query_buffer,
        client.query_free,
        client.output_capacity.clamp(1024, REPLY_BLOCK),
        client.output_peak.min(REPLY_BLOCK),
        if client.last_command.is_empty() {
            "NULL".to_string()
        } else if client.last_subcommand.is_empty() {
            client.last_command.to_string()
        } else {
            format!("{}|{}", client.last_command, client.last_subcommand)
        },
        server.acl.user(client.user).map_or(String::new(), |u| String::from_utf8_lossy(&u.name).into_owned()),
        if client.resp3 { 3 } else { 2 },
        String::from_utf8_lossy(&client.lib_name),
        String::from_utf8_lossy(&client.lib_ver),
    )
}

fn client(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let sub = args.get(1);
    let argc = args.len();
    let lower = String::from_utf8_lossy(sub).to_ascii_lowercase();
    match lower.as_str() {
        "id" if argc == 2 => {
            let id = ctx.client().id;
            ctx.out.int(id as i64);
        }
        "setname" if argc == 3 => {
            let name = args.get(2);
            if !valid_client_name(name) {
                return Err(BAD_NAME);
            }
            ctx.client().name = name.to_vec();
            ctx.out.ok();
        }
        "getname" if argc == 2 => {
            let name = ctx.client().name.clone();
            if name.is_empty() {
                ctx.out.null();
            } else {
                ctx.out.bulk(&name);
            }
        }
        "info" if argc == 2 => {
            let now = ctx.now_ms;
            let argv_mem = args.iter().map(<[u8]>::len).sum();
            let line = client_line(ctx.server, ctx.client_key, now, argv_mem);
            ctx.out.verbatim(line.as_bytes());
        }
        "list" => client_list(ctx, args)?,
        "tracking" if argc >= 3 => super::tracking::client_tracking(ctx, args)?,
        "caching" if argc >= 3 => super::tracking::client_caching(ctx, args)?,
        "getredir" if argc == 2 => super::tracking::client_getredir(ctx)?,
        "trackinginfo" if argc == 2 => super::tracking::client_trackinginfo(ctx)?,
        "pause" if argc == 3 || argc == 4 => {
            let all = match args.iter().nth(3) {
                None => true,
                Some(mode) if is(mode, "all") => true,
                Some(mode) if is(mode, "write") => false,
                Some(_) => return Err(CmdError::Static("ERR CLIENT PAUSE mode must be WRITE or ALL")),
            };
            let timeout =
                parse_i64_opt(args.get(2)).ok_or(CmdError::Static("ERR timeout is not an integer or out of range"))?;
            if timeout < 0 {
                return Err(CmdError::Static("ERR timeout is negative"));
            }
            let until = ctx.now_ms.saturating_add(timeout);
            ctx.server.pause_clients(until, all);
            ctx.out.ok();
        }
        "unblock" if argc == 3 || argc == 4 => {
            let error = match args.iter().nth(3) {
                None => false,
                Some(mode) if is(mode, "timeout") => false,
                Some(mode) if is(mode, "error") => true,
                Some(_) => return Err(CmdError::Static("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")),
            };
            let id = parse_i64_opt(args.get(2)).ok_or(CmdError::NotInteger)?;
            let target = ctx.server.clients.iter().find(|(_, c)| c.id as i64 == id).map(|(k, c)| (k, c.resp3));
            match target {
                Some((key, resp3)) if ctx.server.blocking.get(key).is_some() => {
                    ctx.server.unblock(key);
                    // Answered as a timeout would answer it, or with an error.
                    let outbox = &mut ctx.server.pubsub.outbox;
                    let start = outbox.data.len();
                    let mut reply = crate::protocol::Reply::new(&mut outbox.data, resp3);
                    if error {
                        reply.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
                    } else {
                        reply.null_array();
                    }
                    let end = outbox.data.len();
                    outbox.messages.push((key, start, end));
                    ctx.server.unblocked_clients.push(key);
                    ctx.out.int(1);
                }
                _ => ctx.out.int(0),
            }
        }
        "unpause" if argc == 2 => {
            ctx.server.unpause_clients();
            ctx.out.ok();
        }
        "kill" if argc >= 3 => client_kill(ctx, args)?,
        "setinfo" if argc == 4 => {
            let value = args.get(3);
            if !valid_client_name(value) {
                return Err(CmdError::Owned(format!(
                    "ERR {} cannot contain spaces, newlines or special characters.",
                    String::from_utf8_lossy(args.get(2)).to_ascii_lowercase()
                )));
            }
            if is(args.get(2), "lib-name") {
                ctx.client().lib_name = value.to_vec();
            } else if is(args.get(2), "lib-ver") {
                ctx.client().lib_ver = value.to_vec();
            } else {
                return Err(CmdError::Owned(format!(
                    "ERR Unrecognized option '{}'",
                    String::from_utf8_lossy(args.get(2))
                )));
            }
            ctx.out.ok();
        }
        "no-evict" | "no-touch" if argc == 3 => {
            let on = if is(args.get(2), "on") {
                true
            } else if is(args.get(2), "off") {
                false
            } else {
                return Err(CmdError::Syntax);
            };
            if lower == "no-evict" {
                ctx.client().no_evict = on;
            }
            ctx.out.ok();
        }
        "reply" if argc == 3 => {
            let mode = args.get(2);
            let client = ctx.client();
            if is(mode, "on") {
                client.reply_mode = ReplyMode::On;
                ctx.out.ok();
            } else if is(mode, "off") {
                client.reply_mode = ReplyMode::Off;
            } else if is(mode, "skip") {
                // Skips the next command's reply, unless replies are off;
                // run while skipping, it skips one more.
                if client.reply_mode != ReplyMode::Off {
                    client.reply_mode = ReplyMode::Skip;
                }
            } else {
                return Err(CmdError::Syntax);
            }
        }
        "help" if argc == 2 => {
            let lines = [
                "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GETNAME",
                "GETREDIR",
                "ID",
                "INFO",
                "KILL <ip:port> | <option> <value> [...]",
                "LIST [TYPE <type>] [ID <id> ...]",
                "NO-EVICT (ON|OFF)",
                "PAUSE <timeout> [WRITE|ALL]",
                "REPLY (ON|OFF|SKIP)",
                "SETINFO <LIB-NAME|LIB-VER> <value>",
                "SETNAME <name>",
                "TRACKINGINFO",
                "UNBLOCK <clientid> [TIMEOUT|ERROR]",
                "UNPAUSE",
                "HELP",
            ];
            ctx.out.array(lines.len());
            for line in lines {
                ctx.out.simple(line);
            }
        }
        // Arity -3 in Redis's table: more arguments than the form takes
        // get the handler's own error.
        "pause" | "unblock" if argc > 4 => {
            let sub: String = String::from_utf8_lossy(sub).chars().take(128).collect();
            return Err(CmdError::Owned(format!(
                "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try CLIENT HELP."
            )));
        }
        "id" | "setname" | "getname" | "info" | "kill" | "setinfo" | "no-evict" | "no-touch" | "reply" | "help"
        | "pause" | "unpause" | "unblock" | "getredir" | "trackinginfo" => {
            return Err(subcommand_arity("client", sub));
        }
        _ => return Err(unknown_subcommand("client", sub)),
    }
    Ok(())
}

fn client_list(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let mut ids: Option<Vec<u64>> = None;
    let mut i = 2;
    while i < args.len() {
        if is(args.get(i), "type") && i + 1 < args.len() {
            let kind = ClientType::parse(args.get(i + 1))?;
            ids = Some(ctx.server.clients.iter().filter(|(_, c)| kind.matches(c)).map(|(_, c)| c.id).collect());
            i += 2;
        } else if is(args.get(i), "id") && i + 1 < args.len() {
            let mut list = Vec::new();
            for arg in args.iter().skip(i + 1) {
                match parse_i64_opt(arg) {
                    Some(id) if id > 0 => list.push(id as u64),
                    _ => return Err(CmdError::Static("ERR Invalid client ID")),
                }
            }
            ids = Some(list);
            i = args.len();
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let now = ctx.now_ms;
    let mut text = String::new();
    for (key, client) in ctx.server.clients.iter() {
        if ids.as_ref().is_none_or(|ids| ids.contains(&client.id)) {
            let argv_mem = if key == ctx.client_key { args.iter().map(<[u8]>::len).sum() } else { 0 };
            text.push_str(&client_line(ctx.server, key, now, argv_mem));
        }
    }
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

/// A client type of `CLIENT LIST TYPE` and `CLIENT KILL TYPE`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    Primary,
    PubSub,
}

impl ClientType {
    fn parse(value: &[u8]) -> Result<ClientType, CmdError> {
        Ok(if is(value, "normal") {
            ClientType::Normal
        } else if is(value, "replica") || is(value, "slave") {
            ClientType::Replica
        } else if is(value, "master") {
            ClientType::Primary
        } else if is(value, "pubsub") {
            ClientType::PubSub
        } else {
            return Err(CmdError::Owned(format!("ERR Unknown client type '{}'", String::from_utf8_lossy(value))));
        })
    }

    /// Redis's `getClientType`: a replica or the primary's link first,
    /// then a subscriber, else normal.
    fn matches(self, client: &crate::state::Client) -> bool {
        let actual = if client.replica {
            ClientType::Replica
        } else if client.primary_link {
            ClientType::Primary
        } else if client.subscriptions > 0 {
            ClientType::PubSub
        } else {
            ClientType::Normal
        };
        actual == self
    }
}

fn client_kill(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let me = ctx.client_key;
    if args.len() == 3 {
        // Old form: CLIENT KILL ip:port.
        let addr = String::from_utf8_lossy(args.get(2)).to_string();
        let target = ctx.server.clients.iter().find(|(_, c)| c.addr == addr).map(|(k, _)| k);
        let Some(key) = target else { return Err(CmdError::Static("ERR No such client")) };
        ctx.server.clients[key].killed = true;
        ctx.server.kill_pending = true;
        ctx.out.ok();
        return Ok(());
    }
    let mut id = None;
    let mut addr = None;
    let mut laddr = None;
    let mut skip_me = true;
    let mut user = None;
    // `TYPE`: the kind of clients to kill.
    let mut kind: Option<ClientType> = None;
    let mut i = 2;
    while i + 1 < args.len() {
        let (opt, value) = (args.get(i), args.get(i + 1));
        if is(opt, "id") {
            id = Some(
                parse_i64_opt(value)
                    .filter(|&n| n > 0)
                    .ok_or(CmdError::Static("ERR client-id should be greater than 0"))? as u64,
            );
        } else if is(opt, "addr") {
            addr = Some(String::from_utf8_lossy(value).to_string());
        } else if is(opt, "laddr") {
            laddr = Some(String::from_utf8_lossy(value).to_string());
        } else if is(opt, "skipme") {
            skip_me = if is(value, "yes") {
                true
            } else if is(value, "no") {
                false
            } else {
                return Err(CmdError::Syntax);
            };
        } else if is(opt, "type") {
            kind = Some(ClientType::parse(value)?);
        } else if is(opt, "user") {
            let slot = ctx.server.acl.slot_of(value);
            user =
                Some(slot.ok_or_else(|| {
                    CmdError::Owned(format!("ERR No such user '{}'", String::from_utf8_lossy(value)))
                })?);
        } else if is(opt, "maxage") {
            // Accepted.
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    if i != args.len() {
        return Err(CmdError::Syntax);
    }
    let mut killed = 0;
    for (key, client) in ctx.server.clients.iter_mut() {
        let matches = id.is_none_or(|id| client.id == id)
            && addr.as_ref().is_none_or(|a| &client.addr == a)
            && laddr.as_ref().is_none_or(|a| &client.local_addr == a)
            && kind.is_none_or(|kind| kind.matches(client))
            && user.is_none_or(|slot| client.user == slot)
            && !(skip_me && key == me);
        if matches {
            client.killed = true;
            killed += 1;
        }
    }
    ctx.server.kill_pending |= killed > 0;
    ctx.out.int(killed);
    Ok(())
}

/// Whether a client's command must wait for `CLIENT PAUSE` to end (see
/// `state::pause`). Commands Redis would refuse before its pause check
/// (unknown, wrong arity, not authenticated) do not wait: their errors
/// are answered at once.
pub fn waits_for_pause(server: &mut ServerState, key: usize, args: Args<'_>, now_ms: i64) -> bool {
    let Some(pause) = server.pause_at(now_ms) else { return false };
    let Some(spec) = super::lookup(args.get(0)) else { return false };
    let arity_ok = if spec.arity >= 0 {
        args.len() == spec.arity as usize
    } else {
        args.len() >= spec.arity.unsigned_abs() as usize
    };
    let client = &server.clients[key];
    if !arity_ok || (!client.authenticated && !spec.flags.contains(Flags::NO_AUTH)) {
        return false;
    }
    if pause.all {
        return true;
    }
    if spec.name == "exec" {
        let queued = client.multi.as_ref().map(|m| m.commands.as_slice()).unwrap_or_default();
        return queued.iter().any(|command| super::lookup(command.args().get(0)).is_some_and(may_replicate));
    }
    may_replicate(spec)
}

/// Commands a `WRITE` pause holds: writes, and those Redis flags as
/// possibly propagated (scripts and functions that may write, `PUBLISH`).
fn may_replicate(spec: &CommandSpec) -> bool {
    spec.is_write() || ["eval", "evalsha", "fcall", "publish", "spublish", "pfcount"].contains(&spec.name)
}
