//! The model of the `commands` target: what the keyspace should hold
//! after each command, as plain `BTreeMap`s and `Vec`s, and the check of
//! each reply where the model knows the answer.
//!
//! The model is rebuilt from the keyspace before every step
//! ([`model_of`]), so it only has to follow one command or transaction at
//! a time. It holds live keys only and never an empty collection; sorted
//! sets are kept in rank order. What is random or formatted (the members
//! SPOP picks, the INCRBYFLOAT and HINCRBYFLOAT results) is taken from
//! the replies and checked for plausibility instead.

use std::collections::{BTreeMap, BTreeSet};

use efis::store::{Keyspace, ValueRef};

use super::{bulk, show, Cmd, Resp};

/// A value as the model holds it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Val {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    /// In rank order: by score, then member.
    ZSet(Vec<(Vec<u8>, f64)>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Item {
    pub(super) val: Val,
    pub(super) expire: Option<i64>,
}

/// Every live key: `(db, key)` to its value and expiry.
pub(super) type Model = BTreeMap<(usize, Vec<u8>), Item>;

/// The keys of `store` that are alive at `now`.
pub(super) fn model_of(store: &Keyspace, now: i64) -> Model {
    let mut model = Model::new();
    for db in 0..store.db_count() {
        for entry in store.db_ref(db).iter() {
            if entry.expire().is_some_and(|at| at <= now) {
                continue;
            }
            let val = match entry.value() {
                ValueRef::Str(s) => Val::Str(s.to_vec()),
                ValueRef::List(list) => Val::List(list.iter().map(<[u8]>::to_vec).collect()),
                ValueRef::Set(set) => Val::Set(set.iter().map(|m| m.into_owned()).collect()),
                ValueRef::ZSet(zset) => Val::ZSet(zset.iter_sorted().map(|(m, s)| (m.to_vec(), s)).collect()),
                ValueRef::Hash(hash) => Val::Hash(hash.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()),
                ValueRef::Stream(_) => unreachable!("the generator makes no streams"),
            };
            model.insert((db, entry.key().to_vec()), Item { val, expire: entry.expire() });
        }
    }
    model
}

pub(super) fn compare(store: &Keyspace, model: &Model, now: i64, cmd: &Cmd) {
    let actual = model_of(store, now);
    assert!(
        actual == *model,
        "after {}: the data differs from the model\n expected {model:?}\n actual   {actual:?}",
        show(cmd)
    );
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("the generator writes ASCII")
}

fn number(bytes: &[u8]) -> i64 {
    text(bytes).parse().expect("the generator writes integers")
}

/// An integer as Redis reads one (`string2ll`): no sign but `-`, no
/// leading zeros, no `-0`.
fn strict_int(bytes: &[u8]) -> Option<i64> {
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let leading_zero = digits.first() == Some(&b'0') && (digits.len() > 1 || digits.len() < bytes.len());
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || leading_zero {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// A float as Redis reads one: no NaN.
pub(super) fn float(bytes: &[u8]) -> Option<f64> {
    std::str::from_utf8(bytes).ok()?.parse::<f64>().ok().filter(|f| !f.is_nan())
}

/// `-0` is stored as `0`.
fn normalize(score: f64) -> f64 {
    if score == 0.0 {
        0.0
    } else {
        score
    }
}

fn sort_zset(members: &mut [(Vec<u8>, f64)]) {
    members.sort_by(|a, b| a.1.partial_cmp(&b.1).expect("no NaN").then_with(|| a.0.cmp(&b.0)));
}

fn expect(ok: bool, cmd: &Cmd, reply: &Resp, what: &str) {
    assert!(ok, "{}: expected {what}, got {reply:?}", show(cmd));
}

fn expect_error(cmd: &Cmd, reply: &Resp, prefix: &str) {
    let ok = matches!(reply, Resp::Error(text) if text.starts_with(prefix.as_bytes()));
    expect(ok, cmd, reply, &format!("an error {prefix}..."));
}

fn expect_ok(cmd: &Cmd, reply: &Resp) {
    expect(*reply == Resp::Simple(b"OK".to_vec()), cmd, reply, "OK");
}

/// A float answered for an increment of `expected`, close enough (Redis
/// adds in long double, efis in decimal).
fn expect_float_near(cmd: &Cmd, reply: &Resp, expected: f64) -> Vec<u8> {
    let Resp::Bulk(Some(answer)) = reply else { panic!("{}: expected a float, got {reply:?}", show(cmd)) };
    let value = float(answer).unwrap_or_else(|| panic!("{}: answered {reply:?}, not a float", show(cmd)));
    assert!(
        value == expected || (value - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{}: answered {value}, expected about {expected}",
        show(cmd)
    );
    answer.clone()
}

/// True (and the reply checked to be WRONGTYPE) when `key` holds a value
/// that `fits` refuses.
fn wrong_type(model: &Model, key: &(usize, Vec<u8>), fits: fn(&Val) -> bool, cmd: &Cmd, reply: &Resp) -> bool {
    match model.get(key) {
        Some(item) if !fits(&item.val) => {
            expect_error(cmd, reply, "WRONGTYPE");
            true
        }
        _ => false,
    }
}

fn is_str(v: &Val) -> bool {
    matches!(v, Val::Str(_))
}
fn is_list(v: &Val) -> bool {
    matches!(v, Val::List(_))
}
fn is_set(v: &Val) -> bool {
    matches!(v, Val::Set(_))
}
fn is_zset(v: &Val) -> bool {
    matches!(v, Val::ZSet(_))
}
fn is_hash(v: &Val) -> bool {
    matches!(v, Val::Hash(_))
}

/// The Redis range rule of LTRIM and ZREMRANGEBYRANK: the inclusive
/// ranks kept or removed, `None` when the range is empty.
fn rank_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (start + len).max(0) } else { start };
    let end = if end < 0 { end + len } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// Applies `cmd`, answered `reply`, to the model; checks the reply where
/// the model knows it.
pub(super) fn apply(model: &mut Model, db: usize, now: i64, cmd: &Cmd, reply: &Resp) {
    let name = text(&cmd[0]);
    let key = |i: usize| (db, cmd[i].clone());
    match name {
        "SET" => {
            model.insert(key(1), Item { val: Val::Str(cmd[2].clone()), expire: None });
            expect_ok(cmd, reply);
        }
        "GET" => match model.get(&key(1)) {
            None => expect(*reply == Resp::Bulk(None), cmd, reply, "nil"),
            Some(Item { val: Val::Str(v), .. }) => expect(*reply == bulk(v), cmd, reply, "the value"),
            Some(_) => expect_error(cmd, reply, "WRONGTYPE"),
        },
        "DEL" => {
            let removed = cmd[1..].iter().filter(|k| model.remove(&(db, k.to_vec())).is_some()).count();
            expect(*reply == Resp::Int(removed as i64), cmd, reply, &format!(":{removed}"));
        }
        "INCR" => {
            if wrong_type(model, &key(1), is_str, cmd, reply) {
                return;
            }
            let current = match model.get(&key(1)) {
                Some(Item { val: Val::Str(v), .. }) => strict_int(v),
                _ => Some(0),
            };
            match current.and_then(|n| n.checked_add(1)) {
                None => expect_error(cmd, reply, "ERR"),
                Some(n) => {
                    expect(*reply == Resp::Int(n), cmd, reply, &format!(":{n}"));
                    set_string(model, key(1), n.to_string().into_bytes());
                }
            }
        }
        "INCRBYFLOAT" => {
            if wrong_type(model, &key(1), is_str, cmd, reply) {
                return;
            }
            let current = match model.get(&key(1)) {
                Some(Item { val: Val::Str(v), .. }) => float(v),
                _ => Some(0.0),
            };
            match sum(current, float(&cmd[2])) {
                None => expect_error(cmd, reply, "ERR"),
                Some(sum) => {
                    let answer = expect_float_near(cmd, reply, sum);
                    set_string(model, key(1), answer);
                }
            }
        }
        "APPEND" => {
            if wrong_type(model, &key(1), is_str, cmd, reply) {
                return;
            }
            let item = model.entry(key(1)).or_insert(Item { val: Val::Str(Vec::new()), expire: None });
            let Val::Str(value) = &mut item.val else { unreachable!() };
            value.extend_from_slice(&cmd[2]);
            let len = value.len() as i64;
            expect(*reply == Resp::Int(len), cmd, reply, &format!(":{len}"));
        }
        "EXPIRE" | "PEXPIREAT" => {
            let at = if name == "EXPIRE" { now + number(&cmd[2]) * 1000 } else { number(&cmd[2]) };
            let Some(item) = model.get_mut(&key(1)) else {
                expect(*reply == Resp::Int(0), cmd, reply, ":0");
                return;
            };
            if at <= now {
                model.remove(&key(1));
            } else {
                item.expire = Some(at);
            }
            expect(*reply == Resp::Int(1), cmd, reply, ":1");
        }
        "PERSIST" => {
            let had = model.get_mut(&key(1)).and_then(|item| item.expire.take()).is_some();
            expect(*reply == Resp::Int(i64::from(had)), cmd, reply, &format!(":{}", i64::from(had)));
        }
        "LPUSH" | "RPUSH" => {
            if wrong_type(model, &key(1), is_list, cmd, reply) {
                return;
            }
            let item = model.entry(key(1)).or_insert(Item { val: Val::List(Vec::new()), expire: None });
            let Val::List(list) = &mut item.val else { unreachable!() };
            for element in &cmd[2..] {
                if name == "LPUSH" {
                    list.insert(0, element.clone());
                } else {
                    list.push(element.clone());
                }
            }
            let len = list.len() as i64;
            expect(*reply == Resp::Int(len), cmd, reply, &format!(":{len}"));
        }
        "LPOP" | "RPOP" => {
            if wrong_type(model, &key(1), is_list, cmd, reply) {
                return;
            }
            let Some(Item { val: Val::List(list), .. }) = model.get_mut(&key(1)) else {
                expect(matches!(reply, Resp::Bulk(None) | Resp::Array(None)), cmd, reply, "nil");
                return;
            };
            let count = cmd.get(2).map_or(1, |c| number(c) as usize).min(list.len());
            let popped: Vec<Vec<u8>> = if name == "LPOP" {
                list.drain(..count).collect()
            } else {
                list.drain(list.len() - count..).rev().collect()
            };
            let expected = if cmd.len() == 2 {
                bulk(&popped[0])
            } else {
                Resp::Array(Some(popped.iter().map(|p| bulk(p)).collect()))
            };
            expect(*reply == expected, cmd, reply, &format!("{expected:?}"));
        }
        "LREM" => {
            if wrong_type(model, &key(1), is_list, cmd, reply) {
                return;
            }
            let Some(Item { val: Val::List(list), .. }) = model.get_mut(&key(1)) else {
                expect(*reply == Resp::Int(0), cmd, reply, ":0");
                return;
            };
            let count = number(&cmd[2]);
            let limit = if count == 0 { usize::MAX } else { count.unsigned_abs() as usize };
            let mut removed = 0;
            let mut kept: Vec<Vec<u8>> = Vec::new();
            let mut visit = |element: &Vec<u8>| {
                if removed < limit && *element == cmd[3] {
                    removed += 1;
                } else {
                    kept.push(element.clone());
                }
            };
            if count < 0 {
                list.iter().rev().for_each(&mut visit);
                kept.reverse();
            } else {
                list.iter().for_each(&mut visit);
            }
            *list = kept;
            expect(*reply == Resp::Int(removed as i64), cmd, reply, &format!(":{removed}"));
        }
        "LTRIM" => {
            if wrong_type(model, &key(1), is_list, cmd, reply) {
                return;
            }
            if let Some(Item { val: Val::List(list), .. }) = model.get_mut(&key(1)) {
                match rank_range(number(&cmd[2]), number(&cmd[3]), list.len()) {
                    None => list.clear(),
                    Some((start, end)) => {
                        list.truncate(end + 1);
                        list.drain(..start);
                    }
                }
            }
            expect_ok(cmd, reply);
        }
        "LSET" => {
            if wrong_type(model, &key(1), is_list, cmd, reply) {
                return;
            }
            let Some(Item { val: Val::List(list), .. }) = model.get_mut(&key(1)) else {
                expect_error(cmd, reply, "ERR");
                return;
            };
            let index = number(&cmd[2]);
            let index = if index < 0 { index + list.len() as i64 } else { index };
            match usize::try_from(index).ok().filter(|&i| i < list.len()) {
                None => expect_error(cmd, reply, "ERR"),
                Some(i) => {
                    list[i] = cmd[3].clone();
                    expect_ok(cmd, reply);
                }
            }
        }
        "SADD" | "SREM" => {
            if wrong_type(model, &key(1), is_set, cmd, reply) {
                return;
            }
            let mut changed = 0;
            if name == "SADD" {
                let item = model.entry(key(1)).or_insert(Item { val: Val::Set(BTreeSet::new()), expire: None });
                let Val::Set(set) = &mut item.val else { unreachable!() };
                changed = cmd[2..].iter().filter(|m| set.insert(m.to_vec())).count();
            } else if let Some(Item { val: Val::Set(set), .. }) = model.get_mut(&key(1)) {
                changed = cmd[2..].iter().filter(|m| set.remove(*m)).count();
            }
            expect(*reply == Resp::Int(changed as i64), cmd, reply, &format!(":{changed}"));
        }
        "SPOP" => {
            if wrong_type(model, &key(1), is_set, cmd, reply) {
                return;
            }
            let Some(Item { val: Val::Set(set), .. }) = model.get_mut(&key(1)) else {
                let empty =
                    matches!(reply, Resp::Bulk(None) | Resp::Array(None)) || *reply == Resp::Array(Some(Vec::new()));
                expect(empty, cmd, reply, "nothing");
                return;
            };
            let popped: Vec<Vec<u8>> = match reply {
                Resp::Bulk(Some(member)) if cmd.len() == 2 => vec![member.clone()],
                Resp::Array(Some(items)) if cmd.len() == 3 => items
                    .iter()
                    .map(|item| match item {
                        Resp::Bulk(Some(member)) => member.clone(),
                        other => panic!("{}: answered {other:?} in an array", show(cmd)),
                    })
                    .collect(),
                other => panic!("{}: answered {other:?}", show(cmd)),
            };
            let count = cmd.get(2).map_or(1, |c| number(c) as usize).min(set.len());
            expect(popped.len() == count, cmd, reply, &format!("{count} members"));
            for member in &popped {
                expect(set.remove(member), cmd, reply, "distinct members of the set");
            }
        }
        "SMOVE" => {
            let (source, destination, member) = (key(1), key(2), &cmd[3]);
            let Some(item) = model.get(&source) else {
                expect(*reply == Resp::Int(0), cmd, reply, ":0");
                return;
            };
            if !is_set(&item.val) || model.get(&destination).is_some_and(|d| !is_set(&d.val)) {
                expect_error(cmd, reply, "WRONGTYPE");
                return;
            }
            let Some(Item { val: Val::Set(set), .. }) = model.get_mut(&source) else { unreachable!() };
            let moved = if source == destination { set.contains(member) } else { set.remove(member) };
            if moved && source != destination {
                let item = model.entry(destination).or_insert(Item { val: Val::Set(BTreeSet::new()), expire: None });
                let Val::Set(set) = &mut item.val else { unreachable!() };
                set.insert(member.clone());
            }
            expect(*reply == Resp::Int(i64::from(moved)), cmd, reply, &format!(":{}", i64::from(moved)));
        }
        "ZADD" | "ZINCRBY" => {
            let pairs: Vec<(Option<f64>, &Vec<u8>)> = cmd[2..].chunks(2).map(|p| (float(&p[0]), &p[1])).collect();
            if pairs.iter().any(|(score, _)| score.is_none()) {
                expect_error(cmd, reply, "ERR");
                return;
            }
            if wrong_type(model, &key(1), is_zset, cmd, reply) {
                return;
            }
            let item = model.entry(key(1)).or_insert(Item { val: Val::ZSet(Vec::new()), expire: None });
            let Val::ZSet(members) = &mut item.val else { unreachable!() };
            let mut added = 0;
            for (score, member) in pairs {
                let mut score = score.expect("checked");
                let old = members.iter().position(|(m, _)| m == member);
                if name == "ZINCRBY" {
                    score += old.map_or(0.0, |i| members[i].1);
                    if score.is_nan() {
                        expect_error(cmd, reply, "ERR");
                        return;
                    }
                    let answer = expect_float_near(cmd, reply, score);
                    expect(float(&answer) == Some(score), cmd, reply, &format!("exactly {score}"));
                }
                match old {
                    Some(i) => members[i].1 = normalize(score),
                    None => {
                        members.push((member.clone(), normalize(score)));
                        added += 1;
                    }
                }
            }
            sort_zset(members);
            if name == "ZADD" {
                expect(*reply == Resp::Int(added), cmd, reply, &format!(":{added}"));
            }
        }
        "ZREM" => {
            if wrong_type(model, &key(1), is_zset, cmd, reply) {
                return;
            }
            let mut removed = 0;
            if let Some(Item { val: Val::ZSet(members), .. }) = model.get_mut(&key(1)) {
                for member in &cmd[2..] {
                    if let Some(i) = members.iter().position(|(m, _)| m == member) {
                        members.remove(i);
                        removed += 1;
                    }
                }
            }
            expect(*reply == Resp::Int(removed), cmd, reply, &format!(":{removed}"));
        }
        "ZPOPMIN" => {
            if wrong_type(model, &key(1), is_zset, cmd, reply) {
                return;
            }
            let mut expected = Vec::new();
            if let Some(Item { val: Val::ZSet(members), .. }) = model.get_mut(&key(1)) {
                let count = cmd.get(2).map_or(1, |c| number(c) as usize).min(members.len());
                for (member, score) in members.drain(..count) {
                    let mut buf = [0u8; 64];
                    let len = efis::protocol::format_double(score, &mut buf);
                    expected.push(bulk(&member));
                    expected.push(bulk(&buf[..len]));
                }
            }
            let expected = Resp::Array(Some(expected));
            expect(*reply == expected, cmd, reply, &format!("{expected:?}"));
        }
        "ZREMRANGEBYRANK" => {
            if wrong_type(model, &key(1), is_zset, cmd, reply) {
                return;
            }
            let mut removed = 0;
            if let Some(Item { val: Val::ZSet(members), .. }) = model.get_mut(&key(1)) {
                if let Some((start, end)) = rank_range(number(&cmd[2]), number(&cmd[3]), members.len()) {
                    members.drain(start..=end);
                    removed = end + 1 - start;
                }
            }
            expect(*reply == Resp::Int(removed as i64), cmd, reply, &format!(":{removed}"));
        }
        "HSET" | "HDEL" => {
            if wrong_type(model, &key(1), is_hash, cmd, reply) {
                return;
            }
            let mut changed = 0;
            if name == "HSET" {
                let item = model.entry(key(1)).or_insert(Item { val: Val::Hash(BTreeMap::new()), expire: None });
                let Val::Hash(hash) = &mut item.val else { unreachable!() };
                for pair in cmd[2..].chunks(2) {
                    if hash.insert(pair[0].clone(), pair[1].clone()).is_none() {
                        changed += 1;
                    }
                }
            } else if let Some(Item { val: Val::Hash(hash), .. }) = model.get_mut(&key(1)) {
                changed = cmd[2..].iter().filter(|f| hash.remove(*f).is_some()).count();
            }
            expect(*reply == Resp::Int(changed as i64), cmd, reply, &format!(":{changed}"));
        }
        "HINCRBYFLOAT" => {
            // Redis refuses an infinite increment before it looks at the key.
            if float(&cmd[3]).is_none_or(f64::is_infinite) {
                expect_error(cmd, reply, "ERR");
                return;
            }
            if wrong_type(model, &key(1), is_hash, cmd, reply) {
                return;
            }
            let current = match model.get(&key(1)) {
                Some(Item { val: Val::Hash(hash), .. }) => hash.get(&cmd[2]).map_or(Some(0.0), |v| float(v)),
                _ => Some(0.0),
            };
            match sum(current, float(&cmd[3])) {
                None => expect_error(cmd, reply, "ERR"),
                Some(sum) => {
                    let answer = expect_float_near(cmd, reply, sum);
                    let item = model.entry(key(1)).or_insert(Item { val: Val::Hash(BTreeMap::new()), expire: None });
                    let Val::Hash(hash) = &mut item.val else { unreachable!() };
                    hash.insert(cmd[2].clone(), answer);
                }
            }
        }
        "RENAME" => {
            let Some(item) = model.remove(&key(1)) else {
                expect_error(cmd, reply, "ERR");
                return;
            };
            model.insert(key(2), item);
            expect_ok(cmd, reply);
        }
        "FLUSHDB" => {
            model.retain(|(d, _), _| *d != db);
            expect_ok(cmd, reply);
        }
        "SWAPDB" => {
            *model = std::mem::take(model).into_iter().map(|((d, k), item)| ((1 - d, k), item)).collect();
            expect_ok(cmd, reply);
        }
        "EXEC" => expect_error(cmd, reply, "ERR"),
        other => unreachable!("the generator does not write {other}"),
    }
    model.retain(|_, item| match &item.val {
        Val::Str(_) => true,
        Val::List(list) => !list.is_empty(),
        Val::Set(set) => !set.is_empty(),
        Val::ZSet(members) => !members.is_empty(),
        Val::Hash(hash) => !hash.is_empty(),
    });
}

/// A string value that keeps the key's expiry (INCR, INCRBYFLOAT).
fn set_string(model: &mut Model, key: (usize, Vec<u8>), value: Vec<u8>) {
    let item = model.entry(key).or_insert(Item { val: Val::Str(Vec::new()), expire: None });
    item.val = Val::Str(value);
}

/// The sum an INCRBYFLOAT makes: `None` when either side is not a
/// number or the sum is not finite (an error).
fn sum(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    let sum = a? + b?;
    sum.is_finite().then_some(sum)
}
