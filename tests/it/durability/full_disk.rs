//! A full disk, on a small tmpfs (the tests are recorded as skipped where
//! one cannot be mounted): `-MISCONF`, reads go on, writes resume by
//! themselves, no read is held and no unlogged reply leaks.

use std::ffi::CString;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::os::unix::ffi::OsStrExt;

use super::*;
use crate::common::needs::{self, Need};
use crate::common::{err_text, fresh_temp_dir, read_until_closed, try_read_reply};

// ---------------------------------------------------------------------------
// A full disk: -MISCONF, reads go on, writes resume by themselves.

/// A small tmpfs, unmounted when dropped.
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`2m`) on a fresh directory, or says why
    /// it could not.
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let path = fresh_temp_dir("tmpfs");
        let target = CString::new(path.as_os_str().as_bytes()).expect("temp path without NUL");
        let options = CString::new(format!("size={size}")).expect("options without NUL");
        // SAFETY: every pointer is to a NUL-terminated string that outlives
        // the call.
        let rc =
            unsafe { libc::mount(c"tmpfs".as_ptr(), target.as_ptr(), c"tmpfs".as_ptr(), 0, options.as_ptr().cast()) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            let _ = fs::remove_dir(&path);
            return Err(format!("mount(2) of a tmpfs failed: {e}"));
        }
        Ok(Tmpfs { path })
    }
}

/// A 2 MB tmpfs and a server keeping its data (`BACKUP_PATH`) in its
/// `data` folder; `None`, the test recorded as skipped, where tmpfs
/// cannot be mounted. Bound as `let Some((mount, srv))`, the server is
/// dropped before the mount.
fn server_on_small_disk() -> Option<(Tmpfs, Server)> {
    let mount = match Tmpfs::mount("2m") {
        Ok(mount) => mount,
        Err(e) => {
            needs::skip(Need::MountTmpfs, &e);
            return None;
        }
    };
    let data = mount.path.join("data");
    fs::create_dir(&data).unwrap();
    let srv = Server::start_with(&[("BACKUP_PATH", data.to_str().unwrap())]);
    Some((mount, srv))
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        if let Ok(target) = CString::new(self.path.as_os_str().as_bytes()) {
            // SAFETY: `target` is a NUL-terminated string that outlives the
            // calls. A mount still busy is detached lazily instead.
            unsafe {
                if libc::umount2(target.as_ptr(), 0) != 0 {
                    libc::umount2(target.as_ptr(), libc::MNT_DETACH);
                }
            }
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
// Regressions: a full disk holds no read, and no unlogged reply leaks.

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
