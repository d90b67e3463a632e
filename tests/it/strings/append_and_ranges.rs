//! APPEND, STRLEN, GETRANGE and SETRANGE.

use super::*;

#[test]
fn append_and_strlen() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["STRLEN", "k"], ":0\r\n");
    w.is(&["APPEND", "k", "hello"], ":5\r\n");
    w.is(&["APPEND", "k", " world"], ":11\r\n");
    w.is(&["GET", "k"], bulk("hello world"));
    w.is(&["STRLEN", "k"], ":11\r\n");
    w.is(&["APPEND", "k", ""], ":11\r\n");
    // APPEND of nothing to a missing key still creates it, empty.
    w.is(&["APPEND", "e", ""], ":0\r\n");
    w.is(&["EXISTS", "e"], ":1\r\n");
    w.is(&["GET", "e"], bulk(""));
    // Appending to a number gives a longer string.
    w.is(&["SET", "n", "12345"], OK);
    w.is(&["INCR", "n"], ":12346\r\n");
    w.is(&["APPEND", "n", "7"], ":6\r\n");
    w.is(&["GET", "n"], bulk("123467"));
    w.is(&["STRLEN", "n"], ":6\r\n");
    w.is(&["INCR", "n"], ":123468\r\n");
    // APPEND keeps the TTL.
    w.is(&["SET", "t", "a", "EX", "100"], OK);
    w.is(&["APPEND", "t", "b"], ":2\r\n");
    let ttl = w.int(&["TTL", "t"]);
    w.check((99..=100).contains(&ttl), format!("TTL after APPEND is {ttl}"));
    // Binary data.
    w.is(&[b"APPEND".as_slice(), b"bin", b"\x00\r\n"], ":3\r\n");
    w.is(&[b"APPEND".as_slice(), b"bin", b"\xff"], ":4\r\n");
    w.is(&["GET", "bin"], bulk(b"\x00\r\n\xff"));
    w.is(&["STRLEN", "bin"], ":4\r\n");
    // STRLEN counts bytes, not characters.
    w.is(&["SET", "utf8", "h\u{e9}llo"], OK);
    w.is(&["STRLEN", "utf8"], ":6\r\n");

    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["APPEND", key, "x"], WRONGTYPE);
        w.is(&["STRLEN", key], WRONGTYPE);
    }
    w.is(&["APPEND"], arity("append"));
    w.is(&["APPEND", "k"], arity("append"));
    w.is(&["APPEND", "k", "a", "b"], arity("append"));
    w.is(&["STRLEN"], arity("strlen"));
    w.is(&["STRLEN", "a", "b"], arity("strlen"));
}

#[test]
fn getrange() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "s", "This is a string"], OK);
    let cases: &[(&str, &str, &str)] = &[
        ("0", "3", "This"),
        ("-3", "-1", "ing"),
        ("0", "-1", "This is a string"),
        ("10", "100", "string"),
        ("0", "0", "T"),
        ("-1", "-1", "g"),
        ("15", "15", "g"),
        ("-100", "2", "Thi"),
        // Redis 7.0 clamps a negative end below the start of the string to
        // 0, so this answers the first byte.
        ("-100", "-50", "T"),
        ("16", "20", ""),
        ("100", "200", ""),
        ("5", "2", ""),
        ("-1", "-5", ""),
        ("0", "9223372036854775807", "This is a string"),
        ("-9223372036854775808", "-1", "This is a string"),
    ];
    for (start, end, want) in cases {
        w.is(&["GETRANGE", "s", start, end], bulk(want));
    }
    // Missing key and empty value: empty string.
    w.is(&["GETRANGE", "missing", "0", "-1"], bulk(""));
    w.is(&["SET", "e", ""], OK);
    w.is(&["GETRANGE", "e", "0", "-1"], bulk(""));
    w.is(&["GETRANGE", "e", "0", "0"], bulk(""));
    w.is(&["GETRANGE", "e", "-1", "10"], bulk(""));
    // Ranges are in bytes.
    w.is(&[b"SET".as_slice(), b"bin", b"a\x00b\r\nc"], OK);
    w.is(&["GETRANGE", "bin", "1", "3"], bulk(b"\x00b\r"));
    // An integer value is ranged as its decimal text.
    w.is(&["SET", "n", "123456"], OK);
    w.is(&["INCR", "n"], ":123457\r\n");
    w.is(&["GETRANGE", "n", "1", "2"], bulk("23"));

    w.is(&["GETRANGE", "s", "a", "1"], NOT_INT);
    w.is(&["GETRANGE", "s", "0", "1.5"], NOT_INT);
    w.is(&["GETRANGE", "s", "0", "99999999999999999999"], NOT_INT);
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["GETRANGE", key, "0", "-1"], WRONGTYPE);
    }
    w.is(&["GETRANGE", "s", "0"], arity("getrange"));
    w.is(&["GETRANGE", "s"], arity("getrange"));
    w.is(&["GETRANGE", "s", "0", "1", "2"], arity("getrange"));
}

#[test]
fn setrange() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "s", "Hello World"], OK);
    w.is(&["SETRANGE", "s", "6", "Redis"], ":11\r\n");
    w.is(&["GET", "s"], bulk("Hello Redis"));
    w.is(&["SETRANGE", "s", "9", "LOWORLD"], ":16\r\n");
    w.is(&["GET", "s"], bulk("Hello RedLOWORLD"));
    // Writing past the end pads with zero bytes.
    w.is(&["SETRANGE", "pad", "3", "abc"], ":6\r\n");
    w.is(&["GET", "pad"], bulk(b"\x00\x00\x00abc"));
    w.is(&["SET", "short", "ab"], OK);
    w.is(&["SETRANGE", "short", "4", "z"], ":5\r\n");
    w.is(&["GET", "short"], bulk(b"ab\x00\x00z"));
    // An empty value changes nothing and creates nothing.
    w.is(&["SETRANGE", "s", "100", ""], ":16\r\n");
    w.is(&["STRLEN", "s"], ":16\r\n");
    w.is(&["SETRANGE", "none", "0", ""], ":0\r\n");
    w.is(&["SETRANGE", "none", "5", ""], ":0\r\n");
    w.is(&["EXISTS", "none"], ":0\r\n");
    // On an integer value.
    w.is(&["SET", "n", "1234"], OK);
    w.is(&["INCR", "n"], ":1235\r\n");
    w.is(&["SETRANGE", "n", "0", "9"], ":4\r\n");
    w.is(&["INCR", "n"], ":9236\r\n");
    // SETRANGE keeps the TTL.
    w.is(&["SET", "t", "abc", "EX", "100"], OK);
    w.is(&["SETRANGE", "t", "1", "X"], ":3\r\n");
    let ttl = w.int(&["TTL", "t"]);
    w.check((99..=100).contains(&ttl), format!("TTL after SETRANGE is {ttl}"));
    // Binary data.
    w.is(&[b"SETRANGE".as_slice(), b"t", b"0", b"\r\n\x00"], ":3\r\n");
    w.is(&["GET", "t"], bulk(b"\r\n\x00"));

    w.is(&["SETRANGE", "s", "-1", "x"], "-ERR offset is out of range\r\n");
    w.is(&["SETRANGE", "none", "-1", ""], "-ERR offset is out of range\r\n");
    let too_big = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    // 512 MiB is the limit: offset 536870912 plus one byte is over it.
    w.is(&["SETRANGE", "s", "536870912", "x"], too_big);
    w.is(&["SETRANGE", "none", "536870912", "x"], too_big);
    w.is(&["SETRANGE", "none", "9223372036854775807", "x"], too_big);
    w.is(&["SETRANGE", "s", "536870900", "this is more than 12"], too_big);
    w.is(&["EXISTS", "none"], ":0\r\n");
    w.is(&["STRLEN", "s"], ":16\r\n");
    w.is(&["SETRANGE", "s", "abc", "x"], NOT_INT);
    w.is(&["SETRANGE", "s", "1.0", "x"], NOT_INT);
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["SETRANGE", key, "0", "x"], WRONGTYPE);
    }
    w.is(&["SETRANGE", "s", "0"], arity("setrange"));
    w.is(&["SETRANGE", "s", "0", "a", "b"], arity("setrange"));
}
