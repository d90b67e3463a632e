//! Replays the fuzz corpora through the same checks the fuzz targets run
//! (`efis::protocol::selfcheck` for the parsers, `efis::selfcheck`
//! for the persistence files; for the command target, the target file
//! itself, included below), so plain `cargo test` on stable guards every
//! seed and every input fuzzing saved: `fuzz/corpus/<target>/`, committed crash cases in
//! `fuzz/regressions/<target>/`, and a local `fuzz/artifacts/<target>/`
//! when present. No server is started.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

use efis::protocol::selfcheck;
use efis::selfcheck as persist_check;

// The command target keeps its model in the target file; outside `cargo
// fuzz` it is a module with a public `check` and no entry point.
#[path = "../../fuzz/fuzz_targets/commands.rs"]
mod commands;

/// Files of `fuzz/<dir>/<target>/`, sorted; none if the folder is missing.
fn inputs(dir: &str, target: &str) -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir).join(target);
    let Ok(entries) = fs::read_dir(&folder) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.map(|e| e.expect("read fuzz folder").path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Runs `check` on every input of `target`; reports all failing files at
/// once. Fails too when fewer than `at_least` inputs were found.
fn replay(target: &str, check: fn(&[u8]), at_least: usize) {
    let mut failed = Vec::new();
    let mut count = 0;
    for dir in ["corpus", "regressions", "artifacts"] {
        for path in inputs(dir, target) {
            let data = fs::read(&path).expect("read fuzz input");
            count += 1;
            if panic::catch_unwind(|| check(&data)).is_err() {
                failed.push(path.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "fuzz target '{target}' fails on:\n  {}", failed.join("\n  "));
    assert!(count >= at_least, "only {count} inputs in fuzz/corpus/{target}");
}

#[test]
fn resp_corpus_parses_the_same_in_any_reads() {
    replay("resp", selfcheck::check_chunked_equals_whole, 10);
}

#[test]
fn inline_corpus_parses_to_non_empty_commands() {
    replay("inline", selfcheck::check_inline, 10);
}

#[test]
fn aof_load_corpus_loads_without_panics() {
    replay("aof_load", persist_check::check_log, 5);
}

#[test]
fn snapshot_load_corpus_loads_and_round_trips() {
    replay("snapshot_load", persist_check::check_snapshot, 5);
}

#[test]
fn commands_corpus_matches_the_model_and_round_trips() {
    replay("commands", commands::check, 5);
}

#[test]
fn rdb_load_corpus_reads_without_panics_and_round_trips() {
    replay("rdb_load", efis::persist::rdb::selfcheck::check_rdb_file, 2);
}

#[test]
fn restore_payload_corpus_decodes_without_panics_and_round_trips() {
    replay("restore_payload", efis::persist::rdb::selfcheck::check_restore_payload, 5);
}

/// Every seed of the RDB targets with each byte changed (and the CRC-64
/// recomputed by the check): a small sweep of what fuzzing explores.
#[test]
fn rdb_seeds_survive_every_single_byte_change() {
    type Check = fn(&[u8]);
    let targets: [(&str, Check); 2] = [
        ("rdb_load", efis::persist::rdb::selfcheck::check_rdb_file),
        ("restore_payload", efis::persist::rdb::selfcheck::check_restore_payload),
    ];
    for (target, check) in targets {
        for path in inputs("corpus", target) {
            let seed = fs::read(&path).expect("read seed");
            if seed.len() > 1024 {
                continue;
            }
            for at in 0..seed.len() {
                for flip in [0x01u8, 0x40, 0xff] {
                    let mut changed = seed.clone();
                    changed[at] ^= flip;
                    let outcome = panic::catch_unwind(|| check(&changed));
                    assert!(outcome.is_ok(), "{}: byte {at} ^ {flip:#x}", path.display());
                }
            }
        }
    }
}

#[test]
fn seeds_keep_their_checksums_when_fixed() {
    // The persistence targets also load each input with its checksums
    // recomputed; on a file efis wrote that must change nothing.
    for path in inputs("corpus", "aof_load").into_iter().chain(inputs("corpus", "snapshot_load")) {
        let data = fs::read(&path).expect("read seed");
        assert_eq!(persist_check::with_checksums_fixed(&data), data, "{}", path.display());
    }
}
