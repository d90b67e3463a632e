//! Small hashes and sets come back from the log and from a snapshot in the
//! same form and order: a small hash's insertion order (including a field
//! deleted and set again, which moves to the end) and an integer set's
//! sorted order, `OBJECT ENCODING` of each, and the content of hashes and
//! sets that had converted to tables.

use super::*;

/// What a restart must keep: each key's `OBJECT ENCODING` and its ordered
/// reply (`HGETALL` or `SMEMBERS`; a table's order is sorted first, as it
/// is unspecified).
fn forms(con: &mut Connection) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for key in ["small", "binary", "converted", "ints", "mixed", "popped"] {
        let encoding: String = q(con, &["OBJECT", "ENCODING", key]);
        let kind: String = q(con, &["TYPE", key]);
        let command = if kind == "hash" { "HGETALL" } else { "SMEMBERS" };
        let raw: Vec<Vec<u8>> = q(con, &[command, key]);
        let mut items: Vec<String> = raw.iter().map(|b| b.escape_ascii().to_string()).collect();
        if encoding == "hashtable" && kind == "set" {
            items.sort();
        }
        if encoding == "hashtable" && kind == "hash" {
            let mut pairs: Vec<String> = items.chunks(2).map(|p| p.join("=")).collect();
            pairs.sort();
            items = pairs;
        }
        out.push((key.to_string(), encoding, items));
    }
    out
}

fn populate(con: &mut Connection) {
    let _: i64 = q(con, &["HSET", "small", "zeta", "1", "alpha", "2", "mid", "3"]);
    let _: i64 = q(con, &["HDEL", "small", "zeta"]);
    let _: i64 = q(con, &["HSET", "small", "zeta", "4", "beta", "5"]);
    let _: String = q(con, &["HINCRBYFLOAT", "small", "alpha", "0.5"]);
    let _: i64 = q(con, &["HINCRBY", "small", "count", "3"]);
    let _: i64 = qb(con, &[b"HSET", b"binary", b"\xff\0\r\n", b"", b"", b"\0"]);
    let long = "x".repeat(65);
    let _: i64 = q(con, &["HSET", "converted", "a", "1", "long", &long, "b", "2"]);
    let _: i64 = q(con, &["HDEL", "converted", "long"]);
    let _: i64 = q(con, &["SADD", "ints", "300", "-2", "70000", "5", "-9223372036854775808"]);
    let _: i64 = q(con, &["SREM", "ints", "5"]);
    let _: i64 = q(con, &["SADD", "mixed", "3", "1", "x"]);
    let _: i64 = q(con, &["SREM", "mixed", "x"]);
    let _: i64 = q(con, &["SADD", "popped", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]);
    let _: Vec<String> = q(con, &["SPOP", "popped", "10"]);
    let _: String = q(con, &["SPOP", "popped"]);
}

#[test]
fn small_forms_keep_their_order_after_kill_9_and_snapshot() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    populate(&mut con);
    let before = forms(&mut con);
    let small = &before[0];
    assert_eq!(small.1, "listpack");
    assert_eq!(small.2, ["alpha", "2.5", "mid", "3", "zeta", "4", "beta", "5", "count", "3"]);
    assert_eq!(before[2].1, "hashtable");
    assert_eq!(
        before[3],
        (
            "ints".into(),
            "intset".into(),
            vec!["-9223372036854775808".into(), "-2".into(), "300".into(), "70000".into()]
        )
    );
    assert_eq!(before[4].1, "hashtable");
    // The log replays the same commands: the same forms, the same orders.
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(forms(&mut con), before, "after kill -9 (log replay)");
    // A snapshot keeps the orders; like Redis loading an RDB file, a
    // table that now fits a small form comes back in the small form.
    let _: () = q(&mut con, &["SAVE"]);
    srv.crash_restart();
    let mut con = srv.client();
    let after = forms(&mut con);
    for (key, encoding, items) in &after {
        let was = before.iter().find(|(k, _, _)| k == key).unwrap();
        match key.as_str() {
            "converted" => assert_eq!(encoding, "listpack", "{key}"),
            "mixed" => assert_eq!(encoding, "intset", "{key}"),
            _ => assert_eq!((encoding, items), (&was.1, &was.2), "{key} after the snapshot"),
        }
    }
    let converted: Vec<Option<String>> = q(&mut con, &["HMGET", "converted", "a", "b", "long"]);
    assert_eq!(converted, [Some("1".to_string()), Some("2".to_string()), None]);
    let mixed: Vec<String> = q(&mut con, &["SMEMBERS", "mixed"]);
    assert_eq!(mixed, ["1", "3"]);
}
