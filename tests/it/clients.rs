//! Real client libraries against the server: the Rust `redis` crate in
//! RESP2 and RESP3, and redis-py 8 (RESP3 by default) through
//! `tests/py/redis_py_check.py`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use redis::{Commands, Connection};

use crate::common::needs::{self, Need};
use crate::common::*;

/// Commands whose answers are the same in RESP2 and RESP3.
fn string_and_key_commands(con: &mut Connection, p: &str) {
    let k = |s: &str| format!("{p}:{s}");
    let () = con.set(k("a"), "1").unwrap();
    let v: String = con.get(k("a")).unwrap();
    assert_eq!(v, "1");
    let missing: Option<String> = con.get(k("missing")).unwrap();
    assert_eq!(missing, None);
    let n: i64 = con.incr(k("a"), 1).unwrap();
    assert_eq!(n, 2);
    let n: i64 = con.incr(k("a"), 40).unwrap();
    assert_eq!(n, 42);
    let n: i64 = con.decr(k("a"), 2).unwrap();
    assert_eq!(n, 40);
    let () = con.mset(&[(k("m1"), "x"), (k("m2"), "y")]).unwrap();
    let got: Vec<Option<String>> = con.mget(&[k("m1"), k("nope"), k("m2")]).unwrap();
    assert_eq!(got, vec![Some("x".to_string()), None, Some("y".to_string())]);
    let len: usize = con.append(k("m1"), "yz").unwrap();
    assert_eq!(len, 3);
    let n: usize = con.exists(&[k("a"), k("m1"), k("nope")]).unwrap();
    assert_eq!(n, 2);
    let ok: bool = con.expire(k("a"), 100).unwrap();
    assert!(ok);
    let ttl: i64 = con.ttl(k("a")).unwrap();
    assert!((1..=100).contains(&ttl), "TTL {ttl}");
    let ttl: i64 = con.ttl(k("m1")).unwrap();
    assert_eq!(ttl, -1);
    let ttl: i64 = con.ttl(k("nope")).unwrap();
    assert_eq!(ttl, -2);
    let pttl: i64 = con.pttl(k("a")).unwrap();
    assert!((1..=100_000).contains(&pttl), "PTTL {pttl}");
    let ok: bool = con.persist(k("a")).unwrap();
    assert!(ok);
    let n: usize = con.del(&[k("a"), k("m1"), k("nope")]).unwrap();
    assert_eq!(n, 2);
    let n: usize = con.exists(k("a")).unwrap();
    assert_eq!(n, 0);

    let e = con.incr::<_, _, i64>(k("m2"), 1).unwrap_err();
    assert_eq!(err_text(&e), "ERR value is not an integer or out of range");
    let e = cmd(con, &["GET"]).unwrap_err();
    assert_eq!(err_text(&e), "ERR wrong number of arguments for 'get' command");
    // the connection is still usable after errors
    assert_eq!(ok_cmd(con, &["PING"]), Value::SimpleString("PONG".into()));
}

fn pipeline(con: &mut Connection, p: &str) {
    let k = |s: &str| format!("{p}:{s}");
    let (set, n1, n2, got, all, deleted, exists): (String, i64, i64, String, Vec<Option<String>>, i64, i64) =
        redis::pipe()
            .cmd("SET")
            .arg(k("p1"))
            .arg("one")
            .cmd("INCR")
            .arg(k("p2"))
            .cmd("INCR")
            .arg(k("p2"))
            .cmd("GET")
            .arg(k("p1"))
            .cmd("MGET")
            .arg(k("p1"))
            .arg(k("p2"))
            .arg(k("nope"))
            .cmd("DEL")
            .arg(k("p1"))
            .cmd("EXISTS")
            .arg(k("p1"))
            .query(con)
            .unwrap();
    assert_eq!(set, "OK");
    assert_eq!((n1, n2), (1, 2));
    assert_eq!(got, "one");
    assert_eq!(all, vec![Some("one".to_string()), Some("2".to_string()), None]);
    assert_eq!((deleted, exists), (1, 0));

    // a long pipeline keeps the order of the replies
    let mut pipe = redis::pipe();
    for i in 0..1000 {
        pipe.cmd("SET").arg(k(&format!("many{i}"))).arg(i).ignore();
    }
    for i in 0..1000 {
        pipe.cmd("GET").arg(k(&format!("many{i}")));
    }
    let values: Vec<i64> = pipe.query(con).unwrap();
    assert_eq!(values, (0..1000).collect::<Vec<i64>>());
}

#[test]
fn rust_client_resp2_commands() {
    let s = Server::start();
    let mut con = s.client();
    string_and_key_commands(&mut con, "rs2");
}

#[test]
fn rust_client_resp2_aggregate_replies() {
    let s = Server::start();
    let mut con = s.client();
    assert_eq!(ok_cmd(&mut con, &["GET", "rs2:missing"]), Value::Nil);
    ok_cmd(&mut con, &["HSET", "rs2:h", "f", "v"]);
    assert_eq!(ok_cmd(&mut con, &["HGETALL", "rs2:h"]), Value::Array(vec![bulk("f"), bulk("v")]));
    ok_cmd(&mut con, &["SADD", "rs2:s", "m"]);
    assert_eq!(ok_cmd(&mut con, &["SMEMBERS", "rs2:s"]), Value::Array(vec![bulk("m")]));
    ok_cmd(&mut con, &["ZADD", "rs2:z", "1.5", "m"]);
    assert_eq!(ok_cmd(&mut con, &["ZSCORE", "rs2:z", "m"]), bulk("1.5"));
}

#[test]
fn rust_client_resp2_pipeline() {
    let s = Server::start();
    let mut con = s.client();
    pipeline(&mut con, "rs2p");
}

#[test]
fn rust_client_resp3_commands() {
    let s = Server::start();
    let mut con = s.client_resp3();
    string_and_key_commands(&mut con, "rs3");
}

#[test]
fn rust_client_resp3_aggregate_replies() {
    // RESP3 types: maps, sets, doubles, nulls
    let s = Server::start();
    let mut con = s.client_resp3();
    assert_eq!(ok_cmd(&mut con, &["GET", "rs3:missing"]), Value::Nil);
    assert_eq!(ok_cmd(&mut con, &["CONFIG", "GET", "databases"]), Value::Map(vec![(bulk("databases"), bulk("16"))]));
    ok_cmd(&mut con, &["HSET", "rs3:h", "f", "v"]);
    assert_eq!(ok_cmd(&mut con, &["HGETALL", "rs3:h"]), Value::Map(vec![(bulk("f"), bulk("v"))]));
    ok_cmd(&mut con, &["SADD", "rs3:s", "m"]);
    assert_eq!(ok_cmd(&mut con, &["SMEMBERS", "rs3:s"]), Value::Set(vec![bulk("m")]));
    ok_cmd(&mut con, &["ZADD", "rs3:z", "1.5", "m"]);
    assert_eq!(ok_cmd(&mut con, &["ZSCORE", "rs3:z", "m"]), Value::Double(1.5));
}

#[test]
fn rust_client_resp3_pipeline() {
    let s = Server::start();
    let mut con = s.client_resp3();
    pipeline(&mut con, "rs3p");
}

#[test]
fn rust_client_with_password_and_database() {
    let s = Server::start_with(&[("REQUIREPASS", "pa55")]);
    for proto in ["", "?protocol=resp3"] {
        let url = format!("redis://:pa55@127.0.0.1:{}/3{proto}", s.port);
        let mut con = s.connect_url(&url);
        assert_eq!(ok_cmd(&mut con, &["SET", "pw:k", proto]), Value::Okay);
        let info = ok_cmd(&mut con, &["CLIENT", "INFO"]);
        let info = match info {
            Value::BulkString(b) => String::from_utf8(b).unwrap(),
            Value::VerbatimString { text, .. } => text,
            other => panic!("CLIENT INFO: {other:?}"),
        };
        assert!(info.contains(" db=3 "), "client not in db 3: {info}");
        let bad = format!("redis://:wrong@127.0.0.1:{}/{proto}", s.port);
        let e = s.try_connect_url(&bad).err().expect("a wrong password is refused");
        assert!(e.kind() == redis::ErrorKind::AuthenticationFailed || err_text(&e).starts_with("WRONGPASS"), "{e}");
    }
}

#[test]
fn redis_py_8_default_resp3_and_resp2() {
    let Some(python) = needs::tool(Need::RedisPy) else { return };
    let s = Server::start();
    let out = run_python_check(&python, "redis_py_check.py", &[&s.port.to_string()], "redis_py_check.py");
    assert!(
        out.status.success(),
        "redis_py_check.py failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `program` with `args`, with `input` (then end of file) as its
/// standard input or none, and returns its standard output; fails the
/// test if the program fails or takes longer than 20 s.
fn output_of(program: &Path, args: &[&str], input: Option<&[u8]>) -> String {
    let shown = format!("{} {}", program.display(), args.join(" "));
    let mut child = Command::new(program)
        .args(args)
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run `{shown}`: {e}"));
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(input).unwrap_or_else(|e| panic!("write to `{shown}`: {e}"));
    }
    let out = output_within(child, Duration::from_secs(20), &format!("`{shown}`"));
    assert!(out.status.success(), "`{shown}` failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The README's two ways in: `redis-cli -p PORT` and plain `nc`.
#[test]
fn redis_cli_and_nc_as_a_person_uses_them() {
    let Some([redis_cli, nc]) = needs::tools([Need::RedisCli, Need::Nc]) else { return };
    let s = Server::start();
    let port = s.port.to_string();
    let cli = |args: &[&str]| output_of(&redis_cli, &[&["-p", port.as_str()], args].concat(), None);
    assert_eq!(cli(&["SET", "greeting", "hello world"]), "OK\n");
    assert_eq!(cli(&["GET", "greeting"]), "hello world\n");
    assert_eq!(cli(&["INCR", "visits"]), "1\n");
    // What a person types into `nc -q1 127.0.0.1 PORT`: inline commands.
    let typed = output_of(&nc, &["-q1", "127.0.0.1", &port], Some(b"SET a 1\nGET a\n"));
    assert_eq!(typed, "+OK\r\n$1\r\n1\r\n");
}
