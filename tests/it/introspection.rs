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
