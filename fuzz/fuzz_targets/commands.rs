//! Arbitrary bytes decoded into a sequence of commands over three keys,
//! four members and two databases (strings, lists, sets, sorted sets,
//! hashes, expiry, RENAME, FLUSHDB, SWAPDB, MULTI/EXEC), run in-process
//! through the real dispatch (`cmd::replay::Replay`) with a clock that
//! advances a little at every command.
//!
//! After every command (or whole transaction) the keyspace is checked:
//! * it holds what a small model of the commands predicts (the model
//!   starts each step from the keyspace as it was, and takes what is
//!   random or formatted, SPOP and the INCRBYFLOATs, from the replies);
//! * no collection is empty; sorted sets are in (score, member) order
//!   and their ranks agree (`ZSet::rank`, `ZSet::at_rank`);
//! * the commands a client would use agree with it: TYPE, EXISTS, PTTL,
//!   the lengths, LRANGE, SMEMBERS, HGETALL, ZRANGE WITHSCORES, ZRANK.
//!
//! Every few steps and at the end, the keyspace is written with
//! `persist::snapshot::write_to` and loaded into a fresh one: every
//! command of the snapshot must be accepted and the data must be equal.
//! The structure and round-trip checks are those of
//! `efis::selfcheck`, shared with the persistence targets; the model
//! lives in `commands/model.rs`.
//!
//! Input format: per command an opcode byte, a byte whose bit 0 picks
//! the database and bits 1-3 advance the clock by 150 ms steps, then one
//! byte per argument choice. Decoding stops when the bytes run out.
//!
//! `tests/it/fuzz_corpus.rs` includes this file to replay the corpus
//! under `cargo test`, hence `check` is public and the entry point is
//! left out of test builds.
#![cfg_attr(not(test), no_main)]

#[path = "commands/model.rs"]
mod model;

use efis::cmd::replay::Replay;
use efis::config::Config;
use efis::protocol::Args;
use efis::selfcheck::{check_snapshot_round_trip, check_structure};
use efis::state::ServerState;
use efis::store::Keyspace;
use model::{apply, compare, float, model_of, Val};

#[cfg(not(test))]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    check(data);
});

const DATABASES: usize = 2;
const START_MS: i64 = 1_700_000_000_000;
const MAX_COMMANDS: usize = 256;
/// A round trip through a snapshot every this many steps (and at the end).
const SNAPSHOT_EVERY: usize = 8;

const KEYS: [&[u8]; 3] = [b"k0", b"k1", b"k2"];
const MEMBERS: [&[u8]; 4] = [b"a", b"b", b"c", b"d"];
const VALUES: [&[u8]; 8] = [b"1", b"-2", b"10", b"3.5", b"abc", b"", b"9223372036854775807", b"a"];
const INCREMENTS: [&[u8]; 8] = [b"1", b"-1.5", b"0.1", b"2.25", b"-0", b"inf", b"1e20", b"-3"];
const SCORES: [&[u8]; 8] = [b"0", b"-0", b"1", b"2.5", b"-3", b"inf", b"-inf", b"x"];
const SECONDS: [&[u8]; 5] = [b"1", b"2", b"0", b"-1", b"30"];
const DELTAS_MS: [i64; 6] = [-1, 0, 1, 150, 700, 3000];
const INDEXES: [&[u8]; 7] = [b"-3", b"-2", b"-1", b"0", b"1", b"2", b"3"];
const LREM_COUNTS: [&[u8]; 5] = [b"-2", b"-1", b"0", b"1", b"2"];
const POP_COUNTS: [&[u8]; 3] = [b"1", b"2", b"3"];

type Cmd = Vec<Vec<u8>>;

/// One step: a command, or a whole transaction.
enum Step {
    One {
        db: usize,
        now: i64,
        cmd: Cmd,
    },
    /// `MULTI` at `start`, the commands queued at their times, `EXEC` at
    /// `exec` (`None`: the input ended first, the transaction is dropped).
    Txn {
        db: usize,
        start: i64,
        queued: Vec<(i64, Cmd)>,
        exec: Option<i64>,
    },
}

/// The whole property for one input; panics on a violation.
pub fn check(data: &[u8]) {
    let steps = decode(data);
    let config = Config { backup_path: "/nonexistent/efis-fuzz".into(), databases: DATABASES, ..Config::default() };
    let mut store = Keyspace::new(DATABASES);
    let mut state = ServerState::new(config, START_MS);
    let mut now = START_MS;
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::One { db, now: at, cmd } => {
                now = *at;
                let mut model = model_of(&store, now);
                let reply = {
                    let mut replay = Replay::new(&mut store, &mut state);
                    let reply = run(&mut replay, now, *db, cmd);
                    replay.finish();
                    reply
                };
                apply(&mut model, *db, now, cmd, &reply);
                compare(&store, &model, now, cmd);
            }
            Step::Txn { db, start, queued, exec } => {
                // Queueing changes nothing: the model starts from the data
                // as it is, minus what expired by the time of EXEC (or of
                // the end, when the transaction is dropped).
                let end = exec.or(queued.last().map(|q| q.0)).unwrap_or(*start);
                let mut model = model_of(&store, end);
                let reply = {
                    let mut replay = Replay::new(&mut store, &mut state);
                    let ok = run(&mut replay, *start, *db, &to_cmd(&[b"MULTI"]));
                    assert_eq!(ok, Resp::Simple(b"OK".to_vec()));
                    for (at, cmd) in queued {
                        let reply = run(&mut replay, *at, *db, cmd);
                        assert_eq!(reply, Resp::Simple(b"QUEUED".to_vec()), "queueing {}", show(cmd));
                    }
                    let reply = exec.map(|at| run(&mut replay, at, *db, &to_cmd(&[b"EXEC"])));
                    replay.finish();
                    reply
                };
                now = end;
                if let Some(reply) = reply {
                    let Resp::Array(Some(replies)) = reply else { panic!("EXEC answered {reply:?}") };
                    assert_eq!(replies.len(), queued.len(), "EXEC answered {replies:?}");
                    for ((_, cmd), reply) in queued.iter().zip(&replies) {
                        apply(&mut model, *db, now, cmd, reply);
                    }
                }
                compare(&store, &model, now, &to_cmd(&[b"EXEC"]));
            }
        }
        check_structure(&store);
        check_through_commands(&mut store, &mut state, now);
        if i % SNAPSHOT_EVERY == SNAPSHOT_EVERY - 1 {
            check_round_trip(&store, now);
        }
    }
    check_round_trip(&store, now);
}

// ---------------------------------------------------------------------
// Decoding the input

struct Input<'a> {
    data: &'a [u8],
    at: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let byte = *self.data.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> Option<T> {
        Some(from[usize::from(self.byte()?) % from.len()])
    }

    /// One to three picks.
    fn some<T: Copy>(&mut self, from: &[T]) -> Option<Vec<T>> {
        let n = 1 + usize::from(self.byte()?) % 3;
        (0..n).map(|_| self.pick(from)).collect()
    }

    /// One to `most` pairs of picks, flattened: score and member, field
    /// and value.
    fn pairs<T: Copy>(&mut self, most: usize, first: &[T], second: &[T]) -> Option<Vec<T>> {
        let n = 1 + usize::from(self.byte()?) % most;
        let mut pairs = Vec::with_capacity(2 * n);
        for _ in 0..n {
            pairs.push(self.pick(first)?);
            pairs.push(self.pick(second)?);
        }
        Some(pairs)
    }

    /// A pick half the time, nothing otherwise.
    fn maybe<T: Copy>(&mut self, from: &[T]) -> Option<Option<T>> {
        let byte = self.byte()?;
        Some((byte & 1 == 1).then(|| from[usize::from(byte >> 1) % from.len()]))
    }
}

fn to_cmd(parts: &[&[u8]]) -> Cmd {
    parts.iter().map(|p| p.to_vec()).collect()
}

fn with(head: &[&[u8]], rest: impl IntoIterator<Item = &'static [u8]>) -> Cmd {
    let mut cmd = to_cmd(head);
    cmd.extend(rest.into_iter().map(<[u8]>::to_vec));
    cmd
}

/// `(db, start, queued)` of a transaction being decoded.
type OpenTxn = (usize, i64, Vec<(i64, Cmd)>);

fn decode(data: &[u8]) -> Vec<Step> {
    let mut input = Input { data, at: 0 };
    let mut steps = Vec::new();
    let mut now = START_MS;
    let mut txn: Option<OpenTxn> = None;
    for _ in 0..MAX_COMMANDS {
        let Some((op, flags)) = input.byte().zip(input.byte()) else { break };
        now += i64::from(flags >> 1 & 7) * 150;
        let db = usize::from(flags & 1);
        let Some(cmd) = command(op, now, &mut input) else { break };
        let control = cmd[0] == b"MULTI" || cmd[0] == b"EXEC";
        match txn.take() {
            None if cmd[0] == b"MULTI" => txn = Some((db, now, Vec::new())),
            None => steps.push(Step::One { db, now, cmd }),
            Some((db, start, queued)) if control => steps.push(Step::Txn { db, start, queued, exec: Some(now) }),
            Some((db, start, mut queued)) => {
                queued.push((now, cmd));
                txn = Some((db, start, queued));
            }
        }
    }
    if let Some((db, start, queued)) = txn {
        steps.push(Step::Txn { db, start, queued, exec: None });
    }
    steps
}

fn command(op: u8, now: i64, input: &mut Input<'_>) -> Option<Cmd> {
    let key = |input: &mut Input<'_>| input.pick(&KEYS);
    Some(match op % 33 {
        0 => to_cmd(&[b"SET", key(input)?, input.pick(&VALUES)?]),
        1 => to_cmd(&[b"GET", key(input)?]),
        2 => with(&[b"DEL"], input.some(&KEYS)?),
        3 => to_cmd(&[b"INCR", key(input)?]),
        4 => to_cmd(&[b"INCRBYFLOAT", key(input)?, input.pick(&INCREMENTS)?]),
        5 => to_cmd(&[b"APPEND", key(input)?, input.pick(&VALUES)?]),
        6 => to_cmd(&[b"EXPIRE", key(input)?, input.pick(&SECONDS)?]),
        7 => {
            let key = key(input)?;
            let at = (now + input.pick(&DELTAS_MS)?).to_string();
            to_cmd(&[b"PEXPIREAT", key, at.as_bytes()])
        }
        8 => to_cmd(&[b"PERSIST", key(input)?]),
        9 => with(&[b"LPUSH", key(input)?], input.some(&MEMBERS)?),
        10 => with(&[b"RPUSH", key(input)?], input.some(&MEMBERS)?),
        11 | 12 => {
            let name: &[u8] = if op % 33 == 11 { b"LPOP" } else { b"RPOP" };
            with(&[name, key(input)?], input.maybe(&POP_COUNTS)?)
        }
        13 => to_cmd(&[b"LREM", key(input)?, input.pick(&LREM_COUNTS)?, input.pick(&MEMBERS)?]),
        14 => to_cmd(&[b"LTRIM", key(input)?, input.pick(&INDEXES)?, input.pick(&INDEXES)?]),
        15 => to_cmd(&[b"LSET", key(input)?, input.pick(&INDEXES)?, input.pick(&MEMBERS)?]),
        16 => with(&[b"SADD", key(input)?], input.some(&MEMBERS)?),
        17 => with(&[b"SREM", key(input)?], input.some(&MEMBERS)?),
        18 => with(&[b"SPOP", key(input)?], input.maybe(&POP_COUNTS)?),
        19 => to_cmd(&[b"SMOVE", key(input)?, key(input)?, input.pick(&MEMBERS)?]),
        20 => with(&[b"ZADD", key(input)?], input.pairs(3, &SCORES, &MEMBERS)?),
        21 => with(&[b"ZREM", key(input)?], input.some(&MEMBERS)?),
        22 => to_cmd(&[b"ZINCRBY", key(input)?, input.pick(&SCORES)?, input.pick(&MEMBERS)?]),
        23 => with(&[b"ZPOPMIN", key(input)?], input.maybe(&POP_COUNTS)?),
        24 => to_cmd(&[b"ZREMRANGEBYRANK", key(input)?, input.pick(&INDEXES)?, input.pick(&INDEXES)?]),
        25 => with(&[b"HSET", key(input)?], input.pairs(2, &MEMBERS, &VALUES)?),
        26 => with(&[b"HDEL", key(input)?], input.some(&MEMBERS)?),
        27 => to_cmd(&[b"HINCRBYFLOAT", key(input)?, input.pick(&MEMBERS)?, input.pick(&INCREMENTS)?]),
        28 => to_cmd(&[b"RENAME", key(input)?, key(input)?]),
        29 => to_cmd(&[b"FLUSHDB"]),
        30 => to_cmd(&[b"SWAPDB", b"0", b"1"]),
        31 => to_cmd(&[b"MULTI"]),
        _ => to_cmd(&[b"EXEC"]),
    })
}

fn show(cmd: &Cmd) -> String {
    cmd.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------
// Running commands and reading their replies

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq)]
enum Resp {
    Simple(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Resp>>),
}

fn bulk(bytes: &[u8]) -> Resp {
    Resp::Bulk(Some(bytes.to_vec()))
}

fn parse(buf: &[u8]) -> Option<(Resp, &[u8])> {
    let end = buf.windows(2).position(|w| w == b"\r\n")?;
    if end == 0 {
        return None;
    }
    let (line, rest) = (&buf[1..end], &buf[end + 2..]);
    let number = || std::str::from_utf8(line).ok()?.parse::<i64>().ok();
    match buf[0] {
        b'+' => Some((Resp::Simple(line.to_vec()), rest)),
        b'-' => Some((Resp::Error(line.to_vec()), rest)),
        b':' => Some((Resp::Int(number()?), rest)),
        b'$' => {
            let Ok(n) = usize::try_from(number()?) else { return Some((Resp::Bulk(None), rest)) };
            if rest.len() < n + 2 || &rest[n..n + 2] != b"\r\n" {
                return None;
            }
            Some((bulk(&rest[..n]), &rest[n + 2..]))
        }
        b'*' => {
            let Ok(n) = usize::try_from(number()?) else { return Some((Resp::Array(None), rest)) };
            let mut items = Vec::new();
            let mut rest = rest;
            for _ in 0..n {
                let (item, after) = parse(rest)?;
                items.push(item);
                rest = after;
            }
            Some((Resp::Array(Some(items)), rest))
        }
        _ => None,
    }
}

fn run(replay: &mut Replay<'_>, now: i64, db: usize, cmd: &Cmd) -> Resp {
    let mut base = Vec::new();
    let mut spans = Vec::new();
    for arg in cmd {
        let start = base.len();
        base.extend_from_slice(arg);
        spans.push((start, base.len()));
    }
    replay.run_into(now, db, Args::new(&base, &spans));
    let raw = replay.reply();
    let Some((reply, rest)) = parse(raw) else {
        panic!("{} answered {:?}", show(cmd), raw.escape_ascii().to_string());
    };
    assert!(rest.is_empty(), "{} answered more than one reply: {:?}", show(cmd), raw.escape_ascii().to_string());
    if let Resp::Error(text) = &reply {
        assert!(!text.starts_with(b"ERR internal error"), "{} panicked", show(cmd));
    }
    reply
}

// ---------------------------------------------------------------------
// Checks of the keyspace

/// What a client sees agrees with the data: TYPE, EXISTS, PTTL, the
/// lengths and the contents of every key the generator uses.
fn check_through_commands(store: &mut Keyspace, state: &mut ServerState, now: i64) {
    let model = model_of(store, now);
    let mut replay = Replay::new(store, state);
    let mut ask = |db: usize, parts: &[&[u8]]| run(&mut replay, now, db, &to_cmd(parts));
    for db in 0..DATABASES {
        for key in KEYS {
            let item = model.get(&(db, key.to_vec()));
            let kind = item.map_or("none", |i| match i.val {
                Val::Str(_) => "string",
                Val::List(_) => "list",
                Val::Set(_) => "set",
                Val::ZSet(_) => "zset",
                Val::Hash(_) => "hash",
            });
            assert_eq!(ask(db, &[b"TYPE", key]), Resp::Simple(kind.as_bytes().to_vec()), "TYPE");
            assert_eq!(ask(db, &[b"EXISTS", key]), Resp::Int(i64::from(item.is_some())), "EXISTS");
            let pttl = item.map_or(-2, |i| i.expire.map_or(-1, |at| at - now));
            assert_eq!(ask(db, &[b"PTTL", key]), Resp::Int(pttl), "PTTL");
            let Some(item) = item else { continue };
            let context = format!("db {db} key {}", key.escape_ascii());
            match &item.val {
                Val::Str(value) => {
                    assert_eq!(ask(db, &[b"STRLEN", key]), Resp::Int(value.len() as i64), "{context}: STRLEN");
                    assert_eq!(ask(db, &[b"GET", key]), bulk(value), "{context}: GET");
                }
                Val::List(list) => {
                    assert_eq!(ask(db, &[b"LLEN", key]), Resp::Int(list.len() as i64), "{context}: LLEN");
                    let all = Resp::Array(Some(list.iter().map(|e| bulk(e)).collect()));
                    assert_eq!(ask(db, &[b"LRANGE", key, b"0", b"-1"]), all, "{context}: LRANGE");
                }
                Val::Set(set) => {
                    assert_eq!(ask(db, &[b"SCARD", key]), Resp::Int(set.len() as i64), "{context}: SCARD");
                    let Resp::Array(Some(members)) = ask(db, &[b"SMEMBERS", key]) else {
                        panic!("{context}: SMEMBERS")
                    };
                    let mut members = members;
                    members.sort_by_key(|m| format!("{m:?}"));
                    let mut expected: Vec<Resp> = set.iter().map(|m| bulk(m)).collect();
                    expected.sort_by_key(|m| format!("{m:?}"));
                    assert_eq!(members, expected, "{context}: SMEMBERS");
                }
                Val::Hash(hash) => {
                    assert_eq!(ask(db, &[b"HLEN", key]), Resp::Int(hash.len() as i64), "{context}: HLEN");
                    let Resp::Array(Some(flat)) = ask(db, &[b"HGETALL", key]) else { panic!("{context}: HGETALL") };
                    let mut pairs: Vec<(Resp, Resp)> = flat.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
                    pairs.sort_by_key(|p| format!("{p:?}"));
                    let mut expected: Vec<(Resp, Resp)> = hash.iter().map(|(f, v)| (bulk(f), bulk(v))).collect();
                    expected.sort_by_key(|p| format!("{p:?}"));
                    assert_eq!(pairs, expected, "{context}: HGETALL");
                }
                Val::ZSet(members) => {
                    assert_eq!(ask(db, &[b"ZCARD", key]), Resp::Int(members.len() as i64), "{context}: ZCARD");
                    let Resp::Array(Some(flat)) = ask(db, &[b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"]) else {
                        panic!("{context}: ZRANGE")
                    };
                    assert_eq!(flat.len(), members.len() * 2, "{context}: ZRANGE length");
                    for (rank, (pair, (member, score))) in flat.chunks(2).zip(members).enumerate() {
                        assert_eq!(pair[0], bulk(member), "{context}: ZRANGE member {rank}");
                        let Resp::Bulk(Some(text)) = &pair[1] else { panic!("{context}: ZRANGE score {rank}") };
                        assert_eq!(float(text), Some(*score), "{context}: ZRANGE score of {}", member.escape_ascii());
                        let got = ask(db, &[b"ZRANK", key, member]);
                        assert_eq!(got, Resp::Int(rank as i64), "{context}: ZRANK {}", member.escape_ascii());
                    }
                }
            }
        }
    }
    replay.finish();
}

/// The keyspace written as a snapshot and loaded into a fresh one: every
/// command accepted, the same data, a sound structure.
fn check_round_trip(store: &Keyspace, now: i64) {
    let loaded = check_snapshot_round_trip(store, 1, now);
    check_structure(&loaded);
}
