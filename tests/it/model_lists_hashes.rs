//! Model-based test of lists and hashes: proptest generates random
//! sequences of list and hash commands over a few shared keys (so that
//! WRONGTYPE errors, emptied keys and duplicates all occur), runs them
//! against one server, and compares every reply with what a plain
//! `VecDeque`/`HashMap` model of Redis's semantics predicts.
//!
//! One server serves the whole property; each case starts with FLUSHALL.
//! Works against real Redis too (`EFIS_TEST_SERVER=redis`), which checks
//! the model itself.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::common::wire::{Reply, Wire};
use crate::common::Server;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const KEYS: [&str; 3] = ["k0", "k1", "k2"];
const ELEMENTS: [&[u8]; 5] = [b"a", b"b", b"c", b"", b"x\0\r\n"];
const FIELDS: [&[u8]; 4] = [b"f", b"g", b"h", b"\0"];
const VALUES: [&[u8]; 6] = [b"1", b"-7", b"abc", b"9223372036854775807", b"", b"01"];

/// One generated command.
#[derive(Debug, Clone)]
enum Op {
    Push { left: bool, key: usize, elements: Vec<usize> },
    Pop { left: bool, key: usize, count: Option<u8> },
    Range { key: usize, start: i64, stop: i64 },
    Index { key: usize, index: i64 },
    Set { key: usize, index: i64, element: usize },
    Rem { key: usize, count: i64, element: usize },
    Trim { key: usize, start: i64, stop: i64 },
    Insert { key: usize, after: bool, pivot: usize, element: usize },
    Len { key: usize },
    HSet { key: usize, pairs: Vec<(usize, usize)> },
    HDel { key: usize, fields: Vec<usize> },
    HGet { key: usize, field: usize },
    HIncrBy { key: usize, field: usize, delta: i64 },
    HLen { key: usize },
    HGetAll { key: usize },
    Exists { key: usize },
}

impl Op {
    fn args(&self) -> Vec<Vec<u8>> {
        let text = |s: &str| s.as_bytes().to_vec();
        let num = |n: i64| n.to_string().into_bytes();
        let key = |k: &usize| text(KEYS[*k]);
        match self {
            Op::Push { left, key: k, elements } => {
                let mut args = vec![text(if *left { "LPUSH" } else { "RPUSH" }), key(k)];
                args.extend(elements.iter().map(|&e| ELEMENTS[e].to_vec()));
                args
            }
            Op::Pop { left, key: k, count } => {
                let mut args = vec![text(if *left { "LPOP" } else { "RPOP" }), key(k)];
                args.extend(count.map(|c| num(c.into())));
                args
            }
            Op::Range { key: k, start, stop } => vec![text("LRANGE"), key(k), num(*start), num(*stop)],
            Op::Index { key: k, index } => vec![text("LINDEX"), key(k), num(*index)],
            Op::Set { key: k, index, element } => vec![text("LSET"), key(k), num(*index), ELEMENTS[*element].to_vec()],
            Op::Rem { key: k, count, element } => vec![text("LREM"), key(k), num(*count), ELEMENTS[*element].to_vec()],
            Op::Trim { key: k, start, stop } => vec![text("LTRIM"), key(k), num(*start), num(*stop)],
            Op::Insert { key: k, after, pivot, element } => vec![
                text("LINSERT"),
                key(k),
                text(if *after { "AFTER" } else { "BEFORE" }),
                ELEMENTS[*pivot].to_vec(),
                ELEMENTS[*element].to_vec(),
            ],
            Op::Len { key: k } => vec![text("LLEN"), key(k)],
            Op::HSet { key: k, pairs } => {
                let mut args = vec![text("HSET"), key(k)];
                for &(f, v) in pairs {
                    args.push(FIELDS[f].to_vec());
                    args.push(VALUES[v].to_vec());
                }
                args
            }
            Op::HDel { key: k, fields } => {
                let mut args = vec![text("HDEL"), key(k)];
                args.extend(fields.iter().map(|&f| FIELDS[f].to_vec()));
                args
            }
            Op::HGet { key: k, field } => vec![text("HGET"), key(k), FIELDS[*field].to_vec()],
            Op::HIncrBy { key: k, field, delta } => vec![text("HINCRBY"), key(k), FIELDS[*field].to_vec(), num(*delta)],
            Op::HLen { key: k } => vec![text("HLEN"), key(k)],
            Op::HGetAll { key: k } => vec![text("HGETALL"), key(k)],
            Op::Exists { key: k } => vec![text("EXISTS"), key(k)],
        }
    }
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let key = 0..KEYS.len();
    let element = 0..ELEMENTS.len();
    let index = -6i64..6;
    let delta = prop_oneof![4 => -3i64..4, 1 => Just(i64::MAX), 1 => Just(i64::MIN)];
    prop_oneof![
        4 => (any::<bool>(), key.clone(), prop::collection::vec(element.clone(), 1..4))
            .prop_map(|(left, key, elements)| Op::Push { left, key, elements }),
        3 => (any::<bool>(), key.clone(), prop::option::of(0u8..5))
            .prop_map(|(left, key, count)| Op::Pop { left, key, count }),
        2 => (key.clone(), index.clone(), index.clone()).prop_map(|(key, start, stop)| Op::Range { key, start, stop }),
        1 => (key.clone(), index.clone()).prop_map(|(key, index)| Op::Index { key, index }),
        1 => (key.clone(), index.clone(), element.clone())
            .prop_map(|(key, index, element)| Op::Set { key, index, element }),
        1 => (key.clone(), -3i64..4, element.clone()).prop_map(|(key, count, element)| Op::Rem { key, count, element }),
        1 => (key.clone(), index.clone(), index.clone()).prop_map(|(key, start, stop)| Op::Trim { key, start, stop }),
        1 => (key.clone(), any::<bool>(), element.clone(), element.clone())
            .prop_map(|(key, after, pivot, element)| Op::Insert { key, after, pivot, element }),
        1 => key.clone().prop_map(|key| Op::Len { key }),
        3 => (key.clone(), prop::collection::vec((0..FIELDS.len(), 0..VALUES.len()), 1..4))
            .prop_map(|(key, pairs)| Op::HSet { key, pairs }),
        2 => (key.clone(), prop::collection::vec(0..FIELDS.len(), 1..3)).prop_map(|(key, fields)| Op::HDel { key, fields }),
        1 => (key.clone(), 0..FIELDS.len()).prop_map(|(key, field)| Op::HGet { key, field }),
        2 => (key.clone(), 0..FIELDS.len(), delta).prop_map(|(key, field, delta)| Op::HIncrBy { key, field, delta }),
        1 => key.clone().prop_map(|key| Op::HLen { key }),
        1 => key.clone().prop_map(|key| Op::HGetAll { key }),
        1 => key.prop_map(|key| Op::Exists { key }),
    ]
}

type ModelList = VecDeque<Vec<u8>>;
type ModelHash = HashMap<Vec<u8>, Vec<u8>>;

/// What a key holds in the model.
#[derive(Debug)]
enum Stored {
    List(ModelList),
    Hash(ModelHash),
}

/// Redis's strict integer syntax (no `+`, no leading zeros, no `-0`).
fn strict_i64(text: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(text).ok()?;
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && s != "-0";
    if canonical {
        s.parse().ok()
    } else {
        None
    }
}

/// Redis's LRANGE/LTRIM range arithmetic.
fn clamp(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop.min(len - 1) as usize))
}

fn index_of(index: i64, len: usize) -> Option<usize> {
    let index = if index < 0 { len as i64 + index } else { index };
    (0..len as i64).contains(&index).then_some(index as usize)
}

fn bulk_array<'a>(items: impl IntoIterator<Item = &'a Vec<u8>>) -> Reply {
    Reply::Array(items.into_iter().map(|e| Reply::Bulk(e.clone())).collect())
}

fn error(text: &str) -> Reply {
    Reply::Error(text.to_string())
}

#[derive(Default)]
struct Model {
    keys: HashMap<usize, Stored>,
}

impl Model {
    /// Applies `op` and returns the reply Redis would send.
    fn apply(&mut self, op: &Op) -> Reply {
        match op {
            Op::Push { left, key, elements } => {
                let list = match self.keys.entry(*key).or_insert_with(|| Stored::List(VecDeque::new())) {
                    Stored::List(list) => list,
                    Stored::Hash(_) => return error(WRONGTYPE),
                };
                for &e in elements {
                    if *left {
                        list.push_front(ELEMENTS[e].to_vec());
                    } else {
                        list.push_back(ELEMENTS[e].to_vec());
                    }
                }
                Reply::Int(list.len() as i64)
            }
            Op::Pop { left, key, count } => {
                let Some(list) = self.list(*key) else {
                    return if count.is_some() { Reply::NilArray } else { Reply::Nil };
                };
                let list = match list {
                    Ok(list) => list,
                    Err(e) => return e,
                };
                let mut pop = || if *left { list.pop_front() } else { list.pop_back() };
                let reply = match count {
                    None => Reply::Bulk(pop().unwrap_or_default()),
                    Some(n) => Reply::Array((0..*n).map_while(|_| pop()).map(Reply::Bulk).collect()),
                };
                self.drop_if_empty(*key);
                reply
            }
            Op::Range { key, start, stop } => match self.list(*key) {
                None => Reply::Array(vec![]),
                Some(Err(e)) => e,
                Some(Ok(list)) => match clamp(*start, *stop, list.len()) {
                    Some((first, last)) => bulk_array(list.range(first..=last)),
                    None => Reply::Array(vec![]),
                },
            },
            Op::Index { key, index } => match self.list(*key) {
                None => Reply::Nil,
                Some(Err(e)) => e,
                Some(Ok(list)) => match index_of(*index, list.len()) {
                    Some(i) => Reply::Bulk(list[i].clone()),
                    None => Reply::Nil,
                },
            },
            Op::Set { key, index, element } => match self.list(*key) {
                None => error("ERR no such key"),
                Some(Err(e)) => e,
                Some(Ok(list)) => match index_of(*index, list.len()) {
                    Some(i) => {
                        list[i] = ELEMENTS[*element].to_vec();
                        Reply::Simple("OK".into())
                    }
                    None => error("ERR index out of range"),
                },
            },
            Op::Rem { key, count, element } => {
                let list = match self.list(*key) {
                    None => return Reply::Int(0),
                    Some(Err(e)) => return e,
                    Some(Ok(list)) => list,
                };
                let value = ELEMENTS[*element];
                let limit = if *count == 0 { usize::MAX } else { count.unsigned_abs() as usize };
                let mut removed = 0;
                if *count >= 0 {
                    list.retain(|e| {
                        let drop = e == value && removed < limit;
                        removed += drop as usize;
                        !drop
                    });
                } else {
                    let mut kept: VecDeque<Vec<u8>> = VecDeque::new();
                    while let Some(e) = list.pop_back() {
                        if e == value && removed < limit {
                            removed += 1;
                        } else {
                            kept.push_front(e);
                        }
                    }
                    *list = kept;
                }
                self.drop_if_empty(*key);
                Reply::Int(removed as i64)
            }
            Op::Trim { key, start, stop } => {
                let list = match self.list(*key) {
                    None => return Reply::Simple("OK".into()),
                    Some(Err(e)) => return e,
                    Some(Ok(list)) => list,
                };
                match clamp(*start, *stop, list.len()) {
                    Some((first, last)) => {
                        list.truncate(last + 1);
                        list.drain(..first);
                    }
                    None => list.clear(),
                }
                self.drop_if_empty(*key);
                Reply::Simple("OK".into())
            }
            Op::Insert { key, after, pivot, element } => match self.list(*key) {
                None => Reply::Int(0),
                Some(Err(e)) => e,
                Some(Ok(list)) => match list.iter().position(|e| e == ELEMENTS[*pivot]) {
                    Some(at) => {
                        list.insert(at + *after as usize, ELEMENTS[*element].to_vec());
                        Reply::Int(list.len() as i64)
                    }
                    None => Reply::Int(-1),
                },
            },
            Op::Len { key } => match self.list(*key) {
                None => Reply::Int(0),
                Some(Err(e)) => e,
                Some(Ok(list)) => Reply::Int(list.len() as i64),
            },
            Op::HSet { key, pairs } => {
                let hash = match self.keys.entry(*key).or_insert_with(|| Stored::Hash(HashMap::new())) {
                    Stored::Hash(hash) => hash,
                    Stored::List(_) => return error(WRONGTYPE),
                };
                let created = pairs
                    .iter()
                    .filter(|&&(f, v)| hash.insert(FIELDS[f].to_vec(), VALUES[v].to_vec()).is_none())
                    .count();
                Reply::Int(created as i64)
            }
            Op::HDel { key, fields } => {
                let hash = match self.hash(*key) {
                    None => return Reply::Int(0),
                    Some(Err(e)) => return e,
                    Some(Ok(hash)) => hash,
                };
                let removed = fields.iter().filter(|&&f| hash.remove(FIELDS[f]).is_some()).count();
                self.drop_if_empty(*key);
                Reply::Int(removed as i64)
            }
            Op::HGet { key, field } => match self.hash(*key) {
                None => Reply::Nil,
                Some(Err(e)) => e,
                Some(Ok(hash)) => hash.get(FIELDS[*field]).map_or(Reply::Nil, |v| Reply::Bulk(v.clone())),
            },
            Op::HIncrBy { key, field, delta } => {
                let hash = match self.keys.entry(*key).or_insert_with(|| Stored::Hash(HashMap::new())) {
                    Stored::Hash(hash) => hash,
                    Stored::List(_) => return error(WRONGTYPE),
                };
                let current = match hash.get(FIELDS[*field]) {
                    None => 0,
                    Some(text) => match strict_i64(text) {
                        Some(n) => n,
                        None => return error("ERR hash value is not an integer"),
                    },
                };
                match current.checked_add(*delta) {
                    Some(n) => {
                        hash.insert(FIELDS[*field].to_vec(), n.to_string().into_bytes());
                        Reply::Int(n)
                    }
                    None => error("ERR increment or decrement would overflow"),
                }
            }
            Op::HLen { key } => match self.hash(*key) {
                None => Reply::Int(0),
                Some(Err(e)) => e,
                Some(Ok(hash)) => Reply::Int(hash.len() as i64),
            },
            Op::HGetAll { key } => match self.hash(*key) {
                None => Reply::Array(vec![]),
                Some(Err(e)) => e,
                Some(Ok(hash)) => {
                    let sorted: BTreeMap<&Vec<u8>, &Vec<u8>> = hash.iter().collect();
                    bulk_array(sorted.into_iter().flat_map(|(f, v)| [f, v]))
                }
            },
            Op::Exists { key } => Reply::Int(self.keys.contains_key(key) as i64),
        }
    }

    fn list(&mut self, key: usize) -> Option<Result<&mut ModelList, Reply>> {
        match self.keys.get_mut(&key)? {
            Stored::List(list) => Some(Ok(list)),
            Stored::Hash(_) => Some(Err(error(WRONGTYPE))),
        }
    }

    fn hash(&mut self, key: usize) -> Option<Result<&mut ModelHash, Reply>> {
        match self.keys.get_mut(&key)? {
            Stored::Hash(hash) => Some(Ok(hash)),
            Stored::List(_) => Some(Err(error(WRONGTYPE))),
        }
    }

    /// Empty collections never exist.
    fn drop_if_empty(&mut self, key: usize) {
        let empty = match self.keys.get(&key) {
            Some(Stored::List(list)) => list.is_empty(),
            Some(Stored::Hash(hash)) => hash.is_empty(),
            None => false,
        };
        if empty {
            self.keys.remove(&key);
        }
    }
}

/// HGETALL's order is the server's own: compare it sorted by field.
fn normalize(op: &Op, reply: Reply) -> Reply {
    match (op, reply) {
        (Op::HGetAll { .. }, Reply::Array(items)) => {
            let mut pairs: Vec<(Reply, Reply)> =
                items.chunks(2).map(|p| (p[0].clone(), p.get(1).cloned().unwrap_or(Reply::Nil))).collect();
            pairs.sort();
            Reply::Array(pairs.into_iter().flat_map(|(f, v)| [f, v]).collect())
        }
        (_, reply) => reply,
    }
}

#[test]
fn lists_and_hashes_match_a_model() {
    let server = Server::start();
    let wire = RefCell::new(Wire::open(&server));
    let config = Config { cases: 64, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&prop::collection::vec(op_strategy(), 1..60), |ops| {
        let mut wire = wire.borrow_mut();
        let flushed = wire.value(&["FLUSHALL"]);
        prop_assert_eq!(flushed, Reply::Simple("OK".into()));
        let mut model = Model::default();
        for (step, op) in ops.iter().enumerate() {
            let want = model.apply(op);
            let got = normalize(op, wire.value(&op.args()));
            if got != want {
                return Err(TestCaseError::fail(format!(
                    "step {step}: {op:?}\n  server: {got:?}\n  model:  {want:?}\n  model state: {:?}",
                    model.keys
                )));
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
