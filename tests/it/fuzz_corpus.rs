//! Replays the fuzz corpora through the same checks the fuzz targets run
//! (`efis::protocol::selfcheck` for the parsers; for the persistence and
//! command targets, the target files themselves, included below), so
//! plain `cargo test` on stable guards every seed and every input fuzzing
//! saved: `fuzz/corpus/<target>/`, committed crash cases in
//! `fuzz/regressions/<target>/`, and a local `fuzz/artifacts/<target>/`
//! when present. No server is started.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

use efis::protocol::selfcheck;

// The targets that check more than a parser keep their checks in the
// target file; outside `cargo fuzz` each one is a module with a public
// `check` and no entry point.
#[path = "../../fuzz/fuzz_targets/aof_load.rs"]
mod aof_load;
#[path = "../../fuzz/fuzz_targets/commands.rs"]
mod commands;
#[path = "../../fuzz/fuzz_targets/snapshot_load.rs"]
mod snapshot_load;

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
/// once. Returns the number of inputs checked.
fn replay(target: &str, check: fn(&[u8])) -> usize {
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
    count
}

#[test]
fn resp_corpus_parses_the_same_in_any_reads() {
    let count = replay("resp", selfcheck::check_chunked_equals_whole);
    assert!(count >= 10, "only {count} inputs in fuzz/corpus/resp");
}

#[test]
fn inline_corpus_parses_to_non_empty_commands() {
    let count = replay("inline", selfcheck::check_inline);
    assert!(count >= 10, "only {count} inputs in fuzz/corpus/inline");
}

#[test]
fn aof_load_corpus_loads_without_panics() {
    let count = replay("aof_load", aof_load::check);
    assert!(count >= 5, "only {count} inputs in fuzz/corpus/aof_load");
}

#[test]
fn snapshot_load_corpus_loads_and_round_trips() {
    let count = replay("snapshot_load", snapshot_load::check);
    assert!(count >= 5, "only {count} inputs in fuzz/corpus/snapshot_load");
}

#[test]
fn commands_corpus_matches_the_model_and_round_trips() {
    let count = replay("commands", commands::check);
    assert!(count >= 5, "only {count} inputs in fuzz/corpus/commands");
}

#[test]
fn seeds_keep_their_checksums_when_fixed() {
    // The persistence targets also load each input with its checksums
    // recomputed; on a file efis wrote that must change nothing.
    for path in inputs("corpus", "aof_load") {
        let data = fs::read(&path).expect("read seed");
        assert_eq!(aof_load::with_checksums_fixed(&data), data, "{}", path.display());
    }
    for path in inputs("corpus", "snapshot_load") {
        let data = fs::read(&path).expect("read seed");
        assert_eq!(snapshot_load::with_checksums_fixed(&data), data, "{}", path.display());
    }
}
