//! LCS: the subsequence, LEN, IDX with MINMATCHLEN and WITHMATCHLEN,
//! missing keys as empty strings, binary strings, RESP3's map, and the
//! errors. Every expectation is Redis 7.0's exact reply.

use crate::common::wire::Wire;
use crate::common::Server;

#[test]
fn lcs_answers_as_redis() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "a", "ohmytext"], "+OK\r\n");
    w.is(&["SET", "b", "mynewtext"], "+OK\r\n");
    w.is(&["LCS", "a", "b"], "$6\r\nmytext\r\n");
    w.is(&["LCS", "a", "b", "LEN"], ":6\r\n");
    w.is(&["LCS", "a", "b", "IDX"], "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n");
    w.is(&["LCS", "a", "b", "IDX", "WITHMATCHLEN"], "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n");
    w.is(
        &["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
        "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
    );
    w.is(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "-4"], "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n");
    w.is(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "x"], "-ERR value is not an integer or out of range\r\n");
    w.is(&["LCS", "a", "b", "IDX", "MINMATCHLEN"], "-ERR syntax error\r\n");
    w.is(&["LCS", "a", "b", "LEN", "IDX"], "-ERR If you want both the length and indexes, please just use IDX.\r\n");
    w.is(&["LCS", "a", "b", "BOGUS"], "-ERR syntax error\r\n");
    w.is(&["LCS", "a", "missing"], "$0\r\n\r\n");
    w.is(&["LCS", "missing", "missing2", "IDX"], "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n");
    w.is(&["LCS", "missing", "missing2", "LEN"], ":0\r\n");
    w.is(&["RPUSH", "l", "x"], ":1\r\n");
    w.is(&["LCS", "a", "l"], "-ERR The specified keys must contain string values\r\n");
    w.is(&["LCS", "l", "a", "LEN", "IDX"], "-ERR The specified keys must contain string values\r\n");
    w.is(&["LCS", "a"], "-ERR wrong number of arguments for 'lcs' command\r\n");
    w.is(&["SET", "x1", "aaaaaaaaaabbbbbbbbbbaaaaa"], "+OK\r\n");
    w.is(&["SET", "x2", "bbbbbaaaaaaaaaaaaaaaabbbb"], "+OK\r\n");
    w.is(&["LCS", "x1", "x2"], "$15\r\naaaaaaaaaaaaaaa\r\n");
    w.is(&["LCS", "x1", "x2", "IDX", "WITHMATCHLEN"], "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:20\r\n:24\r\n*2\r\n:16\r\n:20\r\n:5\r\n*3\r\n*2\r\n:0\r\n:9\r\n*2\r\n:5\r\n:14\r\n:10\r\n$3\r\nlen\r\n:15\r\n");
    w.is(&["LCS", "x1", "x2", "IDX", "MINMATCHLEN", "3"], "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:20\r\n:24\r\n*2\r\n:16\r\n:20\r\n*2\r\n*2\r\n:0\r\n:9\r\n*2\r\n:5\r\n:14\r\n$3\r\nlen\r\n:15\r\n");
    w.is(&["SET", "p1", "abcabcabc"], "+OK\r\n");
    w.is(&["SET", "p2", "cbacbacba"], "+OK\r\n");
    w.is(&["LCS", "p1", "p2"], "$5\r\ncbabc\r\n");
    w.is(&["LCS", "p1", "p2", "IDX"], "*4\r\n$7\r\nmatches\r\n*5\r\n*2\r\n*2\r\n:8\r\n:8\r\n*2\r\n:6\r\n:6\r\n*2\r\n*2\r\n:7\r\n:7\r\n*2\r\n:4\r\n:4\r\n*2\r\n*2\r\n:6\r\n:6\r\n*2\r\n:2\r\n:2\r\n*2\r\n*2\r\n:4\r\n:4\r\n*2\r\n:1\r\n:1\r\n*2\r\n*2\r\n:2\r\n:2\r\n*2\r\n:0\r\n:0\r\n$3\r\nlen\r\n:5\r\n");
    w.is(&["SET", "e", ""], "+OK\r\n");
    w.is(&["LCS", "e", "a", "IDX"], "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n");
    w.is(
        &["LCS", "a", "a", "IDX", "WITHMATCHLEN"],
        "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:0\r\n:7\r\n*2\r\n:0\r\n:7\r\n:8\r\n$3\r\nlen\r\n:8\r\n",
    );
}

#[test]
fn lcs_on_binary_strings() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&[&b"SET"[..], &b"bin1"[..], &b"\x00\xff\x01abc\x00"[..]], "+OK\r\n");
    w.is(&[&b"SET"[..], &b"bin2"[..], &b"\xff\x00abc"[..]], "+OK\r\n");
    w.is(&["LCS", "bin1", "bin2"], b"$4\r\n\xffabc\r\n");
    w.is(&["LCS", "bin1", "bin2", "IDX", "WITHMATCHLEN"], "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:3\r\n:5\r\n*2\r\n:2\r\n:4\r\n:3\r\n*3\r\n*2\r\n:1\r\n:1\r\n*2\r\n:0\r\n:0\r\n:1\r\n$3\r\nlen\r\n:4\r\n");
}

#[test]
fn lcs_in_resp3() {
    let server = Server::start();
    let mut w = Wire::open_resp3(&server);
    w.is(&["SET", "a", "ohmytext"], "+OK\r\n");
    w.is(&["SET", "b", "mynewtext"], "+OK\r\n");
    w.is(&["LCS", "a", "b", "IDX", "WITHMATCHLEN"], "%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n");
    w.is(&["LCS", "a", "b", "LEN"], ":6\r\n");
}
