//! What a script's commands do to the rest of the server: writes are
//! visible at once and never rolled back, keyspace notifications and
//! `WATCH` see them, the old blocking commands are refused and BLMPOP does
//! not block, other commands are refused too, read-only scripts refuse
//! writes, `MULTI` queues scripts, and `SELECT` inside a script changes
//! only the script's database.

use super::{call, eval, script_error, sha1_hex, NOT_ALLOWED};
use crate::common::wire::{bulk, bulks, int, Wire, NIL, OK};
use crate::common::*;
use crate::pubsub::{bulks as messages, expect};

const READ_ONLY: &str = "ERR Write commands are not allowed from read-only scripts.";

#[test]
fn writes_are_visible_and_never_rolled_back() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let mut other = Wire::open(&s);
    w.is(&eval("redis.call('set', KEYS[1], ARGV[1]); return redis.call('incr', KEYS[2])", &["a", "n"], &["v"]), int(1));
    other.is(&["GET", "a"], bulk("v"));
    other.is(&["GET", "n"], bulk("1"));
    // A script that fails after writing keeps what it wrote.
    let body = "redis.call('rpush', KEYS[1], 'x'); redis.call('incr', KEYS[1]); return 1";
    w.is(
        &eval(body, &["l"], &[]),
        script_error(body, "WRONGTYPE Operation against a key holding the wrong kind of value", 1),
    );
    other.is(&["LRANGE", "l", "0", "-1"], bulks(&["x"]));
    let body = "redis.call('set', KEYS[1], 'partial'); error('stop')";
    w.is(&eval(body, &["p"], &[]), script_error(body, "ERR user_script:1: stop", 1));
    other.is(&["GET", "p"], bulk("partial"));
    // Scripts may write after reading the clock or a random member.
    w.is(
        &eval(
            "local t = redis.call('time'); redis.call('set', KEYS[1], t[1]); return redis.call('exists', KEYS[1])",
            &["t"],
            &[],
        ),
        int(1),
    );
    w.is(
        &eval("redis.call('sadd', KEYS[1], 'a'); local m = redis.call('spop', KEYS[1]); return redis.call('set', KEYS[2], m)", &["set", "m"], &[]),
        OK,
    );
    other.is(&["GET", "m"], bulk("a"));
    w.is(&eval("return redis.call('set', KEYS[1], 'w', 'GET')", &["m"], &[]), bulk("a"));
}

#[test]
fn keyspace_notifications_from_scripts() {
    let s = Server::start();
    let mut c = s.raw();
    expect(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KEA"], b"+OK\r\n");
    let mut space = s.raw();
    let mut event = s.raw();
    roundtrip(&mut space, &resp(&["PSUBSCRIBE", "__keyspace@*__:*"]));
    roundtrip(&mut event, &resp(&["SUBSCRIBE", "__keyevent@0__:set"]));
    let body = "redis.call('set', KEYS[1], '1'); redis.call('incr', KEYS[1]); redis.call('rpush', KEYS[2], 'x'); \
                redis.call('get', KEYS[1]); redis.call('select', 2); redis.call('set', KEYS[1], '2'); return 'done'";
    let cmd: Vec<&str> = vec!["EVAL", body, "2", "ka", "kb"];
    expect(&mut c, &cmd, b"$4\r\ndone\r\n");
    for (db, key, name) in [(0, "ka", "set"), (0, "ka", "incrby"), (0, "kb", "rpush"), (2, "ka", "set")] {
        let channel = format!("__keyspace@{db}__:{key}");
        assert_reply(&read_reply(&mut space), &messages('*', &["pmessage", "__keyspace@*__:*", &channel, name]));
    }
    assert_reply(&read_reply(&mut event), &messages('*', &["message", "__keyevent@0__:set", "ka"]));
    // Nothing more: the next reply is PING's.
    let pong = b"*2\r\n$4\r\npong\r\n$0\r\n\r\n";
    expect(&mut space, &["PING"], pong);
    expect(&mut event, &["PING"], pong);
}

#[test]
fn watch_sees_a_scripts_writes() {
    let s = Server::start();
    let mut c = s.raw();
    let mut other = s.raw();
    expect(&mut c, &["SET", "w", "1"], b"+OK\r\n");
    let incr = ["EVAL", "return redis.call('incr', KEYS[1])", "1", "w"];
    // Another client's script.
    expect(&mut c, &["WATCH", "w"], b"+OK\r\n");
    expect(&mut other, &incr, b":2\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["GET", "w"], b"+QUEUED\r\n");
    expect(&mut c, &["EXEC"], b"*-1\r\n");
    // The watching client's own script.
    expect(&mut c, &["WATCH", "w"], b"+OK\r\n");
    expect(&mut c, &incr, b":3\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["GET", "w"], b"+QUEUED\r\n");
    expect(&mut c, &["EXEC"], b"*-1\r\n");
    // A script that only reads changes nothing.
    expect(&mut c, &["WATCH", "w"], b"+OK\r\n");
    expect(&mut other, &["EVAL", "return redis.call('get', KEYS[1])", "1", "w"], b"$1\r\n3\r\n");
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["GET", "w"], b"+QUEUED\r\n");
    expect(&mut c, &["EXEC"], b"*1\r\n$1\r\n3\r\n");
}

#[test]
fn blocking_commands_do_not_block() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["RPUSH", "q", "a", "b"], int(2));
    w.is(&["ZADD", "z", "1", "m"], int(1));
    // The old blocking commands are refused, with or without data.
    for (body, keys) in [
        ("return redis.call('blpop', KEYS[1], 0)", ["q"]),
        ("return redis.call('blpop', KEYS[1], 0)", ["empty"]),
        ("return redis.call('brpop', KEYS[1], 0)", ["q"]),
        ("return redis.call('brpoplpush', KEYS[1], 'd', 0)", ["empty"]),
        ("return redis.call('blmove', KEYS[1], 'd', 'left', 'right', 0)", ["q"]),
        ("return redis.call('bzpopmin', KEYS[1], 0)", ["z"]),
        ("return redis.call('bzpopmax', KEYS[1], 0)", ["empty"]),
    ] {
        w.is(&eval(body, &keys, &[]), script_error(body, NOT_ALLOWED, 1));
    }
    w.is(&["LLEN", "q"], int(2));
    // BLMPOP runs as LMPOP: it pops what is there, or answers nil at once
    // however long its timeout.
    let body = "return redis.call('blmpop', 0, 1, KEYS[1], 'left')";
    w.is(&eval(body, &["q"], &[]), "*2\r\n$1\r\nq\r\n*1\r\n$1\r\na\r\n");
    w.is(
        &eval("return redis.call('blmpop', 5, 1, KEYS[1], 'left', 'count', 5)", &["q"], &[]),
        "*2\r\n$1\r\nq\r\n*1\r\n$1\r\nb\r\n",
    );
    w.is(&eval(body, &["q"], &[]), NIL);
    w.is(&eval("return redis.call('blmpop', 5, 1, KEYS[1], 'left')", &["empty"], &[]), NIL);
    w.is(&["EXISTS", "q"], int(0));
}

#[test]
fn commands_refused_inside_scripts() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let refused: &[&str] = &[
        "'subscribe', 'ch'",
        "'psubscribe', 'ch*'",
        "'unsubscribe', 'ch'",
        "'punsubscribe'",
        "'multi'",
        "'exec'",
        "'discard'",
        "'watch', 'x'",
        "'unwatch'",
        "'eval', 'return 1', 0",
        "'eval_ro', 'return 1', 0",
        "'evalsha', 'ffffffffffffffffffffffffffffffffffffffff', 0",
        "'evalsha_ro', 'ffffffffffffffffffffffffffffffffffffffff', 0",
        "'script', 'load', 'return 1'",
        "'script', 'exists', 'x'",
        "'fcall', 'f', 0",
        "'fcall_ro', 'f', 0",
        "'function', 'list'",
        "'function', 'stats'",
        "'client', 'list'",
        "'client', 'id'",
        "'client', 'setname', 'x'",
        "'monitor'",
        "'auth', 'x'",
        "'hello'",
        "'hello', '3'",
        "'reset'",
        "'quit'",
        "'save'",
        "'bgsave'",
        "'bgrewriteaof'",
        "'shutdown'",
        "'shutdown', 'nosave'",
        "'config', 'get', 'maxmemory'",
        "'config', 'set', 'x', 'y'",
        "'debug', 'sleep', 0",
    ];
    for args in refused {
        let body = format!("return redis.call({args})");
        w.is(&eval(&body, &[], &[]), script_error(&body, NOT_ALLOWED, 1));
        w.is(&eval(&format!("return redis.pcall({args})"), &[], &[]), format!("-{NOT_ALLOWED}\r\n"));
    }
    // These are allowed.
    for (args, want) in [
        ("'ping'", "+PONG\r\n".to_string()),
        ("'ping', 'with space'", "$10\r\nwith space\r\n".to_string()),
        ("'echo', 'x'", "$1\r\nx\r\n".to_string()),
        ("'publish', 'ch', 'm'", int(0)),
        ("'select', 1", OK.to_string()),
        ("'dbsize'", int(0)),
        ("'keys', '*'", "*0\r\n".to_string()),
        ("'randomkey'", NIL.to_string()),
        ("'flushdb'", OK.to_string()),
        ("'flushall'", OK.to_string()),
        ("'swapdb', 0, 1", OK.to_string()),
        ("'unlink', 'a'", int(0)),
        ("'lmpop', 1, 'x', 'left'", NIL.to_string()),
        ("'pubsub', 'channels'", "*0\r\n".to_string()),
    ] {
        w.is(&eval(&format!("return redis.call({args})"), &[], &[]), want);
    }
    for check in [
        "#redis.call('time') == 2",
        "redis.call('lastsave') > 0",
        "redis.call('command', 'count') > 0",
        "string.len(redis.call('info', 'server')) > 0",
    ] {
        w.is(&eval(&format!("return {check}"), &[], &[]), int(1));
    }
    // Command names are case-insensitive here too.
    w.is(&eval("return redis.call('PING')", &[], &[]), "+PONG\r\n");
    w.is(&eval("return redis.call('Set', 'MixedCase', 'v')", &[], &[]), OK);
}

#[test]
fn read_only_scripts_refuse_writes() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["SET", "ro", "1"], OK);
    for write in [
        "'set', KEYS[1], '2'",
        "'incr', KEYS[1]",
        "'del', KEYS[1]",
        "'expire', KEYS[1], 10",
        "'publish', 'ch', 'x'",
        "'flushall'",
    ] {
        let body = format!("return redis.call({write})");
        w.is(&call("EVAL_RO", &body, &["ro"], &[]), script_error(&body, READ_ONLY, 1));
        w.is(&call("EVAL_RO", &format!("return redis.pcall({write})"), &["ro"], &[]), format!("-{READ_ONLY}\r\n"));
        let sha = sha1_hex(body.as_bytes());
        w.is(&["SCRIPT", "LOAD", &body], bulk(&sha));
        w.is(&call("EVALSHA_RO", &sha, &["ro"], &[]), script_error(&body, READ_ONLY, 1));
    }
    w.is(&call("EVAL_RO", "return redis.call('get', KEYS[1])", &["ro"], &[]), bulk("1"));
    w.is(&["GET", "ro"], bulk("1"));
    // The same scripts run with EVAL.
    w.is(&eval("return redis.call('incr', KEYS[1])", &["ro"], &[]), int(2));
}

#[test]
fn shebang_flags() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["SET", "str", "x"], OK);
    let body = "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')";
    w.is(&eval(body, &[], &[]), script_error(body, READ_ONLY, 2));
    w.is(&eval("#!lua flags=no-writes\nreturn redis.call('get', 'str')", &[], &[]), bulk("x"));
    w.is(&eval("#!lua\nreturn redis.call('set', 'a', 'b')", &[], &[]), OK);
    w.is(&eval("#!lua flags=no-writes,allow-stale\nreturn 1", &[], &[]), int(1));
    // EVAL_RO runs only scripts that declare no-writes, when they declare.
    const WRITE_FLAG: &str = "-ERR Can not execute a script with write flag using *_ro command.\r\n";
    w.is(&call("EVAL_RO", "#!lua\nreturn 1", &[], &[]), WRITE_FLAG);
    w.is(&call("EVAL_RO", "#!lua flags=no-writes\nreturn 1", &[], &[]), int(1));
    w.is(&eval("#!lua flags=bogus\nreturn 1", &[], &[]), "-ERR Unexpected flag in script shebang: bogus\r\n");
    w.is(&eval("#!lua name=x\nreturn 1", &[], &[]), "-ERR Unknown lua shebang option: name=x\r\n");
    w.is(&eval("#!notlua\nreturn 1", &[], &[]), "-ERR Unexpected engine in script shebang: #!notlua\r\n");
}

#[test]
fn multi_queues_scripts() {
    let s = Server::start();
    let mut c = s.raw();
    let incr = ["EVAL", "return redis.call('incr', KEYS[1])", "1", "m"];
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &incr, b"+QUEUED\r\n");
    expect(&mut c, &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"], b"+QUEUED\r\n");
    expect(&mut c, &incr, b"+QUEUED\r\n");
    expect(&mut c, &["EXEC"], b"*3\r\n:1\r\n-NOSCRIPT No matching script. Please use EVAL.\r\n:2\r\n");
    // A script command with too few arguments aborts the transaction.
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["EVAL", "return 1"], b"-ERR wrong number of arguments for 'eval' command\r\n");
    expect(&mut c, &["EXEC"], b"-EXECABORT Transaction discarded because of previous errors.\r\n");
    // Loading, failing and killing inside a transaction.
    let body = "error('x')";
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(&mut c, &["SCRIPT", "LOAD", "return 'x'"], b"+QUEUED\r\n");
    expect(&mut c, &["EVAL", body, "0"], b"+QUEUED\r\n");
    expect(&mut c, &["SCRIPT", "KILL"], b"+QUEUED\r\n");
    let mut want = format!("*3\r\n${}\r\n{}\r\n", 40, sha1_hex(b"return 'x'")).into_bytes();
    want.extend_from_slice(script_error(body, "ERR user_script:1: x", 1).as_bytes());
    want.extend_from_slice(b"-NOTBUSY No scripts in execution right now.\r\n");
    expect(&mut c, &["EXEC"], &want);
    // Functions too.
    expect(&mut c, &["MULTI"], b"+OK\r\n");
    expect(
        &mut c,
        &["FUNCTION", "LOAD", "#!lua name=mx\nredis.register_function('mxf', function() return 1 end)"],
        b"+QUEUED\r\n",
    );
    expect(&mut c, &["FCALL", "mxf", "0"], b"+QUEUED\r\n");
    expect(&mut c, &["FUNCTION", "KILL"], b"+QUEUED\r\n");
    expect(&mut c, &["EXEC"], b"*3\r\n$2\r\nmx\r\n:1\r\n-NOTBUSY No scripts in execution right now.\r\n");
    expect(&mut c, &["GET", "m"], b"$1\r\n2\r\n");
}

#[test]
fn select_inside_a_script_stays_inside() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["SET", "k", "db0"], OK);
    w.is(
        &eval(
            "redis.call('select', 1); redis.call('set', KEYS[1], 'db1'); return redis.call('get', KEYS[1])",
            &["k"],
            &[],
        ),
        bulk("db1"),
    );
    // The client is still in database 0, and so is its next script.
    w.is(&["GET", "k"], bulk("db0"));
    w.is(&eval("return redis.call('get', KEYS[1])", &["k"], &[]), bulk("db0"));
    w.is(&["SELECT", "1"], OK);
    w.is(&["GET", "k"], bulk("db1"));
    // A script starts in its client's database.
    w.is(&eval("return redis.call('get', KEYS[1])", &["k"], &[]), bulk("db1"));
    w.is(&["SELECT", "0"], OK);
    let body = "return redis.call('select', 20)";
    w.is(&eval(body, &[], &[]), script_error(body, "ERR DB index is out of range", 1));
    w.is(&eval("return redis.pcall('select', 'x')", &[], &[]), "-ERR value is not an integer or out of range\r\n");
    w.is(&["GET", "k"], bulk("db0"));
}

/// A script that holds more than an interpreter may (512 MiB) ends with
/// Redis's out-of-memory error instead of growing the server without
/// bound; the memory goes back, and the next script runs. Efis's choice:
/// Redis bounds scripts only by `maxmemory`.
#[test]
fn a_script_past_the_memory_limit_fails_and_the_server_carries_on() {
    if is_redis() {
        return;
    }
    let s = Server::start();
    let mut w = Wire::open(&s);
    let body = "local t = {} local s = string.rep('x', 1024 * 1024) for i = 1, 600 do t[i] = s .. i end return #t";
    let got = w.call(&eval(body, &[], &[]));
    w.check(got.starts_with(b"-ERR not enough memory script: "), format!("got {:?}", String::from_utf8_lossy(&got)));
    w.is(&eval("return 1", &[], &[]), int(1));
    let info = String::from_utf8_lossy(&w.call(&["INFO", "memory"])).into_owned();
    let lua: u64 = info
        .lines()
        .find_map(|line| line.strip_prefix("used_memory_vm_eval:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("INFO memory has used_memory_vm_eval");
    w.check(lua < 64 * 1024 * 1024, format!("the interpreter gave its memory back: {lua} bytes"));
}
