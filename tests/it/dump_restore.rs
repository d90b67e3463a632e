//! DUMP and RESTORE: payloads move both ways between the server under
//! test and redis-server 7.0 (every type, small and large encodings, a
//! stream with groups), RESTORE's options and errors in Redis's order,
//! and corrupt payloads (truncated, damaged, with the checksum made
//! right again) answered with an error, never a crash or a broken value.
//!
//! The cross checks start redis-server beside the server under test, so
//! they compare Efis with Redis in the default mode and Redis with itself
//! under `EFIS_TEST_SERVER=redis`.

use crate::common::wire::{self, int, Reply, Wire, NIL, NOT_INT, OK, SYNTAX};
use crate::common::{is_redis, Server};

/// CRC-64 (Jones, reflected), bit by bit: an independent check of the
/// payload footer.
fn crc64(bytes: &[u8]) -> u64 {
    let poly: u64 = 0x95ac_9329_ac4b_c9b5;
    let mut crc = 0u64;
    for &byte in bytes {
        crc ^= byte as u64;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ poly } else { crc >> 1 };
        }
    }
    crc
}

/// A payload with its checksum recomputed over `body` (value + version).
fn sealed(body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    out.extend_from_slice(&crc64(body).to_le_bytes());
    out
}

fn dump(w: &mut Wire, key: &str) -> Vec<u8> {
    match w.value(&["DUMP", key]) {
        Reply::Bulk(bytes) => bytes,
        other => panic!("DUMP {key}: {other:?}"),
    }
}

fn restore(w: &mut Wire, key: &str, payload: &[u8], extra: &[&str]) -> Vec<u8> {
    let mut args: Vec<&[u8]> = vec![b"RESTORE", key.as_bytes(), b"0", payload];
    args.extend(extra.iter().map(|a| a.as_bytes()));
    w.call(&args)
}

fn sorted(reply: Reply) -> Vec<String> {
    let Reply::Array(items) = reply else { panic!("not an array: {reply:?}") };
    let mut out: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    out.sort();
    out
}

fn pairs(reply: Reply) -> Vec<String> {
    let Reply::Array(items) = reply else { panic!("not an array: {reply:?}") };
    let mut out: Vec<String> = items.chunks(2).map(|p| format!("{:?}={:?}", p[0], p[1])).collect();
    out.sort();
    out
}

/// Everything a client can read of `key`, in a form that does not depend
/// on hash order.
pub fn describe(w: &mut Wire, key: &str) -> String {
    let kind = match w.value(&["TYPE", key]) {
        Reply::Simple(kind) => kind,
        other => panic!("TYPE {key}: {other:?}"),
    };
    let body = match kind.as_str() {
        "string" => format!("{:?}", w.value(&["GET", key])),
        "list" => format!("{:?}", w.value(&["LRANGE", key, "0", "-1"])),
        "set" => format!("{:?}", sorted(w.value(&["SMEMBERS", key]))),
        "zset" => format!("{:?}", w.value(&["ZRANGE", key, "0", "-1", "WITHSCORES"])),
        "hash" => format!("{:?}", pairs(w.value(&["HGETALL", key]))),
        "stream" => format!(
            "{:?} {:?} {:?} {:?}",
            w.value(&["XRANGE", key, "-", "+"]),
            w.value(&["XINFO", "GROUPS", key]),
            without_idle(w.value(&["XPENDING", key, "g1", "-", "+", "100"])),
            w.value(&["XINFO", "CONSUMERS", key, "g1"]).to_string_without_times(),
        ),
        other => panic!("unexpected type {other}"),
    };
    let encoding = format!("{:?}", w.value(&["OBJECT", "ENCODING", key]));
    // Error texts name the key: leave the name out.
    format!("{kind} {encoding}: {}", body.replace(key, "KEY"))
}

/// Extended XPENDING entries without their idle times.
fn without_idle(reply: Reply) -> Vec<String> {
    let Reply::Array(entries) = reply else { return vec![format!("{reply:?}")] };
    entries
        .iter()
        .map(|e| match e {
            Reply::Array(parts) => format!("{:?} {:?} {:?}", parts.first(), parts.get(1), parts.get(3)),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Fails with the first difference of two descriptions, not all of them.
#[track_caller]
pub fn same(actual: &str, expected: &str, what: &str) {
    if actual != expected {
        let at = actual.bytes().zip(expected.bytes()).take_while(|(a, b)| a == b).count();
        let start = at.saturating_sub(80);
        let end = |s: &str| (at + 200).min(s.len());
        panic!(
            "{what}: differs at byte {at}:\n  got  ...{}\n  want ...{}",
            &actual[start..end(actual)],
            &expected[start..end(expected)]
        );
    }
}

trait WithoutTimes {
    fn to_string_without_times(self) -> String;
}

impl WithoutTimes for Reply {
    /// A consumer list with its idle times left out.
    fn to_string_without_times(self) -> String {
        let Reply::Array(consumers) = self else { return format!("{self:?}") };
        let names: Vec<String> = consumers
            .iter()
            .map(|c| match c {
                Reply::Array(fields) => format!("{:?} {:?}", fields.get(1), fields.get(3)),
                other => format!("{other:?}"),
            })
            .collect();
        names.join(",")
    }
}

/// Keys of every type and encoding, as `(name, commands)`.
pub fn fixture() -> Vec<(String, Vec<Vec<String>>)> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    let mut keys: Vec<(String, Vec<Vec<String>>)> = vec![
        ("str-int".into(), vec![s(&["SET", "str-int", "-123456"])]),
        ("str-big-int".into(), vec![s(&["SET", "str-big-int", "9223372036854775807"])]),
        ("str-short".into(), vec![s(&["SET", "str-short", "hello\r\nworld\0"])]),
        ("str-long".into(), vec![s(&["SET", "str-long", &"compressible text ".repeat(200)])]),
        ("str-empty".into(), vec![s(&["SET", "str-empty", ""])]),
        ("list-small".into(), vec![s(&["RPUSH", "list-small", "a", "1", "-7", "", "99999999999"])]),
        ("set-ints".into(), vec![s(&["SADD", "set-ints", "1", "-2", "300000", "9000000000"])]),
        ("set-small".into(), vec![s(&["SADD", "set-small", "a", "b", "1"])]),
        ("zset-small".into(), vec![s(&["ZADD", "zset-small", "1.5", "a", "-inf", "b", "3", "c"])]),
        ("hash-small".into(), vec![s(&["HSET", "hash-small", "f", "v", "n", "12", "e", ""])]),
    ];
    let mut list = s(&["RPUSH", "list-big"]);
    let mut set = s(&["SADD", "set-big"]);
    let mut zset = s(&["ZADD", "zset-big"]);
    let mut hash = s(&["HSET", "hash-big"]);
    for i in 0..700 {
        list.push(format!("element {i} {}", "x".repeat(i % 90)));
        set.push(format!("member-{i}"));
        zset.push(format!("{}", i as f64 / 7.0));
        zset.push(format!("z{i}"));
        hash.push(format!("field-{i}"));
        hash.push(format!("value {}", "y".repeat(i % 100)));
    }
    list.push("long ".repeat(3000));
    keys.push(("list-big".into(), vec![list]));
    keys.push(("set-big".into(), vec![set]));
    keys.push(("zset-big".into(), vec![zset]));
    keys.push(("hash-big".into(), vec![hash]));
    let mut stream = vec![];
    for i in 1..=250 {
        let id = format!("{}-{}", 1000 + i / 3, i % 3);
        stream.push(if i % 50 == 0 {
            s(&["XADD", "stream", &id, "other", &i.to_string()])
        } else {
            s(&["XADD", "stream", &id, "a", &i.to_string(), "b", "text"])
        });
    }
    stream.push(s(&["XDEL", "stream", "1002-0"]));
    stream.push(s(&["XGROUP", "CREATE", "stream", "g1", "0"]));
    stream.push(s(&["XGROUP", "CREATE", "stream", "g2", "$"]));
    stream.push(s(&["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "stream", ">"]));
    stream.push(s(&["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "stream", ">"]));
    stream.push(s(&["XACK", "stream", "g1", "1001-0"]));
    stream.push(s(&["XGROUP", "CREATECONSUMER", "stream", "g1", "carol"]));
    keys.push(("stream".into(), stream));
    keys.push(("stream-empty".into(), vec![s(&["XADD", "stream-empty", "MAXLEN", "0", "5-5", "f", "v"])]));
    keys
}

pub fn load_fixture(w: &mut Wire) {
    for (_, commands) in fixture() {
        for command in commands {
            let reply = w.call(&command);
            assert!(!reply.starts_with(b"-"), "{command:?}: {}", wire::show(&reply));
        }
    }
}

#[test]
fn payloads_move_both_ways_with_redis() {
    let server = Server::start();
    let Some(reference) = Server::start_reference() else { return };
    let (mut ours, mut theirs) = (Wire::open(&server), Wire::open(&reference));
    load_fixture(&mut ours);
    load_fixture(&mut theirs);
    for (key, _) in fixture() {
        let original = describe(&mut theirs, &key);
        same(&describe(&mut ours, &key), &original, &format!("{key} built alike"));
        let copy = format!("copy:{key}");
        let payload = dump(&mut theirs, &key);
        assert_eq!(restore(&mut ours, &copy, &payload, &[]), OK.as_bytes(), "{key}: Redis's payload restored");
        same(&describe(&mut ours, &copy), &original, &format!("{key}: Redis's payload"));
        let payload = dump(&mut ours, &key);
        assert_eq!(restore(&mut theirs, &copy, &payload, &[]), OK.as_bytes(), "{key}: our payload restored by Redis");
        same(&describe(&mut theirs, &copy), &original, &format!("{key}: our payload in Redis"));
        // A payload survives a second round.
        let again = dump(&mut theirs, &copy);
        assert_eq!(restore(&mut ours, &key, &again, &["REPLACE"]), OK.as_bytes());
        same(&describe(&mut ours, &key), &original, &format!("{key}: twice"));
    }
}

#[test]
fn restore_options_and_errors() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["DUMP", "missing"], NIL);
    w.is(&["DUMP"], wire::arity("dump"));
    w.is(&["RESTORE", "k", "0"], wire::arity("restore"));
    w.is(&["SET", "src", "value"], OK);
    let payload = dump(&mut w, "src");
    let p = payload.as_slice();
    let call = |w: &mut Wire, args: &[&[u8]]| w.call(args);
    let busy = "-BUSYKEY Target key name already exists.\r\n";
    assert_eq!(call(&mut w, &[b"RESTORE", b"src", b"0", p]), busy.as_bytes());
    // Options are checked before the key, the key before the TTL, the TTL
    // before the payload.
    assert_eq!(call(&mut w, &[b"RESTORE", b"src", b"0", p, b"BOGUS"]), SYNTAX.as_bytes());
    assert_eq!(call(&mut w, &[b"RESTORE", b"src", b"x", b"junk"]), busy.as_bytes());
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"x", b"junk"]), NOT_INT.as_bytes());
    let bad_ttl = "-ERR Invalid TTL value, must be >= 0\r\n";
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"-1", b"junk"]), bad_ttl.as_bytes());
    let bad_payload = "-ERR DUMP payload version or checksum are wrong\r\n";
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"0", b"junk"]), bad_payload.as_bytes());
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"0", b""]), bad_payload.as_bytes());
    let idle = "-ERR Invalid IDLETIME value, must be >= 0\r\n";
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"0", p, b"IDLETIME", b"-1"]), idle.as_bytes());
    let freq = "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n";
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"0", p, b"FREQ", b"256"]), freq.as_bytes());
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"0", p, b"FREQ", b"1", b"IDLETIME", b"1"]), SYNTAX.as_bytes());
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"0", p, b"IDLETIME"]), SYNTAX.as_bytes());
    // A damaged checksum, a newer RDB version.
    let mut damaged = payload.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0xff;
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"0", &damaged]), bad_payload.as_bytes());
    let mut newer = payload[..payload.len() - 8].to_vec();
    let at = newer.len() - 2;
    newer[at] = 99;
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"0", &sealed(&newer)]), bad_payload.as_bytes());

    // TTLs: relative, absolute, already past.
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"100000", p]), OK.as_bytes());
    w.within(&["PTTL", "k"], 90_000..=100_000);
    w.is(&["GET", "k"], wire::bulk("value"));
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"4102444800000", p, b"ABSTTL", b"REPLACE"]), OK.as_bytes());
    w.is(&["PEXPIRETIME", "k"], int(4_102_444_800_000));
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"1", p, b"ABSTTL", b"REPLACE"]), OK.as_bytes());
    w.is(&["EXISTS", "k"], int(0));
    assert_eq!(call(&mut w, &[b"RESTORE", b"k", b"0", p, b"IDLETIME", b"1000"]), OK.as_bytes());
    w.within(&["OBJECT", "IDLETIME", "k"], 1000..=1002);
    w.is(&["TTL", "k"], int(-1));
    assert_eq!(call(&mut w, &[b"restore", b"k", b"0", p, b"replace", b"freq", b"7"]), OK.as_bytes());
    w.is(&["SET", "k", "other"], OK);
    w.is(&["DEL", "src"], int(1));
}

/// Payloads of packed forms, from the server under test.
fn packed_payloads(w: &mut Wire) -> Vec<Vec<u8>> {
    w.is(&["HSET", "h", "f1", "v1", "f2", "22"], int(2));
    w.is(&["RPUSH", "l", "a", "bb", "123", "-5"], int(4));
    w.is(&["SADD", "si", "1", "2", "3"], int(3));
    w.is(&["ZADD", "z", "1", "a", "2.5", "b"], int(2));
    w.is(&["XADD", "x", "1-1", "f", "v"], wire::bulk("1-1"));
    ["h", "l", "si", "z", "x"].iter().map(|k| dump(w, k)).collect()
}

#[test]
fn corrupt_payloads_get_an_error_never_a_broken_value() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    if is_redis() {
        w.is(&["CONFIG", "SET", "sanitize-dump-payload", "yes"], OK);
    }
    let bad_data = "-ERR Bad data format\r\n";
    for payload in packed_payloads(&mut w) {
        let body = &payload[..payload.len() - 10];
        let version = &payload[payload.len() - 10..payload.len() - 8];
        // Every truncation, with the footer made right again.
        for cut in 0..body.len() {
            let mut shorter = body[..cut].to_vec();
            shorter.extend_from_slice(version);
            let reply = restore(&mut w, "t", &sealed(&shorter), &["REPLACE"]);
            if is_redis() && reply == OK.as_bytes() {
                // Redis reads on into the footer and does not look for
                // trailing bytes, so it takes some truncations as a
                // different value; Efis refuses every one.
                let _ = describe(&mut w, "t");
                continue;
            }
            assert_eq!(reply, bad_data.as_bytes(), "cut at {cut} of {}", wire::show(body));
        }
        // Every byte changed, with the checksum made right: an error, or
        // a value that reads back whole and dumps again.
        for at in 0..body.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut changed = body.to_vec();
                changed[at] ^= flip;
                changed.extend_from_slice(version);
                let reply = restore(&mut w, "t", &sealed(&changed), &["REPLACE"]);
                if reply == OK.as_bytes() {
                    let again = dump(&mut w, "t");
                    assert_eq!(restore(&mut w, "t2", &again, &["REPLACE"]), OK.as_bytes(), "byte {at} ^ {flip}");
                    let _ = describe(&mut w, "t");
                } else {
                    assert!(reply.starts_with(b"-ERR "), "byte {at} ^ {flip}: {}", wire::show(&reply));
                }
            }
        }
        w.is(&["PING"], "+PONG\r\n");
    }
}

#[test]
fn restored_keys_survive_a_crash_and_a_snapshot() {
    // The reference runs without persistence (see `common`), as in the
    // durability tests.
    if is_redis() {
        return;
    }
    let mut server = Server::start();
    let mut w = Wire::open(&server);
    load_fixture(&mut w);
    let keys: Vec<String> = fixture().into_iter().map(|(key, _)| key).collect();
    let mut expected = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let payload = dump(&mut w, key);
        let copy = format!("restored:{key}");
        let ttl = if i % 2 == 0 { "0" } else { "5000000" };
        let mut args: Vec<&[u8]> = vec![b"RESTORE", copy.as_bytes(), ttl.as_bytes(), &payload];
        assert_eq!(w.call(&args), OK.as_bytes(), "{key}");
        args[1] = b"gone";
        args[2] = b"1";
        args.extend_from_slice(&[b"ABSTTL", b"REPLACE"]);
        w.is(&["SET", "gone", "x"], OK);
        assert_eq!(w.call(&args), OK.as_bytes(), "{key}: already expired");
        expected.push((copy.clone(), describe(&mut w, &copy), w.call(&["PEXPIRETIME", &copy])));
    }
    drop(w);
    server.crash_restart();
    let mut w = Wire::open(&server);
    w.is(&["EXISTS", "gone"], int(0));
    for (copy, description, expire) in &expected {
        same(&describe(&mut w, copy), description, &format!("{copy} after a crash"));
        assert_eq!(&w.call(&["PEXPIRETIME", copy]), expire, "{copy}");
    }
    w.is(&["SAVE"], OK);
    drop(w);
    server.crash_restart();
    let mut w = Wire::open(&server);
    for (copy, description, expire) in &expected {
        same(&describe(&mut w, copy), description, &format!("{copy} from a snapshot"));
        assert_eq!(&w.call(&["PEXPIRETIME", copy]), expire, "{copy}");
    }
}

/// A payload of RDB type `kind` with `body`, version 10, checksum right.
fn crafted(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(body);
    out.extend_from_slice(&[10, 0]);
    sealed(&out)
}

/// A listpack of `items`, as strings of under 64 bytes, with the count
/// field `count`.
fn listpack(items: &[&str], count: u16) -> Vec<u8> {
    let mut body = Vec::new();
    for item in items {
        body.push(0x80 | item.len() as u8);
        body.extend_from_slice(item.as_bytes());
        body.push(1 + item.len() as u8);
    }
    let mut out = ((6 + body.len() + 1) as u32).to_le_bytes().to_vec();
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&body);
    out.push(0xff);
    out
}

/// An RDB string of raw bytes (length under 64).
fn rdb_string(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![bytes.len() as u8];
    out.extend_from_slice(bytes);
    out
}

#[test]
fn crafted_corrupt_payloads_are_refused() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    if is_redis() {
        w.is(&["CONFIG", "SET", "sanitize-dump-payload", "yes"], OK);
    }
    let good_hash = [rdb_string(&listpack(&["f", "v"], 2))].concat();
    assert_eq!(restore(&mut w, "ok", &crafted(16, &good_hash), &[]), OK.as_bytes(), "the well-formed one");
    let intset = |values: &[i16]| {
        let mut blob = vec![2, 0, 0, 0, values.len() as u8, 0, 0, 0];
        for v in values {
            blob.extend_from_slice(&v.to_le_bytes());
        }
        rdb_string(&blob)
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("listpack count wrong", crafted(16, &rdb_string(&listpack(&["f", "v"], 3)))),
        ("hash listpack without a value", crafted(16, &rdb_string(&listpack(&["f", "v", "g"], 3)))),
        ("hash listpack duplicate field", crafted(16, &rdb_string(&listpack(&["f", "v", "f", "w"], 4)))),
        ("zset listpack without a score", crafted(17, &rdb_string(&listpack(&["m"], 1)))),
        ("intset unsorted", crafted(11, &intset(&[3, 1, 2]))),
        ("intset duplicate", crafted(11, &intset(&[1, 1]))),
        ("empty set", crafted(2, &[0])),
        ("set duplicate member", crafted(2, &[[2].as_slice(), &rdb_string(b"a"), &rdb_string(b"a")].concat())),
        ("empty hash", crafted(4, &[0])),
        (
            "hash duplicate field",
            crafted(
                4,
                &[[2].as_slice(), &rdb_string(b"f"), &rdb_string(b"1"), &rdb_string(b"f"), &rdb_string(b"2")].concat(),
            ),
        ),
        ("zset NaN score", crafted(5, &[[1].as_slice(), &rdb_string(b"m"), &f64::NAN.to_le_bytes()].concat())),
        ("quicklist container 3", crafted(18, &[[1, 3].as_slice(), &rdb_string(&listpack(&["a"], 1))].concat())),
        ("string longer than the payload", crafted(0, &[40, b'a', b'b'])),
        ("a list claiming more elements than bytes", crafted(1, &[0x80, 0, 0, 1, 0, 1, b'a'])),
        ("an unknown type", crafted(30, &[1, b'a'])),
        ("a module type", crafted(7, &[0, 0, 0, 0, 0, 0, 0, 0, 0])),
    ];
    for (what, payload) in cases {
        let reply = restore(&mut w, "bad", &payload, &["REPLACE"]);
        assert_eq!(reply, b"-ERR Bad data format\r\n", "{what}");
        w.is(&["EXISTS", "bad"], int(0));
    }
    w.is(&["HGETALL", "ok"], wire::bulks(&["f", "v"]));
}
