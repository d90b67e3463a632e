//! Introspection commands tools call: `LATENCY` (the monitor's events
//! fed by `latency-monitor-threshold`, and the per-command histograms),
//! `DEBUG`'s subcommands that test suites use, and `LOLWUT`.
//!
//! Every expectation is Redis 7.0.15's reply; timings are only checked
//! against bounds the sleeps guarantee.

use crate::common::wire::{arity, bulk, parse, show, Reply, Wire, OK};
use crate::common::Server;

fn ints(reply: &Reply) -> Vec<i64> {
    reply
        .items()
        .iter()
        .map(|item| match item {
            Reply::Int(n) => *n,
            other => panic!("not an integer: {other:?}"),
        })
        .collect()
}

#[test]
fn latency_monitor_samples_slow_commands() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["CONFIG", "GET", "latency-monitor-threshold"], "*2\r\n$25\r\nlatency-monitor-threshold\r\n$1\r\n0\r\n");
    // Off by default: a slow command leaves nothing.
    w.is(&["DEBUG", "SLEEP", "0.06"], OK);
    w.is(&["LATENCY", "LATEST"], "*0\r\n");
    w.is(&["CONFIG", "SET", "latency-monitor-threshold", "50"], OK);
    w.is(&["DEBUG", "SLEEP", "0"], OK);
    w.is(&["LATENCY", "LATEST"], "*0\r\n");
    w.is(&["DEBUG", "SLEEP", "0.12"], OK);
    let latest = w.value(&["LATENCY", "LATEST"]);
    let [event] = latest.items() else { panic!("one event expected: {latest:?}") };
    let fields = event.items();
    assert_eq!(fields.len(), 4, "{event:?}");
    assert_eq!(fields[0], Reply::Bulk(b"command".to_vec()));
    let numbers = ints(&Reply::Array(fields[1..].to_vec()));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now - 5..=now + 1).contains(&numbers[0]), "sample time {}", numbers[0]);
    assert!((120..2000).contains(&numbers[1]) && numbers[2] >= numbers[1], "{numbers:?}");
    let history = w.value(&["LATENCY", "HISTORY", "command"]);
    let [sample] = history.items() else { panic!("one sample expected: {history:?}") };
    assert_eq!(ints(sample), numbers[..2].to_vec());
    w.is(&["LATENCY", "HISTORY", "no-such-event"], "*0\r\n");
    w.is(&["LATENCY", "GRAPH", "no-such-event"], "-ERR No samples available for event 'no-such-event'\r\n");
    let graph = w.call(&["LATENCY", "GRAPH", "command"]);
    let text = String::from_utf8_lossy(&graph).to_string();
    assert!(text.contains("command - high ") && text.contains(" ms (all time high "), "{}", show(&graph));
    let doctor = w.call(&["LATENCY", "DOCTOR"]);
    assert!(doctor.starts_with(b"$") && doctor.len() > 40, "{}", show(&doctor));
    w.is(&["LATENCY", "RESET", "no-such-event"], ":0\r\n");
    w.is(&["LATENCY", "RESET", "command", "command"], ":1\r\n");
    w.is(&["LATENCY", "LATEST"], "*0\r\n");
    w.is(&["DEBUG", "SLEEP", "0.06"], OK);
    w.is(&["LATENCY", "RESET"], ":1\r\n");
    w.is(&["LATENCY", "RESET"], ":0\r\n");
    w.is(&["CONFIG", "SET", "latency-monitor-threshold", "0"], OK);
    w.is(
        &["CONFIG", "SET", "latency-monitor-threshold", "-1"],
        "-ERR CONFIG SET failed (possibly related to argument 'latency-monitor-threshold') - argument must be \
         between 0 and 9223372036854775807 inclusive\r\n",
    );
}

#[test]
fn latency_errors_and_help() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["LATENCY"], arity("latency"));
    for sub in ["HISTORY", "GRAPH"] {
        w.is(
            &["LATENCY", sub],
            format!("-ERR wrong number of arguments for 'latency|{}' command\r\n", sub.to_lowercase()),
        );
    }
    for sub in ["LATEST", "DOCTOR", "HELP"] {
        w.is(
            &["LATENCY", sub, "x"],
            format!("-ERR wrong number of arguments for 'latency|{}' command\r\n", sub.to_lowercase()),
        );
    }
    w.is(&["LATENCY", "FOO"], "-ERR unknown subcommand 'FOO'. Try LATENCY HELP.\r\n");
    let help = w.value(&["LATENCY", "HELP"]);
    let lines: Vec<String> = help
        .items()
        .iter()
        .map(|line| match line {
            Reply::Simple(text) => text.clone(),
            other => panic!("not a status line: {other:?}"),
        })
        .collect();
    assert!(lines[0].starts_with("LATENCY <subcommand> [<arg> [value] [opt] ...]"), "{lines:?}");
    for name in [
        "DOCTOR",
        "GRAPH <event>",
        "HISTORY <event>",
        "LATEST",
        "RESET [<event> ...]",
        "HISTOGRAM [COMMAND ...]",
        "HELP",
    ] {
        assert!(lines.iter().any(|l| l == name), "{name} missing from {lines:?}");
    }
}

/// `LATENCY HISTOGRAM`: per command, the calls and cumulative counts by
/// microsecond bound, a map in RESP3 and a flat array in RESP2.
#[test]
fn latency_histogram_counts_calls() {
    let server = Server::start();
    let mut w = Wire::open_resp3(&server);
    w.is(&["CONFIG", "RESETSTAT"], OK);
    for _ in 0..3 {
        w.is(&["SET", "k", "v"], OK);
    }
    w.is(&["GET", "k"], bulk("v"));
    w.is(&["LATENCY", "HISTOGRAM", "no-such-command", "lpush"], "%0\r\n");
    let reply = w.value(&["LATENCY", "HISTOGRAM", "set", "GET", "blah"]);
    let Reply::Map(entries) = &reply else { panic!("a map expected: {reply:?}") };
    let mut names: Vec<&[u8]> = entries.iter().map(|(name, _)| name.bytes()).collect();
    names.sort();
    assert_eq!(names, [&b"get"[..], b"set"]);
    for (name, body) in entries {
        let want_calls = if name.bytes() == b"set" { 3 } else { 1 };
        let Reply::Map(fields) = body else { panic!("a map expected: {body:?}") };
        assert_eq!(fields[0], (Reply::Bulk(b"calls".to_vec()), Reply::Int(want_calls)));
        assert_eq!(fields[1].0, Reply::Bulk(b"histogram_usec".to_vec()));
        let Reply::Map(buckets) = &fields[1].1 else { panic!("a map expected: {:?}", fields[1].1) };
        let pairs: Vec<(i64, i64)> = buckets
            .iter()
            .map(|(bound, count)| match (bound, count) {
                (Reply::Int(b), Reply::Int(c)) => (*b, *c),
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(pairs.windows(2).all(|p| p[0].0 < p[1].0 && p[0].1 < p[1].1), "{pairs:?}");
        assert_eq!(pairs.last().map(|p| p.1), Some(want_calls), "{pairs:?}");
        // Bounds are Redis's steps: 1, 2, 4, 8, 16, 33, 66, 132, ...
        for (bound, _) in &pairs {
            assert!(
                [1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227].contains(bound) || *bound > 4227,
                "{bound}"
            );
        }
    }
    let all = w.value(&["LATENCY", "HISTOGRAM"]);
    let Reply::Map(all) = all else { panic!("a map expected") };
    // Redis names a subcommand's histogram `config|resetstat`; Efis keeps
    // one per command.
    assert!(all.iter().any(|(name, _)| name.bytes() == b"set"));
    assert!(all.iter().any(|(name, _)| name.bytes().starts_with(b"config")));
    // RESP2: the same as flat arrays.
    let mut w2 = Wire::open(&server);
    let flat = w2.value(&["LATENCY", "HISTOGRAM", "get"]);
    let items = flat.items();
    assert_eq!(items.len(), 2, "{flat:?}");
    assert_eq!(items[0], Reply::Bulk(b"get".to_vec()));
    assert_eq!(items[1].items()[..2], [Reply::Bulk(b"calls".to_vec()), Reply::Int(1)]);
    w2.is(&["CONFIG", "RESETSTAT"], OK);
    let after = parse(&w2.call(&["LATENCY", "HISTOGRAM", "get"]));
    assert_eq!(after, Reply::Array(Vec::new()));
}

/// `DEBUG OBJECT`'s fields, as Redis prints them; the values Efis cannot
/// know as Redis does (an address, a shared integer's refcount, the LRU
/// clock) only by form.
#[test]
fn debug_object_fields() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "s", "hello"], OK);
    w.is(&["SET", "n", "123456"], OK);
    w.is(&["RPUSH", "l", "a", "b"], ":2\r\n");
    for (key, encoding, length) in [("s", "embstr", Some(6)), ("n", "int", Some(5)), ("l", "quicklist", None)] {
        let Reply::Simple(line) = w.value(&["DEBUG", "OBJECT", key]) else { panic!("a status line expected") };
        let rest = line.strip_prefix("Value at:").unwrap_or_else(|| panic!("{line}"));
        assert!(rest.starts_with("0x"), "{line}");
        let fields: Vec<(&str, &str)> =
            rest.split(' ').skip(1).map(|f| f.split_once(':').expect("name:value")).collect();
        let names: Vec<&str> = fields.iter().map(|(name, _)| *name).take(5).collect();
        assert_eq!(names, ["refcount", "encoding", "serializedlength", "lru", "lru_seconds_idle"], "{line}");
        assert_eq!(fields[1].1, encoding, "{line}");
        let serialized: usize = fields[2].1.parse().expect("a length");
        if let Some(length) = length {
            assert_eq!(serialized, length, "{line}");
        }
        for (_, value) in &fields[3..5] {
            value.parse::<u64>().expect("a number");
        }
    }
    w.is(&["DEBUG", "OBJECT", "nokey"], "-ERR no such key\r\n");
}

#[test]
fn debug_subcommands() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["DEBUG", "ERROR", "oops\r\nbad"], "-oops  bad\r\n");
    w.is(&["DEBUG", "ERROR", "ERR custom"], "-ERR custom\r\n");
    w.is(&["DEBUG", "SLEEP", "abc"], OK);
    w.is(&["DEBUG", "SLEEP", "0"], OK);
    w.is(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"], OK);
    w.is(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"], OK);
    let too_big = "-ERR argument must be a memory value bigger than 1 and smaller than 4gb\r\n";
    w.is(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1kb"], OK);
    w.is(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5gb"], too_big);
    w.is(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "abc"], too_big);
    w.is(&["DEBUG", "CHANGE-REPL-ID"], OK);
    w.is(&["DEBUG", "STRINGMATCH-TEST"], "+Apparently Redis did not crash: test passed\r\n");
    let unknown =
        |sub: &str| format!("-ERR unknown subcommand or wrong number of arguments for '{sub}'. Try DEBUG HELP.\r\n");
    w.is(&["DEBUG", "no-such-thing"], unknown("no-such-thing"));
    w.is(&["DEBUG", "SLEEP"], unknown("SLEEP"));
    w.is(&["DEBUG", "OBJECT"], unknown("OBJECT"));
    w.is(&["DEBUG"], arity("debug"));
    let help = w.value(&["DEBUG", "HELP"]);
    assert!(matches!(&help.items()[0], Reply::Simple(line) if line.starts_with("DEBUG <subcommand>")), "{help:?}");
}

/// `DEBUG RELOAD` writes the data out and reads it back: values, types,
/// expiry times and databases survive; its options are checked.
#[test]
fn debug_reload_keeps_the_data() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "s", "v"], OK);
    w.is(&["SET", "t", "1", "EX", "1000"], OK);
    w.is(&["RPUSH", "l", "a", "b", "c"], ":3\r\n");
    w.is(&["HSET", "h", "f", "1"], ":1\r\n");
    w.is(&["SELECT", "3"], OK);
    w.is(&["SADD", "other", "x"], ":1\r\n");
    w.is(&["SELECT", "0"], OK);
    w.is(&["DEBUG", "RELOAD", "BOGUS"], "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n");
    for options in [&["DEBUG", "RELOAD"][..], &["DEBUG", "RELOAD", "NOSAVE"], &["DEBUG", "RELOAD", "MERGE", "NOFLUSH"]]
    {
        w.is(options, OK);
        w.is(&["DBSIZE"], ":4\r\n");
        w.is(&["GET", "s"], bulk("v"));
        w.within(&["TTL", "t"], 990..=1000);
        w.is(&["LRANGE", "l", "0", "-1"], "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
        w.is(&["HGET", "h", "f"], bulk("1"));
        w.is(&["SELECT", "3"], OK);
        w.is(&["SMEMBERS", "other"], "*1\r\n$1\r\nx\r\n");
        w.is(&["SELECT", "0"], OK);
    }
    // A key written after a reload is still there after the next one.
    w.is(&["SET", "later", "1"], OK);
    w.is(&["DEBUG", "RELOAD"], OK);
    w.is(&["GET", "later"], bulk("1"));
}

/// `LOLWUT`: only the version line by default; a drawing then that line
/// for versions 5 and 6; integer arguments checked where a version
/// reads them.
#[test]
fn lolwut_ends_with_the_version_line() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["LOLWUT"], bulk("Redis ver. 7.0.15\n"));
    w.is(&["LOLWUT", "1", "2", "x"], bulk("Redis ver. 7.0.15\n"));
    w.is(&["LOLWUT", "VERSION", "7"], bulk("Redis ver. 7.0.15\n"));
    for version in ["5", "6"] {
        let reply = w.value(&["LOLWUT", "VERSION", version, "40", "4", "4"]);
        let text = String::from_utf8_lossy(reply.bytes()).to_string();
        assert!(text.ends_with(" Redis ver. 7.0.15\n") && text.lines().count() > 3, "{text}");
        w.is(&["LOLWUT", "VERSION", version, "x"], "-ERR value is not an integer or out of range\r\n");
    }
    w.is(&["LOLWUT", "VERSION", "x"], "-ERR value is not an integer or out of range\r\n");
}
