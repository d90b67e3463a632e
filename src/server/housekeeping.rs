//! The loop's housekeeping and its end: the 100 ms tick (table resizes and
//! active expiry within their budgets, persistence housekeeping),
//! deadlines of blocked clients, starting and finishing snapshots,
//! finishing the child that writes the RDB file of full
//! resynchronizations (started in `sync_send`) and sending its file, and
//! the orderly shutdown.

use std::time::{Duration, Instant};

use log::{info, warn};

use super::delivery::{deliver_outbox, queue_write, serve_ready};
use super::Server;
use crate::clock::unix_ms;
use crate::persist::child::Priority;
use crate::protocol::Reply;
use crate::pubsub::Own;
use crate::store::Expiry;

/// Time budget of one active expiry run.
const EXPIRE_BUDGET: Duration = Duration::from_millis(1);

/// Time per tick spent moving entries of a keyspace table resize left
/// unfinished by the writes (see `store::table`).
const RESIZE_BUDGET: Duration = Duration::from_millis(1);

impl Server {
    /// Answers the blocked clients whose deadline has passed with a null
    /// array and lets them carry on with their pipelined commands.
    pub(super) fn expire_blocked(&mut self) {
        let now = unix_ms();
        for key in self.state.blocking.timed_out(now) {
            self.state.unblock(key);
            if let Some(conn) = self.conns.get_mut(key) {
                let resp3 = self.state.clients[key].resp3;
                Reply::new(&mut conn.wbuf, resp3).null_array();
                queue_write(&mut self.conns, &mut self.write_queue, key);
                self.resume.push(key);
            }
        }
    }

    /// Every socket the loop holds (listeners, connections): a forked
    /// child closes its copies first, so that a server killed meanwhile
    /// can be restarted on its port at once.
    pub(super) fn socket_fds(&self) -> Vec<std::os::fd::RawFd> {
        self.listeners
            .iter()
            .map(std::os::fd::AsRawFd::as_raw_fd)
            .chain(self.conns.iter().map(|(_, c)| std::os::fd::AsRawFd::as_raw_fd(&c.stream)))
            .collect()
    }

    /// Starts a background snapshot (timer, `BGSAVE`, `SYNC`).
    pub(super) fn start_compaction(&mut self) {
        self.start_compaction_at(Priority::Background);
    }

    /// Starts a background snapshot whose child runs at `priority`.
    pub(super) fn start_compaction_at(&mut self, priority: Priority) {
        let sockets = self.socket_fds();
        if let Err(why) = self.state.persist.start_compaction(&self.store, self.now_ms, &sockets, priority) {
            warn!("cannot start a snapshot: {why}");
            self.state.persist.last_save_ok = false;
            self.answer_snapshot_waiters(Err(why));
        }
        self.freeze_access_bits_while_child_runs();
    }

    /// Gives each client and replica waiting for an RDB file
    /// `$<length>\r\n` and the file (or an error), then unlinks the file:
    /// the open handles keep it readable.
    pub(super) fn answer_rdb_waiters(&mut self, result: Result<std::path::PathBuf, String>) {
        self.send_file_to_replicas(&result);
        let waiters = std::mem::take(&mut self.state.persist.transfers.waiters);
        // No CRLF after the file, as Redis sends it.
        self.send_file(waiters, &result, "RDB transfer failed", false);
        if let Ok(path) = result {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Answers `waiters` with the file at `result` as one bulk string
    /// (ended by CRLF if `crlf`), sent from the file a chunk at a time as
    /// each socket drains (see `conn::FileSource`), or with an error; each
    /// client goes on once its answer is written.
    fn send_file(
        &mut self,
        waiters: Vec<(usize, u64)>,
        result: &Result<std::path::PathBuf, String>,
        failed: &str,
        crlf: bool,
    ) {
        for (key, id) in waiters {
            if !self.conns.contains(key) || self.state.clients[key].id != id {
                continue;
            }
            let opened = result.as_ref().map_err(Clone::clone).and_then(|path| {
                let file = std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let len = file.metadata().map_err(|e| e.to_string())?.len();
                Ok((file, len))
            });
            let conn = &mut self.conns[key];
            match opened {
                Ok((file, len)) => {
                    conn.wbuf.extend_from_slice(format!("${len}\r\n").as_bytes());
                    if len == 0 {
                        if crlf {
                            conn.wbuf.extend_from_slice(b"\r\n");
                        }
                        conn.source_done = true;
                    } else {
                        conn.source = Some(super::conn::FileSource { file, left: len, crlf });
                    }
                }
                Err(why) => {
                    let resp3 = self.state.clients[key].resp3;
                    Reply::new(&mut conn.wbuf, resp3).error(&format!("ERR {failed}: {why}"));
                    conn.source_done = true;
                }
            }
            queue_write(&mut self.conns, &mut self.write_queue, key);
        }
    }

    /// Persistence housekeeping: a finished snapshot child, the timer, and
    /// retrying a failing log (releasing the replies it held).
    fn persistence_tick(&mut self) {
        self.finish_transfer();
        self.finish_snapshot_if_done();
        self.full_sync_tick();
        self.freeze_access_bits_while_child_runs();
        // Not while a replica loads its primary's file: half of it is in.
        if self.state.loading.is_none() && self.state.persist.due() {
            self.start_compaction();
        }
        if self.state.persist.aof.error.is_some() || self.state.persist.aof.pending() > 0 {
            self.state.persist.aof.flush();
        }
        self.exit_if_log_fatal();
        if !self.held.is_empty() && self.state.persist.aof.error.is_none() {
            for key in std::mem::take(&mut self.held) {
                queue_write(&mut self.conns, &mut self.write_queue, key);
            }
        }
    }

    /// Sends the file of an RDB child that has ended to the clients and
    /// replicas waiting for it. Checked every round while such a child
    /// runs (one `waitpid`), so that a replica's file goes out as soon as
    /// it is written, not at the next tick.
    pub(super) fn finish_transfer(&mut self) {
        if let Some(result) = self.state.persist.transfers.poll() {
            self.answer_rdb_waiters(result);
            self.freeze_access_bits_while_child_runs();
        }
    }

    /// Acts on a snapshot child that has finished: counts it, lets a
    /// replica's held stream go (see `sync_load`), answers `SYNC` clients.
    pub(super) fn finish_snapshot_if_done(&mut self) {
        if let Some(finished) = self.state.persist.poll() {
            self.state.stats.snapshots += u64::from(finished.result.is_ok());
            self.full_sync_snapshot_finished(&finished.result);
            self.answer_snapshot_waiters(finished.result);
        }
    }

    /// While a child (a snapshot's, or an RDB file's for a full
    /// resynchronization) shares the heap, reads leave keys' access bits
    /// alone (each write would copy a page), as in Redis.
    pub(super) fn freeze_access_bits_while_child_runs(&mut self) {
        let frozen = self.state.persist.any_child_running();
        if self.store.tracking().frozen != frozen {
            self.store.set_tracking(self.state.eviction.tracking(frozen));
        }
    }

    /// Answers the `SYNC` clients: the snapshot file as one bulk string
    /// (sent from the file), or an error.
    fn answer_snapshot_waiters(&mut self, result: Result<std::path::PathBuf, String>) {
        let waiters = std::mem::take(&mut self.state.persist.waiters);
        self.send_file(waiters, &result, "snapshot failed", true);
    }

    /// Timer work: the keyspace's table resizes and active expiry, each
    /// within its time budget.
    pub(super) fn tick(&mut self) {
        self.now_ms = unix_ms();
        self.state.stats.sample_rates(self.now_ms);
        self.persistence_tick();
        self.replication_tick();
        let started = Instant::now();
        while !self.store.finish_resizes_some(4096) && started.elapsed() < RESIZE_BUDGET {}
        // A replica leaves expiry to its primary, which sends the `DEL`s.
        let expiry = if self.state.repl.is_replica() { Expiry::Hide } else { Expiry::Remove };
        if self.store.expiry() != expiry {
            self.store.set_expiry(expiry);
        }
        // A pause holds the expiry and the eviction of keys, as in Redis;
        // so does loading the primary's file.
        let paused = self.state.pause_at(self.now_ms).is_some() || self.state.loading.is_some();
        if !paused {
            crate::cmd::evict::continue_evicting(&mut self.store, &mut self.state, self.now_ms);
        }
        if self.state.active_expire && !paused {
            let started = Instant::now();
            let total: usize = (0..self.store.db_count()).map(|i| self.store.db_ref(i).len()).sum();
            let mut examined = 0;
            loop {
                if started.elapsed() >= EXPIRE_BUDGET {
                    self.state.stats.expire_cycle_cap_reached += 1;
                    break;
                }
                if examined > total * 2 {
                    break;
                }
                let removed = self.store.sweep_expired(self.now_ms, 2048);
                examined += 2048;
                if removed == 0 && examined > total {
                    break;
                }
            }
            self.state.stats.expire_cycle_us += started.elapsed().as_micros() as u64;
            let mut nobody = Vec::new();
            self.state.expired_events(&mut self.store, &mut Own { key: usize::MAX, buf: &mut nobody }, self.now_ms);
            if !self.state.pubsub.outbox.is_empty() {
                deliver_outbox(&mut self.conns, &mut self.state, &mut self.write_queue);
            }
            if self.state.blocking.has_ready() {
                let Server { conns, store, state, now_ms, write_queue, resume, .. } = self;
                serve_ready(conns, store, state, *now_ms, write_queue, resume);
            }
        }
    }

    pub(super) fn shutdown(&mut self) {
        crate::systemd::notify_stopping();
        info!("shutting down: {} clients connected", self.conns.len());
        // Half of the primary's file in memory is no data set to save:
        // the log says the data set is empty (see `sync_load`).
        let loading = self.forget_full_sync();
        if loading {
            warn!("shutting down while loading the primary's dataset: the next start begins empty");
        }
        let persist = &mut self.state.persist;
        let flushed = persist.aof.flush_and_sync();
        if !flushed {
            warn!("the append-only file could not be flushed before exit");
        }
        let save = self.state.shutdown.as_ref().and_then(|s| s.save) != Some(false) && !loading;
        let mut saved = false;
        if save {
            match persist.save_now(&self.store, unix_ms()) {
                Ok(()) => saved = true,
                Err(why) => warn!("final snapshot failed: {why}; the log holds every change"),
            }
        } else {
            persist.abort_running();
        }
        // A replica notes how far it applied its primary's stream, for a
        // partial resynchronization after the restart; only when the files
        // hold all of it (a loaded file is only in a snapshot).
        let repl = &self.state.repl;
        let on_disk = !loading && (self.pending_snapshot.is_none() || saved);
        if flushed && on_disk && repl.primary.is_some() && repl.backlog_active() && persist.halted_reason().is_none() {
            if let Err(e) = crate::persist::replica_state::save(persist.dir(), &repl.replid, repl.offset) {
                warn!("cannot record the replication offset: {e}; the next start resynchronizes in full");
            }
        }
        persist.transfers.abort();
        let durable = persist.aof.durable;
        persist.aof.close();
        self.drain_replicas();
        let keys: Vec<usize> = self.conns.iter().map(|(k, _)| k).collect();
        for key in keys {
            // A reply whose change never reached the log is not sent: the
            // client must not believe it was kept.
            if self.conns[key].aof_hold <= durable {
                let _ = self.conns[key].flush();
            }
            self.close(key);
        }
        info!("bye");
    }
}
