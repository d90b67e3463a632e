//! The replica's side: following a live `redis-server` (the way data
//! moves from Redis to Efis without downtime) and the server under test,
//! `-READONLY`, `ROLE` and `INFO` on a replica, a partial
//! resynchronization after the link is killed, a promotion whose old
//! history the other replicas continue, and a replica's restart.

use super::{follow, info_field, quick_primary, wait_caught_up, wait_for, wait_link_up};
use crate::common::{cmd, err_cmd, is_redis, ok_cmd, Server, Value};

fn bulk(text: &str) -> Value {
    Value::BulkString(text.as_bytes().to_vec())
}

/// The server under test follows a live Redis: what was there before is
/// loaded, what is written after (a transaction, another database, an
/// expiry) is applied, and clients may not write.
#[test]
fn follows_a_live_redis_primary() {
    let Some(primary) = Server::start_reference() else { return };
    quick_primary(&primary);
    let replica = Server::start();
    let mut p = primary.client();
    ok_cmd(&mut p, &["SET", "old", "1"]);
    ok_cmd(&mut p, &["RPUSH", "list", "a", "b"]);
    ok_cmd(&mut p, &["HSET", "hash", "f", "v"]);
    follow(&replica, &primary);
    ok_cmd(&mut p, &["SET", "new", "2", "EX", "1000"]);
    ok_cmd(&mut p, &["MULTI"]);
    ok_cmd(&mut p, &["INCR", "counter"]);
    ok_cmd(&mut p, &["INCR", "counter"]);
    ok_cmd(&mut p, &["EXEC"]);
    ok_cmd(&mut p, &["SELECT", "3"]);
    ok_cmd(&mut p, &["SADD", "in3", "m"]);
    ok_cmd(&mut p, &["SELECT", "0"]);
    ok_cmd(&mut p, &["DEL", "old"]);
    wait_caught_up(&replica, &primary);
    let mut r = replica.client();
    assert_eq!(ok_cmd(&mut r, &["GET", "old"]), Value::Nil);
    assert_eq!(ok_cmd(&mut r, &["LRANGE", "list", "0", "-1"]), Value::Array(vec![bulk("a"), bulk("b")]));
    assert_eq!(ok_cmd(&mut r, &["HGET", "hash", "f"]), bulk("v"));
    assert_eq!(ok_cmd(&mut r, &["GET", "counter"]), bulk("2"));
    assert!(matches!(ok_cmd(&mut r, &["TTL", "new"]), Value::Int(t) if t > 900));
    ok_cmd(&mut r, &["SELECT", "3"]);
    assert_eq!(ok_cmd(&mut r, &["SISMEMBER", "in3", "m"]), Value::Int(1));
    assert_eq!(err_cmd(&mut r, &["SET", "x", "1"]), "READONLY You can't write against a read only replica.");
    let Value::Array(role) = ok_cmd(&mut r, &["ROLE"]) else { panic!("ROLE is not an array") };
    assert_eq!(role[0], bulk("slave"));
    assert_eq!(role[1], bulk("127.0.0.1"));
    assert_eq!(role[2], Value::Int(i64::from(primary.port)));
    assert_eq!(role[3], bulk("connected"));
    let text: String = redis::cmd("INFO").arg("replication").query(&mut r).unwrap();
    for field in [
        "role:slave",
        "master_host:127.0.0.1",
        &format!("master_port:{}", primary.port),
        "master_link_status:up",
        "master_last_io_seconds_ago:",
        "master_sync_in_progress:0",
        "slave_read_repl_offset:",
        "slave_repl_offset:",
        "slave_priority:100",
        "slave_read_only:1",
        "replica_announced:1",
        "connected_slaves:0",
        "master_replid:",
        "master_repl_offset:",
    ] {
        assert!(text.contains(field), "INFO replication lacks {field}: {text}");
    }
    assert_eq!(
        info_field(&replica, "replication", "master_replid"),
        info_field(&primary, "replication", "master_replid")
    );
    assert_eq!(ok_cmd(&mut r, &["REPLICAOF", "NO", "ONE"]), Value::Okay);
    ok_cmd(&mut r, &["SET", "x", "1"]);
}

/// A replica whose link is killed continues from the backlog: the
/// primary counts a partial resynchronization, not a second full one.
#[test]
fn partial_resync_after_the_link_is_killed() {
    let primary = Server::start();
    quick_primary(&primary);
    let replica = Server::start();
    let mut p = primary.client();
    ok_cmd(&mut p, &["SET", "a", "1"]);
    follow(&replica, &primary);
    ok_cmd(&mut p, &["SET", "b", "2"]);
    wait_caught_up(&replica, &primary);
    assert_eq!(ok_cmd(&mut p, &["CLIENT", "KILL", "TYPE", "replica"]), Value::Int(1));
    ok_cmd(&mut p, &["SET", "c", "3"]);
    wait_for("the replica to continue", || info_field(&primary, "stats", "sync_partial_ok").as_deref() == Some("1"));
    wait_link_up(&replica);
    wait_caught_up(&replica, &primary);
    assert_eq!(info_field(&primary, "stats", "sync_full").as_deref(), Some("1"));
    let mut r = replica.client();
    assert_eq!(ok_cmd(&mut r, &["MGET", "a", "b", "c"]), Value::Array(vec![bulk("1"), bulk("2"), bulk("3")]));
}

/// After `REPLICAOF NO ONE` the new primary keeps the old ID as
/// `replid2`: the old primary's other replica, pointed at it, continues
/// without a full resynchronization, and so does the old primary.
#[test]
fn a_promoted_replica_keeps_the_history() {
    let primary = Server::start_with(&[("LOG_LEVEL", "info")]);
    quick_primary(&primary);
    let (promoted, other) =
        (Server::start_with(&[("LOG_LEVEL", "info")]), Server::start_with(&[("LOG_LEVEL", "info")]));
    quick_primary(&promoted);
    follow(&promoted, &primary);
    follow(&other, &primary);
    let mut p = primary.client();
    ok_cmd(&mut p, &["SET", "k", "1"]);
    wait_caught_up(&promoted, &primary);
    wait_caught_up(&other, &primary);
    let old_id = info_field(&primary, "replication", "master_replid").unwrap();
    let mut n = promoted.client();
    assert_eq!(ok_cmd(&mut n, &["REPLICAOF", "NO", "ONE"]), Value::Okay);
    assert_eq!(info_field(&promoted, "replication", "master_replid2"), Some(old_id));
    assert_eq!(info_field(&promoted, "replication", "role").as_deref(), Some("master"));
    ok_cmd(&mut n, &["SET", "k", "2"]);
    follow(&other, &promoted);
    follow(&primary, &promoted);
    wait_caught_up(&other, &promoted);
    wait_caught_up(&primary, &promoted);
    let report = || {
        let info = |s: &Server| {
            let mut c = s.client();
            let text: String = redis::cmd("INFO").arg("all").query(&mut c).unwrap();
            text.lines().filter(|l| l.contains("repl") || l.contains("sync_")).collect::<Vec<_>>().join("\n")
        };
        format!(
            "promoted:\n{}\nother:\n{}\nold:\n{}\nLOGS\n{}\n{}\n{}",
            info(&promoted),
            info(&other),
            info(&primary),
            promoted.log(),
            other.log(),
            primary.log()
        )
    };
    assert_eq!(info_field(&promoted, "stats", "sync_partial_ok").as_deref(), Some("2"), "{}", report());
    assert_eq!(info_field(&promoted, "stats", "sync_full").as_deref(), Some("0"));
    assert_eq!(ok_cmd(&mut other.client(), &["GET", "k"]), bulk("2"));
    assert_eq!(ok_cmd(&mut p, &["GET", "k"]), bulk("2"));
    assert_eq!(ok_cmd(&mut n, &["REPLICAOF", "127.0.0.1", &primary.port.to_string()]), Value::Okay);
    assert_eq!(
        cmd(&mut n, &["REPLICAOF", "127.0.0.1", &primary.port.to_string()]).unwrap(),
        Value::SimpleString("OK Already connected to specified master".into())
    );
    assert_eq!(
        err_cmd(&mut n, &["WAIT", "1", "0"]).split('.').next(),
        Some("ERR WAIT cannot be used with replica instances")
    );
}

/// A replica logs what it applies: after a restart with its primary
/// gone, the data is there. (Efis only: the reference Redis runs without
/// persistence in the suite.)
#[test]
fn a_replica_keeps_its_data_across_a_restart() {
    if is_redis() {
        return;
    }
    let mut primary = Server::start();
    let mut p = primary.client();
    ok_cmd(&mut p, &["SET", "before", "1"]);
    let port = primary.port.to_string();
    let mut replica = Server::start_with(&[("REPLICAOF", &format!("127.0.0.1 {port}"))]);
    wait_link_up(&replica);
    ok_cmd(&mut p, &["SET", "after", "2"]);
    wait_caught_up(&replica, &primary);
    primary.kill();
    replica.crash_restart();
    let mut r = replica.client();
    assert_eq!(ok_cmd(&mut r, &["MGET", "before", "after"]), Value::Array(vec![bulk("1"), bulk("2")]));
    assert_eq!(info_field(&replica, "replication", "master_link_status").as_deref(), Some("down"));
}

/// A replica that shut down cleanly asks its primary to continue from
/// where it stopped: after a restart the primary counts a partial
/// resynchronization, not a full one, and the replica has the writes made
/// while it was down. After a crash it resynchronizes in full. (Efis
/// only: the reference Redis runs without persistence in the suite.)
#[test]
fn a_restarted_replica_continues_with_a_partial_resync() {
    if is_redis() {
        return;
    }
    let primary = Server::start();
    let mut p = primary.client();
    ok_cmd(&mut p, &["SET", "before", "1"]);
    let port = primary.port.to_string();
    let mut replica = Server::start_with(&[("REPLICAOF", &format!("127.0.0.1 {port}"))]);
    wait_link_up(&replica);
    wait_caught_up(&replica, &primary);
    let stat = |name: &str| info_field(&primary, "stats", name).unwrap();
    assert_eq!((stat("sync_full").as_str(), stat("sync_partial_ok").as_str()), ("1", "0"));

    replica.stop();
    assert!(replica.dir.join("replica-state").is_file(), "a clean shutdown notes the offset");
    ok_cmd(&mut p, &["SET", "while", "down"]);
    replica.start_again();
    assert!(!replica.dir.join("replica-state").exists(), "read once, then gone");
    wait_link_up(&replica);
    wait_caught_up(&replica, &primary);
    assert_eq!((stat("sync_full").as_str(), stat("sync_partial_ok").as_str()), ("1", "1"));
    let mut r = replica.client();
    assert_eq!(ok_cmd(&mut r, &["MGET", "before", "while"]), Value::Array(vec![bulk("1"), bulk("down")]));

    replica.crash_restart();
    wait_link_up(&replica);
    assert_eq!((stat("sync_full").as_str(), stat("sync_partial_ok").as_str()), ("2", "1"));
}

/// `MASTERAUTH` authenticates a replica to a primary that asks for a
/// password; with `replica-serve-stale-data no` a replica whose link is
/// down answers only the commands that may run stale.
#[test]
fn masterauth_and_stale_data() {
    let primary = Server::start_with(&[("REQUIREPASS", "secret")]);
    let mut p = primary.connect_url(&format!("redis://:secret@127.0.0.1:{}/", primary.port));
    cmd(&mut p, &["CONFIG", "SET", "repl-diskless-sync-delay", "0"]).unwrap();
    ok_cmd(&mut p, &["SET", "k", "v"]);
    let origin = format!("127.0.0.1 {}", primary.port);
    let replica = Server::start_with(&[("REPLICAOF", &origin), ("MASTERAUTH", "secret")]);
    wait_link_up(&replica);
    let mut r = replica.client();
    wait_for("the key to arrive", || cmd(&mut r, &["GET", "k"]).ok() == Some(bulk("v")));
    // A primary nobody listens on: the link stays down.
    let gone = crate::common::free_port().to_string();
    assert_eq!(ok_cmd(&mut r, &["REPLICAOF", "127.0.0.1", &gone]), Value::Okay);
    assert_eq!(ok_cmd(&mut r, &["GET", "k"]), bulk("v"));
    assert_eq!(ok_cmd(&mut r, &["CONFIG", "SET", "replica-serve-stale-data", "no"]), Value::Okay);
    assert_eq!(
        err_cmd(&mut r, &["GET", "k"]),
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
    );
    assert!(err_cmd(&mut r, &["PING"]).starts_with("MASTERDOWN"));
    assert_eq!(info_field(&replica, "replication", "master_link_status").as_deref(), Some("down"));
    let Value::Array(role) = ok_cmd(&mut r, &["ROLE"]) else { panic!("ROLE is not an array") };
    assert_eq!(role[4], Value::Int(-1));
}

/// A replica that synchronizes while the primary is being written ends
/// with exactly the primary's data: nothing the file holds is applied
/// again from the stream, nothing written meanwhile is missed.
#[test]
fn syncs_while_the_primary_is_written() {
    sync_under_writes(&Server::start());
}

/// The same with a live Redis as the primary.
#[test]
fn syncs_while_a_redis_primary_is_written() {
    let Some(primary) = Server::start_reference() else { return };
    sync_under_writes(&primary);
}

fn sync_under_writes(primary: &Server) {
    quick_primary(primary);
    let replica = Server::start();
    let port = primary.port;
    let writer = std::thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
        let mut con = client.get_connection().unwrap();
        for i in 0..3000 {
            let _: i64 = redis::cmd("INCR").arg("counter").query(&mut con).unwrap();
            let _: i64 = redis::cmd("RPUSH").arg("list").arg(i).query(&mut con).unwrap();
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(30));
    follow(&replica, primary);
    writer.join().unwrap();
    wait_caught_up(&replica, primary);
    let mut r = replica.client();
    assert_eq!(ok_cmd(&mut r, &["GET", "counter"]), bulk("3000"));
    assert_eq!(ok_cmd(&mut r, &["LLEN", "list"]), Value::Int(3000));
    assert_eq!(ok_cmd(&mut r, &["LINDEX", "list", "-1"]), bulk("2999"));
}

/// A message published on the primary reaches the replica's subscribers.
#[test]
fn publish_reaches_subscribers_of_a_replica() {
    let primary = Server::start();
    quick_primary(&primary);
    let replica = Server::start();
    follow(&replica, &primary);
    let mut subscriber = replica.raw();
    crate::common::send(&mut subscriber, &crate::common::resp(&["SUBSCRIBE", "news"]));
    crate::common::read_reply(&mut subscriber);
    ok_cmd(&mut primary.client(), &["PUBLISH", "news", "hello"]);
    let message = crate::common::read_reply(&mut subscriber);
    assert_eq!(String::from_utf8_lossy(&message), "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n");
}

/// A replica of a replica that joins while the stream is in database 3
/// applies what follows there: the file it gets names the stream's
/// database.
#[test]
fn a_replica_of_a_replica_follows_the_stream_database() {
    let primary = Server::start();
    quick_primary(&primary);
    let middle = Server::start();
    quick_primary(&middle);
    let last = Server::start();
    follow(&middle, &primary);
    let mut p = primary.client();
    ok_cmd(&mut p, &["SELECT", "3"]);
    ok_cmd(&mut p, &["SET", "x", "1"]);
    wait_caught_up(&middle, &primary);
    follow(&last, &middle);
    ok_cmd(&mut p, &["SET", "y", "2"]);
    wait_caught_up(&middle, &primary);
    wait_caught_up(&last, &middle);
    let mut l = last.client();
    ok_cmd(&mut l, &["SELECT", "3"]);
    assert_eq!(ok_cmd(&mut l, &["MGET", "x", "y"]), Value::Array(vec![bulk("1"), bulk("2")]));
    ok_cmd(&mut l, &["SELECT", "0"]);
    assert_eq!(ok_cmd(&mut l, &["DBSIZE"]), Value::Int(0));
}
