//! The cluster and replication commands a standalone server answers:
//! `ASKING`, `READONLY` and `READWRITE` (cluster clients send them; a
//! server without cluster support refuses them, with Redis's error) and
//! `WAIT`, which counts the replicas that acknowledged the client's
//! writes. Efis has no replicas yet, so `WAIT` answers 0 at once, where
//! Redis would first wait out the timeout when more than 0 replicas are
//! asked for.

use super::args::parse_i64_opt;
use super::meta::arg;
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::Args;

const CLUSTER_DISABLED: CmdError = CmdError::Static("ERR This instance has cluster support disabled");

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("asking", 1, Flags::FAST, NO_KEYS, cluster_only).acl("connection").doc(
        "cluster",
        "3.0.0",
        "O(1)",
        "Sent by cluster clients after an -ASK redirect",
    ),
    CommandSpec::new("readonly", 1, Flags::LOADING.or(Flags::STALE).or(Flags::FAST), NO_KEYS, cluster_only)
        .acl("connection")
        .doc("cluster", "3.0.0", "O(1)", "Enables read queries for a connection to a cluster replica node"),
    CommandSpec::new("readwrite", 1, Flags::LOADING.or(Flags::STALE).or(Flags::FAST), NO_KEYS, cluster_only)
        .acl("connection")
        .doc("cluster", "3.0.0", "O(1)", "Disables read queries for a connection to a cluster replica node"),
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

fn cluster_only(_ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    Err(CLUSTER_DISABLED)
}

/// `WAIT numreplicas timeout`: no replica acknowledges anything yet.
fn wait(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    parse_i64_opt(args.get(1)).ok_or(CmdError::NotInteger)?;
    let timeout =
        parse_i64_opt(args.get(2)).ok_or(CmdError::Static("ERR timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(CmdError::Static("ERR timeout is negative"));
    }
    ctx.out.int(0);
    Ok(())
}
