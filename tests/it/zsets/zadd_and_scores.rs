//! ZADD and its options, ZINCRBY, the lookups ZCARD, ZSCORE, ZMSCORE, ZRANK
//! and ZREVRANK, how scores are printed, the RESP3 reply shapes, and the
//! order of members with equal scores.

use super::*;

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
