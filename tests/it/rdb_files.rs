//! RDB files: a `dump.rdb` written by redis-server 7.0 (every type, small
//! and large encodings, TTLs, two databases, a function library) is
//! loaded by Efis at start-up from an otherwise empty `BACKUP_PATH` and by
//! `efis import-rdb`, every key compared with Redis's; `efis export-rdb`
//! writes it back, redis-server loads that file, and every key is
//! compared again. Refused files (bad signature, bad checksum, module
//! types) stop the import with an error that says why. `redis-cli --rdb`
//! pulls a file redis-server loads, a large one too, sent from a file
//! while other clients are served.
//!
//! These drive the efis binary's subcommands and start-up, so under
//! `EFIS_TEST_SERVER=redis` they return at once, as the durability tests
//! do.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::wire::{int, Wire, OK};
use crate::common::{efis_bin, fresh_temp_dir, is_redis, Server};
use crate::dump_restore::{describe, fixture, load_fixture, same};

const LIBRARY: &str = "#!lua name=rdblib\nredis.register_function('rdbfn', function() return 7 end)";

/// What every key of the fixture reads as, by database: `(db, key,
/// description, ttl set)`.
fn snapshot_of(w: &mut Wire) -> Vec<(usize, String, String, bool)> {
    let mut out = Vec::new();
    for db in [0usize, 3] {
        w.is(&["SELECT", &db.to_string()], OK);
        for (key, _) in fixture() {
            let ttl = crate::common::wire::parse_int(&w.call(&["PTTL", &key])).expect("PTTL");
            out.push((db, key.clone(), describe(w, &key), ttl > 0));
        }
    }
    w.is(&["SELECT", "0"], OK);
    out
}

/// Redis with the fixture in databases 0 and 3, some keys with TTLs, a
/// function library, saved to its `dump.rdb`.
fn redis_with_fixture() -> Option<(Server, PathBuf)> {
    redis_with(true)
}

/// [`redis_with_fixture`], with or without the function library.
fn redis_with(library: bool) -> Option<(Server, PathBuf)> {
    let reference = Server::start_reference()?;
    let mut w = Wire::open(&reference);
    for db in ["3", "0"] {
        w.is(&["SELECT", db], OK);
        load_fixture(&mut w);
        for (i, (key, _)) in fixture().into_iter().enumerate() {
            if i % 3 == 0 {
                w.is(&["PEXPIRE", &key, "50000000"], int(1));
            }
        }
    }
    if library {
        assert_eq!(w.call(&["FUNCTION", "LOAD", LIBRARY]), b"$6\r\nrdblib\r\n");
    }
    w.is(&["SAVE"], OK);
    let rdb = reference.dir.join("dump.rdb");
    assert!(rdb.is_file(), "redis-server wrote {}", rdb.display());
    Some((reference, rdb))
}

fn run(args: &[&str]) -> (bool, String) {
    let output = Command::new(efis_bin()).args(args).output().expect("run efis");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn dump_rdb_round_trip_through_efis_and_back_to_redis() {
    if is_redis() {
        return;
    }
    let Some((mut reference, rdb)) = redis_with_fixture() else { return };
    let expected = snapshot_of(&mut Wire::open(&reference));
    let original = fs::read(&rdb).unwrap();

    // Start-up: a dump.rdb alone in BACKUP_PATH is loaded and left as it is.
    let dir = fresh_temp_dir("rdb-startup");
    fs::copy(&rdb, dir.join("dump.rdb")).unwrap();
    let mut efis = Server::start_with(&[("BACKUP_PATH", path(&dir)), ("LOG_LEVEL", "info")]);
    let mut w = Wire::open(&efis);
    for ((db, key, want, ttl), (_, _, got, got_ttl)) in expected.iter().zip(snapshot_of(&mut w)) {
        same(&got, want, &format!("db {db} {key} loaded at start-up"));
        assert_eq!(got_ttl, *ttl, "db {db} {key}: TTL");
    }
    assert_eq!(w.call(&["FCALL", "rdbfn", "0"]), b":7\r\n");
    assert!(efis.log().contains("imported"), "one log line names the import:\n{}", efis.log());
    drop(w);
    efis.restart();
    let mut w = Wire::open(&efis);
    for ((db, key, want, _), (_, _, got, _)) in expected.iter().zip(snapshot_of(&mut w)) {
        same(&got, want, &format!("db {db} {key} after a restart"));
    }
    drop(w);
    efis.stop();
    assert_eq!(fs::read(dir.join("dump.rdb")).unwrap(), original, "dump.rdb is left untouched");

    // Offline: import-rdb, then export-rdb, then redis-server loads it.
    let offline = fresh_temp_dir("rdb-import");
    let (ok, text) = run(&["import-rdb", path(&rdb), "--backup-path", path(&offline)]);
    assert!(ok, "{text}");
    let (ok, text) = run(&["import-rdb", path(&rdb), "--backup-path", path(&offline)]);
    assert!(!ok && text.contains("already holds Efis data"), "{text}");
    let exported = offline.join("exported.rdb");
    let (ok, text) = run(&["export-rdb", "--backup-path", path(&offline), path(&exported)]);
    assert!(ok, "{text}");
    reference.stop();
    fs::copy(&exported, reference.dir.join("dump.rdb")).unwrap();
    reference.restart();
    let mut w = Wire::open(&reference);
    for ((db, key, want, ttl), (_, _, got, got_ttl)) in expected.iter().zip(snapshot_of(&mut w)) {
        same(&got, want, &format!("db {db} {key} in redis-server from export-rdb"));
        assert_eq!(got_ttl, *ttl, "db {db} {key}: TTL after export");
    }
    assert_eq!(w.call(&["FCALL", "rdbfn", "0"]), b":7\r\n");
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::remove_dir_all(&offline);
}

#[test]
fn refused_files_say_why() {
    if is_redis() {
        return;
    }
    let Some((_reference, rdb)) = redis_with_fixture() else { return };
    let original = fs::read(&rdb).unwrap();
    let scratch = fresh_temp_dir("rdb-refused");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("signature", b"NOTRDB0010".to_vec(), "not an RDB file"),
        ("version", [b"REDIS0011".as_slice(), &original[9..]].concat(), "RDB version 11 is not supported"),
        (
            "checksum",
            {
                let mut bad = original.clone();
                let last = bad.len() - 1;
                bad[last] ^= 0x55;
                bad
            },
            "wrong checksum",
        ),
        ("truncated", original[..original.len() / 2].to_vec(), "at byte"),
        (
            "module",
            {
                // A module-typed key right after the header.
                let mut module = b"REDIS0010".to_vec();
                module.extend_from_slice(&[7, 3, b'm', b'o', b'd']);
                module
            },
            "key 'mod' holds a module type",
        ),
    ];
    for (what, bytes, expected) in cases {
        let file = scratch.join(format!("{what}.rdb"));
        fs::write(&file, &bytes).unwrap();
        let target = scratch.join(format!("{what}-data"));
        let (ok, text) = run(&["import-rdb", path(&file), "--backup-path", path(&target)]);
        assert!(!ok, "{what}: refused");
        assert!(text.contains(expected), "{what}: {text}");
    }
    let (ok, text) = run(&["import-rdb"]);
    assert!(!ok && text.contains("usage"), "{text}");

    // At start-up, a damaged dump.rdb stops the server with the reason,
    // and nothing is written beside it.
    let dir = scratch.join("startup");
    fs::create_dir_all(&dir).unwrap();
    let mut damaged = original.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0x55;
    fs::write(dir.join("dump.rdb"), &damaged).unwrap();
    let port = crate::common::free_port().to_string();
    let output = Command::new(efis_bin()).env("PORT", &port).env("BACKUP_PATH", &dir).output().expect("run efis");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("wrong checksum"), "{stderr}");
    let names: Vec<String> =
        fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, vec!["dump.rdb".to_string()], "only dump.rdb is there");
    let _ = fs::remove_dir_all(&scratch);
}

/// `redis-cli --rdb FILE` against the server under test: the handshake
/// (`REPLCONF rdb-only 1`, `SYNC`) answers a real RDB file, which
/// redis-server then loads with every key as the server had it.
#[test]
fn redis_cli_rdb_writes_a_file_redis_loads() {
    let Some(cli) = crate::common::needs::tool(crate::common::needs::Need::RedisCli) else { return };
    let server = Server::start();
    let mut w = Wire::open(&server);
    for db in ["3", "0"] {
        w.is(&["SELECT", db], OK);
        load_fixture(&mut w);
    }
    w.is(&["PEXPIRE", "str-int", "50000000"], int(1));
    let expected = snapshot_of(&mut w);
    // The handshake's replies, as Redis gives them.
    w.is(&["REPLCONF", "rdb-only"], crate::common::wire::SYNTAX);
    w.is(&["REPLCONF", "rdb-only", "x"], crate::common::wire::NOT_INT);
    w.is(&["REPLCONF", "rdb-only", "2"], "-ERR value is out of range, value must between 0 and 1\r\n");
    w.is(&["REPLCONF", "bogus", "1"], "-ERR Unrecognized REPLCONF option: bogus\r\n");
    w.is(&["REPLCONF", "listening-port", "6380", "capa", "eof"], OK);
    let scratch = fresh_temp_dir("redis-cli-rdb");
    let file = scratch.join("pulled.rdb");
    let output =
        Command::new(cli).args(["-p", &server.port.to_string(), "--rdb", path(&file)]).output().expect("run redis-cli");
    assert!(output.status.success(), "redis-cli --rdb: {}", String::from_utf8_lossy(&output.stderr));
    let bytes = fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"REDIS00"), "an RDB file");
    let Some(mut reference) = Server::start_reference() else { return };
    reference.stop();
    fs::copy(&file, reference.dir.join("dump.rdb")).unwrap();
    reference.restart();
    let mut loaded = Wire::open(&reference);
    for ((db, key, want, ttl), (_, _, got, got_ttl)) in expected.iter().zip(snapshot_of(&mut loaded)) {
        same(&got, want, &format!("db {db} {key} pulled by redis-cli --rdb"));
        assert_eq!(got_ttl, *ttl, "db {db} {key}: TTL");
    }
    let _ = fs::remove_dir_all(&scratch);
}

/// `efis backup --format rdb` pulls an RDB file that redis-server loads.
#[test]
fn backup_can_pull_an_rdb_file() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    for db in ["3", "0"] {
        w.is(&["SELECT", db], OK);
        load_fixture(&mut w);
    }
    let expected = snapshot_of(&mut w);
    let scratch = fresh_temp_dir("backup-rdb");
    let port = server.port.to_string();
    let (ok, text) = run(&["backup", "--port", &port, "--dir", path(&scratch), "--format", "rdb"]);
    assert!(ok, "{text}");
    let (ok, text) = run(&["backup", "--port", &port, "--dir", path(&scratch), "--format", "xml"]);
    assert!(!ok && text.contains("invalid --format value 'xml'"), "{text}");
    let pulled: Vec<PathBuf> = fs::read_dir(&scratch)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rdb"))
        .collect();
    assert_eq!(pulled.len(), 1, "one efis-*.rdb in {}", scratch.display());
    let Some(mut reference) = Server::start_reference() else { return };
    reference.stop();
    fs::copy(&pulled[0], reference.dir.join("dump.rdb")).unwrap();
    reference.restart();
    let mut loaded = Wire::open(&reference);
    for ((db, key, want, _), (_, _, got, _)) in expected.iter().zip(snapshot_of(&mut loaded)) {
        same(&got, want, &format!("db {db} {key} pulled by efis backup --format rdb"));
    }
    let _ = fs::remove_dir_all(&scratch);
}

/// Without function libraries start-up keeps the keyspace it read from
/// `dump.rdb`; the log that follows, a crash and a restart keep it all.
#[test]
fn dump_rdb_without_functions_loads_straight_into_the_keyspace() {
    if is_redis() {
        return;
    }
    let Some((_reference, rdb)) = redis_with(false) else { return };
    let mut expected = {
        let mut w = Wire::open(&_reference);
        snapshot_of(&mut w)
    };
    let dir = fresh_temp_dir("rdb-direct");
    fs::copy(&rdb, dir.join("dump.rdb")).unwrap();
    let mut efis = Server::start_with(&[("BACKUP_PATH", path(&dir)), ("LOG_LEVEL", "info")]);
    let mut w = Wire::open(&efis);
    for ((db, key, want, ttl), (_, _, got, got_ttl)) in expected.iter().zip(snapshot_of(&mut w)) {
        same(&got, want, &format!("db {db} {key} loaded at start-up"));
        assert_eq!(got_ttl, *ttl, "db {db} {key}: TTL");
    }
    assert!(efis.log().contains("imported"), "{}", efis.log());
    w.is(&["SET", "str-int", "changed"], OK);
    expected[0].2 = describe(&mut w, "str-int");
    drop(w);
    efis.crash_restart();
    let mut w = Wire::open(&efis);
    for ((db, key, want, _), (_, _, got, _)) in expected.iter().zip(snapshot_of(&mut w)) {
        same(&got, want, &format!("db {db} {key} after a crash"));
    }
    drop(w);
    efis.restart();
    let mut w = Wire::open(&efis);
    for ((db, key, want, _), (_, _, got, _)) in expected.iter().zip(snapshot_of(&mut w)) {
        same(&got, want, &format!("db {db} {key} after a restart"));
    }
    let _ = fs::remove_dir_all(&dir);
}

/// Waits up to ten seconds for `done`.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `dump.rdb` is the base of log 0 until Efis's first snapshot: the loop
/// compacts at once (snapshot 1 appears, log 0 goes), and while that
/// compaction cannot finish a crash loses nothing written on top of the
/// file; a log 0 whose `dump.rdb` is gone stops start-up.
#[test]
fn dump_rdb_is_the_base_of_log_zero_until_the_first_snapshot() {
    if is_redis() {
        return;
    }
    let Some((reference, rdb)) = redis_with(true) else { return };
    let mut expected = snapshot_of(&mut Wire::open(&reference));
    let snapshot_1 = |dir: &Path| dir.join("snapshot-0000000001.snap");
    let log_0 = |dir: &Path| dir.join("appendonly-0000000000.aof");

    // The usual case: snapshot 1 written in the background, log 0 deleted.
    let dir = fresh_temp_dir("rdb-base");
    fs::copy(&rdb, dir.join("dump.rdb")).unwrap();
    let mut efis = Server::start_with(&[("BACKUP_PATH", path(&dir)), ("LOG_LEVEL", "info")]);
    eventually("snapshot 1", || snapshot_1(&dir).is_file() && !log_0(&dir).exists());
    efis.stop();
    let _ = fs::remove_dir_all(&dir);

    // A compaction that cannot write its snapshot (a directory stands
    // where its temporary file goes) leaves log 0 on dump.rdb; a crash
    // then loses nothing written on top of the file.
    let dir = fresh_temp_dir("rdb-base-crash");
    fs::copy(&rdb, dir.join("dump.rdb")).unwrap();
    let original = fs::read(dir.join("dump.rdb")).unwrap();
    let blocker = dir.join("snapshot-0000000001.snap.tmp");
    fs::create_dir(&blocker).unwrap();
    fs::write(blocker.join("keep"), b"").unwrap();
    let mut efis = Server::start_with(&[("BACKUP_PATH", path(&dir)), ("LOG_LEVEL", "info")]);
    eventually("the failed compaction", || efis.log().contains("snapshot-0000000001"));
    let mut w = Wire::open(&efis);
    w.is(&["SET", "str-int", "written on top"], OK);
    expected[0].2 = describe(&mut w, "str-int");
    assert_eq!(w.call(&["FCALL", "rdbfn", "0"]), b":7\r\n");
    drop(w);
    efis.kill();
    assert!(log_0(&dir).is_file() && !snapshot_1(&dir).exists(), "log 0 stands on dump.rdb");

    // Without its dump.rdb, log 0 has no base: start-up says so.
    fs::rename(dir.join("dump.rdb"), dir.join("moved.rdb")).unwrap();
    let mut child = Command::new(efis_bin())
        .env("BACKUP_PATH", &dir)
        .env("PORT", crate::common::free_port().to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run efis");
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() && started.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && text.contains("dump.rdb") && text.contains("put back"), "{text}");
    fs::rename(dir.join("moved.rdb"), dir.join("dump.rdb")).unwrap();

    // Put back: dump.rdb, then the logs; a compaction free to run
    // replaces it with a snapshot.
    efis.crash_restart();
    all_the_same(&efis, &expected, "dump.rdb and log 0 after a crash");
    let has_snapshot = |dir: &Path| {
        fs::read_dir(dir).unwrap().any(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.starts_with("snapshot-") && name.ends_with(".snap")
        })
    };
    eventually("a snapshot", || has_snapshot(&dir) && !log_0(&dir).exists());
    efis.restart();
    all_the_same(&efis, &expected, "from Efis's snapshot");
    efis.stop();
    assert_eq!(fs::read(dir.join("dump.rdb")).unwrap(), original, "dump.rdb is left untouched");
    let _ = fs::remove_dir_all(&dir);
}

/// Every key of `expected` reads the same on `server`, and the library's
/// function runs.
fn all_the_same(server: &Server, expected: &[(usize, String, String, bool)], when: &str) {
    let mut w = Wire::open(server);
    for ((db, key, want, _), (_, _, got, _)) in expected.iter().zip(snapshot_of(&mut w)) {
        same(&got, want, &format!("db {db} {key}: {when}"));
    }
    assert_eq!(w.call(&["FCALL", "rdbfn", "0"]), b":7\r\n");
}

/// `redis-cli --rdb` against a server holding a large data set: the file
/// (written by a child process and sent from it in chunks) is a correct
/// RDB that redis-server loads key for key, and a transfer nobody reads
/// holds up no other client.
#[test]
fn redis_cli_rdb_pulls_a_large_data_set() {
    let Some(cli) = crate::common::needs::tool(crate::common::needs::Need::RedisCli) else { return };
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["DEBUG", "POPULATE", "200000", "big", "300"], OK);
    w.is(&["SELECT", "2"], OK);
    w.is(&["DEBUG", "POPULATE", "1000", "two", "10"], OK);
    w.is(&["SELECT", "0"], OK);
    // Raw replies of a sample of keys, to compare with Redis's.
    let sample: Vec<(String, Vec<u8>)> = (0..200000)
        .step_by(9973)
        .map(|i| {
            let key = format!("big:{i}");
            let reply = w.call(&["GET", &key]);
            assert!(reply.starts_with(b"$300\r\n"), "{key}");
            (key, reply)
        })
        .collect();

    // A client that asks for the file and reads none of it.
    let mut stalled = server.raw();
    crate::common::send(&mut stalled, &crate::common::resp(&["REPLCONF", "rdb-only", "1"]));
    assert_eq!(crate::common::read_reply(&mut stalled), b"+OK\r\n");
    crate::common::send(&mut stalled, &crate::common::resp(&["SYNC"]));
    for _ in 0..20 {
        let started = std::time::Instant::now();
        w.is(&["PING"], "+PONG\r\n");
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "PING waited for the transfer");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let scratch = fresh_temp_dir("redis-cli-rdb-large");
    let file = scratch.join("pulled.rdb");
    let output =
        Command::new(cli).args(["-p", &server.port.to_string(), "--rdb", path(&file)]).output().expect("run redis-cli");
    assert!(output.status.success(), "redis-cli --rdb: {}", String::from_utf8_lossy(&output.stderr));
    let len = fs::metadata(&file).unwrap().len();
    assert!(len > 4_000_000, "the whole data set: {len} bytes");
    drop(stalled);
    if !is_redis() {
        let left: Vec<_> = fs::read_dir(&server.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".rdb.tmp"))
            .collect();
        assert!(left.is_empty(), "transfer files left: {left:?}");
    }
    let Some(mut reference) = Server::start_reference() else { return };
    reference.stop();
    fs::copy(&file, reference.dir.join("dump.rdb")).unwrap();
    reference.restart();
    let mut loaded = Wire::open(&reference);
    loaded.is(&["DBSIZE"], int(200000));
    for (key, value) in &sample {
        assert_eq!(&loaded.call(&["GET", key]), value, "{key}");
    }
    loaded.is(&["SELECT", "2"], OK);
    loaded.is(&["DBSIZE"], int(1000));
    let _ = fs::remove_dir_all(&scratch);
}
