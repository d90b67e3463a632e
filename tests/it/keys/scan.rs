//! SCAN: a whole iteration sees every key, MATCH, COUNT and TYPE filter it,
//! keys present throughout are seen while the keyspace grows, shrinks and
//! resizes, and bad cursors and options are refused.

use super::*;

/// Iterates SCAN to cursor 0 and returns every key seen, asserting that the
/// call never errors and that the cursor is a decimal number.
fn scan_all(w: &mut Wire, extra: &[&str]) -> Vec<Vec<u8>> {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    for _ in 0..100_000 {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        let (next, keys) = w.scan(&args);
        w.check(next.parse::<u64>().is_ok(), format!("SCAN cursor {next:?} is not a decimal number"));
        seen.extend(keys);
        if next == "0" {
            return seen;
        }
        cursor = next;
    }
    w.check(false, "SCAN did not return to cursor 0".to_string());
    seen
}

#[test]
fn scan_iterates_every_key() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let (_, keys) = w.scan(&["SCAN", "0"]);
    w.check(keys.is_empty(), format!("SCAN of an empty db gave {keys:?}"));
    for i in 0..500 {
        w.is(&["SET", &format!("key:{i}"), "v"], OK);
    }
    let want: BTreeSet<Vec<u8>> = (0..500).map(|i| format!("key:{i}").into_bytes()).collect();
    for count in [&[][..], &["COUNT", "1"], &["COUNT", "7"], &["COUNT", "1000"], &["count", "100000"]] {
        let seen = scan_all(&mut w, count);
        let seen_set: BTreeSet<Vec<u8>> = seen.iter().cloned().collect();
        w.check(seen_set == want, format!("SCAN {count:?} saw {} distinct keys of 500", seen_set.len()));
    }
    // With COUNT larger than the keyspace a single call usually suffices, but
    // the contract is only "until cursor 0", so nothing more is asserted.
}

#[test]
fn scan_match_count_type() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    for i in 0..100 {
        w.is(&["SET", &format!("user:{i}"), "v"], OK);
        w.is(&["RPUSH", &format!("queue:{i}"), "x"], ":1\r\n");
    }
    w.is(&["SADD", "user:set", "m"], ":1\r\n");
    w.is(&["ZADD", "user:zset", "1", "m"], ":1\r\n");
    w.is(&["HSET", "user:hash", "f", "v"], ":1\r\n");

    let as_set = |keys: Vec<Vec<u8>>| -> BTreeSet<Vec<u8>> { keys.into_iter().collect() };
    let users: BTreeSet<Vec<u8>> = (0..100).map(|i| format!("user:{i}").into_bytes()).collect();
    let queues: BTreeSet<Vec<u8>> = (0..100).map(|i| format!("queue:{i}").into_bytes()).collect();

    let seen = as_set(scan_all(&mut w, &["MATCH", "user:[0-9]*"]));
    w.check(seen == users, format!("MATCH user:[0-9]* saw {} keys", seen.len()));
    let seen = as_set(scan_all(&mut w, &["MATCH", "queue:*", "COUNT", "5"]));
    w.check(seen == queues, format!("MATCH queue:* COUNT 5 saw {} keys", seen.len()));
    let seen = as_set(scan_all(&mut w, &["TYPE", "list"]));
    w.check(seen == queues, format!("TYPE list saw {} keys", seen.len()));
    let seen = as_set(scan_all(&mut w, &["type", "STRING", "count", "3"]));
    w.check(seen == users, format!("type STRING saw {} keys", seen.len()));
    for (kind, key) in [("set", "user:set"), ("zset", "user:zset"), ("hash", "user:hash")] {
        let seen = as_set(scan_all(&mut w, &["TYPE", kind]));
        let want: BTreeSet<Vec<u8>> = [key.as_bytes().to_vec()].into_iter().collect();
        w.check(seen == want, format!("TYPE {kind} saw {seen:?}"));
    }
    let seen = as_set(scan_all(&mut w, &["MATCH", "user:*", "TYPE", "hash", "COUNT", "10"]));
    w.check(seen.len() == 1, format!("MATCH user:* TYPE hash saw {seen:?}"));
    // An unknown type matches nothing; it is not an error in Redis 7.0.
    let seen = scan_all(&mut w, &["TYPE", "nosuchtype"]);
    w.check(seen.is_empty(), format!("TYPE nosuchtype saw {} keys", seen.len()));
    let seen = scan_all(&mut w, &["MATCH", "nothing*"]);
    w.check(seen.is_empty(), format!("MATCH nothing* saw {} keys", seen.len()));
    // The last MATCH wins.
    let seen = as_set(scan_all(&mut w, &["MATCH", "nothing*", "MATCH", "queue:*"]));
    w.check(seen == queues, format!("MATCH twice saw {} keys", seen.len()));
}

/// A whole `SCAN` with `COUNT count`, calling `between(w, step)` after each
/// call that did not end it (at most 10,001 times); returns the keys seen.
fn scan_changing(w: &mut Wire, count: &str, mut between: impl FnMut(&mut Wire, usize)) -> BTreeSet<Vec<u8>> {
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    let mut step = 0;
    loop {
        let (next, keys) = w.scan(&["SCAN", &cursor, "COUNT", count]);
        seen.extend(keys);
        if next == "0" || step > 10_000 {
            return seen;
        }
        cursor = next;
        between(w, step);
        step += 1;
    }
}

#[test]
fn scan_while_the_keyspace_changes() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let stable: BTreeSet<Vec<u8>> = (0..300).map(|i| format!("stable:{i}").into_bytes()).collect();
    for key in &stable {
        w.is(&[b"SET".as_slice(), key, b"v"], OK);
    }
    for i in 0..300 {
        w.is(&["SET", &format!("temp:{i}"), "v"], OK);
    }
    // Between SCAN calls, add new keys (growing the table) and delete
    // others: every key present for the whole iteration must be seen.
    let seen = scan_changing(&mut w, "10", |w, round| {
        for j in 0..20 {
            w.is(&["SET", &format!("new:{round}:{j}"), "v"], OK);
        }
        w.is(&["DEL", &format!("temp:{round}")], if round < 300 { ":1\r\n" } else { ":0\r\n" });
    });
    let missing: Vec<String> = stable.difference(&seen).map(|k| show(k)).collect();
    w.check(missing.is_empty(), format!("SCAN missed {} stable keys: {missing:?}", missing.len()));
    // Keys deleted before the scan started are never returned.
    w.is(&["FLUSHDB"], OK);
    w.is(&["SET", "only", "v"], OK);
    let seen = scan_all(&mut w, &[]);
    w.check(seen == vec![b"only".to_vec()], format!("after FLUSHDB SCAN saw {seen:?}"));
}

#[test]
fn scan_and_lookups_while_large_tables_resize() {
    // Tables above a few hundred slots grow and shrink a few slots at a
    // time, with keys in two slot arrays meanwhile: SCAN, EXISTS, DBSIZE
    // and SCARD must not notice.
    let server = Server::start();
    let mut w = Wire::open(&server);
    let names = |prefix: &str, range: std::ops::Range<usize>| -> Vec<String> {
        range.map(|i| format!("{prefix}:{i}")).collect()
    };
    let with_values = |keys: &[String]| -> Vec<String> {
        let mut args = vec!["MSET".to_string()];
        for key in keys {
            args.extend([key.clone(), "v".to_string()]);
        }
        args
    };
    let stable = names("stable", 0..5_000);
    for chunk in stable.chunks(500) {
        w.is(&with_values(chunk), OK);
    }
    // About 300 steps of 100 new keys: the keyspace grows past 30,000
    // keys, through several resizes, while the scan runs.
    let mut added = 0;
    let seen = scan_changing(&mut w, "50", |w, _| {
        w.is(&with_values(&names("grown", added..added + 100)), OK);
        w.is(&["SADD", "members", &format!("m{added}"), &format!("m{}", added + 1)], ":2\r\n");
        added += 100;
    });
    let missing = stable.iter().filter(|k| !seen.contains(k.as_bytes())).count();
    w.check(missing == 0, format!("SCAN missed {missing} of 5000 stable keys while {added} keys were added"));
    w.check(added > 20_000, format!("only {added} keys were added during the scan"));
    w.is(&["DBSIZE"], format!(":{}\r\n", 5_000 + added + 1));
    w.is(&["SCARD", "members"], format!(":{}\r\n", added / 50));
    let grown = names("grown", 0..added);
    for chunk in grown.chunks(500) {
        let mut exists = vec!["EXISTS".to_string()];
        exists.extend_from_slice(chunk);
        w.is(&exists, format!(":{}\r\n", chunk.len()));
    }
    // Shrinking: delete most keys again; the rest stay found.
    for chunk in grown.chunks(500) {
        let mut del = vec!["DEL".to_string()];
        del.extend(chunk.iter().skip(1).cloned());
        w.is(&del, format!(":{}\r\n", chunk.len() - 1));
    }
    let survivors: Vec<String> = grown.iter().step_by(500).cloned().chain(stable.iter().cloned()).collect();
    let mut exists = vec!["EXISTS".to_string()];
    exists.extend(survivors.iter().cloned());
    w.is(&exists, format!(":{}\r\n", survivors.len()));
    w.is(&["DBSIZE"], format!(":{}\r\n", survivors.len() + 1));
}

#[test]
fn scan_errors() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "a", "1"], OK);
    w.is(&["SCAN", "abc"], "-ERR invalid cursor\r\n");
    w.is(&["SCAN", "1.5"], "-ERR invalid cursor\r\n");
    w.is(&["SCAN", "18446744073709551616"], "-ERR invalid cursor\r\n");
    w.is(&["SCAN", "0", "COUNT", "0"], SYNTAX);
    w.is(&["SCAN", "0", "COUNT", "-1"], SYNTAX);
    w.is(&["SCAN", "0", "COUNT", "abc"], NOT_INT);
    w.is(&["SCAN", "0", "COUNT"], SYNTAX);
    w.is(&["SCAN", "0", "MATCH"], SYNTAX);
    w.is(&["SCAN", "0", "TYPE"], SYNTAX);
    w.is(&["SCAN", "0", "FOO"], SYNTAX);
    w.is(&["SCAN", "0", "MATCH", "*", "FOO", "1"], SYNTAX);
    w.is(&["SCAN"], arity("scan"));
    // A cursor of 0 with a big COUNT over a tiny db: everything at once.
    w.is(&["SCAN", "0", "COUNT", "1000"], "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
}
