//! Blocking XREAD and XREADGROUP: woken by XADD, first come first served,
//! timeouts, `$` meaning "after what was there when I blocked", `-NOGROUP`
//! and `-UNBLOCKED` when the group or the key goes away under a waiter,
//! and no blocking inside MULTI or from a script.

use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use super::read_reply as stream_reply;
use crate::common::wire::{bulk, Wire, NIL_ARRAY, OK};
use crate::common::{read_reply, resp, send, Server};

/// Waits until the server reports `n` blocked clients.
fn wait_blocked(w: &mut Wire, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = w.call(&["INFO", "clients"]);
        if String::from_utf8_lossy(&info).contains(&format!("blocked_clients:{n}\r\n")) {
            return;
        }
        assert!(Instant::now() < deadline, "blocked_clients never reached {n}");
        thread::sleep(Duration::from_millis(5));
    }
}

fn block(server: &Server, w: &mut Wire, args: &[&str], blocked: usize) -> TcpStream {
    let mut waiter = server.raw();
    send(&mut waiter, &resp(args));
    wait_blocked(w, blocked);
    waiter
}

fn reply_is(waiter: &mut TcpStream, want: &[u8]) {
    let got = read_reply(waiter);
    assert_eq!(got.escape_ascii().to_string(), want.escape_ascii().to_string());
}

#[test]
fn xread_is_woken_by_xadd_first_come_first_served() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["XADD", "s", "1-0", "old", "x"], bulk("1-0"));
    // `$`: only what arrives after the client blocked.
    let mut first = block(&server, &mut w, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], 1);
    let mut second = block(&server, &mut w, &["XREAD", "BLOCK", "0", "STREAMS", "other", "s", "$", "$"], 2);
    w.is(&["XADD", "s", "2-0", "f", "v"], bulk("2-0"));
    reply_is(&mut first, &stream_reply("s", &[("2-0", &["f", "v"])]));
    reply_is(&mut second, &stream_reply("s", &[("2-0", &["f", "v"])]));
    wait_blocked(&mut w, 0);
    // A write that adds nothing readable leaves the waiter in line.
    let mut waiter = block(&server, &mut w, &["XREAD", "COUNT", "5", "BLOCK", "0", "STREAMS", "s", "2-0"], 1);
    w.is(&["XDEL", "s", "1-0"], ":1\r\n");
    w.is(&["XADD", "s", "3-0", "f", "w"], bulk("3-0"));
    reply_is(&mut waiter, &stream_reply("s", &[("3-0", &["f", "w"])]));
    // A stream created by the XADD wakes a waiter on a missing key.
    let mut waiter = block(&server, &mut w, &["XREAD", "BLOCK", "0", "STREAMS", "new", "0-0"], 1);
    w.is(&["XADD", "new", "1-1", "a", "b"], bulk("1-1"));
    reply_is(&mut waiter, &stream_reply("new", &[("1-1", &["a", "b"])]));
}

#[test]
fn timeouts_and_no_blocking_in_transactions_and_scripts() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let started = Instant::now();
    w.is(&["XREAD", "BLOCK", "50", "STREAMS", "s", "$"], NIL_ARRAY);
    assert!(started.elapsed() >= Duration::from_millis(40), "answered before the timeout");
    // Data already there: answered at once.
    w.is(&["XADD", "s", "1-0", "f", "v"], bulk("1-0"));
    w.is(&["XREAD", "BLOCK", "0", "STREAMS", "s", "0"], stream_reply("s", &[("1-0", &["f", "v"])]));
    w.is(&["MULTI"], OK);
    w.is(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], "+QUEUED\r\n");
    w.is(&["EXEC"], "*1\r\n*-1\r\n");
    w.is(
        &["EVAL", "return redis.pcall('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')", "0"],
        "-ERR XREAD command is not allowed with BLOCK option from scripts\r\n",
    );
    w.is(&["EVAL", "return redis.call('xread', 'STREAMS', 's', '$')", "0"], "$-1\r\n");
    let mut three = Wire::open_resp3(&server);
    three.is(&["XREAD", "BLOCK", "10", "STREAMS", "s", "$"], "_\r\n");
    wait_blocked(&mut w, 0);
}

#[test]
fn xreadgroup_blocks_for_new_entries() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], OK);
    let mut a = block(&server, &mut w, &["XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">"], 1);
    let mut b = block(&server, &mut w, &["XREADGROUP", "GROUP", "g", "b", "BLOCK", "0", "STREAMS", "s", ">"], 2);
    // One entry: the first waiter gets it, the second keeps waiting.
    w.is(&["XADD", "s", "1-0", "f", "1"], bulk("1-0"));
    reply_is(&mut a, &stream_reply("s", &[("1-0", &["f", "1"])]));
    wait_blocked(&mut w, 1);
    w.is(&["XADD", "s", "2-0", "f", "2"], bulk("2-0"));
    reply_is(&mut b, &stream_reply("s", &[("2-0", &["f", "2"])]));
    w.is(
        &["XPENDING", "s", "g"],
        "*4\r\n:2\r\n$3\r\n1-0\r\n$3\r\n2-0\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n1\r\n",
    );
    // The group destroyed under a waiter: -NOGROUP.
    let mut gone = block(&server, &mut w, &["XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">"], 1);
    w.is(&["XGROUP", "DESTROY", "s", "g"], ":1\r\n");
    reply_is(&mut gone, b"-NOGROUP the consumer group this client was blocked on no longer exists\r\n");
    // The key deleted, or overwritten, under a waiter: -UNBLOCKED.
    for how in [&["DEL", "s"][..], &["SET", "s", "x"]] {
        w.call(&["DEL", "s"]);
        w.is(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], OK);
        let mut gone = block(&server, &mut w, &["XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">"], 1);
        w.call(how);
        reply_is(&mut gone, b"-UNBLOCKED the stream key no longer exists\r\n");
    }
    // A plain XREAD waiter is not told: it keeps waiting.
    w.is(&["DEL", "s"], ":1\r\n");
    let mut plain = block(&server, &mut w, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], 1);
    w.is(&["SET", "s", "x"], OK);
    w.is(&["DEL", "s"], ":1\r\n");
    wait_blocked(&mut w, 1);
    w.is(&["XADD", "s", "5-0", "f", "v"], bulk("5-0"));
    reply_is(&mut plain, &stream_reply("s", &[("5-0", &["f", "v"])]));
    let started = Instant::now();
    w.is(&["XGROUP", "CREATE", "s", "g", "$"], OK);
    w.is(&["XREADGROUP", "GROUP", "g", "a", "BLOCK", "30", "STREAMS", "s", ">"], NIL_ARRAY);
    assert!(started.elapsed() >= Duration::from_millis(25), "answered before the timeout");
}

/// A plain XREAD waiting ahead of an XREADGROUP on the same key does not
/// keep the XREADGROUP from being told that the key was deleted.
#[test]
fn deletion_reaches_a_group_reader_behind_a_plain_reader() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], OK);
    let mut plain = block(&server, &mut w, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], 1);
    let mut grouped = block(&server, &mut w, &["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"], 2);
    w.is(&["DEL", "s"], ":1\r\n");
    reply_is(&mut grouped, b"-UNBLOCKED the stream key no longer exists\r\n");
    wait_blocked(&mut w, 1);
    w.is(&["XADD", "s", "1-0", "f", "v"], bulk("1-0"));
    reply_is(&mut plain, &stream_reply("s", &[("1-0", &["f", "v"])]));
}

/// Woken without a COUNT, a reader gets at most 1000 entries, and one
/// stream's worth.
#[test]
fn a_woken_reader_gets_at_most_1000_entries_of_one_stream() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut waiter = block(&server, &mut w, &["XREAD", "BLOCK", "0", "STREAMS", "s", "t", "$", "$"], 1);
    w.is(&["MULTI"], OK);
    for i in 1..=1001 {
        w.is(&["XADD", "s", &format!("{i}-0"), "f", "v"], "+QUEUED\r\n");
    }
    w.is(&["XADD", "t", "1-0", "f", "v"], "+QUEUED\r\n");
    let exec = crate::common::wire::parse(&w.call(&["EXEC"]));
    w.check(exec.items().len() == 1002, "EXEC");
    let reply = crate::common::wire::parse(&read_reply(&mut waiter));
    let streams = reply.items();
    w.check(streams.len() == 1 && streams[0].items()[0].bytes() == b"s", "one stream");
    w.check(streams[0].items()[1].items().len() == 1000, "1000 entries");
}
