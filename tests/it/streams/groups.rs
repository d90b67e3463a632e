//! Consumer groups: XGROUP and its subcommands, XREADGROUP (new entries,
//! history, NOACK), XACK, XPENDING, XCLAIM and XAUTOCLAIM.

use super::{entries, read_reply};
use crate::common::wire::{
    arity, array, bulk, bulks, int, parse, Reply, Wire, EMPTY, NIL_ARRAY, NOT_INT, OK, SYNTAX, WRONGTYPE,
};
use crate::common::Server;

const NEED_KEY: &str = "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.\r\n";

fn fill(w: &mut Wire, key: &str, ids: &[&str]) {
    for id in ids {
        w.is(&["XADD", key, id, "f", id], bulk(id));
    }
}

/// XPENDING's extended rows, idle times left out (checked separately),
/// read on a connection of their own.
fn pending_rows(server: &Server, args: &[&str]) -> Vec<(String, String, i64)> {
    let reply = parse(&Wire::open(server).call(args));
    reply
        .items()
        .iter()
        .map(|row| {
            let items = row.items();
            let text = |r: &Reply| String::from_utf8_lossy(r.bytes()).into_owned();
            let count = match &items[3] {
                Reply::Int(n) => *n,
                other => panic!("{other:?}"),
            };
            (text(&items[0]), text(&items[1]), count)
        })
        .collect()
}

#[test]
fn xgroup_subcommands() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["XGROUP", "CREATE", "s", "g", "$"], NEED_KEY);
    w.is(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], OK);
    w.is(&["XLEN", "s"], int(0));
    w.is(&["XGROUP", "CREATE", "s", "g", "$"], "-BUSYGROUP Consumer Group name already exists\r\n");
    w.is(&["XGROUP", "CREATE", "s", "g2", "x"], "-ERR Invalid stream ID specified as stream command argument\r\n");
    w.is(&["XGROUP", "CREATE", "s", "g2", "-"], "-ERR Invalid stream ID specified as stream command argument\r\n");
    w.is(
        &["XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "-2"],
        "-ERR value for ENTRIESREAD must be positive or -1\r\n",
    );
    w.is(&["XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "x"], NOT_INT);
    w.is(
        &["XGROUP", "CREATE", "s", "g2", "0", "FOO"],
        "-ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.\r\n",
    );
    w.is(&["XGROUP", "FOO", "s", "g"], "-ERR unknown subcommand 'FOO'. Try XGROUP HELP.\r\n");
    w.is(&["XGROUP", "CREATE", "s"], "-ERR wrong number of arguments for 'xgroup|create' command\r\n");
    w.is(&["XGROUP", "DESTROY", "s", "g", "x"], "-ERR wrong number of arguments for 'xgroup|destroy' command\r\n");
    w.is(&["XGROUP"], arity("xgroup"));
    let help = parse(&w.call(&["XGROUP", "HELP"]));
    w.check(help.items().len() == 17, format!("help {help:?}"));
    w.is(&["XGROUP", "SETID", "s", "nog", "0"], "-NOGROUP No such consumer group 'nog' for key name 's'\r\n");
    w.is(&["XGROUP", "CREATECONSUMER", "s", "nog", "c"], "-NOGROUP No such consumer group 'nog' for key name 's'\r\n");
    w.is(&["XGROUP", "DELCONSUMER", "missing", "g", "c"], NEED_KEY);
    w.is(&["XGROUP", "CREATECONSUMER", "s", "g", "c"], int(1));
    w.is(&["XGROUP", "CREATECONSUMER", "s", "g", "c"], int(0));
    w.is(&["XGROUP", "DELCONSUMER", "s", "g", "c"], int(0));
    w.is(&["XGROUP", "DELCONSUMER", "s", "g", "c"], int(0));
    w.is(&["XGROUP", "SETID", "s", "g", "5-0", "ENTRIESREAD", "3"], OK);
    w.is(&["XGROUP", "SETID", "s", "g", "-"], OK);
    w.is(
        &["XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD"],
        "-ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP.\r\n",
    );
    w.is(&["XGROUP", "DESTROY", "s", "g"], int(1));
    w.is(&["XGROUP", "DESTROY", "s", "g"], int(0));
    w.is(&["SET", "str", "x"], OK);
    w.is(&["XGROUP", "CREATE", "str", "g", "$", "MKSTREAM"], WRONGTYPE);
}

#[test]
fn xreadgroup_delivers_new_entries_and_history() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    fill(&mut w, "s", &["1-0", "2-0", "3-0", "4-0"]);
    w.is(&["XGROUP", "CREATE", "s", "g", "0"], OK);
    w.is(
        &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"],
        read_reply("s", &[("1-0", &["f", "1-0"]), ("2-0", &["f", "2-0"])]),
    );
    w.is(
        &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
        read_reply("s", &[("3-0", &["f", "3-0"]), ("4-0", &["f", "4-0"])]),
    );
    w.is(&["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"], NIL_ARRAY);
    // History: this consumer's own pending entries after the given ID.
    w.is(
        &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
        read_reply("s", &[("1-0", &["f", "1-0"]), ("2-0", &["f", "2-0"])]),
    );
    w.is(
        &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "1-0"],
        read_reply("s", &[("2-0", &["f", "2-0"])]),
    );
    w.is(
        &["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"],
        array(&[array(&[bulk("s"), EMPTY.as_bytes().to_vec()])]),
    );
    // Each history read counts as another delivery.
    w.check(
        pending_rows(&server, &["XPENDING", "s", "g", "-", "+", "10"])
            == [
                ("1-0".into(), "alice".into(), 2),
                ("2-0".into(), "alice".into(), 3),
                ("3-0".into(), "bob".into(), 1),
                ("4-0".into(), "bob".into(), 1),
            ],
        "delivery counts",
    );
    // A deleted pending entry comes back in the history as [id, nil].
    w.is(&["XDEL", "s", "1-0"], int(1));
    w.is(
        &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "0"],
        array(&[array(&[bulk("s"), array(&[array(&[bulk("1-0"), NIL_ARRAY.as_bytes().to_vec()])])])]),
    );
    // NOACK delivers without pending entries.
    fill(&mut w, "s", &["5-0"]);
    w.is(
        &["XREADGROUP", "GROUP", "g", "dave", "NOACK", "STREAMS", "s", ">"],
        read_reply("s", &[("5-0", &["f", "5-0"])]),
    );
    w.is(&["XPENDING", "s", "g", "-", "+", "10", "dave"], EMPTY);
    // Errors, in Redis's order.
    w.is(
        &["XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">"],
        "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option\r\n",
    );
    w.is(
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "missing", ">"],
        "-NOGROUP No such key 'missing' or consumer group 'g' in XREADGROUP with GROUP option\r\n",
    );
    w.is(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"], "-ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.\r\n");
    w.is(
        &["XREADGROUP", "COUNT", "1", "STREAMS", "s", ">", "x"],
        "-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.\r\n",
    );
    w.is(&["XREADGROUP", "COUNT", "1", "STREAMS", "s", "t", ">", ">"], "-ERR Missing GROUP option for XREADGROUP\r\n");
    w.is(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s"], arity("xreadgroup"));
    w.is(&["XREADGROUP", "GROUP", "g", "c", "FOO", "STREAMS", "s", ">"], SYNTAX);
    w.is(&["SET", "str", "x"], OK);
    w.is(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"], WRONGTYPE);
}

#[test]
fn xack_and_xpending() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    fill(&mut w, "s", &["1-0", "2-0", "3-0"]);
    w.is(&["XGROUP", "CREATE", "s", "g", "0"], OK);
    w.is(&["XPENDING", "s", "g"], "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n");
    w.call(&["XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "s", ">"]);
    w.call(&["XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">"]);
    w.is(
        &["XPENDING", "s", "g"],
        array(&[int(3).into_bytes(), bulk("1-0"), bulk("3-0"), array(&[bulks(&["a", "2"]), bulks(&["b", "1"])])]),
    );
    w.check(
        pending_rows(&server, &["XPENDING", "s", "g", "-", "+", "1"]) == [("1-0".into(), "a".into(), 1)],
        "COUNT 1",
    );
    w.check(
        pending_rows(&server, &["XPENDING", "s", "g", "(1-0", "+", "5", "a"]) == [("2-0".into(), "a".into(), 1)],
        "exclusive, one consumer",
    );
    w.check(pending_rows(&server, &["XPENDING", "s", "g", "IDLE", "0", "-", "+", "5"]).len() == 3, "IDLE 0");
    w.is(&["XPENDING", "s", "g", "IDLE", "100000", "-", "+", "5"], EMPTY);
    w.is(&["XPENDING", "s", "g", "-", "+", "-1"], EMPTY);
    w.is(&["XPENDING", "s", "g", "-", "+", "5", "nobody"], EMPTY);
    w.is(&["XPENDING", "s", "g", "-", "+"], SYNTAX);
    w.is(&["XPENDING", "s", "g", "IDLE", "5", "-", "+"], SYNTAX);
    w.is(&["XPENDING", "s", "g", "-", "+", "x"], NOT_INT);
    w.is(&["XPENDING", "s", "g", "x", "+", "1"], "-ERR Invalid stream ID specified as stream command argument\r\n");
    w.is(&["XPENDING", "s", "nog"], "-NOGROUP No such key 's' or consumer group 'nog'\r\n");
    w.is(&["XPENDING", "missing", "g"], "-NOGROUP No such key 'missing' or consumer group 'g'\r\n");
    let idle = parse(&w.call(&["XPENDING", "s", "g", "-", "+", "1"]));
    w.check(
        matches!(idle.items()[0].items()[2], Reply::Int(ms) if (0..60_000).contains(&ms)),
        format!("idle {idle:?}"),
    );
    w.is(&["XACK", "s", "g", "1-0", "1-0", "9-0"], int(1));
    w.is(&["XACK", "s", "g", "x"], "-ERR Invalid stream ID specified as stream command argument\r\n");
    w.is(&["XACK", "s", "nog", "x"], int(0));
    w.is(&["XACK", "missing", "g", "1-0"], int(0));
    w.is(&["XACK", "s", "g"], arity("xack"));
    w.is(
        &["XPENDING", "s", "g"],
        array(&[int(2).into_bytes(), bulk("2-0"), bulk("3-0"), array(&[bulks(&["a", "1"]), bulks(&["b", "1"])])]),
    );
    w.is(&["SET", "str", "x"], OK);
    w.is(&["XACK", "str", "g", "1-0"], WRONGTYPE);
    w.is(&["XPENDING", "str", "g"], WRONGTYPE);
}

#[test]
fn xclaim_and_xautoclaim() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    fill(&mut w, "s", &["1-0", "2-0", "3-0", "4-0"]);
    w.is(&["XGROUP", "CREATE", "s", "g", "0"], OK);
    w.call(&["XREADGROUP", "GROUP", "g", "a", "COUNT", "3", "STREAMS", "s", ">"]);
    w.is(&["XCLAIM", "s", "g", "b", "0", "1-0"], entries(&[("1-0", &["f", "1-0"])]));
    w.is(&["XCLAIM", "s", "g", "b", "100000", "2-0"], EMPTY);
    // JUSTID: IDs only, and the delivery count stays.
    w.is(&["XCLAIM", "s", "g", "b", "0", "2-0", "9-0", "JUSTID"], bulks(&["2-0"]));
    // Not pending: only FORCE claims it.
    w.is(&["XCLAIM", "s", "g", "b", "0", "4-0"], EMPTY);
    w.is(&["XCLAIM", "s", "g", "b", "0", "4-0", "FORCE", "JUSTID"], bulks(&["4-0"]));
    w.check(
        pending_rows(&server, &["XPENDING", "s", "g", "4-0", "4-0", "1"]) == [("4-0".into(), "b".into(), 1)],
        "FORCE JUSTID",
    );
    w.is(&["XACK", "s", "g", "4-0"], int(1));
    w.is(&["XCLAIM", "s", "g", "b", "0", "4-0", "FORCE"], entries(&[("4-0", &["f", "4-0"])]));
    w.check(
        pending_rows(&server, &["XPENDING", "s", "g", "4-0", "4-0", "1"]) == [("4-0".into(), "b".into(), 2)],
        "FORCE",
    );
    w.is(&["XCLAIM", "s", "g", "b", "0", "4-0", "FORCE", "RETRYCOUNT", "7", "JUSTID"], bulks(&["4-0"]));
    w.check(
        pending_rows(&server, &["XPENDING", "s", "g", "-", "+", "10"])
            == [
                ("1-0".into(), "b".into(), 2),
                ("2-0".into(), "b".into(), 1),
                ("3-0".into(), "a".into(), 1),
                ("4-0".into(), "b".into(), 7),
            ],
        "after XCLAIM",
    );
    // IDLE and TIME set the delivery time.
    w.is(&["XCLAIM", "s", "g", "c", "0", "3-0", "IDLE", "500000", "JUSTID"], bulks(&["3-0"]));
    let rows = parse(&w.call(&["XPENDING", "s", "g", "3-0", "3-0", "1"]));
    w.check(
        matches!(rows.items()[0].items()[2], Reply::Int(ms) if (500_000..560_000).contains(&ms)),
        format!("IDLE {rows:?}"),
    );
    w.is(&["XCLAIM", "s", "g", "c", "0", "3-0", "TIME", "1", "JUSTID"], bulks(&["3-0"]));
    let old = parse(&w.call(&["XPENDING", "s", "g", "IDLE", "1000000000", "-", "+", "5"]));
    w.check(
        old.items().len() == 1 && old.items()[0].items()[0] == Reply::Bulk(b"3-0".to_vec()),
        format!("TIME 1: {old:?}"),
    );
    // A deleted entry is dropped from the pending list instead.
    w.is(&["XDEL", "s", "2-0"], int(1));
    w.is(&["XCLAIM", "s", "g", "c", "0", "2-0"], EMPTY);
    w.is(&["XPENDING", "s", "g", "2-0", "2-0", "1"], EMPTY);
    // LASTID moves the group's last ID forward only.
    w.is(&["XCLAIM", "s", "g", "c", "0", "LASTID", "9-0"], EMPTY);
    w.is(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"], NIL_ARRAY);
    w.is(&["XCLAIM", "s", "g", "c", "x", "1-0"], "-ERR Invalid min-idle-time argument for XCLAIM\r\n");
    w.is(&["XCLAIM", "s", "g", "c", "0", "1-0", "FOO"], "-ERR Unrecognized XCLAIM option 'FOO'\r\n");
    w.is(&["XCLAIM", "s", "g", "c", "0", "1-0", "IDLE", "x"], "-ERR Invalid IDLE option argument for XCLAIM\r\n");
    w.is(&["XCLAIM", "s", "g", "c", "0", "1-0", "TIME", "x"], "-ERR Invalid TIME option argument for XCLAIM\r\n");
    w.is(
        &["XCLAIM", "s", "g", "c", "0", "1-0", "RETRYCOUNT", "x"],
        "-ERR Invalid RETRYCOUNT option argument for XCLAIM\r\n",
    );
    w.is(&["XCLAIM", "s", "nog", "c", "0", "1-0"], "-NOGROUP No such key 's' or consumer group 'nog'\r\n");
    w.is(&["XCLAIM", "s", "g", "c", "0"], arity("xclaim"));
    // XAUTOCLAIM: a cursor, the claimed entries, the deleted IDs.
    w.is(&["XDEL", "s", "3-0"], int(1));
    w.is(
        &["XAUTOCLAIM", "s", "g", "d", "0", "0", "COUNT", "1"],
        array(&[bulk("3-0"), entries(&[("1-0", &["f", "1-0"])]), bulks::<&str>(&[])]),
    );
    w.is(
        &["XAUTOCLAIM", "s", "g", "d", "0", "(1-0", "JUSTID"],
        array(&[bulk("0-0"), bulks(&["4-0"]), bulks(&["3-0"])]),
    );
    w.is(&["XAUTOCLAIM", "s", "g", "d", "100000", "0"], array(&[bulk("0-0"), bulks::<&str>(&[]), bulks::<&str>(&[])]));
    w.is(&["XAUTOCLAIM", "s", "g", "d", "0", "0", "COUNT", "0"], "-ERR COUNT must be > 0\r\n");
    w.is(&["XAUTOCLAIM", "s", "g", "d", "0", "0", "COUNT", "x"], "-ERR COUNT must be > 0\r\n");
    w.is(&["XAUTOCLAIM", "s", "g", "d", "0", "0", "FOO"], SYNTAX);
    w.is(&["XAUTOCLAIM", "s", "g", "d", "x", "0"], "-ERR Invalid min-idle-time argument for XAUTOCLAIM\r\n");
    w.is(&["XAUTOCLAIM", "s", "g", "d", "0", "x"], "-ERR Invalid stream ID specified as stream command argument\r\n");
    w.is(&["XAUTOCLAIM", "s", "nog", "d", "0", "0"], "-NOGROUP No such key 's' or consumer group 'nog'\r\n");
    w.is(&["XAUTOCLAIM", "missing", "g", "d", "0", "0"], "-NOGROUP No such key 'missing' or consumer group 'g'\r\n");
    w.is(&["SET", "str", "x"], OK);
    w.is(&["XCLAIM", "str", "g", "c", "0", "1-0"], WRONGTYPE);
    w.is(&["XAUTOCLAIM", "str", "g", "c", "0", "0"], WRONGTYPE);
}

#[test]
fn group_keyspace_events() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut events = crate::common::wire::subscribe_key_events(&server, &mut w);
    w.is(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], OK);
    w.is(&["XGROUP", "CREATECONSUMER", "s", "g", "c"], int(1));
    w.is(&["XGROUP", "CREATECONSUMER", "s", "g", "c"], int(0));
    w.is(&["XGROUP", "SETID", "s", "g", "0"], OK);
    w.is(&["XADD", "s", "1-0", "f", "v"], bulk("1-0"));
    w.call(&["XREADGROUP", "GROUP", "g", "new", "STREAMS", "s", ">"]);
    w.is(&["XGROUP", "DELCONSUMER", "s", "g", "c"], int(0));
    w.is(&["XGROUP", "DESTROY", "s", "g"], int(1));
    let seen = crate::common::wire::events_until_marker(&mut w, &mut events);
    let names: Vec<&str> = seen.iter().map(|(event, _)| event.as_str()).collect();
    w.check(
        names
            == [
                "xgroup-create",
                "xgroup-createconsumer",
                "xgroup-setid",
                "xadd",
                "xgroup-createconsumer",
                "xgroup-delconsumer",
                "xgroup-destroy",
            ],
        format!("events {seen:?}"),
    );
}

/// As in Redis, adding, deleting and trimming entries (and creating the
/// stream) count as changes for WATCH; group bookkeeping does not.
#[test]
fn what_watch_sees() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut other = Wire::open(&server);
    fill(&mut w, "s", &["1-0", "2-0"]);
    let quiet: [&[&str]; 8] = [
        &["XGROUP", "CREATE", "s", "g", "0"],
        &["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"],
        &["XACK", "s", "g", "1-0"],
        &["XCLAIM", "s", "g", "d", "0", "1-0", "FORCE"],
        &["XGROUP", "SETID", "s", "g", "0"],
        &["XGROUP", "CREATECONSUMER", "s", "g", "e"],
        &["XSETID", "s", "9-0"],
        &["XGROUP", "DESTROY", "s", "g"],
    ];
    for args in quiet {
        w.is(&["WATCH", "s"], OK);
        other.call(args);
        w.is(&["MULTI"], OK);
        w.is(&["PING"], "+QUEUED\r\n");
        w.is(&["EXEC"], "*1\r\n+PONG\r\n");
    }
    let changes: [&[&str]; 4] = [
        &["XADD", "s", "10-0", "f", "v"],
        &["XDEL", "s", "10-0"],
        &["XTRIM", "s", "MAXLEN", "0"],
        &["XGROUP", "CREATE", "new", "g", "$", "MKSTREAM"],
    ];
    for args in changes {
        w.is(&["WATCH", "s", "new"], OK);
        other.call(args);
        w.is(&["MULTI"], OK);
        w.is(&["PING"], "+QUEUED\r\n");
        w.is(&["EXEC"], NIL_ARRAY);
    }
}
