//! Replication: a primary and its replicas over real sockets, checked
//! the same way against Redis (`EFIS_TEST_SERVER=redis` makes every
//! server here a `redis-server`).
//!
//! * `primary`: a real `redis-server` replicating from the server under
//!   test (every type, expiry as `DEL`, databases), `WAIT`, `ROLE`,
//!   `INFO replication`, and `PSYNC` on a raw socket: a full
//!   resynchronization, then the continuation from the backlog.
//!   A replica that does not read is disconnected at its output limit;
//!   `min-replicas-to-write`; a replica's announced address; `PING`s.
//! * `full_sync`: a full resynchronization of a large data set: the
//!   primary answers meanwhile, the writes made during it reach the
//!   replica, a second replica asking meanwhile gets everything too, and
//!   a failed file makes the replica ask again.
//! * `replica`: the server under test replicating from a live
//!   `redis-server` (the migration path) and from itself, `-READONLY`,
//!   a partial resynchronization after the link is killed, a promotion
//!   whose old history the other replicas continue, a sync while the
//!   primary is written, a replica of a replica, `MASTERAUTH`, stale data, `PUBLISH` reaching a
//!   replica's subscribers, and (Efis only) a replica that keeps its data
//!   across a restart.
//! * `loading`: a replica loading its primary's file while it answers
//!   (`-LOADING`, `INFO` with `loading:1`), the primary's writes made
//!   meanwhile, a crash right after the sync, and (Efis only) a load cut
//!   short by the primary's death or by a stop, and a damaged file.
//! * `expiry`: a replica's clients see expired keys as absent while the
//!   keys wait for the primary's `DEL`; a promoted replica expires them.
//! * `failover`: `FAILOVER` swaps a primary and its replica; its errors.
//! * `sentinel`: three `redis-sentinel`s fail a killed primary over while
//!   redis-py's Sentinel client keeps writing.
//!
//! The helpers wait for a condition with a deadline: replication is
//! asynchronous, so no test sleeps for a fixed time.

mod expiry;
mod failover;
mod full_sync;
mod loading;
mod primary;
mod replica;
mod sentinel;

use std::thread;
use std::time::{Duration, Instant};

use crate::common::{cmd, Server, Value};

/// How long a replica may take to catch up in a test.
pub const CATCH_UP: Duration = Duration::from_secs(20);

/// Polls `check` every 20 ms until it is true; fails naming `what` after
/// [`CATCH_UP`].
#[track_caller]
pub fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + CATCH_UP;
    while !check() {
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// One field of `INFO <section>` (`None` if the server does not print it).
pub fn info_field(server: &Server, section: &str, name: &str) -> Option<String> {
    let mut con = server.client();
    let text: String = redis::cmd("INFO").arg(section).query(&mut con).ok()?;
    text.lines().find_map(|line| line.strip_prefix(&format!("{name}:")).map(str::to_string))
}

/// Makes `replica` follow `primary` and waits until its link is up.
#[track_caller]
pub fn follow(replica: &Server, primary: &Server) {
    let mut con = replica.client();
    let port = primary.port.to_string();
    assert_eq!(cmd(&mut con, &["REPLICAOF", "127.0.0.1", &port]).unwrap(), Value::Okay);
    wait_link_up(replica);
}

/// Waits until `replica` reports `master_link_status:up`.
#[track_caller]
pub fn wait_link_up(replica: &Server) {
    wait_for("the replica's link to come up", || {
        info_field(replica, "replication", "master_link_status").as_deref() == Some("up")
    });
}

/// Waits until `replica` has applied everything `primary` streamed so far.
#[track_caller]
pub fn wait_caught_up(replica: &Server, primary: &Server) {
    let target: u64 = info_field(primary, "replication", "master_repl_offset").unwrap().parse().unwrap();
    wait_for("the replica to reach the primary's offset", || {
        info_field(replica, "replication", "master_repl_offset").and_then(|o| o.parse::<u64>().ok()) >= Some(target)
    });
}

/// A primary the tests can sync quickly: Redis's disk-less transfer would
/// first wait 5 s for more replicas.
pub fn quick_primary(server: &Server) {
    let mut con = server.client();
    cmd(&mut con, &["CONFIG", "SET", "repl-diskless-sync-delay", "0"]).unwrap();
}
