//! Keyspace notifications: `__keyspace@<db>__:<key>` carrying the event
//! and `__keyevent@<db>__:<event>` carrying the key, with Redis's event
//! names, in order, to several subscribers at once; expiry events; and
//! `CONFIG SET notify-keyspace-events`.

use std::net::TcpStream;

use crate::common::*;
use crate::pubsub::{bulks, confirm, connect, expect};

/// Turns notifications on (Efis has them on by default, Redis off).
fn enable(c: &mut TcpStream, flags: &str) {
    expect(c, &["CONFIG", "SET", "notify-keyspace-events", flags], b"+OK\r\n");
}

/// Reads one keyspace message for `key` on a RESP2 subscriber of its
/// `__keyspace@0__` channel and checks the event.
#[track_caller]
fn event(sub: &mut TcpStream, prefix: char, key: &str, name: &str) {
    let channel = format!("__keyspace@0__:{key}");
    assert_reply(&read_reply(sub), &bulks(prefix, &["message", &channel, name]));
}

/// Checks that nothing else was delivered: the next reply is PING's.
#[track_caller]
fn nothing_more(sub: &mut TcpStream, resp3: bool) {
    let pong: &[u8] = if resp3 { b"+PONG\r\n" } else { b"*2\r\n$4\r\npong\r\n$0\r\n\r\n" };
    expect(sub, &["PING"], pong);
}

#[test]
fn several_subscribers_see_string_and_key_events_in_order() {
    let s = Server::start();
    let mut c = s.raw();
    enable(&mut c, "KEA");
    let mut two = connect(&s, false);
    let mut three = connect(&s, true);
    expect(&mut two, &["SUBSCRIBE", "__keyspace@0__:nk"], &confirm('*', "subscribe", "__keyspace@0__:nk", 1));
    expect(&mut three, &["SUBSCRIBE", "__keyspace@0__:nk"], &confirm('>', "subscribe", "__keyspace@0__:nk", 1));
    expect(&mut c, &["SET", "nk", "1"], b"+OK\r\n");
    expect(&mut c, &["INCR", "nk"], b":2\r\n");
    expect(&mut c, &["INCRBYFLOAT", "nk", "0.5"], b"$3\r\n2.5\r\n");
    expect(&mut c, &["APPEND", "nk", "x"], b":4\r\n");
    expect(&mut c, &["EXPIRE", "nk", "100"], b":1\r\n");
    expect(&mut c, &["PERSIST", "nk"], b":1\r\n");
    expect(&mut c, &["SET", "nk", "2", "EX", "100"], b"+OK\r\n");
    expect(&mut c, &["DEL", "nk"], b":1\r\n");
    expect(&mut c, &["DEL", "nk"], b":0\r\n");
    expect(&mut c, &["SET", "nk", "3", "NX"], b"+OK\r\n");
    expect(&mut c, &["SET", "nk", "4", "NX"], b"$-1\r\n");
    expect(&mut c, &["GET", "nk"], b"$1\r\n3\r\n");
    expect(&mut c, &["EXPIRE", "nk", "-1"], b":1\r\n");
    expect(&mut c, &["LPUSH", "nk", "a"], b":1\r\n");
    let events =
        ["set", "incrby", "incrbyfloat", "append", "expire", "persist", "set", "expire", "del", "set", "del", "lpush"];
    for (sub, prefix) in [(&mut two, '*'), (&mut three, '>')] {
        for name in events {
            event(sub, prefix, "nk", name);
        }
    }
    nothing_more(&mut two, false);
    nothing_more(&mut three, true);
}

#[test]
fn expiry_events() {
    let s = Server::start();
    let mut c = s.raw();
    enable(&mut c, "KEA");
    let mut sub = connect(&s, false);
    expect(&mut sub, &["SUBSCRIBE", "__keyspace@0__:ek"], &confirm('*', "subscribe", "__keyspace@0__:ek", 1));
    expect(&mut c, &["SET", "ek", "v", "PX", "50"], b"+OK\r\n");
    event(&mut sub, '*', "ek", "set");
    event(&mut sub, '*', "ek", "expire");
    // Nobody touches the key again: the active expiry cycle removes it.
    event(&mut sub, '*', "ek", "expired");
    expect(&mut c, &["EXISTS", "ek"], b":0\r\n");
    nothing_more(&mut sub, false);
    // Touching an expired key announces it as well.
    expect(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"], b"+OK\r\n");
    expect(&mut c, &["PSETEX", "ek", "1", "v"], b"+OK\r\n");
    event(&mut sub, '*', "ek", "set");
    event(&mut sub, '*', "ek", "expire");
    std::thread::sleep(std::time::Duration::from_millis(20));
    expect(&mut c, &["GET", "ek"], b"$-1\r\n");
    event(&mut sub, '*', "ek", "expired");
    expect(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"], b"+OK\r\n");
}

#[test]
fn keyevent_channels_and_generic_events() {
    let s = Server::start();
    let mut c = s.raw();
    enable(&mut c, "KEA");
    let mut sub = connect(&s, false);
    expect(&mut sub, &["PSUBSCRIBE", "__keyevent@*__:*"], &confirm('*', "psubscribe", "__keyevent@*__:*", 1));
    let ev =
        |event: &str, key: &str| bulks('*', &["pmessage", "__keyevent@*__:*", &format!("__keyevent@0__:{event}"), key]);
    expect(&mut c, &["MSET", "ka", "1", "kb", "2"], b"+OK\r\n");
    assert_reply(&read_reply(&mut sub), &ev("set", "ka"));
    assert_reply(&read_reply(&mut sub), &ev("set", "kb"));
    expect(&mut c, &["RENAME", "ka", "kc"], b"+OK\r\n");
    assert_reply(&read_reply(&mut sub), &ev("rename_from", "ka"));
    assert_reply(&read_reply(&mut sub), &ev("rename_to", "kc"));
    expect(&mut c, &["DEL", "kb", "kc", "missing"], b":2\r\n");
    assert_reply(&read_reply(&mut sub), &ev("del", "kb"));
    assert_reply(&read_reply(&mut sub), &ev("del", "kc"));
    expect(&mut c, &["SETRANGE", "kd", "2", "ab"], b":4\r\n");
    assert_reply(&read_reply(&mut sub), &ev("setrange", "kd"));
    expect(&mut c, &["GETDEL", "kd"], b"$4\r\n\x00\x00ab\r\n");
    assert_reply(&read_reply(&mut sub), &ev("del", "kd"));
    expect(&mut c, &["SET", "ke", "1"], b"+OK\r\n");
    assert_reply(&read_reply(&mut sub), &ev("set", "ke"));
    expect(&mut c, &["MOVE", "ke", "2"], b":1\r\n");
    assert_reply(&read_reply(&mut sub), &ev("move_from", "ke"));
    let moved = bulks('*', &["pmessage", "__keyevent@*__:*", "__keyevent@2__:move_to", "ke"]);
    assert_reply(&read_reply(&mut sub), &moved);
    nothing_more(&mut sub, false);
}

#[test]
fn database_index_in_channel_names() {
    let s = Server::start();
    let mut c = s.raw();
    enable(&mut c, "KEA");
    let mut sub = connect(&s, false);
    expect(&mut sub, &["PSUBSCRIBE", "__keyspace@3__:*"], &confirm('*', "psubscribe", "__keyspace@3__:*", 1));
    expect(&mut c, &["SET", "dk", "v"], b"+OK\r\n");
    expect(&mut c, &["SELECT", "3"], b"+OK\r\n");
    expect(&mut c, &["SET", "dk", "v"], b"+OK\r\n");
    assert_reply(&read_reply(&mut sub), &bulks('*', &["pmessage", "__keyspace@3__:*", "__keyspace@3__:dk", "set"]));
    nothing_more(&mut sub, false);
}

#[test]
fn classes_follow_the_config() {
    let s = Server::start();
    let mut c = s.raw();
    let mut sub = connect(&s, true);
    expect(&mut sub, &["PSUBSCRIBE", "__key*__:*"], &confirm('>', "psubscribe", "__key*__:*", 1));
    enable(&mut c, "");
    expect(&mut c, &["SET", "ck", "1"], b"+OK\r\n");
    nothing_more(&mut sub, true);
    // Key-event only, strings only: generic events (del) stay silent.
    enable(&mut c, "E$");
    expect(&mut c, &["SET", "ck", "2"], b"+OK\r\n");
    expect(&mut c, &["DEL", "ck"], b":1\r\n");
    assert_reply(&read_reply(&mut sub), &bulks('>', &["pmessage", "__key*__:*", "__keyevent@0__:set", "ck"]));
    nothing_more(&mut sub, true);
    enable(&mut c, "Kg");
    expect(&mut c, &["SET", "ck", "2"], b"+OK\r\n");
    expect(&mut c, &["DEL", "ck"], b":1\r\n");
    assert_reply(&read_reply(&mut sub), &bulks('>', &["pmessage", "__key*__:*", "__keyspace@0__:ck", "del"]));
    nothing_more(&mut sub, true);
    expect(
        &mut c,
        &["CONFIG", "SET", "notify-keyspace-events", "KQ"],
        b"-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class \
          character. Use 'Ag$lshzxeKEtmdn'.\r\n",
    );
}

#[test]
fn on_by_default() {
    if is_redis() {
        return; // Redis ships with notifications off.
    }
    let s = Server::start();
    let mut c = s.raw();
    let mut sub = connect(&s, false);
    expect(&mut sub, &["SUBSCRIBE", "__keyevent@0__:set"], &confirm('*', "subscribe", "__keyevent@0__:set", 1));
    expect(&mut c, &["SET", "dk", "v"], b"+OK\r\n");
    assert_reply(&read_reply(&mut sub), &bulks('*', &["message", "__keyevent@0__:set", "dk"]));
}

/// List events come from `cmd/list.rs`, through `ctx.notify`.
#[test]
fn list_events() {
    let s = Server::start();
    let mut c = s.raw();
    enable(&mut c, "KEA");
    let mut sub = connect(&s, false);
    expect(&mut sub, &["SUBSCRIBE", "__keyspace@0__:lk"], &confirm('*', "subscribe", "__keyspace@0__:lk", 1));
    expect(&mut c, &["LPUSH", "lk", "a", "b"], b":2\r\n");
    expect(&mut c, &["RPUSH", "lk", "c"], b":3\r\n");
    expect(&mut c, &["LPOP", "lk"], b"$1\r\nb\r\n");
    expect(&mut c, &["RPOP", "lk", "2"], b"*2\r\n$1\r\nc\r\n$1\r\na\r\n");
    for name in ["lpush", "rpush", "lpop", "rpop", "del"] {
        event(&mut sub, '*', "lk", name);
    }
    nothing_more(&mut sub, false);
}
