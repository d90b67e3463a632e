//! `MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
//! [AUTH password | AUTH2 username password] [KEYS key...]`: moves keys
//! to another server (Efis or Redis) as `RESTORE` commands carrying
//! `DUMP` payloads, then deletes the ones the target acknowledged (unless
//! `COPY`); logged as the `DEL` of those keys, as Redis propagates it.
//!
//! As in Redis, the exchange with the target is synchronous: the loop
//! waits for it, bounded by `timeout` milliseconds for the connection and
//! for each read and write. Unlike Redis, the connection is not cached
//! between calls (so `SELECT` is always sent) and a failed exchange is not
//! retried.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::args::{is, parse_i64};
use super::meta::{after_keyword, arg, key};
use super::table::{CommandSpec, Flags};
use super::{CmdError, CmdResult, Ctx};
use crate::persist::rdb::dump;
use crate::protocol::Args;
use crate::pubsub::GENERIC;

pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("migrate", -6, Flags::WRITE, (3, 3, 1), migrate)
    .acl("keyspace dangerous")
    .keys(&[key(3, "RW access delete"), after_keyword("KEYS", -2, "RW access delete incomplete").range(-1, 1, 0)])
    .tips("nondeterministic_output")
    .doc(
        "generic",
        "2.6.0",
        "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target \
            instance. See the pages of these commands for time complexity. Also an O(N) data transfer \
            between the two instances is performed.",
        "Atomically transfer a key from a Redis instance to another one.",
    )
    .history(&[
        ("3.0.0", "Added the `COPY` and `REPLACE` options."),
        ("3.0.6", "Added the `KEYS` option."),
        ("4.0.7", "Added the `AUTH` option."),
        ("6.0.0", "Added the `AUTH2` option."),
    ])
    .args(&[
        arg::string("host"),
        arg::integer("port"),
        arg::oneof("key_or_empty_string", &[arg::key("key", 0), arg::token("empty_string", "")]),
        arg::integer("destination-db"),
        arg::integer("timeout"),
        arg::token("copy", "COPY").since("3.0.0").optional(),
        arg::token("replace", "REPLACE").since("3.0.0").optional(),
        arg::oneof(
            "authentication",
            &[
                arg::string("password").token("AUTH").since("4.0.7").optional(),
                arg::block("username_password", &[arg::string("username"), arg::string("password")])
                    .token("AUTH2")
                    .since("6.0.0")
                    .optional(),
            ],
        )
        .optional(),
        arg::key("key", 1).token("KEYS").since("3.0.6").optional().multiple(),
    ])];

/// `MIGRATE`'s options.
struct Options<'a> {
    copy: bool,
    replace: bool,
    user: Option<&'a [u8]>,
    password: Option<&'a [u8]>,
    first_key: usize,
    key_count: usize,
}

fn parse_options<'a>(args: &Args<'a>) -> Result<Options<'a>, CmdError> {
    let mut options = Options { copy: false, replace: false, user: None, password: None, first_key: 3, key_count: 1 };
    let mut i = 6;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let word = args.get(i);
        if is(word, "copy") {
            options.copy = true;
        } else if is(word, "replace") {
            options.replace = true;
        } else if is(word, "auth") {
            if more == 0 {
                return Err(CmdError::Syntax);
            }
            i += 1;
            options.password = Some(args.get(i));
        } else if is(word, "auth2") {
            if more < 2 {
                return Err(CmdError::Syntax);
            }
            options.user = Some(args.get(i + 1));
            options.password = Some(args.get(i + 2));
            i += 2;
        } else if is(word, "keys") {
            if !args.get(3).is_empty() {
                return Err(CmdError::Static(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            options.first_key = i + 1;
            options.key_count = args.len() - i - 1;
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok(options)
}

fn push_command(out: &mut Vec<u8>, parts: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", parts.len()).as_bytes());
    for part in parts {
        out.extend_from_slice(format!("${}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
}

fn migrate(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let options = parse_options(&args)?;
    let timeout = parse_i64(args.get(5))?;
    let db = parse_i64(args.get(4))?;
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });
    let now = ctx.now_ms;
    // The keys that exist, with what to send for each.
    let mut request = Vec::new();
    if let Some(password) = options.password {
        match options.user {
            Some(user) => push_command(&mut request, &[b"AUTH", user, password]),
            None => push_command(&mut request, &[b"AUTH", password]),
        }
    }
    push_command(&mut request, &[b"SELECT", db.to_string().as_bytes()]);
    let mut keys: Vec<&[u8]> = Vec::new();
    for j in 0..options.key_count {
        let name = args.get(options.first_key + j);
        let Some(entry) = ctx.store.db(ctx.db_index).get(name, now) else { continue };
        let ttl = entry.expire().map_or(0, |at| (at - now).max(1));
        let payload = dump::encode(&entry.value());
        let ttl = ttl.to_string();
        let mut parts: Vec<&[u8]> = vec![b"RESTORE", name, ttl.as_bytes(), &payload];
        if options.replace {
            parts.push(b"REPLACE");
        }
        push_command(&mut request, &parts);
        keys.push(name);
    }
    if keys.is_empty() {
        ctx.out.simple("NOKEY");
        return Ok(());
    }
    let host = String::from_utf8_lossy(args.get(1)).into_owned();
    let port = String::from_utf8_lossy(args.get(2)).into_owned();
    let address = (host.as_str(), port.parse::<u16>().unwrap_or(0)).to_socket_addrs().ok().and_then(|mut a| a.next());
    let connecting_error = CmdError::Static("IOERR error or timeout connecting to the client");
    let mut stream = match address.map(|addr| TcpStream::connect_timeout(&addr, timeout)) {
        Some(Ok(stream)) => stream,
        // Redis's non-blocking connect takes a refusal for a connection
        // and fails on the first write.
        Some(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(CmdError::Static("IOERR error or timeout writing to target instance"))
        }
        _ => return Err(connecting_error),
    };
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(timeout));
    let _ = stream.set_read_timeout(Some(timeout));
    if stream.write_all(&request).is_err() {
        return Err(CmdError::Static("IOERR error or timeout writing to target instance"));
    }
    let mut reader = BufReader::new(stream);
    let mut read_line = || -> Option<String> {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(n) if n > 0 => Some(String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']).to_string()),
            _ => None,
        }
    };
    let reading_error = CmdError::Static("IOERR error or timeout reading to target instance");
    let auth_reply = if options.password.is_some() { Some(read_line().ok_or(reading_error.clone())?) } else { None };
    let select_reply = read_line().ok_or(reading_error.clone())?;
    let mut target_error: Option<String> = None;
    let mut moved: Vec<&[u8]> = Vec::new();
    let mut socket_error = false;
    for name in &keys {
        let Some(reply) = read_line() else {
            socket_error = true;
            break;
        };
        let failed = [auth_reply.as_deref(), Some(select_reply.as_str()), Some(reply.as_str())]
            .into_iter()
            .flatten()
            .find(|line| line.starts_with('-'));
        match failed {
            Some(line) => {
                target_error.get_or_insert_with(|| line[1..].to_string());
            }
            None if !options.copy => {
                ctx.store.db(ctx.db_index).remove(name, now);
                ctx.notify(GENERIC, "del", name);
                moved.push(name);
            }
            None => {}
        }
    }
    if !moved.is_empty() {
        let mut logged: Vec<&[u8]> = vec![b"DEL"];
        logged.extend_from_slice(&moved);
        ctx.log_as(&logged);
    }
    if let Some(error) = target_error {
        return Err(CmdError::Owned(format!("ERR Target instance replied with error: {error}")));
    }
    if socket_error {
        return Err(reading_error);
    }
    ctx.out.ok();
    Ok(())
}
