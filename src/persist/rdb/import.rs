//! Bringing a Redis `dump.rdb` into a data directory: the file is read
//! into a keyspace of its own and written out as Efis's first snapshot
//! (generation 1, function libraries in its preamble), so the ordinary
//! recovery loads it and everything after is Efis's own files. The RDB
//! file itself is never changed.
//!
//! Start-up does this when `BACKUP_PATH` holds a `dump.rdb` and no log or
//! snapshot ([`import_if_fresh`], which keeps the keyspace it read rather
//! than loading the new snapshot again); `efis import-rdb` does it
//! offline ([`import_into`]).

use std::path::Path;
use std::time::Instant;

use log::info;

use super::file::{read_file, Loaded};
use crate::persist::load::{list_dir, Recovered};
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
    progress: impl FnMut(usize, usize),
) -> Result<(Loaded, Written), String> {
    let (loaded, written, _) = import_keyspace(rdb, dir, databases, tracking, now_ms, progress)?;
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

/// At start-up: imports `dir/dump.rdb` when `dir` has no Efis data yet.
/// Without function libraries the file's keys go straight into `store`
/// (its snapshot written all the same) and what recovery would have
/// reported is returned; with libraries, or without a `dump.rdb`, `None`:
/// ordinary recovery then loads the directory (the new snapshot, whose
/// preamble loads the libraries through the command path).
pub fn import_if_fresh(dir: &Path, store: &mut Keyspace, now_ms: i64) -> Result<Option<Recovered>, String> {
    let rdb = dir.join(DUMP_NAME);
    if !rdb.is_file() {
        return Ok(None);
    }
    let listing = list_dir(dir).map_err(|e| e.to_string())?;
    if !listing.snapshots.is_empty() || !listing.logs.is_empty() {
        return Ok(None);
    }
    let started = Instant::now();
    let (databases, tracking) = (store.db_count(), store.tracking());
    let (loaded, written, keyspace) = import_keyspace(&rdb, dir, databases, tracking, now_ms, |_, _| {})?;
    info!(
        "imported {} keys from {} (RDB version {}) in {:.3} s",
        loaded.keys,
        rdb.display(),
        loaded.version,
        started.elapsed().as_secs_f64()
    );
    if !loaded.functions.is_empty() {
        return Ok(None);
    }
    *store = keyspace;
    Ok(Some(Recovered {
        snapshot: Some(dir.join(snapshot_name(1))),
        snapshot_keys: written.keys,
        snapshot_generation: 1,
        logs: 0,
        commands: 0,
        next_generation: 1,
    }))
}
