//! Scripts and the log (Efis only): what a script did comes back after a
//! `kill -9` exactly as it was, including what it decided from the clock,
//! random numbers or `SPOP`, and the writes of a script that failed half
//! way; and a script's writes are all there or none of them is.
//!
//! Real Redis runs in the suite without persistence, so these tests
//! return early under `EFIS_TEST_SERVER=redis`.

use std::collections::BTreeSet;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::Connection;

use super::{call, eval, sha1_hex};
use crate::common::*;

fn q<T: redis::FromRedisValue>(con: &mut Connection, args: &[&str]) -> T {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con).unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

fn q_strings(con: &mut Connection, args: &[String]) -> redis::RedisResult<Value> {
    let mut c = redis::cmd(&args[0]);
    for a in &args[1..] {
        c.arg(a);
    }
    c.query(con)
}

/// Everything a script left that a replay must rebuild the same.
fn snapshot(con: &mut Connection) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for db in ["0", "1"] {
        let _: () = q(con, &["SELECT", db]);
        let mut keys: Vec<String> = q(con, &["KEYS", "*"]);
        keys.sort();
        for key in keys {
            let kind: String = q(con, &["TYPE", &key]);
            let value: Value = match kind.as_str() {
                "string" => q(con, &["GET", &key]),
                "list" => q(con, &["LRANGE", &key, "0", "-1"]),
                "set" => {
                    let mut members: Vec<String> = q(con, &["SMEMBERS", &key]);
                    members.sort();
                    Value::Array(members.into_iter().map(|m| Value::BulkString(m.into_bytes())).collect())
                }
                "hash" => q(con, &["HGETALL", &key]),
                other => panic!("unexpected type {other}"),
            };
            let ttl: i64 = q(con, &["PTTL", &key]);
            out.push((format!("{db}/{key} {kind} ttl={}", ttl > 0), value));
        }
    }
    let _: () = q(con, &["SELECT", "0"]);
    out
}

#[test]
fn script_effects_replay_exactly_after_kill_9() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    let run = |con: &mut Connection, body: &str, keys: &[&str]| q_strings(con, &eval(body, keys, &[]));
    // Decisions a replay could not make again the same way.
    run(&mut con, "redis.call('set', KEYS[1], tostring(math.random()))", &["random"]).unwrap();
    run(&mut con, "local t = redis.call('time'); redis.call('set', KEYS[1], t[1] .. '.' .. t[2])", &["clock"]).unwrap();
    let _: i64 = q(&mut con, &["SADD", "pool", "a", "b", "c", "d", "e", "f"]);
    for _ in 0..3 {
        run(&mut con, "local m = redis.call('spop', KEYS[1]); redis.call('rpush', KEYS[2], m)", &["pool", "popped"])
            .unwrap();
    }
    run(&mut con, "redis.call('set', KEYS[1], 'v', 'EX', 100)", &["ttl"]).unwrap();
    // Another database, inside the script only.
    run(&mut con, "redis.call('select', 1); redis.call('set', KEYS[1], 'in db 1')", &["db1"]).unwrap();
    // A script that failed half way keeps its first write.
    let failed = run(&mut con, "redis.call('hset', KEYS[1], 'f', 'v'); redis.call('incr', KEYS[1])", &["half"]);
    assert!(failed.is_err(), "the script was meant to fail: {failed:?}");
    // A function.
    let code = "#!lua name=dur\nredis.register_function('push', function(keys, args) \
                return redis.call('rpush', keys[1], args[1]) end)";
    let _: String = q(&mut con, &["FUNCTION", "LOAD", code]);
    let _: i64 = q(&mut con, &["FCALL", "push", "1", "fn", "x"]);
    // Read-only scripts leave nothing.
    let _: Value = q(&mut con, &["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "random"]);
    let before = snapshot(&mut con);
    assert_eq!(before.len(), 8, "{before:?}");
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(snapshot(&mut con), before, "after kill -9");
    let _: i64 = q(&mut con, &["FCALL", "push", "1", "fn", "y"]);
    let list: Vec<String> = q(&mut con, &["LRANGE", "fn", "0", "-1"]);
    assert_eq!(list, ["x", "y"]);
}

/// How each writer runs its script.
#[derive(Clone, Copy, Debug)]
enum Way {
    Eval,
    EvalSha,
    Fcall,
}

const STEP: &str = "local n = redis.call('incr', KEYS[1]); redis.call('rpush', KEYS[2], n); \
                    redis.call('sadd', KEYS[3], n); redis.call('hset', KEYS[4], 'last', n); return n";
const LIBRARY: &str = "#!lua name=steps\nredis.register_function('step', function(keys) \
                       local n = redis.call('incr', keys[1]); redis.call('rpush', keys[2], n); \
                       redis.call('sadd', keys[3], n); redis.call('hset', keys[4], 'last', n); return n end)";

fn keys(way: Way) -> [String; 4] {
    ["n", "list", "set", "hash"].map(|k| format!("{way:?}:{k}"))
}

/// Runs the script as fast as acknowledgements come, until the
/// connection breaks; returns the last value acknowledged.
fn writer(port: u16, way: Way, mut acked: i64) -> i64 {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let Ok(mut con) = client.get_connection_with_timeout(Duration::from_secs(5)) else { return acked };
    con.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let keys = keys(way);
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let sha = sha1_hex(STEP.as_bytes());
    loop {
        let command = match way {
            Way::Eval => eval(STEP, &keys, &[]),
            Way::EvalSha => call("EVALSHA", &sha, &keys, &[]),
            Way::Fcall => call("FCALL", "step", &keys, &[]),
        };
        match q_strings(&mut con, &command) {
            Ok(Value::Int(n)) => acked = n,
            Err(e) if e.code() == Some("NOSCRIPT") => {
                let loaded: redis::RedisResult<String> = redis::cmd("SCRIPT").arg("LOAD").arg(STEP).query(&mut con);
                if loaded.is_err() {
                    return acked;
                }
            }
            Ok(other) => panic!("{way:?}: unexpected reply {other:?}"),
            Err(_) => return acked,
        }
    }
}

#[test]
fn scripts_are_all_or_nothing_across_kill_9() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start_with(&[("APPENDFSYNC", "always")]);
    let mut con = srv.client();
    let _: String = q(&mut con, &["FUNCTION", "LOAD", LIBRARY]);
    let ways = [Way::Eval, Way::EvalSha, Way::Fcall];
    let mut acked = [0i64; 3];
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(1);
    eprintln!("seed {seed}");
    let mut total = 0;
    for round in 0..5u32 {
        let port = srv.port;
        let writers: Vec<_> =
            ways.iter().zip(acked).map(|(&way, a)| thread::spawn(move || writer(port, way, a))).collect();
        let pause = 30 + (seed.wrapping_mul(round + 7) >> 3) % 200;
        thread::sleep(Duration::from_millis(u64::from(pause)));
        srv.kill();
        let done: Vec<i64> = writers.into_iter().map(|t| t.join().expect("writer")).collect();
        srv.crash_restart();
        let mut con = srv.client();
        for (i, way) in ways.iter().enumerate() {
            let [n_key, list_key, set_key, hash_key] = keys(*way);
            let n: i64 = q::<Option<i64>>(&mut con, &["GET", &n_key]).unwrap_or(0);
            let list: Vec<i64> = q(&mut con, &["LRANGE", &list_key, "0", "-1"]);
            let set: BTreeSet<i64> = q(&mut con, &["SMEMBERS", &set_key]);
            let last: Option<i64> = q(&mut con, &["HGET", &hash_key, "last"]);
            let ctx = format!(
                "round {round}, {way:?}: acknowledged {}, found n={n}, list of {}, set of {}, last={last:?}",
                done[i],
                list.len(),
                set.len()
            );
            // Every acknowledged script is there, and at most one more.
            assert!(n >= done[i] && n <= done[i] + 1, "{ctx}");
            // Each script's four writes are all there or all missing.
            assert!(list.iter().copied().eq(1..=n), "{ctx}: list {list:?}");
            assert!(set.iter().copied().eq(1..=n), "{ctx}: set {set:?}");
            assert_eq!(last, (n > 0).then_some(n), "{ctx}");
            total += n - acked[i];
            acked[i] = n;
        }
    }
    assert!(total > 0, "no script was acknowledged");
}
