//! SORT and SORT_RO: numeric and ALPHA order, LIMIT, BY and GET patterns
//! (strings, hash fields, `#`, `nosort`), STORE, every error, a woken
//! client blocked on the destination and the `sortstore` event.
//!
//! Every expectation is Redis 7.0's exact reply; run with
//! `EFIS_TEST_SERVER=redis` to check them against the real redis-server.
//! Replies whose order Redis leaves to hash order (a set under `BY
//! nosort` without STORE, ties between equal ALPHA weights) are avoided.

use crate::common::wire::{self, Wire};
use crate::common::{read_reply, resp, send, Server};

/// Numeric and ALPHA sorting of a list, DESC, LIMIT in every shape, BY a constant (no sorting), and option errors.
#[test]
fn numbers_limit_and_order() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RPUSH", "l", "3", "1", "2", "10", "-5", "1.5", "1e2", "07"], ":8\r\n");
    w.is(
        &["SORT", "l"],
        "*8\r\n$2\r\n-5\r\n$1\r\n1\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n07\r\n$2\r\n10\r\n$3\r\n1e2\r\n",
    );
    w.is(
        &["SORT", "l", "DESC"],
        "*8\r\n$3\r\n1e2\r\n$2\r\n10\r\n$2\r\n07\r\n$1\r\n3\r\n$1\r\n2\r\n$3\r\n1.5\r\n$1\r\n1\r\n$2\r\n-5\r\n",
    );
    w.is(
        &["SORT", "l", "ALPHA"],
        "*8\r\n$2\r\n-5\r\n$2\r\n07\r\n$1\r\n1\r\n$3\r\n1.5\r\n$2\r\n10\r\n$3\r\n1e2\r\n$1\r\n2\r\n$1\r\n3\r\n",
    );
    w.is(
        &["SORT", "l", "ALPHA", "DESC"],
        "*8\r\n$1\r\n3\r\n$1\r\n2\r\n$3\r\n1e2\r\n$2\r\n10\r\n$3\r\n1.5\r\n$1\r\n1\r\n$2\r\n07\r\n$2\r\n-5\r\n",
    );
    w.is(&["SORT", "l", "LIMIT", "1", "3"], "*3\r\n$1\r\n1\r\n$3\r\n1.5\r\n$1\r\n2\r\n");
    w.is(
        &["SORT", "l", "LIMIT", "1", "-1"],
        "*7\r\n$1\r\n1\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n07\r\n$2\r\n10\r\n$3\r\n1e2\r\n",
    );
    w.is(&["SORT", "l", "LIMIT", "-5", "2"], "*2\r\n$2\r\n-5\r\n$1\r\n1\r\n");
    w.is(&["SORT", "l", "LIMIT", "100", "2"], "*0\r\n");
    w.is(&["SORT", "l", "LIMIT", "0", "0"], "*0\r\n");
    w.is(&["SORT", "l", "LIMIT", "x", "2"], "-ERR value is not an integer or out of range\r\n");
    w.is(&["SORT", "l", "LIMIT", "1"], "-ERR syntax error\r\n");
    w.is(&["SORT", "l", "BOGUS"], "-ERR syntax error\r\n");
    w.is(&["SORT", "l", "STORE"], "-ERR syntax error\r\n");
    w.is(&["SORT_RO", "l", "STORE", "dst"], "-ERR syntax error\r\n");
    w.is(
        &["SORT", "l", "BY", "nosort"],
        "*8\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n2\r\n$2\r\n10\r\n$2\r\n-5\r\n$3\r\n1.5\r\n$3\r\n1e2\r\n$2\r\n07\r\n",
    );
    w.is(
        &["SORT", "l", "BY", "nosort", "DESC"],
        "*8\r\n$2\r\n07\r\n$3\r\n1e2\r\n$3\r\n1.5\r\n$2\r\n-5\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n",
    );
    w.is(&["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"], "*2\r\n$3\r\n1e2\r\n$3\r\n1.5\r\n");
    w.is(&["SORT", "l", "BY", "nosort", "LIMIT", "2", "3"], "*3\r\n$1\r\n2\r\n$2\r\n10\r\n$2\r\n-5\r\n");
}

/// BY and GET patterns: string weights, hash fields (`*->field`), `GET #`, missing keys and fields, ALPHA by pattern.
#[test]
fn by_and_get_patterns() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RPUSH", "words", "banana", "apple", "cherry", "apple2", "date"], ":5\r\n");
    w.is(&["SORT", "words"], "-ERR One or more scores can't be converted into double\r\n");
    w.is(
        &["SORT", "words", "ALPHA"],
        "*5\r\n$5\r\napple\r\n$6\r\napple2\r\n$6\r\nbanana\r\n$6\r\ncherry\r\n$4\r\ndate\r\n",
    );
    w.is(&["SORT", "words", "ALPHA", "LIMIT", "1", "2", "DESC"], "*2\r\n$6\r\ncherry\r\n$6\r\nbanana\r\n");
    w.is(&["MSET", "w_banana", "3", "w_apple", "1", "w_cherry", "2", "w_apple2", "5"], "+OK\r\n");
    w.is(
        &["SORT", "words", "BY", "w_*"],
        "*5\r\n$4\r\ndate\r\n$5\r\napple\r\n$6\r\ncherry\r\n$6\r\nbanana\r\n$6\r\napple2\r\n",
    );
    w.is(
        &["SORT", "words", "BY", "w_*", "DESC"],
        "*5\r\n$6\r\napple2\r\n$6\r\nbanana\r\n$6\r\ncherry\r\n$5\r\napple\r\n$4\r\ndate\r\n",
    );
    w.is(&["SORT", "words", "BY", "w_*", "GET", "#", "GET", "w_*"], "*10\r\n$4\r\ndate\r\n$-1\r\n$5\r\napple\r\n$1\r\n1\r\n$6\r\ncherry\r\n$1\r\n2\r\n$6\r\nbanana\r\n$1\r\n3\r\n$6\r\napple2\r\n$1\r\n5\r\n");
    w.is(
        &["SORT", "words", "BY", "w_*", "ALPHA"],
        "*5\r\n$4\r\ndate\r\n$5\r\napple\r\n$6\r\ncherry\r\n$6\r\nbanana\r\n$6\r\napple2\r\n",
    );
    w.is(&["MSET", "w_date", "x"], "+OK\r\n");
    w.is(&["SORT", "words", "BY", "w_*"], "-ERR One or more scores can't be converted into double\r\n");
    w.is(&["SORT", "words", "BY", "w_*", "ALPHA", "GET", "w_*", "GET", "#"], "*10\r\n$1\r\n1\r\n$5\r\napple\r\n$1\r\n2\r\n$6\r\ncherry\r\n$1\r\n3\r\n$6\r\nbanana\r\n$1\r\n5\r\n$6\r\napple2\r\n$1\r\nx\r\n$4\r\ndate\r\n");
    w.is(&["HSET", "h_banana", "f", "30", "name", "B"], ":2\r\n");
    w.is(&["HSET", "h_apple", "f", "10", "name", "A"], ":2\r\n");
    w.is(&["HSET", "h_cherry", "f", "20"], ":1\r\n");
    w.is(&["SORT", "words", "BY", "h_*->f", "GET", "h_*->name", "GET", "#"], "*10\r\n$-1\r\n$6\r\napple2\r\n$-1\r\n$4\r\ndate\r\n$1\r\nA\r\n$5\r\napple\r\n$-1\r\n$6\r\ncherry\r\n$1\r\nB\r\n$6\r\nbanana\r\n");
    w.is(
        &["SORT", "words", "BY", "h_*->f", "DESC", "GET", "h_*->name", "GET", "h_*->missing"],
        "*10\r\n$1\r\nB\r\n$-1\r\n$-1\r\n$-1\r\n$1\r\nA\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n",
    );
    w.is(
        &["SORT", "words", "BY", "nosort", "GET", "h_*->f"],
        "*5\r\n$2\r\n30\r\n$2\r\n10\r\n$2\r\n20\r\n$-1\r\n$-1\r\n",
    );
    w.is(&["SORT", "words", "BY", "h_*", "GET", "h_*->"], "*5\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n");
    w.is(&["SORT", "words", "GET", "fixed", "ALPHA"], "*5\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n");
    w.is(
        &["SORT", "words", "GET", "h_*->f", "ALPHA", "BY", "w_*->"],
        "*5\r\n$2\r\n30\r\n$2\r\n10\r\n$2\r\n20\r\n$-1\r\n$-1\r\n",
    );
}

/// A missing key sorts as empty; a string is the wrong type, checked after the options; arity.
#[test]
fn missing_keys_and_wrong_types() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SORT", "missing"], "*0\r\n");
    w.is(&["SORT", "missing", "STORE", "dst"], ":0\r\n");
    w.is(&["SORT", "missing", "BY", "x", "GET", "#"], "*0\r\n");
    w.is(&["SET", "str", "x"], "+OK\r\n");
    w.is(&["SORT", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    w.is(&["SORT", "str", "BOGUS"], "-ERR syntax error\r\n");
    w.is(&["SORT_RO", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
}

/// Sorted sets (native order under BY nosort) and sets (sorted ALPHA when stored unsorted).
#[test]
fn sorted_sets_and_sets() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["ZADD", "z", "3", "c", "1", "a", "2", "b", "10", "j"], ":4\r\n");
    w.is(&["SORT", "z", "ALPHA"], "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nj\r\n");
    w.is(&["SORT", "z", "BY", "nosort"], "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nj\r\n");
    w.is(&["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2"], "*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
    w.is(&["SORT", "z", "BY", "nosort", "LIMIT", "1", "10"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nj\r\n");
    w.is(&["SADD", "s", "5", "3", "9", "1"], ":4\r\n");
    w.is(&["SORT", "s"], "*4\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n9\r\n");
    w.is(&["SORT", "s", "DESC", "LIMIT", "0", "2"], "*2\r\n$1\r\n9\r\n$1\r\n5\r\n");
    w.is(&["SORT", "s", "BY", "nosort", "STORE", "sdst"], ":4\r\n");
    w.is(&["LRANGE", "sdst", "0", "-1"], "*4\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n9\r\n");
    w.is(&["SADD", "sw", "zed", "alpha", "mid"], ":3\r\n");
    w.is(&["SORT", "sw", "BY", "nosort", "ALPHA", "STORE", "sdst2"], ":3\r\n");
    w.is(&["LRANGE", "sdst2", "0", "-1"], "*3\r\n$5\r\nalpha\r\n$3\r\nmid\r\n$3\r\nzed\r\n");
}

/// STORE writes a list over any old value (and its TTL), empty GETs as empty strings, and deletes the destination for an empty result.
#[test]
fn store_replaces_the_destination() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RPUSH", "l", "3", "1", "2", "10", "-5", "1.5", "1e2", "07"], ":8\r\n");
    w.is(&["RPUSH", "words", "banana", "apple", "cherry", "apple2", "date"], ":5\r\n");
    w.is(&["MSET", "w_banana", "3", "w_apple", "1", "w_cherry", "2", "w_apple2", "5", "w_date", "x"], "+OK\r\n");
    w.is(&["SORT", "l", "STORE", "dst"], ":8\r\n");
    w.is(
        &["LRANGE", "dst", "0", "-1"],
        "*8\r\n$2\r\n-5\r\n$1\r\n1\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n07\r\n$2\r\n10\r\n$3\r\n1e2\r\n",
    );
    w.is(&["TYPE", "dst"], "+list\r\n");
    w.is(&["SET", "dst2", "old"], "+OK\r\n");
    w.is(&["EXPIRE", "dst2", "100"], ":1\r\n");
    w.is(
        &["SORT", "words", "BY", "w_*", "GET", "#", "GET", "w_*", "GET", "nokey_*", "STORE", "dst2"],
        "-ERR One or more scores can't be converted into double\r\n",
    );
    w.is(&["LRANGE", "dst2", "0", "-1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    w.is(&["TTL", "dst2"], ":100\r\n");
    w.is(&["SORT", "missing", "STORE", "dst2"], ":0\r\n");
    w.is(&["EXISTS", "dst2"], ":0\r\n");
}

/// Elements or weights that do not parse as doubles fail the whole command (leading space is fine, trailing is not, an empty string is 0).
#[test]
fn weights_that_are_not_numbers() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RPUSH", "l", "3", "1", "2", "10", "-5", "1.5", "1e2", "07"], ":8\r\n");
    w.is(&["RPUSH", "bad", "1", "2", "x"], ":3\r\n");
    w.is(&["SORT", "bad"], "-ERR One or more scores can't be converted into double\r\n");
    w.is(&["SORT", "bad", "ALPHA"], "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\nx\r\n");
    w.is(&["SORT", "bad", "LIMIT", "0", "1"], "-ERR One or more scores can't be converted into double\r\n");
    w.is(&["RPUSH", "spaces", " 1", "2 ", "3"], ":3\r\n");
    w.is(&["SORT", "spaces"], "-ERR One or more scores can't be converted into double\r\n");
    w.is(&["RPUSH", "sp3", " 1", "", "3", "+4", "-.5", "inf", "-inf"], ":7\r\n");
    w.is(
        &["SORT", "sp3"],
        "*7\r\n$4\r\n-inf\r\n$3\r\n-.5\r\n$0\r\n\r\n$2\r\n 1\r\n$1\r\n3\r\n$2\r\n+4\r\n$3\r\ninf\r\n",
    );
    w.is(&["SORT", "sp3", "STORE", "d3"], ":7\r\n");
    w.is(
        &["LRANGE", "d3", "0", "-1"],
        "*7\r\n$4\r\n-inf\r\n$3\r\n-.5\r\n$0\r\n\r\n$2\r\n 1\r\n$1\r\n3\r\n$2\r\n+4\r\n$3\r\ninf\r\n",
    );
    w.is(&["SORT_RO", "l", "DESC", "LIMIT", "0", "3"], "*3\r\n$3\r\n1e2\r\n$2\r\n10\r\n$2\r\n07\r\n");
    w.is(&["SORT"], "-ERR wrong number of arguments for 'sort' command\r\n");
    w.is(&["SORT_RO"], "-ERR wrong number of arguments for 'sort_ro' command\r\n");
    w.is(&["RPUSH", "sp2", " 1", "", "3", "1e400"], ":4\r\n");
    w.is(&["SORT", "sp2"], "-ERR One or more scores can't be converted into double\r\n");
}

/// SORT ... STORE wakes a client blocked on the destination and announces
/// `sortstore`.
#[test]
fn store_wakes_blocked_clients_and_notifies() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut subscriber = wire::subscribe_key_events(&server, &mut w);
    w.is(&["RPUSH", "src", "3", "1", "2"], ":3\r\n");
    w.is(&["SORT", "src", "STORE", "dst"], ":3\r\n");
    let events = wire::events_until_marker(&mut w, &mut subscriber);
    assert!(events.contains(&("sortstore".to_string(), "dst".to_string())), "{events:?}");
    let mut waiter = server.raw();
    send(&mut waiter, &resp(&["BLPOP", "woken", "0"]));
    // Wait until the waiter is blocked.
    for _ in 0..500 {
        if String::from_utf8_lossy(&w.call(&["INFO", "clients"])).contains("blocked_clients:1") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    w.is(&["SORT", "src", "DESC", "STORE", "woken"], ":3\r\n");
    assert_eq!(read_reply(&mut waiter), b"*2\r\n$5\r\nwoken\r\n$1\r\n3\r\n");
    w.is(&["LRANGE", "woken", "0", "-1"], "*2\r\n$1\r\n2\r\n$1\r\n1\r\n");
}
