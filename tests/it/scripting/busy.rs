//! Scripts that run too long: once `busy-reply-threshold` has passed,
//! every other client gets `-BUSY`; `SCRIPT KILL` stops a script and
//! `FUNCTION KILL` a function, unless it has written, in which case only
//! `SHUTDOWN NOSAVE` ends it. Every wait here is bounded.

use std::fs;
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use super::sha1_hex;
use crate::common::wire::{parse, Reply};
use crate::common::*;
use crate::pubsub::expect;

const BUSY_SCRIPT: &[u8] =
    b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
const BUSY_FUNCTION: &[u8] =
    b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n";
const UNKILLABLE: &[u8] = b"-UNKILLABLE Sorry the script already executed write commands against the dataset. \
    You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n";
const NOTBUSY: &[u8] = b"-NOTBUSY No scripts in execution right now.\r\n";

/// What the client of a killed script gets.
fn killed(script: &str, place: &str) -> Vec<u8> {
    format!("-ERR Script killed by user with SCRIPT KILL... script: {script}, on @{place}.\r\n").into_bytes()
}

/// Starts a server whose scripts count as busy after 200 ms.
fn server() -> Server {
    let s = Server::start();
    let mut c = s.raw();
    expect(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "200"], b"+OK\r\n");
    // The old name is the same setting.
    expect(&mut c, &["CONFIG", "GET", "lua-time-limit"], b"*2\r\n$14\r\nlua-time-limit\r\n$3\r\n200\r\n");
    s
}

/// Sends `args` on a connection of its own and returns it, the reply
/// still to come.
fn start(s: &Server, args: &[&str]) -> TcpStream {
    let mut c = s.raw();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    send(&mut c, &resp(args));
    c
}

/// Sends PING on `c` until the server answers `busy` (at most 5 s).
fn wait_busy(c: &mut TcpStream, busy: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let reply = roundtrip(c, &resp(&["PING"]));
        if reply == busy {
            return;
        }
        assert_eq!(show(&reply), show(b"+PONG\r\n"), "neither busy nor idle");
        assert!(Instant::now() < deadline, "the script did not make the server busy within 5 s");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn busy_script_is_stopped_by_script_kill() {
    let s = server();
    let mut c = s.raw();
    expect(&mut c, &["SET", "k", "v"], b"+OK\r\n");
    let body = "while true do end";
    let mut runner = start(&s, &["EVAL", body, "0"]);
    wait_busy(&mut c, BUSY_SCRIPT);
    for args in [
        &["GET", "k"][..],
        &["SET", "k", "w"],
        &["EVAL", "return 1", "0"],
        &["SCRIPT", "EXISTS", "x"],
        &["SCRIPT", "LOAD", "return 1"],
        &["FUNCTION", "STATS"],
        &["CONFIG", "GET", "maxmemory"],
        &["INFO", "server"],
        &["SUBSCRIBE", "ch"],
        // FUNCTION KILL does not stop a script run by EVAL.
        &["FUNCTION", "KILL"],
        // Only SHUTDOWN NOSAVE goes through.
        &["SHUTDOWN"],
        &["SHUTDOWN", "SAVE"],
    ] {
        assert_reply(&roundtrip(&mut c, &resp(args)), BUSY_SCRIPT);
    }
    // A client that connects now is answered the same.
    let mut late = s.raw();
    expect(&mut late, &["PING"], BUSY_SCRIPT);
    expect(&mut c, &["SCRIPT", "KILL"], b"+OK\r\n");
    assert_reply(&read_reply(&mut runner), &killed(&sha1_hex(body.as_bytes()), "user_script:1"));
    expect(&mut runner, &["PING"], b"+PONG\r\n");
    expect(&mut c, &["GET", "k"], b"$1\r\nv\r\n");
    expect(&mut late, &["PING"], b"+PONG\r\n");
    expect(&mut c, &["SCRIPT", "KILL"], NOTBUSY);
}

#[test]
fn script_kill_stops_loops_that_call_commands() {
    let s = server();
    let mut c = s.raw();
    for (verb, body) in [
        ("EVAL", "while true do redis.call('get', 'x') end"),
        ("EVAL", "while true do redis.pcall('get', 'x') end"),
        ("EVAL", "while true do pcall(function() end) end"),
        ("EVAL", "while true do pcall(redis.call, 'nosuchcommand') end"),
        ("EVAL_RO", "while true do end"),
        ("EVAL", "local n = 0\nwhile true do\n  n = n + 1\nend"),
    ] {
        let mut runner = start(&s, &[verb, body, "0"]);
        wait_busy(&mut c, BUSY_SCRIPT);
        expect(&mut c, &["SCRIPT", "KILL"], b"+OK\r\n");
        let reply = read_reply(&mut runner);
        let line = String::from_utf8_lossy(&reply);
        let want = format!(
            "-ERR Script killed by user with SCRIPT KILL... script: {}, on @user_script:",
            sha1_hex(body.as_bytes())
        );
        assert!(line.starts_with(&want) && line.ends_with(".\r\n"), "{verb} {body:?} got {line:?}");
        expect(&mut runner, &["PING"], b"+PONG\r\n");
    }
    // A script loaded by SCRIPT LOAD and run by EVALSHA.
    let body = "while true do end";
    let sha = sha1_hex(body.as_bytes());
    expect(&mut c, &["SCRIPT", "LOAD", body], format!("$40\r\n{sha}\r\n").as_bytes());
    let mut runner = start(&s, &["EVALSHA", &sha, "0"]);
    wait_busy(&mut c, BUSY_SCRIPT);
    expect(&mut c, &["SCRIPT", "KILL"], b"+OK\r\n");
    assert_reply(&read_reply(&mut runner), &killed(&sha, "user_script:1"));
}

#[test]
fn busy_function_is_stopped_by_function_kill() {
    let s = server();
    let mut c = s.raw();
    let code = "#!lua name=spin\nredis.register_function('spin', function() while true do end end)\n\
                redis.register_function{function_name='spinro', callback=function() while true do end end, flags={'no-writes'}}";
    expect(&mut c, &["FUNCTION", "LOAD", code], b"$4\r\nspin\r\n");
    for (verb, name, line) in [("FCALL", "spin", 2), ("FCALL_RO", "spinro", 3)] {
        let mut runner = start(&s, &[verb, name, "0"]);
        wait_busy(&mut c, BUSY_FUNCTION);
        expect(&mut c, &["GET", "k"], BUSY_FUNCTION);
        // SCRIPT KILL does not stop a function.
        expect(&mut c, &["SCRIPT", "KILL"], BUSY_FUNCTION);
        // FUNCTION STATS answers, naming the running function.
        let stats = parse(&roundtrip(&mut c, &resp(&["FUNCTION", "STATS"])));
        let fields = stats.items();
        assert_eq!(fields.len(), 4, "{stats:?}");
        assert_eq!(fields[0], Reply::Bulk(b"running_script".to_vec()), "{stats:?}");
        let running = fields[1].items();
        assert_eq!(running.len(), 6, "{stats:?}");
        assert_eq!(running[0..2], [Reply::Bulk(b"name".to_vec()), Reply::Bulk(name.as_bytes().to_vec())], "{stats:?}");
        let command: Vec<Reply> = [verb, name, "0"].iter().map(|a| Reply::Bulk(a.as_bytes().to_vec())).collect();
        assert_eq!(running[2..4], [Reply::Bulk(b"command".to_vec()), Reply::Array(command)], "{stats:?}");
        assert_eq!(running[4], Reply::Bulk(b"duration_ms".to_vec()), "{stats:?}");
        assert!(matches!(running[5], Reply::Int(ms) if ms >= 200), "{stats:?}");
        assert_eq!(fields[2], Reply::Bulk(b"engines".to_vec()), "{stats:?}");
        expect(&mut c, &["FUNCTION", "KILL"], b"+OK\r\n");
        assert_reply(&read_reply(&mut runner), &killed(name, &format!("user_function:{line}")));
        expect(&mut runner, &["PING"], b"+PONG\r\n");
    }
    expect(&mut c, &["FUNCTION", "KILL"], NOTBUSY);
}

#[test]
fn busy_script_that_ends_by_itself() {
    let s = server();
    let mut c = s.raw();
    // Runs for 600 ms by the server's clock.
    let body = "local s = redis.call('time'); local start = s[1] * 1000000 + s[2]; local n = 0\n\
                while true do\n  n = n + 1\n  local t = redis.call('time')\n\
                  if t[1] * 1000000 + t[2] - start > 600000 then return 'done' end\n\
                  if n > 5000000 then return 'the clock stood still' end\nend";
    let mut runner = start(&s, &["EVAL", body, "0"]);
    wait_busy(&mut c, BUSY_SCRIPT);
    assert_reply(&read_reply(&mut runner), b"$4\r\ndone\r\n");
    expect(&mut c, &["PING"], b"+PONG\r\n");
    expect(&mut c, &["SCRIPT", "KILL"], NOTBUSY);
}

#[test]
fn a_script_that_wrote_is_unkillable_until_shutdown_nosave() {
    let mut s = server();
    let mut c = s.raw();
    let mut runner = start(&s, &["EVAL", "redis.call('set', 'wrote', '1') while true do end", "0"]);
    wait_busy(&mut c, BUSY_SCRIPT);
    expect(&mut c, &["SCRIPT", "KILL"], UNKILLABLE);
    expect(&mut c, &["FUNCTION", "KILL"], UNKILLABLE);
    expect(&mut c, &["PING"], BUSY_SCRIPT);
    expect(&mut c, &["SHUTDOWN"], BUSY_SCRIPT);
    send(&mut c, &resp(&["SHUTDOWN", "NOSAVE"]));
    assert_reply(&read_until_closed(&mut c), b"");
    assert_reply(&read_until_closed(&mut runner), b"");
    // The process exits by itself.
    let stat = format!("/proc/{}/stat", s.pid());
    let deadline = Instant::now() + Duration::from_secs(10);
    while fs::read_to_string(&stat).is_ok_and(|t| t.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z'))) {
        assert!(Instant::now() < deadline, "the server still runs 10 s after SHUTDOWN NOSAVE");
        thread::sleep(Duration::from_millis(10));
    }
    let status = s.stop();
    assert!(status.success(), "exit status after SHUTDOWN NOSAVE: {status}");
}

/// A loop inside a coroutine is watched like any other: the server goes
/// busy, and SCRIPT KILL stops it.
#[test]
fn a_loop_inside_a_coroutine_is_stopped_by_script_kill() {
    let s = server();
    let mut c = s.raw();
    let body = "local co = coroutine.wrap(function() while true do end end) co() return 1";
    let mut runner = start(&s, &["EVAL", body, "0"]);
    wait_busy(&mut c, BUSY_SCRIPT);
    expect(&mut c, &["SCRIPT", "KILL"], b"+OK\r\n");
    let reply = read_reply(&mut runner);
    let want = format!(
        "-ERR Script killed by user with SCRIPT KILL... script: {}, on @user_script:1.\r\n",
        sha1_hex(body.as_bytes())
    );
    assert_eq!(String::from_utf8_lossy(&reply), want);
    expect(&mut c, &["PING"], b"+PONG\r\n");
}
