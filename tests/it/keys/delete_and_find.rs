//! DEL and Efis's own name for it, DELETE; UNLINK, EXISTS, TYPE of each kind
//! of value, and KEYS with glob patterns, binary and pathological ones
//! included.

use super::*;

#[test]
fn del() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["MSET", "a", "1", "b", "2", "c", "3"], OK);
    w.is(&["DEL", "a", "b", "missing"], ":2\r\n");
    w.is(&["EXISTS", "a", "b", "c"], ":1\r\n");
    w.is(&["DEL", "a"], ":0\r\n");
    // A key named twice is deleted (and counted) once.
    w.is(&["DEL", "c", "c"], ":1\r\n");
    w.is(&["DBSIZE"], ":0\r\n");
    // Every type.
    make_one_of_each(&mut w);
    w.is(&["DEL", "str", "list", "set", "zset", "hash"], ":5\r\n");
    w.is(&["DBSIZE"], ":0\r\n");
    // A deleted key with a TTL comes back without one.
    w.is(&["SET", "t", "v", "EX", "100"], OK);
    w.is(&["del", "t"], ":1\r\n");
    w.is(&["SET", "t", "v"], OK);
    w.is(&["TTL", "t"], ":-1\r\n");
    // Binary and empty keys.
    w.is(&[b"SET".as_slice(), b"\x00\r\n", b"v"], OK);
    w.is(&["SET", "", "v"], OK);
    w.is(&[b"DEL".as_slice(), b"\x00\r\n", b"", b"\x00"], ":2\r\n");
    w.is(&["DEL"], arity("del"));
}

/// Efis's own name for DEL.
#[test]
fn delete_alias() {
    if common::is_redis() {
        return;
    }
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["MSET", "a", "1", "b", "2"], OK);
    w.is(&["DELETE", "a", "b", "c"], ":2\r\n");
    w.is(&["delete", "a"], ":0\r\n");
    w.is(&["EXISTS", "a", "b"], ":0\r\n");
    let got = w.call(&["DELETE"]);
    let ok = got == arity("delete").as_bytes() || got == arity("del").as_bytes();
    w.check(ok, format!("DELETE -> got \"{}\", want an arity error", show(&got)));
}

#[test]
fn unlink() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_one_of_each(&mut w);
    w.is(&["UNLINK", "str", "list", "nope", "list"], ":2\r\n");
    w.is(&["EXISTS", "str", "list"], ":0\r\n");
    w.is(&["UNLINK", "set", "zset", "hash"], ":3\r\n");
    w.is(&["DBSIZE"], ":0\r\n");
    w.is(&["UNLINK", "nope"], ":0\r\n");
    w.is(&["UNLINK"], arity("unlink"));
}

#[test]
fn exists() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["EXISTS", "a"], ":0\r\n");
    w.is(&["SET", "a", "1"], OK);
    w.is(&["EXISTS", "a"], ":1\r\n");
    // Every mention counts, duplicates included.
    w.is(&["EXISTS", "a", "a", "a"], ":3\r\n");
    w.is(&["EXISTS", "a", "missing", "a"], ":2\r\n");
    make_one_of_each(&mut w);
    w.is(&["EXISTS", "str", "list", "set", "zset", "hash", "none"], ":5\r\n");
    // A list emptied by popping no longer exists.
    w.is(&["LPOP", "list", "2"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    w.is(&["EXISTS", "list"], ":0\r\n");
    // Keys are case-sensitive and binary.
    w.is(&["EXISTS", "A"], ":0\r\n");
    w.is(&[b"SET".as_slice(), b"a\x00", b"1"], OK);
    w.is(&[b"EXISTS".as_slice(), b"a\x00", b"a\x00\x00"], ":1\r\n");
    w.is(&["EXISTS"], arity("exists"));
}

#[test]
fn type_of_each_kind() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_one_of_each(&mut w);
    for (key, kind) in ALL_TYPES {
        w.is(&["TYPE", key], format!("+{kind}\r\n"));
    }
    w.is(&["TYPE", "missing"], "+none\r\n");
    // An integer-looking value is still a string.
    w.is(&["SET", "n", "12"], OK);
    w.is(&["INCR", "n"], ":13\r\n");
    w.is(&["type", "n"], "+string\r\n");
    // The type goes with the last element.
    w.is(&["SREM", "set", "a", "b"], ":2\r\n");
    w.is(&["TYPE", "set"], "+none\r\n");
    w.is(&["HDEL", "hash", "f"], ":1\r\n");
    w.is(&["TYPE", "hash"], "+none\r\n");
    w.is(&["ZREM", "zset", "a", "b"], ":2\r\n");
    w.is(&["TYPE", "zset"], "+none\r\n");
    w.is(&["TYPE"], arity("type"));
    w.is(&["TYPE", "a", "b"], arity("type"));
}

#[test]
fn keys_glob_patterns() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let names = [
        "hello", "hallo", "hxllo", "hllo", "heeeello", "Hello", "a*b", "axb", "a?b", "a\\b", "ab", "a[b", "a]", "x",
        "[", "]",
    ];
    for name in names {
        w.is(&["SET", name, "1"], OK);
    }
    w.same_set(&["KEYS", "*"], &names);
    let cases: &[(&str, &[&str])] = &[
        ("h?llo", &["hallo", "hello", "hxllo"]),
        ("h*llo", &["hallo", "heeeello", "hello", "hllo", "hxllo"]),
        ("h**llo", &["hallo", "heeeello", "hello", "hllo", "hxllo"]),
        ("*llo", &["Hello", "hallo", "heeeello", "hello", "hllo", "hxllo"]),
        ("h*", &["hallo", "heeeello", "hello", "hllo", "hxllo"]),
        ("H*", &["Hello"]),
        ("hello", &["hello"]),
        ("h[ae]llo", &["hallo", "hello"]),
        ("h[^e]llo", &["hallo", "hxllo"]),
        ("h[a-b]llo", &["hallo"]),
        ("h[a-z]llo", &["hallo", "hello", "hxllo"]),
        // A reversed range is taken as if written in order.
        ("h[z-x]llo", &["hxllo"]),
        ("[hH]ello", &["Hello", "hello"]),
        ("?", &["x", "[", "]"]),
        ("??", &["ab", "a]"]),
        ("a\\*b", &["a*b"]),
        ("a\\?b", &["a?b"]),
        ("a\\\\b", &["a\\b"]),
        ("a\\[b", &["a[b"]),
        ("a[\\[]b", &["a[b"]),
        ("a[*]b", &["a*b"]),
        ("\\x", &["x"]),
        ("\\[", &["["]),
        ("a]", &["a]"]),
        ("a*b", &["a*b", "a?b", "a[b", "a\\b", "ab", "axb"]),
        ("a?b", &["a*b", "a?b", "a[b", "a\\b", "axb"]),
        ("nomatch*", &[]),
        ("", &[]),
    ];
    for (pattern, want) in cases {
        w.same_set(&["KEYS", pattern], want);
    }
    w.is(&["KEYS"], arity("keys"));
    w.is(&["KEYS", "a", "b"], arity("keys"));
}

#[test]
fn keys_binary_and_pathological_patterns() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&[b"SET".as_slice(), b"bin\x00ary", b"1"], OK);
    w.is(&[b"SET".as_slice(), b"bin\r\nary", b"1"], OK);
    w.is(&["SET", "binary", "1"], OK);
    let got = w.set(&[b"KEYS".as_slice(), b"bin?ary"]);
    let want: BTreeSet<Vec<u8>> = [b"bin\x00ary".to_vec()].into_iter().collect();
    w.check(got == want, format!("KEYS bin?ary -> {got:?}"));
    let got = w.set(&[b"KEYS".as_slice(), b"bin\x00*"]);
    w.check(got == want, format!("KEYS bin\\x00* -> {got:?}"));
    w.same_set(&["KEYS", "bin*ary"], &["bin\x00ary", "bin\r\nary", "binary"]);
    // Many stars against a long key that almost matches: must answer (a
    // naive backtracking matcher would take exponential time).
    let long = "a".repeat(60);
    w.is(&["SET", &long, "1"], OK);
    let pattern = format!("{}b", "a*".repeat(30));
    w.same_set(&["KEYS", &pattern], &[]);
    let pattern = format!("{}a", "*a".repeat(30));
    w.same_set(&["KEYS", &pattern], &[&long]);
}
