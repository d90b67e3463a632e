//! Set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP,
//! SRANDMEMBER, SMOVE, SINTER, SUNION, SDIFF, SINTERSTORE, SUNIONSTORE,
//! SDIFFSTORE, SINTERCARD and SSCAN.
//!
//! Every expectation is the exact reply of Redis 7.0 on the wire; run with
//! `EFIS_TEST_SERVER=redis` to check them against the real redis-server.
//! Replies whose order Redis leaves open (SMEMBERS, SINTER, SPOP with a
//! count...) are parsed and compared as sorted lists; their RESP type byte
//! is checked separately.

use std::collections::BTreeSet;

use crate::common::wire::{self, arity, bulk, int, Reply, Wire, EMPTY, NIL, SYNTAX, WRONGTYPE};
use crate::common::{is_redis, Server};

/// A string and a list, for the WRONGTYPE checks (the sorted-set tests
/// check sets against sorted sets and back).
fn make_other_types(w: &mut Wire) {
    w.is(&["SET", "string", "x"], "+OK\r\n");
    w.is(&["RPUSH", "list", "x"], int(1));
}

const OTHER_TYPES: [&str; 2] = ["string", "list"];

fn strings(items: &[&str]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = items.iter().map(|s| s.as_bytes().to_vec()).collect();
    out.sort();
    out
}

#[test]
fn sadd_srem_scard_sismember() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SADD", "s", "a", "b", "c"], int(3));
    // Members already present, and duplicates within one call, count once.
    w.is(&["SADD", "s", "a", "d", "d"], int(1));
    w.is(&["SCARD", "s"], int(4));
    w.is(&["SCARD", "missing"], int(0));
    w.is(&["SISMEMBER", "s", "a"], int(1));
    w.is(&["SISMEMBER", "s", "A"], int(0));
    w.is(&["SISMEMBER", "missing", "a"], int(0));
    w.is(&["SMISMEMBER", "s", "a", "zz", "b", "a"], "*4\r\n:1\r\n:0\r\n:1\r\n:1\r\n");
    w.is(&["SMISMEMBER", "missing", "a", "b"], "*2\r\n:0\r\n:0\r\n");
    w.is(&["SREM", "s", "a", "zz", "a"], int(1));
    w.is(&["SREM", "missing", "a"], int(0));
    w.is(&["SCARD", "s"], int(3));
    w.unordered(&["SMEMBERS", "s"], b'*', &["b", "c", "d"]);
    w.is(&["SMEMBERS", "missing"], EMPTY);
    // Command names and keys: names are case-insensitive, keys are not.
    w.is(&["sadd", "S", "x"], int(1));
    w.is(&["sCaRd", "S"], int(1));
    // Removing the last member deletes the key.
    w.is(&["SREM", "s", "b", "c", "d"], int(3));
    w.is(&["EXISTS", "s"], int(0));
    w.is(&["TYPE", "S"], "+set\r\n");
}

#[test]
fn resp3_reply_shapes() {
    let server = Server::start();
    let mut w = Wire::open_resp3(&server);
    w.is(&["SADD", "s", "a"], int(1));
    w.is(&["SADD", "t", "a", "b"], int(2));
    // Sets are RESP3 sets; SRANDMEMBER with a count may repeat, so it is
    // an array; missing keys are empty sets or nulls.
    w.is(&["SMEMBERS", "s"], "~1\r\n$1\r\na\r\n");
    w.is(&["SMEMBERS", "missing"], "~0\r\n");
    w.is(&["SINTER", "s", "t"], "~1\r\n$1\r\na\r\n");
    w.is(&["SUNION", "s"], "~1\r\n$1\r\na\r\n");
    w.is(&["SDIFF", "t", "s"], "~1\r\n$1\r\nb\r\n");
    w.is(&["SINTER", "missing", "s"], "~0\r\n");
    w.is(&["SRANDMEMBER", "s", "-2"], "*2\r\n$1\r\na\r\n$1\r\na\r\n");
    w.is(&["SRANDMEMBER", "s", "5"], "*1\r\n$1\r\na\r\n");
    w.is(&["SRANDMEMBER", "missing", "5"], EMPTY);
    w.is(&["SRANDMEMBER", "missing"], "_\r\n");
    w.is(&["SPOP", "missing"], "_\r\n");
    w.is(&["SPOP", "missing", "2"], "~0\r\n");
    w.is(&["SPOP", "s", "0"], "~0\r\n");
    w.is(&["SPOP", "s", "1"], "~1\r\n$1\r\na\r\n");
    w.unordered(&["SPOP", "t", "5"], b'~', &["a", "b"]);
    w.is(&["SMISMEMBER", "t", "a"], "*1\r\n:0\r\n");
    w.is(&["SSCAN", "missing", "0"], "*2\r\n$1\r\n0\r\n*0\r\n");
}

#[test]
fn spop() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SPOP", "missing"], NIL);
    w.is(&["SPOP", "missing", "3"], EMPTY);
    w.is(&["SADD", "s", "a", "b", "c", "d", "e"], int(5));
    let popped = w.value(&["SPOP", "s"]);
    let one = popped.bytes().to_vec();
    w.check(b"abcde".iter().any(|&c| one == [c]), format!("SPOP returned {popped:?}"));
    w.is(&["SISMEMBER", "s", &String::from_utf8_lossy(&one)], int(0));
    w.is(&["SCARD", "s"], int(4));
    // With a count: distinct members, removed.
    let popped = w.value(&["SPOP", "s", "2"]);
    let two: BTreeSet<Vec<u8>> = popped.items().iter().map(|r| r.bytes().to_vec()).collect();
    w.check(two.len() == 2 && !two.contains(&one), format!("SPOP s 2 returned {popped:?}"));
    w.is(&["SCARD", "s"], int(2));
    w.is(&["SPOP", "s", "0"], EMPTY);
    w.is(&["SCARD", "s"], int(2));
    // A count of at least the size pops everything and deletes the key,
    // however large the count.
    let rest = w.value(&["SPOP", "s", "9223372036854775807"]);
    w.check(rest.items().len() == 2, format!("SPOP of the rest returned {rest:?}"));
    w.is(&["EXISTS", "s"], int(0));
    // The last member popped without a count deletes the key too.
    w.is(&["SADD", "s", "x"], int(1));
    w.is(&["SPOP", "s"], bulk("x"));
    w.is(&["EXISTS", "s"], int(0));

    let positive = "-ERR value is out of range, must be positive\r\n";
    w.is(&["SADD", "s", "x"], int(1));
    w.is(&["SPOP", "s", "-1"], positive);
    w.is(&["SPOP", "s", "abc"], positive);
    w.is(&["SPOP", "s", "1.5"], positive);
    w.is(&["SPOP", "missing", "-1"], positive);
    w.is(&["SPOP", "s", "1", "2"], SYNTAX);
    w.is(&["SCARD", "s"], int(1));
}

#[test]
fn srandmember() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SRANDMEMBER", "missing"], NIL);
    for count in ["5", "-5", "0", "9223372036854775807", "-9223372036854775807"] {
        w.is(&["SRANDMEMBER", "missing", count], EMPTY);
    }
    let all = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    let mut args = vec!["SADD", "s"];
    args.extend(all);
    w.is(&args, int(10));
    let one = w.value(&["SRANDMEMBER", "s"]);
    w.check(all.iter().any(|m| one.bytes() == m.as_bytes()), format!("SRANDMEMBER returned {one:?}"));
    w.is(&["SRANDMEMBER", "s", "0"], EMPTY);
    // Positive counts: distinct members, at most the whole set.
    for count in [1usize, 3, 4, 9] {
        let reply = w.value(&["SRANDMEMBER", "s", &count.to_string()]);
        let distinct: BTreeSet<&[u8]> = reply.items().iter().map(Reply::bytes).collect();
        w.check(
            reply.items().len() == count
                && distinct.len() == count
                && distinct.iter().all(|m| all.contains(&&*String::from_utf8_lossy(m))),
            format!("SRANDMEMBER s {count} returned {reply:?}"),
        );
    }
    w.unordered(&["SRANDMEMBER", "s", "10"], b'*', &all);
    w.unordered(&["SRANDMEMBER", "s", "9223372036854775807"], b'*', &all);
    // Negative counts: exactly that many, repeats allowed.
    let reply = w.value(&["SRANDMEMBER", "s", "-25"]);
    w.check(
        reply.items().len() == 25 && reply.items().iter().all(|m| all.contains(&&*String::from_utf8_lossy(m.bytes()))),
        format!("SRANDMEMBER s -25 returned {reply:?}"),
    );
    // SRANDMEMBER never changes the set.
    w.is(&["SCARD", "s"], int(10));
    // Every member comes up eventually.
    let reply = w.value(&["SRANDMEMBER", "s", "-2000"]);
    let seen: BTreeSet<&[u8]> = reply.items().iter().map(Reply::bytes).collect();
    w.check(seen.len() == 10, format!("2000 draws saw only {} members", seen.len()));

    w.is(&["SRANDMEMBER", "s", "abc"], "-ERR value is not an integer or out of range\r\n");
    w.is(&["SRANDMEMBER", "s", "9223372036854775808"], "-ERR value is not an integer or out of range\r\n");
    w.is(
        &["SRANDMEMBER", "s", "-9223372036854775808"],
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
    );
    w.is(&["SRANDMEMBER", "s", "1", "2"], SYNTAX);
}

/// Redis builds the whole reply of a huge negative count in memory and
/// takes the machine down with it; Efis refuses counts beyond 2^24.
#[test]
fn srandmember_huge_negative_count_is_refused() {
    if is_redis() {
        return;
    }
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SADD", "s", "a"], int(1));
    let refused = "-ERR value is out of range, a negative count may ask for at most 16777216 members\r\n";
    w.is(&["SRANDMEMBER", "s", "-9223372036854775807"], refused);
    w.is(&["SRANDMEMBER", "s", "-16777217"], refused);
    w.is(&["SCARD", "s"], int(1));
}

#[test]
fn smove() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SADD", "src", "a", "b"], int(2));
    w.is(&["SMOVE", "src", "dst", "a"], int(1));
    w.unordered(&["SMEMBERS", "dst"], b'*', &["a"]);
    w.unordered(&["SMEMBERS", "src"], b'*', &["b"]);
    w.is(&["SMOVE", "src", "dst", "a"], int(0));
    w.is(&["SMOVE", "missing", "dst", "a"], int(0));
    // Moving a member the destination already has still removes it.
    w.is(&["SADD", "src", "a"], int(1));
    w.is(&["SMOVE", "src", "dst", "a"], int(1));
    w.is(&["SCARD", "dst"], int(1));
    // Source and destination the same: 1 if the member is there, no change.
    w.is(&["SMOVE", "src", "src", "b"], int(1));
    w.is(&["SMOVE", "src", "src", "zz"], int(0));
    w.is(&["SCARD", "src"], int(1));
    // Moving the last member deletes the source.
    w.is(&["SMOVE", "src", "dst", "b"], int(1));
    w.is(&["EXISTS", "src"], int(0));
    w.unordered(&["SMEMBERS", "dst"], b'*', &["a", "b"]);

    make_other_types(&mut w);
    w.is(&["SMOVE", "dst", "string", "a"], WRONGTYPE);
    w.is(&["SMOVE", "dst", "string", "nothing"], WRONGTYPE);
    w.is(&["SMOVE", "string", "dst", "a"], WRONGTYPE);
    // A missing source answers 0 before the destination's type is looked at.
    w.is(&["SMOVE", "missing", "string", "a"], int(0));
    w.is(&["SCARD", "dst"], int(2));
}

#[test]
fn sinter_sunion_sdiff() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SADD", "a", "1", "2", "3", "4"], int(4));
    w.is(&["SADD", "b", "3", "4", "5"], int(3));
    w.is(&["SADD", "c", "4", "5", "6"], int(3));
    w.unordered(&["SINTER", "a", "b"], b'*', &["3", "4"]);
    w.unordered(&["SINTER", "a", "b", "c"], b'*', &["4"]);
    w.unordered(&["SINTER", "a"], b'*', &["1", "2", "3", "4"]);
    w.unordered(&["SINTER", "a", "a"], b'*', &["1", "2", "3", "4"]);
    w.is(&["SINTER", "a", "missing"], EMPTY);
    w.unordered(&["SUNION", "a", "b", "c"], b'*', &["1", "2", "3", "4", "5", "6"]);
    w.unordered(&["SUNION", "a", "missing"], b'*', &["1", "2", "3", "4"]);
    w.is(&["SUNION", "missing"], EMPTY);
    w.unordered(&["SDIFF", "a", "b"], b'*', &["1", "2"]);
    w.unordered(&["SDIFF", "a", "b", "c"], b'*', &["1", "2"]);
    w.unordered(&["SDIFF", "c", "a"], b'*', &["5", "6"]);
    w.unordered(&["SDIFF", "a", "missing"], b'*', &["1", "2", "3", "4"]);
    w.is(&["SDIFF", "missing", "a"], EMPTY);
    w.is(&["SDIFF", "a", "a"], EMPTY);

    // Every key is type-checked, even after a missing one.
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        for command in ["SINTER", "SUNION", "SDIFF"] {
            w.is(&[command, "a", key], WRONGTYPE);
            w.is(&[command, "missing", key], WRONGTYPE);
            w.is(&[command, key], WRONGTYPE);
        }
    }
}

#[test]
fn store_variants() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SADD", "a", "1", "2", "3", "4"], int(4));
    w.is(&["SADD", "b", "3", "4", "5"], int(3));
    w.is(&["SINTERSTORE", "d", "a", "b"], int(2));
    w.unordered(&["SMEMBERS", "d"], b'*', &["3", "4"]);
    w.is(&["SUNIONSTORE", "d", "a", "b"], int(5));
    w.unordered(&["SMEMBERS", "d"], b'*', &["1", "2", "3", "4", "5"]);
    w.is(&["SDIFFSTORE", "d", "a", "b"], int(2));
    w.unordered(&["SMEMBERS", "d"], b'*', &["1", "2"]);
    // The destination may be one of the inputs.
    w.is(&["SINTERSTORE", "a", "a", "b"], int(2));
    w.unordered(&["SMEMBERS", "a"], b'*', &["3", "4"]);
    // An empty result deletes the destination.
    w.is(&["SINTERSTORE", "d", "a", "missing"], int(0));
    w.is(&["EXISTS", "d"], int(0));
    w.is(&["SDIFFSTORE", "d", "a", "a"], int(0));
    w.is(&["SUNIONSTORE", "d", "missing"], int(0));
    w.is(&["EXISTS", "d"], int(0));
    // The destination is replaced whatever its type, and loses its TTL.
    make_other_types(&mut w);
    w.is(&["EXPIRE", "string", "100"], int(1));
    w.is(&["SUNIONSTORE", "string", "a"], int(2));
    w.is(&["TYPE", "string"], "+set\r\n");
    w.is(&["TTL", "string"], int(-1));
    w.is(&["SINTERSTORE", "list", "missing"], int(0));
    w.is(&["EXISTS", "list"], int(0));
    // Source types are checked.
    w.is(&["RPUSH", "list", "x"], int(1));
    w.is(&["SINTERSTORE", "d", "a", "list"], WRONGTYPE);
    w.is(&["SUNIONSTORE", "d", "list"], WRONGTYPE);
    w.is(&["SDIFFSTORE", "d", "missing", "list"], WRONGTYPE);
}

#[test]
fn sintercard() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SADD", "a", "1", "2", "3", "4"], int(4));
    w.is(&["SADD", "b", "3", "4", "5"], int(3));
    w.is(&["SINTERCARD", "1", "a"], int(4));
    w.is(&["SINTERCARD", "2", "a", "b"], int(2));
    w.is(&["SINTERCARD", "2", "a", "b", "LIMIT", "1"], int(1));
    w.is(&["SINTERCARD", "2", "a", "b", "limit", "0"], int(2));
    w.is(&["SINTERCARD", "2", "a", "b", "LIMIT", "100"], int(2));
    w.is(&["SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "5"], int(2));
    w.is(&["SINTERCARD", "2", "a", "missing"], int(0));

    let numkeys = "-ERR numkeys should be greater than 0\r\n";
    w.is(&["SINTERCARD", "0", "a"], numkeys);
    w.is(&["SINTERCARD", "-1", "a"], numkeys);
    w.is(&["SINTERCARD", "abc", "a"], numkeys);
    w.is(&["SINTERCARD", "3", "a", "b"], "-ERR Number of keys can't be greater than number of args\r\n");
    let negative = "-ERR LIMIT can't be negative\r\n";
    w.is(&["SINTERCARD", "1", "a", "LIMIT", "-1"], negative);
    w.is(&["SINTERCARD", "1", "a", "LIMIT", "abc"], negative);
    w.is(&["SINTERCARD", "1", "a", "LIMIT"], SYNTAX);
    w.is(&["SINTERCARD", "1", "a", "FOO", "1"], SYNTAX);
    make_other_types(&mut w);
    w.is(&["SINTERCARD", "2", "missing", "string"], WRONGTYPE);
}

#[test]
fn sscan() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SSCAN", "missing", "0"], "*2\r\n$1\r\n0\r\n*0\r\n");
    // Options are only parsed for existing keys.
    w.is(&["SSCAN", "missing", "0", "COUNT", "0"], "*2\r\n$1\r\n0\r\n*0\r\n");
    let names: Vec<String> = (0..500).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD".to_string(), "s".to_string()];
    args.extend(names.iter().cloned());
    w.is(&args, int(500));
    let scan_all = |w: &mut Wire, extra: &[&str]| -> Vec<Vec<u8>> {
        let mut cursor = "0".to_string();
        let mut seen = Vec::new();
        for _ in 0..10_000 {
            let mut command = vec!["SSCAN", "s", cursor.as_str()];
            command.extend_from_slice(extra);
            let reply = w.value(&command);
            let parts = reply.items();
            assert_eq!(parts.len(), 2, "SSCAN reply {reply:?}");
            seen.extend(parts[1].items().iter().map(|m| m.bytes().to_vec()));
            cursor = String::from_utf8(parts[0].bytes().to_vec()).unwrap();
            if cursor == "0" {
                return seen;
            }
        }
        panic!("SSCAN did not finish");
    };
    let mut seen = scan_all(&mut w, &[]);
    seen.sort();
    seen.dedup();
    let mut want: Vec<Vec<u8>> = names.iter().map(|n| n.as_bytes().to_vec()).collect();
    want.sort();
    assert_eq!(seen, want);
    let mut matched = scan_all(&mut w, &["MATCH", "m1?", "COUNT", "7"]);
    matched.sort();
    matched.dedup();
    assert_eq!(matched, strings(&["m10", "m11", "m12", "m13", "m14", "m15", "m16", "m17", "m18", "m19"]));

    w.is(&["SSCAN", "s", "abc"], "-ERR invalid cursor\r\n");
    w.is(&["SSCAN", "s", "0", "COUNT", "0"], SYNTAX);
    w.is(&["SSCAN", "s", "0", "COUNT", "abc"], "-ERR value is not an integer or out of range\r\n");
    w.is(&["SSCAN", "s", "0", "MATCH"], SYNTAX);
    w.is(&["SSCAN", "s", "0", "TYPE", "set"], SYNTAX);
    make_other_types(&mut w);
    w.is(&["SSCAN", "string", "0"], WRONGTYPE);
}

/// Members present for a whole SSCAN are returned even while the set grows
/// and shrinks between calls.
#[test]
fn sscan_guarantee_under_changes() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut args = vec!["SADD".to_string(), "s".to_string()];
    args.extend((0..1000).map(|i| format!("stable{i}")));
    w.is(&args, int(1000));
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    let mut round = 0;
    loop {
        let reply = w.value(&["SSCAN", "s", cursor.as_str(), "COUNT", "20"]);
        seen.extend(reply.items()[1].items().iter().map(|m| m.bytes().to_vec()));
        cursor = String::from_utf8(reply.items()[0].bytes().to_vec()).unwrap();
        if cursor == "0" {
            break;
        }
        round += 1;
        if round % 2 == 0 {
            let mut grow = vec!["SADD".to_string(), "s".to_string()];
            grow.extend((0..300).map(|i| format!("extra{round}-{i}")));
            w.call(&grow);
        } else {
            let mut shrink = vec!["SREM".to_string(), "s".to_string()];
            shrink.extend((0..300).map(|i| format!("extra{}-{i}", round - 1)));
            w.call(&shrink);
        }
    }
    for i in 0..1000 {
        assert!(seen.contains(format!("stable{i}").as_bytes()), "stable{i} missed");
    }
}

#[test]
fn binary_members() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let odd: [&[u8]; 5] = [b"", b"\0", b"a\r\nb", b"\xff\xfe", b"\r\n*1\r\n$4\r\nPING\r\n"];
    let mut args: Vec<&[u8]> = vec![b"SADD", b"bin"];
    args.extend(odd);
    w.is(&args, int(5));
    for member in odd {
        w.is(&[&b"SISMEMBER"[..], b"bin", member], int(1));
    }
    w.is(&[&b"SISMEMBER"[..], b"bin", b"\0\0"], int(0));
    w.unordered(&["SMEMBERS", "bin"], b'*', &odd);
    w.is(&[&b"SMOVE"[..], b"bin", b"other", b"a\r\nb"], int(1));
    w.is(&["SMEMBERS", "other"], "*1\r\n$4\r\na\r\nb\r\n");
    w.is(&[&b"SREM"[..], b"bin", b"", b"\0"], int(2));
    w.unordered(&["SMEMBERS", "bin"], b'*', &[&b"\xff\xfe"[..], b"\r\n*1\r\n$4\r\nPING\r\n"]);
    // Binary keys too.
    w.is(&[&b"SADD"[..], b"k\0\r\n", b"v"], int(1));
    w.is(&[&b"SCARD"[..], b"k\0\r\n"], int(1));
    w.is(&["SCARD", "k"], int(0));
}

#[test]
fn hundred_thousand_members() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let names: Vec<String> = (0..100_000).map(|i| format!("member:{i:06}")).collect();
    let mut args = vec!["SADD".to_string(), "big".to_string()];
    args.extend(names.iter().cloned());
    w.is(&args, int(100_000));
    w.is(&args, int(0));
    w.is(&["SCARD", "big"], int(100_000));
    w.is(&["SISMEMBER", "big", "member:099999"], int(1));
    let all = w.value(&["SMEMBERS", "big"]);
    w.check(all.items().len() == 100_000, format!("SMEMBERS returned {} members", all.items().len()));
    // Half of them in a second set, and the algebra over both.
    let mut half = vec!["SADD".to_string(), "half".to_string()];
    half.extend(names.iter().step_by(2).cloned());
    w.is(&half, int(50_000));
    w.is(&["SINTERCARD", "2", "big", "half"], int(50_000));
    w.is(&["SDIFFSTORE", "odd", "big", "half"], int(50_000));
    w.is(&["SISMEMBER", "odd", "member:000001"], int(1));
    w.is(&["SISMEMBER", "odd", "member:000002"], int(0));
    w.is(&["SUNIONSTORE", "all", "odd", "half"], int(100_000));
    w.is(&["SINTERSTORE", "none", "odd", "half"], int(0));
    // Random picks and pops at this size.
    let picked = w.value(&["SRANDMEMBER", "big", "1000"]);
    let distinct: BTreeSet<&[u8]> = picked.items().iter().map(Reply::bytes).collect();
    w.check(distinct.len() == 1000, format!("SRANDMEMBER 1000 gave {} distinct", distinct.len()));
    let picked = w.value(&["SRANDMEMBER", "big", "90000"]);
    let distinct: BTreeSet<&[u8]> = picked.items().iter().map(Reply::bytes).collect();
    w.check(distinct.len() == 90_000, format!("SRANDMEMBER 90000 gave {} distinct", distinct.len()));
    let popped = w.value(&["SPOP", "big", "60000"]);
    w.check(popped.items().len() == 60_000, "SPOP 60000");
    w.is(&["SCARD", "big"], int(40_000));
    let mut rem = vec!["SREM".to_string(), "big".to_string()];
    rem.extend(names.iter().cloned());
    w.is(&rem, int(40_000));
    w.is(&["EXISTS", "big"], int(0));
}

#[test]
fn wrong_type() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        let commands: [&[&str]; 14] = [
            &["SADD", key, "a"],
            &["SREM", key, "a"],
            &["SMEMBERS", key],
            &["SISMEMBER", key, "a"],
            &["SMISMEMBER", key, "a"],
            &["SCARD", key],
            &["SPOP", key],
            &["SPOP", key, "0"],
            &["SRANDMEMBER", key],
            &["SRANDMEMBER", key, "0"],
            &["SINTERSTORE", "d", key],
            &["SINTERCARD", "1", key],
            &["SSCAN", key, "0"],
            &["SMOVE", key, "d", "a"],
        ];
        for command in commands {
            w.is(command, WRONGTYPE);
        }
    }
    w.is(&["GET", "string"], bulk("x"));
    w.is(&["LLEN", "list"], int(1));
}

#[test]
fn wrong_arity() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let cases: [(&str, &[&str]); 17] = [
        ("sadd", &["SADD", "s"]),
        ("srem", &["SREM", "s"]),
        ("smembers", &["SMEMBERS", "s", "t"]),
        ("sismember", &["SISMEMBER", "s"]),
        ("smismember", &["SMISMEMBER", "s"]),
        ("scard", &["SCARD"]),
        ("spop", &["SPOP"]),
        ("srandmember", &["SRANDMEMBER"]),
        ("smove", &["SMOVE", "a", "b"]),
        ("sinter", &["SINTER"]),
        ("sunion", &["SUNION"]),
        ("sdiff", &["SDIFF"]),
        ("sinterstore", &["SINTERSTORE", "d"]),
        ("sunionstore", &["SUNIONSTORE", "d"]),
        ("sdiffstore", &["SDIFFSTORE", "d"]),
        ("sintercard", &["SINTERCARD", "1"]),
        ("sscan", &["SSCAN", "s"]),
    ];
    for (name, command) in cases {
        w.is(command, arity(name));
    }
    w.is(&["SISMEMBER", "s", "a", "b"], arity("sismember"));
    w.is(&["SMOVE", "a", "b", "c", "d"], arity("smove"));
}

#[test]
fn keyspace_events() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut sub = wire::subscribe_key_events(&server, &mut w);
    let commands: [&[&str]; 20] = [
        &["SADD", "s", "a", "b", "c"],
        &["SADD", "s", "a"],
        &["SADD", "t", "a"],
        &["SMOVE", "s", "t", "a"],
        &["SREM", "s", "zz"],
        &["SADD", "s", "a"],
        &["SREM", "s", "a"],
        &["SMOVE", "s", "t", "b"],
        &["SMOVE", "s", "t", "c"],
        &["SPOP", "t", "0"],
        &["SPOP", "t", "1"],
        &["SADD", "u", "x"],
        &["SPOP", "u"],
        &["SADD", "u", "x", "y"],
        &["SINTERSTORE", "d", "u", "t"],
        &["SUNIONSTORE", "d", "u", "t"],
        &["SDIFFSTORE", "d", "u", "t"],
        &["SINTERSTORE", "d", "missing"],
        &["SINTERSTORE", "d", "missing"],
        &["SPOP", "u", "10"],
    ];
    for command in commands {
        w.call(command);
    }
    let want = [
        ("sadd", "s"),
        ("sadd", "t"),
        // The destination already had it: no sadd.
        ("srem", "s"),
        ("sadd", "s"),
        ("srem", "s"),
        ("srem", "s"),
        ("sadd", "t"),
        ("srem", "s"),
        ("del", "s"),
        ("sadd", "t"),
        ("spop", "t"),
        ("sadd", "u"),
        ("spop", "u"),
        ("del", "u"),
        ("sadd", "u"),
        ("sunionstore", "d"),
        ("sdiffstore", "d"),
        ("del", "d"),
        ("spop", "u"),
        ("del", "u"),
    ];
    let got = wire::events_until_marker(&mut w, &mut sub);
    let want: Vec<(String, String)> = want.iter().map(|(e, k)| (e.to_string(), k.to_string())).collect();
    assert_eq!(got, want);
}
