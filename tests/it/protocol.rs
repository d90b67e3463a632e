//! The wire protocol, byte for byte: inline commands, RESP framing,
//! malformed input, commands split across reads, pipelining, back-pressure,
//! and the wording of protocol-level errors.

use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use crate::common::*;

/// Sends one malformed input on a fresh connection, checks the error reply
/// and that this connection (only) is closed: `other` keeps working.
#[track_caller]
fn assert_protocol_error(s: &Server, other: &mut TcpStream, input: &[u8], expected: &[u8]) {
    let mut bad = s.raw();
    send(&mut bad, input);
    let reply = read_reply(&mut bad);
    assert_reply(&reply, expected);
    assert!(is_closed(&mut bad), "connection not closed after {}", show(input));
    assert_reply(&roundtrip(other, b"PING\r\n"), b"+PONG\r\n");
}

#[test]
fn inline_commands_ended_by_lf_like_nc_sends_them() {
    let s = Server::start();
    let mut c = s.raw();
    send(&mut c, b"SET inl:a 1\nGET inl:a\n");
    assert_reply(&read_reply(&mut c), b"+OK\r\n");
    assert_reply(&read_reply(&mut c), b"$1\r\n1\r\n");
}

#[test]
fn inline_commands_ended_by_crlf() {
    let s = Server::start();
    let mut c = s.raw();
    send(&mut c, b"SET inl:b hello\r\nGET inl:b\r\nPING\r\n");
    assert_reply(&read_reply(&mut c), b"+OK\r\n");
    assert_reply(&read_reply(&mut c), b"$5\r\nhello\r\n");
    assert_reply(&read_reply(&mut c), b"+PONG\r\n");
}

#[test]
fn inline_then_half_close_gets_all_replies() {
    // `printf 'SET a 1\nGET a\n' | nc -q1 host port`: input ends, nc
    // half-closes, and the replies still come back.
    let s = Server::start();
    let mut c = s.raw();
    send(&mut c, b"SET inl:nc 1\nGET inl:nc\n");
    shutdown_write(&c);
    let all = read_until_closed(&mut c);
    assert_reply(&all, b"+OK\r\n$1\r\n1\r\n");
}

#[test]
fn inline_extra_spaces_between_arguments() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"  SET   inl:sp    v1  \r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"GET inl:sp\r\n"), b"$2\r\nv1\r\n");
}

#[test]
fn inline_double_quotes_with_escapes() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"SET \"inl:q key\" \"a\\nb\\rc\\td\\\"e\\\\f\"\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"GET \"inl:q key\"\r\n"), b"$11\r\na\nb\rc\td\"e\\f\r\n");
    // \xHH, including bytes that are not valid UTF-8
    assert_reply(&roundtrip(&mut c, b"SET inl:hex \"\\x41\\x00\\xff\\x7a\"\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"GET inl:hex\r\n"), b"$4\r\nA\x00\xffz\r\n");
    assert_reply(&roundtrip(&mut c, b"STRLEN inl:hex\r\n"), b":4\r\n");
}

#[test]
fn inline_single_quotes_are_literal() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"SET 'inl:s key' 'x \"y\" \\n z'\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"GET 'inl:s key'\r\n"), b"$10\r\nx \"y\" \\n z\r\n");
    // \' is the one escape inside single quotes
    assert_reply(&roundtrip(&mut c, b"ECHO 'it\\'s'\r\n"), b"$4\r\nit's\r\n");
}

#[test]
fn inline_empty_quoted_argument() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"ECHO \"\"\r\n"), b"$0\r\n\r\n");
    assert_reply(&roundtrip(&mut c, b"ECHO ''\r\n"), b"$0\r\n\r\n");
}

#[test]
fn inline_unbalanced_quotes() {
    let s = Server::start();
    let mut other = s.raw();
    let expected = b"-ERR Protocol error: unbalanced quotes in request\r\n";
    assert_protocol_error(&s, &mut other, b"SET \"inl:u 1\r\n", expected);
    assert_protocol_error(&s, &mut other, b"SET 'inl:u 1\r\n", expected);
    // a closing quote must be followed by a space or the end of the line
    assert_protocol_error(&s, &mut other, b"SET \"inl:u\"x 1\r\n", expected);
    assert_protocol_error(&s, &mut other, b"SET 'inl:u'x 1\r\n", expected);
}

#[test]
fn empty_inline_lines_are_ignored() {
    let s = Server::start();
    let mut c = s.raw();
    send(&mut c, b"\r\n\n   \r\n\nPING\r\n");
    assert_reply(&read_reply(&mut c), b"+PONG\r\n");
    // nothing else was queued for the empty lines
    assert_reply(&roundtrip(&mut c, b"ECHO next\r\n"), b"$4\r\nnext\r\n");
}

#[test]
fn empty_and_null_multibulk_are_ignored() {
    let s = Server::start();
    let mut c = s.raw();
    send(&mut c, b"*0\r\n*-1\r\nPING\r\n");
    assert_reply(&read_reply(&mut c), b"+PONG\r\n");
    assert_reply(&roundtrip(&mut c, b"ECHO next\r\n"), b"$4\r\nnext\r\n");
}

#[test]
fn resp_arguments_are_binary_safe() {
    let s = Server::start();
    let mut c = s.raw();
    let key = b"bin:\x00\r\n key";
    let value = b"\x00\x01\r\n\xff\xfe value with \"quotes\" \r\n";
    let mut set = format!("*3\r\n$3\r\nSET\r\n${}\r\n", key.len()).into_bytes();
    set.extend_from_slice(key);
    set.extend_from_slice(format!("\r\n${}\r\n", value.len()).as_bytes());
    set.extend_from_slice(value);
    set.extend_from_slice(b"\r\n");
    assert_reply(&roundtrip(&mut c, &set), b"+OK\r\n");
    let mut get = format!("*2\r\n$3\r\nGET\r\n${}\r\n", key.len()).into_bytes();
    get.extend_from_slice(key);
    get.extend_from_slice(b"\r\n");
    let mut expected = format!("${}\r\n", value.len()).into_bytes();
    expected.extend_from_slice(value);
    expected.extend_from_slice(b"\r\n");
    assert_reply(&roundtrip(&mut c, &get), &expected);
}

#[test]
fn malformed_multibulk_length() {
    let s = Server::start();
    let mut other = s.raw();
    let expected = b"-ERR Protocol error: invalid multibulk length\r\n";
    assert_protocol_error(&s, &mut other, b"*abc\r\n", expected);
    assert_protocol_error(&s, &mut other, b"*1x\r\n", expected);
    assert_protocol_error(&s, &mut other, b"*\r\n", expected);
}

#[test]
fn malformed_bulk_length() {
    let s = Server::start();
    let mut other = s.raw();
    let expected = b"-ERR Protocol error: invalid bulk length\r\n";
    assert_protocol_error(&s, &mut other, b"*1\r\n$-5\r\n", expected);
    assert_protocol_error(&s, &mut other, b"*1\r\n$abc\r\n", expected);
    assert_protocol_error(&s, &mut other, b"*2\r\n$3\r\nGET\r\n$-1\r\n", expected);
}

#[test]
fn bulk_length_over_512_mib() {
    let s = Server::start();
    let mut other = s.raw();
    let expected = b"-ERR Protocol error: invalid bulk length\r\n";
    assert_protocol_error(&s, &mut other, b"*1\r\n$600000000\r\n", expected);
    assert_protocol_error(&s, &mut other, b"*2\r\n$3\r\nGET\r\n$536870913\r\n", expected);
    assert_protocol_error(&s, &mut other, b"*1\r\n$99999999999999999999999\r\n", expected);
}

#[test]
fn non_bulk_inside_array() {
    let s = Server::start();
    let mut other = s.raw();
    assert_protocol_error(&s, &mut other, b"*1\r\n+foo\r\n", b"-ERR Protocol error: expected '$', got '+'\r\n");
    assert_protocol_error(
        &s,
        &mut other,
        b"*2\r\n$4\r\nECHO\r\n:12\r\n",
        b"-ERR Protocol error: expected '$', got ':'\r\n",
    );
}

#[test]
fn array_header_over_one_mebi_elements() {
    // Efis limits arrays to 1,048,576 elements; Redis 7.0 accepts up to
    // INT_MAX elements and would just wait for them.
    if is_redis() {
        return;
    }
    let s = Server::start();
    let mut other = s.raw();
    let mut bad = s.raw();
    send(&mut bad, b"*1048577\r\n");
    let reply = read_reply(&mut bad);
    assert!(reply.starts_with(b"-ERR Protocol error: "), "got {}", show(&reply));
    assert!(is_closed(&mut bad));
    assert_reply(&roundtrip(&mut other, b"PING\r\n"), b"+PONG\r\n");
    // the limit itself is accepted: the server waits for the elements
    let mut at_limit = s.raw();
    send(&mut at_limit, b"*1048576\r\n$4\r\nPING\r\n");
    assert_reply(&roundtrip(&mut other, b"PING\r\n"), b"+PONG\r\n");
    at_limit.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let r = try_read_reply(&mut at_limit);
    assert!(
        matches!(&r, Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut),
        "expected no reply yet, got {r:?}"
    );
}

#[test]
fn inline_line_over_64_kib() {
    let s = Server::start();
    let mut other = s.raw();
    let long = vec![b'a'; 70 * 1024];
    assert_protocol_error(&s, &mut other, &long, b"-ERR Protocol error: too big inline request\r\n");
}

#[test]
fn inline_line_just_under_64_kib_works() {
    let s = Server::start();
    let mut c = s.raw();
    let value = "v".repeat(60 * 1024);
    let line = format!("SET inl:big {value}\r\n");
    assert_reply(&roundtrip(&mut c, line.as_bytes()), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"STRLEN inl:big\r\n"), format!(":{}\r\n", value.len()).as_bytes());
}

#[test]
fn protocol_error_after_good_commands_answers_them_first() {
    let s = Server::start();
    let mut c = s.raw();
    send(&mut c, b"SET pe:a 1\r\nGET pe:a\r\n*x\r\nPING\r\n");
    let all = read_until_closed(&mut c);
    assert_reply(&all, b"+OK\r\n$1\r\n1\r\n-ERR Protocol error: invalid multibulk length\r\n");
}

#[test]
fn command_sent_byte_by_byte() {
    let s = Server::start();
    let mut c = s.raw();
    let set = resp(&["SET", "split:b", "value"]);
    for b in &set {
        send(&mut c, std::slice::from_ref(b));
        thread::sleep(Duration::from_millis(1));
    }
    assert_reply(&read_reply(&mut c), b"+OK\r\n");
    for b in b"GET split:b\r\n" {
        send(&mut c, std::slice::from_ref(b));
        thread::sleep(Duration::from_millis(1));
    }
    assert_reply(&read_reply(&mut c), b"$5\r\nvalue\r\n");
}

#[test]
fn command_split_into_two_writes_at_every_position() {
    let s = Server::start();
    let mut c = s.raw();
    for (i, input) in [resp(&["SET", "split:two", "some value"]), b"SET split:two \"some value\"\r\n".to_vec()]
        .into_iter()
        .enumerate()
    {
        for cut in 1..input.len() {
            send(&mut c, &input[..cut]);
            thread::sleep(Duration::from_millis(2));
            send(&mut c, &input[cut..]);
            let reply = read_reply(&mut c);
            assert_eq!(show(&reply), show(b"+OK\r\n"), "input {i} cut at {cut}");
        }
    }
    assert_reply(&roundtrip(&mut c, b"GET split:two\r\n"), b"$10\r\nsome value\r\n");
}

#[test]
fn large_value_arriving_in_many_reads() {
    let s = Server::start();
    let mut c = s.raw();
    let value: String = (0..1_000_000).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    let set = resp(&["SET", "split:large", &value]);
    for chunk in set.chunks(7_919) {
        send(&mut c, chunk);
    }
    assert_reply(&read_reply(&mut c), b"+OK\r\n");
    let reply = roundtrip(&mut c, &resp(&["GET", "split:large"]));
    let mut expected = b"$1000000\r\n".to_vec();
    expected.extend_from_slice(value.as_bytes());
    expected.extend_from_slice(b"\r\n");
    assert!(reply == expected, "GET of a 1 MB value returned {} bytes", reply.len());
}

#[test]
fn ten_thousand_pipelined_commands_in_one_write() {
    let s = Server::start();
    let mut c = s.raw();
    let mut input = Vec::new();
    let mut expected = Vec::new();
    for i in 1..=10_000 {
        input.extend_from_slice(&resp(&["INCR", "pipe:counter"]));
        expected.extend_from_slice(format!(":{i}\r\n").as_bytes());
    }
    send(&mut c, &input);
    let mut got = vec![0u8; expected.len()];
    std::io::Read::read_exact(&mut c, &mut got).expect("read 10,000 replies");
    assert!(
        got == expected,
        "replies out of order or wrong: first difference at byte {:?}",
        first_diff(&got, &expected)
    );
    // and nothing more
    assert_reply(&roundtrip(&mut c, b"PING\r\n"), b"+PONG\r\n");
}

fn first_diff(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter().zip(b).position(|(x, y)| x != y)
}

#[test]
fn mixed_inline_and_resp_commands_in_one_write() {
    let s = Server::start();
    let mut c = s.raw();
    let mut input = Vec::new();
    input.extend_from_slice(b"SET mix:a 1\r\n");
    input.extend_from_slice(&resp(&["INCR", "mix:a"]));
    input.extend_from_slice(b"incr mix:a\n");
    input.extend_from_slice(&resp(&["GET", "mix:a"]));
    input.extend_from_slice(b"GET nosuchkey:mix\r\n");
    send(&mut c, &input);
    assert_reply(&read_reply(&mut c), b"+OK\r\n");
    assert_reply(&read_reply(&mut c), b":2\r\n");
    assert_reply(&read_reply(&mut c), b":3\r\n");
    assert_reply(&read_reply(&mut c), b"$1\r\n3\r\n");
    assert_reply(&read_reply(&mut c), b"$-1\r\n");
}

#[test]
fn pipelines_from_many_connections_at_once() {
    let s = Server::start();
    let port = s.port;
    let handles: Vec<_> = (0..8)
        .map(|t| {
            thread::spawn(move || {
                let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
                c.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
                let key = format!("many:{t}");
                let mut input = Vec::new();
                for _ in 0..500 {
                    input.extend_from_slice(&resp(&["INCR", &key]));
                }
                input.extend_from_slice(&resp(&["GET", &key]));
                send(&mut c, &input);
                for i in 1..=500 {
                    assert_reply(&read_reply(&mut c), format!(":{i}\r\n").as_bytes());
                }
                assert_reply(&read_reply(&mut c), b"$3\r\n500\r\n");
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
}

#[test]
fn client_that_never_reads_gets_back_pressure() {
    // Efis stops reading from a client whose unsent output is over a limit;
    // Redis' default for normal clients is no limit, so its memory grows.
    if is_redis() {
        return;
    }
    const VALUE_SIZE: usize = 100 * 1024;
    // Fail well before an unbounded server could hurt the machine.
    const RSS_LIMIT: u64 = 300 * 1024 * 1024;
    let s = Server::start();
    let mut setter = s.raw();
    let value = "x".repeat(VALUE_SIZE);
    // A long key makes each request large, so that the kernel's socket
    // buffers hold few of them: a server without back-pressure could
    // produce at most 20,000 replies (2 GB), never more.
    let key = format!("bp:{}", "k".repeat(2000));
    assert_reply(&roundtrip(&mut setter, &resp(&["SET", &key, &value])), b"+OK\r\n");

    let mut greedy = s.raw();
    greedy.set_write_timeout(Some(Duration::from_millis(500))).unwrap();
    let batch: Vec<u8> = resp(&["GET", &key]).repeat(500);
    let mut max_rss = rss_bytes(s.pid());
    let mut blocked = false;
    for _ in 0..40 {
        match greedy.write_all(&batch) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                blocked = true;
                break;
            }
            Err(e) => panic!("write failed: {e}"),
        }
        max_rss = max_rss.max(rss_bytes(s.pid()));
        assert!(max_rss < RSS_LIMIT, "server memory grew to {max_rss} bytes for a client that does not read");
    }

    // other clients are still served, and memory stays bounded meanwhile
    let mut other = s.client();
    for i in 0..50 {
        assert_eq!(ok_cmd(&mut other, &["SET", "bp:other", &i.to_string()]), Value::Okay);
        assert_eq!(ok_cmd(&mut other, &["GET", "bp:other"]), bulk(&i.to_string()));
        max_rss = max_rss.max(rss_bytes(s.pid()));
        thread::sleep(Duration::from_millis(10));
    }
    assert!(max_rss < RSS_LIMIT, "server memory grew to {max_rss} bytes for a client that does not read");
    assert!(blocked, "the server kept reading 20,000 large GETs from a client that never reads");

    // the greedy client still gets its replies, in order, once it reads
    greedy.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut expected = format!("${VALUE_SIZE}\r\n").into_bytes();
    expected.extend_from_slice(value.as_bytes());
    expected.extend_from_slice(b"\r\n");
    for _ in 0..100 {
        let reply = read_reply(&mut greedy);
        assert!(reply == expected, "wrong reply of {} bytes", reply.len());
    }
    drop(greedy);
    assert_eq!(ok_cmd(&mut other, &["PING"]), Value::SimpleString("PONG".into()));
}

/// Resident set size of a process, from /proc.
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

#[test]
fn unknown_command_error_text() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(
        &roundtrip(&mut c, b"FOO a b\r\n"),
        b"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n",
    );
    assert_reply(&roundtrip(&mut c, b"FOO\r\n"), b"-ERR unknown command 'FOO', with args beginning with: \r\n");
    assert_reply(
        &roundtrip(&mut c, &resp(&["fooBar", "x y", ""])),
        b"-ERR unknown command 'fooBar', with args beginning with: 'x y' '' \r\n",
    );
    // the connection stays usable
    assert_reply(&roundtrip(&mut c, b"PING\r\n"), b"+PONG\r\n");
}

#[test]
fn wrong_arity_error_text() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"GET\r\n"), b"-ERR wrong number of arguments for 'get' command\r\n");
    assert_reply(&roundtrip(&mut c, b"GeT a b\r\n"), b"-ERR wrong number of arguments for 'get' command\r\n");
    assert_reply(&roundtrip(&mut c, b"SET a\r\n"), b"-ERR wrong number of arguments for 'set' command\r\n");
    assert_reply(&roundtrip(&mut c, b"INCR\r\n"), b"-ERR wrong number of arguments for 'incr' command\r\n");
    assert_reply(&roundtrip(&mut c, b"MSET a\r\n"), b"-ERR wrong number of arguments for 'mset' command\r\n");
    assert_reply(&roundtrip(&mut c, b"config get\r\n"), b"-ERR wrong number of arguments for 'config|get' command\r\n");
    assert_reply(&roundtrip(&mut c, b"PING\r\n"), b"+PONG\r\n");
}

#[test]
fn command_names_and_options_are_case_insensitive() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"sEt ci:a v1 Nx\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"SET ci:a v2 nX\r\n"), b"$-1\r\n");
    assert_reply(&roundtrip(&mut c, b"get ci:a\r\n"), b"$2\r\nv1\r\n");
    assert_reply(&roundtrip(&mut c, b"set ci:a v3 xx eX 100\r\n"), b"+OK\r\n");
    assert_reply(&roundtrip(&mut c, b"tTl ci:a\r\n"), b":100\r\n");
    assert_reply(&roundtrip(&mut c, &resp(&["Set", "ci:a", "v4", "Get"])), b"$2\r\nv3\r\n");
    assert_reply(&roundtrip(&mut c, &resp(&["pInG"])), b"+PONG\r\n");
    // keys are not case-folded
    assert_reply(&roundtrip(&mut c, b"GET CI:A\r\n"), b"$-1\r\n");
}

#[test]
fn resp3_null_after_hello_3() {
    let s = Server::start();
    let mut c = s.raw();
    assert_reply(&roundtrip(&mut c, b"GET nosuch:r3\r\n"), b"$-1\r\n");
    let hello = roundtrip(&mut c, b"HELLO 3\r\n");
    assert!(hello.starts_with(b"%"), "HELLO 3 answers a map: {}", show(&hello));
    assert_reply(&roundtrip(&mut c, b"GET nosuch:r3\r\n"), b"_\r\n");
    let hello = roundtrip(&mut c, b"HELLO 2\r\n");
    assert!(hello.starts_with(b"*14\r\n"), "HELLO 2 answers a flat array: {}", show(&hello));
    assert_reply(&roundtrip(&mut c, b"GET nosuch:r3\r\n"), b"$-1\r\n");
}
