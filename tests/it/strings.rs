//! String commands: SET and its options, GET, GETSET, GETDEL, GETEX, SETNX,
//! SETEX, PSETEX, MSET, MSETNX, MGET, APPEND, STRLEN, GETRANGE, SETRANGE and
//! the counters INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT.
//!
//! Every expectation is the exact reply of Redis 7.0 on the wire; run with
//! `EFIS_TEST_SERVER=redis` to check them against the real redis-server.

use std::net::TcpStream;
use std::panic::Location;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::{self, Server};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
const NOT_FLOAT: &str = "-ERR value is not a valid float\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const OVERFLOW: &str = "-ERR increment or decrement would overflow\r\n";
const OK: &str = "+OK\r\n";
const NIL: &str = "$-1\r\n";

/// One raw connection. Each check compares the exact reply bytes and
/// remembers every mismatch; the test fails when the `Wire` is dropped, with
/// the full list, so one wrong reply does not hide the others.
struct Wire {
    stream: TcpStream,
    misses: Vec<String>,
}

impl Wire {
    fn open(server: &Server) -> Wire {
        Wire { stream: server.raw(), misses: Vec::new() }
    }

    fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        common::roundtrip(&mut self.stream, &encode(args))
    }

    #[track_caller]
    fn is<A: AsRef<[u8]>>(&mut self, args: &[A], want: impl AsRef<[u8]>) {
        let got = self.call(args);
        if got != want.as_ref() {
            let what = format!("{} -> got \"{}\", want \"{}\"", show_args(args), show(&got), show(want.as_ref()));
            self.miss(what);
        }
    }

    /// Sends a command whose reply must be an integer and returns it.
    #[track_caller]
    fn int<A: AsRef<[u8]>>(&mut self, args: &[A]) -> i64 {
        let got = self.call(args);
        match parse_int(&got) {
            Some(n) => n,
            None => {
                let what = format!("{} -> got \"{}\", want an integer", show_args(args), show(&got));
                self.miss(what);
                i64::MIN
            }
        }
    }

    #[track_caller]
    fn check(&mut self, ok: bool, what: String) {
        if !ok {
            self.miss(what);
        }
    }

    #[track_caller]
    fn miss(&mut self, what: String) {
        let at = Location::caller();
        self.misses.push(format!("line {}: {what}", at.line()));
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        if !self.misses.is_empty() && !std::thread::panicking() {
            panic!(
                "{} unexpected repl{}:\n  {}",
                self.misses.len(),
                if self.misses.len() == 1 { "y" } else { "ies" },
                self.misses.join("\n  ")
            );
        }
    }
}

fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn show(bytes: &[u8]) -> String {
    if bytes.len() > 200 {
        format!("{}... ({} bytes)", bytes[..200].escape_ascii(), bytes.len())
    } else {
        bytes.escape_ascii().to_string()
    }
}

fn show_args<A: AsRef<[u8]>>(args: &[A]) -> String {
    let parts: Vec<String> = args.iter().map(|a| show(a.as_ref())).collect();
    parts.join(" ")
}

fn parse_int(reply: &[u8]) -> Option<i64> {
    let body = reply.strip_prefix(b":")?.strip_suffix(b"\r\n")?;
    std::str::from_utf8(body).ok()?.parse().ok()
}

/// The RESP2 bulk string reply for `value`.
fn bulk(value: impl AsRef<[u8]>) -> Vec<u8> {
    let value = value.as_ref();
    let mut out = format!("${}\r\n", value.len()).into_bytes();
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
    out
}

fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

fn arity(command: &str) -> String {
    format!("-ERR wrong number of arguments for '{command}' command\r\n")
}

fn bad_expire(command: &str) -> String {
    format!("-ERR invalid expire time in '{command}' command\r\n")
}

fn now_secs() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(now.as_secs()).unwrap()
}

/// A key of every other type, for the WRONGTYPE checks.
fn make_other_types(w: &mut Wire) {
    w.is(&["LPUSH", "list", "x"], ":1\r\n");
    w.is(&["SADD", "set", "x"], ":1\r\n");
    w.is(&["ZADD", "zset", "1", "x"], ":1\r\n");
    w.is(&["HSET", "hash", "f", "v"], ":1\r\n");
}

const OTHER_TYPES: [&str; 4] = ["list", "set", "zset", "hash"];

#[test]
fn set_and_get() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["GET", "k"], NIL);
    w.is(&["SET", "k", "v1"], OK);
    w.is(&["GET", "k"], bulk("v1"));
    w.is(&["SET", "k", "v2"], OK);
    w.is(&["GET", "k"], bulk("v2"));
    // Command names are case-insensitive.
    w.is(&["set", "k", "v3"], OK);
    w.is(&["gEt", "k"], bulk("v3"));
    // Keys are not.
    w.is(&["GET", "K"], NIL);
    // A number set as a string comes back as the same bulk string.
    w.is(&["SET", "n", "42"], OK);
    w.is(&["GET", "n"], bulk("42"));
    w.is(&["SET", "n", "-0042.50"], OK);
    w.is(&["GET", "n"], bulk("-0042.50"));

    w.is(&["GET"], arity("get"));
    w.is(&["GET", "k", "extra"], arity("get"));
    w.is(&["SET"], arity("set"));
    w.is(&["SET", "k"], arity("set"));
    w.is(&["SET", "k", "v", "extra"], SYNTAX);
    w.is(&["GET", "k"], bulk("v3"));
}

#[test]
fn get_and_set_on_other_types() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["GET", key], WRONGTYPE);
    }
    // SET replaces a value of any type.
    w.is(&["SET", "list", "now a string"], OK);
    w.is(&["TYPE", "list"], "+string\r\n");
    w.is(&["GET", "list"], bulk("now a string"));
}

#[test]
fn set_nx_xx() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "1", "XX"], NIL);
    w.is(&["EXISTS", "k"], ":0\r\n");
    w.is(&["SET", "k", "1", "NX"], OK);
    w.is(&["SET", "k", "2", "NX"], NIL);
    w.is(&["GET", "k"], bulk("1"));
    w.is(&["SET", "k", "3", "XX"], OK);
    w.is(&["GET", "k"], bulk("3"));
    // Option keywords are case-insensitive.
    w.is(&["SET", "k", "4", "nx"], NIL);
    w.is(&["SET", "k", "5", "xX"], OK);
    w.is(&["GET", "k"], bulk("5"));
    // Repeating the same flag is accepted.
    w.is(&["SET", "k", "6", "XX", "XX"], OK);
    w.is(&["SET", "other", "1", "NX", "NX"], OK);
    // NX and XX see keys of every type.
    make_other_types(&mut w);
    w.is(&["SET", "list", "v", "NX"], NIL);
    w.is(&["TYPE", "list"], "+list\r\n");
    w.is(&["SET", "set", "v", "XX"], OK);
    w.is(&["TYPE", "set"], "+string\r\n");
}

#[test]
fn set_get_option() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "old", "GET"], NIL);
    w.is(&["GET", "k"], bulk("old"));
    w.is(&["SET", "k", "new", "GET"], bulk("old"));
    w.is(&["GET", "k"], bulk("new"));
    w.is(&["SET", "k", "newer", "get"], bulk("new"));
    // NX GET: answers the old value and does not overwrite it.
    w.is(&["SET", "k", "nope", "NX", "GET"], bulk("newer"));
    w.is(&["GET", "k"], bulk("newer"));
    w.is(&["SET", "fresh", "v", "NX", "GET"], NIL);
    w.is(&["GET", "fresh"], bulk("v"));
    // XX GET on a missing key: nil and nothing set.
    w.is(&["SET", "missing", "v", "XX", "GET"], NIL);
    w.is(&["EXISTS", "missing"], ":0\r\n");
    w.is(&["SET", "k", "last", "GET", "XX"], bulk("newer"));
    w.is(&["SET", "k", "again", "GET", "GET"], bulk("last"));
    // GET with a value of another type is an error and changes nothing.
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["SET", key, "v", "GET"], WRONGTYPE);
    }
    w.is(&["TYPE", "list"], "+list\r\n");
    w.is(&["LRANGE", "list", "0", "-1"], "*1\r\n$1\r\nx\r\n");
}

#[test]
fn set_expiry_options() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "ex", "v", "EX", "100"], OK);
    let ttl = w.int(&["TTL", "ex"]);
    w.check((99..=100).contains(&ttl), format!("TTL after EX 100 is {ttl}"));

    w.is(&["SET", "px", "v", "PX", "100000"], OK);
    let pttl = w.int(&["PTTL", "px"]);
    w.check((90_000..=100_000).contains(&pttl), format!("PTTL after PX 100000 is {pttl}"));

    let at = now_secs() + 1000;
    w.is(&["SET", "exat", "v", "EXAT", &at.to_string()], OK);
    let ttl = w.int(&["TTL", "exat"]);
    w.check((990..=1001).contains(&ttl), format!("TTL after EXAT now+1000 is {ttl}"));
    w.is(&["EXPIRETIME", "exat"], int(at));

    let pat = (now_secs() + 2000) * 1000 + 123;
    w.is(&["SET", "pxat", "v", "PXAT", &pat.to_string()], OK);
    w.is(&["PEXPIRETIME", "pxat"], int(pat));

    // Lowercase option names.
    w.is(&["SET", "lower", "v", "ex", "50"], OK);
    let ttl = w.int(&["TTL", "lower"]);
    w.check((49..=50).contains(&ttl), format!("TTL after ex 50 is {ttl}"));

    // The same option twice: the last one wins.
    w.is(&["SET", "twice", "v", "EX", "10", "EX", "20"], OK);
    let ttl = w.int(&["TTL", "twice"]);
    w.check((19..=20).contains(&ttl), format!("TTL after EX 10 EX 20 is {ttl}"));

    // An absolute time in the past stores nothing visible.
    w.is(&["SET", "past", "v", "EXAT", "1"], OK);
    w.is(&["GET", "past"], NIL);
    w.is(&["EXISTS", "past"], ":0\r\n");
    w.is(&["SET", "past", "v", "PXAT", "1"], OK);
    w.is(&["GET", "past"], NIL);

    // KEEPTTL keeps the TTL; a plain SET drops it.
    w.is(&["SET", "ex", "v2", "KEEPTTL"], OK);
    let ttl = w.int(&["TTL", "ex"]);
    w.check((98..=100).contains(&ttl), format!("TTL after KEEPTTL is {ttl}"));
    w.is(&["GET", "ex"], bulk("v2"));
    w.is(&["SET", "ex", "v3", "keepttl", "GET"], bulk("v2"));
    let ttl = w.int(&["TTL", "ex"]);
    w.check((98..=100).contains(&ttl), format!("TTL after KEEPTTL GET is {ttl}"));
    w.is(&["SET", "ex", "v4"], OK);
    w.is(&["TTL", "ex"], ":-1\r\n");
    // KEEPTTL on a key without TTL, or on a new key.
    w.is(&["SET", "nottl", "v", "KEEPTTL"], OK);
    w.is(&["TTL", "nottl"], ":-1\r\n");

    // XX with EX sets the TTL only when the key exists.
    w.is(&["SET", "absent", "v", "XX", "EX", "10"], NIL);
    w.is(&["TTL", "absent"], ":-2\r\n");
    w.is(&["SET", "nottl", "v", "XX", "PX", "10000"], OK);
    let pttl = w.int(&["PTTL", "nottl"]);
    w.check((1..=10_000).contains(&pttl), format!("PTTL after XX PX 10000 is {pttl}"));
}

#[test]
fn set_invalid_option_combinations() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "orig"], OK);
    let bad: &[&[&str]] = &[
        &["SET", "k", "v", "NX", "XX"],
        &["SET", "k", "v", "XX", "NX"],
        &["SET", "k", "v", "EX", "10", "PX", "10"],
        &["SET", "k", "v", "PX", "10", "EX", "10"],
        &["SET", "k", "v", "EX", "10", "EXAT", "10"],
        &["SET", "k", "v", "EXAT", "10", "PXAT", "10"],
        &["SET", "k", "v", "PX", "10", "PXAT", "10"],
        &["SET", "k", "v", "EX", "10", "KEEPTTL"],
        &["SET", "k", "v", "KEEPTTL", "PX", "10"],
        &["SET", "k", "v", "KEEPTTL", "EXAT", "10"],
        &["SET", "k", "v", "PXAT", "10", "KEEPTTL"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "PX"],
        &["SET", "k", "v", "EXAT"],
        &["SET", "k", "v", "PXAT"],
        &["SET", "k", "v", "NX", "EX"],
        &["SET", "k", "v", "FOO"],
        &["SET", "k", "v", "EX", "10", "FOO"],
        &["SET", "k", "v", "GETT"],
        &["SET", "k", "v", "10"],
    ];
    for args in bad {
        w.is(args, SYNTAX);
    }
    // Nothing above may have touched the key.
    w.is(&["GET", "k"], bulk("orig"));
    w.is(&["TTL", "k"], ":-1\r\n");
}

#[test]
fn set_invalid_expire_times() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "orig"], OK);
    let set = bad_expire("set");
    for (opt, value) in [
        ("EX", "0"),
        ("EX", "-1"),
        ("PX", "0"),
        ("PX", "-5"),
        ("EXAT", "0"),
        ("EXAT", "-1"),
        ("PXAT", "0"),
        ("PXAT", "-100"),
        // Overflow when converted to milliseconds or added to now.
        ("EX", "9223372036854775807"),
        ("EX", "9223372036854775"),
        ("PX", "9223372036854775807"),
        ("EXAT", "9223372036854775807"),
    ] {
        w.is(&["SET", "k", "v", opt, value], &set);
    }
    // Not an integer at all.
    for value in ["abc", "1.5", "", " 1", "99999999999999999999"] {
        w.is(&["SET", "k", "v", "EX", value], NOT_INT);
    }
    w.is(&["SET", "k", "v", "PX", "1.5"], NOT_INT);
    w.is(&["GET", "k"], bulk("orig"));
    w.is(&["TTL", "k"], ":-1\r\n");
    // The largest absolute time that still fits is accepted.
    w.is(&["SET", "far", "v", "PXAT", "9223372036854775807"], OK);
    w.is(&["PEXPIRETIME", "far"], ":9223372036854775807\r\n");
    w.is(&["GET", "far"], bulk("v"));
}

#[test]
fn getset() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["GETSET", "k", "1"], NIL);
    w.is(&["GETSET", "k", "2"], bulk("1"));
    w.is(&["GET", "k"], bulk("2"));
    // GETSET clears the TTL, like SET.
    w.is(&["SET", "t", "v", "EX", "100"], OK);
    w.is(&["GETSET", "t", "w"], bulk("v"));
    w.is(&["TTL", "t"], ":-1\r\n");
    w.is(&["GETSET", "k", ""], bulk("2"));
    w.is(&["GETSET", "k", "x"], bulk(""));
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["GETSET", key, "v"], WRONGTYPE);
    }
    w.is(&["TYPE", "list"], "+list\r\n");
    w.is(&["GETSET"], arity("getset"));
    w.is(&["GETSET", "k"], arity("getset"));
    w.is(&["GETSET", "k", "v", "x"], arity("getset"));
}

#[test]
fn getdel() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["GETDEL", "k"], NIL);
    w.is(&["SET", "k", "v"], OK);
    w.is(&["GETDEL", "k"], bulk("v"));
    w.is(&["EXISTS", "k"], ":0\r\n");
    w.is(&["GETDEL", "k"], NIL);
    w.is(&["SET", "e", ""], OK);
    w.is(&["GETDEL", "e"], bulk(""));
    w.is(&["EXISTS", "e"], ":0\r\n");
    w.is(&["SET", "t", "v", "EX", "100"], OK);
    w.is(&["GETDEL", "t"], bulk("v"));
    w.is(&["TTL", "t"], ":-2\r\n");
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["GETDEL", key], WRONGTYPE);
        w.is(&["EXISTS", key], ":1\r\n");
    }
    w.is(&["GETDEL"], arity("getdel"));
    w.is(&["GETDEL", "a", "b"], arity("getdel"));
}

#[test]
fn getex() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["GETEX", "missing"], NIL);
    w.is(&["GETEX", "missing", "EX", "10"], NIL);
    w.is(&["EXISTS", "missing"], ":0\r\n");

    w.is(&["SET", "k", "v", "EX", "100"], OK);
    // Without options GETEX is GET and leaves the TTL alone.
    w.is(&["GETEX", "k"], bulk("v"));
    let ttl = w.int(&["TTL", "k"]);
    w.check((99..=100).contains(&ttl), format!("TTL after plain GETEX is {ttl}"));
    w.is(&["GETEX", "k", "PERSIST"], bulk("v"));
    w.is(&["TTL", "k"], ":-1\r\n");
    w.is(&["GETEX", "k", "EX", "50"], bulk("v"));
    let ttl = w.int(&["TTL", "k"]);
    w.check((49..=50).contains(&ttl), format!("TTL after GETEX EX 50 is {ttl}"));
    w.is(&["GETEX", "k", "px", "20000"], bulk("v"));
    let pttl = w.int(&["PTTL", "k"]);
    w.check((19_000..=20_000).contains(&pttl), format!("PTTL after GETEX PX 20000 is {pttl}"));
    let at = now_secs() + 500;
    w.is(&["GETEX", "k", "EXAT", &at.to_string()], bulk("v"));
    w.is(&["EXPIRETIME", "k"], int(at));
    let pat = (now_secs() + 600) * 1000 + 7;
    w.is(&["GETEX", "k", "PXAT", &pat.to_string()], bulk("v"));
    w.is(&["PEXPIRETIME", "k"], int(pat));
    w.is(&["GETEX", "k", "persist"], bulk("v"));
    w.is(&["TTL", "k"], ":-1\r\n");
    w.is(&["GETEX", "k", "PERSIST", "PERSIST"], bulk("v"));

    // Errors leave the key as it was.
    w.is(&["GETEX", "k", "EX", "10", "PX", "10"], SYNTAX);
    w.is(&["GETEX", "k", "EX", "10", "PERSIST"], SYNTAX);
    w.is(&["GETEX", "k", "PERSIST", "EXAT", "10"], SYNTAX);
    w.is(&["GETEX", "k", "EX"], SYNTAX);
    w.is(&["GETEX", "k", "FOO"], SYNTAX);
    w.is(&["GETEX", "k", "KEEPTTL"], SYNTAX);
    w.is(&["GETEX", "missing", "FOO"], SYNTAX);
    w.is(&["GETEX", "k", "EX", "abc"], NOT_INT);
    let getex = bad_expire("getex");
    w.is(&["GETEX", "k", "EX", "0"], &getex);
    w.is(&["GETEX", "k", "EX", "-1"], &getex);
    w.is(&["GETEX", "k", "PX", "-1"], &getex);
    w.is(&["GETEX", "k", "EXAT", "0"], &getex);
    w.is(&["GETEX", "k", "PXAT", "0"], &getex);
    w.is(&["GETEX", "k", "EX", "9223372036854775807"], &getex);
    w.is(&["GETEX", "k", "PX", "9223372036854775807"], &getex);
    w.is(&["GETEX", "k", "EXAT", "9223372036854775807"], &getex);
    w.is(&["TTL", "k"], ":-1\r\n");
    w.is(&["GET", "k"], bulk("v"));

    // A time in the past answers the value and deletes the key.
    w.is(&["GETEX", "k", "PXAT", "1"], bulk("v"));
    w.is(&["EXISTS", "k"], ":0\r\n");

    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["GETEX", key], WRONGTYPE);
        w.is(&["GETEX", key, "EX", "10"], WRONGTYPE);
    }
    w.is(&["TTL", "list"], ":-1\r\n");
    w.is(&["GETEX"], arity("getex"));
}

#[test]
fn setnx() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SETNX", "k", "1"], ":1\r\n");
    w.is(&["SETNX", "k", "2"], ":0\r\n");
    w.is(&["GET", "k"], bulk("1"));
    w.is(&["SETNX", "e", ""], ":1\r\n");
    w.is(&["GET", "e"], bulk(""));
    make_other_types(&mut w);
    w.is(&["SETNX", "list", "v"], ":0\r\n");
    w.is(&["TYPE", "list"], "+list\r\n");
    w.is(&["SETNX"], arity("setnx"));
    w.is(&["SETNX", "k"], arity("setnx"));
    w.is(&["SETNX", "k", "v", "x"], arity("setnx"));
}

#[test]
fn setex_and_psetex() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SETEX", "s", "100", "v"], OK);
    w.is(&["GET", "s"], bulk("v"));
    let ttl = w.int(&["TTL", "s"]);
    w.check((99..=100).contains(&ttl), format!("TTL after SETEX 100 is {ttl}"));
    w.is(&["PSETEX", "p", "100000", "v"], OK);
    w.is(&["GET", "p"], bulk("v"));
    let pttl = w.int(&["PTTL", "p"]);
    w.check((90_000..=100_000).contains(&pttl), format!("PTTL after PSETEX is {pttl}"));
    // Both replace a value of another type.
    make_other_types(&mut w);
    w.is(&["SETEX", "list", "10", "v"], OK);
    w.is(&["TYPE", "list"], "+string\r\n");
    w.is(&["PSETEX", "hash", "10000", "v"], OK);
    w.is(&["TYPE", "hash"], "+string\r\n");

    w.is(&["SET", "k", "orig"], OK);
    let setex = bad_expire("setex");
    let psetex = bad_expire("psetex");
    for bad in ["0", "-1", "9223372036854775807"] {
        w.is(&["SETEX", "k", bad, "v"], &setex);
        w.is(&["PSETEX", "k", bad, "v"], &psetex);
    }
    w.is(&["SETEX", "k", "abc", "v"], NOT_INT);
    w.is(&["PSETEX", "k", "1.5", "v"], NOT_INT);
    w.is(&["GET", "k"], bulk("orig"));
    w.is(&["SETEX"], arity("setex"));
    w.is(&["SETEX", "k", "10"], arity("setex"));
    w.is(&["SETEX", "k", "10", "v", "x"], arity("setex"));
    w.is(&["PSETEX", "k", "10"], arity("psetex"));
    w.is(&["PSETEX", "k", "10", "v", "x"], arity("psetex"));
}

#[test]
fn mset_and_mget() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["MSET", "a", "1", "b", "2", "c", "3"], OK);
    w.is(&["MGET", "a", "b", "c", "d"], "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$-1\r\n");
    w.is(&["MGET", "a"], "*1\r\n$1\r\n1\r\n");
    w.is(&["MGET", "a", "a"], "*2\r\n$1\r\n1\r\n$1\r\n1\r\n");
    // A key given twice: the last value wins.
    w.is(&["MSET", "r", "1", "r", "2"], OK);
    w.is(&["GET", "r"], bulk("2"));
    // MSET clears TTLs and replaces other types.
    w.is(&["SET", "t", "v", "EX", "100"], OK);
    make_other_types(&mut w);
    w.is(&["MSET", "t", "x", "list", "y"], OK);
    w.is(&["TTL", "t"], ":-1\r\n");
    w.is(&["TYPE", "list"], "+string\r\n");
    // MGET answers nil for values of other types, never an error.
    w.is(&["MGET", "set", "a", "missing"], "*3\r\n$-1\r\n$1\r\n1\r\n$-1\r\n");

    w.is(&["MSET"], arity("mset"));
    w.is(&["MSET", "a"], arity("mset"));
    w.is(&["MSET", "a", "1", "b"], arity("mset"));
    w.is(&["MGET"], arity("mget"));
    w.is(&["GET", "b"], bulk("2"));
}

#[test]
fn msetnx() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["MSETNX", "a", "1", "b", "2"], ":1\r\n");
    w.is(&["MGET", "a", "b"], "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    // One existing key: nothing is set.
    w.is(&["MSETNX", "c", "3", "a", "9"], ":0\r\n");
    w.is(&["EXISTS", "c"], ":0\r\n");
    w.is(&["GET", "a"], bulk("1"));
    // A key given twice in one call: both are new, the last value wins.
    w.is(&["MSETNX", "q", "1", "q", "2"], ":1\r\n");
    w.is(&["GET", "q"], bulk("2"));
    // Keys of any type count as existing.
    make_other_types(&mut w);
    w.is(&["MSETNX", "d", "4", "zset", "v"], ":0\r\n");
    w.is(&["EXISTS", "d"], ":0\r\n");
    w.is(&["TYPE", "zset"], "+zset\r\n");
    w.is(&["MSETNX"], arity("msetnx"));
    w.is(&["MSETNX", "x"], arity("msetnx"));
    w.is(&["MSETNX", "x", "1", "y"], arity("msetnx"));
    w.is(&["EXISTS", "x"], ":0\r\n");
}

#[test]
fn append_and_strlen() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["STRLEN", "k"], ":0\r\n");
    w.is(&["APPEND", "k", "hello"], ":5\r\n");
    w.is(&["APPEND", "k", " world"], ":11\r\n");
    w.is(&["GET", "k"], bulk("hello world"));
    w.is(&["STRLEN", "k"], ":11\r\n");
    w.is(&["APPEND", "k", ""], ":11\r\n");
    // APPEND of nothing to a missing key still creates it, empty.
    w.is(&["APPEND", "e", ""], ":0\r\n");
    w.is(&["EXISTS", "e"], ":1\r\n");
    w.is(&["GET", "e"], bulk(""));
    // Appending to a number gives a longer string.
    w.is(&["SET", "n", "12345"], OK);
    w.is(&["INCR", "n"], ":12346\r\n");
    w.is(&["APPEND", "n", "7"], ":6\r\n");
    w.is(&["GET", "n"], bulk("123467"));
    w.is(&["STRLEN", "n"], ":6\r\n");
    w.is(&["INCR", "n"], ":123468\r\n");
    // APPEND keeps the TTL.
    w.is(&["SET", "t", "a", "EX", "100"], OK);
    w.is(&["APPEND", "t", "b"], ":2\r\n");
    let ttl = w.int(&["TTL", "t"]);
    w.check((99..=100).contains(&ttl), format!("TTL after APPEND is {ttl}"));
    // Binary data.
    w.is(&[b"APPEND".as_slice(), b"bin", b"\x00\r\n"], ":3\r\n");
    w.is(&[b"APPEND".as_slice(), b"bin", b"\xff"], ":4\r\n");
    w.is(&["GET", "bin"], bulk(b"\x00\r\n\xff"));
    w.is(&["STRLEN", "bin"], ":4\r\n");
    // STRLEN counts bytes, not characters.
    w.is(&["SET", "utf8", "h\u{e9}llo"], OK);
    w.is(&["STRLEN", "utf8"], ":6\r\n");

    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["APPEND", key, "x"], WRONGTYPE);
        w.is(&["STRLEN", key], WRONGTYPE);
    }
    w.is(&["APPEND"], arity("append"));
    w.is(&["APPEND", "k"], arity("append"));
    w.is(&["APPEND", "k", "a", "b"], arity("append"));
    w.is(&["STRLEN"], arity("strlen"));
    w.is(&["STRLEN", "a", "b"], arity("strlen"));
}

#[test]
fn getrange() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "s", "This is a string"], OK);
    let cases: &[(&str, &str, &str)] = &[
        ("0", "3", "This"),
        ("-3", "-1", "ing"),
        ("0", "-1", "This is a string"),
        ("10", "100", "string"),
        ("0", "0", "T"),
        ("-1", "-1", "g"),
        ("15", "15", "g"),
        ("-100", "2", "Thi"),
        // Redis 7.0 clamps a negative end below the start of the string to
        // 0, so this answers the first byte.
        ("-100", "-50", "T"),
        ("16", "20", ""),
        ("100", "200", ""),
        ("5", "2", ""),
        ("-1", "-5", ""),
        ("0", "9223372036854775807", "This is a string"),
        ("-9223372036854775808", "-1", "This is a string"),
    ];
    for (start, end, want) in cases {
        w.is(&["GETRANGE", "s", start, end], bulk(want));
    }
    // Missing key and empty value: empty string.
    w.is(&["GETRANGE", "missing", "0", "-1"], bulk(""));
    w.is(&["SET", "e", ""], OK);
    w.is(&["GETRANGE", "e", "0", "-1"], bulk(""));
    w.is(&["GETRANGE", "e", "0", "0"], bulk(""));
    w.is(&["GETRANGE", "e", "-1", "10"], bulk(""));
    // Ranges are in bytes.
    w.is(&[b"SET".as_slice(), b"bin", b"a\x00b\r\nc"], OK);
    w.is(&["GETRANGE", "bin", "1", "3"], bulk(b"\x00b\r"));
    // An integer value is ranged as its decimal text.
    w.is(&["SET", "n", "123456"], OK);
    w.is(&["INCR", "n"], ":123457\r\n");
    w.is(&["GETRANGE", "n", "1", "2"], bulk("23"));

    w.is(&["GETRANGE", "s", "a", "1"], NOT_INT);
    w.is(&["GETRANGE", "s", "0", "1.5"], NOT_INT);
    w.is(&["GETRANGE", "s", "0", "99999999999999999999"], NOT_INT);
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["GETRANGE", key, "0", "-1"], WRONGTYPE);
    }
    w.is(&["GETRANGE", "s", "0"], arity("getrange"));
    w.is(&["GETRANGE", "s"], arity("getrange"));
    w.is(&["GETRANGE", "s", "0", "1", "2"], arity("getrange"));
}

#[test]
fn setrange() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "s", "Hello World"], OK);
    w.is(&["SETRANGE", "s", "6", "Redis"], ":11\r\n");
    w.is(&["GET", "s"], bulk("Hello Redis"));
    w.is(&["SETRANGE", "s", "9", "LOWORLD"], ":16\r\n");
    w.is(&["GET", "s"], bulk("Hello RedLOWORLD"));
    // Writing past the end pads with zero bytes.
    w.is(&["SETRANGE", "pad", "3", "abc"], ":6\r\n");
    w.is(&["GET", "pad"], bulk(b"\x00\x00\x00abc"));
    w.is(&["SET", "short", "ab"], OK);
    w.is(&["SETRANGE", "short", "4", "z"], ":5\r\n");
    w.is(&["GET", "short"], bulk(b"ab\x00\x00z"));
    // An empty value changes nothing and creates nothing.
    w.is(&["SETRANGE", "s", "100", ""], ":16\r\n");
    w.is(&["STRLEN", "s"], ":16\r\n");
    w.is(&["SETRANGE", "none", "0", ""], ":0\r\n");
    w.is(&["SETRANGE", "none", "5", ""], ":0\r\n");
    w.is(&["EXISTS", "none"], ":0\r\n");
    // On an integer value.
    w.is(&["SET", "n", "1234"], OK);
    w.is(&["INCR", "n"], ":1235\r\n");
    w.is(&["SETRANGE", "n", "0", "9"], ":4\r\n");
    w.is(&["INCR", "n"], ":9236\r\n");
    // SETRANGE keeps the TTL.
    w.is(&["SET", "t", "abc", "EX", "100"], OK);
    w.is(&["SETRANGE", "t", "1", "X"], ":3\r\n");
    let ttl = w.int(&["TTL", "t"]);
    w.check((99..=100).contains(&ttl), format!("TTL after SETRANGE is {ttl}"));
    // Binary data.
    w.is(&[b"SETRANGE".as_slice(), b"t", b"0", b"\r\n\x00"], ":3\r\n");
    w.is(&["GET", "t"], bulk(b"\r\n\x00"));

    w.is(&["SETRANGE", "s", "-1", "x"], "-ERR offset is out of range\r\n");
    w.is(&["SETRANGE", "none", "-1", ""], "-ERR offset is out of range\r\n");
    let too_big = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    // 512 MiB is the limit: offset 536870912 plus one byte is over it.
    w.is(&["SETRANGE", "s", "536870912", "x"], too_big);
    w.is(&["SETRANGE", "none", "536870912", "x"], too_big);
    w.is(&["SETRANGE", "none", "9223372036854775807", "x"], too_big);
    w.is(&["SETRANGE", "s", "536870900", "this is more than 12"], too_big);
    w.is(&["EXISTS", "none"], ":0\r\n");
    w.is(&["STRLEN", "s"], ":16\r\n");
    w.is(&["SETRANGE", "s", "abc", "x"], NOT_INT);
    w.is(&["SETRANGE", "s", "1.0", "x"], NOT_INT);
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["SETRANGE", key, "0", "x"], WRONGTYPE);
    }
    w.is(&["SETRANGE", "s", "0"], arity("setrange"));
    w.is(&["SETRANGE", "s", "0", "a", "b"], arity("setrange"));
}

#[test]
fn incr_and_decr() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["INCR", "c"], ":1\r\n");
    w.is(&["INCR", "c"], ":2\r\n");
    w.is(&["GET", "c"], bulk("2"));
    w.is(&["DECR", "c"], ":1\r\n");
    w.is(&["DECR", "c"], ":0\r\n");
    w.is(&["DECR", "c"], ":-1\r\n");
    w.is(&["GET", "c"], bulk("-1"));
    w.is(&["DECR", "d"], ":-1\r\n");
    w.is(&["incr", "d"], ":0\r\n");
    w.is(&["SET", "s", "41"], OK);
    w.is(&["INCR", "s"], ":42\r\n");
    w.is(&["SET", "neg", "-5"], OK);
    w.is(&["INCR", "neg"], ":-4\r\n");
    // INCR keeps the TTL.
    w.is(&["SET", "t", "1", "EX", "100"], OK);
    w.is(&["INCR", "t"], ":2\r\n");
    let ttl = w.int(&["TTL", "t"]);
    w.check((99..=100).contains(&ttl), format!("TTL after INCR is {ttl}"));

    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["INCR", key], WRONGTYPE);
        w.is(&["DECR", key], WRONGTYPE);
    }
    w.is(&["INCR"], arity("incr"));
    w.is(&["INCR", "a", "b"], arity("incr"));
    w.is(&["DECR"], arity("decr"));
    w.is(&["DECR", "a", "b"], arity("decr"));
}

#[test]
fn incrby_and_decrby() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["INCRBY", "c", "10"], ":10\r\n");
    w.is(&["INCRBY", "c", "-25"], ":-15\r\n");
    w.is(&["DECRBY", "c", "5"], ":-20\r\n");
    w.is(&["DECRBY", "c", "-30"], ":10\r\n");
    w.is(&["INCRBY", "c", "0"], ":10\r\n");
    w.is(&["DECRBY", "new", "7"], ":-7\r\n");
    w.is(&["GET", "c"], bulk("10"));
    w.is(&["INCRBY", "big", "9223372036854775807"], ":9223372036854775807\r\n");
    w.is(&["INCRBY", "small", "-9223372036854775808"], ":-9223372036854775808\r\n");
    w.is(&["GET", "small"], bulk("-9223372036854775808"));

    // The increment must be a plain decimal integer.
    for bad in ["abc", "1.5", "", "+5", " 5", "5 ", "05", "-0", "0x10", "99999999999999999999"] {
        w.is(&["INCRBY", "c", bad], NOT_INT);
        w.is(&["DECRBY", "c", bad], NOT_INT);
    }
    w.is(&["GET", "c"], bulk("10"));

    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["INCRBY", key, "1"], WRONGTYPE);
        w.is(&["DECRBY", key, "1"], WRONGTYPE);
    }
    w.is(&["INCRBY", "c"], arity("incrby"));
    w.is(&["INCRBY", "c", "1", "2"], arity("incrby"));
    w.is(&["DECRBY", "c"], arity("decrby"));
    w.is(&["DECRBY"], arity("decrby"));
}

#[test]
fn counter_overflow() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "max", "9223372036854775807"], OK);
    w.is(&["INCR", "max"], OVERFLOW);
    w.is(&["INCRBY", "max", "1"], OVERFLOW);
    w.is(&["DECRBY", "max", "-1"], OVERFLOW);
    w.is(&["GET", "max"], bulk("9223372036854775807"));
    w.is(&["DECR", "max"], ":9223372036854775806\r\n");

    w.is(&["SET", "min", "-9223372036854775808"], OK);
    w.is(&["DECR", "min"], OVERFLOW);
    w.is(&["DECRBY", "min", "1"], OVERFLOW);
    w.is(&["INCRBY", "min", "-1"], OVERFLOW);
    w.is(&["GET", "min"], bulk("-9223372036854775808"));
    w.is(&["INCR", "min"], ":-9223372036854775807\r\n");

    w.is(&["SET", "mid", "5000000000000000000"], OK);
    w.is(&["INCRBY", "mid", "5000000000000000000"], OVERFLOW);
    w.is(&["INCRBY", "mid", "-9223372036854775808"], ":-4223372036854775808\r\n");
    // Negating i64::MIN for DECRBY has its own message.
    w.is(&["SET", "zero", "0"], OK);
    w.is(&["DECRBY", "zero", "-9223372036854775808"], "-ERR decrement would overflow\r\n");
    w.is(&["GET", "zero"], bulk("0"));
}

#[test]
fn counters_reject_values_that_are_not_integers() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let bad_values: &[&[u8]] = &[
        b"abc",
        b"",
        b" 1",
        b"1 ",
        b"01",
        b"00",
        b"+1",
        b"-0",
        b"1.0",
        b"1e3",
        b"0x10",
        b"9223372036854775808",
        b"-9223372036854775809",
        b"1\x00",
        b"\xff",
    ];
    for (i, value) in bad_values.iter().enumerate() {
        let key = format!("bad{i}");
        w.is(&[b"SET".as_slice(), key.as_bytes(), value], OK);
        w.is(&["INCR", &key], NOT_INT);
        w.is(&["DECR", &key], NOT_INT);
        w.is(&["INCRBY", &key, "1"], NOT_INT);
        w.is(&["DECRBY", &key, "1"], NOT_INT);
        w.is(&["GET", &key], bulk(value));
    }
    // The value "0" and negative values are fine.
    w.is(&["SET", "z", "0"], OK);
    w.is(&["INCR", "z"], ":1\r\n");
    w.is(&["SET", "z", "-10"], OK);
    w.is(&["DECRBY", "z", "-10"], ":0\r\n");
}

#[test]
fn incrbyfloat_replies() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["INCRBYFLOAT", "f", "10.5"], bulk("10.5"));
    w.is(&["GET", "f"], bulk("10.5"));
    w.is(&["INCRBYFLOAT", "f", "0.1"], bulk("10.6"));
    w.is(&["INCRBYFLOAT", "f", "-5"], bulk("5.6"));
    w.is(&["INCRBYFLOAT", "f", "-5.6"], bulk("0"));
    w.is(&["SET", "e", "5.0e3"], OK);
    w.is(&["INCRBYFLOAT", "e", "2.0e2"], bulk("5200"));
    w.is(&["INCRBYFLOAT", "e2", "5.0e3"], bulk("5000"));
    w.is(&["INCRBYFLOAT", "e3", "1E2"], bulk("100"));
    // An integer value and an integer increment still answer a bulk string.
    w.is(&["SET", "i", "10"], OK);
    w.is(&["INCRBYFLOAT", "i", "1.5"], bulk("11.5"));
    w.is(&["INCR", "i"], NOT_INT);
    w.is(&["INCRBYFLOAT", "n", "3"], bulk("3"));
    w.is(&["INCR", "n"], ":4\r\n");
    // 17 significant digits at most; trailing zeros are trimmed.
    w.is(&["INCRBYFLOAT", "p", "3.0000000000000000001"], bulk("3"));
    w.is(&["INCRBYFLOAT", "sum", "0.1"], bulk("0.1"));
    w.is(&["INCRBYFLOAT", "sum", "0.2"], bulk("0.3"));
    w.is(&["INCRBYFLOAT", "tiny", "1.5e-5"], bulk("0.000015"));
    w.is(&["INCRBYFLOAT", "tinier", "0.000001"], bulk("0.000001"));
    w.is(&["INCRBYFLOAT", "vanish", "1e-20"], bulk("0"));
    w.is(&["INCRBYFLOAT", "huge", "1e20"], bulk("100000000000000000000"));
    w.is(&["INCRBYFLOAT", "whole", "17179869184"], bulk("17179869184"));
    w.is(&["INCRBYFLOAT", "neg", "-1.5"], bulk("-1.5"));
    w.is(&["INCRBYFLOAT", "negzero", "-0"], bulk("0"));
    w.is(&["INCRBYFLOAT", "plus", "+1"], bulk("1"));
    w.is(&["INCRBYFLOAT", "dot", ".5"], bulk("0.5"));
    w.is(&["INCRBYFLOAT", "dot2", "5."], bulk("5"));
    w.is(&["SET", "sci", "1e2"], OK);
    w.is(&["INCRBYFLOAT", "sci", "0"], bulk("100"));
    // INCRBYFLOAT keeps the TTL.
    w.is(&["SET", "t", "1", "EX", "100"], OK);
    w.is(&["INCRBYFLOAT", "t", "0.5"], bulk("1.5"));
    let ttl = w.int(&["TTL", "t"]);
    w.check((99..=100).contains(&ttl), format!("TTL after INCRBYFLOAT is {ttl}"));
}

#[test]
fn incrbyfloat_errors() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "f", "1.5"], OK);
    for bad in ["abc", "", " 1", "1 ", "1.5abc", "nan", "NaN"] {
        w.is(&["INCRBYFLOAT", "f", bad], NOT_FLOAT);
    }
    let nan_or_inf = "-ERR increment would produce NaN or Infinity\r\n";
    w.is(&["INCRBYFLOAT", "f", "inf"], nan_or_inf);
    w.is(&["INCRBYFLOAT", "f", "-inf"], nan_or_inf);
    w.is(&["GET", "f"], bulk("1.5"));
    for (i, value) in ["abc", " 1.5", "1.5abc", "", "1.5 "].iter().enumerate() {
        let key = format!("s{i}");
        w.is(&["SET", &key, value], OK);
        w.is(&["INCRBYFLOAT", &key, "1"], NOT_FLOAT);
        w.is(&["GET", &key], bulk(value));
    }
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["INCRBYFLOAT", key, "1"], WRONGTYPE);
    }
    w.is(&["INCRBYFLOAT"], arity("incrbyfloat"));
    w.is(&["INCRBYFLOAT", "f"], arity("incrbyfloat"));
    w.is(&["INCRBYFLOAT", "f", "1", "2"], arity("incrbyfloat"));
}

/// Efis's own names for INCR and DECR.
#[test]
fn increment_and_decrement_aliases() {
    if common::is_redis() {
        return;
    }
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["INCREMENT", "c"], ":1\r\n");
    w.is(&["increment", "c"], ":2\r\n");
    w.is(&["DECREMENT", "c"], ":1\r\n");
    w.is(&["DECREMENT", "d"], ":-1\r\n");
    w.is(&["GET", "c"], bulk("1"));
    w.is(&["SET", "max", "9223372036854775807"], OK);
    w.is(&["INCREMENT", "max"], OVERFLOW);
    w.is(&["SET", "s", "abc"], OK);
    w.is(&["INCREMENT", "s"], NOT_INT);
    w.is(&["DECREMENT", "s"], NOT_INT);
    w.is(&["LPUSH", "list", "x"], ":1\r\n");
    w.is(&["INCREMENT", "list"], WRONGTYPE);
    w.is(&["DECREMENT", "list"], WRONGTYPE);
    // Arity errors name the command, by either of its names.
    for (args, names) in
        [(&["INCREMENT"][..], ["increment", "incr"]), (&["DECREMENT", "a", "b"][..], ["decrement", "decr"])]
    {
        let got = w.call(args);
        let ok = names.iter().any(|name| got == arity(name).as_bytes());
        w.check(ok, format!("{args:?} -> got \"{}\", want an arity error", show(&got)));
    }
}

#[test]
fn binary_safe_keys_and_values() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let key: &[u8] = b"k\x00ey\r\n\xff";
    let value: &[u8] = b"\x00\r\nvalue\r\n\x00\xfe*1\r\n";
    w.is(&[b"SET".as_slice(), key, value], OK);
    w.is(&[b"GET".as_slice(), key], bulk(value));
    w.is(&[b"STRLEN".as_slice(), key], int(value.len() as i64));
    // The key is not cut at the NUL byte or the CRLF.
    w.is(&["GET", "k"], NIL);
    w.is(&[b"GET".as_slice(), b"k\x00ey"], NIL);
    w.is(&[b"EXISTS".as_slice(), key], ":1\r\n");
    w.is(&[b"APPEND".as_slice(), key, b"\x00"], int(value.len() as i64 + 1));
    w.is(&[b"GETRANGE".as_slice(), key, b"0", b"2"], bulk(b"\x00\r\n"));
    w.is(&[b"MGET".as_slice(), key, b"k"], {
        let mut want = b"*2\r\n".to_vec();
        want.extend(bulk([value, b"\x00"].concat()));
        want.extend_from_slice(NIL.as_bytes());
        want
    });
    // Every byte value, in key and value.
    let all: Vec<u8> = (0..=255u8).collect();
    w.is(&[b"SET".as_slice(), &all, &all], OK);
    w.is(&[b"GET".as_slice(), &all], bulk(&all));
    w.is(&[b"GETDEL".as_slice(), &all], bulk(&all));
    w.is(&[b"EXISTS".as_slice(), &all], ":0\r\n");
    // A value that looks like a RESP reply is still one bulk string.
    w.is(&["SET", "resp", "+OK\r\n:1\r\n$-1\r\n"], OK);
    w.is(&["GET", "resp"], bulk("+OK\r\n:1\r\n$-1\r\n"));
}

#[test]
fn empty_key_and_empty_value() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "", "empty key"], OK);
    w.is(&["GET", ""], bulk("empty key"));
    w.is(&["EXISTS", ""], ":1\r\n");
    w.is(&["STRLEN", ""], ":9\r\n");
    w.is(&["SET", "ev", ""], OK);
    w.is(&["GET", "ev"], bulk(""));
    w.is(&["EXISTS", "ev"], ":1\r\n");
    w.is(&["STRLEN", "ev"], ":0\r\n");
    w.is(&["TYPE", "ev"], "+string\r\n");
    w.is(&["SET", "", ""], OK);
    w.is(&["GET", ""], bulk(""));
    w.is(&["MGET", "", "ev"], "*2\r\n$0\r\n\r\n$0\r\n\r\n");
    w.is(&["INCR", ""], NOT_INT);
    w.is(&["DEL", ""], ":1\r\n");
    w.is(&["INCR", ""], ":1\r\n");
    w.is(&["GET", ""], bulk("1"));
}

#[test]
fn one_megabyte_value() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let value: Vec<u8> = (0..1024 * 1024).map(|i: u32| (i % 251) as u8).collect();
    w.is(&[b"SET".as_slice(), b"big", &value], OK);
    w.is(&["STRLEN", "big"], ":1048576\r\n");
    w.is(&["GET", "big"], bulk(&value));
    w.is(&["GETRANGE", "big", "-3", "-1"], bulk(&value[value.len() - 3..]));
    w.is(&["APPEND", "big", "tail"], ":1048580\r\n");
    w.is(&["GETRANGE", "big", "1048575", "-1"], bulk([&value[1_048_575..], b"tail"].concat()));
    w.is(&["SETRANGE", "big", "2097151", "x"], ":2097152\r\n");
    w.is(&["STRLEN", "big"], ":2097152\r\n");
    w.is(&["GETRANGE", "big", "1048580", "1048583"], bulk(b"\x00\x00\x00\x00"));
}
