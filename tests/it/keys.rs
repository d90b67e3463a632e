//! Keyspace commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RENAME,
//! RENAMENX, COPY, MOVE, RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, SELECT,
//! SWAPDB, OBJECT, TOUCH, and WRONGTYPE errors across the value types.
//!
//! Every expectation is the exact reply of Redis 7.0 on the wire; run with
//! `EFIS_TEST_SERVER=redis` to check them against the real redis-server.

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

#[test]
fn del() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["MSET", "a", "1", "b", "2", "c", "3"], OK);
    w.is(&["DEL", "a", "b", "missing"], ":2\r\n");
    w.is(&["EXISTS", "a", "b", "c"], ":1\r\n");
    w.is(&["DEL", "a"], ":0\r\n");
    // A key named twice is deleted (and counted) once.
    w.is(&["DEL", "c", "c"], ":1\r\n");
    w.is(&["DBSIZE"], ":0\r\n");
    // Every type.
    make_one_of_each(&mut w);
    w.is(&["DEL", "str", "list", "set", "zset", "hash"], ":5\r\n");
    w.is(&["DBSIZE"], ":0\r\n");
    // A deleted key with a TTL comes back without one.
    w.is(&["SET", "t", "v", "EX", "100"], OK);
    w.is(&["del", "t"], ":1\r\n");
    w.is(&["SET", "t", "v"], OK);
    w.is(&["TTL", "t"], ":-1\r\n");
    // Binary and empty keys.
    w.is(&[b"SET".as_slice(), b"\x00\r\n", b"v"], OK);
    w.is(&["SET", "", "v"], OK);
    w.is(&[b"DEL".as_slice(), b"\x00\r\n", b"", b"\x00"], ":2\r\n");
    w.is(&["DEL"], arity("del"));
}

/// Efis's own name for DEL.
#[test]
fn delete_alias() {
    if common::is_redis() {
        return;
    }
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["MSET", "a", "1", "b", "2"], OK);
    w.is(&["DELETE", "a", "b", "c"], ":2\r\n");
    w.is(&["delete", "a"], ":0\r\n");
    w.is(&["EXISTS", "a", "b"], ":0\r\n");
    let got = w.call(&["DELETE"]);
    let ok = got == arity("delete").as_bytes() || got == arity("del").as_bytes();
    w.check(ok, format!("DELETE -> got \"{}\", want an arity error", show(&got)));
}

#[test]
fn unlink() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_one_of_each(&mut w);
    w.is(&["UNLINK", "str", "list", "nope", "list"], ":2\r\n");
    w.is(&["EXISTS", "str", "list"], ":0\r\n");
    w.is(&["UNLINK", "set", "zset", "hash"], ":3\r\n");
    w.is(&["DBSIZE"], ":0\r\n");
    w.is(&["UNLINK", "nope"], ":0\r\n");
    w.is(&["UNLINK"], arity("unlink"));
}

#[test]
fn exists() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["EXISTS", "a"], ":0\r\n");
    w.is(&["SET", "a", "1"], OK);
    w.is(&["EXISTS", "a"], ":1\r\n");
    // Every mention counts, duplicates included.
    w.is(&["EXISTS", "a", "a", "a"], ":3\r\n");
    w.is(&["EXISTS", "a", "missing", "a"], ":2\r\n");
    make_one_of_each(&mut w);
    w.is(&["EXISTS", "str", "list", "set", "zset", "hash", "none"], ":5\r\n");
    // A list emptied by popping no longer exists.
    w.is(&["LPOP", "list", "2"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    w.is(&["EXISTS", "list"], ":0\r\n");
    // Keys are case-sensitive and binary.
    w.is(&["EXISTS", "A"], ":0\r\n");
    w.is(&[b"SET".as_slice(), b"a\x00", b"1"], OK);
    w.is(&[b"EXISTS".as_slice(), b"a\x00", b"a\x00\x00"], ":1\r\n");
    w.is(&["EXISTS"], arity("exists"));
}

#[test]
fn type_of_each_kind() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_one_of_each(&mut w);
    for (key, kind) in ALL_TYPES {
        w.is(&["TYPE", key], format!("+{kind}\r\n"));
    }
    w.is(&["TYPE", "missing"], "+none\r\n");
    // An integer-looking value is still a string.
    w.is(&["SET", "n", "12"], OK);
    w.is(&["INCR", "n"], ":13\r\n");
    w.is(&["type", "n"], "+string\r\n");
    // The type goes with the last element.
    w.is(&["SREM", "set", "a", "b"], ":2\r\n");
    w.is(&["TYPE", "set"], "+none\r\n");
    w.is(&["HDEL", "hash", "f"], ":1\r\n");
    w.is(&["TYPE", "hash"], "+none\r\n");
    w.is(&["ZREM", "zset", "a", "b"], ":2\r\n");
    w.is(&["TYPE", "zset"], "+none\r\n");
    w.is(&["TYPE"], arity("type"));
    w.is(&["TYPE", "a", "b"], arity("type"));
}

#[test]
fn keys_glob_patterns() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let names = [
        "hello", "hallo", "hxllo", "hllo", "heeeello", "Hello", "a*b", "axb", "a?b", "a\\b", "ab", "a[b", "a]", "x",
        "[", "]",
    ];
    for name in names {
        w.is(&["SET", name, "1"], OK);
    }
    w.same_set(&["KEYS", "*"], &names);
    let cases: &[(&str, &[&str])] = &[
        ("h?llo", &["hallo", "hello", "hxllo"]),
        ("h*llo", &["hallo", "heeeello", "hello", "hllo", "hxllo"]),
        ("h**llo", &["hallo", "heeeello", "hello", "hllo", "hxllo"]),
        ("*llo", &["Hello", "hallo", "heeeello", "hello", "hllo", "hxllo"]),
        ("h*", &["hallo", "heeeello", "hello", "hllo", "hxllo"]),
        ("H*", &["Hello"]),
        ("hello", &["hello"]),
        ("h[ae]llo", &["hallo", "hello"]),
        ("h[^e]llo", &["hallo", "hxllo"]),
        ("h[a-b]llo", &["hallo"]),
        ("h[a-z]llo", &["hallo", "hello", "hxllo"]),
        // A reversed range is taken as if written in order.
        ("h[z-x]llo", &["hxllo"]),
        ("[hH]ello", &["Hello", "hello"]),
        ("?", &["x", "[", "]"]),
        ("??", &["ab", "a]"]),
        ("a\\*b", &["a*b"]),
        ("a\\?b", &["a?b"]),
        ("a\\\\b", &["a\\b"]),
        ("a\\[b", &["a[b"]),
        ("a[\\[]b", &["a[b"]),
        ("a[*]b", &["a*b"]),
        ("\\x", &["x"]),
        ("\\[", &["["]),
        ("a]", &["a]"]),
        ("a*b", &["a*b", "a?b", "a[b", "a\\b", "ab", "axb"]),
        ("a?b", &["a*b", "a?b", "a[b", "a\\b", "axb"]),
        ("nomatch*", &[]),
        ("", &[]),
    ];
    for (pattern, want) in cases {
        w.same_set(&["KEYS", pattern], want);
    }
    w.is(&["KEYS"], arity("keys"));
    w.is(&["KEYS", "a", "b"], arity("keys"));
}

#[test]
fn keys_binary_and_pathological_patterns() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&[b"SET".as_slice(), b"bin\x00ary", b"1"], OK);
    w.is(&[b"SET".as_slice(), b"bin\r\nary", b"1"], OK);
    w.is(&["SET", "binary", "1"], OK);
    let got = w.set(&[b"KEYS".as_slice(), b"bin?ary"]);
    let want: BTreeSet<Vec<u8>> = [b"bin\x00ary".to_vec()].into_iter().collect();
    w.check(got == want, format!("KEYS bin?ary -> {got:?}"));
    let got = w.set(&[b"KEYS".as_slice(), b"bin\x00*"]);
    w.check(got == want, format!("KEYS bin\\x00* -> {got:?}"));
    w.same_set(&["KEYS", "bin*ary"], &["bin\x00ary", "bin\r\nary", "binary"]);
    // Many stars against a long key that almost matches: must answer (a
    // naive backtracking matcher would take exponential time).
    let long = "a".repeat(60);
    w.is(&["SET", &long, "1"], OK);
    let pattern = format!("{}b", "a*".repeat(30));
    w.same_set(&["KEYS", &pattern], &[]);
    let pattern = format!("{}a", "*a".repeat(30));
    w.same_set(&["KEYS", &pattern], &[&long]);
}

/// Iterates SCAN to cursor 0 and returns every key seen, asserting that the
/// call never errors and that the cursor is a decimal number.
fn scan_all(w: &mut Wire, extra: &[&str]) -> Vec<Vec<u8>> {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    for _ in 0..100_000 {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        let (next, keys) = w.scan(&args);
        w.check(next.parse::<u64>().is_ok(), format!("SCAN cursor {next:?} is not a decimal number"));
        seen.extend(keys);
        if next == "0" {
            return seen;
        }
        cursor = next;
    }
    w.check(false, "SCAN did not return to cursor 0".to_string());
    seen
}

#[test]
fn scan_iterates_every_key() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let (_, keys) = w.scan(&["SCAN", "0"]);
    w.check(keys.is_empty(), format!("SCAN of an empty db gave {keys:?}"));
    for i in 0..500 {
        w.is(&["SET", &format!("key:{i}"), "v"], OK);
    }
    let want: BTreeSet<Vec<u8>> = (0..500).map(|i| format!("key:{i}").into_bytes()).collect();
    for count in [&[][..], &["COUNT", "1"], &["COUNT", "7"], &["COUNT", "1000"], &["count", "100000"]] {
        let seen = scan_all(&mut w, count);
        let seen_set: BTreeSet<Vec<u8>> = seen.iter().cloned().collect();
        w.check(seen_set == want, format!("SCAN {count:?} saw {} distinct keys of 500", seen_set.len()));
    }
    // With COUNT larger than the keyspace a single call usually suffices, but
    // the contract is only "until cursor 0", so nothing more is asserted.
}

#[test]
fn scan_match_count_type() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    for i in 0..100 {
        w.is(&["SET", &format!("user:{i}"), "v"], OK);
        w.is(&["RPUSH", &format!("queue:{i}"), "x"], ":1\r\n");
    }
    w.is(&["SADD", "user:set", "m"], ":1\r\n");
    w.is(&["ZADD", "user:zset", "1", "m"], ":1\r\n");
    w.is(&["HSET", "user:hash", "f", "v"], ":1\r\n");

    let as_set = |keys: Vec<Vec<u8>>| -> BTreeSet<Vec<u8>> { keys.into_iter().collect() };
    let users: BTreeSet<Vec<u8>> = (0..100).map(|i| format!("user:{i}").into_bytes()).collect();
    let queues: BTreeSet<Vec<u8>> = (0..100).map(|i| format!("queue:{i}").into_bytes()).collect();

    let seen = as_set(scan_all(&mut w, &["MATCH", "user:[0-9]*"]));
    w.check(seen == users, format!("MATCH user:[0-9]* saw {} keys", seen.len()));
    let seen = as_set(scan_all(&mut w, &["MATCH", "queue:*", "COUNT", "5"]));
    w.check(seen == queues, format!("MATCH queue:* COUNT 5 saw {} keys", seen.len()));
    let seen = as_set(scan_all(&mut w, &["TYPE", "list"]));
    w.check(seen == queues, format!("TYPE list saw {} keys", seen.len()));
    let seen = as_set(scan_all(&mut w, &["type", "STRING", "count", "3"]));
    w.check(seen == users, format!("type STRING saw {} keys", seen.len()));
    for (kind, key) in [("set", "user:set"), ("zset", "user:zset"), ("hash", "user:hash")] {
        let seen = as_set(scan_all(&mut w, &["TYPE", kind]));
        let want: BTreeSet<Vec<u8>> = [key.as_bytes().to_vec()].into_iter().collect();
        w.check(seen == want, format!("TYPE {kind} saw {seen:?}"));
    }
    let seen = as_set(scan_all(&mut w, &["MATCH", "user:*", "TYPE", "hash", "COUNT", "10"]));
    w.check(seen.len() == 1, format!("MATCH user:* TYPE hash saw {seen:?}"));
    // An unknown type matches nothing; it is not an error in Redis 7.0.
    let seen = scan_all(&mut w, &["TYPE", "nosuchtype"]);
    w.check(seen.is_empty(), format!("TYPE nosuchtype saw {} keys", seen.len()));
    let seen = scan_all(&mut w, &["MATCH", "nothing*"]);
    w.check(seen.is_empty(), format!("MATCH nothing* saw {} keys", seen.len()));
    // The last MATCH wins.
    let seen = as_set(scan_all(&mut w, &["MATCH", "nothing*", "MATCH", "queue:*"]));
    w.check(seen == queues, format!("MATCH twice saw {} keys", seen.len()));
}

/// A whole `SCAN` with `COUNT count`, calling `between(w, step)` after each
/// call that did not end it (at most 10,001 times); returns the keys seen.
fn scan_changing(w: &mut Wire, count: &str, mut between: impl FnMut(&mut Wire, usize)) -> BTreeSet<Vec<u8>> {
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    let mut step = 0;
    loop {
        let (next, keys) = w.scan(&["SCAN", &cursor, "COUNT", count]);
        seen.extend(keys);
        if next == "0" || step > 10_000 {
            return seen;
        }
        cursor = next;
        between(w, step);
        step += 1;
    }
}

#[test]
fn scan_while_the_keyspace_changes() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let stable: BTreeSet<Vec<u8>> = (0..300).map(|i| format!("stable:{i}").into_bytes()).collect();
    for key in &stable {
        w.is(&[b"SET".as_slice(), key, b"v"], OK);
    }
    for i in 0..300 {
        w.is(&["SET", &format!("temp:{i}"), "v"], OK);
    }
    // Between SCAN calls, add new keys (growing the table) and delete
    // others: every key present for the whole iteration must be seen.
    let seen = scan_changing(&mut w, "10", |w, round| {
        for j in 0..20 {
            w.is(&["SET", &format!("new:{round}:{j}"), "v"], OK);
        }
        w.is(&["DEL", &format!("temp:{round}")], if round < 300 { ":1\r\n" } else { ":0\r\n" });
    });
    let missing: Vec<String> = stable.difference(&seen).map(|k| show(k)).collect();
    w.check(missing.is_empty(), format!("SCAN missed {} stable keys: {missing:?}", missing.len()));
    // Keys deleted before the scan started are never returned.
    w.is(&["FLUSHDB"], OK);
    w.is(&["SET", "only", "v"], OK);
    let seen = scan_all(&mut w, &[]);
    w.check(seen == vec![b"only".to_vec()], format!("after FLUSHDB SCAN saw {seen:?}"));
}

#[test]
fn scan_and_lookups_while_large_tables_resize() {
    // Tables above a few hundred slots grow and shrink a few slots at a
    // time, with keys in two slot arrays meanwhile: SCAN, EXISTS, DBSIZE
    // and SCARD must not notice.
    let server = Server::start();
    let mut w = Wire::open(&server);
    let names = |prefix: &str, range: std::ops::Range<usize>| -> Vec<String> {
        range.map(|i| format!("{prefix}:{i}")).collect()
    };
    let with_values = |keys: &[String]| -> Vec<String> {
        let mut args = vec!["MSET".to_string()];
        for key in keys {
            args.extend([key.clone(), "v".to_string()]);
        }
        args
    };
    let stable = names("stable", 0..5_000);
    for chunk in stable.chunks(500) {
        w.is(&with_values(chunk), OK);
    }
    // About 300 steps of 100 new keys: the keyspace grows past 30,000
    // keys, through several resizes, while the scan runs.
    let mut added = 0;
    let seen = scan_changing(&mut w, "50", |w, _| {
        w.is(&with_values(&names("grown", added..added + 100)), OK);
        w.is(&["SADD", "members", &format!("m{added}"), &format!("m{}", added + 1)], ":2\r\n");
        added += 100;
    });
    let missing = stable.iter().filter(|k| !seen.contains(k.as_bytes())).count();
    w.check(missing == 0, format!("SCAN missed {missing} of 5000 stable keys while {added} keys were added"));
    w.check(added > 20_000, format!("only {added} keys were added during the scan"));
    w.is(&["DBSIZE"], format!(":{}\r\n", 5_000 + added + 1));
    w.is(&["SCARD", "members"], format!(":{}\r\n", added / 50));
    let grown = names("grown", 0..added);
    for chunk in grown.chunks(500) {
        let mut exists = vec!["EXISTS".to_string()];
        exists.extend_from_slice(chunk);
        w.is(&exists, format!(":{}\r\n", chunk.len()));
    }
    // Shrinking: delete most keys again; the rest stay found.
    for chunk in grown.chunks(500) {
        let mut del = vec!["DEL".to_string()];
        del.extend(chunk.iter().skip(1).cloned());
        w.is(&del, format!(":{}\r\n", chunk.len() - 1));
    }
    let survivors: Vec<String> = grown.iter().step_by(500).cloned().chain(stable.iter().cloned()).collect();
    let mut exists = vec!["EXISTS".to_string()];
    exists.extend(survivors.iter().cloned());
    w.is(&exists, format!(":{}\r\n", survivors.len()));
    w.is(&["DBSIZE"], format!(":{}\r\n", survivors.len() + 1));
}

#[test]
fn scan_errors() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "a", "1"], OK);
    w.is(&["SCAN", "abc"], "-ERR invalid cursor\r\n");
    w.is(&["SCAN", "1.5"], "-ERR invalid cursor\r\n");
    w.is(&["SCAN", "18446744073709551616"], "-ERR invalid cursor\r\n");
    w.is(&["SCAN", "0", "COUNT", "0"], SYNTAX);
    w.is(&["SCAN", "0", "COUNT", "-1"], SYNTAX);
    w.is(&["SCAN", "0", "COUNT", "abc"], NOT_INT);
    w.is(&["SCAN", "0", "COUNT"], SYNTAX);
    w.is(&["SCAN", "0", "MATCH"], SYNTAX);
    w.is(&["SCAN", "0", "TYPE"], SYNTAX);
    w.is(&["SCAN", "0", "FOO"], SYNTAX);
    w.is(&["SCAN", "0", "MATCH", "*", "FOO", "1"], SYNTAX);
    w.is(&["SCAN"], arity("scan"));
    // A cursor of 0 with a big COUNT over a tiny db: everything at once.
    w.is(&["SCAN", "0", "COUNT", "1000"], "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
}

#[test]
fn rename() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "a", "1"], OK);
    w.is(&["RENAME", "a", "b"], OK);
    w.is(&["EXISTS", "a"], ":0\r\n");
    w.is(&["GET", "b"], bulk("1"));
    // Onto an existing key of another type: replaced.
    w.is(&["RPUSH", "l", "x", "y"], ":2\r\n");
    w.is(&["RENAME", "l", "b"], OK);
    w.is(&["TYPE", "b"], "+list\r\n");
    w.is(&["LRANGE", "b", "0", "-1"], "*2\r\n$1\r\nx\r\n$1\r\ny\r\n");
    // To itself: OK, nothing changes.
    w.is(&["RENAME", "b", "b"], OK);
    w.is(&["LLEN", "b"], ":2\r\n");
    w.is(&["RENAME", "missing", "x"], NO_SUCH_KEY);
    w.is(&["RENAME", "missing", "missing"], NO_SUCH_KEY);
    w.is(&["EXISTS", "x"], ":0\r\n");
    // The destination's TTL goes; the source's TTL comes along.
    w.is(&["SET", "plain", "v"], OK);
    w.is(&["SET", "timed", "v", "EX", "100"], OK);
    w.is(&["RENAME", "plain", "timed"], OK);
    w.is(&["TTL", "timed"], ":-1\r\n");
    w.is(&["SET", "src", "v", "EX", "100"], OK);
    w.is(&["RENAME", "src", "dst"], OK);
    let ttl = w.call(&["TTL", "dst"]);
    let ttl = parse_int(&ttl).unwrap_or(i64::MIN);
    w.check((98..=100).contains(&ttl), format!("TTL after RENAME is {ttl}"));
    // Binary and empty names.
    w.is(&[b"RENAME".as_slice(), b"dst", b"\x00\r\n"], OK);
    w.is(&[b"RENAME".as_slice(), b"\x00\r\n", b""], OK);
    w.is(&["GET", ""], bulk("v"));
    w.is(&["RENAME", "a"], arity("rename"));
    w.is(&["RENAME", "a", "b", "c"], arity("rename"));
}

#[test]
fn renamenx() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "a", "1"], OK);
    w.is(&["SET", "taken", "2"], OK);
    w.is(&["RENAMENX", "a", "taken"], ":0\r\n");
    w.is(&["GET", "a"], bulk("1"));
    w.is(&["GET", "taken"], bulk("2"));
    w.is(&["RENAMENX", "a", "free"], ":1\r\n");
    w.is(&["EXISTS", "a"], ":0\r\n");
    w.is(&["GET", "free"], bulk("1"));
    w.is(&["RENAMENX", "free", "free"], ":0\r\n");
    w.is(&["RENAMENX", "missing", "x"], NO_SUCH_KEY);
    w.is(&["RENAMENX", "missing", "taken"], NO_SUCH_KEY);
    w.is(&["SADD", "s", "m"], ":1\r\n");
    w.is(&["RENAMENX", "s", "s2"], ":1\r\n");
    w.is(&["TYPE", "s2"], "+set\r\n");
    w.is(&["RENAMENX", "s2", "taken"], ":0\r\n");
    w.is(&["RENAMENX", "a"], arity("renamenx"));
    w.is(&["RENAMENX", "a", "b", "c"], arity("renamenx"));
}

#[test]
fn copy() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "src", "v"], OK);
    w.is(&["COPY", "src", "dst"], ":1\r\n");
    w.is(&["GET", "dst"], bulk("v"));
    w.is(&["GET", "src"], bulk("v"));
    // An existing destination is kept unless REPLACE.
    w.is(&["SET", "src", "v2"], OK);
    w.is(&["COPY", "src", "dst"], ":0\r\n");
    w.is(&["GET", "dst"], bulk("v"));
    w.is(&["COPY", "src", "dst", "REPLACE"], ":1\r\n");
    w.is(&["GET", "dst"], bulk("v2"));
    w.is(&["COPY", "missing", "dst"], ":0\r\n");
    w.is(&["COPY", "missing", "dst", "REPLACE"], ":0\r\n");
    w.is(&["GET", "dst"], bulk("v2"));
    w.is(&["COPY", "src", "src"], SAME_OBJECT);
    w.is(&["COPY", "src", "src", "DB", "0"], SAME_OBJECT);
    // The copy is independent of the original, for every type.
    w.is(&["RPUSH", "list", "a", "b"], ":2\r\n");
    w.is(&["COPY", "list", "list2"], ":1\r\n");
    w.is(&["RPUSH", "list", "c"], ":3\r\n");
    w.is(&["LRANGE", "list2", "0", "-1"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    w.is(&["SADD", "set", "a"], ":1\r\n");
    w.is(&["COPY", "set", "set2"], ":1\r\n");
    w.is(&["SADD", "set2", "b"], ":1\r\n");
    w.is(&["SCARD", "set"], ":1\r\n");
    w.is(&["ZADD", "zset", "1", "a"], ":1\r\n");
    w.is(&["COPY", "zset", "zset2"], ":1\r\n");
    w.is(&["ZADD", "zset", "5", "a"], ":0\r\n");
    w.is(&["ZSCORE", "zset2", "a"], bulk("1"));
    w.is(&["HSET", "hash", "f", "v"], ":1\r\n");
    w.is(&["COPY", "hash", "hash2"], ":1\r\n");
    w.is(&["HSET", "hash2", "f", "w"], ":0\r\n");
    w.is(&["HGET", "hash", "f"], bulk("v"));
    // The TTL is copied too; REPLACE onto a timed key drops its TTL.
    w.is(&["SET", "timed", "v", "EX", "100"], OK);
    w.is(&["COPY", "timed", "timed2"], ":1\r\n");
    let ttl = parse_int(&w.call(&["TTL", "timed2"])).unwrap_or(i64::MIN);
    w.check((98..=100).contains(&ttl), format!("TTL of a copy is {ttl}"));
    w.is(&["COPY", "src", "timed2", "REPLACE"], ":1\r\n");
    w.is(&["TTL", "timed2"], ":-1\r\n");
    // DB option.
    w.is(&["COPY", "src", "other", "DB", "1"], ":1\r\n");
    w.is(&["COPY", "src", "other", "DB", "1"], ":0\r\n");
    w.is(&["COPY", "src", "other", "db", "1", "replace"], ":1\r\n");
    w.is(&["COPY", "src", "src", "DB", "2"], ":1\r\n");
    w.is(&["EXISTS", "other"], ":0\r\n");
    w.is(&["SELECT", "1"], OK);
    w.is(&["GET", "other"], bulk("v2"));
    w.is(&["SELECT", "2"], OK);
    w.is(&["GET", "src"], bulk("v2"));
    w.is(&["SELECT", "0"], OK);
    w.is(&["COPY", "src", "x", "DB", "16"], DB_RANGE);
    w.is(&["COPY", "src", "x", "DB", "-1"], DB_RANGE);
    w.is(&["COPY", "src", "x", "DB", "abc"], NOT_INT);
    w.is(&["COPY", "src", "x", "DB"], SYNTAX);
    w.is(&["COPY", "src", "x", "FOO"], SYNTAX);
    w.is(&["COPY", "src", "x", "REPLACE", "FOO"], SYNTAX);
    w.is(&["EXISTS", "x"], ":0\r\n");
    w.is(&["COPY", "src"], arity("copy"));
    w.is(&["COPY"], arity("copy"));
}

#[test]
fn move_between_databases() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "a", "v", "EX", "100"], OK);
    w.is(&["MOVE", "a", "1"], ":1\r\n");
    w.is(&["EXISTS", "a"], ":0\r\n");
    w.is(&["MOVE", "a", "1"], ":0\r\n");
    // The target already has the key: nothing moves.
    w.is(&["SET", "a", "other"], OK);
    w.is(&["MOVE", "a", "1"], ":0\r\n");
    w.is(&["GET", "a"], bulk("other"));
    w.is(&["MOVE", "missing", "1"], ":0\r\n");
    w.is(&["SELECT", "1"], OK);
    w.is(&["GET", "a"], bulk("v"));
    // The TTL moved with it.
    let ttl = parse_int(&w.call(&["TTL", "a"])).unwrap_or(i64::MIN);
    w.check((98..=100).contains(&ttl), format!("TTL after MOVE is {ttl}"));
    w.is(&["RPUSH", "l", "x"], ":1\r\n");
    w.is(&["MOVE", "l", "0"], ":1\r\n");
    w.is(&["MOVE", "a", "1"], SAME_OBJECT);
    w.is(&["SELECT", "0"], OK);
    w.is(&["TYPE", "l"], "+list\r\n");
    w.is(&["MOVE", "a", "16"], DB_RANGE);
    w.is(&["MOVE", "a", "-1"], DB_RANGE);
    w.is(&["MOVE", "a", "abc"], NOT_INT);
    w.is(&["MOVE", "a"], arity("move"));
    w.is(&["MOVE", "a", "1", "2"], arity("move"));
}

#[test]
fn randomkey() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RANDOMKEY"], NIL);
    w.is(&["SET", "only", "v"], OK);
    w.is(&["RANDOMKEY"], bulk("only"));
    w.is(&["EXISTS", "only"], ":1\r\n");
    w.is(&["MSET", "a", "1", "b", "2", "c", "3"], OK);
    w.is(&["RPUSH", "l", "x"], ":1\r\n");
    let all = ["only", "a", "b", "c", "l"];
    let mut seen = BTreeSet::new();
    for _ in 0..200 {
        let got = w.call(&["RANDOMKEY"]);
        let ok = all.iter().any(|k| got == bulk(k));
        w.check(ok, format!("RANDOMKEY -> \"{}\"", show(&got)));
        seen.insert(got);
    }
    w.check(seen.len() > 1, format!("200 RANDOMKEY calls all answered {seen:?}"));
    w.is(&["FLUSHDB"], OK);
    w.is(&["RANDOMKEY"], NIL);
    w.is(&["RANDOMKEY", "x"], arity("randomkey"));
}

#[test]
fn dbsize_flushdb_flushall() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["DBSIZE"], ":0\r\n");
    make_one_of_each(&mut w);
    w.is(&["DBSIZE"], ":5\r\n");
    w.is(&["SET", "str", "again"], OK);
    w.is(&["DBSIZE"], ":5\r\n");
    w.is(&["DEL", "str"], ":1\r\n");
    w.is(&["DBSIZE"], ":4\r\n");
    w.is(&["SELECT", "3"], OK);
    w.is(&["DBSIZE"], ":0\r\n");
    w.is(&["MSET", "x", "1", "y", "2"], OK);
    w.is(&["DBSIZE"], ":2\r\n");
    // FLUSHDB empties only the selected database.
    w.is(&["FLUSHDB"], OK);
    w.is(&["DBSIZE"], ":0\r\n");
    w.is(&["SELECT", "0"], OK);
    w.is(&["DBSIZE"], ":4\r\n");
    w.is(&["FLUSHDB", "SYNC"], OK);
    w.is(&["DBSIZE"], ":0\r\n");
    w.is(&["SET", "k", "v"], OK);
    w.is(&["FLUSHDB", "async"], OK);
    w.is(&["GET", "k"], NIL);
    // FLUSHALL empties every database.
    w.is(&["SET", "k", "v"], OK);
    w.is(&["SELECT", "5"], OK);
    w.is(&["SET", "k", "v"], OK);
    w.is(&["FLUSHALL"], OK);
    w.is(&["DBSIZE"], ":0\r\n");
    w.is(&["SELECT", "0"], OK);
    w.is(&["DBSIZE"], ":0\r\n");
    w.is(&["SET", "k", "v"], OK);
    w.is(&["FLUSHALL", "ASYNC"], OK);
    w.is(&["EXISTS", "k"], ":0\r\n");
    w.is(&["FLUSHALL", "SYNC"], OK);
    w.is(&["FLUSHDB", "FOO"], SYNTAX);
    w.is(&["FLUSHDB", "SYNC", "ASYNC"], SYNTAX);
    w.is(&["FLUSHALL", "FOO"], SYNTAX);
    w.is(&["DBSIZE", "x"], arity("dbsize"));
}

#[test]
fn select_isolates_databases() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut other = Wire::open(&server);
    w.is(&["SET", "k", "db0"], OK);
    w.is(&["SELECT", "1"], OK);
    w.is(&["GET", "k"], NIL);
    w.is(&["SET", "k", "db1"], OK);
    w.is(&["SELECT", "15"], OK);
    w.is(&["EXISTS", "k"], ":0\r\n");
    w.is(&["KEYS", "*"], "*0\r\n");
    w.is(&["select", "1"], OK);
    w.is(&["GET", "k"], bulk("db1"));
    // The selection belongs to the connection: another one stays in db 0.
    other.is(&["GET", "k"], bulk("db0"));
    other.is(&["DBSIZE"], ":1\r\n");
    // The same key name in two databases holds two types.
    other.is(&["DEL", "k"], ":1\r\n");
    other.is(&["RPUSH", "k", "x"], ":1\r\n");
    w.is(&["TYPE", "k"], "+string\r\n");
    other.is(&["TYPE", "k"], "+list\r\n");

    w.is(&["SELECT", "16"], DB_RANGE);
    w.is(&["SELECT", "-1"], DB_RANGE);
    w.is(&["SELECT", "abc"], NOT_INT);
    w.is(&["SELECT", "1.0"], NOT_INT);
    w.is(&["SELECT"], arity("select"));
    w.is(&["SELECT", "1", "2"], arity("select"));
    // A failed SELECT keeps the current database.
    w.is(&["GET", "k"], bulk("db1"));
    // A new connection starts in db 0.
    let mut third = Wire::open(&server);
    third.is(&["TYPE", "k"], "+list\r\n");
}

#[test]
fn swapdb() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut watcher = Wire::open(&server);
    w.is(&["SET", "k0", "zero"], OK);
    w.is(&["SET", "t", "v", "EX", "100"], OK);
    w.is(&["SELECT", "1"], OK);
    w.is(&["SET", "k1", "one"], OK);
    w.is(&["SWAPDB", "0", "1"], OK);
    // The connection in db 1 now sees what was in db 0.
    w.is(&["GET", "k0"], bulk("zero"));
    w.is(&["GET", "k1"], NIL);
    let ttl = parse_int(&w.call(&["TTL", "t"])).unwrap_or(i64::MIN);
    w.check((98..=100).contains(&ttl), format!("TTL after SWAPDB is {ttl}"));
    // And so does every other connection.
    watcher.is(&["GET", "k1"], bulk("one"));
    watcher.is(&["GET", "k0"], NIL);
    watcher.is(&["DBSIZE"], ":1\r\n");
    w.is(&["SWAPDB", "1", "0"], OK);
    watcher.is(&["GET", "k0"], bulk("zero"));
    w.is(&["SWAPDB", "0", "0"], OK);
    watcher.is(&["DBSIZE"], ":2\r\n");
    // With an empty database.
    w.is(&["SWAPDB", "0", "7"], OK);
    watcher.is(&["DBSIZE"], ":0\r\n");
    w.is(&["SWAPDB", "7", "0"], OK);
    watcher.is(&["DBSIZE"], ":2\r\n");

    w.is(&["SWAPDB", "0", "16"], DB_RANGE);
    w.is(&["SWAPDB", "-1", "0"], DB_RANGE);
    w.is(&["SWAPDB", "a", "1"], "-ERR invalid first DB index\r\n");
    w.is(&["SWAPDB", "0", "b"], "-ERR invalid second DB index\r\n");
    w.is(&["SWAPDB", "0"], arity("swapdb"));
    w.is(&["SWAPDB", "0", "1", "2"], arity("swapdb"));
}

#[test]
fn object_subcommands() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_one_of_each(&mut w);
    // Encodings are Efis's own business: only the reply type is fixed.
    for (key, _) in ALL_TYPES {
        let got = w.call(&["OBJECT", "ENCODING", key]);
        let ok = matches!(parse(&got), Some(Reply::Bulk(ref name)) if !name.is_empty());
        w.check(ok, format!("OBJECT ENCODING {key} -> \"{}\"", show(&got)));
        let got = w.call(&["object", "idletime", key]);
        w.check(parse_int(&got).is_some_and(|n| n >= 0), format!("OBJECT IDLETIME {key} -> \"{}\"", show(&got)));
        // FREQ is an integer, or, as in Redis without an LFU policy, this
        // error.
        let got = w.call(&["OBJECT", "FREQ", key]);
        let lfu = b"-ERR An LFU maxmemory policy is not selected";
        w.check(
            parse_int(&got).is_some_and(|n| n >= 0) || got.starts_with(lfu),
            format!("OBJECT FREQ {key} -> \"{}\"", show(&got)),
        );
    }
    for sub in ["ENCODING", "IDLETIME", "FREQ"] {
        w.is(&["OBJECT", sub, "missing"], NIL);
    }
    w.is(&["OBJECT", "FOO", "str"], "-ERR unknown subcommand 'FOO'. Try OBJECT HELP.\r\n");
    w.is(&["OBJECT"], arity("object"));
    w.is(&["OBJECT", "ENCODING"], arity("object|encoding"));
    w.is(&["OBJECT", "ENCODING", "a", "b"], arity("object|encoding"));
}

#[test]
fn touch() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "a", "1"], OK);
    w.is(&["RPUSH", "l", "x"], ":1\r\n");
    w.is(&["TOUCH", "a"], ":1\r\n");
    w.is(&["TOUCH", "a", "l", "missing"], ":2\r\n");
    w.is(&["TOUCH", "a", "a"], ":2\r\n");
    w.is(&["TOUCH", "missing"], ":0\r\n");
    // TOUCH changes neither value nor TTL.
    w.is(&["SET", "t", "v", "EX", "100"], OK);
    w.is(&["TOUCH", "t"], ":1\r\n");
    let ttl = parse_int(&w.call(&["TTL", "t"])).unwrap_or(i64::MIN);
    w.check((98..=100).contains(&ttl), format!("TTL after TOUCH is {ttl}"));
    w.is(&["GET", "a"], bulk("1"));
    w.is(&["TOUCH"], arity("touch"));
}

#[test]
fn wrong_type_errors() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_one_of_each(&mut w);
    // Commands of one type against keys of each other type.
    let by_type: &[(&str, &[&[&str]])] = &[
        (
            "str",
            &[
                &["GET", "KEY"],
                &["APPEND", "KEY", "x"],
                &["INCR", "KEY"],
                &["STRLEN", "KEY"],
                &["GETRANGE", "KEY", "0", "1"],
                &["SETRANGE", "KEY", "0", "x"],
                &["GETDEL", "KEY"],
                &["GETSET", "KEY", "x"],
            ],
        ),
        (
            "list",
            &[
                &["LPUSH", "KEY", "x"],
                &["RPUSH", "KEY", "x"],
                &["LLEN", "KEY"],
                &["LRANGE", "KEY", "0", "-1"],
                &["LPOP", "KEY"],
                &["LINDEX", "KEY", "0"],
            ],
        ),
        ("set", &[&["SADD", "KEY", "x"], &["SMEMBERS", "KEY"], &["SISMEMBER", "KEY", "x"], &["SCARD", "KEY"]]),
        (
            "zset",
            &[&["ZADD", "KEY", "1", "x"], &["ZRANGE", "KEY", "0", "-1"], &["ZSCORE", "KEY", "x"], &["ZCARD", "KEY"]],
        ),
        ("hash", &[&["HSET", "KEY", "f", "v"], &["HGET", "KEY", "f"], &["HGETALL", "KEY"], &["HLEN", "KEY"]]),
    ];
    for (own, commands) in by_type {
        for (key, _) in ALL_TYPES {
            if key == *own {
                continue;
            }
            for command in *commands {
                let args: Vec<&str> = command.iter().map(|a| if *a == "KEY" { key } else { a }).collect();
                w.is(&args, WRONGTYPE);
            }
        }
    }
    // None of those changed anything.
    for (key, kind) in ALL_TYPES {
        w.is(&["TYPE", key], format!("+{kind}\r\n"));
    }
    w.is(&["GET", "str"], bulk("v"));
    w.is(&["LRANGE", "list", "0", "-1"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    w.is(&["SCARD", "set"], ":2\r\n");
    w.is(&["ZCARD", "zset"], ":2\r\n");
    w.is(&["HLEN", "hash"], ":1\r\n");
    // Key-level commands work on every type.
    for (key, _) in ALL_TYPES {
        w.is(&["EXISTS", key], ":1\r\n");
        w.is(&["EXPIRE", key, "100"], ":1\r\n");
        w.is(&["PERSIST", key], ":1\r\n");
        w.is(&["TOUCH", key], ":1\r\n");
    }
}
