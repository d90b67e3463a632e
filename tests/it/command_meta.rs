//! `COMMAND` metadata against the reference: every command the server
//! under test lists is asked of it and of a `redis-server` started beside
//! it (`Server::start_reference`), and the answers must agree: `COMMAND
//! INFO` and `COMMAND DOCS` byte for byte (containers: the same fields,
//! and each subcommand byte for byte), `COMMAND GETKEYS` and
//! `GETKEYSANDFLAGS` over many calls, `COMMAND LIST FILTERBY`.
//! A command added without its metadata fails here.
//!
//! Under `EFIS_TEST_SERVER=redis` both servers are Redis, which checks
//! that the comparisons themselves hold.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::wire::{encode, parse, show, Reply, Wire};
use crate::common::{read_reply, send, Server};

/// What Efis has that Redis 7.0 does not: the seed's aliases, and two
/// `CLIENT` subcommands of Redis 7.2 that client libraries send.
const EXTENSIONS: &[&str] = &["delete", "increment", "decrement", "client|setinfo", "client|no-touch"];

/// The full names (`get`, `config|get`) a server lists.
fn listed(wire: &mut Wire) -> Vec<String> {
    let names = wire.value(&["COMMAND", "LIST"]).into_bulks().expect("COMMAND LIST answers names");
    names.into_iter().map(|n| String::from_utf8(n).unwrap()).filter(|n| !EXTENSIONS.contains(&n.as_str())).collect()
}

fn both() -> Option<(Server, Server)> {
    let reference = Server::start_reference()?;
    Some((Server::start(), reference))
}

/// `COMMAND INFO` of a container, its subcommands (element 9) by name.
fn split_container(reply: Reply) -> (Vec<Reply>, BTreeMap<String, Reply>) {
    let Reply::Array(mut entries) = reply else { panic!("not an array") };
    let Some(Reply::Array(mut fields)) = entries.pop() else { panic!("no entry") };
    let Some(Reply::Array(subs)) = fields.pop() else { panic!("no subcommands") };
    let subs = subs
        .into_iter()
        .map(|sub| (String::from_utf8(sub.items()[0].bytes().to_vec()).unwrap(), sub))
        .filter(|(name, _)| !EXTENSIONS.contains(&name.as_str()))
        .collect();
    (fields, subs)
}

#[test]
fn command_info_matches_redis_for_every_command() {
    let Some((server, reference)) = both() else { return };
    for resp3 in [false, true] {
        let open = |s: &Server| if resp3 { Wire::open_resp3(s) } else { Wire::open(s) };
        let (mut ours, mut theirs) = (open(&server), open(&reference));
        let names = listed(&mut ours);
        assert!(names.len() > 150, "only {} commands listed", names.len());
        let mut misses = Vec::new();
        for name in &names {
            let query = ["COMMAND", "INFO", name.as_str()];
            let (got, want) = (ours.call(&query), theirs.call(&query));
            if got == want {
                continue;
            }
            let (got_fields, got_subs) = split_container(parse(&got));
            let (want_fields, want_subs) = split_container(parse(&want));
            let stray: Vec<&String> = got_subs.keys().filter(|n| !want_subs.contains_key(*n)).collect();
            // Subcommands Efis lacks are left out; each one it has is
            // compared on its own, byte for byte, below.
            if got_fields != want_fields || !stray.is_empty() || got_subs.is_empty() {
                misses.push(format!(
                    "COMMAND INFO {name} (resp3: {resp3}):\n got {}\nwant {}",
                    show(&got),
                    show(&want)
                ));
            }
        }
        assert!(misses.is_empty(), "{} commands differ:\n{}", misses.len(), misses.join("\n"));
    }
}

#[test]
fn command_info_shapes_match_redis() {
    let Some((server, reference)) = both() else { return };
    let queries: &[&[&str]] = &[
        &["COMMAND", "INFO", "nosuch"],
        &["COMMAND", "INFO", "get", "nosuch", "GET", "Config|Get"],
        &["COMMAND", "INFO", "config|nosuch"],
        &["COMMAND", "INFO", "get|x"],
        &["COMMAND", "INFO", "config|get|x"],
        &["COMMAND", "INFO", "|"],
        &["COMMAND", "INFO", ""],
        &["COMMAND", "DOCS", "nosuch"],
        &["COMMAND", "DOCS", "nosuch", "config|nosuch"],
        &["COMMAND", "GETKEYS"],
        &["COMMAND", "COUNT", "x"],
        &["COMMAND", "LIST", "FILTERBY"],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN"],
        &["COMMAND", "LIST", "FILTERBY", "NOSUCH", "x"],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "x", "y"],
        &["COMMAND", "LIST", "x"],
        &["COMMAND", "LIST", "FILTERBY", "MODULE", "nosuch"],
        &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"],
        &["COMMAND", "HELP"],
        &["COMMAND", "HELP", "x"],
        &["COMMAND", "NOSUCH"],
        &["CONFIG"],
        &["CONFIG", "GET"],
        &["CONFIG", "SET", "maxclients"],
        &["CONFIG", "RESETSTAT", "x"],
        &["OBJECT", "ENCODING"],
        &["SLOWLOG", "LEN", "x"],
        &["CLIENT", "ID", "x"],
        &["SCRIPT", "EXISTS"],
        &["PUBSUB", "NUMPAT", "x"],
        &["FUNCTION", "STATS", "x"],
        &["CONFIG", "NOSUCH"],
        &["client", "nosuch", "x"],
        &["OBJECT", "nosuch\r\nx"],
        &["SLOWLOG", ""],
    ];
    for resp3 in [false, true] {
        let open = |s: &Server| if resp3 { Wire::open_resp3(s) } else { Wire::open(s) };
        let (mut ours, mut theirs) = (open(&server), open(&reference));
        for query in queries {
            let want = theirs.call(query);
            ours.is(query, want);
        }
    }
}

/// `COMMAND COUNT` counts the top-level commands, as plain `COMMAND` and
/// `COMMAND INFO` list them.
#[test]
fn command_count_is_the_number_of_commands() {
    let server = Server::start();
    let mut wire = Wire::open(&server);
    let count = wire.int(&["COMMAND", "COUNT"]);
    let all = wire.value(&["COMMAND", "LIST"]).into_bulks().unwrap();
    let top = all.iter().filter(|n| !n.contains(&b'|')).count();
    wire.check(count as usize == top, format!("COUNT {count}, LIST has {top} commands"));
    let plain = wire_len(&mut wire, &["COMMAND"]);
    wire.check(plain == top, format!("COMMAND lists {plain} commands of {top}"));
    let info = wire_len(&mut wire, &["COMMAND", "INFO"]);
    wire.check(info == top, format!("COMMAND INFO lists {info} commands of {top}"));
    let subs = all.iter().filter(|n| n.starts_with(b"config|")).count();
    wire.check(subs >= 4, format!("CONFIG has {subs} subcommands listed"));
}

fn wire_len(wire: &mut Wire, args: &[&str]) -> usize {
    wire.value(args).items().len()
}

/// One `COMMAND DOCS` entry's fields, its subcommands (by name) apart.
fn split_docs(reply: Reply) -> (Vec<(Reply, Reply)>, BTreeMap<String, Reply>) {
    let Reply::Map(mut entries) = reply else { panic!("not a map") };
    let Some((_, Reply::Map(fields))) = entries.pop() else { panic!("no entry") };
    let mut subs = BTreeMap::new();
    let mut rest = Vec::new();
    for (key, value) in fields {
        match (key.bytes(), value) {
            (b"subcommands", Reply::Map(list)) => {
                for (name, docs) in list {
                    let name = String::from_utf8(name.bytes().to_vec()).unwrap();
                    if !EXTENSIONS.contains(&name.as_str()) {
                        subs.insert(name, docs);
                    }
                }
            }
            (_, value) => rest.push((key, value)),
        }
    }
    (rest, subs)
}

#[test]
fn command_docs_match_redis_for_every_command() {
    let Some((server, reference)) = both() else { return };
    for resp3 in [false, true] {
        let open = |s: &Server| if resp3 { Wire::open_resp3(s) } else { Wire::open(s) };
        let (mut ours, mut theirs) = (open(&server), open(&reference));
        let mut misses = Vec::new();
        let names = listed(&mut ours);
        for name in &names {
            let query = ["COMMAND", "DOCS", name.as_str()];
            let (got, want) = (ours.call(&query), theirs.call(&query));
            let container = names.iter().any(|n| n.starts_with(&format!("{name}|")));
            if got == want || (container && !resp3) {
                continue;
            }
            if !container {
                misses.push(format!(
                    "COMMAND DOCS {name} (resp3: {resp3}):\n got {}\nwant {}",
                    show(&got),
                    show(&want)
                ));
                continue;
            }
            // A container: the same fields, and the subcommands Efis has
            // (each also compared on its own, byte for byte).
            let (got_fields, got_subs) = split_docs(parse(&got));
            let (want_fields, want_subs) = split_docs(parse(&want));
            let stray: Vec<&String> = got_subs.keys().filter(|n| !want_subs.contains_key(*n)).collect();
            if got_fields != want_fields || !stray.is_empty() || got_subs.is_empty() {
                misses.push(format!("COMMAND DOCS {name}:\n got {}\nwant {}", show(&got), show(&want)));
            }
        }
        assert!(misses.is_empty(), "{} commands differ:\n{}", misses.len(), misses.join("\n"));
    }
}

#[test]
fn command_getkeys_matches_redis() {
    let Some((server, reference)) = both() else { return };
    let calls: &[&[&str]] = &[
        &["get", "a"],
        &["get"],
        &["get", "a", "b"],
        &["set", "a", "b"],
        &["set", "a", "b", "GET"],
        &["getex", "a", "PERSIST"],
        &["mset", "a", "1", "b", "2"],
        &["mset", "a", "1", "b"],
        &["msetnx", "a", "1", "b", "2"],
        &["mget", "a", "b", "c"],
        &["del", "a", "b"],
        &["unlink", "a"],
        &["exists", "a", "a"],
        &["rename", "a", "b"],
        &["copy", "a", "b", "DB", "1"],
        &["move", "a", "1"],
        &["lmove", "a", "b", "LEFT", "RIGHT"],
        &["blmove", "a", "b", "LEFT", "RIGHT", "0"],
        &["rpoplpush", "a", "b"],
        &["brpoplpush", "a", "b", "0"],
        &["blpop", "a", "b", "0"],
        &["bzpopmin", "a", "b", "0"],
        &["lmpop", "2", "a", "b", "LEFT"],
        &["lmpop", "0", "LEFT"],
        &["lmpop", "3", "a", "LEFT"],
        &["lmpop", "x", "a", "LEFT"],
        &["blmpop", "0", "2", "a", "b", "LEFT", "COUNT", "2"],
        &["zmpop", "1", "a", "MIN"],
        &["smove", "a", "b", "m"],
        &["sinterstore", "d", "a", "b"],
        &["sunion", "a", "b"],
        &["sintercard", "2", "a", "b", "LIMIT", "1"],
        &["sintercard", "-1", "a"],
        &["zintercard", "2", "a", "b"],
        &["zunionstore", "t", "3", "a", "b", "c"],
        &["zunionstore", "t", "3", "a", "b", "c", "WEIGHTS", "1", "2", "3"],
        &["zunionstore", "t", "0", "a"],
        &["zunionstore", "t", "5", "a"],
        &["zunionstore", "t", "abc", "a"],
        &["zinterstore", "t", "2", "a", "b", "AGGREGATE", "MAX"],
        &["zdiffstore", "t", "1", "a"],
        &["zunion", "2", "a", "b", "WITHSCORES"],
        &["zinter", "1", "a"],
        &["zdiff", "2", "a", "b"],
        &["zrangestore", "d", "s", "0", "-1"],
        &["eval", "return 1", "2", "a", "b", "c"],
        &["eval", "return 1", "0"],
        &["eval", "return 1", "0", "x"],
        &["eval", "return 1", "3", "a"],
        &["evalsha", "abc", "1", "a"],
        &["eval_ro", "return 1", "1", "a"],
        &["evalsha_ro", "abc", "0"],
        &["fcall", "f", "2", "a", "b", "x"],
        &["fcall_ro", "f", "0"],
        // Counts Redis's key specs refuse but its key finders read with
        // atoi.
        &["zunionstore", "t", "1abc", "a", "b"],
        &["zunionstore", "t", " 2", "a", "b"],
        &["zunionstore", "t", "+1", "a"],
        &["zunionstore", "t", "-1", "a", "b"],
        &["zunionstore", "t", "01", "a"],
        &["zunion", "2x", "a", "b"],
        &["eval", "return 1", "1abc", "a", "b"],
        &["eval", "return 1", "2", "a"],
        &["eval", "return 1", "0abc", "a"],
        &["fcall", "f", "+2", "a", "b"],
        &["lmpop", "1x", "a", "LEFT"],
        &["blmpop", "0", "1z", "a", "LEFT"],
        &["sintercard", "9999999999999999999999", "a"],
        &["zintercard", "4294967297", "a"],
        &["watch", "a", "b"],
        &["object", "encoding", "k"],
        &["object", "help"],
        &["object", "nosuch", "k"],
        &["config", "get", "x"],
        &["ping"],
        &["nosuch", "a"],
        &["hset", "h", "f", "v"],
        &["expire", "a", "10"],
        &["touch", "a", "b"],
        &["pubsub", "numsub", "c"],
        &["publish", "c", "m"],
        // BITFIELD reads its key only while every operation is a whole
        // GET or OVERFLOW.
        &["bitfield", "k"],
        &["bitfield", "k", "GET", "u8", "0"],
        &["bitfield", "k", "get", "i8", "#1", "OVERFLOW", "WRAP", "GET", "u4", "2"],
        &["bitfield", "k", "overflow", "nosuch", "get", "u8", "0"],
        &["bitfield", "k", "GET", "u8"],
        &["bitfield", "k", "GET", "u8", "0", "GET"],
        &["bitfield", "k", "OVERFLOW"],
        &["bitfield", "k", "SET", "u8", "0", "1"],
        &["bitfield", "k", "GET", "u8", "0", "INCRBY", "u8", "0", "1"],
        &["bitfield", "k", "GET", "u8", "0", "SET", "u8"],
        &["bitfield", "k", "nosuch"],
        &["bitfield_ro", "k", "GET", "u8", "0"],
        &["bitop", "AND", "d", "a", "b", "c"],
        &["bitop", "NOT", "d", "a"],
        &["setbit", "k", "7", "1"],
        &["pfcount", "a", "b"],
        &["pfmerge", "d", "a", "b"],
        &["pfmerge", "d"],
        &["pfdebug", "GETREG", "k"],
        // SORT's destination is found by Redis's own finder: the last
        // STORE with an argument after it, skipping LIMIT's, BY's and
        // GET's arguments.
        &["sort", "k"],
        &["sort", "k", "STORE", "d"],
        &["sort", "k", "store"],
        &["sort", "k", "STORE", "d", "store", "e"],
        &["sort", "k", "LIMIT", "store", "d", "STORE", "e"],
        &["sort", "k", "LIMIT", "0", "1", "STORE", "e"],
        &["sort", "k", "GET", "store", "d"],
        &["sort", "k", "BY", "store", "ALPHA"],
        &["sort", "k", "store", "store", "x"],
        &["sort", "k", "nosuch", "STORE", "d", "DESC"],
        &["sort_ro", "k", "STORE", "d"],
        &["sort_ro", "k", "BY", "w_*", "GET", "#"],
        // GEORADIUS and GEORADIUSBYMEMBER: STORE and STOREDIST after the
        // fixed arguments.
        &["georadius", "k", "1", "2", "3", "m", "STORE", "d"],
        &["georadius", "k", "1", "2", "3", "m", "WITHDIST", "storedist", "d"],
        &["georadius", "k", "1", "2", "3", "m", "STORE", "d", "STOREDIST", "e"],
        &["georadius", "k", "1", "2", "3", "m", "STORE"],
        &["georadius", "k", "1", "2", "store", "m", "x"],
        &["georadius_ro", "k", "1", "2", "3", "m", "STORE", "d"],
        &["georadiusbymember", "k", "m", "3", "km", "STORE", "d"],
        &["georadiusbymember", "k", "m", "3", "store", "d"],
        &["georadiusbymember_ro", "k", "m", "3", "km"],
        &["geosearchstore", "d", "s", "FROMMEMBER", "m", "BYRADIUS", "1", "m"],
        &["geoadd", "k", "1", "2", "m"],
        &["lcs", "a", "b", "IDX"],
        &["bzmpop", "0", "2", "a", "b", "MIN", "COUNT", "3"],
        &["bzmpop", "0", "3", "a", "b", "MIN"],
        // Shard channels are not keys.
        &["spublish", "c", "m"],
        &["ssubscribe", "a", "b"],
        &["sunsubscribe"],
    ];
    let (mut ours, mut theirs) = (Wire::open_resp3(&server), Wire::open_resp3(&reference));
    for call in calls {
        for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
            let mut query = vec!["COMMAND", sub];
            query.extend_from_slice(call);
            let want = theirs.call(&query);
            ours.is(&query, want);
        }
    }
}

/// Every command (and subcommand) with argument lists of many shapes:
/// key counts, too few and too many arguments.
#[test]
fn command_getkeys_matches_redis_for_every_command() {
    let Some((server, reference)) = both() else { return };
    let (mut ours, mut theirs) = (Wire::open_resp3(&server), Wire::open_resp3(&reference));
    let shapes: &[&[&str]] = &[
        &[],
        &["k1"],
        &["k1", "k2"],
        &["k1", "k2", "k3"],
        &["k1", "2", "k2", "k3"],
        &["2", "k1", "k2", "x"],
        &["0", "2", "k1", "k2", "LEFT"],
        &["1", "k1"],
        &["0"],
        &["k1", "0", "k2"],
        &["k1", "k2", "k3", "k4", "k5", "k6", "k7"],
    ];
    for name in listed(&mut ours) {
        let words: Vec<&str> = name.split('|').collect();
        for shape in shapes {
            for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
                let mut query = vec!["COMMAND", sub];
                query.extend_from_slice(&words);
                query.extend_from_slice(shape);
                let want = theirs.call(&query);
                ours.is(&query, want);
            }
        }
    }
}

#[test]
fn command_list_filterby_matches_redis() {
    let Some((server, reference)) = both() else { return };
    let (mut ours, mut theirs) = (Wire::open(&server), Wire::open(&reference));
    let have: BTreeSet<String> = listed(&mut ours).into_iter().collect();
    let mut filters: Vec<[&str; 2]> = vec![
        ["PATTERN", "z*"],
        ["PATTERN", "*|*"],
        ["PATTERN", "CONFIG*"],
        ["PATTERN", "[a-c]*"],
        ["PATTERN", "client|?e*"],
        ["PATTERN", "nosuch"],
        ["MODULE", "nosuch"],
        ["ACLCAT", "nosuch"],
        ["ACLCAT", "SortedSet"],
    ];
    let categories = [
        "keyspace",
        "read",
        "write",
        "set",
        "sortedset",
        "list",
        "hash",
        "string",
        "pubsub",
        "admin",
        "fast",
        "slow",
        "blocking",
        "dangerous",
        "connection",
        "transaction",
        "scripting",
    ];
    filters.extend(categories.iter().map(|c| ["ACLCAT", *c]));
    let mut misses = Vec::new();
    for [kind, value] in filters {
        let query = ["COMMAND", "LIST", "FILTERBY", kind, value];
        let names = |wire: &mut Wire| -> BTreeSet<String> {
            let reply = wire.value(&query).into_bulks().expect("names");
            reply.into_iter().map(|n| String::from_utf8(n).unwrap()).collect()
        };
        let got: BTreeSet<String> =
            names(&mut ours).into_iter().filter(|n| !EXTENSIONS.contains(&n.as_str())).collect();
        let want: BTreeSet<String> = names(&mut theirs).into_iter().filter(|n| have.contains(n)).collect();
        if got != want {
            let extra: Vec<&String> = got.difference(&want).collect();
            let lacking: Vec<&String> = want.difference(&got).collect();
            misses.push(format!("{kind} {value}: extra {extra:?}, lacking {lacking:?}"));
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

/// The subcommand's entry decides: its arity (`config|get`), and whether
/// `MONITOR` shows it (not the `admin` ones, as in Redis).
#[test]
fn subcommands_are_checked_and_shown_by_their_own_entry() {
    let server = Server::start();
    let mut wire = Wire::open(&server);
    wire.is(&["CONFIG", "GET"], "-ERR wrong number of arguments for 'config|get' command\r\n");
    wire.is(&["config", "resetstat", "x"], "-ERR wrong number of arguments for 'config|resetstat' command\r\n");
    wire.is(&["OBJECT", "ENCODING"], "-ERR wrong number of arguments for 'object|encoding' command\r\n");
    wire.is(&["CONFIG"], "-ERR wrong number of arguments for 'config' command\r\n");
    let mut monitor = server.raw();
    send(&mut monitor, &encode(&["MONITOR"]));
    assert_eq!(read_reply(&mut monitor), b"+OK\r\n");
    for call in [&["CONFIG", "GET", "maxclients"][..], &["CLIENT", "ID"], &["SLOWLOG", "LEN"], &["ECHO", "end"]] {
        wire.call(call);
    }
    let mut shown = Vec::new();
    loop {
        let Reply::Simple(line) = parse(&read_reply(&mut monitor)) else { panic!("MONITOR sent something else") };
        let args = line.split_once("] ").map(|(_, rest)| rest.to_string()).unwrap_or_default();
        let end = args == "\"ECHO\" \"end\"";
        shown.push(args);
        if end {
            break;
        }
    }
    assert_eq!(shown, ["\"CLIENT\" \"ID\"", "\"ECHO\" \"end\""]);
}

/// `EXEC` (`skip_slowlog`) is left out of the slow log; the commands it
/// runs are not.
#[test]
fn slow_log_skips_what_redis_skips() {
    let server = Server::start();
    let mut wire = Wire::open(&server);
    wire.is(&["CONFIG", "SET", "slowlog-log-slower-than", "0"], "+OK\r\n");
    wire.is(&["SLOWLOG", "RESET"], "+OK\r\n");
    for call in [&["MULTI"][..], &["SET", "a", "1"], &["EXEC"], &["EVAL", "return 1", "0"], &["CONFIG", "GET", "x"]] {
        wire.call(call);
    }
    let entries = wire.value(&["SLOWLOG", "GET", "-1"]);
    let names: Vec<String> = entries
        .items()
        .iter()
        .map(|entry| String::from_utf8(entry.items()[3].items()[0].bytes().to_vec()).unwrap())
        .collect();
    assert_eq!(names, ["CONFIG", "EVAL", "SET", "MULTI", "SLOWLOG"]);
}

/// A script's call is checked against the subcommand's entry too: an
/// unknown subcommand is an unknown command, arity and `noscript` are the
/// subcommand's.
#[test]
fn scripts_check_subcommands_by_their_entry() {
    let Some((server, reference)) = both() else { return };
    let (mut ours, mut theirs) = (Wire::open(&server), Wire::open(&reference));
    for call in [
        "redis.pcall('config', 'nosuch')",
        "redis.pcall('config')",
        "redis.pcall('config', 'get')",
        "redis.pcall('config', 'resetstat')",
        "redis.pcall('client', 'id')",
        "redis.pcall('object', 'encoding', 'nokey')",
        "redis.pcall('object', 'help')[1]",
        "redis.pcall('pubsub', 'numpat')",
        "redis.pcall('script', 'help')[1]",
    ] {
        let query = ["EVAL", &format!("return {call}"), "0"];
        let want = theirs.call(&query);
        ours.is(&query, want);
    }
}

/// An unknown subcommand is refused before anything else is checked:
/// before `AUTH`, and at queueing time in a transaction.
#[test]
fn unknown_subcommands_are_refused_first() {
    let Some(reference) = Server::start_reference() else { return };
    let server = Server::start_with(&[("REQUIREPASS", "pw")]);
    let mut theirs = Wire::open(&reference);
    theirs.is(&["CONFIG", "SET", "requirepass", "pw"], "+OK\r\n");
    let mut theirs = Wire::open(&reference);
    let mut ours = Wire::open(&server);
    let calls: &[&[&str]] = &[
        &["CONFIG", "NOSUCH"],
        &["CONFIG", "GET", "x"],
        &["AUTH", "pw"],
        &["MULTI"],
        &["CLIENT", "NOSUCH"],
        &["CLIENT", "ID", "x"],
        &["EXEC"],
    ];
    for call in calls {
        let want = theirs.call(call);
        ours.is(call, want);
    }
}
