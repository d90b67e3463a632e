//! Efis: an in-memory data store that speaks the Redis protocol.
//!
//! # Layout
//!
//! * [`config`]: every setting, its environment variable, flag, default
//!   and validation.
//! * [`protocol`]: the incremental RESP/inline request parser and the
//!   RESP2/RESP3 reply encoder. Depends on nothing else in the crate.
//! * [`store`]: the keyspace: packed entries, the hash table, databases,
//!   expiry, value types, glob matching. Knows nothing of sockets or RESP.
//! * [`cmd`]: the command table and one file per command family; turns
//!   arguments into keyspace operations and replies.
//! * [`server`]: the single-threaded `mio` event loop, connections, and
//!   the state handlers share with it.
//! * [`pubsub`]: channel and pattern subscriptions, message delivery,
//!   keyspace notifications.
//! * [`memory`]: heap accounting for `INFO memory`.
//! * [`systemd`]: `READY=1` / `STOPPING=1` notifications to `$NOTIFY_SOCKET`.
//!
//! # Invariants
//!
//! * One thread owns all data; there are no locks around the keyspace.
//! * `protocol` and `store` never depend on `server` or `cmd`.
//! * Handlers never touch sockets; they write replies into the client's
//!   output buffer through `protocol::Reply`.
//! * Every command's arity and flags are checked from the command table
//!   before its handler runs.

pub mod cmd;
pub mod config;
pub mod memory;
pub mod persist;
pub mod protocol;
pub mod pubsub;
pub mod server;
pub mod store;
pub mod systemd;

/// The Redis version whose behaviour Efis follows; reported as
/// `redis_version` so that clients enable the matching features.
pub const REDIS_COMPAT_VERSION: &str = "7.0.15";
