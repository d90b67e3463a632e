//! Fine points of Redis 7.0 behaviour: `CLIENT REPLY` muting (pushes are
//! always sent; the exact OFF/SKIP/ON sequences), `CLIENT KILL TYPE`,
//! what `MONITOR` shows (only commands that ran, transactions when `EXEC`
//! runs them, microsecond timestamps), how the slow log shortens
//! entries and names their client, and `CONFIG SET`'s refusals (unknown,
//! fixed and repeated names, in argument order) and `CONFIG GET` of
//! `replicaof` and `slaveof`.

use std::net::TcpStream;

use crate::common::wire::{array, bulk, encode, parse, show, Reply, Wire, OK, SYNTAX};
use crate::common::{read_reply, send, Server};

/// Sends `commands` in one pipeline followed by `ECHO end`, and returns
/// every reply read before the echo, shown as text.
fn pipeline(stream: &mut TcpStream, commands: &[&[&str]]) -> Vec<String> {
    let mut bytes = Vec::new();
    for command in commands {
        bytes.extend_from_slice(&encode(command));
    }
    bytes.extend_from_slice(&encode(&["ECHO", "end"]));
    send(stream, &bytes);
    let mut replies = Vec::new();
    loop {
        let reply = read_reply(stream);
        if reply == b"$3\r\nend\r\n" {
            return replies;
        }
        replies.push(show(&reply));
    }
}

fn hello3(stream: &mut TcpStream) {
    send(stream, &encode(&["HELLO", "3"]));
    assert!(read_reply(stream).starts_with(b"%"), "HELLO 3 failed");
}

#[test]
fn client_reply_off_still_sends_pushes() {
    let server = Server::start();
    let mut c = server.raw();
    // RESP2: confirmations are sent, other replies are not.
    let got = pipeline(
        &mut c,
        &[
            &["CLIENT", "REPLY", "OFF"],
            &["PSUBSCRIBE", "*"],
            &["PUNSUBSCRIBE"],
            &["SET", "k", "v"],
            &["CLIENT", "REPLY", "ON"],
        ],
    );
    let want = [
        show(b"*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:1\r\n"),
        show(b"*3\r\n$12\r\npunsubscribe\r\n$1\r\n*\r\n:0\r\n"),
        show(b"+OK\r\n"),
    ];
    assert_eq!(got, want);

    // RESP2, SKIP: the skipped command's confirmations are sent too.
    let got = pipeline(&mut c, &[&["CLIENT", "REPLY", "SKIP"], &["SUBSCRIBE", "a", "b"], &["UNSUBSCRIBE", "a", "b"]]);
    let want = [
        show(b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"),
        show(b"*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"),
        show(b"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n"),
        show(b"*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n"),
    ];
    assert_eq!(got, want);

    // RESP3: a message to itself is a push and is sent; PUBLISH's count
    // is a reply and is not.
    let mut r = server.raw();
    hello3(&mut r);
    let got = pipeline(
        &mut r,
        &[
            &["CLIENT", "REPLY", "OFF"],
            &["SUBSCRIBE", "ch"],
            &["PUBLISH", "ch", "hi"],
            &["GET", "k"],
            &["UNSUBSCRIBE"],
            &["CLIENT", "REPLY", "ON"],
        ],
    );
    let want = [
        show(b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"),
        show(b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"),
        show(b">3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n"),
        show(b"+OK\r\n"),
    ];
    assert_eq!(got, want);
}

#[test]
fn client_reply_on_off_skip_sequences() {
    let server = Server::start();
    let mut c = server.raw();
    let ok = show(b"+OK\r\n");
    let pong = show(b"+PONG\r\n");
    let one = show(b"$1\r\n1\r\n");
    let two = show(b"$1\r\n2\r\n");
    let cases: Vec<(&[&[&str]], Vec<String>)> = vec![
        // ON on its own, and after OFF, answers +OK.
        (&[&["CLIENT", "REPLY", "ON"]], vec![ok.clone()]),
        (
            &[&["CLIENT", "REPLY", "OFF"], &["PING"], &["CLIENT", "REPLY", "ON"], &["PING"]],
            vec![ok.clone(), pong.clone()],
        ),
        // ON right after SKIP is not swallowed.
        (&[&["CLIENT", "REPLY", "SKIP"], &["CLIENT", "REPLY", "ON"], &["PING"]], vec![ok.clone(), pong.clone()]),
        // SKIP skips only the next command's reply.
        (&[&["CLIENT", "REPLY", "SKIP"], &["ECHO", "1"], &["ECHO", "2"]], vec![two.clone()]),
        // SKIP run while skipping skips one more.
        (
            &[&["CLIENT", "REPLY", "SKIP"], &["CLIENT", "REPLY", "SKIP"], &["ECHO", "1"], &["ECHO", "2"]],
            vec![two.clone()],
        ),
        // SKIP while OFF changes nothing.
        (
            &[
                &["CLIENT", "REPLY", "OFF"],
                &["CLIENT", "REPLY", "SKIP"],
                &["ECHO", "1"],
                &["ECHO", "2"],
                &["CLIENT", "REPLY", "ON"],
            ],
            vec![ok.clone()],
        ),
        // OFF while skipping stays off.
        (
            &[&["CLIENT", "REPLY", "SKIP"], &["CLIENT", "REPLY", "OFF"], &["ECHO", "1"], &["CLIENT", "REPLY", "ON"]],
            vec![ok.clone()],
        ),
        // A bad mode is a syntax error, and a SKIP pending is used by it.
        (&[&["CLIENT", "REPLY", "SKIP"], &["CLIENT", "REPLY", "MAYBE"], &["ECHO", "1"]], vec![one.clone()]),
        (&[&["CLIENT", "REPLY", "MAYBE"]], vec![show(b"-ERR syntax error\r\n")]),
    ];
    for (commands, want) in cases {
        assert_eq!(pipeline(&mut c, commands), want, "for {commands:?}");
    }
}

#[test]
fn client_kill_checks_the_client_type() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut sub = Wire::open(&server);
    sub.call(&["SUBSCRIBE", "news"]);
    w.is(&["CLIENT", "KILL", "TYPE", "x"], "-ERR Unknown client type 'x'\r\n");
    w.is(&["CLIENT", "KILL", "TYPE", "Nobody", "SKIPME", "no"], "-ERR Unknown client type 'Nobody'\r\n");
    w.is(&["CLIENT", "KILL", "TYPE", "master"], ":0\r\n");
    w.is(&["CLIENT", "KILL", "TYPE", "replica"], ":0\r\n");
    w.is(&["CLIENT", "KILL", "TYPE", "slave"], ":0\r\n");
    // The subscriber is the only pubsub client; this one is skipped.
    w.is(&["CLIENT", "KILL", "TYPE", "normal"], ":0\r\n");
    w.is(&["CLIENT", "KILL", "TYPE", "PUBSUB"], ":1\r\n");
    w.is(&["PING"], "+PONG\r\n");
}

/// Reads `MONITOR` lines until one showing `"ECHO" "end"`; returns them
/// as (timestamp, rest of the line).
fn monitor_lines(monitor: &mut TcpStream) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    loop {
        let Reply::Simple(line) = parse(&read_reply(monitor)) else { panic!("MONITOR sent something else") };
        let (stamp, rest) = line.split_once(' ').expect("a timestamp");
        if rest.ends_with("\"ECHO\" \"end\"") {
            return lines;
        }
        lines.push((stamp.to_string(), rest.to_string()));
    }
}

#[test]
fn monitor_shows_commands_that_ran() {
    let server = Server::start();
    let mut monitor = server.raw();
    send(&mut monitor, &encode(&["MONITOR"]));
    assert_eq!(read_reply(&mut monitor), b"+OK\r\n");
    let mut c = server.raw();
    send(&mut c, &encode(&["CLIENT", "INFO"]));
    let info = String::from_utf8(read_reply(&mut c)).unwrap();
    let addr = info.split(' ').find_map(|f| f.strip_prefix("addr=")).expect("addr").to_string();
    pipeline(
        &mut c,
        &[
            &["MULTI"],
            &["SET", "a", "1"],
            &["GET", "a"],
            &["EXEC"],
            &["GET"],
            &["NOSUCH", "x"],
            &["MULTI"],
            &["GET"],
            &["EXEC"],
            &["SELECT", "1"],
            &["SUBSCRIBE", "c"],
            &["PING"],
            &["GET", "a"],
            &["UNSUBSCRIBE"],
        ],
    );
    let lines = monitor_lines(&mut monitor);
    let shown: Vec<&str> = lines.iter().map(|(_, rest)| rest.as_str()).collect();
    let want: Vec<String> = [
        (0, "\"CLIENT\" \"INFO\""),
        (0, "\"MULTI\""),
        (0, "\"SET\" \"a\" \"1\""),
        (0, "\"GET\" \"a\""),
        (0, "\"EXEC\""),
        (0, "\"MULTI\""),
        (0, "\"EXEC\""),
        (1, "\"SELECT\" \"1\""),
        (1, "\"SUBSCRIBE\" \"c\""),
        (1, "\"PING\""),
        (1, "\"UNSUBSCRIBE\""),
    ]
    .iter()
    .map(|(db, command)| format!("[{db} {addr}] {command}"))
    .collect();
    assert_eq!(shown, want);
    // `<seconds>.<microseconds>`, in order, not all whole milliseconds.
    let stamps: Vec<(i64, i64)> = lines
        .iter()
        .map(|(stamp, _)| {
            let (s, us) = stamp.split_once('.').expect("seconds.micros");
            assert_eq!(us.len(), 6, "six digits of microseconds in {stamp}");
            (s.parse().unwrap(), us.parse().unwrap())
        })
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "timestamps go forward: {stamps:?}");
    assert!(stamps.iter().any(|(_, us)| us % 1000 != 0), "microsecond timestamps: {stamps:?}");
}

#[test]
fn slowlog_shortens_arguments_and_names_the_client() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let info = w.call(&["CLIENT", "INFO"]);
    let info = String::from_utf8(info).unwrap();
    let addr = info.split(' ').find_map(|f| f.strip_prefix("addr=")).expect("addr").to_string();
    w.is(&["CONFIG", "SET", "slowlog-log-slower-than", "0"], "+OK\r\n");
    w.is(&["CLIENT", "SETNAME", "tester"], "+OK\r\n");
    w.is(&["SLOWLOG", "RESET"], "+OK\r\n");
    let mut many = vec!["RPUSH".to_string(), "list".to_string()];
    many.extend((1..=38).map(|i| format!("v{i}")));
    w.is(&many, ":38\r\n");
    let long = "x".repeat(200);
    w.is(&["SET", "k", long.as_str()], "+OK\r\n");
    let filled = "y".repeat(128);
    w.is(&["SET", "k2", filled.as_str()], "+OK\r\n");
    let log = w.value(&["SLOWLOG", "GET", "3"]);
    let entries = log.items();
    assert_eq!(entries.len(), 3, "three entries: {log:?}");
    let args_of =
        |entry: &Reply| -> Vec<Vec<u8>> { entry.items()[3].items().iter().map(|a| a.bytes().to_vec()).collect() };

    let exact = args_of(&entries[0]);
    assert_eq!(exact, vec![b"SET".to_vec(), b"k2".to_vec(), "y".repeat(128).into_bytes()]);

    let cut = args_of(&entries[1]);
    let mut want_cut = "x".repeat(128).into_bytes();
    want_cut.extend_from_slice(b"... (72 more bytes)");
    assert_eq!(cut, vec![b"SET".to_vec(), b"k".to_vec(), want_cut]);

    let listed = args_of(&entries[2]);
    assert_eq!(listed.len(), 32);
    assert_eq!(listed[..3], [b"RPUSH".to_vec(), b"list".to_vec(), b"v1".to_vec()]);
    assert_eq!(listed[30], b"v29".to_vec());
    assert_eq!(listed[31], b"... (9 more arguments)".to_vec());

    for entry in entries {
        assert_eq!(entry.items().len(), 6, "six fields: {entry:?}");
        assert_eq!(entry.items()[4].bytes(), addr.as_bytes());
        assert_eq!(entry.items()[5].bytes(), b"tester");
    }
}

#[test]
fn config_set_refusals_and_replicaof() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let failed =
        |given: &str, why: &str| format!("-ERR CONFIG SET failed (possibly related to argument '{given}') - {why}\r\n");
    let unknown = |given: &str| format!("-ERR Unknown option or number of arguments for CONFIG SET - '{given}'\r\n");
    let maxclients = w.value(&["CONFIG", "GET", "maxclients"]);

    // Names as the client spelt them, in every refusal but a bad value.
    w.is(&["CONFIG", "SET", "NoSuch", "1"], unknown("NoSuch"));
    w.is(&["CONFIG", "SET", "maxclients", "100", "maxclients", "200"], failed("maxclients", "duplicate parameter"));
    w.is(&["CONFIG", "SET", "maxclients", "100", "MAXCLIENTS", "200"], failed("MAXCLIENTS", "duplicate parameter"));
    w.is(&["CONFIG", "SET", "Databases", "1"], failed("Databases", "can't set immutable config"));
    w.is(&["CONFIG", "SET", "MAXCLIENTS", "abc"], failed("maxclients", "argument couldn't be parsed into an integer"));
    // Every name is checked before any value; the first refused name wins.
    w.is(&["CONFIG", "SET", "maxclients", "x", "nosuch", "1"], unknown("nosuch"));
    w.is(&["CONFIG", "SET", "nosuch", "1", "databases", "1"], unknown("nosuch"));
    w.is(&["CONFIG", "SET", "databases", "1", "nosuch", "1"], failed("databases", "can't set immutable config"));
    w.is(
        &["CONFIG", "SET", "maxclients", "1", "databases", "1", "maxclients", "2"],
        failed("databases", "can't set immutable config"),
    );
    w.is(
        &["CONFIG", "SET", "maxclients", "1", "maxclients", "2", "databases", "1"],
        failed("maxclients", "duplicate parameter"),
    );
    // Two names of one setting are not a repetition.
    w.is(&["CONFIG", "SET", "lua-time-limit", "100", "busy-reply-threshold", "200"], OK);
    w.is(&["CONFIG", "GET", "lua-time-limit"], array(&[bulk("lua-time-limit"), bulk("200")]));
    w.is(&["CONFIG", "SET", "maxclients", "1", "timeout"], SYNTAX);
    w.is(&["CONFIG", "SET", "maxclients"], "-ERR wrong number of arguments for 'config|set' command\r\n");
    // Refused commands changed nothing.
    assert_eq!(w.value(&["CONFIG", "GET", "maxclients"]), maxclients);

    // No replication: both names answer an empty value and are fixed.
    w.is(&["CONFIG", "GET", "replicaof"], array(&[bulk("replicaof"), bulk("")]));
    w.is(&["CONFIG", "GET", "SLAVEOF"], array(&[bulk("SLAVEOF"), bulk("")]));
    // A plain name is answered as spelt, a pattern with the real names;
    // each parameter once.
    let limit = maxclients.items()[1].bytes().to_vec();
    w.is(&["CONFIG", "GET", "maxclients", "MAXCLIENTS"], array(&[bulk("maxclients"), bulk(&limit)]));
    w.is(&["CONFIG", "GET", "MAXCLIENTS", "maxclient*"], array(&[bulk("MAXCLIENTS"), bulk(&limit)]));
    w.is(&["CONFIG", "GET", "MAXCLIENT*"], array(&[bulk("maxclients"), bulk(&limit)]));
    w.is(&["CONFIG", "SET", "replicaof", ""], failed("replicaof", "can't set immutable config"));
    w.is(&["CONFIG", "SET", "slaveof", "no one"], failed("slaveof", "can't set immutable config"));
    w.is(&["CONFIG", "SET", "dir", "/tmp"], failed("dir", "can't set protected config"));
    let both = w.value(&["CONFIG", "GET", "replicaof", "slaveof"]);
    let mut names: Vec<&[u8]> = both.items().iter().step_by(2).map(Reply::bytes).collect();
    names.sort();
    assert_eq!(names, [&b"replicaof"[..], b"slaveof"]);

    // Every listed parameter takes its own value back, or is refused as
    // fixed.
    let all = w.value(&["CONFIG", "GET", "*"]).into_bulks().expect("CONFIG GET * lists bulk strings");
    assert!(all.len() > 40, "CONFIG GET * lists {} strings", all.len());
    let mut refused = Vec::new();
    for pair in all.chunks(2) {
        let name = String::from_utf8_lossy(&pair[0]).into_owned();
        let got = w.call(&["CONFIG".as_bytes(), b"SET", &pair[0], &pair[1]]);
        let fixed = [failed(&name, "can't set immutable config"), failed(&name, "can't set protected config")];
        if got != OK.as_bytes() && !fixed.iter().any(|f| got == f.as_bytes()) {
            refused.push(format!("{name}: {}", show(&got)));
        }
    }
    assert!(refused.is_empty(), "parameters neither settable nor fixed:\n{}", refused.join("\n"));
}
