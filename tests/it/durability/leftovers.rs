//! What a crash can leave between a snapshot and the deletions it makes
//! obsolete (older logs, snapshots beyond `BACKUP_KEEP`, temporary files
//! of snapshots never finished and of RDB transfers) is removed at start-up, once the data is
//! loaded; nothing else is touched.

use super::*;

/// Copies every file of `from` missing in `to` (the side copies of files a
/// compaction deleted).
fn copy_missing(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if !target.exists() {
            // A file being deleted meanwhile is not needed.
            let _ = fs::copy(&path, &target);
        }
    }
}

#[test]
fn startup_removes_what_a_crash_left_behind() {
    if is_redis() {
        return;
    }
    let side = TempDir(crate::common::fresh_temp_dir("leftovers"));
    let mut srv = Server::start_with(&[("BACKUP_INTERVAL", "0"), ("BACKUP_KEEP", "2")]);
    let mut con = srv.client();
    // Five snapshots; a copy of every file each one made obsolete.
    for round in 0..5 {
        for i in 0..10 {
            w(&mut con, &["SET", &format!("r{round}:{i}"), &i.to_string()]);
        }
        copy_missing(&srv.dir, &side.0);
        w(&mut con, &["SAVE"]);
    }
    w(&mut con, &["SET", "last", "1"]);
    // The deletions run on a helper thread.
    wait_for(Duration::from_secs(10), "the obsolete files to go", || {
        snapshots(&srv.dir).len() == 2 && logs(&srv.dir).len() == 1
    });
    let kept_snapshots = snapshots(&srv.dir);
    let kept_logs = logs(&srv.dir);
    assert_eq!(kept_snapshots.len(), 2, "{:?}", listing(&srv.dir));
    // As if the process had died before deleting anything: the old logs
    // and snapshots are back, with unfinished temporary files and a file
    // that is not Efis's.
    copy_missing(&side.0, &srv.dir);
    fs::write(srv.dir.join("snapshot-0000000099.snap.tmp"), b"half a snapshot").unwrap();
    fs::write(srv.dir.join("appendonly-0000000099.aof.tmp"), b"junk").unwrap();
    fs::write(srv.dir.join("sync-1733370000000.rdb.tmp"), b"REDIS0010").unwrap();
    fs::write(srv.dir.join("notes.txt"), b"the operator's").unwrap();
    assert!(snapshots(&srv.dir).len() > 2 && logs(&srv.dir).len() > 1, "{:?}", listing(&srv.dir));

    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 51);
    assert_eq!(q::<String>(&mut con, &["GET", "r0:3"]), "3");
    assert_eq!(q::<String>(&mut con, &["GET", "last"]), "1");
    let now = listing(&srv.dir);
    assert_eq!(snapshots(&srv.dir), kept_snapshots, "{now:?}");
    let newest: u64 =
        kept_snapshots.last().unwrap().to_str().unwrap()[..].rsplit('-').next().unwrap()[..10].parse().unwrap();
    for log in logs(&srv.dir) {
        let generation: u64 = log.to_str().unwrap().rsplit('-').next().unwrap()[..10].parse().unwrap();
        assert!(generation >= newest, "{} is older than snapshot {newest}: {now:?}", log.display());
    }
    for log in &kept_logs {
        assert!(log.exists(), "{} was removed: {now:?}", log.display());
    }
    assert!(files(&srv.dir, ".tmp").is_empty(), "{now:?}");
    assert!(files(&srv.dir, ".rdb.tmp").is_empty(), "{now:?}");
    assert!(srv.dir.join("notes.txt").exists(), "{now:?}");
    assert!(srv.log().contains("left over from before the last start"), "{}", srv.log());
    // And it starts again from the same files.
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 51);
}
