//! `FAILOVER`: a primary hands over to its replica (writes pause until
//! the replica has everything, then the two swap roles and the old
//! primary continues as a replica without a full resynchronization),
//! and the errors of a failover that cannot start.

use super::{follow, info_field, quick_primary, wait_caught_up, wait_for, wait_link_up};
use crate::common::{err_cmd, ok_cmd, Server, Value};

#[test]
fn failover_refusals() {
    let primary = Server::start();
    let mut p = primary.client();
    assert_eq!(err_cmd(&mut p, &["FAILOVER", "ABORT"]), "ERR No failover in progress.");
    assert_eq!(err_cmd(&mut p, &["FAILOVER"]), "ERR FAILOVER requires connected replicas.");
    assert_eq!(err_cmd(&mut p, &["FAILOVER", "TIMEOUT", "0"]), "ERR FAILOVER timeout must be greater than 0");
    assert_eq!(err_cmd(&mut p, &["FAILOVER", "NOW"]), "ERR syntax error");
    let replica = Server::start();
    follow(&replica, &primary);
    assert_eq!(
        err_cmd(&mut p, &["FAILOVER", "TO", "127.0.0.1", &replica.port.to_string(), "FORCE"]),
        "ERR FAILOVER with force option requires both a timeout and target HOST and IP."
    );
    assert_eq!(
        err_cmd(&mut p, &["FAILOVER", "TO", "127.0.0.1", "1"]),
        "ERR FAILOVER target HOST and PORT is not a replica."
    );
    assert_eq!(err_cmd(&mut replica.client(), &["FAILOVER"]), "ERR FAILOVER is not valid when server is a replica.");
}

#[test]
fn failover_swaps_primary_and_replica() {
    let old = Server::start();
    quick_primary(&old);
    let new = Server::start();
    quick_primary(&new);
    follow(&new, &old);
    let mut o = old.client();
    ok_cmd(&mut o, &["SET", "k", "1"]);
    wait_caught_up(&new, &old);
    let target = new.port.to_string();
    assert_eq!(ok_cmd(&mut o, &["FAILOVER", "TO", "127.0.0.1", &target, "TIMEOUT", "10000"]), Value::Okay);
    wait_for("the replica to become the primary", || {
        info_field(&new, "replication", "role").as_deref() == Some("master")
    });
    wait_for("the old primary to follow it", || {
        info_field(&old, "replication", "master_port") == Some(target.clone())
            && info_field(&old, "replication", "master_failover_state").as_deref() == Some("no-failover")
    });
    wait_link_up(&old);
    let mut n = new.client();
    ok_cmd(&mut n, &["SET", "k", "2"]);
    wait_caught_up(&old, &new);
    assert_eq!(ok_cmd(&mut o, &["GET", "k"]), Value::BulkString(b"2".to_vec()));
    assert_eq!(info_field(&new, "stats", "sync_partial_ok").as_deref(), Some("1"));
    assert_eq!(err_cmd(&mut o, &["SET", "x", "1"]), "READONLY You can't write against a read only replica.");
}
