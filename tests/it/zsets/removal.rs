//! Taking members out: ZREM, ZREMRANGEBYRANK, ZREMRANGEBYSCORE,
//! ZREMRANGEBYLEX, ZPOPMIN, ZPOPMAX and ZMPOP.

use super::*;

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
