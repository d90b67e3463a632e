//! List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE,
//! LINDEX, LSET, LREM, LTRIM, LINSERT, LPOS, LMOVE, RPOPLPUSH, LMPOP.
//!
//! Every expectation is the exact reply of Redis 7.0 on the wire; run with
//! `EFIS_TEST_SERVER=redis` to check them against the real redis-server.

use crate::common::wire::{
    self, arity, bulk, bulks, events_until_marker, int, subscribe_key_events, Wire, NIL, NIL_ARRAY, OK, SYNTAX,
    WRONGTYPE,
};
use crate::common::{is_redis, Server};

/// Keys of other types, for the WRONGTYPE checks. (Every non-list kind
/// takes the same path through the type check; sets and sorted sets are
/// left out so that these tests do not depend on those families.)
const OTHER_TYPES: [&str; 2] = ["string", "hash"];

fn make_other_types(w: &mut Wire) {
    w.is(&["SET", "string", "x"], OK);
    w.is(&["HSET", "hash", "f", "v"], int(1));
}

#[test]
fn push_order_and_lengths() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RPUSH", "l", "a"], int(1));
    w.is(&["RPUSH", "l", "b", "c"], int(3));
    w.is(&["LPUSH", "l", "x", "y"], int(5));
    w.is(&["LRANGE", "l", "0", "-1"], bulks(&["y", "x", "a", "b", "c"]));
    w.is(&["LLEN", "l"], int(5));
    w.is(&["TYPE", "l"], "+list\r\n");
    w.is(&["OBJECT", "ENCODING", "l"], bulk("quicklist"));
    // Command names are case-insensitive, keys are not.
    w.is(&["rpush", "l", "d"], int(6));
    w.is(&["LLEN", "L"], int(0));
    // The X variants only push onto existing lists.
    w.is(&["LPUSHX", "nothing", "a", "b"], int(0));
    w.is(&["RPUSHX", "nothing", "a"], int(0));
    w.is(&["EXISTS", "nothing"], int(0));
    w.is(&["LPUSHX", "l", "first", "zeroth"], int(8));
    w.is(&["RPUSHX", "l", "last"], int(9));
    w.is(&["LRANGE", "l", "0", "-1"], bulks(&["zeroth", "first", "y", "x", "a", "b", "c", "d", "last"]));
    // Duplicates and the empty string are ordinary elements.
    w.is(&["RPUSH", "dup", "a", "a", "", "a"], int(4));
    w.is(&["LRANGE", "dup", "0", "-1"], bulks(&["a", "a", "", "a"]));
    // Pushing keeps an existing time to live.
    w.is(&["EXPIRE", "dup", "100"], int(1));
    w.is(&["RPUSH", "dup", "b"], int(5));
    let ttl = w.call(&["TTL", "dup"]);
    w.check(ttl == int(100).as_bytes() || ttl == int(99).as_bytes(), format!("TTL after RPUSH: {ttl:?}"));
}

#[test]
fn pop_with_and_without_count() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RPUSH", "l", "a", "b", "c", "d", "e"], int(5));
    w.is(&["LPOP", "l"], bulk("a"));
    w.is(&["RPOP", "l"], bulk("e"));
    w.is(&["LPOP", "l", "1"], bulks(&["b"]));
    w.is(&["RPOP", "l", "1"], bulks(&["d"]));
    w.is(&["RPUSH", "l", "x", "y"], int(3));
    // A count of 0 answers an empty array and changes nothing.
    w.is(&["LPOP", "l", "0"], "*0\r\n");
    w.is(&["LLEN", "l"], int(3));
    w.is(&["RPOP", "l", "2"], bulks(&["y", "x"]));
    // More than there is: everything, and the key is gone.
    w.is(&["RPUSH", "l", "x", "y"], int(3));
    w.is(&["LPOP", "l", "10"], bulks(&["c", "x", "y"]));
    w.is(&["EXISTS", "l"], int(0));
    // Popping the last element deletes the key and its time to live.
    w.is(&["RPUSH", "l", "only"], int(1));
    w.is(&["EXPIRE", "l", "100"], int(1));
    w.is(&["RPOP", "l"], bulk("only"));
    w.is(&["EXISTS", "l"], int(0));
    w.is(&["RPUSH", "l", "new"], int(1));
    w.is(&["TTL", "l"], int(-1));
    // Huge counts take what there is, without allocating for the count.
    w.is(&["RPUSH", "l", "a", "b"], int(3));
    w.is(&["LPOP", "l", "9223372036854775807"], bulks(&["new", "a", "b"]));
    // Missing keys: null without a count, null array with one (even 0).
    w.is(&["LPOP", "missing"], NIL);
    w.is(&["RPOP", "missing"], NIL);
    w.is(&["LPOP", "missing", "3"], NIL_ARRAY);
    w.is(&["RPOP", "missing", "0"], NIL_ARRAY);
    // Counts must be non-negative integers; checked before the key.
    let positive = "-ERR value is out of range, must be positive\r\n";
    w.is(&["LPOP", "missing", "-1"], positive);
    w.is(&["RPOP", "missing", "abc"], positive);
    w.is(&["LPOP", "missing", "-9223372036854775808"], positive);
    w.is(&["LPOP", "missing", "1.5"], positive);
    w.is(&["LPOP", "l", "1", "2"], arity("lpop"));
    w.is(&["RPOP", "l", "1", "2"], arity("rpop"));
    w.is(&["LPOP"], arity("lpop"));
    w.is(&["RPOP"], arity("rpop"));
}

#[test]
fn resp3_reply_shapes() {
    let server = Server::start();
    let mut w = Wire::open_resp3(&server);
    w.is(&["RPUSH", "l", "a", "b", "c"], int(3));
    w.is(&["LPOP", "missing"], "_\r\n");
    w.is(&["LPOP", "missing", "2"], "_\r\n");
    w.is(&["LINDEX", "l", "10"], "_\r\n");
    w.is(&["LPOS", "l", "zz"], "_\r\n");
    w.is(&["LMOVE", "missing", "l", "LEFT", "LEFT"], "_\r\n");
    w.is(&["LMPOP", "1", "missing", "LEFT"], "_\r\n");
    w.is(&["LPOP", "l", "0"], "*0\r\n");
    w.is(&["LPOP", "l", "1"], bulks(&["a"]));
    w.is(&["LPOP", "l"], bulk("b"));
    // LMPOP answers a two-element array in both protocols.
    w.is(&["RPUSH", "l", "d"], int(2));
    let mut want = b"*2\r\n".to_vec();
    want.extend_from_slice(&bulk("l"));
    want.extend_from_slice(&bulks(&["d", "c"]));
    w.is(&["LMPOP", "1", "l", "RIGHT", "COUNT", "5"], want);
}

#[test]
fn lrange_and_lindex() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RPUSH", "l", "0", "1", "2", "3", "4", "5"], int(6));
    w.is(&["LRANGE", "l", "0", "2"], bulks(&["0", "1", "2"]));
    w.is(&["LRANGE", "l", "-3", "-1"], bulks(&["3", "4", "5"]));
    w.is(&["LRANGE", "l", "-100", "100"], bulks(&["0", "1", "2", "3", "4", "5"]));
    w.is(&["LRANGE", "l", "2", "2"], bulks(&["2"]));
    w.is(&["LRANGE", "l", "4", "2"], "*0\r\n");
    w.is(&["LRANGE", "l", "6", "10"], "*0\r\n");
    w.is(&["LRANGE", "l", "-1", "-3"], "*0\r\n");
    w.is(&["LRANGE", "l", "0", "-7"], "*0\r\n");
    w.is(&["LRANGE", "l", "-9223372036854775808", "9223372036854775807"], bulks(&["0", "1", "2", "3", "4", "5"]));
    w.is(&["LRANGE", "missing", "0", "-1"], "*0\r\n");
    // Indexes are parsed before the key is looked at.
    w.is(&["LRANGE", "missing", "a", "1"], wire::NOT_INT);
    w.is(&["LRANGE", "l", "0", "1.0"], wire::NOT_INT);

    w.is(&["LINDEX", "l", "0"], bulk("0"));
    w.is(&["LINDEX", "l", "5"], bulk("5"));
    w.is(&["LINDEX", "l", "-1"], bulk("5"));
    w.is(&["LINDEX", "l", "-6"], bulk("0"));
    w.is(&["LINDEX", "l", "6"], NIL);
    w.is(&["LINDEX", "l", "-7"], NIL);
    w.is(&["LINDEX", "l", "-9223372036854775808"], NIL);
    w.is(&["LINDEX", "missing", "0"], NIL);
    // LINDEX looks at the key first.
    w.is(&["LINDEX", "missing", "x"], NIL);
    w.is(&["LINDEX", "l", "x"], wire::NOT_INT);
}

#[test]
fn lset() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["LSET", "missing", "0", "x"], "-ERR no such key\r\n");
    w.is(&["LSET", "missing", "x", "x"], "-ERR no such key\r\n");
    w.is(&["RPUSH", "l", "a", "b", "c"], int(3));
    w.is(&["LSET", "l", "0", "A"], OK);
    w.is(&["LSET", "l", "-1", "C"], OK);
    w.is(&["LSET", "l", "1", "a much longer element than before"], OK);
    w.is(&["LRANGE", "l", "0", "-1"], bulks(&["A", "a much longer element than before", "C"]));
    w.is(&["LSET", "l", "3", "x"], "-ERR index out of range\r\n");
    w.is(&["LSET", "l", "-4", "x"], "-ERR index out of range\r\n");
    w.is(&["LSET", "l", "x", "x"], wire::NOT_INT);
    w.is(&["LSET", "l", "1", ""], OK);
    w.is(&["LINDEX", "l", "1"], bulk(""));
}

#[test]
fn lrem() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RPUSH", "l", "a", "b", "a", "c", "a", "b", "a"], int(7));
    w.is(&["LREM", "l", "2", "a"], int(2));
    w.is(&["LRANGE", "l", "0", "-1"], bulks(&["b", "c", "a", "b", "a"]));
    w.is(&["LREM", "l", "-1", "b"], int(1));
    w.is(&["LRANGE", "l", "0", "-1"], bulks(&["b", "c", "a", "a"]));
    w.is(&["LREM", "l", "0", "a"], int(2));
    w.is(&["LREM", "l", "0", "nothing"], int(0));
    w.is(&["LRANGE", "l", "0", "-1"], bulks(&["b", "c"]));
    w.is(&["LREM", "l", "-9223372036854775808", "b"], int(1));
    // Removing the last element deletes the key.
    w.is(&["LREM", "l", "9223372036854775807", "c"], int(1));
    w.is(&["EXISTS", "l"], int(0));
    w.is(&["LREM", "missing", "0", "a"], int(0));
    // The count is parsed before the key is looked at.
    w.is(&["LREM", "missing", "x", "a"], wire::NOT_INT);
    // Negative counts remove the last matches.
    w.is(&["RPUSH", "t", "x", "1", "x", "2", "x", "3", "x"], int(7));
    w.is(&["LREM", "t", "-3", "x"], int(3));
    w.is(&["LRANGE", "t", "0", "-1"], bulks(&["x", "1", "2", "3"]));
}

#[test]
fn ltrim() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RPUSH", "l", "1", "2", "3", "4", "5"], int(5));
    w.is(&["LTRIM", "l", "1", "-2"], OK);
    w.is(&["LRANGE", "l", "0", "-1"], bulks(&["2", "3", "4"]));
    w.is(&["LTRIM", "l", "-100", "100"], OK);
    w.is(&["LRANGE", "l", "0", "-1"], bulks(&["2", "3", "4"]));
    w.is(&["LTRIM", "l", "-1", "-1"], OK);
    w.is(&["LRANGE", "l", "0", "-1"], bulks(&["4"]));
    // An empty range deletes the key.
    w.is(&["LTRIM", "l", "1", "0"], OK);
    w.is(&["EXISTS", "l"], int(0));
    w.is(&["RPUSH", "l", "1", "2", "3"], int(3));
    w.is(&["LTRIM", "l", "5", "10"], OK);
    w.is(&["EXISTS", "l"], int(0));
    w.is(&["RPUSH", "l", "1", "2", "3"], int(3));
    w.is(&["LTRIM", "l", "0", "-4"], OK);
    w.is(&["EXISTS", "l"], int(0));
    w.is(&["LTRIM", "missing", "0", "1"], OK);
    w.is(&["LTRIM", "missing", "a", "1"], wire::NOT_INT);
}

#[test]
fn linsert() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["LINSERT", "missing", "BEFORE", "a", "x"], int(0));
    w.is(&["EXISTS", "missing"], int(0));
    w.is(&["RPUSH", "l", "a", "b", "a"], int(3));
    w.is(&["LINSERT", "l", "BEFORE", "a", "x"], int(4));
    w.is(&["LINSERT", "l", "after", "a", "y"], int(5));
    w.is(&["LINSERT", "l", "AfTeR", "b", "z"], int(6));
    w.is(&["LRANGE", "l", "0", "-1"], bulks(&["x", "a", "y", "b", "z", "a"]));
    w.is(&["LINSERT", "l", "BEFORE", "nothing", "x"], int(-1));
    // The position word is checked before the key.
    w.is(&["LINSERT", "l", "MIDDLE", "a", "x"], SYNTAX);
    w.is(&["LINSERT", "missing", "MIDDLE", "a", "x"], SYNTAX);
    w.is(&["LINSERT", "string", "MIDDLE", "a", "x"], SYNTAX);
}

#[test]
fn lpos() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RPUSH", "l", "a", "b", "c", "a", "b", "c", "a"], int(7));
    w.is(&["LPOS", "l", "a"], int(0));
    w.is(&["LPOS", "l", "c"], int(2));
    w.is(&["LPOS", "l", "z"], NIL);
    w.is(&["LPOS", "l", "a", "RANK", "2"], int(3));
    w.is(&["LPOS", "l", "a", "RANK", "-1"], int(6));
    w.is(&["LPOS", "l", "a", "RANK", "-2"], int(3));
    w.is(&["LPOS", "l", "a", "RANK", "4"], NIL);
    w.is(&["LPOS", "l", "a", "RANK", "9223372036854775807"], NIL);
    // Redis 7.0 negates the rank with overflow: the lowest rank is the
    // first match from the tail.
    w.is(&["LPOS", "l", "a", "RANK", "-9223372036854775808"], int(6));
    w.is(&["LPOS", "l", "a", "COUNT", "0"], "*3\r\n:0\r\n:3\r\n:6\r\n");
    w.is(&["LPOS", "l", "a", "COUNT", "2"], "*2\r\n:0\r\n:3\r\n");
    w.is(&["LPOS", "l", "a", "COUNT", "2", "RANK", "-1"], "*2\r\n:6\r\n:3\r\n");
    w.is(&["LPOS", "l", "a", "COUNT", "1", "RANK", "2"], "*1\r\n:3\r\n");
    w.is(&["LPOS", "l", "a", "COUNT", "0", "MAXLEN", "4"], "*2\r\n:0\r\n:3\r\n");
    w.is(&["LPOS", "l", "a", "COUNT", "0", "MAXLEN", "4", "RANK", "-1"], "*2\r\n:6\r\n:3\r\n");
    w.is(&["LPOS", "l", "a", "rank", "3", "maxlen", "6"], NIL);
    w.is(&["LPOS", "l", "a", "rank", "3", "maxlen", "7"], int(6));
    w.is(&["LPOS", "l", "z", "COUNT", "1"], "*0\r\n");
    // The last of repeated options wins.
    w.is(&["LPOS", "l", "a", "RANK", "2", "RANK", "3"], int(6));
    w.is(&["LPOS", "l", "a", "COUNT", "1", "COUNT", "0"], "*3\r\n:0\r\n:3\r\n:6\r\n");
    w.is(&["LPOS", "missing", "a"], NIL);
    w.is(&["LPOS", "missing", "a", "COUNT", "1"], "*0\r\n");
    let rank_zero = "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
                     or use negative to start from the end of the list\r\n";
    w.is(&["LPOS", "l", "a", "RANK", "0"], rank_zero);
    w.is(&["LPOS", "missing", "a", "RANK", "0"], rank_zero);
    w.is(&["LPOS", "l", "a", "RANK", "x"], wire::NOT_INT);
    w.is(&["LPOS", "l", "a", "COUNT", "-1"], "-ERR COUNT can't be negative\r\n");
    w.is(&["LPOS", "l", "a", "COUNT", "x"], "-ERR COUNT can't be negative\r\n");
    w.is(&["LPOS", "l", "a", "MAXLEN", "-1"], "-ERR MAXLEN can't be negative\r\n");
    w.is(&["LPOS", "l", "a", "MAXLEN", "x"], "-ERR MAXLEN can't be negative\r\n");
    w.is(&["LPOS", "l", "a", "RANK"], SYNTAX);
    w.is(&["LPOS", "l", "a", "FOO", "1"], SYNTAX);
}

#[test]
fn lmove_and_rpoplpush() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RPUSH", "src", "a", "b", "c"], int(3));
    w.is(&["LMOVE", "src", "dst", "LEFT", "RIGHT"], bulk("a"));
    w.is(&["LMOVE", "src", "dst", "right", "left"], bulk("c"));
    w.is(&["LRANGE", "dst", "0", "-1"], bulks(&["c", "a"]));
    w.is(&["LMOVE", "dst", "src", "LEFT", "LEFT"], bulk("c"));
    w.is(&["LMOVE", "dst", "src", "RIGHT", "RIGHT"], bulk("a"));
    w.is(&["EXISTS", "dst"], int(0));
    w.is(&["LRANGE", "src", "0", "-1"], bulks(&["c", "b", "a"]));
    // Same source and destination: a rotation.
    w.is(&["LMOVE", "src", "src", "LEFT", "RIGHT"], bulk("c"));
    w.is(&["LRANGE", "src", "0", "-1"], bulks(&["b", "a", "c"]));
    w.is(&["RPOPLPUSH", "src", "src"], bulk("c"));
    w.is(&["LRANGE", "src", "0", "-1"], bulks(&["c", "b", "a"]));
    w.is(&["LMOVE", "src", "src", "LEFT", "LEFT"], bulk("c"));
    w.is(&["LRANGE", "src", "0", "-1"], bulks(&["c", "b", "a"]));
    w.is(&["RPUSH", "one", "x"], int(1));
    w.is(&["RPOPLPUSH", "one", "one"], bulk("x"));
    w.is(&["LRANGE", "one", "0", "-1"], bulks(&["x"]));
    // RPOPLPUSH is LMOVE RIGHT LEFT; the emptied source disappears.
    w.is(&["RPOPLPUSH", "one", "other"], bulk("x"));
    w.is(&["EXISTS", "one"], int(0));
    w.is(&["RPOPLPUSH", "src", "other"], bulk("a"));
    w.is(&["LRANGE", "other", "0", "-1"], bulks(&["a", "x"]));
    // A missing source answers null, whatever the destination holds.
    make_other_types(&mut w);
    w.is(&["LMOVE", "missing", "string", "LEFT", "LEFT"], NIL);
    w.is(&["RPOPLPUSH", "missing", "hash"], NIL);
    // A destination of another type is an error and nothing moves.
    for other in OTHER_TYPES {
        w.is(&["LMOVE", "src", other, "LEFT", "LEFT"], WRONGTYPE);
        w.is(&["RPOPLPUSH", "src", other], WRONGTYPE);
        w.is(&["LMOVE", other, "src", "LEFT", "LEFT"], WRONGTYPE);
        w.is(&["RPOPLPUSH", other, "src"], WRONGTYPE);
    }
    w.is(&["LRANGE", "src", "0", "-1"], bulks(&["c", "b"]));
    // The direction words are checked first.
    w.is(&["LMOVE", "src", "dst", "UP", "LEFT"], SYNTAX);
    w.is(&["LMOVE", "src", "dst", "LEFT", "DOWN"], SYNTAX);
    w.is(&["LMOVE", "missing", "dst", "LEFT", "DOWN"], SYNTAX);
    // The destination keeps its time to live.
    w.is(&["EXPIRE", "other", "100"], int(1));
    w.is(&["LMOVE", "src", "other", "LEFT", "LEFT"], bulk("c"));
    let ttl = w.call(&["TTL", "other"]);
    w.check(ttl == int(100).as_bytes() || ttl == int(99).as_bytes(), format!("TTL after LMOVE: {ttl:?}"));
}

#[test]
fn lmpop() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RPUSH", "l1", "a", "b", "c"], int(3));
    w.is(&["RPUSH", "l2", "x", "y"], int(2));
    let reply = |key: &str, items: &[&str]| {
        let mut out = b"*2\r\n".to_vec();
        out.extend_from_slice(&bulk(key));
        out.extend_from_slice(&bulks(items));
        out
    };
    w.is(&["LMPOP", "2", "missing", "l2", "RIGHT", "COUNT", "5"], reply("l2", &["y", "x"]));
    w.is(&["EXISTS", "l2"], int(0));
    w.is(&["LMPOP", "3", "missing", "l2", "l1", "left"], reply("l1", &["a"]));
    w.is(&["LMPOP", "1", "l1", "LEFT", "count", "1"], reply("l1", &["b"]));
    w.is(&["LMPOP", "2", "missing", "l2", "LEFT"], NIL_ARRAY);
    // Keys are tried in order; a key of another type is an error when it
    // is reached, not after a non-empty list.
    make_other_types(&mut w);
    w.is(&["LMPOP", "2", "missing", "string", "LEFT"], WRONGTYPE);
    w.is(&["LMPOP", "2", "hash", "l1", "LEFT"], WRONGTYPE);
    w.is(&["LMPOP", "2", "l1", "hash", "LEFT"], reply("l1", &["c"]));
    // Argument errors, with Redis's texts.
    let numkeys = "-ERR numkeys should be greater than 0\r\n";
    let count = "-ERR count should be greater than 0\r\n";
    w.is(&["LMPOP", "0", "l1", "LEFT"], numkeys);
    w.is(&["LMPOP", "-1", "l1", "LEFT"], numkeys);
    w.is(&["LMPOP", "abc", "l1", "LEFT"], numkeys);
    w.is(&["LMPOP", "2", "l1", "LEFT"], SYNTAX);
    w.is(&["LMPOP", "9223372036854775807", "l1", "LEFT"], SYNTAX);
    w.is(&["LMPOP", "1", "l1", "MIDDLE"], SYNTAX);
    w.is(&["LMPOP", "1", "l1", "LEFT", "COUNT", "0"], count);
    w.is(&["LMPOP", "1", "l1", "LEFT", "COUNT", "-1"], count);
    w.is(&["LMPOP", "1", "l1", "LEFT", "COUNT", "abc"], count);
    w.is(&["LMPOP", "1", "l1", "LEFT", "COUNT"], SYNTAX);
    w.is(&["LMPOP", "1", "l1", "LEFT", "COUNT", "1", "COUNT", "1"], SYNTAX);
    w.is(&["LMPOP", "1", "l1", "LEFT", "extra"], SYNTAX);
    w.is(&["LMPOP", "1", "l1"], arity("lmpop"));
}

#[test]
fn wrong_type_and_arity() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_other_types(&mut w);
    for key in OTHER_TYPES {
        w.is(&["LPUSH", key, "a"], WRONGTYPE);
        w.is(&["RPUSH", key, "a"], WRONGTYPE);
        w.is(&["LPUSHX", key, "a"], WRONGTYPE);
        w.is(&["RPUSHX", key, "a"], WRONGTYPE);
        w.is(&["LPOP", key], WRONGTYPE);
        w.is(&["RPOP", key], WRONGTYPE);
        w.is(&["LPOP", key, "2"], WRONGTYPE);
        w.is(&["RPOP", key, "0"], WRONGTYPE);
        w.is(&["LLEN", key], WRONGTYPE);
        w.is(&["LRANGE", key, "0", "-1"], WRONGTYPE);
        w.is(&["LINDEX", key, "0"], WRONGTYPE);
        w.is(&["LINDEX", key, "x"], WRONGTYPE);
        w.is(&["LSET", key, "0", "a"], WRONGTYPE);
        w.is(&["LREM", key, "0", "a"], WRONGTYPE);
        w.is(&["LTRIM", key, "0", "1"], WRONGTYPE);
        w.is(&["LINSERT", key, "BEFORE", "a", "b"], WRONGTYPE);
        w.is(&["LPOS", key, "a"], WRONGTYPE);
        w.is(&["LPOS", key, "a", "COUNT", "1"], WRONGTYPE);
        w.is(&["LMPOP", "1", key, "LEFT"], WRONGTYPE);
    }
    // Nothing was changed by the failed commands.
    w.is(&["GET", "string"], bulk("x"));
    w.is(&["HGET", "hash", "f"], bulk("v"));

    let arities: [(&str, &[&str]); 17] = [
        ("lpush", &["k"]),
        ("rpush", &["k"]),
        ("lpushx", &["k"]),
        ("rpushx", &["k"]),
        ("lpop", &[]),
        ("rpop", &[]),
        ("llen", &["k", "x"]),
        ("lrange", &["k", "0"]),
        ("lindex", &["k"]),
        ("lset", &["k", "0"]),
        ("lrem", &["k", "0"]),
        ("ltrim", &["k", "0", "1", "2"]),
        ("linsert", &["k", "BEFORE", "a"]),
        ("lpos", &["k"]),
        ("lmove", &["a", "b", "LEFT"]),
        ("rpoplpush", &["a"]),
        ("lmpop", &["1", "k"]),
    ];
    for (name, rest) in arities {
        let mut args = vec![name];
        args.extend_from_slice(rest);
        w.is(&args, arity(name));
    }
}

#[test]
fn binary_elements() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let nul: &[u8] = b"a\0b";
    let crlf: &[u8] = b"\r\n*1\r\n$3\r\nbad\r\n";
    let high: &[u8] = &[0xff, 0x00, 0x80, 0x7f];
    w.is(&[&b"RPUSH"[..], b"bin", nul, crlf, high, b""], int(4));
    w.is(&[&b"LRANGE"[..], b"bin", b"0", b"-1"], bulks(&[nul, crlf, high, b""]));
    w.is(&[&b"LPOS"[..], b"bin", crlf], int(1));
    w.is(&[&b"LINSERT"[..], b"bin", b"AFTER", high, nul], int(5));
    w.is(&[&b"LREM"[..], b"bin", b"0", nul], int(2));
    w.is(&[&b"LSET"[..], b"bin", b"0", high], OK);
    w.is(&[&b"LINDEX"[..], b"bin", b"0"], bulk(high));
    w.is(&[&b"RPOP"[..], b"bin", b"5"], bulks(&[b"", high, high]));
    // Binary keys too.
    w.is(&[&b"LPUSH"[..], b"key\0\r\n", b"v"], int(1));
    w.is(&[&b"LLEN"[..], b"key\0\r\n"], int(1));
    w.is(&[&b"LLEN"[..], b"key"], int(0));
}

#[test]
fn large_elements() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let big: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let medium = vec![b'm'; 5_000];
    w.is(&[&b"RPUSH"[..], b"l", b"s1", &big, b"s2", &medium, b"s3"], int(5));
    w.is(&[&b"LPUSH"[..], b"l", &big], int(6));
    w.is(&[&b"LINDEX"[..], b"l", b"2"], bulk(&big));
    w.is(&[&b"LSET"[..], b"l", b"3", &big], OK);
    w.is(&[&b"LINSERT"[..], b"l", b"BEFORE", b"s3", &medium], int(7));
    w.is(&[&b"LRANGE"[..], b"l", b"0", b"-1"], bulks(&[&big[..], b"s1", &big, &big, &medium, &medium, b"s3"]));
    w.is(&[&b"LREM"[..], b"l", b"0", &big], int(3));
    w.is(&[&b"LRANGE"[..], b"l", b"0", b"-1"], bulks(&[&b"s1"[..], &medium, &medium, b"s3"]));
    w.is(&[&b"LMOVE"[..], b"l", b"l", b"RIGHT", b"LEFT"], bulk("s3"));
    w.is(&[&b"RPOP"[..], b"l", b"2"], bulks(&[&medium[..], &medium]));
}

#[test]
fn hundred_thousand_elements() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    const N: usize = 100_000;
    let elements: Vec<String> = (0..N).map(|i| format!("element:{i}")).collect();
    let mut args: Vec<&str> = vec!["RPUSH", "big"];
    args.extend(elements.iter().map(String::as_str));
    w.is(&args, int(N as i64));
    w.is(&["LLEN", "big"], int(N as i64));
    w.is(&["LINDEX", "big", "0"], bulk("element:0"));
    w.is(&["LINDEX", "big", "50000"], bulk("element:50000"));
    w.is(&["LINDEX", "big", "-1"], bulk("element:99999"));
    w.is(&["LINDEX", "big", "-30000"], bulk("element:70000"));
    w.is(&["LRANGE", "big", "49998", "50001"], bulks(&elements[49_998..=50_001]));
    w.is(&["LRANGE", "big", "-3", "-1"], bulks(&elements[N - 3..]));
    let all = w.call(&["LRANGE", "big", "0", "-1"]);
    w.check(all == bulks(&elements), "LRANGE 0 -1 of 100,000 elements");
    w.is(&["LPOS", "big", "element:77777"], int(77_777));
    w.is(&["LPOS", "big", "element:77777", "RANK", "-1"], int(77_777));
    w.is(&["LPOS", "big", "element:77777", "MAXLEN", "1000"], NIL);
    w.is(&["LSET", "big", "60000", "changed"], OK);
    w.is(&["LINDEX", "big", "60000"], bulk("changed"));
    w.is(&["LINSERT", "big", "AFTER", "element:99998", "inserted"], int(N as i64 + 1));
    w.is(&["LINDEX", "big", "-2"], bulk("inserted"));
    w.is(&["LREM", "big", "0", "inserted"], int(1));
    w.is(&["LREM", "big", "-1", "changed"], int(1));
    w.is(&["LINDEX", "big", "60000"], bulk("element:60001"));
    w.is(&["LTRIM", "big", "10", "-11"], OK);
    w.is(&["LLEN", "big"], int(N as i64 - 21));
    w.is(&["LINDEX", "big", "0"], bulk("element:10"));
    w.is(&["LPOP", "big", "5"], bulks(&elements[10..15]));
    w.is(&["RPOP", "big", "1"], bulks(&elements[N - 11..N - 10]));
    let rest = w.call(&["LPOP", "big", "9223372036854775807"]);
    w.check(rest.starts_with(format!("*{}\r\n", N - 27).as_bytes()), "LPOP of the rest");
    w.is(&["EXISTS", "big"], int(0));

    // A queue: pushes at one end, pops at the other, through many nodes.
    for chunk in elements.chunks(10_000) {
        let mut args: Vec<&str> = vec!["LPUSH", "queue"];
        args.extend(chunk.iter().map(String::as_str));
        w.call(&args);
        let popped = w.call(&["RPOP", "queue", "5000"]);
        w.check(popped.starts_with(b"*5000\r\n"), "RPOP 5000");
    }
    w.is(&["LLEN", "queue"], int(N as i64 / 2));
    w.is(&["RPOP", "queue"], bulk("element:50000"));
    w.is(&["LPOP", "queue"], bulk("element:99999"));
}

#[test]
fn keys_of_deleted_lists_are_gone_for_every_remover() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let removers: [&[&str]; 7] = [
        &["LPOP", "k"],
        &["RPOP", "k", "5"],
        &["LREM", "k", "0", "a"],
        &["LTRIM", "k", "1", "0"],
        &["LMOVE", "k", "other", "LEFT", "LEFT"],
        &["RPOPLPUSH", "k", "other"],
        &["LMPOP", "1", "k", "RIGHT"],
    ];
    for remover in removers {
        w.is(&["RPUSH", "k", "a"], int(1));
        w.call(remover);
        w.is(&["EXISTS", "k"], int(0));
        w.is(&["TYPE", "k"], "+none\r\n");
        w.call(&["DEL", "other"]);
    }
    // Expired lists are invisible.
    w.is(&["RPUSH", "k", "a", "b"], int(2));
    w.is(&["PEXPIRE", "k", "1"], int(1));
    std::thread::sleep(std::time::Duration::from_millis(20));
    w.is(&["LLEN", "k"], int(0));
    w.is(&["LPUSHX", "k", "a"], int(0));
    w.is(&["RPUSH", "k", "c"], int(1));
    w.is(&["LRANGE", "k", "0", "-1"], bulks(&["c"]));
    if !is_redis() {
        // Efis reports the same encoding name as Redis 7.0 for all lists.
        w.is(&["OBJECT", "ENCODING", "k"], bulk("quicklist"));
    }
}

#[test]
fn keyspace_events() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut sub = subscribe_key_events(&server, &mut w);
    let commands: [&[&str]; 23] = [
        &["LPUSH", "l", "a", "b"],
        &["RPUSH", "l", "c"],
        &["LPUSHX", "missing", "x"],
        &["LPOP", "l", "0"],
        &["LPOP", "l"],
        &["RPOP", "l", "1"],
        &["LINSERT", "l", "BEFORE", "a", "z"],
        &["LINSERT", "l", "BEFORE", "nothing", "z"],
        &["LSET", "l", "0", "y"],
        &["LREM", "l", "0", "nothing"],
        &["LREM", "l", "1", "y"],
        &["RPUSH", "l", "b", "c"],
        &["LTRIM", "l", "0", "-1"],
        &["LMOVE", "l", "d", "LEFT", "RIGHT"],
        &["RPOPLPUSH", "d", "d"],
        &["RPOPLPUSH", "d", "l"],
        &["LMPOP", "2", "missing", "l", "RIGHT", "COUNT", "5"],
        &["RPUSH", "l", "x"],
        &["LTRIM", "l", "5", "10"],
        &["RPUSH", "l", "x", "y"],
        &["LREM", "l", "0", "x"],
        &["LREM", "l", "0", "y"],
        &["LPOP", "missing"],
    ];
    for command in commands {
        w.call(command);
    }
    let want = [
        ("lpush", "l"),
        ("rpush", "l"),
        ("lpop", "l"),
        ("rpop", "l"),
        ("linsert", "l"),
        ("lset", "l"),
        ("lrem", "l"),
        ("rpush", "l"),
        ("ltrim", "l"),
        ("rpush", "d"),
        ("lpop", "l"),
        ("lpush", "d"),
        ("rpop", "d"),
        ("lpush", "l"),
        ("rpop", "d"),
        ("del", "d"),
        ("rpop", "l"),
        ("del", "l"),
        ("rpush", "l"),
        ("ltrim", "l"),
        ("del", "l"),
        ("rpush", "l"),
        ("lrem", "l"),
        ("lrem", "l"),
        ("del", "l"),
    ];
    let got = events_until_marker(&mut w, &mut sub);
    let want: Vec<(String, String)> = want.iter().map(|(e, k)| (e.to_string(), k.to_string())).collect();
    assert_eq!(got, want);
}
