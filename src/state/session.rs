//! A client's session: what commands see and change about "me" (the
//! selected database, protocol version, name, authentication, `CLIENT
//! REPLY` mode, a transaction being queued, watched keys, subscriptions,
//! whether it is blocked).
//!
//! Every caller of a command has a session, also those without a socket
//! (start-up replay runs as a session of its own). The loop keeps each
//! socket client's session under the same slab key as its connection, so
//! a session key names both.

use crate::protocol::OwnedArgs;

/// `CLIENT REPLY` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyMode {
    #[default]
    On,
    Off,
    /// Skip the reply of the next command only.
    Skip,
    /// Set while running the command after `CLIENT REPLY SKIP`.
    Skipping,
}

/// One connection's session: what commands see and change about "me".
#[derive(Debug, Default)]
pub struct Client {
    pub id: u64,
    pub addr: String,
    pub local_addr: String,
    pub fd: i32,
    pub name: Vec<u8>,
    pub lib_name: Vec<u8>,
    pub lib_ver: Vec<u8>,
    pub db: usize,
    pub resp3: bool,
    pub authenticated: bool,
    /// The ACL user's slot (`state::acl`; 0 is `default`).
    pub user: usize,
    /// Sent `REPLCONF rdb-only 1`: `SYNC` answers an RDB file (as for
    /// `redis-cli --rdb`) instead of an Efis snapshot.
    pub wants_rdb: bool,
    pub created_ms: i64,
    pub last_command_ms: i64,
    pub last_command: &'static str,
    /// Subcommand of the last command, for containers like `CLIENT`.
    pub last_subcommand: String,
    pub reply_mode: ReplyMode,
    /// Close the connection once pending replies are written (`QUIT`).
    pub close_after_reply: bool,
    /// Asked to be disconnected by `CLIENT KILL`.
    pub killed: bool,
    pub no_evict: bool,
    /// Read and write buffer sizes, refreshed by the loop for `CLIENT LIST`:
    /// bytes in the read buffer and its spare room, unsent reply bytes,
    /// the output buffer's allocation and the most it has held unsent.
    pub query_buffer: usize,
    pub query_free: usize,
    pub output_buffer: usize,
    pub output_capacity: usize,
    pub output_peak: usize,
    /// Inside `MULTI`: the queued commands.
    pub multi: Option<Multi>,
    /// `WATCH`ed keys: database, key, and whether it existed then.
    pub watched: Vec<(usize, Vec<u8>, bool)>,
    /// A watched key changed: the next `EXEC` fails.
    pub dirty_cas: bool,
    /// Channels plus patterns subscribed to; RESP2 clients with any are
    /// in subscribed mode.
    pub subscriptions: usize,
    /// Waiting in a blocking command (see `state::blocking`), or in
    /// `WAIT` (see `state::replication`).
    pub blocked: bool,
    /// A replica attached by `PSYNC`: it gets the replication stream.
    pub replica: bool,
    /// The session that applies this replica's primary's stream.
    pub primary_link: bool,
    /// `REPLCONF listening-port` and `ip-address`, of a replica to be.
    pub repl_port: u16,
    pub repl_ip: Option<String>,
    /// The replication offset the stream reaches with this client's last
    /// change: what `WAIT` waits for replicas to acknowledge.
    pub woff: u64,
}

/// A transaction being queued between `MULTI` and `EXEC`.
#[derive(Debug, Default)]
pub struct Multi {
    pub commands: Vec<OwnedArgs>,
    /// A command was refused while queueing: `EXEC` answers `EXECABORT`.
    pub failed: bool,
}

/// A request to stop the server (`SHUTDOWN`, signals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownRequest {
    /// `Some(false)` for NOSAVE, `Some(true)` for SAVE, `None` default.
    pub save: Option<bool>,
}
