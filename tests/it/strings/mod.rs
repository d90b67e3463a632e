//! String commands: SET and its options, GET, GETSET, GETDEL, GETEX, SETNX,
//! SETEX, PSETEX, MSET, MSETNX, MGET, APPEND, STRLEN, GETRANGE, SETRANGE and
//! the counters INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT.
//!
//! Every expectation is the exact reply of Redis 7.0 on the wire; run with
//! `EFIS_TEST_SERVER=redis` to check them against the real redis-server.
//!
//! The helpers are here; the tests are in one file per theme: `set`
//! (SET, its options and GET), `set_variants` (GETSET, GETDEL, GETEX,
//! SETNX, SETEX, PSETEX, MSET, MSETNX, MGET), `append_and_ranges`,
//! `counters` and `binary_and_large` (binary, empty and big keys and values).

mod append_and_ranges;
mod binary_and_large;
mod counters;
mod set;
mod set_variants;

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
