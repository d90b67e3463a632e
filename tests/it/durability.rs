//! Durability: the append-only log and the snapshots in `BACKUP_PATH`.
//! Every data type survives a clean restart and a `kill -9`; with
//! `APPENDFSYNC=always` no acknowledged write is lost; a torn final record
//! is cut off with a warning while any other damage stops start-up without
//! touching a byte; `efis check [--repair]`; compaction on the timer and on
//! `SAVE`/`BGSAVE`/`SHUTDOWN`; `efis backup`; `-MISCONF` on a full disk and
//! recovery once space is back.
//!
//! Real Redis runs in the suite without persistence (`--save ""`,
//! `--appendonly no`) and writes different files, so every test here is
//! Efis-only and returns early under `EFIS_TEST_SERVER=redis`.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::{Connection, FromRedisValue};

use crate::common::{
    efis_bin, err_text, free_port, fresh_temp_dir, is_redis, read_reply, read_until_closed, resp, send, try_read_reply,
    Server,
};

// ---------------------------------------------------------------------------
// Helpers: commands

/// Runs a command that must succeed and converts its reply.
fn q<T: FromRedisValue>(con: &mut Connection, args: &[&str]) -> T {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con).unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

/// [`q`] with binary arguments.
fn qb<T: FromRedisValue>(con: &mut Connection, args: &[&[u8]]) -> T {
    let mut c = redis::cmd(std::str::from_utf8(args[0]).expect("utf-8 command name"));
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con).unwrap_or_else(|e| {
        panic!("{:?} failed: {e}", args.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>())
    })
}

/// The fields of one `INFO` section.
fn info(con: &mut Connection, section: &str) -> HashMap<String, String> {
    let text: String = q(con, &["INFO", section]);
    text.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.to_string(), v.trim().to_string())).collect()
}

fn info_field(con: &mut Connection, field: &str) -> String {
    info(con, "persistence").remove(field).unwrap_or_else(|| panic!("INFO persistence has no {field}"))
}

/// Polls `check` every 10 ms until it holds; panics with `what` after `limit`.
fn wait_for(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        thread::sleep(Duration::from_millis(10));
    }
}

/// Everything in every database: `(db, key) -> type, value and whether it
/// has a TTL`, for comparing the data before and after a restart.
fn state(con: &mut Connection) -> BTreeMap<(u8, Vec<u8>), String> {
    let mut all = BTreeMap::new();
    for db in 0..16u8 {
        let _: () = q(con, &["SELECT", &db.to_string()]);
        let keys: Vec<Vec<u8>> = q(con, &["KEYS", "*"]);
        for key in keys {
            let kind: String = qb(con, &[b"TYPE", &key]);
            let value = match kind.as_str() {
                "string" => format!("{:?}", qb::<Vec<u8>>(con, &[b"GET", &key])),
                "list" => format!("{:?}", qb::<Vec<Vec<u8>>>(con, &[b"LRANGE", &key, b"0", b"-1"])),
                "set" => {
                    let mut members: Vec<Vec<u8>> = qb(con, &[b"SMEMBERS", &key]);
                    members.sort();
                    format!("{members:?}")
                }
                "zset" => format!("{:?}", qb::<Vec<Vec<u8>>>(con, &[b"ZRANGE", &key, b"0", b"-1", b"WITHSCORES"])),
                "hash" => {
                    let flat: Vec<Vec<u8>> = qb(con, &[b"HGETALL", &key]);
                    let mut pairs: Vec<&[Vec<u8>]> = flat.chunks(2).collect();
                    pairs.sort();
                    format!("{pairs:?}")
                }
                other => panic!("unexpected type {other}"),
            };
            let pttl: i64 = qb(con, &[b"PTTL", &key]);
            let ttl = if pttl > 0 { " (ttl)" } else { "" };
            all.insert((db, key), format!("{kind} {value}{ttl}"));
        }
    }
    let _: () = q(con, &["SELECT", "0"]);
    all
}

// ---------------------------------------------------------------------------
// Helpers: files

/// Files in `dir` whose names end with `suffix`, sorted by name (the
/// generation is zero-padded, so that is by generation).
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("list {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(suffix)))
        .collect();
    found.sort();
    found
}

fn logs(dir: &Path) -> Vec<PathBuf> {
    files(dir, ".aof")
}

fn snapshots(dir: &Path) -> Vec<PathBuf> {
    files(dir, ".snap")
}

fn newest_log(dir: &Path) -> PathBuf {
    logs(dir).pop().unwrap_or_else(|| panic!("no .aof file in {}", dir.display()))
}

fn total_log_bytes(dir: &Path) -> u64 {
    logs(dir).iter().map(|p| fs::metadata(p).map(|m| m.len()).unwrap_or(0)).sum()
}

/// Every file of `dir` with its bytes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .expect("list dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), fs::read(&p).expect("read file")))
        .collect()
}

fn listing(dir: &Path) -> Vec<String> {
    contents(dir).into_keys().collect()
}

const HEADER_LEN: usize = 32;

/// `(offset, length)` of every well-formed frame after the header.
fn frames(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = HEADER_LEN;
    while at + 12 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let len_crc = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap());
        if crc32fast::hash(&bytes[at..at + 4]) != len_crc || at + 12 + len > bytes.len() {
            break;
        }
        out.push((at, 12 + len));
        at += 12 + len;
    }
    out
}

/// Sets the header's format version and recomputes the header checksum.
fn set_version(bytes: &mut [u8], version: u32) {
    bytes[8..12].copy_from_slice(&version.to_le_bytes());
    let crc = crc32fast::hash(&bytes[..28]);
    bytes[28..32].copy_from_slice(&crc.to_le_bytes());
}

fn append(path: &Path, bytes: &[u8]) {
    let mut f = fs::File::options().append(true).open(path).expect("open for append");
    f.write_all(bytes).expect("append");
}

// ---------------------------------------------------------------------------
// Helpers: running the binary directly

/// Runs a command to completion (at most 10 s) and returns its output.
fn run_bounded(mut command: Command, what: &str) -> Output {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("wait");
            panic!(
                "{what} was still running after 10 s; stdout {:?} stderr {:?}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("wait")
}

/// `efis ARGS` with none of the test's environment.
fn efis(args: &[&str]) -> Command {
    let mut c = Command::new(efis_bin());
    c.env_clear().args(args);
    c
}

/// Runs `efis check ARGS`: `(exit code, stdout + stderr)`.
fn check(args: &[&str]) -> (i32, String) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let out = run_bounded(efis(&all), "efis check");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// Starts the server on `dir` expecting it to refuse to start: returns its
/// exit code and stderr.
fn start_refused(dir: &Path) -> (i32, String) {
    let mut c = efis(&[]);
    c.env("PORT", free_port().to_string()).env("BIND", "127.0.0.1").env("BACKUP_PATH", dir).env("LOG_LEVEL", "warn");
    let out = run_bounded(c, "efis with a damaged data directory");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Waits until the server process has exited by itself (`SHUTDOWN`), so
/// that [`Server::stop`] only collects its status.
fn wait_exited(server: &Server) {
    let stat = format!("/proc/{}/stat", server.pid());
    wait_for(Duration::from_secs(10), "the server to exit", || match fs::read_to_string(&stat) {
        Ok(text) => text.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
        Err(_) => true,
    });
}

/// A directory removed when dropped (also when the test fails).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A small random number generator (xorshift), seeded from the clock.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1) | 1;
        eprintln!("rng seed {seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

// ---------------------------------------------------------------------------
// 1. Every type survives a restart and a kill -9.

const BINARY: &[u8] = b"a\0b\r\nc\xff\r\n";

/// What [`populate`] wrote that a restart must keep exactly.
struct Written {
    prefix: String,
    pttl: i64,
    float: String,
    popped: Vec<String>,
    left: Vec<String>,
    /// Keys given a TTL in every relative form, with their PTTL right after.
    ttls: Vec<(String, i64)>,
}

/// Runs a command that must succeed; its reply does not matter.
fn w(con: &mut Connection, args: &[&str]) {
    let _: redis::Value = q(con, args);
}

/// Writes one of everything under `p`.
fn populate(con: &mut Connection, p: &str) -> Written {
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
fn verify(con: &mut Connection, written: &Written) {
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

/// Sends a blocking command on its own connection, waits until the server
/// reports it blocked, runs `wake` on `con`, and returns the raw reply the
/// blocked client got.
fn served(srv: &Server, con: &mut Connection, blocking: &[&str], wake: &[&[&str]]) -> Vec<u8> {
    let mut waiter = srv.raw();
    send(&mut waiter, &resp(blocking));
    wait_for(Duration::from_secs(5), "the client to block", || {
        info(con, "clients").get("blocked_clients").is_some_and(|n| n == "1")
    });
    for args in wake {
        w(con, args);
    }
    read_reply(&mut waiter)
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
// 2. APPENDFSYNC=always: kill -9 loses no acknowledged write.

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

// ---------------------------------------------------------------------------
// 3. A torn final record is cut off with a warning.

/// Builds the bytes a crash left after the last record, from a valid frame.
type Tail = fn(&[u8]) -> Vec<u8>;

#[test]
fn torn_final_record_is_cut_off_with_a_warning() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let value = |i: usize| format!("value-{i}-{}", "x".repeat(i * 10));
    // What a crash can leave after the last complete record.
    let tails: [(&str, Tail); 4] = [
        ("start of a frame", |frame| frame[..20].to_vec()),
        ("seven bytes of garbage", |_| vec![0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03]),
        ("zeros", |_| vec![0u8; 4096]),
        ("complete frame, bad payload checksum", |frame| {
            let mut f = frame.to_vec();
            let last = f.len() - 1;
            f[last] ^= 0x40;
            f
        }),
    ];
    for (i, (what, tail)) in tails.iter().enumerate() {
        let mut con = srv.client();
        let _: () = q(&mut con, &["SET", &format!("torn:{i}"), &value(i)]);
        let _: i64 = q(&mut con, &["RPUSH", "torn:list", &i.to_string()]);
        srv.kill();
        let log = newest_log(&srv.dir);
        let bytes = fs::read(&log).unwrap();
        let found = frames(&bytes);
        assert_eq!(found.len(), 2, "{what}: frames in {}", log.display());
        let (at, len) = found[0];
        let tail = tail(&bytes[at..at + len]);
        append(&log, &tail);
        srv.crash_restart();
        let mut con = srv.client();
        for j in 0..=i {
            assert_eq!(q::<Option<String>>(&mut con, &["GET", &format!("torn:{j}")]), Some(value(j)), "{what}");
        }
        let list: Vec<String> = q(&mut con, &["LRANGE", "torn:list", "0", "-1"]);
        assert_eq!(list, (0..=i).map(|j| j.to_string()).collect::<Vec<_>>(), "{what}");
        let offset = bytes.len();
        assert_eq!(fs::read(&log).unwrap(), bytes, "{what}: the log is cut back to its good records");
        let cut = PathBuf::from(format!("{}.cut-{offset}", log.display()));
        assert_eq!(fs::read(&cut).ok(), Some(tail), "{what}: {} keeps the bytes cut", cut.display());
        let text = srv.log();
        let line = text
            .lines()
            .find(|l| l.contains(&log.display().to_string()) && l.contains(&format!("at byte {offset}")))
            .unwrap_or_else(|| panic!("{what}: no log line names {} and byte {offset}:\n{text}", log.display()));
        assert!(line.contains("WARN"), "{what}: not a warning: {line}");
    }
}

// ---------------------------------------------------------------------------
// 4. Damage in the middle stops start-up and changes nothing.

#[test]
fn corrupted_record_stops_start_up_until_repaired() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    for i in 1..=3 {
        let _: () = q(&mut con, &["SET", &format!("mid:{i}"), &format!("value {i}")]);
    }
    srv.kill();
    let log = newest_log(&srv.dir);
    let mut bytes = fs::read(&log).unwrap();
    let found = frames(&bytes);
    assert_eq!(found.len(), 3, "one frame per command: {found:?}");
    // Flip a byte in the middle of the second record's payload.
    let (at, len) = found[1];
    bytes[at + 12 + (len - 12) / 2] ^= 0x01;
    fs::write(&log, &bytes).unwrap();
    let before = contents(&srv.dir);
    let name = log.file_name().unwrap().to_string_lossy().into_owned();

    let (code, stderr) = start_refused(&srv.dir);
    assert_eq!(code, 1, "exit code; stderr:\n{stderr}");
    assert!(stderr.contains(&name), "stderr does not name {name}:\n{stderr}");
    assert!(stderr.contains(&format!("at byte {at}")), "stderr does not say 'at byte {at}':\n{stderr}");
    assert!(stderr.contains("efis check --repair"), "stderr does not say how to repair:\n{stderr}");
    assert!(contents(&srv.dir) == before, "start-up changed the files: {:?}", listing(&srv.dir));

    let dir = srv.dir.to_string_lossy().into_owned();
    let file = log.to_string_lossy().into_owned();
    for target in [&dir, &file] {
        let (code, out) = check(&[target]);
        assert_eq!(code, 1, "efis check {target}:\n{out}");
        assert!(out.contains(&format!("at byte {at}")) && out.contains("left as it is"), "efis check {target}:\n{out}");
        assert!(contents(&srv.dir) == before, "efis check changed the files");
    }

    let (code, out) = check(&["--repair", &file]);
    assert_eq!(code, 0, "efis check --repair:\n{out}");
    assert_eq!(fs::read(&log).unwrap(), &bytes[..at], "cut at the damaged record");
    let cut = PathBuf::from(format!("{file}.cut-{at}"));
    assert_eq!(fs::read(&cut).ok().as_deref(), Some(&bytes[at..]), "{} keeps what was cut", cut.display());
    let (code, out) = check(&[&dir]);
    assert_eq!(code, 0, "efis check after the repair:\n{out}");
    assert!(out.contains("ok"), "{out}");

    srv.restart();
    let mut con = srv.client();
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "mid:1"]).as_deref(), Some("value 1"));
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "mid:2", "mid:3"]), 0, "what the repair cut is gone");
}

/// A log missing from the chain start-up would load (deleted, or lost by
/// the file system) stops start-up, naming it: its writes would otherwise
/// be silently lost, and so would everything newer that built on them.
#[test]
fn a_missing_log_stops_start_up() {
    if is_redis() {
        return;
    }
    // Every start begins a new log, and without a snapshot none is
    // dropped: three starts leave logs G, G+1 and G+2.
    let mut srv = Server::start();
    let mut con = srv.client();
    let first: u64 = info_field(&mut con, "aof_current_generation").parse().unwrap();
    for key in ["gap:1", "gap:2", "gap:3"] {
        let _: () = q(&mut con, &["SET", key, "x"]);
        srv.crash_restart();
        con = srv.client();
    }
    srv.kill();
    let middle = srv.dir.join(format!("appendonly-{:010}.aof", first + 1));
    let away = TempDir(fresh_temp_dir("missing-log"));
    let aside = away.0.join("aside.aof");
    fs::rename(&middle, &aside).unwrap();
    let before = contents(&srv.dir);
    let (code, stderr) = start_refused(&srv.dir);
    assert_eq!(code, 1, "exit code; stderr:\n{stderr}");
    let missing = format!("the log before it, appendonly-{:010}.aof, is missing", first + 1);
    assert!(stderr.contains(&missing), "stderr does not say {missing:?}:\n{stderr}");
    assert!(!stderr.contains("--repair"), "no repair can bring a file back:\n{stderr}");
    assert!(contents(&srv.dir) == before, "start-up changed the files: {:?}", listing(&srv.dir));
    let (code, out) = check(&[&srv.dir.to_string_lossy()]);
    assert_eq!(code, 1, "efis check on the directory:\n{out}");
    assert!(out.contains(&missing), "efis check does not say {missing:?}:\n{out}");

    // With the file back, everything is there.
    fs::rename(&aside, &middle).unwrap();
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "gap:1", "gap:2", "gap:3"]), 3);

    // A snapshot with the first log after it gone.
    let _: () = q(&mut con, &["SAVE"]);
    let _: () = q(&mut con, &["SET", "gap:4", "x"]);
    let generation: u64 = info_field(&mut con, "aof_current_generation").parse().unwrap();
    // The log's helper thread deletes the logs the snapshot made obsolete.
    wait_for(Duration::from_secs(10), "the old logs to be deleted", || logs(&srv.dir).len() == 1);
    srv.crash_restart();
    let _ = srv.client();
    srv.kill();
    let first_after = srv.dir.join(format!("appendonly-{generation:010}.aof"));
    fs::rename(&first_after, &aside).unwrap();
    let (code, stderr) = start_refused(&srv.dir);
    assert_eq!(code, 1, "exit code; stderr:\n{stderr}");
    let missing = format!("the log before it, appendonly-{generation:010}.aof, is missing (the first after");
    assert!(stderr.contains(&missing) && stderr.contains(".snap"), "stderr:\n{stderr}");
    fs::rename(&aside, &first_after).unwrap();

    // Without its snapshot, a log that does not start the chain.
    for snapshot in snapshots(&srv.dir) {
        fs::rename(&snapshot, away.0.join(snapshot.file_name().unwrap())).unwrap();
    }
    let (code, stderr) = start_refused(&srv.dir);
    assert_eq!(code, 1, "exit code; stderr:\n{stderr}");
    assert!(stderr.contains("no snapshot stands in for"), "stderr:\n{stderr}");
}

/// An empty log in the middle of the chain (under `always`, a log rotated
/// away before its header was synced, then a power loss) holds no record:
/// start-up gives it its header and replays the logs after it, and
/// `efis check --repair` does the same.
#[test]
fn an_empty_log_inside_the_chain_is_given_its_header() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    let first: u64 = info_field(&mut con, "aof_current_generation").parse().unwrap();
    let _: () = q(&mut con, &["SET", "chain:1", "one"]);
    srv.crash_restart();
    let _ = srv.client();
    srv.crash_restart();
    let mut con = srv.client();
    let _: () = q(&mut con, &["SET", "chain:2", "two"]);
    srv.kill();
    let middle = srv.dir.join(format!("appendonly-{:010}.aof", first + 1));
    assert_eq!(fs::metadata(&middle).unwrap().len(), 32, "the middle log holds only its header");

    fs::write(&middle, b"").unwrap();
    let (code, out) = check(&["--repair", &middle.to_string_lossy()]);
    assert_eq!(code, 0, "efis check --repair:\n{out}");
    assert_eq!(fs::metadata(&middle).unwrap().len(), 32, "repaired with a header:\n{out}");
    let (code, out) = check(&[&srv.dir.to_string_lossy()]);
    assert_eq!(code, 0, "efis check after the repair:\n{out}");

    fs::write(&middle, b"").unwrap();
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "chain:1"]).as_deref(), Some("one"));
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "chain:2"]).as_deref(), Some("two"));
    assert_eq!(fs::metadata(&middle).unwrap().len(), 32, "given its header at start-up");
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "chain:1", "chain:2"]), 2);
}

/// A data directory holding only a snapshot (a backup put in place) goes
/// on with the log the snapshot names, and keeps starting.
#[test]
fn a_restored_backup_starts_its_own_log() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    let _: () = q(&mut con, &["SET", "restored:1", "one"]);
    let _: () = q(&mut con, &["SAVE"]);
    let generation: u64 = info_field(&mut con, "aof_current_generation").parse().unwrap();
    srv.kill();
    for log in logs(&srv.dir) {
        fs::remove_file(log).unwrap();
    }
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(info_field(&mut con, "aof_current_generation"), generation.to_string());
    let _: () = q(&mut con, &["SET", "restored:2", "two"]);
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "restored:1"]).as_deref(), Some("one"));
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "restored:2"]).as_deref(), Some("two"));
}

// ---------------------------------------------------------------------------
// 5. An empty newest log, and files from a newer format version.

/// A crash right after a new log file is created (before its header is on
/// disk) leaves it empty. It holds no record: start-up gives it its header,
/// and the file must not keep any later start from working.
#[test]
fn empty_newest_log_is_a_torn_header() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    let _: () = q(&mut con, &["SET", "z:1", "one"]);
    let generation: u64 = info_field(&mut con, "aof_current_generation").parse().unwrap();
    srv.kill();
    // A crash right after the next log file was created.
    let empty = srv.dir.join(format!("appendonly-{:010}.aof", generation + 1));
    fs::write(&empty, b"").unwrap();
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "z:1"]).as_deref(), Some("one"));
    let _: () = q(&mut con, &["SET", "z:2", "two"]);
    assert_eq!(fs::metadata(&empty).unwrap().len(), 32, "the empty log was given its header");
    assert_eq!(
        info_field(&mut con, "aof_current_generation"),
        (generation + 2).to_string(),
        "the new log comes after the one given its header, so the chain has no hole"
    );
    // It must still start after another crash.
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "z:1"]).as_deref(), Some("one"));
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "z:2"]).as_deref(), Some("two"));
}

#[test]
fn newer_format_version_and_unfinished_snapshot_stop_start_up() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    for i in 0..100 {
        let _: () = q(&mut con, &["SET", &format!("v:{i}"), &i.to_string()]);
    }
    let status = srv.stop();
    assert!(status.success(), "{status}");
    let snapshot = snapshots(&srv.dir).pop().expect("a snapshot after SIGTERM");
    let name = snapshot.file_name().unwrap().to_string_lossy().into_owned();
    let original = fs::read(&snapshot).unwrap();

    // Version 2, header checksum right.
    let mut newer = original.clone();
    set_version(&mut newer, 2);
    fs::write(&snapshot, &newer).unwrap();
    let before = contents(&srv.dir);
    let (code, stderr) = start_refused(&srv.dir);
    assert_eq!(code, 1, "stderr:\n{stderr}");
    assert!(stderr.contains(&name) && stderr.contains("version 2"), "stderr:\n{stderr}");
    assert!(stderr.contains("at byte 0"), "stderr:\n{stderr}");
    assert!(contents(&srv.dir) == before, "start-up changed the files");
    let (code, out) = check(&[&snapshot.to_string_lossy()]);
    assert_eq!(code, 1, "efis check:\n{out}");

    // The same for a log file.
    fs::write(&snapshot, &original).unwrap();
    let log = newest_log(&srv.dir);
    let log_original = fs::read(&log).unwrap();
    let mut newer = log_original.clone();
    set_version(&mut newer, 2);
    fs::write(&log, &newer).unwrap();
    let before = contents(&srv.dir);
    let (code, stderr) = start_refused(&srv.dir);
    assert_eq!(code, 1, "stderr:\n{stderr}");
    let log_name = log.file_name().unwrap().to_string_lossy().into_owned();
    assert!(stderr.contains(&log_name) && stderr.contains("version 2"), "stderr:\n{stderr}");
    assert!(contents(&srv.dir) == before, "start-up changed the files");
    fs::write(&log, &log_original).unwrap();

    // A snapshot without its end record.
    let found = frames(&original);
    let (end_at, end_len) = *found.last().expect("frames in the snapshot");
    assert_eq!(end_at + end_len, original.len());
    fs::write(&snapshot, &original[..end_at]).unwrap();
    let before = contents(&srv.dir);
    let (code, stderr) = start_refused(&srv.dir);
    assert_eq!(code, 1, "stderr:\n{stderr}");
    assert!(stderr.contains(&name) && stderr.contains(&format!("at byte {end_at}")), "stderr:\n{stderr}");
    assert!(contents(&srv.dir) == before, "start-up changed the files");
    // `efis check --repair` closes it with a new end record; it loads.
    let (code, out) = check(&["--repair", &snapshot.to_string_lossy()]);
    assert_eq!(code, 0, "efis check --repair:\n{out}");
    let (code, out) = check(&[&snapshot.to_string_lossy()]);
    assert_eq!(code, 0, "efis check after the repair:\n{out}");
    srv.restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 100);
    srv.kill();
    for path in files(&srv.dir, "") {
        fs::remove_file(path).unwrap();
    }
    for (file, bytes) in &before {
        let bytes = if *file == name { &original } else { bytes };
        fs::write(srv.dir.join(file), bytes).unwrap();
    }

    // A log whose header is not an efis header.
    let mut bad_magic = log_original.clone();
    bad_magic[0] = b'X';
    fs::write(&log, &bad_magic).unwrap();
    let before = contents(&srv.dir);
    let (code, stderr) = start_refused(&srv.dir);
    assert_eq!(code, 1, "stderr:\n{stderr}");
    assert!(stderr.contains(&log_name) && stderr.contains("at byte 0"), "stderr:\n{stderr}");
    assert!(contents(&srv.dir) == before, "start-up changed the files");
    fs::write(&log, &log_original).unwrap();
    // A snapshot being written when the server died is ignored.
    fs::write(srv.dir.join("snapshot-0000000099.snap.tmp"), b"half a snapshot").unwrap();

    // Put back, it starts with everything.
    fs::write(&snapshot, &original).unwrap();
    srv.restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 100);
    assert_eq!(q::<String>(&mut con, &["GET", "v:99"]), "99");
}

// ---------------------------------------------------------------------------
// 6. Compaction on the timer; BACKUP_KEEP.

#[test]
fn interval_snapshot_shrinks_the_log() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start_with(&[("BACKUP_INTERVAL", "1")]);
    let mut con = srv.client();
    let _: () = q(&mut con, &["SET", "warm", "up"]);
    let value = |i: usize| format!("{i:06}-{}", "v".repeat(1000));
    let generation = |con: &mut Connection| info_field(con, "aof_current_generation").parse::<u64>().unwrap();
    // Right after a timed compaction starts, the next one is about a second
    // away: write then, and measure the log before it comes (again if the
    // machine was too slow for that).
    let mut before = 0;
    let mut current = 0;
    for _ in 0..3 {
        let start = generation(&mut con);
        wait_for(Duration::from_secs(5), "a timed compaction", || generation(&mut con) > start);
        current = generation(&mut con);
        let mut pipe = redis::pipe();
        for i in 0..2000 {
            pipe.cmd("SET").arg(format!("big:{i}")).arg(value(i)).ignore();
        }
        let _: () = pipe.query(&mut con).unwrap();
        before = total_log_bytes(&srv.dir);
        if generation(&mut con) == current {
            break;
        }
    }
    assert!(before > 2_000_000, "log bytes after 2000 writes of 1 KB: {before} ({:?})", listing(&srv.dir));
    let first = srv.dir.join(format!("snapshot-{current:010}.snap"));
    wait_for(Duration::from_secs(10), "a new snapshot and the old logs deleted", || {
        snapshots(&srv.dir).last().is_some_and(|newest| *newest > first) && logs(&srv.dir).len() == 1
    });
    let after = total_log_bytes(&srv.dir);
    assert!(after < before / 10, "log bytes {before} before, {after} after the snapshot");
    let snap = snapshots(&srv.dir).pop().unwrap();
    assert!(fs::metadata(&snap).unwrap().len() > 2_000_000, "the snapshot holds the data");
    // Back from the snapshot (and the short log after it).
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 2001);
    let mut pipe = redis::pipe();
    for i in 0..2000 {
        pipe.cmd("GET").arg(format!("big:{i}"));
    }
    let values: Vec<String> = pipe.query(&mut con).unwrap();
    for (i, v) in values.iter().enumerate() {
        assert!(*v == value(i), "big:{i} is {v:?}");
    }
}

#[test]
fn backup_keep_limits_the_snapshots() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start_with(&[("BACKUP_KEEP", "2")]);
    let mut con = srv.client();
    for round in 0..4 {
        let _: () = q(&mut con, &["SET", "keep:round", &round.to_string()]);
        let generation: u64 = info_field(&mut con, "aof_current_generation").parse().unwrap();
        assert_eq!(q::<String>(&mut con, &["BGSAVE"]), "Background saving started");
        wait_for(Duration::from_secs(10), "BGSAVE to finish", || {
            let i = info(&mut con, "persistence");
            i["aof_current_generation"].parse::<u64>().unwrap() > generation && i["rdb_bgsave_in_progress"] == "0"
        });
        assert_eq!(info_field(&mut con, "rdb_last_bgsave_status"), "ok");
        // The log's helper thread deletes the obsolete files, right after.
        wait_for(Duration::from_secs(10), "old files to be deleted", || {
            snapshots(&srv.dir).len() <= 2 && logs(&srv.dir).len() == 1
        });
        let snaps = snapshots(&srv.dir);
        let newest = format!("snapshot-{:010}.snap", generation + 1);
        assert!(
            snaps.last().is_some_and(|p| p.ends_with(&newest)),
            "round {round}: expected {newest} to be the newest: {:?}",
            listing(&srv.dir)
        );
        assert_eq!(logs(&srv.dir).len(), 1, "round {round}: old logs deleted: {:?}", listing(&srv.dir));
    }
    assert_eq!(snapshots(&srv.dir).len(), 2, "{:?}", listing(&srv.dir));
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<String>(&mut con, &["GET", "keep:round"]), "3");
}

// ---------------------------------------------------------------------------
// 7. efis backup

#[test]
fn efis_backup_round_trip_with_password() {
    if is_redis() {
        return;
    }
    let src = Server::start_with(&[("REQUIREPASS", "s3cret")]);
    let mut con = src.connect_url(&format!("redis://:s3cret@127.0.0.1:{}/", src.port));
    let w = populate(&mut con, "bk");
    for i in 0..500 {
        let _: () = q(&mut con, &["SET", &format!("bk:n:{i}"), &i.to_string()]);
    }
    let expected = state(&mut con);
    let out = TempDir(fresh_temp_dir("backup"));
    let out_dir = &out.0;
    let port = src.port.to_string();
    let dir_arg = out_dir.to_string_lossy().into_owned();

    // Without the password: refused, nothing written.
    let out = run_bounded(efis(&["backup", "--host", "127.0.0.1", "--port", &port, "--dir", &dir_arg]), "efis backup");
    assert_eq!(out.status.code(), Some(1), "efis backup without the password: {out:?}");
    assert!(listing(out_dir).is_empty(), "{:?}", listing(out_dir));

    let out = run_bounded(
        efis(&["backup", "--host", "127.0.0.1", "--port", &port, "--dir", &dir_arg, "--password", "s3cret"]),
        "efis backup",
    );
    assert!(out.status.success(), "efis backup: {out:?}");
    let names = listing(out_dir);
    assert_eq!(names.len(), 1, "{names:?}");
    let name = &names[0];
    let stamp = name.strip_prefix("efis-").and_then(|n| n.strip_suffix(".snap")).unwrap_or("");
    assert!(
        stamp.len() == 16
            && stamp.as_bytes()[8] == b'T'
            && stamp.ends_with('Z')
            && stamp.bytes().enumerate().all(|(i, b)| i == 8 || i == 15 || b.is_ascii_digit()),
        "backup file name {name}"
    );
    let backup = out_dir.join(name);
    let (code, text) = check(&[&backup.to_string_lossy()]);
    assert_eq!(code, 0, "efis check on the backup:\n{text}");

    // Into the empty data directory of a new server.
    let mut dst = Server::start();
    dst.stop();
    for entry in fs::read_dir(&dst.dir).unwrap() {
        fs::remove_file(entry.unwrap().path()).unwrap();
    }
    fs::copy(&backup, dst.dir.join(name)).unwrap();
    dst.restart();
    let mut con = dst.client();
    assert_eq!(state(&mut con), expected, "the backup holds everything");
    verify(&mut con, &w);
    // The restored server goes on logging after it.
    let _: () = q(&mut con, &["SET", "bk:after", "1"]);
    dst.crash_restart();
    let mut con = dst.client();
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "bk:after"]).as_deref(), Some("1"));
    assert_eq!(q::<String>(&mut con, &["GET", "bk:n:499"]), "499");
}

#[test]
fn efis_backup_every_keeps_the_newest() {
    if is_redis() {
        return;
    }
    let src = Server::start();
    let mut con = src.client();
    let _: () = q(&mut con, &["SET", "every", "1"]);
    let out = TempDir(fresh_temp_dir("backup-every"));
    let out_dir = &out.0;
    let port = src.port.to_string();
    let dir_arg = out_dir.to_string_lossy().into_owned();
    let mut child = efis(&["backup", "--port", &port, "--dir", &dir_arg, "--every", "1", "--keep", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn efis backup");
    // "efis backup: wrote PATH (N bytes)" per backup; pruning follows it.
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let (lines, received) = std::sync::mpsc::channel();
    thread::spawn(move || {
        for line in std::io::BufRead::lines(stdout).map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut written = Vec::new();
    while written.len() < 3 {
        match received.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => written.push(line),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("efis backup --every 1: {e} after {written:?}");
            }
        }
    }
    thread::sleep(Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    let backups = files(out_dir, ".snap");
    assert_eq!(backups.len(), 2, "{:?} after {written:?}", listing(out_dir));
    for (backup, line) in backups.iter().zip(&written[1..]) {
        assert!(line.contains(&backup.to_string_lossy().into_owned()), "{line:?} vs {}", backup.display());
    }
    for backup in &backups {
        let (code, text) = check(&[&backup.to_string_lossy()]);
        assert_eq!(code, 0, "{text}");
    }
}

// ---------------------------------------------------------------------------
// 8. A full disk: -MISCONF, reads go on, writes resume by themselves.

/// A small tmpfs, unmounted when dropped.
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let path = fresh_temp_dir("tmpfs");
        let mounted = Command::new("timeout")
            .args(["10", "mount", "-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            let _ = fs::remove_dir(&path);
            return None;
        }
        Some(Tmpfs { path })
    }
}

/// A 2 MB tmpfs and a server keeping its data (`BACKUP_PATH`) in its
/// `data` folder; `None`, the test skipped, where tmpfs cannot be mounted.
/// Bound as `let Some((mount, srv))`, the server is dropped before the
/// mount.
fn server_on_small_disk() -> Option<(Tmpfs, Server)> {
    let Some(mount) = Tmpfs::mount("2m") else {
        eprintln!("skipped: cannot mount tmpfs");
        return None;
    };
    let data = mount.path.join("data");
    fs::create_dir(&data).unwrap();
    let srv = Server::start_with(&[("BACKUP_PATH", data.to_str().unwrap())]);
    Some((mount, srv))
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmount = |lazy: bool| {
            let mut c = Command::new("timeout");
            c.args(["10", "umount"]);
            if lazy {
                c.arg("-l");
            }
            c.arg(&self.path).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
        };
        if !unmount(false) {
            unmount(true);
        }
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Writes a file until the file system is full.
fn fill(path: &Path) {
    let mut f = fs::File::create(path).expect("create filler");
    let chunk = vec![0x5au8; 64 * 1024];
    loop {
        if let Err(e) = f.write_all(&chunk) {
            assert_eq!(e.raw_os_error(), Some(28), "filler: {e}");
            break;
        }
    }
    loop {
        if f.write_all(b"x").is_err() {
            break;
        }
    }
}

#[test]
fn full_disk_answers_misconf_and_recovers() {
    if is_redis() {
        return;
    }
    // Declared before the server, so dropped after it.
    let Some((mount, mut srv)) = server_on_small_disk() else { return };
    let mut con = srv.client();
    let value = |i: usize| format!("{i}-{}", "d".repeat(1000));
    for i in 0..100 {
        let _: () = q(&mut con, &["SET", &format!("disk:{i}"), &value(i)]);
    }
    let filler = mount.path.join("filler");
    fill(&filler);

    // Writes until one is not answered (held until it is on disk) or is
    // refused.
    let mut writer: TcpStream = srv.raw();
    writer.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut acked = Vec::new();
    let mut held = None;
    for i in 0..200 {
        send(&mut writer, &resp(&["SET", &format!("more:{i}"), &value(i)]));
        match try_read_reply(&mut writer) {
            Ok(reply) if reply == b"+OK\r\n" => acked.push(i),
            Ok(reply) => {
                assert!(reply.starts_with(b"-MISCONF"), "reply {:?}", String::from_utf8_lossy(&reply));
                break;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                held = Some(i);
                break;
            }
            Err(e) => panic!("writer: {e}"),
        }
    }
    assert!(acked.len() < 200, "the disk never filled up");
    eprintln!("{} writes acknowledged on the full disk, then {held:?} held", acked.len());

    let e = redis::cmd("SET").arg("probe").arg("x").query::<()>(&mut con).unwrap_err();
    let text = err_text(&e);
    assert!(text.starts_with("MISCONF Errors writing to the AOF file: "), "{text}");
    let e = redis::cmd("INCR").arg("disk:counter").query::<i64>(&mut con).unwrap_err();
    assert!(err_text(&e).starts_with("MISCONF"), "{e}");
    // Reads go on.
    assert_eq!(q::<String>(&mut con, &["GET", "disk:7"]), value(7));
    assert!(q::<i64>(&mut con, &["DBSIZE"]) >= 100);
    assert_eq!(info_field(&mut con, "aof_last_write_status"), "err");

    // Space again: writes resume by themselves.
    fs::remove_file(&filler).unwrap();
    wait_for(Duration::from_secs(5), "writes to be accepted again", || {
        redis::cmd("SET").arg("probe").arg("x").query::<()>(&mut con).is_ok()
    });
    assert_eq!(info_field(&mut con, "aof_last_write_status"), "ok");
    if let Some(i) = held {
        writer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let reply = try_read_reply(&mut writer).expect("the held write is answered once the disk takes it");
        assert_eq!(reply, b"+OK\r\n", "held write");
        acked.push(i);
    }
    let _: () = q(&mut con, &["SET", "after", "1"]);

    srv.crash_restart();
    let mut con = srv.client();
    for i in 0..100 {
        assert_eq!(q::<Option<String>>(&mut con, &["GET", &format!("disk:{i}")]), Some(value(i)), "disk:{i}");
    }
    for &i in &acked {
        assert_eq!(q::<Option<String>>(&mut con, &["GET", &format!("more:{i}")]), Some(value(i)), "more:{i}");
    }
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "probe"]).as_deref(), Some("x"));
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "after"]).as_deref(), Some("1"));
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "disk:counter"]), 0, "a refused write left nothing");
    let status = srv.stop();
    assert!(status.success(), "{status}");
    drop(srv);
    drop(mount);
}

/// A snapshot that cannot be written (disk full) fails, the log is kept,
/// and nothing is lost.
#[test]
fn full_disk_during_snapshot_keeps_the_log() {
    if is_redis() {
        return;
    }
    let Some((mount, mut srv)) = server_on_small_disk() else { return };
    let data = mount.path.join("data");
    let mut con = srv.client();
    let value = |i: usize| format!("{i}-{}", "s".repeat(1000));
    for i in 0..300 {
        let _: () = q(&mut con, &["SET", &format!("snap:{i}"), &value(i)]);
    }
    let filler = mount.path.join("filler");
    fill(&filler);
    let generation: u64 = info_field(&mut con, "aof_current_generation").parse().unwrap();
    assert_eq!(q::<String>(&mut con, &["BGSAVE"]), "Background saving started");
    wait_for(Duration::from_secs(10), "the snapshot to fail", || {
        let i = info(&mut con, "persistence");
        i["rdb_last_bgsave_status"] == "err" && i["rdb_bgsave_in_progress"] == "0"
    });
    let e = redis::cmd("SAVE").query::<()>(&mut con).unwrap_err();
    assert!(err_text(&e).starts_with("ERR"), "{e}");
    assert!(files(&data, ".tmp").is_empty(), "a temporary file is left: {:?}", listing(&data));
    assert!(data.join(format!("appendonly-{generation:010}.aof")).exists(), "the log is kept: {:?}", listing(&data));
    assert_eq!(q::<String>(&mut con, &["GET", "snap:299"]), value(299));
    fs::remove_file(&filler).unwrap();
    // Space again. Two crashes in a row must not keep it from starting
    // (whatever the failed attempt left behind).
    let _: () = q(&mut con, &["SET", "snap:after", "1"]);
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 301);
    let _: () = q(&mut con, &["SET", "snap:after2", "2"]);
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 302);
    // The next snapshot works.
    let _: () = q(&mut con, &["SAVE"]);
    assert_eq!(info_field(&mut con, "rdb_last_bgsave_status"), "ok");
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 302);
    assert_eq!(q::<String>(&mut con, &["GET", "snap:0"]), value(0));
    srv.stop();
    drop(srv);
    drop(mount);
}

// ---------------------------------------------------------------------------
// 9. SAVE, BGSAVE, LASTSAVE, INFO persistence, SHUTDOWN [NOSAVE].

#[test]
fn save_bgsave_lastsave_info_and_shutdown() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    let i = info(&mut con, "persistence");
    assert_eq!(i["rdb_bgsave_in_progress"], "0");
    assert_eq!(i["rdb_last_bgsave_status"], "ok");
    assert_eq!(i["aof_last_write_status"], "ok");
    assert_eq!(i["aof_current_generation"], "1");
    assert_eq!(i["aof_current_size"], "32", "a new log is its header");
    assert_eq!(i["rdb_changes_since_last_save"], "0");
    assert_eq!(listing(&srv.dir), ["appendonly-0000000001.aof"]);

    let _: () = q(&mut con, &["SET", "s:a", "1"]);
    let _: () = q(&mut con, &["SET", "s:b", "2"]);
    let i = info(&mut con, "persistence");
    assert_eq!(i["rdb_changes_since_last_save"], "2");
    let size: u64 = i["aof_current_size"].parse().unwrap();
    assert!(size > 32, "aof_current_size {size}");
    assert_eq!(fs::metadata(srv.dir.join("appendonly-0000000001.aof")).unwrap().len(), size);

    let lastsave: i64 = q(&mut con, &["LASTSAVE"]);
    thread::sleep(Duration::from_millis(1100));
    let _: () = q(&mut con, &["SAVE"]);
    let after: i64 = q(&mut con, &["LASTSAVE"]);
    assert!(after > lastsave, "LASTSAVE {lastsave} then {after}");
    let i = info(&mut con, "persistence");
    assert_eq!(i["rdb_changes_since_last_save"], "0");
    assert_eq!(i["aof_current_generation"], "2");
    // The log's helper thread deletes the obsolete log, right after.
    wait_for(Duration::from_secs(10), "the old log to be deleted", || {
        listing(&srv.dir) == ["appendonly-0000000002.aof", "snapshot-0000000002.snap"]
    });

    let _: () = q(&mut con, &["SET", "s:c", "3"]);
    assert_eq!(q::<String>(&mut con, &["BGSAVE"]), "Background saving started");
    wait_for(Duration::from_secs(10), "BGSAVE to finish", || {
        let i = info(&mut con, "persistence");
        i["aof_current_generation"] == "3" && i["rdb_bgsave_in_progress"] == "0"
    });
    assert_eq!(info_field(&mut con, "rdb_last_bgsave_status"), "ok");
    wait_for(Duration::from_secs(10), "the old log to be deleted", || {
        listing(&srv.dir) == ["appendonly-0000000003.aof", "snapshot-0000000002.snap", "snapshot-0000000003.snap"]
    });

    assert_eq!(q::<String>(&mut con, &["BGREWRITEAOF"]), "Background append only file rewriting started");
    wait_for(Duration::from_secs(10), "BGREWRITEAOF to finish", || {
        let i = info(&mut con, "persistence");
        i["aof_current_generation"] == "4" && i["aof_rewrite_in_progress"] == "0"
    });
    assert_eq!(info_field(&mut con, "aof_last_bgrewrite_status"), "ok");

    // SHUTDOWN NOSAVE: no new snapshot, but the log has every change.
    let _: () = q(&mut con, &["SET", "s:d", "4"]);
    let snaps = snapshots(&srv.dir);
    let mut raw = srv.raw();
    send(&mut raw, &resp(&["SHUTDOWN", "NOSAVE"]));
    wait_exited(&srv);
    let status = srv.stop();
    assert!(status.success(), "exit status after SHUTDOWN NOSAVE: {status}");
    assert_eq!(snapshots(&srv.dir), snaps, "SHUTDOWN NOSAVE wrote a snapshot");
    srv.restart();
    let mut con = srv.client();
    assert_eq!(q::<Vec<Option<String>>>(&mut con, &["MGET", "s:a", "s:b", "s:c", "s:d"]).len(), 4);
    assert_eq!(
        q::<Vec<Option<String>>>(&mut con, &["MGET", "s:a", "s:b", "s:c", "s:d"]),
        [Some("1".to_string()), Some("2".to_string()), Some("3".to_string()), Some("4".to_string())]
    );

    // SHUTDOWN: exit 0 and one new snapshot holding everything.
    let _: () = q(&mut con, &["SET", "s:e", "5"]);
    let generation: u64 = info_field(&mut con, "aof_current_generation").parse().unwrap();
    let mut raw = srv.raw();
    send(&mut raw, &resp(&["SHUTDOWN"]));
    wait_exited(&srv);
    let status = srv.stop();
    assert!(status.success(), "exit status after SHUTDOWN: {status}");
    let newest = snapshots(&srv.dir).pop().expect("a snapshot");
    assert!(newest.ends_with(format!("snapshot-{:010}.snap", generation + 1)), "{:?}", listing(&srv.dir));
    assert!(snapshots(&srv.dir).len() <= 3, "BACKUP_KEEP 3: {:?}", listing(&srv.dir));
    // The snapshot alone holds everything: the log after it is empty.
    let log = newest_log(&srv.dir);
    assert_eq!(fs::metadata(&log).unwrap().len(), 32, "{}", log.display());
    srv.restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 5);
    assert_eq!(q::<String>(&mut con, &["GET", "s:e"]), "5");
}

// ---------------------------------------------------------------------------
// 10. Regressions: what the log replays is what the server did.

/// A woken blocking pop that skips a key of another type (the blocking
/// form, replayed, would stop at it with WRONGTYPE) is logged as the pop
/// it did, so a crash restart finds the same data.
#[test]
fn woken_blocking_pops_skipping_a_key_of_another_type_replay_the_same() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    let reply =
        served(&srv, &mut con, &["BLPOP", "wt:a", "wt:b", "0"], &[&["SET", "wt:a", "str"], &["LPUSH", "wt:b", "x"]]);
    assert_eq!(reply, resp(&["wt:b", "x"]), "BLPOP");
    let reply = served(
        &srv,
        &mut con,
        &["BRPOP", "wt:ra", "wt:rb", "0"],
        &[&["SET", "wt:ra", "str"], &["RPUSH", "wt:rb", "1", "2"]],
    );
    assert_eq!(reply, resp(&["wt:rb", "2"]), "BRPOP");
    let reply = served(
        &srv,
        &mut con,
        &["BZPOPMIN", "wt:za", "wt:z", "0"],
        &[&["SET", "wt:za", "str"], &["ZADD", "wt:z", "1", "m"]],
    );
    assert_eq!(reply, resp(&["wt:z", "m", "1"]), "BZPOPMIN");
    let reply = served(
        &srv,
        &mut con,
        &["BZPOPMAX", "wt:xa", "wt:x", "0"],
        &[&["SET", "wt:xa", "str"], &["ZADD", "wt:x", "1", "low", "2", "high"]],
    );
    assert_eq!(reply, resp(&["wt:x", "high", "2"]), "BZPOPMAX");
    let reply = served(
        &srv,
        &mut con,
        &["BLMPOP", "0", "2", "wt:la", "wt:lb", "LEFT", "COUNT", "2"],
        &[&["SET", "wt:la", "str"], &["RPUSH", "wt:lb", "1", "2", "3"]],
    );
    assert_eq!(
        reply,
        b"*2\r\n$5\r\nwt:lb\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n",
        "BLMPOP: {}",
        String::from_utf8_lossy(&reply)
    );
    let before = state(&mut con);
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(state(&mut con), before, "after kill -9 (log replay)");
    for key in ["wt:a", "wt:ra", "wt:za", "wt:xa", "wt:la"] {
        assert_eq!(q::<Option<String>>(&mut con, &["GET", key]).as_deref(), Some("str"), "{key}");
    }
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "wt:b", "wt:z"]), 0, "popped to empty");
    assert_eq!(q::<Vec<String>>(&mut con, &["LRANGE", "wt:rb", "0", "-1"]), ["1"]);
    assert_eq!(q::<Vec<String>>(&mut con, &["ZRANGE", "wt:x", "0", "-1"]), ["low"]);
    assert_eq!(q::<Vec<String>>(&mut con, &["LRANGE", "wt:lb", "0", "-1"]), ["3"]);
    // And once more from a snapshot and the log after it.
    let _: () = q(&mut con, &["SAVE"]);
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(state(&mut con), before, "after SAVE and kill -9");
}

/// A key that expired lazily inside a transaction is deleted (in the log)
/// from the database it was in, even when a `SWAPDB` in the same
/// transaction moved that database to another index.
#[test]
fn swapdb_in_multi_after_a_lazy_expiry_replays_the_same() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    // Only lazy expiry: the GET in the transaction is what expires `k`.
    let _: () = q(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let _: () = q(&mut con, &["SET", "k", "doomed"]);
    assert_eq!(q::<i64>(&mut con, &["PEXPIRE", "k", "50"]), 1);
    let _: () = q(&mut con, &["SELECT", "1"]);
    let _: () = q(&mut con, &["SET", "k", "live"]);
    let _: () = q(&mut con, &["SELECT", "0"]);
    thread::sleep(Duration::from_millis(100));
    let _: () = q(&mut con, &["MULTI"]);
    assert_eq!(q::<String>(&mut con, &["GET", "k"]), "QUEUED");
    assert_eq!(q::<String>(&mut con, &["SWAPDB", "0", "1"]), "QUEUED");
    let replies: Vec<redis::Value> = q(&mut con, &["EXEC"]);
    assert_eq!(replies, [redis::Value::Nil, redis::Value::Okay], "EXEC");
    let check = |con: &mut Connection, when: &str| {
        let _: () = q(con, &["SELECT", "0"]);
        assert_eq!(q::<Option<String>>(con, &["GET", "k"]).as_deref(), Some("live"), "db0 {when}");
        let _: () = q(con, &["SELECT", "1"]);
        assert_eq!(q::<i64>(con, &["EXISTS", "k"]), 0, "db1 {when}");
        let _: () = q(con, &["SELECT", "0"]);
    };
    check(&mut con, "before the restart");
    let before = state(&mut con);
    srv.crash_restart();
    let mut con = srv.client();
    check(&mut con, "after kill -9 (log replay)");
    assert_eq!(state(&mut con), before);

    // A key expiring after the swap (in its new database), and one in the
    // other database (selected in the transaction) before it.
    let _: () = q(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let _: () = q(&mut con, &["MSET", "m", "zero", "n", "zero"]);
    let _: () = q(&mut con, &["SELECT", "1"]);
    let _: () = q(&mut con, &["SET", "m", "doomed", "PX", "50"]);
    let _: () = q(&mut con, &["SET", "n", "doomed", "PX", "50"]);
    let _: () = q(&mut con, &["SELECT", "0"]);
    thread::sleep(Duration::from_millis(100));
    let _: () = q(&mut con, &["MULTI"]);
    for args in [&["SWAPDB", "0", "1"][..], &["GET", "m"]] {
        assert_eq!(q::<String>(&mut con, args), "QUEUED");
    }
    let replies: Vec<redis::Value> = q(&mut con, &["EXEC"]);
    assert_eq!(replies, [redis::Value::Okay, redis::Value::Nil], "EXEC");
    // Now db0 holds n (expired), db1 holds n = "zero". From db1:
    let _: () = q(&mut con, &["SELECT", "1"]);
    let _: () = q(&mut con, &["MULTI"]);
    for args in [&["SELECT", "0"][..], &["GET", "n"], &["SWAPDB", "0", "1"], &["SELECT", "0"]] {
        assert_eq!(q::<String>(&mut con, args), "QUEUED");
    }
    let replies: Vec<redis::Value> = q(&mut con, &["EXEC"]);
    assert_eq!(replies, [redis::Value::Okay, redis::Value::Nil, redis::Value::Okay, redis::Value::Okay], "EXEC");
    let after = state(&mut con);
    let text = |s: &str| format!("string {:?}", s.as_bytes());
    let expected = BTreeMap::from([
        ((0, b"k".to_vec()), text("live")),
        ((0, b"m".to_vec()), text("zero")),
        ((0, b"n".to_vec()), text("zero")),
    ]);
    assert_eq!(after, expected, "before the restart");
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(state(&mut con), expected, "after kill -9 (log replay)");
}

// ---------------------------------------------------------------------------
// 11. Regressions: a rewrite requested while a snapshot is being written.

/// Waits for a child process (at most `limit`) and returns its output.
fn finish(mut child: std::process::Child, what: &str, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("wait");
            panic!(
                "{what} was still running after {limit:?}; stdout {:?} stderr {:?}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("wait")
}

/// Waits until no snapshot runs and none is scheduled.
fn wait_idle(con: &mut Connection) {
    wait_for(Duration::from_secs(60), "the snapshots to finish", || {
        let i = info(con, "persistence");
        i["rdb_bgsave_in_progress"] == "0" && i["aof_rewrite_scheduled"] == "0"
    });
}

fn generation(con: &mut Connection) -> u64 {
    info_field(con, "aof_current_generation").parse().unwrap()
}

/// `efis backup` of the server on `port` into `dir`, started.
fn spawn_backup(port: u16, dir: &Path) -> std::process::Child {
    efis(&["backup", "--host", "127.0.0.1", "--port", &port.to_string(), "--dir", &dir.to_string_lossy()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn efis backup")
}

/// The backup finished well and wrote one valid snapshot into `dir`.
fn assert_backed_up(out: &Output, dir: &Path, what: &str) {
    assert!(out.status.success(), "{what}: {out:?}");
    let backups = files(dir, ".snap");
    assert_eq!(backups.len(), 1, "{what}: {:?}", listing(dir));
    let (code, text) = check(&[&backups[0].to_string_lossy()]);
    assert_eq!(code, 0, "{what}: efis check on the backup:\n{text}");
}

#[test]
fn bgrewriteaof_during_a_snapshot_waits_for_it() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    let _: () = q(&mut con, &["DEBUG", "POPULATE", "300000"]);

    // BGSAVE, then BGREWRITEAOF while its snapshot is being written: both
    // snapshots are written, neither fails.
    let start = generation(&mut con);
    assert_eq!(q::<String>(&mut con, &["BGSAVE"]), "Background saving started");
    let reply: String = q(&mut con, &["BGREWRITEAOF"]);
    assert_eq!(reply, "Background append only file rewriting scheduled", "a snapshot of 300000 keys is running");
    wait_idle(&mut con);
    let i = info(&mut con, "persistence");
    assert_eq!(i["rdb_last_bgsave_status"], "ok", "{i:?}\n{}", srv.log());
    assert_eq!(i["aof_last_bgrewrite_status"], "ok");
    assert_eq!(i["aof_current_generation"], (start + 2).to_string(), "two snapshots: {:?}", listing(&srv.dir));
    let snaps = snapshots(&srv.dir);
    for g in [start + 1, start + 2] {
        let name = format!("snapshot-{g:010}.snap");
        assert!(snaps.iter().any(|p| p.ends_with(&name)), "{name}: {:?}", listing(&srv.dir));
    }

    // `efis backup` (SYNC) while BGREWRITEAOF asks for another snapshot:
    // the backup gets its snapshot.
    let out1 = TempDir(fresh_temp_dir("backup-rewrite"));
    let start = generation(&mut con);
    let mut child = spawn_backup(srv.port, &out1.0);
    wait_for(Duration::from_secs(10), "the backup's snapshot to start", || {
        generation(&mut con) > start || child.try_wait().expect("try_wait").is_some()
    });
    let reply: String = q(&mut con, &["BGREWRITEAOF"]);
    if reply != "Background append only file rewriting scheduled" {
        eprintln!("the backup's snapshot was already done: BGREWRITEAOF said {reply:?}");
    }
    let out = finish(child, "efis backup with BGREWRITEAOF", Duration::from_secs(60));
    assert_backed_up(&out, &out1.0, "efis backup, then BGREWRITEAOF");
    wait_idle(&mut con);
    assert_eq!(info_field(&mut con, "rdb_last_bgsave_status"), "ok");
    assert_eq!(generation(&mut con), start + 2);

    // BGREWRITEAOF first, then `efis backup` while it runs.
    let out2 = TempDir(fresh_temp_dir("backup-rewrite"));
    let start = generation(&mut con);
    assert_eq!(q::<String>(&mut con, &["BGREWRITEAOF"]), "Background append only file rewriting started");
    let child = spawn_backup(srv.port, &out2.0);
    let out = finish(child, "efis backup during BGREWRITEAOF", Duration::from_secs(60));
    assert_backed_up(&out, &out2.0, "BGREWRITEAOF, then efis backup");
    wait_idle(&mut con);
    assert_eq!(info_field(&mut con, "rdb_last_bgsave_status"), "ok");
    let now = generation(&mut con);
    assert!(now == start + 1 || now == start + 2, "generation {start} then {now}");

    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 300000);
    assert_eq!(q::<String>(&mut con, &["GET", "key:299999"]), "value:299999");
}

// ---------------------------------------------------------------------------
// 12. Regressions: a full disk holds no read, and no unlogged reply leaks.

/// On a full disk, `SET PREFIX:I VALUE` on a new connection until one is
/// held (not answered within 2 s) or refused: the acknowledged `I`s and
/// the held one.
fn write_until_held(
    srv: &Server,
    prefix: &str,
    value: impl Fn(usize) -> String,
) -> (TcpStream, Vec<usize>, Option<usize>) {
    let mut writer: TcpStream = srv.raw();
    writer.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut acked = Vec::new();
    for i in 0..200 {
        send(&mut writer, &resp(&["SET", &format!("{prefix}:{i}"), &value(i)]));
        match try_read_reply(&mut writer) {
            Ok(reply) if reply == b"+OK\r\n" => acked.push(i),
            Ok(reply) => {
                assert!(reply.starts_with(b"-MISCONF"), "reply {:?}", String::from_utf8_lossy(&reply));
                return (writer, acked, None);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (writer, acked, Some(i));
            }
            Err(e) => panic!("writer: {e}"),
        }
    }
    panic!("the disk never filled up: {} writes acknowledged", acked.len());
}

/// Reads one reply within the stream's read timeout, or fails saying what
/// was asked.
fn prompt_reply(stream: &mut TcpStream, what: &str) -> Vec<u8> {
    let started = Instant::now();
    try_read_reply(stream).unwrap_or_else(|e| panic!("{what}: no reply after {:?} ({e})", started.elapsed()))
}

#[test]
fn full_disk_reads_of_expired_keys_are_answered() {
    if is_redis() {
        return;
    }
    let Some((mount, mut srv)) = server_on_small_disk() else { return };
    let mut con = srv.client();
    // Only lazy expiry: the GET is what expires `x` (and logs its DEL).
    let _: () = q(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let value = |i: usize| format!("{i}-{}", "e".repeat(1000));
    for i in 0..100 {
        let _: () = q(&mut con, &["SET", &format!("live:{i}"), &value(i)]);
    }
    let _: () = q(&mut con, &["SET", "x", "doomed"]);
    assert_eq!(q::<i64>(&mut con, &["PEXPIRE", "x", "50"]), 1);
    let _: () = q(&mut con, &["SET", "y", "doomed", "PX", "50"]);
    let expires = Instant::now() + Duration::from_millis(100);
    let filler = mount.path.join("filler");
    fill(&filler);
    let (mut writer, mut acked, held) = write_until_held(&srv, "more", value);
    eprintln!("{} writes acknowledged on the full disk, then {held:?} held", acked.len());
    thread::sleep(expires.saturating_duration_since(Instant::now()));

    let mut reader = srv.raw();
    reader.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    send(&mut reader, &resp(&["GET", "x"]));
    assert_eq!(prompt_reply(&mut reader, "GET of the key that just expired"), b"$-1\r\n");
    send(&mut reader, &resp(&["GET", "live:7"]));
    let reply = prompt_reply(&mut reader, "GET of a live key after it");
    assert_eq!(reply, format!("${}\r\n{}\r\n", value(7).len(), value(7)).into_bytes());
    send(&mut reader, &resp(&["SET", "x", "again"]));
    let reply = prompt_reply(&mut reader, "SET on the full disk");
    assert!(reply.starts_with(b"-MISCONF"), "SET on the full disk: {:?}", String::from_utf8_lossy(&reply));
    send(&mut reader, &resp(&["EXISTS", "x"]));
    assert_eq!(prompt_reply(&mut reader, "EXISTS"), b":0\r\n");
    // The same in a transaction: reads (one of them expiring a key) are
    // answered, a queued write is refused and the transaction discarded.
    send(&mut reader, &resp(&["MULTI"]));
    assert_eq!(prompt_reply(&mut reader, "MULTI"), b"+OK\r\n");
    for key in ["y", "live:8"] {
        send(&mut reader, &resp(&["GET", key]));
        assert_eq!(prompt_reply(&mut reader, "GET in MULTI"), b"+QUEUED\r\n");
    }
    send(&mut reader, &resp(&["EXEC"]));
    let reply = prompt_reply(&mut reader, "EXEC of reads");
    assert_eq!(reply, format!("*2\r\n$-1\r\n${}\r\n{}\r\n", value(8).len(), value(8)).into_bytes());
    send(&mut reader, &resp(&["MULTI"]));
    assert_eq!(prompt_reply(&mut reader, "MULTI"), b"+OK\r\n");
    send(&mut reader, &resp(&["SET", "in-multi", "1"]));
    let reply = prompt_reply(&mut reader, "SET in MULTI");
    assert!(reply.starts_with(b"-MISCONF"), "SET in MULTI: {:?}", String::from_utf8_lossy(&reply));
    send(&mut reader, &resp(&["EXEC"]));
    let reply = prompt_reply(&mut reader, "EXEC after a refused write");
    assert!(reply.starts_with(b"-EXECABORT"), "EXEC: {:?}", String::from_utf8_lossy(&reply));
    assert_eq!(info_field(&mut con, "aof_last_write_status"), "err");

    // Space again: writes resume.
    fs::remove_file(&filler).unwrap();
    wait_for(Duration::from_secs(5), "writes to be accepted again", || {
        redis::cmd("SET").arg("probe").arg("x").query::<()>(&mut con).is_ok()
    });
    if let Some(i) = held {
        writer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(prompt_reply(&mut writer, "the held write"), b"+OK\r\n");
        acked.push(i);
    }
    send(&mut reader, &resp(&["SET", "after", "1"]));
    assert_eq!(prompt_reply(&mut reader, "SET with space again"), b"+OK\r\n");

    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "x", "y", "in-multi"]), 0);
    for i in 0..100 {
        assert_eq!(q::<Option<String>>(&mut con, &["GET", &format!("live:{i}")]), Some(value(i)), "live:{i}");
    }
    for &i in &acked {
        assert_eq!(q::<Option<String>>(&mut con, &["GET", &format!("more:{i}")]), Some(value(i)), "more:{i}");
    }
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "after"]).as_deref(), Some("1"));
    srv.stop();
    drop(srv);
    drop(mount);
}

/// Stopping the server while the disk is full: a write whose record never
/// reached the log is not acknowledged on the way out, and everything
/// acknowledged before is kept.
#[test]
fn full_disk_shutdown_sends_no_held_reply() {
    if is_redis() {
        return;
    }
    let Some((mount, mut srv)) = server_on_small_disk() else { return };
    let filler = mount.path.join("filler");
    let mut kept: Vec<(String, String)> = Vec::new();
    // Stopped by SIGTERM, then by SHUTDOWN.
    for (round, by_command) in [false, true].into_iter().enumerate() {
        let mut con = srv.client();
        let value = |i: usize| format!("{round}-{i}-{}", "h".repeat(1000));
        for i in 0..20 {
            let key = format!("pre:{round}:{i}");
            let _: () = q(&mut con, &["SET", &key, &value(i)]);
            kept.push((key, value(i)));
        }
        fill(&filler);
        let prefix = format!("more:{round}");
        let (mut writer, acked, held) = write_until_held(&srv, &prefix, value);
        let held = held.unwrap_or_else(|| panic!("round {round}: a write was refused before one was held"));
        eprintln!("round {round}: {} writes acknowledged on the full disk, then {prefix}:{held} held", acked.len());
        kept.extend(acked.iter().map(|&i| (format!("{prefix}:{i}"), value(i))));
        let e = redis::cmd("SET").arg("probe").arg("x").query::<()>(&mut con).unwrap_err();
        assert!(err_text(&e).starts_with("MISCONF"), "{e}");

        if by_command {
            let mut raw = srv.raw();
            send(&mut raw, &resp(&["SHUTDOWN"]));
            wait_exited(&srv);
        }
        let status = srv.stop();
        writer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let after = read_until_closed(&mut writer);
        assert!(
            after.is_empty(),
            "round {round}: the held SET {prefix}:{held} got {:?} on the way out (exit {status})",
            String::from_utf8_lossy(&after)
        );
        eprintln!("round {round}: exit status {status}");

        fs::remove_file(&filler).unwrap();
        srv.restart();
        let mut con = srv.client();
        for (key, v) in &kept {
            assert_eq!(q::<Option<String>>(&mut con, &["GET", key]).as_ref(), Some(v), "round {round}: {key}");
        }
        assert_eq!(q::<i64>(&mut con, &["EXISTS", "probe"]), 0, "round {round}: a refused write left nothing");
        // The held write may or may not be there.
        let found: Option<String> = q(&mut con, &["GET", &format!("{prefix}:{held}")]);
        assert!(found.is_none() || found == Some(value(held)), "round {round}: {prefix}:{held} is {found:?}");
        let _: () = q(&mut con, &["SET", "resumed", &round.to_string()]);
    }
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<String>(&mut con, &["GET", "resumed"]), "1");
    srv.stop();
    drop(srv);
    drop(mount);
}

/// Start-up sizes the keyspace once from the key count a snapshot's end
/// record declares, in database 0; when the keys are in another database
/// the room database 0 did not fill is given back. What start-up replays
/// (snapshot and log) is not counted in the statistics, as in Redis.
#[test]
fn loading_sizes_the_keyspace_once_and_counts_no_command() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    let _: () = q(&mut con, &["SET", "in:0", "x"]);
    let _: () = q(&mut con, &["SELECT", "1"]);
    let _: () = q(&mut con, &["DEBUG", "POPULATE", "20000"]);
    let _: () = q(&mut con, &["SAVE"]);
    let _: () = q(&mut con, &["SET", "after:save", "y"]);
    let overhead_before: u64 = info(&mut con, "memory")["used_memory_overhead"].parse().unwrap();

    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 1);
    let _: () = q(&mut con, &["SELECT", "1"]);
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 20_001);
    assert_eq!(q::<String>(&mut con, &["GET", "after:save"]), "y");
    let overhead_after: u64 = info(&mut con, "memory")["used_memory_overhead"].parse().unwrap();
    assert!(
        overhead_after <= overhead_before + overhead_before / 10,
        "table overhead {overhead_before} bytes before the restart, {overhead_after} after: database 0 kept \
         the room reserved for the snapshot's 20,001 keys"
    );
    let stats = info(&mut con, "stats");
    let processed: u64 = stats["total_commands_processed"].parse().unwrap();
    assert!(processed < 20, "total_commands_processed {processed} counts replayed commands");
    let commands: String = q(&mut con, &["INFO", "commandstats"]);
    assert!(!commands.contains("cmdstat_set:"), "replayed SETs counted:\n{commands}");
}
