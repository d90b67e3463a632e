//! MIGRATE to redis-server and to another server like the one under test:
//! keys move with their values and TTLs (the source loses them unless
//! `COPY`), `REPLACE`, `KEYS`, `AUTH`, `NOKEY`, the target's errors and a
//! target that is not there, in Redis's words.

use crate::common::wire::{self, int, Wire, NIL, NOT_INT, OK, SYNTAX};
use crate::common::{free_port, Server};
use crate::dump_restore::{describe, fixture, load_fixture, same};

fn migrate(w: &mut Wire, target: &Server, key: &str, extra: &[&str]) -> Vec<u8> {
    let port = target.port.to_string();
    let mut args = vec!["MIGRATE", "127.0.0.1", &port, key, "0", "5000"];
    args.extend_from_slice(extra);
    w.call(&args)
}

fn moves_every_type_to(target: &Server) {
    let source = Server::start();
    let mut w = Wire::open(&source);
    let mut t = Wire::open(target);
    t.is(&["FLUSHALL"], OK);
    load_fixture(&mut w);
    w.is(&["PEXPIRE", "hash-small", "50000000"], int(1));
    for (key, _) in fixture() {
        let before = describe(&mut w, &key);
        assert_eq!(migrate(&mut w, target, &key, &[]), OK.as_bytes(), "{key}");
        w.is(&["EXISTS", &key], int(0));
        same(&describe(&mut t, &key), &before, &format!("{key} on the target"));
    }
    t.within(&["PTTL", "hash-small"], 49_000_000..=50_000_000);
    w.is(&["MIGRATE", "127.0.0.1", &target.port.to_string(), "str-int", "0", "5000"], "+NOKEY\r\n");

    // COPY keeps the source; the target's key blocks without REPLACE.
    w.is(&["SET", "k", "v1"], OK);
    assert_eq!(migrate(&mut w, target, "k", &["COPY"]), OK.as_bytes());
    w.is(&["GET", "k"], wire::bulk("v1"));
    w.is(&["SET", "k", "v2"], OK);
    let busy = "-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n";
    assert_eq!(migrate(&mut w, target, "k", &["COPY"]), busy.as_bytes());
    w.is(&["GET", "k"], wire::bulk("v2"));
    assert_eq!(migrate(&mut w, target, "k", &["REPLACE"]), OK.as_bytes());
    w.is(&["GET", "k"], NIL);
    t.is(&["GET", "k"], wire::bulk("v2"));

    // KEYS: several at once, missing ones skipped.
    w.is(&["MSET", "a", "1", "b", "2"], OK);
    assert_eq!(migrate(&mut w, target, "", &["KEYS", "a", "missing", "b"]), OK.as_bytes());
    w.is(&["EXISTS", "a", "b"], int(0));
    t.is(&["MGET", "a", "b"], wire::bulks(&["1", "2"]));
    assert_eq!(migrate(&mut w, target, "", &["KEYS", "missing"]), b"+NOKEY\r\n");

    // Into another database of the target.
    w.is(&["SET", "in5", "x"], OK);
    let port = target.port.to_string();
    w.is(&["MIGRATE", "127.0.0.1", &port, "in5", "5", "5000"], OK);
    t.is(&["SELECT", "5"], OK);
    t.is(&["GET", "in5"], wire::bulk("x"));

    // AUTH to a target without a password: its error, and nothing moves.
    w.is(&["SET", "c", "3"], OK);
    let reply = migrate(&mut w, target, "c", &["AUTH", "secret"]);
    assert!(reply.starts_with(b"-ERR Target instance replied with error: ERR AUTH"), "{}", wire::show(&reply));
    w.is(&["GET", "c"], wire::bulk("3"));
    let reply = migrate(&mut w, target, "c", &["AUTH2", "nobody", "secret"]);
    assert!(reply.starts_with(b"-ERR Target instance replied with error: WRONGPASS"), "{}", wire::show(&reply));
}

#[test]
fn moves_keys_to_redis() {
    let Some(target) = Server::start_reference() else { return };
    moves_every_type_to(&target);
}

#[test]
fn moves_keys_to_the_same_kind_of_server() {
    let target = Server::start();
    moves_every_type_to(&target);
}

#[test]
fn migrate_errors() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "v"], OK);
    w.is(&["MIGRATE", "127.0.0.1", "1", "k", "0"], wire::arity("migrate"));
    w.is(&["MIGRATE", "127.0.0.1", "1", "k", "0", "10", "BOGUS"], SYNTAX);
    w.is(&["MIGRATE", "127.0.0.1", "1", "k", "0", "10", "AUTH"], SYNTAX);
    w.is(&["MIGRATE", "127.0.0.1", "1", "k", "0", "10", "AUTH2", "u"], SYNTAX);
    w.is(
        &["MIGRATE", "127.0.0.1", "1", "k", "0", "10", "KEYS", "k"],
        "-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string\r\n",
    );
    w.is(&["MIGRATE", "127.0.0.1", "1", "k", "0", "soon"], NOT_INT);
    w.is(&["MIGRATE", "127.0.0.1", "1", "k", "x", "10"], NOT_INT);
    w.is(&["MIGRATE", "127.0.0.1", "1", "missing", "0", "10"], "+NOKEY\r\n");
    let nobody = free_port().to_string();
    w.is(
        &["MIGRATE", "127.0.0.1", &nobody, "k", "0", "1000"],
        "-IOERR error or timeout writing to target instance\r\n",
    );
    w.is(&["GET", "k"], wire::bulk("v"));
}

/// A MIGRATE is logged as the DEL of the keys that moved: after a crash
/// they stay gone, and the COPY ones stay.
#[test]
fn migrated_keys_stay_gone_after_a_crash() {
    if crate::common::is_redis() {
        return;
    }
    let target = Server::start();
    let mut source = Server::start();
    let mut w = Wire::open(&source);
    w.is(&["MSET", "gone1", "1", "gone2", "2", "kept", "3"], OK);
    assert_eq!(migrate(&mut w, &target, "", &["KEYS", "gone1", "gone2"]), OK.as_bytes());
    assert_eq!(migrate(&mut w, &target, "kept", &["COPY"]), OK.as_bytes());
    drop(w);
    source.crash_restart();
    let mut w = Wire::open(&source);
    w.is(&["EXISTS", "gone1", "gone2"], int(0));
    w.is(&["GET", "kept"], wire::bulk("3"));
    let mut t = Wire::open(&target);
    t.is(&["MGET", "gone1", "gone2", "kept"], wire::bulks(&["1", "2", "3"]));
}
