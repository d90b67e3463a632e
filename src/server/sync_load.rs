//! A replica's full resynchronization after its primary's file is
//! received: the file replaces the data set while the loop keeps
//! answering, and the primary's stream waits until the new data set is
//! durable.
//!
//! 1. **Check** ([`Server::begin_full_sync`]): `state.loading` is set,
//!    and the first steps verify the file's checksum (a damaged file
//!    drops the link and leaves the data set as it was). Then `FLUSHALL`
//!    runs through the command path in the link's session and is logged
//!    (so `WATCH`, tracking and keyspace events see it), this server's own
//!    replicas are disconnected and its backlog dropped (its history is
//!    gone: nobody may continue it, and a restart may not ask to continue
//!    it either).
//! 2. **Load** ([`Server::continue_full_sync`]): each round of the loop
//!    verifies or reads about [`STEP_TIME`] worth of the file (in pieces
//!    of [`STEP_BYTES`]) and polls its sockets without sleeping in
//!    between. Commands run normally meanwhile; those without the
//!    `loading` flag are refused with `-LOADING` (see `cmd::execute`),
//!    active expiry, eviction and compaction do not start, and the bytes
//!    of the stream that arrive stay unapplied in the link's read buffer.
//! 3. **End**: the file's function libraries are loaded (logged), the
//!    replication ID and offset become the primary's, and a background
//!    compaction starts at once: its snapshot is the first file that
//!    holds the loaded keys (the log holds only the `FLUSHALL`). Until it
//!    is written the stream stays held, so that a crash recovers the
//!    empty data set the log describes, never "empty, then later stream
//!    commands". Its child keeps the loop's priority (not nice 19: the
//!    link waits for it), and the loop looks for its end every few
//!    milliseconds. When it is written the link goes up and the held
//!    stream is applied. A snapshot that fails is tried again a second later
//!    (the stream waits meanwhile, as Redis retries enabling its AOF after
//!    a synchronization).
//!
//! A load that fails (a structure error in a file without a checksum),
//! a dropped link, `REPLICAOF NO ONE` or another `REPLICAOF` abandon the
//! load: `FLUSHALL` again (logged), so the data set is empty, never half
//! loaded (while the file is still being checked, the old data set is
//! simply kept), and the link connects again and asks for a full
//! resynchronization. A link lost during the load abandons it although
//! the whole file is there: the next connection resynchronizes in full.
//! A shutdown during the load writes no snapshot (it would hold half the
//! file) and no `replica-state`; `REPLICAOF NO ONE` while the snapshot is
//! pending writes the snapshot in the loop before this server takes
//! writes of its own.
//!
//! Persistence cannot be turned off (`BACKUP_PATH` always holds a log),
//! so the snapshot is always needed.

use std::time::{Duration, Instant};

use log::{info, warn};

use super::Server;
use crate::persist::child::Priority;
use crate::persist::rdb::file::FileLoader;
use crate::state::replication::Loading;

/// Bytes of the file read per call of the loader.
const STEP_BYTES: usize = 256 * 1024;
/// Time a round of the loop spends loading before it polls its sockets.
const STEP_TIME: Duration = Duration::from_millis(2);
/// How long a failed snapshot of the new data set waits to be tried again.
const SNAPSHOT_RETRY: Duration = Duration::from_secs(1);

/// A file being loaded: its bytes, the loader and what the link does
/// once it is in.
pub(super) struct SyncLoad {
    file: Vec<u8>,
    loader: FileLoader,
    /// The primary's replication ID and offset (`+FULLRESYNC`).
    replid: String,
    offset: u64,
    /// The database the stream goes on in.
    stream_db: usize,
    started: Instant,
    /// The file was verified and the old data set emptied.
    flushed: bool,
}

/// The snapshot of a newly loaded data set, until it is written.
pub(super) struct PendingSnapshot {
    last_attempt: Instant,
}

impl Server {
    /// Starts replacing the data set with `file`, announced by
    /// `+FULLRESYNC <replid> <offset>` (see the module doc): the loading
    /// state begins with the check of the file. Fails, with the data set
    /// untouched, on a file that is not an RDB file.
    pub(super) fn begin_full_sync(&mut self, file: Vec<u8>, replid: String, offset: u64) -> Result<(), String> {
        let loader = FileLoader::new(&file, self.store.db_count())
            .map_err(|e| format!("the primary's RDB file is damaged: {e}"))?;
        let stream_db =
            crate::persist::rdb::file::stream_db_of(&file).filter(|&db| db < self.store.db_count()).unwrap_or(0);
        self.state.loading = Some(Loading {
            start_s: self.now_ms / 1000,
            total_bytes: file.len() as u64,
            loaded_bytes: 0,
            rdb_used_mem: 0,
        });
        info!("loading the primary's dataset ({} bytes) while serving", file.len());
        let sync = SyncLoad { file, loader, replid, offset, stream_db, started: Instant::now(), flushed: false };
        self.set_link_loading(Box::new(sync));
        Ok(())
    }

    /// One round's share of the load; at the end of the file, the end
    /// of the full resynchronization. A file that fails to load
    /// abandons it and drops the link.
    pub(super) fn continue_full_sync(&mut self) {
        let Some(sync) = self.link.as_mut().and_then(|link| link.load.as_deref_mut()) else { return };
        if !sync.flushed && !sync.loader.checking() {
            sync.flushed = true;
            self.replace_data_set();
            return;
        }
        let started = Instant::now();
        let outcome = loop {
            match sync.loader.step(&sync.file, &mut self.store, self.now_ms, STEP_BYTES) {
                // The old data set goes before the first key comes.
                Ok(false) if !sync.flushed && !sync.loader.checking() => break Ok(false),
                Ok(false) if started.elapsed() < STEP_TIME => {}
                Ok(false) => break Ok(false),
                Ok(true) => break Ok(true),
                Err(e) => break Err(e),
            }
        };
        if let Some(loading) = &mut self.state.loading {
            loading.loaded_bytes = sync.loader.position() as u64;
            loading.rdb_used_mem = sync.loader.used_mem();
        }
        match outcome {
            Ok(false) => {}
            Ok(true) => self.end_full_sync(),
            Err(e) => self.drop_link(&format!("the primary's RDB file is damaged: {e}")),
        }
    }

    /// The file is verified: the old data set and its history go.
    fn replace_data_set(&mut self) {
        let Some(key) = self.link.as_ref().map(|link| link.key) else { return };
        self.run_as_primary(key, &[b"FLUSHALL"]);
        self.state.drop_replicas();
        self.state.repl.drop_backlog();
    }

    /// The file is in: functions, the primary's history, the snapshot.
    fn end_full_sync(&mut self) {
        let Some((key, sync)) = self.take_link_loading() else { return };
        let SyncLoad { file, loader, replid, offset, stream_db, started, .. } = *sync;
        drop(file);
        let loaded = loader.finish();
        self.state.loading = None;
        if !loaded.functions.is_empty() {
            self.run_as_primary(key, &[b"FUNCTION", b"FLUSH"]);
            for code in &loaded.functions {
                self.run_as_primary(key, &[b"FUNCTION", b"LOAD", b"REPLACE", code]);
            }
        }
        self.state.repl.replid = replid;
        self.state.repl.clear_replid2();
        self.state.repl.reset_backlog(offset);
        if let Some(session) = self.state.clients.get_mut(key) {
            session.db = stream_db;
        }
        info!(
            "loaded the primary's dataset: {} keys ({} already expired) in {:.3} s; the stream waits for its snapshot",
            loaded.keys,
            loaded.expired_skipped,
            started.elapsed().as_secs_f64()
        );
        // A snapshot started before holds the data set the file replaced.
        self.state.persist.abort_running();
        self.pending_snapshot = Some(PendingSnapshot { last_attempt: Instant::now() });
        self.start_compaction_at(Priority::Urgent);
        self.link_up();
    }

    /// Called when a snapshot ends: once one started after the load is
    /// written, the link goes up and the held stream is applied.
    pub(super) fn full_sync_snapshot_finished(&mut self, result: &Result<std::path::PathBuf, String>) {
        if self.pending_snapshot.is_none() {
            return;
        }
        if let Err(why) = result {
            warn!("the snapshot of the primary's dataset failed: {why}; trying again in a second");
            return;
        }
        self.pending_snapshot = None;
        info!("the primary's dataset is on disk: applying its stream");
        if self.link_streaming() {
            self.link_up();
            self.on_link_event();
        }
    }

    /// The tick's part: a failed snapshot of the loaded data set is
    /// started again.
    pub(super) fn full_sync_tick(&mut self) {
        let Some(pending) = &mut self.pending_snapshot else { return };
        if self.state.persist.in_progress() || pending.last_attempt.elapsed() < SNAPSHOT_RETRY {
            return;
        }
        pending.last_attempt = Instant::now();
        self.start_compaction_at(Priority::Urgent);
    }

    /// Whether the stream must wait for the snapshot of a loaded file.
    pub(super) fn stream_held(&self) -> bool {
        self.pending_snapshot.is_some()
    }

    /// The link is going away (dropped, `REPLICAOF`): a load in progress
    /// is abandoned, the keyspace emptied again through `FLUSHALL`
    /// (logged), never left half loaded.
    pub(super) fn abandon_full_sync(&mut self) {
        let Some((key, sync)) = self.take_link_loading() else { return };
        self.state.loading = None;
        if !sync.flushed {
            warn!("abandoning the check of the primary's RDB file: the dataset is kept");
            return;
        }
        warn!(
            "abandoning the load of the primary's dataset at byte {} of {}: the dataset is emptied",
            sync.loader.position(),
            sync.file.len()
        );
        drop(sync);
        self.run_as_primary(key, &[b"FLUSHALL"]);
    }

    /// `REPLICAOF NO ONE`: this server takes writes of its own, which
    /// must not reach the log before the loaded data set is on disk, so
    /// a pending snapshot is written now, in the loop.
    pub(super) fn settle_full_sync_on_promotion(&mut self) {
        if self.pending_snapshot.take().is_none() {
            return;
        }
        if let Err(why) = self.state.persist.save_now(&self.store, self.now_ms) {
            warn!("cannot write a snapshot of the primary's dataset: {why}");
        }
    }

    /// Shutdown during a load: the loaded part is forgotten without
    /// another `FLUSHALL` (the log already describes the empty data
    /// set). Returns whether the data set was half loaded (not while the
    /// file was still being checked: the old data set is whole then).
    pub(super) fn forget_full_sync(&mut self) -> bool {
        let replaced = self.take_link_loading().is_some_and(|(_, sync)| sync.flushed);
        self.state.loading = None;
        replaced
    }
}
