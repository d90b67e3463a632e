//! Keyspace commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RENAME,
//! RENAMENX, COPY, MOVE, RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, SELECT,
//! SWAPDB, OBJECT, TOUCH, and WRONGTYPE errors across the value types.
//!
//! Every expectation is the exact reply of Redis 7.0 on the wire; run with
//! `EFIS_TEST_SERVER=redis` to check them against the real redis-server.
//!
//! The raw-socket helpers are `crate::common::wire`; the few of this
//! family are here, and the tests are in one file per theme:
//! `delete_and_find` (DEL, UNLINK, EXISTS, TYPE, KEYS), `scan`,
//! `rename_copy_move`, `databases` (RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL,
//! SELECT, SWAPDB) and `object_and_wrong_type` (OBJECT, TOUCH, WRONGTYPE).

mod databases;
mod delete_and_find;
mod object_and_wrong_type;
mod rename_copy_move;
mod scan;

use std::collections::BTreeSet;

use crate::common::wire::{
    arity, bulk, parse_int, show, try_parse as parse, Reply, Wire, NIL, NOT_INT, OK, SYNTAX, WRONGTYPE,
};
use crate::common::{self, Server};

const NO_SUCH_KEY: &str = "-ERR no such key\r\n";
const SAME_OBJECT: &str = "-ERR source and destination objects are the same\r\n";
const DB_RANGE: &str = "-ERR DB index is out of range\r\n";

/// One key of each type: `str`, `list`, `set`, `zset`, `hash`.
fn make_one_of_each(w: &mut Wire) {
    w.is(&["SET", "str", "v"], OK);
    w.is(&["RPUSH", "list", "a", "b"], ":2\r\n");
    w.is(&["SADD", "set", "a", "b"], ":2\r\n");
    w.is(&["ZADD", "zset", "1", "a", "2", "b"], ":2\r\n");
    w.is(&["HSET", "hash", "f", "v"], ":1\r\n");
}

const ALL_TYPES: [(&str, &str); 5] =
    [("str", "string"), ("list", "list"), ("set", "set"), ("zset", "zset"), ("hash", "hash")];
