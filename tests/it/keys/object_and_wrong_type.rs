//! OBJECT ENCODING/IDLETIME/FREQ, TOUCH, and WRONGTYPE errors of each
//! type's commands against keys of every other type.

use super::*;

#[test]
fn object_subcommands() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_one_of_each(&mut w);
    // Encodings are Efis's own business: only the reply type is fixed.
    for (key, _) in ALL_TYPES {
        let got = w.call(&["OBJECT", "ENCODING", key]);
        let ok = matches!(parse(&got), Some(Reply::Bulk(ref name)) if !name.is_empty());
        w.check(ok, format!("OBJECT ENCODING {key} -> \"{}\"", show(&got)));
        let got = w.call(&["object", "idletime", key]);
        w.check(parse_int(&got).is_some_and(|n| n >= 0), format!("OBJECT IDLETIME {key} -> \"{}\"", show(&got)));
        // FREQ is an integer, or, as in Redis without an LFU policy, this
        // error.
        let got = w.call(&["OBJECT", "FREQ", key]);
        let lfu = b"-ERR An LFU maxmemory policy is not selected";
        w.check(
            parse_int(&got).is_some_and(|n| n >= 0) || got.starts_with(lfu),
            format!("OBJECT FREQ {key} -> \"{}\"", show(&got)),
        );
    }
    for sub in ["ENCODING", "IDLETIME", "FREQ"] {
        w.is(&["OBJECT", sub, "missing"], NIL);
    }
    w.is(&["OBJECT", "FOO", "str"], "-ERR unknown subcommand 'FOO'. Try OBJECT HELP.\r\n");
    w.is(&["OBJECT"], arity("object"));
    w.is(&["OBJECT", "ENCODING"], arity("object|encoding"));
    w.is(&["OBJECT", "ENCODING", "a", "b"], arity("object|encoding"));
}

#[test]
fn touch() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "a", "1"], OK);
    w.is(&["RPUSH", "l", "x"], ":1\r\n");
    w.is(&["TOUCH", "a"], ":1\r\n");
    w.is(&["TOUCH", "a", "l", "missing"], ":2\r\n");
    w.is(&["TOUCH", "a", "a"], ":2\r\n");
    w.is(&["TOUCH", "missing"], ":0\r\n");
    // TOUCH changes neither value nor TTL.
    w.is(&["SET", "t", "v", "EX", "100"], OK);
    w.is(&["TOUCH", "t"], ":1\r\n");
    let ttl = parse_int(&w.call(&["TTL", "t"])).unwrap_or(i64::MIN);
    w.check((98..=100).contains(&ttl), format!("TTL after TOUCH is {ttl}"));
    w.is(&["GET", "a"], bulk("1"));
    w.is(&["TOUCH"], arity("touch"));
}

#[test]
fn wrong_type_errors() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_one_of_each(&mut w);
    // Commands of one type against keys of each other type.
    let by_type: &[(&str, &[&[&str]])] = &[
        (
            "str",
            &[
                &["GET", "KEY"],
                &["APPEND", "KEY", "x"],
                &["INCR", "KEY"],
                &["STRLEN", "KEY"],
                &["GETRANGE", "KEY", "0", "1"],
                &["SETRANGE", "KEY", "0", "x"],
                &["GETDEL", "KEY"],
                &["GETSET", "KEY", "x"],
            ],
        ),
        (
            "list",
            &[
                &["LPUSH", "KEY", "x"],
                &["RPUSH", "KEY", "x"],
                &["LLEN", "KEY"],
                &["LRANGE", "KEY", "0", "-1"],
                &["LPOP", "KEY"],
                &["LINDEX", "KEY", "0"],
            ],
        ),
        ("set", &[&["SADD", "KEY", "x"], &["SMEMBERS", "KEY"], &["SISMEMBER", "KEY", "x"], &["SCARD", "KEY"]]),
        (
            "zset",
            &[&["ZADD", "KEY", "1", "x"], &["ZRANGE", "KEY", "0", "-1"], &["ZSCORE", "KEY", "x"], &["ZCARD", "KEY"]],
        ),
        ("hash", &[&["HSET", "KEY", "f", "v"], &["HGET", "KEY", "f"], &["HGETALL", "KEY"], &["HLEN", "KEY"]]),
    ];
    for (own, commands) in by_type {
        for (key, _) in ALL_TYPES {
            if key == *own {
                continue;
            }
            for command in *commands {
                let args: Vec<&str> = command.iter().map(|a| if *a == "KEY" { key } else { a }).collect();
                w.is(&args, WRONGTYPE);
            }
        }
    }
    // None of those changed anything.
    for (key, kind) in ALL_TYPES {
        w.is(&["TYPE", key], format!("+{kind}\r\n"));
    }
    w.is(&["GET", "str"], bulk("v"));
    w.is(&["LRANGE", "list", "0", "-1"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    w.is(&["SCARD", "set"], ":2\r\n");
    w.is(&["ZCARD", "zset"], ":2\r\n");
    w.is(&["HLEN", "hash"], ":1\r\n");
    // Key-level commands work on every type.
    for (key, _) in ALL_TYPES {
        w.is(&["EXISTS", key], ":1\r\n");
        w.is(&["EXPIRE", key, "100"], ":1\r\n");
        w.is(&["PERSIST", key], ":1\r\n");
        w.is(&["TOUCH", key], ":1\r\n");
    }
}
