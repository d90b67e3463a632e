//! Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO, on the wire, as Redis 7.0 answers them (run with
//! `EFIS_TEST_SERVER=redis` to check every expectation against
//! redis-server): happy paths, wrong types, arity, offsets at the 512 MiB
//! limit, negative and BIT/BYTE ranges, overflow modes, and the bytes the
//! commands leave behind.

use crate::common::wire::{arity, bulk, int, Wire, NIL, OK, SYNTAX, WRONGTYPE};
use crate::common::Server;

const BAD_OFFSET: &str = "-ERR bit offset is not an integer or out of range\r\n";
const BAD_TYPE: &str =
    "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n";

#[test]
fn setbit_and_getbit() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SETBIT", "b", "7", "1"], int(0));
    w.is(&["SETBIT", "b", "7", "1"], int(1));
    w.is(&["GET", "b"], bulk("\x01"));
    // Growing pads with zero bytes; bit 0 is the top bit of byte 0.
    w.is(&["SETBIT", "b", "0", "1"], int(0));
    w.is(&["SETBIT", "b", "23", "1"], int(0));
    w.is(&["GET", "b"], bulk(b"\x81\x00\x01"));
    w.is(&["SETBIT", "b", "23", "0"], int(1));
    w.is(&["GET", "b"], bulk(b"\x81\x00\x00"));
    // Clearing a bit past the end still grows the string.
    w.is(&["SETBIT", "c", "15", "0"], int(0));
    w.is(&["GET", "c"], bulk(b"\x00\x00"));
    // Written by a bit command, a string is a raw one, as in Redis.
    w.is(&["OBJECT", "ENCODING", "c"], bulk("raw"));
    w.is(&["SET", "short", "ab"], OK);
    w.is(&["OBJECT", "ENCODING", "short"], bulk("embstr"));
    w.is(&["SETBIT", "short", "0", "0"], int(0));
    w.is(&["OBJECT", "ENCODING", "short"], bulk("raw"));
    w.is(&["GET", "short"], bulk("ab"));
    w.is(&["GETBIT", "b", "0"], int(1));
    w.is(&["GETBIT", "b", "1"], int(0));
    w.is(&["GETBIT", "b", "4294967295"], int(0));
    w.is(&["GETBIT", "missing", "3"], int(0));
    // Bits of a string that was written as text.
    w.is(&["SET", "t", "A"], OK);
    w.is(&["GETBIT", "t", "1"], int(1));
    w.is(&["GETBIT", "t", "7"], int(1));
    w.is(&["SETBIT", "t", "6", "1"], int(0));
    w.is(&["GET", "t"], bulk("C"));
    // Offsets: not negative, below 2^32; the bit is 0 or 1.
    w.is(&["SETBIT", "b", "4294967296", "1"], BAD_OFFSET);
    w.is(&["SETBIT", "b", "-1", "1"], BAD_OFFSET);
    w.is(&["SETBIT", "b", "x", "1"], BAD_OFFSET);
    w.is(&["GETBIT", "b", "4294967296"], BAD_OFFSET);
    w.is(&["GETBIT", "b", "1.5"], BAD_OFFSET);
    w.is(&["SETBIT", "b", "1", "2"], "-ERR bit is not an integer or out of range\r\n");
    w.is(&["SETBIT", "b", "1", "-1"], "-ERR bit is not an integer or out of range\r\n");
    w.is(&["SETBIT", "b", "1", "on"], "-ERR bit is not an integer or out of range\r\n");
    // The offset is checked before the type.
    w.is(&["RPUSH", "list", "x"], int(1));
    w.is(&["SETBIT", "list", "-1", "1"], BAD_OFFSET);
    w.is(&["SETBIT", "list", "1", "1"], WRONGTYPE);
    w.is(&["GETBIT", "list", "1"], WRONGTYPE);
    w.is(&["SETBIT", "b", "1"], arity("setbit"));
    w.is(&["GETBIT", "b"], arity("getbit"));
    w.is(&["GETBIT", "b", "1", "2"], arity("getbit"));
    // A key with a TTL keeps it.
    w.is(&["SET", "ttl", "x", "EX", "100"], OK);
    w.is(&["SETBIT", "ttl", "100", "1"], int(0));
    w.within(&["TTL", "ttl"], 1..=100);
}

#[test]
fn bitcount_ranges() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    // 0xff 0xf0 0x00 0x0f 0x81: 8 + 4 + 0 + 4 + 2 = 18 bits.
    w.is(&["SET", "b", "\u{0}"], OK);
    w.call(&[b"SET".as_slice(), b"b", b"\xff\xf0\x00\x0f\x81"]);
    w.is(&["BITCOUNT", "b"], int(18));
    w.is(&["BITCOUNT", "b", "0", "-1"], int(18));
    w.is(&["BITCOUNT", "b", "1", "1"], int(4));
    w.is(&["BITCOUNT", "b", "-2", "-1"], int(6));
    w.is(&["BITCOUNT", "b", "-100", "100"], int(18));
    w.is(&["BITCOUNT", "b", "3", "1"], int(0));
    w.is(&["BITCOUNT", "b", "5", "10"], int(0));
    // Both negative with start after end: 0, before the unit is read.
    w.is(&["BITCOUNT", "b", "-1", "-3", "nonsense"], int(0));
    w.is(&["BITCOUNT", "b", "0", "0", "BYTE"], int(8));
    w.is(&["BITCOUNT", "b", "4", "11", "BIT"], int(8));
    w.is(&["BITCOUNT", "b", "5", "30", "bit"], int(10));
    w.is(&["BITCOUNT", "b", "-8", "-1", "BIT"], int(2));
    w.is(&["BITCOUNT", "b", "-9", "-2", "BIT"], int(2));
    w.is(&["BITCOUNT", "b", "39", "39", "BIT"], int(1));
    w.is(&["BITCOUNT", "b", "40", "100", "BIT"], int(0));
    w.is(&["BITCOUNT", "b", "0", "-1", "BITS"], SYNTAX);
    w.is(&["BITCOUNT", "b", "0"], SYNTAX);
    w.is(&["BITCOUNT", "b", "0", "1", "BIT", "x"], SYNTAX);
    w.is(&["BITCOUNT", "b", "a", "1"], "-ERR value is not an integer or out of range\r\n");
    // A missing key answers 0 before its arguments are read.
    w.is(&["BITCOUNT", "missing", "a", "b"], int(0));
    w.is(&["SET", "empty", ""], OK);
    w.is(&["BITCOUNT", "empty"], int(0));
    w.is(&["BITCOUNT", "empty", "0", "-1", "BIT"], int(0));
    w.is(&["SET", "text", "foobar"], OK);
    w.is(&["BITCOUNT", "text"], int(26));
    w.is(&["BITCOUNT", "text", "1", "1"], int(6));
    w.is(&["HSET", "h", "f", "v"], int(1));
    w.is(&["BITCOUNT", "h"], WRONGTYPE);
    w.is(&["BITCOUNT"], arity("bitcount"));
    // Word-at-a-time counting over a long value agrees with the bits set.
    for bit in (0..8000).step_by(7) {
        w.call(&["SETBIT", "long", &bit.to_string(), "1"]);
    }
    w.is(&["BITCOUNT", "long"], int(1143));
    w.is(&["BITCOUNT", "long", "3", "-4"], int(1136));
    w.is(&["BITCOUNT", "long", "13", "7000", "BIT"], int(999));
}

#[test]
fn bitpos_ranges() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.call(&[b"SET".as_slice(), b"b", b"\xff\xf0\x00"]);
    w.is(&["BITPOS", "b", "0"], int(12));
    w.is(&["BITPOS", "b", "1"], int(0));
    w.is(&["BITPOS", "b", "1", "2"], int(-1));
    w.is(&["BITPOS", "b", "1", "1"], int(8));
    w.is(&["BITPOS", "b", "0", "2"], int(16));
    w.is(&["BITPOS", "b", "1", "-1"], int(-1));
    w.is(&["BITPOS", "b", "1", "2", "-1"], int(-1));
    w.is(&["BITPOS", "b", "0", "0", "0"], int(-1));
    w.is(&["BITPOS", "b", "1", "3", "100"], int(-1));
    w.is(&["BITPOS", "b", "0", "3", "100"], int(-1));
    w.is(&["BITPOS", "b", "1", "5", "12", "BIT"], int(5));
    w.is(&["BITPOS", "b", "0", "5", "12", "BIT"], int(12));
    w.is(&["BITPOS", "b", "0", "5", "11", "BIT"], int(-1));
    w.is(&["BITPOS", "b", "1", "12", "-1", "BIT"], int(-1));
    w.is(&["BITPOS", "b", "1", "-12", "-1", "bit"], int(-1));
    w.is(&["BITPOS", "b", "0", "-12", "-1", "BIT"], int(12));
    w.is(&["BITPOS", "b", "1", "0", "-1", "BYTE"], int(0));
    w.is(&["BITPOS", "b", "1", "0", "-1", "BITS"], SYNTAX);
    w.is(&["BITPOS", "b", "1", "0", "-1", "BIT", "x"], SYNTAX);
    // All ones: with no end given, the first 0 is just past the end.
    w.call(&[b"SET".as_slice(), b"ones", b"\xff\xff"]);
    w.is(&["BITPOS", "ones", "0"], int(16));
    w.is(&["BITPOS", "ones", "0", "1"], int(16));
    w.is(&["BITPOS", "ones", "0", "0", "-1"], int(-1));
    w.is(&["BITPOS", "ones", "0", "3", "-1", "BIT"], int(-1));
    w.is(&["BITPOS", "ones", "0", "3"], int(-1));
    // A long run of zeros before the first 1 (skipped word by word).
    w.is(&["SETBIT", "sparse", "70001", "1"], int(0));
    w.is(&["BITPOS", "sparse", "1"], int(70001));
    w.is(&["BITPOS", "sparse", "1", "100"], int(70001));
    w.is(&["BITPOS", "sparse", "1", "8751"], int(-1));
    w.is(&["BITPOS", "sparse", "0", "8750"], int(70000));
    w.is(&["BITPOS", "sparse", "1", "70002", "-1", "BIT"], int(-1));
    // A missing key: -1 for 1, 0 for 0; the bit is checked first.
    w.is(&["BITPOS", "missing", "1"], int(-1));
    w.is(&["BITPOS", "missing", "0"], int(0));
    w.is(&["BITPOS", "missing", "0", "x"], int(0));
    w.is(&["BITPOS", "missing", "2"], "-ERR The bit argument must be 1 or 0.\r\n");
    w.is(&["BITPOS", "b", "x"], "-ERR value is not an integer or out of range\r\n");
    w.is(&["BITPOS", "b", "1", "x"], "-ERR value is not an integer or out of range\r\n");
    w.is(&["SET", "empty", ""], OK);
    w.is(&["BITPOS", "empty", "0"], int(-1));
    w.is(&["BITPOS", "empty", "1"], int(-1));
    w.is(&["SADD", "set", "x"], int(1));
    w.is(&["BITPOS", "set", "1"], WRONGTYPE);
    w.is(&["BITPOS", "b"], arity("bitpos"));
}

#[test]
fn bitop() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.call(&[b"SET".as_slice(), b"a", b"\xf0\x0f\xff"]);
    w.call(&[b"SET".as_slice(), b"b", b"\x3c\x3c"]);
    w.is(&["BITOP", "AND", "dest", "a", "b"], int(3));
    w.is(&["GET", "dest"], bulk(b"\x30\x0c\x00"));
    w.is(&["BITOP", "or", "dest", "a", "b"], int(3));
    w.is(&["GET", "dest"], bulk(b"\xfc\x3f\xff"));
    w.is(&["BITOP", "XOR", "dest", "a", "b", "a"], int(3));
    w.is(&["GET", "dest"], bulk(b"\x3c\x3c\x00"));
    w.is(&["BITOP", "NOT", "dest", "b"], int(2));
    w.is(&["GET", "dest"], bulk(b"\xc3\xc3"));
    // A missing source is all zeros.
    w.is(&["BITOP", "OR", "dest", "b", "missing"], int(2));
    w.is(&["GET", "dest"], bulk(b"\x3c\x3c"));
    w.is(&["BITOP", "AND", "dest", "b", "missing"], int(2));
    w.is(&["GET", "dest"], bulk(b"\x00\x00"));
    // The destination is replaced whatever it held, its TTL dropped.
    w.is(&["RPUSH", "list", "x"], int(1));
    w.is(&["EXPIRE", "dest", "100"], int(1));
    w.is(&["BITOP", "OR", "list", "a"], int(3));
    w.is(&["TYPE", "list"], "+string\r\n");
    w.is(&["BITOP", "OR", "dest", "a"], int(3));
    w.is(&["TTL", "dest"], int(-1));
    // Only missing (or empty) sources: the destination is deleted.
    w.is(&["BITOP", "OR", "dest", "missing", "missing2"], int(0));
    w.is(&["EXISTS", "dest"], int(0));
    // Long values go word by word and then byte by byte.
    let long_a: Vec<u8> = (0..100u8).collect();
    let long_b: Vec<u8> = (0..90u8).map(|i| i.wrapping_mul(37)).collect();
    w.call(&[b"SET".as_slice(), b"la", &long_a]);
    w.call(&[b"SET".as_slice(), b"lb", &long_b]);
    w.is(&["BITOP", "XOR", "lx", "la", "lb"], int(100));
    let expected: Vec<u8> = (0..100).map(|i| long_a[i] ^ long_b.get(i).copied().unwrap_or(0)).collect();
    w.is(&["GET", "lx"], bulk(&expected));
    w.is(&["HSET", "h", "f", "v"], int(1));
    w.is(&["BITOP", "AND", "dest", "a", "h"], WRONGTYPE);
    w.is(&["BITOP", "NOT", "dest", "a", "b"], "-ERR BITOP NOT must be called with a single source key.\r\n");
    w.is(&["BITOP", "NAND", "dest", "a"], SYNTAX);
    w.is(&["BITOP", "AND", "dest"], arity("bitop"));
}

#[test]
fn bitfield_get_set_incrby() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(
        &["BITFIELD", "bf", "SET", "i8", "0", "100", "INCRBY", "i8", "0", "100", "GET", "u4", "0"],
        "*3\r\n:0\r\n:-56\r\n:12\r\n",
    );
    w.is(&["GET", "bf"], bulk(b"\xc8"));
    w.is(
        &["BITFIELD", "bf", "SET", "u8", "#1", "255", "GET", "u16", "0", "GET", "i16", "0"],
        "*3\r\n:0\r\n:51455\r\n:-14081\r\n",
    );
    // `#n` is the n-th field of the type's width.
    w.is(&["BITFIELD", "bf", "SET", "u4", "#3", "9", "GET", "u4", "12"], "*2\r\n:15\r\n:9\r\n");
    // Unaligned fields across byte boundaries, and widths up to i64/u63.
    w.is(
        &["BITFIELD", "w", "SET", "u63", "5", "9223372036854775807", "GET", "u63", "5"],
        "*2\r\n:0\r\n:9223372036854775807\r\n",
    );
    w.is(
        &["BITFIELD", "w", "SET", "i64", "3", "-2", "GET", "i64", "3", "GET", "u1", "0"],
        "*3\r\n:4611686018427387903\r\n:-2\r\n:0\r\n",
    );
    w.is(&["STRLEN", "w"], int(9));
    // GET past the end reads zeros and grows nothing; no key, no value.
    w.is(&["BITFIELD", "w", "GET", "u8", "1000"], "*1\r\n:0\r\n");
    w.is(&["STRLEN", "w"], int(9));
    w.is(&["BITFIELD", "missing", "GET", "i8", "0"], "*1\r\n:0\r\n");
    w.is(&["EXISTS", "missing"], int(0));
    w.is(&["BITFIELD", "missing"], "*0\r\n");
    w.is(&["BITFIELD_RO", "w", "GET", "i8", "0", "get", "u8", "#1"], "*2\r\n:31\r\n:255\r\n");
    w.is(&["BITFIELD_RO", "w"], "*0\r\n");
    w.is(
        &["BITFIELD_RO", "w", "GET", "i8", "0", "SET", "i8", "0", "1"],
        "-ERR BITFIELD_RO only supports the GET subcommand\r\n",
    );
    w.is(&["BITFIELD_RO", "w", "INCRBY", "i8", "0", "1"], "-ERR BITFIELD_RO only supports the GET subcommand\r\n");
    w.is(&["BITFIELD_RO"], arity("bitfield_ro"));
    w.is(&["BITFIELD"], arity("bitfield"));
}

#[test]
fn bitfield_overflow_modes() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    // WRAP (the default), SAT and FAIL, each applying to what follows.
    w.is(&["BITFIELD", "o", "SET", "u8", "0", "250", "INCRBY", "u8", "0", "10"], "*2\r\n:0\r\n:4\r\n");
    w.is(
        &["BITFIELD", "o", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300", "INCRBY", "u8", "0", "-1000"],
        "*2\r\n:255\r\n:0\r\n",
    );
    w.is(
        &["BITFIELD", "o", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "256", "INCRBY", "u8", "0", "255"],
        "*2\r\n$-1\r\n:255\r\n",
    );
    w.is(
        &["BITFIELD", "o", "OVERFLOW", "fail", "INCRBY", "u8", "0", "1", "OVERFLOW", "WRAP", "INCRBY", "u8", "0", "1"],
        "*2\r\n$-1\r\n:0\r\n",
    );
    w.is(&["BITFIELD", "s", "SET", "i8", "0", "127", "INCRBY", "i8", "0", "1"], "*2\r\n:0\r\n:-128\r\n");
    w.is(
        &["BITFIELD", "s", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-1", "INCRBY", "i8", "0", "500"],
        "*2\r\n:-128\r\n:127\r\n",
    );
    w.is(&["BITFIELD", "s", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "1"], "*1\r\n$-1\r\n");
    // A SET of a value outside the field: wrapped, saturated or refused.
    w.is(&["BITFIELD", "s", "SET", "i8", "0", "300"], "*1\r\n:127\r\n");
    w.is(&["BITFIELD", "s", "GET", "i8", "0"], "*1\r\n:44\r\n");
    w.is(&["BITFIELD", "s", "OVERFLOW", "SAT", "SET", "u8", "0", "-5", "GET", "u8", "0"], "*2\r\n:44\r\n:255\r\n");
    w.is(&["BITFIELD", "s", "OVERFLOW", "SAT", "SET", "i8", "0", "-300", "GET", "i8", "0"], "*2\r\n:-1\r\n:-128\r\n");
    w.is(&["BITFIELD", "s", "OVERFLOW", "FAIL", "SET", "u4", "0", "16", "GET", "u4", "0"], "*2\r\n$-1\r\n:8\r\n");
    // 64-bit signed fields at their limits.
    w.is(
        &["BITFIELD", "l", "SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1"],
        "*2\r\n:0\r\n:-9223372036854775808\r\n",
    );
    w.is(&["BITFIELD", "l", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1"], "*1\r\n:-9223372036854775808\r\n");
    w.is(
        &[
            "BITFIELD",
            "l",
            "OVERFLOW",
            "SAT",
            "INCRBY",
            "i64",
            "0",
            "9223372036854775807",
            "INCRBY",
            "i64",
            "0",
            "9223372036854775807",
        ],
        "*2\r\n:-1\r\n:9223372036854775806\r\n",
    );
    // u63 at its limit.
    w.is(&["BITFIELD", "u", "SET", "u63", "0", "9223372036854775807", "INCRBY", "u63", "0", "1"], "*2\r\n:0\r\n:0\r\n");
    w.is(&["BITFIELD", "u", "OVERFLOW", "SAT", "INCRBY", "u63", "0", "-1"], "*1\r\n:0\r\n");
    // A creating write that fails on overflow still creates the key.
    w.is(&["BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "8", "9"], "*1\r\n$-1\r\n");
    w.is(&["GET", "f"], bulk(b"\x00\x00"));
    w.is(&["GET", "nothing"], NIL);
}

#[test]
fn bitfield_errors() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["BITFIELD", "k", "GET", "u64", "0"], BAD_TYPE);
    w.is(&["BITFIELD", "k", "GET", "i65", "0"], BAD_TYPE);
    w.is(&["BITFIELD", "k", "GET", "i0", "0"], BAD_TYPE);
    w.is(&["BITFIELD", "k", "GET", "I8", "0"], BAD_TYPE);
    w.is(&["BITFIELD", "k", "GET", "x8", "0"], BAD_TYPE);
    w.is(&["BITFIELD", "k", "GET", "", "0"], BAD_TYPE);
    w.is(&["BITFIELD", "k", "GET", "i8", "-1"], BAD_OFFSET);
    w.is(&["BITFIELD", "k", "GET", "i8", "4294967296"], BAD_OFFSET);
    w.is(&["BITFIELD", "k", "GET", "i8", "#536870912"], BAD_OFFSET);
    w.is(&["BITFIELD", "k", "GET", "i8", "#-1"], BAD_OFFSET);
    w.is(&["BITFIELD", "k", "GET", "i8", "#x"], BAD_OFFSET);
    w.is(&["BITFIELD", "k", "GET", "i8", "#536870911"], "*1\r\n:0\r\n");
    // `#n` times the width wraps around in 64 bits, as in Redis.
    w.is(&["BITFIELD", "k", "GET", "i8", "#1152921504606846976"], BAD_OFFSET);
    w.is(&["BITFIELD", "k", "GET", "i8", "#2305843009213693952"], "*1\r\n:0\r\n");
    w.is(&["BITFIELD", "k", "GET", "u1", "#4294967295"], "*1\r\n:0\r\n");
    w.is(&["BITFIELD", "k", "GET", "u1", "#4294967296"], BAD_OFFSET);
    w.is(&["BITFIELD", "k", "SET", "i8", "0", "x"], "-ERR value is not an integer or out of range\r\n");
    w.is(&["BITFIELD", "k", "OVERFLOW", "BAD", "GET", "i8", "0"], "-ERR Invalid OVERFLOW type specified\r\n");
    w.is(&["BITFIELD", "k", "OVERFLOW"], SYNTAX);
    w.is(&["BITFIELD", "k", "GET", "i8"], SYNTAX);
    w.is(&["BITFIELD", "k", "SET", "i8", "0"], SYNTAX);
    w.is(&["BITFIELD", "k", "FOO", "i8", "0"], SYNTAX);
    // Parsing goes first: a later bad operation fails the whole command.
    w.is(&["BITFIELD", "k", "SET", "i8", "0", "1", "GET", "i99", "0"], BAD_TYPE);
    w.is(&["EXISTS", "k"], int(0));
    w.is(&["LPUSH", "list", "x"], int(1));
    w.is(&["BITFIELD", "list", "GET", "i8", "0"], WRONGTYPE);
    w.is(&["BITFIELD", "list", "SET", "i8", "0", "1"], WRONGTYPE);
    w.is(&["BITFIELD_RO", "list", "GET", "i8", "0"], WRONGTYPE);
}

/// Writes that change nothing are not announced; those that do are, with
/// Redis's event names.
#[test]
fn bitmap_notifications() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut subscriber = crate::common::wire::subscribe_key_events(&server, &mut w);
    w.is(&["SETBIT", "b", "3", "1"], int(0));
    w.is(&["SETBIT", "b", "3", "1"], int(1));
    w.is(&["BITFIELD", "b", "SET", "u8", "0", "16"], "*1\r\n:16\r\n");
    w.is(&["BITFIELD", "b", "INCRBY", "u8", "0", "1"], "*1\r\n:17\r\n");
    w.is(&["BITOP", "NOT", "c", "b"], int(1));
    w.is(&["BITOP", "AND", "c", "missing"], int(0));
    let events = crate::common::wire::events_until_marker(&mut w, &mut subscriber);
    let names: Vec<&str> = events.iter().map(|(event, _)| event.as_str()).collect();
    assert_eq!(names, ["setbit", "setbit", "set", "del"], "{events:?}");
}
