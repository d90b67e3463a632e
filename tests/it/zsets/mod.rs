//! Sorted-set commands: ZADD and its options, ZINCRBY, ZREM, ZCARD, ZSCORE,
//! ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT, the ZRANGE family
//! (ZRANGE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
//! ZREVRANGEBYLEX, ZRANGESTORE), ZPOPMIN, ZPOPMAX, ZMPOP, the ZREMRANGEBY*
//! commands, ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD,
//! ZRANDMEMBER and ZSCAN.
//!
//! Every expectation is the exact reply of Redis 7.0 on the wire; run with
//! `EFIS_TEST_SERVER=redis` to check them against the real redis-server.
//! Scores are printed as Redis 7.0 prints them (`%.17g`).
//!
//! The helpers are here; the tests are in one file per theme: `zadd_and_scores`,
//! `ranges` (the ZRANGE family, ZCOUNT, ZLEXCOUNT, ZRANGESTORE), `removal`
//! (ZREM, ZREMRANGEBY*, ZPOPMIN, ZPOPMAX, ZMPOP), `algebra` (ZUNION, ZINTER,
//! ZDIFF, their STORE forms, ZINTERCARD), `random_and_scan` (ZRANDMEMBER,
//! ZSCAN), `binary_and_large` and `errors_and_events` (WRONGTYPE, arity,
//! keyspace events).

mod algebra;
mod binary_and_large;
mod errors_and_events;
mod random_and_scan;
mod ranges;
mod removal;
mod zadd_and_scores;

use std::collections::BTreeSet;

use crate::common::wire::{
    arity, array, bulk, bulks, double, events_until_marker, int, subscribe_key_events, Reply, Wire, EMPTY, NIL,
    NOT_FLOAT, NOT_INT, SYNTAX, WRONGTYPE,
};
use crate::common::{is_redis, Server};

const NOT_FLOAT_RANGE: &str = "-ERR min or max is not a float\r\n";
const NOT_LEX_RANGE: &str = "-ERR min or max not valid string range item\r\n";
const POSITIVE: &str = "-ERR value is out of range, must be positive\r\n";

/// A string, a list and a set, for the WRONGTYPE checks.
fn make_other_types(w: &mut Wire) {
    w.is(&["SET", "string", "x"], "+OK\r\n");
    w.is(&["RPUSH", "list", "x"], int(1));
    w.is(&["SADD", "set", "x"], int(1));
}

/// `ZADD key` with `pairs` of score and member.
fn zadd(w: &mut Wire, key: &str, pairs: &[(&str, &str)]) {
    let mut args = vec!["ZADD", key];
    for (score, member) in pairs {
        args.push(score);
        args.push(member);
    }
    w.is(&args, int(pairs.len() as i64));
}

/// A RESP2 WITHSCORES reply: member, score, member, score...
fn scored(pairs: &[(&str, &str)]) -> Vec<u8> {
    let flat: Vec<&str> = pairs.iter().flat_map(|(m, s)| [*m, *s]).collect();
    bulks(&flat)
}

/// A RESP3 WITHSCORES reply: an array of [member, double] pairs.
fn scored3(pairs: &[(&str, &str)]) -> Vec<u8> {
    let items: Vec<Vec<u8>> = pairs.iter().map(|(m, s)| array(&[bulk(m), double(s).into_bytes()])).collect();
    array(&items)
}
