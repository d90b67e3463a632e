//! Self-checks of loading and writing the persistence files on arbitrary
//! input. It sits above `cmd`, not in `persist`, because a loaded file is
//! checked by replaying its records through the real command path.
//!
//! This module exists for the fuzz targets in `fuzz/` (`aof_load`,
//! `snapshot_load`, and the snapshot round trips of `commands`) and for
//! the corpus replay test (`tests/it/fuzz_corpus.rs`), so that every input
//! fuzzing ever saved is checked again by `cargo test` through the same
//! code. The server never calls it. Each `check_*` function panics when
//! loading, the keyspace or a written snapshot misbehaves.
//!
//! The fuzz targets `aof_load` and `snapshot_load` feed arbitrary and
//! mutated files (also with their checksums recomputed, so mutations get
//! past them) to the start-up loader: it must answer an error or a state,
//! never panic, never allocate more than the input justifies; a torn tail
//! must be reported where the good part ends, and a snapshot that loads
//! must write, load and write again to the same data. The target
//! `commands` runs random command sequences in-process against a model of
//! all five value types, checks their structure after every step (no
//! empty collection, sorted-set order and ranks agree), and that a
//! snapshot round trip keeps the data. Their seeds in
//! `fuzz/corpus/<target>/seed-*` are log and snapshot files written by the
//! server and hand-written command sequences; the corpus test replays
//! them, and every committed crash case, on every `cargo test`.
//!
//! Files are loaded the way start-up loads them: [`read_from`] checks the
//! header and every frame, and each command is replayed through the real
//! dispatch ([`Replay`]) into a fresh keyspace.

use crate::cmd::lookup;
use crate::cmd::replay::{loggable, Replay};
use crate::config::Config;
use crate::persist::format::{FRAME_HEADER_LEN, HEADER_LEN};
use crate::persist::load::{read_from, FileKind, FileReport};
use crate::persist::snapshot;
use crate::protocol::Args;
use crate::state::ServerState;
use crate::store::{Keyspace, ValueRef};

/// Arbitrary bytes as an append-only log file, as they are and with their
/// checksums fixed ([`with_checksums_fixed`]). Loading must answer Ok or
/// Err, never panic, never allocate beyond what the bytes justify (fuzz
/// with `-malloc_limit_mb=256`), and leave no empty collection behind. A
/// torn tail must be reported at an offset whose prefix loads cleanly
/// with the same commands (what recovery cuts the file to).
pub fn check_log(data: &[u8]) {
    with_and_without_checksums_fixed(data, check_log_file);
}

/// Arbitrary bytes as a snapshot file, as they are and with their
/// checksums fixed. Loading must answer Ok or Err, never panic, never
/// allocate beyond what the bytes justify, and leave no empty collection
/// behind. When the input loads, the keyspace must survive two
/// [`check_snapshot_round_trip`]s (the snapshot of a snapshot), at the
/// time of the newest record: keys that expired by then are not written.
pub fn check_snapshot(data: &[u8]) {
    with_and_without_checksums_fixed(data, check_snapshot_file);
}

fn with_and_without_checksums_fixed(data: &[u8], check: fn(&[u8])) {
    check(data);
    let fixed = with_checksums_fixed(data);
    if fixed != data {
        check(&fixed);
    }
}

fn check_log_file(data: &[u8]) {
    let loaded = load(data, FileKind::Log, Config::default().databases, replayable);
    check_no_empty_collections(&loaded.store);
    match loaded.result {
        Ok(report) => {
            assert_eq!(report.len, data.len() as u64);
            assert!(report.good_len <= report.len);
            if let Some((offset, _)) = report.torn {
                assert_eq!(offset, report.good_len, "the torn tail starts after the last good record");
                // What recovery keeps: the file cut at the torn record.
                let kept = &data[..offset as usize];
                let mut count = |_: i64, _: usize, _: Args<'_>| Ok(());
                let again = read_from(kept, kept.len() as u64, FileKind::Log, &mut count);
                let again = again.unwrap_or_else(|e| panic!("the cut log does not load: {e:?}"));
                if offset > 0 {
                    assert!(again.torn.is_none(), "the cut log is torn again: {:?}", again.torn);
                }
                assert_eq!(again.commands, report.commands);
                assert_eq!(again.frames, report.frames);
            } else {
                assert_eq!(report.good_len, report.len);
            }
        }
        Err((offset, _)) => assert!(offset <= data.len() as u64),
    }
}

fn check_snapshot_file(data: &[u8]) {
    let first = load(data, FileKind::Snapshot, Config::default().databases, replayable);
    let Ok(report) = &first.result else { return };
    assert!(report.good_len <= report.len && report.torn.is_none());
    check_no_empty_collections(&first.store);
    let generation = report.header.map_or(0, |h| h.generation);
    let second = check_snapshot_round_trip(&first.store, generation, first.time_ms);
    check_snapshot_round_trip(&second, generation, first.time_ms);
}

/// A file loaded into a fresh keyspace by [`load`].
pub struct Loaded {
    pub store: Keyspace,
    /// What [`read_from`] answered.
    pub result: Result<FileReport, (u64, String)>,
    /// The newest time in the file: its header's or a record's
    /// (`i64::MIN` when it has neither).
    pub time_ms: i64,
    /// Commands that answered an error.
    pub errors: u64,
    /// The first of them and its reply, for messages.
    pub first_error: Option<String>,
}

/// Loads `data` as a file of `kind` into a fresh keyspace of `databases`
/// databases, the way start-up loads one, replaying the commands `keep`
/// accepts (the others are skipped). Panics if a command panicked.
pub fn load(data: &[u8], kind: FileKind, databases: usize, keep: fn(Args<'_>) -> bool) -> Loaded {
    let config = Config { backup_path: "/nonexistent/efis-fuzz".into(), databases, ..Config::default() };
    let mut store = Keyspace::new(databases);
    let mut state = ServerState::new(config, 0);
    let mut replay = Replay::new(&mut store, &mut state);
    let mut newest = i64::MIN;
    let mut first_error = None;
    let mut apply = |time_ms: i64, db: usize, args: Args<'_>| {
        newest = newest.max(time_ms);
        if !keep(args) {
            return Ok(());
        }
        replay.run(time_ms, db, args)?;
        let reply = replay.reply();
        assert!(!reply.starts_with(b"-ERR internal error"), "a command panicked: {}", show(args));
        if first_error.is_none() && reply.starts_with(b"-") {
            first_error = Some(format!("{} -> {}", show(args), reply.escape_ascii()));
        }
        Ok(())
    };
    let result = read_from(data, data.len() as u64, kind, &mut apply);
    let errors = replay.finish();
    let time_ms = match &result {
        Ok(report) => report.header.map_or(newest, |h| h.time_ms.max(newest)),
        Err(_) => newest,
    };
    Loaded { store, result, time_ms, errors, first_error }
}

/// The commands the fuzz targets replay from arbitrary files: those a log
/// or snapshot can hold (writes, and the transaction commands around
/// them), and unknown ones (which loading must refuse). Others are
/// skipped: they change no data, and some do what no loader should
/// (`DEBUG SLEEP`, `SAVE`, `SHUTDOWN`). Two writes whose cost is their
/// argument rather than the bytes of the file are bounded, as Redis
/// bounds them only at 512 MB.
pub fn replayable(args: Args<'_>) -> bool {
    let Some(spec) = lookup(args.get(0)) else { return true };
    let small = |i: usize| {
        i < args.len()
            && std::str::from_utf8(args.get(i)).ok().and_then(|t| t.parse::<i64>().ok()).is_some_and(|n| n <= 4096)
    };
    match spec.name {
        // `DEBUG POPULATE count [prefix [size]]` logs itself.
        "debug" => loggable(args) && small(2) && (args.len() < 5 || small(4)),
        "setrange" => small(2),
        "multi" | "exec" | "discard" | "watch" | "unwatch" => true,
        _ => loggable(args),
    }
}

/// `data` with every checksum recomputed: the header's, and each frame's
/// length and payload checksums as far as the lengths lead. Mutated
/// bytes then reach the frame decoder and the replay instead of stopping
/// at a checksum. A file efis wrote comes back unchanged.
pub fn with_checksums_fixed(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    if out.len() < HEADER_LEN {
        return out;
    }
    let crc = crc32fast::hash(&out[..HEADER_LEN - 4]);
    out[HEADER_LEN - 4..HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
    let mut at = HEADER_LEN;
    while at + FRAME_HEADER_LEN <= out.len() {
        let len = u32::from_le_bytes(out[at..at + 4].try_into().expect("4 bytes")) as usize;
        let crc = crc32fast::hash(&out[at..at + 4]);
        out[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
        let payload = at + FRAME_HEADER_LEN;
        let Some(end) = payload.checked_add(len).filter(|&end| end <= out.len()) else { break };
        let crc = crc32fast::hash(&out[payload..end]);
        out[at + 8..at + 12].copy_from_slice(&crc.to_le_bytes());
        at = end;
    }
    out
}

/// Writes `store` as a snapshot with [`snapshot::write_to`] at `now_ms`
/// and loads it into a fresh keyspace: every command must be accepted,
/// the counts of keys and bytes must agree, and the data must be the
/// same ([`dump`]). Returns the loaded keyspace.
pub fn check_snapshot_round_trip(store: &Keyspace, generation: u64, now_ms: i64) -> Keyspace {
    let expected = dump(store, now_ms);
    let keys = expected.iter().map(Vec::len).sum::<usize>() as u64;
    let mut file = Vec::new();
    let written = snapshot::write_to(store, &[], &mut file, generation, now_ms).expect("writing to a Vec");
    assert_eq!(written.bytes, file.len() as u64, "bytes of the snapshot");
    assert_eq!(written.keys, keys, "keys in the snapshot");

    let loaded = load(&file, FileKind::Snapshot, store.db_count(), |_| true);
    let report = loaded.result.unwrap_or_else(|e| panic!("a written snapshot does not load: {e:?}"));
    assert!(report.good_len <= report.len && report.torn.is_none());
    assert_eq!(loaded.errors, 0, "a written snapshot replays with errors, first {:?}", loaded.first_error);
    assert_eq!(report.keys, keys, "keys in the end record");
    let actual = dump(&loaded.store, now_ms);
    assert!(actual == expected, "the snapshot loads different data\n expected {expected:?}\n actual   {actual:?}");
    loaded.store
}

/// A value in canonical form (see [`dump`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    /// Members sorted.
    Set(Vec<Vec<u8>>),
    /// `(member, score bits)` in rank order.
    ZSet(Vec<(Vec<u8>, u64)>),
    /// `(field, value)` sorted.
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    /// Entries, counters, groups with their pending entries (consumers'
    /// seen times left out: a snapshot records them as of its writing).
    Stream(String),
}

/// Per database, `(key, value, expiry)` sorted by key.
pub type Dump = Vec<Vec<(Vec<u8>, Val, Option<i64>)>>;

/// The keyspace in canonical form, without the keys expired at `now_ms`:
/// keys sorted, set and hash items sorted, sorted sets in rank order, so
/// that two tables with the same data compare equal although they
/// iterate in different orders.
pub fn dump(store: &Keyspace, now_ms: i64) -> Dump {
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
            let mut members: Vec<Vec<u8>> = set.iter().map(|m| m.into_owned()).collect();
            members.sort();
            Val::Set(members)
        }
        ValueRef::ZSet(zset) => Val::ZSet(zset.iter_sorted().map(|(m, s)| (m.to_vec(), s.to_bits())).collect()),
        ValueRef::Hash(hash) => {
            let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = hash.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
            pairs.sort();
            Val::Hash(pairs)
        }
        ValueRef::Stream(stream) => Val::Stream(stream.describe()),
    }
}

/// No empty collection: Redis deletes a collection with its last
/// element, and so must efis.
pub fn check_no_empty_collections(store: &Keyspace) {
    check_collections(store, false);
}

/// [`check_no_empty_collections`], and every collection consistent:
/// lists the same backwards, lengths that match the elements, set and
/// hash lookups that find what iteration gives, sorted sets in (score,
/// member) order with ranks and scores that agree (`ZSet::rank`,
/// `ZSet::at_rank`, `ZSet::score`).
pub fn check_structure(store: &Keyspace) {
    check_collections(store, true);
}

fn check_collections(store: &Keyspace, deep: bool) {
    for db in 0..store.db_count() {
        for entry in store.db_ref(db).iter() {
            let key = entry.key().escape_ascii().to_string();
            let value = entry.value();
            let len = match value {
                ValueRef::Str(_) => continue,
                ValueRef::List(list) => list.len(),
                ValueRef::Set(set) => set.len(),
                ValueRef::ZSet(zset) => zset.len(),
                ValueRef::Hash(hash) => hash.len(),
                // An empty stream is a value of its own.
                ValueRef::Stream(_) => continue,
            };
            if deep {
                check_collection(db, &key, value);
            }
            assert!(len > 0, "db {db}: key {key:?} is an empty collection");
        }
    }
}

fn check_collection(db: usize, key: &str, value: ValueRef<'_>) {
    match value {
        ValueRef::Str(_) | ValueRef::Stream(_) => {}
        ValueRef::List(list) => {
            let forward: Vec<&[u8]> = list.iter().collect();
            let mut backward: Vec<&[u8]> = list.iter().rev().collect();
            backward.reverse();
            assert_eq!(forward, backward, "db {db} list {key}: iterating backwards differs");
            assert_eq!(forward.len(), list.len(), "db {db} list {key}: length");
        }
        ValueRef::Set(set) => {
            let members: std::collections::BTreeSet<Vec<u8>> = set.iter().map(|m| m.into_owned()).collect();
            assert_eq!(members.len(), set.len(), "db {db} set {key}: length or duplicates");
            assert!(members.iter().all(|m| set.contains(m)), "db {db} set {key}: contains");
            if set.encoding_name() == "intset" {
                let numbers: Vec<i64> =
                    set.iter().map(|m| std::str::from_utf8(&m).ok().and_then(|t| t.parse().ok()).unwrap()).collect();
                assert!(numbers.windows(2).all(|p| p[0] < p[1]), "db {db} set {key}: intset not ascending");
            }
        }
        ValueRef::Hash(hash) => {
            let fields: std::collections::BTreeMap<&[u8], &[u8]> = hash.iter().collect();
            assert_eq!(fields.len(), hash.len(), "db {db} hash {key}: length or duplicates");
            assert!(fields.iter().all(|(f, v)| hash.get(f) == Some(*v)), "db {db} hash {key}: get");
        }
        ValueRef::ZSet(zset) => {
            let sorted: Vec<(&[u8], f64)> = zset.iter_sorted().collect();
            assert_eq!(sorted.len(), zset.len(), "db {db} zset {key}: length");
            assert_eq!(zset.iter().count(), zset.len(), "db {db} zset {key}: table length");
            for pair in sorted.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                assert!(a.1 < b.1 || (a.1 == b.1 && a.0 < b.0), "db {db} zset {key}: {a:?} before {b:?}");
            }
            for (rank, &(member, score)) in sorted.iter().enumerate() {
                assert_eq!(zset.rank(member), Some(rank), "db {db} zset {key}: rank");
                assert_eq!(zset.at_rank(rank), Some((member, score)), "db {db} zset {key}: at_rank");
                assert_eq!(zset.score(member), Some(score), "db {db} zset {key}: score");
            }
        }
    }
}

fn show(args: Args<'_>) -> String {
    args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" ")
}
