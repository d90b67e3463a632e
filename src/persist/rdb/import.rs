//! `efis import-rdb`: a Redis `dump.rdb` brought into an empty data
//! directory offline. The file is read into a keyspace of its own and
//! written out as Efis's first snapshot (generation 1, function libraries
//! in its preamble), so the ordinary recovery loads it and everything
//! after is Efis's own files. The RDB file itself is never changed.
//!
//! Start-up loads a `dump.rdb` found in a directory with no Efis data
//! without this step: the file is the base of log generation 0 until the
//! first compaction (see [`crate::persist::load`]).

use std::path::Path;

use super::file::{read_file, Loaded};
use crate::persist::load::list_dir;
use crate::persist::snapshot::{snapshot_name, write_file, Written};
use crate::store::{Keyspace, Tracking};

/// Reads `rdb` and writes it as snapshot 1 in `dir`, which must hold no
/// log or snapshot yet. `progress` gets `(bytes read, bytes in all)`.
/// The keyspace read is not freed: the one caller, `efis import-rdb`,
/// exits right after, and freeing a large keyspace value by value would
/// take longer than the process's exit.
pub fn import_into(
    rdb: &Path,
    dir: &Path,
    databases: usize,
    tracking: Tracking,
    now_ms: i64,
    progress: impl FnMut(usize, usize),
) -> Result<(Loaded, Written), String> {
    let (loaded, written, keyspace) = import_keyspace(rdb, dir, databases, tracking, now_ms, progress)?;
    std::mem::forget(keyspace);
    Ok((loaded, written))
}

/// [`import_into`], also giving back the keyspace read.
fn import_keyspace(
    rdb: &Path,
    dir: &Path,
    databases: usize,
    tracking: Tracking,
    now_ms: i64,
    mut progress: impl FnMut(usize, usize),
) -> Result<(Loaded, Written, Keyspace), String> {
    let listing = list_dir(dir).map_err(|e| e.to_string())?;
    if !listing.snapshots.is_empty() || !listing.logs.is_empty() {
        return Err(format!("{} already holds Efis data; import into an empty directory", dir.display()));
    }
    let bytes = std::fs::read(rdb).map_err(|e| format!("cannot read {}: {e}", rdb.display()))?;
    let mut store = Keyspace::new(databases);
    store.set_tracking(tracking);
    let total = bytes.len();
    let loaded = read_file(&bytes, &mut store, now_ms, |at| progress(at, total))
        .map_err(|e| format!("{}: {e}", rdb.display()))?;
    drop(bytes);
    let preamble: Vec<Vec<Vec<u8>>> =
        loaded.functions.iter().map(|code| vec![b"FUNCTION".to_vec(), b"LOAD".to_vec(), code.clone()]).collect();
    let written = write_file(&store, &preamble, dir, &snapshot_name(1), 1, now_ms)
        .map_err(|e| format!("cannot write a snapshot in {}: {e}", dir.display()))?;
    Ok((loaded, written, store))
}
