//! The event loop: a hand-written `mio` poll loop on one thread that owns
//! the listeners, the connections (in a `slab`) and the timers. It knows
//! sockets and nothing of commands beyond `cmd::execute`; sessions and
//! everything else commands share live in `crate::state`.
//!
//! * `mod.rs`: accepting, reading, parsing, handing each command to
//!   `cmd::execute` as `Caller::Client`, writing replies.
//! * `delivery.rs`: what a command means for other connections
//!   (published messages, woken blocked clients, the write queue).
//! * `housekeeping.rs`: the timer tick, blocked clients' deadlines,
//!   snapshots, shutdown.
//! * `conn.rs`: one connection's buffers and socket.
//! * `replication.rs`: the primary's side of replication: the stream to
//!   the replicas, `PING`s, `WAIT` answers, output limits, `FAILOVER`'s
//!   progress.
//! * `sync_send.rs`: a replica's full resynchronization, on the primary's
//!   side: the child that writes its file, the file sent, the stream held
//!   meanwhile.
//! * `replica_link.rs`: a replica's connection to its primary: the
//!   handshake, the RDB file, the stream it applies as
//!   `Caller::Primary`.
//! * `sync_load.rs`: a replica loading its primary's file a step per
//!   round of the loop, and holding the stream until the loaded data set
//!   is on disk.
//! * `tls.rs`: a TLS connection's record I/O through rustls, into and out
//!   of the same buffers.
//!
//! For each readable connection the loop reads into the connection's
//! buffer and parses every complete command in it (RESP arrays or inline
//! lines; a command split across reads or many in one read both work).
//! Each runs through `cmd::execute`, which encodes its reply straight into
//! the connection's output buffer. The log records of the round go to the
//! file in one `write` (and with `appendfsync always` one `fdatasync`)
//! before any reply of the round is sent; then every connection's replies
//! go out, one `write` per connection.
//!
//! Readiness is edge-triggered and sockets are registered once for both
//! reading and writing, so steady-state serving costs no `epoll_ctl` calls:
//! a connection reads until the socket is drained (a short read), runs
//! every complete command, then writes.
//!
//! After a poll round that served anything, the loop polls again without
//! sleeping for up to 50 µs: under load the next request is usually that
//! close, and on a virtual machine a sleep and wake-up costs more than the
//! wait. While a child process runs (a snapshot's, or an RDB file's for a
//! full resynchronization), the loop skips this busy-poll, so
//! the child (at nice 19) gets the core whenever the loop waits; so does a
//! round that only applied its primary's stream (a replica's clients are
//! not waiting for it).
//!
//! A command that `CLIENT PAUSE` holds (see `state::pause`) stays the
//! parser's current command (`Conn::postponed`); the client is run again
//! from there once the pause ends.
//!
//! After every command (a whole `EXEC` counts as one) the loop moves the
//! messages other clients were sent from the outbox into their output
//! buffers, and serves clients blocked on keys that became ready. The poll
//! timeout is the nearer of the 100 ms timer tick and the earliest
//! deadline of a blocked client.
//!
//! # Output limits
//!
//! * A normal client with more than [`OUTPUT_PAUSE_LIMIT`] of unsent
//!   replies is not read from until it has caught up to half of that, so a
//!   client that pipelines without reading cannot grow the server's memory
//!   without bound; TCP flow control pushes back on it.
//! * A subscriber cannot be held back that way (the messages come from
//!   others), so one whose unsent output passes 32 MiB, or stays over
//!   8 MiB for 60 s, is disconnected (see `delivery.rs`); nor a replica
//!   (its output is the stream), whose limit is `client-output-buffer-limit
//!   replica` (see `replication.rs`).
//!
//! # Invariants
//!
//! * One thread owns all data; helper threads (the log's fsync thread)
//!   and the snapshot child touch no structure of the loop.
//! * No reply is sent before the log has accepted the records it depends
//!   on (`Conn::aof_hold`).

mod busy;
pub mod conn;
mod delivery;
mod housekeeping;
mod replica_link;
mod replication;
mod sync_load;
mod sync_send;
mod tls;

use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use log::{debug, info, warn};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use slab::Slab;

use crate::clock::unix_ms;
use crate::cmd::replay::Replay;
use crate::cmd::{self, Caller, Ctx};
use crate::config::Config;
use crate::protocol::Reply;
use crate::state::{Client, ServerState};
use crate::store::Keyspace;
use busy::Busy;
use conn::{Conn, ReadOutcome};
use delivery::{deliver_outbox, queue_write, serve_ready};

/// Stop reading from a client while this much output is unsent.
pub const OUTPUT_PAUSE_LIMIT: usize = 8 * 1024 * 1024;
/// Largest read buffer (Redis's `client-query-buffer-limit`).
pub const QUERY_BUFFER_LIMIT: usize = 1024 * 1024 * 1024;
/// Interval of the timer tick (active expiry and housekeeping).
const TICK: Duration = Duration::from_millis(100);
/// How long the loop keeps polling without sleeping after it served
/// something.
const BUSY_POLL: Duration = Duration::from_micros(50);
/// How often the loop looks for the end of the snapshot a replica's held
/// stream waits for (see `sync_load`).
const HELD_STREAM_POLL: Duration = Duration::from_millis(5);
/// Listener tokens count down from here; connections use slab keys.
const LISTENER_TOKEN_BASE: usize = usize::MAX - 64;

/// The server: listeners, connections, keyspace and shared state.
pub struct Server {
    poll: Poll,
    listeners: Vec<TcpListener>,
    conns: Slab<Conn>,
    store: Keyspace,
    state: ServerState,
    stop: Arc<AtomicBool>,
    now_ms: i64,
    /// Connections with replies to write at the end of this poll round.
    write_queue: Vec<usize>,
    /// Clients just unblocked whose buffered commands still have to run.
    resume: Vec<usize>,
    /// Connections whose replies wait for the log to accept their records.
    held: Vec<usize>,
    /// Connections whose readiness a long script's [`Busy`] passed over.
    look_again: Vec<usize>,
    /// Connections sending a file whose socket took everything so far:
    /// no writable event will come, so the next round writes again.
    streaming: Vec<usize>,
    /// A replica's connection to its primary (see `replica_link`).
    link: Option<replica_link::Link>,
    /// The snapshot of a data set loaded from the primary, until it is
    /// written (the primary's stream waits for it; see `sync_load`).
    pending_snapshot: Option<sync_load::PendingSnapshot>,
}

impl Server {
    /// Binds the listeners (the plain port unless it is 0, the TLS port
    /// unless it is 0) and reads the TLS files. Fails with a readable
    /// message.
    pub fn bind(config: Config) -> io::Result<Server> {
        let poll = Poll::new()?;
        let mut listeners = Vec::new();
        let ports = [config.port, config.tls_port];
        let bound = config.bind.iter().flat_map(|host| ports.iter().filter(|&&p| p != 0).map(move |&p| (host, p)));
        for (host, port) in bound {
            let addresses: Vec<SocketAddr> = (host.as_str(), port).to_socket_addrs()?.collect();
            let Some(address) = addresses.first() else {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("cannot resolve {host}")));
            };
            let mut listener = TcpListener::bind(*address)
                .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {address}: {e}")))?;
            let token = Token(LISTENER_TOKEN_BASE - listeners.len());
            poll.registry().register(&mut listener, token, Interest::READABLE)?;
            listeners.push(listener);
        }
        let now_ms = unix_ms();
        let mut state = ServerState::new(config.clone(), now_ms);
        if let Some(path) = &config.aclfile {
            crate::cmd::load_acl_file(&mut state.acl, path)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
        if let Some(listener) = listeners.first().filter(|_| config.port != 0) {
            state.port = listener.local_addr()?.port();
        }
        if let Some((host, port)) = config.replicaof.clone() {
            cmd::replicaof::follow(&mut state, host, port, now_ms);
        }
        if config.tls_port != 0 {
            state.tls = Some(config.tls.server_config().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?);
        }
        Ok(Server {
            poll,
            listeners,
            conns: Slab::new(),
            store: {
                let mut store = Keyspace::new(config.databases);
                store.set_tracking(state.eviction.tracking(false));
                store
            },
            state,
            stop: Arc::new(AtomicBool::new(false)),
            now_ms,
            write_queue: Vec::new(),
            resume: Vec::new(),
            held: Vec::new(),
            look_again: Vec::new(),
            streaming: Vec::new(),
            link: None,
            pending_snapshot: None,
        })
    }

    /// Loads `BACKUP_PATH` (newest snapshot, then the logs after it) and
    /// opens a new log generation. Fails on a damaged file, naming it.
    pub fn recover(&mut self) -> Result<(), String> {
        crate::memory::mark_startup();
        let started = Instant::now();
        let dir = self.state.config.backup_path.clone();
        // Nobody waits for a reply yet: resizing in one step is cheaper.
        crate::store::table::set_incremental_resizing(false);
        let mut replay = Replay::new(&mut self.store, &mut self.state);
        let result = crate::persist::load::recover(&dir, &mut replay);
        let errors = replay.finish();
        // The keyspace was sized for the snapshot's keys of all databases
        // in database 0 (see `Keyspace::reserve_for_load`).
        self.store.shrink_sparse_tables();
        crate::store::table::set_incremental_resizing(true);
        let recovered = result.map_err(|e| {
            if !e.repairable {
                return format!("{e}. The files were left as they are");
            }
            format!(
                "{e}. The files were left as they are; `efis check {}` describes the damage and \
                 `efis check --repair {}` cuts the file at its last good record, keeping a copy of what it cuts",
                e.file.display(),
                e.file.display()
            )
        })?;
        if errors > 0 {
            warn!("{errors} replayed commands answered with an error (see above)");
        }
        let keys = self.store.total_keys();
        self.state.stats.loaded_keys = keys;
        self.state.stats.startup_memory = crate::memory::used_bytes();
        if let Some((rdb, rdb_keys)) = &recovered.rdb_base {
            info!(
                "recovered {keys} keys in {:.3} s: {rdb_keys} from {}, then {} commands from {} log files; \
                 a snapshot of them is being written",
                started.elapsed().as_secs_f64(),
                rdb.display(),
                recovered.commands,
                recovered.logs
            );
            // A snapshot of Efis's own replaces dump.rdb as the base as
            // soon as the loop runs (see `persist::load`).
            self.state.persist.requested = true;
        } else if recovered.snapshot.is_some() || recovered.logs > 0 {
            info!(
                "recovered {keys} keys in {:.3} s: {} from snapshot {}, then {} commands from {} log files",
                started.elapsed().as_secs_f64(),
                recovered.snapshot_keys,
                recovered.snapshot.as_ref().map_or("(none)".into(), |p| p.display().to_string()),
                recovered.commands,
                recovered.logs
            );
        }
        self.state.persist.dirty = if recovered.commands > 0 { recovered.commands } else { 0 };
        self.state.persist.snapshot_generation = recovered.snapshot_generation;
        // What a crash between a snapshot and its clean-up left behind.
        crate::persist::remove_obsolete(&dir, self.state.persist.keep);
        let now = unix_ms();
        self.state
            .persist
            .aof
            .open(recovered.next_generation, now)
            .map_err(|e| format!("cannot create the append-only file in {}: {e}", dir.display()))?;
        // The new log's header and directory entry are durable before any
        // client is served.
        if !self.state.persist.aof.flush_and_sync() || crate::persist::sync_dir(&dir).is_err() {
            return Err(format!("cannot sync the append-only file in {}", dir.display()));
        }
        // A replica that shut down cleanly continues its primary's stream
        // where it stopped (see `persist::replica_state`).
        let resumed = crate::persist::replica_state::take(&dir);
        if let (Some((replid, offset)), Some(primary)) = (resumed, self.state.repl.primary.as_mut()) {
            primary.read_offset = offset;
            info!("the primary's stream {replid} was applied up to offset {offset}: asking to continue from there");
            self.state.repl.replid = replid;
            self.state.repl.reset_backlog(offset);
        }
        Ok(())
    }

    /// The flag that stops the loop once set (by a signal handler).
    pub fn set_stop_flag(&mut self, stop: Arc<AtomicBool>) {
        self.stop = stop;
    }

    /// The port the first listener is bound to.
    pub fn port(&self) -> u16 {
        self.state.port
    }

    /// Runs until a signal or `SHUTDOWN`.
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut next_tick = Instant::now() + TICK;
        let mut spin_until: Option<Instant> = None;
        loop {
            // Right after serving requests, look for more without sleeping
            // for a few microseconds: under load the next request is
            // usually that close, and a sleep-and-wake costs more.
            let timeout = match spin_until {
                Some(until) if Instant::now() < until => Duration::ZERO,
                _ => self.poll_timeout(next_tick),
            };
            match self.poll.poll(&mut events, Some(timeout)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            self.now_ms = unix_ms();
            // Not while a child process runs: it has the lowest priority
            // and, on a server pinned to one core, gets that core only when
            // the loop sleeps.
            // Nor for the stream from a primary alone: no client waits for
            // what a replica applies, and on a shared core the spin would
            // take the time of the processes that do have clients.
            let clients_served = events.iter().any(|event| !self.is_link(event.token().0));
            if clients_served && !self.state.persist.any_child_running() {
                spin_until = Some(Instant::now() + BUSY_POLL);
            }
            for event in events.iter() {
                let token = event.token().0;
                if token > LISTENER_TOKEN_BASE - self.listeners.len() && token <= LISTENER_TOKEN_BASE {
                    self.accept(LISTENER_TOKEN_BASE - token);
                    continue;
                }
                if !self.conns.contains(token) {
                    continue;
                }
                if self.is_link(token) {
                    self.on_link_event();
                    continue;
                }
                if event.is_writable() && (self.conns[token].pending_output() > 0 || self.conns[token].read_paused) {
                    self.on_writable(token);
                }
                if (event.is_readable() || event.is_read_closed() || event.is_error()) && self.conns.contains(token) {
                    self.on_readable(token, event.is_read_closed());
                }
            }
            for key in std::mem::take(&mut self.streaming) {
                if self.conns.contains(key) {
                    self.on_writable(key);
                }
            }
            for key in std::mem::take(&mut self.look_again) {
                if self.conns.contains(key) && self.conns[key].pending_output() > 0 {
                    self.on_writable(key);
                }
                if self.conns.contains(key) {
                    self.on_readable(key, false);
                }
            }
            if self.state.blocking.next_deadline().is_some_and(|d| d <= unix_ms()) {
                self.expire_blocked();
            }
            if Instant::now() >= next_tick {
                self.tick();
                next_tick = Instant::now() + TICK;
            }
            if self.state.loading.is_some() {
                self.continue_full_sync();
            } else if self.stream_held() {
                // The held stream goes as soon as its snapshot is written.
                self.finish_snapshot_if_done();
            }
            self.resume_unblocked();
            if self.state.tracking.has_pending() {
                // BCAST invalidations go out once per round, as in Redis.
                let state = &mut self.state;
                state.tracking.broadcast(&state.clients, &mut state.pubsub.outbox);
                deliver_outbox(&mut self.conns, &mut self.state, &mut self.write_queue);
            }
            // Not while loading: the data set is half there.
            let loading = self.state.loading.is_some();
            if self.state.persist.requested && !self.state.persist.in_progress() && !loading {
                self.start_compaction();
            }
            if self.state.persist.transfers.running() {
                self.finish_transfer();
            }
            if self.state.persist.transfers.due() && !loading {
                self.start_transfer();
            }
            self.flush_queued_writes();
            if self.state.kill_pending {
                self.close_killed();
            }
            if self.stop.load(Ordering::Relaxed) || self.state.shutdown.is_some() {
                break;
            }
        }
        self.shutdown();
        Ok(())
    }

    fn accept(&mut self, index: usize) {
        loop {
            let (stream, peer) = match self.listeners[index].accept() {
                Ok(pair) => pair,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    warn!("accept failed: {e}");
                    return;
                }
            };
            self.admit(stream, peer);
        }
    }

    fn admit(&mut self, stream: TcpStream, peer: SocketAddr) -> Option<usize> {
        admit(&self.poll, &mut self.conns, &mut self.state, self.now_ms, stream, peer)
    }

    /// Reads and serves a client. `peer_closed`: the peer's end-of-stream
    /// has arrived, so read on past short reads until it is seen.
    fn on_readable(&mut self, key: usize, peer_closed: bool) {
        if self.is_link(key) {
            self.on_link_event();
            return;
        }
        loop {
            let conn = &mut self.conns[key];
            if conn.read_paused && !conn.write_queued {
                // Its output may have gone out whole meanwhile: the write
                // queue's pass resumes it then (see `on_writable`).
                conn.write_queued = true;
                self.write_queue.push(key);
            }
            if conn.read_paused || conn.closing {
                return;
            }
            let outcome = match conn.read_once() {
                Ok((outcome, n)) => {
                    self.state.stats.net_input_bytes += n as u64;
                    self.state.stats.reads_processed += 1;
                    outcome
                }
                Err(e) => {
                    debug!("read error on client {key}: {e}");
                    self.close(key);
                    return;
                }
            };
            if outcome == ReadOutcome::Closed {
                self.conns[key].eof = true;
            }
            self.process_input(key);
            if !self.conns.contains(key) {
                return;
            }
            let conn = &mut self.conns[key];
            if conn.rlen > QUERY_BUFFER_LIMIT {
                self.protocol_error(key, "query buffer exceeded 1 GiB");
            }
            let conn = &mut self.conns[key];
            if outcome == ReadOutcome::Drained && !peer_closed && !conn.closing {
                // The common case: replies go out after this poll round's
                // events are all handled, like Redis's before-sleep write.
                if !conn.write_queued && conn.pending_output() > 0 {
                    conn.write_queued = true;
                    self.write_queue.push(key);
                }
                return;
            }
            if !self.write_out(key) {
                return;
            }
            let conn = &self.conns[key];
            if conn.eof && !conn.closing {
                self.close(key);
                return;
            }
            if outcome == ReadOutcome::Drained && !peer_closed {
                return;
            }
        }
    }

    fn on_writable(&mut self, key: usize) {
        if self.is_link(key) {
            self.on_link_event();
            return;
        }
        // A paused reader resumes once its output is under half the limit;
        // the commands it then runs may pause it again, and when the socket
        // takes all of their output at once no writable event will come to
        // resume it, so this goes round until the socket holds back or
        // the reader stays resumed.
        loop {
            if !self.write_out(key) {
                return;
            }
            let conn = &mut self.conns[key];
            if !conn.read_paused || conn.pending_output() >= OUTPUT_PAUSE_LIMIT / 2 {
                return;
            }
            conn.read_paused = false;
            // Commands may be waiting in the buffer, and with edge-triggered
            // readiness the socket will not announce data it already had.
            self.process_input(key);
            if !self.conns.contains(key) {
                return;
            }
            if !self.conns[key].read_paused {
                if self.write_out(key) {
                    self.on_readable(key, false);
                }
                return;
            }
        }
    }

    fn flush_queued_writes(&mut self) {
        self.replication_round();
        // One write (and with `always` one fsync) for every record of this
        // round, before any of their replies goes out.
        self.state.persist.aof.flush();
        self.exit_if_log_fatal();
        // A write that takes a paused reader under half the output limit
        // resumes it here: when the socket took everything, no writable
        // event will come to do it. Resuming may queue more writes.
        while !self.write_queue.is_empty() {
            let queue = std::mem::take(&mut self.write_queue);
            for &key in &queue {
                if let Some(conn) = self.conns.get_mut(key) {
                    conn.write_queued = false;
                    self.on_writable(key);
                }
            }
        }
    }

    /// Under `APPENDFSYNC=always`, after a failed sync: exits at once (no
    /// reply held back is sent, no snapshot is written from memory), as
    /// Redis does; start-up recovers from what is on disk.
    pub(super) fn exit_if_log_fatal(&mut self) {
        if self.state.persist.aof.fatal.is_some() {
            self.state.persist.abort_running();
            self.state.persist.transfers.abort();
            log::error!("exiting with code 1: the append-only file cannot be trusted");
            std::process::exit(1);
        }
    }

    /// Writes pending output; closes the connection when it is done with or
    /// broken. Returns false if the connection is gone.
    fn write_out(&mut self, key: usize) -> bool {
        let conn = &mut self.conns[key];
        if conn.aof_hold > self.state.persist.aof.durable && !self.state.persist.aof.flush() {
            // Not one reply before its change is in the log.
            if !self.held.contains(&key) {
                self.held.push(key);
            }
            return true;
        }
        match conn.flush() {
            Ok(n) => {
                self.state.stats.net_output_bytes += n as u64;
                self.state.stats.writes_processed += u64::from(n > 0);
                note_buffers(&mut self.state.clients[key], conn);
            }
            Err(e) => {
                debug!("write error on client {key}: {e}");
                self.close(key);
                return false;
            }
        }
        let conn = &mut self.conns[key];
        if conn.source.is_some() && conn.pending_output() == 0 && !self.streaming.contains(&key) {
            self.streaming.push(key);
        }
        if conn.source_done {
            conn.source_done = false;
            // A replica's held stream follows its file; another client's
            // next commands may run.
            if !self.replica_file_sent(key) {
                self.state.clients[key].blocked = false;
                self.resume.push(key);
            }
        }
        let conn = &self.conns[key];
        if conn.closing && conn.pending_output() == 0 && conn.source.is_none() {
            self.close(key);
            return false;
        }
        true
    }

    /// Runs every complete command in the read buffer (until the client
    /// blocks), then delivers what those commands published and serves
    /// the blocked clients whose keys they wrote.
    fn process_input(&mut self, key: usize) {
        let Server { conns, store, state, now_ms, write_queue, resume, poll, listeners, .. } = self;
        let mut error = None;
        let mut look_again = Vec::new();
        let mut blocked = state.clients[key].blocked;
        note_buffers(&mut state.clients[key], &conns[key]);
        loop {
            let conn = &mut conns[key];
            if conn.closing || blocked {
                break;
            }
            // A replica's output is the stream, not its replies: its
            // acknowledgements are read however far behind it is (its
            // output limit is `client-output-buffer-limit replica`).
            if conn.pending_output() > OUTPUT_PAUSE_LIMIT && !state.clients[key].replica {
                conn.read_paused = true;
                break;
            }
            if conn.postponed {
                // The command `CLIENT PAUSE` held is still the parser's.
                conn.postponed = false;
            } else {
                match conn.parser.next(&conn.rbuf[..conn.rlen]) {
                    Ok(true) => conn.holds_command = true,
                    Ok(false) => {
                        conn.holds_command = false;
                        break;
                    }
                    Err(e) => {
                        error = Some(e.0);
                        break;
                    }
                }
            }
            if state.pause.is_some() && cmd::waits_for_pause(state, key, conn.parser.args(&conn.rbuf), *now_ms) {
                conn.postponed = true;
                if !state.paused_clients.contains(&key) {
                    state.paused_clients.push(key);
                }
                break;
            }
            let (db_index, resp3) = (state.clients[key].db, state.clients[key].resp3);
            let changes_before = state.persist.aof.changes;
            if may_run_script(conn.parser.args(&conn.rbuf).get(0)) {
                // The command's buffers leave the connection while it runs,
                // so that a long script can serve every other connection.
                let io = conn.take_io();
                let args = io.parser.args(&io.rbuf);
                let mut wbuf = io.wbuf;
                let mut busy = Busy::new(poll, listeners, LISTENER_TOKEN_BASE, conns, key, *now_ms);
                let mut ctx = Ctx {
                    store,
                    server: state,
                    client_key: key,
                    db_index,
                    out: Reply::new(&mut wbuf, resp3),
                    now_ms: *now_ms,
                    caller: Caller::Client,
                    unserved: false,
                    busy: Some(&mut busy),
                };
                cmd::execute(&mut ctx, args);
                look_again.extend(busy.finish());
                conns[key].restore_io(conn::CommandIo { rbuf: io.rbuf, wbuf, parser: io.parser });
            } else {
                let args = conn.parser.args(&conn.rbuf);
                let mut ctx = Ctx {
                    store,
                    server: state,
                    client_key: key,
                    db_index,
                    out: Reply::new(&mut conn.wbuf, resp3),
                    now_ms: *now_ms,
                    caller: Caller::Client,
                    unserved: false,
                    busy: None,
                };
                cmd::execute(&mut ctx, args);
            }
            let conn = &mut conns[key];
            let client = &state.clients[key];
            if client.close_after_reply {
                conn.closing = true;
            }
            blocked = client.blocked;
            if state.persist.aof.changes != changes_before {
                conn.aof_hold = state.persist.aof.appended();
                state.clients[key].woff = state.stream_end();
            }
            if !state.pubsub.outbox.is_empty() {
                deliver_outbox(conns, state, write_queue);
            }
            if state.blocking.has_ready() {
                serve_ready(conns, store, state, *now_ms, write_queue, resume);
            }
        }
        let conn = &mut conns[key];
        let client = &mut state.clients[key];
        // While the parser still points into the last command it returned
        // (the loop stopped before asking for the next one: QUIT, a client
        // that blocked or must pause), the buffer is compacted later; after
        // a protocol error it is dropped instead.
        if !conn.holds_command && error.is_none() {
            conn.compact_input();
        }
        note_buffers(client, conn);
        if let Some(text) = error {
            self.protocol_error(key, &text);
        }
        if !self.state.monitor_feed.is_empty() {
            self.feed_monitors();
        }
        self.look_again.extend(look_again);
    }

    /// Runs the input that unblocked clients received while they waited,
    /// and the held commands of clients a pause has released.
    fn resume_unblocked(&mut self) {
        let released = self.state.take_unpaused(self.now_ms);
        self.resume.extend(released);
        self.resume.append(&mut self.state.unblocked_clients);
        while !self.resume.is_empty() {
            let keys = std::mem::take(&mut self.resume);
            for key in keys {
                if !self.conns.contains(key) || self.state.clients[key].blocked || self.conns[key].rlen == 0 {
                    continue;
                }
                self.process_input(key);
                queue_write(&mut self.conns, &mut self.write_queue, key);
            }
        }
    }

    /// How long the loop may sleep: until the next tick, the nearest
    /// deadline of a blocked client, or the end of a pause clients wait on.
    fn poll_timeout(&self, next_tick: Instant) -> Duration {
        if !self.streaming.is_empty() || self.state.loading.is_some() {
            return Duration::ZERO;
        }
        let mut tick = next_tick.saturating_duration_since(Instant::now());
        if self.stream_held() {
            tick = tick.min(HELD_STREAM_POLL);
        }
        if let (Some(pause), false) = (self.state.pause, self.state.paused_clients.is_empty()) {
            tick = tick.min(Duration::from_millis((pause.until_ms - unix_ms()).max(0) as u64));
        }
        match self.state.blocking.next_deadline() {
            Some(deadline) => tick.min(Duration::from_millis((deadline - unix_ms()).max(0) as u64)),
            None => tick,
        }
    }

    /// Replies `-ERR Protocol error: ...` and closes after writing it.
    fn protocol_error(&mut self, key: usize, text: &str) {
        let conn = &mut self.conns[key];
        debug!("protocol error from client {}: {text}", self.state.clients[key].addr);
        Reply::new(&mut conn.wbuf, false).error(&format!("ERR Protocol error: {text}"));
        conn.closing = true;
        conn.rlen = 0;
        conn.parser = crate::protocol::Parser::new();
        conn.holds_command = false;
    }

    fn feed_monitors(&mut self) {
        let feed = std::mem::take(&mut self.state.monitor_feed);
        let monitors = self.state.monitors.clone();
        for key in monitors {
            if let Some(conn) = self.conns.get_mut(key) {
                conn.wbuf.extend_from_slice(&feed);
                self.write_out(key);
            }
        }
    }

    fn close(&mut self, key: usize) {
        if !self.conns.contains(key) {
            return;
        }
        if self.is_link(key) {
            self.abandon_full_sync();
        }
        let mut conn = self.conns.remove(key);
        tls::say_goodbye(&mut conn);
        let _ = self.poll.registry().deregister(&mut conn.stream);
        self.state.clear_session_state(key);
        self.state.repl.forget(key);
        let client = self.state.clients.remove(key);
        self.link_closed(key);
        self.state.monitors.retain(|&k| k != key);
        debug!("closed client {} ({})", client.id, client.addr);
    }

    fn close_killed(&mut self) {
        self.state.kill_pending = false;
        let killed: Vec<usize> = self.state.clients.iter().filter(|(_, c)| c.killed).map(|(k, _)| k).collect();
        for key in killed {
            self.close(key);
        }
    }
}

/// Copies a connection's buffer sizes into its session, for `CLIENT LIST`.
fn note_buffers(client: &mut Client, conn: &Conn) {
    client.query_buffer = conn.rlen;
    client.query_free = conn.rbuf.len() - conn.rlen;
    client.output_buffer = conn.pending_output();
    client.output_capacity = conn.wbuf.capacity();
    client.output_peak = client.output_peak.max(client.output_buffer);
}

/// Registers an accepted connection and opens its session; `None` if it
/// was turned away (too many clients) or cannot be registered.
fn admit(
    poll: &Poll,
    conns: &mut Slab<Conn>,
    state: &mut ServerState,
    now_ms: i64,
    mut stream: TcpStream,
    peer: SocketAddr,
) -> Option<usize> {
    state.stats.connections += 1;
    let local_addr = stream.local_addr();
    let tls_config = match (&state.tls, &local_addr) {
        (Some(config), Ok(local)) if local.port() == state.config.tls_port => Some(config.clone()),
        _ => None,
    };
    if conns.len() >= state.config.maxclients {
        state.stats.rejected_connections += 1;
        debug!("rejected client {peer}: max number of clients reached");
        // A TLS client could not read the plain-text error: it is closed.
        if tls_config.is_none() {
            let _ = stream.write(b"-ERR max number of clients reached\r\n");
        }
        return None;
    }
    if state.refuses_as_protected(&peer) {
        state.stats.rejected_connections += 1;
        debug!("rejected client {peer}: protected mode");
        let _ = stream.write(crate::state::PROTECTED_MODE_DENIED.as_bytes());
        return None;
    }
    let _ = stream.set_nodelay(true);
    // A connection to the TLS port gets a session with the configuration
    // in force now.
    let mut session = None;
    if let Some(config) = tls_config {
        match tls::TlsSession::new(config, peer) {
            Ok(tls) => session = Some(Box::new(tls)),
            Err(e) => {
                warn!("cannot start TLS with client {peer}: {e}");
                return None;
            }
        }
    }
    let entry = conns.vacant_entry();
    let key = entry.key();
    if let Err(e) = poll.registry().register(&mut stream, Token(key), Interest::READABLE | Interest::WRITABLE) {
        warn!("cannot register client {peer}: {e}");
        return None;
    }
    let local = local_addr.map(|a| a.to_string()).unwrap_or_default();
    let fd = std::os::unix::io::AsRawFd::as_raw_fd(&stream);
    entry.insert(Conn::new(stream, session));
    let client = Client {
        id: state.next_client_id,
        addr: peer.to_string(),
        local_addr: local,
        fd,
        authenticated: state.acl.default_opens_without_password(),
        created_ms: now_ms,
        last_command_ms: now_ms,
        ..Client::default()
    };
    state.next_client_id += 1;
    let client_key = state.clients.insert(client);
    debug_assert_eq!(client_key, key, "connection and session slabs move in step");
    debug!("accepted client {peer} as id {}", state.next_client_id - 1);
    Some(key)
}

/// Whether a command may run a script (`EVAL`, `EVALSHA`, their `_RO`
/// forms, `FCALL`, `FCALL_RO`, or `EXEC` of a queue holding one): those
/// run with their connection's buffers set aside, so that a long script
/// can answer everyone else (see `busy`). One look at the name's length
/// and first letter settles almost every other command.
fn may_run_script(name: &[u8]) -> bool {
    const RUNNERS: [&[u8]; 7] = [b"eval", b"evalsha", b"eval_ro", b"evalsha_ro", b"fcall", b"fcall_ro", b"exec"];
    if !(4..=10).contains(&name.len()) || !matches!(name[0] | 0x20, b'e' | b'f') {
        return false;
    }
    RUNNERS.iter().any(|runner| name.eq_ignore_ascii_case(runner))
}
