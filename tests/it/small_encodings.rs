//! Small hashes and sets in Redis 7.0's order and form: a hash of at most
//! `hash-max-listpack-entries` (512 in `redis-server` without a
//! configuration file) fields no longer than `hash-max-listpack-value`
//! (64) answers in insertion order (`listpack`), a set of at most
//! `set-max-intset-entries` (512) integers answers sorted (`intset`);
//! past either threshold both convert to `hashtable` and never back. Also
//! the MEMORY family (`USAGE` shape, `STATS` field names, `DOCTOR`,
//! `PURGE`, `MALLOC-STATS`, `HELP`, errors) and `used_memory` falling back
//! after `UNLINK` and `FLUSHALL` (sync and `ASYNC`) of large values.
//!
//! Differential: every expectation holds against `redis-server` too
//! (`EFIS_TEST_SERVER=redis`), except the two MEMORY USAGE bounds, which
//! are Redis 7.0.15's own figures for the same keys.

use std::time::{Duration, Instant};

use crate::common::wire::{arity, bulk, bulks, int, Reply, Wire, NIL, SYNTAX};
use crate::common::Server;

fn fields(n: usize) -> Vec<String> {
    // Not in sorted or hash order: 7, 0, 9, 2, ... (a permutation).
    (0..n).map(|i| format!("f{}", (i * 7 + 3) % n)).collect()
}

fn hset_args(key: &str, names: &[String], value: &str) -> Vec<String> {
    let mut args = vec!["HSET".to_string(), key.to_string()];
    for name in names {
        args.push(name.clone());
        args.push(value.to_string());
    }
    args
}

#[test]
fn small_hash_answers_in_insertion_order() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["HSET", "h", "zeta", "1", "alpha", "2", "mid", "3", "", "4"], int(4));
    w.is(&["HKEYS", "h"], bulks(&["zeta", "alpha", "mid", ""]));
    w.is(&["HVALS", "h"], bulks(&["1", "2", "3", "4"]));
    w.is(&["HGETALL", "h"], bulks(&["zeta", "1", "alpha", "2", "mid", "3", "", "4"]));
    // Overwriting keeps the place; HDEL then HSET appends at the end.
    w.is(&["HSET", "h", "zeta", "one"], int(0));
    w.is(&["HDEL", "h", "alpha"], int(1));
    w.is(&["HSET", "h", "alpha", "two"], int(1));
    w.is(&["HSETNX", "h", "new", "5"], int(1));
    w.is(&["HINCRBY", "h", "counter", "7"], int(7));
    w.is(&["HKEYS", "h"], bulks(&["zeta", "mid", "", "alpha", "new", "counter"]));
    // HSCAN: everything in one call, cursor 0, whatever the cursor or COUNT.
    let reply = w.value(&["HSCAN", "h", "0", "COUNT", "1"]);
    let want = ["zeta", "one", "mid", "3", "", "4", "alpha", "two", "new", "5", "counter", "7"];
    w.check(reply.items().len() == 2 && reply.items()[0].bytes() == b"0", format!("HSCAN cursor: {reply:?}"));
    w.check(reply.items().get(1).map(|r| r.clone().into_bulks()) == Some(Some(strings(&want))), "HSCAN order");
    w.is(
        &["HSCAN", "h", "0", "MATCH", "*a*"],
        "*2\r\n$1\r\n0\r\n*4\r\n$4\r\nzeta\r\n$3\r\none\r\n$5\r\nalpha\r\n$3\r\ntwo\r\n",
    );
    // A count of at least the size answers the whole hash in order.
    w.is(&["HRANDFIELD", "h", "6"], bulks(&["zeta", "mid", "", "alpha", "new", "counter"]));
    w.is(&["HRANDFIELD", "h", "100", "WITHVALUES"], bulks(&want));
    // A sample of at most a third of a small hash comes in insertion
    // order (Redis picks it in one pass over the listpack).
    let names = fields(30);
    w.is(&hset_args("thirty", &names, "v"), int(30));
    for _ in 0..20 {
        let picked = w.value(&["HRANDFIELD", "thirty", "10"]).into_bulks().unwrap_or_default();
        let positions: Vec<usize> =
            picked.iter().filter_map(|f| names.iter().position(|n| n.as_bytes() == &f[..])).collect();
        w.check(positions.len() == 10, format!("ten known fields: {picked:?}"));
        w.check(positions.windows(2).all(|p| p[0] < p[1]), format!("in insertion order: {positions:?}"));
    }
    // 512 fields, given out of sorted order, come back as given.
    let names = fields(512);
    w.is(&hset_args("many", &names, "v"), int(512));
    w.is(&["OBJECT", "ENCODING", "many"], bulk("listpack"));
    w.is(&["HKEYS", "many"], bulks(&names));
}

fn strings(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|s| s.as_bytes().to_vec()).collect()
}

#[test]
fn hash_converts_past_each_threshold_and_never_back() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&hset_args("at", &fields(512), "v"), int(512));
    w.is(&["OBJECT", "ENCODING", "at"], bulk("listpack"));
    let debug = w.value(&["DEBUG", "OBJECT", "at"]);
    w.check(
        matches!(&debug, Reply::Simple(t) if t.contains(" encoding:listpack ")),
        format!("DEBUG OBJECT: {debug:?}"),
    );
    w.is(&["HSET", "at", "one more", "v"], int(1));
    w.is(&["OBJECT", "ENCODING", "at"], bulk("hashtable"));
    w.is(&["HDEL", "at", "one more", "f0", "f1"], int(3));
    w.is(&["OBJECT", "ENCODING", "at"], bulk("hashtable"));
    w.is(&["HLEN", "at"], int(510));
    // One HSET past the limit converts too.
    w.is(&hset_args("over", &fields(513), "v"), int(513));
    w.is(&["OBJECT", "ENCODING", "over"], bulk("hashtable"));
    let v64 = "x".repeat(64);
    let v65 = "x".repeat(65);
    w.is(&["HSET", "value", "f", v64.as_str()], int(1));
    w.is(&["HSET", "value", v64.as_str(), "v"], int(1));
    w.is(&["OBJECT", "ENCODING", "value"], bulk("listpack"));
    w.is(&["HSET", "value", "g", v65.as_str()], int(1));
    w.is(&["OBJECT", "ENCODING", "value"], bulk("hashtable"));
    w.is(&["HDEL", "value", "g"], int(1));
    w.is(&["OBJECT", "ENCODING", "value"], bulk("hashtable"));
    w.is(&["HGET", "value", "f"], bulk(&v64));
    w.is(&["HSET", "field", v65.as_str(), "v"], int(1));
    w.is(&["OBJECT", "ENCODING", "field"], bulk("hashtable"));
    w.is(&["HSETNX", "nx", "f", v65.as_str()], int(1));
    w.is(&["OBJECT", "ENCODING", "nx"], bulk("hashtable"));
    // Binary fields and values stay intact across the conversion.
    w.is(&["HSET", "bin", "a\0\r\n", "\0"], int(1));
    w.is(&["HSET", "bin", "b", v65.as_str()], int(1));
    w.is(&["HGET", "bin", "a\0\r\n"], bulk("\0"));
    w.is(&["HLEN", "bin"], int(2));
}

#[test]
fn small_integer_set_answers_sorted() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SADD", "s", "10", "-3", "7", "0", "9223372036854775807", "-9223372036854775808", "7"], int(6));
    w.is(&["OBJECT", "ENCODING", "s"], bulk("intset"));
    let sorted = ["-9223372036854775808", "-3", "0", "7", "10", "9223372036854775807"];
    w.is(&["SMEMBERS", "s"], bulks(&sorted));
    w.is(
        &["SSCAN", "s", "0", "COUNT", "1"],
        format!("*2\r\n$1\r\n0\r\n{}", String::from_utf8(bulks(&sorted)).unwrap()),
    );
    w.is(&["SSCAN", "s", "123", "MATCH", "-*"], "*2\r\n$1\r\n0\r\n*2\r\n$20\r\n-9223372036854775808\r\n$2\r\n-3\r\n");
    w.is(&["SRANDMEMBER", "s", "6"], bulks(&sorted));
    w.is(&["SISMEMBER", "s", "07"], int(0));
    w.is(&["SISMEMBER", "s", "-0"], int(0));
    w.is(&["SISMEMBER", "s", "-3"], int(1));
    w.is(&["SREM", "s", "10", "+7", "x"], int(1));
    w.is(&["SMEMBERS", "s"], bulks(&["-9223372036854775808", "-3", "0", "7", "9223372036854775807"]));
    // Stored results take the same form.
    w.is(&["SADD", "t", "7", "0", "5"], int(3));
    w.is(&["SINTERSTORE", "both", "s", "t"], int(2));
    w.is(&["OBJECT", "ENCODING", "both"], bulk("intset"));
    w.is(&["SMEMBERS", "both"], bulks(&["0", "7"]));
    w.is(&["SUNIONSTORE", "all", "t", "s"], int(6));
    w.is(&["SMEMBERS", "all"], bulks(&["-9223372036854775808", "-3", "0", "5", "7", "9223372036854775807"]));
    // SUNION and SDIFF answer their result set: sorted while it is an
    // intset; SINTER answers in the smallest set's order.
    w.is(&["SADD", "u", "100", "-50"], int(2));
    w.is(&["SUNION", "u", "t"], bulks(&["-50", "0", "5", "7", "100"]));
    w.is(&["SDIFF", "all", "u", "t"], bulks(&["-9223372036854775808", "-3", "9223372036854775807"]));
    w.is(&["SINTER", "all", "t"], bulks(&["0", "5", "7"]));
    // A count leaving few members answers the popped ones in the set's
    // order, as Redis does (it draws the members that stay).
    w.is(&["SADD", "many", "9", "8", "7", "6", "5", "4", "3", "2", "1", "0", "-1", "-2"], int(12));
    for _ in 0..5 {
        let popped = w.value(&["SPOP", "many", "10"]).into_bulks().unwrap_or_default();
        let numbers: Vec<i64> = popped.iter().filter_map(|m| std::str::from_utf8(m).ok()?.parse().ok()).collect();
        w.check(numbers.len() == 10 && numbers.windows(2).all(|p| p[0] < p[1]), format!("sorted: {numbers:?}"));
        w.is(&["SCARD", "many"], int(2));
        w.is(&["OBJECT", "ENCODING", "many"], bulk("intset"));
        let mut back = vec!["SADD".to_string(), "many".into()];
        back.extend(numbers.iter().map(i64::to_string));
        w.is(&back, int(10));
    }
    // Popping everything answers the whole set, sorted.
    w.is(&["SPOP", "t", "10"], bulks(&["0", "5", "7"]));
    w.is(&["EXISTS", "t"], int(0));
}

#[test]
fn set_converts_past_each_threshold_and_never_back() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut args: Vec<String> = vec!["SADD".into(), "ints".into()];
    args.extend((0..512).rev().map(|i| i.to_string()));
    w.is(&args, int(512));
    w.is(&["OBJECT", "ENCODING", "ints"], bulk("intset"));
    w.is(&["SADD", "ints", "512"], int(1));
    w.is(&["OBJECT", "ENCODING", "ints"], bulk("hashtable"));
    w.is(&["SREM", "ints", "512", "0"], int(2));
    w.is(&["OBJECT", "ENCODING", "ints"], bulk("hashtable"));
    w.is(&["SCARD", "ints"], int(511));
    for (key, odd) in [("a", "x"), ("b", "01"), ("c", "-0"), ("d", "+1"), ("e", "1.5"), ("f", "9223372036854775808")] {
        w.is(&["SADD", key, "1", "2"], int(2));
        w.is(&["SADD", key, odd], int(1));
        w.is(&["OBJECT", "ENCODING", key], bulk("hashtable"));
        w.is(&["SISMEMBER", key, "2"], int(1));
        w.is(&["SISMEMBER", key, odd], int(1));
    }
    w.is(&["SADD", "g", "x"], int(1));
    w.is(&["SREM", "g", "x"], int(1));
    w.is(&["SADD", "g", "1"], int(1));
    w.is(&["OBJECT", "ENCODING", "g"], bulk("intset"));
}

#[test]
fn config_set_moves_the_thresholds() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["CONFIG", "SET", "hash-max-listpack-entries", "2"], "+OK\r\n");
    w.is(&["CONFIG", "GET", "hash-max-ziplist-entries"], bulks(&["hash-max-ziplist-entries", "2"]));
    w.is(&["HSET", "h", "a", "1", "b", "2"], int(2));
    w.is(&["OBJECT", "ENCODING", "h"], bulk("listpack"));
    w.is(&["HSET", "h", "c", "3"], int(1));
    w.is(&["OBJECT", "ENCODING", "h"], bulk("hashtable"));
    w.is(&["CONFIG", "SET", "hash-max-ziplist-value", "3"], "+OK\r\n");
    w.is(&["CONFIG", "GET", "hash-max-listpack-value"], bulks(&["hash-max-listpack-value", "3"]));
    w.is(&["HSET", "v", "abc", "def"], int(1));
    w.is(&["OBJECT", "ENCODING", "v"], bulk("listpack"));
    w.is(&["HSET", "v", "abcd", "x"], int(1));
    w.is(&["OBJECT", "ENCODING", "v"], bulk("hashtable"));
    w.is(&["CONFIG", "SET", "set-max-intset-entries", "3"], "+OK\r\n");
    w.is(&["SADD", "s", "1", "2", "3"], int(3));
    w.is(&["OBJECT", "ENCODING", "s"], bulk("intset"));
    w.is(&["SADD", "s", "4"], int(1));
    w.is(&["OBJECT", "ENCODING", "s"], bulk("hashtable"));
    // A hash still small is checked against the new limit at its next
    // write; a converted one stays converted when the limit rises.
    w.is(&["CONFIG", "SET", "hash-max-listpack-entries", "512", "hash-max-listpack-value", "64"], "+OK\r\n");
    w.is(&["HSET", "h", "d", "4"], int(1));
    w.is(&["OBJECT", "ENCODING", "h"], bulk("hashtable"));
    w.is(&["CONFIG", "SET", "hash-max-listpack-entries", "0"], "+OK\r\n");
    w.is(&["HSET", "zero", "a", "1"], int(1));
    w.is(&["OBJECT", "ENCODING", "zero"], bulk("hashtable"));
    let failed =
        |name: &str, why: &str| format!("-ERR CONFIG SET failed (possibly related to argument '{name}') - {why}\r\n");
    for name in ["hash-max-listpack-entries", "hash-max-ziplist-entries", "set-max-intset-entries"] {
        w.is(
            &["CONFIG", "SET", name, "-1"],
            failed(name, "argument must be between 0 and 9223372036854775807 inclusive"),
        );
        w.is(&["CONFIG", "SET", name, "abc"], failed(name, "argument couldn't be parsed into an integer"));
        w.is(&["CONFIG", "SET", name, "1k"], failed(name, "argument couldn't be parsed into an integer"));
    }
    // The value limits are memory values: units, and their own errors.
    for name in ["hash-max-listpack-value", "hash-max-ziplist-value", "zset-max-listpack-value"] {
        w.is(&["CONFIG", "SET", name, "-1"], failed(name, "argument must be a memory value"));
        w.is(&["CONFIG", "SET", name, "1.5"], failed(name, "argument must be a memory value"));
        w.is(
            &["CONFIG", "SET", name, "99999999999999999999"],
            failed(name, "argument must be between 0 and 9223372036854775807 inclusive"),
        );
    }
    w.is(&["CONFIG", "SET", "hash-max-listpack-value", "1k"], "+OK\r\n");
    w.is(&["CONFIG", "GET", "hash-max-ziplist-value"], bulks(&["hash-max-ziplist-value", "1000"]));
    w.is(&["CONFIG", "SET", "hash-max-listpack-value", "2KB"], "+OK\r\n");
    w.is(&["CONFIG", "GET", "hash-max-listpack-value"], bulks(&["hash-max-listpack-value", "2048"]));
    w.is(&["CONFIG", "SET", "hash-max-listpack-value", "64"], "+OK\r\n");
    w.is(&["CONFIG", "SET", "set-max-intset-entries", "512"], "+OK\r\n");
    w.is(&["CONFIG", "GET", "set-max-intset-entries"], bulks(&["set-max-intset-entries", "512"]));
}

#[test]
fn thresholds_set_at_start() {
    // Efis's settings, mapped to redis-server's options of the same names.
    let server = Server::start_with(&[
        ("HASH_MAX_LISTPACK_ENTRIES", "2"),
        ("HASH_MAX_LISTPACK_VALUE", "3"),
        ("SET_MAX_INTSET_ENTRIES", "2"),
    ]);
    let mut w = Wire::open(&server);
    w.is(&["CONFIG", "GET", "hash-max-ziplist-entries"], bulks(&["hash-max-ziplist-entries", "2"]));
    w.is(&["CONFIG", "GET", "hash-max-ziplist-value"], bulks(&["hash-max-ziplist-value", "3"]));
    w.is(&["CONFIG", "GET", "set-max-intset-entries"], bulks(&["set-max-intset-entries", "2"]));
    w.is(&["HSET", "h", "abc", "def", "b", "c"], int(2));
    w.is(&["OBJECT", "ENCODING", "h"], bulk("listpack"));
    w.is(&["HSET", "h", "c", "d"], int(1));
    w.is(&["OBJECT", "ENCODING", "h"], bulk("hashtable"));
    w.is(&["HSET", "long", "abcd", "d"], int(1));
    w.is(&["OBJECT", "ENCODING", "long"], bulk("hashtable"));
    w.is(&["SADD", "s", "1", "2"], int(2));
    w.is(&["OBJECT", "ENCODING", "s"], bulk("intset"));
    w.is(&["SADD", "s", "3"], int(1));
    w.is(&["OBJECT", "ENCODING", "s"], bulk("hashtable"));
}

/// MEMORY USAGE of `key`, which must be an integer.
fn usage(w: &mut Wire, key: &str) -> i64 {
    w.int(&["MEMORY", "USAGE", key])
}

#[test]
fn memory_usage_shape_and_errors() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["MEMORY", "USAGE", "missing"], NIL);
    w.is(&["MEMORY", "USAGE"], arity("memory|usage"));
    w.is(&["MEMORY"], arity("memory"));
    w.is(&["memory", "usage", "missing", "samples", "3"], NIL);
    w.is(&["SET", "\0bin\r\n", ""], "+OK\r\n");
    let binary = w.int(&["MEMORY", "USAGE", "\0bin\r\n"]);
    w.check(binary > 0, format!("a binary key with an empty value: {binary}"));
    w.is(&["SET", "k", "v"], "+OK\r\n");
    w.is(&["MEMORY", "USAGE", "k", "SAMPLES"], SYNTAX);
    w.is(&["MEMORY", "USAGE", "k", "SAMPLES", "-1"], SYNTAX);
    w.is(&["MEMORY", "USAGE", "k", "SAMPLES", "x"], "-ERR value is not an integer or out of range\r\n");
    w.is(&["MEMORY", "USAGE", "k", "FOO", "1"], SYNTAX);
    w.is(&["MEMORY", "USAGE", "k", "SAMPLES", "1", "2"], SYNTAX);
    w.is(&["MEMORY", "FOO"], "-ERR unknown subcommand 'FOO'. Try MEMORY HELP.\r\n");
    let small = usage(&mut w, "k");
    w.check(small > 0, format!("a string costs something: {small}"));
    w.is(&["SET", "k", "x".repeat(10_000).as_str()], "+OK\r\n");
    let big = usage(&mut w, "k");
    w.check(big >= 10_000, format!("a 10,000-byte string: {big}"));
    w.is(&["MEMORY", "USAGE", "k", "samples", "0"], int(big));
    // Every type grows with its value.
    let mut last = [0i64; 4];
    for round in 0..3 {
        for i in 0..200 {
            let i = (round * 200 + i).to_string();
            w.call(&["HSET", "h", i.as_str(), "value"]);
            w.call(&["SADD", "s", i.as_str()]);
            w.call(&["RPUSH", "l", i.as_str()]);
            w.call(&["ZADD", "z", i.as_str(), i.as_str()]);
        }
        for (n, key) in ["h", "s", "l", "z"].into_iter().enumerate() {
            let now = w.int(&["MEMORY", "USAGE", key, "SAMPLES", "0"]);
            w.check(now > last[n], format!("{key} grows: {} then {now}", last[n]));
            last[n] = now;
        }
    }
}

#[test]
fn memory_usage_of_small_collections_is_at_most_redis() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut args = vec!["HSET".to_string(), "h:1".to_string()];
    for i in 0..10 {
        args.push(format!("field:{i}"));
        args.push(format!("value:{i}"));
    }
    w.is(&args, int(10));
    w.is(&["SADD", "s:1", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"], int(10));
    // Redis 7.0.15's own figures for these two keys.
    let hash = usage(&mut w, "h:1");
    let set = usage(&mut w, "s:1");
    w.check((100..=240).contains(&hash), format!("10-field hash: {hash} bytes, Redis 240"));
    w.check((20..=80).contains(&set), format!("10-member integer set: {set} bytes, Redis 80"));
}

#[test]
fn memory_subcommands() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "v"], "+OK\r\n");
    w.is(&["MEMORY", "PURGE"], "+OK\r\n");
    w.is(&["COMMAND", "GETKEYS", "MEMORY", "USAGE", "k"], bulks(&["k"]));
    w.is(&["COMMAND", "GETKEYS", "MEMORY", "STATS"], "-ERR The command has no key arguments\r\n");
    w.is(&["COMMAND", "GETKEYS", "OBJECT", "HELP"], "-ERR The command has no key arguments\r\n");
    w.is(&["MEMORY", "PURGE", "x"], arity("memory|purge"));
    w.is(&["MEMORY", "STATS", "x"], arity("memory|stats"));
    let help = w.value(&["MEMORY", "HELP"]);
    w.check(help.items().len() == 14, format!("MEMORY HELP lines: {help:?}"));
    let doctor = w.value(&["MEMORY", "DOCTOR"]);
    w.check(matches!(&doctor, Reply::Bulk(b) if b.starts_with(b"Hi Sam")), format!("MEMORY DOCTOR: {doctor:?}"));
    let malloc = w.value(&["MEMORY", "MALLOC-STATS"]);
    w.check(matches!(malloc, Reply::Bulk(_)), "MEMORY MALLOC-STATS is a bulk string");
    let stats = w.value(&["MEMORY", "STATS"]);
    let items = stats.items();
    let names: Vec<String> = items.iter().step_by(2).map(|r| String::from_utf8_lossy(r.bytes()).into_owned()).collect();
    let want = [
        "peak.allocated",
        "total.allocated",
        "startup.allocated",
        "replication.backlog",
        "clients.slaves",
        "clients.normal",
        "cluster.links",
        "aof.buffer",
        "lua.caches",
        "functions.caches",
        "db.0",
        "overhead.total",
        "keys.count",
        "keys.bytes-per-key",
        "dataset.bytes",
        "dataset.percentage",
        "peak.percentage",
        "allocator.allocated",
        "allocator.active",
        "allocator.resident",
        "allocator-fragmentation.ratio",
        "allocator-fragmentation.bytes",
        "allocator-rss.ratio",
        "allocator-rss.bytes",
        "rss-overhead.ratio",
        "rss-overhead.bytes",
        "fragmentation",
        "fragmentation.bytes",
    ];
    w.check(names == want, format!("MEMORY STATS names: {names:?}"));
    let field = |name: &str| names.iter().position(|n| n == name).map(|i| &items[2 * i + 1]);
    w.check(field("keys.count") == Some(&Reply::Int(1)), "keys.count is 1");
    let db0 = field("db.0").map(|r| r.items().iter().step_by(2).map(|n| n.bytes().to_vec()).collect::<Vec<_>>());
    w.check(
        db0 == Some(strings(&[
            "overhead.hashtable.main",
            "overhead.hashtable.expires",
            "overhead.hashtable.slot-to-keys",
        ])),
        format!("db.0: {db0:?}"),
    );
    // clients.normal is the bytes the clients' buffers hold.
    let clients = field("clients.normal");
    w.check(matches!(clients, Some(Reply::Int(n)) if *n >= 0), format!("clients.normal: {clients:?}"));
    let total = field("total.allocated");
    w.check(matches!(total, Some(Reply::Int(n)) if *n > 0), "total.allocated is a positive integer");
    let resp3 = Wire::open_resp3(&server).value(&["MEMORY", "STATS"]);
    w.check(matches!(resp3, Reply::Map(ref m) if m.len() == want.len()), "RESP3: a map");
}

/// `used_memory` from INFO.
fn used_memory(w: &mut Wire) -> i64 {
    let reply = w.value(&["INFO", "memory"]);
    let text = String::from_utf8_lossy(reply.bytes()).into_owned();
    text.lines().find_map(|l| l.strip_prefix("used_memory:")).and_then(|v| v.trim().parse().ok()).unwrap_or(-1)
}

/// Waits up to two seconds for `used_memory` to come within `slack` of
/// `baseline` (Redis frees ASYNC deletes in a background thread).
fn falls_back(w: &mut Wire, baseline: i64, slack: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let now = used_memory(w);
        if now <= baseline + slack || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn used_memory_falls_back_after_unlink_and_flushall() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let value = "x".repeat(1 << 20);
    let slack = 2 << 20;
    for (fill, free) in [
        ("UNLINK", &["UNLINK", "big0", "big1", "big2", "big3", "h", "s"][..]),
        ("DEL", &["DEL", "big0", "big1", "big2", "big3", "h", "s"][..]),
        ("FLUSHALL", &["FLUSHALL"][..]),
        ("FLUSHALL ASYNC", &["FLUSHALL", "ASYNC"][..]),
        ("FLUSHDB SYNC", &["FLUSHDB", "SYNC"][..]),
    ] {
        let baseline = used_memory(&mut w);
        for i in 0..4 {
            w.is(&["SET", format!("big{i}").as_str(), value.as_str()], "+OK\r\n");
        }
        for i in 0..2000 {
            let i = i.to_string();
            w.call(&["HSET", "h", i.as_str(), value.get(..1000).unwrap()]);
            w.call(&["SADD", "s", format!("member:{i}:{}", "y".repeat(500)).as_str()]);
        }
        let full = used_memory(&mut w);
        w.check(full > baseline + (4 << 20), format!("{fill}: used_memory grew: {baseline} -> {full}"));
        let reply = w.value(free);
        w.check(!matches!(reply, Reply::Error(_)), format!("{fill}: {reply:?}"));
        let after = falls_back(&mut w, baseline, slack);
        w.check(after <= baseline + slack, format!("{fill}: used_memory {baseline} -> {full} -> {after}"));
    }
}
