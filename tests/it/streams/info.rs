//! XINFO STREAM (plain and FULL), GROUPS, CONSUMERS and HELP, with the
//! group read counters (`entries-read`, `lag`) as Redis 7.0 keeps them
//! through reads, deletions and SETID.

use crate::common::wire::{arity, bulk, int, parse, Reply, Wire, OK, WRONGTYPE};
use crate::common::Server;

/// A map-shaped reply (RESP2: a flat array) as `(name, value)` pairs.
fn fields(reply: &Reply) -> Vec<(String, Reply)> {
    let items: Vec<Reply> = match reply {
        Reply::Map(pairs) => pairs.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect(),
        other => other.items().to_vec(),
    };
    items.chunks(2).map(|pair| (String::from_utf8_lossy(pair[0].bytes()).into_owned(), pair[1].clone())).collect()
}

fn field(reply: &Reply, name: &str) -> Reply {
    fields(reply)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in {reply:?}"))
}

/// `(entries-read, lag)` of group `g` on `s`, `None` for a null.
fn counters(server: &Server) -> (Option<i64>, Option<i64>) {
    let reply = parse(&Wire::open(server).call(&["XINFO", "GROUPS", "s"]));
    let group = &reply.items()[0];
    let number = |r: Reply| match r {
        Reply::Int(n) => Some(n),
        _ => None,
    };
    (number(field(group, "entries-read")), number(field(group, "lag")))
}

#[test]
fn xinfo_stream() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    for id in ["1-0", "2-0", "3-0"] {
        w.is(&["XADD", "s", id, "f", id], bulk(id));
    }
    w.is(&["XDEL", "s", "2-0"], int(1));
    let info = parse(&w.call(&["XINFO", "STREAM", "s"]));
    let names: Vec<String> = fields(&info).into_iter().map(|(n, _)| n).collect();
    w.check(
        names
            == [
                "length",
                "radix-tree-keys",
                "radix-tree-nodes",
                "last-generated-id",
                "max-deleted-entry-id",
                "entries-added",
                "recorded-first-entry-id",
                "groups",
                "first-entry",
                "last-entry",
            ],
        format!("{names:?}"),
    );
    w.check(field(&info, "length") == Reply::Int(2), "length");
    w.check(field(&info, "last-generated-id") == Reply::Bulk(b"3-0".to_vec()), "last id");
    w.check(field(&info, "max-deleted-entry-id") == Reply::Bulk(b"2-0".to_vec()), "max deleted");
    w.check(field(&info, "entries-added") == Reply::Int(3), "entries added");
    w.check(field(&info, "recorded-first-entry-id") == Reply::Bulk(b"1-0".to_vec()), "first id");
    w.check(field(&info, "groups") == Reply::Int(0), "groups");
    w.check(field(&info, "first-entry").items()[0] == Reply::Bulk(b"1-0".to_vec()), "first entry");
    w.check(field(&info, "last-entry").items()[0] == Reply::Bulk(b"3-0".to_vec()), "last entry");
    // FULL: entries (COUNT of them), groups with their pending lists.
    w.is(&["XGROUP", "CREATE", "s", "g", "0"], OK);
    w.call(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]);
    let full = parse(&w.call(&["XINFO", "STREAM", "s", "FULL", "COUNT", "1"]));
    w.check(field(&full, "entries").items().len() == 1, "COUNT 1");
    let groups = field(&full, "groups");
    let group = &groups.items()[0];
    let group_names: Vec<String> = fields(group).into_iter().map(|(n, _)| n).collect();
    w.check(
        group_names == ["name", "last-delivered-id", "entries-read", "lag", "pel-count", "pending", "consumers"],
        format!("{group_names:?}"),
    );
    w.check(field(group, "pel-count") == Reply::Int(2), "pel-count");
    w.check(field(group, "pending").items().len() == 1, "pending cut to COUNT");
    let consumers = field(group, "consumers");
    let consumer = &consumers.items()[0];
    let consumer_names: Vec<String> = fields(consumer).into_iter().map(|(n, _)| n).collect();
    w.check(consumer_names == ["name", "seen-time", "pel-count", "pending"], format!("{consumer_names:?}"));
    let full = parse(&w.call(&["XINFO", "STREAM", "s", "FULL"]));
    w.check(field(&full, "entries").items().len() == 2, "default COUNT");
    // An empty stream has no first or last entry.
    w.is(&["XTRIM", "s", "MAXLEN", "0"], int(2));
    let info = parse(&w.call(&["XINFO", "STREAM", "s"]));
    w.check(field(&info, "first-entry") == Reply::Nil && field(&info, "last-entry") == Reply::Nil, "empty");
    w.check(field(&info, "recorded-first-entry-id") == Reply::Bulk(b"0-0".to_vec()), "empty first id");
    let syntax = "-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.\r\n";
    w.is(&["XINFO", "STREAM", "s", "FOO"], syntax);
    w.is(&["XINFO", "STREAM", "s", "FULL", "COUNT"], syntax);
    w.is(&["XINFO", "STREAM", "s", "FULL", "LIMIT", "1"], syntax);
    w.is(&["XINFO", "STREAM", "missing"], "-ERR no such key\r\n");
    w.is(&["XINFO", "FOO", "s"], "-ERR unknown subcommand 'FOO'. Try XINFO HELP.\r\n");
    w.is(&["XINFO", "GROUPS"], "-ERR wrong number of arguments for 'xinfo|groups' command\r\n");
    w.is(&["XINFO"], arity("xinfo"));
    let help = parse(&w.call(&["XINFO", "HELP"]));
    w.check(
        help.items().len() == 9 && help.items()[8] == Reply::Simple("    Prints this help.".into()),
        format!("{help:?}"),
    );
    w.is(&["SET", "str", "x"], OK);
    w.is(&["XINFO", "STREAM", "str"], WRONGTYPE);
}

#[test]
fn xinfo_groups_consumers_and_read_counters() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    for id in ["1-0", "2-0", "3-0", "4-0", "5-0"] {
        w.is(&["XADD", "s", id, "f", "v"], bulk(id));
    }
    w.is(&["XGROUP", "CREATE", "s", "g", "0"], OK);
    w.check(counters(&server) == (None, Some(5)), "a new group at 0-0");
    w.call(&["XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", ">"]);
    w.check(counters(&server) == (Some(2), Some(3)), "after reading two");
    // A deletion after the group's position makes the lag unknown...
    w.is(&["XDEL", "s", "4-0"], int(1));
    w.check(counters(&server) == (Some(2), None), "tombstone ahead");
    // ...until the group reads past it.
    w.call(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]);
    w.check(counters(&server) == (Some(5), Some(0)), "read to the end");
    w.is(&["XGROUP", "SETID", "s", "g", "0"], OK);
    w.check(counters(&server) == (None, None), "SETID without ENTRIESREAD");
    w.is(&["XGROUP", "SETID", "s", "g", "$"], OK);
    w.check(counters(&server) == (None, Some(0)), "SETID to the last ID");
    w.is(&["XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "0"], OK);
    w.check(counters(&server) == (Some(0), None), "SETID with ENTRIESREAD and tombstones");
    w.is(&["XGROUP", "CREATE", "s", "h", "$"], OK);
    w.is(&["XGROUP", "CREATECONSUMER", "s", "h", "zed"], int(1));
    w.is(&["XGROUP", "CREATECONSUMER", "s", "h", "amy"], int(1));
    let groups = parse(&w.call(&["XINFO", "GROUPS", "s"]));
    w.check(
        groups.items().len() == 2 && field(&groups.items()[1], "consumers") == Reply::Int(2),
        format!("{groups:?}"),
    );
    let consumers = parse(&w.call(&["XINFO", "CONSUMERS", "s", "h"]));
    let names: Vec<Reply> = consumers.items().iter().map(|c| field(c, "name")).collect();
    w.check(
        names == [Reply::Bulk(b"amy".to_vec()), Reply::Bulk(b"zed".to_vec())],
        format!("sorted by name: {names:?}"),
    );
    w.check(matches!(field(&consumers.items()[0], "idle"), Reply::Int(ms) if (0..60_000).contains(&ms)), "idle");
    let consumers = parse(&w.call(&["XINFO", "CONSUMERS", "s", "g"]));
    w.check(field(&consumers.items()[0], "pending") == Reply::Int(4), "pending of c");
    w.is(&["XINFO", "CONSUMERS", "s", "nog"], "-NOGROUP No such consumer group 'nog' for key name 's'\r\n");
    w.is(&["XINFO", "CONSUMERS", "missing", "g"], "-ERR no such key\r\n");
    w.is(&["XINFO", "GROUPS", "missing"], "-ERR no such key\r\n");
    // A never-written stream has lag 0.
    w.is(&["XGROUP", "CREATE", "e", "g", "$", "MKSTREAM"], OK);
    let groups = parse(&w.call(&["XINFO", "GROUPS", "e"]));
    w.check(field(&groups.items()[0], "lag") == Reply::Int(0), format!("{groups:?}"));
}
