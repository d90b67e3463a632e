//! Keyspace commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RENAME,
//! RENAMENX, COPY, MOVE, RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, SELECT,
//! SWAPDB, OBJECT, TOUCH, and WRONGTYPE errors across the value types.
//!
//! Every expectation is the exact reply of Redis 7.0 on the wire; run with
//! `EFIS_TEST_SERVER=redis` to check them against the real redis-server.
//!
//! The helpers are here; the tests are in one file per theme:
//! `delete_and_find` (DEL, UNLINK, EXISTS, TYPE, KEYS), `scan`,
//! `rename_copy_move`, `databases` (RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL,
//! SELECT, SWAPDB) and `object_and_wrong_type` (OBJECT, TOUCH, WRONGTYPE).

mod databases;
mod delete_and_find;
mod object_and_wrong_type;
mod rename_copy_move;
mod scan;

use std::collections::BTreeSet;
use std::net::TcpStream;
use std::panic::Location;
use std::time::Duration;

use crate::common::{self, Server};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const NO_SUCH_KEY: &str = "-ERR no such key\r\n";
const SAME_OBJECT: &str = "-ERR source and destination objects are the same\r\n";
const DB_RANGE: &str = "-ERR DB index is out of range\r\n";
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
        let stream = server.raw();
        // A guard against a hung reply (an exponential glob, a lost reply),
        // not a timing assertion.
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Wire { stream, misses: Vec::new() }
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

    /// Sends a command whose reply must be an array of bulk strings and
    /// returns them sorted.
    #[track_caller]
    fn set<A: AsRef<[u8]>>(&mut self, args: &[A]) -> BTreeSet<Vec<u8>> {
        let got = self.call(args);
        match parse(&got).and_then(|reply| reply.bulks()) {
            Some(items) => items.into_iter().collect(),
            None => {
                let what = format!("{} -> got \"{}\", want an array of bulk strings", show_args(args), show(&got));
                self.miss(what);
                BTreeSet::new()
            }
        }
    }

    /// Checks that a command answers exactly this set of bulk strings, in
    /// any order.
    #[track_caller]
    fn same_set<A: AsRef<[u8]>>(&mut self, args: &[A], want: &[&str]) {
        let got = self.set(args);
        let want: BTreeSet<Vec<u8>> = want.iter().map(|s| s.as_bytes().to_vec()).collect();
        if got != want {
            let what = format!(
                "{} -> got {:?}, want {:?}",
                show_args(args),
                got.iter().map(|k| show(k)).collect::<Vec<_>>(),
                want.iter().map(|k| show(k)).collect::<Vec<_>>()
            );
            self.miss(what);
        }
    }

    /// One SCAN call: the next cursor and the keys of this batch.
    #[track_caller]
    fn scan<A: AsRef<[u8]>>(&mut self, args: &[A]) -> (String, Vec<Vec<u8>>) {
        let got = self.call(args);
        let parsed = parse(&got).and_then(|reply| match reply {
            Reply::Array(mut parts) if parts.len() == 2 => {
                let keys = parts.pop()?.bulks()?;
                match parts.pop()? {
                    Reply::Bulk(cursor) => Some((String::from_utf8(cursor).ok()?, keys)),
                    _ => None,
                }
            }
            _ => None,
        });
        match parsed {
            Some(result) => result,
            None => {
                let what = format!("{} -> got \"{}\", want [cursor, [keys...]]", show_args(args), show(&got));
                self.miss(what);
                ("0".to_string(), Vec::new())
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

/// Just enough of RESP2 to take apart array replies.
#[derive(Debug)]
enum Reply {
    Simple,
    Error,
    Int,
    Bulk(Vec<u8>),
    Nil,
    Array(Vec<Reply>),
}

impl Reply {
    fn bulks(self) -> Option<Vec<Vec<u8>>> {
        match self {
            Reply::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Reply::Bulk(bytes) => Some(bytes),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }
}

fn parse(bytes: &[u8]) -> Option<Reply> {
    let mut at = 0;
    let reply = parse_at(bytes, &mut at)?;
    (at == bytes.len()).then_some(reply)
}

fn parse_at(bytes: &[u8], at: &mut usize) -> Option<Reply> {
    let rest = bytes.get(*at..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    let line = &rest[1..end];
    let kind = *rest.first()?;
    *at += end + 2;
    let number = || -> Option<i64> { std::str::from_utf8(line).ok()?.parse().ok() };
    match kind {
        b'+' => Some(Reply::Simple),
        b'-' => Some(Reply::Error),
        b':' => number().map(|_| Reply::Int),
        b'$' => {
            let len = number()?;
            if len < 0 {
                return Some(Reply::Nil);
            }
            let len = usize::try_from(len).ok()?;
            let body = bytes.get(*at..*at + len)?.to_vec();
            if bytes.get(*at + len..*at + len + 2)? != b"\r\n" {
                return None;
            }
            *at += len + 2;
            Some(Reply::Bulk(body))
        }
        b'*' => {
            let len = number()?;
            if len < 0 {
                return Some(Reply::Nil);
            }
            let mut items = Vec::new();
            for _ in 0..len {
                items.push(parse_at(bytes, at)?);
            }
            Some(Reply::Array(items))
        }
        _ => None,
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
    if bytes.len() > 300 {
        format!("{}... ({} bytes)", bytes[..300].escape_ascii(), bytes.len())
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

fn bulk(value: impl AsRef<[u8]>) -> Vec<u8> {
    let value = value.as_ref();
    let mut out = format!("${}\r\n", value.len()).into_bytes();
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
    out
}

fn arity(command: &str) -> String {
    format!("-ERR wrong number of arguments for '{command}' command\r\n")
}

/// One key of each type: `str`, `list`, `set`, `zset`, `hash`.
fn make_one_of_each(w: &mut Wire) {
    w.is(&["SET", "str", "v"], OK);
    w.is(&["RPUSH", "list", "a", "b"], ":2\r\n");
    w.is(&["SADD", "set", "a", "b"], ":2\r\n");
    w.is(&["ZADD", "zset", "1", "a", "2", "b"], ":2\r\n");
    w.is(&["HSET", "hash", "f", "v"], ":1\r\n");
}

const ALL_TYPES: [(&str, &str); 5] =
    [("str", "string"), ("list", "list"), ("set", "set"), ("zset", "zset"), ("hash", "hash")];
