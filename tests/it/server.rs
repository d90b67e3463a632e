//! Server commands (COMMAND, INFO, CONFIG, TIME, DBSIZE, FLUSHDB/FLUSHALL,
//! DEBUG, SLOWLOG, FUNCTION, LASTSAVE) and the program's configuration:
//! `--help`, `--version`, bad settings, MAXCLIENTS and SIGTERM.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::*;

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::VerbatimString { text, .. } => text.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        other => panic!("not an integer: {other:?}"),
    }
}

fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        other => panic!("not an array: {other:?}"),
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

// ---------------------------------------------------------------- COMMAND

#[test]
fn command_count_and_list() {
    let s = Server::start();
    let mut c = s.client();
    let count = int(&ok_cmd(&mut c, &["COMMAND", "COUNT"]));
    assert!(count > 50, "COMMAND COUNT {count}");
    let names: Vec<String> = array(ok_cmd(&mut c, &["COMMAND", "LIST"])).iter().map(text).collect();
    // COMMAND LIST may also name subcommands (`config|get`), COUNT does not
    assert!(names.len() as i64 >= count, "COMMAND LIST has {} names, COMMAND COUNT is {count}", names.len());
    for name in ["get", "set", "ping", "hello", "client", "config", "info", "command", "del", "expire"] {
        assert!(names.iter().any(|n| n == name), "COMMAND LIST lacks {name}");
    }
    let all = array(ok_cmd(&mut c, &["COMMAND"]));
    assert_eq!(all.len() as i64, count, "COMMAND has COMMAND COUNT entries");
}

#[test]
fn command_info() {
    let s = Server::start();
    let mut c = s.client();
    let reply = array(ok_cmd(&mut c, &["COMMAND", "INFO", "get", "MSET", "nosuchcommand"]));
    assert_eq!(reply.len(), 3);
    let get = array(reply[0].clone());
    assert_eq!(text(&get[0]), "get");
    assert_eq!(get[1], Value::Int(2), "arity of get");
    assert!(matches!(get[2], Value::Array(_)), "flags");
    assert_eq!(&get[3..6], &[Value::Int(1), Value::Int(1), Value::Int(1)], "key positions of get");
    let mset = array(reply[1].clone());
    assert_eq!(text(&mset[0]), "mset");
    assert_eq!(mset[1], Value::Int(-3), "arity of mset");
    assert_eq!(&mset[3..6], &[Value::Int(1), Value::Int(-1), Value::Int(2)], "key positions of mset");
    assert_eq!(reply[2], Value::Nil);
}

#[test]
fn command_docs() {
    let s = Server::start();
    let mut c = s.client();
    // possibly sparse, but an answer and no error
    let docs = array(ok_cmd(&mut c, &["COMMAND", "DOCS", "get"]));
    if !docs.is_empty() {
        assert_eq!(docs.len(), 2, "one name and its docs: {docs:?}");
        assert_eq!(text(&docs[0]), "get");
    }
    array(ok_cmd(&mut c, &["COMMAND", "DOCS"]));
    assert_eq!(array(ok_cmd(&mut c, &["COMMAND", "DOCS", "nosuchcommand"])), vec![]);
    let mut c3 = s.client_resp3();
    let docs = ok_cmd(&mut c3, &["COMMAND", "DOCS", "set"]);
    assert!(matches!(docs, Value::Map(_)), "RESP3 COMMAND DOCS answers a map: {docs:?}");
}

#[test]
fn command_errors() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(
        &roundtrip(&mut c, b"COMMAND COUNT x\r\n"),
        b"-ERR wrong number of arguments for 'command|count' command\r\n",
    );
    assert_reply(&roundtrip(&mut c, b"COMMAND FOO\r\n"), b"-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n");
}

// ---------------------------------------------------------------- INFO

/// Checks Redis's INFO format: CRLF lines, each `# Section`, `field:value`
/// or empty. Returns the lines.
#[track_caller]
fn check_info_format(info: &str) -> Vec<String> {
    assert!(info.ends_with("\r\n"), "INFO ends with CRLF");
    let body = &info[..info.len() - 2];
    let lines: Vec<String> = body.split("\r\n").map(str::to_string).collect();
    for line in &lines {
        assert!(!line.contains('\n') && !line.contains('\r'), "line not ended by CRLF: {line:?}");
        if line.is_empty() {
            continue;
        }
        if let Some(section) = line.strip_prefix("# ") {
            assert!(
                !section.is_empty() && section.chars().all(|ch| ch.is_ascii_alphanumeric()),
                "bad section header {line:?}"
            );
            continue;
        }
        let (field, _) = line.split_once(':').unwrap_or_else(|| panic!("INFO line without ':': {line:?}"));
        assert!(!field.is_empty() && !field.contains(char::is_whitespace), "bad field name in INFO line {line:?}");
    }
    lines
}

fn info(c: &mut redis::Connection, args: &[&str]) -> String {
    let mut full = vec!["INFO"];
    full.extend_from_slice(args);
    text(&ok_cmd(c, &full))
}

fn info_field(info: &str, field: &str) -> Option<String> {
    info.split("\r\n").find_map(|l| l.strip_prefix(field).and_then(|r| r.strip_prefix(':')).map(str::to_string))
}

fn sections(info: &str) -> Vec<String> {
    info.split("\r\n").filter_map(|l| l.strip_prefix("# ")).map(str::to_lowercase).collect()
}

#[test]
fn info_default_format_and_fields() {
    let s = Server::start();
    let mut c = s.client();
    let _others: Vec<_> = (0..2).map(|_| s.client()).collect();
    let all = info(&mut c, &[]);
    let lines = check_info_format(&all);
    assert!(lines[0].starts_with("# "), "INFO starts with a section header");
    assert!(lines.iter().any(|l| l == "redis_version:7.0.15"), "redis_version:7.0.15");
    if !is_redis() {
        let v = info_field(&all, "efis_version").expect("efis_version");
        assert!(!v.is_empty());
    }
    assert_eq!(info_field(&all, "loading").as_deref(), Some("0"));
    assert_eq!(info_field(&all, "cluster_enabled").as_deref(), Some("0"));
    let bits = info_field(&all, "arch_bits").expect("arch_bits");
    assert!(bits == "64" || bits == "32", "arch_bits:{bits}");
    let clients: i64 = info_field(&all, "connected_clients").expect("connected_clients").parse().unwrap();
    assert!(clients >= 3, "connected_clients:{clients} with 3 clients connected");
    assert_eq!(info_field(&all, "blocked_clients").as_deref(), Some("0"));
    let used: u64 = info_field(&all, "used_memory").expect("used_memory").parse().expect("used_memory is a number");
    assert!(used > 0);
    for field in ["rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time", "aof_enabled"] {
        assert!(info_field(&all, field).is_some(), "INFO has no {field}");
    }
    for section in ["server", "clients", "memory", "persistence", "stats", "keyspace"] {
        assert!(sections(&all).iter().any(|s| s == section), "INFO has no # {section}");
    }
}

#[test]
fn info_keyspace() {
    let s = Server::start();
    let mut c = s.client();
    assert!(!info(&mut c, &["keyspace"]).contains("db0:"), "empty databases are not listed");
    ok_cmd(&mut c, &["SET", "ik:a", "1"]);
    ok_cmd(&mut c, &["SET", "ik:b", "1", "EX", "1000"]);
    ok_cmd(&mut c, &["SELECT", "5"]);
    ok_cmd(&mut c, &["SET", "ik:c", "1"]);
    let ks = info(&mut c, &["keyspace"]);
    check_info_format(&ks);
    let db0 = info_field(&ks, "db0").expect("db0 line");
    assert!(db0 == "keys=2,expires=1" || db0.starts_with("keys=2,expires=1,"), "db0:{db0}");
    let db5 = info_field(&ks, "db5").expect("db5 line");
    assert!(db5 == "keys=1,expires=0" || db5.starts_with("keys=1,expires=0,"), "db5:{db5}");
    assert!(info_field(&ks, "db1").is_none());
}

#[test]
fn info_sections_by_name() {
    let s = Server::start();
    let mut c = s.client();
    ok_cmd(&mut c, &["GET", "is:x"]);
    for (name, field) in [
        ("server", "redis_version"),
        ("clients", "connected_clients"),
        ("memory", "used_memory"),
        ("persistence", "loading"),
        ("stats", "total_commands_processed"),
        ("keyspace", ""),
        ("commandstats", "cmdstat_get"),
    ] {
        let section = info(&mut c, &[name]);
        check_info_format(&section);
        assert_eq!(sections(&section), vec![name.to_string()], "INFO {name}");
        if !field.is_empty() {
            assert!(info_field(&section, field).is_some(), "INFO {name} has no {field}");
        }
    }
    let get = info_field(&info(&mut c, &["commandstats"]), "cmdstat_get").unwrap();
    assert!(get.starts_with("calls="), "cmdstat_get:{get}");
    // case-insensitive, several at once, everything
    assert_eq!(sections(&info(&mut c, &["CLIENTS"])), vec!["clients"]);
    assert_eq!(sections(&info(&mut c, &["server", "clients"])), vec!["server", "clients"]);
    let everything = sections(&info(&mut c, &["everything"]));
    assert!(everything.iter().any(|s| s == "commandstats") && everything.iter().any(|s| s == "server"));
    let all = sections(&info(&mut c, &["all"]));
    assert!(all.iter().any(|s| s == "commandstats"));
    assert_eq!(info(&mut c, &["nosuchsection"]), "");
}

#[test]
fn info_blocked_clients() {
    let s = Server::start();
    let mut blocker = s.raw();
    send(&mut blocker, b"BLPOP ib:list 0\r\n");
    let mut c = s.client();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let blocked = info_field(&info(&mut c, &["clients"]), "blocked_clients").unwrap();
        if blocked == "1" {
            break;
        }
        assert!(Instant::now() < deadline, "blocked_clients:{blocked} while a client waits in BLPOP");
        thread::sleep(Duration::from_millis(20));
    }
    ok_cmd(&mut c, &["RPUSH", "ib:list", "x"]);
    assert_reply(&read_reply(&mut blocker), b"*2\r\n$7\r\nib:list\r\n$1\r\nx\r\n");
    assert_eq!(info_field(&info(&mut c, &["clients"]), "blocked_clients").as_deref(), Some("0"));
}

// ---------------------------------------------------------------- CONFIG

fn config_get(c: &mut redis::Connection, patterns: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["CONFIG", "GET"];
    args.extend_from_slice(patterns);
    let flat = array(ok_cmd(c, &args));
    assert!(flat.len().is_multiple_of(2), "CONFIG GET answers name/value pairs: {flat:?}");
    flat.chunks(2).map(|p| (text(&p[0]), text(&p[1]))).collect()
}

fn config_value(c: &mut redis::Connection, name: &str) -> String {
    let pairs = config_get(c, &[name]);
    assert_eq!(pairs.len(), 1, "CONFIG GET {name}: {pairs:?}");
    assert_eq!(pairs[0].0.to_lowercase(), name.to_lowercase());
    pairs[0].1.clone()
}

#[test]
fn config_get_standard_parameters() {
    let s = Server::start();
    let mut c = s.client();
    config_value(&mut c, "save");
    let aof = config_value(&mut c, "appendonly");
    assert!(aof == "yes" || aof == "no", "appendonly {aof}");
    assert_eq!(config_value(&mut c, "databases"), "16");
    assert_eq!(config_value(&mut c, "maxclients"), "10000");
    assert_eq!(config_value(&mut c, "appendfsync"), "everysec");
    assert_eq!(config_value(&mut c, "port"), s.port.to_string());
    let events = config_value(&mut c, "notify-keyspace-events");
    if is_redis() {
        assert_eq!(events, "");
    } else {
        // Efis turns keyspace notifications on by default (KEA, in any order)
        let mut flags: Vec<char> = events.chars().collect();
        flags.sort();
        assert_eq!(flags, vec!['A', 'E', 'K'], "notify-keyspace-events {events:?}");
    }
    assert_eq!(config_get(&mut c, &["nosuchparameter"]), vec![]);
    let two = config_get(&mut c, &["databases", "maxclients"]);
    assert_eq!(two.len(), 2, "{two:?}");
}

#[test]
fn config_get_glob() {
    let s = Server::start();
    let mut c = s.client();
    let pairs = config_get(&mut c, &["*max-*-entries*"]);
    let names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "set-max-intset-entries",
        "hash-max-listpack-entries",
        "hash-max-ziplist-entries",
        "zset-max-listpack-entries",
        "zset-max-ziplist-entries",
    ] {
        assert!(names.contains(&expected), "CONFIG GET *max-*-entries* lacks {expected}: {names:?}");
    }
    for (name, value) in &pairs {
        assert!(name.contains("max-") && name.contains("-entries"), "{name} does not match the pattern");
        assert!(value.parse::<i64>().is_ok(), "{name} = {value:?}");
    }
    let names: Vec<String> = config_get(&mut c, &["data?ases"]).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["databases"]);
}

#[test]
fn config_set_encoding_parameters() {
    let s = Server::start();
    let mut c = s.client();
    for (name, value) in [
        ("list-max-listpack-size", "8"),
        ("set-max-intset-entries", "1000"),
        ("zset-max-listpack-entries", "64"),
        ("zset-max-listpack-value", "32"),
        ("hash-max-listpack-entries", "256"),
        ("hash-max-listpack-value", "48"),
        ("hash-max-ziplist-entries", "100"),
        ("zset-max-ziplist-value", "16"),
        ("list-max-ziplist-size", "-3"),
    ] {
        assert_eq!(ok_cmd(&mut c, &["CONFIG", "SET", name, value]), Value::Okay, "CONFIG SET {name} {value}");
        assert_eq!(config_value(&mut c, name), value, "CONFIG GET {name}");
    }
    // the old ziplist names and the listpack names are one setting
    assert_eq!(config_value(&mut c, "hash-max-listpack-entries"), "100");
    assert_eq!(config_value(&mut c, "zset-max-listpack-value"), "16");
    assert_eq!(config_value(&mut c, "list-max-listpack-size"), "-3");
    ok_cmd(&mut c, &["CONFIG", "SET", "zset-max-listpack-entries", "200"]);
    assert_eq!(config_value(&mut c, "zset-max-ziplist-entries"), "200");
    // several at once, case-insensitive names
    let reply = ok_cmd(&mut c, &["CONFIG", "SET", "SET-MAX-INTSET-ENTRIES", "7", "hash-max-listpack-value", "9"]);
    assert_eq!(reply, Value::Okay);
    assert_eq!(config_value(&mut c, "set-max-intset-entries"), "7");
    assert_eq!(config_value(&mut c, "hash-max-listpack-value"), "9");
    // another connection sees the same settings
    let mut other = s.client();
    assert_eq!(config_value(&mut other, "set-max-intset-entries"), "7");
}

#[test]
fn config_set_notify_keyspace_events() {
    let s = Server::start();
    let mut c = s.client();
    ok_cmd(&mut c, &["CONFIG", "SET", "notify-keyspace-events", ""]);
    assert_eq!(config_value(&mut c, "notify-keyspace-events"), "");
    ok_cmd(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "Kx"]);
    let mut flags: Vec<char> = config_value(&mut c, "notify-keyspace-events").chars().collect();
    flags.sort();
    assert_eq!(flags, vec!['K', 'x']);
}

#[test]
fn config_errors() {
    let s = Server::start();
    let mut c = s.client();
    let e = err_cmd(&mut c, &["CONFIG", "SET", "set-max-intset-entries", "abc"]);
    assert!(e.starts_with("ERR CONFIG SET failed") && e.contains("'set-max-intset-entries'"), "{e}");
    assert_eq!(
        err_cmd(&mut c, &["CONFIG", "SET", "nosuchparameter", "1"]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'nosuchparameter'"
    );
    let mut r = s.raw();
    assert_reply(&roundtrip(&mut r, b"CONFIG\r\n"), b"-ERR wrong number of arguments for 'config' command\r\n");
    assert_reply(&roundtrip(&mut r, b"CONFIG GET\r\n"), b"-ERR wrong number of arguments for 'config|get' command\r\n");
    assert_reply(&roundtrip(&mut r, b"CONFIG SET\r\n"), b"-ERR wrong number of arguments for 'config|set' command\r\n");
    assert_reply(
        &roundtrip(&mut r, b"CONFIG SET databases\r\n"),
        b"-ERR wrong number of arguments for 'config|set' command\r\n",
    );
    assert_reply(
        &roundtrip(&mut r, b"CONFIG RESETSTAT x\r\n"),
        b"-ERR wrong number of arguments for 'config|resetstat' command\r\n",
    );
    assert_reply(&roundtrip(&mut r, b"CONFIG FOO\r\n"), b"-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n");
}

#[test]
fn config_resetstat() {
    let s = Server::start();
    let mut c = s.client();
    for _ in 0..5 {
        ok_cmd(&mut c, &["GET", "rs:x"]);
    }
    assert_eq!(ok_cmd(&mut c, &["CONFIG", "RESETSTAT"]), Value::Okay);
    let stats = info(&mut c, &["commandstats"]);
    assert!(info_field(&stats, "cmdstat_get").is_none(), "GET stats not reset: {stats}");
}

// ---------------------------------------------------------------- others

#[test]
fn time() {
    let s = Server::start();
    let mut c = s.client();
    let reply = array(ok_cmd(&mut c, &["TIME"]));
    assert_eq!(reply.len(), 2);
    let secs: i64 = text(&reply[0]).parse().expect("seconds");
    let micros: i64 = text(&reply[1]).parse().expect("microseconds");
    assert!((secs - unix_now()).abs() < 60, "TIME {secs} far from the clock");
    assert!((0..1_000_000).contains(&micros));
    assert!(err_cmd(&mut c, &["TIME", "x"]).contains("wrong number of arguments for 'time'"));
}

#[test]
fn dbsize_flushdb_flushall() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(ok_cmd(&mut c, &["DBSIZE"]), Value::Int(0));
    for k in ["fl:a", "fl:b", "fl:c"] {
        ok_cmd(&mut c, &["SET", k, "v"]);
    }
    assert_eq!(ok_cmd(&mut c, &["DBSIZE"]), Value::Int(3));
    ok_cmd(&mut c, &["SELECT", "1"]);
    ok_cmd(&mut c, &["SET", "fl:d", "v"]);
    assert_eq!(ok_cmd(&mut c, &["DBSIZE"]), Value::Int(1));
    assert_eq!(ok_cmd(&mut c, &["FLUSHDB"]), Value::Okay);
    assert_eq!(ok_cmd(&mut c, &["DBSIZE"]), Value::Int(0));
    ok_cmd(&mut c, &["SET", "fl:d", "v"]);
    ok_cmd(&mut c, &["SELECT", "0"]);
    assert_eq!(ok_cmd(&mut c, &["DBSIZE"]), Value::Int(3), "FLUSHDB in db 1 left db 0 alone");
    assert_eq!(ok_cmd(&mut c, &["FLUSHALL"]), Value::Okay);
    assert_eq!(ok_cmd(&mut c, &["DBSIZE"]), Value::Int(0));
    ok_cmd(&mut c, &["SELECT", "1"]);
    assert_eq!(ok_cmd(&mut c, &["DBSIZE"]), Value::Int(0), "FLUSHALL emptied db 1 too");
    ok_cmd(&mut c, &["SET", "fl:e", "v"]);
    assert_eq!(ok_cmd(&mut c, &["FLUSHDB", "ASYNC"]), Value::Okay);
    assert_eq!(ok_cmd(&mut c, &["FLUSHALL", "SYNC"]), Value::Okay);
    assert_eq!(ok_cmd(&mut c, &["flushall", "async"]), Value::Okay);
    assert_eq!(err_cmd(&mut c, &["FLUSHDB", "x"]), "ERR syntax error");
    assert_eq!(err_cmd(&mut c, &["FLUSHALL", "x"]), "ERR syntax error");
    assert_eq!(err_cmd(&mut c, &["DBSIZE", "x"]), "ERR wrong number of arguments for 'dbsize' command");
}

#[test]
fn debug_sleep_and_populate() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(ok_cmd(&mut c, &["DEBUG", "SLEEP", "0"]), Value::Okay);
    assert_eq!(ok_cmd(&mut c, &["DEBUG", "POPULATE", "100"]), Value::Okay);
    assert_eq!(ok_cmd(&mut c, &["DBSIZE"]), Value::Int(100));
    assert_eq!(ok_cmd(&mut c, &["GET", "key:0"]), bulk("value:0"));
    assert_eq!(ok_cmd(&mut c, &["GET", "key:99"]), bulk("value:99"));
    assert_eq!(ok_cmd(&mut c, &["DEBUG", "POPULATE", "3", "pfx"]), Value::Okay);
    assert_eq!(ok_cmd(&mut c, &["DBSIZE"]), Value::Int(103));
    assert_eq!(ok_cmd(&mut c, &["GET", "pfx:2"]), bulk("value:2"));
    assert_eq!(err_cmd(&mut c, &["DEBUG"]), "ERR wrong number of arguments for 'debug' command");
}

#[test]
fn slowlog() {
    let s = Server::start();
    let mut c = s.client();
    array(ok_cmd(&mut c, &["SLOWLOG", "GET"]));
    array(ok_cmd(&mut c, &["SLOWLOG", "GET", "5"]));
    int(&ok_cmd(&mut c, &["SLOWLOG", "LEN"]));
    assert_eq!(ok_cmd(&mut c, &["SLOWLOG", "RESET"]), Value::Okay);
    assert_eq!(ok_cmd(&mut c, &["SLOWLOG", "LEN"]), Value::Int(0));
    assert_eq!(err_cmd(&mut c, &["SLOWLOG"]), "ERR wrong number of arguments for 'slowlog' command");
    assert_eq!(err_cmd(&mut c, &["SLOWLOG", "LEN", "x"]), "ERR wrong number of arguments for 'slowlog|len' command");
    assert_eq!(err_cmd(&mut c, &["SLOWLOG", "FOO"]), "ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.");
}

#[test]
fn function_list_and_flush() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(ok_cmd(&mut c, &["FUNCTION", "LIST"]), Value::Array(vec![]));
    assert_eq!(ok_cmd(&mut c, &["FUNCTION", "FLUSH"]), Value::Okay);
    assert_eq!(err_cmd(&mut c, &["FUNCTION"]), "ERR wrong number of arguments for 'function' command");
}

#[test]
fn lastsave() {
    let s = Server::start();
    let mut c = s.client();
    let t = int(&ok_cmd(&mut c, &["LASTSAVE"]));
    assert!((0..=unix_now() + 60).contains(&t), "LASTSAVE {t}");
    assert_eq!(err_cmd(&mut c, &["LASTSAVE", "x"]), "ERR wrong number of arguments for 'lastsave' command");
}

// ---------------------------------------------------------------- the program

const SETTINGS: [(&str, &str); 13] = [
    ("PORT", "--port"),
    ("BIND", "--bind"),
    ("BACKUP_PATH", "--backup-path"),
    ("BACKUP_INTERVAL", "--backup-interval"),
    ("BACKUP_KEEP", "--backup-keep"),
    ("APPENDFSYNC", "--appendfsync"),
    ("REQUIREPASS", "--requirepass"),
    ("MAXCLIENTS", "--maxclients"),
    ("DATABASES", "--databases"),
    ("LOG_LEVEL", "--log-level"),
    ("HASH_MAX_LISTPACK_ENTRIES", "--hash-max-listpack-entries"),
    ("HASH_MAX_LISTPACK_VALUE", "--hash-max-listpack-value"),
    ("SET_MAX_INTSET_ENTRIES", "--set-max-intset-entries"),
];

/// Kills the child when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `efis` with none of its settings inherited from the test's environment,
/// a free port and a fresh data directory (so a run that unexpectedly
/// starts serving disturbs nothing), then `env` and `args`.
fn efis_command(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut c = Command::new(efis_bin());
    for (name, _) in SETTINGS {
        c.env_remove(name);
    }
    c.env("PORT", free_port().to_string()).env("BACKUP_PATH", dir.join("data")).env("LOG_LEVEL", "warn");
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// Runs `efis` to completion (at most 10 s) and returns its output.
fn run_efis(env: &[(&str, &str)], args: &[&str]) -> Output {
    let dir = fresh_temp_dir("cfg");
    let mut child = efis_command(&dir, env, args).spawn().expect("spawn efis");
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&dir);
            panic!("efis {args:?} with {env:?} was still running after 10 s");
        }
        thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn help_lists_every_setting() {
    if is_redis() {
        return;
    }
    let out = run_efis(&[], &["--help"]);
    assert!(out.status.success(), "efis --help: {}", out.status);
    let help = String::from_utf8_lossy(&out.stdout);
    for (env, flag) in SETTINGS {
        assert!(help.contains(env), "--help does not mention {env}:\n{help}");
        assert!(help.contains(flag), "--help does not mention {flag}:\n{help}");
    }
    for default in ["6379", "127.0.0.1", "./data", "600", "everysec", "10000", "16", "info"] {
        assert!(help.contains(default), "--help does not show the default {default}:\n{help}");
    }
}

#[test]
fn version_flag() {
    if is_redis() {
        return;
    }
    let out = run_efis(&[], &["--version"]);
    assert!(out.status.success(), "efis --version: {}", out.status);
    let version = String::from_utf8_lossy(&out.stdout);
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "efis --version printed {version:?}");
}

/// The one non-empty line efis wrote to stderr, lowercased, with `-` as `_`.
#[track_caller]
fn single_error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected a one-line error, got {stderr:?}");
    lines[0].to_lowercase().replace('-', "_")
}

enum Given {
    Env,
    Flag,
}

#[test]
fn bad_settings_exit_with_code_2_and_name_the_setting() {
    if is_redis() {
        return;
    }
    let not_a_dir = fresh_temp_dir("notadir");
    let file = not_a_dir.join("file");
    std::fs::write(&file, b"x").unwrap();
    let unwritable = file.join("sub").display().to_string();
    // (given as an environment variable or a flag, name, bad value, the
    // setting the error must name)
    let cases = [
        (Given::Env, "PORT", "99999", "port"),
        (Given::Flag, "--port", "abc", "port"),
        (Given::Env, "BACKUP_INTERVAL", "abc", "backup_interval"),
        (Given::Env, "BACKUP_INTERVAL", "-5", "backup_interval"),
        (Given::Flag, "--backup-interval", "x1", "backup_interval"),
        (Given::Env, "APPENDFSYNC", "sometimes", "appendfsync"),
        (Given::Flag, "--appendfsync", "sometimes", "appendfsync"),
        (Given::Env, "MAXCLIENTS", "many", "maxclients"),
        (Given::Env, "DATABASES", "x", "databases"),
        (Given::Env, "BACKUP_KEEP", "lots", "backup_keep"),
        (Given::Env, "LOG_LEVEL", "loud", "log_level"),
        (Given::Env, "HASH_MAX_LISTPACK_ENTRIES", "many", "hash_max_listpack_entries"),
        (Given::Flag, "--hash-max-listpack-value", "-1", "hash_max_listpack_value"),
        (Given::Env, "SET_MAX_INTSET_ENTRIES", "1.5", "set_max_intset_entries"),
        (Given::Env, "BACKUP_PATH", unwritable.as_str(), "backup_path"),
    ];
    for (given, name, value, setting) in cases {
        let out = match given {
            Given::Env => run_efis(&[(name, value)], &[]),
            Given::Flag => run_efis(&[], &[name, value]),
        };
        let what = format!("{name} {value}");
        assert_eq!(out.status.code(), Some(2), "{what}: {}", String::from_utf8_lossy(&out.stderr));
        let line = single_error_line(&out);
        assert!(line.contains(setting), "{what}: the error does not name {setting}: {line:?}");
        let value = value.to_lowercase().replace('-', "_");
        assert!(line.contains(&value), "{what}: the error does not name the value: {line:?}");
    }
    let _ = std::fs::remove_dir_all(&not_a_dir);
}

#[test]
fn unknown_flag_exits_with_code_2() {
    if is_redis() {
        return;
    }
    let out = run_efis(&[], &["--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(single_error_line(&out).contains("frobnicate"));
}

#[test]
fn flag_wins_over_environment() {
    if is_redis() {
        return;
    }
    let dir = fresh_temp_dir("flag");
    let env_port = free_port();
    let flag_port = free_port();
    let mut command = efis_command(&dir, &[("PORT", &env_port.to_string())], &["--port", &flag_port.to_string()]);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let mut guard = Guard(command.spawn().expect("spawn efis"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", flag_port)).is_err() {
        assert!(guard.0.try_wait().unwrap().is_none(), "efis exited");
        assert!(Instant::now() < deadline, "efis not listening on the --port {flag_port}");
        thread::sleep(Duration::from_millis(10));
    }
    assert!(TcpStream::connect(("127.0.0.1", env_port)).is_err(), "efis listens on PORT although --port was given");
    drop(guard);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn maxclients_refuses_further_connections() {
    let s = Server::start_with(&[("MAXCLIENTS", "2")]);
    // The harness's readiness probe may not be gone yet: retry the first two.
    let mut connected = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while connected.len() < 2 {
        let mut c = s.raw();
        let reply = roundtrip(&mut c, b"PING\r\n");
        if reply == b"+PONG\r\n" {
            connected.push(c);
        } else {
            assert!(Instant::now() < deadline, "could not open 2 connections with MAXCLIENTS=2: {}", show(&reply));
            thread::sleep(Duration::from_millis(20));
        }
    }
    let mut third = s.raw();
    let reply = read_reply(&mut third);
    assert_reply(&reply, b"-ERR max number of clients reached\r\n");
    assert!(is_closed(&mut third));
    // the first two keep working, and a slot frees up when one leaves
    for c in &mut connected {
        assert_reply(&roundtrip(c, b"PING\r\n"), b"+PONG\r\n");
    }
    drop(connected.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut c = s.raw();
        send(&mut c, b"PING\r\n");
        let reply = read_reply(&mut c);
        if reply == b"+PONG\r\n" {
            break;
        }
        assert!(Instant::now() < deadline, "no slot after a client left: {}", show(&reply));
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_exits_0() {
    let mut s = Server::start();
    let mut c = s.client();
    ok_cmd(&mut c, &["SET", "term:a", "1"]);
    let status = s.stop();
    assert!(status.success(), "exit status after SIGTERM: {status}");
}
