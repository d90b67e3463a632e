//! What start-up replays is what the server did: woken blocking pops,
//! `SWAPDB` in `MULTI` after a lazy expiry, and loading that sizes the
//! keyspace once and counts no command.

use super::*;

// ---------------------------------------------------------------------------
// Regressions: what the log replays is what the server did.

/// A woken blocking pop that skips a key of another type (the blocking
/// form, replayed, would stop at it with WRONGTYPE) is logged as the pop
/// it did, so a crash restart finds the same data.
#[test]
fn woken_blocking_pops_skipping_a_key_of_another_type_replay_the_same() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    let reply =
        served(&srv, &mut con, &["BLPOP", "wt:a", "wt:b", "0"], &[&["SET", "wt:a", "str"], &["LPUSH", "wt:b", "x"]]);
    assert_eq!(reply, resp(&["wt:b", "x"]), "BLPOP");
    let reply = served(
        &srv,
        &mut con,
        &["BRPOP", "wt:ra", "wt:rb", "0"],
        &[&["SET", "wt:ra", "str"], &["RPUSH", "wt:rb", "1", "2"]],
    );
    assert_eq!(reply, resp(&["wt:rb", "2"]), "BRPOP");
    let reply = served(
        &srv,
        &mut con,
        &["BZPOPMIN", "wt:za", "wt:z", "0"],
        &[&["SET", "wt:za", "str"], &["ZADD", "wt:z", "1", "m"]],
    );
    assert_eq!(reply, resp(&["wt:z", "m", "1"]), "BZPOPMIN");
    let reply = served(
        &srv,
        &mut con,
        &["BZPOPMAX", "wt:xa", "wt:x", "0"],
        &[&["SET", "wt:xa", "str"], &["ZADD", "wt:x", "1", "low", "2", "high"]],
    );
    assert_eq!(reply, resp(&["wt:x", "high", "2"]), "BZPOPMAX");
    let reply = served(
        &srv,
        &mut con,
        &["BLMPOP", "0", "2", "wt:la", "wt:lb", "LEFT", "COUNT", "2"],
        &[&["SET", "wt:la", "str"], &["RPUSH", "wt:lb", "1", "2", "3"]],
    );
    assert_eq!(
        reply,
        b"*2\r\n$5\r\nwt:lb\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n",
        "BLMPOP: {}",
        String::from_utf8_lossy(&reply)
    );
    let before = state(&mut con);
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(state(&mut con), before, "after kill -9 (log replay)");
    for key in ["wt:a", "wt:ra", "wt:za", "wt:xa", "wt:la"] {
        assert_eq!(q::<Option<String>>(&mut con, &["GET", key]).as_deref(), Some("str"), "{key}");
    }
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "wt:b", "wt:z"]), 0, "popped to empty");
    assert_eq!(q::<Vec<String>>(&mut con, &["LRANGE", "wt:rb", "0", "-1"]), ["1"]);
    assert_eq!(q::<Vec<String>>(&mut con, &["ZRANGE", "wt:x", "0", "-1"]), ["low"]);
    assert_eq!(q::<Vec<String>>(&mut con, &["LRANGE", "wt:lb", "0", "-1"]), ["3"]);
    // And once more from a snapshot and the log after it.
    let _: () = q(&mut con, &["SAVE"]);
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(state(&mut con), before, "after SAVE and kill -9");
}

/// A key that expired lazily inside a transaction is deleted (in the log)
/// from the database it was in, even when a `SWAPDB` in the same
/// transaction moved that database to another index.
#[test]
fn swapdb_in_multi_after_a_lazy_expiry_replays_the_same() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    // Only lazy expiry: the GET in the transaction is what expires `k`.
    let _: () = q(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let _: () = q(&mut con, &["SET", "k", "doomed"]);
    assert_eq!(q::<i64>(&mut con, &["PEXPIRE", "k", "50"]), 1);
    let _: () = q(&mut con, &["SELECT", "1"]);
    let _: () = q(&mut con, &["SET", "k", "live"]);
    let _: () = q(&mut con, &["SELECT", "0"]);
    thread::sleep(Duration::from_millis(100));
    let _: () = q(&mut con, &["MULTI"]);
    assert_eq!(q::<String>(&mut con, &["GET", "k"]), "QUEUED");
    assert_eq!(q::<String>(&mut con, &["SWAPDB", "0", "1"]), "QUEUED");
    let replies: Vec<redis::Value> = q(&mut con, &["EXEC"]);
    assert_eq!(replies, [redis::Value::Nil, redis::Value::Okay], "EXEC");
    let check = |con: &mut Connection, when: &str| {
        let _: () = q(con, &["SELECT", "0"]);
        assert_eq!(q::<Option<String>>(con, &["GET", "k"]).as_deref(), Some("live"), "db0 {when}");
        let _: () = q(con, &["SELECT", "1"]);
        assert_eq!(q::<i64>(con, &["EXISTS", "k"]), 0, "db1 {when}");
        let _: () = q(con, &["SELECT", "0"]);
    };
    check(&mut con, "before the restart");
    let before = state(&mut con);
    srv.crash_restart();
    let mut con = srv.client();
    check(&mut con, "after kill -9 (log replay)");
    assert_eq!(state(&mut con), before);

    // A key expiring after the swap (in its new database), and one in the
    // other database (selected in the transaction) before it.
    let _: () = q(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let _: () = q(&mut con, &["MSET", "m", "zero", "n", "zero"]);
    let _: () = q(&mut con, &["SELECT", "1"]);
    let _: () = q(&mut con, &["SET", "m", "doomed", "PX", "50"]);
    let _: () = q(&mut con, &["SET", "n", "doomed", "PX", "50"]);
    let _: () = q(&mut con, &["SELECT", "0"]);
    thread::sleep(Duration::from_millis(100));
    let _: () = q(&mut con, &["MULTI"]);
    for args in [&["SWAPDB", "0", "1"][..], &["GET", "m"]] {
        assert_eq!(q::<String>(&mut con, args), "QUEUED");
    }
    let replies: Vec<redis::Value> = q(&mut con, &["EXEC"]);
    assert_eq!(replies, [redis::Value::Okay, redis::Value::Nil], "EXEC");
    // Now db0 holds n (expired), db1 holds n = "zero". From db1:
    let _: () = q(&mut con, &["SELECT", "1"]);
    let _: () = q(&mut con, &["MULTI"]);
    for args in [&["SELECT", "0"][..], &["GET", "n"], &["SWAPDB", "0", "1"], &["SELECT", "0"]] {
        assert_eq!(q::<String>(&mut con, args), "QUEUED");
    }
    let replies: Vec<redis::Value> = q(&mut con, &["EXEC"]);
    assert_eq!(replies, [redis::Value::Okay, redis::Value::Nil, redis::Value::Okay, redis::Value::Okay], "EXEC");
    let after = state(&mut con);
    let text = |s: &str| format!("string {:?}", s.as_bytes());
    let expected = BTreeMap::from([
        ((0, b"k".to_vec()), text("live")),
        ((0, b"m".to_vec()), text("zero")),
        ((0, b"n".to_vec()), text("zero")),
    ]);
    assert_eq!(after, expected, "before the restart");
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(state(&mut con), expected, "after kill -9 (log replay)");
}

/// Start-up sizes the keyspace once from the key count a snapshot's end
/// record declares, in database 0; when the keys are in another database
/// the room database 0 did not fill is given back. What start-up replays
/// (snapshot and log) is not counted in the statistics, as in Redis.
#[test]
fn loading_sizes_the_keyspace_once_and_counts_no_command() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    let _: () = q(&mut con, &["SET", "in:0", "x"]);
    let _: () = q(&mut con, &["SELECT", "1"]);
    let _: () = q(&mut con, &["DEBUG", "POPULATE", "20000"]);
    let _: () = q(&mut con, &["SAVE"]);
    let _: () = q(&mut con, &["SET", "after:save", "y"]);
    let overhead_before: u64 = info(&mut con, "memory")["used_memory_overhead"].parse().unwrap();

    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 1);
    let _: () = q(&mut con, &["SELECT", "1"]);
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 20_001);
    assert_eq!(q::<String>(&mut con, &["GET", "after:save"]), "y");
    let overhead_after: u64 = info(&mut con, "memory")["used_memory_overhead"].parse().unwrap();
    assert!(
        overhead_after <= overhead_before + overhead_before / 10,
        "table overhead {overhead_before} bytes before the restart, {overhead_after} after: database 0 kept \
         the room reserved for the snapshot's 20,001 keys"
    );
    let stats = info(&mut con, "stats");
    let processed: u64 = stats["total_commands_processed"].parse().unwrap();
    assert!(processed < 20, "total_commands_processed {processed} counts replayed commands");
    let commands: String = q(&mut con, &["INFO", "commandstats"]);
    assert!(!commands.contains("cmdstat_set:"), "replayed SETs counted:\n{commands}");
}
