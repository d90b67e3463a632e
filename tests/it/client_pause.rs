//! `CLIENT PAUSE timeout [WRITE|ALL]`, `CLIENT UNPAUSE` and `CLIENT
//! UNBLOCK id [TIMEOUT|ERROR]`: which commands wait, that a waiting
//! client's pipelined input stays behind its held command, that the
//! pause ends on time or on `UNPAUSE`, and the errors; and `CLIENT
//! GETREDIR`/`TRACKINGINFO` of a client that does not track.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::wire::{encode, Wire, OK};
use crate::common::{read_reply, send, Server};

/// A raw connection whose reads give up after `wait`.
fn raw(server: &Server, wait: Duration) -> TcpStream {
    let stream = server.raw();
    stream.set_read_timeout(Some(wait)).unwrap();
    stream
}

fn send_all(stream: &mut TcpStream, commands: &[&[&str]]) {
    let bytes: Vec<u8> = commands.iter().flat_map(|c| encode(c)).collect();
    send(stream, &bytes);
}

/// Whether a reply arrives within the stream's read timeout.
fn nothing_yet(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(Some(Duration::from_millis(150))).unwrap();
    let mut byte = [0u8; 1];
    let quiet = matches!(std::io::Read::read(stream, &mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut);
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    quiet
}

#[test]
fn write_pause_holds_writes_until_unpause() {
    let server = Server::start();
    let mut admin = Wire::open(&server);
    let mut reader = Wire::open(&server);
    admin.is(&["SET", "k", "old"], OK);
    admin.is(&["CLIENT", "PAUSE", "20000", "WRITE"], OK);
    let mut writer = raw(&server, Duration::from_secs(10));
    // The write waits; so does the read pipelined behind it.
    send_all(&mut writer, &[&["SET", "k", "new"], &["GET", "k"]]);
    assert!(nothing_yet(&mut writer), "a write ran during a WRITE pause");
    // Reads from others, and errors, are answered at once.
    reader.is(&["GET", "k"], "$3\r\nold\r\n");
    reader.is(&["SET", "k"], "-ERR wrong number of arguments for 'set' command\r\n");
    admin.is(&["CLIENT", "UNPAUSE"], OK);
    assert_eq!(read_reply(&mut writer), b"+OK\r\n");
    assert_eq!(read_reply(&mut writer), b"$3\r\nnew\r\n");
    reader.is(&["GET", "k"], "$3\r\nnew\r\n");
    // PUBLISH and EVAL are held by a WRITE pause too, and EXEC of a
    // transaction that writes; MULTI itself and reads inside it are not.
    admin.is(&["CLIENT", "PAUSE", "20000", "WRITE"], OK);
    for command in [&["PUBLISH", "ch", "m"][..], &["EVAL", "return 1", "0"]] {
        let mut other = raw(&server, Duration::from_secs(10));
        send_all(&mut other, &[command]);
        assert!(nothing_yet(&mut other), "{command:?} ran during a WRITE pause");
    }
    let mut transaction = raw(&server, Duration::from_secs(10));
    send_all(&mut transaction, &[&["MULTI"], &["GET", "k"]]);
    assert_eq!(read_reply(&mut transaction), b"+OK\r\n");
    assert_eq!(read_reply(&mut transaction), b"+QUEUED\r\n");
    send_all(&mut transaction, &[&["SET", "k", "in-multi"], &["EXEC"]]);
    assert!(nothing_yet(&mut transaction), "a queued write ran during a WRITE pause");
    admin.is(&["CLIENT", "UNPAUSE"], OK);
    assert_eq!(read_reply(&mut transaction), b"+QUEUED\r\n");
    assert_eq!(read_reply(&mut transaction), b"*2\r\n$3\r\nnew\r\n+OK\r\n");
}

#[test]
fn all_pause_holds_every_command_until_it_ends() {
    let server = Server::start();
    let mut admin = Wire::open(&server);
    admin.is(&["CLIENT", "PAUSE", "400"], OK);
    let started = Instant::now();
    let mut client = raw(&server, Duration::from_secs(10));
    send_all(&mut client, &[&["PING"], &["CLIENT", "UNPAUSE"], &["ECHO", "after"]]);
    // An unknown command is refused at once, pause or not.
    let mut other = raw(&server, Duration::from_secs(10));
    send_all(&mut other, &[&["NOSUCHCOMMAND"]]);
    let refused = read_reply(&mut other);
    assert!(refused.starts_with(b"-ERR unknown command 'NOSUCHCOMMAND'"), "{}", String::from_utf8_lossy(&refused));
    assert!(started.elapsed() < Duration::from_millis(350), "an error waited for the pause");
    assert_eq!(read_reply(&mut client), b"+PONG\r\n");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(350) && waited < Duration::from_secs(5), "waited {waited:?}");
    assert_eq!(read_reply(&mut client), b"+OK\r\n");
    assert_eq!(read_reply(&mut client), b"$5\r\nafter\r\n");
    // A shorter second pause does not shorten the first.
    admin.is(&["CLIENT", "PAUSE", "300", "WRITE"], OK);
    admin.is(&["CLIENT", "PAUSE", "10", "WRITE"], OK);
    let started = Instant::now();
    admin.is(&["SET", "k", "v"], OK);
    assert!(started.elapsed() >= Duration::from_millis(200), "the pause was shortened");
}

#[test]
fn client_pause_errors() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["CLIENT", "PAUSE", "10", "foo"], "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n");
    w.is(&["CLIENT", "PAUSE", "x"], "-ERR timeout is not an integer or out of range\r\n");
    w.is(&["CLIENT", "PAUSE", "-1"], "-ERR timeout is negative\r\n");
    w.is(&["CLIENT", "PAUSE"], "-ERR wrong number of arguments for 'client|pause' command\r\n");
    w.is(
        &["CLIENT", "PAUSE", "1", "ALL", "x"],
        "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.\r\n",
    );
    w.is(&["CLIENT", "UNPAUSE", "x"], "-ERR wrong number of arguments for 'client|unpause' command\r\n");
    w.is(&["CLIENT", "UNPAUSE"], OK);
    w.is(&["CLIENT", "PAUSE", "0"], OK);
    w.is(&["PING"], "+PONG\r\n");
}

#[test]
fn client_unblock_answers_a_blocked_client() {
    let server = Server::start();
    let mut admin = Wire::open(&server);
    for (mode, answer) in [
        (None, &b"*-1\r\n"[..]),
        (Some("TIMEOUT"), b"*-1\r\n"),
        (Some("ERROR"), b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"),
    ] {
        let mut blocked = raw(&server, Duration::from_secs(10));
        send_all(&mut blocked, &[&["CLIENT", "ID"]]);
        let id_reply = read_reply(&mut blocked);
        let id = String::from_utf8_lossy(&id_reply[1..id_reply.len() - 2]).to_string();
        send_all(&mut blocked, &[&["BLPOP", "nothing", "0"], &["PING"]]);
        assert!(nothing_yet(&mut blocked), "BLPOP answered without data");
        let mut command = vec!["CLIENT", "UNBLOCK", id.as_str()];
        command.extend(mode);
        admin.is(&command, ":1\r\n");
        assert_eq!(read_reply(&mut blocked), answer);
        assert_eq!(read_reply(&mut blocked), b"+PONG\r\n");
        // Not blocked any more.
        admin.is(&command, ":0\r\n");
    }
    let my_id = admin.int(&["CLIENT", "ID"]).to_string();
    admin.is(&["CLIENT", "UNBLOCK", &my_id], ":0\r\n");
    admin.is(&["CLIENT", "UNBLOCK", "999999"], ":0\r\n");
    admin.is(&["CLIENT", "UNBLOCK", "1", "foo"], "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n");
    admin.is(&["CLIENT", "UNBLOCK", "x"], "-ERR value is not an integer or out of range\r\n");
    admin.is(&["CLIENT", "UNBLOCK"], "-ERR wrong number of arguments for 'client|unblock' command\r\n");
}

#[test]
fn client_tracking_queries_without_tracking() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["CLIENT", "GETREDIR"], ":-1\r\n");
    w.is(
        &["CLIENT", "TRACKINGINFO"],
        "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n",
    );
    w.is(&["CLIENT", "GETREDIR", "x"], "-ERR wrong number of arguments for 'client|getredir' command\r\n");
    w.is(&["CLIENT", "TRACKINGINFO", "x"], "-ERR wrong number of arguments for 'client|trackinginfo' command\r\n");
    let mut resp3 = Wire::open_resp3(&server);
    resp3.is(
        &["CLIENT", "TRACKINGINFO"],
        "%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n",
    );
}
