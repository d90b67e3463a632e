//! SET and GET: NX and XX, GET, the expiry options EX, PX, EXAT, PXAT and
//! KEEPTTL, and the option combinations and expire times SET refuses.

use super::*;

#[test]
fn set_and_get() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["GET", "k"], NIL);
    w.is(&["SET", "k", "v1"], OK);
    w.is(&["GET", "k"], bulk("v1"));
    w.is(&["SET", "k", "v2"], OK);
    w.is(&["GET", "k"], bulk("v2"));
    // Command names are case-insensitive.
    w.is(&["set", "k", "v3"], OK);
    w.is(&["gEt", "k"], bulk("v3"));
    // Keys are not.
    w.is(&["GET", "K"], NIL);
    // A number set as a string comes back as the same bulk string.
    w.is(&["SET", "n", "42"], OK);
    w.is(&["GET", "n"], bulk("42"));
    w.is(&["SET", "n", "-0042.50"], OK);
    w.is(&["GET", "n"], bulk("-0042.50"));

    w.is(&["GET"], arity("get"));
    w.is(&["GET", "k", "extra"], arity("get"));
    w.is(&["SET"], arity("set"));
    w.is(&["SET", "k"], arity("set"));
    w.is(&["SET", "k", "v", "extra"], SYNTAX);
    w.is(&["GET", "k"], bulk("v3"));
}

#[test]
fn get_and_set_on_other_types() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["GET", key], WRONGTYPE);
    }
    // SET replaces a value of any type.
    w.is(&["SET", "list", "now a string"], OK);
    w.is(&["TYPE", "list"], "+string\r\n");
    w.is(&["GET", "list"], bulk("now a string"));
}

#[test]
fn set_nx_xx() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "1", "XX"], NIL);
    w.is(&["EXISTS", "k"], ":0\r\n");
    w.is(&["SET", "k", "1", "NX"], OK);
    w.is(&["SET", "k", "2", "NX"], NIL);
    w.is(&["GET", "k"], bulk("1"));
    w.is(&["SET", "k", "3", "XX"], OK);
    w.is(&["GET", "k"], bulk("3"));
    // Option keywords are case-insensitive.
    w.is(&["SET", "k", "4", "nx"], NIL);
    w.is(&["SET", "k", "5", "xX"], OK);
    w.is(&["GET", "k"], bulk("5"));
    // Repeating the same flag is accepted.
    w.is(&["SET", "k", "6", "XX", "XX"], OK);
    w.is(&["SET", "other", "1", "NX", "NX"], OK);
    // NX and XX see keys of every type.
    make_other_types(&mut w);
    w.is(&["SET", "list", "v", "NX"], NIL);
    w.is(&["TYPE", "list"], "+list\r\n");
    w.is(&["SET", "set", "v", "XX"], OK);
    w.is(&["TYPE", "set"], "+string\r\n");
}

#[test]
fn set_get_option() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "old", "GET"], NIL);
    w.is(&["GET", "k"], bulk("old"));
    w.is(&["SET", "k", "new", "GET"], bulk("old"));
    w.is(&["GET", "k"], bulk("new"));
    w.is(&["SET", "k", "newer", "get"], bulk("new"));
    // NX GET: answers the old value and does not overwrite it.
    w.is(&["SET", "k", "nope", "NX", "GET"], bulk("newer"));
    w.is(&["GET", "k"], bulk("newer"));
    w.is(&["SET", "fresh", "v", "NX", "GET"], NIL);
    w.is(&["GET", "fresh"], bulk("v"));
    // XX GET on a missing key: nil and nothing set.
    w.is(&["SET", "missing", "v", "XX", "GET"], NIL);
    w.is(&["EXISTS", "missing"], ":0\r\n");
    w.is(&["SET", "k", "last", "GET", "XX"], bulk("newer"));
    w.is(&["SET", "k", "again", "GET", "GET"], bulk("last"));
    // GET with a value of another type is an error and changes nothing.
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["SET", key, "v", "GET"], WRONGTYPE);
    }
    w.is(&["TYPE", "list"], "+list\r\n");
    w.is(&["LRANGE", "list", "0", "-1"], "*1\r\n$1\r\nx\r\n");
}

#[test]
fn set_expiry_options() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "ex", "v", "EX", "100"], OK);
    let ttl = w.int(&["TTL", "ex"]);
    w.check((99..=100).contains(&ttl), format!("TTL after EX 100 is {ttl}"));

    w.is(&["SET", "px", "v", "PX", "100000"], OK);
    let pttl = w.int(&["PTTL", "px"]);
    w.check((90_000..=100_000).contains(&pttl), format!("PTTL after PX 100000 is {pttl}"));

    let at = now_secs() + 1000;
    w.is(&["SET", "exat", "v", "EXAT", &at.to_string()], OK);
    let ttl = w.int(&["TTL", "exat"]);
    w.check((990..=1001).contains(&ttl), format!("TTL after EXAT now+1000 is {ttl}"));
    w.is(&["EXPIRETIME", "exat"], int(at));

    let pat = (now_secs() + 2000) * 1000 + 123;
    w.is(&["SET", "pxat", "v", "PXAT", &pat.to_string()], OK);
    w.is(&["PEXPIRETIME", "pxat"], int(pat));

    // Lowercase option names.
    w.is(&["SET", "lower", "v", "ex", "50"], OK);
    let ttl = w.int(&["TTL", "lower"]);
    w.check((49..=50).contains(&ttl), format!("TTL after ex 50 is {ttl}"));

    // The same option twice: the last one wins.
    w.is(&["SET", "twice", "v", "EX", "10", "EX", "20"], OK);
    let ttl = w.int(&["TTL", "twice"]);
    w.check((19..=20).contains(&ttl), format!("TTL after EX 10 EX 20 is {ttl}"));

    // An absolute time in the past stores nothing visible.
    w.is(&["SET", "past", "v", "EXAT", "1"], OK);
    w.is(&["GET", "past"], NIL);
    w.is(&["EXISTS", "past"], ":0\r\n");
    w.is(&["SET", "past", "v", "PXAT", "1"], OK);
    w.is(&["GET", "past"], NIL);

    // KEEPTTL keeps the TTL; a plain SET drops it.
    w.is(&["SET", "ex", "v2", "KEEPTTL"], OK);
    let ttl = w.int(&["TTL", "ex"]);
    w.check((98..=100).contains(&ttl), format!("TTL after KEEPTTL is {ttl}"));
    w.is(&["GET", "ex"], bulk("v2"));
    w.is(&["SET", "ex", "v3", "keepttl", "GET"], bulk("v2"));
    let ttl = w.int(&["TTL", "ex"]);
    w.check((98..=100).contains(&ttl), format!("TTL after KEEPTTL GET is {ttl}"));
    w.is(&["SET", "ex", "v4"], OK);
    w.is(&["TTL", "ex"], ":-1\r\n");
    // KEEPTTL on a key without TTL, or on a new key.
    w.is(&["SET", "nottl", "v", "KEEPTTL"], OK);
    w.is(&["TTL", "nottl"], ":-1\r\n");

    // XX with EX sets the TTL only when the key exists.
    w.is(&["SET", "absent", "v", "XX", "EX", "10"], NIL);
    w.is(&["TTL", "absent"], ":-2\r\n");
    w.is(&["SET", "nottl", "v", "XX", "PX", "10000"], OK);
    let pttl = w.int(&["PTTL", "nottl"]);
    w.check((1..=10_000).contains(&pttl), format!("PTTL after XX PX 10000 is {pttl}"));
}

#[test]
fn set_invalid_option_combinations() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "orig"], OK);
    let bad: &[&[&str]] = &[
        &["SET", "k", "v", "NX", "XX"],
        &["SET", "k", "v", "XX", "NX"],
        &["SET", "k", "v", "EX", "10", "PX", "10"],
        &["SET", "k", "v", "PX", "10", "EX", "10"],
        &["SET", "k", "v", "EX", "10", "EXAT", "10"],
        &["SET", "k", "v", "EXAT", "10", "PXAT", "10"],
        &["SET", "k", "v", "PX", "10", "PXAT", "10"],
        &["SET", "k", "v", "EX", "10", "KEEPTTL"],
        &["SET", "k", "v", "KEEPTTL", "PX", "10"],
        &["SET", "k", "v", "KEEPTTL", "EXAT", "10"],
        &["SET", "k", "v", "PXAT", "10", "KEEPTTL"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "PX"],
        &["SET", "k", "v", "EXAT"],
        &["SET", "k", "v", "PXAT"],
        &["SET", "k", "v", "NX", "EX"],
        &["SET", "k", "v", "FOO"],
        &["SET", "k", "v", "EX", "10", "FOO"],
        &["SET", "k", "v", "GETT"],
        &["SET", "k", "v", "10"],
    ];
    for args in bad {
        w.is(args, SYNTAX);
    }
    // Nothing above may have touched the key.
    w.is(&["GET", "k"], bulk("orig"));
    w.is(&["TTL", "k"], ":-1\r\n");
}

#[test]
fn set_invalid_expire_times() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "orig"], OK);
    let set = bad_expire("set");
    for (opt, value) in [
        ("EX", "0"),
        ("EX", "-1"),
        ("PX", "0"),
        ("PX", "-5"),
        ("EXAT", "0"),
        ("EXAT", "-1"),
        ("PXAT", "0"),
        ("PXAT", "-100"),
        // Overflow when converted to milliseconds or added to now.
        ("EX", "9223372036854775807"),
        ("EX", "9223372036854775"),
        ("PX", "9223372036854775807"),
        ("EXAT", "9223372036854775807"),
    ] {
        w.is(&["SET", "k", "v", opt, value], &set);
    }
    // Not an integer at all.
    for value in ["abc", "1.5", "", " 1", "99999999999999999999"] {
        w.is(&["SET", "k", "v", "EX", value], NOT_INT);
    }
    w.is(&["SET", "k", "v", "PX", "1.5"], NOT_INT);
    w.is(&["GET", "k"], bulk("orig"));
    w.is(&["TTL", "k"], ":-1\r\n");
    // The largest absolute time that still fits is accepted.
    w.is(&["SET", "far", "v", "PXAT", "9223372036854775807"], OK);
    w.is(&["PEXPIRETIME", "far"], ":9223372036854775807\r\n");
    w.is(&["GET", "far"], bulk("v"));
}
