//! Keys and values of every shape: binary-safe bytes, the empty key and
//! empty value, and a one-megabyte value.

use super::*;

#[test]
fn binary_safe_keys_and_values() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let key: &[u8] = b"k\x00ey\r\n\xff";
    let value: &[u8] = b"\x00\r\nvalue\r\n\x00\xfe*1\r\n";
    w.is(&[b"SET".as_slice(), key, value], OK);
    w.is(&[b"GET".as_slice(), key], bulk(value));
    w.is(&[b"STRLEN".as_slice(), key], int(value.len() as i64));
    // The key is not cut at the NUL byte or the CRLF.
    w.is(&["GET", "k"], NIL);
    w.is(&[b"GET".as_slice(), b"k\x00ey"], NIL);
    w.is(&[b"EXISTS".as_slice(), key], ":1\r\n");
    w.is(&[b"APPEND".as_slice(), key, b"\x00"], int(value.len() as i64 + 1));
    w.is(&[b"GETRANGE".as_slice(), key, b"0", b"2"], bulk(b"\x00\r\n"));
    w.is(&[b"MGET".as_slice(), key, b"k"], {
        let mut want = b"*2\r\n".to_vec();
        want.extend(bulk([value, b"\x00"].concat()));
        want.extend_from_slice(NIL.as_bytes());
        want
    });
    // Every byte value, in key and value.
    let all: Vec<u8> = (0..=255u8).collect();
    w.is(&[b"SET".as_slice(), &all, &all], OK);
    w.is(&[b"GET".as_slice(), &all], bulk(&all));
    w.is(&[b"GETDEL".as_slice(), &all], bulk(&all));
    w.is(&[b"EXISTS".as_slice(), &all], ":0\r\n");
    // A value that looks like a RESP reply is still one bulk string.
    w.is(&["SET", "resp", "+OK\r\n:1\r\n$-1\r\n"], OK);
    w.is(&["GET", "resp"], bulk("+OK\r\n:1\r\n$-1\r\n"));
}

#[test]
fn empty_key_and_empty_value() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "", "empty key"], OK);
    w.is(&["GET", ""], bulk("empty key"));
    w.is(&["EXISTS", ""], ":1\r\n");
    w.is(&["STRLEN", ""], ":9\r\n");
    w.is(&["SET", "ev", ""], OK);
    w.is(&["GET", "ev"], bulk(""));
    w.is(&["EXISTS", "ev"], ":1\r\n");
    w.is(&["STRLEN", "ev"], ":0\r\n");
    w.is(&["TYPE", "ev"], "+string\r\n");
    w.is(&["SET", "", ""], OK);
    w.is(&["GET", ""], bulk(""));
    w.is(&["MGET", "", "ev"], "*2\r\n$0\r\n\r\n$0\r\n\r\n");
    w.is(&["INCR", ""], NOT_INT);
    w.is(&["DEL", ""], ":1\r\n");
    w.is(&["INCR", ""], ":1\r\n");
    w.is(&["GET", ""], bulk("1"));
}

#[test]
fn one_megabyte_value() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let value: Vec<u8> = (0..1024 * 1024).map(|i: u32| (i % 251) as u8).collect();
    w.is(&[b"SET".as_slice(), b"big", &value], OK);
    w.is(&["STRLEN", "big"], ":1048576\r\n");
    w.is(&["GET", "big"], bulk(&value));
    w.is(&["GETRANGE", "big", "-3", "-1"], bulk(&value[value.len() - 3..]));
    w.is(&["APPEND", "big", "tail"], ":1048580\r\n");
    w.is(&["GETRANGE", "big", "1048575", "-1"], bulk([&value[1_048_575..], b"tail"].concat()));
    w.is(&["SETRANGE", "big", "2097151", "x"], ":2097152\r\n");
    w.is(&["STRLEN", "big"], ":2097152\r\n");
    w.is(&["GETRANGE", "big", "1048580", "1048583"], bulk(b"\x00\x00\x00\x00"));
}
