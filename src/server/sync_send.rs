//! A replica's full resynchronization on the primary's side, as the loop
//! runs it: the RDB file is written by a copy-on-write child process
//! (`persist::transfer`), never in the loop, so the loop goes on serving
//! everyone while a large data set is written and sent.
//!
//! A replica goes through the states of `state::replication::FullSync`:
//!
//! 1. `WaitStart` (from `PSYNC`, see `cmd::replicaof::attach`): it waits
//!    for the next child; nothing is sent to it.
//! 2. `WaitFile`: when the loop forks the child ([`Server::start_transfer`]),
//!    the log's tap is first absorbed into the stream, so the offset
//!    covers every change logged before the fork, the replica gets
//!    `+FULLRESYNC <replid> <offset-at-fork>` and from then on the stream
//!    after that offset, kept in its held buffer (`Replica::held`). The
//!    stream's database is forgotten at the fork, so the held stream
//!    starts with a `SELECT`; a primary that is itself a replica names
//!    its stream's database in the file instead (`repl-stream-db`).
//!    Once a second it gets a newline, the keep-alive Redis sends.
//! 3. `SendFile`: the child has finished; the replica gets
//!    `$<length>\r\n` and the file, read from disk a chunk at a time as
//!    its socket drains (`conn::FileSource`).
//! 4. `Online`: once the whole file is in its output buffer
//!    ([`Server::replica_file_sent`]), the held bytes follow it and the
//!    stream goes straight to its output buffer.
//!
//! A child that cannot be started or fails disconnects the replicas
//! waiting for it; they connect again and ask anew.
//!
//! Invariants: a replica's held bytes are exactly the stream from its
//! `from` offset to the last round's end, and they reach the socket after
//! the file and before any later stream byte; the held bytes count
//! toward `client-output-buffer-limit replica` (`replication.rs`).

use std::path::PathBuf;

use log::{info, warn};

use super::delivery::queue_write;
use super::Server;
use crate::state::replication::FullSync;

impl Server {
    /// Starts the child writing the RDB file that replicas waiting for a
    /// full resynchronization and `redis-cli --rdb` clients wait for, and
    /// tells those replicas where their stream starts (see the module doc).
    pub(super) fn start_transfer(&mut self) {
        self.state.persist.transfers.replicas_waiting = false;
        let joining: Vec<usize> =
            self.state.repl.replicas.iter().filter(|r| r.sync == FullSync::WaitStart).map(|r| r.client).collect();
        if joining.is_empty() && self.state.persist.transfers.waiters.is_empty() {
            return;
        }
        // The file holds every change logged so far: the stream offset
        // must count them too.
        self.state.absorb_tap();
        let state = &self.state;
        // A replica passes its primary's stream on as it is: the file
        // names the database that stream is in (Redis's `repl-stream-db`).
        let stream_db = state
            .repl
            .is_replica()
            .then(|| state.clients.iter().find(|(_, c)| c.primary_link).map_or(0, |(_, c)| c.db));
        let sockets = self.socket_fds();
        let persist = &mut self.state.persist;
        let functions: Vec<Vec<u8>> = persist.preamble.iter().filter_map(|command| command.get(2).cloned()).collect();
        let dir = persist.dir().to_path_buf();
        if let Err(why) = persist.transfers.start(&self.store, &functions, stream_db, &dir, self.now_ms, &sockets) {
            warn!("cannot write an RDB file: {why}");
            self.answer_rdb_waiters(Err(why));
            for key in joining {
                self.drop_syncing_replica(key);
            }
            return;
        }
        self.freeze_access_bits_while_child_runs();
        if joining.is_empty() {
            return;
        }
        // The stream after the fork names its database again.
        if let Some(tap) = &mut self.state.persist.aof.tap {
            tap.db = None;
        }
        let offset = self.state.repl.offset;
        let header = format!("+FULLRESYNC {} {offset}\r\n", self.state.repl.replid);
        for key in joining {
            let Some(replica) = self.state.repl.replica_mut(key) else { continue };
            replica.sync = FullSync::WaitFile;
            replica.from = offset;
            if let Some(conn) = self.conns.get_mut(key) {
                conn.wbuf.extend_from_slice(header.as_bytes());
                self.state.repl.output_bytes += header.len() as u64;
                queue_write(&mut self.conns, &mut self.write_queue, key);
            }
        }
    }

    /// The child has ended: each replica waiting for its file gets
    /// `$<length>\r\n` and the file (sent a chunk at a time), or is
    /// disconnected when there is none.
    pub(super) fn send_file_to_replicas(&mut self, result: &Result<PathBuf, String>) {
        let waiting: Vec<usize> =
            self.state.repl.replicas.iter().filter(|r| r.sync == FullSync::WaitFile).map(|r| r.client).collect();
        for key in waiting {
            let opened = result.as_ref().map_err(Clone::clone).and_then(|path| {
                let file = std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let len = file.metadata().map_err(|e| e.to_string())?.len();
                Ok((file, len))
            });
            let (file, len) = match (opened, self.conns.get_mut(key)) {
                (Ok(opened), Some(_)) => opened,
                (Err(why), _) => {
                    warn!("no RDB file for replica {}: {why}", self.state.clients[key].addr);
                    self.drop_syncing_replica(key);
                    continue;
                }
                (Ok(_), None) => continue,
            };
            info!("sending the RDB file ({len} bytes) to replica {}", self.state.clients[key].addr);
            let conn = &mut self.conns[key];
            let header = format!("${len}\r\n");
            conn.wbuf.extend_from_slice(header.as_bytes());
            conn.source = Some(super::conn::FileSource { file, left: len, crlf: false });
            self.state.repl.output_bytes += header.len() as u64 + len;
            if let Some(replica) = self.state.repl.replica_mut(key) {
                replica.sync = FullSync::SendFile;
            }
            queue_write(&mut self.conns, &mut self.write_queue, key);
        }
    }

    /// Called when the whole file of connection `key` is in its output
    /// buffer: a replica receiving its file gets the stream held meanwhile
    /// and is online. False if `key` is no such replica.
    pub(super) fn replica_file_sent(&mut self, key: usize) -> bool {
        let now = self.now_ms;
        let Some(replica) = self.state.repl.replica_mut(key).filter(|r| r.sync == FullSync::SendFile) else {
            return false;
        };
        replica.sync = FullSync::Online;
        replica.ack_ms = now;
        let held = std::mem::take(&mut replica.held);
        if let Some(conn) = self.conns.get_mut(key) {
            conn.wbuf.extend_from_slice(&held);
            queue_write(&mut self.conns, &mut self.write_queue, key);
            info!(
                "replica {} is online: its file was sent, then {} bytes of stream",
                self.state.clients[key].addr,
                held.len()
            );
        }
        true
    }

    /// Once a second, a newline to each replica whose file is being
    /// written: it keeps the link alive, as Redis's keep-alive does.
    pub(super) fn keep_waiting_replicas_alive(&mut self) {
        let now = self.now_ms;
        if now - self.state.repl.last_newline_ms < 1000 {
            return;
        }
        self.state.repl.last_newline_ms = now;
        for replica in &self.state.repl.replicas {
            if replica.sync != FullSync::WaitFile {
                continue;
            }
            if let Some(conn) = self.conns.get_mut(replica.client) {
                conn.wbuf.push(b'\n');
                queue_write(&mut self.conns, &mut self.write_queue, replica.client);
            }
        }
    }

    /// Disconnects a replica whose file cannot come (it connects again
    /// and asks anew).
    fn drop_syncing_replica(&mut self, key: usize) {
        if let Some(client) = self.state.clients.get_mut(key) {
            if !client.killed {
                warn!("replica {} disconnected: its full resynchronization failed", client.addr);
                client.killed = true;
                self.state.kill_pending = true;
            }
        }
    }
}
