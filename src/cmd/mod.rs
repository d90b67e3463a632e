//! Commands: the command table, argument helpers, dispatch, and one file
//! per command family.
//!
//! A handler receives a [`Ctx`] (the keyspace, this client's session, the
//! server's shared state, and a [`Reply`] writer aimed at this client's
//! output buffer) and the parsed [`Args`]. It parses its arguments, acts on
//! the keyspace, and writes its reply; errors are returned as [`CmdError`]
//! and written by the dispatcher, so `?` works throughout. Handlers never
//! touch sockets: anything that concerns other connections (killing a
//! client, shutting down) is requested through `ServerState`.

pub mod args;
mod connection;
mod decimal;
mod expire;
mod hash;
mod info;
mod keys;
mod list;
mod server;
mod set;
mod string;
pub mod table;
mod zset;

use crate::protocol::{Args, Reply};
use crate::server::state::{Client, ServerState};
use crate::store::{Db, Keyspace};

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

pub type CmdResult = Result<(), CmdError>;

/// Everything a handler may touch.
pub struct Ctx<'a> {
    pub store: &'a mut Keyspace,
    pub server: &'a mut ServerState,
    /// This connection's key in `server.clients`.
    pub client_key: usize,
    /// The selected database (mirrors the client's).
    pub db_index: usize,
    pub out: Reply<'a>,
    /// The command's notion of "now", Unix milliseconds.
    pub now_ms: i64,
}

impl Ctx<'_> {
    /// The selected database.
    #[inline]
    pub fn db(&mut self) -> &mut Db {
        self.store.db(self.db_index)
    }

    /// This connection's session.
    #[inline]
    pub fn client(&mut self) -> &mut Client {
        &mut self.server.clients[self.client_key]
    }
}

/// Looks up, checks and runs one command, writing its reply.
pub fn execute(ctx: &mut Ctx<'_>, args: Args<'_>) {
    let name = args.get(0);
    let Some(spec) = lookup(name) else {
        unknown_command(ctx, args);
        return;
    };
    if !spec.arity_ok(args.len()) {
        ctx.out.error(&format!("ERR wrong number of arguments for '{}' command", spec.name));
        return;
    }
    if !ctx.client().authenticated && !spec.flags.contains(Flags::NO_AUTH) {
        ctx.out.error("NOAUTH Authentication required.");
        return;
    }
    let client = ctx.client();
    client.last_command = spec.name;
    if spec.flags.contains(Flags::SUBCOMMANDS) && args.len() > 1 {
        client.last_subcommand = String::from_utf8_lossy(args.get(1)).to_ascii_lowercase();
    } else if !client.last_subcommand.is_empty() {
        client.last_subcommand.clear();
    }
    let started = std::time::Instant::now();
    if let Err(err) = (spec.handler)(ctx, args) {
        ctx.out.error(err.text());
    }
    ctx.server.stats.record_command(spec, started.elapsed(), args, ctx.now_ms);
}

fn unknown_command(ctx: &mut Ctx<'_>, args: Args<'_>) {
    let mut listed = String::new();
    for arg in args.iter().skip(1) {
        if listed.len() >= 128 {
            break;
        }
        let room = 128 - listed.len();
        let text = String::from_utf8_lossy(arg);
        let shown: String = text.chars().take(room).collect();
        listed.push_str(&format!("'{shown}' "));
    }
    let name: String = String::from_utf8_lossy(args.get(0)).chars().take(128).collect();
    ctx.out.error(&format!("ERR unknown command '{name}', with args beginning with: {listed}"));
}

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
