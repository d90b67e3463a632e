//! Commands: the command table, the argument cursor, the one entry point
//! that runs a command for any caller, and one file per command family.
//!
//! * [`execute`] (in `execute.rs`) is where every command runs, whoever
//!   asks: a client's socket, `EXEC`, a woken blocked client, a replayed
//!   log record ([`replay`]), a script, a primary's replication stream. The [`Caller`] in the context says which, and
//!   with it what the command may do (block or not) and what is recorded
//!   (logged, timed, shown to `MONITOR`).
//! * A handler receives a [`Ctx`] (the keyspace, the shared state of
//!   `crate::state`, the caller's session key, and a
//!   [`Reply`](crate::protocol::Reply) writer aimed at the caller's
//!   buffer) and the parsed [`Args`](crate::protocol::Args). It parses its arguments, acts on the
//!   keyspace, and writes its reply; errors are returned as [`CmdError`]
//!   and written by the dispatcher, so `?` works throughout.
//! * Handlers never touch sockets: anything that concerns other
//!   connections (killing a client, shutting down) is requested through
//!   `ServerState`, and the loop in `crate::server` carries it out.
//! * A handler that changes a key calls [`Ctx::notify`] once per change
//!   (see `crate::pubsub` for what that does).
//!
//! Before any handler runs, the command table's data is checked: arity,
//! authentication (`NO_AUTH`), transactions (`NO_MULTI`), scripts
//! (`NOSCRIPT`), and whether a write may run now (`WRITE` is refused with
//! `-MISCONF` while the log cannot be written); RESP2 subscribed mode
//! allows Redis's fixed list of commands. For a container (`CONFIG`,
//! `CLIENT`...) the entry checked is its subcommand's. Commands
//! are found in a static table without copying their names; arguments
//! arrive as spans into the caller's buffer.
//!
//! # Invariants
//!
//! * This module looks only down: at `state`, `persist`, `pubsub`,
//!   `store`, `protocol`, `config` and `memory`. Nothing below it knows the
//!   command table.
//! * A handler that fails on a bug (a panic) costs only that command: the
//!   caller gets `-ERR internal error ...`, the error is logged, and the
//!   server carries on.
//! * What a write command logs replays to the same state: relative times
//!   become absolute, random choices become the members chosen (see
//!   `persist::aof`).

mod acl;
pub mod args;
mod bitmap;
mod blocking;
mod cluster;
mod connection;
mod context;
mod debug;
mod dump;
pub mod evict;
mod execute;
mod expire;
mod functions;
mod geo;
mod hash;
mod hyperloglog;
mod info;
mod introspection;
mod keys;
mod latency;
mod lcs;
mod list;
mod longdouble;
mod memory;
mod meta;
mod migrate;
mod pubsub;
pub mod replay;
pub mod replicaof;
mod replication;
mod scripting;
mod server;
mod set;
mod sort;
mod stream;
mod stream_claim;
mod stream_group;
mod stream_info;
mod stream_read;
mod string;
pub mod table;
mod tls_params;
mod tracking;
mod transaction;
mod zset;
mod zset_algebra;
mod zset_pop;
mod zset_range;

pub use acl::load_at_start as load_acl_file;
pub use connection::waits_for_pause;
pub use context::{Caller, Ctx};
pub use execute::execute;
pub use stream_read::{when_key_gone, WhenKeyGone};
pub use table::{lookup, CommandSpec, Flags};

/// An error reply, written by the dispatcher.
#[derive(Debug, Clone, PartialEq)]
pub enum CmdError {
    WrongType,
    NotInteger,
    NotFloat,
    Syntax,
    Overflow,
    NoSuchKey,
    Static(&'static str),
    Owned(String),
}

impl CmdError {
    pub fn text(&self) -> &str {
        match self {
            CmdError::WrongType => "WRONGTYPE Operation against a key holding the wrong kind of value",
            CmdError::NotInteger => "ERR value is not an integer or out of range",
            CmdError::NotFloat => "ERR value is not a valid float",
            CmdError::Syntax => "ERR syntax error",
            CmdError::Overflow => "ERR increment or decrement would overflow",
            CmdError::NoSuchKey => "ERR no such key",
            CmdError::Static(s) => s,
            CmdError::Owned(s) => s,
        }
    }
}

impl From<crate::store::types::WrongKind> for CmdError {
    fn from(_: crate::store::types::WrongKind) -> CmdError {
        CmdError::WrongType
    }
}

pub type CmdResult = Result<(), CmdError>;

/// Reply for a subcommand nobody knows: `ERR unknown subcommand 'x'. Try
/// CLIENT HELP.`
pub fn unknown_subcommand(command: &str, sub: &[u8]) -> CmdError {
    let sub: String = String::from_utf8_lossy(sub).chars().take(128).collect();
    CmdError::Owned(format!("ERR unknown subcommand '{sub}'. Try {} HELP.", command.to_ascii_uppercase()))
}

/// Arity error for a subcommand (`client|setname`).
pub fn subcommand_arity(command: &str, sub: &[u8]) -> CmdError {
    CmdError::Owned(format!(
        "ERR wrong number of arguments for '{}|{}' command",
        command,
        String::from_utf8_lossy(sub).to_ascii_lowercase()
    ))
}
