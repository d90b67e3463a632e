//! The counters INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT: replies,
//! overflow, values that are not numbers, and Efis's own names for INCR
//! and DECR.

use super::*;

#[test]
fn incr_and_decr() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["INCR", "c"], ":1\r\n");
    w.is(&["INCR", "c"], ":2\r\n");
    w.is(&["GET", "c"], bulk("2"));
    w.is(&["DECR", "c"], ":1\r\n");
    w.is(&["DECR", "c"], ":0\r\n");
    w.is(&["DECR", "c"], ":-1\r\n");
    w.is(&["GET", "c"], bulk("-1"));
    w.is(&["DECR", "d"], ":-1\r\n");
    w.is(&["incr", "d"], ":0\r\n");
    w.is(&["SET", "s", "41"], OK);
    w.is(&["INCR", "s"], ":42\r\n");
    w.is(&["SET", "neg", "-5"], OK);
    w.is(&["INCR", "neg"], ":-4\r\n");
    // INCR keeps the TTL.
    w.is(&["SET", "t", "1", "EX", "100"], OK);
    w.is(&["INCR", "t"], ":2\r\n");
    let ttl = w.int(&["TTL", "t"]);
    w.check((99..=100).contains(&ttl), format!("TTL after INCR is {ttl}"));

    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["INCR", key], WRONGTYPE);
        w.is(&["DECR", key], WRONGTYPE);
    }
    w.is(&["INCR"], arity("incr"));
    w.is(&["INCR", "a", "b"], arity("incr"));
    w.is(&["DECR"], arity("decr"));
    w.is(&["DECR", "a", "b"], arity("decr"));
}

#[test]
fn incrby_and_decrby() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["INCRBY", "c", "10"], ":10\r\n");
    w.is(&["INCRBY", "c", "-25"], ":-15\r\n");
    w.is(&["DECRBY", "c", "5"], ":-20\r\n");
    w.is(&["DECRBY", "c", "-30"], ":10\r\n");
    w.is(&["INCRBY", "c", "0"], ":10\r\n");
    w.is(&["DECRBY", "new", "7"], ":-7\r\n");
    w.is(&["GET", "c"], bulk("10"));
    w.is(&["INCRBY", "big", "9223372036854775807"], ":9223372036854775807\r\n");
    w.is(&["INCRBY", "small", "-9223372036854775808"], ":-9223372036854775808\r\n");
    w.is(&["GET", "small"], bulk("-9223372036854775808"));

    // The increment must be a plain decimal integer.
    for bad in ["abc", "1.5", "", "+5", " 5", "5 ", "05", "-0", "0x10", "99999999999999999999"] {
        w.is(&["INCRBY", "c", bad], NOT_INT);
        w.is(&["DECRBY", "c", bad], NOT_INT);
    }
    w.is(&["GET", "c"], bulk("10"));

    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["INCRBY", key, "1"], WRONGTYPE);
        w.is(&["DECRBY", key, "1"], WRONGTYPE);
    }
    w.is(&["INCRBY", "c"], arity("incrby"));
    w.is(&["INCRBY", "c", "1", "2"], arity("incrby"));
    w.is(&["DECRBY", "c"], arity("decrby"));
    w.is(&["DECRBY"], arity("decrby"));
}

#[test]
fn counter_overflow() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "max", "9223372036854775807"], OK);
    w.is(&["INCR", "max"], OVERFLOW);
    w.is(&["INCRBY", "max", "1"], OVERFLOW);
    w.is(&["DECRBY", "max", "-1"], OVERFLOW);
    w.is(&["GET", "max"], bulk("9223372036854775807"));
    w.is(&["DECR", "max"], ":9223372036854775806\r\n");

    w.is(&["SET", "min", "-9223372036854775808"], OK);
    w.is(&["DECR", "min"], OVERFLOW);
    w.is(&["DECRBY", "min", "1"], OVERFLOW);
    w.is(&["INCRBY", "min", "-1"], OVERFLOW);
    w.is(&["GET", "min"], bulk("-9223372036854775808"));
    w.is(&["INCR", "min"], ":-9223372036854775807\r\n");

    w.is(&["SET", "mid", "5000000000000000000"], OK);
    w.is(&["INCRBY", "mid", "5000000000000000000"], OVERFLOW);
    w.is(&["INCRBY", "mid", "-9223372036854775808"], ":-4223372036854775808\r\n");
    // Negating i64::MIN for DECRBY has its own message.
    w.is(&["SET", "zero", "0"], OK);
    w.is(&["DECRBY", "zero", "-9223372036854775808"], "-ERR decrement would overflow\r\n");
    w.is(&["GET", "zero"], bulk("0"));
}

#[test]
fn counters_reject_values_that_are_not_integers() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let bad_values: &[&[u8]] = &[
        b"abc",
        b"",
        b" 1",
        b"1 ",
        b"01",
        b"00",
        b"+1",
        b"-0",
        b"1.0",
        b"1e3",
        b"0x10",
        b"9223372036854775808",
        b"-9223372036854775809",
        b"1\x00",
        b"\xff",
    ];
    for (i, value) in bad_values.iter().enumerate() {
        let key = format!("bad{i}");
        w.is(&[b"SET".as_slice(), key.as_bytes(), value], OK);
        w.is(&["INCR", &key], NOT_INT);
        w.is(&["DECR", &key], NOT_INT);
        w.is(&["INCRBY", &key, "1"], NOT_INT);
        w.is(&["DECRBY", &key, "1"], NOT_INT);
        w.is(&["GET", &key], bulk(value));
    }
    // The value "0" and negative values are fine.
    w.is(&["SET", "z", "0"], OK);
    w.is(&["INCR", "z"], ":1\r\n");
    w.is(&["SET", "z", "-10"], OK);
    w.is(&["DECRBY", "z", "-10"], ":0\r\n");
}

#[test]
fn incrbyfloat_replies() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["INCRBYFLOAT", "f", "10.5"], bulk("10.5"));
    w.is(&["GET", "f"], bulk("10.5"));
    w.is(&["INCRBYFLOAT", "f", "0.1"], bulk("10.6"));
    w.is(&["INCRBYFLOAT", "f", "-5"], bulk("5.6"));
    w.is(&["INCRBYFLOAT", "f", "-5.6"], bulk("0"));
    w.is(&["SET", "e", "5.0e3"], OK);
    w.is(&["INCRBYFLOAT", "e", "2.0e2"], bulk("5200"));
    w.is(&["INCRBYFLOAT", "e2", "5.0e3"], bulk("5000"));
    w.is(&["INCRBYFLOAT", "e3", "1E2"], bulk("100"));
    // An integer value and an integer increment still answer a bulk string.
    w.is(&["SET", "i", "10"], OK);
    w.is(&["INCRBYFLOAT", "i", "1.5"], bulk("11.5"));
    w.is(&["INCR", "i"], NOT_INT);
    w.is(&["INCRBYFLOAT", "n", "3"], bulk("3"));
    w.is(&["INCR", "n"], ":4\r\n");
    // 17 significant digits at most; trailing zeros are trimmed.
    w.is(&["INCRBYFLOAT", "p", "3.0000000000000000001"], bulk("3"));
    w.is(&["INCRBYFLOAT", "sum", "0.1"], bulk("0.1"));
    w.is(&["INCRBYFLOAT", "sum", "0.2"], bulk("0.3"));
    w.is(&["INCRBYFLOAT", "tiny", "1.5e-5"], bulk("0.000015"));
    w.is(&["INCRBYFLOAT", "tinier", "0.000001"], bulk("0.000001"));
    w.is(&["INCRBYFLOAT", "vanish", "1e-20"], bulk("0"));
    w.is(&["INCRBYFLOAT", "huge", "1e20"], bulk("100000000000000000000"));
    w.is(&["INCRBYFLOAT", "whole", "17179869184"], bulk("17179869184"));
    w.is(&["INCRBYFLOAT", "neg", "-1.5"], bulk("-1.5"));
    w.is(&["INCRBYFLOAT", "negzero", "-0"], bulk("0"));
    w.is(&["INCRBYFLOAT", "plus", "+1"], bulk("1"));
    w.is(&["INCRBYFLOAT", "dot", ".5"], bulk("0.5"));
    w.is(&["INCRBYFLOAT", "dot2", "5."], bulk("5"));
    w.is(&["SET", "sci", "1e2"], OK);
    w.is(&["INCRBYFLOAT", "sci", "0"], bulk("100"));
    // INCRBYFLOAT keeps the TTL.
    w.is(&["SET", "t", "1", "EX", "100"], OK);
    w.is(&["INCRBYFLOAT", "t", "0.5"], bulk("1.5"));
    let ttl = w.int(&["TTL", "t"]);
    w.check((99..=100).contains(&ttl), format!("TTL after INCRBYFLOAT is {ttl}"));
}

#[test]
fn incrbyfloat_errors() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "f", "1.5"], OK);
    for bad in ["abc", "", " 1", "1 ", "1.5abc", "nan", "NaN"] {
        w.is(&["INCRBYFLOAT", "f", bad], NOT_FLOAT);
    }
    let nan_or_inf = "-ERR increment would produce NaN or Infinity\r\n";
    w.is(&["INCRBYFLOAT", "f", "inf"], nan_or_inf);
    w.is(&["INCRBYFLOAT", "f", "-inf"], nan_or_inf);
    w.is(&["GET", "f"], bulk("1.5"));
    for (i, value) in ["abc", " 1.5", "1.5abc", "", "1.5 "].iter().enumerate() {
        let key = format!("s{i}");
        w.is(&["SET", &key, value], OK);
        w.is(&["INCRBYFLOAT", &key, "1"], NOT_FLOAT);
        w.is(&["GET", &key], bulk(value));
    }
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["INCRBYFLOAT", key, "1"], WRONGTYPE);
    }
    w.is(&["INCRBYFLOAT"], arity("incrbyfloat"));
    w.is(&["INCRBYFLOAT", "f"], arity("incrbyfloat"));
    w.is(&["INCRBYFLOAT", "f", "1", "2"], arity("incrbyfloat"));
}

/// Efis's own names for INCR and DECR.
#[test]
fn increment_and_decrement_aliases() {
    if common::is_redis() {
        return;
    }
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["INCREMENT", "c"], ":1\r\n");
    w.is(&["increment", "c"], ":2\r\n");
    w.is(&["DECREMENT", "c"], ":1\r\n");
    w.is(&["DECREMENT", "d"], ":-1\r\n");
    w.is(&["GET", "c"], bulk("1"));
    w.is(&["SET", "max", "9223372036854775807"], OK);
    w.is(&["INCREMENT", "max"], OVERFLOW);
    w.is(&["SET", "s", "abc"], OK);
    w.is(&["INCREMENT", "s"], NOT_INT);
    w.is(&["DECREMENT", "s"], NOT_INT);
    w.is(&["LPUSH", "list", "x"], ":1\r\n");
    w.is(&["INCREMENT", "list"], WRONGTYPE);
    w.is(&["DECREMENT", "list"], WRONGTYPE);
    // Arity errors name the command, by either of its names.
    for (args, names) in
        [(&["INCREMENT"][..], ["increment", "incr"]), (&["DECREMENT", "a", "b"][..], ["decrement", "decr"])]
    {
        let got = w.call(args);
        let ok = names.iter().any(|name| got == arity(name).as_bytes());
        w.check(ok, format!("{args:?} -> got \"{}\", want an arity error", show(&got)));
    }
}
