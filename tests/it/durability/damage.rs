//! Damaged files: a torn final record is cut off with a warning, any other
//! damage (a corrupted record, a missing log, a newer format version, an
//! unfinished snapshot) stops start-up without touching a byte until
//! `efis check --repair`; an empty log is given its header.

use super::*;
use crate::common::fresh_temp_dir;

// ---------------------------------------------------------------------------
// A torn final record is cut off with a warning.

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
// Damage in the middle stops start-up and changes nothing.

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
// An empty newest log, and files from a newer format version.

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
