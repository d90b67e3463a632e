//! Streams and consumer groups: XADD, XLEN, XRANGE, XREVRANGE, XDEL,
//! XTRIM, XSETID, XREAD, XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM,
//! XAUTOCLAIM and XINFO, blocking reads, and streams under the generic
//! key commands.
//!
//! Every expectation is the exact reply of Redis 7.0 on the wire; run with
//! `EFIS_TEST_SERVER=redis` to check them against the real redis-server.
//! Replies that hold the clock (generated IDs, idle times) are checked by
//! shape and range. One file per theme: `entries` (adding, reading,
//! deleting, trimming), `groups` (groups, pending lists, claims), `info`
//! (XINFO and the read counters), `blocking` (BLOCK).

mod blocking;
mod entries;
mod groups;
mod info;

use crate::common::wire::{array, bulk, bulks};

/// The reply for one entry: `[id, [field, value, ...]]`.
fn entry(id: &str, fields: &[&str]) -> Vec<u8> {
    array(&[bulk(id), bulks(fields)])
}

/// An array of entries.
fn entries(items: &[(&str, &[&str])]) -> Vec<u8> {
    let encoded: Vec<Vec<u8>> = items.iter().map(|(id, fields)| entry(id, fields)).collect();
    array(&encoded)
}

/// XREAD's RESP2 reply for one stream.
fn read_reply(key: &str, items: &[(&str, &[&str])]) -> Vec<u8> {
    array(&[array(&[bulk(key), entries(items)])])
}
