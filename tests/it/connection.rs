//! Connection commands: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO and
//! CLIENT, with their replies and error texts as Redis words them.

use crate::common::*;

const NOAUTH: &[u8] = b"-NOAUTH Authentication required.\r\n";
const WRONGPASS: &[u8] = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";

/// The value under `key` in a map reply (a RESP3 map, or a RESP2 flat
/// array of alternating keys and values).
fn field<'a>(reply: &'a Value, key: &str) -> Option<&'a Value> {
    let is_key = |k: &Value| *k == bulk(key) || *k == Value::SimpleString(key.into());
    match reply {
        Value::Map(pairs) => pairs.iter().find(|(k, _)| is_key(k)).map(|(_, v)| v),
        Value::Array(items) => items.chunks(2).find(|c| is_key(&c[0])).map(|c| &c[1]),
        _ => None,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::VerbatimString { text, .. } => text.clone(),
        Value::Okay => "OK".into(),
        other => panic!("not a string: {other:?}"),
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        other => panic!("not an integer: {other:?}"),
    }
}

/// Checks the fields of a HELLO reply and returns its `id`.
#[track_caller]
fn check_hello(reply: &Value, proto: i64) -> i64 {
    let get = |k: &str| field(reply, k).unwrap_or_else(|| panic!("HELLO reply has no {k:?}: {reply:?}"));
    assert!(!text(get("server")).is_empty());
    assert!(!text(get("version")).is_empty());
    assert_eq!(get("proto"), &Value::Int(proto), "proto must be an integer");
    let id = int(get("id"));
    assert!(id > 0);
    assert_eq!(text(get("mode")), "standalone");
    assert_eq!(text(get("role")), "master");
    assert_eq!(get("modules"), &Value::Array(vec![]));
    id
}

#[test]
fn ping() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"PING\r\n"), b"+PONG\r\n");
    assert_reply(&roundtrip(&mut c, b"PING hello\r\n"), b"$5\r\nhello\r\n");
    assert_reply(&roundtrip(&mut c, &resp(&["PING", ""])), b"$0\r\n\r\n");
    assert_reply(&roundtrip(&mut c, b"PING a b\r\n"), b"-ERR wrong number of arguments for 'ping' command\r\n");
    roundtrip(&mut c, b"HELLO 3\r\n");
    assert_reply(&roundtrip(&mut c, b"PING\r\n"), b"+PONG\r\n");
    assert_reply(&roundtrip(&mut c, b"PING hello\r\n"), b"$5\r\nhello\r\n");
}

#[test]
fn echo() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"ECHO hello\r\n"), b"$5\r\nhello\r\n");
    assert_reply(&roundtrip(&mut c, &resp(&["ECHO", "a\r\nb\0c"])), b"$6\r\na\r\nb\0c\r\n");
    assert_reply(&roundtrip(&mut c, b"ECHO\r\n"), b"-ERR wrong number of arguments for 'echo' command\r\n");
    assert_reply(&roundtrip(&mut c, b"ECHO a b\r\n"), b"-ERR wrong number of arguments for 'echo' command\r\n");
}

#[test]
fn quit_replies_ok_closes_and_ignores_the_rest() {
    let s = Server::start();
    let mut c = s.raw();
    send(&mut c, b"SET quit:a 1\r\nQUIT\r\nSET quit:b 1\r\n");
    let all = read_until_closed(&mut c);
    assert_reply(&all, b"+OK\r\n+OK\r\n");
    let mut con = s.client();
    assert_eq!(ok_cmd(&mut con, &["EXISTS", "quit:a", "quit:b"]), Value::Int(1));
}

#[test]
fn reset_restores_connection_defaults() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"SELECT 3\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"SET reset:k v\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"CLIENT SETNAME resetme\r\n"), b"+OK\r\n");
    roundtrip(&mut c, b"HELLO 3\r\n");
    assert_reply(&roundtrip(&mut c, b"GET reset:nosuch\r\n"), b"_\r\n");
    assert_reply(&roundtrip(&mut c, b"RESET\r\n"), b"+RESET\r\n");
    // back to RESP2, database 0, no name
    assert_reply(&roundtrip(&mut c, b"GET reset:k\r\n"), b"$-1\r\n");
    assert_reply(&roundtrip(&mut c, b"CLIENT GETNAME\r\n"), b"$-1\r\n");
    assert_reply(&roundtrip(&mut c, b"SELECT 3\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"GET reset:k\r\n"), b"$1\r\nv\r\n");
    assert_reply(&roundtrip(&mut c, b"RESET x\r\n"), b"-ERR wrong number of arguments for 'reset' command\r\n");
}

#[test]
fn select_databases() {
    let s = Server::start();
    let mut c = s.raw();
    for db in 0..16 {
        assert_reply(&roundtrip(&mut c, format!("SELECT {db}\r\n").as_bytes()), b"+OK\r\n");
    }
    let out_of_range = b"-ERR DB index is out of range\r\n";
    assert_reply(&roundtrip(&mut c, b"SELECT 16\r\n"), out_of_range);
    assert_reply(&roundtrip(&mut c, b"SELECT -1\r\n"), out_of_range);
    assert_reply(&roundtrip(&mut c, b"SELECT x\r\n"), b"-ERR value is not an integer or out of range\r\n");
    assert_reply(&roundtrip(&mut c, b"SELECT\r\n"), b"-ERR wrong number of arguments for 'select' command\r\n");
    assert_reply(&roundtrip(&mut c, b"SELECT 1 2\r\n"), b"-ERR wrong number of arguments for 'select' command\r\n");
    // the failed SELECTs left the connection in database 15
    assert_reply(&roundtrip(&mut c, b"SET sel:k in15\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"SELECT 0\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"GET sel:k\r\n"), b"$-1\r\n");
    assert_reply(&roundtrip(&mut c, b"SELECT 15\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"GET sel:k\r\n"), b"$4\r\nin15\r\n");
    // another connection starts in database 0
    let mut other = s.raw();
    assert_reply(&roundtrip(&mut other, b"GET sel:k\r\n"), b"$-1\r\n");
}

#[test]
fn databases_setting_limits_select() {
    let s = Server::start_with(&[("DATABASES", "4")]);
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"SELECT 3\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"SELECT 4\r\n"), b"-ERR DB index is out of range\r\n");
    let mut con = s.client();
    let reply = ok_cmd(&mut con, &["CONFIG", "GET", "databases"]);
    assert_eq!(reply, Value::Array(vec![bulk("databases"), bulk("4")]));
}

#[test]
fn auth_without_a_password_configured() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(
        &roundtrip(&mut c, b"AUTH pw\r\n"),
        b"-ERR AUTH <password> called without any password configured for the default user. \
          Are you sure your configuration is correct?\r\n",
    );
    assert_reply(&roundtrip(&mut c, b"AUTH\r\n"), b"-ERR wrong number of arguments for 'auth' command\r\n");
    assert_reply(&roundtrip(&mut c, b"PING\r\n"), b"+PONG\r\n");
}

#[test]
fn auth_with_requirepass() {
    let s = Server::start_with(&[("REQUIREPASS", "sekret")]);
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"PING\r\n"), NOAUTH);
    assert_reply(&roundtrip(&mut c, b"GET auth:a\r\n"), NOAUTH);
    assert_reply(&roundtrip(&mut c, b"SET auth:a 1\r\n"), NOAUTH);
    assert_reply(&roundtrip(&mut c, b"CLIENT ID\r\n"), NOAUTH);
    assert_reply(&roundtrip(&mut c, b"AUTH wrong\r\n"), WRONGPASS);
    assert_reply(&roundtrip(&mut c, b"AUTH default wrong\r\n"), WRONGPASS);
    assert_reply(&roundtrip(&mut c, b"AUTH someone sekret\r\n"), WRONGPASS);
    assert_reply(&roundtrip(&mut c, b"AUTH a b c\r\n"), b"-ERR syntax error\r\n");
    assert_reply(&roundtrip(&mut c, b"GET auth:a\r\n"), NOAUTH);
    assert_reply(&roundtrip(&mut c, b"AUTH sekret\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"SET auth:a 1\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"GET auth:a\r\n"), b"$1\r\n1\r\n");
    // RESET logs the connection out
    assert_reply(&roundtrip(&mut c, b"RESET\r\n"), b"+RESET\r\n");
    assert_reply(&roundtrip(&mut c, b"GET auth:a\r\n"), NOAUTH);
    assert_reply(&roundtrip(&mut c, b"AUTH default sekret\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"GET auth:a\r\n"), b"$1\r\n1\r\n");
    // a new connection is not authenticated; QUIT works before AUTH
    let mut other = s.raw();
    assert_reply(&roundtrip(&mut other, b"GET auth:a\r\n"), NOAUTH);
    send(&mut other, b"QUIT\r\n");
    assert_reply(&read_until_closed(&mut other), b"+OK\r\n");
}

#[test]
fn requirepass_flag() {
    if is_redis() {
        return; // efis command-line flag
    }
    let s = Server::start_full(&[], &["--requirepass", "flagpw"]);
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"PING\r\n"), NOAUTH);
    assert_reply(&roundtrip(&mut c, b"AUTH flagpw\r\n"), b"+OK\r\n");
}

#[test]
fn hello_2_and_3() {
    let s = Server::start();
    let mut con = s.client();
    let my_id = int(&ok_cmd(&mut con, &["CLIENT", "ID"]));
    let reply = ok_cmd(&mut con, &["HELLO", "3"]);
    assert!(matches!(reply, Value::Map(_)), "HELLO 3 answers a map: {reply:?}");
    assert_eq!(check_hello(&reply, 3), my_id);
    let reply = ok_cmd(&mut con, &["HELLO", "2"]);
    assert!(matches!(&reply, Value::Array(a) if a.len() == 14), "HELLO 2 answers a flat array: {reply:?}");
    assert_eq!(check_hello(&reply, 2), my_id);
    // HELLO without a version answers in the current protocol
    let reply = ok_cmd(&mut con, &["HELLO"]);
    assert!(matches!(&reply, Value::Array(_)));
    check_hello(&reply, 2);
}

#[test]
fn hello_exact_bytes_in_both_protocols() {
    let s = Server::start();
    let mut c = s.raw();
    let reply = roundtrip(&mut c, b"HELLO 3\r\n");
    assert!(reply.starts_with(b"%7\r\n$6\r\nserver\r\n"), "{}", show(&reply));
    let text = String::from_utf8_lossy(&reply);
    assert!(text.contains("$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:"), "{text:?}");
    assert!(text.ends_with("$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"));
    let reply = roundtrip(&mut c, b"HELLO 2\r\n");
    assert!(reply.starts_with(b"*14\r\n$6\r\nserver\r\n"), "{}", show(&reply));
    assert!(String::from_utf8_lossy(&reply).contains("$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:"));
}

#[test]
fn hello_errors() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"HELLO 4\r\n"), b"-NOPROTO unsupported protocol version\r\n");
    assert_reply(&roundtrip(&mut c, b"HELLO 1\r\n"), b"-NOPROTO unsupported protocol version\r\n");
    assert_reply(&roundtrip(&mut c, b"HELLO x\r\n"), b"-ERR Protocol version is not an integer or out of range\r\n");
    assert_reply(&roundtrip(&mut c, b"HELLO 3 AUTH\r\n"), b"-ERR Syntax error in HELLO option 'AUTH'\r\n");
    assert_reply(&roundtrip(&mut c, b"HELLO 3 SETNAME\r\n"), b"-ERR Syntax error in HELLO option 'SETNAME'\r\n");
    assert_reply(&roundtrip(&mut c, b"HELLO 3 FOO\r\n"), b"-ERR Syntax error in HELLO option 'FOO'\r\n");
    // still RESP2 after the errors
    assert_reply(&roundtrip(&mut c, b"GET hello:nosuch\r\n"), b"$-1\r\n");
}

#[test]
fn hello_with_auth_and_setname() {
    let s = Server::start_with(&[("REQUIREPASS", "pw")]);
    let mut c = s.raw();
    let reply = roundtrip(&mut c, b"HELLO 3\r\n");
    assert!(reply.starts_with(b"-NOAUTH "), "HELLO 3 before AUTH: {}", show(&reply));
    assert_reply(&roundtrip(&mut c, b"HELLO 3 AUTH default wrong\r\n"), WRONGPASS);
    assert_reply(&roundtrip(&mut c, b"GET hello:x\r\n"), NOAUTH);

    let mut con = s.connect_url(&format!("redis://:pw@127.0.0.1:{}/", s.port));
    let reply = ok_cmd(&mut con, &["RESET"]);
    assert_eq!(reply, Value::SimpleString("RESET".into()));
    assert!(err_cmd(&mut con, &["PING"]).starts_with("NOAUTH"));
    let reply = ok_cmd(&mut con, &["HELLO", "3", "AUTH", "default", "pw", "SETNAME", "x"]);
    check_hello(&reply, 3);
    assert_eq!(ok_cmd(&mut con, &["CLIENT", "GETNAME"]), bulk("x"));
    assert_eq!(ok_cmd(&mut con, &["GET", "hello:nosuch"]), Value::Nil);
    let reply = ok_cmd(&mut con, &["HELLO", "2", "AUTH", "default", "pw", "SETNAME", "y"]);
    check_hello(&reply, 2);
    assert_eq!(ok_cmd(&mut con, &["CLIENT", "GETNAME"]), bulk("y"));
    let e = err_cmd(&mut con, &["HELLO", "3", "SETNAME", "a b"]);
    assert_eq!(e, "ERR Client names cannot contain spaces, newlines or special characters.");
}

#[test]
fn client_id_and_names() {
    let s = Server::start();
    let mut a = s.client();
    let mut b = s.client();
    let id_a = int(&ok_cmd(&mut a, &["CLIENT", "ID"]));
    let id_b = int(&ok_cmd(&mut b, &["CLIENT", "ID"]));
    assert_ne!(id_a, id_b);
    assert_eq!(int(&ok_cmd(&mut a, &["CLIENT", "ID"])), id_a);
    assert_eq!(ok_cmd(&mut a, &["CLIENT", "GETNAME"]), Value::Nil);
    assert_eq!(ok_cmd(&mut a, &["CLIENT", "SETNAME", "alpha"]), Value::Okay);
    assert_eq!(ok_cmd(&mut a, &["client", "getname"]), bulk("alpha"));
    assert_eq!(ok_cmd(&mut b, &["CLIENT", "GETNAME"]), Value::Nil);
    let bad = "ERR Client names cannot contain spaces, newlines or special characters.";
    assert_eq!(err_cmd(&mut a, &["CLIENT", "SETNAME", "a b"]), bad);
    assert_eq!(err_cmd(&mut a, &["CLIENT", "SETNAME", "a\nb"]), bad);
    assert_eq!(ok_cmd(&mut a, &["CLIENT", "GETNAME"]), bulk("alpha"));
    // an empty name clears it
    assert_eq!(ok_cmd(&mut a, &["CLIENT", "SETNAME", ""]), Value::Okay);
    assert_eq!(ok_cmd(&mut a, &["CLIENT", "GETNAME"]), Value::Nil);
}

/// The `field=value` pairs of one CLIENT LIST / CLIENT INFO line.
fn client_fields(line: &str) -> Vec<(String, String)> {
    line.split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let (k, v) = w.split_once('=').unwrap_or_else(|| panic!("no '=' in {w:?} of {line:?}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn client_field(line: &str, key: &str) -> String {
    client_fields(line)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
}

#[test]
fn client_list_and_info() {
    let s = Server::start();
    let mut a = s.client();
    let mut b = s.client();
    let id_a = int(&ok_cmd(&mut a, &["CLIENT", "ID"]));
    let id_b = int(&ok_cmd(&mut b, &["CLIENT", "ID"]));
    ok_cmd(&mut a, &["CLIENT", "SETNAME", "listed"]);
    ok_cmd(&mut a, &["SELECT", "2"]);

    let info = text(&ok_cmd(&mut a, &["CLIENT", "INFO"]));
    assert!(info.ends_with('\n') && info.matches('\n').count() == 1, "one line: {info:?}");
    let line = info.trim_end();
    assert_eq!(client_field(line, "id"), id_a.to_string());
    assert_eq!(client_field(line, "name"), "listed");
    assert_eq!(client_field(line, "db"), "2");
    assert!(client_field(line, "addr").starts_with("127.0.0.1:"));
    assert_eq!(client_field(line, "cmd"), "client|info");

    let list = text(&ok_cmd(&mut b, &["CLIENT", "LIST"]));
    assert!(list.ends_with('\n'), "{list:?}");
    let lines: Vec<&str> = list.lines().collect();
    let ids: Vec<String> = lines.iter().map(|l| client_field(l, "id")).collect();
    assert!(ids.contains(&id_a.to_string()) && ids.contains(&id_b.to_string()), "{list}");
    let line_a = lines.iter().find(|l| client_field(l, "id") == id_a.to_string()).unwrap();
    assert_eq!(client_field(line_a, "name"), "listed");
    assert_eq!(client_field(line_a, "db"), "2");
    let line_b = lines.iter().find(|l| client_field(l, "id") == id_b.to_string()).unwrap();
    assert_eq!(client_field(line_b, "cmd"), "client|list");

    // CLIENT LIST ID filters
    let only_a = text(&ok_cmd(&mut b, &["CLIENT", "LIST", "ID", &id_a.to_string()]));
    assert_eq!(only_a.lines().count(), 1);
    assert_eq!(client_field(only_a.trim_end(), "id"), id_a.to_string());
    assert_eq!(err_cmd(&mut b, &["CLIENT", "LIST", "ID", "abc"]), "ERR Invalid client ID");
    assert_eq!(err_cmd(&mut b, &["CLIENT", "LIST", "FOO"]), "ERR syntax error");
}

/// Redis 7.0's fields in its order (Efis adds `lib-name` and `lib-ver`
/// after them), and the buffer and memory fields filled: the caller's
/// own command in `qbuf` and `argv-mem`, a queued transaction in
/// `multi-mem`, the flag letters in Redis's order.
#[test]
fn client_list_fields_as_redis_7_0() {
    const FIELDS: [&str; 28] = [
        "id",
        "addr",
        "laddr",
        "fd",
        "name",
        "age",
        "idle",
        "flags",
        "db",
        "sub",
        "psub",
        "ssub",
        "multi",
        "qbuf",
        "qbuf-free",
        "argv-mem",
        "multi-mem",
        "rbs",
        "rbp",
        "obl",
        "oll",
        "omem",
        "tot-mem",
        "events",
        "cmd",
        "user",
        "redir",
        "resp",
    ];
    let s = Server::start();
    let mut raw = s.raw();
    let reply = roundtrip(&mut raw, b"*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n");
    let bulk = String::from_utf8(reply).unwrap();
    let line = bulk.lines().nth(1).expect("a bulk string").to_string();
    let fields = client_fields(&line);
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names[..28], FIELDS, "{line}");
    assert!(names[28..].is_empty() || names[28..] == ["lib-name", "lib-ver"], "{line}");
    // The 26 bytes of this very command are in the query buffer; its
    // arguments take 10.
    assert_eq!(client_field(&line, "qbuf"), "26", "{line}");
    assert_eq!(client_field(&line, "argv-mem"), "10", "{line}");
    for numeric in ["qbuf-free", "rbs", "rbp", "obl", "oll", "omem", "tot-mem"] {
        client_field(&line, numeric).parse::<u64>().unwrap_or_else(|_| panic!("{numeric} in {line}"));
    }
    assert!(client_field(&line, "tot-mem").parse::<u64>().unwrap() > 1000, "{line}");

    let mut queued = s.raw();
    for command in [&b"CLIENT SETNAME queued\r\n"[..], b"CLIENT NO-EVICT on\r\n", b"MULTI\r\n", b"SET a 1\r\n"] {
        roundtrip(&mut queued, command);
    }
    let mut c = s.client();
    let list = text(&ok_cmd(&mut c, &["CLIENT", "LIST"]));
    let line = list.lines().find(|l| l.contains("name=queued")).expect("the queued client").to_string();
    assert_eq!(client_field(&line, "flags"), "xe", "{line}");
    assert_eq!(client_field(&line, "multi"), "1", "{line}");
    // SET a 1: 5 bytes of arguments and a pointer for each of the 3.
    assert_eq!(client_field(&line, "multi-mem"), "29", "{line}");
    assert_eq!(client_field(&line, "argv-mem"), "0", "{line}");
}

#[test]
fn client_kill() {
    let s = Server::start();
    let mut killer = s.client();

    let mut victim = s.raw();
    let id = String::from_utf8(roundtrip(&mut victim, b"CLIENT ID\r\n")).unwrap();
    let id = id.trim_start_matches(':').trim_end().to_string();
    assert_eq!(ok_cmd(&mut killer, &["CLIENT", "KILL", "ID", &id]), Value::Int(1));
    assert!(is_closed(&mut victim), "killed client still connected");
    assert_eq!(ok_cmd(&mut killer, &["CLIENT", "KILL", "ID", &id]), Value::Int(0));
    assert_eq!(ok_cmd(&mut killer, &["CLIENT", "KILL", "ID", "999999"]), Value::Int(0));

    // by address, new form (a count) and old form (OK)
    let mut victim = s.raw();
    assert_reply(&roundtrip(&mut victim, b"PING\r\n"), b"+PONG\r\n");
    let addr = victim.local_addr().unwrap().to_string();
    assert_eq!(ok_cmd(&mut killer, &["CLIENT", "KILL", "ADDR", &addr]), Value::Int(1));
    assert!(is_closed(&mut victim));
    let mut victim = s.raw();
    assert_reply(&roundtrip(&mut victim, b"PING\r\n"), b"+PONG\r\n");
    let addr = victim.local_addr().unwrap().to_string();
    assert_eq!(ok_cmd(&mut killer, &["CLIENT", "KILL", &addr]), Value::Okay);
    assert!(is_closed(&mut victim));
    assert_eq!(err_cmd(&mut killer, &["CLIENT", "KILL", "1.2.3.4:5"]), "ERR No such client");
    assert_eq!(ok_cmd(&mut killer, &["CLIENT", "KILL", "ADDR", "1.2.3.4:5"]), Value::Int(0));

    assert_eq!(err_cmd(&mut killer, &["CLIENT", "KILL", "ID", "abc"]), "ERR client-id should be greater than 0");
    assert_eq!(err_cmd(&mut killer, &["CLIENT", "KILL", "FOO", "bar"]), "ERR syntax error");
    // the killer itself is fine
    assert_eq!(ok_cmd(&mut killer, &["PING"]), Value::SimpleString("PONG".into()));
}

#[test]
fn client_setinfo() {
    if is_redis() {
        return; // CLIENT SETINFO is Redis 7.2; Efis answers it for clients that send it
    }
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"CLIENT SETINFO LIB-NAME redis-py\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"CLIENT SETINFO lib-ver 8.1.0\r\n"), b"+OK\r\n");
    let info = roundtrip(&mut c, b"CLIENT INFO\r\n");
    let info = String::from_utf8_lossy(&info);
    assert!(info.contains(" lib-name=redis-py ") && info.contains(" lib-ver=8.1.0"), "{info}");
    let reply = roundtrip(&mut c, b"CLIENT SETINFO\r\n");
    assert!(reply.starts_with(b"-ERR "), "{}", show(&reply));
}

#[test]
fn client_no_evict() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"CLIENT NO-EVICT on\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"CLIENT NO-EVICT OFF\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"CLIENT NO-EVICT maybe\r\n"), b"-ERR syntax error\r\n");
    assert_reply(
        &roundtrip(&mut c, b"CLIENT NO-EVICT\r\n"),
        b"-ERR wrong number of arguments for 'client|no-evict' command\r\n",
    );
}

#[test]
fn client_reply_off_on_skip() {
    let s = Server::start();
    let mut c = s.raw();
    send(&mut c, b"CLIENT REPLY OFF\r\nSET cr:a 1\r\nINCR cr:a\r\nCLIENT REPLY ON\r\nGET cr:a\r\n");
    assert_reply(&read_reply(&mut c), b"+OK\r\n");
    assert_reply(&read_reply(&mut c), b"$1\r\n2\r\n");
    send(&mut c, b"CLIENT REPLY SKIP\r\nINCR cr:a\r\nINCR cr:a\r\n");
    assert_reply(&read_reply(&mut c), b":4\r\n");
    assert_reply(&roundtrip(&mut c, b"CLIENT REPLY MAYBE\r\n"), b"-ERR syntax error\r\n");
    assert_reply(
        &roundtrip(&mut c, b"CLIENT REPLY\r\n"),
        b"-ERR wrong number of arguments for 'client|reply' command\r\n",
    );
}

#[test]
fn client_errors_and_arity() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"CLIENT\r\n"), b"-ERR wrong number of arguments for 'client' command\r\n");
    assert_reply(&roundtrip(&mut c, b"CLIENT FOO\r\n"), b"-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n");
    assert_reply(&roundtrip(&mut c, b"CLIENT ID x\r\n"), b"-ERR wrong number of arguments for 'client|id' command\r\n");
    assert_reply(
        &roundtrip(&mut c, b"CLIENT GETNAME x\r\n"),
        b"-ERR wrong number of arguments for 'client|getname' command\r\n",
    );
    assert_reply(
        &roundtrip(&mut c, b"CLIENT SETNAME\r\n"),
        b"-ERR wrong number of arguments for 'client|setname' command\r\n",
    );
    assert_reply(
        &roundtrip(&mut c, b"CLIENT KILL\r\n"),
        b"-ERR wrong number of arguments for 'client|kill' command\r\n",
    );
}
