//! The other ways to read and write a string: GETSET, GETDEL, GETEX, SETNX,
//! SETEX, PSETEX, MSET, MSETNX and MGET.

use super::*;

#[test]
fn getset() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["GETSET", "k", "1"], NIL);
    w.is(&["GETSET", "k", "2"], bulk("1"));
    w.is(&["GET", "k"], bulk("2"));
    // GETSET clears the TTL, like SET.
    w.is(&["SET", "t", "v", "EX", "100"], OK);
    w.is(&["GETSET", "t", "w"], bulk("v"));
    w.is(&["TTL", "t"], ":-1\r\n");
    w.is(&["GETSET", "k", ""], bulk("2"));
    w.is(&["GETSET", "k", "x"], bulk(""));
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["GETSET", key, "v"], WRONGTYPE);
    }
    w.is(&["TYPE", "list"], "+list\r\n");
    w.is(&["GETSET"], arity("getset"));
    w.is(&["GETSET", "k"], arity("getset"));
    w.is(&["GETSET", "k", "v", "x"], arity("getset"));
}

#[test]
fn getdel() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["GETDEL", "k"], NIL);
    w.is(&["SET", "k", "v"], OK);
    w.is(&["GETDEL", "k"], bulk("v"));
    w.is(&["EXISTS", "k"], ":0\r\n");
    w.is(&["GETDEL", "k"], NIL);
    w.is(&["SET", "e", ""], OK);
    w.is(&["GETDEL", "e"], bulk(""));
    w.is(&["EXISTS", "e"], ":0\r\n");
    w.is(&["SET", "t", "v", "EX", "100"], OK);
    w.is(&["GETDEL", "t"], bulk("v"));
    w.is(&["TTL", "t"], ":-2\r\n");
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["GETDEL", key], WRONGTYPE);
        w.is(&["EXISTS", key], ":1\r\n");
    }
    w.is(&["GETDEL"], arity("getdel"));
    w.is(&["GETDEL", "a", "b"], arity("getdel"));
}

#[test]
fn getex() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["GETEX", "missing"], NIL);
    w.is(&["GETEX", "missing", "EX", "10"], NIL);
    w.is(&["EXISTS", "missing"], ":0\r\n");

    w.is(&["SET", "k", "v", "EX", "100"], OK);
    // Without options GETEX is GET and leaves the TTL alone.
    w.is(&["GETEX", "k"], bulk("v"));
    let ttl = w.int(&["TTL", "k"]);
    w.check((99..=100).contains(&ttl), format!("TTL after plain GETEX is {ttl}"));
    w.is(&["GETEX", "k", "PERSIST"], bulk("v"));
    w.is(&["TTL", "k"], ":-1\r\n");
    w.is(&["GETEX", "k", "EX", "50"], bulk("v"));
    let ttl = w.int(&["TTL", "k"]);
    w.check((49..=50).contains(&ttl), format!("TTL after GETEX EX 50 is {ttl}"));
    w.is(&["GETEX", "k", "px", "20000"], bulk("v"));
    let pttl = w.int(&["PTTL", "k"]);
    w.check((19_000..=20_000).contains(&pttl), format!("PTTL after GETEX PX 20000 is {pttl}"));
    let at = now_secs() + 500;
    w.is(&["GETEX", "k", "EXAT", &at.to_string()], bulk("v"));
    w.is(&["EXPIRETIME", "k"], int(at));
    let pat = (now_secs() + 600) * 1000 + 7;
    w.is(&["GETEX", "k", "PXAT", &pat.to_string()], bulk("v"));
    w.is(&["PEXPIRETIME", "k"], int(pat));
    w.is(&["GETEX", "k", "persist"], bulk("v"));
    w.is(&["TTL", "k"], ":-1\r\n");
    w.is(&["GETEX", "k", "PERSIST", "PERSIST"], bulk("v"));

    // Errors leave the key as it was.
    w.is(&["GETEX", "k", "EX", "10", "PX", "10"], SYNTAX);
    w.is(&["GETEX", "k", "EX", "10", "PERSIST"], SYNTAX);
    w.is(&["GETEX", "k", "PERSIST", "EXAT", "10"], SYNTAX);
    w.is(&["GETEX", "k", "EX"], SYNTAX);
    w.is(&["GETEX", "k", "FOO"], SYNTAX);
    w.is(&["GETEX", "k", "KEEPTTL"], SYNTAX);
    w.is(&["GETEX", "missing", "FOO"], SYNTAX);
    w.is(&["GETEX", "k", "EX", "abc"], NOT_INT);
    let getex = bad_expire("getex");
    w.is(&["GETEX", "k", "EX", "0"], &getex);
    w.is(&["GETEX", "k", "EX", "-1"], &getex);
    w.is(&["GETEX", "k", "PX", "-1"], &getex);
    w.is(&["GETEX", "k", "EXAT", "0"], &getex);
    w.is(&["GETEX", "k", "PXAT", "0"], &getex);
    w.is(&["GETEX", "k", "EX", "9223372036854775807"], &getex);
    w.is(&["GETEX", "k", "PX", "9223372036854775807"], &getex);
    w.is(&["GETEX", "k", "EXAT", "9223372036854775807"], &getex);
    w.is(&["TTL", "k"], ":-1\r\n");
    w.is(&["GET", "k"], bulk("v"));

    // A time in the past answers the value and deletes the key.
    w.is(&["GETEX", "k", "PXAT", "1"], bulk("v"));
    w.is(&["EXISTS", "k"], ":0\r\n");

    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["GETEX", key], WRONGTYPE);
        w.is(&["GETEX", key, "EX", "10"], WRONGTYPE);
    }
    w.is(&["TTL", "list"], ":-1\r\n");
    w.is(&["GETEX"], arity("getex"));
}

#[test]
fn setnx() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SETNX", "k", "1"], ":1\r\n");
    w.is(&["SETNX", "k", "2"], ":0\r\n");
    w.is(&["GET", "k"], bulk("1"));
    w.is(&["SETNX", "e", ""], ":1\r\n");
    w.is(&["GET", "e"], bulk(""));
    make_other_types(&mut w);
    w.is(&["SETNX", "list", "v"], ":0\r\n");
    w.is(&["TYPE", "list"], "+list\r\n");
    w.is(&["SETNX"], arity("setnx"));
    w.is(&["SETNX", "k"], arity("setnx"));
    w.is(&["SETNX", "k", "v", "x"], arity("setnx"));
}

#[test]
fn setex_and_psetex() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SETEX", "s", "100", "v"], OK);
    w.is(&["GET", "s"], bulk("v"));
    let ttl = w.int(&["TTL", "s"]);
    w.check((99..=100).contains(&ttl), format!("TTL after SETEX 100 is {ttl}"));
    w.is(&["PSETEX", "p", "100000", "v"], OK);
    w.is(&["GET", "p"], bulk("v"));
    let pttl = w.int(&["PTTL", "p"]);
    w.check((90_000..=100_000).contains(&pttl), format!("PTTL after PSETEX is {pttl}"));
    // Both replace a value of another type.
    make_other_types(&mut w);
    w.is(&["SETEX", "list", "10", "v"], OK);
    w.is(&["TYPE", "list"], "+string\r\n");
    w.is(&["PSETEX", "hash", "10000", "v"], OK);
    w.is(&["TYPE", "hash"], "+string\r\n");

    w.is(&["SET", "k", "orig"], OK);
    let setex = bad_expire("setex");
    let psetex = bad_expire("psetex");
    for bad in ["0", "-1", "9223372036854775807"] {
        w.is(&["SETEX", "k", bad, "v"], &setex);
        w.is(&["PSETEX", "k", bad, "v"], &psetex);
    }
    w.is(&["SETEX", "k", "abc", "v"], NOT_INT);
    w.is(&["PSETEX", "k", "1.5", "v"], NOT_INT);
    w.is(&["GET", "k"], bulk("orig"));
    w.is(&["SETEX"], arity("setex"));
    w.is(&["SETEX", "k", "10"], arity("setex"));
    w.is(&["SETEX", "k", "10", "v", "x"], arity("setex"));
    w.is(&["PSETEX", "k", "10"], arity("psetex"));
    w.is(&["PSETEX", "k", "10", "v", "x"], arity("psetex"));
}

#[test]
fn mset_and_mget() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["MSET", "a", "1", "b", "2", "c", "3"], OK);
    w.is(&["MGET", "a", "b", "c", "d"], "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$-1\r\n");
    w.is(&["MGET", "a"], "*1\r\n$1\r\n1\r\n");
    w.is(&["MGET", "a", "a"], "*2\r\n$1\r\n1\r\n$1\r\n1\r\n");
    // A key given twice: the last value wins.
    w.is(&["MSET", "r", "1", "r", "2"], OK);
    w.is(&["GET", "r"], bulk("2"));
    // MSET clears TTLs and replaces other types.
    w.is(&["SET", "t", "v", "EX", "100"], OK);
    make_other_types(&mut w);
    w.is(&["MSET", "t", "x", "list", "y"], OK);
    w.is(&["TTL", "t"], ":-1\r\n");
    w.is(&["TYPE", "list"], "+string\r\n");
    // MGET answers nil for values of other types, never an error.
    w.is(&["MGET", "set", "a", "missing"], "*3\r\n$-1\r\n$1\r\n1\r\n$-1\r\n");

    w.is(&["MSET"], arity("mset"));
    w.is(&["MSET", "a"], arity("mset"));
    w.is(&["MSET", "a", "1", "b"], arity("mset"));
    w.is(&["MGET"], arity("mget"));
    w.is(&["GET", "b"], bulk("2"));
}

#[test]
fn msetnx() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["MSETNX", "a", "1", "b", "2"], ":1\r\n");
    w.is(&["MGET", "a", "b"], "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    // One existing key: nothing is set.
    w.is(&["MSETNX", "c", "3", "a", "9"], ":0\r\n");
    w.is(&["EXISTS", "c"], ":0\r\n");
    w.is(&["GET", "a"], bulk("1"));
    // A key given twice in one call: both are new, the last value wins.
    w.is(&["MSETNX", "q", "1", "q", "2"], ":1\r\n");
    w.is(&["GET", "q"], bulk("2"));
    // Keys of any type count as existing.
    make_other_types(&mut w);
    w.is(&["MSETNX", "d", "4", "zset", "v"], ":0\r\n");
    w.is(&["EXISTS", "d"], ":0\r\n");
    w.is(&["TYPE", "zset"], "+zset\r\n");
    w.is(&["MSETNX"], arity("msetnx"));
    w.is(&["MSETNX", "x"], arity("msetnx"));
    w.is(&["MSETNX", "x", "1", "y"], arity("msetnx"));
    w.is(&["EXISTS", "x"], ":0\r\n");
}
