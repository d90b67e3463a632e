//! Client-side caching (`CLIENT TRACKING`), checked against Redis 7.0 byte
//! for byte: invalidation pushes in RESP3 (for others' writes, for the
//! client's own after its reply, none with `NOLOOP`), redirection to a
//! RESP2 subscriber on `__redis__:invalidate`, `BCAST` prefixes, `OPTIN`
//! with `CLIENT CACHING`, expiry and `FLUSHALL`, the option errors,
//! `CLIENT GETREDIR`/`TRACKINGINFO`; and redis-py 8's own client-side
//! cache against every kind of change.

use std::thread::sleep;
use std::time::Duration;

use crate::common::needs::{self, Need};
use crate::common::wire::{show, Wire, OK};
use crate::common::{run_python_check, Server};

fn invalidate(keys: &[&str]) -> Vec<u8> {
    let mut out = format!(">2\r\n$10\r\ninvalidate\r\n*{}\r\n", keys.len()).into_bytes();
    for key in keys {
        out.extend_from_slice(format!("${}\r\n{key}\r\n", key.len()).as_bytes());
    }
    out
}

/// Checks that nothing was pushed to `w` before the reply to a `PING`.
#[track_caller]
fn nothing_pushed(w: &mut Wire) {
    let reply = w.call(&["PING"]);
    assert_eq!(show(&reply), show(b"+PONG\r\n"), "a push came before the reply");
}

#[track_caller]
fn pushed(w: &mut Wire, want: &[u8]) {
    let got = w.read_raw();
    assert_eq!(show(&got), show(want));
}

fn client_id(w: &mut Wire) -> String {
    w.int(&["CLIENT", "ID"]).to_string()
}

#[test]
fn reads_are_invalidated_once_by_any_writer() {
    let server = Server::start();
    let mut reader = Wire::open_resp3(&server);
    let mut writer = Wire::open(&server);
    reader.is(&["CLIENT", "TRACKING", "ON"], OK);
    reader.is(&["GET", "k"], "_\r\n");
    reader.is(&["HGET", "h", "f"], "_\r\n");
    writer.is(&["SET", "k", "1"], OK);
    pushed(&mut reader, &invalidate(&["k"]));
    writer.is(&["SET", "k", "2"], OK);
    nothing_pushed(&mut reader);
    writer.is(&["HSET", "h", "f", "v"], ":1\r\n");
    pushed(&mut reader, &invalidate(&["h"]));
    // A write of the reader's own: the invalidation follows its reply.
    reader.is(&["GET", "k"], "$1\r\n2\r\n");
    reader.is(&["SET", "k", "3"], OK);
    pushed(&mut reader, &invalidate(&["k"]));
    reader.is(&["CLIENT", "TRACKING", "OFF"], OK);
    reader.is(&["GET", "k"], "$1\r\n3\r\n");
    writer.is(&["SET", "k", "4"], OK);
    nothing_pushed(&mut reader);
}

#[test]
fn noloop_skips_the_clients_own_writes() {
    let server = Server::start();
    let mut reader = Wire::open_resp3(&server);
    let mut writer = Wire::open(&server);
    reader.is(&["CLIENT", "TRACKING", "ON", "NOLOOP"], OK);
    reader.is(&["GET", "a"], "_\r\n");
    reader.is(&["SET", "a", "1"], OK);
    nothing_pushed(&mut reader);
    reader.is(&["GET", "a"], "$1\r\n1\r\n");
    writer.is(&["DEL", "a"], ":1\r\n");
    pushed(&mut reader, &invalidate(&["a"]));
}

#[test]
fn redirection_reaches_a_resp2_subscriber() {
    let server = Server::start();
    let mut listener = Wire::open(&server);
    let id = client_id(&mut listener);
    listener
        .is(&["SUBSCRIBE", "__redis__:invalidate"], "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n");
    let mut reader = Wire::open(&server);
    let mut writer = Wire::open(&server);
    reader.is(&["CLIENT", "TRACKING", "ON", "REDIRECT", &id], OK);
    assert_eq!(reader.int(&["CLIENT", "GETREDIR"]).to_string(), id);
    reader.is(&["MGET", "x", "y"], "*2\r\n$-1\r\n$-1\r\n");
    writer.is(&["MSET", "x", "1", "y", "2"], OK);
    let message = |key: &str| {
        format!("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n${}\r\n{key}\r\n", key.len()).into_bytes()
    };
    pushed(&mut listener, &message("x"));
    pushed(&mut listener, &message("y"));
    writer.is(&["FLUSHALL"], OK);
    pushed(&mut listener, b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n");
}

#[test]
fn bcast_sends_every_change_under_a_prefix() {
    let server = Server::start();
    let mut reader = Wire::open_resp3(&server);
    let mut writer = Wire::open(&server);
    reader.is(&["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "job:"], OK);
    writer.is(&["MSET", "user:1", "a", "other", "b", "job:7", "c"], OK);
    let got = reader.read_raw();
    let first = [invalidate(&["user:1"]), invalidate(&["job:7"])];
    assert!(first.contains(&got), "{}", show(&got));
    let second = reader.read_raw();
    assert!(first.contains(&second) && second != got, "{}", show(&second));
    writer.is(&["SET", "other", "x"], OK);
    nothing_pushed(&mut reader);
    let info = reader.call(&["CLIENT", "TRACKINGINFO"]);
    let text = show(&info);
    assert!(text.contains("bcast") && text.contains("user:") && text.contains("job:"), "{text}");
}

#[test]
fn optin_tracks_only_after_caching_yes() {
    let server = Server::start();
    let mut reader = Wire::open_resp3(&server);
    let mut writer = Wire::open(&server);
    reader.is(&["CLIENT", "TRACKING", "ON", "OPTIN"], OK);
    reader.is(&["GET", "a"], "_\r\n");
    reader.is(&["CLIENT", "CACHING", "YES"], OK);
    reader.is(&["GET", "b"], "_\r\n");
    reader.is(&["GET", "c"], "_\r\n");
    writer.is(&["MSET", "a", "1", "b", "1", "c", "1"], OK);
    pushed(&mut reader, &invalidate(&["b"]));
    nothing_pushed(&mut reader);
    reader.is(
        &["CLIENT", "CACHING", "NO"],
        "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n",
    );
}

#[test]
fn expiry_and_flush_invalidate() {
    let server = Server::start();
    let mut reader = Wire::open_resp3(&server);
    let mut writer = Wire::open(&server);
    writer.is(&["SET", "e", "v", "PX", "100"], OK);
    reader.is(&["CLIENT", "TRACKING", "ON"], OK);
    reader.is(&["GET", "e"], "$1\r\nv\r\n");
    sleep(Duration::from_millis(250));
    writer.is(&["GET", "e"], "$-1\r\n");
    pushed(&mut reader, &invalidate(&["e"]));
    writer.is(&["FLUSHDB"], OK);
    pushed(&mut reader, b">2\r\n$10\r\ninvalidate\r\n_\r\n");
}

#[test]
fn eviction_invalidates() {
    let server = Server::start();
    let mut reader = Wire::open_resp3(&server);
    let mut writer = Wire::open(&server);
    writer.is(&["SET", "going", "v", "EX", "100"], OK);
    reader.is(&["CLIENT", "TRACKING", "ON"], OK);
    reader.is(&["GET", "going"], "$1\r\nv\r\n");
    writer.is(&["CONFIG", "SET", "maxmemory-policy", "volatile-ttl"], OK);
    writer.is(&["CONFIG", "SET", "maxmemory", "1"], OK);
    writer.is(&["GET", "going"], "$-1\r\n");
    pushed(&mut reader, &invalidate(&["going"]));
    writer.is(&["CONFIG", "SET", "maxmemory", "0"], OK);
}

#[test]
fn option_errors_are_redis_errors() {
    let server = Server::start();
    let mut w = Wire::open_resp3(&server);
    w.is(&["CLIENT", "TRACKING", "ON", "PREFIX", "a"], "-ERR PREFIX option requires BCAST mode to be enabled\r\n");
    w.is(&["CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"], "-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n");
    w.is(
        &["CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"],
        "-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n",
    );
    w.is(
        &["CLIENT", "TRACKING", "ON", "REDIRECT", "999999"],
        "-ERR The client ID you want redirect to does not exist\r\n",
    );
    w.is(&["CLIENT", "TRACKING", "ON", "REDIRECT", "x"], "-ERR value is not an integer or out of range\r\n");
    w.is(&["CLIENT", "TRACKING", "MAYBE"], "-ERR syntax error\r\n");
    w.is(&["CLIENT", "TRACKING", "ON", "SOMETIMES"], "-ERR syntax error\r\n");
    w.is(
        &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a"],
        "-ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap.\r\n",
    );
    w.is(
        &["CLIENT", "CACHING", "YES"],
        "-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n",
    );
    w.is(&["CLIENT", "GETREDIR"], ":-1\r\n");
    w.is(
        &["CLIENT", "TRACKINGINFO"],
        "%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n",
    );
    w.is(&["CLIENT", "TRACKING", "ON", "OPTOUT"], OK);
    w.is(&["CLIENT", "TRACKING", "ON", "OPTIN"], "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.\r\n");
    w.is(&["CLIENT", "TRACKING", "ON", "BCAST"], "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.\r\n");
    w.is(&["CLIENT", "CACHING", "NO"], OK);
    w.is(
        &["CLIENT", "TRACKINGINFO"],
        "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$6\r\noptout\r\n$10\r\ncaching-no\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n",
    );
    w.is(&["CLIENT", "GETREDIR"], ":0\r\n");
    w.is(&["CLIENT", "TRACKING", "OFF"], OK);
}

#[test]
fn redis_py_8_client_side_cache_sees_every_change() {
    let Some(python) = needs::tool(Need::RedisPy) else { return };
    let server = Server::start();
    let out = run_python_check(&python, "tracking_check.py", &[&server.port.to_string()], "tracking_check.py");
    assert!(
        out.status.success(),
        "tracking_check.py failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
