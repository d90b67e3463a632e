//! Pub/sub: SUBSCRIBE, PSUBSCRIBE, their UN- forms, PUBLISH, PUBSUB,
//! RESP2 subscribed mode, RESP3 push messages, and the output limit that
//! cuts off a subscriber that never reads.

use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::*;

/// An aggregate of bulk strings: `prefix` is `*` (RESP2 array) or `>`
/// (RESP3 push).
pub fn bulks(prefix: char, items: &[&str]) -> Vec<u8> {
    let mut out = format!("{prefix}{}\r\n", items.len()).into_bytes();
    for item in items {
        out.extend_from_slice(format!("${}\r\n{item}\r\n", item.len()).as_bytes());
    }
    out
}

/// A (un)subscribe confirmation: `[verb, name, count]`.
pub fn confirm(prefix: char, verb: &str, name: &str, count: i64) -> Vec<u8> {
    let mut out = bulks(prefix, &[verb, name]);
    out[1] = b'3';
    out.extend_from_slice(format!(":{count}\r\n").as_bytes());
    out
}

/// A raw connection, switched to RESP3 when `resp3`.
pub fn connect(s: &Server, resp3: bool) -> TcpStream {
    let mut c = s.raw();
    if resp3 {
        let hello = roundtrip(&mut c, &resp(&["HELLO", "3"]));
        assert!(hello.starts_with(b"%"), "HELLO 3 answers a map: {}", show(&hello));
    }
    c
}

/// Sends a command and checks its one reply.
#[track_caller]
pub fn expect(c: &mut TcpStream, args: &[&str], reply: &[u8]) {
    assert_reply(&roundtrip(c, &resp(args)), reply);
}

/// Polls `PUBSUB NUMSUB channel` until it reaches `want`.
fn wait_numsub(c: &mut TcpStream, channel: &str, want: i64) {
    let expected = {
        let mut e = bulks('*', &[channel]);
        e[1] = b'2';
        e.extend_from_slice(format!(":{want}\r\n").as_bytes());
        e
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = roundtrip(c, &resp(&["PUBSUB", "NUMSUB", channel]));
        if got == expected {
            return;
        }
        assert!(Instant::now() < deadline, "NUMSUB {channel} stuck at {}", show(&got));
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn subscribe_publish_unsubscribe_resp2() {
    let s = Server::start();
    let mut sub = connect(&s, false);
    let mut publisher = s.raw();
    send(&mut sub, &resp(&["SUBSCRIBE", "ps:a", "ps:b", "ps:a"]));
    assert_reply(&read_reply(&mut sub), &confirm('*', "subscribe", "ps:a", 1));
    assert_reply(&read_reply(&mut sub), &confirm('*', "subscribe", "ps:b", 2));
    assert_reply(&read_reply(&mut sub), &confirm('*', "subscribe", "ps:a", 2));
    expect(&mut publisher, &["PUBLISH", "ps:a", "hello"], b":1\r\n");
    expect(&mut publisher, &["PUBLISH", "ps:nobody", "x"], b":0\r\n");
    expect(&mut publisher, &["PUBLISH", "ps:b", ""], b":1\r\n");
    assert_reply(&read_reply(&mut sub), &bulks('*', &["message", "ps:a", "hello"]));
    assert_reply(&read_reply(&mut sub), &bulks('*', &["message", "ps:b", ""]));
    send(&mut sub, &resp(&["UNSUBSCRIBE", "ps:b", "ps:zz"]));
    assert_reply(&read_reply(&mut sub), &confirm('*', "unsubscribe", "ps:b", 1));
    assert_reply(&read_reply(&mut sub), &confirm('*', "unsubscribe", "ps:zz", 1));
    expect(&mut publisher, &["PUBLISH", "ps:b", "gone"], b":0\r\n");
    // No arguments: every channel, then a null name once none is left.
    expect(&mut sub, &["UNSUBSCRIBE"], &confirm('*', "unsubscribe", "ps:a", 0));
    expect(&mut sub, &["UNSUBSCRIBE"], b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
    expect(&mut sub, &["PUNSUBSCRIBE"], b"*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n");
    // Out of subscribed mode: ordinary commands work again.
    expect(&mut sub, &["PING"], b"+PONG\r\n");
}

#[test]
fn patterns_follow_redis_globs() {
    let s = Server::start();
    let mut sub = connect(&s, false);
    let mut publisher = s.raw();
    send(&mut sub, &resp(&["PSUBSCRIBE", "news.*", "h?llo", "h[^e]llo"]));
    assert_reply(&read_reply(&mut sub), &confirm('*', "psubscribe", "news.*", 1));
    assert_reply(&read_reply(&mut sub), &confirm('*', "psubscribe", "h?llo", 2));
    assert_reply(&read_reply(&mut sub), &confirm('*', "psubscribe", "h[^e]llo", 3));
    expect(&mut sub, &["SUBSCRIBE", "hallo"], &confirm('*', "subscribe", "hallo", 4));
    expect(&mut publisher, &["PUBLISH", "news.tech", "n1"], b":1\r\n");
    assert_reply(&read_reply(&mut sub), &bulks('*', &["pmessage", "news.*", "news.tech", "n1"]));
    expect(&mut publisher, &["PUBLISH", "hello", "m"], b":1\r\n");
    assert_reply(&read_reply(&mut sub), &bulks('*', &["pmessage", "h?llo", "hello", "m"]));
    // One channel subscription and two matching patterns: three copies,
    // the channel's first; the patterns' order is unspecified.
    expect(&mut publisher, &["PUBLISH", "hallo", "x"], b":3\r\n");
    assert_reply(&read_reply(&mut sub), &bulks('*', &["message", "hallo", "x"]));
    let mut rest = [read_reply(&mut sub), read_reply(&mut sub)];
    rest.sort();
    let mut want =
        [bulks('*', &["pmessage", "h?llo", "hallo", "x"]), bulks('*', &["pmessage", "h[^e]llo", "hallo", "x"])];
    want.sort();
    assert_eq!(rest.iter().map(|r| show(r)).collect::<Vec<_>>(), want.iter().map(|r| show(r)).collect::<Vec<_>>());
    expect(&mut publisher, &["PUBLISH", "newsx", "no"], b":0\r\n");
    expect(&mut publisher, &["PUBSUB", "NUMPAT"], b":3\r\n");
    expect(&mut sub, &["PUNSUBSCRIBE", "h?llo"], &confirm('*', "punsubscribe", "h?llo", 3));
    expect(&mut publisher, &["PUBSUB", "NUMPAT"], b":2\r\n");
    expect(&mut publisher, &["PUBLISH", "hello", "m"], b":0\r\n");
}

#[test]
fn subscribed_mode_allows_only_pubsub_commands() {
    let s = Server::start();
    let mut sub = connect(&s, false);
    expect(&mut sub, &["SUBSCRIBE", "sm:c"], &confirm('*', "subscribe", "sm:c", 1));
    expect(
        &mut sub,
        &["GET", "k"],
        b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in \
          this context\r\n",
    );
    expect(&mut sub, &["PING"], b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    expect(&mut sub, &["PING", "hi"], b"*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
    expect(&mut sub, &["PSUBSCRIBE", "sm:*"], &confirm('*', "psubscribe", "sm:*", 2));
    expect(&mut sub, &["QUIT"], b"+OK\r\n");
    assert!(is_closed(&mut sub));
    // The subscriptions went with the connection.
    let mut other = s.raw();
    wait_numsub(&mut other, "sm:c", 0);
    expect(&mut other, &["PUBSUB", "NUMPAT"], b":0\r\n");
    expect(&mut other, &["PUBLISH", "sm:c", "x"], b":0\r\n");
}

#[test]
fn reset_leaves_subscribed_mode() {
    let s = Server::start();
    let mut sub = connect(&s, false);
    let mut publisher = s.raw();
    expect(&mut sub, &["SUBSCRIBE", "rs:c"], &confirm('*', "subscribe", "rs:c", 1));
    expect(&mut sub, &["RESET"], b"+RESET\r\n");
    expect(&mut sub, &["GET", "rs:k"], b"$-1\r\n");
    expect(&mut publisher, &["PUBLISH", "rs:c", "x"], b":0\r\n");
}

#[test]
fn resp3_subscribers_get_pushes_and_run_commands() {
    let s = Server::start();
    let mut sub = connect(&s, true);
    let mut publisher = s.raw();
    expect(&mut sub, &["SUBSCRIBE", "r3:c"], &confirm('>', "subscribe", "r3:c", 1));
    expect(&mut sub, &["PSUBSCRIBE", "r3:*"], &confirm('>', "psubscribe", "r3:*", 2));
    expect(&mut sub, &["SET", "r3:k", "v"], b"+OK\r\n");
    expect(&mut sub, &["GET", "r3:k"], b"$1\r\nv\r\n");
    expect(&mut sub, &["PING"], b"+PONG\r\n");
    expect(&mut publisher, &["PUBLISH", "r3:c", "hi"], b":2\r\n");
    assert_reply(&read_reply(&mut sub), &bulks('>', &["message", "r3:c", "hi"]));
    assert_reply(&read_reply(&mut sub), &bulks('>', &["pmessage", "r3:*", "r3:c", "hi"]));
    // A message to oneself comes before the reply to PUBLISH, as in Redis.
    send(&mut sub, &resp(&["PUBLISH", "r3:c", "me"]));
    assert_reply(&read_reply(&mut sub), &bulks('>', &["message", "r3:c", "me"]));
    assert_reply(&read_reply(&mut sub), &bulks('>', &["pmessage", "r3:*", "r3:c", "me"]));
    assert_reply(&read_reply(&mut sub), b":2\r\n");
    expect(&mut sub, &["UNSUBSCRIBE"], &confirm('>', "unsubscribe", "r3:c", 1));
    expect(&mut sub, &["PUNSUBSCRIBE"], &confirm('>', "punsubscribe", "r3:*", 0));
    expect(&mut sub, &["UNSUBSCRIBE"], b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
}

#[test]
fn mixed_protocol_subscribers_of_one_channel() {
    let s = Server::start();
    let mut two = connect(&s, false);
    let mut three = connect(&s, true);
    let mut publisher = s.raw();
    expect(&mut two, &["SUBSCRIBE", "mx:c"], &confirm('*', "subscribe", "mx:c", 1));
    expect(&mut three, &["SUBSCRIBE", "mx:c"], &confirm('>', "subscribe", "mx:c", 1));
    expect(&mut publisher, &["PUBLISH", "mx:c", "both"], b":2\r\n");
    assert_reply(&read_reply(&mut two), &bulks('*', &["message", "mx:c", "both"]));
    assert_reply(&read_reply(&mut three), &bulks('>', &["message", "mx:c", "both"]));
}

#[test]
fn pubsub_introspection() {
    let s = Server::start();
    let mut a = connect(&s, false);
    let mut b = connect(&s, false);
    let mut c = s.raw();
    expect(&mut a, &["SUBSCRIBE", "in:one"], &confirm('*', "subscribe", "in:one", 1));
    send(&mut b, &resp(&["SUBSCRIBE", "in:one", "in:two"]));
    read_reply(&mut b);
    read_reply(&mut b);
    expect(&mut b, &["PSUBSCRIBE", "in:*"], &confirm('*', "psubscribe", "in:*", 3));
    expect(
        &mut c,
        &["PUBSUB", "NUMSUB", "in:one", "in:two", "in:none"],
        b"*6\r\n$6\r\nin:one\r\n:2\r\n$6\r\nin:two\r\n:1\r\n$7\r\nin:none\r\n:0\r\n",
    );
    expect(&mut c, &["PUBSUB", "NUMSUB"], b"*0\r\n");
    let mut three = connect(&s, true);
    expect(&mut three, &["PUBSUB", "NUMSUB", "in:two"], b"*2\r\n$6\r\nin:two\r\n:1\r\n");
    expect(&mut c, &["PUBSUB", "NUMPAT"], b":1\r\n");
    expect(&mut c, &["PUBSUB", "CHANNELS", "in:t*"], &bulks('*', &["in:two"]));
    let all = roundtrip(&mut c, &resp(&["PUBSUB", "CHANNELS"]));
    assert!(all.starts_with(b"*2\r\n"), "two active channels: {}", show(&all));
    expect(&mut c, &["PUBSUB", "CHANNELS", "zz*"], b"*0\r\n");
    expect(&mut c, &["PUBSUB", "NOPE"], b"-ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.\r\n");
    expect(&mut c, &["PUBLISH", "x"], b"-ERR wrong number of arguments for 'publish' command\r\n");
    expect(&mut c, &["SUBSCRIBE"], b"-ERR wrong number of arguments for 'subscribe' command\r\n");
    expect(&mut c, &["PSUBSCRIBE"], b"-ERR wrong number of arguments for 'psubscribe' command\r\n");
}

#[test]
fn subscriber_that_never_reads_is_cut_off() {
    let s = Server::start();
    let mut slow = connect(&s, false);
    expect(&mut slow, &["SUBSCRIBE", "slow:c"], &confirm('*', "subscribe", "slow:c", 1));
    let mut publisher = s.raw();
    let mut bystander = s.raw();
    let payload = "x".repeat(1024 * 1024);
    let mut cut_off = false;
    // 32 MB of unsent output (plus what the socket buffers hold) is the
    // hard limit; 200 MB published is far past it.
    for _ in 0..200 {
        let reply = roundtrip(&mut publisher, &resp(&["PUBLISH", "slow:c", &payload]));
        if reply == b":0\r\n" {
            cut_off = true;
            break;
        }
        assert_reply(&reply, b":1\r\n");
    }
    assert!(cut_off, "a subscriber that never reads was not disconnected");
    expect(&mut bystander, &["PING"], b"+PONG\r\n");
    expect(&mut bystander, &["SET", "slow:k", "v"], b"+OK\r\n");
    wait_numsub(&mut bystander, "slow:c", 0);
    // The slow client's connection is closed once it catches up reading.
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert!(is_closed(&mut slow), "the cut-off subscriber's connection stays open");
}
