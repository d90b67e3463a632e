//! Arbitrary bytes as an append-only log file, loaded the way start-up
//! loads one: `persist::load::read_from` checks the header and every
//! frame, and each command is replayed through the real dispatch
//! (`server::local::Replay`) into a fresh keyspace. Loading must answer
//! Ok or Err, never panic, never allocate beyond what the bytes justify
//! (run with `-malloc_limit_mb=256`), and leave no empty collection
//! behind. A torn tail must be reported at an offset whose prefix loads
//! cleanly with the same commands (what recovery cuts the file to).
//!
//! `tests/it/fuzz_corpus.rs` includes this file to replay the corpus
//! under `cargo test`, hence `check` is public and the entry point is
//! left out of test builds.
#![cfg_attr(not(test), no_main)]

use efis::cmd::{lookup, Flags};
use efis::config::Config;
use efis::persist::load::{read_from, FileKind};
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
    let config = Config { backup_path: "/nonexistent/efis-fuzz".into(), ..Config::default() };
    let mut store = Keyspace::new(config.databases);
    let mut state = ServerState::new(config, 0);
    let mut replay = Replay::new(&mut store, &mut state);
    let mut apply = |time_ms: i64, db: usize, args: Args<'_>| {
        if !replayable(args) {
            return Ok(());
        }
        replay.run(time_ms, db, args)?;
        assert!(!replay.reply().starts_with(b"-ERR internal error"), "a command panicked: {}", show(args));
        Ok(())
    };
    let result = read_from(data, data.len() as u64, FileKind::Log, &mut apply);
    replay.finish();
    assert_no_empty_collections(&store);
    match result {
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

/// The commands the fuzzer replays: those a log can hold (writes, and the
/// transaction commands around them). Others are skipped: they change no
/// data, and some do what no loader should (`DEBUG SLEEP`, `SAVE`,
/// `SHUTDOWN`). Two writes whose cost is their argument rather than the
/// bytes of the file are bounded, as Redis bounds them only at 512 MB.
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
