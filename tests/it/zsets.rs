//! Sorted-set commands: ZADD and its options, ZINCRBY, ZREM, ZCARD, ZSCORE,
//! ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT, the ZRANGE family
//! (ZRANGE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
//! ZREVRANGEBYLEX, ZRANGESTORE), ZPOPMIN, ZPOPMAX, ZMPOP, the ZREMRANGEBY*
//! commands, ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD,
//! ZRANDMEMBER and ZSCAN.
//!
//! Every expectation is the exact reply of Redis 7.0 on the wire; run with
//! `EFIS_TEST_SERVER=redis` to check them against the real redis-server.
//! Scores are printed as Redis 7.0 prints them (`%.17g`).

use std::collections::BTreeSet;

use crate::common::{is_redis, Server};
use crate::sets::wire::{
    arity, array, bulk, bulks, double, events_until_marker, int, subscribe_key_events, Reply, Wire, EMPTY, NIL,
    NOT_FLOAT, NOT_INT, SYNTAX, WRONGTYPE,
};

const NOT_FLOAT_RANGE: &str = "-ERR min or max is not a float\r\n";
const NOT_LEX_RANGE: &str = "-ERR min or max not valid string range item\r\n";
const POSITIVE: &str = "-ERR value is out of range, must be positive\r\n";

/// A string, a list and a set, for the WRONGTYPE checks.
fn make_other_types(w: &mut Wire) {
    w.is(&["SET", "string", "x"], "+OK\r\n");
    w.is(&["RPUSH", "list", "x"], int(1));
    w.is(&["SADD", "set", "x"], int(1));
}

/// `ZADD key` with `pairs` of score and member.
fn zadd(w: &mut Wire, key: &str, pairs: &[(&str, &str)]) {
    let mut args = vec!["ZADD", key];
    for (score, member) in pairs {
        args.push(score);
        args.push(member);
    }
    w.is(&args, int(pairs.len() as i64));
}

/// A RESP2 WITHSCORES reply: member, score, member, score...
fn scored(pairs: &[(&str, &str)]) -> Vec<u8> {
    let flat: Vec<&str> = pairs.iter().flat_map(|(m, s)| [*m, *s]).collect();
    bulks(&flat)
}

/// A RESP3 WITHSCORES reply: an array of [member, double] pairs.
fn scored3(pairs: &[(&str, &str)]) -> Vec<u8> {
    let items: Vec<Vec<u8>> = pairs.iter().map(|(m, s)| array(&[bulk(m), double(s).into_bytes()])).collect();
    array(&items)
}

#[test]
fn zadd_and_lookups() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["ZADD", "z", "1", "a", "2", "b", "3", "c"], int(3));
    // Updates are not counted without CH; the last of duplicates wins.
    w.is(&["ZADD", "z", "10", "a", "4", "d"], int(1));
    w.is(&["ZADD", "z", "1", "dup", "2", "dup", "5", "dup"], int(1));
    w.is(&["ZSCORE", "z", "dup"], bulk("5"));
    w.is(&["ZCARD", "z"], int(5));
    w.is(&["ZCARD", "missing"], int(0));
    w.is(&["ZSCORE", "z", "a"], bulk("10"));
    w.is(&["ZSCORE", "z", "nope"], NIL);
    w.is(&["ZSCORE", "missing", "a"], NIL);
    w.is(&["ZMSCORE", "z", "a", "nope", "b"], array(&[bulk("10"), NIL.as_bytes().to_vec(), bulk("2")]));
    w.is(&["ZMSCORE", "missing", "a", "b"], "*2\r\n$-1\r\n$-1\r\n");
    w.is(&["ZRANK", "z", "b"], int(0));
    w.is(&["ZRANK", "z", "a"], int(4));
    w.is(&["ZREVRANK", "z", "a"], int(0));
    w.is(&["ZREVRANK", "z", "b"], int(4));
    w.is(&["ZRANK", "z", "nope"], NIL);
    w.is(&["ZRANK", "missing", "a"], NIL);
    w.is(&["ZREVRANK", "missing", "a"], NIL);
    w.is(&["ZRANGE", "z", "0", "-1"], bulks(&["b", "c", "d", "dup", "a"]));
    // Scores accepted in every spelling strtod knows, infinities included.
    w.is(&["ZADD", "f", "+inf", "p", "-INF", "n", "Infinity", "q", "1e3", "e", ".5", "h", "-0.0", "zero"], int(6));
    w.is(
        &["ZRANGE", "f", "0", "-1", "WITHSCORES"],
        scored(&[("n", "-inf"), ("zero", "0"), ("h", "0.5"), ("e", "1000"), ("p", "inf"), ("q", "inf")]),
    );
}

#[test]
fn zadd_options() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    // XX never creates the key.
    w.is(&["ZADD", "z", "XX", "1", "a"], int(0));
    w.is(&["EXISTS", "z"], int(0));
    w.is(&["ZADD", "z", "XX", "INCR", "1", "a"], NIL);
    w.is(&["EXISTS", "z"], int(0));
    w.is(&["ZADD", "z", "NX", "1", "a"], int(1));
    w.is(&["ZADD", "z", "NX", "5", "a", "2", "b"], int(1));
    w.is(&["ZSCORE", "z", "a"], bulk("1"));
    w.is(&["ZADD", "z", "XX", "7", "a", "3", "c"], int(0));
    w.is(&["ZSCORE", "z", "a"], bulk("7"));
    w.is(&["ZSCORE", "z", "c"], NIL);
    // CH counts updated members too (not unchanged ones).
    w.is(&["ZADD", "z", "CH", "8", "a", "2", "b", "1", "c"], int(2));
    w.is(&["ZADD", "z", "ch", "ch", "8", "a"], int(0));
    // GT/LT: only updates in that direction; new members are still added.
    w.is(&["ZADD", "z", "GT", "CH", "5", "a", "3", "b", "1", "new"], int(2));
    w.is(&["ZRANGE", "z", "0", "-1", "WITHSCORES"], scored(&[("c", "1"), ("new", "1"), ("b", "3"), ("a", "8")]));
    w.is(&["ZADD", "z", "LT", "CH", "9", "a", "0", "b"], int(1));
    w.is(&["ZADD", "z", "XX", "GT", "CH", "10", "a", "0", "c", "1", "nope"], int(1));
    w.is(&["ZRANGE", "z", "0", "-1", "WITHSCORES"], scored(&[("b", "0"), ("c", "1"), ("new", "1"), ("a", "10")]));
    // Option keywords are case-insensitive and may repeat.
    w.is(&["ZADD", "z", "nx", "NX", "1", "other"], int(1));
    w.is(&["ZCARD", "z"], int(5));
}

#[test]
fn zadd_incr_and_zincrby() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["ZINCRBY", "z", "2.5", "a"], bulk("2.5"));
    w.is(&["ZINCRBY", "z", "-1", "a"], bulk("1.5"));
    w.is(&["ZADD", "z", "INCR", "1", "a"], bulk("2.5"));
    w.is(&["ZADD", "z", "INCR", "0", "a"], bulk("2.5"));
    // INCR answers nil when a condition says no.
    w.is(&["ZADD", "z", "NX", "INCR", "1", "a"], NIL);
    w.is(&["ZADD", "z", "XX", "INCR", "1", "nope"], NIL);
    w.is(&["ZADD", "z", "GT", "INCR", "-1", "a"], NIL);
    w.is(&["ZADD", "z", "LT", "INCR", "-1", "a"], bulk("1.5"));
    w.is(&["ZADD", "z", "GT", "INCR", "4", "fresh"], bulk("4"));
    w.is(&["ZADD", "z", "NX", "CH", "INCR", "1", "x"], bulk("1"));
    // Floating-point sums print like Redis's %.17g.
    w.is(&["ZINCRBY", "f", "0.1", "m"], bulk("0.10000000000000001"));
    w.is(&["ZINCRBY", "f", "0.2", "m"], bulk("0.30000000000000004"));
    // Infinities, and the NaN that inf + -inf would be.
    w.is(&["ZINCRBY", "z", "inf", "a"], bulk("inf"));
    w.is(&["ZINCRBY", "z", "-inf", "a"], "-ERR resulting score is not a number (NaN)\r\n");
    w.is(&["ZADD", "z", "INCR", "-inf", "a"], "-ERR resulting score is not a number (NaN)\r\n");
    w.is(&["ZSCORE", "z", "a"], bulk("inf"));
    w.is(&["ZINCRBY", "z", "abc", "a"], NOT_FLOAT);
    w.is(&["ZINCRBY", "z", "nan", "a"], NOT_FLOAT);
    // ZINCRBY reads options like ZADD does, so an option word leaves an
    // odd score/member list.
    w.is(&["ZINCRBY", "z", "nx", "a"], SYNTAX);
    w.is(&["ZINCRBY", "z", "incr", "5"], SYNTAX);
    w.is(&["ZINCRBY", "z", "1"], arity("zincrby"));
}

#[test]
fn zadd_errors() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["ZADD", "z"], arity("zadd"));
    w.is(&["ZADD", "z", "1"], arity("zadd"));
    w.is(&["ZADD", "z", "NX", "1"], SYNTAX);
    w.is(&["ZADD", "z", "1", "a", "2"], SYNTAX);
    w.is(&["ZADD", "z", "1", "a", "INCR"], SYNTAX);
    w.is(&["ZADD", "z", "FOO", "1", "a"], SYNTAX);
    w.is(&["ZADD", "z", "INCR", "1"], SYNTAX);
    w.is(&["ZADD", "z", "XX", "NX", "1", "a"], "-ERR XX and NX options at the same time are not compatible\r\n");
    let gt_lt = "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n";
    w.is(&["ZADD", "z", "GT", "LT", "1", "a"], gt_lt);
    w.is(&["ZADD", "z", "GT", "NX", "1", "a"], gt_lt);
    w.is(&["ZADD", "z", "LT", "NX", "1", "a"], gt_lt);
    w.is(&["ZADD", "z", "INCR", "1", "a", "2", "b"], "-ERR INCR option supports a single increment-element pair\r\n");
    for bad in ["abc", "nan", "NaN", "-nan", "", " 1", "1 ", "1.0.0", "1e400", "-1e400", "1e-400", "1,5"] {
        w.is(&["ZADD", "z", bad, "a"], NOT_FLOAT);
    }
    // Nothing is added when any score is bad.
    w.is(&["ZADD", "z", "1", "a", "abc", "b"], NOT_FLOAT);
    w.is(&["EXISTS", "z"], int(0));
    // Score errors come before the type check.
    make_other_types(&mut w);
    w.is(&["ZADD", "string", "abc", "a"], NOT_FLOAT);
    w.is(&["ZADD", "string", "1", "a"], WRONGTYPE);
}

#[test]
fn score_formatting() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut r3 = Wire::open_resp3(&server);
    let cases = [
        ("0.1", "0.10000000000000001"),
        ("1.5", "1.5"),
        ("-2", "-2"),
        ("1e20", "1e+20"),
        ("1.5e-7", "1.4999999999999999e-07"),
        ("123456789.123", "123456789.123"),
        ("3.0000000000000004", "3.0000000000000004"),
        ("100000000000000000", "1e+17"),
        ("12345678901234567", "12345678901234568"),
        ("0.0001", "0.0001"),
        ("0.00001", "1.0000000000000001e-05"),
        ("inf", "inf"),
        ("-inf", "-inf"),
        ("-0", "0"),
    ];
    for (i, (input, shown)) in cases.iter().enumerate() {
        let member = format!("m{i}");
        w.is(&["ZADD", "z", input, &member], int(1));
        w.is(&["ZSCORE", "z", &member], bulk(shown));
        r3.is(&["ZSCORE", "z", &member], double(shown));
    }
}

#[test]
fn resp3_reply_shapes() {
    let server = Server::start();
    let mut w = Wire::open_resp3(&server);
    zadd(&mut w, "z", &[("1", "a"), ("2", "b"), ("0.5", "c")]);
    let all = [("c", "0.5"), ("a", "1"), ("b", "2")];
    w.is(&["ZRANGE", "z", "0", "-1", "WITHSCORES"], scored3(&all));
    w.is(&["ZRANGE", "z", "0", "-1"], bulks(&["c", "a", "b"]));
    w.is(&["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"], scored3(&all));
    w.is(&["ZREVRANGE", "z", "0", "0", "WITHSCORES"], scored3(&[("b", "2")]));
    w.is(&["ZSCORE", "z", "c"], double("0.5"));
    w.is(&["ZSCORE", "z", "nope"], "_\r\n");
    w.is(&["ZMSCORE", "z", "a", "nope"], "*2\r\n,1\r\n_\r\n");
    w.is(&["ZINCRBY", "z", "1", "c"], double("1.5"));
    w.is(&["ZADD", "z", "INCR", "1", "c"], double("2.5"));
    w.is(&["ZADD", "z", "NX", "INCR", "1", "c"], "_\r\n");
    w.is(&["ZRANK", "z", "nope"], "_\r\n");
    w.is(&["ZUNION", "1", "z", "WITHSCORES"], scored3(&[("a", "1"), ("b", "2"), ("c", "2.5")]));
    w.is(&["ZINTER", "1", "z", "WITHSCORES"], scored3(&[("a", "1"), ("b", "2"), ("c", "2.5")]));
    w.is(&["ZDIFF", "1", "z", "WITHSCORES"], scored3(&[("a", "1"), ("b", "2"), ("c", "2.5")]));
    // ZPOPMIN without a count is a flat pair even in RESP3.
    w.is(&["ZPOPMIN", "z"], "*2\r\n$1\r\na\r\n,1\r\n");
    w.is(&["ZPOPMIN", "z", "1"], scored3(&[("b", "2")]));
    w.is(&["ZPOPMIN", "missing"], EMPTY);
    w.is(&["ZPOPMIN", "missing", "1"], EMPTY);
    w.is(&["ZMPOP", "1", "z", "MAX"], array(&[bulk("z"), scored3(&[("c", "2.5")])]));
    w.is(&["ZMPOP", "1", "z", "MAX"], "_\r\n");
    zadd(&mut w, "one", &[("5", "x")]);
    w.is(&["ZRANDMEMBER", "one", "1", "WITHSCORES"], scored3(&[("x", "5")]));
    w.is(&["ZRANDMEMBER", "one", "-2", "WITHSCORES"], scored3(&[("x", "5"), ("x", "5")]));
    w.is(&["ZRANDMEMBER", "missing"], "_\r\n");
    // ZSCAN's scores stay bulk strings.
    w.is(&["ZSCAN", "one", "0"], "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nx\r\n$1\r\n5\r\n");
}

#[test]
fn equal_scores_order_by_member_bytes() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let members: [&[u8]; 8] = [b"b", b"a", b"aa", b"", b"B", b"\xff", b"\x00", b"a\x00"];
    for member in members {
        w.call(&[&b"ZADD"[..], b"z", b"1", member]);
    }
    let want: [&[u8]; 8] = [b"", b"\x00", b"B", b"a", b"a\x00", b"aa", b"b", b"\xff"];
    w.is(&["ZRANGE", "z", "0", "-1"], bulks(&want));
    w.is(&["ZRANGEBYLEX", "z", "[a", "(b"], bulks(&[&b"a"[..], b"a\x00", b"aa"]));
    w.is(&[&b"ZRANK"[..], b"z", b"\xff"], int(7));
    // A different score still dominates.
    w.is(&["ZADD", "z", "0", "zzz"], int(1));
    w.is(&["ZRANGE", "z", "0", "0"], bulks(&["zzz"]));
}

#[test]
fn zrange_by_rank() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    zadd(&mut w, "z", &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d"), ("5", "e")]);
    w.is(&["ZRANGE", "z", "0", "-1"], bulks(&["a", "b", "c", "d", "e"]));
    w.is(&["ZRANGE", "z", "1", "2"], bulks(&["b", "c"]));
    w.is(&["ZRANGE", "z", "-2", "-1"], bulks(&["d", "e"]));
    w.is(&["ZRANGE", "z", "-100", "100"], bulks(&["a", "b", "c", "d", "e"]));
    w.is(&["ZRANGE", "z", "-9223372036854775808", "9223372036854775807"], bulks(&["a", "b", "c", "d", "e"]));
    w.is(&["ZRANGE", "z", "9223372036854775807", "-9223372036854775808"], EMPTY);
    w.is(&["ZRANGE", "z", "3", "1"], EMPTY);
    w.is(&["ZRANGE", "z", "5", "10"], EMPTY);
    w.is(&["ZRANGE", "z", "-1", "-2"], EMPTY);
    w.is(&["ZRANGE", "z", "0", "0", "WITHSCORES"], scored(&[("a", "1")]));
    w.is(&["ZRANGE", "z", "0", "1", "REV"], bulks(&["e", "d"]));
    w.is(&["ZRANGE", "z", "-2", "-1", "REV", "WITHSCORES"], scored(&[("b", "2"), ("a", "1")]));
    w.is(&["ZREVRANGE", "z", "0", "-1"], bulks(&["e", "d", "c", "b", "a"]));
    w.is(&["ZREVRANGE", "z", "1", "1", "WITHSCORES"], scored(&[("d", "4")]));
    w.is(&["ZREVRANGE", "z", "-1", "100"], bulks(&["a"]));
    w.is(&["ZRANGE", "missing", "0", "-1"], EMPTY);
    w.is(&["ZREVRANGE", "missing", "0", "-1"], EMPTY);
    w.is(&["ZRANGE", "z", "1", "abc"], NOT_INT);
    w.is(&["ZRANGE", "z", "1.5", "2"], NOT_INT);
    // LIMIT needs BYSCORE or BYLEX, unless its count is -1 (Redis checks
    // the count, not the keyword).
    let limit = "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n";
    w.is(&["ZRANGE", "z", "0", "1", "LIMIT", "0", "5"], limit);
    w.is(&["ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"], limit);
    w.is(&["ZRANGE", "z", "0", "1", "LIMIT", "0", "-1"], bulks(&["a", "b"]));
    w.is(&["ZRANGE", "z", "0", "1", "LIMIT", "0"], SYNTAX);
    w.is(&["ZRANGE", "z", "0", "1", "FOO"], SYNTAX);
    w.is(&["ZRANGE", "z", "0", "1", "REV", "REV"], SYNTAX);
    w.is(&["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"], SYNTAX);
    w.is(&["ZREVRANGE", "z", "0", "1", "REV"], SYNTAX);
    w.is(&["ZREVRANGE", "z", "0", "1", "BYSCORE"], SYNTAX);
}

#[test]
fn zrange_by_score() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    zadd(&mut w, "z", &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d"), ("5", "e"), ("-inf", "lo"), ("inf", "hi")]);
    w.is(&["ZRANGEBYSCORE", "z", "2", "4"], bulks(&["b", "c", "d"]));
    w.is(&["ZRANGEBYSCORE", "z", "(2", "4"], bulks(&["c", "d"]));
    w.is(&["ZRANGEBYSCORE", "z", "(2", "(4"], bulks(&["c"]));
    w.is(&["ZRANGEBYSCORE", "z", "2", "2"], bulks(&["b"]));
    w.is(&["ZRANGEBYSCORE", "z", "(2", "(2"], EMPTY);
    w.is(&["ZRANGEBYSCORE", "z", "(2", "2"], EMPTY);
    w.is(&["ZRANGEBYSCORE", "z", "4", "2"], EMPTY);
    w.is(&["ZRANGEBYSCORE", "z", "-inf", "+inf"], bulks(&["lo", "a", "b", "c", "d", "e", "hi"]));
    w.is(&["ZRANGEBYSCORE", "z", "(-inf", "(+inf"], bulks(&["a", "b", "c", "d", "e"]));
    w.is(&["ZRANGEBYSCORE", "z", "inf", "inf"], bulks(&["hi"]));
    w.is(&["ZRANGEBYSCORE", "z", "2.5", "3.5", "WITHSCORES"], scored(&[("c", "3")]));
    w.is(&["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "1", "2"], bulks(&["b", "c"]));
    w.is(&["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "3", "-1"], bulks(&["d", "e"]));
    w.is(&["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "0", "0"], EMPTY);
    w.is(&["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "-1", "2"], EMPTY);
    w.is(&["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "5", "2"], EMPTY);
    w.is(&["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "9223372036854775807", "1"], EMPTY);
    w.is(&["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "4", "9223372036854775807"], bulks(&["e"]));
    w.is(&["ZRANGEBYSCORE", "z", "1", "2", "WITHSCORES", "LIMIT", "0", "1", "WITHSCORES"], scored(&[("a", "1")]));
    w.is(&["ZREVRANGEBYSCORE", "z", "4", "2"], bulks(&["d", "c", "b"]));
    w.is(&["ZREVRANGEBYSCORE", "z", "2", "4"], EMPTY);
    w.is(&["ZREVRANGEBYSCORE", "z", "(4", "(2"], bulks(&["c"]));
    w.is(
        &["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", "1", "2"],
        scored(&[("e", "5"), ("d", "4")]),
    );
    w.is(&["ZRANGE", "z", "2", "4", "BYSCORE"], bulks(&["b", "c", "d"]));
    w.is(&["ZRANGE", "z", "4", "2", "BYSCORE", "REV"], bulks(&["d", "c", "b"]));
    w.is(&["ZRANGE", "z", "(1", "+inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"], scored(&[("c", "3"), ("d", "4")]));
    w.is(&["ZRANGE", "z", "+inf", "(1", "BYSCORE", "REV", "LIMIT", "1", "2"], bulks(&["e", "d"]));
    w.is(&["ZRANGEBYSCORE", "missing", "-inf", "+inf"], EMPTY);
    // Range floats are read by a bare strtod: leading space is fine, ""
    // is 0, overflow is infinity; trailing junk and NaN are not.
    w.is(&["ZRANGEBYSCORE", "z", " 1", "2"], bulks(&["a", "b"]));
    w.is(&["ZRANGEBYSCORE", "z", "(", "2"], bulks(&["a", "b"]));
    w.is(&["ZRANGEBYSCORE", "z", "", ""], EMPTY);
    w.is(&["ZRANGEBYSCORE", "z", "1e400", "inf"], bulks(&["hi"]));
    w.is(&["ZRANGEBYSCORE", "z", "-1e400", "-inf"], bulks(&["lo"]));
    for (min, max) in [("1 ", "2"), ("nan", "2"), ("1", "NaN"), ("((1", "2"), ("[1", "2"), ("a", "b"), ("1", "2x")] {
        w.is(&["ZRANGEBYSCORE", "z", min, max], NOT_FLOAT_RANGE);
    }
    w.is(&["ZRANGEBYSCORE", "z", "1", "2", "REV"], SYNTAX);
    w.is(&["ZRANGEBYSCORE", "z", "1", "2", "BYSCORE"], SYNTAX);
    w.is(&["ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "1"], SYNTAX);
    w.is(&["ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "a", "1"], NOT_INT);
}

#[test]
fn zrange_by_lex() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    zadd(&mut w, "z", &[("0", "a"), ("0", "b"), ("0", "c"), ("0", "d"), ("0", "e"), ("0", "f"), ("0", "g")]);
    w.is(&["ZRANGEBYLEX", "z", "-", "+"], bulks(&["a", "b", "c", "d", "e", "f", "g"]));
    w.is(&["ZRANGEBYLEX", "z", "[b", "[d"], bulks(&["b", "c", "d"]));
    w.is(&["ZRANGEBYLEX", "z", "(b", "(d"], bulks(&["c"]));
    w.is(&["ZRANGEBYLEX", "z", "(b", "+"], bulks(&["c", "d", "e", "f", "g"]));
    w.is(&["ZRANGEBYLEX", "z", "-", "(c"], bulks(&["a", "b"]));
    w.is(&["ZRANGEBYLEX", "z", "[aa", "[c"], bulks(&["b", "c"]));
    w.is(&["ZRANGEBYLEX", "z", "+", "-"], EMPTY);
    w.is(&["ZRANGEBYLEX", "z", "[d", "[b"], EMPTY);
    w.is(&["ZRANGEBYLEX", "z", "-", "["], EMPTY);
    w.is(&["ZRANGEBYLEX", "z", "[", "(b"], bulks(&["a"]));
    w.is(&["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "2", "3"], bulks(&["c", "d", "e"]));
    w.is(&["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "5", "-1"], bulks(&["f", "g"]));
    w.is(&["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "-1", "3"], EMPTY);
    w.is(&["ZREVRANGEBYLEX", "z", "+", "-"], bulks(&["g", "f", "e", "d", "c", "b", "a"]));
    w.is(&["ZREVRANGEBYLEX", "z", "[d", "[b"], bulks(&["d", "c", "b"]));
    w.is(&["ZREVRANGEBYLEX", "z", "[b", "[d"], EMPTY);
    w.is(&["ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "1", "2"], bulks(&["f", "e"]));
    w.is(&["ZRANGE", "z", "[c", "[e", "BYLEX"], bulks(&["c", "d", "e"]));
    w.is(&["ZRANGE", "z", "[e", "[c", "BYLEX", "REV"], bulks(&["e", "d", "c"]));
    w.is(&["ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "1", "1"], bulks(&["b"]));
    w.is(&["ZRANGEBYLEX", "missing", "-", "+"], EMPTY);
    for (min, max) in [("a", "b"), ("", "+"), ("-a", "+"), ("-", "++"), ("b", "[c")] {
        w.is(&["ZRANGEBYLEX", "z", min, max], NOT_LEX_RANGE);
    }
    let withscores = "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n";
    w.is(&["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"], withscores);
    w.is(&["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"], withscores);
    w.is(&["ZRANGE", "z", "a", "b", "BYSCORE"], NOT_FLOAT_RANGE);
    w.is(&["ZRANGE", "z", "a", "b", "BYLEX"], NOT_LEX_RANGE);
}

#[test]
fn zcount_and_zlexcount() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    zadd(&mut w, "z", &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d")]);
    w.is(&["ZCOUNT", "z", "-inf", "+inf"], int(4));
    w.is(&["ZCOUNT", "z", "2", "3"], int(2));
    w.is(&["ZCOUNT", "z", "(2", "3"], int(1));
    w.is(&["ZCOUNT", "z", "(2", "(3"], int(0));
    w.is(&["ZCOUNT", "z", "3", "2"], int(0));
    w.is(&["ZCOUNT", "missing", "0", "1"], int(0));
    w.is(&["ZCOUNT", "z", "a", "b"], NOT_FLOAT_RANGE);
    zadd(&mut w, "l", &[("0", "a"), ("0", "b"), ("0", "c"), ("0", "d")]);
    w.is(&["ZLEXCOUNT", "l", "-", "+"], int(4));
    w.is(&["ZLEXCOUNT", "l", "[b", "(d"], int(2));
    w.is(&["ZLEXCOUNT", "l", "(b", "(b"], int(0));
    w.is(&["ZLEXCOUNT", "missing", "-", "+"], int(0));
    w.is(&["ZLEXCOUNT", "l", "a", "b"], NOT_LEX_RANGE);
}

#[test]
fn zrangestore() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    zadd(&mut w, "z", &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d")]);
    w.is(&["ZRANGESTORE", "dst", "z", "0", "1"], int(2));
    w.is(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], scored(&[("a", "1"), ("b", "2")]));
    w.is(&["ZRANGESTORE", "dst", "z", "(1", "+inf", "BYSCORE", "REV", "LIMIT", "0", "2"], int(0));
    w.is(&["EXISTS", "dst"], int(0));
    w.is(&["ZRANGESTORE", "dst", "z", "+inf", "(1", "BYSCORE", "REV", "LIMIT", "0", "2"], int(2));
    w.is(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], scored(&[("c", "3"), ("d", "4")]));
    w.is(&["ZRANGESTORE", "dst", "z", "[b", "+", "BYLEX", "LIMIT", "1", "5"], int(2));
    w.is(&["ZRANGE", "dst", "0", "-1"], bulks(&["c", "d"]));
    w.is(&["ZRANGESTORE", "dst", "z", "1", "0", "REV"], int(0));
    w.is(&["ZRANGESTORE", "dst", "z", "0", "1", "REV"], int(2));
    w.is(&["ZRANGE", "dst", "0", "-1"], bulks(&["c", "d"]));
    // Empty results delete the destination.
    w.is(&["ZRANGESTORE", "dst", "z", "5", "10"], int(0));
    w.is(&["EXISTS", "dst"], int(0));
    w.is(&["ZRANGESTORE", "dst", "z", "0", "-1"], int(4));
    w.is(&["ZRANGESTORE", "dst", "missing", "0", "-1"], int(0));
    w.is(&["EXISTS", "dst"], int(0));
    // Source and destination may be the same key.
    w.is(&["ZRANGESTORE", "z", "z", "1", "2"], int(2));
    w.is(&["ZRANGE", "z", "0", "-1"], bulks(&["b", "c"]));
    // The destination is replaced whatever its type.
    make_other_types(&mut w);
    w.is(&["ZRANGESTORE", "list", "z", "0", "-1"], int(2));
    w.is(&["TYPE", "list"], "+zset\r\n");
    w.is(&["ZRANGESTORE", "dst", "z", "0", "1", "WITHSCORES"], SYNTAX);
    w.is(
        &["ZRANGESTORE", "dst", "z", "0", "1", "LIMIT", "0", "1"],
        "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n",
    );
    w.is(&["ZRANGESTORE", "dst", "string", "0", "1"], WRONGTYPE);
    w.is(&["ZRANGESTORE", "dst", "z", "1"], arity("zrangestore"));
}

#[test]
fn zrem_and_remove_ranges() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    zadd(&mut w, "z", &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d"), ("5", "e")]);
    w.is(&["ZREM", "z", "a", "x", "a"], int(1));
    w.is(&["ZREM", "z", "x"], int(0));
    w.is(&["ZREM", "missing", "a"], int(0));
    w.is(&["ZREM", "z", "b", "c", "d", "e"], int(4));
    w.is(&["EXISTS", "z"], int(0));

    zadd(&mut w, "z", &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d"), ("5", "e"), ("6", "f")]);
    w.is(&["ZREMRANGEBYRANK", "z", "0", "0"], int(1));
    w.is(&["ZREMRANGEBYRANK", "z", "-1", "-1"], int(1));
    w.is(&["ZREMRANGEBYRANK", "z", "5", "10"], int(0));
    w.is(&["ZREMRANGEBYRANK", "z", "2", "1"], int(0));
    w.is(&["ZRANGE", "z", "0", "-1"], bulks(&["b", "c", "d", "e"]));
    w.is(&["ZREMRANGEBYSCORE", "z", "(2", "3"], int(1));
    w.is(&["ZREMRANGEBYSCORE", "z", "10", "20"], int(0));
    w.is(&["ZRANGE", "z", "0", "-1"], bulks(&["b", "d", "e"]));
    w.is(&["ZREMRANGEBYRANK", "z", "-100", "100"], int(3));
    w.is(&["EXISTS", "z"], int(0));
    zadd(&mut w, "z", &[("1", "a"), ("2", "b")]);
    w.is(&["ZREMRANGEBYSCORE", "z", "-inf", "+inf"], int(2));
    w.is(&["EXISTS", "z"], int(0));
    zadd(&mut w, "l", &[("0", "a"), ("0", "b"), ("0", "c"), ("0", "d")]);
    w.is(&["ZREMRANGEBYLEX", "l", "[b", "(d"], int(2));
    w.is(&["ZRANGE", "l", "0", "-1"], bulks(&["a", "d"]));
    w.is(&["ZREMRANGEBYLEX", "l", "-", "+"], int(2));
    w.is(&["EXISTS", "l"], int(0));
    w.is(&["ZREMRANGEBYRANK", "missing", "0", "-1"], int(0));
    w.is(&["ZREMRANGEBYSCORE", "missing", "0", "1"], int(0));
    w.is(&["ZREMRANGEBYLEX", "missing", "-", "+"], int(0));
    w.is(&["ZREMRANGEBYRANK", "z", "a", "b"], NOT_INT);
    w.is(&["ZREMRANGEBYSCORE", "z", "a", "b"], NOT_FLOAT_RANGE);
    w.is(&["ZREMRANGEBYLEX", "z", "a", "b"], NOT_LEX_RANGE);
}

#[test]
fn zpopmin_zpopmax() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    zadd(&mut w, "z", &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d")]);
    w.is(&["ZPOPMIN", "z"], scored(&[("a", "1")]));
    w.is(&["ZPOPMAX", "z"], scored(&[("d", "4")]));
    w.is(&["ZPOPMIN", "z", "0"], EMPTY);
    w.is(&["ZADD", "z", "1", "a", "4", "d"], int(2));
    w.is(&["ZPOPMAX", "z", "2"], scored(&[("d", "4"), ("c", "3")]));
    w.is(&["ZPOPMIN", "z", "9223372036854775807"], scored(&[("a", "1"), ("b", "2")]));
    w.is(&["EXISTS", "z"], int(0));
    zadd(&mut w, "z", &[("1", "a")]);
    w.is(&["ZPOPMAX", "z"], scored(&[("a", "1")]));
    w.is(&["EXISTS", "z"], int(0));
    w.is(&["ZPOPMIN", "missing"], EMPTY);
    w.is(&["ZPOPMAX", "missing", "3"], EMPTY);
    for bad in ["-1", "abc", "1.5"] {
        w.is(&["ZPOPMIN", "z", bad], POSITIVE);
        w.is(&["ZPOPMAX", "missing", bad], POSITIVE);
    }
    w.is(&["ZPOPMIN", "z", "1", "2"], SYNTAX);
    make_other_types(&mut w);
    w.is(&["ZPOPMIN", "string"], WRONGTYPE);
    w.is(&["ZPOPMAX", "string", "0"], WRONGTYPE);
}

#[test]
fn zmpop() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    zadd(&mut w, "z", &[("1", "a"), ("2", "b"), ("3", "c")]);
    w.is(&["ZMPOP", "1", "z", "MIN"], array(&[bulk("z"), array(&[scored(&[("a", "1")])])]));
    w.is(
        &["ZMPOP", "2", "missing", "z", "max", "COUNT", "5"],
        array(&[bulk("z"), array(&[scored(&[("c", "3")]), scored(&[("b", "2")])])]),
    );
    w.is(&["EXISTS", "z"], int(0));
    w.is(&["ZMPOP", "2", "missing", "z", "MIN"], "*-1\r\n");
    // Keys after the first non-empty one are not looked at.
    make_other_types(&mut w);
    zadd(&mut w, "z", &[("1", "a")]);
    w.is(&["ZMPOP", "2", "z", "string", "MIN"], array(&[bulk("z"), array(&[scored(&[("a", "1")])])]));
    w.is(&["ZMPOP", "2", "missing", "string", "MIN"], WRONGTYPE);
    let numkeys = "-ERR numkeys should be greater than 0\r\n";
    w.is(&["ZMPOP", "0", "z", "MIN"], numkeys);
    w.is(&["ZMPOP", "abc", "z", "MIN"], numkeys);
    let count = "-ERR count should be greater than 0\r\n";
    for bad in ["0", "-1", "abc"] {
        w.is(&["ZMPOP", "1", "z", "MIN", "COUNT", bad], count);
    }
    w.is(&["ZMPOP", "2", "z", "MIN"], SYNTAX);
    w.is(&["ZMPOP", "1", "z", "FOO"], SYNTAX);
    w.is(&["ZMPOP", "1", "z", "MIN", "COUNT"], SYNTAX);
    w.is(&["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "2"], SYNTAX);
    w.is(&["ZMPOP", "1", "z"], arity("zmpop"));
}

#[test]
fn zunion_zinter_zdiff() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    zadd(&mut w, "z", &[("1", "a"), ("2", "b"), ("3", "c")]);
    w.is(&["SADD", "s", "a", "d"], int(2));
    // Plain sets take part with scores of 1.
    w.is(&["ZUNION", "2", "z", "s", "WITHSCORES"], scored(&[("d", "1"), ("a", "2"), ("b", "2"), ("c", "3")]));
    w.is(&["ZUNION", "2", "z", "s"], bulks(&["d", "a", "b", "c"]));
    w.is(&["ZINTER", "2", "z", "s", "WITHSCORES"], scored(&[("a", "2")]));
    w.is(&["ZDIFF", "2", "z", "s", "WITHSCORES"], scored(&[("b", "2"), ("c", "3")]));
    w.is(&["ZDIFF", "2", "s", "z"], bulks(&["d"]));
    w.is(&["ZUNION", "1", "z", "WITHSCORES", "WITHSCORES"], scored(&[("a", "1"), ("b", "2"), ("c", "3")]));
    w.is(
        &["ZUNION", "2", "z", "s", "WEIGHTS", "2", "3", "AGGREGATE", "MAX", "WITHSCORES"],
        scored(&[("a", "3"), ("d", "3"), ("b", "4"), ("c", "6")]),
    );
    w.is(
        &["ZUNION", "2", "z", "s", "WEIGHTS", "2", "3", "AGGREGATE", "MIN", "WITHSCORES"],
        scored(&[("a", "2"), ("d", "3"), ("b", "4"), ("c", "6")]),
    );
    w.is(
        &["ZUNION", "2", "z", "s", "weights", "2", "3", "aggregate", "sum", "withscores"],
        scored(&[("d", "3"), ("b", "4"), ("a", "5"), ("c", "6")]),
    );
    w.is(
        &["ZINTER", "2", "z", "z", "WEIGHTS", "2", "3", "WITHSCORES"],
        scored(&[("a", "5"), ("b", "10"), ("c", "15")]),
    );
    // inf * 0 counts as 0; inf + -inf sums to 0.
    w.is(
        &["ZUNION", "2", "z", "s", "WEIGHTS", "inf", "0", "WITHSCORES"],
        scored(&[("d", "0"), ("a", "inf"), ("b", "inf"), ("c", "inf")]),
    );
    w.is(&["ZINTER", "2", "z", "s", "WEIGHTS", "inf", "-inf", "WITHSCORES"], scored(&[("a", "0")]));
    w.is(
        &["ZINTER", "2", "z", "s", "WEIGHTS", "inf", "-inf", "AGGREGATE", "MIN", "WITHSCORES"],
        scored(&[("a", "-inf")]),
    );
    w.is(&["ZINTER", "2", "z", "missing"], EMPTY);
    w.is(&["ZUNION", "1", "missing", "WITHSCORES"], EMPTY);
    w.is(&["ZDIFF", "1", "missing"], EMPTY);

    for command in ["ZUNION", "ZINTER", "ZDIFF"] {
        let lower = command.to_lowercase();
        w.is(&[command, "0", "z"], format!("-ERR at least 1 input key is needed for '{lower}' command\r\n"));
        w.is(&[command, "-1", "z"], format!("-ERR at least 1 input key is needed for '{lower}' command\r\n"));
        w.is(&[command, "abc", "z"], NOT_INT);
        w.is(&[command, "2", "z"], SYNTAX);
        w.is(&[command, "1", "z", "FOO"], SYNTAX);
    }
    w.is(&["ZUNION", "1", "z", "WEIGHTS"], SYNTAX);
    w.is(&["ZUNION", "2", "z", "s", "WEIGHTS", "1"], SYNTAX);
    w.is(&["ZUNION", "1", "z", "WEIGHTS", "x"], "-ERR weight value is not a float\r\n");
    w.is(&["ZUNION", "1", "z", "WEIGHTS", "nan"], "-ERR weight value is not a float\r\n");
    w.is(&["ZUNION", "1", "z", "WEIGHTS", "1e400"], "-ERR weight value is not a float\r\n");
    w.is(&["ZUNION", "1", "z", "AGGREGATE", "foo"], SYNTAX);
    w.is(&["ZUNION", "1", "z", "AGGREGATE"], SYNTAX);
    w.is(&["ZDIFF", "2", "z", "s", "WEIGHTS", "1", "2"], SYNTAX);
    w.is(&["ZDIFF", "1", "z", "AGGREGATE", "SUM"], SYNTAX);
    // Types are checked before the options are read.
    make_other_types(&mut w);
    w.is(&["ZUNION", "1", "string", "WEIGHTS", "x"], WRONGTYPE);
    w.is(&["ZINTER", "2", "missing", "list"], WRONGTYPE);
    w.is(&["ZDIFF", "2", "z", "string"], WRONGTYPE);
}

#[test]
fn set_algebra_store() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    zadd(&mut w, "z", &[("1", "a"), ("2", "b"), ("3", "c")]);
    w.is(&["SADD", "s", "a", "d"], int(2));
    w.is(&["ZUNIONSTORE", "d", "2", "z", "s"], int(4));
    w.is(&["ZRANGE", "d", "0", "-1", "WITHSCORES"], scored(&[("d", "1"), ("a", "2"), ("b", "2"), ("c", "3")]));
    w.is(&["ZINTERSTORE", "d", "2", "z", "s", "WEIGHTS", "10", "1"], int(1));
    w.is(&["ZRANGE", "d", "0", "-1", "WITHSCORES"], scored(&[("a", "11")]));
    w.is(&["ZDIFFSTORE", "d", "2", "z", "s"], int(2));
    w.is(&["ZRANGE", "d", "0", "-1", "WITHSCORES"], scored(&[("b", "2"), ("c", "3")]));
    // The destination may be an input.
    w.is(&["ZUNIONSTORE", "z", "2", "z", "z"], int(3));
    w.is(&["ZRANGE", "z", "0", "-1", "WITHSCORES"], scored(&[("a", "2"), ("b", "4"), ("c", "6")]));
    // Empty results delete the destination.
    w.is(&["ZDIFFSTORE", "d", "2", "z", "z"], int(0));
    w.is(&["EXISTS", "d"], int(0));
    w.is(&["ZINTERSTORE", "z", "2", "z", "missing"], int(0));
    w.is(&["EXISTS", "z"], int(0));
    // The destination is replaced whatever its type.
    make_other_types(&mut w);
    w.is(&["ZUNIONSTORE", "string", "1", "s"], int(2));
    w.is(&["TYPE", "string"], "+zset\r\n");
    for command in ["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"] {
        let lower = command.to_lowercase();
        w.is(&[command, "d", "0", "s"], format!("-ERR at least 1 input key is needed for '{lower}' command\r\n"));
        w.is(&[command, "d", "2", "s"], SYNTAX);
        w.is(&[command, "d", "1", "s", "WITHSCORES"], SYNTAX);
        w.is(&[command, "d", "1", "list"], WRONGTYPE);
        w.is(&[command, "d", "1"], arity(&lower));
    }
    w.is(&["ZUNIONSTORE", "d", "1", "s", "AGGREGATE", "foo"], SYNTAX);
}

#[test]
fn zintercard() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    zadd(&mut w, "z", &[("1", "a"), ("2", "b"), ("3", "c")]);
    w.is(&["SADD", "s", "a", "b", "d"], int(3));
    w.is(&["ZINTERCARD", "1", "z"], int(3));
    w.is(&["ZINTERCARD", "2", "z", "s"], int(2));
    w.is(&["ZINTERCARD", "2", "z", "s", "LIMIT", "1"], int(1));
    w.is(&["ZINTERCARD", "2", "z", "s", "LIMIT", "0"], int(2));
    w.is(&["ZINTERCARD", "2", "z", "missing"], int(0));
    w.is(&["ZINTERCARD", "0", "z"], "-ERR at least 1 input key is needed for 'zintercard' command\r\n");
    w.is(&["ZINTERCARD", "1", "z", "LIMIT", "-1"], "-ERR LIMIT can't be negative\r\n");
    w.is(&["ZINTERCARD", "1", "z", "LIMIT", "abc"], "-ERR LIMIT can't be negative\r\n");
    w.is(&["ZINTERCARD", "1", "z", "WEIGHTS", "1"], SYNTAX);
    w.is(&["ZINTERCARD", "1", "z", "WITHSCORES"], SYNTAX);
    w.is(&["ZINTERCARD", "3", "z", "s"], SYNTAX);
    make_other_types(&mut w);
    w.is(&["ZINTERCARD", "2", "z", "string"], WRONGTYPE);
}

#[test]
fn zrandmember() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["ZRANDMEMBER", "missing"], NIL);
    w.is(&["ZRANDMEMBER", "missing", "3"], EMPTY);
    w.is(&["ZRANDMEMBER", "missing", "-3", "WITHSCORES"], EMPTY);
    w.is(&["ZRANDMEMBER", "missing", "-9223372036854775807"], EMPTY);
    let all = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    let pairs: Vec<(String, &str)> = all.iter().enumerate().map(|(i, m)| (i.to_string(), *m)).collect();
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(s, m)| (s.as_str(), *m)).collect();
    zadd(&mut w, "z", &pairs);
    let one = w.value(&["ZRANDMEMBER", "z"]);
    w.check(all.iter().any(|m| one.bytes() == m.as_bytes()), format!("ZRANDMEMBER gave {one:?}"));
    w.is(&["ZRANDMEMBER", "z", "0"], EMPTY);
    w.is(&["ZRANDMEMBER", "z", "0", "WITHSCORES"], EMPTY);
    for count in [1usize, 3, 9] {
        let reply = w.value(&["ZRANDMEMBER", "z", &count.to_string()]);
        let distinct: BTreeSet<&[u8]> = reply.items().iter().map(Reply::bytes).collect();
        w.check(reply.items().len() == count && distinct.len() == count, format!("ZRANDMEMBER {count}: {reply:?}"));
    }
    w.unordered(&["ZRANDMEMBER", "z", "10"], b'*', &all);
    w.unordered(&["ZRANDMEMBER", "z", "9223372036854775807"], b'*', &all);
    // With scores: each member followed by its own score.
    let reply = w.value(&["ZRANDMEMBER", "z", "-30", "WITHSCORES"]);
    let items = reply.items();
    w.check(items.len() == 60, format!("ZRANDMEMBER -30 WITHSCORES gave {} items", items.len()));
    for pair in items.chunks(2) {
        let position = all.iter().position(|m| pair[0].bytes() == m.as_bytes());
        w.check(position.is_some_and(|p| pair[1].bytes() == p.to_string().as_bytes()), format!("pair {pair:?}"));
    }
    let reply = w.value(&["ZRANDMEMBER", "z", "-2000"]);
    let seen: BTreeSet<&[u8]> = reply.items().iter().map(Reply::bytes).collect();
    w.check(seen.len() == 10, format!("2000 draws saw {} members", seen.len()));
    w.is(&["ZCARD", "z"], int(10));

    w.is(&["ZRANDMEMBER", "z", "abc"], NOT_INT);
    w.is(
        &["ZRANDMEMBER", "z", "-9223372036854775808"],
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
    );
    // With scores the reply is twice as long: Redis halves the range.
    for count in ["-9223372036854775807", "9223372036854775807", "-4611686018427387904", "4611686018427387904"] {
        w.is(&["ZRANDMEMBER", "z", count, "WITHSCORES"], "-ERR value is out of range\r\n");
    }
    w.is(&["ZRANDMEMBER", "z", "1", "FOO"], SYNTAX);
    w.is(&["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"], SYNTAX);
}

/// See `sets::srandmember_huge_negative_count_is_refused`.
#[test]
fn zrandmember_huge_negative_count_is_refused() {
    if is_redis() {
        return;
    }
    let server = Server::start();
    let mut w = Wire::open(&server);
    zadd(&mut w, "z", &[("1", "a")]);
    let refused = "-ERR value is out of range, a negative count may ask for at most 16777216 members\r\n";
    w.is(&["ZRANDMEMBER", "z", "-4611686018427387903", "WITHSCORES"], refused);
    w.is(&["ZRANDMEMBER", "z", "-16777217"], refused);
    w.is(&["ZCARD", "z"], int(1));
}

#[test]
fn zscan() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["ZSCAN", "missing", "0"], "*2\r\n$1\r\n0\r\n*0\r\n");
    w.is(&["ZSCAN", "missing", "0", "COUNT", "0"], "*2\r\n$1\r\n0\r\n*0\r\n");
    let names: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
    let mut args = vec!["ZADD".to_string(), "z".to_string()];
    for (i, name) in names.iter().enumerate() {
        args.push(format!("{}.5", i));
        args.push(name.clone());
    }
    w.is(&args, int(300));
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    loop {
        let reply = w.value(&["ZSCAN", "z", cursor.as_str(), "COUNT", "17"]);
        let parts = reply.items();
        for pair in parts[1].items().chunks(2) {
            let member = String::from_utf8(pair[0].bytes().to_vec()).unwrap();
            let score = String::from_utf8(pair[1].bytes().to_vec()).unwrap();
            assert_eq!(score, format!("{}.5", &member[1..]), "score of {member}");
            seen.insert(member);
        }
        cursor = String::from_utf8(parts[0].bytes().to_vec()).unwrap();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen, names.iter().cloned().collect::<BTreeSet<String>>());
    // Scores are formatted like ZSCORE's.
    zadd(&mut w, "small", &[("0.1", "a")]);
    w.is(&["ZSCAN", "small", "0"], "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$19\r\n0.10000000000000001\r\n");
    w.is(&["ZSCAN", "small", "0", "MATCH", "b*"], "*2\r\n$1\r\n0\r\n*0\r\n");
    w.is(&["ZSCAN", "small", "abc"], "-ERR invalid cursor\r\n");
    w.is(&["ZSCAN", "small", "0", "COUNT", "0"], SYNTAX);
    w.is(&["ZSCAN", "small", "0", "TYPE", "zset"], SYNTAX);
    make_other_types(&mut w);
    w.is(&["ZSCAN", "set", "0"], WRONGTYPE);
}

#[test]
fn binary_members() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let odd: [&[u8]; 4] = [b"", b"\0", b"a\r\nb", b"\r\n$3\r\nfoo\r\n"];
    for (i, member) in odd.iter().enumerate() {
        let score = i.to_string();
        w.is(&[&b"ZADD"[..], b"bin", score.as_bytes(), member], int(1));
    }
    w.is(&["ZRANGE", "bin", "0", "-1"], bulks(&odd));
    for (i, member) in odd.iter().enumerate() {
        w.is(&[&b"ZSCORE"[..], b"bin", member], bulk(i.to_string()));
        w.is(&[&b"ZRANK"[..], b"bin", member], int(i as i64));
    }
    w.is(&[&b"ZREM"[..], b"bin", b"a\r\nb"], int(1));
    w.is(&["ZRANGEBYSCORE", "bin", "1", "3"], bulks(&[&b"\0"[..], b"\r\n$3\r\nfoo\r\n"]));
    w.is(&[&b"ZADD"[..], b"k\0\r\n", b"1", b"v"], int(1));
    w.is(&[&b"ZCARD"[..], b"k\0\r\n"], int(1));
}

#[test]
fn hundred_thousand_members() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let n = 100_000;
    let name = |i: usize| format!("member:{i:06}");
    // Scores in reverse of the names, half of them tied in pairs.
    let mut args = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..n {
        args.push(((n - i) / 2).to_string());
        args.push(name(i));
    }
    w.is(&args, int(n as i64));
    w.is(&["ZCARD", "big"], int(n as i64));
    // Rank order: score ascending, then member bytes.
    w.is(
        &["ZRANGE", "big", "0", "2", "WITHSCORES"],
        scored(&[("member:099999", "0"), ("member:099997", "1"), ("member:099998", "1")]),
    );
    w.is(&["ZRANK", "big", "member:000000"], int(n as i64 - 1));
    // member:049999 and member:050000 share score 25000.
    w.is(&["ZRANK", "big", "member:050000"], int(50_000));
    w.is(&["ZREVRANK", "big", "member:000000"], int(0));
    w.is(&["ZRANGE", "big", "49999", "50001"], bulks(&["member:049999", "member:050000", "member:049997"]));
    w.is(&["ZRANGE", "big", "-1", "-1"], bulks(&["member:000000"]));
    w.is(&["ZCOUNT", "big", "1000", "(2000"], int(2000));
    w.is(&["ZRANGEBYSCORE", "big", "(49999", "50000", "LIMIT", "0", "5"], bulks(&["member:000000"]));
    w.is(&["ZRANGEBYSCORE", "big", "49999", "50000", "LIMIT", "1", "5"], bulks(&["member:000002", "member:000000"]));
    let whole = w.value(&["ZRANGE", "big", "0", "-1"]);
    w.check(whole.items().len() == n, "ZRANGE of everything");
    w.is(&["ZREMRANGEBYRANK", "big", "0", "9999"], int(10_000));
    w.is(&["ZRANK", "big", "member:089999"], NIL);
    w.is(&["ZRANK", "big", "member:090000"], int(0));
    w.is(&["ZREMRANGEBYSCORE", "big", "40000", "+inf"], int(20_001));
    w.is(&["ZCARD", "big"], int(69_999));
    let popped = w.value(&["ZPOPMAX", "big", "30000"]);
    w.check(popped.items().len() == 60_000, "ZPOPMAX 30000");
    w.is(&["ZPOPMAX", "big"], scored(&[("member:050002", "24999")]));
    w.is(&["ZUNIONSTORE", "copy", "1", "big", "WEIGHTS", "2"], int(39_998));
    w.is(&["ZSCORE", "copy", "member:050001"], bulk("49998"));
    w.is(&["ZINTERCARD", "2", "big", "copy"], int(39_998));
    let picked = w.value(&["ZRANDMEMBER", "big", "35000"]);
    let distinct: BTreeSet<&[u8]> = picked.items().iter().map(Reply::bytes).collect();
    w.check(distinct.len() == 35_000, format!("ZRANDMEMBER 35000 gave {} distinct", distinct.len()));
    let rest = w.call(&["ZRANGE", "big", "0", "-1", "WITHSCORES"]);
    w.is(&["ZPOPMIN", "big", "100000"], rest);
    w.is(&["EXISTS", "big"], int(0));
}

#[test]
fn wrong_type() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_other_types(&mut w);
    for key in ["string", "list", "set"] {
        let commands: [&[&str]; 24] = [
            &["ZADD", key, "1", "a"],
            &["ZINCRBY", key, "1", "a"],
            &["ZREM", key, "a"],
            &["ZCARD", key],
            &["ZSCORE", key, "a"],
            &["ZMSCORE", key, "a"],
            &["ZRANK", key, "a"],
            &["ZREVRANK", key, "a"],
            &["ZCOUNT", key, "0", "1"],
            &["ZLEXCOUNT", key, "-", "+"],
            &["ZRANGE", key, "0", "1"],
            &["ZRANGEBYSCORE", key, "0", "1"],
            &["ZREVRANGEBYSCORE", key, "1", "0"],
            &["ZRANGEBYLEX", key, "-", "+"],
            &["ZREVRANGEBYLEX", key, "+", "-"],
            &["ZREVRANGE", key, "0", "1"],
            &["ZRANGESTORE", "d", key, "0", "1"],
            &["ZPOPMIN", key],
            &["ZPOPMAX", key, "1"],
            &["ZREMRANGEBYSCORE", key, "0", "1"],
            &["ZREMRANGEBYRANK", key, "0", "1"],
            &["ZREMRANGEBYLEX", key, "-", "+"],
            &["ZRANDMEMBER", key],
            &["ZSCAN", key, "0"],
        ];
        for command in commands {
            w.is(command, WRONGTYPE);
        }
    }
    // Sets are valid inputs of the algebra; strings and lists are not.
    w.is(&["ZUNION", "1", "set"], bulks(&["x"]));
    w.is(&["ZUNION", "1", "list"], WRONGTYPE);
    w.is(&["GET", "string"], bulk("x"));
}

#[test]
fn wrong_arity() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let cases: [(&str, &[&str]); 32] = [
        ("zadd", &["ZADD", "z", "1"]),
        ("zincrby", &["ZINCRBY", "z", "1"]),
        ("zrem", &["ZREM", "z"]),
        ("zcard", &["ZCARD"]),
        ("zscore", &["ZSCORE", "z"]),
        ("zmscore", &["ZMSCORE", "z"]),
        ("zrank", &["ZRANK", "z"]),
        ("zrevrank", &["ZREVRANK", "z"]),
        ("zcount", &["ZCOUNT", "z", "1"]),
        ("zlexcount", &["ZLEXCOUNT", "z", "-"]),
        ("zrange", &["ZRANGE", "z", "0"]),
        ("zrangebyscore", &["ZRANGEBYSCORE", "z", "0"]),
        ("zrevrangebyscore", &["ZREVRANGEBYSCORE", "z", "0"]),
        ("zrangebylex", &["ZRANGEBYLEX", "z", "-"]),
        ("zrevrangebylex", &["ZREVRANGEBYLEX", "z", "+"]),
        ("zrevrange", &["ZREVRANGE", "z", "0"]),
        ("zrangestore", &["ZRANGESTORE", "d", "z", "0"]),
        ("zpopmin", &["ZPOPMIN"]),
        ("zpopmax", &["ZPOPMAX"]),
        ("zmpop", &["ZMPOP", "1", "z"]),
        ("zremrangebyscore", &["ZREMRANGEBYSCORE", "z", "0"]),
        ("zremrangebyrank", &["ZREMRANGEBYRANK", "z", "0"]),
        ("zremrangebylex", &["ZREMRANGEBYLEX", "z", "-"]),
        ("zunionstore", &["ZUNIONSTORE", "d", "1"]),
        ("zinterstore", &["ZINTERSTORE", "d", "1"]),
        ("zdiffstore", &["ZDIFFSTORE", "d", "1"]),
        ("zunion", &["ZUNION", "1"]),
        ("zinter", &["ZINTER", "1"]),
        ("zdiff", &["ZDIFF", "1"]),
        ("zintercard", &["ZINTERCARD", "1"]),
        ("zrandmember", &["ZRANDMEMBER"]),
        ("zscan", &["ZSCAN", "z"]),
    ];
    for (name, command) in cases {
        w.is(command, arity(name));
    }
    // Fixed arities reject extra arguments too (ZRANK's WITHSCORE is 7.2).
    w.is(&["ZRANK", "z", "a", "WITHSCORE"], arity("zrank"));
    w.is(&["ZSCORE", "z", "a", "b"], arity("zscore"));
    w.is(&["ZCOUNT", "z", "0", "1", "2"], arity("zcount"));
    w.is(&["ZREMRANGEBYRANK", "z", "0", "1", "2"], arity("zremrangebyrank"));
}

#[test]
fn keyspace_events() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut sub = subscribe_key_events(&server, &mut w);
    let commands: [&[&str]; 24] = [
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        &["ZADD", "z", "1", "a"],
        &["ZADD", "z", "XX", "1", "new"],
        &["ZINCRBY", "z", "1", "a"],
        &["ZADD", "z", "INCR", "1", "a"],
        &["ZREM", "z", "nope"],
        &["ZREM", "z", "a"],
        &["ZPOPMIN", "z"],
        &["ZPOPMAX", "z", "0"],
        &["ZPOPMAX", "z", "1"],
        &["ZADD", "y", "1", "a", "2", "b"],
        &["ZUNIONSTORE", "u", "2", "y", "z"],
        &["ZINTERSTORE", "u", "2", "y", "z"],
        &["ZDIFFSTORE", "u", "2", "y", "z"],
        &["ZRANGESTORE", "r", "y", "0", "0"],
        &["ZRANGESTORE", "r", "y", "5", "6"],
        &["ZREMRANGEBYRANK", "y", "5", "6"],
        &["ZREMRANGEBYRANK", "y", "0", "0"],
        &["ZREMRANGEBYSCORE", "y", "-inf", "+inf"],
        &["ZADD", "l", "0", "a", "0", "b"],
        &["ZREMRANGEBYLEX", "l", "[a", "[a"],
        &["ZMPOP", "1", "l", "MIN"],
        &["ZINTERSTORE", "u", "1", "missing"],
        &["ZPOPMIN", "z", "10"],
    ];
    for command in commands {
        w.call(command);
    }
    let want = [
        ("zadd", "z"),
        ("zincr", "z"),
        ("zincr", "z"),
        ("zrem", "z"),
        ("zpopmin", "z"),
        ("zpopmax", "z"),
        ("zadd", "y"),
        ("zunionstore", "u"),
        // An empty result deletes the destination.
        ("del", "u"),
        ("zdiffstore", "u"),
        ("zrangestore", "r"),
        ("del", "r"),
        ("zremrangebyrank", "y"),
        ("zremrangebyscore", "y"),
        ("del", "y"),
        ("zadd", "l"),
        ("zremrangebylex", "l"),
        ("zpopmin", "l"),
        ("del", "l"),
        ("del", "u"),
        ("zpopmin", "z"),
        ("del", "z"),
    ];
    let got = events_until_marker(&mut w, &mut sub);
    let want: Vec<(String, String)> = want.iter().map(|(e, k)| (e.to_string(), k.to_string())).collect();
    assert_eq!(got, want);
}
