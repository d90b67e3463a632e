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
//!
//! The helpers are here; the tests are in one file per theme: `restart`
//! (restarts and `kill -9`), `damage` (torn, corrupted, missing and newer
//! files), `snapshots` (compaction, `SAVE`/`BGSAVE`, backups), `full_disk`
//! `replay` (start-up replays what the server did), `streams`,
//! `new_writes` (the geo, SORT and BZMPOP writes replay to the same data),
//! `faults` (failing `write`, `fsync`, `rename`, `open` and `fork`, made
//! by a fault-injection library), `leftovers` (start-up removes what a
//! crash left), and `limits` (oversized frames, a panicking handler).

mod damage;
pub(crate) mod faults;
mod full_disk;
mod leftovers;
mod limits;
mod new_writes;
mod replay;
mod restart;
mod small_forms;
mod snapshots;
mod streams;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::{Connection, FromRedisValue};

use crate::common::{efis_bin, free_port, is_redis, read_reply, resp, send, Server};

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

/// Runs a command that must succeed; its reply does not matter.
fn w(con: &mut Connection, args: &[&str]) {
    let _: redis::Value = q(con, args);
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
