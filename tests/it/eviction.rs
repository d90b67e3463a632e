//! Cache mode: `maxmemory` and its policies, checked against Redis 7.0.
//!
//! The settings and their errors; `-OOM` under `noeviction` (and in
//! transactions and scripts) while reads and deletes go on; which keys
//! each policy evicts (least recently used, least frequently used,
//! nearest expiry, only keys with an expiry for `volatile-*`); evictions
//! announced as `evicted` events and breaking `WATCH`; `OBJECT IDLETIME`
//! and `OBJECT FREQ`; and, for Efis, evictions logged and replayed after
//! `kill -9`. Limits are set relative to the memory each server reports,
//! so one test fits both.

use std::thread::sleep;
use std::time::Duration;

use redis::{Connection, Value};

use crate::common::{bulk, cmd, err_cmd, is_redis, ok_cmd, Server};

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

fn info_field(con: &mut Connection, section: &str, name: &str) -> String {
    let text: String = redis::cmd("INFO").arg(section).query(con).unwrap();
    let prefix = format!("{name}:");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("INFO {section} has no {name}"))
        .trim()
        .to_string()
}

fn used_memory(con: &mut Connection) -> u64 {
    info_field(con, "memory", "used_memory").parse().unwrap()
}

fn evicted_keys(con: &mut Connection) -> u64 {
    info_field(con, "stats", "evicted_keys").parse().unwrap()
}

fn config_set(con: &mut Connection, name: &str, value: &str) {
    ok_cmd(con, &["CONFIG", "SET", name, value]);
}

fn config_get(con: &mut Connection, name: &str) -> String {
    let pair: Vec<String> = redis::cmd("CONFIG").arg("GET").arg(name).query(con).unwrap();
    assert_eq!(pair.len(), 2, "CONFIG GET {name}: {pair:?}");
    pair[1].clone()
}

/// Writes `count` keys `prefix:i` of `size` bytes in one pipeline.
fn fill(con: &mut Connection, prefix: &str, count: usize, size: usize) {
    let value = "x".repeat(size);
    let mut pipe = redis::pipe();
    for i in 0..count {
        pipe.cmd("SET").arg(format!("{prefix}:{i}")).arg(&value).ignore();
    }
    pipe.query::<()>(con).unwrap();
}

fn exists(con: &mut Connection, key: &str) -> bool {
    redis::cmd("EXISTS").arg(key).query::<i64>(con).unwrap() == 1
}

fn surviving(con: &mut Connection, prefix: &str, range: std::ops::Range<usize>) -> Vec<usize> {
    range.filter(|i| exists(con, &format!("{prefix}:{i}"))).collect()
}

/// Sets the limit to what is in use now: every new key then evicts.
fn cap_at_current_use(con: &mut Connection) {
    let used = used_memory(con);
    config_set(con, "maxmemory", &used.to_string());
}

#[test]
fn eviction_settings_are_redis_parameters() {
    let server = Server::start();
    let mut con = server.client();
    let defaults = [
        ("maxmemory", "0"),
        ("maxmemory-policy", "noeviction"),
        ("maxmemory-samples", "5"),
        ("maxmemory-eviction-tenacity", "10"),
        ("lfu-log-factor", "10"),
        ("lfu-decay-time", "1"),
    ];
    for (name, value) in defaults {
        assert_eq!(config_get(&mut con, name), value, "{name}");
    }
    for (given, stored) in [("100mb", "104857600"), ("1GB", "1073741824"), ("3k", "3000"), ("12345", "12345")] {
        config_set(&mut con, "maxmemory", given);
        assert_eq!(config_get(&mut con, "maxmemory"), stored, "{given}");
    }
    assert_eq!(info_field(&mut con, "memory", "maxmemory"), "12345");
    config_set(&mut con, "maxmemory", "0");
    config_set(&mut con, "maxmemory-policy", "ALLKEYS-LRU");
    assert_eq!(config_get(&mut con, "maxmemory-policy"), "allkeys-lru");
    assert_eq!(info_field(&mut con, "memory", "maxmemory_policy"), "allkeys-lru");
    for (name, value) in [
        ("maxmemory-samples", "64"),
        ("maxmemory-eviction-tenacity", "100"),
        ("lfu-log-factor", "0"),
        ("lfu-decay-time", "0"),
    ] {
        config_set(&mut con, name, value);
        assert_eq!(config_get(&mut con, name), value, "{name}");
    }
    let refusals = [
        (
            "maxmemory-policy",
            "lru",
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of \
             the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, \
             allkeys-random, noeviction",
        ),
        (
            "maxmemory",
            "lots",
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
        ),
        (
            "maxmemory",
            "-1",
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
        ),
        (
            "maxmemory-samples",
            "0",
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-samples') - argument must be between 1 \
             and 2147483647 inclusive",
        ),
        (
            "maxmemory-eviction-tenacity",
            "101",
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-eviction-tenacity') - argument must be \
             between 0 and 100 inclusive",
        ),
        (
            "lfu-log-factor",
            "ten",
            "ERR CONFIG SET failed (possibly related to argument 'lfu-log-factor') - argument couldn't be parsed \
             into an integer",
        ),
    ];
    for (name, value, error) in refusals {
        assert_eq!(err_cmd(&mut con, &["CONFIG", "SET", name, value]), error, "{name} {value}");
    }
    assert_eq!(config_get(&mut con, "maxmemory-policy"), "allkeys-lru", "a refused value changes nothing");
}

#[test]
fn noeviction_refuses_growth_but_serves_reads_and_deletes() {
    let server = Server::start();
    let mut con = server.client();
    let mut other = server.client();
    ok_cmd(&mut con, &["SET", "a", "1"]);
    ok_cmd(&mut con, &["SET", "b", "2"]);
    config_set(&mut other, "maxmemory", "1");
    assert_eq!(err_cmd(&mut con, &["SET", "c", "3"]), OOM);
    assert_eq!(err_cmd(&mut con, &["INCR", "a"]), OOM);
    assert_eq!(err_cmd(&mut con, &["LPUSH", "l", "x"]), OOM);
    assert_eq!(cmd(&mut con, &["GET", "a"]).unwrap(), bulk("1"));
    assert_eq!(cmd(&mut con, &["EXPIRE", "a", "100"]).unwrap(), Value::Int(1));
    assert_eq!(cmd(&mut con, &["DEL", "a"]).unwrap(), Value::Int(1));
    assert_eq!(cmd(&mut con, &["PING"]).unwrap(), Value::SimpleString("PONG".into()));

    // Queueing takes memory too: any command but the transaction's own
    // is refused, and the transaction is then aborted.
    ok_cmd(&mut con, &["MULTI"]);
    assert_eq!(err_cmd(&mut con, &["GET", "b"]), OOM);
    assert_eq!(err_cmd(&mut con, &["EXEC"]), "EXECABORT Transaction discarded because of previous errors.");
    // A transaction queued before the limit is refused at EXEC.
    config_set(&mut other, "maxmemory", "0");
    ok_cmd(&mut con, &["MULTI"]);
    assert_eq!(cmd(&mut con, &["SET", "d", "4"]).unwrap(), Value::SimpleString("QUEUED".into()));
    config_set(&mut other, "maxmemory", "1");
    assert_eq!(err_cmd(&mut con, &["EXEC"]), format!("EXECABORT Transaction discarded because of: {OOM}"));
    assert!(!exists(&mut con, "d"));
    assert_eq!(err_cmd(&mut con, &["DISCARD"]), "ERR DISCARD without MULTI");

    // Scripts: a write is refused while the script has not written yet.
    let error = err_cmd(&mut con, &["EVAL", "return redis.call('set', 'x', '1')", "0"]);
    assert!(error.starts_with(OOM), "{error}");
    assert_eq!(cmd(&mut con, &["EVAL", "return redis.call('get', 'b')", "0"]).unwrap(), bulk("2"));
    // A script that declares its flags is refused before it runs, unless
    // it may not write or may use memory past the limit.
    let write = "#!lua\nreturn redis.call('set', 'x', '1')";
    assert_eq!(err_cmd(&mut con, &["EVAL", write, "0"]), OOM);
    assert_eq!(cmd(&mut con, &["EVAL", "#!lua flags=no-writes\nreturn 7", "0"]).unwrap(), Value::Int(7));
    let allowed = "#!lua flags=allow-oom\nreturn redis.call('set', 'x', '1')";
    assert_eq!(cmd(&mut con, &["EVAL", allowed, "0"]).unwrap(), Value::Okay);
    config_set(&mut other, "maxmemory", "0");
    ok_cmd(&mut con, &["SET", "c", "3"]);
}

/// A container's subcommands are refused for memory by their own flags:
/// `XGROUP CREATE` and `CREATECONSUMER` may grow memory, `SETID` and
/// `DESTROY` may not, whether called directly, queued in a transaction
/// or from a script.
#[test]
fn subcommands_are_refused_for_memory_by_their_own_flags() {
    let server = Server::start();
    let mut con = server.client();
    let mut other = server.client();
    assert!(matches!(cmd(&mut con, &["XADD", "s", "*", "f", "v"]).unwrap(), Value::BulkString(_)));
    ok_cmd(&mut con, &["XGROUP", "CREATE", "s", "g0", "$"]);
    ok_cmd(&mut con, &["XGROUP", "CREATE", "s", "g1", "$"]);
    // Queued while memory is below the limit, refused at EXEC above it.
    ok_cmd(&mut con, &["MULTI"]);
    let queued = Value::SimpleString("QUEUED".into());
    assert_eq!(cmd(&mut con, &["xgroup", "createconsumer", "s", "g0", "c"]).unwrap(), queued);
    config_set(&mut other, "maxmemory", "1");
    assert_eq!(err_cmd(&mut con, &["EXEC"]), format!("EXECABORT Transaction discarded because of: {OOM}"));

    assert_eq!(err_cmd(&mut con, &["XGROUP", "CREATE", "s", "g", "$"]), OOM);
    assert_eq!(err_cmd(&mut con, &["XGROUP", "createCONSUMER", "s", "g0", "c"]), OOM);
    ok_cmd(&mut con, &["XGROUP", "SETID", "s", "g0", "0"]);
    assert_eq!(cmd(&mut con, &["XGROUP", "DESTROY", "s", "g0"]).unwrap(), Value::Int(1));
    let create = "return redis.call('xgroup', 'create', 's', 'g2', '$')";
    let error = err_cmd(&mut con, &["EVAL", create, "0"]);
    assert!(error.starts_with(OOM), "{error}");
    let destroy = "return redis.call('xgroup', 'destroy', 's', 'g1')";
    assert_eq!(cmd(&mut con, &["EVAL", destroy, "0"]).unwrap(), Value::Int(1));
    config_set(&mut other, "maxmemory", "0");
    let consumers = cmd(&mut con, &["XINFO", "GROUPS", "s"]).unwrap();
    assert_eq!(consumers, Value::Array(vec![]), "every group destroyed, none created");
}

#[test]
fn volatile_policies_evict_only_keys_with_an_expiry() {
    let server = Server::start();
    let mut con = server.client();
    fill(&mut con, "plain", 200, 100);
    config_set(&mut con, "maxmemory-policy", "volatile-lru");
    config_set(&mut con, "maxmemory", "1");
    assert_eq!(err_cmd(&mut con, &["SET", "more", "x"]), OOM, "nothing may go");
    assert_eq!(surviving(&mut con, "plain", 0..200).len(), 200);
    config_set(&mut con, "maxmemory", "0");
}

#[test]
fn settings_are_taken_at_start() {
    let server = Server::start_with(&[
        ("MAXMEMORY", "64mb"),
        ("MAXMEMORY_POLICY", "volatile-lfu"),
        ("MAXMEMORY_SAMPLES", "7"),
        ("LFU_LOG_FACTOR", "3"),
        ("LFU_DECAY_TIME", "9"),
    ]);
    let mut con = server.client();
    assert_eq!(config_get(&mut con, "maxmemory"), (64u64 << 20).to_string());
    assert_eq!(config_get(&mut con, "maxmemory-policy"), "volatile-lfu");
    assert_eq!(config_get(&mut con, "maxmemory-samples"), "7");
    assert_eq!(config_get(&mut con, "lfu-log-factor"), "3");
    assert_eq!(config_get(&mut con, "lfu-decay-time"), "9");
    assert_eq!(info_field(&mut con, "memory", "maxmemory_human"), "64.00M");
}

#[test]
fn every_volatile_policy_spares_keys_without_expiry() {
    let server = Server::start();
    let mut con = server.client();
    for policy in ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"] {
        ok_cmd(&mut con, &["FLUSHALL"]);
        config_set(&mut con, "maxmemory", "0");
        config_set(&mut con, "maxmemory-policy", policy);
        fill(&mut con, "plain", 300, 300);
        let value = "y".repeat(300);
        let mut pipe = redis::pipe();
        for i in 0..300 {
            pipe.cmd("SET").arg(format!("ttl:{i}")).arg(&value).arg("EX").arg(3600).ignore();
        }
        pipe.query::<()>(&mut con).unwrap();
        let before = evicted_keys(&mut con);
        cap_at_current_use(&mut con);
        fill(&mut con, "new", 100, 300);
        assert_eq!(surviving(&mut con, "plain", 0..300).len(), 300, "{policy}");
        assert!(evicted_keys(&mut con) - before >= 50, "{policy}: too few evicted");
        assert!(surviving(&mut con, "ttl", 0..300).len() <= 250, "{policy}");
    }
    config_set(&mut con, "maxmemory", "0");
}

#[test]
fn allkeys_random_keeps_memory_near_the_limit() {
    let server = Server::start();
    let mut con = server.client();
    config_set(&mut con, "maxmemory-policy", "allkeys-random");
    fill(&mut con, "key", 2000, 400);
    let used = used_memory(&mut con);
    config_set(&mut con, "maxmemory", &used.to_string());
    fill(&mut con, "more", 2000, 400);
    assert!(evicted_keys(&mut con) >= 1500, "evicted {}", evicted_keys(&mut con));
    let now = used_memory(&mut con);
    assert!(now <= used + used / 20, "used {now} against a limit of {used}");
    let old = surviving(&mut con, "key", 0..2000).len();
    let new = surviving(&mut con, "more", 0..2000).len();
    assert!(old > 0 && new > 0, "random picks take from both: {old} old, {new} new");
    config_set(&mut con, "maxmemory", "0");
}

#[test]
fn allkeys_lru_evicts_the_least_recently_used() {
    let server = Server::start();
    let mut con = server.client();
    config_set(&mut con, "maxmemory-policy", "allkeys-lru");
    fill(&mut con, "old", 2000, 500);
    sleep(Duration::from_millis(2200));
    let mut pipe = redis::pipe();
    for i in 0..200 {
        pipe.cmd("GET").arg(format!("old:{i}")).ignore();
    }
    pipe.query::<()>(&mut con).unwrap();
    cap_at_current_use(&mut con);
    fill(&mut con, "new", 1000, 500);
    let hot = surviving(&mut con, "old", 0..200).len();
    let cold = surviving(&mut con, "old", 200..2000).len();
    assert!(evicted_keys(&mut con) >= 500, "evicted {}", evicted_keys(&mut con));
    assert!(hot >= 190, "recently read keys went: {hot} of 200 stay");
    assert!(cold <= 1400, "idle keys stayed: {cold} of 1800");
    config_set(&mut con, "maxmemory", "0");
}

/// Also the scan resistance of LFU: a one-off pass over many new keys
/// (each written once) does not flush the keys read often.
#[test]
fn allkeys_lfu_keeps_the_frequently_used() {
    let server = Server::start();
    let mut con = server.client();
    config_set(&mut con, "maxmemory-policy", "allkeys-lfu");
    config_set(&mut con, "lfu-decay-time", "0");
    fill(&mut con, "key", 2000, 500);
    let mut pipe = redis::pipe();
    for _ in 0..40 {
        for i in 0..200 {
            pipe.cmd("GET").arg(format!("key:{i}")).ignore();
        }
    }
    pipe.query::<()>(&mut con).unwrap();
    cap_at_current_use(&mut con);
    fill(&mut con, "new", 1000, 500);
    let hot = surviving(&mut con, "key", 0..200).len();
    assert!(evicted_keys(&mut con) >= 500, "evicted {}", evicted_keys(&mut con));
    assert!(hot >= 190, "frequently read keys went: {hot} of 200 stay");
    config_set(&mut con, "maxmemory", "0");
}

#[test]
fn volatile_ttl_evicts_the_nearest_expiry_first() {
    let server = Server::start();
    let mut con = server.client();
    config_set(&mut con, "maxmemory-policy", "volatile-ttl");
    fill(&mut con, "plain", 500, 200);
    let value = "y".repeat(200);
    let mut pipe = redis::pipe();
    for i in 0..1000 {
        pipe.cmd("SET").arg(format!("ttl:{i}")).arg(&value).arg("EX").arg(1000 + i).ignore();
    }
    pipe.query::<()>(&mut con).unwrap();
    cap_at_current_use(&mut con);
    fill(&mut con, "new", 300, 200);
    assert_eq!(surviving(&mut con, "plain", 0..500).len(), 500, "keys without expiry never go");
    let stay = surviving(&mut con, "ttl", 0..1000);
    let gone: Vec<usize> = (0..1000).filter(|i| !stay.contains(i)).collect();
    assert!(gone.len() >= 150, "only {} went", gone.len());
    let mean = |v: &[usize]| v.iter().sum::<usize>() as f64 / v.len().max(1) as f64;
    assert!(mean(&gone) + 200.0 < mean(&stay), "gone {:.0} vs staying {:.0}", mean(&gone), mean(&stay));
    config_set(&mut con, "maxmemory", "0");
}

#[test]
fn evictions_are_announced_and_break_watches() {
    let server = Server::start();
    let mut con = server.client();
    let mut watcher = server.client();
    config_set(&mut con, "notify-keyspace-events", "Ee");
    config_set(&mut con, "maxmemory-policy", "volatile-ttl");
    config_set(&mut con, "maxmemory-samples", "64");
    let mut listener = server.client();
    let mut pubsub = listener.as_pubsub();
    pubsub.subscribe("__keyevent@0__:evicted").unwrap();
    ok_cmd(&mut con, &["SET", "first", "v", "EX", "10"]);
    fill(&mut con, "later", 200, 1000);
    for i in 0..200 {
        cmd(&mut con, &["EXPIRE", &format!("later:{i}"), &(1000 + i).to_string()]).unwrap();
    }
    ok_cmd(&mut watcher, &["WATCH", "first"]);
    ok_cmd(&mut watcher, &["MULTI"]);
    cmd(&mut watcher, &["SET", "first", "mine"]).unwrap();
    cap_at_current_use(&mut con);
    fill(&mut con, "push", 20, 1000);
    let mut evicted = Vec::new();
    pubsub.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    while let Ok(message) = pubsub.get_message() {
        evicted.push(message.get_payload::<String>().unwrap());
    }
    assert!(evicted.len() >= 10, "{evicted:?}");
    assert!(evicted.iter().all(|key| key == "first" || key.starts_with("later:")), "{evicted:?}");
    assert!(evicted.contains(&"first".to_string()), "the nearest expiry went: {evicted:?}");
    assert_eq!(cmd(&mut watcher, &["EXEC"]).unwrap(), Value::Nil, "the eviction touched the watched key");
    assert!(!exists(&mut con, "first"));
    assert!(evicted_keys(&mut con) >= 1);
    config_set(&mut con, "maxmemory", "0");
}

#[test]
fn object_idletime_and_freq_report_accesses() {
    let server = Server::start();
    let mut con = server.client();
    ok_cmd(&mut con, &["SET", "k", "v"]);
    ok_cmd(&mut con, &["SET", "other", "v"]);
    sleep(Duration::from_millis(2100));
    let idle = |con: &mut Connection, key: &str| match cmd(con, &["OBJECT", "IDLETIME", key]).unwrap() {
        Value::Int(n) => n,
        other => panic!("{other:?}"),
    };
    assert!(idle(&mut con, "k") >= 2);
    // OBJECT, TYPE and EXISTS look without touching.
    cmd(&mut con, &["TYPE", "k"]).unwrap();
    cmd(&mut con, &["EXISTS", "k"]).unwrap();
    assert!(idle(&mut con, "k") >= 2);
    cmd(&mut con, &["GET", "k"]).unwrap();
    assert_eq!(idle(&mut con, "k"), 0);
    assert_eq!(cmd(&mut con, &["TOUCH", "other", "missing"]).unwrap(), Value::Int(1));
    assert_eq!(idle(&mut con, "other"), 0);
    assert_eq!(cmd(&mut con, &["OBJECT", "IDLETIME", "missing"]).unwrap(), Value::Nil);
    let no_lfu = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when \
                  switching between policies at runtime LRU and LFU data will take some time to adjust.";
    assert_eq!(err_cmd(&mut con, &["OBJECT", "FREQ", "k"]), no_lfu);

    config_set(&mut con, "maxmemory-policy", "allkeys-lfu");
    ok_cmd(&mut con, &["SET", "f", "v"]);
    assert_eq!(cmd(&mut con, &["OBJECT", "FREQ", "f"]).unwrap(), Value::Int(5), "a new key starts at 5");
    cmd(&mut con, &["GET", "f"]).unwrap();
    assert_eq!(cmd(&mut con, &["OBJECT", "FREQ", "f"]).unwrap(), Value::Int(6), "the first access always counts");
    for _ in 0..200 {
        cmd(&mut con, &["GET", "f"]).unwrap();
    }
    let Value::Int(freq) = cmd(&mut con, &["OBJECT", "FREQ", "f"]).unwrap() else { panic!() };
    assert!((7..20).contains(&freq), "the counter grows logarithmically: {freq}");
    let lfu = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching \
               between policies at runtime LRU and LFU data will take some time to adjust.";
    assert_eq!(err_cmd(&mut con, &["OBJECT", "IDLETIME", "f"]), lfu);
}

#[test]
fn evictions_are_logged_and_replayed_after_kill_9() {
    if is_redis() {
        return;
    }
    let mut server = Server::start();
    let mut con = server.client();
    config_set(&mut con, "maxmemory-policy", "allkeys-random");
    fill(&mut con, "key", 3000, 300);
    cap_at_current_use(&mut con);
    fill(&mut con, "more", 1000, 300);
    assert!(evicted_keys(&mut con) > 0);
    let mut before: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
    before.sort();
    drop(con);
    server.crash_restart();
    let mut con = server.client();
    let mut after: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
    after.sort();
    assert_eq!(before.len(), after.len());
    assert!(before == after, "the keys after replay differ from those before the crash");
}
