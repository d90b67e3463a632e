//! The RDB file of a full resynchronization: a replica's `PSYNC`, and
//! `PSYNC` or `SYNC` after `REPLCONF rdb-only 1` (`redis-cli --rdb`,
//! `efis backup --format rdb`). It is written by a copy-on-write child
//! process ([`super::child`]) into `BACKUP_PATH` as `sync-<ms>.rdb.tmp`,
//! while the loop keeps serving; then each waiting connection gets
//! `$<length>\r\n` and the file, read in chunks as its socket drains (see
//! `server::conn`), so the loop never holds the whole file. The file is
//! unlinked as soon as every waiter has opened it; a crash before that
//! leaves it for start-up to remove ([`super::remove_obsolete`]).
//!
//! This module knows the child and the RDB-only waiters; the replicas
//! waiting for a file are `state::replication`'s, and only say here that
//! they want a child ([`Transfers::replicas_waiting`]): the loop decides
//! which of them the child serves (`server::sync_send`).
//!
//! Invariants: at most one such child runs; RDB-only clients that ask
//! while it runs get its file (consistent, if a little older than their
//! request, as with the snapshot waiters of `SYNC`); a waiter whose
//! connection went away meanwhile is skipped.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use log::{info, warn};

use super::child::{self, Child, Outcome};
use super::rdb::file::write_file;
use crate::store::Keyspace;

/// The child writing the file, and the file's path.
struct Running {
    child: Child,
    path: PathBuf,
}

/// RDB transfers: the waiting connections and the child serving them.
#[derive(Default)]
pub struct Transfers {
    /// Connections waiting for the file: `(connection, client id)`.
    pub waiters: Vec<(usize, u64)>,
    /// Replicas wait for a child to start (their file must begin at the
    /// replication offset of its fork).
    pub replicas_waiting: bool,
    running: Option<Running>,
}

/// Whether `name` is a transfer file (for the start-up clean-up).
pub fn is_transfer_file(name: &str) -> bool {
    name.starts_with("sync-") && name.ends_with(".rdb.tmp")
}

impl Transfers {
    /// Whether a child should start: someone waits and none runs.
    pub fn due(&self) -> bool {
        (!self.waiters.is_empty() || self.replicas_waiting) && self.running.is_none()
    }

    /// Whether a child is writing a file.
    pub fn running(&self) -> bool {
        self.running.is_some()
    }

    /// Forks the child that writes the keyspace (and `functions`, the
    /// libraries' code, and `stream_db`, the `repl-stream-db` aux field)
    /// as an RDB file in `dir`. The child closes its copies of `sockets`
    /// first.
    pub fn start(
        &mut self,
        store: &Keyspace,
        functions: &[Vec<u8>],
        stream_db: Option<usize>,
        dir: &Path,
        now_ms: i64,
        sockets: &[RawFd],
    ) -> Result<(), String> {
        let path = dir.join(format!("sync-{now_ms}.rdb.tmp"));
        let child = child::spawn(child::Priority::Background, || {
            for &fd in sockets {
                // SAFETY: in the child, these descriptors are its own copies,
                // which nothing else in the child uses.
                drop(unsafe { OwnedFd::from_raw_fd(fd) });
            }
            let mut bytes = Vec::new();
            let keys = write_file(store, functions, stream_db, now_ms, &mut bytes);
            std::fs::write(&path, &bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(format!("{} {keys}", bytes.len()))
        })
        .map_err(|e| format!("cannot fork: {e}"))?;
        info!("RDB file for full resynchronizations started by process {}", child.pid);
        self.running = Some(Running { child, path });
        Ok(())
    }

    /// Checks on the child; once it has ended, the file to send (or why
    /// there is none).
    pub fn poll(&mut self) -> Option<Result<PathBuf, String>> {
        let running = self.running.as_mut()?;
        let outcome = running.child.try_finish()?;
        let Running { path, .. } = self.running.take().expect("checked above");
        match outcome {
            Outcome::Done(report) => {
                info!("RDB file {} written ({report} bytes and keys)", path.display());
                Some(Ok(path))
            }
            Outcome::Failed(why) => {
                warn!("RDB file {} failed: {why}", path.display());
                let _ = std::fs::remove_file(&path);
                Some(Err(why))
            }
        }
    }

    /// Stops a running child and removes its file (shutdown).
    pub fn abort(&mut self) {
        if let Some(running) = self.running.take() {
            running.child.abort();
            let _ = std::fs::remove_file(&running.path);
        }
    }
}
