//! Bitmap and HyperLogLog writes replay to the same bytes: after `kill -9`
//! the log rebuilds every value exactly (PFCOUNT's cached count too), and
//! so does a snapshot followed by the log. Efis only: Redis in the test
//! harness runs without persistence.

use super::reply;
use crate::common::{is_redis, Server, Value};

const KEYS: [&str; 10] = ["bits", "field", "op", "small", "promoted", "merged", "counted", "dense", "moved", "failed"];

/// Every key's value bytes (or absence).
fn values(con: &mut redis::Connection) -> Vec<(String, Result<Value, String>)> {
    KEYS.iter().map(|key| (key.to_string(), reply(con, &[b"GET", key.as_bytes()]))).collect()
}

fn run(con: &mut redis::Connection, args: &[&str]) {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    if let Err(e) = reply(con, &args) {
        panic!("{args:?} failed: {e}");
    }
}

fn writes(con: &mut redis::Connection, round: u32) {
    let offset = (round * 13 + 5).to_string();
    run(con, &["SETBIT", "bits", &offset, "1"]);
    run(con, &["SETBIT", "bits", "3", "0"]);
    run(con, &["BITFIELD", "field", "OVERFLOW", "SAT", "INCRBY", "u8", "#2", "100", "SET", "i16", "3", "-7"]);
    run(con, &["BITFIELD", "field", "OVERFLOW", "FAIL", "INCRBY", "i5", "30", "9"]);
    run(con, &["BITOP", "XOR", "op", "bits", "field"]);
    // Only a failing field: the string is still created, then grown.
    let far = (round * 64).to_string();
    run(con, &["BITFIELD", "failed", "OVERFLOW", "FAIL", "INCRBY", "u2", &far, "9"]);
    let elements: Vec<String> = (0..3).map(|i| format!("e{round}-{i}")).collect();
    let mut add = vec!["PFADD", "small"];
    add.extend(elements.iter().map(String::as_str));
    run(con, &add);
    let many: Vec<String> = (0..400).map(|i| format!("m{round}-{i}")).collect();
    let mut add = vec!["PFADD", "promoted"];
    add.extend(many.iter().map(String::as_str));
    run(con, &add);
    run(con, &["PFMERGE", "merged", "small", "promoted"]);
    run(con, &["PFADD", "counted", &format!("c{round}")]);
    run(con, &["PFCOUNT", "counted"]);
    run(con, &["PFCOUNT", "small", "promoted"]);
    run(con, &["PFADD", "dense", &format!("d{round}")]);
    run(con, &["PFDEBUG", "TODENSE", "dense"]);
}

#[test]
fn bitmap_and_hyperloglog_writes_replay_to_the_same_bytes() {
    if is_redis() {
        return;
    }
    let mut server = Server::start();
    let mut con = server.client();
    for round in 0..6 {
        writes(&mut con, round);
    }
    // A value written by SET and then grown by PFADD.
    let Ok(Value::BulkString(small)) = reply(&mut con, &[b"GET", b"small"]) else { panic!("GET small") };
    reply(&mut con, &[b"SET", b"moved", &small]).expect("SET");
    run(&mut con, &["PFADD", "moved", "one more"]);
    run(&mut con, &["PFCOUNT", "moved"]);
    let before = values(&mut con);
    server.crash_restart();
    let mut con = server.client();
    assert_eq!(values(&mut con), before, "after kill -9 (log replay)");
    // From a snapshot, then more writes in the log after it.
    run(&mut con, &["SAVE"]);
    for round in 6..9 {
        writes(&mut con, round);
    }
    let before = values(&mut con);
    server.crash_restart();
    let mut con = server.client();
    assert_eq!(values(&mut con), before, "after kill -9 (snapshot and log)");
}

/// Under a sparse limit other than the default (which a restart does not
/// keep), values promote at other moments: what replay rebuilds is still
/// the same bytes.
#[test]
fn a_changed_sparse_limit_replays_to_the_same_bytes() {
    if is_redis() {
        return;
    }
    let mut server = Server::start();
    let mut con = server.client();
    run(&mut con, &["CONFIG", "SET", "hll-sparse-max-bytes", "200"]);
    for round in 0..40u32 {
        let elements: Vec<String> = (0..round % 7 + 1).map(|i| format!("s{round}-{i}")).collect();
        for key in ["small", "promoted"] {
            let mut add = vec!["PFADD", key];
            add.extend(elements.iter().map(String::as_str));
            run(&mut con, &add);
        }
        if round % 5 == 0 {
            run(&mut con, &["PFMERGE", "merged", "small"]);
            run(&mut con, &["PFCOUNT", "small"]);
        }
    }
    let before = values(&mut con);
    let encoding = reply(&mut con, &[b"PFDEBUG", b"ENCODING", b"small"]);
    assert_eq!(encoding, Ok(Value::SimpleString("dense".into())), "promoted under the smaller limit");
    server.crash_restart();
    let mut con = server.client();
    assert_eq!(values(&mut con), before, "after kill -9 (log replay)");
}
