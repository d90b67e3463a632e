//! String commands: SET and its options, GET, GETSET, GETDEL, GETEX, SETNX,
//! SETEX, PSETEX, MSET, MSETNX, MGET, APPEND, STRLEN, GETRANGE, SETRANGE and
//! the counters INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT.
//!
//! Every expectation is the exact reply of Redis 7.0 on the wire; run with
//! `EFIS_TEST_SERVER=redis` to check them against the real redis-server.
//!
//! The raw-socket helpers are `crate::common::wire`; the few of this
//! family are here, and the tests are in one file per theme: `set`
//! (SET, its options and GET), `set_variants` (GETSET, GETDEL, GETEX,
//! SETNX, SETEX, PSETEX, MSET, MSETNX, MGET), `append_and_ranges`,
//! `counters` and `binary_and_large` (binary, empty and big keys and values).

mod append_and_ranges;
mod binary_and_large;
mod counters;
mod float_counters;
mod lcs;
mod set;
mod set_variants;

use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::wire::{arity, bad_expire, bulk, int, show, Wire, NIL, NOT_FLOAT, NOT_INT, OK, SYNTAX, WRONGTYPE};
use crate::common::{self, Server};

const OVERFLOW: &str = "-ERR increment or decrement would overflow\r\n";

fn now_secs() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(now.as_secs()).unwrap()
}

/// A key of every other type, for the WRONGTYPE checks.
fn make_other_types(w: &mut Wire) {
    w.is(&["LPUSH", "list", "x"], ":1\r\n");
    w.is(&["SADD", "set", "x"], ":1\r\n");
    w.is(&["ZADD", "zset", "1", "x"], ":1\r\n");
    w.is(&["HSET", "hash", "f", "v"], ":1\r\n");
}

const OTHER_TYPES: [&str; 4] = ["list", "set", "zset", "hash"];
