//! What a standalone server answers to the cluster and replication
//! commands clients send it: `ASKING`, `READONLY`, `READWRITE` refused
//! with Redis's "cluster support disabled", and `WAIT` (no replicas: 0),
//! with Redis's argument errors.

use crate::common::wire::{arity, Wire, NOT_INT};
use crate::common::Server;

#[test]
fn cluster_commands_are_refused_without_cluster_support() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    for command in ["ASKING", "READONLY", "READWRITE"] {
        w.is(&[command], "-ERR This instance has cluster support disabled\r\n");
        w.is(&[command, "extra"], arity(&command.to_ascii_lowercase()));
    }
}

#[test]
fn wait_counts_no_replicas() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "k", "v"], "+OK\r\n");
    w.is(&["WAIT", "0", "0"], ":0\r\n");
    w.is(&["WAIT", "0", "-1"], "-ERR timeout is negative\r\n");
    w.is(&["WAIT", "x", "0"], NOT_INT);
    w.is(&["WAIT", "0", "x"], "-ERR timeout is not an integer or out of range\r\n");
    w.is(&["WAIT", "0"], arity("wait"));
}
