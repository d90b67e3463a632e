//! Where memory could get ahead of the log, and what stops it: a loop
//! round that logs more than one frame can hold is split between
//! commands, a transaction or command that could never fit is refused
//! before it runs, a script's record too large for any frame stops
//! writes; and a handler that panics after changing data stops writes
//! until a restart, saying why.
//!
//! The frame limit is the format's 4 GiB; `EFIS_TEST_MAX_LOG_FRAME`
//! lowers it for these tests (the same code path).

use super::*;
use crate::common::err_text;

const LIMIT: usize = 64 * 1024;

fn limited() -> Server {
    Server::start_with(&[("EFIS_TEST_MAX_LOG_FRAME", &LIMIT.to_string()), ("APPENDFSYNC", "always")])
}

/// Many commands in one round are split into frames no larger than the
/// limit, each readable, and replay to the same data.
#[test]
fn a_round_larger_than_a_frame_is_split_between_commands() {
    if is_redis() {
        return;
    }
    let mut srv = limited();
    let value = |i: usize| format!("{i}:{}", "v".repeat(20_000));
    // Sent in one write, so that one round reads them all.
    let mut pipeline = Vec::new();
    for i in 0..12 {
        pipeline.extend_from_slice(&resp(&["SET", &format!("k{i}"), &value(i)]));
    }
    let mut stream = srv.raw();
    send(&mut stream, &pipeline);
    for _ in 0..12 {
        assert_eq!(read_reply(&mut stream), b"+OK\r\n");
    }
    let bytes = fs::read(newest_log(&srv.dir)).unwrap();
    let found = frames(&bytes);
    assert!(found.len() >= 4, "{} frames", found.len());
    assert!(found.iter().all(|&(_, len)| len <= LIMIT), "{found:?}");
    assert_eq!(found.iter().map(|&(_, len)| len).sum::<usize>() + HEADER_LEN, bytes.len(), "every byte is in a frame");
    srv.crash_restart();
    let mut con = srv.client();
    for i in 0..12 {
        assert_eq!(q::<String>(&mut con, &["GET", &format!("k{i}")]), value(i));
    }
}

/// A transaction whose records could not share one frame is refused
/// before anything in it runs; a command that could never fit too. One
/// that fits is kept whole in one frame.
#[test]
fn a_transaction_larger_than_a_frame_is_refused_before_it_runs() {
    if is_redis() {
        return;
    }
    let mut srv = limited();
    let mut con = srv.client();
    let big = "b".repeat(30_000);
    w(&mut con, &["MULTI"]);
    for key in ["t1", "t2", "t3"] {
        w(&mut con, &["SET", key, &big]);
    }
    let e = redis::cmd("EXEC").query::<redis::Value>(&mut con).unwrap_err();
    let text = err_text(&e);
    assert!(text.starts_with("EXECABORT Transaction discarded: it would log"), "{text}");
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "t1", "t2", "t3"]), 0);
    let e = redis::cmd("SET").arg("huge").arg("h".repeat(LIMIT + 1)).query::<()>(&mut con).unwrap_err();
    assert!(err_text(&e).starts_with("ERR command not run: it would log"), "{e}");
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "huge"]), 0);
    // Other clients' records of the same round do not split one that fits.
    w(&mut con, &["SET", "filler", &"f".repeat(40_000)]);
    w(&mut con, &["MULTI"]);
    w(&mut con, &["SET", "w1", &"1".repeat(25_000)]);
    w(&mut con, &["SET", "w2", &"2".repeat(25_000)]);
    let _: redis::Value = q(&mut con, &["EXEC"]);
    let bytes = fs::read(newest_log(&srv.dir)).unwrap();
    let whole = frames(&bytes).iter().any(|&(at, len)| {
        let frame = &bytes[at..at + len];
        let has = |needle: &[u8]| frame.windows(needle.len()).any(|w| w == needle);
        has(b"w1") && has(b"w2")
    });
    assert!(whole, "the transaction is in one frame");
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "w1", "w2", "filler"]), 3);
}

/// A script can make a record no frame holds: it is not written (the log
/// stays readable), and writes are refused until a restart, which starts
/// from what the log has.
#[test]
fn a_record_no_frame_can_hold_stops_writes() {
    if is_redis() {
        return;
    }
    let mut srv = limited();
    let mut con = srv.client();
    w(&mut con, &["SET", "before", "1"]);
    let script = format!("redis.call('SET', KEYS[1], string.rep('x', {})) return 1", LIMIT + 10);
    let e = redis::cmd("EVAL").arg(&script).arg(1).arg("big").query::<i64>(&mut con).unwrap_err();
    assert!(err_text(&e).starts_with("ERR a change could not be logged"), "not acknowledged: {e}");
    let e = redis::cmd("SET").arg("after").arg("1").query::<()>(&mut con).unwrap_err();
    let text = err_text(&e);
    assert!(text.starts_with("MISCONF Writes are refused until a restart"), "{text}");
    assert!(info_field(&mut con, "writes_refused_reason").contains("larger than a log frame"));
    assert_eq!(info_field(&mut con, "aof_last_write_status"), "err");
    srv.restart();
    let mut con = srv.client();
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "before"]).as_deref(), Some("1"));
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "big", "after"]), 0);
    w(&mut con, &["SET", "after", "1"]);
}

/// A handler that panics after changing data: the client gets an error,
/// writes are refused with `-MISCONF` saying why (also in `INFO` and the
/// log), reads go on, no snapshot is written from memory, and a restart
/// starts from the log, without the unlogged change.
#[test]
fn a_panic_after_a_change_stops_writes_until_a_restart() {
    if is_redis() {
        return;
    }
    let mut plain = Server::start();
    let mut con = plain.client();
    let e = redis::cmd("DEBUG").arg("PANIC-AFTER-WRITE").arg("k").arg("v").query::<()>(&mut con).unwrap_err();
    assert!(err_text(&e).contains("unknown subcommand"), "only with EFIS_TEST_PANIC=1: {e}");
    plain.stop();

    let mut srv = Server::start_with(&[("EFIS_TEST_PANIC", "1")]);
    let mut con = srv.client();
    w(&mut con, &["SET", "before", "1"]);
    let e = redis::cmd("DEBUG").arg("PANIC-AFTER-WRITE").arg("ghost").arg("v").query::<()>(&mut con).unwrap_err();
    assert!(err_text(&e).starts_with("ERR internal error"), "{e}");
    let e = redis::cmd("SET").arg("after").arg("1").query::<()>(&mut con).unwrap_err();
    let text = err_text(&e);
    assert!(text.starts_with("MISCONF Writes are refused until a restart: command 'DEBUG'"), "{text}");
    assert_eq!(q::<String>(&mut con, &["GET", "ghost"]), "v", "reads go on");
    assert!(info_field(&mut con, "writes_refused_reason").contains("internal error"));
    assert!(srv.log().contains("write commands are refused until a restart"), "{}", srv.log());
    assert!(redis::cmd("SAVE").query::<()>(&mut con).is_err(), "no snapshot of memory");
    // A clean stop writes no final snapshot holding the unlogged change.
    srv.restart();
    let mut con = srv.client();
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "before"]).as_deref(), Some("1"));
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "ghost", "after"]), 0);
    w(&mut con, &["SET", "after", "1"]);
}
