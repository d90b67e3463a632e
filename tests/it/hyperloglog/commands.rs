//! HyperLogLog replies on the wire, as Redis 7.0 gives them: the value
//! bytes of a new HyperLogLog, the cached count, the errors for values
//! that are not (or no longer) HyperLogLogs, arity, notifications and
//! `WATCH`.

use crate::common::wire::{
    arity, bulk, events_until_marker, int, subscribe_key_events, Reply, Wire, NIL_ARRAY, OK, WRONGTYPE,
};
use crate::common::Server;

const NOT_HLL: &str = "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n";
const CORRUPT: &str = "-INVALIDOBJ Corrupted HLL object detected\r\n";

/// A sparse header (cache valid, count 0) followed by `code`.
fn sparse(code: &[u8]) -> Vec<u8> {
    let mut value = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    value.extend_from_slice(code);
    value
}

#[test]
fn pfadd_pfcount_and_the_value_bytes() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    // A new HyperLogLog: sparse, one XZERO of 16384 registers, the cached
    // count marked stale.
    w.is(&["PFADD", "e"], int(1));
    w.is(&["GET", "e"], bulk(b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"));
    w.is(&["PFADD", "e"], int(0));
    w.is(&["OBJECT", "ENCODING", "e"], bulk("raw"));
    w.is(&["PFCOUNT", "e"], int(0));
    w.is(&["GET", "e"], bulk(b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"));
    w.is(&["PFADD", "h", "a", "b", "c"], int(1));
    w.is(&["GET", "h"], bulk(b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ"));
    w.is(&["PFADD", "h", "a", "c"], int(0));
    w.is(&["PFCOUNT", "h"], int(3));
    // The count is cached in the header, little-endian.
    w.is(&["GET", "h"], bulk(b"HYLL\x01\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00`\xf3\x80P\xb1\x84K\xfb\x80BZ"));
    w.is(&["PFDEBUG", "DECODE", "h"], bulk("Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"));
    w.is(&["PFDEBUG", "ENCODING", "h"], "+sparse\r\n");
    w.is(&["PFCOUNT", "missing"], int(0));
    w.is(&["PFADD", "h2", "x", "y", "z", "w"], int(1));
    w.is(&["PFCOUNT", "h", "h2", "missing"], int(7));
    w.is(&["PFMERGE", "m", "h", "h2"], OK);
    w.is(&["PFCOUNT", "m"], int(7));
    w.is(&["PFMERGE", "empty"], OK);
    w.is(&["PFCOUNT", "empty"], int(0));
    // Binary elements, and the empty element.
    w.is(&["PFADD", "bin", "", "\u{0}", "\u{0}\u{0}"], int(1));
    w.is(&["PFCOUNT", "bin"], int(3));
    w.is(&["TYPE", "h"], "+string\r\n");
    w.is(&["STRLEN", "h"], int(27));
    w.is(&["PFDEBUG", "TODENSE", "h"], int(1));
    w.is(&["PFDEBUG", "TODENSE", "h"], int(0));
    w.is(&["STRLEN", "h"], int(12304));
    w.is(&["PFDEBUG", "ENCODING", "h"], "+dense\r\n");
    w.is(&["PFCOUNT", "h"], int(3));
    w.is(&["PFADD", "h", "d"], int(1));
    w.is(&["PFCOUNT", "h"], int(4));
}

#[test]
fn values_that_are_not_hyperloglogs() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "s", "not a hyperloglog at all"], OK);
    w.is(&["SET", "short", "HYLL"], OK);
    w.is(&["SET", "int", "12345"], OK);
    w.is(&["RPUSH", "list", "x"], int(1));
    for key in ["s", "short", "int"] {
        w.is(&["PFADD", key, "a"], NOT_HLL);
        w.is(&["PFCOUNT", key], NOT_HLL);
        w.is(&["PFCOUNT", key, "missing"], NOT_HLL);
        w.is(&["PFMERGE", "dest", key], NOT_HLL);
        w.is(&["PFDEBUG", "ENCODING", key], NOT_HLL);
    }
    w.is(&["PFADD", "list", "a"], WRONGTYPE);
    w.is(&["PFCOUNT", "list"], WRONGTYPE);
    w.is(&["PFMERGE", "list", "missing"], WRONGTYPE);
    w.is(&["EXISTS", "dest"], int(0));
    // An unknown encoding, and a dense value of the wrong length.
    let mut unknown = sparse(b"\x7f\xff");
    unknown[4] = 2;
    w.is(&[b"SET".as_slice(), b"unknown", &unknown], OK);
    w.is(&["PFCOUNT", "unknown"], NOT_HLL);
    let mut short_dense = sparse(&[0; 100]);
    short_dense[4] = 0;
    w.is(&[b"SET".as_slice(), b"shortdense", &short_dense], OK);
    w.is(&["PFADD", "shortdense", "a"], NOT_HLL);
    let mut bad_magic = sparse(b"\x7f\xff");
    bad_magic[0] = b'h';
    w.is(&[b"SET".as_slice(), b"magic", &bad_magic], OK);
    w.is(&["PFCOUNT", "magic"], NOT_HLL);
}

#[test]
fn corrupted_sparse_values() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    // A ZERO opcode for 17 registers only, the cached count stale.
    let mut short = sparse(b"\x10");
    short[15] = 0x80;
    w.is(&[b"SET".as_slice(), b"short", &short], OK);
    w.is(&["PFCOUNT", "short"], CORRUPT);
    w.is(&["PFCOUNT", "short", "missing"], CORRUPT);
    w.is(&["PFADD", "short", "a", "b"], CORRUPT);
    w.is(&["PFMERGE", "dest", "short"], CORRUPT);
    w.is(&["PFDEBUG", "TODENSE", "short"], CORRUPT);
    w.is(&["PFDEBUG", "GETREG", "short"], CORRUPT);
    w.is(&["PFDEBUG", "DECODE", "short"], bulk("z:17"));
    // Too many registers: XZERO 16384 then a VAL.
    w.is(&[b"SET".as_slice(), b"long", &sparse(b"\x7f\xff\x80")], OK);
    w.is(&["PFCOUNT", "long", "long"], CORRUPT);
    w.is(&["PFMERGE", "long", "long"], CORRUPT);
    // A valid cached count is answered without reading the registers.
    let mut cached = sparse(b"\x10");
    cached[8] = 42;
    w.is(&[b"SET".as_slice(), b"cached", &cached], OK);
    w.is(&["PFCOUNT", "cached"], int(42));
    w.is(&["PFCOUNT", "cached", "missing"], CORRUPT);
    // An empty code.
    w.is(&[b"SET".as_slice(), b"nocode", &sparse(b"")], OK);
    w.is(&["PFADD", "nocode", "a"], CORRUPT);
    w.is(&["PFDEBUG", "DECODE", "nocode"], bulk(""));
}

#[test]
fn the_sparse_limit_is_a_memory_value() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["CONFIG", "GET", "hll-sparse-max-bytes"], "*2\r\n$20\r\nhll-sparse-max-bytes\r\n$4\r\n3000\r\n");
    w.is(&["CONFIG", "SET", "hll-sparse-max-bytes", "1kb"], OK);
    w.is(&["CONFIG", "GET", "hll-sparse-max-bytes"], "*2\r\n$20\r\nhll-sparse-max-bytes\r\n$4\r\n1024\r\n");
    let bad = "-ERR CONFIG SET failed (possibly related to argument 'hll-sparse-max-bytes') - argument must be a memory value\r\n";
    w.is(&["CONFIG", "SET", "hll-sparse-max-bytes", "-1"], bad);
    w.is(&["CONFIG", "SET", "hll-sparse-max-bytes", "many"], bad);
    // With a limit of 0 the first PFADD that changes a register promotes.
    w.is(&["CONFIG", "SET", "hll-sparse-max-bytes", "0"], OK);
    w.is(&["PFADD", "h"], int(1));
    w.is(&["PFDEBUG", "ENCODING", "h"], "+sparse\r\n");
    w.is(&["PFADD", "h", "a"], int(1));
    w.is(&["PFDEBUG", "ENCODING", "h"], "+dense\r\n");
}

#[test]
fn pfdebug_and_arity() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["PFADD", "h", "a"], int(1));
    w.is(&["PFDEBUG", "ENCODING", "missing"], "-ERR The specified key does not exist\r\n");
    w.is(&["PFDEBUG", "nosuch", "h"], "-ERR Unknown PFDEBUG subcommand 'nosuch'\r\n");
    w.is(&["PFDEBUG", "encoding", "h"], "+sparse\r\n");
    w.is(&["PFDEBUG", "GETREG", "h", "x"], arity("pfdebug"));
    w.is(&["PFDEBUG", "GETREG"], arity("pfdebug"));
    let registers = w.value(&["PFDEBUG", "GETREG", "h"]);
    let items = registers.items();
    w.check(items.len() == 16384, format!("GETREG answered {} registers", items.len()));
    w.check(items.iter().filter(|r| !matches!(r, Reply::Int(0))).count() == 1, "one register set");
    // GETREG converts to dense, as in Redis.
    w.is(&["PFDEBUG", "ENCODING", "h"], "+dense\r\n");
    w.is(&["PFDEBUG", "DECODE", "h"], "-ERR HLL encoding is not sparse\r\n");
    w.is(&["PFADD"], arity("pfadd"));
    w.is(&["PFCOUNT"], arity("pfcount"));
    w.is(&["PFMERGE"], arity("pfmerge"));
    w.is(&["PFSELFTEST", "x"], arity("pfselftest"));
}

#[test]
fn notifications_and_watch() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut subscriber = subscribe_key_events(&server, &mut w);
    w.is(&["PFADD", "h", "a"], int(1));
    w.is(&["PFADD", "h", "a"], int(0));
    w.is(&["PFCOUNT", "h"], int(1));
    w.is(&["PFMERGE", "m", "h"], OK);
    let events = events_until_marker(&mut w, &mut subscriber);
    let names: Vec<&str> = events.iter().map(|(event, _)| event.as_str()).collect();
    assert_eq!(names, ["pfadd", "pfadd"], "{events:?}");
    // PFCOUNT that stores a fresh count changes the value: a watcher's
    // transaction fails; a count read from the cache changes nothing.
    let mut other = Wire::open(&server);
    w.is(&["PFADD", "h", "b"], int(1));
    w.is(&["WATCH", "h"], OK);
    other.is(&["PFCOUNT", "h"], int(2));
    w.is(&["MULTI"], OK);
    w.is(&["PING"], "+QUEUED\r\n");
    w.is(&["EXEC"], NIL_ARRAY);
    w.is(&["WATCH", "h"], OK);
    other.is(&["PFCOUNT", "h"], int(2));
    w.is(&["MULTI"], OK);
    w.is(&["PING"], "+QUEUED\r\n");
    w.is(&["EXEC"], "*1\r\n+PONG\r\n");
    // PFCOUNT may write its cached count: a read-only script may not call
    // it (Redis's `may-replicate`), a script may; inside a transaction it
    // counts what the queue added before it.
    w.is(&["PFADD", "h", "c"], int(1));
    let refused = w.call(&["EVAL_RO", "return redis.call('PFCOUNT', KEYS[1])", "1", "h"]);
    let prefix = b"-ERR Write commands are not allowed from read-only scripts.";
    w.check(refused.starts_with(prefix), format!("EVAL_RO PFCOUNT: {}", refused.escape_ascii()));
    w.is(&["EVAL", "return redis.call('PFCOUNT', KEYS[1])", "1", "h"], int(3));
    w.is(&["MULTI"], OK);
    w.is(&["PFADD", "t", "a", "b"], "+QUEUED\r\n");
    w.is(&["PFCOUNT", "t"], "+QUEUED\r\n");
    w.is(&["PFADD", "t", "c"], "+QUEUED\r\n");
    w.is(&["PFCOUNT", "t", "h"], "+QUEUED\r\n");
    w.is(&["EXEC"], "*4\r\n:1\r\n:2\r\n:1\r\n:3\r\n");
}
