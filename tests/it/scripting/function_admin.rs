//! FUNCTION LIST, STATS, KILL, FLUSH, DUMP and RESTORE, and libraries
//! surviving a restart.

use super::functions::library;
use super::{call, sha1_hex};
use crate::common::wire::{bulk, parse, Reply, Wire, OK};
use crate::common::{is_redis, Server};

/// One function as FUNCTION LIST shows it.
struct Function<'a> {
    name: &'a str,
    description: Option<&'a str>,
    flags: &'a [&'a str],
}

fn blob(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

/// The exact FUNCTION LIST entry of one library, in RESP2 or RESP3.
fn entry(resp3: bool, lib: &str, functions: &[Function], code: Option<&str>) -> String {
    let (map, null, set) = if resp3 { ('%', "_\r\n", '~') } else { ('*', "$-1\r\n", '*') };
    let fields = if code.is_some() { 4 } else { 3 };
    let mut out = if resp3 { format!("%{fields}\r\n") } else { format!("*{}\r\n", fields * 2) };
    out += &format!("{}{}{}{}", blob("library_name"), blob(lib), blob("engine"), blob("LUA"));
    out += &format!("{}*{}\r\n", blob("functions"), functions.len());
    for f in functions {
        out += &if resp3 { format!("{map}3\r\n") } else { format!("{map}6\r\n") };
        out += &format!("{}{}{}", blob("name"), blob(f.name), blob("description"));
        out += &f.description.map(blob).unwrap_or_else(|| null.to_string());
        out += &format!("{}{set}{}\r\n", blob("flags"), f.flags.len());
        for flag in f.flags {
            out += &format!("+{flag}\r\n");
        }
    }
    if let Some(code) = code {
        out += &format!("{}{}", blob("library_code"), blob(code));
    }
    out
}

/// The exact FUNCTION STATS reply with nothing running.
fn idle_stats(resp3: bool, libraries: i64, functions: i64) -> String {
    let counts = format!("{}:{libraries}\r\n{}:{functions}\r\n", blob("libraries_count"), blob("functions_count"));
    if resp3 {
        format!("%2\r\n{}_\r\n{}%1\r\n{}%2\r\n{counts}", blob("running_script"), blob("engines"), blob("LUA"))
    } else {
        format!("*4\r\n{}$-1\r\n{}*2\r\n{}*4\r\n{counts}", blob("running_script"), blob("engines"), blob("LUA"))
    }
}

const FLAGGED: &str = "#!lua name=fl\nredis.register_function{function_name='ff', callback=function() return 1 end, \
    flags={'allow-stale', 'no-writes', 'no-cluster', 'allow-oom', 'allow-cross-slot-keys'}, description='d'}";

#[test]
fn list_and_stats() {
    let s = Server::start();
    for resp3 in [false, true] {
        let mut w = if resp3 { Wire::open_resp3(&s) } else { Wire::open(&s) };
        w.is(&["FUNCTION", "FLUSH"], OK);
        w.is(&["FUNCTION", "LIST"], "*0\r\n");
        w.is(&["FUNCTION", "STATS"], idle_stats(resp3, 0, 0));
        w.is(&["FUNCTION", "LOAD", FLAGGED], bulk("fl"));
        // Flags are listed in Redis's own order, whatever the library said.
        let flags = ["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"];
        let ff = [Function { name: "ff", description: Some("d"), flags: &flags }];
        let listed = format!("*1\r\n{}", entry(resp3, "fl", &ff, None));
        w.is(&["FUNCTION", "LIST"], &listed);
        w.is(&["FUNCTION", "LIST", "LIBRARYNAME", "f*"], &listed);
        w.is(&["FUNCTION", "list", "libraryname", "f?"], &listed);
        w.is(&["FUNCTION", "LIST", "LIBRARYNAME", "zz*"], "*0\r\n");
        let with_code = format!("*1\r\n{}", entry(resp3, "fl", &ff, Some(FLAGGED)));
        w.is(&["FUNCTION", "LIST", "WITHCODE"], &with_code);
        w.is(&["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "fl"], &with_code);
        w.is(&["FUNCTION", "LIST", "LIBRARYNAME", "fl", "WITHCODE"], &with_code);
        w.is(&["FUNCTION", "STATS"], idle_stats(resp3, 1, 1));
        let plain = library("plain", "pf", "return 2");
        w.is(&["FUNCTION", "LOAD", &plain], bulk("plain"));
        let pf = [Function { name: "pf", description: None, flags: &[] }];
        w.is(&["FUNCTION", "LIST", "LIBRARYNAME", "pl*"], format!("*1\r\n{}", entry(resp3, "plain", &pf, None)));
        w.is(&["FUNCTION", "STATS"], idle_stats(resp3, 2, 2));
        // Option errors.
        w.is(&["FUNCTION", "LIST", "LIBRARYNAME"], "-ERR library name argument was not given\r\n");
        w.is(&["FUNCTION", "LIST", "BAD"], "-ERR Unknown argument BAD\r\n");
        w.is(&["FUNCTION", "LIST", "WITHCODE", "WITHCODE"], "-ERR Unknown argument WITHCODE\r\n");
        w.is(&["FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b"], "-ERR Unknown argument LIBRARYNAME\r\n");
        w.is(&["FUNCTION", "LIST", "a", "b", "c"], "-ERR Unknown argument a\r\n");
        w.is(&["FUNCTION", "KILL"], "-NOTBUSY No scripts in execution right now.\r\n");
        w.is(&["FUNCTION", "FOO"], "-ERR unknown subcommand 'FOO'. Try FUNCTION HELP.\r\n");
    }
    // Several libraries and several functions, in no particular order.
    let mut w = Wire::open(&s);
    let two = "#!lua name=two\nredis.register_function('t1', function() return 1 end)\n\
               redis.register_function('t2', function() return 2 end)";
    w.is(&["FUNCTION", "LOAD", two], bulk("two"));
    let list = parse(&w.call(&["FUNCTION", "LIST"]));
    let mut libraries: Vec<(String, Vec<String>)> = list
        .items()
        .iter()
        .map(|lib| {
            let field =
                |name: &str| lib.items().chunks(2).find(|kv| kv[0].bytes() == name.as_bytes()).map(|kv| kv[1].clone());
            let name = String::from_utf8_lossy(field("library_name").expect("library_name").bytes()).into_owned();
            let functions = field("functions").expect("functions");
            let mut names: Vec<String> =
                functions.items().iter().map(|f| String::from_utf8_lossy(f.items()[1].bytes()).into_owned()).collect();
            names.sort();
            (name, names)
        })
        .collect();
    libraries.sort();
    let want: Vec<(String, Vec<String>)> = [("fl", vec!["ff"]), ("plain", vec!["pf"]), ("two", vec!["t1", "t2"])]
        .into_iter()
        .map(|(l, f)| (l.to_string(), f.into_iter().map(String::from).collect()))
        .collect();
    w.check(libraries == want, format!("FUNCTION LIST: {libraries:?}"));
    w.is(&["FUNCTION", "STATS"], idle_stats(false, 3, 4));
    let help = w.call(&["FUNCTION", "HELP"]);
    let first = b"*40\r\n+FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n";
    w.check(help.starts_with(first), format!("FUNCTION HELP: {}", String::from_utf8_lossy(&help)));
}

#[test]
fn flush() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let modes: [&[&str]; 5] = [&[], &["ASYNC"], &["SYNC"], &["async"], &["sync"]];
    for mode in modes {
        w.is(&["FUNCTION", "LOAD", &library("fx", "fx", "return 1")], bulk("fx"));
        let mut flush = vec!["FUNCTION", "FLUSH"];
        flush.extend_from_slice(mode);
        w.is(&flush, OK);
        w.is(&["FUNCTION", "LIST"], "*0\r\n");
        w.is(&["FCALL", "fx", "0"], "-ERR Function not found\r\n");
    }
    w.is(&["FUNCTION", "FLUSH", "BAD"], "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n");
    // Flushing functions leaves the data and the script cache alone.
    w.is(&["SET", "k", "v"], OK);
    w.is(&["SCRIPT", "LOAD", "return 1"], bulk(sha1_hex(b"return 1")));
    w.is(&["FUNCTION", "FLUSH"], OK);
    w.is(&["GET", "k"], bulk("v"));
    w.is(&["SCRIPT", "EXISTS", &sha1_hex(b"return 1")], "*1\r\n:1\r\n");
    // And SCRIPT FLUSH leaves the functions alone.
    w.is(&["FUNCTION", "LOAD", &library("fx", "fx", "return 1")], bulk("fx"));
    w.is(&["SCRIPT", "FLUSH"], OK);
    w.is(&["FCALL", "fx", "0"], ":1\r\n");
}

const LIBA: &str = "#!lua name=liba\nredis.register_function('fa', function() return 'a1' end)";
const LIBA2: &str = "#!lua name=liba\nredis.register_function('fa', function() return 'a2' end)";

/// FUNCTION DUMP of a server holding only [`LIBA`], as Redis 7.0.15
/// writes it: the RDB function opcode, the code as an RDB string, the RDB
/// version (10) and a CRC64 of what comes before.
const LIBA_DUMP: &[u8] =
    b"\xf5@I#!lua name=liba\nredis.register_function('fa', function() return 'a1' end)\n\x00\xf5IGFX7\x9a\xf7";

#[test]
fn dump_and_restore() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    // An empty dump restores to nothing.
    let empty = parse(&w.call(&["FUNCTION", "DUMP"]));
    let Reply::Bulk(empty) = empty else { panic!("FUNCTION DUMP answered {empty:?}") };
    w.is(&[b"FUNCTION".as_slice(), b"RESTORE", &empty], OK);
    w.is(&["FUNCTION", "LIST"], "*0\r\n");
    // The payload is Redis's, byte for byte.
    w.is(&["FUNCTION", "LOAD", LIBA], bulk("liba"));
    w.is(&["FUNCTION", "DUMP"], bulk(LIBA_DUMP));
    let restore = |policy: &[&str]| {
        let mut all = vec![b"FUNCTION".to_vec(), b"RESTORE".to_vec(), LIBA_DUMP.to_vec()];
        all.extend(policy.iter().map(|p| p.as_bytes().to_vec()));
        all
    };
    // APPEND (the default) refuses a library that exists.
    w.is(&restore(&[]), "-ERR Library liba already exists\r\n");
    w.is(&restore(&["APPEND"]), "-ERR Library liba already exists\r\n");
    // REPLACE puts the dumped code back.
    w.is(&["FUNCTION", "LOAD", "REPLACE", LIBA2], bulk("liba"));
    w.is(&["FCALL", "fa", "0"], bulk("a2"));
    w.is(&restore(&["REPLACE"]), OK);
    w.is(&["FCALL", "fa", "0"], bulk("a1"));
    w.is(&restore(&["replace"]), OK);
    // FLUSH drops every library first.
    w.is(&["FUNCTION", "LOAD", &library("other", "of", "return 'o'")], bulk("other"));
    w.is(&restore(&["FLUSH"]), OK);
    w.is(&["FCALL", "of", "0"], "-ERR Function not found\r\n");
    w.is(&["FCALL", "fa", "0"], bulk("a1"));
    // A function name taken by another library stops APPEND and REPLACE.
    w.is(&["FUNCTION", "FLUSH"], OK);
    w.is(&["FUNCTION", "LOAD", &library("libc", "fa", "return 'c'")], bulk("libc"));
    w.is(&restore(&["APPEND"]), "-ERR Function fa already exists\r\n");
    w.is(&restore(&["REPLACE"]), "-ERR Function fa already exists\r\n");
    w.is(&["FCALL", "fa", "0"], bulk("c"));
    // Into an empty server, any policy.
    for policy in ["APPEND", "REPLACE", "FLUSH"] {
        w.is(&["FUNCTION", "FLUSH"], OK);
        w.is(&restore(&[policy]), OK);
        w.is(
            &["FUNCTION", "LIST", "WITHCODE"],
            format!(
                "*1\r\n{}",
                entry(false, "liba", &[Function { name: "fa", description: None, flags: &[] }], Some(LIBA))
            ),
        );
    }
    // Damaged payloads and bad policies.
    const DAMAGED: &str = "-ERR DUMP payload version or checksum are wrong\r\n";
    w.is(&["FUNCTION", "RESTORE", "garbage"], DAMAGED);
    let mut flipped = LIBA_DUMP.to_vec();
    *flipped.last_mut().unwrap() ^= 1;
    w.is(&[b"FUNCTION".as_slice(), b"RESTORE", &flipped], DAMAGED);
    let mut changed = LIBA_DUMP.to_vec();
    changed[40] ^= 1;
    w.is(&[b"FUNCTION".as_slice(), b"RESTORE", &changed], DAMAGED);
    w.is(
        &["FUNCTION", "RESTORE", "garbage", "BAD"],
        "-ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.\r\n",
    );
    // Two libraries round trip.
    w.is(&["FUNCTION", "LOAD", &library("libb", "fb", "return 'b'")], bulk("libb"));
    let both = parse(&w.call(&["FUNCTION", "DUMP"]));
    let Reply::Bulk(both) = both else { panic!("FUNCTION DUMP answered {both:?}") };
    w.is(&["FUNCTION", "FLUSH"], OK);
    w.is(&[b"FUNCTION".as_slice(), b"RESTORE", &both], OK);
    w.is(&["FCALL", "fa", "0"], bulk("a1"));
    w.is(&["FCALL", "fb", "0"], bulk("b"));
    w.is(&["FUNCTION", "STATS"], idle_stats(false, 2, 2));
}

/// Functions are data: they survive a restart, while the script cache
/// does not. Under `EFIS_TEST_SERVER=redis` the suite runs redis-server
/// without persistence, so the first restart follows an explicit `SAVE`;
/// the restarts after a `kill -9` with nothing saved are Efis-only (its
/// log keeps every FUNCTION command).
#[test]
fn functions_survive_a_restart() {
    let mut s = Server::start();
    let listed = {
        let mut w = Wire::open(&s);
        w.is(&["FUNCTION", "LOAD", FLAGGED], bulk("fl"));
        w.is(&["FUNCTION", "LOAD", LIBA], bulk("liba"));
        w.is(&["SCRIPT", "LOAD", "return 1"], bulk(sha1_hex(b"return 1")));
        w.is(&["SAVE"], OK);
        w.call(&["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "fl"])
    };
    s.restart();
    let mut w = Wire::open(&s);
    w.is(&["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "fl"], &listed);
    w.is(&["FCALL_RO", "ff", "0"], ":1\r\n");
    w.is(&["FCALL", "fa", "0"], bulk("a1"));
    w.is(&["SCRIPT", "EXISTS", &sha1_hex(b"return 1")], "*1\r\n:0\r\n");
    w.is(&["FUNCTION", "STATS"], idle_stats(false, 2, 2));
    drop(w);
    if is_redis() {
        return;
    }
    let mut w = after_crash(&mut s, &[args(&["FUNCTION", "LOAD", &library("libb", "fb", "return 'b'")])]);
    w.is(&["FCALL", "fb", "0"], bulk("b"));
    let replace = library("libb", "fb", "return 'b2'");
    let mut w =
        after_crash(&mut s, &[args(&["FUNCTION", "DELETE", "liba"]), args(&["FUNCTION", "LOAD", "REPLACE", &replace])]);
    w.is(&["FCALL", "fa", "0"], "-ERR Function not found\r\n");
    w.is(&["FCALL", "fb", "0"], bulk("b2"));
    w.is(&["FUNCTION", "STATS"], idle_stats(false, 2, 2));
    let restore = vec![b"FUNCTION".to_vec(), b"RESTORE".to_vec(), LIBA_DUMP.to_vec()];
    let mut w = after_crash(&mut s, &[args(&["FUNCTION", "FLUSH"]), restore]);
    w.is(
        &["FUNCTION", "LIST", "WITHCODE"],
        format!(
            "*1\r\n{}",
            entry(false, "liba", &[Function { name: "fa", description: None, flags: &[] }], Some(LIBA))
        ),
    );
    let mut w = after_crash(&mut s, &[args(&["FUNCTION", "FLUSH"])]);
    w.is(&["FUNCTION", "LIST"], "*0\r\n");
    w.is(&call("FCALL", "fa", &[], &[]), "-ERR Function not found\r\n");
}

/// Command arguments as bytes.
fn args(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// Runs `commands` (each must succeed), kills the server with SIGKILL,
/// starts it again on the same data and returns a new connection.
fn after_crash(s: &mut Server, commands: &[Vec<Vec<u8>>]) -> Wire {
    let mut w = Wire::open(s);
    for command in commands {
        let reply = w.call(command);
        w.check(!reply.starts_with(b"-"), format!("{:?} failed: {}", command.first(), String::from_utf8_lossy(&reply)));
    }
    drop(w);
    s.crash_restart();
    Wire::open(s)
}
