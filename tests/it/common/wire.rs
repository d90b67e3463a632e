//! Raw-socket checks shared by the command-family tests: a [`Wire`]
//! connection that compares exact reply bytes, builders for the expected
//! replies ([`bulk`], [`bulks`], [`int`]...), the common error lines, and a
//! small RESP2/RESP3 reader ([`parse`]) for replies whose order is not fixed.

use std::collections::BTreeSet;
use std::net::TcpStream;
use std::ops::RangeInclusive;
use std::panic::Location;
use std::time::Duration;

use super::{read_reply, roundtrip, Server};

pub const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
pub const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
pub const NOT_FLOAT: &str = "-ERR value is not a valid float\r\n";
pub const SYNTAX: &str = "-ERR syntax error\r\n";
pub const OK: &str = "+OK\r\n";
pub const NIL: &str = "$-1\r\n";
pub const NIL_ARRAY: &str = "*-1\r\n";
pub const EMPTY: &str = "*0\r\n";

/// How long a [`Wire`] waits for a reply: a guard against a hung reply
/// (an exponential glob, a lost reply), not a timing assertion.
const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// One raw connection. Each check compares the exact reply bytes and
/// remembers every mismatch; the test fails when the `Wire` is dropped,
/// listing them all, so one wrong reply does not hide the others.
pub struct Wire {
    stream: TcpStream,
    misses: Vec<String>,
}

impl Wire {
    pub fn open(server: &Server) -> Wire {
        let stream = server.raw();
        stream.set_read_timeout(Some(REPLY_TIMEOUT)).unwrap();
        Wire { stream, misses: Vec::new() }
    }

    /// A connection switched to RESP3 with `HELLO 3`.
    pub fn open_resp3(server: &Server) -> Wire {
        let mut wire = Wire::open(server);
        let hello = wire.call(&["HELLO", "3"]);
        assert!(hello.starts_with(b"%"), "HELLO 3 failed: {}", show(&hello));
        wire
    }

    /// Sends one command and returns the raw reply.
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        roundtrip(&mut self.stream, &encode(args))
    }

    /// Reads one more reply (a pushed message) without sending anything.
    pub fn read(&mut self) -> Reply {
        parse(&read_reply(&mut self.stream))
    }

    /// Reads one more reply (a pushed message) as raw bytes.
    pub fn read_raw(&mut self) -> Vec<u8> {
        read_reply(&mut self.stream)
    }

    /// Sends one command and returns the parsed reply.
    pub fn value<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        parse(&self.call(args))
    }

    /// Checks that the reply to `args` is exactly `want`.
    #[track_caller]
    pub fn is<A: AsRef<[u8]>>(&mut self, args: &[A], want: impl AsRef<[u8]>) {
        let got = self.call(args);
        if got != want.as_ref() {
            let what = format!("{} -> got \"{}\", want \"{}\"", show_args(args), show(&got), show(want.as_ref()));
            self.miss(what);
        }
    }

    /// Sends a command whose reply must be an integer and returns it
    /// (`i64::MIN`, with a miss recorded, when it is not one).
    #[track_caller]
    pub fn int<A: AsRef<[u8]>>(&mut self, args: &[A]) -> i64 {
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

    /// Checks that a command answers an integer within `range`.
    #[track_caller]
    pub fn within<A: AsRef<[u8]>>(&mut self, args: &[A], range: RangeInclusive<i64>) {
        let got = self.call(args);
        match parse_int(&got) {
            Some(n) if range.contains(&n) => {}
            _ => {
                let what = format!("{} -> got \"{}\", want an integer in {range:?}", show_args(args), show(&got));
                self.miss(what);
            }
        }
    }

    /// Sends a command whose reply must be an array of bulk strings and
    /// returns them sorted.
    #[track_caller]
    pub fn set<A: AsRef<[u8]>>(&mut self, args: &[A]) -> BTreeSet<Vec<u8>> {
        let got = self.call(args);
        match try_parse(&got).and_then(Reply::into_bulks) {
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
    pub fn same_set<A: AsRef<[u8]>>(&mut self, args: &[A], want: &[&str]) {
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

    /// Checks that `args` is answered with an aggregate of type `kind`
    /// (`b'*'` or `b'~'`) of bulk strings that, sorted, are `want`.
    #[track_caller]
    pub fn unordered<A: AsRef<[u8]>, B: AsRef<[u8]>>(&mut self, args: &[A], kind: u8, want: &[B]) {
        let raw = self.call(args);
        let mut want: Vec<Vec<u8>> = want.iter().map(|m| m.as_ref().to_vec()).collect();
        want.sort();
        let got = match parse(&raw) {
            Reply::Array(items) if raw[0] == kind => {
                let mut got: Vec<Vec<u8>> = items.iter().map(|i| i.bytes().to_vec()).collect();
                got.sort();
                Some(got)
            }
            _ => None,
        };
        if got.as_ref() != Some(&want) {
            let want: Vec<String> = want.iter().map(|m| show(m)).collect();
            let what = format!("{} -> got \"{}\", want {} of {want:?}", show_args(args), show(&raw), kind as char);
            self.miss(what);
        }
    }

    /// One SCAN call: the next cursor and the keys of this batch.
    #[track_caller]
    pub fn scan<A: AsRef<[u8]>>(&mut self, args: &[A]) -> (String, Vec<Vec<u8>>) {
        let got = self.call(args);
        let parsed = try_parse(&got).and_then(|reply| match reply {
            Reply::Array(mut parts) if parts.len() == 2 => {
                let keys = parts.pop()?.into_bulks()?;
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
    pub fn check(&mut self, ok: bool, what: impl Into<String>) {
        if !ok {
            self.miss(what.into());
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

/// A command as clients send it: a RESP array of bulk strings.
pub fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Bytes escaped for a message, cut after 300.
pub fn show(bytes: &[u8]) -> String {
    if bytes.len() > 300 {
        format!("{}... ({} bytes)", bytes[..300].escape_ascii(), bytes.len())
    } else {
        bytes.escape_ascii().to_string()
    }
}

/// A command for a message: its first 8 arguments and how many there are.
fn show_args<A: AsRef<[u8]>>(args: &[A]) -> String {
    let shown: Vec<String> = args.iter().take(8).map(|a| show(a.as_ref())).collect();
    let more = if args.len() > 8 { format!(" ... ({} arguments)", args.len()) } else { String::new() };
    shown.join(" ") + &more
}

/// The value of an integer reply, if `reply` is exactly one.
pub fn parse_int(reply: &[u8]) -> Option<i64> {
    let body = reply.strip_prefix(b":")?.strip_suffix(b"\r\n")?;
    std::str::from_utf8(body).ok()?.parse().ok()
}

/// The RESP bulk string reply for `value`.
pub fn bulk(value: impl AsRef<[u8]>) -> Vec<u8> {
    let value = value.as_ref();
    let mut out = format!("${}\r\n", value.len()).into_bytes();
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
    out
}

/// An array (`*`) of bulk strings.
pub fn bulks<A: AsRef<[u8]>>(items: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", items.len()).into_bytes();
    for item in items {
        out.extend_from_slice(&bulk(item));
    }
    out
}

/// An array whose elements are already encoded replies.
pub fn array<A: AsRef<[u8]>>(items: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", items.len()).into_bytes();
    for item in items {
        out.extend_from_slice(item.as_ref());
    }
    out
}

pub fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

/// A RESP3 double.
pub fn double(text: &str) -> String {
    format!(",{text}\r\n")
}

pub fn arity(command: &str) -> String {
    format!("-ERR wrong number of arguments for '{command}' command\r\n")
}

pub fn bad_expire(command: &str) -> String {
    format!("-ERR invalid expire time in '{command}' command\r\n")
}

/// A connection subscribed to every key event of database 0, after
/// enabling all notifications on `w` (Redis ships with them off).
pub fn subscribe_key_events(server: &Server, w: &mut Wire) -> Wire {
    w.is(&["CONFIG", "SET", "notify-keyspace-events", "KEA"], OK);
    let mut subscriber = Wire::open(server);
    subscriber.call(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    subscriber
}

/// Sets the key `marker` through `w` and returns the `(event, key)`
/// pairs `subscriber` received before the marker's `set` event: every
/// event the commands since the last call produced, in order.
pub fn events_until_marker(w: &mut Wire, subscriber: &mut Wire) -> Vec<(String, String)> {
    w.is(&["SET", "marker", "x"], OK);
    let mut events = Vec::new();
    loop {
        let message = subscriber.read();
        let parts = message.items();
        assert_eq!(parts.len(), 4, "not a pmessage: {message:?}");
        let channel = String::from_utf8_lossy(parts[2].bytes()).into_owned();
        let event = channel.trim_start_matches("__keyevent@0__:").to_string();
        let key = String::from_utf8_lossy(parts[3].bytes()).into_owned();
        if (event.as_str(), key.as_str()) == ("set", "marker") {
            return events;
        }
        events.push((event, key));
    }
}

/// A parsed reply. RESP3 doubles read as `Simple`, and sets (`~`) and
/// pushes (`>`) as `Array`; the raw bytes tell them apart.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reply {
    Int(i64),
    Bulk(Vec<u8>),
    Simple(String),
    Error(String),
    /// `$-1`
    Nil,
    /// `*-1`
    NilArray,
    /// RESP3 `_`
    Null,
    Array(Vec<Reply>),
    Map(Vec<(Reply, Reply)>),
}

impl Reply {
    /// The elements of an array reply (empty for anything else).
    pub fn items(&self) -> &[Reply] {
        match self {
            Reply::Array(items) => items,
            _ => &[],
        }
    }

    /// A bulk string's bytes (empty for anything else).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Reply::Bulk(b) => b,
            _ => &[],
        }
    }

    /// The strings of an array made only of bulk strings.
    pub fn into_bulks(self) -> Option<Vec<Vec<u8>>> {
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

/// Parses one complete RESP2/RESP3 reply; panics on anything else.
pub fn parse(bytes: &[u8]) -> Reply {
    try_parse(bytes).unwrap_or_else(|| panic!("not one complete reply: {}", show(bytes)))
}

/// Parses one complete RESP2/RESP3 reply; `None` for malformed bytes or
/// bytes after the reply.
pub fn try_parse(bytes: &[u8]) -> Option<Reply> {
    let mut at = 0;
    let reply = parse_at(bytes, &mut at)?;
    (at == bytes.len()).then_some(reply)
}

fn header<'a>(bytes: &'a [u8], at: &mut usize) -> Option<&'a str> {
    let rest = bytes.get(*at..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    *at += end + 2;
    std::str::from_utf8(&rest[..end]).ok()
}

fn parse_many(bytes: &[u8], at: &mut usize, count: i64) -> Option<Vec<Reply>> {
    (0..count).map(|_| parse_at(bytes, at)).collect()
}

fn parse_at(bytes: &[u8], at: &mut usize) -> Option<Reply> {
    let kind = *bytes.get(*at)?;
    *at += 1;
    let text = header(bytes, at)?;
    let number = || text.parse::<i64>().ok();
    let reply = match kind {
        b':' => Reply::Int(number()?),
        b'+' | b',' => Reply::Simple(text.to_string()),
        b'-' => Reply::Error(text.to_string()),
        b'_' => Reply::Null,
        b'$' if number()? < 0 => Reply::Nil,
        b'$' => {
            let len = usize::try_from(number()?).ok()?;
            let value = bytes.get(*at..*at + len)?.to_vec();
            if bytes.get(*at + len..*at + len + 2)? != b"\r\n" {
                return None;
            }
            *at += len + 2;
            Reply::Bulk(value)
        }
        b'*' if number()? < 0 => Reply::NilArray,
        b'*' | b'~' | b'>' => Reply::Array(parse_many(bytes, at, number()?)?),
        b'%' => {
            let mut flat = parse_many(bytes, at, number()?.checked_mul(2)?)?.into_iter();
            Reply::Map(std::iter::from_fn(|| Some((flat.next()?, flat.next()?))).collect())
        }
        _ => return None,
    };
    Some(reply)
}
