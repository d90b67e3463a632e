//! Compaction and backups: the snapshot on the timer, `BACKUP_KEEP`,
//! `efis backup` (once and `--every`), `SAVE`/`BGSAVE`/`LASTSAVE`/`INFO
//! persistence`/`SHUTDOWN [NOSAVE]`, and a rewrite requested while a
//! snapshot is being written.

use super::restart::{populate, verify};
use super::*;
use crate::common::fresh_temp_dir;

// ---------------------------------------------------------------------------
// Compaction on the timer; BACKUP_KEEP.

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
// efis backup

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
// SAVE, BGSAVE, LASTSAVE, INFO persistence, SHUTDOWN [NOSAVE].

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
// Regressions: a rewrite requested while a snapshot is being written.

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
