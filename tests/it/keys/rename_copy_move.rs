//! RENAME, RENAMENX, COPY (with DB and REPLACE) and MOVE between databases.

use super::*;

#[test]
fn rename() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "a", "1"], OK);
    w.is(&["RENAME", "a", "b"], OK);
    w.is(&["EXISTS", "a"], ":0\r\n");
    w.is(&["GET", "b"], bulk("1"));
    // Onto an existing key of another type: replaced.
    w.is(&["RPUSH", "l", "x", "y"], ":2\r\n");
    w.is(&["RENAME", "l", "b"], OK);
    w.is(&["TYPE", "b"], "+list\r\n");
    w.is(&["LRANGE", "b", "0", "-1"], "*2\r\n$1\r\nx\r\n$1\r\ny\r\n");
    // To itself: OK, nothing changes.
    w.is(&["RENAME", "b", "b"], OK);
    w.is(&["LLEN", "b"], ":2\r\n");
    w.is(&["RENAME", "missing", "x"], NO_SUCH_KEY);
    w.is(&["RENAME", "missing", "missing"], NO_SUCH_KEY);
    w.is(&["EXISTS", "x"], ":0\r\n");
    // The destination's TTL goes; the source's TTL comes along.
    w.is(&["SET", "plain", "v"], OK);
    w.is(&["SET", "timed", "v", "EX", "100"], OK);
    w.is(&["RENAME", "plain", "timed"], OK);
    w.is(&["TTL", "timed"], ":-1\r\n");
    w.is(&["SET", "src", "v", "EX", "100"], OK);
    w.is(&["RENAME", "src", "dst"], OK);
    let ttl = w.call(&["TTL", "dst"]);
    let ttl = parse_int(&ttl).unwrap_or(i64::MIN);
    w.check((98..=100).contains(&ttl), format!("TTL after RENAME is {ttl}"));
    // Binary and empty names.
    w.is(&[b"RENAME".as_slice(), b"dst", b"\x00\r\n"], OK);
    w.is(&[b"RENAME".as_slice(), b"\x00\r\n", b""], OK);
    w.is(&["GET", ""], bulk("v"));
    w.is(&["RENAME", "a"], arity("rename"));
    w.is(&["RENAME", "a", "b", "c"], arity("rename"));
}

#[test]
fn renamenx() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "a", "1"], OK);
    w.is(&["SET", "taken", "2"], OK);
    w.is(&["RENAMENX", "a", "taken"], ":0\r\n");
    w.is(&["GET", "a"], bulk("1"));
    w.is(&["GET", "taken"], bulk("2"));
    w.is(&["RENAMENX", "a", "free"], ":1\r\n");
    w.is(&["EXISTS", "a"], ":0\r\n");
    w.is(&["GET", "free"], bulk("1"));
    w.is(&["RENAMENX", "free", "free"], ":0\r\n");
    w.is(&["RENAMENX", "missing", "x"], NO_SUCH_KEY);
    w.is(&["RENAMENX", "missing", "taken"], NO_SUCH_KEY);
    w.is(&["SADD", "s", "m"], ":1\r\n");
    w.is(&["RENAMENX", "s", "s2"], ":1\r\n");
    w.is(&["TYPE", "s2"], "+set\r\n");
    w.is(&["RENAMENX", "s2", "taken"], ":0\r\n");
    w.is(&["RENAMENX", "a"], arity("renamenx"));
    w.is(&["RENAMENX", "a", "b", "c"], arity("renamenx"));
}

#[test]
fn copy() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "src", "v"], OK);
    w.is(&["COPY", "src", "dst"], ":1\r\n");
    w.is(&["GET", "dst"], bulk("v"));
    w.is(&["GET", "src"], bulk("v"));
    // An existing destination is kept unless REPLACE.
    w.is(&["SET", "src", "v2"], OK);
    w.is(&["COPY", "src", "dst"], ":0\r\n");
    w.is(&["GET", "dst"], bulk("v"));
    w.is(&["COPY", "src", "dst", "REPLACE"], ":1\r\n");
    w.is(&["GET", "dst"], bulk("v2"));
    w.is(&["COPY", "missing", "dst"], ":0\r\n");
    w.is(&["COPY", "missing", "dst", "REPLACE"], ":0\r\n");
    w.is(&["GET", "dst"], bulk("v2"));
    w.is(&["COPY", "src", "src"], SAME_OBJECT);
    w.is(&["COPY", "src", "src", "DB", "0"], SAME_OBJECT);
    // The copy is independent of the original, for every type.
    w.is(&["RPUSH", "list", "a", "b"], ":2\r\n");
    w.is(&["COPY", "list", "list2"], ":1\r\n");
    w.is(&["RPUSH", "list", "c"], ":3\r\n");
    w.is(&["LRANGE", "list2", "0", "-1"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    w.is(&["SADD", "set", "a"], ":1\r\n");
    w.is(&["COPY", "set", "set2"], ":1\r\n");
    w.is(&["SADD", "set2", "b"], ":1\r\n");
    w.is(&["SCARD", "set"], ":1\r\n");
    w.is(&["ZADD", "zset", "1", "a"], ":1\r\n");
    w.is(&["COPY", "zset", "zset2"], ":1\r\n");
    w.is(&["ZADD", "zset", "5", "a"], ":0\r\n");
    w.is(&["ZSCORE", "zset2", "a"], bulk("1"));
    w.is(&["HSET", "hash", "f", "v"], ":1\r\n");
    w.is(&["COPY", "hash", "hash2"], ":1\r\n");
    w.is(&["HSET", "hash2", "f", "w"], ":0\r\n");
    w.is(&["HGET", "hash", "f"], bulk("v"));
    // The TTL is copied too; REPLACE onto a timed key drops its TTL.
    w.is(&["SET", "timed", "v", "EX", "100"], OK);
    w.is(&["COPY", "timed", "timed2"], ":1\r\n");
    let ttl = parse_int(&w.call(&["TTL", "timed2"])).unwrap_or(i64::MIN);
    w.check((98..=100).contains(&ttl), format!("TTL of a copy is {ttl}"));
    w.is(&["COPY", "src", "timed2", "REPLACE"], ":1\r\n");
    w.is(&["TTL", "timed2"], ":-1\r\n");
    // DB option.
    w.is(&["COPY", "src", "other", "DB", "1"], ":1\r\n");
    w.is(&["COPY", "src", "other", "DB", "1"], ":0\r\n");
    w.is(&["COPY", "src", "other", "db", "1", "replace"], ":1\r\n");
    w.is(&["COPY", "src", "src", "DB", "2"], ":1\r\n");
    w.is(&["EXISTS", "other"], ":0\r\n");
    w.is(&["SELECT", "1"], OK);
    w.is(&["GET", "other"], bulk("v2"));
    w.is(&["SELECT", "2"], OK);
    w.is(&["GET", "src"], bulk("v2"));
    w.is(&["SELECT", "0"], OK);
    w.is(&["COPY", "src", "x", "DB", "16"], DB_RANGE);
    w.is(&["COPY", "src", "x", "DB", "-1"], DB_RANGE);
    w.is(&["COPY", "src", "x", "DB", "abc"], NOT_INT);
    w.is(&["COPY", "src", "x", "DB"], SYNTAX);
    w.is(&["COPY", "src", "x", "FOO"], SYNTAX);
    w.is(&["COPY", "src", "x", "REPLACE", "FOO"], SYNTAX);
    w.is(&["EXISTS", "x"], ":0\r\n");
    w.is(&["COPY", "src"], arity("copy"));
    w.is(&["COPY"], arity("copy"));
}

#[test]
fn move_between_databases() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "a", "v", "EX", "100"], OK);
    w.is(&["MOVE", "a", "1"], ":1\r\n");
    w.is(&["EXISTS", "a"], ":0\r\n");
    w.is(&["MOVE", "a", "1"], ":0\r\n");
    // The target already has the key: nothing moves.
    w.is(&["SET", "a", "other"], OK);
    w.is(&["MOVE", "a", "1"], ":0\r\n");
    w.is(&["GET", "a"], bulk("other"));
    w.is(&["MOVE", "missing", "1"], ":0\r\n");
    w.is(&["SELECT", "1"], OK);
    w.is(&["GET", "a"], bulk("v"));
    // The TTL moved with it.
    let ttl = parse_int(&w.call(&["TTL", "a"])).unwrap_or(i64::MIN);
    w.check((98..=100).contains(&ttl), format!("TTL after MOVE is {ttl}"));
    w.is(&["RPUSH", "l", "x"], ":1\r\n");
    w.is(&["MOVE", "l", "0"], ":1\r\n");
    w.is(&["MOVE", "a", "1"], SAME_OBJECT);
    w.is(&["SELECT", "0"], OK);
    w.is(&["TYPE", "l"], "+list\r\n");
    w.is(&["MOVE", "a", "16"], DB_RANGE);
    w.is(&["MOVE", "a", "-1"], DB_RANGE);
    w.is(&["MOVE", "a", "abc"], NOT_INT);
    w.is(&["MOVE", "a"], arity("move"));
    w.is(&["MOVE", "a", "1", "2"], arity("move"));
}
