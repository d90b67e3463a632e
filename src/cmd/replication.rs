//! The replication handshake as far as `redis-cli --rdb FILE` and other
//! RDB consumers use it: `REPLCONF` options are accepted (`rdb-only 1`
//! asks `SYNC` for an RDB file), and `PSYNC` (or `SYNC` after
//! `REPLCONF rdb-only 1`) answers a full resynchronization: for `PSYNC`
//! `+FULLRESYNC <replid> <offset>`, then `$<length>\r\n` and the keyspace
//! as an RDB version 10 file (no trailing CRLF, as Redis sends it).
//!
//! Every such file is written by a copy-on-write child process, so it is
//! consistent and the loop keeps serving, and is sent from the file in
//! chunks as the client reads it (`persist::transfer`). For
//! `redis-cli --rdb` (after `REPLCONF rdb-only 1`) the client waits
//! meanwhile, no command stream follows the file, and the connection is
//! an ordinary client again once it is sent. Otherwise `PSYNC` attaches a
//! replica (see `replicaof`), whose `+FULLRESYNC` offset is the stream's
//! offset when the child forked; `REPLCONF listening-port`, `ip-address`
//! and `ACK` are what a replica tells its primary.

use super::args::{is, parse_i64_opt};
use super::meta::arg;
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::Args;

/// The replication ID Efis reports (as `INFO replication` does).
const REPLICATION_ID: &str = "0000000000000000000000000000000000000000";

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "replconf",
        -1,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE).or(Flags::ALLOW_BUSY),
        NO_KEYS,
        replconf,
    )
    .doc("server", "3.0.0", "O(1)", "An internal command for configuring the replication stream")
    .syscmd(),
    CommandSpec::new(
        "psync",
        -3,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::NO_ASYNC_LOADING).or(Flags::NO_MULTI),
        NO_KEYS,
        psync,
    )
    .doc("server", "2.8.0", "", "Internal command used for replication")
    .args(&[arg::string("replicationid"), arg::integer("offset")]),
];

fn replconf(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let mut wants_rdb = ctx.client().wants_rdb;
    for pair in (1..args.len()).step_by(2) {
        let (option, value) = (args.get(pair), args.get(pair + 1));
        if is(option, "rdb-only") {
            match parse_i64_opt(value).ok_or(CmdError::NotInteger)? {
                0 => wants_rdb = false,
                1 => wants_rdb = true,
                _ => return Err(CmdError::Static("ERR value is out of range, value must between 0 and 1")),
            }
        } else if is(option, "listening-port") {
            let port = parse_i64_opt(value).ok_or(CmdError::NotInteger)?;
            ctx.client().repl_port = u16::try_from(port).unwrap_or(0);
        } else if is(option, "ip-address") {
            ctx.client().repl_ip = Some(String::from_utf8_lossy(value).into_owned());
        } else if is(option, "ack") {
            // Sent by replicas to their primary: never answered.
            super::replicaof::ack(ctx, value);
            return Ok(());
        } else if is(option, "getack") {
            return Ok(());
        } else if !is(option, "capa") {
            let name = String::from_utf8_lossy(option);
            return Err(CmdError::Owned(format!("ERR Unrecognized REPLCONF option: {name}")));
        }
    }
    ctx.client().wants_rdb = wants_rdb;
    ctx.out.ok();
    Ok(())
}

fn psync(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    if !ctx.client().wants_rdb {
        return super::replicaof::attach(ctx, args);
    }
    let header = format!("+FULLRESYNC {REPLICATION_ID} 0\r\n");
    ctx.out.buf.extend_from_slice(header.as_bytes());
    wait_for_rdb(ctx);
    Ok(())
}

/// Makes the client wait for the RDB payload, `$<length>\r\n<file>`,
/// which the loop sends once a child has written the file.
pub fn wait_for_rdb(ctx: &mut Ctx<'_>) {
    let (key, id) = (ctx.client_key, ctx.client().id);
    ctx.server.persist.transfers.waiters.push((key, id));
    ctx.client().blocked = true;
}
