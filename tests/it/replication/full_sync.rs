//! A full resynchronization of a large data set, on the primary's side:
//! its RDB file is written by a child process, so the primary answers
//! its clients meanwhile, and the writes made while the file is written
//! and sent reach the replica after it (held for it, not lost); a second
//! replica that asks meanwhile also ends up with everything; a child that
//! cannot write its file makes the replica connect again and succeed; the
//! held writes count toward the replica's output limit.

use std::io::Read;
use std::time::{Duration, Instant};

use super::{info_field, quick_primary, wait_caught_up, wait_for, wait_link_up};
use crate::common::{cmd, ok_cmd, read_reply, read_until_closed, resp, send, Server, Value};

/// Keys of the large data set (`DEBUG POPULATE`: `key:N` = `value:N`).
const POPULATED: usize = 300_000;

/// How long replicas may take to load the file and acknowledge the
/// writes made meanwhile (a debug build loads 300,000 keys in several
/// seconds, on a machine other tests share).
const LOADED: Duration = Duration::from_secs(180);

/// New keys written in one batch, and the pause after each: the writes go
/// on through the whole resynchronization without burying the replica.
const BATCH: usize = 20;
const PACE: Duration = Duration::from_millis(5);

/// Keys `MGET` compares at a time.
const CHUNK: usize = 1000;

/// The state `INFO replication` shows for the primary's first replica,
/// if it lists one.
fn first_replica_state(primary: &Server) -> Option<String> {
    let line = info_field(primary, "replication", "slave0")?;
    line.split(',').find_map(|field| field.strip_prefix("state=")).map(str::to_string)
}

/// Asserts that `replica` holds what `primary` holds under `keys`,
/// compared `CHUNK` keys at a time.
#[track_caller]
fn assert_same_values(primary: &Server, replica: &Server, keys: &[String]) {
    let (mut p, mut r) = (primary.client(), replica.client());
    let keys: Vec<&String> = keys.iter().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    for chunk in keys.chunks(CHUNK) {
        let want: Vec<Option<String>> = redis::cmd("MGET").arg(chunk).query(&mut p).unwrap();
        let got: Vec<Option<String>> = redis::cmd("MGET").arg(chunk).query(&mut r).unwrap();
        for ((key, want), got) in chunk.iter().zip(&want).zip(&got) {
            assert_eq!(got, want, "key {key} on the replica");
        }
    }
    let dbsize = |con: &mut redis::Connection| cmd(con, &["DBSIZE"]).unwrap();
    assert_eq!(dbsize(&mut r), dbsize(&mut p), "DBSIZE of the replica and of the primary");
}

/// Waits until `WAIT` finds `replicas` replicas that acknowledged every
/// write of `con` (asked every 5 s, within a client's read timeout).
#[track_caller]
fn wait_acked(con: &mut redis::Connection, replicas: i64) {
    let deadline = Instant::now() + LOADED;
    while ok_cmd(con, &["WAIT", &replicas.to_string(), "5000"]) != Value::Int(replicas) {
        assert!(Instant::now() < deadline, "{replicas} replicas did not acknowledge the writes in {LOADED:?}");
    }
}

/// Writes one batch on `con`: new keys `w:<n>` for `n` in `batch`, and an
/// overwrite and a delete of populated keys.
fn write_batch(con: &mut redis::Connection, batch: std::ops::Range<usize>) -> Vec<String> {
    let mut pipe = redis::pipe();
    let mut keys = Vec::new();
    for n in batch {
        let key = format!("w:{n}");
        pipe.cmd("SET").arg(&key).arg(n).ignore();
        keys.push(key);
        let populated = n * 7 % POPULATED;
        pipe.cmd("SET").arg(format!("key:{populated}")).arg(format!("new:{n}")).ignore();
        pipe.cmd("DEL").arg(format!("key:{}", (populated + 1) % POPULATED)).ignore();
        keys.push(format!("key:{populated}"));
        keys.push(format!("key:{}", (populated + 1) % POPULATED));
    }
    pipe.cmd("INCR").arg("batches").ignore();
    pipe.query::<()>(con).unwrap();
    keys
}

/// While a replica resynchronizes a large data set in full, the primary
/// answers `PING`, `ROLE` lists no replica and `INFO` shows it as
/// `wait_bgsave` or `send_bulk`; every write made meanwhile reaches it.
#[test]
fn writes_during_a_full_resync_reach_the_replica() {
    let primary = Server::start();
    quick_primary(&primary);
    let replica = Server::start();
    let mut p = primary.client();
    ok_cmd(&mut p, &["DEBUG", "POPULATE", &POPULATED.to_string()]);
    let mut r = replica.client();
    let port = primary.port.to_string();
    assert_eq!(cmd(&mut r, &["REPLICAOF", "127.0.0.1", &port]).unwrap(), Value::Okay);
    let (mut written, mut during_sync, mut next) = (Vec::new(), 0, 0);
    loop {
        written.extend(write_batch(&mut p, next..next + BATCH));
        next += BATCH;
        std::thread::sleep(PACE);
        assert_eq!(ok_cmd(&mut p, &["PING"]), Value::SimpleString("PONG".into()));
        let Value::Array(role) = ok_cmd(&mut p, &["ROLE"]) else { panic!("ROLE is not an array") };
        let state = first_replica_state(&primary);
        if matches!(state.as_deref(), Some("wait_bgsave" | "send_bulk")) {
            during_sync += 1;
            // Redis lists only the replicas that are online.
            assert_eq!(role[2], Value::Array(vec![]), "ROLE while the replica is in {state:?}");
        }
        // The replica is not asked: it may be loading the file.
        if state.as_deref() == Some("online") {
            break;
        }
        assert!(next < 10_000_000, "the replica never came online");
    }
    assert!(during_sync > 0, "no write was made while the replica was synchronizing");
    written.extend(write_batch(&mut p, next..next + 50));
    wait_acked(&mut p, 1);
    assert_same_values(&primary, &replica, &written);
    assert_eq!(ok_cmd(&mut r, &["GET", "batches"]), ok_cmd(&mut p, &["GET", "batches"]));
}

/// A second replica that asks while the first one's file is being
/// written ends up with everything too, and so does the first.
#[test]
fn a_second_replica_attaching_during_the_sync_gets_everything() {
    let primary = Server::start();
    quick_primary(&primary);
    let (first, second) = (Server::start(), Server::start());
    let mut p = primary.client();
    ok_cmd(&mut p, &["DEBUG", "POPULATE", &POPULATED.to_string()]);
    let port = primary.port.to_string();
    assert_eq!(cmd(&mut first.client(), &["REPLICAOF", "127.0.0.1", &port]).unwrap(), Value::Okay);
    let mut written = write_batch(&mut p, 0..50);
    wait_for("the first replica to wait for its file", || {
        matches!(first_replica_state(&primary).as_deref(), Some("wait_bgsave" | "send_bulk"))
    });
    written.extend(write_batch(&mut p, 50..100));
    assert_eq!(cmd(&mut second.client(), &["REPLICAOF", "127.0.0.1", &port]).unwrap(), Value::Okay);
    let online = |line: Option<String>| line.is_some_and(|l| l.contains("state=online"));
    let mut next = 100;
    while !online(info_field(&primary, "replication", "slave0"))
        || !online(info_field(&primary, "replication", "slave1"))
    {
        written.extend(write_batch(&mut p, next..next + BATCH));
        next += BATCH;
        std::thread::sleep(PACE);
        assert!(next < 10_000_000, "the replicas never came online");
    }
    written.extend(write_batch(&mut p, next..next + 50));
    wait_acked(&mut p, 2);
    for replica in [&first, &second] {
        assert_same_values(&primary, replica, &written);
    }
}

/// A child that cannot write its file disconnects the replica waiting for
/// it; the replica asks again and, once the file can be written, gets it
/// (the fault library makes opening the file fail).
#[test]
fn a_failed_file_makes_the_replica_ask_again() {
    if crate::common::is_redis() {
        return;
    }
    let Some(primary) = crate::durability::faults::Faulty::start(&[], "sync-") else { return };
    quick_primary(&primary.srv);
    let mut p = primary.srv.client();
    ok_cmd(&mut p, &["DEBUG", "POPULATE", "1000"]);
    primary.set("OPEN=always\n");
    let replica = Server::start();
    let port = primary.srv.port.to_string();
    assert_eq!(cmd(&mut replica.client(), &["REPLICAOF", "127.0.0.1", &port]).unwrap(), Value::Okay);
    wait_for("a file to fail twice", || primary.injected() >= 2);
    assert_ne!(info_field(&replica, "replication", "master_link_status").as_deref(), Some("up"));
    ok_cmd(&mut p, &["SET", "during", "the failures"]);
    primary.set("");
    ok_cmd(&mut p, &["SET", "after", "it"]);
    wait_acked(&mut p, 1);
    wait_link_up(&replica);
    let keys: Vec<String> = (0..1000).map(|n| format!("key:{n}")).chain(["during".into(), "after".into()]).collect();
    assert_same_values(&primary.srv, &replica, &keys);
    let log = primary.srv.log();
    assert!(log.contains("its full resynchronization failed"), "the primary's log: {log}");
    wait_caught_up(&replica, &primary.srv);
}

/// The writes held for a replica while its file is being written count
/// toward `client-output-buffer-limit replica`: one that passes it is
/// disconnected before any of its file was sent (Efis writes the file to
/// disk first; Redis, disk-less here, may have sent part of it).
#[test]
fn held_writes_count_toward_the_output_limit() {
    let primary = Server::start();
    quick_primary(&primary);
    let mut p = primary.client();
    ok_cmd(&mut p, &["DEBUG", "POPULATE", &POPULATED.to_string()]);
    ok_cmd(&mut p, &["CONFIG", "SET", "client-output-buffer-limit", "replica 1mb 512kb 10"]);
    let mut idle = primary.raw();
    idle.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    send(&mut idle, &resp(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
    assert_eq!(read_reply(&mut idle), b"+OK\r\n");
    send(&mut idle, &resp(&["PSYNC", "?", "-1"]));
    let mut header = Vec::new();
    let mut byte = [0u8; 1];
    while !header.ends_with(b"\r\n") {
        idle.read_exact(&mut byte).expect("read +FULLRESYNC");
        header.push(byte[0]);
    }
    assert!(header.starts_with(b"+FULLRESYNC "), "{}", String::from_utf8_lossy(&header));
    let value = "x".repeat(1 << 20);
    for i in 0..3 {
        ok_cmd(&mut p, &["SET", &format!("big{i}"), &value]);
    }
    wait_for("the replica to be disconnected", || {
        info_field(&primary, "replication", "connected_slaves").as_deref() == Some("0")
    });
    let rest = read_until_closed(&mut idle);
    if !crate::common::is_redis() {
        // Only keep-alive newlines came before the end.
        assert!(rest.iter().all(|&b| b == b'\n'), "{} bytes came, not only newlines", rest.len());
    }
}
