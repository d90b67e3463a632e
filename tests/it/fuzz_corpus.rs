//! Replays the fuzz corpora through the same checks the fuzz targets run
//! (`efis::protocol::selfcheck`), so plain `cargo test` on stable guards
//! every seed and every input fuzzing saved: `fuzz/corpus/<target>/`,
//! committed crash cases in `fuzz/regressions/<target>/`, and a local
//! `fuzz/artifacts/<target>/` when present. No server is started.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

use efis::protocol::selfcheck;

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
