//! Durability: the append-only log, snapshots, compaction, start-up
//! recovery, `efis check` and `efis backup`.
//!
//! Every change is appended to a checksummed log in `BACKUP_PATH`, and
//! every `BACKUP_INTERVAL` seconds (when something changed) the log is
//! compacted into a snapshot. Nothing acknowledged is lost beyond what
//! `APPENDFSYNC` allows (see [`aof`]), and a damaged file is never
//! silently accepted (see [`load`]).
//!
//! * [`format`](mod@format): file headers and checksummed frames (shared by both
//!   file kinds).
//! * [`aof`]: the log the loop appends every change to, group commit,
//!   the `everysec` fsync thread, what each `APPENDFSYNC` value promises,
//!   and what happens when the disk fails.
//! * [`snapshot`]: the keyspace written as commands that rebuild it;
//!   [`snapshot_stream`] the commands for a stream (entries, counters,
//!   groups, consumers, pending entries).
//! * [`child`]: the copy-on-write child process that writes a snapshot
//!   while the loop serves, and why a child.
//! * [`load`]: recovery at start-up and `efis check`.
//! * [`backup`]: `efis backup`, which pulls snapshots over the network.
//! * [`transfer`]: the RDB file `SYNC`/`PSYNC` send, written by a child
//!   and sent from the file in chunks.
//! * [`rdb`]: Redis's RDB format for values (`DUMP`/`RESTORE` payloads).
//!
//! # Files
//!
//! ```text
//! BACKUP_PATH/
//!   appendonly-0000000007.aof   the log, generation 7: every change since snapshot 7
//!   snapshot-0000000007.snap    the whole keyspace as it was when log 7 began
//!   snapshot-0000000006.snap    older snapshots, up to BACKUP_KEEP in all
//! ```
//!
//! `snapshot-G.snap` holds the state before log generation `G`, so
//! start-up loads the newest snapshot and replays the logs from its
//! generation on. Both kinds of file are a header and checksummed frames
//! ([`format`](mod@format)).
//!
//! # Compaction
//!
//! A compaction starts at each `BACKUP_INTERVAL` if anything changed; when
//! the current log passes [`LOG_GROWTH_MIN`] (64 MiB) and the size of the
//! last snapshot (as Redis rewrites its AOF at 100% growth past 64 MB, so
//! that a busy server does not fill its disk between two timer ticks); and
//! on `SAVE`, `BGSAVE`, `BGREWRITEAOF`, `SYNC` (a backup), `SHUTDOWN`,
//! `SIGTERM` and `SIGINT`; and as soon as a replica has loaded its
//! primary's file (the log holds none of its keys; that child runs at
//! the loop's priority, see [`child`]). None starts while a replica
//! loads. The loop, between two commands:
//!
//! 1. writes what the log has buffered, then starts log generation `G+1`
//!    (a new file; from now on changes go there);
//! 2. `fork`s ([`child`]). The child sees the keyspace frozen at that
//!    instant, so the snapshot is exactly the state where log `G+1`
//!    begins: a transaction or an `MSET` is all in or all out. It writes
//!    `snapshot-(G+1).snap.tmp`, `fsync`s it, renames it, `fsync`s the
//!    directory, and exits;
//! 3. keeps serving meanwhile. Log `G` is synced in full off the loop: by
//!    the last group commit (`always`), or by the fsync thread as it
//!    switches to `G+1` and before it ever syncs `G+1` (`everysec`,
//!    `no`), so no later log outlives the tail of an earlier one. When the
//!    child reports success, the logs older than `G+1` are deleted, and
//!    the snapshots beyond `BACKUP_KEEP`, by the same helper thread
//!    (unlinking a 64 MiB log still in the page cache took 18 to 45 ms, a
//!    pause the loop does not take).
//!
//! If anything fails (no space, the child dies), nothing is deleted: the
//! old snapshot and every log since it are still there, and start-up
//! replays them all. The log's growth may start another compaction five
//! seconds later at the earliest. `SAVE` and shutdown write the snapshot
//! in the loop's own process instead (as Redis's `SAVE` does).
//!
//! A crash after the snapshot is safe but before the deletions leaves
//! obsolete files: start-up, once the data is loaded, removes the logs
//! older than the newest snapshot, the snapshots beyond `BACKUP_KEEP` and
//! the `.tmp` files of snapshots never finished ([`remove_obsolete`]).
//!
//! After a sync failure of the log under `everysec` or `no`, a compaction
//! is due at once (and every five seconds while it fails): its snapshot
//! is what makes the data durable again (see [`aof`], "When the disk
//! fails"). While memory may hold a change the log does not
//! ([`Persistence::halted`]: a handler panicked after changing data, or a
//! script made a record no frame holds), no snapshot is written from
//! memory at all, not even at shutdown.
//!
//! # Shutdown
//!
//! `SIGTERM`, `SIGINT` and `SHUTDOWN` write and `fsync` the log, write a
//! final snapshot (not with `SHUTDOWN NOSAVE`, nor while a replica is
//! halfway through loading its primary's file), and exit 0. A snapshot
//! still being written by a child is abandoned first.
//!
//! # What an operator sees
//!
//! `INFO persistence` has Redis's fields (`rdb_changes_since_last_save`,
//! `rdb_bgsave_in_progress`, `rdb_last_save_time`,
//! `rdb_last_bgsave_status`, `aof_last_write_status`...) plus
//! `aof_fsync`, `aof_current_size`, `aof_current_generation`,
//! `rdb_last_snapshot_bytes`, `backup_path` and `writes_refused_reason`
//! (why write commands get `-MISCONF`; empty while they are served). `LASTSAVE` is the time of
//! the last successful snapshot. The log says when a snapshot starts (with
//! how long the loop paused for the fork) and finishes (keys, bytes,
//! seconds), and what start-up recovered (keys, from which files, how long
//! it took).

pub mod aof;
pub mod backup;
pub mod child;
pub mod format;
pub mod load;
pub mod rdb;
pub mod replica_state;
pub mod snapshot;
pub mod snapshot_stream;
pub mod transfer;

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use log::{error, info, warn};

use crate::config::Config;
use crate::store::Keyspace;
use aof::AppendLog;
use child::{Child, Outcome};
use snapshot::snapshot_name;

/// A log this large, and larger than the last snapshot, is compacted
/// without waiting for the timer.
pub const LOG_GROWTH_MIN: u64 = 64 * 1024 * 1024;

/// How long a failed compaction waits before the log's growth may start
/// another one.
const RETRY_DELAY: Duration = Duration::from_secs(5);

/// Syncs a directory, so that a file created or renamed in it stays.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// The files a snapshot of `generation` makes obsolete: the logs before
/// it, and the snapshots beyond the newest `keep`.
fn obsolete_files(listing: load::DirListing, generation: u64, keep: usize) -> Vec<PathBuf> {
    let mut obsolete: Vec<PathBuf> =
        listing.logs.into_iter().filter(|(log_generation, _)| *log_generation < generation).map(|(_, p)| p).collect();
    let ours: Vec<PathBuf> = listing
        .snapshots
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("snapshot-")))
        .collect();
    let beyond_keep = ours.len().saturating_sub(keep);
    obsolete.extend(ours.into_iter().take(beyond_keep));
    obsolete
}

/// At start-up, once `dir` loaded: removes what a crash between a
/// snapshot and the deletions it makes obsolete left behind (the logs
/// before the newest snapshot, the snapshots beyond `keep`), and the
/// temporary files of snapshots never finished and of RDB transfers. Every removal is logged;
/// a failure to remove is only a warning.
pub fn remove_obsolete(dir: &Path, keep: usize) {
    let Ok(listing) = load::list_dir(dir) else { return };
    let newest = listing.snapshots.last().map_or(0, |(header, _)| header.generation);
    let mut obsolete = obsolete_files(listing, newest, keep.max(1));
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let ours = name.starts_with("snapshot-") || name.starts_with("appendonly-");
            if (ours && name.ends_with(".tmp")) || transfer::is_transfer_file(name) {
                obsolete.push(entry.path());
            }
        }
    }
    for path in &obsolete {
        match std::fs::remove_file(path) {
            Ok(()) => warn!("removed {}, left over from before the last start", path.display()),
            Err(e) => warn!("cannot remove {}: {e}", path.display()),
        }
    }
    if !obsolete.is_empty() {
        let _ = sync_dir(dir);
    }
}

/// A snapshot being written by a child process.
struct Running {
    child: Child,
    generation: u64,
    started: Instant,
}

/// How the last compaction ended, for the loop to answer waiting `SYNC`
/// clients.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The snapshot file on success, the reason otherwise.
    pub result: Result<PathBuf, String>,
}

/// The persistence state the loop and the commands share.
pub struct Persistence {
    pub aof: AppendLog,
    dir: PathBuf,
    interval: Duration,
    /// Snapshots kept (`BACKUP_KEEP`).
    pub keep: usize,
    /// Changes since the last snapshot.
    pub dirty: u64,
    /// Commands every snapshot starts with, rebuilding what is not keys
    /// (function libraries); kept current by whoever owns that state.
    pub preamble: Vec<Vec<Vec<u8>>>,
    /// Changes counted when the running snapshot started.
    dirty_at_start: u64,
    pub last_save_s: i64,
    pub last_save_ok: bool,
    pub last_save_duration_s: i64,
    pub last_save_bytes: u64,
    running: Option<Running>,
    /// `BGSAVE`/`BGREWRITEAOF`/`SYNC` asked for a compaction; the loop
    /// starts it between commands.
    pub requested: bool,
    /// `SYNC` clients waiting for the next snapshot: `(connection, client id)`.
    pub waiters: Vec<(usize, u64)>,
    next_due: Instant,
    /// After a failed compaction, the next one waits until then.
    retry_after: Instant,
    /// The generation of the newest snapshot known complete (0: none):
    /// it holds everything logged before that generation.
    pub snapshot_generation: u64,
    /// Why memory may be ahead of the log for good (a command failed with
    /// an internal error after changing data): writes are refused and no
    /// snapshot is written until a restart reloads the files.
    pub halted: Option<String>,
    /// Whether the log's sync failure was reported (to log its end once).
    sync_failure_seen: bool,
    /// RDB files being written for `SYNC`/`PSYNC` clients.
    pub transfers: transfer::Transfers,
}

impl Persistence {
    pub fn new(config: &Config, now_ms: i64) -> Persistence {
        let interval = Duration::from_secs(config.backup_interval);
        Persistence {
            aof: AppendLog::new(config.appendfsync, &config.backup_path, config.max_log_frame),
            dir: config.backup_path.clone(),
            interval,
            keep: config.backup_keep.max(1),
            dirty: 0,
            preamble: Vec::new(),
            dirty_at_start: 0,
            last_save_s: now_ms / 1000,
            last_save_ok: true,
            last_save_duration_s: -1,
            last_save_bytes: 0,
            running: None,
            requested: false,
            waiters: Vec::new(),
            next_due: Instant::now() + interval,
            retry_after: Instant::now(),
            snapshot_generation: 0,
            halted: None,
            sync_failure_seen: false,
            transfers: transfer::Transfers::default(),
        }
    }

    /// The error a write command gets while writes are refused, or `None`
    /// when they are served: the log cannot be written (full disk), a
    /// sync failed and no snapshot has covered it yet, or memory went
    /// ahead of the log for good.
    pub fn refusing_writes(&self) -> Option<String> {
        if let Some(why) = self.halted.as_ref().or(self.aof.unloggable.as_ref()) {
            return Some(format!(
                "MISCONF Writes are refused until a restart: {why}, so memory may hold a change the log does \
                 not (see the server log)"
            ));
        }
        if let Some(e) = &self.aof.error {
            return Some(format!("MISCONF Errors writing to the AOF file: {e}"));
        }
        if let Some((generation, e)) = self.aof.sync_failure(self.snapshot_generation) {
            return Some(format!(
                "MISCONF Errors writing to the AOF file: fsync of {} failed: {e}; writes resume once a snapshot \
                 and a new log are on disk",
                aof::aof_name(generation)
            ));
        }
        None
    }

    /// Whether memory may be ahead of the log for good (see [`Persistence::halted`]).
    pub fn halted_reason(&self) -> Option<&String> {
        self.halted.as_ref().or(self.aof.unloggable.as_ref())
    }

    /// Logs the start and the end of a sync failure of the log; true
    /// while it lasts.
    fn sync_failure_noted(&mut self) -> bool {
        let failing = self.aof.sync_failure(self.snapshot_generation).is_some();
        if failing && !self.sync_failure_seen {
            error!(
                "the append-only file failed to sync: write commands are refused until a snapshot of memory and a \
                 new log generation are on disk"
            );
        } else if !failing && self.sync_failure_seen {
            // As loud as the failure it ends.
            warn!(
                "snapshot {} and log {} are on disk: write commands are served again",
                snapshot_name(self.snapshot_generation),
                aof::aof_name(self.aof.generation())
            );
        }
        self.sync_failure_seen = failing;
        failing
    }

    /// `CONFIG SET backup-interval`: the next compaction is due that many
    /// seconds from now (0: never on a timer).
    pub fn set_interval(&mut self, seconds: u64) {
        self.interval = Duration::from_secs(seconds);
        self.next_due = Instant::now() + self.interval;
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn in_progress(&self) -> bool {
        self.running.is_some()
    }

    /// Seconds the running snapshot has taken so far, or -1.
    pub fn current_duration_s(&self) -> i64 {
        self.running.as_ref().map_or(-1, |r| r.started.elapsed().as_secs() as i64)
    }

    /// Whether a compaction is due now: the `BACKUP_INTERVAL` timer, or
    /// the log outgrowing [`LOG_GROWTH_MIN`] and the last snapshot (as
    /// Redis rewrites its AOF at 100% growth past 64 MB), so that a busy
    /// server does not fill its disk between two timer ticks.
    pub fn due(&mut self) -> bool {
        let sync_failed = self.sync_failure_noted();
        if self.running.is_some()
            || self.aof.error.is_some()
            || self.halted_reason().is_some()
            || Instant::now() < self.retry_after
        {
            return false;
        }
        if sync_failed {
            // What the failed sync covered is rebuilt from memory.
            return true;
        }
        let timer = !self.interval.is_zero() && Instant::now() >= self.next_due && self.dirty > 0;
        let grown = self.aof.file_size >= LOG_GROWTH_MIN.max(self.last_save_bytes);
        timer || grown
    }

    /// Starts a new log generation (the old one flushed first), so that
    /// the snapshot about to be written is where the new log begins.
    /// Returns the new generation. The previous log is written but maybe
    /// not yet synced (see [`Persistence::start_compaction`]).
    fn rotate(&mut self, now_ms: i64) -> Result<u64, String> {
        if let Some(e) = &self.aof.error {
            return Err(format!("the append-only file is failing ({e})"));
        }
        if !self.aof.flush() {
            return Err("cannot write the append-only file".into());
        }
        let generation = self.aof.generation() + 1;
        self.aof.open(generation, now_ms).map_err(|e| format!("cannot create {}: {e}", aof::aof_name(generation)))?;
        Ok(generation)
    }

    /// Starts a compaction in the background: a new log, and a child
    /// process writing the snapshot. Called by the loop between commands.
    /// The child closes its copies of `sockets` (listeners, connections)
    /// first, so that a server killed meanwhile can be restarted on its
    /// port at once.
    /// The child runs at `priority` (see [`child`]).
    pub fn start_compaction(
        &mut self,
        store: &Keyspace,
        now_ms: i64,
        sockets: &[RawFd],
        priority: child::Priority,
    ) -> Result<(), String> {
        self.requested = false;
        self.next_due = Instant::now() + self.interval;
        self.retry_after = Instant::now() + RETRY_DELAY;
        if self.running.is_some() {
            return Err("a snapshot is already being written".into());
        }
        if let Some(why) = self.halted_reason() {
            return Err(format!("memory may hold a change the log does not ({why})"));
        }
        let started = Instant::now();
        // The previous log is synced off the loop: by the helper thread
        // (`everysec`, `no`) as it switches files, or already by the last
        // group commit (`always`).
        let generation = self.rotate(now_ms)?;
        let dir = self.dir.clone();
        let preamble = &self.preamble;
        let child = child::spawn(priority, || {
            for &fd in sockets {
                // SAFETY: in the child, these descriptors are its own copies,
                // which nothing else in the child uses.
                drop(unsafe { OwnedFd::from_raw_fd(fd) });
            }
            snapshot::write_file(store, preamble, &dir, &snapshot_name(generation), generation, now_ms)
                .map(|w| format!("{} {}", w.bytes, w.keys))
                .map_err(|e| e.to_string())
        })
        .map_err(|e| format!("cannot fork: {e}"))?;
        info!(
            "snapshot {} started by process {} ({} keys; the loop paused {:.1} ms)",
            snapshot_name(generation),
            child.pid,
            store.total_keys(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        self.dirty_at_start = self.dirty;
        self.running = Some(Running { child, generation, started });
        Ok(())
    }

    /// True while a snapshot child is writing.
    #[inline]
    pub fn child_running(&self) -> bool {
        self.running.is_some()
    }

    /// True while any child shares the loop's heap: a snapshot's or one
    /// writing an RDB file for a full resynchronization.
    #[inline]
    pub fn any_child_running(&self) -> bool {
        self.running.is_some() || self.transfers.running()
    }

    /// Checks on the child; returns how it ended once it has.
    pub fn poll(&mut self) -> Option<Finished> {
        let running = self.running.as_mut()?;
        let outcome = running.child.try_finish()?;
        let running = self.running.take().expect("checked above");
        Some(self.finished(running.generation, running.started, outcome))
    }

    fn finished(&mut self, generation: u64, started: Instant, outcome: Outcome) -> Finished {
        let seconds = started.elapsed().as_secs_f64();
        self.last_save_duration_s = seconds.round() as i64;
        match outcome {
            Outcome::Done(report) => {
                let mut parts = report.split_whitespace().map(|p| p.parse::<u64>().unwrap_or(0));
                let (bytes, keys) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
                info!(
                    "snapshot {} finished: {keys} keys, {bytes} bytes in {:.3} s",
                    snapshot_name(generation),
                    seconds
                );
                self.dirty = self.dirty.saturating_sub(self.dirty_at_start);
                self.last_save_s = crate::clock::unix_ms() / 1000;
                self.last_save_ok = true;
                self.last_save_bytes = bytes;
                self.snapshot_generation = self.snapshot_generation.max(generation);
                self.drop_old_files(generation);
                Finished { result: Ok(self.dir.join(snapshot_name(generation))) }
            }
            Outcome::Failed(why) => {
                warn!("snapshot {} failed: {why}; the log is kept", snapshot_name(generation));
                self.last_save_ok = false;
                self.retry_after = Instant::now() + RETRY_DELAY;
                Finished { result: Err(why) }
            }
        }
    }

    /// Writes a snapshot now, in this process (`SAVE`, shutdown). A
    /// running child is stopped first.
    pub fn save_now(&mut self, store: &Keyspace, now_ms: i64) -> Result<(), String> {
        if let Some(why) = self.halted_reason() {
            return Err(format!("memory may hold a change the log does not ({why})"));
        }
        if let Some(running) = self.running.take() {
            running.child.abort();
            let _ = std::fs::remove_file(self.dir.join(format!("{}.tmp", snapshot_name(running.generation))));
        }
        self.requested = false;
        let started = Instant::now();
        // Everything is synced here, in the loop: SAVE and shutdown wait.
        if !self.aof.flush_and_sync() {
            return Err("cannot sync the append-only file".into());
        }
        let generation = self.rotate(now_ms)?;
        self.dirty_at_start = self.dirty;
        let result =
            snapshot::write_file(store, &self.preamble, &self.dir, &snapshot_name(generation), generation, now_ms)
                .map(|w| format!("{} {}", w.bytes, w.keys))
                .map_err(|e| e.to_string());
        let outcome = match result {
            Ok(report) => Outcome::Done(report),
            Err(why) => Outcome::Failed(why),
        };
        self.next_due = Instant::now() + self.interval;
        self.finished(generation, started, outcome).result.map(|_| ())
    }

    /// After `snapshot-G.snap` is safe: logs before `G` go, and snapshots
    /// beyond `BACKUP_KEEP`, deleted by the log's helper thread.
    fn drop_old_files(&mut self, generation: u64) {
        let Ok(listing) = load::list_dir(&self.dir) else { return };
        self.aof.delete_in_background(obsolete_files(listing, generation, self.keep));
    }

    /// Stops a running child (shutdown without saving).
    pub fn abort_running(&mut self) {
        if let Some(running) = self.running.take() {
            running.child.abort();
            let _ = std::fs::remove_file(self.dir.join(format!("{}.tmp", snapshot_name(running.generation))));
        }
    }
}
