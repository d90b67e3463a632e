//! Blocking pops: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX. Woken by other clients (also from inside MULTI/EXEC and as
//! the target of a move), timing out, first come first served, inside a
//! transaction, and with the waiter gone.

use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::pubsub::{bulks, connect, expect};

/// Waits until the server reports `n` blocked clients.
fn wait_blocked(c: &mut TcpStream, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = roundtrip(c, &resp(&["INFO", "clients"]));
        let text = String::from_utf8_lossy(&info);
        if text.contains(&format!("blocked_clients:{n}\r\n")) {
            return;
        }
        assert!(Instant::now() < deadline, "blocked_clients never reached {n}: {text}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// True if the server knows `command` (the sorted-set family may not be
/// registered yet while it is being built).
fn knows(c: &mut TcpStream, command: &str) -> bool {
    roundtrip(c, &resp(&["COMMAND", "INFO", command])) != b"*1\r\n*-1\r\n"
}

#[test]
fn blpop_is_woken_by_a_push() {
    let s = Server::start();
    let mut waiter = s.raw();
    let mut c = s.raw();
    send(&mut waiter, &resp(&["BLPOP", "bw:a", "bw:b", "0"]));
    wait_blocked(&mut c, 1);
    expect(&mut c, &["RPUSH", "bw:b", "x", "y"], b":2\r\n");
    assert_reply(&read_reply(&mut waiter), &bulks('*', &["bw:b", "x"]));
    expect(&mut c, &["LRANGE", "bw:b", "0", "-1"], &bulks('*', &["y"]));
    wait_blocked(&mut c, 0);
    // Data already there: no blocking at all, first non-empty key wins.
    expect(&mut waiter, &["BRPOP", "bw:a", "bw:b", "0"], &bulks('*', &["bw:b", "y"]));
    expect(&mut c, &["EXISTS", "bw:b"], b":0\r\n");
}

#[test]
fn timeouts_answer_null_and_the_client_carries_on() {
    let s = Server::start();
    let mut c = s.raw();
    let started = Instant::now();
    send(&mut c, &[resp(&["BLPOP", "bt:q", "0.05"]), resp(&["PING"])].concat());
    assert_reply(&read_reply(&mut c), b"*-1\r\n");
    assert_reply(&read_reply(&mut c), b"+PONG\r\n");
    // The server counts whole milliseconds from its loop's clock: allow
    // it to be a little early, but not to answer at once.
    assert!(started.elapsed() >= Duration::from_millis(40), "answered before the timeout");
    expect(&mut c, &["BRPOPLPUSH", "bt:q", "bt:d", "0.01"], b"*-1\r\n");
    expect(&mut c, &["BLMOVE", "bt:q", "bt:d", "LEFT", "RIGHT", "0.01"], b"*-1\r\n");
    expect(&mut c, &["BLMPOP", "0.01", "1", "bt:q", "LEFT"], b"*-1\r\n");
    let mut three = connect(&s, true);
    expect(&mut three, &["BRPOP", "bt:q", "0.01"], b"_\r\n");
    wait_blocked(&mut c, 0);
}

#[test]
fn first_come_first_served() {
    let s = Server::start();
    let mut c = s.raw();
    let mut first = s.raw();
    let mut second = s.raw();
    let mut third = s.raw();
    send(&mut first, &resp(&["BLPOP", "ff:q", "0"]));
    wait_blocked(&mut c, 1);
    send(&mut second, &resp(&["BLPOP", "ff:other", "ff:q", "0"]));
    wait_blocked(&mut c, 2);
    send(&mut third, &resp(&["BRPOP", "ff:q", "0"]));
    wait_blocked(&mut c, 3);
    expect(&mut c, &["RPUSH", "ff:q", "a", "b"], b":2\r\n");
    assert_reply(&read_reply(&mut first), &bulks('*', &["ff:q", "a"]));
    assert_reply(&read_reply(&mut second), &bulks('*', &["ff:q", "b"]));
    wait_blocked(&mut c, 1);
    expect(&mut c, &["LPUSH", "ff:q", "c"], b":1\r\n");
    assert_reply(&read_reply(&mut third), &bulks('*', &["ff:q", "c"]));
    expect(&mut c, &["EXISTS", "ff:q"], b":0\r\n");
}

#[test]
fn a_waiter_that_disconnects_leaves_no_trace() {
    let s = Server::start();
    let mut c = s.raw();
    {
        let mut gone = s.raw();
        send(&mut gone, &resp(&["BLPOP", "wg:q", "0"]));
        wait_blocked(&mut c, 1);
    }
    wait_blocked(&mut c, 0);
    expect(&mut c, &["RPUSH", "wg:q", "x"], b":1\r\n");
    expect(&mut c, &["LLEN", "wg:q"], b":1\r\n");
}

#[test]
fn pushes_inside_multi_wake_after_exec() {
    let s = Server::start();
    let mut waiter = s.raw();
    let mut c = s.raw();
    send(&mut waiter, &resp(&["BLPOP", "bm:q", "0"]));
    wait_blocked(&mut c, 1);
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["RPUSH", "bm:q", "a"], b"+QUEUED\r\n");
    expect(&mut c, &["RPUSH", "bm:q", "b"], b"+QUEUED\r\n");
    expect(&mut c, &["EXEC"], b"*2\r\n:1\r\n:2\r\n");
    assert_reply(&read_reply(&mut waiter), &bulks('*', &["bm:q", "a"]));
    expect(&mut c, &["LRANGE", "bm:q", "0", "-1"], &bulks('*', &["b"]));
}

#[test]
fn the_target_of_a_move_wakes_its_waiters() {
    let s = Server::start();
    let mut c = s.raw();
    let mut mover = s.raw();
    let mut waiter = s.raw();
    send(&mut mover, &resp(&["BLMOVE", "mv:src", "mv:dst", "RIGHT", "LEFT", "0"]));
    wait_blocked(&mut c, 1);
    send(&mut waiter, &resp(&["BLPOP", "mv:dst", "0"]));
    wait_blocked(&mut c, 2);
    // The push wakes the mover; its move into mv:dst wakes the other.
    expect(&mut c, &["RPUSH", "mv:src", "x"], b":1\r\n");
    assert_reply(&read_reply(&mut mover), b"$1\r\nx\r\n");
    assert_reply(&read_reply(&mut waiter), &bulks('*', &["mv:dst", "x"]));
    wait_blocked(&mut c, 0);
    // A plain LMOVE into a waited key wakes too.
    send(&mut waiter, &resp(&["BRPOP", "mv:dst", "0"]));
    wait_blocked(&mut c, 1);
    expect(&mut c, &["RPUSH", "mv:src", "y"], b":1\r\n");
    expect(&mut c, &["LMOVE", "mv:src", "mv:dst", "LEFT", "LEFT"], b"$1\r\ny\r\n");
    assert_reply(&read_reply(&mut waiter), &bulks('*', &["mv:dst", "y"]));
    expect(&mut c, &["BRPOPLPUSH", "mv:none", "mv:dst", "0.01"], b"*-1\r\n");
    expect(&mut c, &["RPUSH", "mv:src", "z"], b":1\r\n");
    expect(&mut c, &["BRPOPLPUSH", "mv:src", "mv:dst", "0"], b"$1\r\nz\r\n");
    expect(&mut c, &["LRANGE", "mv:dst", "0", "-1"], &bulks('*', &["z"]));
}

#[test]
fn blmpop_pops_a_count() {
    let s = Server::start();
    let mut c = s.raw();
    let mut waiter = s.raw();
    send(&mut waiter, &resp(&["BLMPOP", "0", "2", "mp:a", "mp:b", "RIGHT", "COUNT", "2"]));
    wait_blocked(&mut c, 1);
    expect(&mut c, &["RPUSH", "mp:b", "1", "2", "3"], b":3\r\n");
    assert_reply(&read_reply(&mut waiter), b"*2\r\n$4\r\nmp:b\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n");
    expect(
        &mut c,
        &["BLMPOP", "0", "2", "mp:a", "mp:b", "LEFT", "COUNT", "5"],
        b"*2\r\n$4\r\nmp:b\r\n*1\r\n$1\r\n1\r\n",
    );
    expect(&mut c, &["BLMPOP", "0", "0", "mp:a", "LEFT"], b"-ERR numkeys should be greater than 0\r\n");
    expect(&mut c, &["BLMPOP", "x", "1", "mp:a", "LEFT"], b"-ERR timeout is not a float or out of range\r\n");
}

#[test]
fn inside_multi_they_do_not_block() {
    let s = Server::start();
    let mut c = s.raw();
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    for args in [
        &["BLPOP", "tm:q", "0"][..],
        &["BRPOP", "tm:q", "0"],
        &["BLMOVE", "tm:q", "tm:d", "LEFT", "LEFT", "0"],
        &["BRPOPLPUSH", "tm:q", "tm:d", "0"],
        &["BLMPOP", "0", "1", "tm:q", "LEFT"],
    ] {
        expect(&mut c, args, b"+QUEUED\r\n");
    }
    expect(&mut c, &["EXEC"], b"*5\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n");
}

#[test]
fn a_key_of_another_type() {
    let s = Server::start();
    let mut c = s.raw();
    let mut waiter = s.raw();
    expect(&mut c, &["SET", "wt:s", "v"], b"+OK\r\n");
    const WRONGTYPE: &[u8] = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    expect(&mut c, &["BLPOP", "wt:none", "wt:s", "0"], WRONGTYPE);
    expect(&mut c, &["BLMOVE", "wt:s", "wt:d", "LEFT", "LEFT", "0"], WRONGTYPE);
    // A waiter stays blocked while its key holds another type.
    send(&mut waiter, &resp(&["BLPOP", "wt:k", "0"]));
    wait_blocked(&mut c, 1);
    expect(&mut c, &["SET", "wt:k", "string"], b"+OK\r\n");
    expect(&mut c, &["DEL", "wt:k"], b":1\r\n");
    wait_blocked(&mut c, 1);
    expect(&mut c, &["RPUSH", "wt:k", "v"], b":1\r\n");
    assert_reply(&read_reply(&mut waiter), &bulks('*', &["wt:k", "v"]));
}

#[test]
fn argument_errors() {
    let s = Server::start();
    let mut c = s.raw();
    expect(&mut c, &["BLPOP", "k", "x"], b"-ERR timeout is not a float or out of range\r\n");
    expect(&mut c, &["BLPOP", "k", "-1"], b"-ERR timeout is negative\r\n");
    expect(&mut c, &["BRPOP", "k", "inf"], b"-ERR timeout is negative\r\n");
    expect(&mut c, &["BLPOP", "k"], b"-ERR wrong number of arguments for 'blpop' command\r\n");
    expect(&mut c, &["BLMOVE", "a", "b", "UP", "LEFT", "0"], b"-ERR syntax error\r\n");
    expect(&mut c, &["BLMOVE", "a", "b", "LEFT", "LEFT", "soon"], b"-ERR timeout is not a float or out of range\r\n");
    expect(&mut c, &["BRPOPLPUSH", "a", "b"], b"-ERR wrong number of arguments for 'brpoplpush' command\r\n");
    expect(&mut c, &["BZPOPMIN", "k", "nan"], b"-ERR timeout is not a float or out of range\r\n");
    wait_blocked(&mut c, 0);
}

#[test]
fn bzpopmin_and_bzpopmax() {
    let s = Server::start();
    let mut c = s.raw();
    if !knows(&mut c, "zadd") {
        return; // The sorted-set commands are not registered yet.
    }
    let mut waiter = s.raw();
    send(&mut waiter, &resp(&["BZPOPMIN", "bz:a", "bz:b", "0"]));
    wait_blocked(&mut c, 1);
    expect(&mut c, &["ZADD", "bz:b", "2", "two", "1", "one", "3", "three"], b":3\r\n");
    assert_reply(&read_reply(&mut waiter), &bulks('*', &["bz:b", "one", "1"]));
    expect(&mut waiter, &["BZPOPMAX", "bz:a", "bz:b", "0"], &bulks('*', &["bz:b", "three", "3"]));
    expect(&mut c, &["BZPOPMIN", "bz:none", "0.01"], b"*-1\r\n");
    let mut three = connect(&s, true);
    expect(&mut three, &["BZPOPMIN", "bz:b", "0"], b"*3\r\n$4\r\nbz:b\r\n$3\r\ntwo\r\n,2\r\n");
    expect(&mut c, &["EXISTS", "bz:b"], b":0\r\n");
}

#[test]
fn bzmpop_pops_a_count_from_the_first_non_empty_set() {
    let s = Server::start();
    let mut c = s.raw();
    let mut waiter = s.raw();
    send(&mut waiter, &resp(&["BZMPOP", "0", "2", "zm:a", "zm:b", "MAX", "COUNT", "2"]));
    wait_blocked(&mut c, 1);
    expect(&mut c, &["ZADD", "zm:b", "1", "one", "2", "two", "3", "three"], b":3\r\n");
    assert_reply(
        &read_reply(&mut waiter),
        b"*2\r\n$4\r\nzm:b\r\n*2\r\n*2\r\n$5\r\nthree\r\n$1\r\n3\r\n*2\r\n$3\r\ntwo\r\n$1\r\n2\r\n",
    );
    // Data already there: served at once; a count past the size pops all.
    expect(
        &mut c,
        &["BZMPOP", "0", "2", "zm:a", "zm:b", "MIN", "COUNT", "9"],
        b"*2\r\n$4\r\nzm:b\r\n*1\r\n*2\r\n$3\r\none\r\n$1\r\n1\r\n",
    );
    expect(&mut c, &["EXISTS", "zm:b"], b":0\r\n");
    expect(&mut c, &["BZMPOP", "0.01", "1", "zm:a", "MIN"], b"*-1\r\n");
    let mut three = connect(&s, true);
    expect(&mut three, &["BZMPOP", "0.01", "1", "zm:a", "MIN"], b"_\r\n");
    expect(&mut three, &["ZADD", "zm:r", "1.5", "m"], b":1\r\n");
    expect(&mut three, &["BZMPOP", "0", "1", "zm:r", "MIN"], b"*2\r\n$4\r\nzm:r\r\n*1\r\n*2\r\n$1\r\nm\r\n,1.5\r\n");
    // Inside MULTI it answers null at once.
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["BZMPOP", "0", "1", "zm:a", "MIN"], b"+QUEUED\r\n");
    expect(&mut c, &["EXEC"], b"*1\r\n*-1\r\n");
    // Errors: the keys and options are checked before the timeout.
    expect(&mut c, &["SET", "zm:s", "v"], b"+OK\r\n");
    expect(
        &mut c,
        &["BZMPOP", "0", "2", "zm:a", "zm:s", "MIN"],
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    expect(&mut c, &["BZMPOP", "0", "0", "zm:a", "MIN"], b"-ERR numkeys should be greater than 0\r\n");
    expect(&mut c, &["BZMPOP", "x", "0", "zm:a", "MIN"], b"-ERR numkeys should be greater than 0\r\n");
    expect(&mut c, &["BZMPOP", "x", "1", "zm:a", "MIN"], b"-ERR timeout is not a float or out of range\r\n");
    expect(&mut c, &["BZMPOP", "-1", "1", "zm:a", "MIN"], b"-ERR timeout is negative\r\n");
    expect(&mut c, &["BZMPOP", "0", "2", "zm:a", "MIN"], b"-ERR syntax error\r\n");
    expect(&mut c, &["BZMPOP", "0", "1", "zm:a", "UP"], b"-ERR syntax error\r\n");
    expect(&mut c, &["BZMPOP", "0", "1", "zm:a", "MIN", "COUNT", "0"], b"-ERR count should be greater than 0\r\n");
    expect(&mut c, &["BZMPOP", "0", "1", "zm:a", "MIN", "COUNT"], b"-ERR syntax error\r\n");
    expect(&mut c, &["BZMPOP", "0", "1", "zm:a"], b"-ERR wrong number of arguments for 'bzmpop' command\r\n");
    wait_blocked(&mut c, 0);
}
