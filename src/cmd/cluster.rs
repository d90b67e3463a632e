//! The cluster commands a standalone server answers:
//! `ASKING`, `READONLY` and `READWRITE` (cluster clients send them; a
//! server without cluster support refuses them, with Redis's error).
//! `WAIT` is in `replicaof`.

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
];

fn cluster_only(_ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    Err(CLUSTER_DISABLED)
}
