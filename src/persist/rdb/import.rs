//! Bringing a Redis `dump.rdb` into a data directory: the file is read
//! into a keyspace of its own and written out as Efis's first snapshot
//! (generation 1, function libraries in its preamble), so the ordinary
//! recovery loads it and everything after is Efis's own files. The RDB
//! file itself is never changed.
//!
//! Start-up does this when `BACKUP_PATH` holds a `dump.rdb` and no log or
//! snapshot ([`import_if_fresh`]); `efis import-rdb` does it offline
//! ([`import_into`]).

use std::path::Path;
use std::time::Instant;

use log::info;

use super::file::{read_file, Loaded};
use crate::persist::load::list_dir;
use crate::persist::snapshot::{snapshot_name, write_file, Written};
use crate::store::{Keyspace, Tracking};

/// The file start-up looks for.
pub const DUMP_NAME: &str = "dump.rdb";

/// Reads `rdb` and writes it as snapshot 1 in `dir`, which must hold no
/// log or snapshot yet. `progress` gets `(bytes read, bytes in all)`.
pub fn import_into(
    rdb: &Path,
    dir: &Path,
    databases: usize,
    tracking: Tracking,
    now_ms: i64,
    mut progress: impl FnMut(usize, usize),
) -> Result<(Loaded, Written), String> {
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
    Ok((loaded, written))
}

/// At start-up: imports `dir/dump.rdb` when `dir` has no Efis data yet.
pub fn import_if_fresh(dir: &Path, databases: usize, tracking: Tracking, now_ms: i64) -> Result<(), String> {
    let rdb = dir.join(DUMP_NAME);
    if !rdb.is_file() {
        return Ok(());
    }
    let listing = list_dir(dir).map_err(|e| e.to_string())?;
    if !listing.snapshots.is_empty() || !listing.logs.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let (loaded, _) = import_into(&rdb, dir, databases, tracking, now_ms, |_, _| {})?;
    info!(
        "imported {} keys from {} (RDB version {}) in {:.3} s",
        loaded.keys,
        rdb.display(),
        loaded.version,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
