//! The replication handshake as far as `redis-cli --rdb FILE` and other
//! RDB consumers use it: `REPLCONF` options are accepted (`rdb-only 1`
//! asks `SYNC` for an RDB file), and `PSYNC` (or `SYNC` after
//! `REPLCONF rdb-only 1`) answers a full resynchronization: for `PSYNC`
//! `+FULLRESYNC <replid> <offset>`, then `$<length>\r\n` and the keyspace
//! as an RDB version 10 file (no trailing CRLF, as Redis sends it).
//!
//! The file is written by a copy-on-write child process, so it is
//! consistent and the loop keeps serving, and is sent from the file in
//! chunks as the client reads it (`persist::transfer`); the client waits
//! meanwhile. No command stream follows it: Efis has no replicas, and the
//! connection is an ordinary client again once the file is sent.

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
            parse_i64_opt(value).ok_or(CmdError::NotInteger)?;
        } else if is(option, "ack") || is(option, "getack") {
            // Sent by replicas to their master: never answered.
            return Ok(());
        } else if !(is(option, "ip-address") || is(option, "capa")) {
            let name = String::from_utf8_lossy(option);
            return Err(CmdError::Owned(format!("ERR Unrecognized REPLCONF option: {name}")));
        }
    }
    ctx.client().wants_rdb = wants_rdb;
    ctx.out.ok();
    Ok(())
}

fn psync(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
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
