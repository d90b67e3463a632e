//! The primary's side: a real `redis-server` replicating from the server
//! under test, `WAIT`, `ROLE`, `INFO replication`, and `PSYNC` spoken on a
//! raw socket (full resynchronization, then the backlog's continuation).

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::{follow, info_field, quick_primary, wait_caught_up, wait_for};
use crate::common::{cmd, ok_cmd, read_reply, resp, send, Server, Value};

/// Every type reaches a Redis replica, with its expiry, in its database;
/// a key that expires on the primary is deleted on the replica.
#[test]
fn redis_replica_follows_every_type() {
    let Some(replica) = Server::start_reference() else { return };
    let primary = Server::start();
    quick_primary(&primary);
    let mut p = primary.client();
    ok_cmd(&mut p, &["SET", "before", "1"]);
    ok_cmd(&mut p, &["SET", "ttl", "v", "EX", "1000"]);
    follow(&replica, &primary);
    ok_cmd(&mut p, &["SET", "s", "text"]);
    ok_cmd(&mut p, &["INCRBYFLOAT", "f", "1.5"]);
    ok_cmd(&mut p, &["RPUSH", "l", "a", "b", "c"]);
    ok_cmd(&mut p, &["HSET", "h", "f1", "v1", "f2", "v2"]);
    ok_cmd(&mut p, &["SADD", "set", "x", "y"]);
    ok_cmd(&mut p, &["ZADD", "z", "1", "one", "2", "two"]);
    ok_cmd(&mut p, &["XADD", "st", "1-1", "k", "v"]);
    ok_cmd(&mut p, &["PFADD", "hll", "a", "b"]);
    ok_cmd(&mut p, &["SPOP", "set"]);
    ok_cmd(&mut p, &["SELECT", "5"]);
    ok_cmd(&mut p, &["SET", "in5", "five"]);
    ok_cmd(&mut p, &["SELECT", "0"]);
    ok_cmd(&mut p, &["SET", "short", "v", "PX", "300"]);
    assert_eq!(ok_cmd(&mut p, &["WAIT", "1", "5000"]), Value::Int(1));
    let mut r = replica.client();
    for (args, want) in [
        (&["GET", "before"][..], Value::BulkString(b"1".to_vec())),
        (&["GET", "s"], Value::BulkString(b"text".to_vec())),
        (&["GET", "f"], Value::BulkString(b"1.5".to_vec())),
        (&["LLEN", "l"], Value::Int(3)),
        (&["HGET", "h", "f2"], Value::BulkString(b"v2".to_vec())),
        (&["SCARD", "set"], Value::Int(1)),
        (&["ZSCORE", "z", "two"], Value::BulkString(b"2".to_vec())),
        (&["XLEN", "st"], Value::Int(1)),
        (&["PFCOUNT", "hll"], Value::Int(2)),
    ] {
        assert_eq!(ok_cmd(&mut r, args), want, "{args:?} on the replica");
    }
    let ttl = ok_cmd(&mut r, &["TTL", "ttl"]);
    assert!(matches!(ttl, Value::Int(t) if t > 900), "TTL on the replica: {ttl:?}");
    ok_cmd(&mut r, &["SELECT", "5"]);
    assert_eq!(ok_cmd(&mut r, &["GET", "in5"]), Value::BulkString(b"five".to_vec()));
    ok_cmd(&mut r, &["SELECT", "0"]);
    // The primary expires `short` (a read finds it expired) and sends its DEL.
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(ok_cmd(&mut p, &["GET", "short"]), Value::Nil);
    wait_caught_up(&replica, &primary);
    assert_eq!(ok_cmd(&mut r, &["EXISTS", "short"]), Value::Int(0));
    let mut r_keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut r).unwrap();
    r_keys.sort();
    let mut p_keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut p).unwrap();
    p_keys.sort();
    assert_eq!(r_keys, p_keys);
}

/// `WAIT` counts the replicas that acknowledged; asking for more than
/// there are waits out the timeout. `ROLE` and `INFO replication` list
/// the replica.
#[test]
fn wait_role_and_info_on_a_primary() {
    let primary = Server::start();
    quick_primary(&primary);
    let replica = Server::start();
    let mut p = primary.client();
    assert_eq!(ok_cmd(&mut p, &["WAIT", "0", "0"]), Value::Int(0));
    follow(&replica, &primary);
    ok_cmd(&mut p, &["SET", "k", "v"]);
    assert_eq!(ok_cmd(&mut p, &["WAIT", "1", "5000"]), Value::Int(1));
    let started = Instant::now();
    assert_eq!(ok_cmd(&mut p, &["WAIT", "2", "300"]), Value::Int(1));
    assert!(started.elapsed() >= Duration::from_millis(250), "WAIT 2 returned before its timeout");
    let offset: i64 = info_field(&primary, "replication", "master_repl_offset").unwrap().parse().unwrap();
    assert!(offset > 0);
    let bytes = |server: &Server, name: &str| info_field(server, "stats", name).unwrap().parse::<u64>().unwrap();
    assert!(bytes(&primary, "total_net_repl_output_bytes") > 0);
    assert!(bytes(&replica, "total_net_repl_input_bytes") > 0);
    let Value::Array(role) = ok_cmd(&mut p, &["ROLE"]) else { panic!("ROLE is not an array") };
    assert_eq!(role[0], Value::BulkString(b"master".to_vec()));
    assert!(matches!(role[1], Value::Int(o) if o > 0));
    let Value::Array(replicas) = &role[2] else { panic!("no replica list") };
    assert_eq!(replicas.len(), 1);
    let Value::Array(entry) = &replicas[0] else { panic!("replica entry is not an array") };
    assert_eq!(entry[0], Value::BulkString(b"127.0.0.1".to_vec()));
    assert_eq!(entry[1], Value::BulkString(replica.port.to_string().into_bytes()));
    let text: String = redis::cmd("INFO").arg("replication").query(&mut p).unwrap();
    for field in [
        "role:master",
        "connected_slaves:1",
        "master_failover_state:no-failover",
        "master_replid:",
        "master_replid2:",
        "master_repl_offset:",
        "second_repl_offset:",
        "repl_backlog_active:1",
        "repl_backlog_size:1048576",
        "repl_backlog_first_byte_offset:",
        "repl_backlog_histlen:",
    ] {
        assert!(text.contains(field), "INFO replication lacks {field}: {text}");
    }
    let slave0 = format!("slave0:ip=127.0.0.1,port={},state=online,offset=", replica.port);
    assert!(text.contains(&slave0), "INFO replication lacks {slave0}: {text}");
    // WAIT inside MULTI answers at once (with no timeout to wait out).
    ok_cmd(&mut p, &["MULTI"]);
    ok_cmd(&mut p, &["WAIT", "5", "0"]);
    let Value::Array(answers) = ok_cmd(&mut p, &["EXEC"]) else { panic!("EXEC is not an array") };
    assert!(matches!(answers[..], [Value::Int(0..=1)]), "{answers:?}");
}

/// Reads one `+...` line.
fn read_line(stream: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        stream.read_exact(&mut byte).expect("read a line");
        // The primary's keep-alive newlines before the file.
        if line.is_empty() && byte[0] == b'\n' {
            continue;
        }
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line[..line.len() - 2]).into_owned()
}

/// Reads the RDB payload after `+FULLRESYNC`, in either form.
fn read_payload(stream: &mut TcpStream) -> Vec<u8> {
    let header = read_line(stream);
    if let Some(mark) = header.strip_prefix("$EOF:") {
        let mut file = Vec::new();
        let mut byte = [0u8; 1];
        while !file.ends_with(mark.as_bytes()) {
            stream.read_exact(&mut byte).expect("read the file");
            file.push(byte[0]);
        }
        file.truncate(file.len() - 40);
        return file;
    }
    let len: usize = header.strip_prefix('$').and_then(|n| n.parse().ok()).expect("a $<length> header");
    let mut file = vec![0u8; len];
    stream.read_exact(&mut file).unwrap();
    file
}

/// A replica spoken on a raw socket: a full resynchronization (its file
/// read and dropped), then online; the stream is the caller's to read.
fn raw_replica(primary: &Server) -> TcpStream {
    let mut replica = primary.raw();
    replica.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    send(&mut replica, &resp(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
    assert_eq!(read_reply(&mut replica), b"+OK\r\n");
    send(&mut replica, &resp(&["PSYNC", "?", "-1"]));
    assert!(read_line(&mut replica).starts_with("+FULLRESYNC "));
    read_payload(&mut replica);
    wait_for("the replica to be online", || {
        info_field(primary, "replication", "slave0").is_some_and(|s| s.contains("state=online"))
    });
    replica
}

/// Reads stream commands until `want` bytes came.
fn read_stream(stream: &mut TcpStream, want: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < want {
        out.extend(read_reply(stream));
    }
    out
}

/// `PSYNC ? -1` gets `+FULLRESYNC <replid> <offset>` and a file; the
/// writes that follow come as RESP commands, a `SELECT` first; a second
/// connection asking for `<replid> <offset+1>` gets `+CONTINUE` and the
/// same bytes from the backlog; an unknown ID gets a full resync.
#[test]
fn psync_full_then_continue_from_the_backlog() {
    let primary = Server::start();
    quick_primary(&primary);
    let mut p = primary.client();
    ok_cmd(&mut p, &["SET", "a", "1"]);
    let mut first = primary.raw();
    first.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    send(&mut first, &resp(&["REPLCONF", "listening-port", "1"]));
    assert_eq!(read_reply(&mut first), b"+OK\r\n");
    send(&mut first, &resp(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
    assert_eq!(read_reply(&mut first), b"+OK\r\n");
    send(&mut first, &resp(&["PSYNC", "?", "-1"]));
    let line = read_line(&mut first);
    let words: Vec<&str> = line.split(' ').collect();
    assert_eq!(words[0], "+FULLRESYNC", "{line}");
    let (replid, offset): (String, u64) = (words[1].to_string(), words[2].parse().unwrap());
    assert_eq!(replid.len(), 40);
    let file = read_payload(&mut first);
    assert!(file.starts_with(b"REDIS"), "not an RDB file");
    wait_for("the replica to be online", || {
        info_field(&primary, "replication", "slave0").is_some_and(|s| s.contains("state=online"))
    });
    // Redis streams to a disk-less replica once it acknowledged, online.
    send(&mut first, &resp(&["REPLCONF", "ACK", &offset.to_string()]));
    ok_cmd(&mut p, &["SET", "b", "2"]);
    let mut expected = resp(&["SELECT", "0"]);
    expected.extend(resp(&["SET", "b", "2"]));
    let streamed = read_stream(&mut first, expected.len());
    assert_eq!(String::from_utf8_lossy(&streamed), String::from_utf8_lossy(&expected));
    // A transaction of two changes comes as one.
    ok_cmd(&mut p, &["MULTI"]);
    ok_cmd(&mut p, &["SET", "c", "3"]);
    ok_cmd(&mut p, &["GET", "c"]);
    ok_cmd(&mut p, &["INCR", "n"]);
    ok_cmd(&mut p, &["EXEC"]);
    let mut transaction = resp(&["MULTI"]);
    transaction.extend(resp(&["SET", "c", "3"]));
    transaction.extend(resp(&["INCR", "n"]));
    transaction.extend(resp(&["EXEC"]));
    let streamed = read_stream(&mut first, transaction.len());
    assert_eq!(String::from_utf8_lossy(&streamed), String::from_utf8_lossy(&transaction));
    drop(first);
    let mut second = primary.raw();
    second.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    send(&mut second, &resp(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
    assert_eq!(read_reply(&mut second), b"+OK\r\n");
    send(&mut second, &resp(&["PSYNC", &replid, &(offset + 1).to_string()]));
    assert_eq!(read_line(&mut second), format!("+CONTINUE {replid}"));
    let again = read_stream(&mut second, expected.len());
    assert_eq!(String::from_utf8_lossy(&again), String::from_utf8_lossy(&expected));
    let mut third = primary.raw();
    third.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    send(&mut third, &resp(&["PSYNC", "0123456789012345678901234567890123456789", "5"]));
    assert!(read_line(&mut third).starts_with("+FULLRESYNC "));
    assert_eq!(info_field(&primary, "stats", "sync_partial_ok").as_deref(), Some("1"));
    assert_eq!(info_field(&primary, "stats", "sync_partial_err").as_deref(), Some("1"));
    assert_eq!(cmd(&mut p, &["DBSIZE"]).unwrap(), Value::Int(4));
}

/// A replica that does not read is disconnected once its unsent stream
/// passes `client-output-buffer-limit replica`; the setting reads and
/// shows as Redis's.
#[test]
fn a_replica_that_does_not_read_is_disconnected() {
    let primary = Server::start();
    quick_primary(&primary);
    let mut p = primary.client();
    assert_eq!(ok_cmd(&mut p, &["CONFIG", "SET", "client-output-buffer-limit", "replica 1mb 512kb 10"]), Value::Okay);
    let Value::Array(shown) = ok_cmd(&mut p, &["CONFIG", "GET", "client-output-buffer-limit"]) else { panic!() };
    assert_eq!(
        shown[1],
        Value::BulkString(b"normal 0 0 0 slave 1048576 524288 10 pubsub 33554432 8388608 60".to_vec())
    );
    let err = crate::common::err_cmd(&mut p, &["CONFIG", "SET", "client-output-buffer-limit", "replica 1mb"]);
    assert!(err.contains("Wrong number of arguments in buffer limit configuration."), "{err}");
    let mut idle = raw_replica(&primary);
    send(&mut idle, &resp(&["REPLCONF", "ACK", "0"]));
    let value = "x".repeat(1 << 20);
    for i in 0..40 {
        let key = format!("big{i}");
        ok_cmd(&mut p, &["SET", &key, &value]);
        if info_field(&primary, "replication", "connected_slaves").as_deref() == Some("0") {
            return;
        }
    }
    wait_for("the replica to be disconnected", || {
        info_field(&primary, "replication", "connected_slaves").as_deref() == Some("0")
    });
}

/// Replicas get a `PING` every `repl-ping-replica-period` seconds, in the
/// stream (it counts in the offset).
#[test]
fn replicas_get_a_ping_every_period() {
    let primary = Server::start();
    quick_primary(&primary);
    let mut p = primary.client();
    ok_cmd(&mut p, &["CONFIG", "SET", "repl-ping-replica-period", "1"]);
    let mut replica = primary.raw();
    replica.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    send(&mut replica, &resp(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
    assert_eq!(read_reply(&mut replica), b"+OK\r\n");
    send(&mut replica, &resp(&["PSYNC", "?", "-1"]));
    let line = read_line(&mut replica);
    let offset: u64 = line.split(' ').nth(2).unwrap().parse().unwrap();
    read_payload(&mut replica);
    wait_for("the replica to be online", || {
        info_field(&primary, "replication", "slave0").is_some_and(|s| s.contains("state=online"))
    });
    send(&mut replica, &resp(&["REPLCONF", "ACK", &offset.to_string()]));
    let ping = resp(&["ping"]);
    assert_eq!(String::from_utf8_lossy(&read_stream(&mut replica, ping.len())), String::from_utf8_lossy(&ping));
    wait_for("the offset to count the PING", || {
        info_field(&primary, "replication", "master_repl_offset").and_then(|o| o.parse::<u64>().ok())
            >= Some(offset + ping.len() as u64)
    });
    // A WAIT that cannot be satisfied yet asks the replicas for their offset.
    ok_cmd(&mut p, &["SET", "k", "v"]);
    ok_cmd(&mut p, &["CONFIG", "SET", "repl-ping-replica-period", "60"]);
    assert_eq!(ok_cmd(&mut p, &["WAIT", "1", "100"]), Value::Int(0));
    let mut want = resp(&["SELECT", "0"]);
    want.extend(resp(&["SET", "k", "v"]));
    want.extend(resp(&["REPLCONF", "GETACK", "*"]));
    let mut got = read_stream(&mut replica, want.len());
    // Another PING may have come first.
    while got.starts_with(&ping) {
        got.drain(..ping.len());
        got.extend(read_stream(&mut replica, want.len() - got.len()));
    }
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
}

/// With `min-replicas-to-write 1` a primary without a replica that
/// acknowledged lately refuses writes (`-NOREPLICAS`), reads go on, and
/// writes are taken again once a replica follows.
#[test]
fn min_replicas_to_write() {
    let primary = Server::start();
    quick_primary(&primary);
    let mut p = primary.client();
    assert_eq!(ok_cmd(&mut p, &["CONFIG", "SET", "min-replicas-to-write", "1"]), Value::Okay);
    let Value::Array(alias) = ok_cmd(&mut p, &["CONFIG", "GET", "min-slaves-to-write"]) else { panic!() };
    assert_eq!(alias[1], Value::BulkString(b"1".to_vec()));
    assert_eq!(crate::common::err_cmd(&mut p, &["SET", "k", "v"]), "NOREPLICAS Not enough good replicas to write.");
    assert_eq!(ok_cmd(&mut p, &["GET", "k"]), Value::Nil);
    let replica = Server::start();
    follow(&replica, &primary);
    wait_for("writes to be taken", || cmd(&mut p, &["SET", "k", "v"]).is_ok());
    assert_eq!(ok_cmd(&mut p, &["CONFIG", "SET", "min-replicas-to-write", "0"]), Value::Okay);
}

/// A replica announces the address set by `replica-announce-ip` and
/// `replica-announce-port`, which the primary lists (what a sentinel
/// connects to behind NAT).
#[test]
fn a_replica_announces_its_address() {
    let primary = Server::start();
    quick_primary(&primary);
    let replica = Server::start();
    let mut r = replica.client();
    ok_cmd(&mut r, &["CONFIG", "SET", "replica-announce-ip", "10.1.2.3"]);
    ok_cmd(&mut r, &["CONFIG", "SET", "replica-announce-port", "7777"]);
    follow(&replica, &primary);
    wait_for("the primary to list the replica", || {
        info_field(&primary, "replication", "slave0").is_some_and(|s| s.starts_with("ip=10.1.2.3,port=7777,"))
    });
}

/// A primary shut down right after a burst of writes hands its replicas
/// the whole stream first.
#[test]
fn shutdown_hands_replicas_the_rest_of_the_stream() {
    let primary = Server::start();
    quick_primary(&primary);
    let replica = Server::start();
    follow(&replica, &primary);
    let mut raw = primary.raw();
    let value = "v".repeat(100_000);
    let mut burst = Vec::new();
    for i in 0..300 {
        burst.extend(resp(&["SET", &format!("k{i}"), &value]));
    }
    burst.extend(resp(&["SHUTDOWN", "NOSAVE"]));
    send(&mut raw, &burst);
    crate::common::read_until_closed(&mut raw);
    let mut r = replica.client();
    wait_for("the replica to hold every key", || cmd(&mut r, &["DBSIZE"]).ok() == Some(Value::Int(300)));
}

/// Clients waiting in `WAIT` or blocked on a key when their primary
/// becomes a replica get `-UNBLOCKED` and are disconnected, as from Redis.
#[test]
fn wait_ends_when_the_primary_becomes_a_replica() {
    let primary = Server::start();
    let mut waiting = primary.raw();
    send(&mut waiting, &resp(&["WAIT", "1", "0"]));
    let mut popping = primary.raw();
    send(&mut popping, &resp(&["BLPOP", "nothing", "0"]));
    std::thread::sleep(Duration::from_millis(100));
    let nowhere = crate::common::free_port().to_string();
    ok_cmd(&mut primary.client(), &["REPLICAOF", "127.0.0.1", &nowhere]);
    for client in [&mut waiting, &mut popping] {
        assert_eq!(
            String::from_utf8_lossy(&read_reply(client)),
            "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n"
        );
        assert!(crate::common::is_closed(client));
    }
}

/// A replica far behind (more unsent stream than a normal client may
/// have unsent replies before it is no longer read) still has its
/// `REPLCONF ACK`s read: `INFO replication` shows the offset it sent.
#[test]
fn a_replica_far_behind_is_still_heard() {
    let primary = Server::start();
    quick_primary(&primary);
    let mut p = primary.client();
    let mut replica = raw_replica(&primary);
    // 40 MiB of stream the replica does not read: far more than the
    // kernel's buffers hold, well under the replica output limit.
    let value = "v".repeat(1024 * 1024);
    for i in 0..40 {
        ok_cmd(&mut p, &["SET", &format!("big{i}"), &value]);
    }
    send(&mut replica, &resp(&["REPLCONF", "ACK", "12345"]));
    wait_for("the acknowledged offset to show", || {
        info_field(&primary, "replication", "slave0").is_some_and(|s| s.contains("offset=12345,"))
    });
}
