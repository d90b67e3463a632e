//! A disk that lies: the fault-injection library (`tests/faults/shim.c`,
//! built here with `cc` and loaded with `LD_PRELOAD`) makes `write`,
//! `fsync`, `rename`, `open` and `fork` fail, or writes come back short,
//! while the server runs. Under `APPENDFSYNC=always` a failed sync makes
//! the server exit before acknowledging anything it covered; under
//! `everysec` writes are refused until a snapshot and a new log
//! generation are on disk, however many later syncs succeed; a full disk
//! holds replies until space is back; a snapshot that fails keeps every
//! file it would have replaced; short writes lose nothing.

use std::io::ErrorKind;
use std::net::TcpStream;
use std::process::ExitStatus;
use std::sync::OnceLock;

use super::*;
use crate::common::needs::{self, Need};
use crate::common::{err_text, fresh_temp_dir, try_read_reply};

/// The fault-injection library, built once per test run into `target/`;
/// `None` (the test recorded as skipped) without a C compiler.
pub(crate) fn shim() -> Option<PathBuf> {
    let cc = needs::tool(Need::Cc)?;
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/faults/shim.c");
        let target = Path::new(efis_bin()).parent().and_then(Path::parent).expect("target directory");
        let out = target.join("efis-fault-shim.so");
        let temp = target.join(format!("efis-fault-shim.{}.so", std::process::id()));
        let status = Command::new(cc)
            .args(["-shared", "-fPIC", "-O2", "-Wall", "-o"])
            .arg(&temp)
            .arg(&source)
            .arg("-ldl")
            .status()
            .map_err(|e| format!("cannot run cc: {e}"))?;
        if !status.success() {
            return Err(format!("cc failed on {}: {status}", source.display()));
        }
        fs::rename(&temp, &out).map_err(|e| format!("rename {}: {e}", temp.display()))?;
        Ok(out)
    });
    Some(built.clone().unwrap_or_else(|e| panic!("{e}")))
}

/// A server running under the fault library, its faults read from a
/// control file (see `tests/faults/shim.c`); empty at first.
pub(crate) struct Faulty {
    pub srv: Server,
    control: PathBuf,
    root: PathBuf,
}

impl Faulty {
    /// Starts a server with `env`, faults limited to files whose path
    /// holds `filter`. `None` where the library cannot be built.
    pub fn start(env: &[(&str, &str)], filter: &str) -> Option<Faulty> {
        let shim = shim()?;
        let root = fresh_temp_dir("faults");
        let control = root.join("control");
        fs::write(&control, "").unwrap();
        let mut all: Vec<(&str, &str)> = vec![
            ("LD_PRELOAD", shim.to_str().unwrap()),
            ("EFIS_FAULT_CONTROL", control.to_str().unwrap()),
            ("EFIS_FAULT_PATH", filter),
        ];
        all.extend_from_slice(env);
        let srv = Server::start_with(&all);
        Some(Faulty { srv, control, root })
    }

    /// Replaces the faults (`NAME=SPEC` lines; empty: none), and waits
    /// until the library has surely read them.
    pub fn set(&self, lines: &str) {
        let temp = self.root.join("control.new");
        fs::write(&temp, lines).unwrap();
        fs::rename(&temp, &self.control).unwrap();
        thread::sleep(Duration::from_millis(60));
    }

    /// The faults the library reported injecting so far.
    pub fn injected(&self) -> usize {
        self.srv.log().lines().filter(|l| l.starts_with("efis-fault: ")).count()
    }
}

impl Drop for Faulty {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// Waits until the server exits by itself and returns how.
fn exited(srv: &mut Server) -> ExitStatus {
    wait_exited(srv);
    srv.stop()
}

/// Sends `args` on a fresh connection; `Ok(reply)` or `Err` when the
/// connection ended without one.
fn one_shot(srv: &Server, args: &[&str]) -> Result<Vec<u8>, std::io::Error> {
    let mut stream: TcpStream = srv.raw();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    send(&mut stream, &resp(args));
    try_read_reply(&mut stream)
}

fn set_refused(con: &mut Connection, key: &str) -> String {
    let e = redis::cmd("SET").arg(key).arg("x").query::<()>(con).unwrap_err();
    err_text(&e)
}

/// `always`: a failed fsync (or write) is never acknowledged: the server
/// exits with code 1 before answering, and starts again from the disk.
#[test]
fn fsync_failure_under_always_exits_before_any_reply() {
    if is_redis() {
        return;
    }
    for fault in ["FSYNC=always", "WRITE=always,errno=EIO"] {
        let Some(mut f) = Faulty::start(&[("APPENDFSYNC", "always")], "appendonly-") else { return };
        let mut con = f.srv.client();
        w(&mut con, &["SET", "before", "1"]);
        f.set(fault);
        let reply = one_shot(&f.srv, &["SET", "failed", "1"]);
        assert!(
            reply.as_ref().is_err() || reply.as_ref().is_ok_and(|r| r.is_empty()),
            "{fault}: a write whose sync failed was answered: {reply:?}"
        );
        let status = exited(&mut f.srv);
        assert_eq!(status.code(), Some(1), "{fault}: {status}; log {}", f.srv.log());
        let log = f.srv.log();
        assert!(log.contains("APPENDFSYNC=always") && log.contains("exiting"), "{log}");
        assert!(f.injected() >= 1, "{log}");
        f.set("");
        f.srv.restart();
        let mut con = f.srv.client();
        assert_eq!(q::<Option<String>>(&mut con, &["GET", "before"]).as_deref(), Some("1"), "{fault}");
        // The write that was never answered may or may not be there.
        w(&mut con, &["SET", "after", "1"]);
        assert_eq!(info_field(&mut con, "aof_last_write_status"), "ok");
    }
}

/// `everysec`: after one failed fsync, later successful syncs of the same
/// file prove nothing: writes get `-MISCONF` until a snapshot of memory
/// and a new log generation are on disk (here held back by failing
/// `fork`s), then resume by themselves; nothing acknowledged is lost.
#[test]
fn fsync_failure_under_everysec_refuses_writes_until_a_snapshot() {
    if is_redis() {
        return;
    }
    let Some(mut f) = Faulty::start(&[("APPENDFSYNC", "everysec"), ("BACKUP_INTERVAL", "0")], "appendonly-") else {
        return;
    };
    let mut con = f.srv.client();
    for i in 0..20 {
        w(&mut con, &["SET", &format!("k{i}"), &i.to_string()]);
    }
    let generation: u64 = info_field(&mut con, "aof_current_generation").parse().unwrap();
    // One failed fsync; every fork fails meanwhile, so no snapshot.
    f.set("FSYNC=nth:1\nFORK=always\n");
    w(&mut con, &["SET", "acked-before-the-failure", "1"]);
    wait_for(Duration::from_secs(5), "the fsync failure to be reported", || {
        info_field(&mut con, "aof_last_fsync_status") == "err"
    });
    let text = set_refused(&mut con, "refused");
    assert!(text.starts_with("MISCONF Errors writing to the AOF file: fsync of "), "{text}");
    assert_eq!(info_field(&mut con, "aof_last_write_status"), "err");
    assert_eq!(info_field(&mut con, "aof_last_bgrewrite_status"), "err");
    assert!(info_field(&mut con, "writes_refused_reason").contains("fsync"));
    // The thread syncs the same file again, successfully: still refused.
    thread::sleep(Duration::from_millis(2500));
    assert!(set_refused(&mut con, "refused").starts_with("MISCONF"));
    assert_eq!(q::<String>(&mut con, &["GET", "k7"]), "7", "reads go on");
    assert!(f.srv.log().contains("fork"), "the rebuild was tried: {}", f.srv.log());
    // Forks work again: a snapshot and a new log, then writes.
    f.set("");
    wait_for(Duration::from_secs(20), "writes to be accepted again", || {
        redis::cmd("SET").arg("after").arg("1").query::<()>(&mut con).is_ok()
    });
    assert_eq!(info_field(&mut con, "aof_last_fsync_status"), "ok");
    assert_eq!(info_field(&mut con, "aof_last_bgrewrite_status"), "ok");
    assert_eq!(info_field(&mut con, "aof_last_write_status"), "ok");
    assert_eq!(info_field(&mut con, "writes_refused_reason"), "");
    let now: u64 = info_field(&mut con, "aof_current_generation").parse().unwrap();
    assert!(now > generation, "a new log generation: {now} after {generation}");
    assert!(f.srv.dir.join(format!("snapshot-{now:010}.snap")).exists(), "{:?}", listing(&f.srv.dir));
    assert!(f.srv.log().contains("write commands are served again"), "{}", f.srv.log());
    f.srv.crash_restart();
    let mut con = f.srv.client();
    for i in 0..20 {
        assert_eq!(q::<String>(&mut con, &["GET", &format!("k{i}")]), i.to_string());
    }
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "acked-before-the-failure"]).as_deref(), Some("1"));
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "refused"]), None);
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "after"]).as_deref(), Some("1"));
}

/// A full disk (`ENOSPC` from `write`), under `always` too: the write's
/// reply is held, other writes get `-MISCONF`, and once the disk takes
/// the bytes the held reply goes out and writes resume.
#[test]
fn full_disk_holds_the_reply_until_space_is_back() {
    if is_redis() {
        return;
    }
    for policy in ["always", "everysec"] {
        let Some(mut f) = Faulty::start(&[("APPENDFSYNC", policy)], "appendonly-") else { return };
        let mut con = f.srv.client();
        w(&mut con, &["SET", "before", "1"]);
        f.set("WRITE=always,errno=ENOSPC");
        let mut writer: TcpStream = f.srv.raw();
        writer.set_read_timeout(Some(Duration::from_millis(700))).unwrap();
        send(&mut writer, &resp(&["SET", "held", "1"]));
        let e = try_read_reply(&mut writer).unwrap_err();
        let kind = e.kind();
        assert!(
            matches!(kind, ErrorKind::WouldBlock | ErrorKind::TimedOut),
            "{policy}: {e} ({kind:?}); {}",
            f.srv.log()
        );
        let text = set_refused(&mut con, "refused");
        assert!(text.starts_with("MISCONF Errors writing to the AOF file: "), "{policy}: {text}");
        assert_eq!(info_field(&mut con, "aof_last_write_status"), "err");
        f.set("");
        writer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(try_read_reply(&mut writer).expect("the held reply"), b"+OK\r\n", "{policy}");
        w(&mut con, &["SET", "after", "1"]);
        assert_eq!(info_field(&mut con, "aof_last_write_status"), "ok");
        f.srv.crash_restart();
        let mut con = f.srv.client();
        for key in ["before", "held", "after"] {
            assert_eq!(q::<Option<String>>(&mut con, &["GET", key]).as_deref(), Some("1"), "{policy}: {key}");
        }
        assert_eq!(q::<Option<String>>(&mut con, &["GET", "refused"]), None);
    }
}

/// Writes that come back short, at random, lose nothing and repeat
/// nothing.
#[test]
fn short_writes_lose_nothing() {
    if is_redis() {
        return;
    }
    let Some(mut f) = Faulty::start(&[("APPENDFSYNC", "always")], "appendonly-") else { return };
    f.set("WRITE=prob:0.5,short");
    let mut con = f.srv.client();
    for i in 0..200 {
        let _: i64 = q(&mut con, &["RPUSH", "list", &format!("v{i}-{}", "x".repeat(i % 50))]);
    }
    assert!(f.injected() > 0, "no short write happened: {}", f.srv.log());
    f.set("");
    f.srv.crash_restart();
    let mut con = f.srv.client();
    let list: Vec<String> = q(&mut con, &["LRANGE", "list", "0", "-1"]);
    let expected: Vec<String> = (0..200).map(|i| format!("v{i}-{}", "x".repeat(i % 50))).collect();
    assert_eq!(list, expected);
}

/// A snapshot whose `fork`, `open`, `write`, `fsync` or `rename` fails
/// ends in error, deletes nothing, leaves no temporary file, and the next
/// one succeeds; nothing is lost.
#[test]
fn a_failed_snapshot_keeps_every_file() {
    if is_redis() {
        return;
    }
    let Some(mut f) = Faulty::start(&[("BACKUP_INTERVAL", "0")], "snapshot-") else { return };
    let mut con = f.srv.client();
    for i in 0..50 {
        w(&mut con, &["SET", &format!("k{i}"), &i.to_string()]);
    }
    for fault in ["FORK=always", "OPEN=always", "WRITE=always,errno=ENOSPC", "FSYNC=always", "RENAME=always"] {
        let before = listing(&f.srv.dir);
        let logs_before = logs(&f.srv.dir);
        f.set(fault);
        let started = redis::cmd("BGSAVE").query::<String>(&mut con);
        if started.is_ok() {
            wait_for(Duration::from_secs(10), "the snapshot to end", || {
                info_field(&mut con, "rdb_bgsave_in_progress") == "0"
            });
        }
        assert_eq!(info_field(&mut con, "rdb_last_bgsave_status"), "err", "{fault}");
        assert!(files(&f.srv.dir, ".tmp").is_empty(), "{fault}: {:?}", listing(&f.srv.dir));
        for log in &logs_before {
            assert!(log.exists(), "{fault}: {} was deleted (before: {before:?})", log.display());
        }
        w(&mut con, &["SET", &format!("after {fault}"), "1"]);
        f.set("");
    }
    assert!(f.injected() >= 5, "{}", f.srv.log());
    assert_eq!(q::<String>(&mut con, &["BGSAVE"]), "Background saving started");
    wait_for(Duration::from_secs(10), "the snapshot to succeed", || {
        let i = info(&mut con, "persistence");
        i["rdb_bgsave_in_progress"] == "0" && i["rdb_last_bgsave_status"] == "ok"
    });
    f.srv.crash_restart();
    let mut con = f.srv.client();
    for i in 0..50 {
        assert_eq!(q::<String>(&mut con, &["GET", &format!("k{i}")]), i.to_string());
    }
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 55);
}
