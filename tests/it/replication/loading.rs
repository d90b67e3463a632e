//! A replica loading its primary's file after a full resynchronization:
//! other clients get `-LOADING` for commands without the `loading` flag
//! and `INFO` with `loading:1` meanwhile, then every key; the writes the
//! primary takes during the load (held by the replica until the loaded
//! data set is on disk) all arrive; a replica killed right after its
//! sync comes back with the whole data set; one whose primary dies in
//! the middle of the load is left empty, never half loaded, and one
//! stopped meanwhile starts again empty; a file with a wrong checksum
//! (from a fake primary) leaves the data set as it was.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use std::time::{Duration, Instant};

use super::{info_field, quick_primary, wait_caught_up};
use crate::common::{cmd, err_text, is_redis, ok_cmd, Server, Value};

/// Keys of the large data set: enough that loading it takes many rounds
/// of the replica's loop (and, against Redis, many of its event
/// processing points, one per 2 MB of file).
const LARGE: u64 = 1_000_000;
/// Keys of the data set of the other tests: still many load steps.
const MEDIUM: u64 = 300_000;

/// How long a step of these tests may take: a debug build writes,
/// sends and loads a file of 1,000,000 keys, with other tests running.
const SLOW_STEP: Duration = Duration::from_secs(180);

/// Polls `check` until it is true; fails naming `what` after [`SLOW_STEP`].
#[track_caller]
fn wait_for(what: &str, check: impl FnMut() -> bool) {
    wait_showing(None, what, check);
}

/// [`wait_for`], showing `server`'s log if it times out.
#[track_caller]
fn wait_showing(server: Option<&Server>, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + SLOW_STEP;
    while !check() {
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}; log:\n{}", server.map(Server::log).unwrap_or_default());
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until `replica` reports `master_link_status:up`.
#[track_caller]
fn wait_link_up(replica: &Server) {
    wait_for("the replica's link to come up", || {
        info_field(replica, "replication", "master_link_status").as_deref() == Some("up")
    });
}

/// A primary holding `keys` keys (`key:0`... `DEBUG POPULATE`).
fn primary_with(keys: u64) -> Server {
    let primary = Server::start();
    quick_primary(&primary);
    let mut p = primary.client();
    ok_cmd(&mut p, &["DEBUG", "POPULATE", &keys.to_string()]);
    primary
}

fn dbsize(server: &Server) -> i64 {
    match ok_cmd(&mut server.client(), &["DBSIZE"]) {
        Value::Int(n) => n,
        other => panic!("DBSIZE answered {other:?}"),
    }
}

/// Whether `INFO persistence` says the server is loading; `INFO` has the
/// `loading` flag, so it is answered meanwhile.
fn loading(con: &mut redis::Connection) -> bool {
    let text: String = redis::cmd("INFO").arg("persistence").query(con).expect("INFO is answered while loading");
    text.lines().any(|line| line == "loading:1\r" || line == "loading:1")
}

/// Whether the server is loading keys: `loading:1` and some bytes
/// loaded (the file's checksum matched and the old data set is gone).
fn loading_keys(con: &mut redis::Connection) -> bool {
    let text: String = redis::cmd("INFO").arg("persistence").query(con).expect("INFO is answered while loading");
    let loaded = text.lines().find_map(|l| l.strip_prefix("loading_loaded_bytes:")).map(str::trim);
    loaded.is_some_and(|n| n.parse::<u64>().is_ok_and(|n| n > 0))
}

/// Makes `replica` follow `primary`; then polls the replica with `GET`
/// and `INFO persistence` until both showed the load (`-LOADING`,
/// `loading:1` with its `loading_*` fields), and returns once they did.
/// Fails if the link comes up first.
#[track_caller]
fn follow_and_see_the_load(replica: &Server, primary: &Server) {
    let mut r = replica.client();
    let port = primary.port.to_string();
    assert_eq!(ok_cmd(&mut r, &["REPLICAOF", "127.0.0.1", &port]), Value::Okay);
    let (mut refused, mut reported) = (false, false);
    wait_showing(Some(replica), "-LOADING and loading:1 on the replica", || {
        match cmd(&mut r, &["GET", "key:1"]) {
            Err(e) if err_text(&e) == "LOADING Redis is loading the dataset in memory" => refused = true,
            Err(e) => panic!("GET answered {e}"),
            Ok(_) => {}
        }
        if !reported {
            // One answer for both sections: the load may end in between.
            let text: String = redis::cmd("INFO").arg("all").query(&mut r).unwrap();
            if text.contains("loading:1\r\n") {
                for field in [
                    "loading_start_time:",
                    "loading_total_bytes:",
                    "loading_rdb_used_mem:",
                    "loading_loaded_bytes:",
                    "loading_loaded_perc:",
                    "loading_eta_seconds:",
                ] {
                    assert!(text.contains(field), "INFO persistence lacks {field} while loading: {text}");
                }
                assert!(text.contains("master_sync_in_progress:1\r\n"), "{text}");
                assert!(text.contains("master_link_status:down\r\n"), "{text}");
                reported = true;
            }
        }
        let up = info_field(replica, "replication", "master_link_status").as_deref() == Some("up");
        assert!(!up || (refused && reported), "the link came up before the load was seen");
        refused && reported
    });
}

/// During the load of a large data set another client gets `-LOADING`
/// for `GET` and `INFO` with `loading:1`; afterwards every key is there.
/// Redis answers the same way while it loads the file it received, and
/// its replica is checked too: the load of 1,000,000 keys spans many of
/// its event processing points, and the test polls without pause.
#[test]
fn a_loading_replica_answers_loading() {
    let primary = primary_with(LARGE);
    let replica = Server::start();
    follow_and_see_the_load(&replica, &primary);
    wait_link_up(&replica);
    assert_eq!(dbsize(&replica), LARGE as i64);
    let mut r = replica.client();
    assert_eq!(ok_cmd(&mut r, &["GET", "key:999999"]), Value::BulkString(b"value:999999".to_vec()));
    assert!(!loading(&mut r));
}

/// The writes the primary takes while the replica loads (stream bytes the
/// replica holds until the loaded data set is on disk) all arrive, in
/// order, after the file's keys.
#[test]
fn writes_made_during_the_load_all_arrive() {
    let primary = primary_with(MEDIUM);
    let replica = Server::start();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, mut p) = (stop.clone(), primary.client());
        thread::spawn(move || {
            let mut written = 0u64;
            while !stop.load(Ordering::Relaxed) || written < 100 {
                ok_cmd(&mut p, &["SET", &format!("during:{written}"), &written.to_string()]);
                ok_cmd(&mut p, &["INCR", "counter"]);
                written += 1;
            }
            written
        })
    };
    follow_and_see_the_load(&replica, &primary);
    // Some writes after the load was seen, so some are held.
    let mut p = primary.client();
    for i in 0..100 {
        ok_cmd(&mut p, &["RPUSH", "held", &i.to_string()]);
    }
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    ok_cmd(&mut p, &["DEL", "key:0"]);
    wait_link_up(&replica);
    wait_caught_up(&replica, &primary);
    let mut r = replica.client();
    assert_eq!(ok_cmd(&mut r, &["GET", "counter"]), Value::BulkString(written.to_string().into_bytes()));
    assert_eq!(ok_cmd(&mut r, &["LLEN", "held"]), Value::Int(100));
    assert_eq!(ok_cmd(&mut r, &["LINDEX", "held", "99"]), Value::BulkString(b"99".to_vec()));
    assert_eq!(ok_cmd(&mut r, &["EXISTS", "key:0"]), Value::Int(0));
    let last = format!("during:{}", written - 1);
    assert_eq!(ok_cmd(&mut r, &["GET", &last]), Value::BulkString((written - 1).to_string().into_bytes()));
    assert_eq!(dbsize(&replica), dbsize(&primary));
}

/// A replica killed (kill -9) as soon as its link is up comes back with
/// the whole data set: the link goes up only once the snapshot of the
/// loaded keys is written, since the log holds only the `FLUSHALL`.
/// (Efis only: the reference Redis runs without persistence here.)
#[test]
fn a_replica_killed_right_after_its_sync_keeps_the_data() {
    if is_redis() {
        return;
    }
    let mut primary = primary_with(MEDIUM);
    let mut replica = Server::start();
    follow_and_see_the_load(&replica, &primary);
    wait_link_up(&replica);
    ok_cmd(&mut primary.client(), &["SET", "after", "1"]);
    wait_caught_up(&replica, &primary);
    primary.kill();
    replica.crash_restart();
    assert_eq!(dbsize(&replica), MEDIUM as i64 + 1);
    let mut r = replica.client();
    assert_eq!(ok_cmd(&mut r, &["GET", "after"]), Value::BulkString(b"1".to_vec()));
    assert_eq!(ok_cmd(&mut r, &["GET", "key:7"]), Value::BulkString(b"value:7".to_vec()));
}

/// A primary killed while its replica loads: the replica abandons the
/// load and empties its data set again (logged), so that neither it nor
/// its restart after a crash or a clean stop ever holds part of the file.
/// (Efis only: Redis's replica does not read its link while it loads.)
#[test]
fn a_load_cut_short_leaves_no_half_data_set() {
    if is_redis() {
        return;
    }
    let mut primary = primary_with(LARGE);
    let mut replica = Server::start();
    let mut r = replica.client();
    ok_cmd(&mut r, &["SET", "old", "1"]);
    let port = primary.port.to_string();
    assert_eq!(ok_cmd(&mut r, &["REPLICAOF", "127.0.0.1", &port]), Value::Okay);
    wait_for("the replica to load keys", || loading_keys(&mut r));
    primary.kill();
    wait_for("the load to end", || !loading(&mut r));
    // Cut short while loading: empty. While the file was still being
    // checked: the old data set. The load may also have ended just before
    // the primary went: then it is whole. Never in between.
    let log = replica.log();
    let (emptied, kept) = (log.contains("the dataset is emptied"), log.contains("the dataset is kept"));
    let expected = if emptied {
        0
    } else if kept {
        1
    } else {
        LARGE as i64
    };
    assert_eq!(dbsize(&replica), expected, "{log}");
    replica.crash_restart();
    // Without the snapshot of a finished load, the log's FLUSHALL.
    let after_crash = dbsize(&replica);
    assert!(after_crash == expected || (expected == LARGE as i64 && after_crash == 0), "{after_crash} keys");
}

/// A replica stopped cleanly while it loads writes neither a snapshot of
/// the part loaded nor `replica-state` (a later start would ask to
/// continue a stream it does not hold): it starts again empty. Had the
/// load ended just before the stop, the whole data set and the offset are
/// kept. (Efis only: the reference Redis runs without persistence here.)
#[test]
fn a_replica_stopped_while_loading_starts_empty() {
    if is_redis() {
        return;
    }
    let primary = primary_with(LARGE);
    let mut replica = Server::start();
    let mut r = replica.client();
    let port = primary.port.to_string();
    assert_eq!(ok_cmd(&mut r, &["REPLICAOF", "127.0.0.1", &port]), Value::Okay);
    wait_for("the replica to load keys", || loading_keys(&mut r));
    assert!(replica.stop().success());
    let interrupted = replica.log().contains("shutting down while loading");
    assert_eq!(replica.dir.join("replica-state").exists(), !interrupted, "{}", replica.log());
    replica.start_again();
    assert_eq!(dbsize(&replica), if interrupted { 0 } else { LARGE as i64 });
}

/// One command of the RESP array form off `reader` (`None` at the end).
fn read_command(reader: &mut impl std::io::BufRead) -> Option<Vec<String>> {
    let mut line = String::new();
    let mut next = |line: &mut String| {
        line.clear();
        reader.read_line(line).ok().filter(|&n| n > 0).map(|_| line.trim_end().to_string())
    };
    let count: usize = next(&mut line)?.strip_prefix('*')?.parse().ok()?;
    let mut args = Vec::new();
    for _ in 0..count {
        next(&mut line)?;
        args.push(next(&mut line)?);
    }
    Some(args)
}

/// A primary whose file has a wrong checksum: the replica refuses the
/// file before its data set is touched (still served, with its old keys)
/// and connects again. (Efis only: Redis's replica empties its data set
/// before it loads, and finds the checksum wrong at the end.)
#[test]
fn a_damaged_file_leaves_the_data_set_as_it_was() {
    use std::io::{BufReader, Write};
    if is_redis() {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    // "k" = "v" in database 0, then a checksum that does not match.
    let mut file = b"REDIS0010\xfe\x00\xfb\x01\x00\x00\x01k\x01v\xff".to_vec();
    file.extend_from_slice(&[0x11; 8]);
    // Left running: it ends when the replica closes the link.
    thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        while let Some(args) = read_command(&mut reader) {
            let reply: Vec<u8> = match args[0].to_ascii_uppercase().as_str() {
                "PING" => b"+PONG\r\n".to_vec(),
                "PSYNC" => {
                    let mut reply = format!("+FULLRESYNC {} 0\r\n${}\r\n", "a".repeat(40), file.len()).into_bytes();
                    reply.extend_from_slice(&file);
                    reply
                }
                _ => b"+OK\r\n".to_vec(),
            };
            writer.write_all(&reply).unwrap();
        }
    });
    let replica = Server::start();
    let mut r = replica.client();
    ok_cmd(&mut r, &["SET", "old", "1"]);
    assert_eq!(ok_cmd(&mut r, &["REPLICAOF", "127.0.0.1", &port]), Value::Okay);
    wait_showing(Some(&replica), "the refusal in the log", || replica.log().contains("wrong checksum"));
    assert!(!loading(&mut r));
    assert_eq!(ok_cmd(&mut r, &["GET", "old"]), Value::BulkString(b"1".to_vec()));
    assert_eq!(ok_cmd(&mut r, &["EXISTS", "k"]), Value::Int(0));
    assert_eq!(dbsize(&replica), 1);
}
