//! The ZRANGE family by rank, by score and by lex (ZRANGE, ZREVRANGE,
//! ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX), ZCOUNT,
//! ZLEXCOUNT and ZRANGESTORE.

use super::*;

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
