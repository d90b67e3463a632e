//! Expiry: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX XX GT LT), TTL, PTTL,
//! EXPIRETIME, PEXPIRETIME, PERSIST; expired keys are invisible at once and
//! reclaimed by the active cycle; which writes keep or drop a TTL.
//!
//! Every expectation is the exact reply of Redis 7.0 on the wire; run with
//! `EFIS_TEST_SERVER=redis` to check them against the real redis-server.

use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::wire::{arity, bad_expire, bulk, int, show, Wire, NIL, NOT_INT, OK};
use crate::common::Server;

const NX_XX: &str = "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n";
const GT_LT: &str = "-ERR GT and LT options at the same time are not compatible\r\n";
const ONE: &str = ":1\r\n";
const ZERO: &str = ":0\r\n";
const NO_TTL: &str = ":-1\r\n";
const NO_KEY: &str = ":-2\r\n";

fn now_ms() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(now.as_millis()).unwrap()
}

/// The four ways to set a TTL, each turning "this many seconds from now"
/// into its own argument.
const SETTERS: [&str; 4] = ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"];

fn when(command: &str, secs_from_now: i64) -> String {
    match command {
        "EXPIRE" => secs_from_now.to_string(),
        "PEXPIRE" => (secs_from_now * 1000).to_string(),
        "EXPIREAT" => (now_ms() / 1000 + secs_from_now).to_string(),
        "PEXPIREAT" => (now_ms() + secs_from_now * 1000).to_string(),
        _ => unreachable!("{command}"),
    }
}

#[test]
fn ttl_and_pttl_of_keys_without_ttl() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["TTL", "missing"], NO_KEY);
    w.is(&["PTTL", "missing"], NO_KEY);
    w.is(&["EXPIRETIME", "missing"], NO_KEY);
    w.is(&["PEXPIRETIME", "missing"], NO_KEY);
    w.is(&["SET", "k", "v"], OK);
    w.is(&["RPUSH", "l", "x"], ONE);
    for key in ["k", "l"] {
        w.is(&["TTL", key], NO_TTL);
        w.is(&["PTTL", key], NO_TTL);
        w.is(&["EXPIRETIME", key], NO_TTL);
        w.is(&["PEXPIRETIME", key], NO_TTL);
    }
    for command in ["ttl", "pttl", "expiretime", "pexpiretime"] {
        w.is(&[command], arity(command));
        w.is(&[command, "a", "b"], arity(command));
    }
}

#[test]
fn expire_and_pexpire() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "v"], OK);
    w.is(&["EXPIRE", "k", "100"], ONE);
    w.within(&["TTL", "k"], 99..=100);
    w.within(&["PTTL", "k"], 99_000..=100_000);
    let expected = now_ms() + 100_000;
    w.within(&["PEXPIRETIME", "k"], expected - 2_000..=expected);
    w.within(&["EXPIRETIME", "k"], expected / 1000 - 2..=expected / 1000 + 1);
    w.is(&["GET", "k"], bulk("v"));
    // A new EXPIRE replaces the old TTL, shorter or longer.
    w.is(&["EXPIRE", "k", "50"], ONE);
    w.within(&["TTL", "k"], 49..=50);
    w.is(&["PEXPIRE", "k", "200000"], ONE);
    w.within(&["TTL", "k"], 199..=200);
    w.within(&["PTTL", "k"], 199_000..=200_000);
    w.is(&["PEXPIRE", "k", "1500"], ONE);
    w.within(&["PTTL", "k"], 1..=1500);
    // On a missing key: 0, and nothing is created.
    w.is(&["EXPIRE", "missing", "100"], ZERO);
    w.is(&["PEXPIRE", "missing", "100"], ZERO);
    w.is(&["EXISTS", "missing"], ZERO);
    // Every type takes a TTL.
    w.is(&["RPUSH", "list", "x"], ONE);
    w.is(&["SADD", "set", "x"], ONE);
    w.is(&["ZADD", "zset", "1", "x"], ONE);
    w.is(&["HSET", "hash", "f", "v"], ONE);
    for key in ["list", "set", "zset", "hash"] {
        w.is(&["expire", key, "100"], ONE);
        w.within(&["TTL", key], 99..=100);
    }
    // Binary and empty key names.
    w.is(&[b"SET".as_slice(), b"\x00\r\n", b"v"], OK);
    w.is(&[b"EXPIRE".as_slice(), b"\x00\r\n", b"100"], ONE);
    w.within(&[b"TTL".as_slice(), b"\x00\r\n"], 99..=100);
    w.is(&["SET", "", "v"], OK);
    w.is(&["PEXPIRE", "", "100000"], ONE);
    w.within(&["TTL", ""], 99..=100);

    for value in ["abc", "1.5", "", " 1", "99999999999999999999"] {
        w.is(&["EXPIRE", "k", value], NOT_INT);
        w.is(&["PEXPIRE", "k", value], NOT_INT);
    }
    w.is(&["EXPIRE", "k"], arity("expire"));
    w.is(&["EXPIRE"], arity("expire"));
    w.is(&["PEXPIRE", "k"], arity("pexpire"));
}

#[test]
fn expireat_and_pexpireat() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "v"], OK);
    let at = now_ms() / 1000 + 1000;
    w.is(&["EXPIREAT", "k", &at.to_string()], ONE);
    w.is(&["EXPIRETIME", "k"], int(at));
    w.is(&["PEXPIRETIME", "k"], int(at * 1000));
    w.within(&["TTL", "k"], 998..=1000);
    let pat = now_ms() + 2_000_123;
    w.is(&["PEXPIREAT", "k", &pat.to_string()], ONE);
    w.is(&["PEXPIRETIME", "k"], int(pat));
    // EXPIRETIME rounds to the nearest second.
    w.is(&["EXPIRETIME", "k"], int((pat + 500) / 1000));
    w.within(&["TTL", "k"], 1998..=2001);
    w.is(&["EXPIREAT", "missing", &at.to_string()], ZERO);
    w.is(&["PEXPIREAT", "missing", &pat.to_string()], ZERO);
    w.is(&["EXISTS", "missing"], ZERO);
    w.is(&["EXPIREAT", "k", "abc"], NOT_INT);
    w.is(&["PEXPIREAT", "k", "1.5"], NOT_INT);
    w.is(&["PEXPIRETIME", "k"], int(pat));
    w.is(&["EXPIREAT", "k"], arity("expireat"));
    w.is(&["PEXPIREAT", "k"], arity("pexpireat"));
}

#[test]
fn nx_xx_gt_lt_options() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    for command in SETTERS {
        let key = format!("key:{command}");
        w.is(&["SET", &key, "v"], OK);
        // No TTL yet: XX and GT refuse, NX and LT (no TTL = infinite) accept.
        w.is(&[command, &key, &when(command, 100), "XX"], ZERO);
        w.is(&[command, &key, &when(command, 100), "GT"], ZERO);
        w.is(&["TTL", &key], NO_TTL);
        w.is(&[command, &key, &when(command, 100), "NX"], ONE);
        w.within(&["TTL", &key], 98..=100);
        w.is(&["PERSIST", &key], ONE);
        w.is(&[command, &key, &when(command, 100), "LT"], ONE);
        w.within(&["TTL", &key], 98..=100);
        // With a TTL of about 100 s.
        w.is(&[command, &key, &when(command, 500), "NX"], ZERO);
        w.within(&["TTL", &key], 98..=100);
        w.is(&[command, &key, &when(command, 200), "XX"], ONE);
        w.within(&["TTL", &key], 198..=200);
        w.is(&[command, &key, &when(command, 100), "GT"], ZERO);
        w.within(&["TTL", &key], 198..=200);
        w.is(&[command, &key, &when(command, 300), "GT"], ONE);
        w.within(&["TTL", &key], 298..=300);
        w.is(&[command, &key, &when(command, 400), "LT"], ZERO);
        w.within(&["TTL", &key], 298..=300);
        w.is(&[command, &key, &when(command, 50), "LT"], ONE);
        w.within(&["TTL", &key], 48..=50);
        // XX combines with GT or LT.
        w.is(&[command, &key, &when(command, 10), "XX", "GT"], ZERO);
        w.is(&[command, &key, &when(command, 80), "xx", "gt"], ONE);
        w.within(&["TTL", &key], 78..=80);
        w.is(&[command, &key, &when(command, 90), "LT", "XX"], ZERO);
        w.is(&[command, &key, &when(command, 60), "lt", "xx"], ONE);
        w.within(&["TTL", &key], 58..=60);
        // A repeated flag is the same flag.
        w.is(&[command, &key, &when(command, 70), "NX", "NX"], ZERO);
        w.is(&[command, &key, &when(command, 70), "GT", "GT"], ONE);
        // Lowercase, on a missing key.
        w.is(&[command, "missing", &when(command, 10), "nx"], ZERO);
        w.is(&[command, "missing", &when(command, 10), "lt"], ZERO);
        w.is(&["EXISTS", "missing"], ZERO);
    }
    // GT and LT compare with a past time as well: LT to the past deletes.
    w.is(&["SET", "p", "v", "EX", "100"], OK);
    w.is(&["EXPIRE", "p", "-1", "GT"], ZERO);
    w.is(&["EXISTS", "p"], ONE);
    w.is(&["EXPIRE", "p", "-1", "LT"], ONE);
    w.is(&["EXISTS", "p"], ZERO);
    w.is(&["SET", "p", "v"], OK);
    w.is(&["EXPIRE", "p", "-1", "XX"], ZERO);
    w.is(&["EXISTS", "p"], ONE);
    w.is(&["EXPIRE", "p", "-1", "NX"], ONE);
    w.is(&["EXISTS", "p"], ZERO);
}

#[test]
fn conflicting_and_unknown_options() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "v", "EX", "100"], OK);
    for command in SETTERS {
        let at = when(command, 10);
        let lower = command.to_ascii_lowercase();
        w.is(&[command, "k", &at, "NX", "XX"], NX_XX);
        w.is(&[command, "k", &at, "XX", "NX"], NX_XX);
        w.is(&[command, "k", &at, "NX", "GT"], NX_XX);
        w.is(&[command, "k", &at, "LT", "NX"], NX_XX);
        w.is(&[command, "k", &at, "nx", "xx"], NX_XX);
        w.is(&[command, "k", &at, "GT", "LT"], GT_LT);
        w.is(&[command, "k", &at, "lt", "gt"], GT_LT);
        w.is(&[command, "k", &at, "XX", "GT", "LT"], GT_LT);
        // The unknown option is named as the client wrote it.
        w.is(&[command, "k", &at, "FOO"], "-ERR Unsupported option FOO\r\n");
        w.is(&[command, "k", &at, "foo"], "-ERR Unsupported option foo\r\n");
        w.is(&[command, "k", &at, "NX", "bar"], "-ERR Unsupported option bar\r\n");
        w.is(&[command, "k", &at, "KEEPTTL"], "-ERR Unsupported option KEEPTTL\r\n");
        // Options are checked even when the key does not exist.
        w.is(&[command, "missing", &at, "NX", "XX"], NX_XX);
        w.is(&[&lower, "k"], arity(&lower));
    }
    // None of the failed calls changed the TTL.
    w.within(&["TTL", "k"], 98..=100);
}

#[test]
fn invalid_and_overflowing_expire_times() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "v", "EX", "100"], OK);
    let cases = [
        ("EXPIRE", "9223372036854775807"),
        ("EXPIRE", "9223372036854775"),
        ("EXPIRE", "-9223372036854775808"),
        ("PEXPIRE", "9223372036854775807"),
        ("EXPIREAT", "9223372036854775807"),
        ("EXPIREAT", "-9223372036854775808"),
    ];
    for (command, value) in cases {
        w.is(&[command, "k", value], bad_expire(&command.to_ascii_lowercase()));
        // The check comes before the lookup.
        w.is(&[command, "missing", value], bad_expire(&command.to_ascii_lowercase()));
    }
    w.within(&["TTL", "k"], 98..=100);
    // The largest absolute time in milliseconds is fine.
    w.is(&["PEXPIREAT", "k", "9223372036854775807"], ONE);
    w.is(&["PEXPIRETIME", "k"], ":9223372036854775807\r\n");
    w.is(&["GET", "k"], bulk("v"));
    // Large but representable relative times are fine too.
    w.is(&["EXPIRE", "k", "922337203685477"], ONE);
    w.within(&["TTL", "k"], 922_337_203_685_470..=922_337_203_685_477);
}

#[test]
fn zero_negative_or_past_expiry_deletes_the_key() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let cases: [(&str, &str); 8] = [
        ("EXPIRE", "0"),
        ("EXPIRE", "-1"),
        ("PEXPIRE", "0"),
        ("PEXPIRE", "-100"),
        ("EXPIREAT", "1"),
        ("EXPIREAT", "0"),
        ("PEXPIREAT", "0"),
        ("PEXPIREAT", "-9223372036854775808"),
    ];
    for (i, &(command, value)) in cases.iter().enumerate() {
        let key = format!("k{i}");
        w.is(&["SET", &key, "v"], OK);
        w.is(&[command, &key, value], ONE);
        w.is(&["EXISTS", &key], ZERO);
        w.is(&["GET", &key], NIL);
        w.is(&["TTL", &key], NO_KEY);
        w.is(&[command, &key, value], ZERO);
    }
    // Other types too.
    w.is(&["RPUSH", "l", "x"], ONE);
    w.is(&["EXPIRE", "l", "0"], ONE);
    w.is(&["TYPE", "l"], "+none\r\n");
    w.is(&["LLEN", "l"], ZERO);
    w.is(&["DBSIZE"], ZERO);
}

#[test]
fn persist() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "v", "EX", "100"], OK);
    w.is(&["PERSIST", "k"], ONE);
    w.is(&["TTL", "k"], NO_TTL);
    w.is(&["PERSIST", "k"], ZERO);
    w.is(&["PERSIST", "missing"], ZERO);
    w.is(&["GET", "k"], bulk("v"));
    w.is(&["RPUSH", "l", "x"], ONE);
    w.is(&["PEXPIRE", "l", "100000"], ONE);
    w.is(&["persist", "l"], ONE);
    w.is(&["PTTL", "l"], NO_TTL);
    w.is(&["PERSIST"], arity("persist"));
    w.is(&["PERSIST", "a", "b"], arity("persist"));
}

#[test]
fn expired_keys_are_invisible_at_once() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let keys = [
        "get", "exists", "ttl", "pttl", "type", "strlen", "mget", "setnx", "incr", "append", "expire", "persist",
        "rename", "lpush", "getrange", "keys", "scan", "copy", "move", "getex", "getset", "setxx", "dbone",
    ];
    for key in keys {
        w.is(&["SET", key, "old", "PX", "50"], OK);
    }
    w.is(&["SELECT", "1"], OK);
    w.is(&["SET", "dbone", "old", "PX", "50"], OK);
    w.is(&["SELECT", "0"], OK);
    w.is(&["SET", "stays", "v"], OK);
    sleep(Duration::from_millis(150));
    // Every read path.
    w.is(&["GET", "get"], NIL);
    w.is(&["EXISTS", "exists"], ZERO);
    w.is(&["TTL", "ttl"], NO_KEY);
    w.is(&["PTTL", "pttl"], NO_KEY);
    w.is(&["TYPE", "type"], "+none\r\n");
    w.is(&["STRLEN", "strlen"], ZERO);
    w.is(&["MGET", "mget", "stays"], "*2\r\n$-1\r\n$1\r\nv\r\n");
    w.is(&["GETRANGE", "getrange", "0", "-1"], bulk(""));
    w.is(&["GETEX", "getex", "PERSIST"], NIL);
    w.is(&["KEYS", "keys"], "*0\r\n");
    w.is(&["KEYS", "s*"], "*1\r\n$5\r\nstays\r\n");
    w.is(&["SCAN", "0", "MATCH", "scan", "COUNT", "1000"], "*2\r\n$1\r\n0\r\n*0\r\n");
    w.is(&["SELECT", "1"], OK);
    w.is(&["GET", "dbone"], NIL);
    w.is(&["SELECT", "0"], OK);
    // Every write path treats the key as missing.
    w.is(&["SETNX", "setnx", "new"], ONE);
    w.is(&["GET", "setnx"], bulk("new"));
    w.is(&["TTL", "setnx"], NO_TTL);
    w.is(&["INCR", "incr"], ONE);
    w.is(&["APPEND", "append", "new"], ":3\r\n");
    w.is(&["EXPIRE", "expire", "100"], ZERO);
    w.is(&["PERSIST", "persist"], ZERO);
    w.is(&["RENAME", "rename", "renamed"], "-ERR no such key\r\n");
    w.is(&["COPY", "copy", "copied"], ZERO);
    w.is(&["MOVE", "move", "1"], ZERO);
    w.is(&["LPUSH", "lpush", "x"], ONE);
    w.is(&["TYPE", "lpush"], "+list\r\n");
    w.is(&["GETSET", "getset", "new"], NIL);
    w.is(&["SET", "setxx", "new", "XX"], NIL);
    w.is(&["EXISTS", "renamed", "copied", "setxx"], ZERO);
    w.is(&["SELECT", "1"], OK);
    w.is(&["EXISTS", "move"], ZERO);
    w.is(&["SELECT", "0"], OK);
    // DBSIZE may still count keys that nobody has reclaimed yet; the access
    // paths above are what matter.
}

#[test]
fn active_cycle_reclaims_untouched_keys() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "stays", "v"], OK);
    for i in 0..100 {
        w.is(&["SET", &format!("short:{i}"), "v", "PX", "300"], OK);
    }
    for i in 0..20 {
        w.is(&["RPUSH", &format!("list:{i}"), "x"], ONE);
        w.is(&["PEXPIRE", &format!("list:{i}"), "300"], ONE);
    }
    // Only DBSIZE and INFO (neither touches a key) until the keys are gone.
    let deadline = Instant::now() + Duration::from_millis(2500);
    let mut size = w.call(&["DBSIZE"]);
    while size != ONE.as_bytes() && Instant::now() < deadline {
        sleep(Duration::from_millis(100));
        size = w.call(&["DBSIZE"]);
    }
    w.check(size == ONE.as_bytes(), format!("DBSIZE 2 s after the keys expired: \"{}\", want :1", show(&size)));
    let info = w.call(&["INFO", "keyspace"]);
    let text = String::from_utf8_lossy(&info).into_owned();
    let ok = text.contains("\r\ndb0:keys=1,expires=0,") || text.contains("\r\ndb0:keys=1,expires=0\r\n");
    w.check(ok, format!("INFO keyspace: {:?}", text));
    w.is(&["GET", "stays"], bulk("v"));
}

#[test]
fn writes_that_keep_or_drop_the_ttl() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    // Drop it: SET without KEEPTTL, GETSET, MSET, SETEX's own new TTL aside.
    w.is(&["SET", "k", "v", "EX", "100"], OK);
    w.is(&["SET", "k", "v2"], OK);
    w.is(&["TTL", "k"], NO_TTL);
    w.is(&["SET", "k", "v", "EX", "100"], OK);
    w.is(&["SET", "k", "v2", "GET"], bulk("v"));
    w.is(&["TTL", "k"], NO_TTL);
    w.is(&["SET", "k", "v", "EX", "100"], OK);
    w.is(&["SET", "k", "v2", "XX"], OK);
    w.is(&["TTL", "k"], NO_TTL);
    w.is(&["SET", "k", "v", "EX", "100"], OK);
    w.is(&["GETSET", "k", "v2"], bulk("v"));
    w.is(&["TTL", "k"], NO_TTL);
    w.is(&["SET", "k", "v", "EX", "100"], OK);
    w.is(&["MSET", "k", "v2"], OK);
    w.is(&["TTL", "k"], NO_TTL);
    w.is(&["SET", "k", "v", "EX", "100"], OK);
    w.is(&["DEL", "k"], ONE);
    w.is(&["SET", "k", "v"], OK);
    w.is(&["TTL", "k"], NO_TTL);
    // Keep it: KEEPTTL, and commands that change a value in place.
    w.is(&["SET", "k", "1", "EX", "100"], OK);
    w.is(&["SET", "k", "2", "KEEPTTL"], OK);
    w.within(&["TTL", "k"], 98..=100);
    for args in [
        &["INCR", "k"][..],
        &["DECRBY", "k", "2"],
        &["INCRBYFLOAT", "k", "1.5"],
        &["APPEND", "k", "0"],
        &["SETRANGE", "k", "0", "9"],
        &["GETEX", "k"],
        &["GET", "k"],
    ] {
        w.call(args);
        w.within(&["TTL", "k"], 98..=100);
    }
    w.is(&["RPUSH", "l", "a"], ONE);
    w.is(&["EXPIRE", "l", "100"], ONE);
    w.is(&["RPUSH", "l", "b"], ":2\r\n");
    w.is(&["LPOP", "l"], bulk("a"));
    w.within(&["TTL", "l"], 98..=100);
    // A list emptied and recreated has no TTL.
    w.is(&["LPOP", "l"], bulk("b"));
    w.is(&["RPUSH", "l", "c"], ONE);
    w.is(&["TTL", "l"], NO_TTL);
}

#[test]
fn rename_carries_the_ttl() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "src", "v", "PX", "100000"], OK);
    w.is(&["RENAME", "src", "dst"], OK);
    w.within(&["PTTL", "dst"], 98_000..=100_000);
    w.is(&["TTL", "src"], NO_KEY);
    // Onto a key with its own TTL: the source's (none) wins.
    w.is(&["SET", "plain", "v"], OK);
    w.is(&["RENAME", "plain", "dst"], OK);
    w.is(&["TTL", "dst"], NO_TTL);
    // RENAMENX and MOVE carry it too.
    w.is(&["SET", "a", "v", "EX", "100"], OK);
    w.is(&["RENAMENX", "a", "b"], ONE);
    w.within(&["TTL", "b"], 98..=100);
    w.is(&["MOVE", "b", "1"], ONE);
    w.is(&["SELECT", "1"], OK);
    w.within(&["TTL", "b"], 98..=100);
    // A renamed key still expires on time.
    w.is(&["SET", "short", "v", "PX", "400"], OK);
    w.is(&["RENAME", "short", "renamed"], OK);
    sleep(Duration::from_millis(500));
    w.is(&["GET", "renamed"], NIL);
    w.is(&["EXISTS", "short", "renamed"], ZERO);
}

#[test]
fn a_ttl_survives_reads() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "v", "PX", "1000"], OK);
    w.is(&["GET", "k"], bulk("v"));
    w.within(&["PTTL", "k"], 1..=1000);
    w.is(&["EXISTS", "k"], ONE);
    w.is(&["TOUCH", "k"], ONE);
    w.is(&["TYPE", "k"], "+string\r\n");
    sleep(Duration::from_millis(1100));
    w.is(&["GET", "k"], NIL);
    w.is(&["TTL", "k"], NO_KEY);
}
