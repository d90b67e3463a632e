//! Adding, reading, deleting and trimming entries: XADD, XLEN, XRANGE,
//! XREVRANGE, XDEL, XTRIM, XSETID and XREAD without blocking; streams
//! under TYPE, OBJECT ENCODING, COPY, RENAME, MOVE and SCAN TYPE; their
//! keyspace events.

use super::{entries, entry, read_reply};
use crate::common::wire::{
    arity, bulk, int, parse, Reply, Wire, EMPTY, NIL, NIL_ARRAY, NOT_INT, OK, SYNTAX, WRONGTYPE,
};
use crate::common::wire::{events_until_marker, subscribe_key_events};
use crate::common::Server;

const INVALID_ID: &str = "-ERR Invalid stream ID specified as stream command argument\r\n";
const TOO_SMALL: &str = "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n";

#[test]
fn xadd_ids_explicit_partial_and_generated() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["XADD", "s", "1-1", "a", "1", "b", "2"], bulk("1-1"));
    w.is(&["XADD", "s", "1-1", "a", "1"], TOO_SMALL);
    w.is(&["XADD", "s", "1-0", "a", "1"], TOO_SMALL);
    w.is(&["XADD", "s", "0-0", "a", "1"], "-ERR The ID specified in XADD must be greater than 0-0\r\n");
    w.is(&["XADD", "fresh", "0-0", "a", "1"], "-ERR The ID specified in XADD must be greater than 0-0\r\n");
    w.is(&["EXISTS", "fresh"], int(0));
    // `<ms>-*` continues the sequence within a millisecond, or starts it.
    w.is(&["XADD", "s", "1-*", "c", "3"], bulk("1-2"));
    w.is(&["XADD", "s", "5-*", "c", "3"], bulk("5-0"));
    w.is(&["XADD", "s", "4-*", "c", "3"], TOO_SMALL);
    w.is(&["XADD", "zero", "0-*", "c", "3"], bulk("0-1"));
    // A bare number is `<ms>-0`.
    w.is(&["XADD", "s", "7", "d", "4"], bulk("7-0"));
    for bad in ["abc", "1-x", "-1", "1-2-3", "18446744073709551616", "+", "-", "1-", "*-1"] {
        w.is(&["XADD", "s", bad, "a", "b"], INVALID_ID);
    }
    // `*` takes the clock, and never goes back.
    let reply = w.call(&["XADD", "s", "*", "e", "5"]);
    let id = String::from_utf8(parse(&reply).bytes().to_vec()).unwrap();
    let (ms, seq) = id.split_once('-').expect("ms-seq");
    w.check(ms.parse::<u64>().unwrap() > 1_600_000_000_000 && seq == "0", format!("generated {id}"));
    w.is(
        &["XADD", "late", "18446744073709551615-18446744073709551615", "a", "b"],
        bulk("18446744073709551615-18446744073709551615"),
    );
    w.is(
        &["XADD", "late", "*", "a", "b"],
        "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n",
    );
    w.is(
        &["XADD", "late", "18446744073709551615-*", "a", "b"],
        "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n",
    );
    w.is(&["XADD", "big", "1-18446744073709551615", "a", "b"], bulk("1-18446744073709551615"));
    w.is(&["XADD", "big", "1-*", "a", "b"], "-ERR Elements are too large to be stored\r\n");
    w.is(&["XADD", "big", "2-*", "a", "b"], bulk("2-0"));
    w.is(&["XLEN", "s"], int(5));
    w.is(&["XLEN", "missing"], int(0));
}

#[test]
fn xadd_arguments_options_and_wrong_types() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["XADD", "s"], arity("xadd"));
    w.is(&["XADD", "s", "1-0"], arity("xadd"));
    w.is(&["XADD", "s", "1-0", "f"], arity("xadd"));
    w.is(&["XADD", "s", "1-0", "f", "v", "g"], arity("xadd"));
    w.is(&["XADD", "s", "MAXLEN", "1-0", "f", "v"], NOT_INT);
    w.is(&["XADD", "s", "MAXLEN", "-1", "1-0", "f", "v"], "-ERR The MAXLEN argument must be >= 0.\r\n");
    w.is(
        &["XADD", "s", "MAXLEN", "1", "MINID", "0", "1-0", "f", "v"],
        "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n",
    );
    w.is(
        &["XADD", "s", "MAXLEN", "1", "LIMIT", "5", "1-0", "f", "v"],
        "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n",
    );
    w.is(
        &["XADD", "s", "MAXLEN", "~", "1", "LIMIT", "-1", "1-0", "f", "v"],
        "-ERR The LIMIT argument must be >= 0.\r\n",
    );
    w.is(&["XADD", "s", "MINID", "x", "1-0", "f", "v"], INVALID_ID);
    w.is(&["EXISTS", "s"], int(0));
    // NOMKSTREAM: no key, no stream, a null reply.
    w.is(&["XADD", "s", "NOMKSTREAM", "1-0", "f", "v"], NIL);
    w.is(&["EXISTS", "s"], int(0));
    w.is(&["xadd", "s", "nomkstream", "maxlen", "=", "5", "1-0", "f", "v"], NIL);
    w.is(&["XADD", "s", "1-0", "f", "v"], bulk("1-0"));
    w.is(&["XADD", "s", "NOMKSTREAM", "2-0", "f", "v"], bulk("2-0"));
    // Trimming as part of XADD: exact, and by minimum ID.
    w.is(&["XADD", "s", "MAXLEN", "2", "3-0", "f", "v"], bulk("3-0"));
    w.is(&["XRANGE", "s", "-", "+"], entries(&[("2-0", &["f", "v"]), ("3-0", &["f", "v"])]));
    w.is(&["XADD", "s", "MINID", "=", "3", "4-0", "f", "v"], bulk("4-0"));
    w.is(&["XRANGE", "s", "-", "+"], entries(&[("3-0", &["f", "v"]), ("4-0", &["f", "v"])]));
    // `~` removes whole nodes only: a small stream keeps everything.
    w.is(&["XADD", "s", "MAXLEN", "~", "1", "5-0", "f", "v"], bulk("5-0"));
    w.is(&["XLEN", "s"], int(3));
    w.is(&["XADD", "s", "MAXLEN", "0", "6-0", "f", "v"], bulk("6-0"));
    w.is(&["XLEN", "s"], int(0));
    w.is(&["EXISTS", "s"], int(1));
    // Binary fields and values, and an empty one, come back as sent.
    w.is(&["XADD", "bin", "1-0", "\0\r\n", "", "", "\u{ff}"], bulk("1-0"));
    w.is(&["XRANGE", "bin", "-", "+"], entries(&[("1-0", &["\0\r\n", "", "", "\u{ff}"])]));
    w.is(&["SET", "str", "x"], OK);
    w.is(&["XADD", "str", "1-0", "f", "v"], WRONGTYPE);
    w.is(&["XLEN", "str"], WRONGTYPE);
    w.is(&["XRANGE", "str", "-", "+"], WRONGTYPE);
    w.is(&["XREVRANGE", "str", "+", "-"], WRONGTYPE);
    w.is(&["XDEL", "str", "1-0"], WRONGTYPE);
    w.is(&["XTRIM", "str", "MAXLEN", "0"], WRONGTYPE);
    w.is(&["XSETID", "str", "1-0"], WRONGTYPE);
    w.is(&["XLEN"], arity("xlen"));
    w.is(&["XRANGE", "s", "-"], arity("xrange"));
    w.is(&["XDEL", "s"], arity("xdel"));
    w.is(&["XTRIM", "s", "MAXLEN"], arity("xtrim"));
}

#[test]
fn xrange_and_xrevrange_bounds_and_counts() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    for (id, v) in [("1-0", "a"), ("1-1", "b"), ("2-0", "c"), ("3-5", "d")] {
        w.is(&["XADD", "r", id, "f", v], bulk(id));
    }
    let all = [("1-0", &["f", "a"][..]), ("1-1", &["f", "b"]), ("2-0", &["f", "c"]), ("3-5", &["f", "d"])];
    w.is(&["XRANGE", "r", "-", "+"], entries(&all));
    w.is(&["XREVRANGE", "r", "+", "-"], entries(&[all[3], all[2], all[1], all[0]]));
    // A bare ms is the whole millisecond: from `ms-0`, to `ms-max`.
    w.is(&["XRANGE", "r", "1", "1"], entries(&all[..2]));
    w.is(&["XREVRANGE", "r", "2", "1"], entries(&[all[2], all[1], all[0]]));
    // Exclusive bounds.
    w.is(&["XRANGE", "r", "(1-0", "(3-5"], entries(&all[1..3]));
    w.is(&["XREVRANGE", "r", "(3-5", "(1-0"], entries(&[all[2], all[1]]));
    w.is(
        &["XRANGE", "r", "(18446744073709551615-18446744073709551615", "+"],
        "-ERR invalid start ID for the interval\r\n",
    );
    w.is(&["XRANGE", "r", "-", "(0-0"], "-ERR invalid end ID for the interval\r\n");
    w.is(&["XRANGE", "r", "(", "+"], INVALID_ID);
    w.is(&["XRANGE", "r", "(-", "+"], INVALID_ID);
    w.is(&["XRANGE", "r", "x", "+"], INVALID_ID);
    // COUNT: the first n; 0 or less is a null array.
    w.is(&["XRANGE", "r", "-", "+", "COUNT", "2"], entries(&all[..2]));
    w.is(&["XREVRANGE", "r", "+", "-", "count", "1"], entries(&all[3..]));
    w.is(&["XRANGE", "r", "-", "+", "COUNT", "0"], NIL_ARRAY);
    w.is(&["XRANGE", "r", "-", "+", "COUNT", "-3"], NIL_ARRAY);
    w.is(&["XRANGE", "r", "-", "+", "COUNT", "99", "COUNT", "1"], entries(&all[..1]));
    w.is(&["XRANGE", "r", "-", "+", "COUNT"], SYNTAX);
    w.is(&["XRANGE", "r", "-", "+", "LIMIT", "1"], SYNTAX);
    w.is(&["XRANGE", "r", "-", "+", "COUNT", "x"], NOT_INT);
    w.is(&["XRANGE", "r", "3", "1"], EMPTY);
    w.is(&["XRANGE", "missing", "-", "+"], EMPTY);
    w.is(&["XRANGE", "missing", "-", "+", "COUNT", "0"], EMPTY);
}

#[test]
fn ranges_across_many_nodes() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    for i in 1..=1000 {
        let id = format!("{i}-0");
        w.is(&["XADD", "big", &id, "n", &i.to_string()], bulk(&id));
    }
    w.is(&["XLEN", "big"], int(1000));
    w.is(
        &["XRANGE", "big", "499", "501"],
        entries(&[("499-0", &["n", "499"]), ("500-0", &["n", "500"]), ("501-0", &["n", "501"])]),
    );
    w.is(
        &["XREVRANGE", "big", "301", "299", "COUNT", "2"],
        entries(&[("301-0", &["n", "301"]), ("300-0", &["n", "300"])]),
    );
    let reply = parse(&w.call(&["XRANGE", "big", "-", "+"]));
    w.check(reply.items().len() == 1000, "all 1000 entries");
    // Delete every other entry, then trim to 100.
    for i in (2..=1000).step_by(2) {
        w.is(&["XDEL", "big", &format!("{i}")], int(1));
    }
    w.is(&["XLEN", "big"], int(500));
    w.is(&["XRANGE", "big", "10", "14"], entries(&[("11-0", &["n", "11"]), ("13-0", &["n", "13"])]));
    w.is(&["XTRIM", "big", "MAXLEN", "100"], int(400));
    w.is(&["XRANGE", "big", "-", "+", "COUNT", "1"], entry_list("801-0", "801"));
    w.is(&["XTRIM", "big", "MINID", "900"], int(50));
    w.is(&["XRANGE", "big", "-", "+", "COUNT", "1"], entry_list("901-0", "901"));
    w.is(&["XLEN", "big"], int(50));
}

fn entry_list(id: &str, n: &str) -> Vec<u8> {
    crate::common::wire::array(&[entry(id, &["n", n])])
}

#[test]
fn xdel_xtrim_and_xsetid() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    for id in ["1-0", "2-0", "3-0", "4-0"] {
        w.is(&["XADD", "d", id, "f", "v"], bulk(id));
    }
    w.is(&["XDEL", "d", "2-0", "2-0", "9-0"], int(1));
    w.is(&["XDEL", "d", "x"], INVALID_ID);
    w.is(&["XDEL", "d", "1-0", "x"], INVALID_ID);
    w.is(&["XLEN", "d"], int(3));
    w.is(&["XDEL", "missing", "1-0"], int(0));
    w.is(&["XTRIM", "d"], arity("xtrim"));
    w.is(&["XTRIM", "d", "FOO", "1"], SYNTAX);
    w.is(
        &["XTRIM", "d", "LIMIT", "1"],
        "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n",
    );
    w.is(
        &["XTRIM", "d", "MAXLEN", "1", "LIMIT", "1"],
        "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n",
    );
    w.is(&["XTRIM", "d", "MAXLEN", "x"], NOT_INT);
    w.is(&["XTRIM", "d", "MAXLEN", "=", "2"], int(1));
    w.is(&["XTRIM", "d", "MAXLEN", "5"], int(0));
    w.is(&["XTRIM", "missing", "MAXLEN", "0"], int(0));
    w.is(&["XTRIM", "d", "MINID", "4"], int(1));
    w.is(&["XTRIM", "d", "MAXLEN", "0"], int(1));
    // `~` with LIMIT 0: no limit, whole nodes go.
    w.is(&["XADD", "d", "5-0", "f", "v"], bulk("5-0"));
    w.is(&["XADD", "d", "6-0", "f", "v"], bulk("6-0"));
    w.is(&["XTRIM", "d", "MAXLEN", "~", "0", "LIMIT", "0"], int(2));
    // A stream emptied by trimming or deleting still exists.
    w.is(&["EXISTS", "d"], int(1));
    w.is(&["XLEN", "d"], int(0));
    w.is(&["TYPE", "d"], "+stream\r\n");
    // XSETID moves the last ID; it cannot go below the top entry.
    w.is(&["XADD", "x", "5-0", "f", "v"], bulk("5-0"));
    w.is(&["XSETID", "x", "4-0"], "-ERR The ID specified in XSETID is smaller than the target stream top item\r\n");
    w.is(
        &["XSETID", "x", "10-0", "ENTRIESADDED", "0"],
        "-ERR The entries_added specified in XSETID is smaller than the target stream length\r\n",
    );
    w.is(&["XSETID", "x", "10-0", "ENTRIESADDED", "-1"], "-ERR entries_added must be positive\r\n");
    w.is(
        &["XSETID", "x", "10-0", "MAXDELETEDID", "11-0"],
        "-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id\r\n",
    );
    w.is(&["XSETID", "x", "10-0", "FOO"], SYNTAX);
    w.is(&["XSETID", "x", "+"], INVALID_ID);
    w.is(&["XSETID", "missing", "1-0"], "-ERR no such key\r\n");
    w.is(&["XSETID", "x", "10-0", "ENTRIESADDED", "7", "MAXDELETEDID", "3-0"], OK);
    w.is(&["XADD", "x", "9-0", "f", "v"], TOO_SMALL);
    w.is(&["XADD", "x", "10-*", "f", "v"], bulk("10-1"));
    w.is(&["XSETID", "x", "5"], "-ERR The ID specified in XSETID is smaller than the target stream top item\r\n");
}

#[test]
fn xread_without_blocking() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["XADD", "a", "1-0", "f", "1"], bulk("1-0"));
    w.is(&["XADD", "a", "2-0", "f", "2"], bulk("2-0"));
    w.is(&["XADD", "b", "5-0", "g", "5"], bulk("5-0"));
    w.is(&["XREAD", "STREAMS", "a", "0"], read_reply("a", &[("1-0", &["f", "1"]), ("2-0", &["f", "2"])]));
    w.is(&["XREAD", "COUNT", "1", "STREAMS", "a", "1-0"], read_reply("a", &[("2-0", &["f", "2"])]));
    w.is(&["XREAD", "STREAMS", "a", "2"], NIL_ARRAY);
    w.is(&["XREAD", "STREAMS", "a", "$"], NIL_ARRAY);
    w.is(&["XREAD", "STREAMS", "missing", "0"], NIL_ARRAY);
    // Only the streams with something newer appear, in argument order.
    let reply = crate::common::wire::array(&[
        crate::common::wire::array(&[bulk("b"), entries(&[("5-0", &["g", "5"])])]),
        crate::common::wire::array(&[bulk("a"), entries(&[("2-0", &["f", "2"])])]),
    ]);
    w.is(&["XREAD", "STREAMS", "missing", "b", "a", "0", "0", "1"], reply);
    w.is(
        &["XREAD", "STREAMS", "a", "b", "0"],
        "-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.\r\n",
    );
    w.is(
        &["XREAD", "STREAMS", "a", ">"],
        "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.\r\n",
    );
    w.is(
        &["XREAD", "GROUP", "g", "c", "STREAMS", "a", "0"],
        "-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.\r\n",
    );
    w.is(
        &["XREAD", "NOACK", "STREAMS", "a", "0"],
        "-ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.\r\n",
    );
    w.is(&["XREAD", "COUNT", "x", "STREAMS", "a", "0"], NOT_INT);
    w.is(&["XREAD", "BLOCK", "x", "STREAMS", "a", "0"], "-ERR timeout is not an integer or out of range\r\n");
    w.is(&["XREAD", "BLOCK", "-1", "STREAMS", "a", "0"], "-ERR timeout is negative\r\n");
    w.is(&["XREAD", "FOO", "STREAMS", "a", "0"], SYNTAX);
    w.is(&["XREAD", "COUNT", "1", "a"], SYNTAX);
    w.is(&["XREAD", "STREAMS", "a", "x"], INVALID_ID);
    w.is(&["XREAD", "STREAMS"], arity("xread"));
    w.is(&["SET", "str", "x"], OK);
    w.is(&["XREAD", "STREAMS", "a", "str", "0", "0"], WRONGTYPE);
    // RESP3: a map of key to entries.
    let mut w3 = Wire::open_resp3(&server);
    let reply = parse(&w3.call(&["XREAD", "STREAMS", "a", "1"]));
    w3.check(
        matches!(&reply, Reply::Map(pairs) if pairs.len() == 1 && pairs[0].0 == Reply::Bulk(b"a".to_vec())),
        format!("{reply:?}"),
    );
    w3.is(&["XREAD", "STREAMS", "a", "$"], "_\r\n");
}

#[test]
fn streams_under_the_key_commands_and_events() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut events = subscribe_key_events(&server, &mut w);
    w.is(&["XADD", "k", "1-0", "f", "v"], bulk("1-0"));
    w.is(&["XADD", "k", "MAXLEN", "1", "2-0", "f", "w"], bulk("2-0"));
    w.is(&["XDEL", "k", "2-0", "9-0"], int(1));
    w.is(&["XDEL", "k", "9-0"], int(0));
    w.is(&["XADD", "k", "3-0", "f", "x"], bulk("3-0"));
    w.is(&["XTRIM", "k", "MAXLEN", "0"], int(1));
    w.is(&["XTRIM", "k", "MAXLEN", "0"], int(0));
    w.is(&["XSETID", "k", "5-0"], OK);
    let seen = events_until_marker(&mut w, &mut events);
    let names: Vec<&str> = seen.iter().map(|(event, _)| event.as_str()).collect();
    w.check(names == ["xadd", "xadd", "xtrim", "xdel", "xadd", "xtrim", "xsetid"], format!("events {seen:?}"));
    w.is(&["TYPE", "k"], "+stream\r\n");
    w.is(&["OBJECT", "ENCODING", "k"], bulk("stream"));
    w.is(&["XADD", "k", "6-0", "f", "y"], bulk("6-0"));
    w.is(&["XGROUP", "CREATE", "k", "g", "0"], OK);
    w.is(&["COPY", "k", "k2"], int(1));
    w.is(&["XADD", "k", "7-0", "f", "z"], bulk("7-0"));
    w.is(&["XRANGE", "k2", "-", "+"], entries(&[("6-0", &["f", "y"])]));
    w.is(&["XINFO", "GROUPS", "k2"], "*1\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n0-0\r\n$12\r\nentries-read\r\n$-1\r\n$3\r\nlag\r\n:1\r\n");
    w.is(&["RENAME", "k2", "k3"], OK);
    w.is(&["XLEN", "k3"], int(1));
    w.is(&["MOVE", "k3", "1"], int(1));
    w.is(&["SELECT", "1"], OK);
    w.is(&["XRANGE", "k3", "-", "+"], entries(&[("6-0", &["f", "y"])]));
    w.is(&["SELECT", "0"], OK);
    w.is(&["SET", "plain", "x"], OK);
    w.is(&["SCAN", "0", "TYPE", "stream", "COUNT", "100"], "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n");
    w.is(&["DEL", "k"], int(1));
    w.is(&["XLEN", "k"], int(0));
}

/// `~` trims whole nodes of 100 entries, as Redis's default
/// `stream-node-max-entries` makes them; by minimum ID a node goes when
/// its last entry, deleted or not, is below the minimum.
#[test]
fn approximate_trimming_takes_whole_nodes() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    for i in 1..=250 {
        let id = format!("{i}-0");
        w.is(&["XADD", "m", &id, "f", "v"], bulk(&id));
    }
    w.is(&["XDEL", "m", "100-0"], int(1));
    w.is(&["XTRIM", "m", "MINID", "~", "100"], int(0));
    w.is(&["XTRIM", "m", "MINID", "~", "100-1"], int(99));
    w.is(&["XTRIM", "m", "MAXLEN", "~", "120"], int(0));
    w.is(&["XTRIM", "m", "MAXLEN", "~", "50", "LIMIT", "99"], int(0));
    w.is(&["XTRIM", "m", "MAXLEN", "~", "50"], int(100));
    w.is(&["XADD", "m", "MAXLEN", "~", "10", "251-0", "f", "v"], bulk("251-0"));
    w.is(&["XLEN", "m"], int(51));
    w.is(&["XRANGE", "m", "-", "+", "COUNT", "1"], entries(&[("201-0", &["f", "v"])]));
}
