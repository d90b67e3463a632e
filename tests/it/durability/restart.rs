//! Every data type survives a clean restart and a `kill -9`; served
//! blocking pops are logged; with `APPENDFSYNC=always` a `kill -9` loses no
//! acknowledged write, and compaction under load neither loses nor repeats
//! one.

use super::*;

// ---------------------------------------------------------------------------
// Every type survives a restart and a kill -9.

const BINARY: &[u8] = b"a\0b\r\nc\xff\r\n";

/// What [`populate`] wrote that a restart must keep exactly.
pub(super) struct Written {
    prefix: String,
    pttl: i64,
    float: String,
    popped: Vec<String>,
    left: Vec<String>,
    /// Keys given a TTL in every relative form, with their PTTL right after.
    ttls: Vec<(String, i64)>,
}

/// Writes one of everything under `p`.
pub(super) fn populate(con: &mut Connection, p: &str) -> Written {
    let k = |s: &str| format!("{p}:{s}");
    w(con, &["SELECT", "9"]);
    w(con, &["SET", &k("flushed-by-flushall"), "1"]);
    w(con, &["SELECT", "0"]);
    w(con, &["FLUSHALL"]);
    let _: () = qb(con, &[b"SET", format!("{p}:bin").as_bytes(), BINARY]);
    let _: () = qb(con, &[b"SET", b"", p.as_bytes()]);
    let _: i64 = q(con, &["RPUSH", &k("list"), "a", "b", "c", "d"]);
    let _: i64 = q(con, &["LPUSH", &k("list"), "z"]);
    let _: String = q(con, &["RPOP", &k("list")]);
    let _: i64 = q(con, &["LINSERT", &k("list"), "BEFORE", "b", "x"]);
    let _: i64 = q(con, &["SADD", &k("set"), "m1", "m2", "m3"]);
    let _: i64 = q(con, &["SREM", &k("set"), "m2"]);
    let _: i64 =
        q(con, &["ZADD", &k("zset"), "inf", "top", "-inf", "bottom", "0.1", "tenth", "1e-300", "tiny", "3.5", "x"]);
    let _: String = q(con, &["ZINCRBY", &k("zset"), "0.2", "tenth"]);
    let _: i64 = q(con, &["HSET", &k("hash"), "f1", "v1", "f2", "v2", "f3", "v3"]);
    let _: i64 = q(con, &["HDEL", &k("hash"), "f2"]);
    let _: String = q(con, &["HINCRBYFLOAT", &k("hash"), "f4", "1.5"]);
    let _: () = q(con, &["SET", &k("ttl"), "v", "EX", "100"]);
    let pttl: i64 = q(con, &["PTTL", &k("ttl")]);
    assert!(pttl > 0 && pttl <= 100_000, "PTTL {pttl}");
    let _: () = q(con, &["SET", &k("pexpire"), "v"]);
    let _: i64 = q(con, &["PEXPIRE", &k("pexpire"), "500000"]);
    let _: () = q(con, &["SELECT", "5"]);
    let _: () = q(con, &["SET", &k("db5"), "five"]);
    let _: () = q(con, &["SELECT", "0"]);
    let _: () = q(con, &["SET", &k("float"), "10.5"]);
    let _: String = q(con, &["INCRBYFLOAT", &k("float"), "0.1"]);
    let float: String = q(con, &["INCRBYFLOAT", &k("float"), "3.0e-5"]);
    let _: i64 = q(con, &["SADD", &k("spop"), "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
    let popped: Vec<String> = q(con, &["SPOP", &k("spop"), "3"]);
    let one: String = q(con, &["SPOP", &k("spop")]);
    let popped = [popped, vec![one]].concat();
    let mut left: Vec<String> = q(con, &["SMEMBERS", &k("spop")]);
    left.sort();
    assert_eq!(left.len(), 6);
    let _: () = q(con, &["SET", &k("gone"), "v"]);
    assert_eq!(q::<i64>(con, &["EXPIRE", &k("gone"), "-1"]), 1);
    let _: () = q(con, &["SET", &k("gone2"), "v"]);
    assert_eq!(q::<i64>(con, &["PEXPIREAT", &k("gone2"), "1"]), 1);
    let _: () = q(con, &["SET", &k("short"), "v", "PX", "100"]);
    let exec: Vec<redis::Value> = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg(k("m"))
        .arg(1)
        .cmd("INCR")
        .arg(k("m"))
        .cmd("RPUSH")
        .arg(k("mlist"))
        .arg("x")
        .arg("y")
        .query(con)
        .unwrap();
    assert_eq!(exec.len(), 3);
    let _: () = q(con, &["SELECT", "3"]);
    let _: () = q(con, &["SET", &k("flushed"), "1"]);
    let _: () = q(con, &["FLUSHDB"]);
    let _: () = q(con, &["SET", &k("after-flush"), "1"]);
    let _: () = q(con, &["SELECT", "6"]);
    let _: () = q(con, &["SET", &k("six"), "6"]);
    let _: () = q(con, &["SELECT", "7"]);
    let _: () = q(con, &["SET", &k("seven"), "7"]);
    let _: () = q(con, &["SWAPDB", "6", "7"]);
    let _: () = q(con, &["SELECT", "0"]);
    let _: () = q(con, &["SET", &k("r1"), "renamed"]);
    let _: () = q(con, &["RENAME", &k("r1"), &k("r2")]);
    let _: () = q(con, &["SET", &k("counter"), "41"]);
    let _: i64 = q(con, &["INCR", &k("counter")]);
    let _: i64 = q(con, &["APPEND", &k("counter"), "x"]);

    // Relative TTLs in every form: replayed later, they must not restart.
    w(con, &["SETEX", &k("setex"), "100", "v"]);
    w(con, &["PSETEX", &k("psetex"), "100000", "v"]);
    w(con, &["SET", &k("getex"), "v"]);
    w(con, &["GETEX", &k("getex"), "EX", "100"]);
    w(con, &["SET", &k("expire"), "v"]);
    w(con, &["EXPIRE", &k("expire"), "100"]);
    w(con, &["SET", &k("keepttl"), "v", "EX", "100"]);
    w(con, &["SET", &k("keepttl"), "w", "KEEPTTL"]);
    w(con, &["SET", &k("fttl"), "1.5", "EX", "100"]);
    w(con, &["INCRBYFLOAT", &k("fttl"), "1"]);
    w(con, &["SET", &k("rttl"), "v", "EX", "100"]);
    w(con, &["RENAME", &k("rttl"), &k("rttl2")]);
    w(con, &["SET", &k("append"), "v", "EX", "100"]);
    w(con, &["APPEND", &k("append"), "w"]);
    w(con, &["SET", &k("gt"), "v", "EX", "50"]);
    w(con, &["EXPIRE", &k("gt"), "100", "GT"]);
    w(con, &["RPUSH", &k("lttl"), "a"]);
    w(con, &["EXPIRE", &k("lttl"), "100"]);
    w(con, &["COPY", &k("lttl"), &k("lttl-copy")]);
    w(con, &["SET", &k("persist"), "v", "EX", "100"]);
    w(con, &["GETEX", &k("persist"), "PERSIST"]);
    w(con, &["SET", &k("far"), "v"]);
    w(con, &["EXPIREAT", &k("far"), "32503680000"]);
    let ttls =
        ["setex", "psetex", "getex", "expire", "keepttl", "fttl", "rttl2", "append", "gt", "lttl", "lttl-copy", "far"]
            .iter()
            .map(|name| (k(name), q::<i64>(con, &["PEXPIRETIME", &k(name)])))
            .collect::<Vec<_>>();
    // Moved out of keys that expire before the restart: the copies stay.
    w(con, &["RPUSH", &k("tsrc"), "a", "b"]);
    w(con, &["PEXPIRE", &k("tsrc"), "100"]);
    w(con, &["LMOVE", &k("tsrc"), &k("tdst"), "LEFT", "RIGHT"]);
    w(con, &["SADD", &k("tset"), "x"]);
    w(con, &["PEXPIRE", &k("tset"), "100"]);
    w(con, &["SUNIONSTORE", &k("tunion"), &k("tset")]);

    // Other writes: what is replayed must be what ran.
    w(con, &["MSET", &k("ms1"), "1", &k("ms2"), "2"]);
    w(con, &["MSETNX", &k("ms3"), "3", &k("ms4"), "4"]);
    w(con, &["SETNX", &k("nx"), "v"]);
    w(con, &["SETRANGE", &k("range"), "5", "abc"]);
    w(con, &["SET", &k("ms1"), "one", "GET"]);
    w(con, &["GETDEL", &k("ms2")]);
    w(con, &["DECRBY", &k("ms3"), "10"]);
    w(con, &["RPUSH", &k("l2"), "a", "b", "c", "d", "e", "b"]);
    w(con, &["LMOVE", &k("l2"), &k("l3"), "LEFT", "RIGHT"]);
    w(con, &["RPOPLPUSH", &k("l2"), &k("l3")]);
    w(con, &["LREM", &k("l2"), "0", "b"]);
    w(con, &["LSET", &k("l2"), "0", "first"]);
    w(con, &["LPUSHX", &k("l2"), "pushx"]);
    w(con, &["LTRIM", &k("l2"), "0", "1"]);
    w(con, &["LMPOP", "1", &k("l3"), "RIGHT", "COUNT", "1"]);
    w(con, &["SADD", &k("s2"), "a", "b", "c"]);
    w(con, &["SMOVE", &k("s2"), &k("s3"), "a"]);
    w(con, &["SADD", &k("s3"), "b", "z"]);
    w(con, &["SINTERSTORE", &k("sinter"), &k("s2"), &k("s3")]);
    w(con, &["SUNIONSTORE", &k("sunion"), &k("s2"), &k("s3")]);
    w(con, &["SDIFFSTORE", &k("sdiff"), &k("s2"), &k("s3")]);
    w(con, &["ZADD", &k("z2"), "1", "a", "2", "b", "3", "c", "4", "d"]);
    w(con, &["ZADD", &k("z2"), "INCR", "0.25", "a"]);
    w(con, &["ZADD", &k("z2"), "GT", "0.5", "b", "5", "c"]);
    w(con, &["ZPOPMIN", &k("z2")]);
    w(con, &["ZMPOP", "1", &k("z2"), "MAX"]);
    w(con, &["ZADD", &k("z3"), "0.7", "b", "1", "x"]);
    w(con, &["ZUNIONSTORE", &k("zunion"), "2", &k("z2"), &k("z3"), "WEIGHTS", "0.1", "3"]);
    w(con, &["ZINTERSTORE", &k("zinter"), "2", &k("z2"), &k("z3"), "AGGREGATE", "MAX"]);
    w(con, &["ZRANGESTORE", &k("zrs"), &k("zunion"), "0", "0"]);
    w(con, &["ZREMRANGEBYSCORE", &k("z3"), "0.5", "0.8"]);
    w(con, &["HSETNX", &k("h2"), "a", "1"]);
    w(con, &["HINCRBY", &k("h2"), "a", "41"]);
    w(con, &["HMSET", &k("h2"), "b", "2", "c", "3"]);
    w(con, &["COPY", &k("h2"), &k("h3")]);
    w(con, &["HDEL", &k("h3"), "a"]);
    w(con, &["MULTI"]);
    w(con, &["SET", &k("tx1"), "1"]);
    w(con, &["SELECT", "2"]);
    w(con, &["SET", &k("tx2"), "2"]);
    w(con, &["LPUSH", &k("tx2"), "wrong type"]);
    w(con, &["INCR", &k("tx2")]);
    let tx = redis::cmd("EXEC").query::<redis::Value>(con);
    assert!(
        matches!(&tx, Ok(redis::Value::Array(replies)) if replies.len() == 5 && matches!(replies[3], redis::Value::ServerError(_)))
            || tx.as_ref().is_err_and(|e| e.to_string().contains("WRONGTYPE")),
        "EXEC: {tx:?}"
    );
    w(con, &["SELECT", "15"]);
    w(con, &["SET", &k("db15"), "last"]);
    w(con, &["SELECT", "0"]);

    // Collections bigger than a snapshot frame or chunk.
    let many: Vec<String> = (0..1500).map(|i| i.to_string()).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let biglist = k("biglist");
    let bigset = k("bigset");
    w(con, &[&["RPUSH", &biglist][..], &refs].concat());
    w(con, &[&["SADD", &bigset][..], &refs].concat());
    let mut pipe = redis::pipe();
    for i in 0..1500 {
        pipe.cmd("HSET").arg(k("bighash")).arg(format!("f{i}")).arg(i * 3).ignore();
        pipe.cmd("ZADD").arg(k("bigzset")).arg(f64::from(i) / 7.0).arg(format!("m{i}")).ignore();
    }
    let _: () = pipe.query(con).unwrap();
    let big: String = (0..200_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    w(con, &["SET", &k("bigstr"), &big]);

    // Let the short-lived key expire.
    thread::sleep(Duration::from_millis(150));
    Written { prefix: p.to_string(), pttl, float, popped, left, ttls }
}

/// The exact values [`populate`] left, after a restart.
pub(super) fn verify(con: &mut Connection, written: &Written) {
    let w = written;
    let p = &w.prefix;
    let k = |s: &str| format!("{p}:{s}");
    let _: () = q(con, &["SELECT", "0"]);
    assert_eq!(qb::<Vec<u8>>(con, &[b"GET", format!("{p}:bin").as_bytes()]), BINARY);
    let tenth: f64 = q::<String>(con, &["ZSCORE", &k("zset"), "tenth"]).parse().unwrap();
    assert_eq!(tenth, 0.1 + 0.2, "ZINCRBY 0.1 + 0.2 kept exactly");
    let tiny: f64 = q::<String>(con, &["ZSCORE", &k("zset"), "tiny"]).parse().unwrap();
    assert_eq!(tiny, 1e-300);
    assert_eq!(q::<String>(con, &["ZSCORE", &k("zset"), "top"]), "inf");
    assert_eq!(q::<String>(con, &["ZSCORE", &k("zset"), "bottom"]), "-inf");
    assert_eq!(q::<Vec<String>>(con, &["ZRANGE", &k("zset"), "0", "-1"]), ["bottom", "tiny", "tenth", "x", "top"]);
    let pttl: i64 = q(con, &["PTTL", &k("ttl")]);
    assert!(pttl > 0 && pttl <= w.pttl, "PTTL {pttl} after restart, {} before", w.pttl);
    let pttl: i64 = q(con, &["PTTL", &k("pexpire")]);
    assert!(pttl > 0 && pttl <= 500_000, "PTTL {pttl}");
    assert_eq!(q::<i64>(con, &["PTTL", &k("list")]), -1);
    for (key, before) in &w.ttls {
        let at: i64 = q(con, &["PEXPIRETIME", key]);
        assert_eq!(at, *before, "PEXPIRETIME of {key}");
        assert!(q::<i64>(con, &["PTTL", key]) > 0, "PTTL of {key}");
    }
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", &k("tdst"), "0", "-1"]), ["a"]);
    assert_eq!(q::<Vec<String>>(con, &["SMEMBERS", &k("tunion")]), ["x"]);
    assert_eq!(q::<i64>(con, &["EXISTS", &k("tsrc"), &k("tset")]), 0);
    assert_eq!(q::<i64>(con, &["PTTL", &k("persist")]), -1);
    assert_eq!(q::<String>(con, &["GET", &k("fttl")]), "2.5");
    let z: f64 = q::<String>(con, &["ZSCORE", &k("bigzset"), "m1000"]).parse().unwrap();
    assert_eq!(z, 1000.0 / 7.0);
    assert_eq!(q::<i64>(con, &["LLEN", &k("biglist")]), 1500);
    assert_eq!(q::<i64>(con, &["STRLEN", &k("bigstr")]), 200_000);
    assert_eq!(q::<String>(con, &["GET", &k("float")]), w.float);
    let mut left: Vec<String> = q(con, &["SMEMBERS", &k("spop")]);
    left.sort();
    assert_eq!(left, w.left, "SPOP removed the same members");
    for m in &w.popped {
        assert_eq!(q::<i64>(con, &["SISMEMBER", &k("spop"), m]), 0);
    }
    assert_eq!(q::<i64>(con, &["EXISTS", &k("gone"), &k("gone2"), &k("short")]), 0);
    assert_eq!(q::<String>(con, &["GET", &k("m")]), "2");
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", &k("mlist"), "0", "-1"]), ["x", "y"]);
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", &k("list"), "0", "-1"]), ["z", "a", "x", "b", "c"]);
    assert_eq!(q::<String>(con, &["HGET", &k("hash"), "f4"]), "1.5");
    assert_eq!(q::<Option<String>>(con, &["GET", &k("r1")]), None);
    assert_eq!(q::<String>(con, &["GET", &k("r2")]), "renamed");
    assert_eq!(q::<String>(con, &["GET", &k("counter")]), "42x");
    let _: () = q(con, &["SELECT", "5"]);
    assert_eq!(q::<String>(con, &["GET", &k("db5")]), "five");
    let _: () = q(con, &["SELECT", "3"]);
    assert_eq!(q::<Vec<String>>(con, &["KEYS", "*"]), [k("after-flush")]);
    let _: () = q(con, &["SELECT", "0"]);
}

#[test]
fn every_type_survives_restart_and_kill_9() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    let a = populate(&mut con, "a");
    let before = state(&mut con);
    assert!(before.len() > 15, "{before:?}");
    // Everything comes back from the log alone.
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(state(&mut con), before, "after kill -9 (log replay)");
    verify(&mut con, &a);
    // SIGTERM writes a snapshot; everything comes back from it.
    let status = srv.stop();
    assert!(status.success(), "exit status after SIGTERM: {status}");
    assert!(!snapshots(&srv.dir).is_empty(), "no snapshot after SIGTERM: {:?}", listing(&srv.dir));
    srv.restart();
    let mut con = srv.client();
    assert_eq!(state(&mut con), before, "after SIGTERM (snapshot)");
    verify(&mut con, &a);
    // More on top: snapshot plus log.
    let b = populate(&mut con, "b");
    let before = state(&mut con);
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(state(&mut con), before, "after kill -9 (snapshot + log)");
    verify(&mut con, &b);
    srv.restart();
    let mut con = srv.client();
    assert_eq!(state(&mut con), before, "after a second SIGTERM");
    verify(&mut con, &b);
}

#[test]
fn served_blocking_pops_are_logged() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    let reply = served(&srv, &mut con, &["BLPOP", "bp:q", "5"], &[&["RPUSH", "bp:q", "x", "y"]]);
    assert_eq!(reply, resp(&["bp:q", "x"]));
    let reply = served(
        &srv,
        &mut con,
        &["BLMOVE", "bp:src", "bp:dst", "LEFT", "RIGHT", "5"],
        &[&["RPUSH", "bp:src", "a", "b"]],
    );
    assert_eq!(reply, b"$1\r\na\r\n");
    let reply = served(&srv, &mut con, &["BZPOPMIN", "bp:z", "5"], &[&["ZADD", "bp:z", "1", "one", "2", "two"]]);
    assert_eq!(reply, resp(&["bp:z", "one", "1"]));
    let reply =
        served(&srv, &mut con, &["BRPOP", "bp:tx", "5"], &[&["MULTI"], &["RPUSH", "bp:tx", "1", "2", "3"], &["EXEC"]]);
    assert_eq!(reply, resp(&["bp:tx", "3"]));
    let reply = served(&srv, &mut con, &["BLMPOP", "5", "1", "bp:last", "LEFT"], &[&["RPUSH", "bp:last", "only"]]);
    assert_eq!(reply, b"*2\r\n$7\r\nbp:last\r\n*1\r\n$4\r\nonly\r\n");
    let before = state(&mut con);
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(state(&mut con), before);
    assert_eq!(q::<Vec<String>>(&mut con, &["LRANGE", "bp:q", "0", "-1"]), ["y"]);
    assert_eq!(q::<Vec<String>>(&mut con, &["LRANGE", "bp:src", "0", "-1"]), ["b"]);
    assert_eq!(q::<Vec<String>>(&mut con, &["LRANGE", "bp:dst", "0", "-1"]), ["a"]);
    assert_eq!(q::<Vec<String>>(&mut con, &["ZRANGE", "bp:z", "0", "-1"]), ["two"]);
    assert_eq!(q::<Vec<String>>(&mut con, &["LRANGE", "bp:tx", "0", "-1"]), ["1", "2"]);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "bp:last"]), 0);
}

// ---------------------------------------------------------------------------
// APPENDFSYNC=always: kill -9 loses no acknowledged write.

/// What a writer saw acknowledged.
#[derive(Debug, Default, Clone, Copy)]
struct Acked {
    incr: i64,
    set: i64,
    len: i64,
    ops: u64,
}

/// INCR, SET and RPUSH as fast as acknowledgements come, until the
/// connection breaks.
fn hammer(port: u16, mut acked: Acked) -> Acked {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let Ok(mut con) = client.get_connection_with_timeout(Duration::from_secs(5)) else { return acked };
    con.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    loop {
        let Ok(n) = redis::cmd("INCR").arg("fs:counter").query::<i64>(&mut con) else { return acked };
        acked.incr = n;
        acked.ops += 1;
        if redis::cmd("SET").arg("fs:last").arg(n).query::<()>(&mut con).is_err() {
            return acked;
        }
        acked.set = n;
        acked.ops += 1;
        let Ok(len) = redis::cmd("RPUSH").arg("fs:list").arg(n).query::<i64>(&mut con) else { return acked };
        acked.len = len;
        acked.ops += 1;
    }
}

#[test]
fn kill_9_with_appendfsync_always_loses_no_acknowledged_write() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start_with(&[("APPENDFSYNC", "always")]);
    let mut rng = Rng::new();
    let mut acked = Acked::default();
    let mut total_ops = 0;
    for round in 0..5 {
        let port = srv.port;
        let start = acked;
        let writer = thread::spawn(move || hammer(port, start));
        thread::sleep(Duration::from_millis(20 + rng.below(181)));
        srv.kill();
        acked = writer.join().expect("writer thread");
        total_ops += acked.ops;
        srv.crash_restart();
        let mut con = srv.client();
        let counter: i64 = q::<Option<i64>>(&mut con, &["GET", "fs:counter"]).unwrap_or(0);
        let last: i64 = q::<Option<i64>>(&mut con, &["GET", "fs:last"]).unwrap_or(0);
        let len: i64 = q(&mut con, &["LLEN", "fs:list"]);
        let ctx = format!("round {round}: acknowledged {acked:?}; found counter {counter}, last {last}, length {len}");
        assert!(counter >= acked.incr && counter <= acked.incr + 1, "{ctx}");
        assert!(last >= acked.set && last <= counter, "{ctx}");
        assert!(len >= acked.len && len <= acked.len + 1, "{ctx}");
        if len > 0 {
            let tail: i64 = q(&mut con, &["LINDEX", "fs:list", "-1"]);
            assert!(tail <= counter, "{ctx}; list tail {tail}");
        }
        // The next round goes on from what is there.
        acked = Acked { incr: counter, set: last, len, ops: 0 };
    }
    assert!(total_ops > 0, "the writer never got an acknowledgement");
}

/// Compaction while a client writes: the snapshot and the log after it
/// hold every acknowledged write exactly once.
#[test]
fn compaction_under_load_neither_loses_nor_repeats_writes() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start_with(&[("BACKUP_INTERVAL", "1")]);
    let port = srv.port;
    let writer = thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
        let mut con = client.get_connection_with_timeout(Duration::from_secs(5)).unwrap();
        con.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut acked = (0i64, 0i64);
        loop {
            let Ok(n) = redis::cmd("INCR").arg("cl:counter").query::<i64>(&mut con) else { return acked };
            acked.0 = n;
            let Ok(len) = redis::cmd("RPUSH").arg("cl:list").arg(n).query::<i64>(&mut con) else { return acked };
            acked.1 = len;
        }
    });
    let mut con = srv.client();
    let started = Instant::now();
    let mut saves = 0;
    while started.elapsed() < Duration::from_millis(2500) {
        thread::sleep(Duration::from_millis(200));
        if redis::cmd("BGSAVE").query::<String>(&mut con).is_ok() {
            saves += 1;
        }
    }
    let generation: u64 = info_field(&mut con, "aof_current_generation").parse().unwrap();
    srv.kill();
    let (incr, len) = writer.join().expect("writer");
    assert!(saves >= 3 && generation >= 4, "{saves} BGSAVEs, log generation {generation}");
    srv.crash_restart();
    let mut con = srv.client();
    let counter: i64 = q(&mut con, &["GET", "cl:counter"]);
    let list: Vec<i64> = q(&mut con, &["LRANGE", "cl:list", "0", "-1"]);
    let ctx = format!("acknowledged INCR {incr}, RPUSH length {len}; found counter {counter}, length {}", list.len());
    assert!(counter >= incr && list.len() as i64 >= len, "{ctx}");
    assert!(list.iter().enumerate().all(|(i, &v)| v == i as i64 + 1), "{ctx}: the list is not 1, 2, 3, ...");
    assert!(counter == list.len() as i64 || counter == list.len() as i64 + 1, "{ctx}");
}
