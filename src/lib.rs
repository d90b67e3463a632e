//! Efis: an in-memory data store that speaks the Redis protocol.
//!
//! # Layout
//!
//! Each layer looks only down; a test (`tests/it/layout.rs`) keeps it so.
//!
//! | layer | modules | owns |
//! | --- | --- | --- |
//! | base | [`config`], [`clock`], [`protocol`], [`store`], [`memory`], [`systemd`], [`tls`] | settings; the one clock; RESP parsing and replies; the keyspace and value structures; heap accounting; systemd notifications; TLS configurations |
//! | services | [`pubsub`], [`persist`] | subscriptions and keyspace notifications; the log, snapshots, recovery, backups |
//! | shared state | [`state`] | client sessions, statistics, parameters, the blocking and `WATCH` registries, the persistence handle, replication state |
//! | commands | [`cmd`] | the command table, the one entry point [`cmd::execute`], one file per command family, log replay |
//! | loop | [`server`] | the `mio` loop: sockets, timers, signals, writing replies |
//! | checks | [`selfcheck`] | what the fuzz targets and the corpus test check |
//!
//! * [`config`]: every setting, its environment variable, flag, default
//!   and validation.
//! * [`clock`]: Unix milliseconds; commands take "now" from their caller.
//! * [`protocol`]: the incremental RESP/inline request parser, the
//!   RESP2/RESP3 reply encoder, owned argument lists. Depends on nothing
//!   else in the crate.
//! * [`store`]: the keyspace: packed entries, the hash table, databases,
//!   expiry, value types, glob matching. Knows nothing of sockets or RESP.
//! * [`pubsub`]: channel and pattern subscriptions, message delivery,
//!   keyspace notifications.
//! * [`persist`]: the append-only log, snapshots and compaction, start-up
//!   recovery, `efis check`, `efis backup`; Redis's RDB format (`DUMP`
//!   payloads, `dump.rdb` import and export).
//! * [`state`]: what every command shares, whoever runs it.
//! * [`cmd`]: [`cmd::execute`] runs one command for a [`cmd::Caller`] (a
//!   client's socket, `EXEC`, a woken blocked client, a replayed record,
//!   a script, a primary's replication stream);
//!   one file per command family turns arguments into keyspace
//!   operations and replies.
//! * [`server`]: the single-threaded event loop; it owns the sockets
//!   (clients, replicas, a replica's link to its primary) and hands each
//!   parsed command to [`cmd::execute`].
//! * [`memory`]: heap accounting for `INFO memory`.
//! * [`systemd`]: `READY=1` / `STOPPING=1` notifications to `$NOTIFY_SOCKET`.
//! * [`tls`]: the `tls-*` settings, the server's rustls configuration
//!   built from them, and the TLS client of `efis ping` and `efis backup`.
//!
//! # Invariants
//!
//! * One thread owns all data; there are no locks around the keyspace.
//! * Each module looks only down the table above: `protocol` and `store`
//!   never depend on `state`, `cmd` or `server`; nothing below `cmd`
//!   knows the command table.
//! * Every command runs through [`cmd::execute`]; what differs between
//!   callers is decided there from the [`cmd::Caller`], nowhere else.
//! * Handlers never touch sockets; they write replies into the caller's
//!   buffer through `protocol::Reply`.
//! * Every command's arity and flags are checked from the command table
//!   before its handler runs.
//! * Commands that change data read no clock: "now" comes from the
//!   caller, so a replayed record runs at the time it was recorded.

pub mod clock;
pub mod cmd;
pub mod config;
pub mod memory;
pub mod persist;
pub mod protocol;
pub mod pubsub;
pub mod script;
pub mod selfcheck;
pub mod server;
pub mod state;
pub mod store;
pub mod systemd;
pub mod tls;

/// The Redis version whose behaviour Efis follows; reported as
/// `redis_version` so that clients enable the matching features.
pub const REDIS_COMPAT_VERSION: &str = "7.0.15";
