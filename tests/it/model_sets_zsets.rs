//! Model-based tests of the set and sorted-set commands: proptest draws
//! random command sequences, runs them against the server and against a
//! plain in-test model (a `BTreeSet` per set, a `BTreeMap` of scores per
//! sorted set, sorted on demand), and requires identical replies.
//!
//! One server per property; `FLUSHALL` between cases. The sorted-set
//! model implements Redis's documented rules for ZADD's NX/XX/GT/LT/CH/
//! INCR, rank and score ranges (exclusive bounds, infinities, REV, LIMIT),
//! ZRANK, ZCOUNT and ZPOPMIN independently of the server's code. Scores
//! are multiples of 0.5 and infinities, so every sum is exact and prints
//! the same under `%.17g`.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::common::wire::{bulk, int, parse, show, Wire, EMPTY, NIL};
use crate::common::Server;

/// Members used by both families: short, shared prefixes, binary.
const MEMBERS: [&[u8]; 10] = [b"a", b"b", b"c", b"d", b"e", b"aa", b"", b"\0", b"x\r\ny", b"\xff"];
const SET_KEYS: [&str; 2] = ["s0", "s1"];
const ZSET_KEYS: [&str; 2] = ["z0", "z1"];
const CASES: u32 = 64;

fn runner() -> TestRunner {
    TestRunner::new(Config { cases: CASES, failure_persistence: None, ..Config::default() })
}

/// Sends `args`, returns the raw reply.
fn call(w: &RefCell<Wire>, args: &[Vec<u8>]) -> Vec<u8> {
    w.borrow_mut().call(args)
}

fn command(words: &[&[u8]]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.to_vec()).collect()
}

fn show_command(args: &[Vec<u8>]) -> String {
    args.iter().map(|a| show(a)).collect::<Vec<_>>().join(" ")
}

fn expect_reply(step: usize, args: &[Vec<u8>], got: &[u8], want: &[u8]) -> Result<(), TestCaseError> {
    if got == want {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!(
            "step {step}: {} -> got \"{}\", model says \"{}\"",
            show_command(args),
            show(got),
            show(want)
        )))
    }
}

// ---------------------------------------------------------------------
// Sets
// ---------------------------------------------------------------------

#[derive(Debug, Clone)]
enum SetOp {
    Add(usize, Vec<usize>),
    Rem(usize, Vec<usize>),
    IsMember(usize, usize),
    Card(usize),
    Members(usize),
    Pop(usize, Option<usize>),
}

fn set_op() -> impl Strategy<Value = SetOp> {
    let key = 0..SET_KEYS.len();
    let member = 0..MEMBERS.len();
    prop_oneof![
        4 => (key.clone(), prop::collection::vec(member.clone(), 1..5)).prop_map(|(k, m)| SetOp::Add(k, m)),
        2 => (key.clone(), prop::collection::vec(member.clone(), 1..4)).prop_map(|(k, m)| SetOp::Rem(k, m)),
        2 => (key.clone(), member).prop_map(|(k, m)| SetOp::IsMember(k, m)),
        1 => key.clone().prop_map(SetOp::Card),
        1 => key.clone().prop_map(SetOp::Members),
        2 => (key, prop::option::of(0..5usize)).prop_map(|(k, c)| SetOp::Pop(k, c)),
    ]
}

/// Runs one set operation against the server and the model.
fn run_set_op(
    w: &RefCell<Wire>,
    model: &mut [BTreeSet<Vec<u8>>; 2],
    step: usize,
    op: &SetOp,
) -> Result<(), TestCaseError> {
    match op {
        SetOp::Add(k, members) => {
            let mut args = command(&[b"SADD", SET_KEYS[*k].as_bytes()]);
            args.extend(members.iter().map(|&m| MEMBERS[m].to_vec()));
            let added = members.iter().filter(|&&m| model[*k].insert(MEMBERS[m].to_vec())).count();
            expect_reply(step, &args, &call(w, &args), int(added as i64).as_bytes())
        }
        SetOp::Rem(k, members) => {
            let mut args = command(&[b"SREM", SET_KEYS[*k].as_bytes()]);
            args.extend(members.iter().map(|&m| MEMBERS[m].to_vec()));
            let removed = members.iter().filter(|&&m| model[*k].remove(MEMBERS[m])).count();
            expect_reply(step, &args, &call(w, &args), int(removed as i64).as_bytes())
        }
        SetOp::IsMember(k, m) => {
            let args = command(&[b"SISMEMBER", SET_KEYS[*k].as_bytes(), MEMBERS[*m]]);
            let found = model[*k].contains(MEMBERS[*m]);
            expect_reply(step, &args, &call(w, &args), int(found as i64).as_bytes())
        }
        SetOp::Card(k) => {
            let args = command(&[b"SCARD", SET_KEYS[*k].as_bytes()]);
            expect_reply(step, &args, &call(w, &args), int(model[*k].len() as i64).as_bytes())
        }
        SetOp::Members(k) => {
            let args = command(&[b"SMEMBERS", SET_KEYS[*k].as_bytes()]);
            let raw = call(w, &args);
            let got: BTreeSet<Vec<u8>> = parse(&raw).items().iter().map(|r| r.bytes().to_vec()).collect();
            prop_assert!(raw.starts_with(b"*"), "step {step}: SMEMBERS answered {}", show(&raw));
            prop_assert_eq!(parse(&raw).items().len(), got.len(), "step {}: duplicates in SMEMBERS", step);
            prop_assert_eq!(&got, &model[*k], "step {}: SMEMBERS differs", step);
            Ok(())
        }
        SetOp::Pop(k, None) => {
            let args = command(&[b"SPOP", SET_KEYS[*k].as_bytes()]);
            let raw = call(w, &args);
            if model[*k].is_empty() {
                return expect_reply(step, &args, &raw, NIL.as_bytes());
            }
            let member = parse(&raw).bytes().to_vec();
            prop_assert!(
                raw.starts_with(b"$") && model[*k].remove(&member),
                "step {step}: SPOP answered {} with model {:?}",
                show(&raw),
                model[*k]
            );
            Ok(())
        }
        SetOp::Pop(k, Some(count)) => {
            let args = command(&[b"SPOP", SET_KEYS[*k].as_bytes(), count.to_string().as_bytes()]);
            let raw = call(w, &args);
            let popped: Vec<Vec<u8>> = parse(&raw).items().iter().map(|r| r.bytes().to_vec()).collect();
            prop_assert!(raw.starts_with(b"*"), "step {step}: SPOP answered {}", show(&raw));
            prop_assert_eq!(popped.len(), (*count).min(model[*k].len()), "step {}: SPOP count", step);
            for member in popped {
                prop_assert!(model[*k].remove(&member), "step {step}: SPOP gave {} not in the set", show(&member));
            }
            Ok(())
        }
    }
}

#[test]
fn sets_match_a_model() {
    let server = Server::start();
    let w = RefCell::new(Wire::open(&server));
    let ops = prop::collection::vec(set_op(), 1..40);
    runner()
        .run(&ops, |ops| {
            call(&w, &command(&[b"FLUSHALL"]));
            let mut model = [BTreeSet::new(), BTreeSet::new()];
            for (step, op) in ops.iter().enumerate() {
                run_set_op(&w, &mut model, step, op)?;
            }
            // Finally the whole state, and no empty set left behind.
            for (k, key) in SET_KEYS.iter().enumerate() {
                let exists = call(&w, &command(&[b"EXISTS", key.as_bytes()]));
                prop_assert_eq!(exists, int(!model[k].is_empty() as i64).into_bytes());
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------
// Sorted sets
// ---------------------------------------------------------------------

/// ZADD's options.
#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// A score range bound: value and exclusiveness.
type Bound = (f64, bool);

#[derive(Debug, Clone)]
enum ZOp {
    Add(usize, Flags, Vec<(f64, usize)>),
    IncrBy(usize, f64, usize),
    Rem(usize, Vec<usize>),
    RangeByRank { key: usize, start: i64, stop: i64, rev: bool, withscores: bool },
    RangeByScore { key: usize, min: Bound, max: Bound, rev: bool, withscores: bool, limit: Option<(i64, i64)> },
    Rank(usize, usize, bool),
    Count(usize, Bound, Bound),
    PopMin(usize, Option<usize>),
}

fn score() -> impl Strategy<Value = f64> {
    prop_oneof![
        12 => (-12i32..=12).prop_map(|k| k as f64 / 2.0),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
    ]
}

fn bound() -> impl Strategy<Value = Bound> {
    (score(), any::<bool>())
}

fn flags() -> impl Strategy<Value = Flags> {
    // Mostly compatible combinations, sometimes conflicting ones.
    (0..10u8, any::<bool>(), any::<bool>(), 0..8u8).prop_map(|(condition, ch, incr, rare)| {
        let mut f = Flags { ch, incr: incr && rare < 3, ..Flags::default() };
        match condition {
            0 => f.nx = true,
            1 => f.xx = true,
            2 => f.gt = true,
            3 => f.lt = true,
            4 => (f.xx, f.gt) = (true, true),
            5 if rare == 0 => (f.nx, f.xx) = (true, true),
            6 if rare == 0 => (f.gt, f.lt) = (true, true),
            7 if rare == 0 => (f.nx, f.gt) = (true, true),
            _ => {}
        }
        f
    })
}

fn index() -> impl Strategy<Value = i64> {
    prop_oneof![6 => -8i64..8, 1 => Just(i64::MAX), 1 => Just(i64::MIN), 1 => Just(100)]
}

fn zset_op() -> impl Strategy<Value = ZOp> {
    let key = 0..ZSET_KEYS.len();
    let member = 0..MEMBERS.len();
    let pairs = prop::collection::vec((score(), member.clone()), 1..4);
    let limit = prop::option::of((-1i64..4, -1i64..4));
    prop_oneof![
        6 => (key.clone(), flags(), pairs).prop_map(|(k, f, p)| ZOp::Add(k, f, p)),
        2 => (key.clone(), score(), member.clone()).prop_map(|(k, s, m)| ZOp::IncrBy(k, s, m)),
        2 => (key.clone(), prop::collection::vec(member.clone(), 1..3)).prop_map(|(k, m)| ZOp::Rem(k, m)),
        3 => (key.clone(), index(), index(), any::<bool>(), any::<bool>())
            .prop_map(|(key, start, stop, rev, withscores)| ZOp::RangeByRank { key, start, stop, rev, withscores }),
        3 => (key.clone(), bound(), bound(), any::<bool>(), any::<bool>(), limit).prop_map(
            |(key, min, max, rev, withscores, limit)| ZOp::RangeByScore { key, min, max, rev, withscores, limit }
        ),
        2 => (key.clone(), member, any::<bool>()).prop_map(|(k, m, rev)| ZOp::Rank(k, m, rev)),
        1 => (key.clone(), bound(), bound()).prop_map(|(k, min, max)| ZOp::Count(k, min, max)),
        2 => (key, prop::option::of(0..4usize)).prop_map(|(k, c)| ZOp::PopMin(k, c)),
    ]
}

/// A score as it is sent and as Redis prints multiples of 0.5.
fn score_text(score: f64) -> String {
    if score == f64::INFINITY {
        "inf".to_string()
    } else if score == f64::NEG_INFINITY {
        "-inf".to_string()
    } else if score.fract() == 0.0 {
        format!("{}", score as i64)
    } else {
        format!("{score}")
    }
}

fn bound_text((value, exclusive): Bound) -> String {
    format!("{}{}", if exclusive { "(" } else { "" }, score_text(value))
}

/// The model of one sorted set, in rank order.
fn sorted(model: &BTreeMap<Vec<u8>, f64>) -> Vec<(Vec<u8>, f64)> {
    let mut items: Vec<(Vec<u8>, f64)> = model.iter().map(|(m, s)| (m.clone(), *s)).collect();
    items.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then_with(|| a.0.cmp(&b.0)));
    items
}

/// RESP2 reply of members, with their scores when `withscores`.
fn members_reply(items: &[(Vec<u8>, f64)], withscores: bool) -> Vec<u8> {
    let mut out = format!("*{}\r\n", if withscores { items.len() * 2 } else { items.len() }).into_bytes();
    for (member, score) in items {
        out.extend_from_slice(&bulk(member));
        if withscores {
            out.extend_from_slice(&bulk(score_text(*score)));
        }
    }
    out
}

fn above_min(score: f64, (value, exclusive): Bound) -> bool {
    if exclusive {
        score > value
    } else {
        score >= value
    }
}

fn below_max(score: f64, (value, exclusive): Bound) -> bool {
    if exclusive {
        score < value
    } else {
        score <= value
    }
}

/// Redis's ZADD rules applied to the model; returns the expected reply.
fn model_zadd(model: &mut BTreeMap<Vec<u8>, f64>, f: Flags, pairs: &[(f64, &[u8])]) -> Vec<u8> {
    if f.nx && f.xx {
        return b"-ERR XX and NX options at the same time are not compatible\r\n".to_vec();
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return b"-ERR GT, LT, and/or NX options at the same time are not compatible\r\n".to_vec();
    }
    if f.incr && pairs.len() > 1 {
        return b"-ERR INCR option supports a single increment-element pair\r\n".to_vec();
    }
    let (mut added, mut updated, mut result) = (0, 0, None);
    for &(score, member) in pairs {
        match model.get(member).copied() {
            Some(current) => {
                if f.nx {
                    continue;
                }
                let new = if f.incr { current + score } else { score };
                if new.is_nan() {
                    return b"-ERR resulting score is not a number (NaN)\r\n".to_vec();
                }
                if (f.lt && new >= current) || (f.gt && new <= current) {
                    continue;
                }
                result = Some(new);
                if new != current {
                    model.insert(member.to_vec(), new);
                    updated += 1;
                }
            }
            None => {
                if f.xx {
                    continue;
                }
                model.insert(member.to_vec(), score);
                added += 1;
                result = Some(score);
            }
        }
    }
    if f.incr {
        result.map_or(NIL.as_bytes().to_vec(), |s| bulk(score_text(s)))
    } else {
        int(if f.ch { added + updated } else { added }).into_bytes()
    }
}

/// Redis's rank-range arithmetic: the ranks to return, in order.
fn rank_range(len: usize, start: i64, stop: i64, rev: bool) -> Vec<usize> {
    let len = len as i64;
    let start = if start < 0 { len.saturating_add(start) } else { start }.max(0);
    let stop = if stop < 0 { len.saturating_add(stop) } else { stop };
    if start > stop || start >= len {
        return Vec::new();
    }
    let stop = stop.min(len - 1);
    (start..=stop).map(|i| if rev { (len - 1 - i) as usize } else { i as usize }).collect()
}

fn run_zset_op(
    w: &RefCell<Wire>,
    models: &mut [BTreeMap<Vec<u8>, f64>; 2],
    step: usize,
    op: &ZOp,
) -> Result<(), TestCaseError> {
    let key_of = |k: usize| ZSET_KEYS[k].as_bytes().to_vec();
    let (args, want): (Vec<Vec<u8>>, Vec<u8>) = match op {
        ZOp::Add(k, f, pairs) => {
            let mut args = vec![b"ZADD".to_vec(), key_of(*k)];
            for (set, word) in [(f.nx, "NX"), (f.xx, "XX"), (f.gt, "GT"), (f.lt, "LT"), (f.ch, "CH"), (f.incr, "INCR")]
            {
                if set {
                    args.push(word.as_bytes().to_vec());
                }
            }
            for (score, m) in pairs {
                args.push(score_text(*score).into_bytes());
                args.push(MEMBERS[*m].to_vec());
            }
            let pairs: Vec<(f64, &[u8])> = pairs.iter().map(|(s, m)| (*s, MEMBERS[*m])).collect();
            let want = model_zadd(&mut models[*k], *f, &pairs);
            (args, want)
        }
        ZOp::IncrBy(k, score, m) => {
            let args = vec![b"ZINCRBY".to_vec(), key_of(*k), score_text(*score).into_bytes(), MEMBERS[*m].to_vec()];
            let flags = Flags { incr: true, ..Flags::default() };
            let want = model_zadd(&mut models[*k], flags, &[(*score, MEMBERS[*m])]);
            (args, want)
        }
        ZOp::Rem(k, members) => {
            let mut args = vec![b"ZREM".to_vec(), key_of(*k)];
            args.extend(members.iter().map(|&m| MEMBERS[m].to_vec()));
            let removed = members.iter().filter(|&&m| models[*k].remove(MEMBERS[m]).is_some()).count();
            (args, int(removed as i64).into_bytes())
        }
        ZOp::RangeByRank { key, start, stop, rev, withscores } => {
            let mut args =
                vec![b"ZRANGE".to_vec(), key_of(*key), start.to_string().into_bytes(), stop.to_string().into_bytes()];
            if *rev {
                args.push(b"REV".to_vec());
            }
            if *withscores {
                args.push(b"WITHSCORES".to_vec());
            }
            let items = sorted(&models[*key]);
            let picked: Vec<(Vec<u8>, f64)> =
                rank_range(items.len(), *start, *stop, *rev).into_iter().map(|r| items[r].clone()).collect();
            (args, members_reply(&picked, *withscores))
        }
        ZOp::RangeByScore { key, min, max, rev, withscores, limit } => {
            // ZRANGE ... BYSCORE REV takes the bounds as max, min.
            let (first, second) = if *rev { (max, min) } else { (min, max) };
            let mut args = vec![
                b"ZRANGE".to_vec(),
                key_of(*key),
                bound_text(*first).into_bytes(),
                bound_text(*second).into_bytes(),
            ];
            args.push(b"BYSCORE".to_vec());
            if *rev {
                args.push(b"REV".to_vec());
            }
            if *withscores {
                args.push(b"WITHSCORES".to_vec());
            }
            let mut items: Vec<(Vec<u8>, f64)> =
                sorted(&models[*key]).into_iter().filter(|(_, s)| above_min(*s, *min) && below_max(*s, *max)).collect();
            if *rev {
                items.reverse();
            }
            if let Some((offset, count)) = limit {
                args.extend([b"LIMIT".to_vec(), offset.to_string().into_bytes(), count.to_string().into_bytes()]);
                items = if *offset < 0 {
                    Vec::new()
                } else {
                    let rest = items.into_iter().skip(*offset as usize);
                    if *count < 0 {
                        rest.collect()
                    } else {
                        rest.take(*count as usize).collect()
                    }
                };
            }
            (args, members_reply(&items, *withscores))
        }
        ZOp::Rank(k, m, rev) => {
            let name: &[u8] = if *rev { b"ZREVRANK" } else { b"ZRANK" };
            let args = vec![name.to_vec(), key_of(*k), MEMBERS[*m].to_vec()];
            let items = sorted(&models[*k]);
            let want = match items.iter().position(|(member, _)| member == MEMBERS[*m]) {
                Some(rank) => int(if *rev { items.len() - 1 - rank } else { rank } as i64).into_bytes(),
                None => NIL.as_bytes().to_vec(),
            };
            (args, want)
        }
        ZOp::Count(k, min, max) => {
            let args =
                vec![b"ZCOUNT".to_vec(), key_of(*k), bound_text(*min).into_bytes(), bound_text(*max).into_bytes()];
            let count = models[*k].values().filter(|s| above_min(**s, *min) && below_max(**s, *max)).count();
            (args, int(count as i64).into_bytes())
        }
        ZOp::PopMin(k, count) => {
            let mut args = vec![b"ZPOPMIN".to_vec(), key_of(*k)];
            if let Some(count) = count {
                args.push(count.to_string().into_bytes());
            }
            let items = sorted(&models[*k]);
            let popped: Vec<(Vec<u8>, f64)> = items.into_iter().take(count.unwrap_or(1)).collect();
            for (member, _) in &popped {
                models[*k].remove(member);
            }
            let want = if popped.is_empty() { EMPTY.as_bytes().to_vec() } else { members_reply(&popped, true) };
            (args, want)
        }
    };
    expect_reply(step, &args, &call(w, &args), &want)
}

#[test]
fn zsets_match_a_model() {
    let server = Server::start();
    let w = RefCell::new(Wire::open(&server));
    let ops = prop::collection::vec(zset_op(), 1..40);
    runner()
        .run(&ops, |ops| {
            call(&w, &command(&[b"FLUSHALL"]));
            let mut models = [BTreeMap::new(), BTreeMap::new()];
            for (step, op) in ops.iter().enumerate() {
                run_zset_op(&w, &mut models, step, op)?;
            }
            // Finally the whole state, with scores, and no empty set left.
            for (k, key) in ZSET_KEYS.iter().enumerate() {
                let args = command(&[b"ZRANGE", key.as_bytes(), b"0", b"-1", b"WITHSCORES"]);
                let want = members_reply(&sorted(&models[k]), true);
                expect_reply(ops.len(), &args, &call(&w, &args), &want)?;
                let exists = call(&w, &command(&[b"EXISTS", key.as_bytes()]));
                prop_assert_eq!(exists, int(!models[k].is_empty() as i64).into_bytes());
            }
            Ok(())
        })
        .unwrap();
}
