//! The primary's side of replication in the loop: the stream bytes of
//! each round go to every online replica's output buffer (to the held
//! buffer of one whose full resynchronization file is still being written
//! or sent, see `sync_send`), `PING`s go out every
//! `repl-ping-replica-period` seconds, and clients blocked in `WAIT` are
//! answered once enough replicas acknowledged, or at their timeout. What the bytes are and where a replica starts is
//! `state::replication`'s business; this file only moves them.
//!
//! Once per round, before the log is written and the replies go out
//! ([`Server::replication_round`]): the log's tap is absorbed into the
//! stream, a `REPLCONF GETACK *` is added when a `WAIT` asked for one,
//! and the outgoing bytes are copied to the replicas. A replica whose
//! unsent output (held bytes included) passes
//! `client-output-buffer-limit replica` (256 MiB at once, or 64 MiB for
//! 60 s, by default) is disconnected, as Redis does.

use super::delivery::queue_write;
use super::Server;
use crate::protocol::Reply;
use crate::state::replication::FullSync;

impl Server {
    /// Hands this round's stream bytes to the replicas and answers the
    /// `WAIT`s that are satisfied (see the module doc).
    pub(super) fn replication_round(&mut self) {
        self.link_control();
        if self.state.repl.getack_wanted {
            self.state.repl.getack_wanted = false;
            if !self.state.repl.replicas.is_empty() && !self.state.repl.is_replica() {
                self.state.stream_command(&[b"REPLCONF", b"GETACK", b"*"]);
            }
        }
        self.state.absorb_tap();
        if self.state.repl.failover.is_some() {
            crate::cmd::replicaof::failover_step(&mut self.state, self.now_ms);
        }
        let (base, bytes) = self.state.repl.take_outgoing();
        self.hand_out(base, &bytes);
        self.limit_replica_output();
        if std::mem::take(&mut self.state.repl.demoted) {
            self.release_blocked();
        }
        if !self.state.repl.waiters.is_empty() && self.answer_waiters() {
            self.resume_unblocked();
            self.state.absorb_tap();
            self.send_outgoing_again();
        }
    }

    /// A primary that became a replica: clients blocked on keys get
    /// Redis's `-UNBLOCKED` error and are disconnected (their `WAIT`ing
    /// peers, in `answer_waiters`).
    fn release_blocked(&mut self) {
        let blocked: Vec<usize> = self
            .state
            .clients
            .iter()
            .filter(|(key, _)| self.state.blocking.get(*key).is_some())
            .map(|(key, _)| key)
            .collect();
        for key in blocked {
            self.state.unblock(key);
            let resp3 = self.state.clients[key].resp3;
            if let Some(conn) = self.conns.get_mut(key) {
                Reply::new(&mut conn.wbuf, resp3).error(
                    "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
                );
                conn.closing = true;
                queue_write(&mut self.conns, &mut self.write_queue, key);
            }
        }
    }

    /// Disconnects the replicas whose unsent output passed
    /// `client-output-buffer-limit replica` (they connect again and
    /// resynchronize, as from Redis).
    fn limit_replica_output(&mut self) {
        let now = self.now_ms;
        for index in 0..self.state.repl.replicas.len() {
            let key = self.state.repl.replicas[index].client;
            let Some(conn) = self.conns.get(key) else { continue };
            let pending = (conn.pending_output() + self.state.repl.replicas[index].held.len()) as u64;
            if self.state.repl.over_output_limit(index, pending, now) {
                if let Some(client) = self.state.clients.get_mut(key) {
                    if !client.killed {
                        log::warn!(
                            "replica {} closed for overcoming of output buffer limits ({pending} bytes unsent)",
                            client.addr
                        );
                        client.killed = true;
                        self.state.kill_pending = true;
                    }
                }
            }
        }
    }

    /// Sends what a resumed client just wrote (see `replication_round`).
    fn send_outgoing_again(&mut self) {
        let (base, bytes) = self.state.repl.take_outgoing();
        self.hand_out(base, &bytes);
    }

    /// Gives each replica the part of `bytes` (the stream after position
    /// `base`) that follows its `from`: into its output buffer when it is
    /// online, into its held bytes while its file is written or sent.
    fn hand_out(&mut self, base: u64, bytes: &[u8]) {
        let end = base + bytes.len() as u64;
        let repl = &mut self.state.repl;
        for replica in &mut repl.replicas {
            if replica.sync == FullSync::WaitStart || replica.from >= end {
                continue;
            }
            let Some(conn) = self.conns.get_mut(replica.client) else { continue };
            let part = &bytes[replica.from.saturating_sub(base) as usize..];
            repl.output_bytes += part.len() as u64;
            if replica.online() {
                conn.wbuf.extend_from_slice(part);
                queue_write(&mut self.conns, &mut self.write_queue, replica.client);
            } else {
                replica.held.extend_from_slice(part);
            }
        }
    }

    /// Answers every `WAIT` that enough replicas acknowledged or whose
    /// timeout passed; true if any client was released.
    fn answer_waiters(&mut self) -> bool {
        let now = self.now_ms;
        let mut released = false;
        let waiters = std::mem::take(&mut self.state.repl.waiters);
        // A primary that became a replica releases its waiters, as Redis
        // releases every blocked client then.
        let demoted = self.state.repl.is_replica();
        for waiter in waiters {
            let acked = self.state.repl.acked(waiter.target);
            let timed_out = waiter.deadline_ms.is_some_and(|d| d <= now);
            if acked < waiter.needed && !timed_out && !demoted {
                self.state.repl.waiters.push(waiter);
                continue;
            }
            let key = waiter.client;
            let Some(client) = self.state.clients.get_mut(key) else { continue };
            client.blocked = false;
            let resp3 = client.resp3;
            if let Some(conn) = self.conns.get_mut(key) {
                let mut reply = Reply::new(&mut conn.wbuf, resp3);
                if demoted {
                    reply.error(
                        "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
                    );
                    // Redis closes such a client once it has the error.
                    conn.closing = true;
                } else {
                    reply.int(acked as i64);
                }
                queue_write(&mut self.conns, &mut self.write_queue, key);
            }
            self.state.unblocked_clients.push(key);
            released = true;
        }
        released
    }

    /// At shutdown: the replicas get the rest of the stream (written to
    /// the kernel, for up to 10 s), so that they hold every acknowledged
    /// write when this primary is gone.
    pub(super) fn drain_replicas(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let keys: Vec<usize> = self.state.repl.replicas.iter().map(|r| r.client).collect();
        loop {
            let mut pending = false;
            for &key in &keys {
                if let Some(conn) = self.conns.get_mut(key) {
                    if conn.flush().is_err() {
                        continue;
                    }
                    if std::mem::take(&mut conn.source_done) {
                        self.replica_file_sent(key);
                    }
                    let conn = &self.conns[key];
                    pending |= conn.pending_output() > 0 || conn.source.is_some();
                }
            }
            if !pending || std::time::Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// The replication part of the 100 ms tick: `PING` to the replicas
    /// every `repl-ping-replica-period` seconds, `WAIT` timeouts, and the
    /// replica's link (connect, acknowledge, time out).
    pub(super) fn replication_tick(&mut self) {
        let now = self.now_ms;
        let period_s: i64 =
            self.state.param("repl-ping-replica-period").and_then(|v| v.parse().ok()).unwrap_or(10).max(1);
        // No PING while a failover waits: it would move the offset the
        // target must reach.
        if !self.state.repl.is_replica() && !self.state.repl.replicas.is_empty() && self.state.repl.failover.is_none() {
            if now - self.state.repl.last_ping_ms >= period_s * 1000 {
                self.state.repl.last_ping_ms = now;
                self.state.stream_command(&[b"ping"]);
            }
        } else {
            self.state.repl.last_ping_ms = now;
        }
        let limits = self.state.param("client-output-buffer-limit").unwrap_or_default().to_string();
        self.state.repl.set_output_limit(&limits);
        self.keep_waiting_replicas_alive();
        self.link_tick();
    }
}
