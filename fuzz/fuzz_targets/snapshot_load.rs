//! Arbitrary bytes as a snapshot file, loaded the way start-up loads one
//! (`persist::load::read_from`, each command replayed through the real
//! dispatch by `server::local::Replay`). Loading must answer Ok or Err,
//! never panic, never allocate beyond what the bytes justify (run with
//! `-malloc_limit_mb=256`), and leave no empty collection behind.
//!
//! When the input loads, the keyspace must survive a round trip:
//! `persist::snapshot::write_to` writes it, the written snapshot loads
//! into a fresh keyspace with every command accepted, and that one
//! written and loaded again gives the same data. Data is compared as a
//! canonical dump (keys sorted, set and hash items sorted, sorted sets in
//! rank order), since two tables with the same keys iterate them in
//! different orders. All of it at the time of the newest record: keys
//! that expired by then are not written.
//!
//! `tests/it/fuzz_corpus.rs` includes this file to replay the corpus
//! under `cargo test`, hence `check` is public and the entry point is
//! left out of test builds. The dump and the empty-collection check are
//! repeated in `commands.rs`: each target file stands alone.
#![cfg_attr(not(test), no_main)]

use efis::cmd::{lookup, Flags};
use efis::config::Config;
use efis::persist::load::{read_from, FileKind, FileReport};
use efis::persist::snapshot;
use efis::protocol::Args;
use efis::server::local::Replay;
use efis::server::state::ServerState;
use efis::store::{Keyspace, ValueRef};

#[cfg(not(test))]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    check(data);
});

/// The whole property for one input, as it is and with its checksums
/// fixed; panics on a violation.
pub fn check(data: &[u8]) {
    check_file(data);
    let fixed = with_checksums_fixed(data);
    if fixed != data {
        check_file(&fixed);
    }
}

fn check_file(data: &[u8]) {
    let Ok(first) = load(data, true) else { return };
    assert_no_empty_collections(&first.store);
    let now = first.time_ms;
    let generation = first.report.header.map_or(0, |h| h.generation);
    let expected = dump(&first.store, now);
    let keys: usize = expected.iter().map(Vec::len).sum();

    let written = write(&first.store, generation, now, keys);
    let second = load(&written, false).unwrap_or_else(|e| panic!("a written snapshot does not load: {e:?}"));
    assert_eq!(second.errors, 0, "a written snapshot replays with errors");
    assert_eq!(second.report.keys, keys as u64);
    assert_eq!(dump(&second.store, now), expected, "the snapshot of a snapshot differs");

    let rewritten = write(&second.store, generation, now, keys);
    let third = load(&rewritten, false).unwrap_or_else(|e| panic!("a rewritten snapshot does not load: {e:?}"));
    assert_eq!(third.errors, 0, "a rewritten snapshot replays with errors");
    assert_eq!(dump(&third.store, now), expected, "the two written snapshots hold different data");
}

/// A snapshot loaded into a fresh keyspace.
struct Loaded {
    store: Keyspace,
    report: FileReport,
    /// The newest time in the file: its header's or a record's.
    time_ms: i64,
    /// Commands that answered an error.
    errors: u64,
}

fn load(data: &[u8], filter: bool) -> Result<Loaded, (u64, String)> {
    let config = Config { backup_path: "/nonexistent/efis-fuzz".into(), ..Config::default() };
    let mut store = Keyspace::new(config.databases);
    let mut state = ServerState::new(config, 0);
    let mut replay = Replay::new(&mut store, &mut state);
    let mut newest = i64::MIN;
    let mut apply = |time_ms: i64, db: usize, args: Args<'_>| {
        newest = newest.max(time_ms);
        if filter && !replayable(args) {
            return Ok(());
        }
        replay.run(time_ms, db, args)?;
        assert!(!replay.reply().starts_with(b"-ERR internal error"), "a command panicked: {}", show(args));
        Ok(())
    };
    let result = read_from(data, data.len() as u64, FileKind::Snapshot, &mut apply);
    let errors = replay.finish();
    let report = result?;
    assert!(report.good_len <= report.len && report.torn.is_none());
    let time_ms = report.header.map_or(newest, |h| h.time_ms.max(newest));
    Ok(Loaded { store, report, time_ms, errors })
}

fn write(store: &Keyspace, generation: u64, now_ms: i64, keys: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let written = snapshot::write_to(store, &mut out, generation, now_ms).expect("writing to a Vec");
    assert_eq!(written.bytes, out.len() as u64);
    assert_eq!(written.keys, keys as u64);
    out
}

/// The commands the fuzzer replays: those a log or snapshot can hold
/// (writes, and the transaction commands around them). Others are
/// skipped: they change no data, and some do what no loader should
/// (`DEBUG SLEEP`, `SAVE`, `SHUTDOWN`). Two writes whose cost is their
/// argument rather than the bytes of the file are bounded, as Redis
/// bounds them only at 512 MB. Same as in `aof_load.rs`.
fn replayable(args: Args<'_>) -> bool {
    let Some(spec) = lookup(args.get(0)) else { return true };
    let small = |i: usize| {
        i < args.len()
            && std::str::from_utf8(args.get(i)).ok().and_then(|t| t.parse::<i64>().ok()).is_some_and(|n| n <= 4096)
    };
    match spec.name {
        // `DEBUG POPULATE count [prefix [size]]` logs itself.
        "debug" => {
            args.len() >= 3 && args.get(1).eq_ignore_ascii_case(b"populate") && small(2) && (args.len() < 5 || small(4))
        }
        "setrange" => small(2),
        "multi" | "exec" | "discard" | "watch" | "unwatch" => true,
        _ => spec.flags.contains(Flags::WRITE),
    }
}

/// `data` with every checksum recomputed: the header's, and each frame's
/// length and payload checksums as far as the lengths lead. Mutated
/// bytes then reach the frame decoder and the replay instead of stopping
/// at a checksum.
pub fn with_checksums_fixed(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    if out.len() < 32 {
        return out;
    }
    let crc = crc32(&out[..28]);
    out[28..32].copy_from_slice(&crc.to_le_bytes());
    let mut at = 32;
    while at + 12 <= out.len() {
        let len = u32::from_le_bytes(out[at..at + 4].try_into().expect("4 bytes")) as usize;
        let crc = crc32(&out[at..at + 4]);
        out[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
        let Some(end) = (at + 12).checked_add(len).filter(|&end| end <= out.len()) else { break };
        let crc = crc32(&out[at + 12..end]);
        out[at + 8..at + 12].copy_from_slice(&crc.to_le_bytes());
        at = end;
    }
    out
}

/// CRC-32 (IEEE), as `crc32fast::hash` computes it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

fn show(args: Args<'_>) -> String {
    args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" ")
}

/// A value in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    /// Members sorted.
    Set(Vec<Vec<u8>>),
    /// `(member, score bits)` in rank order.
    ZSet(Vec<(Vec<u8>, u64)>),
    /// `(field, value)` sorted.
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
}

/// Per database, `(key, value, expiry)` sorted by key, without the keys
/// expired at `now_ms`.
type Dump = Vec<Vec<(Vec<u8>, Val, Option<i64>)>>;

fn dump(store: &Keyspace, now_ms: i64) -> Dump {
    (0..store.db_count())
        .map(|db| {
            let mut keys: Vec<(Vec<u8>, Val, Option<i64>)> = store
                .db_ref(db)
                .iter()
                .filter(|e| e.expire().is_none_or(|at| at > now_ms))
                .map(|e| (e.key().to_vec(), canonical(e.value()), e.expire()))
                .collect();
            keys.sort_by(|a, b| a.0.cmp(&b.0));
            keys
        })
        .collect()
}

fn canonical(value: ValueRef<'_>) -> Val {
    match value {
        ValueRef::Str(s) => Val::Str(s.to_vec()),
        ValueRef::List(list) => Val::List(list.iter().map(<[u8]>::to_vec).collect()),
        ValueRef::Set(set) => {
            let mut members: Vec<Vec<u8>> = set.iter().map(<[u8]>::to_vec).collect();
            members.sort();
            Val::Set(members)
        }
        ValueRef::ZSet(zset) => Val::ZSet(zset.iter_sorted().map(|(m, s)| (m.to_vec(), s.to_bits())).collect()),
        ValueRef::Hash(hash) => {
            let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = hash.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
            pairs.sort();
            Val::Hash(pairs)
        }
    }
}

/// Redis deletes a collection with its last element; so must efis.
fn assert_no_empty_collections(store: &Keyspace) {
    for db in 0..store.db_count() {
        for entry in store.db_ref(db).iter() {
            let len = match entry.value() {
                ValueRef::Str(_) => continue,
                ValueRef::List(list) => list.len(),
                ValueRef::Set(set) => set.len(),
                ValueRef::ZSet(zset) => zset.len(),
                ValueRef::Hash(hash) => hash.len(),
            };
            assert!(len > 0, "db {db}: key {:?} is an empty collection", entry.key().escape_ascii().to_string());
        }
    }
}
