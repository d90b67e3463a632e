//! Expiry on a replica: keys expire on the primary, which streams a `DEL`;
//! a replica never deletes a key itself. Its clients see an expired key
//! as absent at once (`GET`, `EXISTS`, `TTL`, `KEYS`), but the key stays
//! counted (`DBSIZE`) until the primary's `DEL` arrives, as with Redis.

use super::{follow, wait_caught_up, wait_for};
use crate::common::{cmd, Server, Value};

fn dbsize(server: &Server) -> i64 {
    match cmd(&mut server.client(), &["DBSIZE"]).unwrap() {
        Value::Int(n) => n,
        other => panic!("DBSIZE answered {other:?}"),
    }
}

#[test]
fn a_replica_waits_for_its_primarys_del() {
    let primary = Server::start();
    let replica = Server::start();
    follow(&replica, &primary);
    let mut p = primary.client();
    let mut r = replica.client();
    // Only reads delete expired keys on the primary from here on.
    assert_eq!(cmd(&mut p, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]).unwrap(), Value::Okay);
    assert_eq!(cmd(&mut p, &["SET", "short", "v", "PX", "200"]).unwrap(), Value::Okay);
    assert_eq!(cmd(&mut p, &["SET", "counter", "10", "PX", "200"]).unwrap(), Value::Okay);
    assert_eq!(cmd(&mut p, &["SET", "lasting", "v"]).unwrap(), Value::Okay);
    wait_caught_up(&replica, &primary);

    wait_for("the replica to read the short-lived key as absent", || {
        cmd(&mut r, &["GET", "short"]).unwrap() == Value::Nil
    });
    assert_eq!(cmd(&mut r, &["EXISTS", "short", "counter"]).unwrap(), Value::Int(0));
    assert_eq!(cmd(&mut r, &["TTL", "counter"]).unwrap(), Value::Int(-2));
    assert_eq!(cmd(&mut r, &["KEYS", "*"]).unwrap(), Value::Array(vec![Value::BulkString(b"lasting".to_vec())]));
    // Still held: the primary has not deleted them yet.
    assert_eq!(dbsize(&replica), 3);

    // A read on the primary expires one key there: its DEL reaches the replica.
    assert_eq!(cmd(&mut p, &["GET", "short"]).unwrap(), Value::Nil);
    wait_caught_up(&replica, &primary);
    assert_eq!(dbsize(&replica), 2);

    // The primary's active expiry takes the other.
    assert_eq!(cmd(&mut p, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]).unwrap(), Value::Okay);
    wait_for("the primary's active expiry to reach the replica", || dbsize(&replica) == 1);
    assert_eq!(cmd(&mut r, &["GET", "lasting"]).unwrap(), Value::BulkString(b"v".to_vec()));
}

#[test]
fn a_promoted_replica_expires_keys_itself() {
    let primary = Server::start();
    let replica = Server::start();
    follow(&replica, &primary);
    let mut p = primary.client();
    assert_eq!(cmd(&mut p, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]).unwrap(), Value::Okay);
    assert_eq!(cmd(&mut p, &["SET", "short", "v", "PX", "100"]).unwrap(), Value::Okay);
    wait_caught_up(&replica, &primary);
    let mut r = replica.client();
    wait_for("the key to read as absent", || cmd(&mut r, &["GET", "short"]).unwrap() == Value::Nil);
    assert_eq!(dbsize(&replica), 1);
    assert_eq!(cmd(&mut r, &["REPLICAOF", "NO", "ONE"]).unwrap(), Value::Okay);
    // A primary now: its reads and its active expiry remove the key.
    wait_for("the promoted server to remove the expired key", || {
        let _ = cmd(&mut r, &["GET", "short"]);
        dbsize(&replica) == 0
    });
}
