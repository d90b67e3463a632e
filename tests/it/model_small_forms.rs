//! Model-based test of the small forms' conversion boundary: proptest
//! draws small thresholds (`hash-max-listpack-entries`,
//! `hash-max-listpack-value`, `set-max-intset-entries`, set by `CONFIG
//! SET` at the start of each case) and random HSET/HDEL/SADD/SREM
//! sequences on two keys, and after every command compares the server's
//! `OBJECT ENCODING` and full contents with a model of Redis 7.0's rules:
//!
//! * a hash is a `listpack` until an HSET names a field or value longer
//!   than the value limit, or leaves more fields than the entries limit;
//!   then a `hashtable` for good; while a `listpack`, `HGETALL` and `HSCAN`
//!   answer in insertion order (a re-set field keeps its place, a deleted
//!   and re-added one goes to the end);
//! * a set is an `intset` until a member is not a canonical integer or
//!   there are more members than the limit; then a `hashtable` for good;
//!   while an `intset`, `SMEMBERS` answers in numeric order;
//! * a collection emptied is deleted, and starts small again.
//!
//! Works against real Redis too (`EFIS_TEST_SERVER=redis`), which checks
//! the model.

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::common::wire::{Reply, Wire};
use crate::common::Server;

const FIELDS: [&str; 6] = ["a", "bb", "ccc", "dddd", "", "e\0"];
const MEMBERS: [&str; 10] = ["1", "-2", "30", "0", "9223372036854775807", "x", "01", "-0", "2", "+3"];

#[derive(Debug, Clone)]
enum Op {
    HSet(usize, Vec<(usize, usize)>),
    HDel(usize, Vec<usize>),
    SAdd(usize, Vec<usize>),
    SRem(usize, Vec<usize>),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..2usize;
    prop_oneof![
        4 => (key.clone(), prop::collection::vec((0..FIELDS.len(), 0..FIELDS.len()), 1..4)).prop_map(|(k, p)| Op::HSet(k, p)),
        2 => (key.clone(), prop::collection::vec(0..FIELDS.len(), 1..3)).prop_map(|(k, f)| Op::HDel(k, f)),
        4 => (key.clone(), prop::collection::vec(0..MEMBERS.len(), 1..4)).prop_map(|(k, m)| Op::SAdd(k, m)),
        2 => (key, prop::collection::vec(0..MEMBERS.len(), 1..3)).prop_map(|(k, m)| Op::SRem(k, m)),
    ]
}

/// A hash as Redis 7.0 keeps it: pairs in insertion order, and whether it
/// has turned into a table.
#[derive(Default, Clone)]
struct HashModel {
    pairs: Vec<(String, String)>,
    table: bool,
}

#[derive(Default, Clone)]
struct SetModel {
    members: Vec<String>,
    table: bool,
}

struct Limits {
    hash_entries: usize,
    hash_value: usize,
    intset_entries: usize,
}

fn canonical_integer(text: &str) -> bool {
    text.parse::<i64>().is_ok_and(|n| n.to_string() == text)
}

fn apply(op: &Op, hashes: &mut [HashModel; 2], sets: &mut [SetModel; 2], limits: &Limits) {
    match op {
        Op::HSet(k, pairs) => {
            let hash = &mut hashes[*k];
            for &(f, v) in pairs {
                let (field, value) = (FIELDS[f].to_string(), FIELDS[v].repeat(2));
                if field.len() > limits.hash_value || value.len() > limits.hash_value {
                    hash.table = true;
                }
                match hash.pairs.iter_mut().find(|(name, _)| *name == field) {
                    Some(pair) => pair.1 = value,
                    None => hash.pairs.push((field, value)),
                }
                if hash.pairs.len() > limits.hash_entries {
                    hash.table = true;
                }
            }
        }
        Op::HDel(k, fields) => {
            let hash = &mut hashes[*k];
            hash.pairs.retain(|(name, _)| !fields.iter().any(|&f| FIELDS[f] == name));
            if hash.pairs.is_empty() {
                *hash = HashModel::default();
            }
        }
        Op::SAdd(k, members) => {
            let set = &mut sets[*k];
            for &m in members {
                let member = MEMBERS[m].to_string();
                if !canonical_integer(&member) {
                    set.table = true;
                }
                if !set.members.contains(&member) {
                    set.members.push(member);
                }
                if set.members.len() > limits.intset_entries {
                    set.table = true;
                }
            }
        }
        Op::SRem(k, members) => {
            let set = &mut sets[*k];
            set.members.retain(|m| !members.iter().any(|&r| MEMBERS[r] == m));
            if set.members.is_empty() {
                *set = SetModel::default();
            }
        }
    }
}

fn args(op: &Op) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut push = |s: &str| out.push(s.as_bytes().to_vec());
    match op {
        Op::HSet(k, pairs) => {
            push("HSET");
            push(["h0", "h1"][*k]);
            for &(f, v) in pairs {
                push(FIELDS[f]);
                push(&FIELDS[v].repeat(2));
            }
        }
        Op::HDel(k, fields) => {
            push("HDEL");
            push(["h0", "h1"][*k]);
            fields.iter().for_each(|&f| push(FIELDS[f]));
        }
        Op::SAdd(k, members) | Op::SRem(k, members) => {
            push(if matches!(op, Op::SAdd(..)) { "SADD" } else { "SREM" });
            push(["s0", "s1"][*k]);
            members.iter().for_each(|&m| push(MEMBERS[m]));
        }
    }
    out
}

fn bulks(reply: Reply) -> Vec<String> {
    reply.into_bulks().unwrap_or_default().into_iter().map(|b| String::from_utf8_lossy(&b).into_owned()).collect()
}

fn encoding(w: &mut Wire, key: &str) -> Option<String> {
    match w.value(&["OBJECT", "ENCODING", key]) {
        Reply::Bulk(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        _ => None,
    }
}

fn check(w: &mut Wire, step: usize, hashes: &[HashModel; 2], sets: &[SetModel; 2]) -> Result<(), TestCaseError> {
    for (k, hash) in hashes.iter().enumerate() {
        let key = ["h0", "h1"][k];
        let want = (!hash.pairs.is_empty()).then(|| if hash.table { "hashtable" } else { "listpack" }.to_string());
        prop_assert_eq!(encoding(w, key), want, "step {}: OBJECT ENCODING {}", step, key);
        let flat: Vec<String> = hash.pairs.iter().flat_map(|(f, v)| [f.clone(), v.clone()]).collect();
        let mut got = bulks(w.value(&["HGETALL", key]));
        if hash.table {
            let mut want_pairs: Vec<_> = flat.chunks(2).map(<[String]>::to_vec).collect();
            let mut got_pairs: Vec<_> = got.chunks(2).map(<[String]>::to_vec).collect();
            want_pairs.sort();
            got_pairs.sort();
            prop_assert_eq!(got_pairs, want_pairs, "step {}: HGETALL {}", step, key);
        } else {
            prop_assert_eq!(&got, &flat, "step {}: HGETALL {} order", step, key);
            if !flat.is_empty() {
                let scan = w.value(&["HSCAN", key, "0", "COUNT", "1"]);
                let items = scan.items();
                prop_assert_eq!(items.first().map(Reply::bytes), Some(&b"0"[..]), "step {}: HSCAN cursor", step);
                got = items.get(1).cloned().map(bulks).unwrap_or_default();
                prop_assert_eq!(&got, &flat, "step {}: HSCAN {} order", step, key);
            }
        }
    }
    for (k, set) in sets.iter().enumerate() {
        let key = ["s0", "s1"][k];
        let want = (!set.members.is_empty()).then(|| if set.table { "hashtable" } else { "intset" }.to_string());
        prop_assert_eq!(encoding(w, key), want, "step {}: OBJECT ENCODING {}", step, key);
        let mut got = bulks(w.value(&["SMEMBERS", key]));
        let mut want = set.members.clone();
        if set.table {
            got.sort();
            want.sort();
        } else {
            want.sort_by_key(|m| m.parse::<i64>().unwrap_or(0));
        }
        prop_assert_eq!(got, want, "step {}: SMEMBERS {}", step, key);
    }
    Ok(())
}

#[test]
fn small_forms_convert_at_the_thresholds_like_a_model() {
    let server = Server::start();
    let w = RefCell::new(Wire::open(&server));
    let case = (0..5usize, 0..5usize, 0..5usize, prop::collection::vec(op(), 1..30));
    TestRunner::new(Config { cases: 96, failure_persistence: None, ..Config::default() })
        .run(&case, |(hash_entries, hash_value, intset_entries, ops)| {
            let w = &mut *w.borrow_mut();
            let limits = Limits { hash_entries, hash_value, intset_entries };
            w.call(&["FLUSHALL"]);
            let reply = w.value(&[
                "CONFIG".to_string(),
                "SET".into(),
                "hash-max-listpack-entries".into(),
                hash_entries.to_string(),
                "hash-max-listpack-value".into(),
                hash_value.to_string(),
                "set-max-intset-entries".into(),
                intset_entries.to_string(),
            ]);
            prop_assert_eq!(reply, Reply::Simple("OK".into()));
            let (mut hashes, mut sets) = (<[HashModel; 2]>::default(), <[SetModel; 2]>::default());
            for (step, op) in ops.iter().enumerate() {
                w.call(&args(op));
                apply(op, &mut hashes, &mut sets, &limits);
                check(w, step, &hashes, &sets)?;
            }
            Ok(())
        })
        .unwrap();
}
