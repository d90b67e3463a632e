//! Sharded pub/sub: SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH and PUBSUB
//! SHARDCHANNELS/SHARDNUMSUB, in RESP2 (subscribed mode) and RESP3 (push
//! messages). Shard channels are apart from channels and patterns: their
//! confirmations count shard channels only, patterns never match them,
//! and PUBLISH does not reach them. Every expectation is Redis 7.0's.

use crate::common::*;
use crate::pubsub::{bulks, confirm, connect, expect};

/// A confirmation without a name: `[verb, nil, count]`.
fn confirm_none(resp3: bool, verb: &str, count: i64) -> Vec<u8> {
    let (prefix, nil) = if resp3 { ('>', "_\r\n") } else { ('*', "$-1\r\n") };
    format!("{prefix}3\r\n${}\r\n{verb}\r\n{nil}:{count}\r\n", verb.len()).into_bytes()
}

#[test]
fn ssubscribe_spublish_sunsubscribe_in_resp2() {
    let s = Server::start();
    let mut sub = connect(&s, false);
    let mut c = connect(&s, false);
    send(&mut sub, &resp(&["SSUBSCRIBE", "sh:a", "sh:b", "sh:a"]));
    assert_reply(&read_reply(&mut sub), &confirm('*', "ssubscribe", "sh:a", 1));
    assert_reply(&read_reply(&mut sub), &confirm('*', "ssubscribe", "sh:b", 2));
    assert_reply(&read_reply(&mut sub), &confirm('*', "ssubscribe", "sh:a", 2));
    // Channels and patterns are counted apart from shard channels.
    send(&mut sub, &resp(&["SUBSCRIBE", "sh:a"]));
    assert_reply(&read_reply(&mut sub), &confirm('*', "subscribe", "sh:a", 1));
    send(&mut sub, &resp(&["PSUBSCRIBE", "sh:*"]));
    assert_reply(&read_reply(&mut sub), &confirm('*', "psubscribe", "sh:*", 2));
    // SPUBLISH reaches shard subscribers only; PUBLISH the others only.
    expect(&mut c, &["SPUBLISH", "sh:a", "hello"], b":1\r\n");
    assert_reply(&read_reply(&mut sub), &bulks('*', &["smessage", "sh:a", "hello"]));
    expect(&mut c, &["PUBLISH", "sh:b", "plain"], b":1\r\n");
    assert_reply(&read_reply(&mut sub), &bulks('*', &["pmessage", "sh:*", "sh:b", "plain"]));
    expect(&mut c, &["SPUBLISH", "sh:none", "x"], b":0\r\n");
    // Subscribed mode allows the sharded commands and refuses the rest.
    send(&mut sub, &resp(&["GET", "k"]));
    assert_reply(
        &read_reply(&mut sub),
        b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this \
          context\r\n",
    );
    send(&mut sub, &resp(&["SUNSUBSCRIBE", "sh:b", "sh:never"]));
    assert_reply(&read_reply(&mut sub), &confirm('*', "sunsubscribe", "sh:b", 1));
    assert_reply(&read_reply(&mut sub), &confirm('*', "sunsubscribe", "sh:never", 1));
    send(&mut sub, &resp(&["UNSUBSCRIBE"]));
    assert_reply(&read_reply(&mut sub), &confirm('*', "unsubscribe", "sh:a", 1));
    send(&mut sub, &resp(&["PUNSUBSCRIBE"]));
    assert_reply(&read_reply(&mut sub), &confirm('*', "punsubscribe", "sh:*", 0));
    // Still subscribed to one shard channel: still in subscribed mode.
    send(&mut sub, &resp(&["GET", "k"]));
    assert!(read_reply(&mut sub).starts_with(b"-ERR Can't execute 'get'"));
    send(&mut sub, &resp(&["SUNSUBSCRIBE"]));
    assert_reply(&read_reply(&mut sub), &confirm('*', "sunsubscribe", "sh:a", 0));
    send(&mut sub, &resp(&["SUNSUBSCRIBE"]));
    assert_reply(&read_reply(&mut sub), &confirm_none(false, "sunsubscribe", 0));
    expect(&mut sub, &["GET", "k"], b"$-1\r\n");
    expect(&mut c, &["SPUBLISH", "sh:a", "gone"], b":0\r\n");
}

#[test]
fn sharded_messages_in_resp3() {
    let s = Server::start();
    let mut sub = connect(&s, true);
    let mut c = connect(&s, false);
    send(&mut sub, &resp(&["SSUBSCRIBE", "r3"]));
    assert_reply(&read_reply(&mut sub), &confirm('>', "ssubscribe", "r3", 1));
    // A RESP3 client keeps running commands while subscribed.
    expect(&mut sub, &["SET", "k", "v"], b"+OK\r\n");
    expect(&mut c, &["SPUBLISH", "r3", "m"], b":1\r\n");
    assert_reply(&read_reply(&mut sub), &bulks('>', &["smessage", "r3", "m"]));
    // A client publishing to a shard channel it listens to gets the
    // message before the reply.
    send(&mut sub, &resp(&["SPUBLISH", "r3", "self"]));
    assert_reply(&read_reply(&mut sub), &bulks('>', &["smessage", "r3", "self"]));
    assert_reply(&read_reply(&mut sub), b":1\r\n");
    send(&mut sub, &resp(&["SUNSUBSCRIBE"]));
    assert_reply(&read_reply(&mut sub), &confirm('>', "sunsubscribe", "r3", 0));
    send(&mut sub, &resp(&["SUNSUBSCRIBE"]));
    assert_reply(&read_reply(&mut sub), &confirm_none(true, "sunsubscribe", 0));
}

#[test]
fn pubsub_shardchannels_and_shardnumsub() {
    let s = Server::start();
    let mut one = connect(&s, false);
    let mut two = connect(&s, false);
    let mut c = connect(&s, false);
    send(&mut one, &resp(&["SSUBSCRIBE", "news.a", "news.b"]));
    read_reply(&mut one);
    read_reply(&mut one);
    send(&mut two, &resp(&["SSUBSCRIBE", "news.a", "other"]));
    read_reply(&mut two);
    read_reply(&mut two);
    send(&mut two, &resp(&["SUBSCRIBE", "plain"]));
    read_reply(&mut two);
    let mut names = sorted_bulks(&roundtrip(&mut c, &resp(&["PUBSUB", "SHARDCHANNELS"])));
    names.sort();
    assert_eq!(names, ["news.a", "news.b", "other"]);
    let mut names = sorted_bulks(&roundtrip(&mut c, &resp(&["PUBSUB", "SHARDCHANNELS", "news.*"])));
    names.sort();
    assert_eq!(names, ["news.a", "news.b"]);
    expect(&mut c, &["PUBSUB", "CHANNELS"], &bulks('*', &["plain"]));
    expect(
        &mut c,
        &["PUBSUB", "SHARDNUMSUB", "news.a", "other", "plain", "none"],
        b"*8\r\n$6\r\nnews.a\r\n:2\r\n$5\r\nother\r\n:1\r\n$5\r\nplain\r\n:0\r\n$4\r\nnone\r\n:0\r\n",
    );
    expect(&mut c, &["PUBSUB", "NUMSUB", "news.a", "plain"], b"*4\r\n$6\r\nnews.a\r\n:0\r\n$5\r\nplain\r\n:1\r\n");
    expect(&mut c, &["PUBSUB", "SHARDNUMSUB"], b"*0\r\n");
    expect(
        &mut c,
        &["PUBSUB", "ShardChannels", "a", "b"],
        b"-ERR unknown subcommand or wrong number of arguments for 'ShardChannels'. Try PUBSUB HELP.\r\n",
    );
    expect(&mut c, &["PUBSUB", "NUMPAT"], b":0\r\n");
    // A client that goes away leaves no shard subscription behind.
    drop(one);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while roundtrip(&mut c, &resp(&["PUBSUB", "SHARDNUMSUB", "news.b"])) != b"*2\r\n$6\r\nnews.b\r\n:0\r\n" {
        assert!(std::time::Instant::now() < deadline, "the closed client's subscription stayed");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    expect(&mut c, &["SPUBLISH", "news.a", "x"], b":1\r\n");
}

#[test]
fn sharded_errors_and_client_list() {
    let s = Server::start();
    let mut c = connect(&s, false);
    expect(&mut c, &["SSUBSCRIBE"], b"-ERR wrong number of arguments for 'ssubscribe' command\r\n");
    expect(&mut c, &["SPUBLISH", "a"], b"-ERR wrong number of arguments for 'spublish' command\r\n");
    expect(&mut c, &["SPUBLISH", "a", "b", "c"], b"-ERR wrong number of arguments for 'spublish' command\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["SSUBSCRIBE", "x"], b"+QUEUED\r\n");
    expect(&mut c, &["EXEC"], b"*1\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n");
    expect(&mut c, &["EVAL", "return redis.call('spublish', 'x', 'y')", "0"], b":0\r\n");
    let mut sub = connect(&s, false);
    send(&mut sub, &resp(&["SSUBSCRIBE", "l1", "l2"]));
    read_reply(&mut sub);
    read_reply(&mut sub);
    let list = String::from_utf8_lossy(&roundtrip(&mut c, &resp(&["CLIENT", "LIST"]))).into_owned();
    assert!(list.contains("flags=P db=0 sub=0 psub=0 ssub=2 "), "{list}");
}

/// The bulk strings of an array reply, in the order given.
fn sorted_bulks(reply: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(reply);
    text.split("\r\n").filter(|line| !line.is_empty() && !line.starts_with(['*', '$'])).map(str::to_string).collect()
}
