//! Streams survive `kill -9` (log replay) and snapshots: entries, IDs
//! chosen by the clock, trims, deletions, the counters, and consumer
//! groups with their consumers, pending entries (delivery times and
//! counts), last IDs and read counters, also for pending entries whose
//! stream entry was deleted or trimmed, and for a blocked read served
//! later.

use redis::Value;

use super::*;

/// Everything `XINFO STREAM key FULL` says, consumers' seen times left
/// out (a snapshot records them as of its writing).
fn full(con: &mut Connection, key: &str) -> String {
    fn scrub(value: &mut Value) {
        if let Value::Array(items) = value {
            let mut after_seen_time = false;
            for item in items.iter_mut() {
                if after_seen_time {
                    *item = Value::Nil;
                }
                after_seen_time = matches!(item, Value::BulkString(name) if name == b"seen-time");
                scrub(item);
            }
        }
    }
    let mut info: Value = q(con, &["XINFO", "STREAM", key, "FULL", "COUNT", "0"]);
    scrub(&mut info);
    format!("{info:?}")
}

fn everything(con: &mut Connection) -> Vec<String> {
    let mut keys: Vec<String> = q(con, &["KEYS", "*"]);
    keys.sort();
    keys.iter().map(|key| format!("{key}: {}", full(con, key))).collect()
}

#[test]
fn streams_and_groups_replay_after_kill_and_load_from_snapshots() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    for args in [
        &["XADD", "s", "1-0", "a", "1", "b", "2"][..],
        &["XADD", "s", "2-0", "a", "3", "b", "4"],
        &["XADD", "s", "*", "other", "fields"],
        &["XADD", "s", "MAXLEN", "~", "100", "*", "c", "5"],
        &["XGROUP", "CREATE", "s", "g", "0"],
        &["XGROUP", "CREATE", "s", "late", "$", "ENTRIESREAD", "3"],
        &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"],
        &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
        &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
        &["XREADGROUP", "GROUP", "late", "carol", "NOACK", "STREAMS", "s", "0"],
        &["XDEL", "s", "2-0"],
        &["XCLAIM", "s", "g", "dave", "0", "1-0", "IDLE", "5000"],
        &["XGROUP", "CREATECONSUMER", "s", "g", "erin"],
        // Pending entries whose entries were trimmed away.
        &["XADD", "t", "1-0", "f", "v"],
        &["XADD", "t", "2-0", "f", "v"],
        &["XADD", "t", "3-0", "f", "v"],
        &["XGROUP", "CREATE", "t", "g", "0"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "t", ">"],
        &["XTRIM", "t", "MAXLEN", "1"],
        // Emptied streams, with and without a group.
        &["XADD", "e", "5-0", "x", "y"],
        &["XDEL", "e", "5-0"],
        &["XGROUP", "CREATE", "m", "g", "$", "MKSTREAM"],
        &["XADD", "z", "7-0", "x", "y"],
        &["XGROUP", "CREATE", "z", "g", "0"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "z", ">"],
        &["XTRIM", "z", "MAXLEN", "0"],
        &["XSETID", "z", "9-0", "ENTRIESADDED", "20", "MAXDELETEDID", "8-0"],
    ] {
        w(&mut con, args);
    }
    // A blocked XREADGROUP served by a later XADD is logged too.
    w(&mut con, &["XGROUP", "CREATE", "b", "g", "$", "MKSTREAM"]);
    let reply = served(
        &srv,
        &mut con,
        &["XREADGROUP", "GROUP", "g", "waiter", "BLOCK", "0", "STREAMS", "b", ">"],
        &[&["XADD", "b", "1-0", "f", "v"]],
    );
    assert_eq!(reply, b"*1\r\n*2\r\n$1\r\nb\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    let before = everything(&mut con);
    assert_eq!(before.len(), 6, "{before:#?}");
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(everything(&mut con), before, "after kill -9 (log replay)");
    let _: () = q(&mut con, &["SAVE"]);
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(everything(&mut con), before, "after SAVE and kill -9 (snapshot)");
    // The replayed group carries on where it was.
    let next: Value = q(&mut con, &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"]);
    assert_eq!(next, Value::Nil);
    w(&mut con, &["XADD", "s", "*", "d", "6"]);
    let pending: Vec<Value> = q(&mut con, &["XPENDING", "s", "g"]);
    assert_eq!(pending[0], Value::Int(4));
    srv.crash_restart();
    let mut con = srv.client();
    let pending: Vec<Value> = q(&mut con, &["XPENDING", "s", "g"]);
    assert_eq!(pending[0], Value::Int(4), "snapshot, then the log after it");
}

/// A small xorshift generator: the same sequence on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// One random stream command (it may well answer an error).
fn random_command(rng: &mut Rng, ms: &mut u64) -> Vec<String> {
    let key = rng.pick(&["s0", "s1"]).to_string();
    let group = rng.pick(&["g0", "g1"]).to_string();
    let consumer = rng.pick(&["c0", "c1", "c2"]).to_string();
    let id = |rng: &mut Rng| format!("{}-{}", rng.below(*ms + 2), rng.below(3));
    let words: Vec<String> = match rng.below(16) {
        0..=3 => {
            *ms += 1;
            // `*` would jump to the clock, past every ID this generator
            // names; `<ms>-*` takes its sequence number from the stream.
            let id = if rng.below(3) == 0 { format!("{ms}-*") } else { format!("{ms}-{}", rng.below(2)) };
            let mut args = vec!["XADD".into(), key];
            match rng.below(4) {
                0 => args.extend(["MAXLEN".into(), "~".into(), "3".into()]),
                1 => args.extend(["MAXLEN".into(), "=".into(), rng.below(8).to_string()]),
                _ => {}
            }
            args.extend([id, "f".into(), rng.below(100).to_string()]);
            if rng.below(2) == 0 {
                args.extend(["other".into(), "x".into()]);
            }
            return args;
        }
        4 => vec!["XDEL".into(), key, id(rng), id(rng)],
        5 => vec!["XTRIM".into(), key, "MINID".into(), id(rng)],
        6 => vec!["XGROUP".into(), "CREATE".into(), key, group, rng.pick(&["0", "$"]).into(), "MKSTREAM".into()],
        7 => vec!["XGROUP".into(), "SETID".into(), key, group, id(rng)],
        8 => vec!["XGROUP".into(), rng.pick(&["CREATECONSUMER", "DELCONSUMER"]).into(), key, group, consumer],
        9 => vec!["XGROUP".into(), "DESTROY".into(), key, group],
        10 | 11 => {
            let mut args = vec!["XREADGROUP".into(), "GROUP".into(), group, consumer, "COUNT".into(), "2".into()];
            if rng.below(4) == 0 {
                args.push("NOACK".into());
            }
            args.extend(["STREAMS".into(), key, rng.pick(&[">", ">", "0"]).into()]);
            return args;
        }
        12 => vec!["XACK".into(), key, group, id(rng), id(rng)],
        13 => {
            let mut args = vec!["XCLAIM".into(), key, group, consumer, "0".into(), id(rng), id(rng)];
            args.extend(match rng.below(3) {
                0 => vec!["FORCE".to_string()],
                1 => vec!["IDLE".to_string(), "1000".to_string(), "JUSTID".to_string()],
                _ => vec!["RETRYCOUNT".to_string(), "5".to_string()],
            });
            return args;
        }
        14 => vec!["XAUTOCLAIM".into(), key, group, consumer, "0".into(), "0".into(), "COUNT".into(), "2".into()],
        _ => vec!["XSETID".into(), key, format!("{}-5", *ms + rng.below(2)), "ENTRIESADDED".into(), "50".into()],
    };
    words
}

/// Random sequences of every stream command replay to the same state
/// after `kill -9`, and load to it from a snapshot, also when the
/// snapshot must rebuild pending entries whose entries are gone.
#[test]
fn random_stream_commands_replay_and_reload_the_same() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    for seed in [7u64, 1234, 99_991] {
        let mut con = srv.client();
        let _: () = q(&mut con, &["FLUSHALL"]);
        let mut rng = Rng(seed);
        let mut ms = 0;
        for _ in 0..400 {
            let args = random_command(&mut rng, &mut ms);
            let mut c = redis::cmd(&args[0]);
            for a in &args[1..] {
                c.arg(a);
            }
            let _: redis::RedisResult<Value> = c.query(&mut con);
        }
        let before = everything(&mut con);
        srv.crash_restart();
        let mut con = srv.client();
        assert_eq!(everything(&mut con), before, "seed {seed}: after kill -9 (log replay)");
        let _: () = q(&mut con, &["SAVE"]);
        srv.crash_restart();
        let mut con = srv.client();
        assert_eq!(everything(&mut con), before, "seed {seed}: after SAVE and kill -9 (snapshot)");
    }
}
