//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH, with Redis's
//! replies and errors, EXECABORT after a refused command, and WATCH
//! failing EXEC when a watched key is changed by another client, expires,
//! or is flushed.

use std::thread;
use std::time::Duration;

use crate::common::*;
use crate::pubsub::expect;

#[test]
fn multi_exec_runs_the_queue() {
    let s = Server::start();
    let mut c = s.raw();
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["SET", "tx:a", "1"], b"+QUEUED\r\n");
    expect(&mut c, &["INCR", "tx:a"], b"+QUEUED\r\n");
    expect(&mut c, &["LPUSH", "tx:a", "x"], b"+QUEUED\r\n");
    expect(&mut c, &["GET", "tx:a"], b"+QUEUED\r\n");
    // A command failing at run time does not stop the others.
    expect(
        &mut c,
        &["EXEC"],
        b"*4\r\n+OK\r\n:2\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n$1\r\n2\r\n",
    );
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["EXEC"], b"*0\r\n");
    expect(&mut c, &["EXEC"], b"-ERR EXEC without MULTI\r\n");
    expect(&mut c, &["DISCARD"], b"-ERR DISCARD without MULTI\r\n");
}

#[test]
fn queueing_errors_abort_the_transaction() {
    let s = Server::start();
    let mut c = s.raw();
    const ABORT: &[u8] = b"-EXECABORT Transaction discarded because of previous errors.\r\n";
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["SET", "qa:a", "1"], b"+QUEUED\r\n");
    expect(&mut c, &["NOSUCHCMD", "x"], b"-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \r\n");
    expect(&mut c, &["EXEC"], ABORT);
    expect(&mut c, &["EXISTS", "qa:a"], b":0\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["GET"], b"-ERR wrong number of arguments for 'get' command\r\n");
    expect(&mut c, &["EXEC"], ABORT);
    // Nested MULTI and WATCH inside MULTI are refused without aborting.
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["MULTI"], b"-ERR MULTI calls can not be nested\r\n");
    expect(&mut c, &["WATCH", "qa:a"], b"-ERR WATCH inside MULTI is not allowed\r\n");
    expect(&mut c, &["SET", "qa:a", "2"], b"+QUEUED\r\n");
    expect(&mut c, &["EXEC"], b"*1\r\n+OK\r\n");
    // SAVE may not run inside a transaction.
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["SAVE"], b"-ERR Command not allowed inside a transaction\r\n");
    expect(&mut c, &["EXEC"], ABORT);
}

#[test]
fn discard_and_reset_drop_the_queue() {
    let s = Server::start();
    let mut c = s.raw();
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["SET", "dr:a", "1"], b"+QUEUED\r\n");
    expect(&mut c, &["DISCARD"], b"+OK\r\n");
    expect(&mut c, &["EXISTS", "dr:a"], b":0\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["SET", "dr:a", "1"], b"+QUEUED\r\n");
    expect(&mut c, &["RESET"], b"+RESET\r\n");
    expect(&mut c, &["EXEC"], b"-ERR EXEC without MULTI\r\n");
    expect(&mut c, &["EXISTS", "dr:a"], b":0\r\n");
}

#[test]
fn watch_fails_exec_when_another_client_writes() {
    let s = Server::start();
    let mut c = s.raw();
    let mut other = s.raw();
    expect(&mut c, &["SET", "wa:k", "1"], b"+OK\r\n");
    expect(&mut c, &["WATCH", "wa:k", "wa:absent"], b"+OK\r\n");
    expect(&mut other, &["INCR", "wa:k"], b":2\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["SET", "wa:k", "mine"], b"+QUEUED\r\n");
    expect(&mut c, &["EXEC"], b"*-1\r\n");
    expect(&mut c, &["GET", "wa:k"], b"$1\r\n2\r\n");
    // EXEC forgot the watch: the next transaction runs.
    expect(&mut other, &["INCR", "wa:k"], b":3\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["SET", "wa:k", "mine"], b"+QUEUED\r\n");
    expect(&mut c, &["EXEC"], b"*1\r\n+OK\r\n");
    // Creating a watched key counts as a change, so does deleting one.
    expect(&mut c, &["WATCH", "wa:absent"], b"+OK\r\n");
    expect(&mut other, &["SET", "wa:absent", "now"], b"+OK\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["EXEC"], b"*-1\r\n");
    expect(&mut c, &["WATCH", "wa:absent"], b"+OK\r\n");
    expect(&mut other, &["DEL", "wa:absent"], b":1\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["EXEC"], b"*-1\r\n");
    // A write that changes nothing is no change.
    expect(&mut c, &["WATCH", "wa:k"], b"+OK\r\n");
    expect(&mut other, &["SET", "wa:k", "x", "NX"], b"$-1\r\n");
    expect(&mut other, &["DEL", "wa:absent"], b":0\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["PING"], b"+QUEUED\r\n");
    expect(&mut c, &["EXEC"], b"*1\r\n+PONG\r\n");
}

#[test]
fn unwatch_and_discard_forget_watches() {
    let s = Server::start();
    let mut c = s.raw();
    let mut other = s.raw();
    expect(&mut c, &["WATCH", "uw:k"], b"+OK\r\n");
    expect(&mut c, &["UNWATCH"], b"+OK\r\n");
    expect(&mut other, &["SET", "uw:k", "1"], b"+OK\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["EXEC"], b"*0\r\n");
    expect(&mut c, &["WATCH", "uw:k"], b"+OK\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["DISCARD"], b"+OK\r\n");
    expect(&mut other, &["SET", "uw:k", "2"], b"+OK\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["EXEC"], b"*0\r\n");
    // The client's own change to a watched key counts too.
    expect(&mut c, &["WATCH", "uw:k"], b"+OK\r\n");
    expect(&mut c, &["SET", "uw:k", "3"], b"+OK\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["EXEC"], b"*-1\r\n");
}

#[test]
fn watch_fails_exec_on_expiry() {
    let s = Server::start();
    let mut c = s.raw();
    expect(&mut c, &["SET", "we:k", "v", "PX", "30"], b"+OK\r\n");
    expect(&mut c, &["WATCH", "we:k"], b"+OK\r\n");
    thread::sleep(Duration::from_millis(60));
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["EXEC"], b"*-1\r\n");
    // A key that had already expired when watched is no change.
    expect(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"], b"+OK\r\n");
    expect(&mut c, &["SET", "we:stale", "v", "PX", "1"], b"+OK\r\n");
    thread::sleep(Duration::from_millis(20));
    expect(&mut c, &["WATCH", "we:stale"], b"+OK\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["EXEC"], b"*0\r\n");
    expect(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"], b"+OK\r\n");
}

#[test]
fn watch_fails_exec_on_flush_and_swapdb() {
    let s = Server::start();
    let mut c = s.raw();
    let mut other = s.raw();
    for flush in [&["FLUSHDB"][..], &["FLUSHALL"]] {
        expect(&mut c, &["SET", "wf:k", "v"], b"+OK\r\n");
        expect(&mut c, &["WATCH", "wf:k"], b"+OK\r\n");
        expect(&mut other, flush, b"+OK\r\n");
        expect(&mut c, &["MULTI"], b"+OK\r\n");
        expect(&mut c, &["EXEC"], b"*-1\r\n");
    }
    // Flushing does not touch watched keys that did not exist.
    expect(&mut c, &["WATCH", "wf:absent"], b"+OK\r\n");
    expect(&mut other, &["FLUSHALL"], b"+OK\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["EXEC"], b"*0\r\n");
    expect(&mut other, &["SELECT", "1"], b"+OK\r\n");
    expect(&mut other, &["SET", "wf:k", "in db 1"], b"+OK\r\n");
    expect(&mut c, &["WATCH", "wf:k"], b"+OK\r\n");
    expect(&mut other, &["SWAPDB", "0", "1"], b"+OK\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["EXEC"], b"*-1\r\n");
    expect(&mut c, &["GET", "wf:k"], b"$7\r\nin db 1\r\n");
}

#[test]
fn redis_crate_atomic_pipeline() {
    let s = Server::start();
    let mut con = s.client();
    let (a, b): (i64, i64) =
        redis::pipe().atomic().cmd("INCR").arg("rp:n").cmd("INCRBY").arg("rp:n").arg(5).query(&mut con).unwrap();
    assert_eq!((a, b), (1, 6));
}
