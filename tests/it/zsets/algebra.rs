//! ZUNION, ZINTER, ZDIFF and their STORE forms, and ZINTERCARD.

use super::*;

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
